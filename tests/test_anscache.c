/* test_anscache.c -- unit tests of the shared answer cache (dns/anscache.c): fetches joined
 * and their waiters woken once each, in order, with the fetch's outcome; what is kept and for
 * how long (the answer's TTL, the negative TTL of RFC 2308), what never is (failures, answers
 * without a TTL, over max_bytes); keys (0x20 case, qtype); re-entrant wakes; the stats. Time
 * is the now_ms passed in: nothing sleeps. Replies are built with ldns (packets.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h> /* before ldns, which otherwise defines bool as signed char */
#include <ldns/ldns.h>

#include "dns/anscache.h"
#include "dns/engine.h"
#include "dns/wire.h"
#include "packets.h"
#include "wname.h"

#define TOKENS 16

/* ---- helpers -------------------------------------------------------------------------- */

struct pkt {
        uint8_t *p; /* owned */
        size_t n;
};

static struct pkt wire_of(ldns_pkt *lp)
{
        struct pkt out;
        assert_int_equal(ldns_pkt2wire(&out.p, lp, &out.n), LDNS_STATUS_OK);
        ldns_pkt_free(lp);
        return out;
}

/* NOERROR, example.net TXT with TXT records of these TTLs (0-terminated list). */
static struct pkt txt_answer(const char *qname, const uint32_t *ttls)
{
        char rr[300];
        ldns_pkt *lp = lp_reply_t(qname, "TXT", LDNS_RCODE_NOERROR);
        for (unsigned i = 0; ttls[i]; i++) {
                snprintf(rr, sizeof(rr), "%s. %u IN TXT \"v=spf1 -all %u\"", qname, ttls[i], i);
                lp_add(lp, LDNS_SECTION_ANSWER, rr);
        }
        return wire_of(lp);
}

/* A negative answer (rcode, no answer RRs), with an SOA in the authority section when
 * soa_ttl is not 0. */
static struct pkt negative(const char *qname, ldns_pkt_rcode rcode, uint32_t soa_ttl,
                           uint32_t minimum)
{
        char rr[300];
        ldns_pkt *lp = lp_reply_t(qname, "TXT", rcode);
        if (soa_ttl) {
                snprintf(rr, sizeof(rr),
                         "example.net. %u IN SOA ns.example.net. host.example.net. 1 7200 900 "
                         "1209600 %u",
                         soa_ttl, minimum);
                lp_add(lp, LDNS_SECTION_AUTHORITY, rr);
        }
        return wire_of(lp);
}

/* What the wake callback saw, in order. */
struct woke {
        unsigned n;
        uint32_t token[64];
        int status[64];
        size_t len[64];
        uint8_t first[64]; /* the packet's first byte (its id's high byte), 0 without one */
        uint64_t until[64];
        uint64_t returned; /* what the last complete() returned */
        /* re-entrancy: a woken token asks again (qname/qtype below) */
        struct anscache *c;
        bool again;
        struct name again_name;
        uint16_t again_qtype;
        uint64_t now;
        enum anscache_get got[64];
};

static void on_wake(void *ctx, uint32_t token, int status, const uint8_t *pkt, size_t len,
                    uint64_t until)
{
        struct woke *w = ctx;
        assert_true(w->n < 64);
        w->until[w->n] = until;
        w->token[w->n] = token;
        w->status[w->n] = status;
        w->len[w->n] = len;
        w->first[w->n] = pkt && len ? pkt[0] : 0;
        if (status == ENGINE_REPLY)
                assert_non_null(pkt);
        if (w->again) {
                const uint8_t *p;
                size_t n;
                uint64_t u;
                w->got[w->n] = anscache_get(w->c, w->again_name.w, w->again_name.n, w->again_qtype,
                                            w->now, token, &p, &n, &u);
        }
        w->n++;
}

static enum anscache_get get(struct anscache *c, const char *qname, uint16_t qtype, uint64_t now,
                             uint32_t token)
{
        struct name n = wname(qname);
        const uint8_t *p = NULL;
        size_t len = 0;
        uint64_t until = 0;
        return anscache_get(c, n.w, n.n, qtype, now, token, &p, &len, &until);
}

/* A HIT whose bytes are want's; returns the time it is kept until (after now). */
static uint64_t assert_hit(struct anscache *c, const char *qname, uint16_t qtype, uint64_t now,
                           const struct pkt *want)
{
        struct name n = wname(qname);
        const uint8_t *p = NULL;
        size_t len = 0;
        uint64_t until = 0;
        assert_int_equal(anscache_get(c, n.w, n.n, qtype, now, 0, &p, &len, &until), ANSCACHE_HIT);
        assert_int_equal(len, want->n);
        assert_memory_equal(p, want->p, len);
        assert_true(until > now);
        return until;
}

static void complete(struct anscache *c, const char *qname, uint16_t qtype, int status,
                     const struct pkt *pkt, uint64_t now, struct woke *w)
{
        struct name n = wname(qname);
        unsigned before = w->n;
        w->returned = anscache_complete(c, n.w, n.n, qtype, status, pkt ? pkt->p : NULL,
                                        pkt ? pkt->n : 0, now, on_wake, w);
        /* every waiter learns what the fetcher learns */
        for (unsigned i = before; i < w->n; i++)
                assert_int_equal(w->until[i], w->returned);
}

/* A fetch nobody joined: MISS at asked_ms, the reply in at done_ms. */
static void fetch(struct anscache *c, const char *qname, const struct pkt *pkt, uint64_t asked_ms,
                  uint64_t done_ms)
{
        struct woke w = {0};
        assert_int_equal(get(c, qname, WIRE_TYPE_TXT, asked_ms, 0), ANSCACHE_MISS);
        complete(c, qname, WIRE_TYPE_TXT, ENGINE_REPLY, pkt, done_ms, &w);
        assert_int_equal(w.n, 0);
}

static struct anscache_stats stats(const struct anscache *c)
{
        struct anscache_stats st;
        anscache_stats(c, &st);
        return st;
}

/* Every get is a fetch, a hit or a join. */
static void assert_adds_up(const struct anscache *c, uint64_t gets)
{
        struct anscache_stats st = stats(c);
        assert_int_equal(st.fetched + st.hits + st.joined, gets);
}

static struct anscache *cache_new(size_t max_bytes)
{
        struct anscache *c = NULL;
        assert_int_equal(anscache_new(&c, TOKENS, max_bytes), 0);
        assert_non_null(c);
        return c;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void t_join_and_wake(void **st)
{
        (void)st;
        struct anscache *c = cache_new(1 << 20);
        struct woke w = {0};
        static const uint32_t ttls[] = {300, 0};
        struct pkt a = txt_answer("_spf.example.net", ttls);

        assert_int_equal(get(c, "_spf.example.net", WIRE_TYPE_TXT, 1000, 0), ANSCACHE_MISS);
        for (uint32_t t = 3; t >= 1; t--) /* waiters in the order they came: 3, 2, 1 */
                assert_int_equal(get(c, "_spf.example.net", WIRE_TYPE_TXT, 1000, t), ANSCACHE_WAIT);
        assert_int_equal(stats(c).entries, 1);
        complete(c, "_spf.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 1200, &w);
        assert_int_equal(w.n, 3);
        assert_int_equal(w.returned, 1200 + 300 * 1000);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(w.token[i], 3 - i);
                assert_int_equal(w.status[i], ENGINE_REPLY);
                assert_int_equal(w.len[i], a.n);
        }
        /* kept: the next asks are answered, and nobody is woken twice */
        assert_int_equal(assert_hit(c, "_spf.example.net", WIRE_TYPE_TXT, 1300, &a),
                         1200 + 300 * 1000);
        complete(c, "_spf.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 1300, &w);
        assert_int_equal(w.n, 3);

        struct anscache_stats s = stats(c);
        assert_int_equal(s.fetched, 1);
        assert_int_equal(s.joined, 3);
        assert_int_equal(s.hits, 1);
        assert_int_equal(s.kept, 1);
        assert_int_equal(s.entries, 1);
        assert_true(s.bytes >= a.n);
        assert_adds_up(c, 5);
        anscache_free(c);
        free(a.p);
}

static void t_ttl(void **st)
{
        (void)st;
        struct anscache *c = cache_new(1 << 20);
        struct woke w = {0};
        static const uint32_t ttls[] = {300, 60, 3600, 0}; /* the smallest counts */
        struct pkt a = txt_answer("x.example.net", ttls);

        fetch(c, "x.example.net", &a, 5000, 10000);
        assert_int_equal(w.n, 0);
        /* 60 s from when the answer came */
        assert_int_equal(assert_hit(c, "x.example.net", WIRE_TYPE_TXT, 10000, &a), 70000);
        assert_hit(c, "x.example.net", WIRE_TYPE_TXT, 69999, &a);
        assert_int_equal(get(c, "x.example.net", WIRE_TYPE_TXT, 70000, 1), ANSCACHE_MISS);
        assert_int_equal(stats(c).expired, 1);
        /* fetched again: others join it */
        assert_int_equal(get(c, "x.example.net", WIRE_TYPE_TXT, 70001, 2), ANSCACHE_WAIT);
        complete(c, "x.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 70010, &w);
        assert_int_equal(w.n, 1);
        assert_int_equal(w.token[0], 2);
        assert_hit(c, "x.example.net", WIRE_TYPE_TXT, 70010 + 59999, &a);
        assert_int_equal(stats(c).entries, 1);
        assert_adds_up(c, 6);
        anscache_free(c);
        free(a.p);
}

static void t_negative(void **st)
{
        (void)st;
        static const struct {
                ldns_pkt_rcode rcode;
                uint32_t soa_ttl, minimum, keep_s;
        } cases[] = {
            {LDNS_RCODE_NXDOMAIN, 3600, 300, 300}, /* bounded by MINIMUM */
            {LDNS_RCODE_NXDOMAIN, 100, 300, 100},  /* the SOA's own TTL */
            {LDNS_RCODE_NOERROR, 600, 900, 600},   /* NODATA with an SOA */
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct anscache *c = cache_new(1 << 20);
                struct pkt p = negative("gone.example.net", cases[i].rcode, cases[i].soa_ttl,
                                        cases[i].minimum);
                fetch(c, "gone.example.net", &p, 0, 0);
                assert_int_equal(stats(c).kept, 1);
                assert_int_equal(assert_hit(c, "gone.example.net", WIRE_TYPE_TXT,
                                            cases[i].keep_s * 1000 - 1, &p),
                                 cases[i].keep_s * 1000);
                assert_int_equal(
                    get(c, "gone.example.net", WIRE_TYPE_TXT, cases[i].keep_s * 1000, 0),
                    ANSCACHE_MISS);
                assert_int_equal(stats(c).expired, 1);
                anscache_free(c);
                free(p.p);
        }
}

/* An NXDOMAIN at the end of a CNAME: kept no longer than the negative TTL, even when the
 * CNAME's own TTL is longer. */
static void t_negative_after_cname(void **st)
{
        (void)st;
        struct anscache *c = cache_new(1 << 20);
        ldns_pkt *lp = lp_reply_t("alias.example.net", "TXT", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_ANSWER, "alias.example.net. 86400 IN CNAME gone.example.org.");
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example.org. 3600 IN SOA ns.example.org. host.example.org. 1 7200 900 1209600 60");
        struct pkt p = wire_of(lp);
        fetch(c, "alias.example.net", &p, 0, 0);
        assert_hit(c, "alias.example.net", WIRE_TYPE_TXT, 59999, &p);
        assert_int_equal(get(c, "alias.example.net", WIRE_TYPE_TXT, 60000, 0), ANSCACHE_MISS);
        anscache_free(c);
        free(p.p);
}

/* Outcomes never kept; whoever waited still gets them. */
static void t_not_kept(void **st)
{
        (void)st;
        struct pkt servfail = negative("n.example.net", LDNS_RCODE_SERVFAIL, 0, 0);
        struct pkt refused = negative("n.example.net", LDNS_RCODE_REFUSED, 600, 600);
        struct pkt nodata = negative("n.example.net", LDNS_RCODE_NOERROR, 0, 0);
        ldns_pkt *lp = lp_reply_t("n.example.net", "TXT", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "n.example.net. 0 IN TXT \"v=spf1 -all\"");
        struct pkt ttl0 = wire_of(lp);
        lp = lp_reply_t("n.example.net", "TXT", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "n.example.net. 300 IN TXT \"v=spf1 -all\"");
        ldns_pkt_set_tc(lp, true);
        struct pkt truncated = wire_of(lp);
        /* two TXT records, the second cut short: the reply does not parse */
        lp = lp_reply_t("n.example.net", "TXT", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "n.example.net. 300 IN TXT \"v=spf1 -all\"");
        lp_add(lp, LDNS_SECTION_ANSWER, "n.example.net. 300 IN TXT \"other\"");
        struct pkt cut = wire_of(lp);
        cut.n -= 3;
        uint8_t garbage[] = {0x42, 0x42, 0x81, 0x80, 0, 1};
        struct pkt junk = {garbage, sizeof(garbage)};

        const struct {
                int status;
                const struct pkt *p;
        } cases[] = {
            {ENGINE_REPLY, &servfail}, {ENGINE_REPLY, &refused},   {ENGINE_REPLY, &nodata},
            {ENGINE_REPLY, &ttl0},     {ENGINE_REPLY, &truncated}, {ENGINE_REPLY, &cut},
            {ENGINE_REPLY, &junk},     {ENGINE_TIMEOUT, NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct anscache *c = cache_new(1 << 20);
                struct woke w = {0};
                assert_int_equal(get(c, "n.example.net", WIRE_TYPE_TXT, 0, 0), ANSCACHE_MISS);
                assert_int_equal(get(c, "n.example.net", WIRE_TYPE_TXT, 0, 5), ANSCACHE_WAIT);
                assert_int_equal(get(c, "n.example.net", WIRE_TYPE_TXT, 0, 9), ANSCACHE_WAIT);
                complete(c, "n.example.net", WIRE_TYPE_TXT, cases[i].status, cases[i].p, 0, &w);
                assert_int_equal(w.n, 2);
                assert_int_equal(w.returned, 0); /* not kept: nobody may hold it */
                assert_int_equal(w.token[0], 5);
                assert_int_equal(w.token[1], 9);
                for (unsigned k = 0; k < 2; k++) {
                        assert_int_equal(w.status[k], cases[i].status);
                        assert_int_equal(w.len[k], cases[i].p ? cases[i].p->n : 0);
                }
                struct anscache_stats s = stats(c);
                assert_int_equal(s.not_kept, 1);
                assert_int_equal(s.kept, 0);
                assert_int_equal(s.entries, 0);
                assert_int_equal(s.bytes, 0);
                /* the next domain asks again */
                assert_int_equal(get(c, "n.example.net", WIRE_TYPE_TXT, 1, 0), ANSCACHE_MISS);
                assert_int_equal(stats(c).expired, 0);
                assert_adds_up(c, 4);
                anscache_free(c);
        }
        free(servfail.p);
        free(refused.p);
        free(nodata.p);
        free(ttl0.p);
        free(truncated.p);
        free(cut.p);
}

static void t_keys(void **st)
{
        (void)st;
        struct anscache *c = cache_new(1 << 20);
        struct woke w = {0};
        static const uint32_t ttls[] = {300, 0};
        struct pkt a = txt_answer("spf.example.net", ttls);

        /* 0x20: the same name whatever its case */
        assert_int_equal(get(c, "SpF.eXample.NET", WIRE_TYPE_TXT, 0, 0), ANSCACHE_MISS);
        assert_int_equal(get(c, "spf.example.net", WIRE_TYPE_TXT, 0, 1), ANSCACHE_WAIT);
        /* another type, or another name, is another key */
        assert_int_equal(get(c, "spf.example.net", WIRE_TYPE_A, 0, 2), ANSCACHE_MISS);
        assert_int_equal(get(c, "spf.example.nez", WIRE_TYPE_TXT, 0, 3), ANSCACHE_MISS);
        assert_int_equal(get(c, "spf2.example.net", WIRE_TYPE_TXT, 0, 4), ANSCACHE_MISS);
        assert_int_equal(stats(c).entries, 4);
        complete(c, "SPF.EXAMPLE.NET", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 0, &w);
        assert_int_equal(w.n, 1);
        assert_int_equal(w.token[0], 1);
        assert_hit(c, "spf.EXAMPLE.net", WIRE_TYPE_TXT, 1, &a);
        /* the A fetch is still in flight: joined, not answered with the TXT */
        assert_int_equal(get(c, "spf.example.net", WIRE_TYPE_A, 1, 5), ANSCACHE_WAIT);
        assert_adds_up(c, 7);
        anscache_free(c); /* frees what is kept and what is in flight */
        free(a.p);
}

static void t_full(void **st)
{
        (void)st;
        static const uint32_t ttls[] = {300, 0};
        struct pkt a = txt_answer("a.example.net", ttls);
        struct pkt b = txt_answer("b.example.net", ttls);
        assert_int_equal(a.n, b.n);
        struct woke w = {0};

        /* what one kept answer of this size costs */
        struct anscache *probe = cache_new(1 << 20);
        fetch(probe, "a.example.net", &a, 0, 0);
        uint64_t one = stats(probe).bytes;
        anscache_free(probe);

        /* room for exactly one */
        struct anscache *c = cache_new(one);
        fetch(c, "a.example.net", &a, 0, 0);
        assert_int_equal(get(c, "b.example.net", WIRE_TYPE_TXT, 0, 0), ANSCACHE_MISS);
        assert_int_equal(get(c, "b.example.net", WIRE_TYPE_TXT, 0, 7), ANSCACHE_WAIT);
        complete(c, "b.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &b, 0, &w);
        /* joining goes on when nothing more is kept */
        assert_int_equal(w.n, 1);
        assert_int_equal(w.token[0], 7);
        assert_int_equal(w.status[0], ENGINE_REPLY);
        struct anscache_stats s = stats(c);
        assert_int_equal(s.kept, 1);
        assert_int_equal(s.full, 1);
        assert_int_equal(s.entries, 1);
        assert_int_equal(s.bytes, one);
        assert_true(s.bytes <= one);
        assert_hit(c, "a.example.net", WIRE_TYPE_TXT, 1, &a);
        assert_int_equal(get(c, "b.example.net", WIRE_TYPE_TXT, 1, 0), ANSCACHE_MISS);
        anscache_free(c);

        /* no room at all */
        c = cache_new(1);
        fetch(c, "a.example.net", &a, 0, 0);
        assert_int_equal(stats(c).full, 1);
        assert_int_equal(stats(c).entries, 0);
        assert_int_equal(get(c, "a.example.net", WIRE_TYPE_TXT, 0, 0), ANSCACHE_MISS);
        anscache_free(c);
        free(a.p);
        free(b.p);
}

/* A woken lookup may ask again from inside the wake (the scan starts its check's next
 * lookup there): each waiter is still woken once, in order. */
static void t_reentrant(void **st)
{
        (void)st;
        static const uint32_t ttls[] = {300, 0};
        struct pkt a = txt_answer("r.example.net", ttls);

        /* after a kept answer: the same name again is a hit */
        struct anscache *c = cache_new(1 << 20);
        struct woke w = {.c = c,
                         .again = true,
                         .again_name = wname("r.example.net"),
                         .again_qtype = WIRE_TYPE_TXT,
                         .now = 10};
        assert_int_equal(get(c, "r.example.net", WIRE_TYPE_TXT, 0, 0), ANSCACHE_MISS);
        for (uint32_t t = 1; t <= 3; t++)
                assert_int_equal(get(c, "r.example.net", WIRE_TYPE_TXT, 0, t), ANSCACHE_WAIT);
        complete(c, "r.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 0, &w);
        assert_int_equal(w.n, 3);
        for (unsigned i = 0; i < 3; i++) {
                assert_int_equal(w.token[i], i + 1);
                assert_int_equal(w.got[i], ANSCACHE_HIT);
        }
        assert_adds_up(c, 7);
        anscache_free(c);

        /* after a failure: the first woken fetches again, the others (and itself, later)
         * join that new fetch; the old list is not disturbed */
        c = cache_new(1 << 20);
        w = (struct woke){.c = c,
                          .again = true,
                          .again_name = wname("r.example.net"),
                          .again_qtype = WIRE_TYPE_TXT,
                          .now = 10};
        assert_int_equal(get(c, "r.example.net", WIRE_TYPE_TXT, 0, 0), ANSCACHE_MISS);
        for (uint32_t t = 1; t <= 3; t++)
                assert_int_equal(get(c, "r.example.net", WIRE_TYPE_TXT, 0, t), ANSCACHE_WAIT);
        complete(c, "r.example.net", WIRE_TYPE_TXT, ENGINE_TIMEOUT, NULL, 0, &w);
        assert_int_equal(w.n, 3);
        assert_int_equal(w.token[0], 1);
        assert_int_equal(w.got[0], ANSCACHE_MISS);
        assert_int_equal(w.token[1], 2);
        assert_int_equal(w.got[1], ANSCACHE_WAIT);
        assert_int_equal(w.token[2], 3);
        assert_int_equal(w.got[2], ANSCACHE_WAIT);
        /* token 1's fetch ends: 2 and 3 are woken, once each, and ask no more */
        w.again = false;
        complete(c, "r.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 20, &w);
        assert_int_equal(w.n, 5);
        assert_int_equal(w.token[3], 2);
        assert_int_equal(w.token[4], 3);
        assert_int_equal(w.status[3], ENGINE_REPLY);
        struct anscache_stats s = stats(c);
        assert_int_equal(s.fetched, 2);
        assert_int_equal(s.joined, 5);
        assert_int_equal(s.not_kept, 1);
        assert_int_equal(s.kept, 1);
        assert_adds_up(c, 7);

        /* woken tokens asking for another name from the wake */
        w = (struct woke){.c = c,
                          .again = true,
                          .again_name = wname("other.example.net"),
                          .again_qtype = WIRE_TYPE_A,
                          .now = 30};
        assert_int_equal(get(c, "s.example.net", WIRE_TYPE_TXT, 30, 0), ANSCACHE_MISS);
        assert_int_equal(get(c, "s.example.net", WIRE_TYPE_TXT, 30, 4), ANSCACHE_WAIT);
        assert_int_equal(get(c, "s.example.net", WIRE_TYPE_TXT, 30, 5), ANSCACHE_WAIT);
        complete(c, "s.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 30, &w);
        assert_int_equal(w.n, 2);
        assert_int_equal(w.got[0], ANSCACHE_MISS);
        assert_int_equal(w.got[1], ANSCACHE_WAIT);
        assert_adds_up(c, 12);
        anscache_free(c);
        free(a.p);
}

/* A completion nobody started (or for a name never asked) wakes no one. */
static void t_stray_complete(void **st)
{
        (void)st;
        struct anscache *c = cache_new(1 << 20);
        struct woke w = {0};
        static const uint32_t ttls[] = {300, 0};
        struct pkt a = txt_answer("z.example.net", ttls);
        complete(c, "z.example.net", WIRE_TYPE_TXT, ENGINE_REPLY, &a, 0, &w);
        assert_int_equal(w.n, 0);
        struct anscache_stats s = stats(c);
        assert_int_equal(s.entries, 0);
        assert_int_equal(s.kept, 0);
        assert_int_equal(get(c, "z.example.net", WIRE_TYPE_TXT, 0, 0), ANSCACHE_MISS);
        anscache_stats(NULL, &s);
        assert_int_equal(s.fetched, 0);
        anscache_free(c);
        anscache_free(NULL);
        free(a.p);
}

/* Many names: kept and found again; the table grows. */
static void t_many(void **st)
{
        (void)st;
        struct anscache *c = cache_new(64u << 20);
        struct woke w = {0};
        static const uint32_t ttls[] = {300, 0};
        char name[64];
        struct pkt a = txt_answer("m.example.net", ttls);
        for (unsigned i = 0; i < 5000; i++) {
                snprintf(name, sizeof(name), "n%u.example.net", i);
                fetch(c, name, &a, 0, 0);
        }
        for (unsigned i = 0; i < 5000; i++) {
                snprintf(name, sizeof(name), "N%u.example.net", i);
                assert_hit(c, name, WIRE_TYPE_TXT, 1, &a);
        }
        struct anscache_stats s = stats(c);
        assert_int_equal(s.entries, 5000);
        assert_int_equal(s.kept, 5000);
        assert_int_equal(w.n, 0);
        assert_adds_up(c, 10000);
        anscache_free(c);
        free(a.p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_join_and_wake),  cmocka_unit_test(t_ttl),
            cmocka_unit_test(t_negative),       cmocka_unit_test(t_negative_after_cname),
            cmocka_unit_test(t_not_kept),       cmocka_unit_test(t_keys),
            cmocka_unit_test(t_full),           cmocka_unit_test(t_reentrant),
            cmocka_unit_test(t_stray_complete), cmocka_unit_test(t_many),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

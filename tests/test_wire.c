/* test_wire.c -- dns/wire.c against ldns as the oracle, hand-made malformed packets, and a
 * seeded mutation run that must never crash and never accept what it cannot iterate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h> /* before ldns, which otherwise defines bool as signed char */
#include <ldns/ldns.h>

#include "dns/wire.h"

#define PKT_CAP 16384

struct pb {
        uint8_t b[PKT_CAP];
        size_t n;
};

/* ---- packet building helpers ---------------------------------------------------------- */

static void pb_u8(struct pb *p, unsigned v)
{
        assert_true(p->n < PKT_CAP);
        p->b[p->n++] = (uint8_t)v;
}

static void pb_u16(struct pb *p, unsigned v)
{
        pb_u8(p, v >> 8);
        pb_u8(p, v & 0xff);
}

static void pb_u32(struct pb *p, uint32_t v)
{
        pb_u16(p, v >> 16);
        pb_u16(p, v & 0xffff);
}

static void pb_raw(struct pb *p, const void *d, size_t n)
{
        assert_true(p->n + n <= PKT_CAP);
        memcpy(p->b + p->n, d, n);
        p->n += n;
}

/* Uncompressed name written independently of wire_name_from_text ("" is the root). */
static void pb_name(struct pb *p, const char *text)
{
        while (*text) {
                const char *dot = strchr(text, '.');
                size_t n = dot ? (size_t)(dot - text) : strlen(text);
                pb_u8(p, (unsigned)n);
                pb_raw(p, text, n);
                text += n + (dot ? 1 : 0);
        }
        pb_u8(p, 0);
}

static void pb_header(struct pb *p, unsigned flags, unsigned qd, unsigned an, unsigned ns,
                      unsigned ar)
{
        p->n = 0;
        pb_u16(p, 0x1234);
        pb_u16(p, flags);
        pb_u16(p, qd);
        pb_u16(p, an);
        pb_u16(p, ns);
        pb_u16(p, ar);
}

/* Type, class, ttl and a zero rdlen; returns where rdlen lives, for pb_rr_end. */
static size_t pb_rr_fixed(struct pb *p, unsigned type, unsigned rclass, uint32_t ttl)
{
        pb_u16(p, type);
        pb_u16(p, rclass);
        pb_u32(p, ttl);
        pb_u16(p, 0);
        return p->n - 2;
}

static void pb_rr_end(struct pb *p, size_t at)
{
        size_t rdlen = p->n - at - 2;
        p->b[at] = (uint8_t)(rdlen >> 8);
        p->b[at + 1] = (uint8_t)rdlen;
}

static void pb_txt_strings(struct pb *p, const char *s)
{
        pb_u8(p, (unsigned)strlen(s));
        pb_raw(p, s, strlen(s));
}

/* The hand-made base reply: _dmarc.example.com TXT, one answer owned by a pointer to the
 * question name. Offsets of interest are returned through the pointers. */
static void base_reply(struct pb *p, size_t *ans_owner, size_t *rdlen_at)
{
        pb_header(p, 0x8180, 1, 1, 0, 0);
        pb_name(p, "_dmarc.example.com");
        pb_u16(p, WIRE_TYPE_TXT);
        pb_u16(p, WIRE_CLASS_IN);
        if (ans_owner)
                *ans_owner = p->n;
        pb_u16(p, 0xc000 | WIRE_HEADER_LEN);
        size_t at = pb_rr_fixed(p, WIRE_TYPE_TXT, WIRE_CLASS_IN, 300);
        pb_txt_strings(p, "v=DMARC1; p=none");
        pb_rr_end(p, at);
        if (rdlen_at)
                *rdlen_at = at;
}

/* ---- ldns helpers --------------------------------------------------------------------- */

static ldns_pkt *lp_reply(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode)
{
        ldns_pkt *lp = ldns_pkt_new();
        ldns_rr *q = NULL;
        char buf[512];

        assert_non_null(lp);
        ldns_pkt_set_id(lp, 0xbeef);
        ldns_pkt_set_qr(lp, true);
        ldns_pkt_set_rd(lp, true);
        ldns_pkt_set_ra(lp, true);
        ldns_pkt_set_rcode(lp, (uint8_t)rcode);
        snprintf(buf, sizeof(buf), "%s IN %s", qname, qtype == LDNS_RR_TYPE_TXT ? "TXT" : "A");
        assert_int_equal(ldns_rr_new_question_frm_str(&q, buf, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, LDNS_SECTION_QUESTION, q));
        return lp;
}

static void lp_add(ldns_pkt *lp, ldns_pkt_section sec, const char *text)
{
        ldns_rr *rr = NULL;

        assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, sec, rr));
}

/* Serialise (ldns compresses names) into p and free lp. */
static void lp_wire(ldns_pkt *lp, struct pb *p)
{
        uint8_t *wire = NULL;
        size_t n = 0;

        assert_int_equal(ldns_pkt2wire(&wire, lp, &n), LDNS_STATUS_OK);
        assert_true(n <= PKT_CAP);
        memcpy(p->b, wire, n);
        p->n = n;
        free(wire);
        ldns_pkt_free(lp);
}

static bool ldns_accepts(const uint8_t *b, size_t n)
{
        ldns_pkt *lp = NULL;
        ldns_status st = ldns_wire2pkt(&lp, b, n);

        ldns_pkt_free(lp);
        return st == LDNS_STATUS_OK;
}

static void assert_name_is(const uint8_t *pkt, size_t len, size_t off, const ldns_rdf *rdf)
{
        uint8_t name[DS_NAME_MAX_WIRE];
        int n = wire_name_expand(pkt, len, off, name, sizeof(name));

        assert_true(n > 0);
        assert_int_equal((size_t)n, ldns_rdf_size(rdf));
        assert_memory_equal(name, ldns_rdf_data(rdf), (size_t)n);
        assert_int_equal(wire_name_equal(pkt, len, off, name, (size_t)n), 1);
}

static void assert_txt_is(const struct wire_reply *r, const struct wire_rr *rr, const ldns_rr *lrr)
{
        static uint8_t got[DS_TXT_MAX], want[DS_TXT_MAX];
        size_t wn = 0;

        for (size_t i = 0; i < ldns_rr_rd_count(lrr); i++) {
                const ldns_rdf *f = ldns_rr_rdf(lrr, i);
                /* a STR rdf is the character-string with its length octet */
                memcpy(want + wn, ldns_rdf_data(f) + 1, ldns_rdf_size(f) - 1);
                wn += ldns_rdf_size(f) - 1;
        }
        int n = wire_txt_join(r, rr, got, sizeof(got));
        assert_int_equal(n, (int)wn);
        assert_memory_equal(got, want, wn);
}

static const ldns_rr_list *lp_section(const ldns_pkt *lp, enum wire_section s)
{
        if (s == WIRE_SEC_ANSWER)
                return ldns_pkt_answer(lp);
        if (s == WIRE_SEC_AUTHORITY)
                return ldns_pkt_authority(lp);
        return ldns_pkt_additional(lp);
}

/* Parse with both and require the same header, question and records; ldns keeps OPT out of
 * its additional list, so ours is skipped there and compared through the EDNS fields. */
static void oracle_agree(const uint8_t *b, size_t n, struct wire_reply *r)
{
        ldns_pkt *lp = NULL;
        struct wire_rr_iter it;
        struct wire_rr rr;
        size_t idx[4] = {0, 0, 0, 0};
        int k;

        assert_int_equal(wire_reply_parse(r, b, n), 0);
        assert_int_equal(ldns_wire2pkt(&lp, b, n), LDNS_STATUS_OK);
        assert_int_equal(r->id, ldns_pkt_id(lp));
        assert_int_equal(r->qdcount, ldns_pkt_qdcount(lp));
        assert_int_equal(r->ancount, ldns_pkt_ancount(lp));
        assert_int_equal(r->nscount, ldns_pkt_nscount(lp));
        assert_int_equal(r->arcount, ldns_pkt_arcount(lp) + (r->has_opt ? 1 : 0));
        assert_int_equal(r->has_opt, ldns_pkt_edns(lp));
        if (r->has_opt) {
                assert_int_equal(r->udp_payload, ldns_pkt_edns_udp_size(lp));
                assert_int_equal(r->rcode,
                                 ldns_pkt_edns_extended_rcode(lp) << 4 | ldns_pkt_get_rcode(lp));
        } else {
                assert_int_equal(r->rcode, ldns_pkt_get_rcode(lp));
        }
        if (r->qdcount) {
                const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(lp), 0);
                assert_name_is(b, n, r->qname_off, ldns_rr_owner(q));
                assert_int_equal(r->qtype, ldns_rr_get_type(q));
                assert_int_equal(r->qclass, ldns_rr_get_class(q));
        }
        wire_rr_iter_init(&it, r);
        while ((k = wire_rr_next(&it, &rr)) == 1) {
                if (rr.type == WIRE_TYPE_OPT)
                        continue;
                const ldns_rr_list *l = lp_section(lp, rr.section);
                assert_true(idx[rr.section] < ldns_rr_list_rr_count(l));
                const ldns_rr *lrr = ldns_rr_list_rr(l, idx[rr.section]++);
                assert_name_is(b, n, rr.owner_off, ldns_rr_owner(lrr));
                assert_int_equal(rr.type, ldns_rr_get_type(lrr));
                assert_int_equal(rr.rclass, ldns_rr_get_class(lrr));
                assert_int_equal(rr.ttl, ldns_rr_ttl(lrr));
                if (rr.type == WIRE_TYPE_TXT)
                        assert_txt_is(r, &rr, lrr);
                if (rr.type == WIRE_TYPE_CNAME)
                        assert_name_is(b, n, rr.rdata_off, ldns_rr_rdf(lrr, 0));
        }
        assert_int_equal(k, 0);
        assert_int_equal(idx[WIRE_SEC_ANSWER], ldns_rr_list_rr_count(ldns_pkt_answer(lp)));
        assert_int_equal(idx[WIRE_SEC_AUTHORITY], ldns_rr_list_rr_count(ldns_pkt_authority(lp)));
        assert_int_equal(idx[WIRE_SEC_ADDITIONAL], ldns_rr_list_rr_count(ldns_pkt_additional(lp)));
        ldns_pkt_free(lp);
}

static size_t name_of(const char *text, uint8_t *out)
{
        int n = wire_name_from_text(text, out, DS_NAME_MAX_WIRE);

        assert_true(n > 0);
        return (size_t)n;
}

/* The joined text of the first answer TXT owned by owner, or -1. */
static int txt_of(const struct wire_reply *r, const uint8_t *owner, size_t owner_len, uint8_t *out,
                  size_t cap)
{
        struct wire_rr_iter it;
        struct wire_rr rr;

        wire_rr_iter_init(&it, r);
        while (wire_rr_next(&it, &rr) == 1) {
                if (rr.section == WIRE_SEC_ANSWER && rr.type == WIRE_TYPE_TXT &&
                    wire_name_equal(r->pkt, r->len, rr.owner_off, owner, owner_len) == 1)
                        return wire_txt_join(r, &rr, out, cap);
        }
        return -1;
}

static void assert_txt_answer(const struct wire_reply *r, const char *owner, const char *want)
{
        uint8_t name[DS_NAME_MAX_WIRE], txt[1024];
        size_t nl = name_of(owner, name);
        int n = txt_of(r, name, nl, txt, sizeof(txt));

        assert_int_equal(n, (int)strlen(want));
        assert_memory_equal(txt, want, strlen(want));
}

/* ---- corpus built with ldns and checked against it ----------------------------------- */

static void t_txt_simple(void **s)
{
        struct pb p;
        struct wire_reply r;
        uint8_t q[DS_NAME_MAX_WIRE], out[DS_NAME_MAX_WIRE];
        int hops = -1;
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=none\"");
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        size_t ql = name_of("_dmarc.example.com", q);
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), 1);
        assert_int_equal(r.rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(r.qtype, WIRE_TYPE_TXT);
        assert_false(r.has_opt);
        assert_int_equal(r.udp_payload, 0);
        assert_txt_answer(&r, "_dmarc.example.com", "v=DMARC1; p=none");
        assert_int_equal(wire_cname_chase(&r, q, ql, out, sizeof(out), &hops), (int)ql);
        assert_int_equal(hops, 0);
        assert_memory_equal(out, q, ql);
}

static void t_txt_multistring(void **s)
{
        struct pb p;
        struct wire_reply r;
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.example.org.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER,
               "_dmarc.example.org. 60 IN TXT \"v=DMARC1; p=\" \"reject\" \"\" \"; pct=100\"");
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        assert_txt_answer(&r, "_dmarc.example.org", "v=DMARC1; p=reject; pct=100");
}

static void t_txt_several(void **s)
{
        struct pb p;
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        uint8_t txt[256];
        const char *want[] = {"v=DMARC1; p=none", "google-site-verification=abc", "x"};
        int i = 0;
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.example.net.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        for (int k = 0; k < 3; k++) {
                char line[256];
                snprintf(line, sizeof(line), "_dmarc.example.net. 30 IN TXT \"%s\"", want[k]);
                lp_add(lp, LDNS_SECTION_ANSWER, line);
        }
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(r.ancount, 3);
        wire_rr_iter_init(&it, &r);
        while (wire_rr_next(&it, &rr) == 1) {
                int n = wire_txt_join(&r, &rr, txt, sizeof(txt));
                assert_int_equal(n, (int)strlen(want[i]));
                assert_memory_equal(txt, want[i], (size_t)n);
                i++;
        }
        assert_int_equal(i, 3);
}

static const char *const chain[] = {
    "_dmarc.a.example. 300 IN CNAME _dmarc.b.example.",
    "_dmarc.b.example. 300 IN CNAME Policy.C.example.",
    "policy.c.example. 300 IN TXT \"v=DMARC1; p=quarantine\"",
};

static void chase_check(const uint8_t *b, size_t n, const char *final, int want_hops)
{
        struct wire_reply r;
        uint8_t q[DS_NAME_MAX_WIRE], out[DS_NAME_MAX_WIRE], want[DS_NAME_MAX_WIRE];
        char text[DS_NAME_MAX_TEXT + 1];
        int hops = -1;

        oracle_agree(b, n, &r);
        size_t ql = name_of("_dmarc.a.example", q);
        size_t wl = name_of(final, want);
        int len = wire_cname_chase(&r, q, ql, out, sizeof(out), &hops);
        assert_int_equal(len, (int)wl);
        assert_int_equal(hops, want_hops);
        /* the target keeps the case the packet has */
        assert_int_equal(wire_name_to_text(out, (size_t)len, text, sizeof(text)),
                         (int)strlen(final));
        assert_string_equal(text, final);
        assert_int_equal(wire_cname_chase(&r, q, ql, out, (size_t)len - 1, NULL), -EMSGSIZE);
}

static void t_cname_chain_in_order(void **s)
{
        struct pb p;
        struct wire_reply r;
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        for (int i = 0; i < 3; i++)
                lp_add(lp, LDNS_SECTION_ANSWER, chain[i]);
        lp_wire(lp, &p);
        chase_check(p.b, p.n, "Policy.C.example", 2);
        assert_int_equal(wire_reply_parse(&r, p.b, p.n), 0);
        /* owner comparison is case-insensitive: the TXT is found under the CNAME's spelling */
        assert_txt_answer(&r, "Policy.C.example", "v=DMARC1; p=quarantine");
}

static void t_cname_chain_out_of_order(void **s)
{
        struct pb p;
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, chain[2]);
        lp_add(lp, LDNS_SECTION_ANSWER, chain[1]);
        lp_add(lp, LDNS_SECTION_ANSWER, chain[0]);
        lp_wire(lp, &p);
        /* ldns compresses case-insensitively, so the target now points at the TXT owner and
         * is spelled the way that one is */
        chase_check(p.b, p.n, "policy.c.example", 2);
}

static void t_cname_chain_no_txt(void **s)
{
        struct pb p;
        struct wire_reply r;
        uint8_t name[DS_NAME_MAX_WIRE], txt[64];
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, chain[1]);
        lp_add(lp, LDNS_SECTION_ANSWER, chain[0]);
        lp_wire(lp, &p);
        chase_check(p.b, p.n, "Policy.C.example", 2);
        assert_int_equal(wire_reply_parse(&r, p.b, p.n), 0);
        size_t nl = name_of("policy.c.example", name);
        assert_int_equal(txt_of(&r, name, nl, txt, sizeof(txt)), -1);
}

/* A CNAME in authority or additional is not part of the answer chain. */
static void t_cname_outside_answer(void **s)
{
        struct pb p;
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_AUTHORITY, chain[0]);
        lp_add(lp, LDNS_SECTION_ADDITIONAL, chain[0]);
        lp_wire(lp, &p);
        chase_check(p.b, p.n, "_dmarc.a.example", 0);
}

static void cname_ring(struct pb *p, int links, bool close)
{
        ldns_pkt *lp = lp_reply("n0.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        char line[128];

        for (int i = 0; i < links; i++) {
                int to = close && i == links - 1 ? 0 : i + 1;
                snprintf(line, sizeof(line), "n%d.example. 60 IN CNAME n%d.example.", i, to);
                lp_add(lp, LDNS_SECTION_ANSWER, line);
        }
        lp_wire(lp, p);
}

static void t_cname_limits(void **s)
{
        struct pb p;
        struct wire_reply r;
        uint8_t q[DS_NAME_MAX_WIRE], out[DS_NAME_MAX_WIRE];
        int hops = -1;
        (void)s;

        size_t ql = name_of("N0.EXAMPLE", q); /* the chase matches owners case-insensitively */
        cname_ring(&p, DS_CNAME_HOPS_MAX, false);
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(wire_cname_chase(&r, q, ql, out, sizeof(out), &hops),
                         (int)name_of("n8.example", out));
        assert_int_equal(hops, DS_CNAME_HOPS_MAX);
        cname_ring(&p, DS_CNAME_HOPS_MAX + 1, false);
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(wire_cname_chase(&r, q, ql, out, sizeof(out), &hops), -ELOOP);
        cname_ring(&p, 2, true);
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(wire_cname_chase(&r, q, ql, out, sizeof(out), &hops), -ELOOP);
        cname_ring(&p, 1, true); /* n0 CNAME n0 */
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(wire_cname_chase(&r, q, ql, out, sizeof(out), &hops), -ELOOP);
        assert_int_equal(wire_cname_chase(&r, q, ql - 1, out, sizeof(out), &hops), -EINVAL);
}

static void t_nxdomain_soa(void **s)
{
        struct pb p;
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.nope.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example. 900 IN SOA ns1.example. hostmaster.example. 2024010101 7200 3600 "
               "1209600 900");
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(r.rcode, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(wire_rcode_of(p.b), WIRE_RCODE_NXDOMAIN);
        assert_string_equal(wire_rcode_name(r.rcode), "NXDOMAIN");
        wire_rr_iter_init(&it, &r);
        assert_int_equal(wire_rr_next(&it, &rr), 1);
        assert_int_equal(rr.section, WIRE_SEC_AUTHORITY);
        assert_int_equal(rr.type, WIRE_TYPE_SOA);
        assert_int_equal(rr.ttl, 900);
        assert_int_equal(wire_txt_join(&r, &rr, (uint8_t[4]){0}, 4), -EINVAL);
        assert_int_equal(wire_rr_next(&it, &rr), 0);
}

static void t_nodata(void **s)
{
        struct pb p;
        struct wire_reply r;
        uint8_t name[DS_NAME_MAX_WIRE], txt[16];
        (void)s;

        ldns_pkt *lp = lp_reply("_dmarc.example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example.com. 300 IN SOA ns.example.com. root.example.com. 1 2 3 4 5");
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(r.rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(r.ancount, 0);
        assert_int_equal(r.nscount, 1);
        size_t nl = name_of("_dmarc.example.com", name);
        assert_int_equal(txt_of(&r, name, nl, txt, sizeof(txt)), -1);
}

static void t_edns(void **s)
{
        struct pb p;
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        (void)s;

        /* BADVERS: only the extended bits set */
        ldns_pkt *lp = lp_reply("example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        ldns_pkt_set_edns_udp_size(lp, 4096);
        ldns_pkt_set_edns_extended_rcode(lp, 1);
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        assert_true(r.has_opt);
        assert_int_equal(r.udp_payload, 4096);
        assert_int_equal(r.rcode, 16);
        assert_string_equal(wire_rcode_name(r.rcode), "BADVERS");
        wire_rr_iter_init(&it, &r);
        assert_int_equal(wire_rr_next(&it, &rr), 1);
        assert_int_equal(rr.section, WIRE_SEC_ADDITIONAL);
        assert_int_equal(rr.type, WIRE_TYPE_OPT);

        /* both parts: (0xab << 4) | 3 */
        lp = lp_reply("example.com.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN);
        ldns_pkt_set_edns_udp_size(lp, 1232);
        ldns_pkt_set_edns_extended_rcode(lp, 0xab);
        lp_add(lp, LDNS_SECTION_ADDITIONAL, "ns.example.com. 60 IN A 192.0.2.1");
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        assert_int_equal(r.rcode, 0xab3);
        assert_int_equal(r.udp_payload, 1232);
        assert_string_equal(wire_rcode_name(r.rcode), "RCODE?");
}

static void t_large_txt(void **s)
{
        static uint8_t got[DS_TXT_MAX];
        static char want[40 * 255];
        struct pb p;
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        ldns_rr *txt = ldns_rr_new();
        ldns_rdf *owner = NULL;
        (void)s;

        assert_int_equal(ldns_str2rdf_dname(&owner, "_dmarc.big.example."), LDNS_STATUS_OK);
        ldns_rr_set_owner(txt, owner);
        ldns_rr_set_type(txt, LDNS_RR_TYPE_TXT);
        ldns_rr_set_class(txt, LDNS_RR_CLASS_IN);
        ldns_rr_set_ttl(txt, 3600);
        for (int i = 0; i < 40; i++) {
                uint8_t str[256];
                str[0] = 255;
                for (int k = 0; k < 255; k++)
                        str[1 + k] = (uint8_t)('!' + (i * 7 + k) % 90);
                memcpy(want + i * 255, str + 1, 255);
                ldns_rdf *f = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, sizeof(str), str);
                assert_non_null(f);
                assert_true(ldns_rr_push_rdf(txt, f));
        }
        ldns_pkt *lp = lp_reply("_dmarc.big.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        assert_true(ldns_pkt_push_rr(lp, LDNS_SECTION_ANSWER, txt));
        lp_wire(lp, &p);
        assert_true(p.n > 10000);
        oracle_agree(p.b, p.n, &r);
        wire_rr_iter_init(&it, &r);
        assert_int_equal(wire_rr_next(&it, &rr), 1);
        assert_int_equal(rr.rdlen, 40 * 256);
        assert_int_equal(wire_txt_join(&r, &rr, got, sizeof(got)), 40 * 255);
        assert_memory_equal(got, want, sizeof(want));
        assert_int_equal(wire_txt_join(&r, &rr, got, 40 * 255 - 1), -EMSGSIZE);
}

static void t_compression(void **s)
{
        struct pb p;
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        unsigned compressed = 0;
        (void)s;

        ldns_pkt *lp = lp_reply("www.sub.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "www.sub.example.com. 60 IN CNAME web.sub.example.com.");
        lp_add(lp, LDNS_SECTION_ANSWER, "web.sub.example.com. 60 IN A 192.0.2.7");
        lp_add(lp, LDNS_SECTION_AUTHORITY, "sub.example.com. 60 IN NS ns1.example.com.");
        lp_add(lp, LDNS_SECTION_AUTHORITY, "sub.example.com. 60 IN NS ns2.sub.example.com.");
        lp_add(lp, LDNS_SECTION_ADDITIONAL, "ns1.example.com. 60 IN A 192.0.2.53");
        lp_add(lp, LDNS_SECTION_ADDITIONAL, "ns2.sub.example.com. 60 IN AAAA 2001:db8::53");
        lp_wire(lp, &p);
        oracle_agree(p.b, p.n, &r);
        /* the point of the case: owners really are (partly) pointers */
        wire_rr_iter_init(&it, &r);
        while (wire_rr_next(&it, &rr) == 1) {
                size_t o = rr.owner_off;
                while (p.b[o] != 0 && p.b[o] < 0xc0)
                        o += 1u + p.b[o];
                compressed += p.b[o] >= 0xc0;
        }
        assert_int_equal(compressed, 6);
}

/* ---- malformed packets ----------------------------------------------------------------- */

/* A heap copy of exactly n octets, so ASan sees any read past the end. */
static uint8_t *exact_copy(const uint8_t *b, size_t n)
{
        uint8_t *c = malloc(n ? n : 1);

        assert_non_null(c);
        memcpy(c, b, n);
        return c;
}

static void expect_bad(const uint8_t *b, size_t n, bool ldns_agrees)
{
        struct wire_reply r;
        uint8_t *c = exact_copy(b, n);

        assert_int_equal(wire_reply_parse(&r, c, n), -EBADMSG);
        free(c);
        if (ldns_agrees)
                assert_false(ldns_accepts(b, n));
}

static void t_base_is_valid(void **s)
{
        struct pb p;
        struct wire_reply r;
        (void)s;

        base_reply(&p, NULL, NULL);
        oracle_agree(p.b, p.n, &r);
        assert_txt_answer(&r, "_DMARC.example.COM", "v=DMARC1; p=none");
}

static void t_truncated(void **s)
{
        struct pb p;
        size_t qend = WIRE_HEADER_LEN + 20 + 4;
        (void)s;

        base_reply(&p, NULL, NULL);
        /* every proper prefix is malformed: header, question name, qtype, RR, rdata */
        for (size_t n = 0; n < p.n; n++)
                expect_bad(p.b, n, true);
        assert_true(qend < p.n);
        /* without the answer and with ANCOUNT 0 the question alone is fine */
        p.b[7] = 0;
        struct wire_reply r;
        assert_int_equal(wire_reply_parse(&r, p.b, qend), 0);
        assert_int_equal(r.rr_off, qend);
        assert_true(ldns_accepts(p.b, qend));
}

static void t_rdlen_overrun(void **s)
{
        struct pb p;
        size_t at;
        (void)s;

        base_reply(&p, NULL, &at);
        p.b[at + 1]++;
        expect_bad(p.b, p.n, true);
        p.b[at] = 0xff;
        expect_bad(p.b, p.n, true);
}

static void t_counts_too_large(void **s)
{
        struct pb p;
        (void)s;

        for (int field = 0; field < 4; field++) {
                base_reply(&p, NULL, NULL);
                p.b[5 + 2 * field]++;
                expect_bad(p.b, p.n, true);
        }
}

static void t_pointer_loops(void **s)
{
        struct pb p;
        size_t owner;
        (void)s;

        /* answer owner points at itself */
        base_reply(&p, &owner, NULL);
        p.b[owner] = (uint8_t)(0xc0 | owner >> 8);
        p.b[owner + 1] = (uint8_t)owner;
        expect_bad(p.b, p.n, true);

        /* two pointers pointing at each other: question ends in a pointer to the answer
         * owner, whose pointer leads back into the question */
        base_reply(&p, &owner, NULL);
        size_t com = WIRE_HEADER_LEN + 7 + 8; /* the "com" label of the question */
        p.b[com] = (uint8_t)(0xc0 | owner >> 8);
        p.b[com + 1] = (uint8_t)owner;
        p.b[owner + 1] = (uint8_t)com;
        expect_bad(p.b, p.n, true);

        /* the same cycle entered from the answer side */
        base_reply(&p, &owner, NULL);
        p.b[owner + 1] = (uint8_t)(com + 2);
        p.b[com + 2] = 0xc0;
        p.b[com + 3] = (uint8_t)owner;
        expect_bad(p.b, p.n, true);
}

/* A forward pointer to a perfectly good name: legal-looking, but no compressor emits it and
 * accepting it would let pointers cycle, so it is refused (ldns tolerates it). */
static void t_forward_pointer(void **s)
{
        struct pb p;
        struct wire_reply r;
        (void)s;

        pb_header(&p, 0x8180, 1, 1, 0, 0);
        size_t q = p.n;
        pb_u16(&p, 0); /* patched below */
        pb_u16(&p, WIRE_TYPE_TXT);
        pb_u16(&p, WIRE_CLASS_IN);
        size_t owner = p.n;
        pb_name(&p, "example.com");
        size_t at = pb_rr_fixed(&p, WIRE_TYPE_TXT, WIRE_CLASS_IN, 1);
        pb_txt_strings(&p, "x");
        pb_rr_end(&p, at);
        p.b[q] = (uint8_t)(0xc0 | owner >> 8);
        p.b[q + 1] = (uint8_t)owner;
        assert_int_equal(wire_reply_parse(&r, p.b, p.n), -EBADMSG);

        /* also a pointer into the header (ldns accepts both) */
        p.b[q + 1] = 4;
        expect_bad(p.b, p.n, false);

        /* pointing backwards is not enough: back to the start of its own name loops */
        base_reply(&p, &owner, NULL);
        p.b[owner + 1] = (uint8_t)(WIRE_HEADER_LEN + 7);
        assert_int_equal(wire_reply_parse(&r, p.b, p.n), 0);
        p.b[WIRE_HEADER_LEN + 7] = 0xc0;
        p.b[WIRE_HEADER_LEN + 8] = WIRE_HEADER_LEN;
        expect_bad(p.b, p.n, true);
}

static void long_label(struct pb *p, char c, size_t n)
{
        pb_u8(p, (unsigned)n);
        for (size_t i = 0; i < n; i++)
                pb_u8(p, (unsigned)c);
}

static void t_label_types(void **s)
{
        static const uint8_t bad[] = {64, 0x7f, 0x80, 0xbf};
        struct pb p;
        size_t owner;
        (void)s;

        /* a 64-octet label in an otherwise consistent packet */
        pb_header(&p, 0x8180, 1, 0, 0, 0);
        long_label(&p, 'a', 64);
        pb_u8(&p, 0);
        pb_u16(&p, WIRE_TYPE_TXT);
        pb_u16(&p, WIRE_CLASS_IN);
        expect_bad(p.b, p.n, true);
        p.b[WIRE_HEADER_LEN] = 63;
        p.b[WIRE_HEADER_LEN + 64] = 0;
        p.n--;
        struct wire_reply r;
        oracle_agree(p.b, p.n, &r);

        for (size_t i = 0; i < sizeof(bad); i++) {
                base_reply(&p, NULL, NULL);
                p.b[WIRE_HEADER_LEN] = bad[i];
                expect_bad(p.b, p.n, true);
                base_reply(&p, &owner, NULL);
                p.b[owner] = bad[i];
                expect_bad(p.b, p.n, true);
        }
}

/* Answer owner: a 63-octet label, then a pointer to a question of qlabels such labels. */
static void long_owner(struct pb *p, int qlabels)
{
        pb_header(p, 0x8180, 1, 1, 0, 0);
        for (int i = 0; i < qlabels; i++)
                long_label(p, 'a', 63);
        pb_u8(p, 0);
        pb_u16(p, WIRE_TYPE_TXT);
        pb_u16(p, WIRE_CLASS_IN);
        long_label(p, 'c', 63);
        pb_u16(p, 0xc000 | WIRE_HEADER_LEN);
        size_t at = pb_rr_fixed(p, WIRE_TYPE_TXT, WIRE_CLASS_IN, 1);
        pb_txt_strings(p, "x");
        pb_rr_end(p, at);
}

static void t_name_too_long(void **s)
{
        struct pb p;
        struct wire_reply r;
        uint8_t out[DS_NAME_MAX_WIRE];
        (void)s;

        /* 255 octets exactly: 63+63+63+61 labels */
        for (int extra = 0; extra < 2; extra++) {
                pb_header(&p, 0x8180, 1, 0, 0, 0);
                for (int i = 0; i < 3; i++)
                        long_label(&p, 'a', 63);
                long_label(&p, 'b', 61 + (size_t)extra);
                pb_u8(&p, 0);
                pb_u16(&p, WIRE_TYPE_TXT);
                pb_u16(&p, WIRE_CLASS_IN);
                if (extra) {
                        expect_bad(p.b, p.n, true);
                        continue;
                }
                oracle_agree(p.b, p.n, &r);
                assert_int_equal(wire_name_expand(p.b, p.n, WIRE_HEADER_LEN, out, 255), 255);
                assert_int_equal(wire_name_expand(p.b, p.n, WIRE_HEADER_LEN, out, 254), -EMSGSIZE);
        }

        /* over 255 only once expanded: a long label in front of a pointer to a long name */
        long_owner(&p, 2);
        oracle_agree(p.b, p.n, &r);
        long_owner(&p, 3);
        expect_bad(p.b, p.n, true);
}

/* DS_PTR_HOPS_MAX pointers may be followed, one more may not. The chain lives in the rdata
 * of an unknown-type record: each pointer targets the one before it, the first the root. */
static void pointer_chain(struct pb *p, unsigned ptrs)
{
        pb_header(p, 0x8180, 1, 2, 0, 0);
        pb_u8(p, 0); /* question: root */
        pb_u16(p, WIRE_TYPE_TXT);
        pb_u16(p, WIRE_CLASS_IN);
        pb_u8(p, 0);
        size_t at = pb_rr_fixed(p, 65280, WIRE_CLASS_IN, 1);
        size_t prev = WIRE_HEADER_LEN;
        for (unsigned i = 0; i + 1 < ptrs; i++) {
                size_t here = p->n;
                pb_u16(p, 0xc000 | (unsigned)prev);
                prev = here;
        }
        pb_rr_end(p, at);
        pb_u16(p, 0xc000 | (unsigned)prev);
        at = pb_rr_fixed(p, WIRE_TYPE_A, WIRE_CLASS_IN, 1);
        pb_u32(p, 0xc0000201);
        pb_rr_end(p, at);
}

static void t_pointer_hops(void **s)
{
        struct pb p;
        struct wire_reply r;
        (void)s;

        pointer_chain(&p, DS_PTR_HOPS_MAX);
        oracle_agree(p.b, p.n, &r);
        pointer_chain(&p, DS_PTR_HOPS_MAX + 1);
        assert_int_equal(wire_reply_parse(&r, p.b, p.n), -EBADMSG);
}

static void t_txt_overrun(void **s)
{
        struct pb p;
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        uint8_t out[64];
        size_t at;
        (void)s;

        /* the string claims 2 more octets than rdlen: they exist in the packet (a trailing
         * additional record), so only the rdata bound catches it */
        base_reply(&p, NULL, &at);
        p.b[11] = 1;
        pb_u8(&p, 0);
        size_t a = pb_rr_fixed(&p, WIRE_TYPE_A, WIRE_CLASS_IN, 1);
        pb_u32(&p, 0xc0000201);
        pb_rr_end(&p, a);
        oracle_agree(p.b, p.n, &r);
        p.b[at + 2] += 2;
        expect_bad(p.b, p.n, true);

        /* wire_txt_join checks on its own too, for data changed after the parse */
        p.b[at + 2] -= 2;
        assert_int_equal(wire_reply_parse(&r, p.b, p.n), 0);
        wire_rr_iter_init(&it, &r);
        assert_int_equal(wire_rr_next(&it, &rr), 1);
        assert_int_equal(wire_txt_join(&r, &rr, out, sizeof(out)), 16);
        assert_int_equal(wire_txt_join(&r, &rr, out, 15), -EMSGSIZE);
        p.b[at + 2] += 1;
        assert_int_equal(wire_txt_join(&r, &rr, out, sizeof(out)), -EBADMSG);
}

static void opt_rr(struct pb *p, const char *owner)
{
        pb_name(p, owner);
        size_t at = pb_rr_fixed(p, WIRE_TYPE_OPT, 1232, 0);
        pb_rr_end(p, at);
}

/* RFC 6891 6.1.1; ldns accepts all three bad cases below. */
static void t_opt_rules(void **s)
{
        struct pb p;
        struct wire_reply r;
        (void)s;

        base_reply(&p, NULL, NULL);
        p.b[11] = 1;
        opt_rr(&p, "");
        oracle_agree(p.b, p.n, &r);
        assert_true(r.has_opt);
        assert_int_equal(r.udp_payload, 1232);

        p.b[11] = 2;
        opt_rr(&p, "");
        expect_bad(p.b, p.n, false);

        base_reply(&p, NULL, NULL);
        p.b[11] = 1;
        opt_rr(&p, "example.com");
        expect_bad(p.b, p.n, false);

        /* OPT belongs in the additional section only */
        base_reply(&p, NULL, NULL);
        p.b[7] = 2;
        opt_rr(&p, "");
        expect_bad(p.b, p.n, false);
}

static void t_cname_rdata_checked(void **s)
{
        struct pb p;
        struct wire_reply r;
        (void)s;

        pb_header(&p, 0x8180, 1, 1, 0, 0);
        pb_name(&p, "a.example");
        pb_u16(&p, WIRE_TYPE_TXT);
        pb_u16(&p, WIRE_CLASS_IN);
        pb_u16(&p, 0xc000 | WIRE_HEADER_LEN);
        size_t at = pb_rr_fixed(&p, WIRE_TYPE_CNAME, WIRE_CLASS_IN, 1);
        pb_name(&p, "b.example");
        pb_rr_end(&p, at);
        oracle_agree(p.b, p.n, &r);
        /* rdlen one longer than the name, with the extra octet present (ldns lets the
         * junk through) */
        p.b[at + 1]++;
        pb_u8(&p, 0);
        expect_bad(p.b, p.n, false);
        /* a reserved label type inside the target */
        p.b[at + 1]--;
        p.n--;
        p.b[at + 2] = 0x41;
        expect_bad(p.b, p.n, true);
}

/* MX rdata: a preference and exactly one name, compressed or not. */
static void mx_rr(struct pb *p, unsigned pref, const char *host, bool pointer)
{
        size_t at = pb_rr_fixed(p, WIRE_TYPE_MX, WIRE_CLASS_IN, 1);
        pb_u16(p, pref);
        if (pointer)
                pb_u16(p, 0xc000 | WIRE_HEADER_LEN);
        else
                pb_name(p, host);
        pb_rr_end(p, at);
}

static int mx_of(const struct pb *p, unsigned index, uint16_t *pref, uint8_t *out, size_t cap)
{
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        assert_int_equal(wire_reply_parse(&r, p->b, p->n), 0);
        wire_rr_iter_init(&it, &r);
        for (unsigned i = 0; i <= index; i++)
                assert_int_equal(wire_rr_next(&it, &rr), 1);
        return wire_mx_read(&r, &rr, pref, out, cap);
}

static void t_mx_rdata(void **s)
{
        struct pb p;
        uint8_t name[DS_NAME_MAX_WIRE], want[DS_NAME_MAX_WIRE];
        uint16_t pref = 0;
        (void)s;

        pb_header(&p, 0x8180, 1, 3, 0, 0);
        pb_name(&p, "a.example");
        pb_u16(&p, WIRE_TYPE_MX);
        pb_u16(&p, WIRE_CLASS_IN);
        pb_u16(&p, 0xc000 | WIRE_HEADER_LEN);
        mx_rr(&p, 10, "mx.a.example", false);
        pb_u16(&p, 0xc000 | WIRE_HEADER_LEN);
        mx_rr(&p, 20, NULL, true);
        pb_u16(&p, 0xc000 | WIRE_HEADER_LEN);
        mx_rr(&p, 0, "", false);
        assert_true(ldns_accepts(p.b, p.n));
        size_t wl = name_of("mx.a.example", want);
        assert_int_equal(mx_of(&p, 0, &pref, name, sizeof(name)), (int)wl);
        assert_int_equal(pref, 10);
        assert_memory_equal(name, want, wl);
        wl = name_of("a.example", want);
        assert_int_equal(mx_of(&p, 1, &pref, name, sizeof(name)), (int)wl);
        assert_int_equal(pref, 20);
        assert_memory_equal(name, want, wl);
        assert_int_equal(mx_of(&p, 2, &pref, name, sizeof(name)), 1); /* the null MX's "." */
        assert_int_equal(pref, 0);
        assert_int_equal(name[0], 0);
        assert_int_equal(mx_of(&p, 0, &pref, name, 5), -EMSGSIZE);

        /* rdata that is not exactly a preference and a name */
        size_t at = p.n - 5; /* the null MX's rdlen: 3 */
        assert_int_equal(p.b[at + 1], 3);
        pb_u8(&p, 0); /* one octet of junk after the name, inside rdlen */
        p.b[at + 1] = 4;
        assert_int_equal(mx_of(&p, 2, &pref, name, sizeof(name)), -EBADMSG);
        /* a preference and no name */
        pb_header(&p, 0x8180, 1, 1, 0, 0);
        pb_name(&p, "a.example");
        pb_u16(&p, WIRE_TYPE_MX);
        pb_u16(&p, WIRE_CLASS_IN);
        pb_u16(&p, 0xc000 | WIRE_HEADER_LEN);
        at = pb_rr_fixed(&p, WIRE_TYPE_MX, WIRE_CLASS_IN, 1);
        pb_u16(&p, 10);
        pb_rr_end(&p, at);
        assert_int_equal(mx_of(&p, 0, &pref, name, sizeof(name)), -EBADMSG);
        /* a name running past the rdata's end */
        pb_name(&p, "mx");
        p.b[at + 1] = 3;
        assert_int_equal(mx_of(&p, 0, &pref, name, sizeof(name)), -EBADMSG);
        p.b[at + 1] = 6;
        assert_int_equal(mx_of(&p, 0, &pref, name, sizeof(name)), 4);
        /* not an MX */
        base_reply(&p, NULL, NULL);
        assert_int_equal(mx_of(&p, 0, &pref, name, sizeof(name)), -EINVAL);
}

static void t_query_flag(void **s)
{
        struct pb p;
        (void)s;

        base_reply(&p, NULL, NULL);
        p.b[2] &= 0x7f;
        expect_bad(p.b, p.n, false);
}

/* ---- query encoding -------------------------------------------------------------------- */

static void query_check(const char *text, uint16_t id, uint16_t qtype, unsigned flags)
{
        bool rd = flags & WIRE_Q_RD;
        uint8_t name[DS_NAME_MAX_WIRE], q[DS_QUERY_MAX];
        ldns_pkt *lp = NULL;
        size_t nl = name_of(text, name);
        int n = wire_query_encode(q, sizeof(q), id, name, nl, qtype, flags);

        assert_int_equal(n, (int)(WIRE_HEADER_LEN + nl + 4 + 11));
        assert_int_equal(ldns_wire2pkt(&lp, q, (size_t)n), LDNS_STATUS_OK);
        assert_int_equal(ldns_pkt_id(lp), id);
        assert_int_equal(wire_id(q), id);
        assert_false(ldns_pkt_qr(lp));
        assert_int_equal(ldns_pkt_rd(lp), rd);
        assert_false(ldns_pkt_tc(lp));
        assert_false(wire_tc(q));
        assert_int_equal(ldns_pkt_get_opcode(lp), LDNS_PACKET_QUERY);
        assert_int_equal(ldns_pkt_qdcount(lp), 1);
        assert_int_equal(ldns_pkt_ancount(lp) + ldns_pkt_nscount(lp) + ldns_pkt_arcount(lp), 0);
        const ldns_rr *qr = ldns_rr_list_rr(ldns_pkt_question(lp), 0);
        assert_int_equal(ldns_rdf_size(ldns_rr_owner(qr)), nl);
        assert_memory_equal(ldns_rdf_data(ldns_rr_owner(qr)), name, nl);
        assert_int_equal(ldns_rr_get_type(qr), qtype);
        assert_int_equal(ldns_rr_get_class(qr), LDNS_RR_CLASS_IN);
        assert_true(ldns_pkt_edns(lp));
        assert_int_equal(ldns_pkt_edns_udp_size(lp), DS_EDNS_PAYLOAD);
        assert_int_equal(ldns_pkt_edns_version(lp), 0);
        assert_int_equal(ldns_pkt_edns_do(lp), (flags & WIRE_Q_DO) != 0);
        assert_int_equal(ldns_pkt_cd(lp), (flags & WIRE_Q_CD) != 0);
        assert_false(ldns_pkt_ad(lp));
        assert_int_equal(ldns_pkt_edns_z(lp) & 0x7fff, 0); /* DO is the only EDNS flag set */
        assert_int_equal(ldns_pkt_edns_extended_rcode(lp), 0);
        ldns_pkt_free(lp);
        assert_int_equal(wire_query_encode(q, (size_t)n - 1, id, name, nl, qtype, flags),
                         -EMSGSIZE);
}

static void t_query_encode(void **s)
{
        uint8_t q[DS_QUERY_MAX], name[DS_NAME_MAX_WIRE];
        char longest[DS_NAME_MAX_TEXT + 1];
        (void)s;

        query_check("_dmarc.example.com", 0x0001, WIRE_TYPE_TXT, WIRE_Q_RD);
        query_check("_DMARC.Example.COM", 0xfffe, WIRE_TYPE_TXT, 0);
        query_check(".", 0x8000, WIRE_TYPE_NS, WIRE_Q_RD);
        query_check("example.com", 7, WIRE_TYPE_SOA, WIRE_Q_RD | WIRE_Q_DO);
        query_check("example.com", 7, WIRE_TYPE_SOA, WIRE_Q_RD | WIRE_Q_CD);
        query_check("example.com", 7, WIRE_TYPE_SOA, WIRE_Q_RD | WIRE_Q_DO | WIRE_Q_CD);
        query_check("example.com", 7, WIRE_TYPE_SOA, WIRE_Q_DO);
        memset(longest, 'x', DS_NAME_MAX_TEXT);
        longest[DS_NAME_MAX_TEXT] = '\0';
        for (int i = 63; i < DS_NAME_MAX_TEXT; i += 64)
                longest[i] = '.';
        query_check(longest, 42, WIRE_TYPE_TXT, WIRE_Q_RD);
        /* qname must be one well-formed uncompressed name filling qname_len */
        size_t nl = name_of("example.com", name);
        assert_int_equal(wire_query_encode(q, sizeof(q), 1, name, nl - 1, 16, true), -EINVAL);
        assert_int_equal(wire_query_encode(q, sizeof(q), 1, name, nl + 1, 16, true), -EINVAL);
        name[0] = 0xc0;
        assert_int_equal(wire_query_encode(q, sizeof(q), 1, name, nl, 16, true), -EINVAL);
        assert_int_equal(wire_query_encode(q, sizeof(q), 1, name, 0, 16, true), -EINVAL);
}

static int under(const char *name, const char *zone)
{
        uint8_t n[DS_NAME_MAX_WIRE], z[DS_NAME_MAX_WIRE];
        size_t nl = name_of(name, n), zl = name_of(zone, z);
        return wire_name_under(n, nl, z, zl);
}

static void t_name_under(void **s)
{
        (void)s;
        assert_int_equal(under("example.com", "example.com"), 1);
        assert_int_equal(under("_dmarc.EXAMPLE.com", "example.Com"), 1);
        assert_int_equal(under("a.b.example.com", "example.com"), 1);
        assert_int_equal(under("anything.test", "."), 1);
        assert_int_equal(under(".", "."), 1);
        assert_int_equal(under("notexample.com", "example.com"), 0); /* not at a label */
        assert_int_equal(under("com", "example.com"), 0);
        assert_int_equal(under("example.net", "example.com"), 0);
        assert_int_equal(under(".", "com"), 0);
        /* a label whose last bytes look like the zone's wire form is still no suffix */
        uint8_t n[] = {4, 'a', 2, 'e', 'x', 0}, z[] = {2, 'e', 'x', 0};
        assert_int_equal(wire_name_under(n, sizeof(n), z, sizeof(z)), 0);
        uint8_t broken[] = {5, 'a', 0};
        assert_int_equal(wire_name_under(broken, sizeof(broken), z, sizeof(z)), -EINVAL);
        assert_int_equal(wire_name_under(z, sizeof(z), broken, sizeof(broken)), -EINVAL);
}

/* ---- names as text ---------------------------------------------------------------------- */

static void round_trip(const char *text, const char *back)
{
        uint8_t w[DS_NAME_MAX_WIRE];
        char t[DS_NAME_MAX_TEXT + 2];
        ldns_rdf *rdf = NULL;
        int n = wire_name_from_text(text, w, sizeof(w));

        assert_true(n > 0);
        assert_int_equal(ldns_str2rdf_dname(&rdf, text), LDNS_STATUS_OK);
        assert_int_equal(ldns_rdf_size(rdf), (size_t)n);
        assert_memory_equal(ldns_rdf_data(rdf), w, (size_t)n);
        ldns_rdf_deep_free(rdf);
        assert_int_equal(wire_name_to_text(w, (size_t)n, t, sizeof(t)), (int)strlen(back));
        assert_string_equal(t, back);
        /* the exact size (text plus NUL) fits, one less does not */
        assert_int_equal(wire_name_to_text(w, (size_t)n, t, strlen(back) + 1), (int)strlen(back));
        assert_int_equal(wire_name_to_text(w, (size_t)n, t, strlen(back)), -EMSGSIZE);
        assert_int_equal(wire_name_from_text(text, w, (size_t)n - 1), -EMSGSIZE);
}

static void t_name_text(void **s)
{
        char buf[300], t[300];
        uint8_t w[DS_NAME_MAX_WIRE + 8];
        (void)s;

        round_trip("example.com", "example.com");
        round_trip("Example.COM.", "Example.COM");
        round_trip("_dmarc.x-y.example", "_dmarc.x-y.example");
        round_trip(".", ".");
        round_trip("a", "a");

        /* 63-octet label fine, 64 not */
        memset(buf, 'l', 63);
        strcpy(buf + 63, ".com");
        round_trip(buf, buf);
        memset(buf, 'l', 64);
        strcpy(buf + 64, ".com");
        assert_int_equal(wire_name_from_text(buf, w, sizeof(w)), -EINVAL);

        /* 253 characters fine (with or without the trailing dot), 254 not */
        memset(buf, 'n', 253);
        buf[253] = '\0';
        for (int i = 63; i < 253; i += 64)
                buf[i] = '.';
        round_trip(buf, buf);
        strcpy(buf + 253, ".");
        assert_int_equal(wire_name_from_text(buf, w, sizeof(w)), 255);
        buf[253] = 'n';
        buf[254] = '\0';
        assert_int_equal(wire_name_from_text(buf, w, sizeof(w)), -EINVAL);

        static const char *const bad[] = {"a..b", ".a", "..", "", "a.b..", "a\\.b"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                assert_int_equal(wire_name_from_text(bad[i], w, sizeof(w)), -EINVAL);

        /* to_text escapes what would be ambiguous or unprintable */
        static const uint8_t odd[] = {4, 'a', '.', ' ', 0xff, 2, '\\', 'B', 0};
        assert_int_equal(wire_name_to_text(odd, sizeof(odd), t, sizeof(t)), 19);
        assert_string_equal(t, "a\\046\\032\\255.\\092B");
        static const uint8_t no_root[] = {1, 'a'};
        assert_int_equal(wire_name_to_text(no_root, sizeof(no_root), t, sizeof(t)), -EINVAL);
        static const uint8_t trailing[] = {1, 'a', 0, 0};
        assert_int_equal(wire_name_to_text(trailing, sizeof(trailing), t, sizeof(t)), -EINVAL);
        static const uint8_t pointer[] = {1, 'a', 0xc0, 12};
        assert_int_equal(wire_name_to_text(pointer, sizeof(pointer), t, sizeof(t)), -EINVAL);
}

/* ---- question match ----------------------------------------------------------------------- */

/* A reply whose question is the one label lab[0, n) under "com", type TXT. */
static size_t one_label_reply(uint8_t *pkt, const uint8_t *lab, size_t n)
{
        static const uint8_t hdr[12] = {0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0};
        static const uint8_t tail[9] = {3, 'c', 'o', 'm', 0, 0, WIRE_TYPE_TXT, 0, WIRE_CLASS_IN};
        memcpy(pkt, hdr, sizeof(hdr));
        pkt[12] = (uint8_t)n;
        memcpy(pkt + 13, lab, n);
        memcpy(pkt + 13 + n, tail, sizeof(tail));
        return 13 + n + sizeof(tail);
}

/* Labels are compared a word at a time (overlapping words, halves under 8 bytes): at every
 * length and every position, a letter in the other case still matches, and a byte 0x20 away
 * that is not a letter's other case (or a different letter) does not. */
static void t_question_case_every_length(void **s)
{
        static const char pattern[] = "aBc9_-XyZ0mNoPqRsT";
        static const uint8_t not_case[][2] = {
            {'@', '`'},   {'[', '{'},   {'\\', '|'},  {']', '}'},   {'^', '~'},
            {0x01, 0x21}, {0x7f, 0x5f}, {0xc1, 0xe1}, {0xda, 0xfa}, {'a', 'b'}};
        uint8_t lab[DS_LABEL_MAX], q[DS_LABEL_MAX + 6], pkt[DS_LABEL_MAX + 40];
        (void)s;
        for (size_t n = 1; n <= DS_LABEL_MAX; n++) {
                for (size_t i = 0; i < n; i++)
                        lab[i] = (uint8_t)pattern[i % (sizeof(pattern) - 1)];
                size_t len = one_label_reply(pkt, lab, n);
                for (size_t pos = 0; pos < n; pos++) {
                        /* q is the packet's question name, one byte changed */
                        memcpy(q, pkt + 12, n + 6);
                        uint8_t c = lab[pos];
                        bool letter = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
                        q[1 + pos] = letter ? c ^ 0x20 : c;
                        assert_int_equal(
                            wire_question_match(pkt, len, q, n + 6, WIRE_TYPE_TXT, false), 1);
                        assert_int_equal(
                            wire_question_match(pkt, len, q, n + 6, WIRE_TYPE_TXT, true),
                            letter ? 0 : 1);
                        for (size_t k = 0; k < sizeof(not_case) / sizeof(not_case[0]); k++) {
                                uint8_t keep = pkt[13 + pos];
                                pkt[13 + pos] = not_case[k][0];
                                q[1 + pos] = not_case[k][1];
                                if (wire_question_match(pkt, len, q, n + 6, WIRE_TYPE_TXT, false) !=
                                    0)
                                        fail_msg("length %zu, position %zu: 0x%02x matched 0x%02x",
                                                 n, pos, not_case[k][0], not_case[k][1]);
                                pkt[13 + pos] = keep;
                        }
                }
        }
}

static void t_question_match(void **s)
{
        struct pb p;
        uint8_t q[DS_NAME_MAX_WIRE], other[DS_NAME_MAX_WIRE];
        (void)s;

        base_reply(&p, NULL, NULL);
        size_t ql = name_of("_dmarc.example.com", q);
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), 1);
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, true), 1);

        ql = name_of("_DMARC.Example.COM", q);
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), 1);
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, true), 0);
        /* case folding is ASCII letters only: '_' (0x5f) is not 0x7f's upper case */
        ql = name_of("\x7f"
                     "dmarc.example.com",
                     q);
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), 0);

        ql = name_of("_dmarc.example.com", q);
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_A, false), 0);
        static const char *const others[] = {"_dmarc.example.org", "_dmarc.example.co",
                                             "_dmarc.example.com.x", "example.com",
                                             "_dmarc.examplf.com"};
        for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
                size_t ol = name_of(others[i], other);
                assert_int_equal(wire_question_match(p.b, p.n, other, ol, WIRE_TYPE_TXT, false), 0);
        }

        /* every truncation of a matching reply is malformed, none a match */
        size_t full = WIRE_HEADER_LEN + ql + 4;
        for (size_t n = 0; n < full; n++) {
                uint8_t *c = exact_copy(p.b, n);
                assert_int_equal(wire_question_match(c, n, q, ql, WIRE_TYPE_TXT, false), -EBADMSG);
                free(c);
        }
        assert_int_equal(wire_question_match(p.b, full, q, ql, WIRE_TYPE_TXT, false), 1);

        /* class CH */
        p.b[full - 1] = 3;
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), 0);
        p.b[full - 1] = 1;
        /* not a response */
        p.b[2] &= 0x7f;
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), 0);
        p.b[2] |= 0x80;
        /* QDCOUNT other than one */
        p.b[5] = 2;
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), 0);
        p.b[5] = 1;
        /* bad arguments: qname without its root octet */
        assert_int_equal(wire_question_match(p.b, p.n, q, ql - 1, WIRE_TYPE_TXT, false), -EINVAL);
        /* a compressed question cannot point anywhere valid */
        p.b[WIRE_HEADER_LEN + 7] = 0xc0;
        p.b[WIRE_HEADER_LEN + 8] = WIRE_HEADER_LEN;
        assert_int_equal(wire_question_match(p.b, p.n, q, ql, WIRE_TYPE_TXT, false), -EBADMSG);
}

static void t_rcode_names(void **s)
{
        static const char *const want[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                           "NXRRSET", "NOTAUTH", "NOTZONE"};
        (void)s;

        for (int i = 0; i < 11; i++)
                assert_string_equal(wire_rcode_name(i), want[i]);
        assert_string_equal(wire_rcode_name(11), "RCODE11");
        assert_string_equal(wire_rcode_name(16), "BADVERS");
        assert_string_equal(wire_rcode_name(17), "RCODE17");
        assert_string_equal(wire_rcode_name(23), "RCODE23");
        assert_string_equal(wire_rcode_name(24), "RCODE?");
        assert_string_equal(wire_rcode_name(-1), "RCODE?");
        assert_ptr_equal(wire_rcode_name(2), wire_rcode_name(2));
}

/* ---- mutation robustness ------------------------------------------------------------------ */

static uint64_t rnd(uint64_t *st)
{
        uint64_t x = *st;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *st = x;
        return x * 0x2545f4914f6cdd1dull;
}

static size_t mutate(uint8_t *b, size_t n, size_t cap, uint64_t *st)
{
        unsigned edits = 1 + (unsigned)(rnd(st) % 4);

        for (unsigned e = 0; e < edits && n > 0; e++) {
                size_t at = (size_t)(rnd(st) % n);
                uint64_t v = rnd(st);
                switch (v % 8) {
                case 0:
                        b[at] = (uint8_t)(v >> 8);
                        break;
                case 1:
                        b[at] ^= (uint8_t)(1u << (v >> 8) % 8);
                        break;
                case 2:
                        n = (size_t)(v >> 8) % (n + 1);
                        break;
                case 3: /* a pointer somewhere, often near the target */
                        b[at] = (uint8_t)(0xc0 | ((v >> 8) & 1));
                        if (at + 1 < n)
                                b[at + 1] = (uint8_t)(v >> 16);
                        break;
                case 4: /* header counts */
                        b[(4 + (v >> 8) % 8) % n] += (uint8_t)(1 + (v >> 16) % 3);
                        break;
                case 5: /* lengths at label-type boundaries */
                        b[at] = (uint8_t)(0x3e + (v >> 8) % 4) | (uint8_t)((v >> 16) & 0x80);
                        break;
                case 6:
                        b[at] = (uint8_t)(b[at] + 1 - (int)((v >> 8) % 3));
                        break;
                default:
                        if (n < cap)
                                b[n++] = (uint8_t)(v >> 8);
                        break;
                }
        }
        return n;
}

/* After an accepted parse nothing may fail; returns the number of records seen. */
static unsigned exercise(const uint8_t *b, size_t n, const struct wire_reply *r, uint64_t i)
{
        static uint8_t txt[DS_TXT_MAX];
        uint8_t name[DS_NAME_MAX_WIRE], q[DS_NAME_MAX_WIRE];
        struct wire_rr_iter it;
        struct wire_rr rr;
        unsigned seen = 0;
        size_t ql = 1;
        int k, hops;

        q[0] = 0;
        if (r->qdcount) {
                int m = wire_name_expand(b, n, r->qname_off, q, sizeof(q));
                if (m <= 0)
                        fail_msg("iteration %llu: qname expand %d", (unsigned long long)i, m);
                ql = (size_t)m;
        }
        wire_rr_iter_init(&it, r);
        while ((k = wire_rr_next(&it, &rr)) == 1) {
                seen++;
                int m = wire_name_expand(b, n, rr.owner_off, name, sizeof(name));
                if (m <= 0 || wire_name_equal(b, n, rr.owner_off, name, (size_t)m) != 1)
                        fail_msg("iteration %llu: owner %d", (unsigned long long)i, m);
                if (rr.type == WIRE_TYPE_TXT && wire_txt_join(r, &rr, txt, sizeof(txt)) < 0)
                        fail_msg("iteration %llu: txt", (unsigned long long)i);
                if (rr.type == WIRE_TYPE_CNAME &&
                    wire_name_expand(b, n, rr.rdata_off, name, sizeof(name)) <= 0)
                        fail_msg("iteration %llu: cname target", (unsigned long long)i);
        }
        if (k != 0 || seen != (unsigned)r->ancount + r->nscount + r->arcount)
                fail_msg("iteration %llu: iteration ended with %d", (unsigned long long)i, k);
        k = wire_cname_chase(r, q, ql, name, sizeof(name), &hops);
        if ((k <= 0 && k != -ELOOP) || hops > DS_CNAME_HOPS_MAX)
                fail_msg("iteration %llu: chase %d", (unsigned long long)i, k);
        /* the parse validated the question, so the fast matcher must agree with it */
        if (r->qdcount == 1 &&
            wire_question_match(b, n, q, ql, r->qtype, true) != (r->qclass == WIRE_CLASS_IN))
                fail_msg("iteration %llu: question match", (unsigned long long)i);
        return seen;
}

static size_t seed_packets(struct pb *seeds)
{
        size_t k = 0;

        base_reply(&seeds[k++], NULL, NULL);
        ldns_pkt *lp = lp_reply("_dmarc.a.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
        for (int i = 0; i < 3; i++)
                lp_add(lp, LDNS_SECTION_ANSWER, chain[i]);
        ldns_pkt_set_edns_udp_size(lp, 1232);
        lp_wire(lp, &seeds[k++]);
        lp = lp_reply("_dmarc.nope.example.", LDNS_RR_TYPE_TXT, LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example. 900 IN SOA ns1.example. hostmaster.example. 1 2 3 4 5");
        lp_wire(lp, &seeds[k++]);
        lp = lp_reply("www.sub.example.com.", LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "www.sub.example.com. 60 IN CNAME web.sub.example.com.");
        lp_add(lp, LDNS_SECTION_ANSWER, "web.sub.example.com. 60 IN TXT \"a\" \"bc\" \"\"");
        lp_add(lp, LDNS_SECTION_AUTHORITY, "sub.example.com. 60 IN NS ns2.sub.example.com.");
        lp_add(lp, LDNS_SECTION_ADDITIONAL, "ns2.sub.example.com. 60 IN A 192.0.2.53");
        lp_wire(lp, &seeds[k++]);
        cname_ring(&seeds[k++], 3, true);
        return k;
}

static void t_mutation(void **s)
{
        static struct pb seeds[8];
        static uint8_t buf[PKT_CAP];
        uint64_t st = 0x5eed0fd5ca11ab1eull;
        unsigned long accepted = 0, rejected = 0, records = 0;
        (void)s;

        size_t nseeds = seed_packets(seeds);
        for (uint64_t i = 0; i < 200000; i++) {
                const struct pb *sd = &seeds[i % nseeds];
                struct wire_reply r;
                memcpy(buf, sd->b, sd->n);
                size_t n = mutate(buf, sd->n, sd->n + 16, &st);
                uint8_t *c = exact_copy(buf, n);
                int k = wire_reply_parse(&r, c, n);
                if (k == 0) {
                        accepted++;
                        records += exercise(c, n, &r, i);
                } else if (k == -EBADMSG) {
                        rejected++;
                } else {
                        fail_msg("iteration %llu: parse returned %d", (unsigned long long)i, k);
                }
                free(c);
        }
        /* both outcomes must be common, or the run proved nothing */
        assert_true(accepted > 20000);
        assert_true(rejected > 20000);
        assert_true(records > accepted);
}

/* A late reply to another query on a reused id: its question may have a label longer than
 * what is left of ours. That is a mismatch (0), never "malformed". */
static void t_question_other_label_lengths(void **state)
{
        (void)state;
        uint8_t ours[DS_NAME_MAX_WIRE], theirs[DS_NAME_MAX_WIRE], pkt[DS_QUERY_MAX];
        int on = wire_name_from_text("_dmarc.a.test", ours, sizeof(ours));
        int tn = wire_name_from_text("_dmarc.a-much-longer-label.test", theirs, sizeof(theirs));
        assert_true(on > 0 && tn > 0);
        int n = wire_query_encode(pkt, sizeof(pkt), 7, theirs, (size_t)tn, WIRE_TYPE_TXT, true);
        assert_true(n > 0);
        pkt[2] |= 0x80; /* make it a response */
        assert_int_equal(
            wire_question_match(pkt, (size_t)n, ours, (size_t)on, WIRE_TYPE_TXT, false), 0);
        int sn = wire_name_from_text("_dmarc.a", theirs, sizeof(theirs));
        n = wire_query_encode(pkt, sizeof(pkt), 7, theirs, (size_t)sn, WIRE_TYPE_TXT, true);
        pkt[2] |= 0x80;
        assert_int_equal(
            wire_question_match(pkt, (size_t)n, ours, (size_t)on, WIRE_TYPE_TXT, false), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_txt_simple),
            cmocka_unit_test(t_txt_multistring),
            cmocka_unit_test(t_txt_several),
            cmocka_unit_test(t_cname_chain_in_order),
            cmocka_unit_test(t_cname_chain_out_of_order),
            cmocka_unit_test(t_cname_chain_no_txt),
            cmocka_unit_test(t_cname_outside_answer),
            cmocka_unit_test(t_cname_limits),
            cmocka_unit_test(t_nxdomain_soa),
            cmocka_unit_test(t_nodata),
            cmocka_unit_test(t_edns),
            cmocka_unit_test(t_large_txt),
            cmocka_unit_test(t_compression),
            cmocka_unit_test(t_base_is_valid),
            cmocka_unit_test(t_truncated),
            cmocka_unit_test(t_rdlen_overrun),
            cmocka_unit_test(t_counts_too_large),
            cmocka_unit_test(t_pointer_loops),
            cmocka_unit_test(t_forward_pointer),
            cmocka_unit_test(t_label_types),
            cmocka_unit_test(t_name_too_long),
            cmocka_unit_test(t_pointer_hops),
            cmocka_unit_test(t_txt_overrun),
            cmocka_unit_test(t_opt_rules),
            cmocka_unit_test(t_cname_rdata_checked),
            cmocka_unit_test(t_mx_rdata),
            cmocka_unit_test(t_query_flag),
            cmocka_unit_test(t_query_encode),
            cmocka_unit_test(t_name_under),
            cmocka_unit_test(t_name_text),
            cmocka_unit_test(t_question_match),
            cmocka_unit_test(t_question_case_every_length),
            cmocka_unit_test(t_question_other_label_lengths),
            cmocka_unit_test(t_rcode_names),
            cmocka_unit_test(t_mutation),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

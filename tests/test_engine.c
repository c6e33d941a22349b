/* test_engine.c -- dns/engine.c against an in-process fake DNS server.
 * Contract: the fake is a UDP socket on 127.0.0.1 in the engine's own uv loop; it decodes
 * each query by hand and answers by a script chosen by the first label of the name (final
 * answers, SERVFAIL/REFUSED, drops, duplicates, late and forged replies). Each test checks
 * what ops->done() received (status, rcode, attempts, resolver), the engine's counters and
 * the resolver stats. Timeouts only make drops observable; no test asserts a duration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns/engine.h"
#include "dns/limits.h"
#include "dns/udp.h"
#include "dns/wire.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <string.h>
#include <uv.h>

#define SAFETY_MS   20000 /* a test that is not finished by then has failed */
#define MAX_COUNTED 64    /* names whose queries the fake counts */
#define MAX_DELAYED 8
/* The short per-attempt timeout that makes a drop observable. It is well above loopback
 * round trips even on a loaded box (a reply read after a stall this long would count as a
 * timeout), and the late reply comes well after it. */
#define SHORT_MS 300
#define LATE_MS  1000

struct ctx;

struct delayed {
        uv_timer_t timer;
        struct fake *f;
        bool busy;
        uint8_t buf[512];
        size_t len;
        struct sockaddr_in to;
};

struct fake {
        struct ctx *c;
        uv_udp_t sock; /* the resolver */
        uv_udp_t alt;  /* another port, for replies from the wrong source */
        bool open;
        uint16_t port;
        bool drop_all;
        unsigned received;
        struct {
                char name[DS_NAME_MAX_TEXT + 2];
                unsigned n;
        } counted[MAX_COUNTED];
        unsigned ncounted;
        struct delayed delayed[MAX_DELAYED];
        unsigned delayed_sent;
        unsigned send_errors;
        uint16_t last_flags, last_arcount;
};

/* A query as the fake decoded it. */
struct fq {
        const uint8_t *pkt;
        size_t len;
        uint16_t id;
        const uint8_t *qname;
        size_t qname_len;
        uint16_t qtype, qclass;
        char name[DS_NAME_MAX_TEXT + 2];
        char first[DS_LABEL_MAX + 1]; /* first label, lower case */
        struct sockaddr_in from;
};

struct got {
        unsigned n;
        enum engine_status status;
        int rcode;
        unsigned attempts;
        unsigned resolver;
        bool tc;
        char txt[256];
};

struct ctx {
        uv_loop_t loop;
        struct engine *e;
        struct resolver_list rl;
        struct fake fake[2];
        unsigned nfakes;
        uv_timer_t poll, safety;
        bool timed_out;
        char error[512]; /* first failed check inside a callback */
        bool (*finished)(struct ctx *c);

        /* the lookups: names[i] or fmt with i, token i */
        const char *const *names;
        const char *fmt;
        unsigned nnames, next;
        uint16_t qtype;
        bool admit_off;
        unsigned concurrency;
        unsigned admitted, admit_calls, max_inflight;
        struct got *got;
        unsigned ndone;
        /* look-ahead hints (engine_ops.prefetch): how many, and how many named a token not
         * in flight or a reply shorter than a header */
        unsigned prefetches, prefetch_bad;

        /* a reply the fake holds back until the engine has dropped `held_after` datagrams */
        uint8_t held[512];
        size_t held_len;
        struct sockaddr_in held_to;
        uint64_t held_after;
        bool held_sent;
};

__attribute__((format(printf, 2, 3))) static void ctx_fail(struct ctx *c, const char *fmt, ...)
{
        if (!c->error[0]) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(c->error, sizeof c->error, fmt, ap);
                va_end(ap);
        }
        uv_stop(&c->loop);
}

/* Checks inside libuv callbacks must not longjmp out of uv_run: record and stop instead. */
#define CHECK(c, cond)                                                                             \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        ctx_fail((c), "%s:%d: check failed: %s", __FILE__, __LINE__, #cond);       \
        } while (0)

/* ---- DNS packets, by hand ----------------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static uint8_t *put16(uint8_t *p, unsigned v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
        return p + 2;
}

/* A query: QR=0, one question with an uncompressed name. 0 or -1. */
static int parse_query(struct fq *q, const uint8_t *pkt, size_t len)
{
        memset(q, 0, sizeof *q);
        if (len < WIRE_HEADER_LEN || (pkt[2] & 0x80) || get16(pkt + 4) != 1)
                return -1;
        q->pkt = pkt;
        q->len = len;
        q->id = get16(pkt);
        size_t p = WIRE_HEADER_LEN, t = 0;
        bool firstlabel = true;
        for (;;) {
                if (p >= len)
                        return -1;
                unsigned n = pkt[p];
                if (n > DS_LABEL_MAX || p + 1 + n > len)
                        return -1;
                if (n == 0)
                        break;
                if (t + n + 2 > sizeof q->name)
                        return -1;
                if (t)
                        q->name[t++] = '.';
                memcpy(q->name + t, pkt + p + 1, n);
                if (firstlabel) {
                        for (unsigned i = 0; i < n; i++)
                                q->first[i] = (char)tolower(pkt[p + 1 + i]);
                        firstlabel = false;
                }
                t += n;
                p += 1 + n;
        }
        q->name[t] = 0;
        q->qname = pkt + WIRE_HEADER_LEN;
        q->qname_len = p + 1 - WIRE_HEADER_LEN;
        p++;
        if (len - p < 4)
                return -1;
        q->qtype = get16(pkt + p);
        q->qclass = get16(pkt + p + 2);
        return 0;
}

/* Reply with the question (qname, qtype, IN) and, when txt is given, one TXT answer. */
static size_t build_reply(uint8_t *out, uint16_t id, unsigned flags, const uint8_t *qname,
                          size_t qname_len, uint16_t qtype, const char *txt)
{
        uint8_t *p = out;
        p = put16(p, id);
        p = put16(p, 0x8180 | flags); /* QR, RD, RA, plus rcode/TC */
        p = put16(p, 1);
        p = put16(p, txt ? 1 : 0);
        p = put16(p, 0);
        p = put16(p, 0);
        memcpy(p, qname, qname_len);
        p += qname_len;
        p = put16(p, qtype);
        p = put16(p, WIRE_CLASS_IN);
        if (txt) {
                size_t n = strlen(txt);
                if (n > 255)
                        n = 255;
                p = put16(p, 0xc00c);
                p = put16(p, WIRE_TYPE_TXT);
                p = put16(p, WIRE_CLASS_IN);
                p = put16(p, 0);
                p = put16(p, 300);
                p = put16(p, (unsigned)n + 1);
                *p++ = (uint8_t)n;
                memcpy(p, txt, n);
                p += n;
        }
        return (size_t)(p - out);
}

/* ---- the fake server ---------------------------------------------------------------------- */

struct send_req {
        uv_udp_send_t req;
        uint8_t buf[512];
};

static void on_sent(uv_udp_send_t *req, int status)
{
        (void)status;
        free(req);
}

static bool is_localhost(const struct sockaddr_in *a)
{
        return a->sin_family == AF_INET && a->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
}

static void fake_send(struct fake *f, uv_udp_t *h, const void *buf, size_t len,
                      const struct sockaddr_in *to)
{
        if (!is_localhost(to)) { /* packets go to 127.0.0.1 only */
                ctx_fail(f->c, "refusing to send to a non-loopback address");
                return;
        }
        uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);
        int rc = uv_udp_try_send(h, &b, 1, (const struct sockaddr *)to);
        if (rc == (int)len)
                return;
        if (rc == UV_EAGAIN && len <= sizeof(((struct send_req *)0)->buf)) {
                struct send_req *r = malloc(sizeof *r);
                if (r) {
                        memcpy(r->buf, buf, len);
                        b = uv_buf_init((char *)r->buf, (unsigned)len);
                        if (uv_udp_send(&r->req, h, &b, 1, (const struct sockaddr *)to, on_sent) ==
                            0)
                                return;
                        free(r);
                }
        }
        f->send_errors++;
}

static void fake_reply(struct fake *f, const struct fq *q, unsigned flags, const char *txt)
{
        uint8_t buf[512];
        size_t n = build_reply(buf, q->id, flags, q->qname, q->qname_len, q->qtype, txt);
        fake_send(f, &f->sock, buf, n, &q->from);
}

static void on_delayed(uv_timer_t *t)
{
        struct delayed *d = t->data;
        d->busy = false;
        d->f->delayed_sent++;
        fake_send(d->f, &d->f->sock, d->buf, d->len, &d->to);
}

static void fake_reply_later(struct fake *f, const struct fq *q, unsigned ms, const char *txt)
{
        for (unsigned i = 0; i < MAX_DELAYED; i++) {
                struct delayed *d = &f->delayed[i];
                if (d->busy)
                        continue;
                d->busy = true;
                d->len = build_reply(d->buf, q->id, 0, q->qname, q->qname_len, q->qtype, txt);
                d->to = q->from;
                uv_timer_start(&d->timer, on_delayed, ms, 0);
                return;
        }
        ctx_fail(f->c, "no free delayed-reply slot");
}

/* Queries seen so far for this name, this one included (0 when the table is full). */
static unsigned fake_count(struct fake *f, const char *name)
{
        for (unsigned i = 0; i < f->ncounted; i++)
                if (strcmp(f->counted[i].name, name) == 0)
                        return ++f->counted[i].n;
        if (f->ncounted == MAX_COUNTED)
                return 0;
        snprintf(f->counted[f->ncounted].name, sizeof f->counted[0].name, "%s", name);
        f->counted[f->ncounted].n = 1;
        return f->counted[f->ncounted++].n;
}

static unsigned fake_seen(const struct fake *f, const char *name)
{
        for (unsigned i = 0; i < f->ncounted; i++)
                if (strcmp(f->counted[i].name, name) == 0)
                        return f->counted[i].n;
        return 0;
}

/* forged.*: seven bad replies now, the good one once the engine has dropped them all. */
static void fake_forge(struct fake *f, const struct fq *q)
{
        struct ctx *c = f->c;
        uint8_t good[512], bad[512];
        size_t n = build_reply(good, q->id, 0, q->qname, q->qname_len, q->qtype, "good");

        /* wrong id */
        memcpy(bad, good, n);
        bad[0] ^= 0x5a;
        bad[1] ^= 0xa5;
        fake_send(f, &f->sock, bad, n, &q->from);
        /* right everything, but from another port */
        fake_send(f, &f->alt, good, n, &q->from);
        /* right id, another question name */
        uint8_t other[DS_NAME_MAX_WIRE];
        int ol = wire_name_from_text("other.example", other, sizeof other);
        if (ol <= 0) {
                ctx_fail(c, "wire_name_from_text(other.example) = %d", ol);
                return;
        }
        size_t m = build_reply(bad, q->id, 0, other, (size_t)ol, q->qtype, "bad");
        fake_send(f, &f->sock, bad, m, &q->from);
        /* right id and name, another qtype */
        m = build_reply(bad, q->id, 0, q->qname, q->qname_len, WIRE_TYPE_A, NULL);
        fake_send(f, &f->sock, bad, m, &q->from);
        /* 5 bytes */
        fake_send(f, &f->sock, good, 5, &q->from);
        /* a header that promises a question it does not carry */
        fake_send(f, &f->sock, good, WIRE_HEADER_LEN, &q->from);
        /* the query echoed back (QR=0) */
        fake_send(f, &f->sock, q->pkt, q->len, &q->from);

        memcpy(c->held, good, n);
        c->held_len = n;
        c->held_to = q->from;
        c->held_after = 7;
}

/* The script: behaviour by the first label of the name. */
static void fake_answer(struct fake *f, const struct fq *q)
{
        unsigned k = fake_count(f, q->name);
        const char *w = q->first;
        if (strcmp(w, "plain") == 0) {
                fake_reply(f, q, 0, "v=DMARC1; p=none");
        } else if (strcmp(w, "nx") == 0) {
                fake_reply(f, q, WIRE_RCODE_NXDOMAIN, NULL);
        } else if (strcmp(w, "notimp") == 0) {
                fake_reply(f, q, WIRE_RCODE_NOTIMP, NULL);
        } else if (strcmp(w, "tc") == 0) {
                fake_reply(f, q, 0x0200, NULL);
        } else if (strcmp(w, "sf") == 0) {
                if (k == 1)
                        fake_reply(f, q, WIRE_RCODE_SERVFAIL, NULL);
                else
                        fake_reply(f, q, 0, "second");
        } else if (strcmp(w, "refused") == 0) {
                fake_reply(f, q, WIRE_RCODE_REFUSED, NULL);
        } else if (strcmp(w, "drop1") == 0) {
                if (k != 1)
                        fake_reply(f, q, 0, "second");
        } else if (strcmp(w, "dropall") == 0) {
                /* nothing */
        } else if (strcmp(w, "dup") == 0) {
                fake_reply(f, q, 0, "dup");
                fake_reply(f, q, 0, "dup");
        } else if (strcmp(w, "late") == 0) {
                if (k == 1)
                        fake_reply_later(f, q, LATE_MS, "late");
                else
                        fake_reply(f, q, 0, "retry");
        } else if (strcmp(w, "forged") == 0) {
                if (k == 1)
                        fake_forge(f, q);
                else
                        fake_reply(f, q, 0, "again");
        } else if (strcmp(w, "upper") == 0) {
                /* the question echoed in upper case: names compare case-insensitively */
                uint8_t buf[512];
                size_t n = build_reply(buf, q->id, 0, q->qname, q->qname_len, q->qtype, "upper");
                for (size_t i = WIRE_HEADER_LEN; i < WIRE_HEADER_LEN + q->qname_len; i++)
                        buf[i] = (uint8_t)toupper(buf[i]);
                fake_send(f, &f->sock, buf, n, &q->from);
        } else {
                fake_reply(f, q, 0, q->name);
        }
}

static void fake_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void)h;
        (void)suggested;
        static char space[65536];
        *buf = uv_buf_init(space, sizeof space);
}

static void fake_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                      unsigned flags)
{
        (void)flags;
        struct fake *f = h->data;
        if (nread < 0) {
                ctx_fail(f->c, "fake recv: %s", uv_strerror((int)nread));
                return;
        }
        if (nread == 0 || !from)
                return;
        struct fq q;
        if (parse_query(&q, (const uint8_t *)buf->base, (size_t)nread) < 0) {
                ctx_fail(f->c, "fake got a datagram that is not a query (%zd bytes)", nread);
                return;
        }
        if (from->sa_family != AF_INET) {
                ctx_fail(f->c, "query from a non-IPv4 source");
                return;
        }
        memcpy(&q.from, from, sizeof q.from);
        f->received++;
        f->last_flags = get16(q.pkt + 2);
        f->last_arcount = get16(q.pkt + 10);
        if (q.qclass != WIRE_CLASS_IN)
                ctx_fail(f->c, "query class %u", q.qclass);
        if (!f->drop_all)
                fake_answer(f, &q);
}

static void fake_open(struct ctx *c, unsigned i)
{
        struct fake *f = &c->fake[i];
        f->c = c;
        struct sockaddr_in a;
        assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &a), 0);
        assert_int_equal(uv_udp_init(&c->loop, &f->sock), 0);
        assert_int_equal(uv_udp_init(&c->loop, &f->alt), 0);
        for (unsigned k = 0; k < MAX_DELAYED; k++) {
                assert_int_equal(uv_timer_init(&c->loop, &f->delayed[k].timer), 0);
                f->delayed[k].timer.data = &f->delayed[k];
                f->delayed[k].f = f;
        }
        f->open = true;
        f->sock.data = f->alt.data = f;
        assert_int_equal(uv_udp_bind(&f->sock, (const struct sockaddr *)&a, 0), 0);
        assert_int_equal(uv_udp_bind(&f->alt, (const struct sockaddr *)&a, 0), 0);
        int big = 4 * 1024 * 1024;
        uv_recv_buffer_size((uv_handle_t *)&f->sock, &big);
        struct sockaddr_in bound;
        int len = sizeof bound;
        assert_int_equal(uv_udp_getsockname(&f->sock, (struct sockaddr *)&bound, &len), 0);
        f->port = ntohs(bound.sin_port);
        assert_int_not_equal(f->port, 0);
        assert_int_equal(uv_udp_recv_start(&f->sock, fake_alloc, fake_recv), 0);
}

/* ---- the engine's callbacks --------------------------------------------------------------- */

static void name_of(const struct ctx *c, unsigned token, char *buf, size_t cap)
{
        if (c->names)
                snprintf(buf, cap, "%s", c->names[token]);
        else
                snprintf(buf, cap, c->fmt, token);
}

static int start_lookup(struct ctx *c, unsigned token)
{
        char text[DS_NAME_MAX_TEXT + 2];
        uint8_t w[DS_NAME_MAX_WIRE];
        name_of(c, token, text, sizeof text);
        int n = wire_name_from_text(text, w, sizeof w);
        if (n <= 0) {
                ctx_fail(c, "bad test name %s", text);
                return n;
        }
        return engine_query(c->e, token, w, (size_t)n, c->qtype, 0, 0);
}

static unsigned on_admit(void *ctx, unsigned room)
{
        struct ctx *c = ctx;
        c->admit_calls++;
        CHECK(c, room > 0);
        CHECK(c, room <= DS_ADMIT_BURST);
        CHECK(c, room <= engine_room(c->e));
        if (c->admit_off)
                return 0;
        unsigned n = 0;
        while (n < room && c->next < c->nnames) {
                int rc = start_lookup(c, c->next);
                if (rc != 0) {
                        ctx_fail(c, "engine_query(%u) = %d with room %u", c->next, rc, room);
                        break;
                }
                c->next++;
                n++;
        }
        c->admitted += n;
        unsigned inflight = engine_inflight(c->e);
        if (inflight > c->max_inflight)
                c->max_inflight = inflight;
        CHECK(c, inflight <= c->concurrency);
        return n;
}

static void on_done(void *ctx, const struct engine_result *r)
{
        struct ctx *c = ctx;
        if (r->token >= c->nnames) {
                ctx_fail(c, "done for unknown token %u", r->token);
                return;
        }
        struct got *g = &c->got[r->token];
        g->n++;
        g->status = r->status;
        g->attempts = r->attempts;
        g->resolver = r->resolver;
        g->rcode = -1;
        c->ndone++;
        CHECK(c, r->resolver < c->rl.n);
        if (r->status != ENGINE_REPLY) {
                CHECK(c, r->status == ENGINE_TIMEOUT);
                CHECK(c, r->pkt == NULL);
                return;
        }
        if (!r->pkt || r->len < WIRE_HEADER_LEN) {
                ctx_fail(c, "token %u: reply without a packet", r->token);
                return;
        }
        g->rcode = wire_rcode_of(r->pkt);
        g->tc = wire_tc(r->pkt);
        struct wire_reply wr;
        int rc = wire_reply_parse(&wr, r->pkt, r->len);
        if (rc < 0) {
                ctx_fail(c, "token %u: delivered reply does not parse (%d)", r->token, rc);
                return;
        }
        /* The reply is for this token's question. */
        char text[DS_NAME_MAX_TEXT + 2];
        uint8_t w[DS_NAME_MAX_WIRE];
        name_of(c, r->token, text, sizeof text);
        int wl = wire_name_from_text(text, w, sizeof w);
        CHECK(c, wl > 0);
        if (wire_name_equal(r->pkt, r->len, wr.qname_off, w, (size_t)wl) != 1)
                ctx_fail(c, "token %u (%s): reply for another name", r->token, text);
        CHECK(c, wr.qtype == c->qtype);
        struct wire_rr_iter it;
        struct wire_rr rr;
        wire_rr_iter_init(&it, &wr);
        while (wire_rr_next(&it, &rr) == 1) {
                if (rr.section != WIRE_SEC_ANSWER || rr.type != WIRE_TYPE_TXT)
                        continue;
                uint8_t t[256];
                int tl = wire_txt_join(&wr, &rr, t, sizeof t - 1);
                CHECK(c, tl >= 0);
                if (tl >= 0) {
                        memcpy(g->txt, t, (size_t)tl);
                        g->txt[tl] = 0;
                }
        }
}

/* ---- driving the loop --------------------------------------------------------------------- */

static void on_prefetch(void *ctx, uint32_t token, size_t len)
{
        struct ctx *c = ctx;
        c->prefetches++;
        if (token >= c->nnames || c->got[token].n != 0 || len < WIRE_HEADER_LEN)
                c->prefetch_bad++;
}

static bool all_done(struct ctx *c)
{
        return c->ndone >= c->nnames;
}

static uint64_t drops_total(const struct engine_counters *k)
{
        return k->drop_unknown_id + k->drop_wrong_source + k->drop_wrong_question +
               k->drop_malformed;
}

static void on_poll(uv_timer_t *t)
{
        struct ctx *c = t->data;
        if (c->held_len && !c->held_sent && drops_total(engine_counters(c->e)) >= c->held_after) {
                c->held_sent = true;
                fake_send(&c->fake[0], &c->fake[0].sock, c->held, c->held_len, &c->held_to);
        }
        if (c->finished(c))
                uv_stop(&c->loop);
}

static void on_safety(uv_timer_t *t)
{
        struct ctx *c = t->data;
        c->timed_out = true;
        uv_stop(&c->loop);
}

static int setup(void **state)
{
        struct ctx *c = calloc(1, sizeof *c);
        if (!c || uv_loop_init(&c->loop) != 0)
                return -1;
        uv_timer_init(&c->loop, &c->poll);
        uv_timer_init(&c->loop, &c->safety);
        c->poll.data = c->safety.data = c;
        c->qtype = WIRE_TYPE_TXT;
        *state = c;
        return 0;
}

static int teardown(void **state)
{
        struct ctx *c = *state;
        if (c->e)
                engine_close(c->e);
        for (unsigned i = 0; i < c->nfakes; i++) {
                struct fake *f = &c->fake[i];
                if (!f->open)
                        continue;
                uv_close((uv_handle_t *)&f->sock, NULL);
                uv_close((uv_handle_t *)&f->alt, NULL);
                for (unsigned k = 0; k < MAX_DELAYED; k++)
                        uv_close((uv_handle_t *)&f->delayed[k].timer, NULL);
        }
        uv_close((uv_handle_t *)&c->poll, NULL);
        uv_close((uv_handle_t *)&c->safety, NULL);
        uv_run(&c->loop, UV_RUN_DEFAULT);
        engine_free(c->e);
        resolvers_free(&c->rl);
        int rc = uv_loop_close(&c->loop);
        free(c->got);
        free(c);
        if (rc != 0) {
                fprintf(stderr, "uv_loop_close: %s (handles left open)\n", uv_strerror(rc));
                return -1;
        }
        return 0;
}

static void ctx_names(struct ctx *c, const char *const *names, unsigned n)
{
        c->names = names;
        c->nnames = n;
        c->got = calloc(n, sizeof *c->got);
        assert_non_null(c->got);
}

static void ctx_generated(struct ctx *c, const char *fmt, unsigned n)
{
        c->fmt = fmt;
        c->nnames = n;
        c->got = calloc(n, sizeof *c->got);
        assert_non_null(c->got);
}

/* Open nfakes fake servers and an engine that uses them, in order, as its resolvers. */
static void ctx_start(struct ctx *c, unsigned nfakes, unsigned concurrency, unsigned timeout_ms,
                      unsigned retries)
{
        char spec[128] = "", err[256] = "";
        size_t len = 0;
        c->nfakes = nfakes;
        for (unsigned i = 0; i < nfakes; i++) {
                fake_open(c, i);
                len += (size_t)snprintf(spec + len, sizeof spec - len, "%s127.0.0.1:%u",
                                        i ? "," : "", c->fake[i].port);
        }
        if (resolvers_parse(&c->rl, spec, err, sizeof err) != 0)
                fail_msg("resolvers_parse(%s): %s", spec, err);
        struct engine_config cfg = {
            .resolvers = &c->rl,
            .sockets = 2,
            .concurrency = concurrency,
            .timeout_ms = timeout_ms,
            .retries = retries,
        };
        struct engine_ops ops = {
            .ctx = c, .admit = on_admit, .done = on_done, .prefetch = on_prefetch};
        c->concurrency = concurrency;
        int rc = engine_new(&c->e, &c->loop, &cfg, &ops, err, sizeof err);
        if (rc != 0)
                fail_msg("engine_new: %d %s", rc, err);
        assert_int_equal(engine_inflight(c->e), 0);
        assert_int_equal(engine_room(c->e), concurrency);
}

static void ctx_run(struct ctx *c, bool (*finished)(struct ctx *c))
{
        c->finished = finished ? finished : all_done;
        c->timed_out = false;
        uv_timer_start(&c->poll, on_poll, 2, 2);
        uv_timer_start(&c->safety, on_safety, SAFETY_MS, 0);
        uv_run(&c->loop, UV_RUN_DEFAULT);
        uv_timer_stop(&c->poll);
        uv_timer_stop(&c->safety);
        if (c->error[0])
                fail_msg("%s", c->error);
        if (c->timed_out)
                fail_msg("not finished after %d ms: %u of %u lookups done, fake got %u queries",
                         SAFETY_MS, c->ndone, c->nnames, c->fake[0].received);
        for (unsigned i = 0; i < c->nfakes; i++)
                assert_int_equal(c->fake[i].send_errors, 0);
}

static const struct engine_counters *counters(const struct ctx *c)
{
        return engine_counters(c->e);
}

static void assert_no_drops(const struct ctx *c)
{
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->drop_unknown_id, 0);
        assert_int_equal(k->drop_wrong_source, 0);
        assert_int_equal(k->drop_wrong_question, 0);
        assert_int_equal(k->drop_malformed, 0);
}

static bool done_and_received(struct ctx *c, uint64_t datagrams)
{
        return all_done(c) && engine_udp_stats(c->e)->datagrams_received >= datagrams;
}

/* ---- scenarios ---------------------------------------------------------------------------- */

static void t_plain_answer(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"plain.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, 2000, 3);
        ctx_run(c, NULL);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(g->attempts, 1);
        assert_int_equal(g->resolver, 0);
        assert_false(g->tc);
        assert_string_equal(g->txt, "v=DMARC1; p=none");
        /* The query asked for recursion and carried EDNS0. */
        assert_int_equal(c->fake[0].received, 1);
        assert_true(c->fake[0].last_flags & 0x0100);
        assert_int_equal(c->fake[0].last_arcount, 1);
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->lookups, 1);
        assert_int_equal(k->sent, 1);
        assert_int_equal(k->answered, 1);
        assert_int_equal(k->retried, 0);
        assert_int_equal(k->timeouts, 0);
        assert_int_equal(k->rcode[WIRE_RCODE_NOERROR], 1);
        assert_no_drops(c);
        assert_int_equal(c->rl.v[0].stats.sent, 1);
        assert_int_equal(c->rl.v[0].stats.answered, 1);
        assert_int_equal(engine_inflight(c->e), 0);
        assert_int_equal(engine_room(c->e), 16);
        assert_true(engine_udp_stats(c->e)->datagrams_sent >= 1);
}

static void t_nxdomain_final(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"nx.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, 2000, 3);
        ctx_run(c, NULL);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->rcode, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(g->attempts, 1);
        assert_int_equal(fake_seen(&c->fake[0], "nx.example.com"), 1);
        assert_int_equal(counters(c)->retried, 0);
        assert_int_equal(counters(c)->rcode[WIRE_RCODE_NXDOMAIN], 1);
        assert_no_drops(c);
}

/* Rcodes other than SERVFAIL and REFUSED are final; TC is counted and delivered as is. */
static void t_other_rcode_and_tc_final(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"notimp.example.com", "tc.example.com"};
        ctx_names(c, names, 2);
        ctx_start(c, 1, 16, 2000, 3);
        ctx_run(c, NULL);
        assert_int_equal(c->got[0].n, 1);
        assert_int_equal(c->got[0].status, ENGINE_REPLY);
        assert_int_equal(c->got[0].rcode, WIRE_RCODE_NOTIMP);
        assert_int_equal(c->got[0].attempts, 1);
        assert_int_equal(c->got[1].n, 1);
        assert_int_equal(c->got[1].rcode, WIRE_RCODE_NOERROR);
        assert_true(c->got[1].tc);
        assert_int_equal(c->got[1].attempts, 1);
        assert_int_equal(c->fake[0].received, 2);
        assert_int_equal(counters(c)->truncated, 1);
        assert_int_equal(counters(c)->retried, 0);
        assert_int_equal(c->rl.v[0].stats.other_rcode, 1);
}

static void t_servfail_then_answer(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"sf.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, 2000, 3);
        ctx_run(c, NULL);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(g->attempts, 2);
        assert_string_equal(g->txt, "second");
        assert_int_equal(fake_seen(&c->fake[0], "sf.example.com"), 2);
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->retried, 1);
        assert_int_equal(k->sent, 2);
        assert_int_equal(k->answered, 2);
        assert_int_equal(k->rcode[WIRE_RCODE_SERVFAIL], 1);
        assert_int_equal(k->rcode[WIRE_RCODE_NOERROR], 1);
        assert_int_equal(c->rl.v[0].stats.servfail, 1);
        assert_no_drops(c);
}

static void t_refused_every_time(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"refused.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, 2000, 2);
        ctx_run(c, NULL);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->rcode, WIRE_RCODE_REFUSED);
        assert_int_equal(g->attempts, 3);
        assert_int_equal(fake_seen(&c->fake[0], "refused.example.com"), 3);
        assert_int_equal(counters(c)->retried, 2);
        assert_int_equal(counters(c)->rcode[WIRE_RCODE_REFUSED], 3);
        assert_int_equal(c->rl.v[0].stats.refused, 3);
        assert_no_drops(c);
}

static void t_drop_first_attempt(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"drop1.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, SHORT_MS, 3);
        ctx_run(c, NULL);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(g->attempts, 2);
        assert_string_equal(g->txt, "second");
        assert_int_equal(fake_seen(&c->fake[0], "drop1.example.com"), 2);
        assert_int_equal(counters(c)->retried, 1);
        assert_int_equal(counters(c)->timeouts, 0);
        assert_int_equal(c->rl.v[0].stats.timeouts, 1);
        assert_no_drops(c);
}

static void t_drop_always_times_out(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"dropall.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, SHORT_MS, 1);
        ctx_run(c, NULL);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_TIMEOUT);
        assert_int_equal(g->attempts, 2);
        assert_int_equal(g->resolver, 0);
        assert_int_equal(fake_seen(&c->fake[0], "dropall.example.com"), 2);
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->timeouts, 1);
        assert_int_equal(k->retried, 1);
        assert_int_equal(k->sent, 2);
        assert_int_equal(k->answered, 0);
        assert_int_equal(c->rl.v[0].stats.timeouts, 2);
        assert_int_equal(engine_inflight(c->e), 0);
}

static bool forged_done(struct ctx *c)
{
        if (c->held_sent)
                return done_and_received(c, 8);
        /* An engine that took a forged reply never drops all seven: stop and report. */
        return done_and_received(c, 7);
}

static void t_forged_replies(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"forged.example.com"};
        ctx_names(c, names, 1);
        /* a long timeout: the good reply must be the one that ends the lookup */
        ctx_start(c, 1, 16, 10000, 0);
        ctx_run(c, forged_done);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(g->attempts, 1);
        assert_string_equal(g->txt, "good");
        assert_int_equal(c->fake[0].received, 1);
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->drop_unknown_id, 1);
        assert_int_equal(k->drop_wrong_source, 1);
        assert_int_equal(k->drop_wrong_question, 3); /* other name, other qtype, echo */
        assert_int_equal(k->drop_malformed, 2);      /* 5 bytes, header only */
        assert_int_equal(k->answered, 1);
        assert_int_equal(c->rl.v[0].stats.answered, 1);
        assert_int_equal(c->rl.v[0].stats.mismatched, 4);
        assert_int_equal(engine_udp_stats(c->e)->datagrams_received, 8);
}

static void t_question_case_insensitive(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"upper.Example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, 2000, 0);
        ctx_run(c, NULL);
        assert_int_equal(c->got[0].n, 1);
        assert_int_equal(c->got[0].status, ENGINE_REPLY);
        assert_string_equal(c->got[0].txt, "upper");
        assert_no_drops(c);
}

static bool dup_done(struct ctx *c)
{
        return done_and_received(c, 2);
}

static void t_duplicate_reply(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"dup.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, 2000, 3);
        ctx_run(c, dup_done);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->attempts, 1);
        assert_string_equal(g->txt, "dup");
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->drop_unknown_id, 1);
        assert_int_equal(k->drop_wrong_source, 0);
        assert_int_equal(k->drop_wrong_question, 0);
        assert_int_equal(k->drop_malformed, 0);
        assert_int_equal(k->answered, 1);
        assert_int_equal(c->prefetch_bad, 0);
}

static bool late_done(struct ctx *c)
{
        return c->fake[0].delayed_sent >= 1 && done_and_received(c, 2);
}

static void t_late_reply(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {"late.example.com"};
        ctx_names(c, names, 1);
        ctx_start(c, 1, 16, SHORT_MS, 1);
        ctx_run(c, late_done);
        struct got *g = &c->got[0];
        assert_int_equal(g->n, 1);
        assert_int_equal(g->status, ENGINE_REPLY);
        assert_int_equal(g->rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(g->attempts, 2);
        assert_string_equal(g->txt, "retry");
        assert_int_equal(fake_seen(&c->fake[0], "late.example.com"), 2);
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->drop_unknown_id, 1); /* the late one */
        assert_int_equal(k->drop_wrong_source + k->drop_wrong_question + k->drop_malformed, 0);
        assert_int_equal(k->answered, 1);
        assert_int_equal(k->retried, 1);
        assert_int_equal(k->timeouts, 0);
        assert_int_equal(c->rl.v[0].stats.timeouts, 1);
}

static void t_second_resolver_answers(void **state)
{
        struct ctx *c = *state;
        enum { N = 20 };
        ctx_generated(c, "two-%u.example.com", N);
        ctx_start(c, 2, 64, SHORT_MS, 1);
        c->fake[0].drop_all = true;
        ctx_run(c, NULL);
        unsigned second = 0;
        for (unsigned i = 0; i < N; i++) {
                struct got *g = &c->got[i];
                char want[64];
                snprintf(want, sizeof want, "two-%u.example.com", i);
                assert_int_equal(g->n, 1);
                assert_int_equal(g->status, ENGINE_REPLY);
                assert_int_equal(g->rcode, WIRE_RCODE_NOERROR);
                assert_int_equal(g->resolver, 1);
                assert_string_equal(g->txt, want);
                assert_true(g->attempts == 1 || g->attempts == 2);
                second += g->attempts == 2;
        }
        /* Lookups are spread over both resolvers, so some started on the silent one. */
        unsigned dropped = c->fake[0].received;
        assert_true(dropped >= 1);
        assert_int_equal(second, dropped);
        assert_int_equal(c->fake[1].received, N);
        assert_int_equal(c->rl.v[0].stats.sent, dropped);
        assert_int_equal(c->rl.v[0].stats.timeouts, dropped);
        assert_int_equal(c->rl.v[0].stats.answered, 0);
        assert_int_equal(c->rl.v[1].stats.answered, N);
        assert_int_equal(c->rl.v[1].stats.timeouts, 0);
        assert_int_equal(counters(c)->retried, dropped);
        assert_int_equal(counters(c)->timeouts, 0);
        assert_no_drops(c);
}

/* Every script at once in one engine: each lookup still ends exactly once, as scripted. */
static void t_mixed(void **state)
{
        struct ctx *c = *state;
        static const char *const names[] = {
            "plain.a.example", "nx.a.example",      "sf.a.example",  "refused.a.example",
            "drop1.a.example", "dropall.a.example", "dup.a.example", "late.a.example",
            "plain.b.example", "other.b.example",
        };
        enum { N = sizeof names / sizeof names[0] };
        ctx_names(c, names, N);
        ctx_start(c, 1, 4, SHORT_MS, 2);
        ctx_run(c, NULL);
        for (unsigned i = 0; i < N; i++)
                if (c->got[i].n != 1)
                        fail_msg("%s delivered %u times", names[i], c->got[i].n);
        assert_int_equal(c->got[0].rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(c->got[1].rcode, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(c->got[2].rcode, WIRE_RCODE_NOERROR);
        assert_int_equal(c->got[2].attempts, 2);
        assert_int_equal(c->got[3].rcode, WIRE_RCODE_REFUSED);
        assert_int_equal(c->got[3].attempts, 3);
        assert_int_equal(c->got[4].attempts, 2);
        assert_int_equal(c->got[5].status, ENGINE_TIMEOUT);
        assert_int_equal(c->got[5].attempts, 3);
        assert_int_equal(c->got[6].attempts, 1);
        assert_int_equal(c->got[7].status, ENGINE_REPLY);
        assert_string_equal(c->got[9].txt, "other.b.example");
        assert_true(c->max_inflight <= 4);
        assert_int_equal(counters(c)->lookups, N);
}

static void t_volume(void **state)
{
        struct ctx *c = *state;
        enum { N = 5000, CONC = 500 };
        ctx_generated(c, "v%u.volume.example", N);
        ctx_start(c, 1, CONC, 2000, 3);
        ctx_run(c, NULL);
        unsigned replies = 0;
        for (unsigned i = 0; i < N; i++) {
                struct got *g = &c->got[i];
                if (g->n != 1)
                        fail_msg("token %u delivered %u times", i, g->n);
                if (g->status != ENGINE_REPLY)
                        continue;
                replies++;
                char want[64];
                snprintf(want, sizeof want, "v%u.volume.example", i);
                assert_int_equal(g->rcode, WIRE_RCODE_NOERROR);
                assert_string_equal(g->txt, want);
        }
        assert_int_equal(c->ndone, N);
        assert_int_equal(c->admitted, N);
        assert_true(c->max_inflight <= CONC);
        assert_true(c->max_inflight > 0);
        const struct engine_counters *k = counters(c);
        assert_int_equal(k->lookups, N);
        /* Loopback with big buffers loses nothing in practice; retries cover a rare drop. */
        assert_int_equal(replies, N);
        assert_int_equal(k->drop_wrong_source, 0);
        assert_int_equal(k->drop_wrong_question, 0);
        assert_int_equal(k->drop_malformed, 0);
        assert_true(k->drop_unknown_id <= k->retried);
        assert_int_equal(engine_inflight(c->e), 0);
        assert_int_equal(engine_room(c->e), CONC);
        /* Replies arrived in batches and were looked ahead at, always for a lookup in
         * flight (one hint per reply in a batch of two or more, at most). */
        assert_true(c->prefetches > 0);
        assert_true(c->prefetches <= N + k->drop_unknown_id);
        assert_int_equal(c->prefetch_bad, 0);
}

static void t_query_busy_and_invalid(void **state)
{
        struct ctx *c = *state;
        enum { CONC = 4 };
        ctx_generated(c, "busy%u.example.com", CONC + 1);
        ctx_start(c, 1, CONC, 2000, 0);
        c->admit_off = true;
        for (unsigned i = 0; i < CONC; i++)
                assert_int_equal(start_lookup(c, i), 0);
        assert_int_equal(engine_inflight(c->e), CONC);
        assert_int_equal(engine_room(c->e), 0);
        assert_int_equal(start_lookup(c, CONC), -EBUSY);
        assert_int_equal(counters(c)->lookups, CONC);
        c->nnames = CONC; /* the last one never started */
        engine_kick(c->e);
        ctx_run(c, NULL);
        for (unsigned i = 0; i < CONC; i++) {
                assert_int_equal(c->got[i].n, 1);
                assert_int_equal(c->got[i].status, ENGINE_REPLY);
        }
        assert_int_equal(engine_room(c->e), CONC);

        /* Bad names are refused without using a slot. */
        static const uint8_t no_root[] = {3, 'a', 'b', 'c'};
        static const uint8_t long_label[] = {64, 'x'};
        assert_int_equal(engine_query(c->e, 99, no_root, sizeof no_root, WIRE_TYPE_TXT, 0, 0),
                         -EINVAL);
        assert_int_equal(engine_query(c->e, 99, no_root, 0, WIRE_TYPE_TXT, 0, 0), -EINVAL);
        assert_int_equal(engine_query(c->e, 99, long_label, sizeof long_label, WIRE_TYPE_TXT, 0, 0),
                         -EINVAL);
        assert_int_equal(engine_room(c->e), CONC);
        assert_int_equal(engine_inflight(c->e), 0);
        assert_int_equal(counters(c)->lookups, CONC);
}

static bool all_received(struct ctx *c)
{
        return c->fake[0].received >= c->nnames;
}

/* Closing with lookups in flight: no done() calls afterwards, nothing leaks (ASan). */
static void t_close_with_lookups_in_flight(void **state)
{
        struct ctx *c = *state;
        ctx_generated(c, "dropall.n%u.example.com", 10);
        ctx_start(c, 1, 16, 10000, 3);
        ctx_run(c, all_received);
        assert_int_equal(c->ndone, 0);
        assert_int_equal(engine_inflight(c->e), 10);
        /* teardown closes the engine with all ten pending */
}

/* Regression: ids are 16 bits per socket, so concurrency beyond what the sockets' id space
 * holds once spun forever looking for a free id. engine_new must refuse (or clamp) it. */
static void t_concurrency_beyond_id_space(void **state)
{
        struct ctx *c = *state;
        char err[256] = "";
        assert_int_equal(resolvers_parse(&c->rl, "127.0.0.1:9", err, sizeof err), 0);
        struct engine_config cfg = {
            .resolvers = &c->rl,
            .sockets = 1,
            .concurrency = 65536 + 1,
            .timeout_ms = 1000,
            .retries = 0,
        };
        struct engine_ops ops = {
            .ctx = c, .admit = on_admit, .done = on_done, .prefetch = on_prefetch};
        c->admit_off = true;
        int rc = engine_new(&c->e, &c->loop, &cfg, &ops, err, sizeof err);
        if (rc == 0 && engine_room(c->e) > 65536)
                fail_msg("engine accepts %u lookups in flight on 1 socket "
                         "(65536 ids): inflight_link would spin forever",
                         engine_room(c->e));
}

/* A constructor that fails after opening handles leaves nothing to its caller: *out is NULL,
 * and once the loop has run, every handle is closed (teardown's uv_loop_close checks it) and
 * the engine freed (ASan checks that). Sockets run out at the 4th of 32 here. */
static void t_new_fails_cleanly(void **state)
{
        struct ctx *c = *state;
        char err[256] = "";
        assert_int_equal(resolvers_parse(&c->rl, "127.0.0.1:9", err, sizeof err), 0);
        struct engine_config cfg = {
            .resolvers = &c->rl,
            .sockets = 32,
            .concurrency = 100,
            .timeout_ms = 1000,
        };
        struct engine_ops ops = {
            .ctx = c, .admit = on_admit, .done = on_done, .prefetch = on_prefetch};
        struct rlimit old, low;
        assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
        int probe = dup(0);
        assert_true(probe >= 0);
        close(probe);
        low = old;
        low.rlim_cur = (rlim_t)probe + 3;
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
        c->e = (struct engine *)&cfg; /* must be overwritten */
        int rc = engine_new(&c->e, &c->loop, &cfg, &ops, err, sizeof err);
        assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
        assert_true(rc < 0);
        assert_null(c->e);
        assert_non_null(strstr(err, "UDP socket"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        const struct CMUnitTest tests[] = {
            T(t_plain_answer),
            T(t_nxdomain_final),
            T(t_other_rcode_and_tc_final),
            T(t_servfail_then_answer),
            T(t_refused_every_time),
            T(t_drop_first_attempt),
            T(t_drop_always_times_out),
            T(t_forged_replies),
            T(t_question_case_insensitive),
            T(t_duplicate_reply),
            T(t_late_reply),
            T(t_second_resolver_answers),
            T(t_mixed),
            T(t_volume),
            T(t_query_busy_and_invalid),
            T(t_close_with_lookups_in_flight),
            T(t_concurrency_beyond_id_space),
            T(t_new_fails_cleanly),
        };
#undef T
        return cmocka_run_group_tests(tests, NULL, NULL);
}

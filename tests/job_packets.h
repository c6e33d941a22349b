/* job_packets.h -- test helpers: DNS replies built with ldns (the project's test oracle) and
 * fed to a job, shared by test_job.c, test_ndjson.c, test_compose.c and test_mx.c.
 * Header-only (static inline): each test is its own executable and uses a subset. Include
 * after cmocka.h, ldns and job.h. The tj_ jobs run the dmarc check alone (its lookup is
 * look[0]); a tj_fx runs the checks of a --checks list and writes its line. */
#ifndef DS_TEST_JOB_PACKETS_H
#define DS_TEST_JOB_PACKETS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "scanner/dmarc/check.h"
#include "scanner/job.h"
#include "scanner/line.h"

/* A response to (qname, qtype) with rcode, question only. */
static inline ldns_pkt *lp_reply_t(const char *qname, const char *qtype, ldns_pkt_rcode rcode)
{
        ldns_pkt *lp = ldns_pkt_new();
        ldns_rr *q = NULL;
        char buf[600];

        assert_non_null(lp);
        ldns_pkt_set_id(lp, 0x4242);
        ldns_pkt_set_qr(lp, true);
        ldns_pkt_set_rd(lp, true);
        ldns_pkt_set_ra(lp, true);
        ldns_pkt_set_rcode(lp, (uint8_t)rcode);
        snprintf(buf, sizeof(buf), "%s IN %s", qname, qtype);
        assert_int_equal(ldns_rr_new_question_frm_str(&q, buf, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, LDNS_SECTION_QUESTION, q));
        return lp;
}

static inline ldns_pkt *lp_reply(const char *qname, ldns_pkt_rcode rcode)
{
        return lp_reply_t(qname, "TXT", rcode);
}

/* An RR in zone-file syntax, into section sec. */
static inline void lp_add(ldns_pkt *lp, ldns_pkt_section sec, const char *text)
{
        ldns_rr *rr = NULL;

        assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, sec, rr));
}

/* A TXT RR of exactly these bytes (any octets), split into character-strings of chunk
 * bytes (at most 255). */
static inline void lp_txt_bytes(ldns_pkt *lp, ldns_pkt_section sec, const char *owner,
                                ldns_rr_class cls, const void *data, size_t n, size_t chunk)
{
        const uint8_t *d = data;
        ldns_rr *rr = ldns_rr_new();
        ldns_rdf *o = ldns_dname_new_frm_str(owner);
        size_t off = 0;

        assert_non_null(rr);
        assert_non_null(o);
        assert_true(chunk >= 1 && chunk <= 255);
        ldns_rr_set_owner(rr, o);
        ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
        ldns_rr_set_class(rr, cls);
        ldns_rr_set_ttl(rr, 300);
        do {
                uint8_t buf[256];
                size_t c = n - off > chunk ? chunk : n - off;
                buf[0] = (uint8_t)c;
                memcpy(buf + 1, d + off, c);
                ldns_rdf *f = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, c + 1, buf);
                assert_non_null(f);
                assert_true(ldns_rr_push_rdf(rr, f));
                off += c;
        } while (off < n);
        assert_true(ldns_pkt_push_rr(lp, sec, rr));
}

/* A TXT RR in the answer holding the text s. */
static inline void lp_txt(ldns_pkt *lp, const char *owner, const char *s)
{
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, owner, LDNS_RR_CLASS_IN, s, strlen(s), 255);
}

/* Serialise lp, free it, and hand the bytes to the lookup (which must copy them). */
static inline void lp_feed_lookup(struct lookup *l, ldns_pkt *lp, unsigned attempts)
{
        uint8_t *wire = NULL;
        size_t n = 0;

        assert_int_equal(ldns_pkt2wire(&wire, lp, &n), LDNS_STATUS_OK);
        ldns_pkt_free(lp);
        /* a copy the size of the packet, so ASan sees any read beyond it */
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, wire, n);
        free(wire);
        lookup_set_reply(l, ENGINE_REPLY, copy, n, attempts);
        memset(copy, 0xa5, n); /* the job must not keep the caller's buffer */
        free(copy);
}

/* The same for the job's first lookup (the dmarc check's in these tests). */
static inline void lp_feed(struct job *j, ldns_pkt *lp, unsigned attempts)
{
        lp_feed_lookup(&j->look[0], lp, attempts);
}

/* The checks of these tests: dmarc alone. */
static inline const struct check_set *tj_set(void)
{
        static struct check_set set;
        char err[128];
        if (!set.n)
                assert_int_equal(check_set_parse(&set, "dmarc", check_registry, err, sizeof(err)),
                                 0);
        return &set;
}

/* A fresh job for a new item: its lookups and states are allocated on first use and kept
 * across items (job_free at the end); j must start zeroed. */
static inline void tj_reset(struct job *j)
{
        struct lookup *look = j->look;
        uint8_t *state = j->state;
        memset(j, 0, sizeof(*j));
        if (!look) {
                assert_int_equal(job_init(j, tj_set(), NULL), 0);
                return;
        }
        j->look = look;
        j->state = state;
        j->set = tj_set();
}

/* Discovery by c (PSL-less) for j. */
static inline void tj_disc(struct job *j, const struct discovery_ctx *c)
{
        static struct check_env env;
        env.disc = c;
        j->env = &env;
}

static inline void tj_scratch(struct job_scratch *s)
{
        assert_int_equal(job_scratch_init(s, tj_set()), 0);
}

/* The dmarc check's result in a scratch, and its state in a job. */
static inline struct dmarc_result *SD(const struct job_scratch *s)
{
        return &((struct dmarc_scratch *)s->check[0])->dmarc;
}

static inline struct dmarc_state *DST(const struct job *j)
{
        return job_state(j, 0);
}

/* The outcome class the pool counts for a finished job (it concludes the job first). */
static inline unsigned tj_outcome(struct job *j, struct job_scratch *s)
{
        job_conclude(j, s);
        return job_outcome(j, s);
}

/* A job for one OK domain running the checks of list (parsed against table), with its
 * scratch and a buffer for its line. */
struct tj_fx {
        struct check_set set;
        struct job j;
        struct job_scratch s;
        struct jbuf b;
        struct ndjson_clock clock;
        struct line_opts o;
};

static inline struct tj_fx *tj_fx_new(const char *list, const struct check_ops *const *table,
                                      const char *domain)
{
        char err[160];
        struct tj_fx *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(check_set_parse(&f->set, list, table, err, sizeof(err)), 0);
        assert_int_equal(job_init(&f->j, &f->set, NULL), 0);
        assert_int_equal(job_scratch_init(&f->s, &f->set), 0);
        jbuf_init(&f->b);
        f->j.in.line = 1;
        f->j.in.rank = -1;
        f->j.in.status = INPUT_ITEM_OK;
        snprintf(f->j.in.domain, sizeof(f->j.in.domain), "%s", domain);
        snprintf(f->j.in.raw, sizeof(f->j.in.raw), "%s", domain);
        return f;
}

static inline void tj_fx_free(struct tj_fx *f)
{
        job_free(&f->j);
        job_scratch_free(&f->s);
        jbuf_free(&f->b);
        free(f);
}

/* Position of needle in the line written; fails when absent. */
static inline size_t tj_at(const struct tj_fx *f, const char *needle)
{
        const char *p = strstr(f->b.p, needle);
        if (!p)
                fail_msg("%s not in %.*s", needle, (int)f->b.len, f->b.p);
        return (size_t)(p - f->b.p);
}

#endif

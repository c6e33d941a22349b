/* job_packets.h -- test helpers: jobs fed with the replies of packets.h, shared by
 * test_job.c, test_ndjson.c, test_compose.c and test_mx.c. Header-only (static inline): each
 * test is its own executable and uses a subset. Include after cmocka.h, ldns and job.h. The
 * tj_ jobs run the dmarc check alone (its lookup is look[0]); a tj_fx runs the checks of a
 * --checks list and writes its line. */
#ifndef DS_TEST_JOB_PACKETS_H
#define DS_TEST_JOB_PACKETS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "scanner/dmarc/check.h"
#include "scanner/job.h"
#include "scanner/line.h"
#include "packets.h"

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
        bool own_mem = j->own_mem;
        memset(j, 0, sizeof(*j));
        if (!look) {
                assert_int_equal(job_init(j, tj_set(), NULL), 0);
                return;
        }
        j->look = look;
        j->state = state;
        j->own_mem = own_mem;
        j->set = tj_set();
}

/* The check environment of these tests' jobs (one per test executable). */
static inline struct check_env *tj_env(void)
{
        static struct check_env env;
        return &env;
}

/* Discovery by c (PSL-less) for j, without --details. */
static inline void tj_disc(struct job *j, const struct discovery_ctx *c)
{
        struct check_env *env = tj_env();
        env->disc = c;
        env->details = false;
        env->report_cut = false;
        j->env = env;
}

/* The test environment for j, its discovery kept: the option setters below change it. */
static inline struct check_env *tj_env_of(struct job *j)
{
        struct check_env *env = tj_env();
        if (j->env != env)
                env->disc = j->env ? j->env->disc : NULL;
        j->env = env;
        return env;
}

/* The scan's default since December 2026 (not --no-report-cut) for j's next lines; tj_disc
 * turns it off again. */
static inline void tj_report_cut(struct job *j)
{
        tj_env_of(j)->report_cut = true;
}

/* --details for j's next lines (tj_disc turns it off again), its discovery kept. */
static inline void tj_details(struct job *j)
{
        tj_env_of(j)->details = true;
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

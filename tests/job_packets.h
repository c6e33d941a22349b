/* job_packets.h -- test helpers: jobs that run the dmarc check alone (its lookup is
 * look[0]), fed with the replies of packets.h; shared by test_job.c, test_ndjson.c and
 * test_compose.c. Header-only (static inline). Include after cmocka.h, ldns and job.h. */
#ifndef DS_TEST_JOB_PACKETS_H
#define DS_TEST_JOB_PACKETS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/dmarc/check.h"
#include "scanner/job.h"
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

#endif

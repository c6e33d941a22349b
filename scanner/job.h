/* job.h -- one input line's work: the composition of the enabled checks (check.h).
 * Contract: each check of the job has its own struct lookup; a lookup is owned by exactly
 * one thread at a time, handed over through the rings (loop thread while it is in flight,
 * one classifier thread while its check digests the reply), so a job's checks run their
 * lookups concurrently. job_start() (loop thread) starts every check; job_step()
 * (classifier) gives a lookup's reply to its check, which sets the next lookup
 * (JOB_STEP_QUERY) or finishes (JOB_STEP_DONE). The classifier that finishes the job's last
 * check (job_step() then returns JOB_STEP_DONE and job_finished() true, exactly once per
 * job) writes the line: job_conclude() leaves every check's result and the top-level
 * verdicts in its scratch. The job's input, set and environment are read-only while
 * lookups run.
 *
 * Memory: a job's lookups and check states are bound once, in memory job_init() allocates
 * or a caller's region (job_bind()); the scan reuses a job for many domains. Nothing else is
 * allocated per domain except by a check for data that outgrows its inline state, and
 * lookup_set_reply() for replies over DS_REPLY_INLINE. */
#ifndef DS_JOB_H
#define DS_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/check.h"
#include "scanner/input.h"
#include "scanner/lookup.h"
#include "scanner/toplevel.h"

enum job_step { JOB_STEP_QUERY, JOB_STEP_DONE };

struct ansmemo;

struct job {
        uint32_t idx;
        uint32_t gen;        /* job_start()s so far: tags what a scratch holds */
        uint16_t file;       /* index of the input file */
        uint8_t nlook;       /* lookups in use: set->n, or 1 for an input that is not OK */
        uint8_t busy;        /* loop thread: lookups not yet back for good */
        uint64_t give_up_ms; /* loop time after which no retry starts (--deadline) */
        uint64_t seq;        /* the item's position in the input, across files (set by the scan) */
        atomic_uint pending; /* checks not finished */
        /* Set once by the scan (shared, read-only). */
        const struct check_set *set;
        const struct check_env *env; /* NULL: exact discovery, no PSL */
        struct lookup *look;         /* one per check of set: owned when own_mem */
        uint8_t *state;              /* the checks' per-domain states, in the same memory */
        bool own_mem;                /* job_init() allocated look and state */
        struct input_item in;
};

/* The classifier's per-thread scratch: every check's, and the verdicts of the job
 * concluded last. */
struct job_scratch {
        const struct check_set *set;
        void *check[DS_CHECKS_MAX];
        struct check_facts facts[DS_CHECKS_MAX];
        struct toplevel top;
        /* Shared answers this thread was handed (NULL: none kept) and the loop's time as
         * last published (pool.c): job_step() answers a check's next shared lookup from it
         * when it can, instead of handing the lookup back to the loop. */
        struct ansmemo *memo;
        uint64_t now_ms;
};

/* Bytes of memory for the lookups and states of a job of set (a multiple of 64). */
size_t job_mem_size(const struct check_set *set);
/* Bind j to its checks (set and env outlive it), its lookups and states in mem:
 * job_mem_size(set) zeroed bytes, 64-byte aligned, that the caller owns and keeps until
 * after job_free(j). No allocation: a scan binds a job from its region when it first uses
 * it, so jobs it never needs at once cost no memory. */
void job_bind(struct job *j, const struct check_set *set, const struct check_env *env, void *mem);
/* job_bind() in memory of its own. Returns 0 or -ENOMEM. */
int job_init(struct job *j, const struct check_set *set, const struct check_env *env);
/* Release everything j holds (idempotent); a caller's memory stays the caller's. */
void job_free(struct job *j);

/* Prepare a job for a fresh input item (already copied into j->in). Loop thread. Returns
 * JOB_STEP_QUERY when lookups are to be sent (those of j->look[0..nlook) whose handoff is
 * JOB_STEP_QUERY), or JOB_STEP_DONE when none is: then j->look[0] goes to a classifier,
 * which finishes the job at once (an illegal or excluded input). */
enum job_step job_start(struct job *j);

/* Classifier: give l's reply to its check. */
enum job_step job_step(struct lookup *l, struct job_scratch *s);

/* After job_step() returned JOB_STEP_DONE: true for the one call that finished the job's
 * last check (its line is to be written now). */
bool job_finished(struct lookup *l);

/* Classifier, the job finished: every check's result and the top-level verdicts into s. */
void job_conclude(struct job *j, struct job_scratch *s);

/* Release what a domain left in the job (idempotent); the job stays bound. */
void job_clear(struct job *j);

/* The scratch for set's checks: 0 or -ENOMEM. */
int job_scratch_init(struct job_scratch *s, const struct check_set *set);
void job_scratch_free(struct job_scratch *s);

/* A check's state in j, and its scratch. */
static inline void *job_state(const struct job *j, unsigned check)
{
        return j->state + j->set->state_off[check];
}

/* A hint before j is worked on (bound to a new domain by the loop, classified by a
 * worker): start fetching its head and the input item's lines that both read (status, the
 * domain; the flags after raw). Changes nothing. */
static inline void job_prefetch(const struct job *j)
{
        __builtin_prefetch(j);
        __builtin_prefetch(&j->in);
        __builtin_prefetch(&j->in.raw_differs);
}

/* Outcome classes counted per scan: rcodes 0..15, then these. */
enum job_outcome {
        OUTCOME_TIMEOUT = 16,
        OUTCOME_MALFORMED,
        OUTCOME_CNAME_LOOP,
        OUTCOME_ILLEGAL,
        OUTCOME_EXCLUDED,
        OUTCOME_COUNT,
};
/* The outcome class of a concluded job: the status of the first check's decisive lookup. */
unsigned job_outcome(const struct job *j, const struct job_scratch *s);
const char *job_outcome_name(unsigned outcome);

#endif

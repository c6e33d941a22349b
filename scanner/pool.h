/* pool.h -- the classifier threads.
 * Contract: the loop thread hands a job's lookup to a worker with pool_dispatch() (lock-free
 * SPSC ring per worker, ck_ring); the worker runs job_step(), and when that finished the
 * job's last check writes the job's NDJSON line into its own output chunk; it hands the
 * lookup back through its own SPSC ring to the loop, waking it with uv_async_send() (no ring
 * has two producers: a preempted producer never makes another spin). Rings hold as many
 * entries as there are lookups (nlookups: jobs times checks), so a push never fails
 * (checked: common/check.h): the backpressure is that the loop admits a new domain only
 * for a free job. A worker that finds its ring empty flushes its partial chunk (so
 * lines reach the file promptly), spins briefly, then sleeps until the loop signals it. */
#ifndef DS_POOL_H
#define DS_POOL_H

#include <stdint.h>
#include <uv.h>

#include "common/clock.h"
#include "scanner/line.h"
#include "output/writer.h"
#include "scanner/job.h"
#include "scanner/summary.h"

struct pool;

/* back() runs on the loop thread for each lookup handed back (its l->handoff says why). */
typedef void (*pool_back_fn)(void *ctx, struct lookup *l);

/* Either the whole pool runs (threads, rings, the async handle on loop) or nothing is left
 * behind and *out is NULL. clock: when an idle worker's partial chunk has lingered. */
int pool_start(struct pool **out, unsigned nthreads, uint32_t nlookups,
               const struct check_set *checks, uv_loop_t *loop, struct writer *writer,
               const struct line_opts *opts, const struct ds_clock *clock, pool_back_fn back,
               void *ctx);

/* Loop thread: give l to a classifier. Sleeping workers are woken by pool_kick() (run
 * once per loop turn) when enough jobs wait or the oldest has waited a little
 * (POOL_WAKE_MS); it returns true when it left some waiting for that, so that a loop with
 * nothing else to do can turn again by then. */
#define POOL_WAKE_MS 2
void pool_dispatch(struct pool *p, struct lookup *l);
bool pool_kick(struct pool *p);
/* Loop thread: lookups dispatched and not handed back yet. */
uint32_t pool_out(const struct pool *p);

/* Loop thread: stop taking jobs (every job must be back) and join the threads; their
 * partial chunks go to the writer. Closes the async handle. */
void pool_stop(struct pool *p);
void pool_free(struct pool *p);

/* Shared lookups the workers answered from their own copies (scanner/ansmemo.h), summed;
 * only after pool_stop(). p may be NULL: 0. */
uint64_t pool_memo_hits(const struct pool *p);

/* Domains per outcome class, summed over workers; only after pool_stop(). */
void pool_outcomes(const struct pool *p, uint64_t out[OUTCOME_COUNT]);

/* Loop thread, before the first pool_dispatch(): every worker keeps a summary of the lines
 * it writes (scanner/summary.h; sectors: the input has a sector column). 0 or -ENOMEM
 * (then the scan is not to start: pool_free() releases what was set up). */
int pool_summarize(struct pool *p, bool sectors);

/* After pool_stop(): the workers' summaries merged into out (initialized here; the caller
 * frees it with summary_free). 0 or -ENOMEM. */
int pool_summary(const struct pool *p, struct summary *out, bool sectors);

#endif

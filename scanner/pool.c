/* pool.c -- classifier threads, their rings to and from the loop. */
#include "scanner/pool.h"

#include <ck_pr.h>
#include <ck_ring.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/check.h"
#include "common/tsan.h"
#include "scanner/ansmemo.h"

#define SPIN_ROUNDS 200 /* ~10 us: replies come in bursts per loop turn */
/* A sleeping worker is woken once this many jobs wait for it, or once the first has waited
 * this long (the loop turns at least every DS_TICK_MS): one wake-up per reply cost more
 * CPU in context switches than classifying the reply. */
#define POOL_WAKE_BATCH 32
#define CHUNK_LINGER_MS 200 /* an idle worker's partial chunk goes out after this long */
/* A push onto a ring cannot find it full (pool.h); if it ever does, the hand-back waits this
 * many times 1 ms for the loop to drain the ring before giving up on the process. */
#define PUSH_WAIT_ROUNDS 10000
#define BACK_AHEAD       32 /* lookups taken off a ring back and fetched together */
#define CLASSIFY_AHEAD   16 /* lookups a worker takes off its ring and fetches together */

struct worker {
        struct pool *pool;
        pthread_t thread;
        ck_ring_t ring; /* loop -> this worker */
        ck_ring_buffer_t *buf;
        /* This worker -> loop. One single-producer ring per worker, not one shared
         * multi-producer ring: with more workers than cores, a worker preempted inside a
         * multi-producer push made the others spin for its whole time slice (a 60,000-job
         * stress test took 85 s instead of 1). */
        ck_ring_t back;
        ck_ring_buffer_t *back_buf;
        _Atomic uint32_t sleeping; /* futex word: 1 while the worker waits for a wake-up */
        unsigned pending;          /* loop thread: jobs pushed since the worker was last woken */
        uint64_t pending_since;    /* loop time (ms) of the first of them */
        struct job_scratch scratch;
        struct jbuf line;
        struct ndjson_clock clock;
        struct writer_chunk *chunk;
        uint64_t chunk_since_ms;          /* when the chunk's first line was added */
        uint64_t outcomes[OUTCOME_COUNT]; /* read by the loop only after the join */
        struct summary *sum;              /* owned: what its lines said; NULL: none kept */
};

struct pool {
        unsigned n;
        struct worker *w;
        uv_async_t async;
        struct writer *writer;
        const struct line_opts *opts;
        const struct check_set *checks;
        const struct ds_clock *clock;
        pool_back_fn back_fn;
        void *ctx;
        _Atomic bool stop;
        bool stopped;
        /* The loop's time (uv_now), published once a loop turn (pool_kick) for the workers'
         * shared answers (scanner/ansmemo.h): one turn old at most, and a turn is at most
         * DS_TICK_MS, against TTLs of seconds. */
        _Atomic uint64_t now_ms;
        unsigned next;
        uint32_t out; /* loop thread: lookups dispatched and not yet handed back */
};

static unsigned ring_size(uint32_t nlookups)
{
        unsigned s = 4;
        while (s < nlookups + 1u)
                s <<= 1;
        return s;
}

static void hand_back(struct worker *w, struct lookup *l)
{
        struct pool *p = w->pool;
        DS_TSAN_RELEASE(l);
        bool pushed = ck_ring_enqueue_spsc(&w->back, w->back_buf, l);
        /* libuv 1.44's uv_async_send first reads the handle's flag and returns if a wake-up is
         * pending. On x86 that read may pass the push above (still in this core's store
         * buffer): the loop then clears the flag, drains the ring without l and no wake-up
         * follows, and a scan waited forever for its last domain (libuv PR #349; found writing
         * to a full disk, ~1 in 300 scans). The fence orders the push before that read. */
        atomic_thread_fence(memory_order_seq_cst);
        if (ds_fails(pushed)) {
                /* Recover: the loop drains this ring on every wake-up; wait for room. */
                struct timespec ms = {0, 1000000};
                unsigned rounds = 0;
                uv_async_send(&p->async);
                while (!ck_ring_enqueue_spsc(&w->back, w->back_buf, l)) {
                        ds_require(++rounds < PUSH_WAIT_ROUNDS);
                        nanosleep(&ms, NULL);
                }
        }
        uv_async_send(&p->async);
}

static void classify(struct worker *w, struct lookup *l)
{
        struct pool *p = w->pool;
        struct job *j = l->job;
        w->scratch.now_ms = atomic_load_explicit(&p->now_ms, memory_order_relaxed);
        enum job_step st = job_step(l, &w->scratch);
        if (st == JOB_STEP_DONE && job_finished(l)) {
                jbuf_reset(&w->line);
                line_write(&w->line, j, &w->scratch, p->opts, &w->clock);
                w->outcomes[job_outcome(j, &w->scratch)]++;
                if (w->sum)
                        summary_add(w->sum, j, &w->scratch);
                if (w->chunk->len == 0)
                        w->chunk_since_ms = ds_clock_mono_ms(p->clock);
                writer_append(p->writer, &w->chunk, w->line.p, w->line.len, j->seq);
        }
        l->handoff = (uint8_t)st;
        hand_back(w, l);
}

static struct lookup *next_job(struct worker *w)
{
        void *v;
        if (!ck_ring_dequeue_spsc(&w->ring, w->buf, &v))
                return NULL;
        DS_TSAN_ACQUIRE(v);
        return v;
}

/* Hand the partial chunk to the writer once its oldest line has waited CHUNK_LINGER_MS:
 * flushing at every idle moment woke the writer thousands of times a second. */
static void flush_lingering(struct worker *w)
{
        if (w->chunk->len &&
            ds_clock_mono_ms(w->pool->clock) - w->chunk_since_ms >= CHUNK_LINGER_MS) {
                writer_chunk_put(w->pool->writer, w->chunk);
                w->chunk = writer_chunk_get(w->pool->writer);
        }
}

/* Sleep until the loop pushes a job or the pool stops. Returns NULL when stopping. */
static struct lookup *wait_job(struct worker *w)
{
        struct lookup *j;
        flush_lingering(w);
        for (int i = 0; i < SPIN_ROUNDS; i++) {
                if ((j = next_job(w)))
                        return j;
                ck_pr_stall();
        }
        for (;;) {
                atomic_store(&w->sleeping, 1);
                atomic_thread_fence(memory_order_seq_cst); /* pairs with pool_kick's fence */
                if ((j = next_job(w)) || atomic_load(&w->pool->stop))
                        break;
                /* A bare futex: one syscall to sleep and one to wake, where a mutex and condition
                 * variable took up to four per wake-up. */
                struct timespec linger = {0, CHUNK_LINGER_MS * 1000000L};
                long rc = syscall(SYS_futex, &w->sleeping, FUTEX_WAIT_PRIVATE, 1,
                                  w->chunk->len ? &linger : NULL, NULL, 0);
                if (rc < 0 && errno == ETIMEDOUT)
                        flush_lingering(w);
        }
        atomic_store(&w->sleeping, 0);
        return j;
}

/* Up to CLASSIFY_AHEAD more lookups off w's ring into v after the n already there;
 * returns the new count. The loop wrote them on another core: their heads, replies and
 * jobs are fetched for all of them before the first is classified, so that the misses
 * overlap instead of stalling each classification in turn. */
static unsigned take_jobs(struct worker *w, struct lookup **v, unsigned n)
{
        struct lookup *l;
        unsigned first = n;
        while (n < CLASSIFY_AHEAD && (l = next_job(w))) {
                v[n++] = l;
                lookup_prefetch_kept(l);
        }
        for (unsigned k = first; k < n; k++)
                job_prefetch(v[k]->job);
        return n;
}

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        struct lookup *v[CLASSIFY_AHEAD];
        for (;;) {
                unsigned n = take_jobs(w, v, 0);
                if (n == 0) {
                        if (!(v[0] = wait_job(w)))
                                break;
                        n = take_jobs(w, v, 1);
                }
                for (unsigned k = 0; k < n; k++)
                        classify(w, v[k]);
        }
        writer_chunk_put(w->pool->writer, w->chunk);
        w->chunk = NULL;
        return NULL;
}

/* Take up to BACK_AHEAD lookups off w's ring back into v; returns how many. Their lines
 * (the lookup's head, then its job's) were last written by the worker on another core:
 * fetched for all of them first, the misses overlap instead of coming one by one. */
static unsigned take_back(struct worker *w, struct lookup **v)
{
        unsigned n = 0;
        void *x;
        while (n < BACK_AHEAD && ck_ring_dequeue_spsc(&w->back, w->back_buf, &x)) {
                DS_TSAN_ACQUIRE(x);
                v[n++] = x;
                __builtin_prefetch(x);
        }
        for (unsigned k = 0; k < n; k++)
                __builtin_prefetch(v[k]->job, 1);
        return n;
}

static void on_async(uv_async_t *a)
{
        struct pool *p = a->data;
        struct lookup *v[BACK_AHEAD];
        for (unsigned i = 0; i < p->n; i++) {
                unsigned n;
                while ((n = take_back(&p->w[i], v)) > 0) {
                        for (unsigned k = 0; k < n; k++) {
                                if (!ds_fails(p->out > 0))
                                        p->out--;
                                p->back_fn(p->ctx, v[k]);
                        }
                }
        }
}

/* Free what init_workers set up for the first n workers, whose threads are not running:
 * never started, or joined (those already handed their chunk over). */
static void free_workers(struct pool *p, unsigned n)
{
        for (unsigned i = 0; i < n; i++) {
                struct worker *w = &p->w[i];
                if (w->chunk)
                        writer_chunk_put(p->writer, w->chunk);
                w->chunk = NULL;
                free(w->buf);
                free(w->back_buf);
                ansmemo_free(w->scratch.memo);
                w->scratch.memo = NULL;
                job_scratch_free(&w->scratch);
                jbuf_free(&w->line);
                if (w->sum)
                        summary_free(w->sum);
                free(w->sum);
                w->sum = NULL;
        }
}

static void free_pool(struct pool *p)
{
        free(p->w);
        free(p);
}

/* Everything a worker needs before its thread starts; on failure nothing is left set up. */
static int init_workers(struct pool *p, unsigned size)
{
        for (unsigned i = 0; i < p->n; i++) {
                struct worker *w = &p->w[i];
                w->pool = p;
                if (job_scratch_init(&w->scratch, p->checks) < 0 ||
                    ansmemo_new(&w->scratch.memo) < 0) {
                        free_workers(p, i + 1);
                        return -ENOMEM;
                }
                jbuf_init(&w->line);
                w->buf = calloc(size, sizeof(*w->buf));
                w->back_buf = calloc(size, sizeof(*w->back_buf));
                if (!w->buf || !w->back_buf) {
                        free_workers(p, i + 1);
                        return -ENOMEM;
                }
                ck_ring_init(&w->ring, size);
                ck_ring_init(&w->back, size);
                w->chunk = writer_chunk_get(p->writer);
        }
        return 0;
}

static void wake(struct worker *w)
{
        atomic_store(&w->sleeping, 0);
        syscall(SYS_futex, &w->sleeping, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Stop and join the threads of the first n workers; they hand their chunks over. */
static void join_workers(struct pool *p, unsigned n)
{
        atomic_store(&p->stop, true);
        for (unsigned i = 0; i < n; i++)
                wake(&p->w[i]);
        for (unsigned i = 0; i < n; i++)
                pthread_join(p->w[i].thread, NULL);
}

/* Threads and the async handle last: each is undone here if a later step fails. */
static int start_threads(struct pool *p, uv_loop_t *loop)
{
        for (unsigned i = 0; i < p->n; i++) {
                int rc = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]);
                if (rc) {
                        join_workers(p, i);
                        return -rc;
                }
                /* Named for top -H and perf: which role spends the CPU is the first question. */
                pthread_setname_np(p->w[i].thread, "ds-classify");
        }
        int rc = uv_async_init(loop, &p->async, on_async);
        if (rc < 0) {
                join_workers(p, p->n);
                return rc;
        }
        p->async.data = p;
        return 0;
}

int pool_start(struct pool **out, unsigned nthreads, uint32_t nlookups,
               const struct check_set *checks, uv_loop_t *loop, struct writer *writer,
               const struct line_opts *opts, const struct ds_clock *clock, pool_back_fn back,
               void *ctx)
{
        *out = NULL;
        if (ds_fails(nthreads > 0))
                return -EINVAL;
        struct pool *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        unsigned size = ring_size(nlookups);
        p->n = nthreads;
        p->writer = writer;
        p->opts = opts;
        p->checks = checks;
        p->clock = clock;
        p->back_fn = back;
        p->ctx = ctx;
        p->w = calloc(nthreads, sizeof(*p->w));
        int rc = p->w ? init_workers(p, size) : -ENOMEM;
        if (rc < 0) {
                free_pool(p);
                return rc;
        }
        rc = start_threads(p, loop);
        if (rc < 0) {
                free_workers(p, p->n);
                free_pool(p);
                return rc;
        }
        *out = p;
        return 0;
}

static struct worker *next_worker(struct pool *p)
{
        struct worker *w = &p->w[p->next];
        p->next = (p->next + 1) % p->n;
        return w;
}

void pool_dispatch(struct pool *p, struct lookup *j)
{
        /* A job dispatched after the stop would never come back: the scan ends without it. */
        if (ds_fails(!p->stopped))
                return;
        DS_TSAN_RELEASE(j);
        /* Each ring holds every job (pool.h), so a push cannot find it full. */
        struct worker *w = next_worker(p);
        if (ds_fails(ck_ring_enqueue_spsc(&w->ring, w->buf, j))) {
                /* Recover: another worker with room takes the job. */
                for (unsigned tries = 1;; tries++) {
                        ds_require(tries < p->n);
                        w = next_worker(p);
                        if (ck_ring_enqueue_spsc(&w->ring, w->buf, j))
                                break;
                }
        }
        if (w->pending++ == 0)
                w->pending_since = uv_now(p->async.loop);
        p->out++;
}

uint32_t pool_out(const struct pool *p)
{
        return p->out;
}

bool pool_kick(struct pool *p)
{
        uint64_t now = uv_now(p->async.loop);
        atomic_store_explicit(&p->now_ms, now, memory_order_relaxed);
        bool left = false;
        atomic_thread_fence(memory_order_seq_cst); /* pairs with wait_job's fence */
        for (unsigned i = 0; i < p->n; i++) {
                struct worker *w = &p->w[i];
                if (!w->pending)
                        continue;
                if (!atomic_load_explicit(&w->sleeping, memory_order_relaxed)) {
                        w->pending = 0; /* awake: it will find them */
                        continue;
                }
                if (w->pending >= POOL_WAKE_BATCH || now - w->pending_since >= POOL_WAKE_MS) {
                        w->pending = 0;
                        wake(w);
                } else {
                        left = true;
                }
        }
        return left;
}

void pool_stop(struct pool *p)
{
        if (!p || p->stopped)
                return;
        p->stopped = true;
        join_workers(p, p->n);
        on_async(&p->async); /* anything handed back after the last async callback */
        /* A worker classifies every job in its ring before it sees the stop. */
        (void)ds_fails(p->out == 0);
        uv_close((uv_handle_t *)&p->async, NULL);
}

void pool_free(struct pool *p)
{
        if (!p)
                return;
        /* Running threads would touch freed memory: nothing to recover to. */
        ds_require(p->stopped);
        free_workers(p, p->n);
        free_pool(p);
}

uint64_t pool_memo_hits(const struct pool *p)
{
        uint64_t n = 0;
        for (unsigned i = 0; p && i < p->n; i++)
                n += ansmemo_hits(p->w[i].scratch.memo);
        return n;
}

void pool_outcomes(const struct pool *p, uint64_t out[OUTCOME_COUNT])
{
        memset(out, 0, OUTCOME_COUNT * sizeof(out[0]));
        for (unsigned i = 0; i < p->n; i++)
                for (unsigned k = 0; k < OUTCOME_COUNT; k++)
                        out[k] += p->w[i].outcomes[k];
}

int pool_summarize(struct pool *p, bool sectors)
{
        for (unsigned i = 0; i < p->n; i++) {
                struct worker *w = &p->w[i];
                if (ds_fails(!w->sum))
                        continue;
                struct summary *sum = malloc(sizeof(*sum));
                if (!sum || summary_init(sum, p->checks, sectors) < 0) {
                        free(sum);
                        return -ENOMEM;
                }
                w->sum = sum;
        }
        return 0;
}

int pool_summary(const struct pool *p, struct summary *out, bool sectors)
{
        int rc = summary_init(out, p->checks, sectors);
        for (unsigned i = 0; rc == 0 && i < p->n; i++)
                if (p->w[i].sum)
                        summary_merge(out, p->w[i].sum);
        return rc;
}

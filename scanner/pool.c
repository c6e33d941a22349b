/* pool.c -- classifier threads, their rings, and the ring back to the loop. */
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

#define SPIN_ROUNDS 200 /* ~10 us: replies come in bursts per loop turn */
/* A sleeping worker is woken once this many jobs wait for it, or once the first has waited
 * this long (the loop turns at least every DS_TICK_MS): one wake-up per reply cost more
 * CPU in context switches than classifying the reply. */
#define POOL_WAKE_BATCH 32
#define POOL_WAKE_MS    2
#define CHUNK_LINGER_MS 200 /* an idle worker's partial chunk goes out after this long */

struct worker {
        struct pool *pool;
        pthread_t thread;
        ck_ring_t ring; /* loop -> this worker */
        ck_ring_buffer_t *buf;
        _Atomic uint32_t sleeping; /* futex word: 1 while the worker waits for a wake-up */
        unsigned pending;          /* loop thread: jobs pushed since the worker was last woken */
        uint64_t pending_since;    /* loop time (ms) of the first of them */
        struct job_scratch scratch;
        struct jbuf line;
        struct ndjson_clock clock;
        struct writer_chunk *chunk;
        uint64_t chunk_since_ms;          /* when the chunk's first line was added */
        uint64_t outcomes[OUTCOME_COUNT]; /* read by the loop only after the join */
};

struct pool {
        unsigned n;
        struct worker *w;
        ck_ring_t back; /* workers -> loop */
        ck_ring_buffer_t *back_buf;
        uv_async_t async;
        struct writer *writer;
        const struct ndjson_opts *opts;
        pool_back_fn back_fn;
        void *ctx;
        _Atomic bool stop;
        bool stopped;
        unsigned next;
};

static unsigned ring_size(uint32_t njobs)
{
        unsigned s = 4;
        while (s < njobs + 1u)
                s <<= 1;
        return s;
}

static void hand_back(struct pool *p, struct job *j)
{
        while (!ck_ring_enqueue_mpsc(&p->back, p->back_buf, j))
                ck_pr_stall(); /* cannot happen: the ring holds every job */
        uv_async_send(&p->async);
}

static void classify(struct worker *w, struct job *j)
{
        struct pool *p = w->pool;
        enum job_step st = job_step(j, &w->scratch);
        if (st == JOB_STEP_DONE) {
                jbuf_reset(&w->line);
                ndjson_job(&w->line, j, &w->scratch, p->opts, &w->clock);
                w->outcomes[job_outcome(j, &w->scratch)]++;
                if (w->chunk->len == 0)
                        w->chunk_since_ms = uv_hrtime() / 1000000;
                writer_append(p->writer, &w->chunk, w->line.p, w->line.len, j->seq);
        }
        j->handoff = (uint8_t)st;
        hand_back(p, j);
}

static struct job *next_job(struct worker *w)
{
        void *v;
        if (ck_ring_dequeue_spsc(&w->ring, w->buf, &v))
                return v;
        return NULL;
}

/* Hand the partial chunk to the writer once its oldest line has waited CHUNK_LINGER_MS:
 * flushing at every idle moment woke the writer thousands of times a second. */
static void flush_lingering(struct worker *w)
{
        if (w->chunk->len && uv_hrtime() / 1000000 - w->chunk_since_ms >= CHUNK_LINGER_MS) {
                writer_chunk_put(w->pool->writer, w->chunk);
                w->chunk = writer_chunk_get(w->pool->writer);
        }
}

/* Sleep until the loop pushes a job or the pool stops. Returns NULL when stopping. */
static struct job *wait_job(struct worker *w)
{
        struct job *j;
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

static void *worker_main(void *arg)
{
        struct worker *w = arg;
        for (;;) {
                struct job *j = next_job(w);
                if (!j)
                        j = wait_job(w);
                if (!j)
                        break;
                classify(w, j);
        }
        writer_chunk_put(w->pool->writer, w->chunk);
        w->chunk = NULL;
        return NULL;
}

static void on_async(uv_async_t *a)
{
        struct pool *p = a->data;
        void *v;
        while (ck_ring_dequeue_mpsc(&p->back, p->back_buf, &v))
                p->back_fn(p->ctx, v);
}

/* On failure *out may still be set (threads may be running): pool_stop and pool_free it. */
int pool_start(struct pool **out, unsigned nthreads, uint32_t njobs, uv_loop_t *loop,
               struct writer *writer, const struct ndjson_opts *opts, pool_back_fn back, void *ctx)
{
        struct pool *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        unsigned size = ring_size(njobs);
        p->writer = writer;
        p->opts = opts;
        p->back_fn = back;
        p->ctx = ctx;
        p->w = calloc(nthreads, sizeof(*p->w));
        p->back_buf = calloc(size, sizeof(*p->back_buf));
        if (!p->w || !p->back_buf) {
                pool_free(p);
                return -ENOMEM;
        }
        ck_ring_init(&p->back, size);
        uv_async_init(loop, &p->async, on_async);
        p->async.data = p;
        *out = p;
        /* p->n counts the workers whose thread runs: those are the ones stop and free see. */
        for (unsigned i = 0; i < nthreads; i++) {
                struct worker *w = &p->w[i];
                w->pool = p;
                w->buf = calloc(size, sizeof(*w->buf));
                if (!w->buf)
                        return -ENOMEM;
                ck_ring_init(&w->ring, size);
                job_scratch_init(&w->scratch);
                jbuf_init(&w->line);
                w->chunk = writer_chunk_get(writer);
                int rc = pthread_create(&w->thread, NULL, worker_main, w);
                if (rc) {
                        writer_chunk_put(writer, w->chunk);
                        free(w->buf);
                        job_scratch_free(&w->scratch);
                        jbuf_free(&w->line);
                        return -rc;
                }
                p->n = i + 1;
        }
        return 0;
}

static void wake(struct worker *w)
{
        atomic_store(&w->sleeping, 0);
        syscall(SYS_futex, &w->sleeping, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

void pool_dispatch(struct pool *p, struct job *j)
{
        /* p->n is at least 1 once pool_start succeeded; nothing dispatches before that. */
        struct worker *w = &p->w[p->next];
        p->next = (p->next + 1) % p->n;
        while (!ck_ring_enqueue_spsc(&w->ring, w->buf, j))
                ck_pr_stall(); /* cannot happen: the ring holds every job */
        if (w->pending++ == 0)
                w->pending_since = uv_now(p->async.loop);
}

void pool_kick(struct pool *p)
{
        uint64_t now = uv_now(p->async.loop);
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
                }
        }
}

void pool_stop(struct pool *p)
{
        if (!p || p->stopped)
                return;
        p->stopped = true;
        atomic_store(&p->stop, true);
        for (unsigned i = 0; i < p->n; i++)
                wake(&p->w[i]);
        for (unsigned i = 0; i < p->n; i++)
                pthread_join(p->w[i].thread, NULL);
        on_async(&p->async); /* anything handed back after the last async callback */
        uv_close((uv_handle_t *)&p->async, NULL);
}

void pool_free(struct pool *p)
{
        if (!p)
                return;
        for (unsigned i = 0; i < p->n; i++) {
                struct worker *w = &p->w[i];
                free(w->buf);
                job_scratch_free(&w->scratch);
                jbuf_free(&w->line);
        }
        free(p->w);
        free(p->back_buf);
        free(p);
}

void pool_outcomes(const struct pool *p, uint64_t out[OUTCOME_COUNT])
{
        memset(out, 0, OUTCOME_COUNT * sizeof(out[0]));
        for (unsigned i = 0; i < p->n; i++)
                for (unsigned k = 0; k < OUTCOME_COUNT; k++)
                        out[k] += p->w[i].outcomes[k];
}

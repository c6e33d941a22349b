/* test_pool.c -- unit and stress tests for scanner/pool.c.
 * Contract: jobs dispatched from the loop thread through the per-worker SPSC rings come
 * back through the workers' SPSC back rings exactly once each, and each finished job's line reaches
 * the writer exactly once; with one worker both rings are FIFO end to end, so jobs come back in
 * dispatch order. Many more jobs pass than the rings hold (each job is reused hundreds of
 * times), so the rings wrap many times; run under ThreadSanitizer (DS_SANITIZE=thread) this
 * is the pool's race test. Jobs are illegal input lines: the classifier finishes them at
 * once, so the test measures the hand-offs, not DNS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "child.h"
#include "common/tsan.h"
#include "output/sink.h"
#include "output/writer.h"
#include "scanner/job.h"
#include "scanner/pool.h"

#define NJOBS      64
#define ROUND_JOBS 4    /* the most jobs one round sends */
#define ROUNDS_MS  5000 /* rounds stop after this long, done or not */
#define STALL_MS   5000
/* ThreadSanitizer runs everything ~10x slower: fewer jobs and workers there keep the run
 * short, and interleavings, not volume, are what it looks for. */
#ifdef DS_TSAN
#define FIFO_JOBS    3000
#define MANY_WORKERS 3
#define MANY_JOBS    6000
#define ROUNDS       5000
#else
#define FIFO_JOBS    20000
#define MANY_WORKERS 4
#define MANY_JOBS    60000
#define ROUNDS       200000
#endif

struct run {
        uv_loop_t loop;
        uv_timer_t turn; /* keeps the loop turning so that pool_kick runs */
        uv_check_t kick;
        uv_idle_t spin; /* rounds: the loop polls without sleeping, as a busy scan's does */
        struct pool *pool;
        struct job jobs[NJOBS];
        uint64_t total, dispatched, back, out_of_order;
        uint64_t next_back; /* one worker: the sequence number expected next */
        bool fifo;
        uint8_t *seen; /* per sequence number: times handed back */
        /* Rounds: a burst of jobs out, all back, then the next; false: streaming. */
        bool rounds;
        unsigned out; /* rounds: this round's jobs not back yet */
        uint64_t rounds_left, last_back_ms, rounds_until_ms;
        bool stalled; /* a job stayed away STALL_MS with nothing else in flight */
};

static void dispatch_next(struct run *r, struct job *j)
{
        memset(&j->in, 0, sizeof(j->in));
        j->in.line = ++r->dispatched; /* 1-based sequence number */
        j->in.status = INPUT_ITEM_ILLEGAL;
        snprintf(j->in.raw, sizeof(j->in.raw), "bad..name-%" PRIu64, j->in.line);
        snprintf(j->in.error, sizeof(j->in.error), "empty label");
        j->in.rank = -1;
        j->in.raw_differs = true;
        assert_int_equal(job_start(j), JOB_STEP_DONE);
        pool_dispatch(r->pool, &j->look[0]);
}

static void stop(struct run *r)
{
        uv_close((uv_handle_t *)&r->turn, NULL);
        uv_close((uv_handle_t *)&r->kick, NULL);
        if (r->rounds)
                uv_close((uv_handle_t *)&r->spin, NULL);
        pool_stop(r->pool);
}

static void next_round(struct run *r)
{
        /* 1 to ROUND_JOBS, varied so that the last hand-back meets the loop at every phase
         * of its wake-up. */
        unsigned k = 1 + (unsigned)(r->rounds_left % ROUND_JOBS);
        r->rounds_left--;
        r->total += k;
        r->out = k;
        for (unsigned i = 0; i < k; i++)
                dispatch_next(r, &r->jobs[i]);
}

/* Rounds: the round's last hand-back is the one no later wake-up can rescue. */
static void on_back_rounds(struct run *r, struct job *j)
{
        r->last_back_ms = uv_now(&r->loop);
        job_clear(j);
        if (--r->out || r->stalled)
                return;
        if (r->rounds_left && r->last_back_ms < r->rounds_until_ms)
                next_round(r);
        else
                stop(r);
}

static void on_back(void *ctx, struct lookup *l)
{
        struct run *r = ctx;
        struct job *j = l->job;
        uint64_t seq = j->in.line;
        assert_true(seq >= 1 && seq <= r->total);
        assert_int_equal(l->handoff, JOB_STEP_DONE);
        r->seen[seq - 1]++;
        if (r->fifo && seq != r->next_back)
                r->out_of_order++;
        r->next_back = seq + 1;
        if (r->rounds) {
                on_back_rounds(r, j);
                return;
        }
        job_clear(j);
        if (r->dispatched < r->total)
                dispatch_next(r, j);
        else if (++r->back == NJOBS)
                stop(r); /* every job is home */
}

static void on_kick(uv_check_t *c)
{
        struct run *r = c->data;
        pool_kick(r->pool);
}

static void on_spin(uv_idle_t *h)
{
        (void)h;
}

static void on_turn(uv_timer_t *t)
{
        struct run *r = t->data;
        /* Nothing but the pool's wake-up can bring a round's jobs back: waiting longer than
         * any classification takes means the wake-up was lost. Stopping the pool drains the
         * rings, so the run still ends and the test says what happened. */
        if (r->rounds && !r->stalled && uv_now(&r->loop) - r->last_back_ms > STALL_MS) {
                r->stalled = true;
                stop(r);
        }
}

/* Reads the sink's file back: every "line" number from 1 to total exactly once. */
static void check_lines(const char *path, uint64_t total)
{
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        uint8_t *seen = calloc(total, 1);
        assert_non_null(seen);
        char buf[4096];
        uint64_t n = 0;
        while (fgets(buf, sizeof(buf), f)) {
                const char *p = strstr(buf, "\"line\":");
                assert_non_null(p);
                uint64_t seq = strtoull(p + 7, NULL, 10);
                assert_true(seq >= 1 && seq <= total);
                assert_int_equal(seen[seq - 1], 0);
                seen[seq - 1] = 1;
                n++;
        }
        assert_int_equal(n, total);
        fclose(f);
        free(seen);
}

/* rounds: up to total rounds of 1 to ROUND_JOBS jobs (ROUNDS_MS at most); else total jobs
 * streamed, NJOBS in flight. */
static void run_pool(unsigned threads, uint64_t total, bool rounds)
{
        char path[] = "/tmp/test_pool.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        struct sink *sink;
        assert_int_equal(sink_open(&sink, path, false, 0), 0);
        struct writer *writer;
        assert_int_equal(writer_start(&writer, sink, ds_clock_real(), NULL), 0);

        struct run *r = calloc(1, sizeof(*r));
        assert_non_null(r);
        r->total = rounds ? 0 : total; /* rounds count theirs as they go */
        r->rounds = rounds;
        r->rounds_left = rounds ? total : 0;
        r->fifo = threads == 1;
        r->next_back = 1;
        r->seen = calloc(total * (rounds ? ROUND_JOBS : 1), 1);
        assert_non_null(r->seen);
        assert_int_equal(uv_loop_init(&r->loop), 0);
        struct line_opts nd = {.clock = ds_clock_real()};
        struct check_set set;
        char err[128];
        assert_int_equal(check_set_parse(&set, "dmarc", check_registry, err, sizeof(err)), 0);
        assert_int_equal(pool_start(&r->pool, threads, NJOBS, &set, &r->loop, writer, &nd,
                                    ds_clock_real(), on_back, r),
                         0);
        uv_timer_init(&r->loop, &r->turn);
        r->turn.data = r;
        uv_timer_start(&r->turn, on_turn, 1, 1);
        uv_check_init(&r->loop, &r->kick);
        r->kick.data = r;
        uv_check_start(&r->kick, on_kick);
        for (unsigned i = 0; i < NJOBS; i++) {
                assert_int_equal(job_init(&r->jobs[i], &set, NULL), 0);
                r->jobs[i].idx = i;
                if (!rounds)
                        dispatch_next(r, &r->jobs[i]);
        }
        r->last_back_ms = uv_now(&r->loop);
        r->rounds_until_ms = r->last_back_ms + ROUNDS_MS;
        if (rounds) {
                uv_idle_init(&r->loop, &r->spin);
                uv_idle_start(&r->spin, on_spin);
                next_round(r);
        }
        assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
        assert_int_equal(uv_loop_close(&r->loop), 0);
        if (r->stalled)
                fail_msg("a hand-back never woke the loop (after %" PRIu64 " rounds)",
                         total - r->rounds_left);
        if (rounds)
                print_message("%" PRIu64 " rounds, %u workers\n", total - r->rounds_left, threads);
        total = r->total;

        assert_int_equal(r->dispatched, total);
        for (uint64_t i = 0; i < total; i++)
                assert_int_equal(r->seen[i], 1);
        assert_int_equal(r->out_of_order, 0);
        uint64_t outcomes[OUTCOME_COUNT];
        pool_outcomes(r->pool, outcomes);
        uint64_t classified = 0;
        for (unsigned k = 0; k < OUTCOME_COUNT; k++)
                classified += outcomes[k];
        assert_int_equal(classified, total);
        pool_free(r->pool);
        for (unsigned i = 0; i < NJOBS; i++)
                job_free(&r->jobs[i]);

        uint64_t lines = 0;
        assert_int_equal(writer_close(writer, &lines), 0);
        assert_int_equal(lines, total);
        check_lines(path, total);
        unlink(path);
        free(r->seen);
        free(r);
}

static void t_one_worker_is_fifo(void **st)
{
        (void)st;
        run_pool(1, FIFO_JOBS, false);
}

static void t_many_workers_exactly_once(void **st)
{
        (void)st;
        run_pool(MANY_WORKERS, MANY_JOBS, false);
}

/* Each round's last hand-back must wake the loop by itself: libuv 1.44's uv_async_send
 * reads the handle's flag before anything else, and without a fence in hand_back that read
 * could pass the ring push, so a scan waited forever for its last domain (seen ~1 in 300
 * scans writing to a full disk). */
static void t_last_hand_back_wakes_the_loop(void **st)
{
        (void)st;
        /* One worker: with two, a round's jobs wait for the sleeping one's 2 ms wake-up and
         * the rounds are 30 times fewer. */
        run_pool(1, ROUNDS, true);
}

/* In a child (the invariant it breaks must not abort there): a failed start leaves no pool
 * and nothing on the loop, which closes at once. Exits 0 when all of that held. */
static int failed_start(void)
{
        uv_loop_t loop;
        struct sink *sink;
        struct writer *writer;
        if (uv_loop_init(&loop) || sink_open(&sink, "/dev/null", false, 0) ||
            writer_start(&writer, sink, ds_clock_real(), NULL))
                return 10;
        struct line_opts nd = {0};
        struct pool *p = (struct pool *)&nd; /* must be overwritten */
        struct check_set set = {0};
        if (pool_start(&p, 0, NJOBS, &set, &loop, writer, &nd, ds_clock_real(), NULL, NULL) !=
            -EINVAL)
                return 11;
        if (p != NULL)
                return 12;
        uint64_t lines;
        return uv_loop_close(&loop) == 0 && writer_close(writer, &lines) == 0 ? 0 : 13;
}

static void t_start_failure_leaves_nothing(void **st)
{
        (void)st;
        int status = run_child("0", failed_start, NULL, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_one_worker_is_fifo),
            cmocka_unit_test(t_many_workers_exactly_once),
            cmocka_unit_test(t_last_hand_back_wakes_the_loop),
            cmocka_unit_test(t_start_failure_leaves_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_congestion.c -- the per-resolver congestion controller on simulated time: a client
 * with endless demand sends through cc_may_send() to a model resolver (a FIFO server with a
 * request-list limit, a token-bucket rate limiter, a path with random loss), one
 * millisecond per step, no sleeps. Asserts what the engine relies on: the window finds a
 * queue-limited resolver's capacity without loss, follows a rate limit down and back up,
 * does not collapse on random loss, never latches low after an outage, and marks the sends
 * of a congestion episode as congestion losses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns/congestion.h"

#define TIMEOUT_MS 2000
#define FIFO_MAX   (1u << 20)

struct pending {
        uint64_t at_ms, sent_ms; /* answer arrival (or, for losses, nothing) */
};

struct fifo {
        struct pending *v;
        size_t head, tail;
};

static void fifo_push(struct fifo *f, uint64_t at, uint64_t sent)
{
        assert_true(f->tail - f->head < FIFO_MAX);
        f->v[f->tail++ % FIFO_MAX] = (struct pending){at, sent};
}

static struct pending *fifo_peek(struct fifo *f)
{
        return f->head == f->tail ? NULL : &f->v[f->head % FIFO_MAX];
}

/* The model resolver. */
struct model {
        double service_qps;   /* FIFO server speed; 0 = infinitely fast */
        unsigned queue_limit; /* requests held at most (Unbound's num-queries-per-thread) */
        double bucket_qps;    /* token-bucket rate limit; 0 = none */
        double bucket_tokens;
        double random_loss;          /* share of queries lost whatever the load */
        double base_ms;              /* path round trip */
        uint64_t dead_from, dead_to; /* drops everything in [from, to) */
        double next_free_ms;         /* FIFO server: when it can start the next request */
        unsigned queued;             /* requests in the server */
        uint64_t rng;
};

struct sim {
        struct cc cc;
        struct model m;
        struct fifo answers; /* in arrival order */
        struct fifo lost;    /* sends that will never be answered, in send order */
        unsigned inflight;
        uint64_t now;
        /* per-second figures of the last completed second */
        uint64_t sec_sent, sec_answered, sec_dropped;
        uint64_t last_sent, last_answered, last_dropped;
        unsigned max_inflight;
};

static double rnd(struct model *m)
{
        m->rng ^= m->rng << 13;
        m->rng ^= m->rng >> 7;
        m->rng ^= m->rng << 17;
        return (double)(m->rng >> 11) / (double)(1ull << 53);
}

static void sim_init(struct sim *s, unsigned ceiling, bool adaptive)
{
        memset(s, 0, sizeof(*s));
        cc_init(&s->cc, ceiling, adaptive);
        s->answers.v = calloc(FIFO_MAX, sizeof(struct pending));
        s->lost.v = calloc(FIFO_MAX, sizeof(struct pending));
        assert_non_null(s->answers.v);
        assert_non_null(s->lost.v);
        s->m.base_ms = 0.3;
        s->m.rng = 88172645463325252ull;
        s->now = 1000000; /* like a loop clock: far from zero */
}

static void sim_free(struct sim *s)
{
        free(s->answers.v);
        free(s->lost.v);
}

/* Does the model drop this query? Otherwise, when does its answer arrive? */
static bool model_accepts(struct sim *s, uint64_t *at)
{
        struct model *m = &s->m;
        if (s->now >= m->dead_from && s->now < m->dead_to)
                return false;
        if (m->random_loss > 0 && rnd(m) < m->random_loss)
                return false;
        if (m->bucket_qps > 0) {
                if (m->bucket_tokens < 1)
                        return false;
                m->bucket_tokens -= 1;
        }
        double t = (double)s->now + m->base_ms / 2;
        if (m->service_qps > 0) {
                if (m->queued >= m->queue_limit)
                        return false;
                if (m->next_free_ms < t)
                        m->next_free_ms = t;
                m->next_free_ms += 1000.0 / m->service_qps;
                t = m->next_free_ms;
                m->queued++;
        }
        *at = (uint64_t)(t + m->base_ms / 2 + 0.999);
        return true;
}

static void sim_send(struct sim *s)
{
        uint64_t at;
        s->inflight++;
        if (s->inflight > s->max_inflight)
                s->max_inflight = s->inflight;
        cc_on_send(&s->cc, s->now, s->inflight);
        s->sec_sent++;
        if (model_accepts(s, &at)) {
                fifo_push(&s->answers, at, s->now);
        } else {
                fifo_push(&s->lost, 0, s->now);
                s->sec_dropped++;
        }
}

/* Lost sends leave the in-flight count at their timeout, or earlier when the controller
 * says their time is up (the engine resends them; here demand is endless anyway). */
static void sim_expire(struct sim *s, uint64_t lost_before)
{
        struct pending *p;
        while ((p = fifo_peek(&s->lost)) &&
               (p->sent_ms + TIMEOUT_MS <= s->now || p->sent_ms < lost_before)) {
                s->lost.head++;
                s->inflight--;
        }
}

static void sim_step(struct sim *s)
{
        struct pending *p;
        s->now++;
        if (s->m.bucket_qps > 0) {
                s->m.bucket_tokens += s->m.bucket_qps / 1000.0;
                if (s->m.bucket_tokens > s->m.bucket_qps / 20) /* 50 ms of burst */
                        s->m.bucket_tokens = s->m.bucket_qps / 20;
        }
        while ((p = fifo_peek(&s->answers)) && p->at_ms <= s->now) {
                cc_on_answer(&s->cc, p->sent_ms, (s->now - p->sent_ms) * 1000 + 150);
                s->answers.head++;
                s->inflight--;
                s->sec_answered++;
                if (s->m.service_qps > 0)
                        s->m.queued--;
        }
        sim_expire(s, cc_tick(&s->cc, s->now, TIMEOUT_MS, s->inflight));
        /* endless demand, at most a loop turn's worth per millisecond */
        for (int k = 0; k < 256 && cc_may_send(&s->cc, s->inflight, s->now); k++)
                sim_send(s);
        if (s->now % 1000 == 0) {
                s->last_sent = s->sec_sent;
                s->last_answered = s->sec_answered;
                s->last_dropped = s->sec_dropped;
                s->sec_sent = s->sec_answered = s->sec_dropped = 0;
        }
}

static void sim_run(struct sim *s, unsigned ms)
{
        for (unsigned i = 0; i < ms; i++)
                sim_step(s);
}

/* Stock Unbound in front of a fast server: 1,024 requests at most, ~30k q/s of work. */
static void test_queue_limited(void **state)
{
        (void)state;
        static struct sim s;
        sim_init(&s, 10000, true);
        s.m.service_qps = 30000;
        s.m.queue_limit = 1024;
        uint64_t dropped = 0, answered = 0;
        sim_run(&s, 2000);
        for (int sec = 0; sec < 5; sec++) {
                sim_run(&s, 1000);
                dropped += s.last_dropped;
                answered += s.last_answered;
        }
        print_message("queue-limited: window %u, answered %lu/s, dropped %lu in 5 s, "
                      "delay holds %lu, loss cuts %lu\n",
                      cc_window(&s.cc), (unsigned long)(answered / 5), (unsigned long)dropped,
                      (unsigned long)s.cc.stats.delay_holds, (unsigned long)s.cc.stats.loss_cuts);
        assert_true(answered / 5 >= 0.8 * 30000); /* keeps the server busy */
        assert_true(dropped * 100 <= answered);   /* under 1% lost after start-up */
        assert_true(cc_window(&s.cc) < 1024);     /* below the request-list limit */
        assert_true(s.cc.stats.delay_holds > 0);  /* the queue was seen building */
        sim_free(&s);
}

/* A rate limit that halves mid-scan and comes back: the send rate follows it both ways. */
static void test_rate_limit_follows(void **state)
{
        (void)state;
        static struct sim s;
        sim_init(&s, 10000, true);
        s.m.bucket_qps = 20000;
        sim_run(&s, 4000);
        uint64_t before = s.last_answered;
        s.m.bucket_qps = 10000;
        sim_run(&s, 4000);
        uint64_t low_sent = s.last_sent, low_dropped = s.last_dropped;
        s.m.bucket_qps = 20000;
        sim_run(&s, 6000);
        uint64_t after = s.last_answered;
        print_message("rate limit: 20k -> %lu answered/s; 10k -> %lu sent/s, %lu dropped; "
                      "20k again -> %lu answered/s; pacing %.0f q/s, loss cuts %lu\n",
                      (unsigned long)before, (unsigned long)low_sent, (unsigned long)low_dropped,
                      (unsigned long)after, s.cc.rate, (unsigned long)s.cc.stats.loss_cuts);
        assert_true(before >= 0.7 * 20000);
        assert_true(low_sent <= 1.15 * 10000); /* followed it down */
        assert_true(low_dropped * 10 <= low_sent);
        assert_true(after >= 0.7 * 20000); /* ...and back up */
        assert_true(s.cc.stats.loss_cuts > 0);
        sim_free(&s);
}

/* 30% of queries lost on the path whatever the load: not congestion. */
static void test_random_loss_does_not_collapse(void **state)
{
        (void)state;
        static struct sim s;
        sim_init(&s, 4000, true);
        s.m.random_loss = 0.30;
        sim_run(&s, 10000);
        print_message("random loss: window %u of 4000, loss cuts %lu, judged %lu\n",
                      cc_window(&s.cc), (unsigned long)s.cc.stats.loss_cuts,
                      (unsigned long)s.cc.stats.judged);
        assert_true(cc_window(&s.cc) >= 2000);
        assert_true(s.cc.stats.loss_cuts <= 3);
        sim_free(&s);
}

/* After a 3 s outage the window climbs back on its own: growth is clocked by time. */
static void test_recovers_after_outage(void **state)
{
        (void)state;
        static struct sim s;
        sim_init(&s, 5000, true);
        s.m.service_qps = 100000;
        s.m.queue_limit = 100000;
        sim_run(&s, 3000);
        unsigned before = cc_window(&s.cc);
        s.m.dead_from = s.now;
        s.m.dead_to = s.now + 3000;
        sim_run(&s, 3000);
        unsigned during = cc_window(&s.cc);
        sim_run(&s, 6000);
        print_message("outage: window %u before, %u at the end of the outage, %u 6 s after\n",
                      before, during, cc_window(&s.cc));
        assert_true(during < before);
        assert_true(cc_window(&s.cc) >= before / 2);
        assert_true(s.last_answered >= 50000);
        sim_free(&s);
}

/* Sends inside a congestion episode are congestion losses; sends well before are not. */
static void test_episode_marks_losses(void **state)
{
        (void)state;
        static struct sim s;
        sim_init(&s, 2000, true); /* an unlimited resolver first: no episode */
        sim_run(&s, 3000);
        uint64_t calm = s.now - 500;
        assert_int_equal(s.cc.stats.episodes, 0);
        assert_false(cc_congestion_loss(&s.cc, calm));
        s.m.bucket_qps = 5000; /* then a rate limit far below what it is sent */
        s.m.bucket_tokens = 250;
        uint64_t drop_start = s.now;
        sim_run(&s, 300);
        assert_true(s.cc.stats.episodes > 0);
        assert_true(cc_congestion_loss(&s.cc, drop_start + 20));
        assert_false(cc_congestion_loss(&s.cc, calm));
        sim_free(&s);
}

/* --no-adapt: the window is -c whatever happens. */
static void test_fixed_window(void **state)
{
        (void)state;
        static struct sim s;
        sim_init(&s, 800, false);
        s.m.bucket_qps = 1000;
        sim_run(&s, 3000);
        assert_int_equal(cc_window(&s.cc), 800);
        assert_int_equal(s.cc.stats.loss_cuts, 0);
        assert_false(cc_congestion_loss(&s.cc, s.now - 100));
        sim_free(&s);
}

/* The history halves its resolution instead of growing without bound. */
static void test_history_bounded(void **state)
{
        (void)state;
        struct cc_history h;
        struct cc c;
        cc_init(&c, 100, false);
        assert_int_equal(cc_history_init(&h, 20), 0);
        assert_int_equal(h.columns, CC_HISTORY_RESOLVERS);
        uint64_t t = 5000;
        for (unsigned i = 0; i < 3 * CC_HISTORY_MAX; i++, t += 1000)
                if (cc_history_due(&h, t))
                        for (unsigned r = 0; r < 20; r++)
                                cc_history_add(&h, r, &c);
        assert_true(h.n <= CC_HISTORY_MAX);
        assert_true(h.interval_ms >= 2000);
        assert_int_equal(h.window[0], 100);
        assert_int_equal(h.window[CC_HISTORY_RESOLVERS - 1], 100 * 5); /* the rest, summed */
        cc_history_free(&h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_queue_limited),
            cmocka_unit_test(test_rate_limit_follows),
            cmocka_unit_test(test_random_loss_does_not_collapse),
            cmocka_unit_test(test_recovers_after_outage),
            cmocka_unit_test(test_episode_marks_losses),
            cmocka_unit_test(test_fixed_window),
            cmocka_unit_test(test_history_bounded),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

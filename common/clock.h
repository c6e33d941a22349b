/* clock.h -- where the program reads the time: a monotonic clock (durations, timers) and
 * the wall clock (timestamps), behind two function pointers so that tests can move time by
 * hand instead of sleeping.
 * Contract: ds_clock_real() reads CLOCK_MONOTONIC and CLOCK_REALTIME; a struct ds_fake_clock
 * moves only when ds_fake_clock_advance() is called (any thread; reads are atomic). A clock
 * is read-only once set up, so any thread may read it. Waiting (sleeps, timed waits) stays
 * on real time: only what a reading decides goes through the clock. */
#ifndef DS_CLOCK_H
#define DS_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct ds_clock {
        uint64_t (*mono_ns)(void *ctx);
        void (*wall)(void *ctx, struct timespec *ts);
        void *ctx;
};

/* The process's real clocks (a shared constant). */
const struct ds_clock *ds_clock_real(void);

static inline uint64_t ds_clock_mono_ns(const struct ds_clock *c)
{
        return c->mono_ns(c->ctx);
}

static inline uint64_t ds_clock_mono_ms(const struct ds_clock *c)
{
        return c->mono_ns(c->ctx) / 1000000u;
}

static inline void ds_clock_wall(const struct ds_clock *c, struct timespec *ts)
{
        c->wall(c->ctx, ts);
}

/* Wall time as seconds since the epoch, with the fraction. */
double ds_clock_wall_s(const struct ds_clock *c);

/* For tests: both clocks start where given and advance together, only on request. */
struct ds_fake_clock {
        struct ds_clock clock; /* pass &fake.clock wherever a clock is wanted */
        _Atomic uint64_t mono_ns;
        _Atomic int64_t wall_ns; /* since the epoch */
};

void ds_fake_clock_init(struct ds_fake_clock *f, uint64_t mono_ns, int64_t wall_ns);
void ds_fake_clock_advance(struct ds_fake_clock *f, uint64_t ns);

#endif

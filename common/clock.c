/* clock.c -- the real clock and the fake one for tests (see clock.h). */
#include "common/clock.h"

static uint64_t real_mono_ns(void *ctx)
{
        (void)ctx;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void real_wall(void *ctx, struct timespec *ts)
{
        (void)ctx;
        clock_gettime(CLOCK_REALTIME, ts);
}

static const struct ds_clock real_clock = {real_mono_ns, real_wall, NULL};

const struct ds_clock *ds_clock_real(void)
{
        return &real_clock;
}

double ds_clock_wall_s(const struct ds_clock *c)
{
        struct timespec ts;
        ds_clock_wall(c, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t fake_mono_ns(void *ctx)
{
        struct ds_fake_clock *f = ctx;
        return atomic_load(&f->mono_ns);
}

static void fake_wall(void *ctx, struct timespec *ts)
{
        struct ds_fake_clock *f = ctx;
        int64_t ns = atomic_load(&f->wall_ns);
        ts->tv_sec = (time_t)(ns / 1000000000);
        ts->tv_nsec = (long)(ns % 1000000000);
}

void ds_fake_clock_init(struct ds_fake_clock *f, uint64_t mono_ns, int64_t wall_ns)
{
        f->clock = (struct ds_clock){fake_mono_ns, fake_wall, f};
        atomic_store(&f->mono_ns, mono_ns);
        atomic_store(&f->wall_ns, wall_ns);
}

void ds_fake_clock_advance(struct ds_fake_clock *f, uint64_t ns)
{
        atomic_fetch_add(&f->mono_ns, ns);
        atomic_fetch_add(&f->wall_ns, (int64_t)ns);
}

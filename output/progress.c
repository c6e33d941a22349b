/* progress.c -- progress line formatting. */
#include "output/progress.h"

#include <inttypes.h>
#include <unistd.h>

void progress_init(struct progress *p, FILE *out, bool quiet)
{
        p->out = out;
        p->tty = isatty(fileno(out));
        p->quiet = quiet;
        p->drawn = false;
        p->last_t = 0;
        p->last_sent = 0;
}

void progress_duration(char *out, size_t len, double s)
{
        uint64_t t = (uint64_t)(s + 0.5);
        if (t >= 3600)
                snprintf(out, len, "%" PRIu64 "h%02" PRIu64 "m", t / 3600, t / 60 % 60);
        else if (t >= 60)
                snprintf(out, len, "%" PRIu64 "m%02" PRIu64 "s", t / 60, t % 60);
        else
                snprintf(out, len, "%" PRIu64 "s", t);
}

static double eta(const struct progress_sample *s, double rate)
{
        if (s->total && rate > 0)
                return (double)(s->total - s->done) / rate;
        if (s->fraction > 0.001 && !s->kept)
                return s->elapsed_s * (1 - s->fraction) / s->fraction;
        /* Resumed: the kept lines were read (skipped) in no time, so the time spent says
         * nothing about the rest; the lines done so far for the fraction read do. */
        if (s->fraction > 0.001 && rate > 0)
                return ((double)s->done / s->fraction - (double)s->done) / rate;
        return -1;
}

void progress_update(struct progress *p, const struct progress_sample *s)
{
        double dt = s->elapsed_s - p->last_t;
        double qps = dt > 0 ? (double)(s->sent - p->last_sent) / dt : 0;
        double rate = s->elapsed_s > 0 ? (double)(s->done - s->kept) / s->elapsed_s : 0;
        p->last_t = s->elapsed_s;
        p->last_sent = s->sent;
        if (p->quiet)
                return;
        char done[64], left[32] = "?";
        if (s->total)
                snprintf(done, sizeof(done), "%" PRIu64 "/%" PRIu64, s->done, s->total);
        else if (s->fraction >= 0)
                snprintf(done, sizeof(done), "%" PRIu64 " (%.0f%% read)", s->done,
                         100 * s->fraction);
        else
                snprintf(done, sizeof(done), "%" PRIu64, s->done);
        double e = eta(s, rate);
        if (e >= 0)
                progress_duration(left, sizeof(left), e);
        fprintf(p->out,
                "%s%s domains | %.0f q/s | in flight %u%s%s | answered %" PRIu64
                " | NXDOMAIN %" PRIu64 " | timeouts %" PRIu64 " | errors %" PRIu64 " | ETA %s%s",
                p->tty ? "\r" : "", done, qps, s->inflight, s->windows[0] ? " of window " : "",
                s->windows, s->answered, s->nxdomain, s->timeouts, s->errors, left,
                p->tty ? "\033[K" : "\n");
        fflush(p->out);
        p->drawn = p->tty;
}

void progress_clear(struct progress *p)
{
        if (p->drawn) {
                fputs("\r\033[K", p->out);
                fflush(p->out);
                p->drawn = false;
        }
}

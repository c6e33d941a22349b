/* ndjson.c -- the timestamp of a line. */
#include "output/ndjson.h"

#include <string.h>

void ndjson_timestamp(struct ndjson_clock *clock, const struct ds_clock *now, char *out)
{
        struct timespec ts;
        ds_clock_wall(now, &ts);
        if (ts.tv_sec != clock->sec) {
                struct tm tm;
                gmtime_r(&ts.tv_sec, &tm);
                strftime(clock->text, sizeof(clock->text), "%Y-%m-%dT%H:%M:%S", &tm);
                clock->sec = ts.tv_sec;
        }
        unsigned ms = (unsigned)(ts.tv_nsec / 1000000) % 1000u;
        memcpy(out, clock->text, 19);
        out[19] = '.';
        out[20] = (char)('0' + ms / 100);
        out[21] = (char)('0' + ms / 10 % 10);
        out[22] = (char)('0' + ms % 10);
        out[23] = 'Z';
        out[24] = 0;
}

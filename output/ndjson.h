/* ndjson.h -- what every NDJSON line shares whatever it reports: its "ts" timestamp.
 * Contract: RFC 3339 UTC with milliseconds; a struct ndjson_clock per thread caches the
 * formatted second, so most lines only format milliseconds. No allocation. */
#ifndef DS_NDJSON_H
#define DS_NDJSON_H

#include <time.h>

#include "common/clock.h"

struct ndjson_clock {
        time_t sec;
        char text[24]; /* "2026-11-28T23:59:01" */
};

/* Now's wall time (read from now) into out (>= 25 bytes). */
void ndjson_timestamp(struct ndjson_clock *clock, const struct ds_clock *now, char *out);

#endif

/* ndjson.h -- the NDJSON line of one finished job (field names: docs/output.md, fixed by
 * ../shared/spec/output-contract.md). Contract: appends exactly one complete line ending in
 * '\n' to b; any bytes in records or input are escaped into valid JSON. Thread-safe given a
 * struct ndjson_clock per thread. */
#ifndef DS_NDJSON_H
#define DS_NDJSON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/clock.h"
#include "output/json.h"
#include "scanner/job.h"

#define NDJSON_SCHEMA 1

/* Caches the formatted second so most lines only format milliseconds. */
struct ndjson_clock {
        time_t sec;
        char text[24]; /* "2026-11-28T23:59:01" */
};

struct ndjson_opts {
        const char *const *files; /* input names, for "file" when there is more than one */
        unsigned nfiles;
        const struct ds_clock *clock; /* where "ts" is read; NULL: the real clock */
};

void ndjson_job(struct jbuf *b, const struct job *j, const struct job_scratch *s,
                const struct ndjson_opts *o, struct ndjson_clock *clock);

/* RFC 3339 UTC timestamp with milliseconds of now's wall time into out (>= 25 bytes). */
void ndjson_timestamp(struct ndjson_clock *clock, const struct ds_clock *now, char *out);

#endif

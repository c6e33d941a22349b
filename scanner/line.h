/* line.h -- the NDJSON line of one finished job (field names: docs/output.md, fixed by
 * ../shared/spec/output-contract.md). Contract: appends exactly one complete line ending in
 * '\n' to b; any bytes in records or input are escaped into valid JSON. Thread-safe given a
 * struct ndjson_clock per thread. Concludes the job (job_conclude: the line reports what
 * s then holds): the top-level verdicts, then each check's object in the set's order, then
 * the profile's object (--profile). */
#ifndef DS_LINE_H
#define DS_LINE_H

#include "common/clock.h"
#include "output/json.h"
#include "output/ndjson.h"
#include "scanner/job.h"
#include "scanner/profile/profile.h"

#define LINE_SCHEMA 1

struct line_opts {
        const char *const *files; /* input names, for "file" when there is more than one */
        unsigned nfiles;
        const struct ds_clock *clock;      /* where "ts" is read; NULL: the real clock */
        const struct profile_set *profile; /* its object ends the line; NULL: none */
};

void line_write(struct jbuf *b, struct job *j, struct job_scratch *s, const struct line_opts *o,
                struct ndjson_clock *clock);

#endif

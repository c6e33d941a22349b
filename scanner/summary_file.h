/* summary_file.h -- the --summary FILE (docs/output.md, "Summary"): what was scanned and how
 * (tool, argv, resolvers, checks, the Public Suffix List, every input with its SHA-256),
 * when, whether it covers the whole input, then the aggregate (scanner/summary.h).
 * Contract: one JSON object, written once when the scan ends (also after an interrupt),
 * atomically (FILE.tmp, then a rename: output/meta.h). */
#ifndef DS_SUMMARY_FILE_H
#define DS_SUMMARY_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/resolvers.h"
#include "scanner/cli.h"
#include "scanner/summary.h"

/* One input file as the reader saw it. */
struct summary_input {
        const char *path;   /* as given; "-" for stdin */
        char sha256[65];    /* of the bytes as stored; "" unless read to its end */
        uint64_t bytes;     /* read */
        uint64_t rows;      /* data lines read (every shard's) */
        const char *format; /* "list", "rank", "csv" */
};

struct summary_scan {
        const struct scan_config *cfg;
        const struct resolver_list *resolvers;
        const char *psl_source, *psl_date;
        const struct summary_input *inputs; /* cfg->ninputs of them */
        uint64_t duplicates;                /* this shard's names seen before in the input */
        double started_unix, ended_unix;
        bool partial; /* interrupted, or the input could not be read to its end */
        bool resumed; /* --resume: the counts are this run's lines only */
};

/* Returns 0 or -errno. */
int summary_write(const char *path, const struct summary_scan *m, const struct summary *s);

#endif

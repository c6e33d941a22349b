/* runmeta.h -- the run's metadata file (--metadata FILE): what was asked, what happened.
 * Contract: one JSON object written at the end of the scan (atomically, output/meta.h),
 * documented in docs/output.md; for reproducibility and benchmarks. */
#ifndef DS_RUNMETA_H
#define DS_RUNMETA_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/anscache.h"
#include "dns/engine.h"
#include "dns/https.h"
#include "dns/resolvers.h"
#include "dns/udp.h"
#include "output/json.h"
#include "scanner/cli.h"
#include "scanner/dnssec/probe.h"

struct runmeta {
        const struct scan_config *cfg;
        const struct resolver_list *resolvers;
        const struct engine_counters *counters;
        const struct cc_history *history;
        const struct udp_stats *udp;
        const struct tcp_stats *tcp;
        const struct anscache_stats *cache; /* the shared answer cache */
        uint64_t memo_hits; /* shared lookups the classifiers answered from their copies */
        uint64_t rcvbuf_drops;
        int rcvbuf_bytes;
        uint64_t lines, input_items;    /* lines: written to the output */
        uint64_t input_read;            /* data lines read, other shards' too */
        uint64_t duplicates;            /* this shard's names seen before (probably: the filter) */
        double duplicates_fp_rate;      /* the filter's false-positive rate at the end; < 0: off */
        uint64_t domains_in_flight_max; /* the most domains in flight at once (of -c) */
        double started_unix, wall_s;
        bool interrupted;
        const char *input_error;  /* NULL when none */
        const char *output_error; /* NULL when none */
        const char *psl_source;   /* the Public Suffix List loaded: a path or "builtin" */
        const char *psl_date;     /* its version or date */
        const char *checkpoint;   /* the checkpoint file kept, NULL when none */
        bool resumed;             /* --resume continued an earlier run */
        uint64_t resume_offset;   /* output bytes kept from the earlier runs */
        uint64_t resume_lines;    /* lines those bytes hold */
        const struct dnssec_probe *dnssec_probe; /* NULL: the dnssec check did not run */
        const struct https_stats *https;         /* NULL: no --mta-sts-policy */
};

/* Returns 0 or -errno. */
int runmeta_write(const char *path, const struct runmeta *m);

/* How domains were judged, shared with the summary (scanner/summary_file.c): "checks",
 * "profile", "discovery", "psl" {file, date} and "shard" {index, count, seed}, into w's
 * open object. */
void runmeta_write_method(struct jw *w, const struct scan_config *c, const char *psl_source,
                          const char *psl_date);

#endif

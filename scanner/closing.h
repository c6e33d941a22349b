/* closing.h -- the scan's closing summary on stderr: outcomes, the per-resolver table,
 * dropped replies, the resume and shared-cache figures, and the "done:" line.
 * Contract: prints what it is given, nothing else; the "done:" line comes last, since
 * scripts read it with tail -1. Loop thread, once, after the loop ended. */
#ifndef DS_CLOSING_H
#define DS_CLOSING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dns/anscache.h"
#include "dns/engine.h"
#include "dns/resolvers.h"

struct closing {
        bool quiet;               /* no outcome or resolver tables */
        const uint64_t *outcomes; /* OUTCOME_COUNT domains per outcome class */
        const struct resolver_list *resolvers;
        const struct engine_counters *counters;
        uint64_t rcvbuf_drops; /* datagrams our receive buffers lost */
        const struct anscache_stats *cache;
        uint64_t memo_hits;       /* shared lookups the classifiers answered themselves */
        const char *resumed_from; /* the checkpoint resumed from; NULL: not resumed */
        const char *output;
        uint64_t resume_lines, written_now; /* lines there before, lines this run wrote */
        uint64_t lines;                     /* domains whose line is done */
        double elapsed_s;
};

void closing_print(FILE *out, const struct closing *c);

#endif

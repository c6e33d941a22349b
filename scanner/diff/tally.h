/* tally.h -- the aggregate movement between two scans, counted domain by domain as the
 * diff goes, and printed as a text table.
 * Contract: fixed-size counters (no allocation): diff_tally_both() for a domain in both
 * scans, diff_tally_added() / diff_tally_removed() for a domain in only one. The table
 * (diff_tally_print) says how many domains are in both, added, removed, changed; the
 * posture transition matrix; every move between two postures as a sentence ("312 domains
 * moved from none to reject"), most common first; records gained and lost; SPF `all` and
 * spoofability moves; receivers changed; and the postures of the added and removed. */
#ifndef DS_DIFF_TALLY_H
#define DS_DIFF_TALLY_H

#include <stdint.h>
#include <stdio.h>

#include "scanner/diff/record.h"

struct diff_side_stats {
        const char *path;
        uint64_t lines, domains, no_domain, duplicates, malformed;
        unsigned runs; /* sorted runs written to disk */
};

struct diff_tally {
        uint64_t both, added, removed, changed;
        uint64_t kinds[DIFF_CHANGE_KINDS]; /* domains with each diff_change bit */
        uint64_t posture[DP_N][DP_N];      /* [old][new], domains in both */
        uint64_t spf_all[DA_N][DA_N];
        uint64_t spoofable[DSP_N][DSP_N];
        uint64_t added_posture[DP_N], removed_posture[DP_N];
};

void diff_tally_both(struct diff_tally *t, const struct diff_rec *o, const struct diff_rec *n,
                     unsigned changes);
void diff_tally_added(struct diff_tally *t, const struct diff_rec *n);
void diff_tally_removed(struct diff_tally *t, const struct diff_rec *o);
void diff_tally_print(const struct diff_tally *t, const struct diff_side_stats *old,
                      const struct diff_side_stats *new, FILE *out);

#endif

/* join.h -- the merge-join of two sorted scans: one NDJSON line per domain that changed,
 * was added or was removed (docs/output.md, "Diff"), and the movement counted.
 * Contract: old and new are finished extsorts of diff records (scanner/diff/side.h); each
 * domain's first line (lowest seq) counts, later lines of the same domain are counted in
 * the side's stats.duplicates and stats.domains counts distinct domains. Lines are
 * written to out (NULL: none) in domain order. Returns 0 or -errno (a sort or write error). */
#ifndef DS_DIFF_JOIN_H
#define DS_DIFF_JOIN_H

#include <stdio.h>

#include "scanner/diff/extsort.h"
#include "scanner/diff/tally.h"

int diff_join(struct extsort *old, struct extsort *new, struct diff_side_stats *old_stats,
              struct diff_side_stats *new_stats, struct diff_tally *t, FILE *out);

#endif

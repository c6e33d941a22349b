/* sumdiff.h -- `dmarcscan diff` of two --summary files: the movement of the aggregates.
 * Contract: for the whole scan (group "all") and each member of by_tld, by_rank_bucket and
 * by_sector (group "by_sector/NAME", ...), every rate ({n, total}) and every count that
 * either summary has (receivers' tables and the scan's description left out) gives one
 * NDJSON line to lines (NULL: none): {"group", "name" (the dotted path, e.g.
 * "posture.reject"), "old", "new" (the rate or count, null where that summary lacks it),
 * and for rates "old_share", "new_share" (n / total, null when total is 0) and "points"
 * (the difference in percentage points, null unless both shares exist)}. The table (to
 * table, NULL: none) shows the whole scan's rates and counts, and each sector's
 * enforcing and reject rates. Returns 0, or -EINVAL when an input is not a summary
 * (err says which), -errno on a write error. */
#ifndef DS_DIFF_SUMDIFF_H
#define DS_DIFF_SUMDIFF_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

int sumdiff(const json_t *old, const json_t *new, FILE *lines, FILE *table, char *err,
            size_t errlen);

#endif

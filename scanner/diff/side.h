/* side.h -- one input of `dmarcscan diff` (OLD or NEW) read into its external sort.
 * Contract: diff_side_read() is a thread body: it reads every line of side->path, keeps
 * the record of each line with a domain (scanner/diff/record.h) in an extsort of
 * side->arena bytes (temporary runs in $TMPDIR), counts lines, lines without a domain and
 * lines that are not scan lines, and finishes the sort. On failure side->rc is -errno and
 * side->err says why; side->sort is then closed and NULL. The caller closes side->sort. */
#ifndef DS_DIFF_SIDE_H
#define DS_DIFF_SIDE_H

#include <stddef.h>

#include "scanner/diff/extsort.h"
#include "scanner/diff/tally.h"

struct diff_side {
        size_t arena;
        struct extsort *sort;
        struct diff_side_stats stats; /* stats.path: the file */
        int rc;
        char err[512];
};

void *diff_side_read(void *side);

#endif

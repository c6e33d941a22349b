/* side.c -- reading one scan output into sorted records. */
#include "scanner/diff/side.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "scanner/diff/record.h"
#include "scanner/lines.h"

/* Every line into the sort; 0 or -errno with s->err set. */
static int read_all(struct diff_side *s, struct lines *in)
{
        unsigned char *rec = ds_xmalloc(DIFF_REC_MAX, "a diff record");
        struct diff_enc enc = {0};
        const char *line;
        size_t len;
        bool sorting = false; /* the sort failed (else a failure is the reader's) */
        int rc;
        while ((rc = lines_next(in, &line, &len)) > 0) {
                s->stats.lines++;
                int n = diff_rec_encode(&enc, line, len, s->stats.lines, rec);
                if (n < 0) {
                        s->stats.malformed++;
                        continue;
                }
                if (n == 0) {
                        s->stats.no_domain++;
                        continue;
                }
                rc = extsort_add(s->sort, rec, (size_t)n);
                if (rc < 0) {
                        snprintf(s->err, sizeof s->err, "%s: sorting: %s", s->stats.path,
                                 strerror(-rc));
                        sorting = true;
                        break;
                }
        }
        if (rc < 0 && !sorting)
                snprintf(s->err, sizeof s->err, "%s: %s", s->stats.path, lines_error(in));
        diff_enc_free(&enc);
        free(rec);
        return rc;
}

void *diff_side_read(void *arg)
{
        struct diff_side *s = arg;
        struct lines *in = NULL;
        s->rc = lines_open(&in, s->stats.path, s->err, sizeof s->err);
        if (s->rc == 0) {
                s->rc = extsort_open(&s->sort, s->arena, NULL, diff_rec_cmp);
                if (s->rc < 0)
                        snprintf(s->err, sizeof s->err, "sorting: %s", strerror(-s->rc));
        }
        if (s->rc == 0)
                s->rc = read_all(s, in);
        if (s->rc == 0 && s->stats.lines > 0 && s->stats.malformed == s->stats.lines) {
                snprintf(s->err, sizeof s->err, "%s: no line is a dmarcscan scan line",
                         s->stats.path);
                s->rc = -EINVAL;
        }
        if (s->rc == 0) {
                s->rc = extsort_finish(s->sort);
                if (s->rc < 0)
                        snprintf(s->err, sizeof s->err, "%s: sorting: %s", s->stats.path,
                                 strerror(-s->rc));
        }
        if (s->sort)
                s->stats.runs = extsort_spilled(s->sort);
        if (s->rc < 0) {
                extsort_close(s->sort);
                s->sort = NULL;
        }
        lines_close(in);
        return NULL;
}

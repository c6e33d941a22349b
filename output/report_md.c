/* report_md.c -- the report as GitHub / CommonMark pipe tables for a paper draft: every
 * cell escaped with esc_md(), long names cut with "...". */
#include <string.h>

#include "output/escape.h"
#include "output/report.h"

#define CELL_MAX 80

static void put(struct jbuf *b, const char *s)
{
        jbuf_raw(b, s, strlen(s));
}

static void cell(struct jbuf *b, const char *s)
{
        put(b, " ");
        esc_cut(b, esc_md, s, CELL_MAX, "...");
        put(b, " |");
}

static void table(struct jbuf *b, const struct report_table *t)
{
        put(b, "\n## ");
        esc_md(b, t->title, strlen(t->title));
        put(b, "\n\n");
        if (t->note) {
                esc_md(b, t->note, strlen(t->note));
                put(b, "\n\n");
        }
        put(b, "|");
        for (unsigned k = 0; k < t->ncols; k++)
                cell(b, t->head[k]);
        put(b, "\n|");
        for (unsigned k = 0; k < t->ncols; k++)
                put(b, t->align[k] == RA_RIGHT ? " ---: |" : " --- |");
        put(b, "\n");
        for (unsigned r = 0; r < t->nrows; r++) {
                put(b, "|");
                for (unsigned k = 0; k < t->ncols; k++)
                        cell(b, t->cell[r * t->ncols + k]);
                put(b, "\n");
        }
}

void report_markdown(struct jbuf *b, const struct report *r)
{
        put(b, "# dmarcscan report");
        if (r->partial)
                put(b, " (partial scan)");
        put(b, "\n\nShares are of the row's total; 95% CI: Wilson score interval, in %.\n");
        for (unsigned i = 0; i < r->nt; i++)
                if (r->t[i].nrows)
                        table(b, &r->t[i]);
}

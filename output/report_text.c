/* report_text.c -- the report as aligned plain-text tables for a terminal (80 columns for
 * every table but the widest breakdowns): every cell escaped with esc_term(), long names
 * cut with "...". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "output/escape.h"
#include "output/report.h"

#define CELL_MAX  40  /* columns a cell takes at most */
#define VALUE_MAX 160 /* ... in the last column of a settings table (a command line, a path) */
#define WIDTH     80  /* notes are wrapped at */

/* Cell s, escaped and cut, into a fresh buffer. */
static void cell(struct jbuf *out, const char *s, size_t max)
{
        jbuf_reset(out);
        esc_cut(out, esc_term, s, max, "...");
        size_t w = esc_width(out->p, out->len);
        if (w > max) { /* escapes widened it: cut the escaped text */
                out->len = esc_prefix(out->p, out->len, max - 3);
                jbuf_raw(out, "...", 3);
        }
}

static void pad(struct jbuf *b, size_t n)
{
        for (size_t i = 0; i < n; i++)
                jbuf_raw(b, " ", 1);
}

static void put(struct jbuf *b, const char *s)
{
        jbuf_raw(b, s, strlen(s));
}

/* The note, words wrapped at WIDTH columns (notes are the report's own ASCII text). */
static void note(struct jbuf *b, const char *s)
{
        size_t col = 0;
        while (*s) {
                size_t n = strcspn(s, " ");
                if (col && col + 1 + n > WIDTH) {
                        put(b, "\n");
                        col = 0;
                } else if (col) {
                        put(b, " ");
                        col++;
                }
                jbuf_raw(b, s, n);
                col += n;
                s += n + (s[n] == ' ');
        }
        put(b, "\n");
}

/* The widest a cell of column k may be. */
static size_t max_of(const struct report_table *t, unsigned k)
{
        return k + 1 == t->ncols && t->align[k] == RA_LEFT ? VALUE_MAX : CELL_MAX;
}

static void table(struct jbuf *b, const struct report_table *t)
{
        size_t w[REPORT_COLS] = {0};
        struct jbuf c;
        jbuf_init(&c);
        for (unsigned k = 0; k < t->ncols; k++) {
                cell(&c, t->head[k], max_of(t, k));
                w[k] = esc_width(c.p, c.len);
        }
        for (unsigned r = 0; r < t->nrows; r++)
                for (unsigned k = 0; k < t->ncols; k++) {
                        cell(&c, t->cell[r * t->ncols + k], max_of(t, k));
                        size_t cw = esc_width(c.p, c.len);
                        w[k] = cw > w[k] ? cw : w[k];
                }
        put(b, "\n");
        put(b, t->title);
        put(b, "\n");
        for (size_t i = strlen(t->title); i > 0; i--)
                put(b, "=");
        put(b, "\n");
        if (t->note)
                note(b, t->note);
        for (unsigned r = 0; r <= t->nrows; r++) {
                size_t line = 0;
                for (unsigned k = 0; k < t->ncols; k++) {
                        cell(&c, r ? t->cell[(r - 1) * t->ncols + k] : t->head[k], max_of(t, k));
                        size_t cw = esc_width(c.p, c.len);
                        if (k)
                                put(b, "  ");
                        if (t->align[k] == RA_RIGHT)
                                pad(b, w[k] - cw);
                        jbuf_raw(b, c.p, c.len);
                        if (t->align[k] == RA_LEFT && k + 1 < t->ncols)
                                pad(b, w[k] - cw);
                        line += w[k] + (k ? 2 : 0);
                }
                put(b, "\n");
                if (r == 0) {
                        if (max_of(t, t->ncols - 1) == VALUE_MAX && line > WIDTH)
                                line = WIDTH; /* the values run on as long as they are */
                        for (size_t i = 0; i < line; i++)
                                put(b, "-");
                        put(b, "\n");
                }
        }
        jbuf_free(&c);
}

void report_text(struct jbuf *b, const struct report *r)
{
        put(b, "dmarcscan ");
        if (r->version)
                esc_term(b, r->version, strlen(r->version));
        put(b, r->partial ? " report (PARTIAL: the scan did not cover its whole input)\n"
                          : " report\n");
        if (r->nt)
                put(b, "Shares are of the row's total; 95% CI: Wilson score interval, in %.\n");
        for (unsigned i = 0; i < r->nt; i++)
                if (r->t[i].nrows)
                        table(b, &r->t[i]);
}

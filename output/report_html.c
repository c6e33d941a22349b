/* report_html.c -- the report as one self-contained HTML page: inline CSS (light, dark
 * through prefers-color-scheme, print), inline SVG charts, no script, nothing fetched (the
 * page's Content-Security-Policy forbids both, should anything slip through). Every name is
 * escaped with esc_html() in text and attributes alike; chart labels are cut to fit, the
 * full name in the element's <title>. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output/escape.h"
#include "output/report.h"
#include "output/wilson.h"

#define W         960 /* the charts' coordinate width */
#define LABEL_W   210 /* the label column */
#define BAR_X     (LABEL_W + 10)
#define BAR_W     470
#define ROW_H     24
#define LABEL_MAX 26 /* code points of a label drawn */
#define CELL_MAX  72 /* ... of a table cell shown; the whole in its title */

static const char CSS[] =
    ":root{--bg:#fff;--fg:#1d2125;--muted:#5f6b76;--grid:#d9dee3;--card:#f4f6f8;--bar:#3467a8;"
    "--p0:#1a7f3c;--p1:#86c07c;--p2:#efb443;--p3:#b9bfc6;--p4:#d4543f;--p5:#7d6bb3;--ci:#111}"
    "@media (prefers-color-scheme:dark){:root{--bg:#14171b;--fg:#e4e7eb;--muted:#9aa5b1;"
    "--grid:#343b43;--card:#1e2329;--bar:#6b9fe0;--p0:#43b36a;--p1:#a5d98f;--p2:#f2c25c;"
    "--p3:#6c747d;--p4:#ec7a63;--p5:#a592e0;--ci:#f5f5f5}}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'DejaVu Sans',sans-serif}"
    "main{max-width:1000px;margin:0 auto;padding:24px 20px 48px}"
    "h1{font-size:26px;margin:0 0 4px;overflow-wrap:anywhere}"
    "h2{font-size:19px;margin:34px 0 6px;padding-bottom:4px;border-bottom:1px solid var(--grid)}"
    ".sub,.note{color:var(--muted);margin:0 0 10px;font-size:13.5px}"
    ".warn{color:var(--p4);font-weight:600}"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px;"
    "margin:18px 0}"
    ".card{background:var(--card);border-radius:8px;padding:12px 14px}"
    ".card .v{font-size:26px;font-weight:650}.card .k{color:var(--muted);font-size:13px}"
    "svg{width:100%;height:auto;display:block;margin:6px 0 10px}"
    "svg text{fill:var(--fg);font-size:13px}svg .m{fill:var(--muted);font-size:12px}"
    "svg .g{stroke:var(--grid);stroke-width:1}svg .bar{fill:var(--bar)}"
    "svg .ci{stroke:var(--ci);stroke-width:1.6;fill:none}svg .dot{fill:var(--ci)}"
    ".p0{fill:var(--p0)}.p1{fill:var(--p1)}.p2{fill:var(--p2)}.p3{fill:var(--p3)}"
    ".p4{fill:var(--p4)}.p5{fill:var(--p5)}"
    "table{border-collapse:collapse;width:100%;font-size:13.5px;margin:4px 0 8px;"
    "font-variant-numeric:tabular-nums}"
    "th,td{padding:3px 8px;border-bottom:1px solid var(--grid);text-align:left;"
    "vertical-align:top;overflow-wrap:anywhere}"
    "th{color:var(--muted);font-weight:600}td.r,th.r{text-align:right;white-space:nowrap}"
    ".legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:var(--muted);"
    "margin:2px 0 6px}"
    ".sw{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;"
    "vertical-align:-1px}"
    ".s0{background:var(--p0)}.s1{background:var(--p1)}.s2{background:var(--p2)}"
    ".s3{background:var(--p3)}.s4{background:var(--p4)}.s5{background:var(--p5)}"
    "@media print{:root{--bg:#fff;--fg:#000;--muted:#444;--grid:#bbb;--card:#f2f2f2;--ci:#000}"
    "body{font-size:11pt}main{max-width:none;padding:0}section{break-inside:avoid}"
    "h2{break-after:avoid}*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void put(struct jbuf *b, const char *s)
{
        jbuf_raw(b, s, strlen(s));
}

static void outf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct jbuf *b, const char *fmt, ...)
{
        char tmp[512];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        if (n > 0)
                jbuf_raw(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static void esc(struct jbuf *b, const char *s)
{
        esc_html(b, s, strlen(s));
}

#define ELLIPSIS "\xe2\x80\xa6"

/* A label cut to LABEL_MAX code points. */
static void label(struct jbuf *b, const char *s)
{
        esc_cut(b, esc_html, s, LABEL_MAX, ELLIPSIS);
}

static void svg_open(struct jbuf *b, const char *title, unsigned h)
{
        outf(b, "<svg viewBox=\"0 0 %d %u\" role=\"img\" aria-label=\"", W, h);
        esc(b, title);
        put(b, "\"><title>");
        esc(b, title);
        put(b, "</title>");
}

/* Percent gridlines over the bar area, labels at the top. */
static void grid(struct jbuf *b, unsigned y0, unsigned y1)
{
        for (int p = 0; p <= 100; p += 25) {
                double x = BAR_X + BAR_W * p / 100.0;
                outf(b, "<line class=\"g\" x1=\"%.1f\" y1=\"%u\" x2=\"%.1f\" y2=\"%u\"/>", x, y0, x,
                     y1);
                outf(b, "<text class=\"m\" x=\"%.1f\" y=\"%u\" text-anchor=\"middle\">%d%%</text>",
                     x, y0 - 4, p);
        }
}

static void pct_text(char *out, size_t cap, uint64_t n, uint64_t total)
{
        report_pct(out, cap, n, total);
}

/* ---- the charts ---- */

static void funnel_chart(struct jbuf *b, const struct report *r)
{
        unsigned h = 24 + r->nfunnel * ROW_H + 6;
        uint64_t base = r->nfunnel ? r->funnel[0].n : 0;
        svg_open(b, "Adoption funnel: domains at each stage, as a share of the scanned", h);
        grid(b, 18, h - 2);
        for (unsigned i = 0; i < r->nfunnel; i++) {
                const struct report_stage *s = &r->funnel[i];
                unsigned y = 22 + i * ROW_H;
                double w = base ? BAR_W * (double)s->n / (double)base : 0;
                char of_all[32], of_prev[32];
                pct_text(of_all, sizeof(of_all), s->n, base);
                pct_text(of_prev, sizeof(of_prev), s->n, s->of);
                put(b, "<g><title>");
                esc(b, s->name);
                char n[48];
                report_count(n, sizeof(n), s->n);
                outf(b, ": %s (%s of scanned, %s of the stage before)</title>", n, of_all, of_prev);
                outf(b, "<text x=\"%d\" y=\"%u\" text-anchor=\"end\">", LABEL_W, y + 14);
                label(b, s->name);
                put(b, "</text>");
                outf(b, "<rect class=\"bar\" x=\"%d\" y=\"%u\" width=\"%.1f\" height=\"%d\"/>",
                     BAR_X, y + 2, w, ROW_H - 6);
                outf(b, "<text x=\"%d\" y=\"%u\">%s \xc2\xb7 %s</text>", BAR_X + BAR_W + 10, y + 14,
                     n, of_all);
                if (i)
                        outf(b,
                             "<text class=\"m\" x=\"%d\" y=\"%u\" text-anchor=\"end\">%s of "
                             "previous</text>",
                             W - 4, y + 14, of_prev);
                put(b, "</g>");
        }
        put(b, "</svg>");
}

static void legend(struct jbuf *b, bool whisker)
{
        put(b, "<div class=\"legend\">");
        for (unsigned p = 0; p < REPORT_POSTURES; p++)
                outf(b, "<span><i class=\"sw s%u\"></i>%s</span>", p, REPORT_POSTURE_NAMES[p]);
        if (whisker)
                put(b, "<span>\xe2\x94\x9c\xe2\x97\x8f\xe2\x94\xa4 enforcing, with its 95% "
                       "Wilson interval</span>");
        put(b, "</div>");
}

/* One stacked bar of the posture classes, x from BAR_X, of total. */
static void stack(struct jbuf *b, const uint64_t *posture, uint64_t total, unsigned y, unsigned h)
{
        double x = BAR_X;
        for (unsigned p = 0; p < REPORT_POSTURES && total; p++) {
                double w = BAR_W * (double)posture[p] / (double)total;
                if (w > 0)
                        outf(b,
                             "<rect class=\"p%u\" x=\"%.2f\" y=\"%u\" width=\"%.2f\" "
                             "height=\"%u\"/>",
                             p, x, y, w, h);
                x += w;
        }
}

static void posture_chart(struct jbuf *b, const struct report *r)
{
        svg_open(b, "DMARC posture of the scanned domains", 52);
        grid(b, 18, 50);
        outf(b, "<text x=\"%d\" y=\"36\" text-anchor=\"end\">all scanned</text>", LABEL_W);
        stack(b, r->posture, r->scanned, 22, 22);
        char p[32];
        pct_text(p, sizeof(p), r->posture[0] + r->posture[1], r->scanned);
        outf(b, "<text x=\"%d\" y=\"36\">%s reject or quarantine</text>", BAR_X + BAR_W + 10, p);
        put(b, "</svg>");
        legend(b, false);
}

static void breakdown_chart(struct jbuf *b, const struct report_breakdown *bd)
{
        unsigned h = 24 + bd->n * ROW_H + 6;
        svg_open(b, bd->title, h);
        grid(b, 18, h - 2);
        for (unsigned i = 0; i < bd->n; i++) {
                const struct report_group *g = &bd->g[i];
                unsigned y = 22 + i * ROW_H;
                double lo = 0, hi = 0,
                       e = g->scanned ? (double)g->enforcing / (double)g->scanned : 0;
                wilson95(g->enforcing, g->scanned, &lo, &hi);
                char ep[32], ci[32], n[48];
                report_count(n, sizeof(n), g->scanned);
                pct_text(ep, sizeof(ep), g->enforcing, g->scanned);
                report_ci(ci, sizeof(ci), g->enforcing, g->scanned);
                put(b, "<g><title>");
                esc(b, g->name);
                outf(b, ": %s scanned, enforcing %s (95%% CI %s)</title>", n, ep, ci);
                outf(b, "<text x=\"%d\" y=\"%u\" text-anchor=\"end\">", LABEL_W, y + 14);
                label(b, g->name);
                put(b, "</text>");
                stack(b, g->posture, g->scanned, y + 3, ROW_H - 8);
                double x0 = BAR_X + BAR_W * lo, x1 = BAR_X + BAR_W * hi, xm = BAR_X + BAR_W * e;
                unsigned ym = y + ROW_H / 2 - 1;
                outf(b, "<path class=\"ci\" d=\"M%.1f %uv8M%.1f %uH%.1fM%.1f %uv8\"/>", x0, ym - 4,
                     x0, ym, x1, x1, ym - 4);
                outf(b, "<circle class=\"dot\" cx=\"%.1f\" cy=\"%u\" r=\"2.6\"/>", xm, ym);
                outf(b, "<text x=\"%d\" y=\"%u\">%s <tspan class=\"m\">(%s) n=%s</tspan></text>",
                     BAR_X + BAR_W + 10, y + 14, ep, ci, n);
                put(b, "</g>");
        }
        put(b, "</svg>");
        legend(b, true);
}

/* ---- tables and the page ---- */

static void table(struct jbuf *b, const struct report_table *t)
{
        put(b, "<table><thead><tr>");
        for (unsigned k = 0; k < t->ncols; k++) {
                put(b, t->align[k] == RA_RIGHT ? "<th class=\"r\">" : "<th>");
                esc(b, t->head[k]);
                put(b, "</th>");
        }
        put(b, "</tr></thead><tbody>");
        for (unsigned r = 0; r < t->nrows; r++) {
                put(b, "<tr>");
                for (unsigned k = 0; k < t->ncols; k++) {
                        const char *c = t->cell[r * t->ncols + k];
                        if (esc_width(c, strlen(c)) > CELL_MAX) {
                                put(b, "<td title=\"");
                                esc(b, c);
                                put(b, "\">");
                                esc_cut(b, esc_html, c, CELL_MAX, ELLIPSIS);
                                put(b, "</td>");
                                continue;
                        }
                        put(b, t->align[k] == RA_RIGHT ? "<td class=\"r\">" : "<td>");
                        esc(b, c);
                        put(b, "</td>");
                }
                put(b, "</tr>");
        }
        put(b, "</tbody></table>");
}

static const struct report_breakdown *breakdown_of(const struct report *r, const char *id)
{
        for (unsigned i = 0; i < r->nbd; i++)
                if (strcmp(r->bd[i].id, id) == 0)
                        return &r->bd[i];
        return NULL;
}

static void section(struct jbuf *b, const struct report *r, const struct report_table *t)
{
        outf(b, "<section id=\"%s\"><h2>", t->id);
        esc(b, t->title);
        put(b, "</h2>");
        if (t->note) {
                put(b, "<p class=\"note\">");
                esc(b, t->note);
                put(b, "</p>");
        }
        const struct report_breakdown *bd = breakdown_of(r, t->id);
        if (strcmp(t->id, "funnel") == 0 && r->nfunnel)
                funnel_chart(b, r);
        else if (strcmp(t->id, "posture") == 0)
                posture_chart(b, r);
        else if (bd)
                breakdown_chart(b, bd);
        table(b, t);
        put(b, "</section>");
}

static void card(struct jbuf *b, const char *value, const char *what, const char *ci)
{
        outf(b, "<div class=\"card\"><div class=\"v\">%s</div><div class=\"k\">%s", value, what);
        if (ci)
                outf(b, "<br>95%% CI %s", ci);
        put(b, "</div></div>");
}

/* The key figures: shares of the scanned domains (not the funnel's stages, which also
 * require the stages before them). */
static void cards(struct jbuf *b, const struct report *r)
{
        const struct {
                const char *what;
                uint64_t n;
        } keys[] = {{"publish a DMARC record", r->publishers},
                    {"enforce (quarantine or reject, in full or in part)", r->enforcing},
                    {"reject", r->posture[0]}};
        char v[48], ci[32];
        put(b, "<section class=\"cards\">");
        report_count(v, sizeof(v), r->scanned);
        card(b, v, "domains scanned", NULL);
        for (size_t i = 0; r->dmarc && i < sizeof(keys) / sizeof(keys[0]); i++) {
                report_pct(v, sizeof(v), keys[i].n, r->scanned);
                report_ci(ci, sizeof(ci), keys[i].n, r->scanned);
                card(b, v, keys[i].what, ci);
        }
        put(b, "</section>");
}

void report_html(struct jbuf *b, const struct report *r)
{
        put(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'unsafe-inline'\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
               "<meta name=\"color-scheme\" content=\"light dark\">"
               "<title>dmarcscan report</title><style>");
        put(b, CSS);
        put(b, "</style></head><body><main><header>");
        char n[48];
        report_count(n, sizeof(n), r->scanned);
        outf(b, "<h1>DMARC posture of %s domains</h1><p class=\"sub\">dmarcscan ", n);
        esc(b, r->version ? r->version : "");
        if (r->started && r->ended) {
                put(b, " \xc2\xb7 scanned ");
                esc(b, r->started);
                put(b, " to ");
                esc(b, r->ended);
        }
        if (r->from_lines)
                put(b, " \xc2\xb7 counted from the output lines");
        put(b, " \xc2\xb7 shares with 95% Wilson intervals</p>");
        if (r->partial)
                put(b, "<p class=\"warn\">Partial: the scan did not cover its whole input.</p>");
        put(b, "</header>");
        cards(b, r);
        for (unsigned i = 0; i < r->nt; i++)
                if (r->t[i].nrows)
                        section(b, r, &r->t[i]);
        put(b, "</main></body></html>\n");
}

/* report.h -- `dmarcscan report`: a summary (docs/output.md, "Summary") as tables and
 * charts people read: text for a terminal, Markdown for a paper draft, one self-contained
 * HTML page (inline CSS and SVG, no script, nothing fetched).
 * Contract: report_build() reads a parsed summary (borrowed; the report points into it, so
 * it must outlive the report) into a format-neutral struct report: tables whose cells are
 * plain text, not yet escaped, and the numbers the HTML charts draw. Every share carries
 * its 95% Wilson interval (output/wilson.h). Each renderer escapes every cell for its own
 * format (output/escape.h): names and sector values come from DNS and the input. A summary
 * that lacks a member (a check that did not run) lacks its rows, never shows zeros. */
#ifndef DS_REPORT_H
#define DS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "output/json.h"

#define REPORT_COLS       9
#define REPORT_TABLES     16
#define REPORT_GROUPS_MAX 30 /* groups of a breakdown drawn and listed, the largest first */
#define REPORT_POSTURES   6

enum report_align { RA_LEFT = 0, RA_RIGHT };

struct report_table {
        const char *id;    /* "funnel", "posture", "by_sector", ...: the HTML chart it goes with */
        const char *title; /* static */
        const char *note;  /* static or owned by the report's arena; NULL: none */
        unsigned ncols, nrows;
        const char *head[REPORT_COLS];
        uint8_t align[REPORT_COLS];
        char **cell; /* owned: nrows * ncols strings */
};

/* A group of a breakdown, for its chart. */
struct report_group {
        const char *name; /* borrowed from the summary */
        uint64_t scanned;
        uint64_t posture[REPORT_POSTURES]; /* reject, quarantine, none, missing, invalid, error */
        uint64_t enforcing;                /* of scanned */
};

struct report_breakdown {
        const char *id, *title; /* "by_sector", "Sector" */
        unsigned n;             /* groups drawn (at most REPORT_GROUPS_MAX) */
        unsigned total;         /* groups in the summary */
        struct report_group g[REPORT_GROUPS_MAX];
};

struct report_stage {
        const char *name; /* "domains", "resolving", ... */
        uint64_t n, of;   /* this stage, and the stage before it */
};

struct report {
        const json_t *sum;
        const char *version, *started, *ended;
        bool partial, from_lines, dmarc;
        uint64_t scanned, publishers,
            enforcing; /* with dmarc: totals.publishers, policy.enforcing */
        struct report_stage funnel[12];
        unsigned nfunnel;
        uint64_t posture[REPORT_POSTURES]; /* of scanned */
        struct report_breakdown bd[3];
        unsigned nbd;
        struct report_table t[REPORT_TABLES];
        unsigned nt;
};

extern const char *const REPORT_POSTURE_NAMES[REPORT_POSTURES];

/* 0, or -EINVAL when s is not a summary (no "statuses" / "totals"). */
int report_build(const json_t *s, struct report *r);
void report_free(struct report *r);

/* v as "1,234,567". */
void report_count(char *out, size_t cap, uint64_t v);

/* The share n/total as "45.2%", and its interval as "43.1-47.3" ("-" when total is 0). */
void report_pct(char *out, size_t cap, uint64_t n, uint64_t total);
void report_ci(char *out, size_t cap, uint64_t n, uint64_t total);

/* The page or text, appended to b. */
void report_text(struct jbuf *b, const struct report *r);
void report_markdown(struct jbuf *b, const struct report *r);
void report_html(struct jbuf *b, const struct report *r);

#endif

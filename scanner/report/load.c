/* load.c -- input files told apart, summaries merged, lines counted. */
#include "scanner/report/load.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "output/meta.h"
#include "scanner/report/line_facts.h"
#include "scanner/lines.h"
#include "scanner/summary.h"
#include "scanner/summary_merge.h"

/* A --summary file: its first JSON value is an object with schema, tool and scan. NULL
 * (and *is_lines) for anything else, or a file that cannot be read (err says why). */
static json_t *try_summary(const char *path, bool *is_lines, char *err, size_t errlen)
{
        json_error_t e;
        FILE *f = fopen(path, "rb");
        *is_lines = false;
        if (!f) {
                snprintf(err, errlen, "%s: %s", path, strerror(errno));
                return NULL;
        }
        json_t *first = json_loadf(f, JSON_DISABLE_EOF_CHECK, &e);
        fclose(f);
        bool summary = json_is_object(first) && json_object_get(first, "schema") &&
                       json_object_get(first, "tool") && json_object_get(first, "scan");
        json_decref(first);
        if (!summary) {
                *is_lines = true;
                return NULL;
        }
        json_t *all = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
        if (!all)
                snprintf(err, errlen, "%s:%d: %s", path, e.line, e.text);
        return all;
}

/* The lines' reading: one summary over every file, its checks fixed by the first OK line
 * (the counters of the other statuses do not depend on them). */
struct reading {
        struct summary s;
        struct line_checks checks;
        bool checks_known, any_sector;
        unsigned long long lines;
};

static int first_ok(struct reading *r, const json_t *line)
{
        line_checks(line, &r->checks);
        r->checks_known = true;
        line_checks_apply(&r->checks, &r->s);
        return 0;
}

static int count_line(struct reading *r, const json_t *line, char *err, size_t errlen)
{
        struct summary_facts f;
        if (line_is_ok(line)) {
                struct line_checks c;
                if (!r->checks_known)
                        first_ok(r, line);
                line_checks(line, &c);
                if (memcmp(&c, &r->checks, sizeof(c)) != 0) {
                        snprintf(err, errlen,
                                 "other checks than the lines before: the lines of "
                                 "different scans");
                        return -EINVAL;
                }
        }
        int rc = line_facts(line, &r->s, &f, err, errlen);
        if (rc == 0) {
                r->any_sector |= f.sector != NULL;
                summary_count(&r->s, &f);
        }
        return rc;
}

static int read_lines(struct reading *r, const char *path, char *err, size_t errlen)
{
        struct lines *l;
        const char *text;
        size_t len;
        char why[512] = "";
        int rc = lines_open(&l, path, err, errlen);
        if (rc < 0)
                return rc;
        while (rc == 0 && (rc = lines_next(l, &text, &len)) == 1) {
                json_error_t e;
                rc = 0;
                if (len == 0)
                        continue;
                json_t *line = json_loadb(text, len, JSON_ALLOW_NUL, &e);
                if (!line) {
                        snprintf(why, sizeof(why), "not JSON: %s", e.text);
                        rc = -EINVAL;
                } else {
                        rc = count_line(r, line, why, sizeof(why));
                        r->lines++;
                }
                json_decref(line);
        }
        if (rc < 0 && !why[0])
                snprintf(why, sizeof(why), "%s", lines_error(l));
        if (rc < 0)
                snprintf(err, errlen, "%s: line %llu: %s", path, (unsigned long long)lines_count(l),
                         why);
        lines_close(l);
        return rc < 0 ? rc : 0;
}

/* The reading rendered as a summary (summary_render) under a "source" header. */
static json_t *reading_json(struct reading *r, const char *const *paths, size_t n)
{
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        meta_header(&w, 1);
        jw_obj_open(&w, "source");
        jw_arr_open(&w, "lines_files");
        for (size_t i = 0; i < n; i++)
                jw_cstr(&w, NULL, paths[i]);
        jw_arr_close(&w);
        jw_uint(&w, "lines", r->lines);
        jw_arr_open(&w, "checks");
        const struct line_checks *c = &r->checks;
        const struct {
                bool ran;
                const char *name;
        } names[] = {{c->dmarc, "dmarc"},   {c->spf, "spf"},         {c->mx, "mx"},
                     {c->dnssec, "dnssec"}, {c->mta_sts, "mta_sts"}, {c->tls_rpt, "tls_rpt"},
                     {c->bimi, "bimi"},     {c->dkim, "dkim"}};
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
                if (names[i].ran)
                        jw_cstr(&w, NULL, names[i].name);
        jw_arr_close(&w);
        jw_obj_close(&w);
        jw_bool(&w, "partial", false);
        r->s.sectors = r->any_sector;
        summary_render(&w, &r->s);
        jw_end(&w);
        json_t *out = json_loadb(b.p, b.len, 0, NULL);
        jbuf_free(&b);
        return out;
}

static int load_lines(const char *const *paths, size_t n, json_t **out, char *err, size_t errlen)
{
        struct reading r = {0};
        int rc = summary_init_lines(&r.s, true);
        for (size_t i = 0; rc == 0 && i < n; i++)
                rc = read_lines(&r, paths[i], err, errlen);
        if (rc == 0 && !(*out = reading_json(&r, paths, n))) {
                snprintf(err, errlen, "out of memory");
                rc = -ENOMEM;
        }
        summary_free(&r.s);
        return rc;
}

static int load_summaries(json_t **in, const char *const *paths, size_t n, json_t **out, char *err,
                          size_t errlen)
{
        if (n == 1) {
                *out = json_incref(in[0]);
                return 0;
        }
        return summary_merge_json(in, paths, n, out, err, errlen);
}

int report_load(const char *const *paths, size_t n, json_t **out, char *err, size_t errlen)
{
        json_t **in = calloc(n ? n : 1, sizeof(*in));
        size_t nlines = 0;
        int rc = in ? 0 : -ENOMEM;
        *out = NULL;
        for (size_t i = 0; rc == 0 && i < n; i++) {
                bool is_lines;
                in[i] = try_summary(paths[i], &is_lines, err, errlen);
                nlines += is_lines;
                if (!in[i] && !is_lines)
                        rc = -EINVAL;
        }
        if (rc == 0 && nlines && nlines < n) {
                snprintf(err, errlen, "give either --summary files or NDJSON outputs, not both");
                rc = -EINVAL;
        }
        if (rc == 0)
                rc = nlines ? load_lines(paths, n, out, err, errlen)
                            : load_summaries(in, paths, n, out, err, errlen);
        for (size_t i = 0; in && i < n; i++)
                json_decref(in[i]);
        free(in);
        return rc;
}

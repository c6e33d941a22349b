/* report_model.c -- a summary's members into the report's tables and chart data: which
 * rates are shown, in what order, under what words. */
#include "output/report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "output/wilson.h"

#define RECEIVERS_SHOWN 20

const char *const REPORT_POSTURE_NAMES[REPORT_POSTURES] = {"reject",  "quarantine", "none",
                                                           "missing", "invalid",    "error"};

/* ---- reading the summary ---- */

static const json_t *at(const json_t *o, const char *path)
{
        char key[64];
        while (o && *path) {
                size_t n = strcspn(path, ".");
                if (n >= sizeof(key))
                        return NULL;
                memcpy(key, path, n);
                key[n] = 0;
                o = json_object_get(o, key);
                path += n + (path[n] == '.');
        }
        return o;
}

static uint64_t count(const json_t *v)
{
        return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v)
                                                               : 0;
}

/* A rate {n, total}; false when absent or not one (n > total included). */
static bool rate(const json_t *v, uint64_t *n, uint64_t *total)
{
        if (!json_is_object(v) || !json_is_integer(json_object_get(v, "n")))
                return false;
        *n = count(json_object_get(v, "n"));
        *total = count(json_object_get(v, "total"));
        return *n <= *total;
}

/* ---- cells ---- */

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dupf(const char *fmt, ...)
{
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                ds_oom("a report cell", 64);
        return s;
}

void report_count(char *out, size_t cap, uint64_t v)
{
        char d[32], b[48];
        int n = snprintf(d, sizeof(d), "%" PRIu64, v), o = 0;
        for (int i = 0; i < n; i++) {
                if (i && (n - i) % 3 == 0)
                        b[o++] = ',';
                b[o++] = d[i];
        }
        b[o] = 0;
        snprintf(out, cap, "%s", b);
}

static char *num(uint64_t v)
{
        char b[48];
        report_count(b, sizeof(b), v);
        return dupf("%s", b);
}

void report_pct(char *out, size_t cap, uint64_t n, uint64_t total)
{
        if (total == 0 || n > total)
                snprintf(out, cap, "-");
        else
                snprintf(out, cap, "%.1f%%", 100.0 * (double)n / (double)total);
}

void report_ci(char *out, size_t cap, uint64_t n, uint64_t total)
{
        double lo, hi;
        if (wilson95(n, total, &lo, &hi))
                snprintf(out, cap, "%.1f-%.1f", 100 * lo, 100 * hi);
        else
                snprintf(out, cap, "-");
}

static char *pct(uint64_t n, uint64_t total)
{
        char b[32];
        report_pct(b, sizeof(b), n, total);
        return dupf("%s", b);
}

static char *ci(uint64_t n, uint64_t total)
{
        char b[32];
        report_ci(b, sizeof(b), n, total);
        return dupf("%s", b);
}

/* ---- tables ---- */

static struct report_table *table(struct report *r, const char *id, const char *title,
                                  const char *const *head, const uint8_t *align, unsigned ncols)
{
        ds_require(r->nt < REPORT_TABLES && ncols <= REPORT_COLS);
        struct report_table *t = &r->t[r->nt++];
        memset(t, 0, sizeof(*t));
        t->id = id;
        t->title = title;
        t->ncols = ncols;
        for (unsigned c = 0; c < ncols; c++) {
                t->head[c] = head[c];
                t->align[c] = align ? align[c] : (c ? RA_RIGHT : RA_LEFT);
        }
        return t;
}

/* A row of the table's ncols cells, each owned (NULL: empty). */
static void row(struct report_table *t, char **cells)
{
        char **v = realloc(t->cell, (t->nrows + 1) * t->ncols * sizeof(*v));
        if (!v)
                ds_oom("a report row", t->ncols * sizeof(*v));
        t->cell = v;
        for (unsigned c = 0; c < t->ncols; c++)
                v[t->nrows * t->ncols + c] = cells[c] ? cells[c] : dupf("%s", "");
        t->nrows++;
}

/* Rows of "label | n | of | share | CI". */
static const char *const RATE_HEAD[] = {"Measure", "Domains", "Of", "Share", "95% CI"};

static void rate_row(struct report_table *t, const char *label, uint64_t n, uint64_t total)
{
        char *c[] = {dupf("%s", label), num(n), num(total), pct(n, total), ci(n, total)};
        row(t, c);
}

static void rate_at(struct report_table *t, const json_t *s, const char *path, const char *label)
{
        uint64_t n, total;
        if (rate(at(s, path), &n, &total))
                rate_row(t, label, n, total);
}

/* ---- the sections ---- */

static void overview(struct report *r, const json_t *s)
{
        static const char *const head[] = {"", "Lines"};
        struct report_table *t = table(r, "overview", "Overview", head, NULL, 2);
        static const struct {
                const char *path, *label;
        } rows[] = {{"totals.lines", "lines of output"},
                    {"totals.domains", "domains offered (OK and illegal)"},
                    {"statuses.OK", "scanned"},
                    {"statuses.ILLEGAL_INPUT", "illegal input"},
                    {"statuses.EXCLUDED", "excluded (--exclude)"},
                    {"totals.publishers", "publish a DMARC record"}};
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                if (at(s, rows[i].path)) {
                        char *c[] = {dupf("%s", rows[i].label), num(count(at(s, rows[i].path)))};
                        row(t, c);
                }
}

static const char *stage_label(const char *name)
{
        static const char *const map[][2] = {
            {"domains", "scanned"},     {"resolving", "resolving"},     {"mx", "with MX hosts"},
            {"spf", "with SPF"},        {"dmarc_record", "with DMARC"}, {"valid", "valid DMARC"},
            {"enforcing", "enforcing"}, {"reject", "p=reject"}};
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
                if (strcmp(map[i][0], name) == 0)
                        return map[i][1];
        return name;
}

static void funnel(struct report *r, const json_t *s)
{
        static const char *const head[] = {"Stage", "Domains", "Of previous",
                                           "Share", "95% CI",  "Of scanned"};
        const json_t *f = at(s, "funnel"), *v;
        const char *name;
        struct report_table *t = table(r, "funnel", "Adoption funnel", head, NULL, 6);
        t->note = "Each stage counts the domains that pass it and every stage before it.";
        json_object_foreach((json_t *)f, name, v)
        {
                uint64_t n, total;
                if (!rate(v, &n, &total) || r->nfunnel == sizeof(r->funnel) / sizeof(r->funnel[0]))
                        continue;
                r->funnel[r->nfunnel++] = (struct report_stage){stage_label(name), n, total};
                char *c[] = {dupf("%s", stage_label(name)),
                             num(n),
                             num(total),
                             pct(n, total),
                             ci(n, total),
                             pct(n, r->scanned)};
                row(t, c);
        }
}

static void posture(struct report *r, const json_t *s)
{
        static const char *const head[] = {"Posture", "Domains",       "Share",
                                           "95% CI",  "Of publishers", "95% CI"};
        struct report_table *t = table(r, "posture", "DMARC posture", head, NULL, 6);
        t->note = "Shares of the scanned domains, and of those that publish a record.";
        for (unsigned p = 0; p < REPORT_POSTURES; p++) {
                char path[64];
                uint64_t n = 0, total = 0, pn = 0, ptotal = 0;
                snprintf(path, sizeof(path), "posture.%s", REPORT_POSTURE_NAMES[p]);
                rate(at(s, path), &n, &total);
                snprintf(path, sizeof(path), "posture_publishers.%s", REPORT_POSTURE_NAMES[p]);
                bool pub = rate(at(s, path), &pn, &ptotal);
                r->posture[p] = n;
                char *c[] = {dupf("%s", REPORT_POSTURE_NAMES[p]),
                             num(n),
                             pct(n, total),
                             ci(n, total),
                             pub ? pct(pn, ptotal) : NULL,
                             pub ? ci(pn, ptotal) : NULL};
                row(t, c);
        }
}

/* ---- breakdowns ---- */

static int by_scanned(const void *a, const void *b)
{
        const struct report_group *x = a, *y = b;
        if (x->scanned != y->scanned)
                return x->scanned < y->scanned ? 1 : -1;
        return strcmp(x->name, y->name);
}

static void group_of(struct report_group *g, const char *name, const json_t *v)
{
        uint64_t total;
        memset(g, 0, sizeof(*g));
        g->name = name;
        g->scanned = count(at(v, "statuses.OK"));
        for (unsigned p = 0; p < REPORT_POSTURES; p++)
                rate(json_object_get(json_object_get(v, "posture"), REPORT_POSTURE_NAMES[p]),
                     &g->posture[p], &total);
        rate(at(v, "policy.enforcing"), &g->enforcing, &total);
}

static void breakdown(struct report *r, const json_t *s, const char *id, const char *title,
                      const char *what, bool sort)
{
        static const char *const head[] = {"",      "Scanned", "Reject",        "Quarantine",
                                           "None",  "Missing", "Invalid/error", "Enforcing",
                                           "95% CI"};
        const json_t *o = json_object_get(s, id), *v;
        const char *name;
        if (!json_is_object(o) || json_object_size(o) == 0)
                return;
        struct report_breakdown *b = &r->bd[r->nbd++];
        b->id = id;
        b->title = title;
        b->total = (unsigned)json_object_size(o);
        /* the largest REPORT_GROUPS_MAX, kept sorted by insertion */
        json_object_foreach((json_t *)o, name, v)
        {
                struct report_group g;
                group_of(&g, name, v);
                if (g.scanned == 0)
                        continue;
                if (b->n < REPORT_GROUPS_MAX)
                        b->g[b->n++] = g;
                else if (sort && by_scanned(&g, &b->g[b->n - 1]) < 0)
                        b->g[b->n - 1] = g;
                if (sort)
                        qsort(b->g, b->n, sizeof(b->g[0]), by_scanned);
        }
        struct report_table *t = table(r, id, title, head, NULL, 9);
        t->head[0] = what;
        if (b->total > b->n)
                t->note =
                    sort ? "Only the largest groups are listed; the summary JSON has every one."
                         : NULL;
        for (unsigned i = 0; i < b->n; i++) {
                const struct report_group *g = &b->g[i];
                char *c[] = {dupf("%s", g->name),
                             num(g->scanned),
                             pct(g->posture[0], g->scanned),
                             pct(g->posture[1], g->scanned),
                             pct(g->posture[2], g->scanned),
                             pct(g->posture[3], g->scanned),
                             pct(g->posture[4] + g->posture[5], g->scanned),
                             pct(g->enforcing, g->scanned),
                             ci(g->enforcing, g->scanned)};
                row(t, c);
        }
}

/* ---- rates, statuses, receivers, the scan ---- */

static void rates(struct report *r, const json_t *s)
{
        struct report_table *t = table(
            r, "rates", "Policy, reporting, SPF, MX and the further checks", RATE_HEAD, NULL, 5);
        t->note =
            "Of: enforcing, spoofable, SPF record and result, and MX, of the scanned; "
            "partial, of reject and quarantine; sp, np, rua, ruf, of valid records; "
            "external, of the domains with receivers, and authorized, of those with an "
            "external one; SPF all, permissive and limits, of the SPF records; DNSSEC and the "
            "MTA-STS, TLS-RPT, BIMI and DKIM rows (when those checks ran), of the scanned.";
        static const struct {
                const char *path, *label;
        } rows[] = {
            {"policy.enforcing", "enforcing"},
            {"policy.partial", "partial: pct<100 or t=y"},
            {"policy.sp_weaker", "sp weaker than p"},
            {"policy.np_weaker", "np weaker than p"},
            {"reports.rua", "rua: aggregate reports"},
            {"reports.ruf", "ruf: failure reports"},
            {"reports.external", "an external receiver"},
            {"reports.external_authorized", "external: all authorized"},
            {"reports.external_not_authorized", "external: one not authorized"},
            {"spoofable.yes", "spoofable: yes"},
            {"spoofable.subdomains_only", "spoofable: subdomains only"},
            {"spoofable.maybe", "spoofable: maybe"},
            {"spoofable.no", "spoofable: no"},
            {"spoofable.unknown", "spoofable: unknown"},
            {"spf.record", "SPF record"},
            {"spf.all.fail", "SPF -all"},
            {"spf.all.softfail", "SPF ~all"},
            {"spf.all.neutral", "SPF ?all"},
            {"spf.all.pass", "SPF +all"},
            {"spf.all.null", "SPF without all"},
            {"spf.permissive", "SPF permissive"},
            {"spf.too_many_lookups", "SPF over 10 lookups"},
            {"spf.too_many_void_lookups", "SPF over 2 void lookups"},
            {"spf.result.permerror", "SPF permerror"},
            {"spf.result.temperror", "SPF temperror"},
            {"mx.hosts", "MX hosts"},
            {"mx.null_mx", "null MX"},
            {"mx.no_mx", "no MX"},
            {"mx.nxdomain", "domain does not exist"},
            {"mx.error", "MX lookup failed"},
            {"dnssec.secure", "DNSSEC: secure"},
            {"dnssec.insecure", "DNSSEC: insecure"},
            {"dnssec.bogus", "DNSSEC: bogus"},
            {"dnssec.unknown", "DNSSEC: unknown"},
            {"adoption.mta_sts", "MTA-STS record"},
            {"adoption.mta_sts_valid", "MTA-STS record valid"},
            {"adoption.mta_sts_policy", "MTA-STS policy fetched and valid"},
            {"adoption.mta_sts_enforce", "MTA-STS policy enforced"},
            {"adoption.mta_sts_mx_match", "MTA-STS policy covers every MX host"},
            {"adoption.tls_rpt", "TLS-RPT record"},
            {"adoption.tls_rpt_valid", "TLS-RPT record valid"},
            {"adoption.bimi", "BIMI record"},
            {"adoption.bimi_valid", "BIMI record valid"},
            {"adoption.bimi_dmarc_ok", "BIMI: DMARC prerequisite met"},
            {"adoption.dkim_domainkey", "DKIM: _domainkey exists"},
            {"adoption.dkim_domainkey_absent", "DKIM: _domainkey absent"},
        };
        (void)r;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
                rate_at(t, s, rows[i].path, rows[i].label);
}

static void dns_status(struct report *r, const json_t *s)
{
        static const char *const head[] = {"Check", "Status", "Domains", "Share", "95% CI"};
        static const uint8_t align[] = {RA_LEFT, RA_LEFT, RA_RIGHT, RA_RIGHT, RA_RIGHT};
        const json_t *d = json_object_get(s, "dns_status"), *st, *v;
        const char *check, *name;
        struct report_table *t = table(r, "dns", "DNS outcomes", head, align, 5);
        t->note = "The status of each check's decisive lookup.";
        json_object_foreach((json_t *)d, check, st)
        {
                json_object_foreach((json_t *)st, name, v)
                {
                        uint64_t n, total;
                        if (!rate(v, &n, &total))
                                continue;
                        char *c[] = {dupf("%s", check), dupf("%s", name), num(n), pct(n, total),
                                     ci(n, total)};
                        row(t, c);
                }
        }
}

static void receivers(struct report *r, const json_t *s)
{
        static const char *const head[] = {"Organization", "Domains", "Share", "95% CI",
                                           "Overcount"};
        const json_t *rc = json_object_get(s, "receivers"), *e;
        size_t i;
        if (!rc)
                return;
        bool exact = json_is_true(json_object_get(rc, "exact"));
        struct report_table *t =
            table(r, "receivers", "Top report receivers", head, NULL, exact ? 4 : 5);
        t->note = exact ? "Organizational domains of the rua/ruf hosts; shares of the domains "
                          "that name a receiver."
                        : "Organizational domains of the rua/ruf hosts (counted approximately: "
                          "each count may be over by at most its overcount).";
        json_array_foreach(json_object_get(rc, "top"), i, e)
        {
                uint64_t n, total;
                const char *org = json_string_value(json_object_get(e, "org"));
                if (i == RECEIVERS_SHOWN || !org || !rate(e, &n, &total))
                        break;
                char *c[] = {dupf("%s", org), num(n), pct(n, total), ci(n, total),
                             exact ? NULL : num(count(json_object_get(e, "error")))};
                row(t, c);
        }
}

/* Strings of an array joined by sep. */
static char *joined(const json_t *a, const char *sep)
{
        size_t i, len = 1;
        const json_t *v;
        json_array_foreach(a, i, v) len +=
            strlen(json_is_string(v) ? json_string_value(v) : "?") + strlen(sep);
        char *out = calloc(1, len);
        if (!out)
                ds_oom("a report cell", len);
        json_array_foreach(a, i, v)
        {
                if (i)
                        strcat(out, sep);
                strcat(out, json_is_string(v) ? json_string_value(v) : "?");
        }
        return out;
}

static void setting(struct report_table *t, const char *key, char *value)
{
        char *c[] = {dupf("%s", key), value};
        row(t, c);
}

static char *scalar(const json_t *v)
{
        if (json_is_string(v))
                return dupf("%s", json_string_value(v));
        char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        char *out = dupf("%s", s ? s : "-");
        free(s);
        return out;
}

static void scan_config(struct report *r, const json_t *s)
{
        static const char *const head[] = {"Setting", "Value"};
        static const uint8_t align[] = {RA_LEFT, RA_LEFT};
        const json_t *sc = json_object_get(s, "scan"), *src = json_object_get(s, "source"), *v;
        size_t i;
        struct report_table *t = table(r, "scan", "The scan", head, align, 2);
        setting(t, "dmarcscan", scalar(at(s, "tool.version")));
        if (src) {
                setting(t, "counted from the lines of",
                        joined(json_object_get(src, "lines_files"), ", "));
                setting(t, "checks", joined(json_object_get(src, "checks"), ","));
                t->note = "Counted from the NDJSON lines: the scan's settings are in its "
                          "--summary or metadata file.";
                return;
        }
        setting(t, "started", scalar(json_object_get(s, "started")));
        setting(t, "ended", scalar(json_object_get(s, "ended")));
        setting(t, "partial", scalar(json_object_get(s, "partial")));
        const json_t *argv = json_object_get(sc, "argv");
        if (json_is_array(json_array_get(argv, 0))) /* merged: one command line per shard */
                json_array_foreach(argv, i, v) setting(t, "command", joined(v, " "));
        else
                setting(t, "command", joined(argv, " "));
        setting(t, "checks", joined(json_object_get(sc, "checks"), ","));
        setting(t, "profile", scalar(json_object_get(sc, "profile")));
        setting(t, "discovery", scalar(json_object_get(sc, "discovery")));
        setting(t, "Public Suffix List",
                dupf("%s (%s)", json_string_value(at(sc, "psl.file")) ?: "-",
                     json_string_value(at(sc, "psl.date")) ?: "-"));
        setting(t, "resolvers", joined(json_object_get(sc, "resolvers"), ", "));
        setting(t, "timeout, retries",
                dupf("%" PRIu64 " ms, %" PRIu64, count(json_object_get(sc, "timeout_ms")),
                     count(json_object_get(sc, "retries"))));
        setting(t, "shard", scalar(json_object_get(sc, "shard")));
        json_array_foreach(json_object_get(sc, "inputs"), i, v)
        {
                setting(t, "input",
                        dupf("%s (%s, %" PRIu64 " rows, sha256 %s)",
                             json_string_value(json_object_get(v, "path")) ?: "-",
                             json_string_value(json_object_get(v, "format")) ?: "-",
                             count(json_object_get(v, "rows")),
                             json_string_value(json_object_get(v, "sha256")) ?: "-"));
        }
        setting(t, "duplicates", num(count(json_object_get(sc, "duplicates"))));
}

int report_build(const json_t *s, struct report *r)
{
        memset(r, 0, sizeof(*r));
        if (!json_is_object(json_object_get(s, "statuses")) ||
            !json_is_object(json_object_get(s, "totals")))
                return -EINVAL;
        r->sum = s;
        r->version = json_string_value(at(s, "tool.version"));
        r->started = json_string_value(json_object_get(s, "started"));
        r->ended = json_string_value(json_object_get(s, "ended"));
        r->partial = json_is_true(json_object_get(s, "partial"));
        r->from_lines = json_object_get(s, "source") != NULL;
        r->dmarc = json_object_get(s, "posture") != NULL;
        r->scanned = count(at(s, "statuses.OK"));
        r->publishers = count(at(s, "totals.publishers"));
        r->enforcing = count(at(s, "policy.enforcing.n"));
        overview(r, s);
        funnel(r, s);
        if (r->dmarc) {
                posture(r, s);
                breakdown(r, s, "by_sector", "By sector", "Sector", true);
                breakdown(r, s, "by_rank_bucket", "By rank", "Rank", false);
                breakdown(r, s, "by_tld", "By top-level domain", "TLD", true);
        }
        rates(r, s);
        receivers(r, s);
        dns_status(r, s);
        scan_config(r, s);
        return 0;
}

void report_free(struct report *r)
{
        for (unsigned i = 0; i < r->nt; i++) {
                struct report_table *t = &r->t[i];
                for (unsigned k = 0; k < t->nrows * t->ncols; k++)
                        free(t->cell[k]);
                free(t->cell);
        }
        memset(r, 0, sizeof(*r));
}

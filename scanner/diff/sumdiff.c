/* sumdiff.c -- two summaries compared rate by rate. */
#include "scanner/diff/sumdiff.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "output/json.h"

/* Members of the top level that are not aggregates of a group. */
static const char *const NOT_AGGREGATES[] = {"schema",         "tool",      "scan",     "started",
                                             "ended",          "partial",   "unlisted", "by_tld",
                                             "by_rank_bucket", "by_sector", "receivers"};
static const char *const BREAKDOWNS[] = {"by_tld", "by_rank_bucket", "by_sector"};

struct sumdiff_out {
        FILE *lines, *table;
        struct jbuf b;
        int rc;
};

static bool skipped(const char *key)
{
        for (size_t i = 0; i < sizeof NOT_AGGREGATES / sizeof *NOT_AGGREGATES; i++)
                if (strcmp(key, NOT_AGGREGATES[i]) == 0)
                        return true;
        return false;
}

static bool is_rate(const json_t *v)
{
        return json_is_object(v) && json_is_integer(json_object_get(v, "n")) &&
               json_is_integer(json_object_get(v, "total"));
}

/* n / total of a rate; false when it has none. */
static bool share(const json_t *rate, double *out)
{
        if (!is_rate(rate))
                return false;
        json_int_t t = json_integer_value(json_object_get(rate, "total"));
        if (t <= 0)
                return false;
        *out = (double)json_integer_value(json_object_get(rate, "n")) / (double)t;
        return true;
}

static void put_value(struct jw *w, const char *key, const json_t *v)
{
        if (is_rate(v)) {
                jw_obj_open(w, key);
                jw_int(w, "n", json_integer_value(json_object_get(v, "n")));
                jw_int(w, "total", json_integer_value(json_object_get(v, "total")));
                jw_obj_close(w);
        } else if (json_is_integer(v)) {
                jw_int(w, key, json_integer_value(v));
        } else {
                jw_null(w, key);
        }
}

static void table_value(FILE *f, const json_t *v)
{
        double s;
        if (share(v, &s))
                fprintf(f, "%6.2f%% (%lld/%lld)", 100 * s,
                        (long long)json_integer_value(json_object_get(v, "n")),
                        (long long)json_integer_value(json_object_get(v, "total")));
        else if (is_rate(v))
                fprintf(f, "     - (0/0)");
        else if (json_is_integer(v))
                fprintf(f, "%lld", (long long)json_integer_value(v));
        else
                fprintf(f, "absent");
}

static void table_line(FILE *f, const char *group, const char *name, const json_t *o,
                       const json_t *n)
{
        fprintf(f, "  %s%s%-*s ", group, *group ? " " : "", *group ? 0 : 40, name);
        table_value(f, o);
        fputs(" -> ", f);
        table_value(f, n);
        double so, sn;
        if (share(o, &so) && share(n, &sn))
                fprintf(f, "  %+.2f points", 100 * (sn - so));
        else if (json_is_integer(o) && json_is_integer(n))
                fprintf(f, "  %+lld", (long long)(json_integer_value(n) - json_integer_value(o)));
        fputc('\n', f);
}

static bool in_table(const char *group, const char *name)
{
        if (strcmp(group, "all") == 0)
                return true;
        return strncmp(group, "by_sector/", 10) == 0 &&
               (strcmp(name, "policy.enforcing") == 0 || strcmp(name, "posture.reject") == 0);
}

static void emit(struct sumdiff_out *so, const char *group, const char *name, const json_t *o,
                 const json_t *n)
{
        if (so->table && in_table(group, name))
                table_line(so->table, strcmp(group, "all") == 0 ? "" : group, name, o, n);
        if (!so->lines || so->rc)
                return;
        struct jw w;
        jbuf_reset(&so->b);
        jw_begin(&w, &so->b);
        jw_cstr(&w, "group", group);
        jw_cstr(&w, "name", name);
        put_value(&w, "old", o);
        put_value(&w, "new", n);
        if (is_rate(o) || is_rate(n)) {
                double a, b;
                bool ha = share(o, &a), hb = share(n, &b);
                ha ? jw_double(&w, "old_share", a) : jw_null(&w, "old_share");
                hb ? jw_double(&w, "new_share", b) : jw_null(&w, "new_share");
                ha &&hb ? jw_double(&w, "points", 100 * (b - a)) : jw_null(&w, "points");
        }
        jw_end(&w);
        if (fwrite(so->b.p, 1, so->b.len, so->lines) != so->b.len)
                so->rc = errno ? -errno : -EIO;
}

static void walk(struct sumdiff_out *so, const char *group, const char *prefix, const json_t *o,
                 const json_t *n, bool top);

/* One member (by key) of the union of two objects. */
static void member(struct sumdiff_out *so, const char *group, const char *prefix, const char *key,
                   const json_t *o, const json_t *n, bool top)
{
        if ((top && skipped(key)) || strcmp(key, "receivers") == 0)
                return;
        const json_t *a = json_object_get(o, key), *b = json_object_get(n, key);
        char path[512];
        snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", key);
        if (is_rate(a) || is_rate(b) || json_is_integer(a) || json_is_integer(b))
                emit(so, group, path, a, b);
        else if (json_is_object(a) || json_is_object(b))
                walk(so, group, path, a, b, false);
}

static void walk(struct sumdiff_out *so, const char *group, const char *prefix, const json_t *o,
                 const json_t *n, bool top)
{
        const char *key;
        const json_t *v;
        json_object_foreach((json_t *)o, key, v) member(so, group, prefix, key, o, n, top);
        json_object_foreach((json_t *)n, key, v)
        {
                if (!json_object_get(o, key))
                        member(so, group, prefix, key, o, n, top);
        }
}

static void breakdown(struct sumdiff_out *so, const char *name, const json_t *o, const json_t *n)
{
        const json_t *go = json_object_get(o, name), *gn = json_object_get(n, name);
        const char *key;
        const json_t *v;
        char group[512];
        json_object_foreach((json_t *)go, key, v)
        {
                snprintf(group, sizeof group, "%s/%s", name, key);
                walk(so, group, "", v, json_object_get(gn, key), false);
        }
        json_object_foreach((json_t *)gn, key, v)
        {
                if (json_object_get(go, key))
                        continue;
                snprintf(group, sizeof group, "%s/%s", name, key);
                walk(so, group, "", NULL, v, false);
        }
}

static bool is_summary(const json_t *s)
{
        return json_is_object(s) && json_is_object(json_object_get(s, "totals")) &&
               json_is_object(json_object_get(s, "statuses"));
}

int sumdiff(const json_t *old, const json_t *new, FILE *lines, FILE *table, char *err,
            size_t errlen)
{
        if (!is_summary(old) || !is_summary(new)) {
                snprintf(err, errlen, "%s is not a dmarcscan summary",
                         is_summary(old) ? "NEW" : "OLD");
                return -EINVAL;
        }
        struct sumdiff_out so = {.lines = lines, .table = table};
        jbuf_init(&so.b);
        if (table)
                fprintf(table, "the whole scan, OLD -> NEW:\n");
        walk(&so, "all", "", old, new, true);
        if (table && (json_object_get(old, "by_sector") || json_object_get(new, "by_sector")))
                fprintf(table, "\nby sector, OLD -> NEW:\n");
        for (size_t i = 0; i < sizeof BREAKDOWNS / sizeof *BREAKDOWNS; i++)
                breakdown(&so, BREAKDOWNS[i], old, new);
        jbuf_free(&so.b);
        return so.rc;
}

/* summary_merge.c -- adding summaries: the scan section checked to be one scan's and
 * combined, the times and partial, then the aggregate added member by member, the
 * receivers' tables through common/topk (the very merge the scanner's threads use). */
#include "scanner/summary_merge.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/topk.h"
#include "scanner/summary.h"

#define SHOW_MAX     120 /* bytes of a value quoted in a message */
#define PATH_MAX_LEN 512

/* One merge: who is being added, what the result started from, where messages go. */
struct merge {
        const char *first, *name;
        const char *const *names; /* every input's, by position */
        size_t current;           /* the position of name */
        json_t *owner;            /* owned: shard index (as a key) -> position that had it */
        char *err;
        size_t errlen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct merge *m, const char *fmt, ...)
{
        int at = snprintf(m->err, m->errlen, "%s: ", m->name);
        if (at >= 0 && (size_t)at < m->errlen) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(m->err + at, m->errlen - (size_t)at, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* v as compact JSON, cut to SHOW_MAX bytes; "absent" for NULL. */
static void show(const json_t *v, char out[SHOW_MAX + 4])
{
        char *s = v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
        snprintf(out, SHOW_MAX + 4, "%s", v ? (s ? s : "?") : "absent");
        if (s && strlen(s) > SHOW_MAX)
                strcpy(out + SHOW_MAX, "...");
        free(s);
}

static int differ(struct merge *m, const char *field, const json_t *here, const json_t *there)
{
        char a[SHOW_MAX + 4], b[SHOW_MAX + 4];
        show(here, a);
        show(there, b);
        return fail(m, "%s is %s, but %s in %s: not shards of one scan", field, a, b, m->first);
}

static int same(struct merge *m, const char *field, const json_t *dst, const json_t *src)
{
        return dst && src && json_equal(dst, src) ? 0 : differ(m, field, src, dst);
}

static int nomem(struct merge *m)
{
        fail(m, "out of memory");
        return -ENOMEM;
}

/* A count: an integer >= 0. */
static bool count_of(const json_t *v, json_int_t *out)
{
        if (!json_is_integer(v) || json_integer_value(v) < 0)
                return false;
        *out = json_integer_value(v);
        return true;
}

static int add_count(struct merge *m, const char *field, json_t *dst, const json_t *src)
{
        json_int_t a, b;
        if (!count_of(dst, &a) || !count_of(src, &b))
                return differ(m, field, src, dst);
        if (a > LLONG_MAX - b)
                return fail(m, "%s: the sum overflows", field);
        return json_integer_set(dst, a + b) < 0 ? nomem(m) : 0;
}

static int either(struct merge *m, const char *field, json_t *parent, const char *key,
                  const json_t *src)
{
        json_t *dst = json_object_get(parent, key);
        if (!json_is_boolean(dst) || !json_is_boolean(src))
                return differ(m, field, src, dst);
        bool v = json_is_true(dst) || json_is_true(src);
        return json_object_set_new(parent, key, json_boolean(v)) < 0 ? nomem(m) : 0;
}

/* ---- the receivers' tables ---- */

/* A heavy-hitters table as tally.h writes it: {"exact", "top": [...]}. */
static bool is_top(const json_t *v)
{
        return json_is_object(v) && json_object_size(v) == 2 &&
               json_is_boolean(json_object_get(v, "exact")) &&
               json_is_array(json_object_get(v, "top"));
}

/* Table r back into t (of cap entries); *total: the lines its rates are of. */
static int load_top(struct merge *m, const char *field, const json_t *r, unsigned cap,
                    struct topk *t, json_int_t *total)
{
        const json_t *top = json_object_get(r, "top"), *e;
        bool inexact = !json_is_true(json_object_get(r, "exact"));
        size_t i;
        *total = 0;
        if (json_array_size(top) > cap)
                return fail(m, "%s: %zu entries, more than such a table holds (%u)", field,
                            json_array_size(top), cap);
        if (topk_init(t, cap) < 0)
                return nomem(m);
        json_array_foreach(top, i, e)
        {
                const json_t *org = json_object_get(e, "org");
                json_int_t n, error, tot;
                if (!json_is_string(org) || json_string_length(org) > TOPK_NAME_MAX ||
                    !count_of(json_object_get(e, "n"), &n) ||
                    !count_of(json_object_get(e, "error"), &error) ||
                    !count_of(json_object_get(e, "total"), &tot) || error > n) {
                        topk_free(t);
                        return fail(m, "%s.top[%zu]: not an entry {org, n, total, error}", field,
                                    i);
                }
                topk_restore(t, json_string_value(org), json_string_length(org), (uint64_t)n,
                             (uint64_t)error, inexact);
                *total = tot;
        }
        return 0;
}

static int render_top(struct merge *m, json_t *dst, const struct topk *t, json_int_t total)
{
        const struct topk_entry **order =
            ds_xcalloc(t->n ? t->n : 1, sizeof(*order), "merged top order");
        unsigned n = topk_sorted(t, order);
        json_t *top = json_array();
        int rc = top ? 0 : -ENOMEM;
        for (unsigned i = 0; rc == 0 && i < n; i++) {
                json_t *e = json_pack("{s:s%, s:I, s:I, s:I}", "org", topk_name(order[i]),
                                      (size_t)order[i]->len, "n", (json_int_t)order[i]->count,
                                      "total", total, "error", (json_int_t)order[i]->err);
                rc = e && json_array_append_new(top, e) == 0 ? 0 : -ENOMEM;
        }
        free(order);
        if (rc == 0 && json_object_set_new(dst, "exact", json_boolean(topk_exact(t))) < 0)
                rc = -ENOMEM;
        if (rc == 0 && json_object_set(dst, "top", top) < 0)
                rc = -ENOMEM;
        json_decref(top);
        return rc < 0 ? nomem(m) : 0;
}

static int merge_top(struct merge *m, const char *field, json_t *dst, const json_t *src,
                     unsigned cap)
{
        struct topk a, b;
        json_int_t ta, tb;
        int rc = load_top(m, field, dst, cap, &a, &ta);
        if (rc < 0)
                return rc;
        rc = load_top(m, field, src, cap, &b, &tb);
        if (rc == 0) {
                topk_merge(&a, &b);
                rc = render_top(m, dst, &a, ta + tb);
                topk_free(&b);
        }
        topk_free(&a);
        return rc;
}

/* ---- the aggregate ---- */

/* The size of the receivers' tables under key: the breakdowns' groups count into smaller
 * tables than the whole scan. */
static unsigned table_size(const char *key, unsigned outer)
{
        return strncmp(key, "by_", 3) == 0 ? SUMMARY_GROUP_TOP_K : outer;
}

/* dst += src at field: counts add, objects merge by key (a key only src has is taken as
 * it is), heavy-hitters tables of cap entries merge; anything else must be equal. */
static int add_tree(struct merge *m, const char *field, json_t *dst, const json_t *src,
                    unsigned cap)
{
        if (json_is_integer(dst) && json_is_integer(src))
                return add_count(m, field, dst, src);
        if (is_top(dst) && is_top(src))
                return merge_top(m, field, dst, src, cap);
        if (!json_is_object(dst) || !json_is_object(src))
                return same(m, field, dst, src);
        const char *key;
        json_t *sv;
        json_object_foreach((json_t *)src, key, sv)
        {
                char path[PATH_MAX_LEN];
                snprintf(path, sizeof(path), "%s%s%s", field, *field ? "." : "", key);
                json_t *dv = json_object_get(dst, key);
                if (!dv) {
                        if (json_object_set_new(dst, key, json_deep_copy(sv)) < 0)
                                return nomem(m);
                        continue;
                }
                int rc = add_tree(m, path, dv, sv, table_size(key, cap));
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* ---- the scan section ---- */

/* The shard indexes a summary covers: [index], or a merged summary's list. */
static int shard_indexes(struct merge *m, const json_t *shard, json_int_t *count, json_t **out)
{
        const json_t *merged = json_object_get(shard, "merged"), *v;
        size_t i;
        if (!count_of(json_object_get(shard, "count"), count) || *count < 1 ||
            !count_of(json_object_get(shard, "seed"), &(json_int_t){0}))
                return fail(m, "scan.shard: no count and seed");
        *out = merged ? json_deep_copy(merged) : json_pack("[O]", json_object_get(shard, "index"));
        if (!*out)
                return fail(m, "scan.shard: neither an index nor a merged list");
        json_array_foreach(*out, i, v)
        {
                json_int_t index;
                if (!count_of(v, &index) || index >= *count) {
                        json_decref(*out);
                        return fail(m, "scan.shard: index %s is not in 0..%lld",
                                    json_is_integer(v) ? "out of range" : "missing",
                                    (long long)*count - 1);
                }
        }
        return 0;
}

/* Record that the current input holds the shards idx; each shard once. */
static int claim(struct merge *m, const json_t *idx)
{
        size_t i;
        const json_t *v;
        json_array_foreach(idx, i, v)
        {
                char key[24];
                snprintf(key, sizeof(key), "%lld", (long long)json_integer_value(v));
                const json_t *had = json_object_get(m->owner, key);
                if (had)
                        return fail(m, "scan.shard.index is %s, as in %s: each shard once", key,
                                    m->names[json_integer_value(had)]);
                if (json_object_set_new(m->owner, key, json_integer((json_int_t)m->current)) < 0)
                        return nomem(m);
        }
        return 0;
}

static int add_shard(struct merge *m, json_t *dst, const json_t *src)
{
        json_int_t count;
        json_t *idx = NULL, *have = json_object_get(dst, "merged");
        int rc = same(m, "scan.shard.count", json_object_get(dst, "count"),
                      json_object_get(src, "count"));
        if (rc == 0)
                rc = same(m, "scan.shard.seed", json_object_get(dst, "seed"),
                          json_object_get(src, "seed"));
        if (rc == 0)
                rc = shard_indexes(m, src, &count, &idx);
        if (rc < 0)
                return rc;
        rc = claim(m, idx);
        if (rc == 0 && json_array_extend(have, idx) < 0)
                rc = nomem(m);
        json_decref(idx);
        return rc;
}

/* The first summary's shard as a merged one: {count, seed, merged, complete}. */
static int start_shard(struct merge *m, json_t *scan)
{
        json_t *shard = json_object_get(scan, "shard"), *idx = NULL;
        json_int_t count;
        int rc = shard_indexes(m, shard, &count, &idx);
        if (rc == 0)
                rc = claim(m, idx);
        if (rc < 0) {
                json_decref(idx);
                return rc;
        }
        json_t *out =
            json_pack("{s:O, s:O, s:o, s:b}", "count", json_object_get(shard, "count"), "seed",
                      json_object_get(shard, "seed"), "merged", idx, "complete", 0);
        return out && json_object_set_new(scan, "shard", out) == 0 ? 0 : nomem(m);
}

static int by_index(const void *a, const void *b)
{
        json_int_t x = json_integer_value(*(json_t *const *)a);
        json_int_t y = json_integer_value(*(json_t *const *)b);
        return (x > y) - (x < y);
}

/* Indexes in order, and whether every shard is there. */
static int finish_shard(struct merge *m, json_t *shard)
{
        json_t *merged = json_object_get(shard, "merged");
        size_t n = json_array_size(merged);
        json_t **v = ds_xcalloc(n ? n : 1, sizeof(*v), "shard indexes");
        for (size_t i = 0; i < n; i++)
                v[i] = json_incref(json_array_get(merged, i));
        qsort(v, n, sizeof(*v), by_index);
        json_array_clear(merged);
        int rc = 0;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(merged, v[i]) < 0)
                        rc = -ENOMEM;
        free(v);
        bool complete = (json_int_t)n == json_integer_value(json_object_get(shard, "count"));
        if (rc == 0 && json_object_set_new(shard, "complete", json_boolean(complete)) < 0)
                rc = -ENOMEM;
        return rc < 0 ? nomem(m) : 0;
}

/* argv as a list of command lines: [argv], or a merged summary's list as it is. */
static json_t *argv_lists(const json_t *argv)
{
        const json_t *first = json_array_get(argv, 0);
        return json_is_array(first) ? json_deep_copy(argv) : json_pack("[O]", argv);
}

static int add_argv(struct merge *m, json_t *dst, const json_t *src)
{
        json_t *lists = argv_lists(src);
        int rc = lists && json_array_extend(dst, lists) == 0 ? 0 : nomem(m);
        json_decref(lists);
        return rc;
}

/* Resolvers may differ (each machine its own): every one, once, in order of appearance. */
static int add_resolvers(struct merge *m, json_t *dst, const json_t *src)
{
        size_t i, j;
        json_t *v, *w;
        if (!json_is_array(dst) || !json_is_array(src))
                return differ(m, "scan.resolvers", src, dst);
        json_array_foreach(src, i, v)
        {
                bool seen = false;
                json_array_foreach(dst, j, w) seen |= json_equal(v, w);
                if (!seen && json_array_append(dst, v) < 0)
                        return nomem(m);
        }
        return 0;
}

/* One input: the same content in every shard. Its sha256, bytes and rows are known only
 * when it was read to its end (sha256 not null); a shard that stopped earlier agrees with
 * any, and the result takes them from one that read it all. The path may differ (another
 * machine's mount point): the first one stays. */
static int add_input(struct merge *m, size_t i, json_t *dst, const json_t *src)
{
        static const char *const content[] = {"sha256", "bytes", "rows"};
        char field[64];
        snprintf(field, sizeof(field), "scan.inputs[%zu].format", i);
        int rc = same(m, field, json_object_get(dst, "format"), json_object_get(src, "format"));
        bool dst_whole = json_is_string(json_object_get(dst, "sha256"));
        bool src_whole = json_is_string(json_object_get(src, "sha256"));
        for (size_t k = 0; rc == 0 && k < 3 && src_whole; k++) {
                const json_t *s = json_object_get(src, content[k]);
                snprintf(field, sizeof(field), "scan.inputs[%zu].%s", i, content[k]);
                if (dst_whole)
                        rc = same(m, field, json_object_get(dst, content[k]), s);
                else if (!s || json_object_set(dst, content[k], (json_t *)s) < 0)
                        rc = s ? nomem(m) : differ(m, field, s, NULL);
        }
        return rc;
}

static int add_inputs(struct merge *m, json_t *dst, const json_t *src)
{
        if (!json_is_array(dst) || !json_is_array(src) ||
            json_array_size(dst) != json_array_size(src))
                return differ(m, "scan.inputs", src, dst);
        for (size_t i = 0; i < json_array_size(src); i++) {
                int rc = add_input(m, i, json_array_get(dst, i), json_array_get(src, i));
                if (rc < 0)
                        return rc;
        }
        return 0;
}

static int add_scan_member(struct merge *m, json_t *scan, const char *key, const json_t *src)
{
        char field[64];
        json_t *dst = json_object_get(scan, key);
        snprintf(field, sizeof(field), "scan.%s", key);
        if (!dst)
                return differ(m, field, src, NULL);
        if (strcmp(key, "argv") == 0)
                return add_argv(m, dst, src);
        if (strcmp(key, "resolvers") == 0)
                return add_resolvers(m, dst, src);
        if (strcmp(key, "shard") == 0)
                return add_shard(m, dst, src);
        if (strcmp(key, "inputs") == 0)
                return add_inputs(m, dst, src);
        if (strcmp(key, "duplicates") == 0 || strcmp(key, "illegal") == 0)
                return add_count(m, field, dst, src);
        /* report_cut changes no count (docs/verdicts.md): true when any shard's was. */
        if (strcmp(key, "resumed") == 0 || strcmp(key, "report_cut") == 0)
                return either(m, field, scan, key, src);
        /* timeout_ms, retries, checks, profile, discovery, psl: how the scan was made. */
        return same(m, field, dst, src);
}

static int add_scan(struct merge *m, json_t *dst, const json_t *src)
{
        const char *key;
        json_t *v;
        json_object_foreach(dst, key, v) if (!json_object_get(src, key))
        {
                char field[64];
                snprintf(field, sizeof(field), "scan.%s", key);
                return differ(m, field, NULL, v);
        }
        json_object_foreach((json_t *)src, key, v)
        {
                int rc = add_scan_member(m, dst, key, v);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* ---- a whole summary ---- */

/* The earliest start (want < 0) or the latest end: RFC 3339 UTC in one format, so the
 * strings order as the times do. */
static int pick_time(struct merge *m, json_t *parent, const char *key, const json_t *src, int want)
{
        json_t *dst = json_object_get(parent, key);
        if (!json_is_string(dst) || !json_is_string(src))
                return differ(m, key, src, dst);
        int c = strcmp(json_string_value(src), json_string_value(dst));
        if ((want < 0 && c < 0) || (want > 0 && c > 0))
                return json_object_set(parent, key, (json_t *)src) < 0 ? nomem(m) : 0;
        return 0;
}

static int add_member(struct merge *m, json_t *dst, const char *key, const json_t *src)
{
        json_t *d = json_object_get(dst, key);
        if (strcmp(key, "scan") == 0)
                return add_scan(m, d, src);
        if (strcmp(key, "schema") == 0 || strcmp(key, "tool") == 0)
                return same(m, key, d, src);
        if (strcmp(key, "started") == 0 || strcmp(key, "ended") == 0)
                return pick_time(m, dst, key, src, key[0] == 's' ? -1 : 1);
        if (strcmp(key, "partial") == 0)
                return either(m, key, dst, key, src);
        if (!d)
                return json_object_set_new(dst, key, json_deep_copy(src)) < 0 ? nomem(m) : 0;
        return add_tree(m, key, d, src, table_size(key, SUMMARY_TOP_K));
}

static int add_summary(struct merge *m, json_t *dst, const json_t *src)
{
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)src, key, v)
        {
                int rc = add_member(m, dst, key, v);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* The parts every step relies on. */
static int check_shape(struct merge *m, const json_t *s)
{
        const json_t *scan = json_object_get(s, "scan");
        if (!json_is_object(s) || json_integer_value(json_object_get(s, "schema")) != 1)
                return fail(m, "not a dmarcscan summary of schema 1");
        if (!json_is_object(scan) || !json_is_object(json_object_get(scan, "shard")) ||
            !json_is_array(json_object_get(scan, "argv")))
                return fail(m, "not a dmarcscan summary: no scan.shard or scan.argv");
        return 0;
}

static int merge_all(struct merge *m, json_t *const *in, const char *const *names, size_t n,
                     json_t *out)
{
        json_t *scan = json_object_get(out, "scan");
        json_t *argv = argv_lists(json_object_get(scan, "argv"));
        if (!argv || json_object_set_new(scan, "argv", argv) < 0)
                return nomem(m);
        int rc = start_shard(m, scan);
        for (size_t i = 1; rc == 0 && i < n; i++) {
                m->name = names[i];
                m->current = i;
                rc = add_summary(m, out, in[i]);
        }
        return rc < 0 ? rc : finish_shard(m, json_object_get(scan, "shard"));
}

int summary_merge_json(json_t *const *in, const char *const *names, size_t n, json_t **out,
                       char *err, size_t errlen)
{
        struct merge m = {.first = n ? names[0] : "", .names = names, .err = err, .errlen = errlen};
        *out = NULL;
        if (ds_fails(n >= 1))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                m.name = names[i];
                int rc = check_shape(&m, in[i]);
                if (rc < 0)
                        return rc;
        }
        m.name = names[0];
        m.owner = json_object();
        json_t *dst = json_deep_copy(in[0]);
        if (!dst || !m.owner) {
                json_decref(dst);
                json_decref(m.owner);
                return nomem(&m);
        }
        int rc = merge_all(&m, in, names, n, dst);
        json_decref(m.owner);
        if (rc < 0)
                json_decref(dst);
        else
                *out = dst;
        return rc;
}

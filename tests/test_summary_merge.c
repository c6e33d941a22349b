/* test_summary_merge.c -- `dmarcscan merge` on small hand-written summaries
 * (scanner/summary_merge.h): counts and rates add, groups merge by name, receivers' tables
 * merge and re-truncate, times and flags combine, the shard list completes; mismatched
 * configurations, a repeated shard and malformed files are refused with a message naming
 * the file, the field and both values. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/summary.h"
#include "scanner/summary_merge.h"

/* A shard's summary: index, started, ended, partial, then the aggregate's members. */
static json_t *shard(int index, const char *started, const char *ended, int partial,
                     const char *body)
{
        char text[4096];
        snprintf(text, sizeof(text),
                 "{\"schema\":1,\"tool\":{\"name\":\"dmarcscan\",\"version\":\"0.1.0\"},"
                 "\"scan\":{\"argv\":[\"dmarcscan\",\"scan\",\"--shard\",\"%d/3\"],"
                 "\"resolvers\":[\"127.0.0.%d:53\"],\"timeout_ms\":2000,\"retries\":2,"
                 "\"checks\":[\"dmarc\"],\"profile\":null,\"discovery\":\"tree\","
                 "\"report_cut\":true,"
                 "\"psl\":{\"file\":\"builtin\",\"date\":\"2026-11-30\"},"
                 "\"shard\":{\"index\":%d,\"count\":3,\"seed\":7},"
                 "\"inputs\":[{\"path\":\"in.txt\",\"sha256\":\"ab12\",\"bytes\":100,"
                 "\"format\":\"list\",\"rows\":10}],"
                 "\"duplicates\":%d,\"illegal\":1,\"resumed\":false},"
                 "\"started\":\"%s\",\"ended\":\"%s\",\"partial\":%s%s}",
                 index, 1 + index, index, index, started, ended, partial ? "true" : "false", body);
        json_error_t e;
        json_t *j = json_loads(text, 0, &e);
        if (!j)
                fail_msg("%s: %s", e.text, text);
        return j;
}

static const char *const NAMES[] = {"a.json", "b.json", "c.json", "d.json"};

static int merge(json_t **in, size_t n, json_t **out, char *err)
{
        return summary_merge_json(in, NAMES, n, out, err, 512);
}

static json_int_t at(const json_t *j, const char *path)
{
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", path);
        const json_t *v = j;
        for (char *save, *k = strtok_r(buf, "/", &save); k; k = strtok_r(NULL, "/", &save))
                v = json_is_array(v) ? json_array_get(v, (size_t)atoi(k)) : json_object_get(v, k);
        if (!json_is_integer(v))
                fail_msg("%s is not an integer", path);
        return json_integer_value(v);
}

static void free_all(json_t **v, size_t n)
{
        for (size_t i = 0; i < n; i++)
                json_decref(v[i]);
}

static void test_counts_add_and_groups_merge(void **state)
{
        (void)state;
        json_t *in[2] = {
            shard(
                0, "2026-12-02T10:00:01.000Z", "2026-12-02T10:05:00.000Z", 0,
                ",\"statuses\":{\"OK\":5,\"ILLEGAL_INPUT\":1,\"EXCLUDED\":0},"
                "\"funnel\":{\"domains\":{\"n\":5,\"total\":6}},"
                "\"by_tld\":{\"com\":{\"statuses\":{\"OK\":3}},\"org\":{\"statuses\":{\"OK\":2}}},"
                "\"unlisted\":{\"by_tld\":0}"),
            shard(
                2, "2026-12-02T10:00:00.500Z", "2026-12-02T10:04:00.000Z", 1,
                ",\"statuses\":{\"OK\":7,\"ILLEGAL_INPUT\":0,\"EXCLUDED\":2},"
                "\"funnel\":{\"domains\":{\"n\":7,\"total\":7}},"
                "\"by_tld\":{\"com\":{\"statuses\":{\"OK\":4}},\"net\":{\"statuses\":{\"OK\":3}}},"
                "\"unlisted\":{\"by_tld\":1}")};
        json_t *out;
        char err[512] = "";
        assert_int_equal(merge(in, 2, &out, err), 0);
        assert_int_equal(at(out, "statuses/OK"), 12);
        assert_int_equal(at(out, "statuses/EXCLUDED"), 2);
        assert_int_equal(at(out, "funnel/domains/n"), 12);
        assert_int_equal(at(out, "funnel/domains/total"), 13);
        assert_int_equal(at(out, "by_tld/com/statuses/OK"), 7);
        assert_int_equal(at(out, "by_tld/org/statuses/OK"), 2); /* one shard's: kept as is */
        assert_int_equal(at(out, "by_tld/net/statuses/OK"), 3);
        assert_int_equal(at(out, "unlisted/by_tld"), 1);
        assert_int_equal(at(out, "scan/duplicates"), 2);
        assert_int_equal(at(out, "scan/illegal"), 2);
        assert_int_equal(at(out, "scan/inputs/0/rows"), 10); /* the same input, not added */
        assert_string_equal(json_string_value(json_object_get(out, "started")),
                            "2026-12-02T10:00:00.500Z");
        assert_string_equal(json_string_value(json_object_get(out, "ended")),
                            "2026-12-02T10:05:00.000Z");
        assert_true(json_is_true(json_object_get(out, "partial")));
        const json_t *scan = json_object_get(out, "scan");
        assert_int_equal(json_array_size(json_object_get(scan, "argv")), 2);
        assert_int_equal(json_array_size(json_object_get(scan, "resolvers")), 2);
        const json_t *sh = json_object_get(scan, "shard");
        assert_int_equal(at(sh, "merged/0"), 0);
        assert_int_equal(at(sh, "merged/1"), 2);
        assert_true(json_is_false(json_object_get(sh, "complete")));
        assert_null(json_object_get(sh, "index"));

        /* The third shard completes it, also when merged onto a merged summary. */
        json_t *third = shard(1, "2026-12-02T10:00:02.000Z", "2026-12-02T10:06:00.000Z", 0,
                              ",\"statuses\":{\"OK\":1,\"ILLEGAL_INPUT\":0,\"EXCLUDED\":0}");
        json_t *again[2] = {out, third}, *all;
        assert_int_equal(merge(again, 2, &all, err), 0);
        sh = json_object_get(json_object_get(all, "scan"), "shard");
        assert_int_equal(json_array_size(json_object_get(sh, "merged")), 3);
        assert_int_equal(at(sh, "merged/1"), 1);
        assert_true(json_is_true(json_object_get(sh, "complete")));
        assert_int_equal(at(all, "statuses/OK"), 13);
        assert_int_equal(json_array_size(json_object_get(json_object_get(all, "scan"), "argv")), 3);
        json_decref(all);
        free_all(again, 2);
        free_all(in, 2);
}

/* field and both values are named, and the file. */
static void expect_refused(json_t *a, json_t *b, const char *want)
{
        json_t *in[2] = {a, b}, *out = (json_t *)1;
        char err[512] = "";
        assert_int_equal(merge(in, 2, &out, err), -EINVAL);
        assert_null(out);
        if (!strstr(err, want))
                fail_msg("message '%s' lacks '%s'", err, want);
        free_all(in, 2);
}

static json_t *edited(int index, const char *key, const char *value)
{
        json_t *j = shard(index, "2026-12-02T10:00:00.000Z", "2026-12-02T10:00:00.000Z", 0, "");
        json_t *scan = json_object_get(j, "scan");
        json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
        if (strchr(key, '.')) { /* inputs.FIELD: the first input's */
                json_object_set_new(json_array_get(json_object_get(scan, "inputs"), 0),
                                    strchr(key, '.') + 1, v);
        } else {
                json_object_set_new(scan, key, v);
        }
        return j;
}

static void test_mismatches_refused(void **state)
{
        (void)state;
        const char *t = "2026-12-02T10:00:00.000Z";
        expect_refused(shard(0, t, t, 0, ""), edited(1, "checks", "[\"dmarc\",\"spf\"]"),
                       "b.json: scan.checks is [\"dmarc\",\"spf\"], but [\"dmarc\"] in a.json");
        expect_refused(shard(0, t, t, 0, ""), edited(1, "discovery", "\"exact\""),
                       "b.json: scan.discovery is \"exact\", but \"tree\" in a.json");
        expect_refused(shard(0, t, t, 0, ""), edited(1, "profile", "\"bod-18-01\""),
                       "scan.profile is \"bod-18-01\", but null");
        expect_refused(shard(0, t, t, 0, ""),
                       edited(1, "psl", "{\"file\":\"builtin\",\"date\":\"2025-01-01\"}"),
                       "scan.psl is");
        expect_refused(shard(0, t, t, 0, ""), edited(1, "inputs.sha256", "\"cd34\""),
                       "b.json: scan.inputs[0].sha256 is \"cd34\", but \"ab12\" in a.json");
        expect_refused(shard(0, t, t, 0, ""), edited(1, "inputs.rows", "11"),
                       "scan.inputs[0].rows is 11, but 10");
        expect_refused(shard(0, t, t, 0, ""),
                       edited(1, "shard", "{\"index\":1,\"count\":4,\"seed\":7}"),
                       "scan.shard.count is 4, but 3");
        expect_refused(shard(0, t, t, 0, ""),
                       edited(1, "shard", "{\"index\":1,\"count\":3,\"seed\":8}"),
                       "scan.shard.seed is 8, but 7");
        expect_refused(shard(0, t, t, 0, ""),
                       edited(1, "shard", "{\"index\":3,\"count\":3,\"seed\":7}"),
                       "b.json: scan.shard: index out of range");
        /* A shard once: b repeats a's index. */
        expect_refused(shard(2, t, t, 0, ""), shard(2, t, t, 0, ""),
                       "b.json: scan.shard.index is 2, as in a.json");
        expect_refused(shard(0, t, t, 0, ",\"statuses\":{\"OK\":1}"),
                       shard(1, t, t, 0, ",\"statuses\":{\"OK\":\"x\"}"),
                       "b.json: statuses.OK is \"x\", but 1");
        json_t *not_summary = json_loads("{\"schema\":2}", 0, NULL);
        expect_refused(shard(0, t, t, 0, ""), not_summary, "b.json: not a dmarcscan summary");
}

/* The receivers' NXDOMAIN cut changes no count: shards with and without it merge, and the
 * merged summary says it applied somewhere (as "resumed" does). */
static void test_report_cut_merges(void **state)
{
        (void)state;
        for (int on = 0; on < 2; on++) {
                json_t *in[2] = {
                    shard(0, "2026-12-02T10:00:00.000Z", "2026-12-02T10:01:00.000Z", 0, ""),
                    shard(1, "2026-12-02T10:00:00.000Z", "2026-12-02T10:01:00.000Z", 0, "")};
                json_object_set_new(json_object_get(in[0], "scan"), "report_cut", json_false());
                json_object_set_new(json_object_get(in[1], "scan"), "report_cut", json_boolean(on));
                json_t *out;
                char err[512] = "";
                assert_int_equal(merge(in, 2, &out, err), 0);
                const json_t *v = json_object_get(json_object_get(out, "scan"), "report_cut");
                assert_true(json_is_boolean(v) && json_is_true(v) == on);
                json_decref(out);
                free_all(in, 2);
        }
        /* not a flag: refused like any other malformed field */
        json_t *a = shard(0, "2026-12-02T10:00:00.000Z", "2026-12-02T10:01:00.000Z", 0, "");
        json_t *b = shard(1, "2026-12-02T10:00:00.000Z", "2026-12-02T10:01:00.000Z", 0, "");
        json_object_set_new(json_object_get(b, "scan"), "report_cut", json_string("yes"));
        expect_refused(a, b, "scan.report_cut");
}

static void test_unfinished_input_agrees(void **state)
{
        (void)state;
        /* A shard that stopped before the end of the input knows no digest: it agrees, and
         * the result takes the digest of the shard that read it all. */
        json_t *in[2] = {edited(0, "inputs.sha256", "null"), edited(1, "inputs.rows", "10")};
        json_object_set_new(
            json_array_get(json_object_get(json_object_get(in[0], "scan"), "inputs"), 0), "rows",
            json_integer(4));
        json_t *out;
        char err[512] = "";
        assert_int_equal(merge(in, 2, &out, err), 0);
        const json_t *input =
            json_array_get(json_object_get(json_object_get(out, "scan"), "inputs"), 0);
        assert_string_equal(json_string_value(json_object_get(input, "sha256")), "ab12");
        assert_int_equal(at(input, "rows"), 10);
        json_decref(out);
        free_all(in, 2);
}

/* A receivers' table of the whole scan, or of a group. */
static void test_receivers_merge(void **state)
{
        (void)state;
        const char *t = "2026-12-02T10:00:00.000Z";
        json_t *in[2] = {shard(0, t, t, 0,
                               ",\"receivers\":{\"exact\":true,\"top\":["
                               "{\"org\":\"a.example\",\"n\":5,\"total\":8,\"error\":0},"
                               "{\"org\":\"b.example\",\"n\":3,\"total\":8,\"error\":0}]}"),
                         shard(1, t, t, 0,
                               ",\"receivers\":{\"exact\":true,\"top\":["
                               "{\"org\":\"b.example\",\"n\":4,\"total\":6,\"error\":0},"
                               "{\"org\":\"c.example\",\"n\":2,\"total\":6,\"error\":0}]}")};
        json_t *out;
        char err[512] = "";
        assert_int_equal(merge(in, 2, &out, err), 0);
        const json_t *r = json_object_get(out, "receivers");
        assert_true(json_is_true(json_object_get(r, "exact")));
        assert_int_equal(json_array_size(json_object_get(r, "top")), 3);
        assert_string_equal(
            json_string_value(json_object_get(json_array_get(json_object_get(r, "top"), 0), "org")),
            "b.example");
        assert_int_equal(at(r, "top/0/n"), 7);
        assert_int_equal(at(r, "top/0/total"), 14);
        assert_int_equal(at(r, "top/1/n"), 5);
        assert_int_equal(at(r, "top/2/n"), 2);
        json_decref(out);
        free_all(in, 2);
}

/* A group's table holds SUMMARY_GROUP_TOP_K: two full, disjoint exact tables overflow; the
 * merge keeps the largest counts and is no longer exact. */
static void test_group_table_truncated(void **state)
{
        (void)state;
        const char *t = "2026-12-02T10:00:00.000Z";
        json_t *in[2];
        for (int s = 0; s < 2; s++) {
                char body[4096] = ",\"by_tld\":{\"com\":{\"receivers\":{\"exact\":true,\"top\":[";
                for (int i = 0; i < SUMMARY_GROUP_TOP_K; i++) {
                        char e[96];
                        snprintf(
                            e, sizeof(e),
                            "%s{\"org\":\"o%d-%d.example\",\"n\":%d,\"total\":999,\"error\":0}",
                            i ? "," : "", s, i, 100 * s + i + 1);
                        strcat(body, e);
                }
                strcat(body, "]}}}");
                in[s] = shard(s, t, t, 0, body);
        }
        json_t *out;
        char err[512] = "";
        assert_int_equal(merge(in, 2, &out, err), 0);
        const json_t *r =
            json_object_get(json_object_get(json_object_get(out, "by_tld"), "com"), "receivers");
        assert_true(json_is_false(json_object_get(r, "exact")));
        const json_t *top = json_object_get(r, "top");
        assert_int_equal(json_array_size(top), SUMMARY_GROUP_TOP_K);
        /* The second shard's (counts 101..132) are the largest: all kept, exact counts. */
        assert_int_equal(at(r, "top/0/n"), 132);
        assert_int_equal(at(r, "top/0/error"), 0);
        assert_int_equal(at(r, "top/0/total"), 1998);
        assert_int_equal(at(r, "top/31/n"), 101);
        json_decref(out);
        free_all(in, 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_counts_add_and_groups_merge),
            cmocka_unit_test(test_mismatches_refused),
            cmocka_unit_test(test_unfinished_input_agrees),
            cmocka_unit_test(test_report_cut_merges),
            cmocka_unit_test(test_receivers_merge),
            cmocka_unit_test(test_group_table_truncated),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

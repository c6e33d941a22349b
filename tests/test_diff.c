/* test_diff.c -- `dmarcscan diff`'s parts (scanner/diff/): the pull JSON scanner on escapes
 * and malformed text; a scan line reduced to its record (receivers sorted and unique,
 * domain normalized, lines without a domain, lines that are not scan lines); what-changed
 * between two records of a domain; the external sort against qsort on many records and
 * more runs than one merge pass takes, leaving no file behind; the merge-join's counts and
 * lines on two small sorted scans with repeated, added and removed domains. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "scanner/diff/extsort.h"
#include "scanner/diff/join.h"
#include "scanner/diff/jscan.h"
#include "scanner/diff/record.h"
#include "scanner/diff/tally.h"

/* ---- jscan ---- */

static void test_jscan_strings(void **state)
{
        (void)state;
        const char *text = "{\"a\" : \"x\\\"y\\\\\" , \"b\":[1, {\"c\":\"\\u00e9\\ud83d\\ude00\"}],"
                           "\"d\":null}";
        struct jscan js;
        const char *k;
        size_t kl, n;
        char out[64];
        js_init(&js, text, strlen(text));
        assert_true(js_enter(&js));
        assert_int_equal(js_key(&js, &k, &kl), 1);
        assert_true(js_key_is(k, kl, "a"));
        assert_true(js_string(&js, out, sizeof out, &n));
        assert_int_equal(n, 4);
        assert_memory_equal(out, "x\"y\\", 4);
        assert_int_equal(js_key(&js, &k, &kl), 1);
        assert_true(js_key_is(k, kl, "b"));
        assert_true(js_enter(&js));
        assert_int_equal(js_elem(&js), 1);
        assert_true(js_skip(&js));
        assert_int_equal(js_elem(&js), 1);
        assert_true(js_enter(&js));
        assert_int_equal(js_key(&js, &k, &kl), 1);
        assert_true(js_string(&js, out, sizeof out, &n));
        assert_int_equal(n, 6); /* é (2 bytes) and U+1F600 (4 bytes) */
        assert_memory_equal(out, "\xc3\xa9\xf0\x9f\x98\x80", 6);
        assert_int_equal(js_key(&js, &k, &kl), 0);
        assert_int_equal(js_elem(&js), 0);
        assert_int_equal(js_key(&js, &k, &kl), 1);
        assert_int_equal(js_literal(&js), JS_NULL);
        assert_int_equal(js_key(&js, &k, &kl), 0);
        assert_true(js_at_end(&js));
}

static void test_jscan_malformed(void **state)
{
        (void)state;
        static const char *const bad[] = {"{\"a\":\"unterminated}",
                                          "{\"a\" 1}",
                                          "{\"a\":[1,2}",
                                          "{\"a\":1 \"b\":2}",
                                          "{\"a\":\"\\q\"}",
                                          "{\"a\":\"\\u12\"}",
                                          "[",
                                          "{\"a\":{\"b\":[[[",
                                          "{\"a\":\"x\\\"}"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                struct jscan js;
                const char *k;
                size_t kl, n;
                char out[64];
                js_init(&js, bad[i], strlen(bad[i]));
                js_enter(&js);
                while (js_key(&js, &k, &kl) > 0) {
                        if (js_peek(&js) == JS_STRING)
                                js_string(&js, out, sizeof out, &n);
                        else
                                js_skip(&js);
                }
                if (!js.bad && js_at_end(&js))
                        fail_msg("accepted %s", bad[i]);
        }
}

/* ---- records ---- */

/* The encoder's storage, reused from line to line as a reading thread's is. */
static struct diff_enc enc;

static int encode(const char *line, uint64_t seq, unsigned char *buf, struct diff_rec *r)
{
        int n = diff_rec_encode(&enc, line, strlen(line), seq, buf);
        if (n > 0)
                assert_int_equal(diff_rec_decode(buf, (size_t)n, r), 0);
        return n;
}

#define LINE(domain, posture, enf, spoof, spf, recv)                                               \
        "{\"schema\":1,\"domain\":" domain ",\"status\":\"OK\",\"posture\":" posture               \
        ",\"enforcing\":" enf ",\"spoofable\":" spoof ",\"dmarc\":{\"records\":[\"v=DMARC1; "      \
        "x={\\\"receivers\\\":1}\"],\"receivers\":[" recv "]},\"spf\":" spf "}"

static void test_record_fields(void **state)
{
        (void)state;
        unsigned char buf[DIFF_REC_MAX];
        struct diff_rec r;
        const char *line =
            LINE("\"WWW.Example.COM.\"", "\"quarantine\"", "true", "\"no\"",
                 "{\"all\":\"softfail\",\"records\":[]}",
                 "{\"host\":\"b.vendor.test\",\"org\":\"vendor.test\"},{\"host\":\"a.example.com\","
                 "\"org\":\"example.com\"},{\"host\":\"c.vendor.test\",\"org\":\"vendor.test\"},"
                 "{\"host\":\"x.nowhere\",\"org\":null}");
        assert_true(encode(line, 42, buf, &r) > 0);
        assert_int_equal(r.domain_len, 15);
        assert_memory_equal(r.domain, "www.example.com", 15);
        assert_int_equal(r.seq, 42);
        assert_int_equal(r.status, DST_OK);
        assert_int_equal(r.posture, DP_QUARANTINE);
        assert_int_equal(r.enforcing, DT_TRUE);
        assert_int_equal(r.spoofable, DSP_NO);
        assert_int_equal(r.spf_all, DA_SOFTFAIL);
        /* sorted, unique; a receiver without org counts by its host */
        assert_int_equal(r.nreceivers, 3);
        assert_int_equal(r.receivers_len, 1 + 11 + 1 + 11 + 1 + 9);
        assert_memory_equal(r.receivers,
                            "\x0b"
                            "example.com"
                            "\x0b"
                            "vendor.test",
                            24);

        line = LINE("\"a.example\"", "null", "null", "null", "null", "");
        assert_true(encode(line, 1, buf, &r) > 0);
        assert_int_equal(r.posture, DP_NA);
        assert_int_equal(r.spf_all, DA_NA);
        line = LINE("\"a.example\"", "\"none\"", "false", "\"yes\"", "{\"all\":null}", "");
        assert_true(encode(line, 1, buf, &r) > 0);
        assert_int_equal(r.spf_all, DA_NONE);

        /* ILLEGAL_INPUT: no domain; not a scan line: refused */
        assert_int_equal(encode("{\"domain\":null,\"status\":\"ILLEGAL_INPUT\"}", 1, buf, &r), 0);
        assert_int_equal(encode("{\"domain\":\"a.example\"}", 1, buf, &r), -EINVAL);
        assert_int_equal(encode("[1,2]", 1, buf, &r), -EINVAL);
        assert_int_equal(encode("rank,domain", 1, buf, &r), -EINVAL);
        assert_int_equal(encode("{\"domain\":\"a.example\",\"status\":\"OK\"} x", 1, buf, &r),
                         -EINVAL);
}

static void test_record_order(void **state)
{
        (void)state;
        unsigned char a[DIFF_REC_MAX], b[DIFF_REC_MAX];
        struct diff_rec ra, rb;
        int na = encode(LINE("\"a.example\"", "null", "null", "null", "null", ""), 9, a, &ra);
        int nb = encode(LINE("\"a.example.\"", "null", "null", "null", "null", ""), 3, b, &rb);
        assert_true(diff_rec_cmp(b, (size_t)nb, a, (size_t)na) < 0); /* same domain: by seq */
        assert_int_equal(diff_rec_domain_cmp(&ra, &rb), 0);
        nb = encode(LINE("\"a.example0\"", "null", "null", "null", "null", ""), 1, b, &rb);
        assert_true(diff_rec_cmp(a, (size_t)na, b, (size_t)nb) < 0); /* prefix first */
        assert_true(diff_rec_domain_cmp(&ra, &rb) < 0);
}

/* The changes between two lines of one domain. */
static unsigned changes(const char *old, const char *new)
{
        unsigned char a[DIFF_REC_MAX], b[DIFF_REC_MAX];
        struct diff_rec ra, rb;
        assert_true(encode(old, 1, a, &ra) > 0);
        assert_true(encode(new, 2, b, &rb) > 0);
        return diff_changes(&ra, &rb);
}

#define D         "\"d.example\""
#define SPF_FAIL  "{\"all\":\"fail\"}"
#define SPF_SOFT  "{\"all\":\"softfail\"}"
#define RECV_SELF "{\"host\":\"d.example\",\"org\":\"d.example\"}"
#define RECV_VEND "{\"host\":\"r.vendor.test\",\"org\":\"vendor.test\"}"

static void test_changes(void **state)
{
        (void)state;
        const char *none = LINE(D, "\"none\"", "false", "\"yes\"", SPF_FAIL, RECV_SELF);
        const char *reject = LINE(D, "\"reject\"", "true", "\"no\"", SPF_FAIL, RECV_SELF);
        const char *missing = LINE(D, "\"missing\"", "false", "\"yes\"", SPF_FAIL, "");
        const char *invalid = LINE(D, "\"invalid\"", "false", "\"yes\"", SPF_FAIL, "");
        const char *error = LINE(D, "\"error\"", "null", "\"unknown\"", SPF_FAIL, "");
        assert_int_equal(changes(none, none), 0);
        assert_int_equal(changes(none, reject),
                         DIFF_POSTURE_UP | DIFF_ENFORCING_GAINED | DIFF_SPOOFABLE);
        assert_int_equal(changes(reject, none),
                         DIFF_POSTURE_DOWN | DIFF_ENFORCING_LOST | DIFF_SPOOFABLE);
        assert_int_equal(changes(missing, none),
                         DIFF_POSTURE_UP | DIFF_RECORD_ADDED | DIFF_RECEIVERS);
        assert_int_equal(changes(reject, missing), DIFF_POSTURE_DOWN | DIFF_RECORD_REMOVED |
                                                       DIFF_ENFORCING_LOST | DIFF_SPOOFABLE |
                                                       DIFF_RECEIVERS);
        /* same protection, a record appears (broken): neither up nor down */
        assert_int_equal(changes(missing, invalid), DIFF_POSTURE_OTHER | DIFF_RECORD_ADDED);
        /* error says nothing about records or receivers */
        assert_int_equal(changes(none, error), DIFF_POSTURE_OTHER | DIFF_SPOOFABLE);
        assert_int_equal(changes(error, missing), DIFF_POSTURE_OTHER | DIFF_SPOOFABLE);
        assert_int_equal(
            changes(none, LINE(D, "\"none\"", "false", "\"yes\"", SPF_SOFT, RECV_SELF)),
            DIFF_SPF_ALL);
        assert_int_equal(changes(none, LINE(D, "\"none\"", "false", "\"yes\"", SPF_FAIL,
                                            RECV_VEND "," RECV_SELF)),
                         DIFF_RECEIVERS);
        /* the order of receivers and a repeated organization change nothing */
        assert_int_equal(
            changes(LINE(D, "\"none\"", "false", "\"yes\"", SPF_FAIL, RECV_SELF "," RECV_VEND),
                    LINE(D, "\"none\"", "false", "\"yes\"", SPF_FAIL,
                         RECV_VEND "," RECV_SELF "," RECV_VEND)),
            0);
        /* a check that did not run on one side is not compared */
        assert_int_equal(changes(none, LINE(D, "\"none\"", "false", "\"yes\"", "null", RECV_SELF)),
                         0);
        assert_int_equal(changes(LINE(D, "null", "null", "null", "null", ""), none), 0);
        const char *excluded = "{\"domain\":\"d.example\",\"status\":\"EXCLUDED\",\"posture\":null,"
                               "\"enforcing\":null,\"spoofable\":null,\"dmarc\":null,"
                               "\"spf\":null}";
        assert_int_equal(changes(none, excluded), DIFF_STATUS);
}

/* A line of d.example whose receivers are n hosts, each under its own organization
 * "o<i>.<suffix>" (the last one's organization is last instead, when not NULL). */
static char *many_receivers(unsigned n, const char *suffix, const char *last)
{
        size_t cap = 256 + (size_t)n * 80, len = 0;
        char *recv = malloc(cap), *line = malloc(cap + 512);
        assert_non_null(recv);
        assert_non_null(line);
        recv[0] = 0;
        for (unsigned i = 0; i < n; i++) {
                char org[64];
                snprintf(org, sizeof org, "o%05u.%s", i, suffix);
                len +=
                    (size_t)snprintf(recv + len, cap - len, "%s{\"host\":\"r.%s\",\"org\":\"%s\"}",
                                     i ? "," : "", org, i + 1 == n && last ? last : org);
        }
        snprintf(line, cap + 512, LINE(D, "\"none\"", "false", "\"yes\"", SPF_FAIL, "%s"), recv);
        free(recv);
        return line;
}

/* Every receiver is kept (64 were): 1,000 organizations listed, in order. Past the room of
 * a record (a line no scan writes: 5,000 organizations of 14 bytes) the rest are counted
 * in receivers_dropped, and a change among them is still a change. */
static void test_record_many_receivers(void **state)
{
        (void)state;
        static unsigned char a[DIFF_REC_MAX], b[DIFF_REC_MAX];
        struct diff_rec ra, rb;
        char *line = many_receivers(1000, "example", NULL);
        assert_true(encode(line, 1, a, &ra) > 0);
        assert_int_equal(ra.nreceivers, 1000);
        assert_int_equal(ra.receivers_dropped, 0);
        assert_int_equal(ra.receivers_len, 1000 * 15);
        for (unsigned i = 0; i < 1000; i++) {
                char org[32];
                snprintf(org, sizeof org, "o%05u.example", i);
                assert_int_equal(ra.receivers[i * 15], 14);
                assert_memory_equal(ra.receivers + i * 15 + 1, org, 14);
        }
        free(line);
        line = many_receivers(5000, "example", NULL);
        assert_true(encode(line, 1, a, &ra) > 0);
        assert_true(ra.nreceivers > 4000 && ra.receivers_dropped > 0);
        assert_int_equal(ra.nreceivers + ra.receivers_dropped, 5000);
        assert_memory_equal(ra.receivers + 1, "o00000.example", 14);
        char *other = many_receivers(5000, "example", "zzzzzz.example");
        assert_true(encode(other, 2, b, &rb) > 0);
        assert_int_equal(rb.nreceivers, ra.nreceivers);
        assert_memory_equal(ra.receivers, rb.receivers, ra.receivers_len); /* listed: same */
        assert_int_equal(diff_changes(&ra, &rb), DIFF_RECEIVERS);
        assert_int_equal(diff_changes(&ra, &ra), 0);
        free(line);
        free(other);
}

/* ---- extsort ---- */

static int int_cmp(const void *a, size_t al, const void *b, size_t bl)
{
        (void)al;
        (void)bl;
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return (x > y) - (x < y);
}

static int u64_cmp(const void *a, const void *b)
{
        return int_cmp(a, 8, b, 8);
}

static unsigned files_in(const char *dir)
{
        DIR *d = opendir(dir);
        unsigned n = 0;
        for (struct dirent *e; d && (e = readdir(d));)
                n += e->d_name[0] != '.';
        if (d)
                closedir(d);
        return n;
}

/* n records of 8-byte keys plus padding to len bytes, through an arena of arena bytes. */
static void sort_check(size_t n, size_t len, size_t arena, unsigned min_runs)
{
        char dir[] = "/tmp/test-extsort-XXXXXX";
        assert_non_null(mkdtemp(dir));
        struct extsort *s;
        assert_int_equal(extsort_open(&s, arena, dir, int_cmp), 0);
        uint64_t *keys = malloc(n * sizeof(*keys));
        unsigned char rec[256] = {0};
        uint64_t x = 88172645463325252ull;
        for (size_t i = 0; i < n; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                keys[i] = x % (n / 2 + 1); /* repeats too */
                memcpy(rec, &keys[i], 8);
                assert_int_equal(extsort_add(s, rec, len), 0);
        }
        assert_int_equal(files_in(dir), 0); /* unlinked as soon as created */
        assert_int_equal(extsort_finish(s), 0);
        assert_true(extsort_spilled(s) >= min_runs);
        qsort(keys, n, sizeof(*keys), u64_cmp);
        const void *r;
        size_t got_len, i = 0;
        int rc;
        while ((rc = extsort_next(s, &r, &got_len)) > 0) {
                assert_true(i < n);
                assert_int_equal(got_len, len);
                uint64_t k;
                memcpy(&k, r, 8);
                assert_int_equal(k, keys[i]);
                i++;
        }
        assert_int_equal(rc, 0);
        assert_int_equal(i, n);
        extsort_close(s);
        free(keys);
        assert_int_equal(files_in(dir), 0);
        rmdir(dir);
}

static void test_extsort_memory(void **state)
{
        (void)state;
        sort_check(10000, 24, EXTSORT_ARENA_MIN, 0);
}

static void test_extsort_runs(void **state)
{
        (void)state;
        /* 1 MiB arena, 136 bytes a record: ~7,700 a run; 800,000 records give > 100 runs,
         * more than one merge pass takes (EXTSORT_FANIN). */
        sort_check(800000, 128, EXTSORT_ARENA_MIN, EXTSORT_FANIN + 1);
}

static void test_extsort_empty(void **state)
{
        (void)state;
        sort_check(0 + 1, 8, EXTSORT_ARENA_MIN, 0);
        struct extsort *s;
        assert_int_equal(extsort_open(&s, EXTSORT_ARENA_MIN, NULL, int_cmp), 0);
        assert_int_equal(extsort_finish(s), 0);
        const void *r;
        size_t len;
        assert_int_equal(extsort_next(s, &r, &len), 0);
        extsort_close(s);
        assert_int_equal(extsort_open(&s, 1000, NULL, int_cmp), -EINVAL);
}

/* ---- the join ---- */

static struct extsort *sorted(const char *const *lines, size_t n, struct diff_side_stats *st)
{
        struct extsort *s;
        assert_int_equal(extsort_open(&s, EXTSORT_ARENA_MIN, NULL, diff_rec_cmp), 0);
        unsigned char buf[DIFF_REC_MAX];
        for (size_t i = 0; i < n; i++) {
                int len = diff_rec_encode(&enc, lines[i], strlen(lines[i]), i + 1, buf);
                st->lines++;
                if (len == 0) {
                        st->no_domain++;
                        continue;
                }
                assert_true(len > 0);
                assert_int_equal(extsort_add(s, buf, (size_t)len), 0);
        }
        assert_int_equal(extsort_finish(s), 0);
        return s;
}

/* The join of two sets of lines: its NDJSON text (the caller frees it); the counts in st
 * and t. */
static char *join(const char *const *old, size_t nold, const char *const *new, size_t nnew,
                  struct diff_side_stats st[2], struct diff_tally *t)
{
        struct extsort *o = sorted(old, nold, &st[0]), *n = sorted(new, nnew, &st[1]);
        char *text = NULL;
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        assert_int_equal(diff_join(o, n, &st[0], &st[1], t, out), 0);
        fclose(out);
        extsort_close(o);
        extsort_close(n);
        return text;
}

#define L(d, posture) LINE("\"" d "\"", "\"" posture "\"", "false", "\"yes\"", SPF_FAIL, "")

static void test_join(void **state)
{
        (void)state;
        const char *old[] = {L("c.example", "none"), L("a.example", "none"),
                             L("b.example", "missing"), L("a.example", "reject"),
                             "{\"domain\":null,\"status\":\"ILLEGAL_INPUT\"}"};
        const char *new[] = {L("d.example", "none"), L("b.example", "missing"),
                             L("a.example", "reject"), L("A.EXAMPLE", "none")};
        struct diff_side_stats st[2] = {{.path = "old"}, {.path = "new"}};
        struct diff_side_stats *so = &st[0], *sn = &st[1];
        struct diff_tally t = {0};
        char *text = join(old, 5, new, 4, st, &t);
        /* a: its first line in each (none -> reject); b unchanged; c removed; d added */
        assert_int_equal(so->domains, 3);
        assert_int_equal(so->duplicates, 1);
        assert_int_equal(so->no_domain, 1);
        assert_int_equal(sn->domains, 3);
        assert_int_equal(sn->duplicates, 1);
        assert_int_equal(t.both, 2);
        assert_int_equal(t.changed, 1);
        assert_int_equal(t.added, 1);
        assert_int_equal(t.removed, 1);
        assert_int_equal(t.posture[DP_NONE][DP_REJECT], 1);
        assert_int_equal(t.posture[DP_MISSING][DP_MISSING], 1);
        assert_int_equal(t.removed_posture[DP_NONE], 1);
        assert_int_equal(t.added_posture[DP_NONE], 1);
        const char *want =
            "{\"domain\":\"a.example\",\"change\":\"changed\",\"changes\":[\"posture_up\"],"
            "\"old\":{\"status\":\"OK\",\"posture\":\"none\",\"enforcing\":false,"
            "\"spoofable\":\"yes\",\"spf_all\":\"fail\",\"receivers\":[]},"
            "\"new\":{\"status\":\"OK\",\"posture\":\"reject\",\"enforcing\":false,"
            "\"spoofable\":\"yes\",\"spf_all\":\"fail\",\"receivers\":[]}}\n"
            "{\"domain\":\"c.example\",\"change\":\"removed\",\"changes\":[],"
            "\"old\":{\"status\":\"OK\",\"posture\":\"none\",\"enforcing\":false,"
            "\"spoofable\":\"yes\",\"spf_all\":\"fail\",\"receivers\":[]},\"new\":null}\n"
            "{\"domain\":\"d.example\",\"change\":\"added\",\"changes\":[],\"old\":null,"
            "\"new\":{\"status\":\"OK\",\"posture\":\"none\",\"enforcing\":false,"
            "\"spoofable\":\"yes\",\"spf_all\":\"fail\",\"receivers\":[]}}\n";
        assert_string_equal(text, want);
        free(text);

        /* the table says it in sentences */
        size_t size = 0;
        FILE *out = open_memstream(&text, &size);
        diff_tally_print(&t, so, sn, out);
        fclose(out);
        assert_non_null(strstr(text, "  1 domain moved from posture none to reject\n"));
        assert_non_null(strstr(text, "1 only in NEW (added), 1 only in OLD (removed)"));
        free(text);
}

static void test_join_receivers(void **state)
{
        (void)state;
        const char *old[] = {LINE(D, "\"none\"", "false", "\"yes\"", SPF_FAIL, RECV_SELF)};
        const char *new[] = {LINE(D, "\"none\"", "false", "\"yes\"", SPF_FAIL, RECV_VEND)};
        struct diff_side_stats st[2] = {{0}, {0}};
        struct diff_tally t = {0};
        char *text = join(old, 1, new, 1, st, &t);
        assert_non_null(strstr(text, "\"changes\":[\"receivers\"]"));
        assert_non_null(strstr(text, "\"receivers_added\":[\"vendor.test\"],"
                                     "\"receivers_removed\":[\"d.example\"]}"));
        free(text);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_jscan_strings),  cmocka_unit_test(test_jscan_malformed),
            cmocka_unit_test(test_record_fields),  cmocka_unit_test(test_record_order),
            cmocka_unit_test(test_changes),        cmocka_unit_test(test_record_many_receivers),
            cmocka_unit_test(test_extsort_memory), cmocka_unit_test(test_extsort_runs),
            cmocka_unit_test(test_extsort_empty),  cmocka_unit_test(test_join),
            cmocka_unit_test(test_join_receivers),
        };
        int rc = cmocka_run_group_tests(tests, NULL, NULL);
        diff_enc_free(&enc);
        return rc;
}

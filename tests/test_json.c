/* test_json.c -- unit tests for output/json.c.
 * Contract: exact-output checks for every escape class, plus a fixed-seed random corpus that
 * python3's json module must parse and decode like bytes.decode("utf-8", "replace"). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <math.h>
#include <stdint.h>
#include <cmocka.h>

#include "output/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

#define PYTHON "/usr/bin/python3"

/* Escapes s[0..n) as a JSON string and compares with want (a C string). */
static void check_str(const char *s, size_t n, const char *want)
{
        struct jbuf b;
        jbuf_init(&b);
        jbuf_str(&b, s, n);
        jbuf_raw(&b, "", 1);
        assert_string_equal(b.p, want);
        assert_int_equal(b.len, strlen(want) + 1);
        jbuf_free(&b);
}

#define CHECK(lit, want) check_str(lit, sizeof(lit) - 1, want)

static void t_plain_ascii(void **st)
{
        (void)st;
        CHECK("", "\"\"");
        CHECK("v=DMARC1; p=none", "\"v=DMARC1; p=none\"");
        CHECK(" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~", "\" !#$%&'()*+,-./09:;<=>?@AZ[]^_`az{|}~\"");
}

static void t_short_escapes(void **st)
{
        (void)st;
        CHECK("\"", "\"\\\"\"");
        CHECK("\\", "\"\\\\\"");
        CHECK("\n\r\t\b\f", "\"\\n\\r\\t\\b\\f\"");
        CHECK("a/b", "\"a/b\""); /* '/' needs no escape */
}

static void t_control_escapes(void **st)
{
        (void)st;
        CHECK("\x00", "\"\\u0000\"");
        CHECK("\x01\x07\x0b\x0e\x1f", "\"\\u0001\\u0007\\u000b\\u000e\\u001f\"");
        CHECK("\x7f", "\"\\u007f\"");
        for (int c = 0; c < 0x20; c++) {
                char in = (char)c, want[16];
                const char *shortform = strchr("\bb\tt\nn\ff\rr", c);
                if (c != 0 && shortform)
                        snprintf(want, sizeof want, "\"\\%c\"", shortform[1]);
                else
                        snprintf(want, sizeof want, "\"\\u%04x\"", c);
                check_str(&in, 1, want);
        }
}

static void t_valid_utf8(void **st)
{
        (void)st;
        CHECK("\xc3\xa9", "\"\xc3\xa9\"");                 /* é */
        CHECK("\xe4\xb8\xad", "\"\xe4\xb8\xad\"");         /* 中 */
        CHECK("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* 😀 */
        CHECK("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\""); /* U+0080, U+07FF */
        CHECK("\xe0\xa0\x80\xef\xbf\xbf", "\"\xe0\xa0\x80\xef\xbf\xbf\"");
        CHECK("\xed\x9f\xbf\xee\x80\x80", "\"\xed\x9f\xbf\xee\x80\x80\""); /* around surrogates */
        CHECK("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"");
        CHECK("\xef\xbf\xbd", "\"\xef\xbf\xbd\""); /* a real U+FFFD passes through */
}

static void t_line_separators(void **st)
{
        (void)st;
        CHECK("a\xe2\x80\xa8"
              "b\xe2\x80\xa9",
              "\"a\\u2028b\\u2029\"");
        CHECK("\xe2\x80\xa7\xe2\x80\xaa", "\"\xe2\x80\xa7\xe2\x80\xaa\""); /* neighbours */
}

#define FFFD "\\ufffd"

static void t_invalid_utf8(void **st)
{
        (void)st;
        CHECK("\x80", "\"" FFFD "\""); /* lone continuation */
        CHECK("a\xbf"
              "b",
              "\"a" FFFD "b\"");
        CHECK("\x80\x80", "\"" FFFD FFFD "\"");
        CHECK("\xc0\xaf", "\"" FFFD FFFD "\""); /* overlong 2-byte '/' */
        CHECK("\xc1\xbf", "\"" FFFD FFFD "\"");
        CHECK("\xe0\x80\xaf", "\"" FFFD FFFD FFFD "\""); /* overlong 3-byte */
        CHECK("\xe0\x9f\xbf", "\"" FFFD FFFD FFFD "\"");
        CHECK("\xf0\x80\x80\xaf", "\"" FFFD FFFD FFFD FFFD "\""); /* overlong 4-byte */
        CHECK("\xf0\x8f\xbf\xbf", "\"" FFFD FFFD FFFD FFFD "\"");
        CHECK("\xed\xa0\x80", "\"" FFFD FFFD FFFD "\"");          /* U+D800 */
        CHECK("\xed\xbf\xbf", "\"" FFFD FFFD FFFD "\"");          /* U+DFFF */
        CHECK("\xf4\x90\x80\x80", "\"" FFFD FFFD FFFD FFFD "\""); /* U+110000 */
        CHECK("\xf5\x80\x80\x80", "\"" FFFD FFFD FFFD FFFD "\"");
        CHECK("\xfe", "\"" FFFD "\"");
        CHECK("\xff\xfe", "\"" FFFD FFFD "\"");
        CHECK("\xc3", "\"" FFFD "\""); /* truncated at end */
        CHECK("\xe4\xb8", "\"" FFFD "\"");
        CHECK("\xf0\x9f\x98", "\"" FFFD "\"");
        CHECK("\xe4\xb8"
              "a",
              "\"" FFFD "a\""); /* truncated mid-string */
        CHECK("\xf0\x9f\x98\xc3\xa9", "\"" FFFD "\xc3\xa9\"");
        CHECK("\xc3\"", "\"" FFFD "\\\"\"");
        CHECK("\xe2\x80", "\"" FFFD "\""); /* cut-off U+2028 */
}

static void t_hostile_txt(void **st)
{
        (void)st;
        CHECK("v=DMARC1; p=\"reject\\\"}", "\"v=DMARC1; p=\\\"reject\\\\\\\"}\"");
        CHECK("v=DMARC1;\x00p=reject\x00\"}\n{\"x\":1",
              "\"v=DMARC1;\\u0000p=reject\\u0000\\\"}\\n{\\\"x\\\":1\"");
}

static void check_u64(uint64_t v, const char *want)
{
        struct jbuf b;
        jbuf_init(&b);
        jbuf_u64(&b, v);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.p, want, b.len);
        jbuf_free(&b);
}

static void check_i64(int64_t v, const char *want)
{
        struct jbuf b;
        jbuf_init(&b);
        jbuf_i64(&b, v);
        assert_int_equal(b.len, strlen(want));
        assert_memory_equal(b.p, want, b.len);
        jbuf_free(&b);
}

static void t_integers(void **st)
{
        (void)st;
        check_u64(0, "0");
        check_u64(7, "7");
        check_u64(10, "10");
        check_u64(99, "99");
        check_u64(100, "100");
        check_u64(1000000007, "1000000007");
        check_u64(UINT64_MAX, "18446744073709551615");
        check_i64(0, "0");
        check_i64(-1, "-1");
        check_i64(-10, "-10");
        check_i64(INT64_MAX, "9223372036854775807");
        check_i64(INT64_MIN, "-9223372036854775808");
        char want[32];
        uint64_t v = 1;
        for (int i = 0; i < 20; i++, v *= 10) {
                snprintf(want, sizeof want, "%llu", (unsigned long long)v);
                check_u64(v, want);
                snprintf(want, sizeof want, "%llu", (unsigned long long)(v - 1));
                check_u64(v - 1, want);
        }
}

/* Members written beforehand: copied after the others, their comma dropped when first. */
static void t_members_raw(void **st)
{
        (void)st;
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        jw_members_raw(&w, ",\"a\":null,\"b\":null", 18);
        jw_int(&w, "n", 1);
        jw_members_raw(&w, ",\"c\":null", 9);
        jw_members_raw(&w, ",\"d\":null", 0);
        jw_obj_open(&w, "o");
        jw_members_raw(&w, ",\"e\":null", 9);
        jw_obj_close(&w);
        jw_end(&w);
        jbuf_raw(&b, "", 1);
        assert_string_equal(b.p, "{\"a\":null,\"b\":null,\"n\":1,\"c\":null,\"o\":{\"e\":null}}\n");
        jbuf_free(&b);
}

static void t_writer_nesting(void **st)
{
        (void)st;
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        jw_cstr(&w, "domain", "example.com");
        jw_int(&w, "rcode", -3);
        jw_uint(&w, "ms", 42);
        jw_bool(&w, "ok", true);
        jw_bool(&w, "bad", false);
        jw_null(&w, "none");
        jw_cstr(&w, "nil", NULL);
        jw_arr_open(&w, "empty");
        jw_arr_close(&w);
        jw_obj_open(&w, "o");
        jw_obj_close(&w);
        jw_arr_open(&w, "a");
        jw_str(&w, NULL, "x\"", 2);
        jw_int(&w, NULL, 1);
        jw_obj_open(&w, NULL);
        jw_arr_open(&w, "in");
        jw_null(&w, NULL);
        jw_arr_close(&w);
        jw_cstr(&w, "k", "v");
        jw_obj_close(&w);
        jw_arr_open(&w, NULL);
        jw_arr_close(&w);
        jw_arr_close(&w);
        jw_cstr(&w, "ke\"y", "");
        jw_end(&w);
        jbuf_raw(&b, "", 1);
        assert_string_equal(b.p, "{\"domain\":\"example.com\",\"rcode\":-3,\"ms\":42,\"ok\":true,"
                                 "\"bad\":false,\"none\":null,\"nil\":null,\"empty\":[],\"o\":{},"
                                 "\"a\":[\"x\\\"\",1,{\"in\":[null],\"k\":\"v\"},[]],"
                                 "\"ke\\\"y\":\"\"}\n");
        jbuf_free(&b);
}

static void t_writer_appends_lines(void **st)
{
        (void)st;
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        for (int i = 0; i < 3; i++) {
                jw_begin(&w, &b);
                jw_int(&w, "i", i);
                jw_end(&w);
        }
        jw_begin(&w, &b);
        jw_end(&w);
        jbuf_raw(&b, "", 1);
        assert_string_equal(b.p, "{\"i\":0}\n{\"i\":1}\n{\"i\":2}\n{}\n");
        jbuf_reset(&b);
        assert_int_equal(b.len, 0);
        jbuf_free(&b);
}

static void t_writer_max_depth(void **st)
{
        (void)st;
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        for (int i = 1; i < JW_DEPTH_MAX; i++)
                jw_arr_open(&w, i == 1 ? "deep" : NULL);
        for (int i = 1; i < JW_DEPTH_MAX; i++)
                jw_arr_close(&w);
        jw_end(&w);
        assert_int_equal(b.len, strlen("{\"deep\":") + 2 * (JW_DEPTH_MAX - 1) + 2);
        jbuf_free(&b);
}

/* Runs fn in a child with DS_CHECK_ABORT set to check_abort (common/check.h); true when
 * it died of abort(), and otherwise it must have exited with fn's status 0. */
static bool aborts_in(const char *check_abort, int (*fn)(void))
{
        int status = run_child(check_abort, fn, NULL, 0);
        if (!WIFSIGNALED(status))
                assert_int_equal(WEXITSTATUS(status), 0);
        return child_aborted(status);
}

static bool aborts(int (*fn)(void))
{
        return aborts_in("0", fn);
}

static int nest_too_deep(void)
{
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        for (int i = 0; i < JW_DEPTH_MAX; i++)
                jw_obj_open(&w, "k");
        return 0;
}

/* Exits 0 when the stray close was dropped and the line is still valid. */
static int close_too_many(void)
{
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        jw_arr_close(&w);
        jw_end(&w);
        return b.len == 3 && memcmp(b.p, "{}\n", 3) == 0 ? 0 : 1;
}

static int end_while_open(void)
{
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        jw_arr_open(&w, "a");
        jw_end(&w);
        return 0;
}

static void t_doubles(void **st)
{
        (void)st;
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        jw_double(&w, "p", 3.35766233e-05);
        jw_double(&w, "z", 0);
        jw_double(&w, "nan", NAN);
        jw_double(&w, "inf", INFINITY);
        jw_end(&w);
        const char *want = "{\"p\":3.36e-05,\"z\":0,\"nan\":null,\"inf\":null}";
        assert_true(b.len >= strlen(want));
        assert_memory_equal(b.p, want, strlen(want));
        jbuf_free(&b);
}

static void t_writer_misuse(void **st)
{
        (void)st;
        assert_true(aborts(nest_too_deep));
        assert_true(aborts(end_while_open));
        /* a close with nothing open is recovered from, unless invariant failures abort */
        assert_false(aborts(close_too_many));
        assert_true(aborts_in("1", close_too_many));
}

static void t_buffer_growth(void **st)
{
        (void)st;
        struct jbuf b;
        jbuf_init(&b);
        char big[70000];
        memset(big, '\x01', sizeof big);
        jbuf_str(&b, big, sizeof big);
        assert_int_equal(b.len, 2 + 6 * sizeof big);
        size_t cap = b.cap;
        jbuf_reset(&b);
        jbuf_str(&b, big, sizeof big);
        assert_int_equal(b.cap, cap); /* a reused buffer does not grow again */
        jbuf_free(&b);
        assert_null(b.p);
}

/* Keys take a one-pass path when short and plain; every other key must come out as
 * jbuf_str writes it: each length around the fast path's limit, escapes, UTF-8, and a
 * buffer that must grow in the middle of the key. */
static void t_keys(void **st)
{
        (void)st;
        static const char *odd[] = {"",     "q\"uote",     "back\\slash", "tab\there",
                                    "\x01", "caf\xc3\xa9", "bad\xff",     "del\x7f"};
        char keys[8 + 6][200];
        size_t nkeys = 0;
        for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++)
                snprintf(keys[nkeys++], sizeof keys[0], "%s", odd[i]);
        static const size_t lens[] = {1, 31, 32, 33, 64, 199};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
                memset(keys[nkeys], 'k', lens[i]);
                keys[nkeys][lens[i]] = '\0';
                nkeys++;
        }
        for (size_t fill = 0; fill < 300; fill++) {
                for (size_t k = 0; k < nkeys; k++) {
                        struct jbuf got, want;
                        struct jw w;
                        jbuf_init(&got);
                        jbuf_init(&want);
                        char pad[300];
                        memset(pad, 'p', fill);
                        jbuf_raw(&got, pad, fill);
                        jbuf_raw(&want, pad, fill);
                        jw_begin(&w, &got);
                        jw_int(&w, keys[k], 7);
                        jw_cstr(&w, keys[k], "v");
                        jw_end(&w);
                        jbuf_raw(&want, "{", 1);
                        for (int rep = 0; rep < 2; rep++) {
                                if (rep)
                                        jbuf_raw(&want, ",", 1);
                                jbuf_str(&want, keys[k], strlen(keys[k]));
                                jbuf_raw(&want, rep ? ":\"v\"" : ":7", rep ? 4 : 2);
                        }
                        jbuf_raw(&want, "}\n", 2);
                        assert_int_equal(got.len, want.len);
                        assert_memory_equal(got.p, want.p, want.len);
                        jbuf_free(&got);
                        jbuf_free(&want);
                }
        }
}

/* The key as jw_* writes it must be what jbuf_str gives, then ':'. */
static void assert_key_written(const char *key)
{
        struct jbuf got, want;
        struct jw w;
        jbuf_init(&got);
        jbuf_init(&want);
        jw_begin(&w, &got);
        jw_null(&w, key);
        jw_end(&w);
        jbuf_raw(&want, "{", 1);
        jbuf_str(&want, key, strlen(key));
        jbuf_raw(&want, ":null}\n", 7);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.p, want.p, want.len);
        jbuf_free(&got);
        jbuf_free(&want);
}

/* Short keys are copied and tested a word at a time (overlapping words, three bytes for the
 * shortest): at every length up to past the fast path's limit, a byte that needs an escape
 * is caught at every position, and a plain key comes out whole. */
static void t_keys_every_length(void **st)
{
        (void)st;
        static const char bad[] = {'"', '\\', '\x01', '\x1f', '\x7f', '\x80', '\xff'};
        char key[48];
        for (size_t n = 1; n < 40; n++) {
                for (size_t i = 0; i < n; i++)
                        key[i] = (char)('a' + (i % 26));
                key[n] = '\0';
                assert_key_written(key);
                for (size_t pos = 0; pos < n; pos++) {
                        for (size_t k = 0; k < sizeof bad; k++) {
                                char keep = key[pos];
                                key[pos] = bad[k];
                                assert_key_written(key);
                                key[pos] = keep;
                        }
                }
        }
}

/* A key is trusted (copied without its bytes tested) only when the compiler knows its text
 * and it has nothing to escape: never a literal that needs escapes or holds non-ASCII, never
 * a key read at run time; and a trusted key comes out as the checked path writes it. */
static void t_trusted_keys(void **st)
{
        (void)st;
        assert_false(JW_PLAIN_LITERAL("ke\"y"));
        assert_false(JW_PLAIN_LITERAL("back\\slash"));
        assert_false(JW_PLAIN_LITERAL("tab\there"));
        assert_false(JW_PLAIN_LITERAL("del\x7f"));
        assert_false(JW_PLAIN_LITERAL("caf\xc3\xa9"));
        char runtime[16];
        snprintf(runtime, sizeof(runtime), "%s", getenv("DS_TEST_NO_SUCH_VARIABLE") ? "x" : "key");
        const char *k = runtime;
        assert_false(JW_PLAIN_LITERAL(k));
        static const char *const keys[] = {
            "",         "a",         "ab",
            "abc",      "abcd",      "abcdefg",
            "abcdefgh", "abcdefghi", "abcdefghijklmnopqrstuvwxyz01234"};
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
                struct jbuf a, b;
                struct jw wa, wb;
                size_t n = strlen(keys[i]);
                jbuf_init(&a);
                jbuf_init(&b);
                jw_begin(&wa, &a);
                jw_begin(&wb, &b);
                for (int rep = 0; rep < 2; rep++) {
                        jw_str_k(&wa, keys[i], n | JW_TRUSTED, "v", 1);
                        jw_str_k(&wb, keys[i], n, "v", 1);
                }
                jw_end(&wa);
                jw_end(&wb);
                assert_int_equal(a.len, b.len);
                assert_memory_equal(a.p, b.p, a.len);
                jbuf_free(&a);
                jbuf_free(&b);
        }
}

/* xorshift64*: fixed-seed, so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ULL;
}

static size_t put_utf8(unsigned char *d, uint32_t cp)
{
        if (cp < 0x80) {
                d[0] = (unsigned char)cp;
                return 1;
        }
        if (cp < 0x800) {
                d[0] = (unsigned char)(0xc0 | cp >> 6);
                d[1] = (unsigned char)(0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                d[0] = (unsigned char)(0xe0 | cp >> 12);
                d[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
                d[2] = (unsigned char)(0x80 | (cp & 0x3f));
                return 3;
        }
        d[0] = (unsigned char)(0xf0 | cp >> 18);
        d[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
        d[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
        d[3] = (unsigned char)(0x80 | (cp & 0x3f));
        return 4;
}

static uint32_t random_scalar(uint64_t *r)
{
        static const uint32_t edges[] = {0,      0x1f,   0x7f,   0x80,   0x7ff,   0x800,
                                         0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x10ffff,
                                         0x2028, 0x2029, '"',    '\\',   0xe9,    0x4e2d};
        uint64_t x = rng_next(r);
        switch (x % 4) {
        case 0:
                return edges[(x >> 8) % (sizeof edges / sizeof edges[0])];
        case 1:
                return (uint32_t)(x >> 8) % 0x80;
        default: {
                uint32_t cp = (uint32_t)(x >> 8) % 0x110000;
                return cp >= 0xd800 && cp <= 0xdfff ? cp - 0x800 : cp;
        }
        }
}

/* Printable ASCII with now and then a byte that needs an escape, at any offset of the
 * escaper's 8-byte blocks: control bytes, DEL, '"', '\\', a high byte. */
static size_t random_mostly_plain(uint64_t *r, unsigned char *d, size_t want)
{
        static const unsigned char odd[] = {0, 0x1f, 0x7f, '"', '\\', 0x80, 0xff, '\n', 0x20, 0x7e};
        for (size_t n = 0; n < want; n++) {
                uint64_t y = rng_next(r);
                d[n] = y % 12 == 0 ? odd[(y >> 8) % sizeof odd]
                                   : (unsigned char)(0x20 + (y >> 16) % 95);
        }
        return want;
}

/* Four flavours: arbitrary bytes, valid UTF-8, valid UTF-8 with a damaged byte, and
 * mostly printable ASCII. */
static size_t random_string(uint64_t *r, unsigned char *d, size_t max)
{
        uint64_t x = rng_next(r);
        size_t want = (size_t)(x >> 8) % max, n = 0;
        if (x % 4 == 3)
                return random_mostly_plain(r, d, want);
        if (x % 3 == 0) {
                for (; n < want; n++)
                        d[n] = (unsigned char)rng_next(r);
                return n;
        }
        while (n + 4 <= want)
                n += put_utf8(d + n, random_scalar(r));
        if (x % 3 == 2 && n > 0)
                d[rng_next(r) % n] = (unsigned char)rng_next(r);
        return n;
}

/* Parses each NDJSON line, checks it is {"s": <string>} where the string equals the hex
 * input decoded with errors="replace", and that no raw U+2028/2029 survived. */
static const char py_check[] =
    "import json,sys\n"
    "n=0\n"
    "for line,h in zip(open(sys.argv[1],'rb'),open(sys.argv[2])):\n"
    "    raw=bytes.fromhex(h.strip())\n"
    "    text=line.decode('utf-8')\n"
    "    assert '\\u2028' not in text and '\\u2029' not in text, h\n"
    "    assert text.endswith('}\\n') and text.count('\\n')==1, h\n"
    "    got=json.loads(text)['s']\n"
    "    assert got==raw.decode('utf-8','replace'), h\n"
    "    try:\n"
    "        assert got.encode('utf-8')==raw.decode('utf-8').encode('utf-8')==raw, h\n"
    "    except UnicodeDecodeError:\n"
    "        pass\n"
    "    n+=1\n"
    "print(n)\n";

static void write_hex(FILE *f, const unsigned char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%02x", s[i]);
        fputc('\n', f);
}

static void t_random_corpus_python(void **st)
{
        (void)st;
        enum { COUNT = 10000 };
        char jpath[] = "/tmp/test_json_lines.XXXXXX", hpath[] = "/tmp/test_json_hex.XXXXXX";
        int jfd = mkstemp(jpath), hfd = mkstemp(hpath);
        assert_true(jfd >= 0 && hfd >= 0);
        FILE *jf = fdopen(jfd, "wb"), *hf = fdopen(hfd, "w");
        assert_non_null(jf);
        assert_non_null(hf);

        uint64_t r = 0x9e3779b97f4a7c15ULL;
        unsigned char s[200];
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        for (int i = 0; i < COUNT; i++) {
                size_t n = random_string(&r, s, sizeof s);
                jbuf_reset(&b);
                jw_begin(&w, &b);
                jw_str(&w, "s", (const char *)s, n);
                jw_end(&w);
                assert_int_equal(fwrite(b.p, 1, b.len, jf), b.len);
                write_hex(hf, s, n);
        }
        jbuf_free(&b);
        assert_int_equal(fclose(jf), 0);
        assert_int_equal(fclose(hf), 0);

        char cmd[4096];
        snprintf(cmd, sizeof cmd, "%s -c \"$DS_PY\" %s %s", PYTHON, jpath, hpath);
        setenv("DS_PY", py_check, 1);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        char out[64] = "";
        if (!fgets(out, sizeof out, p))
                out[0] = '\0';
        int status = pclose(p);
        unlink(jpath);
        unlink(hpath);
        assert_int_equal(status, 0);
        assert_int_equal(atoi(out), COUNT);
}

/* The reference for t_values_every_length: one byte (or the two of an é) at a time. */
static void ref_escape(struct jbuf *b, const char *s, size_t n)
{
        jbuf_raw(b, "\"", 1);
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                char esc[8];
                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        jbuf_raw(b, esc, 2);
                } else if (c && strchr("\b\t\n\f\r", c)) {
                        esc[0] = '\\';
                        esc[1] = "btnfr"[strchr("\b\t\n\f\r", c) - "\b\t\n\f\r"];
                        jbuf_raw(b, esc, 2);
                } else if (c < 0x20 || c == 0x7f) {
                        snprintf(esc, sizeof esc, "\\u%04x", c);
                        jbuf_raw(b, esc, 6);
                } else if (c == 0xc3 && i + 1 < n && (unsigned char)s[i + 1] == 0xa9) {
                        jbuf_raw(b, s + i++, 2);
                } else if (c >= 0x80) {
                        jbuf_raw(b, "\\ufffd", 6);
                } else {
                        jbuf_raw(b, (const char *)&c, 1);
                }
        }
        jbuf_raw(b, "\"", 1);
}

/* Values are copied and tested whole when short, sixteen and eight bytes at a time when
 * longer: at every length past two vectors, a byte that needs an escape (or is a UTF-8
 * sequence, or the plain bytes at the classes' edges) is caught at every position. */
static void t_values_every_length(void **st)
{
        (void)st;
        static const char *const odd[] = {"\"",   "\\",       "\x01", "\x1f", "\x7f", "\x80",
                                          "\xff", "\xc3\xa9", " ",    "~",    "\n"};
        char v[80];
        for (size_t n = 1; n < 72; n++) {
                for (size_t pos = 0; pos < n; pos++) {
                        for (size_t k = 0; k < sizeof odd / sizeof odd[0]; k++) {
                                size_t olen = strlen(odd[k]);
                                if (pos + olen > n)
                                        continue;
                                for (size_t i = 0; i < n; i++)
                                        v[i] = (char)('a' + (i % 26));
                                memcpy(v + pos, odd[k], olen);
                                struct jbuf got, want;
                                jbuf_init(&got);
                                jbuf_init(&want);
                                char *exact = malloc(n); /* ASan sees a read past n */
                                memcpy(exact, v, n);
                                jbuf_str(&got, exact, n);
                                free(exact);
                                ref_escape(&want, v, n);
                                assert_int_equal(got.len, want.len);
                                assert_memory_equal(got.p, want.p, want.len);
                                jbuf_free(&got);
                                jbuf_free(&want);
                        }
                }
        }
}

/* Trusted keys of every length the fast path takes (1-31: one, two and three bytes, 4-7, 8-15
 * and 16-31 are copied by different word sizes) land whole, quoted, before their value. */
static void t_trusted_keys_every_length(void **st)
{
        (void)st;
        static const char alpha[] = "abcdefghijklmnopqrstuvwxyz0123456789";
        for (size_t n = 1; n < 32; n++) {
                char *key = malloc(n); /* ASan sees a read past n */
                memcpy(key, alpha, n);
                char want[128];
                snprintf(want, sizeof want, "{\"%.*s\":\"v\",\"%.*s\":null}\n", (int)n, alpha,
                         (int)n, alpha);
                struct jbuf b;
                struct jw w;
                jbuf_init(&b);
                jw_begin(&w, &b);
                jw_str_k(&w, key, n | JW_TRUSTED, "v", 1);
                jw_null_k(&w, key, n | JW_TRUSTED);
                jw_end(&w);
                assert_int_equal(b.len, strlen(want));
                assert_memory_equal(b.p, want, b.len);
                jbuf_free(&b);
                free(key);
        }
}

/* One member through writer kind (0-7) with a 31-byte trusted key (the longest the fast path
 * takes), its value as long as its room: every byte of the string invalid (six bytes out each),
 * false, the longest numbers. */
static void one_member(struct jw *w, int kind, const char *s, size_t n)
{
        static const char key[] = "abcdefghijklmnopqrstuvwxyz01234";
        size_t kl = (sizeof key - 1) | JW_TRUSTED;
        switch (kind) {
        case 0:
                jw_str_k(w, key, kl, s, n);
                break;
        case 1:
                jw_bool_k(w, key, kl, false);
                break;
        case 2:
                jw_null_k(w, key, kl);
                break;
        case 3:
                jw_int_k(w, key, kl, INT64_MIN);
                break;
        case 4:
                jw_uint_k(w, key, kl, UINT64_MAX);
                break;
        case 5:
                jw_obj_open_k(w, key, kl);
                jw_obj_close(w);
                break;
        case 6:
                jw_arr_open_k(w, key, kl);
                jw_arr_close(w);
                break;
        default:
                jw_str_k(w, NULL, 0, s, n);
                break;
        }
}

/* Whatever room a buffer has left, a member never writes past its capacity: the buffer is
 * made by hand with a canary beyond cap, for every room from none to more than a member
 * needs, first member of its object or not. */
static void t_fast_path_room(void **st)
{
        (void)st;
        enum { CANARY = 64 };
        static const size_t lens[] = {0, 1, 15, 16, 17, 100, 255};
        char *val = malloc(255);
        memset(val, 0xff, 255);
        for (int kind = 0; kind < 8; kind++) {
                for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                        size_t n = lens[li];
                        if (kind != 0 && kind != 7 && li > 0)
                                break; /* only strings have a length */
                        for (size_t room = 0; room < 36 + 6 * n + 48; room++) {
                                for (int second = 0; second < 2; second++) {
                                        size_t fill = 8, cap = fill + 1 + 8 * second + room;
                                        struct jbuf b = {malloc(cap + CANARY), fill, cap};
                                        memset(b.p, '.', fill);
                                        memset(b.p + cap, 0xa5, CANARY);
                                        struct jw w;
                                        jw_begin(&w, &b);
                                        if (second)
                                                jw_null(&w, "k");
                                        if (kind == 7)
                                                jw_arr_open(&w, "a");
                                        one_member(&w, kind, val, n);
                                        if (b.cap == cap) /* not grown: the canary stands */
                                                for (size_t i = 0; i < CANARY; i++)
                                                        assert_int_equal(
                                                            (unsigned char)b.p[cap + i], 0xa5);
                                        assert_true(b.len <= b.cap);
                                        free(b.p);
                                }
                        }
                }
        }
        free(val);
}

/* A key checked at run time (jw_key_len) is trusted only when it has nothing to escape; one
 * that has is written escaped. */
static void t_key_len_checked(void **st)
{
        (void)st;
        assert_int_equal(jw_key_len("spf"), 3 | JW_TRUSTED);
        assert_int_equal(jw_key_len(""), 0 | JW_TRUSTED);
        assert_int_equal(jw_key_len("a\"b"), 3);
        assert_int_equal(jw_key_len("a\\b"), 3);
        assert_int_equal(jw_key_len("tab\t"), 4);
        assert_int_equal(jw_key_len("caf\xc3\xa9"), 5);
        assert_int_equal(jw_key_len("del\x7f"), 4);
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        jw_null_k(&w, "spf", jw_key_len("spf"));
        jw_null_k(&w, "a\"b", jw_key_len("a\"b"));
        jw_end(&w);
        assert_int_equal(b.len, strlen("{\"spf\":null,\"a\\\"b\":null}\n"));
        assert_memory_equal(b.p, "{\"spf\":null,\"a\\\"b\":null}\n", b.len);
        jbuf_free(&b);
}

/* One line of every member kind: keys given with JW_TRUSTED take the writers' fast path when
 * the buffer has room, any other key (or a full buffer) the general one. */
static void write_members(struct jbuf *b, bool trusted)
{
        static const char *const keys[] = {"o", "s", "", "n", "abcdefghijklmnopqrstuvwxyz01234",
                                           "b", "z", "a"};
        size_t kl[sizeof keys / sizeof keys[0]];
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
                kl[i] = strlen(keys[i]) | (trusted ? JW_TRUSTED : 0);
        char big[300];
        for (size_t i = 0; i < sizeof big; i++)
                big[i] = (char)(i % 7 == 3 ? '"' : i % 11 == 5 ? '\xc3' : 'a' + (char)(i % 26));
        struct jw w;
        jw_begin(&w, b);
        jw_obj_open_k(&w, keys[0], kl[0]);
        static const size_t lens[] = {0, 1, 7, 8, 255, 256, 257, 300};
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
                jw_str_k(&w, keys[1 + i % 2], kl[1 + i % 2], big, lens[i]);
        uint64_t p = 1;
        for (int k = 0; k <= 19; k++, p *= 10) {
                jw_uint_k(&w, keys[3], kl[3], p);
                jw_uint_k(&w, keys[4], kl[4], p - 1);
                jw_int_k(&w, keys[3], kl[3], -(int64_t)(p - 1));
        }
        jw_uint_k(&w, keys[3], kl[3], UINT64_MAX);
        jw_int_k(&w, keys[3], kl[3], INT64_MIN);
        jw_int_k(&w, keys[3], kl[3], INT64_MAX);
        jw_obj_close(&w);
        jw_arr_open_k(&w, keys[7], kl[7]);
        jw_null_k(&w, NULL, 0);
        jw_bool_k(&w, NULL, 0, true);
        jw_arr_close(&w);
        jw_bool_k(&w, keys[5], kl[5], true);
        jw_bool_k(&w, keys[5], kl[5], false);
        jw_null_k(&w, keys[6], kl[6]);
        jw_arr_open_k(&w, keys[2], kl[2]);
        jw_arr_close(&w);
        jw_end(&w);
}

/* The fast path writes what the general one does, wherever in the buffer the room runs out
 * (a prefix of every length up to past a growth shifts each member across it), and numbers
 * as printf does. */
static void t_fast_path_equals_general(void **st)
{
        (void)st;
        char fill[1200];
        memset(fill, '.', sizeof fill);
        for (size_t pre = 0; pre < sizeof fill; pre += 1 + pre / 64) {
                struct jbuf fast, general;
                jbuf_init(&fast);
                jbuf_init(&general);
                jbuf_raw(&fast, fill, pre);
                jbuf_raw(&general, fill, pre);
                write_members(&fast, true);
                write_members(&general, false);
                assert_int_equal(fast.len, general.len);
                assert_memory_equal(fast.p, general.p, general.len);
                jbuf_free(&fast);
                jbuf_free(&general);
        }
        struct jbuf b;
        jbuf_init(&b);
        write_members(&b, true);
        jbuf_raw(&b, "", 1);
        char want[64];
        snprintf(want, sizeof want, "\"n\":%llu,", (unsigned long long)UINT64_MAX);
        assert_non_null(strstr(b.p, want));
        snprintf(want, sizeof want, "\"n\":%lld,", (long long)INT64_MIN);
        assert_non_null(strstr(b.p, want));
        assert_non_null(strstr(b.p, "\"abcdefghijklmnopqrstuvwxyz01234\":9999999999999999999,"));
        assert_non_null(strstr(b.p, "\"n\":-999999999999999999,"));
        assert_non_null(strstr(b.p, "\"n\":0,"));
        assert_non_null(
            strstr(b.p, "\"a\":[null,true],\"b\":true,\"b\":false,\"z\":null,\"\":[]}\n"));
        jbuf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_plain_ascii),
            cmocka_unit_test(t_short_escapes),
            cmocka_unit_test(t_control_escapes),
            cmocka_unit_test(t_valid_utf8),
            cmocka_unit_test(t_line_separators),
            cmocka_unit_test(t_invalid_utf8),
            cmocka_unit_test(t_hostile_txt),
            cmocka_unit_test(t_integers),
            cmocka_unit_test(t_members_raw),
            cmocka_unit_test(t_writer_nesting),
            cmocka_unit_test(t_writer_appends_lines),
            cmocka_unit_test(t_writer_max_depth),
            cmocka_unit_test(t_buffer_growth),
            cmocka_unit_test(t_writer_misuse),
            cmocka_unit_test(t_random_corpus_python),
            cmocka_unit_test(t_doubles),
            cmocka_unit_test(t_keys),
            cmocka_unit_test(t_keys_every_length),
            cmocka_unit_test(t_trusted_keys),
            cmocka_unit_test(t_fast_path_equals_general),
            cmocka_unit_test(t_key_len_checked),
            cmocka_unit_test(t_fast_path_room),
            cmocka_unit_test(t_values_every_length),
            cmocka_unit_test(t_trusted_keys_every_length),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

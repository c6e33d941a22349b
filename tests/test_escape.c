/* test_escape.c -- output/escape.h: each format's special characters, control bytes, C1
 * controls, bidirectional overrides and invalid UTF-8 made visible text; valid UTF-8 kept;
 * widths and prefixes by code point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "output/escape.h"

static void expect(esc_fn f, const char *in, size_t n, const char *want)
{
        struct jbuf b;
        jbuf_init(&b);
        f(&b, in, n);
        jbuf_raw(&b, "", 1);
        assert_string_equal(b.p, want);
        jbuf_free(&b);
}

#define E(f, in, want) expect(f, in, sizeof(in) - 1, want)

static void test_html(void **state)
{
        (void)state;
        E(esc_html, "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;");
        E(esc_html, "\"><svg onload=alert(1)>", "&quot;&gt;&lt;svg onload=alert(1)&gt;");
        E(esc_html, "a'b&c", "a&#39;b&amp;c");
        E(esc_html, "&lt;", "&amp;lt;");
        E(esc_html, "</svg>", "&lt;/svg&gt;");
        E(esc_html, "plain.example", "plain.example");
}

static void test_markdown(void **state)
{
        (void)state;
        E(esc_md, "a|b`c", "a\\|b\\`c");
        E(esc_md, "*_[x](y)<b>", "\\*\\_\\[x\\](y)\\<b\\>");
        E(esc_md, "\\|", "\\\\\\|");
        E(esc_md, "&amp; ~~x~~ #h", "\\&amp; \\~\\~x\\~\\~ \\#h");
        E(esc_md, "1-1k, 45.2%", "1-1k, 45.2%");
}

static void test_terminal(void **state)
{
        (void)state;
        E(esc_term, "red\x1b[31m!", "red\\x1b[31m!");
        E(esc_term, "a\\b", "a\\\\b");
        E(esc_term, "<b>|`", "<b>|`");
}

static void test_controls_every_format(void **state)
{
        (void)state;
        esc_fn f[] = {esc_html, esc_md, esc_term};
        for (unsigned i = 0; i < 3; i++) {
                expect(f[i], "a\0b", 3, "a\\x00b");
                E(f[i], "\x01\t\n\r\x7f", "\\x01\\x09\\x0a\\x0d\\x7f");
                E(f[i], "\xc2\x85", "\\u0085"); /* C1 NEL */
                E(f[i],
                  "\xe2\x80\xae"
                  "evil",
                  "\\u202eevil");                           /* RIGHT-TO-LEFT OVERRIDE */
                E(f[i], "\xe2\x81\xa6", "\\u2066");         /* LEFT-TO-RIGHT ISOLATE */
                E(f[i], "\xff\xfe", "\\xff\\xfe");          /* not UTF-8 */
                E(f[i], "\xc0\xaf", "\\xc0\\xaf");          /* overlong '/' */
                E(f[i], "\xed\xa0\x80", "\\xed\\xa0\\x80"); /* a surrogate */
                E(f[i], "\xe2\x82", "\\xe2\\x82");          /* cut short */
                E(f[i], "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x93\xa7",
                  "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x93\xa7");
        }
}

static void test_width_prefix(void **state)
{
        (void)state;
        const char *s = "caf\xc3\xa9\xe4\xb8\xad!";
        assert_int_equal(esc_width(s, strlen(s)), 6);
        assert_int_equal(esc_prefix(s, strlen(s), 4), 5); /* "café" */
        assert_int_equal(esc_prefix(s, strlen(s), 5), 8); /* + the CJK character */
        assert_int_equal(esc_prefix(s, strlen(s), 99), strlen(s));
        assert_int_equal(esc_prefix(s, strlen(s), 0), 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_html),         cmocka_unit_test(test_markdown),
            cmocka_unit_test(test_terminal),     cmocka_unit_test(test_controls_every_format),
            cmocka_unit_test(test_width_prefix),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

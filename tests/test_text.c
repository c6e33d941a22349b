/* test_text.c -- unit tests for common/text.{h,c}.
 * Contract: ds_ascii_ieq is true exactly when the span equals the lower-case literal with
 * ASCII letters folded (lengths, embedded NULs and bytes above 0x7f included);
 * ds_ascii_in_set agrees byte for byte with the set's characters, and its digit and letter
 * masks with ds_ascii_digit and ds_ascii_alpha; ds_concat joins and truncates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/text.h"

#include <string.h>

static void t_ieq(void **st)
{
        (void)st;
        assert_true(ds_ascii_ieq("p", 1, "p"));
        assert_true(ds_ascii_ieq("RUA", 3, "rua"));
        assert_true(ds_ascii_ieq("rUa", 3, "rua"));
        assert_true(ds_ascii_ieq("", 0, ""));
        assert_false(ds_ascii_ieq("", 0, "p"));
        assert_false(ds_ascii_ieq("p", 1, ""));
        assert_false(ds_ascii_ieq("ru", 2, "rua"));   /* shorter */
        assert_false(ds_ascii_ieq("ruaa", 4, "rua")); /* longer */
        assert_false(ds_ascii_ieq("rub", 3, "rua"));
        assert_false(ds_ascii_ieq("r\0a", 3, "r")); /* a NUL inside the span */
        assert_false(ds_ascii_ieq("r\0", 2, "r"));
        assert_true(ds_ascii_ieq("rua-extra", 3, "rua")); /* only n bytes are read */
        assert_false(ds_ascii_ieq("\xc3\xa9", 2, "e"));
        /* Folding is ASCII only: 0xc9 is not 0xe9, '@' is not '`', '[' is not '{'. */
        assert_false(ds_ascii_ieq("\xc9", 1, "\xe9"));
        assert_false(ds_ascii_ieq("@", 1, "`"));
        assert_false(ds_ascii_ieq("[", 1, "{"));
}

static void t_in_set(void **st)
{
        (void)st;
        static const char punct[] = "-._~!$&'()*+,;=:/?#[]@";
        unsigned long long lo = DS_CSET_DIGITS, hi = DS_CSET_LETTERS;
        for (const char *c = punct; *c; c++) {
                if ((unsigned char)*c < 64)
                        lo |= DS_CBIT(*c);
                else
                        hi |= DS_CBIT(*c);
        }
        for (unsigned b = 0; b < 256; b++) {
                unsigned char c = (unsigned char)b;
                bool want = ds_ascii_alpha(c) || ds_ascii_digit(c) || (c && strchr(punct, c));
                assert_int_equal(ds_ascii_in_set(c, lo, hi), want);
                assert_int_equal(ds_ascii_in_set(c, DS_CSET_DIGITS, 0), ds_ascii_digit(c));
                assert_int_equal(ds_ascii_in_set(c, 0, DS_CSET_LETTERS), ds_ascii_alpha(c));
        }
}

static void t_concat(void **st)
{
        (void)st;
        char buf[8];
        const char *parts[] = {"_dmarc", ".", "example"};
        assert_int_equal(ds_concat(buf, sizeof buf, parts, 3), 7);
        assert_string_equal(buf, "_dmarc.");
        char big[32];
        assert_int_equal(ds_concat(big, sizeof big, parts, 3), 14);
        assert_string_equal(big, "_dmarc.example");
        assert_int_equal(ds_concat(big, sizeof big, parts, 0), 0);
        assert_string_equal(big, "");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_ieq),
            cmocka_unit_test(t_in_set),
            cmocka_unit_test(t_concat),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

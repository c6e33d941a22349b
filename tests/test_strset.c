/* test_strset.c -- the scanner's one string set (ck_hs underneath): interning keeps one copy,
 * lookups need no NUL, prefixes are different strings, the set grows past its hint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/strset.h"

static void test_intern_once(void **state)
{
        (void)state;
        struct strset *s;
        assert_int_equal(strset_new(&s, 4), 0);
        const char *a = strset_intern(s, "example.com", 11);
        const char buf[] = "example.comXYZ"; /* not NUL-terminated where it ends */
        const char *b = strset_intern(s, buf, 11);
        assert_non_null(a);
        assert_ptr_equal(a, b);
        assert_string_equal(a, "example.com");
        assert_int_equal(strset_count(s), 1);
        assert_true(strset_contains(s, buf, 11));
        assert_false(strset_contains(s, buf, 10)); /* a prefix is another string */
        assert_false(strset_contains(s, "example.co", 10));
        assert_non_null(strset_intern(s, "", 0)); /* the empty string is a string too */
        assert_true(strset_contains(s, "x", 0));
        assert_int_equal(strset_count(s), 2);
        strset_free(s);
}

static void test_grows(void **state)
{
        (void)state;
        struct strset *s;
        char name[32];
        assert_int_equal(strset_new(&s, 8), 0);
        for (int i = 0; i < 100000; i++) {
                int n = snprintf(name, sizeof name, "d%d.test", i);
                assert_non_null(strset_intern(s, name, (size_t)n));
        }
        assert_int_equal(strset_count(s), 100000);
        for (int i = 0; i < 100000; i += 997) {
                int n = snprintf(name, sizeof name, "d%d.test", i);
                assert_true(strset_contains(s, name, (size_t)n));
                n = snprintf(name, sizeof name, "e%d.test", i);
                assert_false(strset_contains(s, name, (size_t)n));
        }
        strset_free(s);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_intern_once),
            cmocka_unit_test(test_grows),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

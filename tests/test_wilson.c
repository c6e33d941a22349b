/* test_wilson.c -- output/wilson.h against published values (Newcombe 1998, table I,
 * method 3) and its bounds: inside [0, 1], around the estimate, narrowing with the sample,
 * no interval for total 0 or n > total. Also the report's rendering of a rate. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "output/report.h"
#include "output/wilson.h"

static void near(double got, double want)
{
        if (fabs(got - want) > 0.00005)
                fail_msg("%.5f, want %.5f", got, want);
}

static void test_newcombe(void **state)
{
        (void)state;
        double lo, hi;
        /* Newcombe (1998), Statistics in Medicine 17:857, table I, Wilson score method */
        assert_true(wilson95(81, 263, &lo, &hi));
        near(lo, 0.2553);
        near(hi, 0.3662);
        assert_true(wilson95(15, 148, &lo, &hi));
        near(lo, 0.0624);
        near(hi, 0.1605);
        assert_true(wilson95(0, 20, &lo, &hi));
        near(lo, 0.0);
        near(hi, 0.1611);
        assert_true(wilson95(1, 29, &lo, &hi));
        near(lo, 0.0061);
        near(hi, 0.1718);
}

static void test_bounds(void **state)
{
        (void)state;
        double lo, hi, prev = 1;
        assert_true(wilson95(10, 10, &lo, &hi));
        near(hi, 1.0);
        assert_true(lo > 0.69 && lo < 0.73);
        for (uint64_t t = 10; t <= 10000000; t *= 10) {
                assert_true(wilson95(t / 3, t, &lo, &hi));
                double p = (double)(t / 3) / (double)t;
                assert_true(0 <= lo && lo <= p && p <= hi && hi <= 1);
                assert_true(hi - lo < prev);
                prev = hi - lo;
        }
        lo = hi = -1;
        assert_false(wilson95(0, 0, &lo, &hi));
        assert_false(wilson95(5, 4, &lo, &hi));
        assert_true(lo == -1 && hi == -1);
}

static void test_rendered(void **state)
{
        (void)state;
        char b[32];
        report_pct(b, sizeof(b), 81, 263);
        assert_string_equal(b, "30.8%");
        report_ci(b, sizeof(b), 81, 263);
        assert_string_equal(b, "25.5-36.6");
        report_ci(b, sizeof(b), 0, 0);
        assert_string_equal(b, "-");
        report_pct(b, sizeof(b), 3, 0);
        assert_string_equal(b, "-");
        report_count(b, sizeof(b), 1234567);
        assert_string_equal(b, "1,234,567");
        report_count(b, sizeof(b), 999);
        assert_string_equal(b, "999");
}

int main(void)
{
        const struct CMUnitTest tests[] = {cmocka_unit_test(test_newcombe),
                                           cmocka_unit_test(test_bounds),
                                           cmocka_unit_test(test_rendered)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}

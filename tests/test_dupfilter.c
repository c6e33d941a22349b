/* test_dupfilter.c -- the duplicate filter, sized from the input and growing: every repeat is
 * caught, new names are almost never mistaken for repeats at realistic sizes, and the stated
 * false-positive rate follows the formula it claims. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/dupfilter.h"

static void test_repeats_caught_new_names_not(void **state)
{
        (void)state;
        struct dupfilter *d;
        char name[40];
        assert_int_equal(dupfilter_new(&d, 500000), 0);
        assert_int_equal(dupfilter_bytes(d), 4000000); /* 64 bits a name, whole 64-byte blocks */
        for (int i = 0; i < 500000; i++) {
                int n = snprintf(name, sizeof(name), "n%d.example.org", i);
                assert_false(dupfilter_seen(d, name, (size_t)n));
        }
        assert_int_equal(dupfilter_count(d), 500000);
        for (int i = 0; i < 500000; i += 7) { /* no false negative, ever */
                int n = snprintf(name, sizeof(name), "n%d.example.org", i);
                assert_true(dupfilter_seen(d, name, (size_t)n));
        }
        assert_int_equal(dupfilter_count(d), 500000); /* repeats do not count as names */
        unsigned false_pos = 0;
        for (int i = 0; i < 500000; i++) {
                int n = snprintf(name, sizeof(name), "other%d.example.net", i);
                false_pos += dupfilter_seen(d, name, (size_t)n);
        }
        /* expected ~5e-7 per name at this fill: 0.26 of 500,000 */
        assert_true(false_pos <= 2);
        assert_false(dupfilter_seen(d, "example.org", 10)); /* a prefix is another name */
        dupfilter_free(d);
}

static void test_fp_rate_formula(void **state)
{
        (void)state;
        struct dupfilter *d;
        assert_int_equal(dupfilter_new(&d, 0), 0); /* unknown size: sized for 2^20 names */
        assert_int_equal(dupfilter_bytes(d), 8 << 20);
        assert_true(dupfilter_fp_rate(d) == 0.0);
        char name[40];
        for (int i = 0; i < 1000000; i++) {
                int n = snprintf(name, sizeof(name), "x%d.test", i);
                dupfilter_seen(d, name, (size_t)n);
        }
        /* A blocked filter: names per 512-bit block are Poisson(1e6 / blocks); a block of i
         * names is a classic filter of 512 bits (summed here with lgamma, independently of
         * the code's recurrence). */
        double bits = 8.0 * (8 << 20), blocks = bits / 512.0, lambda = 1e6 / blocks, want = 0;
        for (int i = 0; i < 60; i++) {
                double p = exp(i * log(lambda) - lambda - lgamma(i + 1.0));
                want += p * pow(1 - pow(1 - 1 / 512.0, DUPFILTER_HASHES * i), DUPFILTER_HASHES);
        }
        assert_true(fabs(dupfilter_fp_rate(d) - want) < want * 1e-6 + 1e-15);
        assert_true(dupfilter_fp_rate(d) < 1e-6);
        /* and worse than the classic filter of the same size, which it trades for speed */
        assert_true(dupfilter_fp_rate(d) >
                    pow(1 - exp(-(double)DUPFILTER_HASHES * 1e6 / bits), DUPFILTER_HASHES));
        dupfilter_free(d);
}

/* An input far larger than guessed: stages are added, no repeat is missed in any of them,
 * and the rate stays that of a filter sized for the names. */
static void test_grows(void **state)
{
        (void)state;
        struct dupfilter *d;
        char name[40];
        assert_int_equal(dupfilter_new(&d, 1000), 0);
        assert_int_equal(dupfilter_bytes(d), 64 << 10); /* the smallest stage: 8,192 names */
        unsigned false_pos = 0;
        for (int i = 0; i < 2000000; i++) {
                int n = snprintf(name, sizeof(name), "g%d.example", i);
                false_pos += dupfilter_seen(d, name, (size_t)n);
        }
        assert_int_equal(dupfilter_count(d) + false_pos, 2000000);
        assert_true(false_pos <= 10);
        /* stages of 64 KiB doubling: 8 of them (64 KiB x 255) hold 2,088,960 names */
        assert_int_equal(dupfilter_bytes(d), 255 * (64 << 10));
        for (int i = 0; i < 2000000; i += 3) {
                int n = snprintf(name, sizeof(name), "g%d.example", i);
                assert_true(dupfilter_seen(d, name, (size_t)n));
        }
        assert_true(dupfilter_fp_rate(d) < 1e-5);
        dupfilter_free(d);
}

/* A reader that measured the input's first part says how many names are still to come:
 * they go to a stage of that size at once (the first stays part empty), stages double
 * again past it, and repeats from every stage are still caught. */
static void test_grow_for_the_rest(void **state)
{
        (void)state;
        struct dupfilter *d;
        char name[40];
        assert_int_equal(dupfilter_new(&d, 16384), 0);
        for (int i = 0; i < 8192; i++) {
                int n = snprintf(name, sizeof(name), "e%d.example", i);
                assert_false(dupfilter_seen(d, name, (size_t)n));
        }
        double half_full = dupfilter_fp_rate(d);
        assert_int_equal(dupfilter_grow(d, 300000), 0);
        assert_int_equal(dupfilter_bytes(d), (128 << 10) + 300000 * 8);
        unsigned false_pos = 0;
        for (int i = 8192; i < 8192 + 299999; i++) {
                int n = snprintf(name, sizeof(name), "e%d.example", i);
                false_pos += dupfilter_seen(d, name, (size_t)n);
        }
        /* The hashes are fixed: no name was mistaken for a repeat, so the second stage now
         * holds 299,999 names and the next fills it. */
        assert_int_equal(false_pos, 0);
        assert_int_equal(dupfilter_bytes(d), (128 << 10) + 300000 * 8); /* nothing added */
        /* the first stage's rate did not move; the second is all but full: ~6.6e-7 */
        assert_true(dupfilter_fp_rate(d) > half_full + 5e-7);
        assert_true(dupfilter_fp_rate(d) < half_full + 8e-7);
        /* the name that fills it: the next names' stage is twice as large */
        assert_false(dupfilter_seen(d, "one-more.example", 16));
        assert_int_equal(dupfilter_bytes(d), (128 << 10) + 3 * 300000 * 8);
        for (int i = 0; i < 8192 + 299999; i += 5) {
                int n = snprintf(name, sizeof(name), "e%d.example", i);
                assert_true(dupfilter_seen(d, name, (size_t)n));
        }
        assert_true(dupfilter_seen(d, "one-more.example", 16));
        dupfilter_free(d);
        /* an estimate past 32 MiB (a list of repeats looks like many names) is capped */
        assert_int_equal(dupfilter_new(&d, 16384), 0);
        assert_int_equal(dupfilter_grow(d, 1000000000), 0);
        assert_int_equal(dupfilter_bytes(d), (128 << 10) + (32 << 20));
        dupfilter_free(d);
}

/* The two-step form (key, prefetch, later seen_key) answers exactly as dupfilter_seen,
 * name by name, when each name is settled one name late as the reader does, across the
 * stages the filter grows (started small: it grows several times). */
static void test_key_steps_agree(void **state)
{
        (void)state;
        struct dupfilter *a, *b;
        assert_int_equal(dupfilter_new(&a, 1000), 0);
        assert_int_equal(dupfilter_new(&b, 1000), 0);
        char name[64];
        struct dupfilter_key pending;
        bool has_pending = false, want_pending = false;
        unsigned dups = 0;
        for (unsigned i = 0; i < 60000; i++) {
                unsigned k = i % 7 == 6 ? i / 2 : i; /* every seventh a repeat */
                int n = snprintf(name, sizeof(name), "n%u.example", k);
                bool want = dupfilter_seen(a, name, (size_t)n);
                struct dupfilter_key key = dupfilter_key(name, (size_t)n);
                dupfilter_prefetch(b, &key);
                if (has_pending) {
                        bool got = dupfilter_seen_key(b, &pending);
                        assert_int_equal(got, want_pending);
                        dups += got;
                }
                pending = key;
                has_pending = true;
                want_pending = want;
        }
        dups += dupfilter_seen_key(b, &pending);
        assert_int_equal(dupfilter_count(a), dupfilter_count(b));
        assert_int_equal(dups, 60000 - dupfilter_count(b));
        assert_true(dups > 4000); /* 4,286: half the repeats name a line never added */
        dupfilter_free(a);
        dupfilter_free(b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_repeats_caught_new_names_not),
            cmocka_unit_test(test_fp_rate_formula),
            cmocka_unit_test(test_grows),
            cmocka_unit_test(test_grow_for_the_rest),
            cmocka_unit_test(test_key_steps_agree),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

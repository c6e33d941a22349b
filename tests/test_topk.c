/* test_topk.c -- the Space-Saving table (common/topk.h): exact while the distinct strings
 * fit, flagged and overstating (never understating) once they do not, heavy hitters kept
 * through a long tail, the index intact through take-overs, long names, merging, order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/topk.h"

static uint64_t count_of(const struct topk *t, const char *name)
{
        for (unsigned i = 0; i < t->n; i++)
                if (strcmp(topk_name(&t->e[i]), name) == 0)
                        return t->e[i].count;
        return 0;
}

static void add(struct topk *t, const char *name, uint64_t n)
{
        topk_add(t, name, strlen(name), n);
}

static void test_exact_while_it_fits(void **state)
{
        (void)state;
        struct topk t;
        char name[32];
        assert_int_equal(topk_init(&t, 8), 0);
        for (int round = 0; round < 3; round++)
                for (int i = 0; i < 8; i++) {
                        snprintf(name, sizeof(name), "org%d.example", i);
                        add(&t, name, (uint64_t)i + 1);
                }
        assert_true(topk_exact(&t));
        assert_int_equal(t.n, 8);
        for (int i = 0; i < 8; i++) {
                snprintf(name, sizeof(name), "org%d.example", i);
                assert_int_equal(count_of(&t, name), 3 * (i + 1));
        }
        add(&t, "one-too-many.example", 1);
        assert_false(topk_exact(&t));
        assert_int_equal(t.n, 8);
        /* The least counted (org0, 3) was taken over: 3 + 1, of which 3 may be org0's. */
        assert_int_equal(count_of(&t, "one-too-many.example"), 4);
        for (unsigned i = 0; i < t.n; i++)
                assert_int_equal(t.e[i].err,
                                 strcmp(topk_name(&t.e[i]), "one-too-many.example") ? 0 : 3);
        assert_int_equal(count_of(&t, "org0.example"), 0);
        topk_free(&t);
}

/* A few heavy strings in a long tail of distinct ones: every heavy one stays, and no count
 * is below the truth. */
static void test_heavy_hitters_survive_a_tail(void **state)
{
        (void)state;
        enum { K = 64, HEAVY = 5, TAIL = 20000 };
        struct topk t;
        char name[64];
        uint64_t truth[HEAVY] = {0};
        assert_int_equal(topk_init(&t, K), 0);
        srand(7);
        for (int i = 0; i < TAIL; i++) {
                snprintf(name, sizeof(name), "tail-%d.example", i);
                add(&t, name, 1);
                int h = rand() % (HEAVY * 2);
                if (h < HEAVY) {
                        snprintf(name, sizeof(name), "heavy-%d.example", h);
                        add(&t, name, 1);
                        truth[h]++;
                }
        }
        assert_false(topk_exact(&t));
        for (int h = 0; h < HEAVY; h++) {
                snprintf(name, sizeof(name), "heavy-%d.example", h);
                assert_true(count_of(&t, name) >= truth[h]);
                for (unsigned i = 0; i < t.n; i++)
                        if (strcmp(topk_name(&t.e[i]), name) == 0)
                                assert_true(t.e[i].count - t.e[i].err <= truth[h]);
        }
        /* The index still finds every entry: adding nothing changes nothing. */
        for (unsigned i = 0; i < t.n; i++) {
                uint64_t c = t.e[i].count;
                unsigned n = t.n;
                topk_add(&t, topk_name(&t.e[i]), t.e[i].len, 0);
                assert_int_equal(t.n, n);
                assert_int_equal(t.e[i].count, c);
        }
        topk_free(&t);
}

static void test_long_names(void **state)
{
        (void)state;
        struct topk t;
        char a[TOPK_NAME_MAX + 1], b[TOPK_NAME_MAX + 1];
        memset(a, 'a', TOPK_NAME_MAX);
        a[TOPK_NAME_MAX] = 0;
        memcpy(b, a, sizeof(b));
        b[TOPK_NAME_MAX - 1] = 'b'; /* differs in the last byte only */
        assert_int_equal(topk_init(&t, 2), 0);
        add(&t, a, 2);
        add(&t, b, 1);
        add(&t, "short", 5); /* takes over b's slot, which keeps its long buffer */
        assert_int_equal(count_of(&t, a), 2);
        assert_int_equal(count_of(&t, "short"), 6);
        assert_int_equal(count_of(&t, b), 0);
        add(&t, b, 1); /* takes over a's */
        assert_int_equal(count_of(&t, b), 3);
        topk_free(&t);
}

/* Two tables that never overflowed merge into exactly the table of both streams. */
static void test_merge(void **state)
{
        (void)state;
        struct topk one, x, y;
        char name[32];
        assert_int_equal(topk_init(&one, 16), 0);
        assert_int_equal(topk_init(&x, 16), 0);
        assert_int_equal(topk_init(&y, 16), 0);
        for (int i = 0; i < 200; i++) {
                snprintf(name, sizeof(name), "o%d", (i * 7) % 13);
                add(&one, name, 1);
                add(i % 3 ? &x : &y, name, 1);
        }
        topk_merge(&x, &y);
        assert_true(topk_exact(&x));
        assert_int_equal(x.n, one.n);
        for (unsigned i = 0; i < one.n; i++)
                assert_int_equal(count_of(&x, topk_name(&one.e[i])), one.e[i].count);
        /* An inexact table makes the merge inexact. */
        struct topk small;
        assert_int_equal(topk_init(&small, 2), 0);
        add(&small, "a", 1);
        add(&small, "b", 1);
        add(&small, "c", 1);
        topk_merge(&one, &small);
        assert_false(topk_exact(&one));
        /* A string one side dropped still counts there as that side's bound: "x" was
         * counted twice in lossy (then taken over), once in plain: 3 at least. */
        struct topk lossy, plain;
        assert_int_equal(topk_init(&lossy, 2), 0);
        assert_int_equal(topk_init(&plain, 2), 0);
        add(&lossy, "x", 2);
        add(&lossy, "y", 3);
        add(&lossy, "z", 3); /* takes over x: z 5 */
        add(&plain, "x", 1);
        topk_merge(&plain, &lossy);
        assert_false(topk_exact(&plain));
        assert_int_equal(count_of(&plain, "x"), 4); /* 1 + lossy's least count, 3 */
        for (unsigned i = 0; i < plain.n; i++)
                assert_int_equal(plain.e[i].err, strcmp(topk_name(&plain.e[i]), "x") ? 2 : 3);
        assert_int_equal(count_of(&plain, "z"), 5); /* + 0: plain is exact */
        assert_int_equal(count_of(&plain, "y"), 0); /* 3: the smallest, left out */
        topk_free(&lossy);
        topk_free(&plain);
        topk_free(&one);
        topk_free(&x);
        topk_free(&y);
        topk_free(&small);
}

static void test_sorted(void **state)
{
        (void)state;
        struct topk t;
        const struct topk_entry *order[4];
        assert_int_equal(topk_init(&t, 4), 0);
        add(&t, "b", 2);
        add(&t, "c", 5);
        add(&t, "a", 2);
        add(&t, "ab", 2);
        assert_int_equal(topk_sorted(&t, order), 4);
        assert_string_equal(topk_name(order[0]), "c");
        assert_string_equal(topk_name(order[1]), "a");
        assert_string_equal(topk_name(order[2]), "ab");
        assert_string_equal(topk_name(order[3]), "b");
        topk_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_exact_while_it_fits),
            cmocka_unit_test(test_heavy_hitters_survive_a_tail),
            cmocka_unit_test(test_long_names),
            cmocka_unit_test(test_merge),
            cmocka_unit_test(test_sorted),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

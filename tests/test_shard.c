/* test_shard.c -- shard membership: pinned hash values (the split must never change between
 * versions, or resumed and merged scans would disagree), every item in exactly one shard,
 * shards of similar size, --shard parsing and the schedulers' environment variables. */
#include <setjmp.h>
#include <stdarg.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/shard.h"

static void test_hash_pinned(void **state)
{
        (void)state;
        /* Computed by an independent Python rendering of shard.h's definition; a change here
         * breaks every dataset that was scanned in shards. */
        assert_int_equal(shard_hash(0, "example.com", 11), 0x9902ed34ff6b0418ULL);
        assert_int_equal(shard_hash(42, "example.com", 11), 0x49c964507853f1d8ULL);
        assert_int_equal(shard_hash(0, "", 0), 0xe9d327596b869820ULL);
}

static struct input_item item(const char *domain)
{
        struct input_item it;
        memset(&it, 0, sizeof(it));
        snprintf(it.domain, sizeof(it.domain), "%s", domain);
        snprintf(it.raw, sizeof(it.raw), "%s", domain);
        return it;
}

static void test_partition(void **state)
{
        (void)state;
        enum { N = 7, ITEMS = 70000 };
        unsigned per[N] = {0};
        for (int i = 0; i < ITEMS; i++) {
                char name[32];
                snprintf(name, sizeof(name), "d%d.example", i);
                struct input_item it = item(name);
                unsigned owners = 0;
                for (unsigned s = 0; s < N; s++) {
                        struct shard_spec sp = {.index = s, .count = N, .seed = 9};
                        if (shard_owns(&sp, &it)) {
                                owners++;
                                per[s]++;
                        }
                }
                assert_int_equal(owners, 1);
        }
        for (unsigned s = 0; s < N; s++) /* within 5% of an even split */
                assert_true(per[s] > ITEMS / N * 95 / 100 && per[s] < ITEMS / N * 105 / 100);
        /* an illegal line belongs by its raw field, and the seed moves names between shards */
        struct input_item bad = item("");
        bad.status = INPUT_ITEM_ILLEGAL;
        snprintf(bad.raw, sizeof(bad.raw), "not a domain!");
        unsigned owners = 0, moved = 0;
        for (unsigned s = 0; s < N; s++) {
                struct shard_spec sp = {.index = s, .count = N};
                owners += shard_owns(&sp, &bad);
        }
        assert_int_equal(owners, 1);
        for (int i = 0; i < 1000; i++) {
                char name[32];
                snprintf(name, sizeof(name), "m%d.example", i);
                uint64_t a = shard_hash(1, name, strlen(name)) % N;
                uint64_t b = shard_hash(2, name, strlen(name)) % N;
                moved += a != b;
        }
        assert_true(moved > 700);
        struct shard_spec all = {.index = 0, .count = 1};
        assert_true(shard_owns(&all, &bad));
}

static void test_parse(void **state)
{
        (void)state;
        struct shard_spec sp;
        char err[200];
        assert_int_equal(shard_parse("3/4", &sp, err, sizeof(err)), 0);
        assert_int_equal(sp.index, 3);
        assert_int_equal(sp.count, 4);
        const char *bad[] = {"4/4", "1/0", "-1/4", "1", "/4", "1/", "a/4", "1/4x", "0/65537"};
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = 0;
                assert_int_equal(shard_parse(bad[i], &sp, err, sizeof(err)), -EINVAL);
                assert_non_null(strstr(err, bad[i]));
        }
}

static const char *env_k8s(const char *name)
{
        return strcmp(name, "JOB_COMPLETION_INDEX") == 0 ? "2" : NULL;
}

static const char *env_slurm(const char *name)
{
        if (strcmp(name, "SLURM_ARRAY_TASK_ID") == 0)
                return "5";
        if (strcmp(name, "SLURM_ARRAY_TASK_MIN") == 0)
                return "1";
        return NULL;
}

static const char *env_none(const char *name)
{
        (void)name;
        return NULL;
}

static const char *env_out_of_range(const char *name)
{
        return strcmp(name, "JOB_COMPLETION_INDEX") == 0 ? "8" : NULL;
}

static void test_from_env(void **state)
{
        (void)state;
        struct shard_spec sp;
        char err[200];
        assert_int_equal(shard_from_env(4, env_k8s, &sp, err, sizeof(err)), 0);
        assert_int_equal(sp.index, 2);
        assert_int_equal(sp.count, 4);
        assert_int_equal(shard_from_env(8, env_slurm, &sp, err, sizeof(err)), 0);
        assert_int_equal(sp.index, 4); /* arrays numbered 1..8 */
        assert_int_equal(shard_from_env(4, env_none, &sp, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "JOB_COMPLETION_INDEX"));
        assert_int_equal(shard_from_env(8, env_out_of_range, &sp, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, "'8'"));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hash_pinned),
            cmocka_unit_test(test_partition),
            cmocka_unit_test(test_parse),
            cmocka_unit_test(test_from_env),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

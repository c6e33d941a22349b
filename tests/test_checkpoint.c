/* test_checkpoint.c -- unit tests for scanner/checkpoint.c.
 * Contract: the durable-item set against a plain array (random arrival orders, holes, base
 * moving), the file's round trip, its atomic replacement (a failed save leaves the previous
 * checkpoint whole), damage detection, and the identity that refuses another scan. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scanner/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ULL;
}

static void temp_dir(char *dir, size_t cap)
{
        snprintf(dir, cap, "/tmp/test_checkpoint.XXXXXX");
        assert_non_null(mkdtemp(dir));
}

static void write_text(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        assert_int_equal(fclose(f), 0);
}

static void assert_same_set(const struct ckpt_set *s, const bool *in, size_t n)
{
        uint64_t count = 0;
        for (size_t i = 0; i < n; i++) {
                if (ckpt_set_has(s, i) != in[i])
                        fail_msg("seq %zu: set says %d, reference %d", i, ckpt_set_has(s, i),
                                 in[i]);
                count += in[i];
        }
        assert_int_equal(s->count, count);
        assert_false(ckpt_set_has(s, n + 1000));
}

/* Items finish out of order within a window, as jobs in flight do; some never finish. */
static void t_set_random_order(void **st)
{
        (void)st;
        enum { N = 200000, WINDOW = 3000 };
        uint64_t r = 42, *order = malloc(N * sizeof(*order));
        bool *in = calloc(N, sizeof(*in));
        assert_non_null(order);
        assert_non_null(in);
        for (size_t i = 0; i < N; i++)
                order[i] = i;
        for (size_t i = 0; i < N; i++) {
                size_t j = i + rng_next(&r) % (WINDOW < N - i ? WINDOW : N - i);
                uint64_t t = order[i];
                order[i] = order[j];
                order[j] = t;
        }
        struct ckpt_set s;
        ckpt_set_init(&s);
        for (size_t i = 0; i < N; i++) {
                if (rng_next(&r) % 1000 == 0)
                        continue; /* lost: a hole forever */
                assert_true(ckpt_set_add(&s, order[i]));
                in[order[i]] = true;
                if (i % 9973 == 0)
                        assert_false(ckpt_set_add(&s, order[i])); /* twice: refused */
        }
        assert_same_set(&s, in, N);
        size_t first_hole = 0;
        while (first_hole < N && in[first_hole])
                first_hole++;
        assert_int_equal(s.base, first_hole);
        uint64_t holes[4096];
        uint64_t nh = ckpt_set_holes(&s, holes, 4096);
        assert_int_equal(nh, s.top - s.count);
        for (uint64_t i = 0; i < nh && i < 4096; i++)
                assert_false(in[holes[i]]);
        /* The bitmap only spans what lies above base: lost items keep it from shrinking,
         * but never past the highest member. */
        assert_true(s.nw * 64 <= s.top - s.origin + 64);
        ckpt_set_free(&s);
        free(order);
        free(in);
}

static void t_set_in_order_stays_small(void **st)
{
        (void)st;
        struct ckpt_set s;
        ckpt_set_init(&s);
        for (uint64_t i = 0; i < 1000000; i++)
                ckpt_set_add(&s, i);
        assert_int_equal(s.base, 1000000);
        assert_int_equal(s.count, 1000000);
        assert_true(s.nw <= 65);
        assert_int_equal(ckpt_set_holes(&s, NULL, 0), 0);
        ckpt_set_free(&s);
}

static void t_set_load(void **st)
{
        (void)st;
        struct ckpt_set s;
        ckpt_set_init(&s);
        const uint64_t holes[] = {100, 101, 150, 199};
        assert_int_equal(ckpt_set_load(&s, 100, 200, holes, 4), 0);
        /* 100 and 101 are holes: base stays at 100 */
        assert_int_equal(s.base, 100);
        assert_int_equal(s.count, 196);
        assert_true(ckpt_set_has(&s, 99));
        assert_false(ckpt_set_has(&s, 100));
        assert_true(ckpt_set_has(&s, 102));
        assert_false(ckpt_set_has(&s, 150));
        assert_false(ckpt_set_has(&s, 199));
        assert_false(ckpt_set_has(&s, 200));
        assert_true(ckpt_set_add(&s, 100));
        assert_true(ckpt_set_add(&s, 101));
        assert_int_equal(s.base, 150);
        const uint64_t bad1[] = {150, 120}, bad2[] = {99}, bad3[] = {200};
        assert_int_equal(ckpt_set_load(&s, 100, 200, bad1, 2), -EINVAL);
        assert_int_equal(ckpt_set_load(&s, 100, 200, bad2, 1), -EINVAL);
        assert_int_equal(ckpt_set_load(&s, 100, 200, bad3, 1), -EINVAL);
        assert_int_equal(ckpt_set_load(&s, 300, 200, NULL, 0), -EINVAL);
        assert_int_equal(ckpt_set_load(&s, 7, 7, NULL, 0), 0);
        assert_int_equal(s.count, 7);
        assert_true(ckpt_set_has(&s, 6));
        assert_false(ckpt_set_has(&s, 7));
        ckpt_set_free(&s);
}

static const char IDENT[] = "inputs 1\ninput.1 a%20b.txt\noption.discovery tree\noutput o.zst\n";

static void t_roundtrip(void **st)
{
        (void)st;
        char dir[64], path[128], err[600];
        temp_dir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/out.zst" CHECKPOINT_SUFFIX, dir);
        struct checkpoint c, d;
        assert_int_equal(checkpoint_init(&c, path, IDENT), 0);
        uint64_t r = 7;
        bool in[50000] = {false};
        for (uint64_t i = 0; i < 50000; i++)
                if (rng_next(&r) % 97 != 0 || i < 1000) {
                        ckpt_set_add(&c.done, i);
                        in[i] = true;
                }
        c.offset = 123456789;
        assert_int_equal(checkpoint_save(&c), 0);
        assert_int_equal(checkpoint_load(&d, path, err, sizeof(err)), 0);
        assert_string_equal(d.ident, IDENT);
        assert_int_equal(d.offset, 123456789);
        assert_false(d.complete);
        assert_same_set(&d.done, in, 50000);
        assert_int_equal(d.done.base, c.done.base);
        assert_int_equal(d.done.top, c.done.top);
        checkpoint_free(&d);

        c.complete = true;
        assert_int_equal(checkpoint_save(&c), 0);
        assert_int_equal(checkpoint_load(&d, path, err, sizeof(err)), 0);
        assert_true(d.complete);
        checkpoint_free(&d);

        /* no temporary left behind */
        char tmp[160];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        assert_int_equal(access(tmp, F_OK), -1);
        unlink(path);
        assert_int_equal(checkpoint_load(&d, path, err, sizeof(err)), -ENOENT);
        checkpoint_free(&c);
        rmdir(dir);
}

/* A save that cannot complete leaves the previous checkpoint as it was. */
static void t_failed_save_keeps_previous(void **st)
{
        (void)st;
        char dir[64], path[128], tmp[160], err[600];
        temp_dir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/x" CHECKPOINT_SUFFIX, dir);
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        struct checkpoint c, d;
        assert_int_equal(checkpoint_init(&c, path, IDENT), 0);
        for (uint64_t i = 0; i < 10; i++)
                ckpt_set_add(&c.done, i);
        c.offset = 1000;
        assert_int_equal(checkpoint_save(&c), 0);
        assert_int_equal(mkdir(tmp, 0755), 0); /* the temporary cannot be created */
        ckpt_set_add(&c.done, 10);
        c.offset = 2000;
        assert_true(checkpoint_save(&c) < 0);
        assert_non_null(strstr(c.err, path));
        assert_int_equal(checkpoint_load(&d, path, err, sizeof(err)), 0);
        assert_int_equal(d.offset, 1000);
        assert_int_equal(d.done.count, 10);
        checkpoint_free(&d);
        rmdir(tmp);
        checkpoint_free(&c);
        unlink(path);

        /* a directory that does not exist: the error names the file */
        assert_int_equal(checkpoint_init(&c, "/nonexistent-dir/x.checkpoint", IDENT), 0);
        assert_int_equal(checkpoint_save(&c), -ENOENT);
        assert_non_null(strstr(c.err, "/nonexistent-dir/x.checkpoint"));
        checkpoint_free(&c);
        rmdir(dir);
}

static void t_damage_detected(void **st)
{
        (void)st;
        char dir[64], path[128], err[600];
        temp_dir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/y" CHECKPOINT_SUFFIX, dir);
        struct checkpoint c, d;
        assert_int_equal(checkpoint_init(&c, path, IDENT), 0);
        for (uint64_t i = 0; i < 100; i += 2)
                ckpt_set_add(&c.done, i);
        assert_int_equal(checkpoint_save(&c), 0);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        /* one byte changed */
        int fd = open(path, O_RDWR);
        assert_true(fd >= 0);
        char b;
        assert_int_equal(pread(fd, &b, 1, sb.st_size / 2), 1);
        b ^= 0x01;
        assert_int_equal(pwrite(fd, &b, 1, sb.st_size / 2), 1);
        close(fd);
        err[0] = '\0';
        assert_int_equal(checkpoint_load(&d, path, err, sizeof(err)), -EINVAL);
        assert_non_null(strstr(err, path));
        assert_non_null(strstr(err, "damaged"));
        /* cut short */
        assert_int_equal(checkpoint_save(&c), 0);
        assert_int_equal(truncate(path, sb.st_size - 5), 0);
        assert_int_equal(checkpoint_load(&d, path, err, sizeof(err)), -EINVAL);
        /* something else entirely */
        write_text(path, "hello\n");
        assert_int_equal(checkpoint_load(&d, path, err, sizeof(err)), -EINVAL);
        unlink(path);
        checkpoint_free(&c);
        rmdir(dir);
}

static void t_same_scan(void **st)
{
        (void)st;
        char why[600];
        assert_int_equal(checkpoint_same_scan(IDENT, IDENT, why, sizeof(why)), 0);
        const char *other_option =
            "inputs 1\ninput.1 a%20b.txt\noption.discovery exact\noutput o.zst\n";
        assert_int_equal(checkpoint_same_scan(IDENT, other_option, why, sizeof(why)), -EINVAL);
        assert_non_null(strstr(why, "--discovery was tree"));
        assert_non_null(strstr(why, "now exact"));
        const char *more_inputs = "inputs 2\ninput.1 a%20b.txt\n";
        assert_int_equal(checkpoint_same_scan(IDENT, more_inputs, why, sizeof(why)), -EINVAL);
        assert_non_null(strstr(why, "1 input file"));
        const char *shorter = "inputs 1\ninput.1 a%20b.txt\n";
        assert_int_equal(checkpoint_same_scan(IDENT, shorter, why, sizeof(why)), -EINVAL);
        assert_non_null(strstr(why, "different scan"));
}

static void t_ident_of_inputs(void **st)
{
        (void)st;
        char dir[64], in1[128], err[600], why[600];
        temp_dir(dir, sizeof(dir));
        snprintf(in1, sizeof(in1), "%s/in 1.txt", dir);
        write_text(in1, "example.com\nexample.net\n");
        const char *inputs[] = {in1};
        struct scan_config cfg;
        memset(&cfg, 0, sizeof(cfg));
        cfg.inputs = inputs;
        cfg.ninputs = 1;
        cfg.output = "out.zst";
        assert_int_equal(check_set_parse(&cfg.checks, "dmarc", check_registry, err, sizeof(err)),
                         0);
        cfg.discovery = DISCOVERY_TREE;
        cfg.tcp = true;
        char *a = NULL, *b = NULL;
        assert_int_equal(checkpoint_ident(&a, &cfg, "psl 2026", err, sizeof(err)), 0);
        assert_non_null(strstr(a, "in%201.txt")); /* the space escaped: one line, one value */
        assert_int_equal(checkpoint_ident(&b, &cfg, "psl 2026", err, sizeof(err)), 0);
        assert_string_equal(a, b);
        free(b);

        /* the same size, another content */
        write_text(in1, "example.org\nexample.net\n");
        assert_int_equal(checkpoint_ident(&b, &cfg, "psl 2026", err, sizeof(err)), 0);
        assert_int_equal(checkpoint_same_scan(a, b, why, sizeof(why)), -EINVAL);
        assert_non_null(strstr(why, "input.1 changed"));
        free(b);

        /* an operational option is not part of it, one that shapes lines is */
        cfg.concurrency = 77;
        cfg.timeout_ms = 5;
        assert_int_equal(checkpoint_ident(&b, &cfg, "psl 2026", err, sizeof(err)), 0);
        char *a_opts = strstr(a, "option."), *b_opts = strstr(b, "option.");
        assert_string_equal(a_opts, b_opts);
        free(b);
        cfg.tcp = false;
        assert_int_equal(checkpoint_ident(&b, &cfg, "psl 2026", err, sizeof(err)), 0);
        assert_int_equal(checkpoint_same_scan(a, b, why, sizeof(why)), -EINVAL);
        free(b);
        cfg.tcp = true;
        cfg.details = true; /* --details adds fields to every line */
        assert_int_equal(checkpoint_ident(&b, &cfg, "psl 2026", err, sizeof(err)), 0);
        assert_int_equal(
            checkpoint_same_scan(strstr(a, "option."), strstr(b, "option."), why, sizeof(why)),
            -EINVAL);
        assert_non_null(strstr(why, "--details was no when the checkpoint was written, now yes"));
        free(b);
        cfg.details = false;

        /* stdin and a missing file cannot be fingerprinted */
        const char *stdin_in[] = {"-"};
        cfg.inputs = stdin_in;
        assert_int_equal(checkpoint_ident(&b, &cfg, NULL, err, sizeof(err)), -ESPIPE);
        assert_non_null(strstr(err, "stdin"));
        char missing[140];
        snprintf(missing, sizeof(missing), "%s/missing.txt", dir);
        const char *missing_in[] = {missing};
        cfg.inputs = missing_in;
        assert_int_equal(checkpoint_ident(&b, &cfg, NULL, err, sizeof(err)), -ENOENT);
        assert_non_null(strstr(err, missing));
        free(a);
        unlink(in1);
        rmdir(dir);
}

static void t_path_for(void **st)
{
        (void)st;
        char *p = checkpoint_path_for("dir/out.ndjson.zst");
        assert_string_equal(p, "dir/out.ndjson.zst.checkpoint");
        free(p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_set_random_order),
            cmocka_unit_test(t_set_in_order_stays_small),
            cmocka_unit_test(t_set_load),
            cmocka_unit_test(t_roundtrip),
            cmocka_unit_test(t_failed_save_keeps_previous),
            cmocka_unit_test(t_damage_detected),
            cmocka_unit_test(t_same_scan),
            cmocka_unit_test(t_ident_of_inputs),
            cmocka_unit_test(t_path_for),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_feed.c -- unit and stress tests for scanner/feed.c.
 * Contract: the reader thread's items reach the consumer exactly once each and in input
 * order (file by file, line by line), through a queue far smaller than the input, so the
 * ring wraps many times; feed_pop() says 0 while nothing is ready and -1 only after the
 * last item. Run under ThreadSanitizer (DS_SANITIZE=thread) this is the feed's race test.
 * A failed feed_start() leaves no file open and the feed zeroed. The duplicate filter is
 * sized from the names per byte of the input's first part, plain or compressed: every
 * repeat counted, memory within an eighth (and the first stage) of 64 bits a name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "scanner/feed.h"

static void write_list(const char *path, unsigned n, unsigned file)
{
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        for (unsigned i = 1; i <= n; i++)
                fprintf(f, "d%u-f%u.example\n", i, file);
        assert_int_equal(fclose(f), 0);
}

static void t_items_in_order_exactly_once(void **st)
{
        (void)st;
        const unsigned n[2] = {30000, 3 * DS_INPUT_QUEUE + 7};
        char p0[] = "/tmp/test_feed.XXXXXX", p1[] = "/tmp/test_feed.XXXXXX";
        char *paths[2] = {p0, p1};
        for (unsigned k = 0; k < 2; k++) {
                int fd = mkstemp(paths[k]);
                assert_true(fd >= 0);
                close(fd);
                write_list(paths[k], n[k], k);
        }
        struct feed f;
        struct input_config cfg = {INPUT_LIST, NULL, NULL};
        char err[256];
        assert_int_equal(
            feed_start(&f, (const char *const *)paths, 2, &cfg, NULL, err, sizeof(err)), 0);
        unsigned file = 0, line = 1;
        struct input_item it;
        uint16_t from;
        char want[64];
        for (;;) {
                int rc = feed_pop(&f, &it, &from);
                if (rc == 0) { /* the reader has not caught up */
                        sched_yield();
                        continue;
                }
                if (rc < 0)
                        break;
                if (file < 2 && line > n[file]) {
                        file++;
                        line = 1;
                }
                assert_true(file < 2);
                assert_int_equal(from, file);
                assert_int_equal(it.line, line);
                assert_int_equal(it.status, INPUT_ITEM_OK);
                snprintf(want, sizeof(want), "d%u-f%u.example", line, file);
                assert_string_equal(it.domain, want);
                line++;
        }
        /* the end comes after the last item of the last file, and stays */
        assert_int_equal(file, 1);
        assert_int_equal(line, n[1] + 1);
        assert_int_equal(feed_pop(&f, &it, &from), -1);
        assert_int_equal(atomic_load(&f.items), n[0] + n[1]);
        assert_int_equal(f.error, 0);
        feed_free(&f);
        unlink(p0);
        unlink(p1);
}

static uint64_t pushed(struct feed *f)
{
        return atomic_load(&f->items);
}

/* The reader fills the queue to exactly DS_INPUT_QUEUE items ahead of the loop and no
 * further, and goes on as soon as items are taken, however long the loop stayed away. */
static void t_reader_waits_for_room(void **st)
{
        (void)st;
        const unsigned n = 4 * DS_INPUT_QUEUE + 5;
        char p0[] = "/tmp/test_feed.XXXXXX";
        int fd = mkstemp(p0);
        assert_true(fd >= 0);
        close(fd);
        write_list(p0, n, 0);
        const char *paths[1] = {p0};
        struct feed f;
        struct input_config cfg = {INPUT_LIST, NULL, NULL};
        char err[256];
        assert_int_equal(feed_start(&f, paths, 1, &cfg, NULL, err, sizeof(err)), 0);
        unsigned popped = 0;
        struct input_item it;
        uint16_t from;
        struct timespec nap = {0, 2000000};
        for (unsigned round = 0; popped < n; round++) {
                uint64_t full = popped + DS_INPUT_QUEUE < n ? popped + DS_INPUT_QUEUE : n;
                for (unsigned waited = 0; pushed(&f) < full; waited++) {
                        assert_true(waited < 5000); /* 10 s: the reader never took the room */
                        nanosleep(&nap, NULL);
                }
                nanosleep(&nap, NULL);
                nanosleep(&nap, NULL);
                assert_int_equal(pushed(&f), full); /* and not one more */
                /* Take a different number each round: one, a few, then the queue's worth. */
                unsigned take = round == 0 ? 1 : round == 1 ? 7 : DS_INPUT_QUEUE;
                for (unsigned k = 0; k < take && popped < n; k++) {
                        assert_int_equal(feed_pop(&f, &it, &from), 1);
                        assert_int_equal(it.line, ++popped);
                }
        }
        int rc;
        while ((rc = feed_pop(&f, &it, &from)) == 0)
                sched_yield();
        assert_int_equal(rc, -1);
        assert_int_equal(pushed(&f), n);
        feed_free(&f);
        unlink(p0);
}

static unsigned open_fds(void)
{
        DIR *d = opendir("/proc/self/fd");
        assert_non_null(d);
        unsigned n = 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n;
}

static void t_failed_start_leaves_nothing(void **st)
{
        (void)st;
        char p0[] = "/tmp/test_feed.XXXXXX";
        int fd = mkstemp(p0);
        assert_true(fd >= 0);
        close(fd);
        write_list(p0, 10, 0);
        const char *paths[2] = {p0, "/nonexistent/test_feed/input"};
        struct feed f;
        memset(&f, 0xa5, sizeof(f));
        struct input_config cfg = {INPUT_AUTO, NULL, NULL};
        char err[256] = "";
        unsigned before = open_fds();
        assert_true(feed_start(&f, paths, 2, &cfg, NULL, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, "/nonexistent/test_feed/input"));
        assert_int_equal(open_fds(), before); /* the first input was closed again */
        assert_null(f.inputs);
        assert_null(f.slots);
        assert_false(f.started);
        feed_free(&f); /* a no-op on the zeroed feed */
        unlink(p0);
}

/* n names, each 1,000th line a repeat of the line 500 before: n / 1000 duplicates. Lines
 * of one length: lines that grow (a rank column's digits) make the estimate high, the safe
 * side; one length tests how close it is. tag keeps files' names apart. */
static void write_repeats(const char *path, unsigned n, bool gz, char tag)
{
        gzFile g = gz ? gzopen(path, "wb6") : NULL;
        FILE *f = gz ? NULL : fopen(path, "w");
        assert_true(gz ? g != NULL : f != NULL);
        char line[64];
        for (unsigned i = 1; i <= n; i++) {
                unsigned k = i % 1000 ? i : i - 500;
                int len = snprintf(line, sizeof(line), "%c%07u-%010u.example\n", tag, k, k * 7919u);
                if (gz)
                        assert_int_equal(gzwrite(g, line, (unsigned)len), len);
                else
                        assert_int_equal(fwrite(line, 1, (size_t)len, f), (size_t)len);
        }
        assert_int_equal(gz ? gzclose(g) : fclose(f), 0);
}

/* One plain list, one gzip list, and two plain lists read one after the other (the sample
 * spans both): the filter's second stage is sized from the names per byte before the last
 * read, within an eighth over the names still to come. */
static void t_dupfilter_sized_from_the_input(void **st)
{
        (void)st;
        static const struct {
                const char *name;
                unsigned n[2];
                bool gz;
        } cases[] = {{"plain", {400000, 0}, false},
                     {"gzip", {400000, 0}, true},
                     {"two files", {40000, 400000}, false}};
        for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
                char p0[32], p1[32];
                char *paths[2] = {p0, p1};
                const char *suffix = cases[c].gz ? ".gz" : ".txt";
                unsigned nfiles = cases[c].n[1] ? 2 : 1;
                uint64_t names = 0, dups = 0;
                for (unsigned k = 0; k < nfiles; k++) {
                        snprintf(paths[k], 32, "/tmp/test_feed.XXXXXX%s", suffix);
                        int fd = mkstemps(paths[k], (int)strlen(suffix));
                        assert_true(fd >= 0);
                        close(fd);
                        write_repeats(paths[k], cases[c].n[k], cases[c].gz, (char)('a' + k));
                        dups += cases[c].n[k] / 1000;
                        names += cases[c].n[k] - cases[c].n[k] / 1000;
                }
                struct feed f;
                struct input_config cfg = {INPUT_LIST, NULL, NULL};
                char err[256];
                assert_int_equal(feed_start(&f, (const char *const *)paths, nfiles, &cfg, NULL, err,
                                            sizeof(err)),
                                 0);
                struct input_item it;
                uint16_t from;
                int rc;
                while ((rc = feed_pop(&f, &it, &from)) >= 0)
                        if (rc == 0)
                                sched_yield();
                assert_true(feed_join(&f));
                assert_int_equal(atomic_load(&f.duplicates), dups);
                uint64_t bytes = dupfilter_bytes(f.seen);
                uint64_t first = 131072 * 8; /* the first stage, 65,536 names in it or more */
                print_message("%s: %llu names, filter %llu bytes (%.2f bytes a name)\n",
                              cases[c].name, (unsigned long long)names, (unsigned long long)bytes,
                              (double)bytes / (double)names);
                assert_true(bytes >= first + (names - 65536) * 8);
                assert_true(bytes <= first + (names - 65536) * 9 + 65536); /* 1/8 over at most */
                assert_true(dupfilter_fp_rate(f.seen) < 1e-6);
                feed_free(&f);
                for (unsigned k = 0; k < nfiles; k++)
                        unlink(paths[k]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_items_in_order_exactly_once),
            cmocka_unit_test(t_reader_waits_for_room),
            cmocka_unit_test(t_failed_start_leaves_nothing),
            cmocka_unit_test(t_dupfilter_sized_from_the_input),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_writer.c -- unit and stress tests for output/writer.c.
 * Contract: many threads append lines to their own chunks and hand them over; the one
 * writer thread writes every line exactly once, whole, and each producer's lines in the
 * order it appended them (the queue is FIFO). The producers write far more than the
 * DS_WRITER_CHUNKS chunks hold, so chunks are recycled and producers block for spare ones;
 * one line is larger than a chunk. Run under ThreadSanitizer (DS_SANITIZE=thread) this is
 * the writer queue's race test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output/limits.h"
#include "output/writer.h"

#define PRODUCERS 6
#define LINES     12000 /* per producer, ~100 bytes each: ~110 chunks in all */
#define BIG_AT    5000  /* producer 0's outsized line */

struct producer {
        struct writer *w;
        unsigned id;
};

static size_t make_line(char *out, size_t cap, unsigned id, unsigned seq)
{
        size_t n = (size_t)snprintf(out, cap, "p%u %u ", id, seq);
        size_t pad = seq == BIG_AT && id == 0 ? DS_CHUNK_BYTES + 100 : 90;
        assert_true(n + pad + 1 <= cap);
        memset(out + n, 'a' + (char)(seq % 26), pad);
        out[n + pad] = '\n';
        return n + pad + 1;
}

static void *produce(void *arg)
{
        struct producer *p = arg;
        size_t cap = DS_CHUNK_BYTES + 256;
        char *line = malloc(cap);
        assert_non_null(line);
        struct writer_chunk *c = writer_chunk_get(p->w);
        for (unsigned seq = 0; seq < LINES; seq++) {
                size_t n = make_line(line, cap, p->id, seq);
                writer_append(p->w, &c, line, n, 0);
                if (seq % 1000 == 999 && p->id == 1)
                        writer_request_sync(p->w); /* frame ends interleave with the chunks */
        }
        writer_chunk_put(p->w, c);
        free(line);
        return NULL;
}

static void check_file(const char *path)
{
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        unsigned next[PRODUCERS] = {0};
        size_t cap = DS_CHUNK_BYTES + 256;
        char *got = malloc(cap), *want = malloc(cap);
        assert_non_null(got);
        assert_non_null(want);
        uint64_t lines = 0;
        while (fgets(got, (int)cap, f)) {
                unsigned id, seq;
                assert_int_equal(sscanf(got, "p%u %u ", &id, &seq), 2);
                assert_true(id < PRODUCERS);
                assert_int_equal(seq, next[id]); /* in order, none lost, none twice */
                next[id]++;
                size_t n = make_line(want, cap, id, seq);
                assert_int_equal(strlen(got), n); /* whole: never cut or interleaved */
                assert_memory_equal(got, want, n);
                lines++;
        }
        for (unsigned i = 0; i < PRODUCERS; i++)
                assert_int_equal(next[i], LINES);
        assert_int_equal(lines, (uint64_t)PRODUCERS * LINES);
        free(got);
        free(want);
        fclose(f);
}

static void t_many_producers_one_writer(void **st)
{
        (void)st;
        char path[] = "/tmp/test_writer.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        close(fd);
        struct sink *sink;
        assert_int_equal(sink_open(&sink, path, false, 0), 0);
        struct writer *w;
        assert_int_equal(writer_start(&w, sink, ds_clock_real(), NULL), 0);
        pthread_t t[PRODUCERS];
        struct producer p[PRODUCERS];
        for (unsigned i = 0; i < PRODUCERS; i++) {
                p[i] = (struct producer){w, i};
                assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
        }
        for (unsigned i = 0; i < PRODUCERS; i++)
                assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_false(writer_failed(w));
        uint64_t lines = 0;
        assert_int_equal(writer_close(w, &lines), 0);
        assert_int_equal(lines, (uint64_t)PRODUCERS * LINES);
        check_file(path);
        unlink(path);
}

/* A sink that cannot write (a full device): writer_close reports the error. */
static void t_write_error_is_reported(void **st)
{
        (void)st;
        struct sink *sink;
        assert_int_equal(sink_open(&sink, "/dev/full", false, 0), 0);
        struct writer *w;
        assert_int_equal(writer_start(&w, sink, ds_clock_real(), NULL), 0);
        struct writer_chunk *c = writer_chunk_get(w);
        static char line[DS_CHUNK_BYTES / 2];
        memset(line, 'x', sizeof(line));
        line[sizeof(line) - 1] = '\n';
        for (int i = 0; i < 8; i++)
                writer_append(w, &c, line, sizeof(line), 0);
        writer_chunk_put(w, c);
        uint64_t lines = 0;
        assert_int_equal(writer_close(w, &lines), -ENOSPC);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_many_producers_one_writer),
            cmocka_unit_test(t_write_error_is_reported),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_writer_sync.c -- unit tests for output/writer.c's line tags and sync callback.
 * Contract: with a sync callback, every line's tag is reported exactly once; at each call
 * the file's first `offset` bytes are whole zstd frames holding exactly the lines reported
 * so far (checked inside the callback, from the file itself); the last offset is the file's
 * size; a callback's error stops the writer and is what writer_close returns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/clock.h"
#include "output/sink.h"
#include "output/writer.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define LINES_PER_THREAD 30000

struct seen {
        const char *path;
        uint64_t *tags;
        size_t n;
        unsigned calls;
        uint64_t last_offset;
        bool prefix_bad;
        int fail_rc; /* returned by every call when not 0 */
        char why[200];
};

static int cmp_u64(const void *a, const void *b)
{
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

/* Tags of the lines in the first len bytes of path (whole frames expected): sorted into
 * out, how many in *n; false when the bytes do not end on a frame boundary. */
static bool prefix_tags(const char *path, uint64_t len, uint64_t **out, size_t *n)
{
        *out = NULL;
        *n = 0;
        char *src = malloc(len ? len : 1);
        int fd = open(path, O_RDONLY);
        if (!src || fd < 0 || pread(fd, src, len, 0) != (ssize_t)len) {
                free(src);
                if (fd >= 0)
                        close(fd);
                return false;
        }
        close(fd);
        ZSTD_DCtx *dc = ZSTD_createDCtx();
        ZSTD_inBuffer in = {src, len, 0};
        static char buf[1 << 20];
        size_t hint = 0, cap = 1024, used = 0, linelen = 0;
        char line[64];
        uint64_t *tags = malloc(cap * sizeof(*tags));
        bool ok = true;
        while (ok && len > 0) {
                ZSTD_outBuffer o = {buf, sizeof(buf), 0};
                hint = ZSTD_decompressStream(dc, &o, &in);
                if (ZSTD_isError(hint)) {
                        ok = false;
                        break;
                }
                bool last = in.pos == in.size && o.pos < o.size;
                for (size_t i = 0; i < o.pos; i++) {
                        if (buf[i] != '\n') {
                                if (linelen < sizeof(line) - 1)
                                        line[linelen++] = buf[i];
                                continue;
                        }
                        line[linelen] = '\0';
                        linelen = 0;
                        unsigned long long t;
                        if (sscanf(line, "{\"t\":%llu}", &t) != 1) {
                                ok = false;
                                break;
                        }
                        if (used == cap)
                                tags = realloc(tags, (cap *= 2) * sizeof(*tags));
                        tags[used++] = t;
                }
                if (last)
                        break;
        }
        ZSTD_freeDCtx(dc);
        free(src);
        qsort(tags, used, sizeof(*tags), cmp_u64);
        *out = tags;
        *n = used;
        return ok && hint == 0 && linelen == 0;
}

static int on_synced(void *ctx, uint64_t offset, const uint64_t *tags, size_t n)
{
        struct seen *s = ctx;
        s->calls++;
        if (s->fail_rc)
                return s->fail_rc;
        s->tags = realloc(s->tags, (s->n + n + 1) * sizeof(*s->tags));
        if (n) /* a sync with no new line may pass no array: memcpy(_, NULL, 0) is undefined */
                memcpy(s->tags + s->n, tags, n * sizeof(*tags));
        s->n += n;
        s->last_offset = offset;
        qsort(s->tags, s->n, sizeof(*s->tags), cmp_u64);
        uint64_t *in_file;
        size_t nf;
        bool whole = prefix_tags(s->path, offset, &in_file, &nf);
        if (!s->prefix_bad && (!whole || nf != s->n ||
                               (nf && memcmp(in_file, s->tags, nf * sizeof(*in_file)) != 0))) {
                s->prefix_bad = true;
                snprintf(s->why, sizeof(s->why),
                         "call %u: offset %llu: whole frames %d, %zu lines, %zu reported", s->calls,
                         (unsigned long long)offset, whole, nf, s->n);
        }
        free(in_file);
        return 0;
}

struct producer {
        struct writer *w;
        uint64_t first; /* tags first, first + 2, ... */
};

static void *produce(void *arg)
{
        struct producer *p = arg;
        struct writer_chunk *c = writer_chunk_get(p->w);
        char line[64];
        for (uint64_t i = 0; i < LINES_PER_THREAD; i++) {
                uint64_t tag = p->first + 2 * i;
                int n = snprintf(line, sizeof(line), "{\"t\":%llu}\n", (unsigned long long)tag);
                writer_append(p->w, &c, line, (size_t)n, tag);
                if (i % 7000 == 6999) {
                        writer_chunk_put(p->w, c);
                        writer_request_sync(p->w);
                        c = writer_chunk_get(p->w);
                }
        }
        writer_chunk_put(p->w, c);
        return NULL;
}

static void temp_path(char *path, size_t cap)
{
        snprintf(path, cap, "/tmp/test_writer_sync.XXXXXX.zst");
        int fd = mkstemps(path, 4);
        assert_true(fd >= 0);
        close(fd);
}

static void t_tags_reported_once_with_durable_prefix(void **st)
{
        (void)st;
        char path[64];
        temp_path(path, sizeof(path));
        struct seen seen = {.path = path};
        struct sink *sink;
        assert_int_equal(sink_open(&sink, path, true, 1), 0);
        struct writer *w;
        struct writer_sync sync = {on_synced, &seen, 5};
        assert_int_equal(writer_start(&w, sink, ds_clock_real(), &sync), 0);
        struct producer p[2] = {{w, 0}, {w, 1}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
                assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]), 0);
        for (int i = 0; i < 2; i++)
                pthread_join(t[i], NULL);
        uint64_t lines;
        assert_int_equal(writer_close(w, &lines), 0);
        assert_int_equal(lines, 2 * LINES_PER_THREAD);
        if (seen.prefix_bad)
                fail_msg("%s", seen.why);
        assert_true(seen.calls >= 2); /* syncs were requested, and the close syncs */
        assert_int_equal(seen.n, 2 * LINES_PER_THREAD);
        for (size_t i = 0; i < seen.n; i++)
                assert_int_equal(seen.tags[i], i); /* each tag once, none missing */
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(seen.last_offset, (uint64_t)sb.st_size);
        free(seen.tags);
        unlink(path);
}

static void t_callback_error_stops_writer(void **st)
{
        (void)st;
        char path[64];
        temp_path(path, sizeof(path));
        struct seen seen = {.path = path, .fail_rc = -ENOSPC};
        struct sink *sink;
        assert_int_equal(sink_open(&sink, path, true, 1), 0);
        struct writer *w;
        struct writer_sync sync = {on_synced, &seen, 1000000};
        assert_int_equal(writer_start(&w, sink, ds_clock_real(), &sync), 0);
        struct writer_chunk *c = writer_chunk_get(w);
        writer_append(w, &c, "{\"t\":1}\n", 8, 1);
        writer_chunk_put(w, c);
        writer_request_sync(w);
        uint64_t lines;
        assert_int_equal(writer_close(w, &lines), -ENOSPC);
        assert_true(seen.calls >= 1);
        unlink(path);
}

static void t_no_callback(void **st)
{
        (void)st;
        char path[64];
        temp_path(path, sizeof(path));
        struct sink *sink;
        assert_int_equal(sink_open(&sink, path, true, 1), 0);
        struct writer *w;
        assert_int_equal(writer_start(&w, sink, ds_clock_real(), NULL), 0);
        struct writer_chunk *c = writer_chunk_get(w);
        for (uint64_t i = 0; i < 1000; i++)
                writer_append(w, &c, "{\"t\":5}\n", 8, i);
        writer_chunk_put(w, c);
        uint64_t lines;
        assert_int_equal(writer_close(w, &lines), 0);
        assert_int_equal(lines, 1000);
        unlink(path);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_tags_reported_once_with_durable_prefix),
            cmocka_unit_test(t_callback_error_stops_writer),
            cmocka_unit_test(t_no_callback),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

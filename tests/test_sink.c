/* test_sink.c -- unit tests for output/sink.c.
 * Contract: round trips through plain and zstd files, frame layout (independent frames that
 * end on line boundaries, readable while the sink is open) and sticky error reporting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "output/limits.h"
#include "output/sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

struct bytes {
        char *p;
        size_t len, cap;
};

static void bytes_add(struct bytes *b, const void *p, size_t n)
{
        if (b->len + n > b->cap) {
                size_t cap = b->cap ? b->cap : 4096;
                while (cap < b->len + n)
                        cap *= 2;
                b->p = realloc(b->p, cap);
                assert_non_null(b->p);
                b->cap = cap;
        }
        if (n)
                memcpy(b->p + b->len, p, n);
        b->len += n;
}

static void bytes_free(struct bytes *b)
{
        free(b->p);
        memset(b, 0, sizeof *b);
}

static uint64_t rng_next(uint64_t *s)
{
        *s ^= *s >> 12;
        *s ^= *s << 25;
        *s ^= *s >> 27;
        return *s * 2685821657736338717ULL;
}

/* An NDJSON-looking line; noisy adds random hex so zstd cannot shrink it much. */
static size_t make_line(char *d, size_t cap, uint64_t *r, unsigned i, bool noisy)
{
        int n;
        if (noisy)
                n = snprintf(d, cap, "{\"i\":%u,\"noise\":\"%016llx%016llx%016llx%016llx\"}\n", i,
                             (unsigned long long)rng_next(r), (unsigned long long)rng_next(r),
                             (unsigned long long)rng_next(r), (unsigned long long)rng_next(r));
        else
                n = snprintf(d, cap,
                             "{\"domain\":\"d%u.example.com\",\"dmarc\":\"v=DMARC1; p=reject; "
                             "rua=mailto:r%u@example.net\",\"ms\":%u}\n",
                             i, (unsigned)(rng_next(r) % 1000), (unsigned)(rng_next(r) % 5000));
        assert_true(n > 0 && (size_t)n < cap);
        return (size_t)n;
}

static void temp_path(char *path, size_t cap, const char *suffix)
{
        snprintf(path, cap, "/tmp/test_sink.XXXXXX%s", suffix);
        int fd = mkstemps(path, (int)strlen(suffix));
        assert_true(fd >= 0);
        close(fd);
}

static void read_file(const char *path, struct bytes *out)
{
        int fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        char buf[65536];
        ssize_t r;
        out->len = 0;
        while ((r = read(fd, buf, sizeof buf)) > 0)
                bytes_add(out, buf, (size_t)r);
        assert_int_equal(r, 0);
        close(fd);
}

/* Streams src through ZSTD_decompressStream; returns the decoder's last hint, which is 0
 * exactly when the input ended on a frame boundary. */
static size_t unzstd(const char *src, size_t n, struct bytes *out)
{
        ZSTD_DCtx *dc = ZSTD_createDCtx();
        assert_non_null(dc);
        char buf[65536];
        ZSTD_inBuffer in = {src, n, 0};
        size_t hint = 0;
        out->len = 0;
        for (;;) {
                ZSTD_outBuffer o = {buf, sizeof buf, 0};
                hint = ZSTD_decompressStream(dc, &o, &in);
                assert_false(ZSTD_isError(hint));
                bytes_add(out, buf, o.pos);
                if (in.pos == in.size && o.pos < o.size)
                        break;
        }
        ZSTD_freeDCtx(dc);
        return hint;
}

/* Sizes of the complete frames at the start of src; returns how many bytes they cover. */
static size_t list_frames(const char *src, size_t n, size_t *sizes, size_t max, size_t *count)
{
        size_t off = 0;
        *count = 0;
        while (off < n) {
                size_t f = ZSTD_findFrameCompressedSize(src + off, n - off);
                if (ZSTD_isError(f))
                        break;
                assert_true(*count < max);
                sizes[(*count)++] = f;
                off += f;
        }
        return off;
}

static void t_plain_roundtrip(void **st)
{
        (void)st;
        char path[64], line[256];
        temp_path(path, sizeof path, ".ndjson");
        unlink(path); /* so sink_open creates it and picks the mode */
        mode_t old_mask = umask(022);
        struct sink *s;
        assert_int_equal(sink_open(&s, path, false, 0), 0);
        umask(old_mask);
        struct bytes want = {0}, got = {0};
        uint64_t r = 1;
        for (unsigned i = 0; i < 5000; i++) {
                size_t n = make_line(line, sizeof line, &r, i, i % 2);
                assert_int_equal(sink_write(s, line, n), 0);
                bytes_add(&want, line, n);
        }
        /* A write larger than the buffer bypasses it without reordering. */
        size_t big = 200 * 1024;
        char *blob = malloc(big);
        assert_non_null(blob);
        memset(blob, 'x', big);
        blob[big - 1] = '\n';
        assert_int_equal(sink_write(s, blob, big), 0);
        bytes_add(&want, blob, big);
        assert_int_equal(sink_write(s, "tail\n", 5), 0);
        bytes_add(&want, "tail\n", 5);
        assert_int_equal(sink_write(s, "", 0), 0);
        assert_int_equal(sink_close(s), 0);

        read_file(path, &got);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.p, want.p, want.len);
        struct stat sb;
        assert_int_equal(stat(path, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0644);
        free(blob);
        bytes_free(&want);
        bytes_free(&got);
        unlink(path);
}

static void t_plain_end_frame_flushes(void **st)
{
        (void)st;
        char path[64];
        temp_path(path, sizeof path, ".ndjson");
        struct sink *s;
        assert_int_equal(sink_open(&s, path, false, 0), 0);
        assert_int_equal(sink_end_frame(s), 0); /* empty: no-op */
        assert_int_equal(sink_write(s, "a\n", 2), 0);
        struct bytes got = {0};
        read_file(path, &got);
        assert_int_equal(got.len, 0); /* still buffered */
        assert_int_equal(sink_end_frame(s), 0);
        read_file(path, &got);
        assert_int_equal(got.len, 2);
        assert_int_equal(sink_write(s, "b\n", 2), 0);
        assert_int_equal(sink_sync(s), 0);
        read_file(path, &got);
        assert_int_equal(got.len, 4);
        assert_memory_equal(got.p, "a\nb\n", 4);
        assert_int_equal(sink_close(s), 0);
        bytes_free(&got);
        unlink(path);
}

static void t_open_truncates(void **st)
{
        (void)st;
        char path[64];
        temp_path(path, sizeof path, ".ndjson");
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("old contents that must disappear\n", f);
        fclose(f);
        struct sink *s;
        assert_int_equal(sink_open(&s, path, false, 0), 0);
        assert_int_equal(sink_write(s, "new\n", 4), 0);
        assert_int_equal(sink_close(s), 0);
        struct bytes got = {0};
        read_file(path, &got);
        assert_int_equal(got.len, 4);
        assert_memory_equal(got.p, "new\n", 4);
        bytes_free(&got);
        unlink(path);
}

/* Every complete frame at the start of file decompresses on its own to whole lines that
 * continue want; returns the number of frames. */
static size_t check_frames(const struct bytes *file, const struct bytes *want, size_t max_frame,
                           size_t *covered_in, size_t *covered_out)
{
        static size_t sizes[4096];
        size_t count, off = 0, out_off = 0;
        *covered_in = list_frames(file->p, file->len, sizes, 4096, &count);
        struct bytes one = {0};
        for (size_t i = 0; i < count; i++) {
                assert_int_equal(unzstd(file->p + off, sizes[i], &one), 0);
                assert_true(one.len > 0);
                assert_true(one.len <= max_frame);
                assert_int_equal(one.p[one.len - 1], '\n');
                assert_true(out_off + one.len <= want->len);
                assert_memory_equal(one.p, want->p + out_off, one.len);
                off += sizes[i];
                out_off += one.len;
        }
        bytes_free(&one);
        *covered_out = out_off;
        return count;
}

static void t_zstd_roundtrip_frames(void **st)
{
        (void)st;
        char path[64], line[256];
        temp_path(path, sizeof path, ".ndjson.zst");
        struct sink *s;
        assert_int_equal(sink_open(&s, path, true, DS_ZSTD_LEVEL), 0);
        struct bytes want = {0}, file = {0}, all = {0};
        uint64_t r = 7;
        unsigned explicit_ends = 0;
        size_t last_end = 0;
        /* ~10 MB: several explicit frame ends early on, then auto boundaries only. */
        for (unsigned i = 0; want.len < 10u * 1024 * 1024; i++) {
                size_t n = make_line(line, sizeof line, &r, i, i % 3 == 0);
                assert_int_equal(sink_write(s, line, n), 0);
                bytes_add(&want, line, n);
                if (i < 50000 && i % 10007 == 10006) {
                        assert_int_equal(sink_end_frame(s), 0);
                        explicit_ends++;
                        last_end = want.len;
                }
        }
        assert_int_equal(sink_end_frame(s), 0);
        assert_int_equal(sink_end_frame(s), 0); /* nothing pending: no empty frame */
        assert_int_equal(sink_close(s), 0);

        read_file(path, &file);
        assert_int_equal(unzstd(file.p, file.len, &all), 0);
        assert_int_equal(all.len, want.len);
        assert_memory_equal(all.p, want.p, want.len);

        size_t in, out;
        size_t frames = check_frames(&file, &want, DS_FRAME_BYTES + sizeof line, &in, &out);
        assert_int_equal(in, file.len);
        assert_int_equal(out, want.len);
        /* Past the last explicit end only the DS_FRAME_BYTES rule splits frames. */
        size_t tail = want.len - last_end;
        assert_true(tail > DS_FRAME_BYTES + sizeof line);
        assert_true(frames >= explicit_ends + 1 + tail / (DS_FRAME_BYTES + sizeof line));
        assert_true(file.len < want.len / 2);
        bytes_free(&want);
        bytes_free(&file);
        bytes_free(&all);
        unlink(path);
}

static void t_zstd_follow_growing_file(void **st)
{
        (void)st;
        char path[64], line[256];
        temp_path(path, sizeof path, ".zst");
        struct sink *s;
        assert_int_equal(sink_open(&s, path, true, DS_ZSTD_LEVEL), 0);
        struct bytes want = {0}, file = {0}, all = {0};
        uint64_t r = 99;
        unsigned i = 0;
        for (; i < 1000; i++) {
                size_t n = make_line(line, sizeof line, &r, i, false);
                assert_int_equal(sink_write(s, line, n), 0);
                bytes_add(&want, line, n);
        }
        assert_int_equal(sink_end_frame(s), 0);

        /* The reader sees exactly the lines written so far, as a complete frame. */
        read_file(path, &file);
        assert_int_equal(unzstd(file.p, file.len, &all), 0);
        assert_int_equal(all.len, want.len);
        assert_memory_equal(all.p, want.p, want.len);
        size_t done_len = want.len, done_file = file.len;

        /* Noisy lines push part of an unfinished frame to disk. */
        for (; want.len - done_len < 1024 * 1024; i++) {
                size_t n = make_line(line, sizeof line, &r, i, true);
                assert_int_equal(sink_write(s, line, n), 0);
                bytes_add(&want, line, n);
        }
        read_file(path, &file);
        assert_true(file.len > done_file);
        size_t in, out;
        assert_int_equal(check_frames(&file, &want, want.len, &in, &out), 1);
        assert_int_equal(in, done_file);
        assert_int_equal(out, done_len);
        assert_true(unzstd(file.p, file.len, &all) != 0); /* trailing frame incomplete */

        assert_int_equal(sink_end_frame(s), 0);
        read_file(path, &file);
        assert_int_equal(check_frames(&file, &want, want.len, &in, &out), 2);
        assert_int_equal(in, file.len);
        assert_int_equal(out, want.len);
        assert_int_equal(sink_close(s), 0);
        bytes_free(&want);
        bytes_free(&file);
        bytes_free(&all);
        unlink(path);
}

static void t_zstd_auto_boundary_visible(void **st)
{
        (void)st;
        char path[64], line[256];
        temp_path(path, sizeof path, ".zst");
        struct sink *s;
        assert_int_equal(sink_open(&s, path, true, DS_ZSTD_LEVEL), 0);
        struct bytes want = {0}, file = {0};
        uint64_t r = 3;
        for (unsigned i = 0; want.len < 2 * DS_FRAME_BYTES + DS_FRAME_BYTES / 2; i++) {
                size_t n = make_line(line, sizeof line, &r, i, false);
                assert_int_equal(sink_write(s, line, n), 0);
                bytes_add(&want, line, n);
        }
        /* Without any sink_end_frame, two full frames are already on disk. */
        read_file(path, &file);
        size_t in, out;
        assert_int_equal(check_frames(&file, &want, DS_FRAME_BYTES + sizeof line, &in, &out), 2);
        assert_true(out >= 2 * DS_FRAME_BYTES);
        assert_int_equal(sink_close(s), 0);
        read_file(path, &file);
        assert_int_equal(check_frames(&file, &want, DS_FRAME_BYTES + sizeof line, &in, &out), 3);
        assert_int_equal(out, want.len);
        bytes_free(&want);
        bytes_free(&file);
        unlink(path);
}

static void check_dev_full(bool compress)
{
        struct sink *s;
        assert_int_equal(sink_open(&s, "/dev/full", compress, DS_ZSTD_LEVEL), 0);
        assert_int_equal(sink_write(s, "{\"a\":1}\n", 8), 0); /* buffered, not yet failed */
        assert_int_equal(sink_end_frame(s), -ENOSPC);
        assert_int_equal(sink_write(s, "{\"a\":2}\n", 8), -ENOSPC);
        assert_int_equal(sink_end_frame(s), -ENOSPC);
        assert_int_equal(sink_sync(s), -ENOSPC);
        assert_int_equal(sink_close(s), -ENOSPC);
}

static void t_error_sticky_dev_full(void **st)
{
        (void)st;
        check_dev_full(false);
        check_dev_full(true);
}

static void t_error_reported_by_close(void **st)
{
        (void)st;
        for (int c = 0; c < 2; c++) {
                struct sink *s;
                assert_int_equal(sink_open(&s, "/dev/full", c, DS_ZSTD_LEVEL), 0);
                assert_int_equal(sink_write(s, "x\n", 2), 0);
                assert_int_equal(sink_close(s), -ENOSPC);
        }
}

static void t_error_large_write(void **st)
{
        (void)st;
        struct sink *s;
        assert_int_equal(sink_open(&s, "/dev/full", false, 0), 0);
        static char big[200 * 1024];
        assert_int_equal(sink_write(s, big, sizeof big), -ENOSPC);
        assert_int_equal(sink_close(s), -ENOSPC);
}

/* Lines from..to-1 into the sink, and into want when it is not NULL. */
static void write_lines(struct sink *s, uint64_t *r, unsigned from, unsigned to, struct bytes *want)
{
        char line[256];
        for (unsigned i = from; i < to; i++) {
                size_t n = make_line(line, sizeof line, r, i, false);
                assert_int_equal(sink_write(s, line, n), 0);
                if (want)
                        bytes_add(want, line, n);
        }
}

/* A resumed output: the first keep bytes stay, whatever followed them (a frame written
 * after the last checkpoint, a torn frame) is cut, and new frames follow. */
static void check_reopen(bool compress)
{
        char path[64];
        uint64_t r = 99;
        struct bytes want = {0}, got = {0}, file = {0};
        temp_path(path, sizeof path, compress ? ".zst" : ".ndjson");
        struct sink *s;
        assert_int_equal(sink_open(&s, path, compress, 1), 0);
        write_lines(s, &r, 0, 500, &want);
        assert_int_equal(sink_sync(s), 0);
        uint64_t keep = sink_offset(s);
        read_file(path, &file);
        assert_int_equal(file.len, keep);   /* everything up to the sync is out */
        write_lines(s, &r, 500, 800, NULL); /* lines the crash will lose */
        assert_int_equal(sink_close(s), 0);
        int fd = open(path, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "\x28\xb5\x2f\xfd torn", 9), 9);
        close(fd);
        read_file(path, &file);
        assert_true(file.len > keep + 9);

        assert_int_equal(sink_reopen(&s, path, compress, 1, keep), 0);
        assert_int_equal(sink_offset(s), keep);
        write_lines(s, &r, 800, 1000, &want);
        assert_int_equal(sink_sync(s), 0);
        uint64_t end = sink_offset(s);
        assert_int_equal(sink_close(s), 0);
        read_file(path, &file);
        assert_int_equal(file.len, end);
        if (compress) {
                assert_int_equal(unzstd(file.p, file.len, &got), 0); /* ends on a frame */
        } else {
                got.len = 0;
                bytes_add(&got, file.p, file.len);
        }
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.p, want.p, want.len);

        assert_int_equal(sink_reopen(&s, path, compress, 1, end + 1), -ENODATA);
        assert_null(s);
        unlink(path);
        assert_int_equal(sink_reopen(&s, path, compress, 1, 0), -ENOENT);
        assert_int_equal(sink_reopen(&s, "-", compress, 1, 0), -ESPIPE);
        assert_int_equal(sink_reopen(&s, "/dev/null", compress, 1, 0), -ESPIPE);
        bytes_free(&want);
        bytes_free(&got);
        bytes_free(&file);
}

static void t_reopen_zstd(void **st)
{
        (void)st;
        check_reopen(true);
}

static void t_reopen_plain(void **st)
{
        (void)st;
        check_reopen(false);
}

static void t_open_errors(void **st)
{
        (void)st;
        struct sink *s = (struct sink *)&s;
        assert_int_equal(sink_open(&s, "/nonexistent-dir/x.ndjson", false, 0), -ENOENT);
        assert_null(s);
        s = (struct sink *)&s;
        assert_int_equal(sink_open(&s, "/nonexistent-dir/x.zst", true, 3), -ENOENT);
        assert_null(s);
        assert_int_equal(sink_close(NULL), 0);
}

static void t_stdout(void **st)
{
        (void)st;
        char path[64];
        temp_path(path, sizeof path, ".out");
        int fd = open(path, O_WRONLY | O_TRUNC);
        assert_true(fd >= 0);
        fflush(stdout);
        int saved = dup(STDOUT_FILENO);
        assert_true(saved >= 0);
        assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
        close(fd);

        const char *names[] = {NULL, "-"};
        int rc[4];
        for (int k = 0; k < 2; k++) {
                struct sink *s;
                rc[2 * k] = sink_open(&s, names[k], false, 0);
                if (rc[2 * k] == 0) {
                        sink_write(s, "out\n", 4);
                        rc[2 * k + 1] = sink_close(s);
                } else {
                        rc[2 * k + 1] = -1;
                }
        }
        bool still_open = fcntl(STDOUT_FILENO, F_GETFD) >= 0; /* the sink must not close it */
        dup2(saved, STDOUT_FILENO);
        close(saved);
        for (int k = 0; k < 4; k++)
                assert_int_equal(rc[k], 0);
        assert_true(still_open);
        struct bytes got = {0};
        read_file(path, &got);
        assert_int_equal(got.len, 8);
        assert_memory_equal(got.p, "out\nout\n", 8);
        bytes_free(&got);
        unlink(path);
}

static void t_path_wants_zstd(void **st)
{
        (void)st;
        assert_true(sink_path_wants_zstd("out.ndjson.zst"));
        assert_true(sink_path_wants_zstd("/a/b.zst"));
        assert_true(sink_path_wants_zstd(".zst"));
        assert_false(sink_path_wants_zstd("out.ndjson"));
        assert_false(sink_path_wants_zstd("out.zst.ndjson"));
        assert_false(sink_path_wants_zstd("zst"));
        assert_false(sink_path_wants_zstd("out.zstd"));
        assert_false(sink_path_wants_zstd(""));
        assert_false(sink_path_wants_zstd("-"));
        assert_false(sink_path_wants_zstd(NULL));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_plain_roundtrip),
            cmocka_unit_test(t_plain_end_frame_flushes),
            cmocka_unit_test(t_open_truncates),
            cmocka_unit_test(t_zstd_roundtrip_frames),
            cmocka_unit_test(t_zstd_follow_growing_file),
            cmocka_unit_test(t_zstd_auto_boundary_visible),
            cmocka_unit_test(t_error_sticky_dev_full),
            cmocka_unit_test(t_error_reported_by_close),
            cmocka_unit_test(t_error_large_write),
            cmocka_unit_test(t_open_errors),
            cmocka_unit_test(t_reopen_zstd),
            cmocka_unit_test(t_reopen_plain),
            cmocka_unit_test(t_stdout),
            cmocka_unit_test(t_path_wants_zstd),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

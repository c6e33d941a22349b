/* sink.c -- NDJSON output to a file or stdout, plain or as independent zstd frames.
 * Contract: the first error (-errno) is sticky and returned by every later call, including
 * sink_close; the error-free path allocates nothing after sink_open. */
#include "output/sink.h"

#include "output/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define PLAIN_BUF_BYTES (64 * 1024)

struct sink {
        int fd;
        bool own_fd;     /* false for stdout, which we must not close */
        bool regular;    /* fsync only makes sense on regular files */
        int err;         /* first -errno seen; sticky */
        ZSTD_CCtx *zc;   /* NULL in plain mode */
        size_t frame_in; /* uncompressed bytes fed into the open frame */
        char *buf;       /* plain: pending bytes; zstd: compressed bytes not yet written */
        size_t len, cap;
        uint64_t offset; /* file offset after the bytes written so far */
};

static int fail(struct sink *s, int err)
{
        if (!s->err)
                s->err = err;
        return s->err;
}

/* stdout may arrive non-blocking from the parent; wait instead of losing bytes. */
static int wait_writable(int fd)
{
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        while (poll(&p, 1, -1) < 0) {
                if (errno != EINTR)
                        return -errno;
        }
        return 0;
}

static int write_all(struct sink *s, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t r = write(s->fd, p, n);
                if (r > 0) {
                        s->offset += (uint64_t)r;
                        p += r;
                        n -= (size_t)r;
                } else if (r == 0) {
                        return fail(s, -EIO);
                } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        int e = wait_writable(s->fd);
                        if (e)
                                return fail(s, e);
                } else if (errno != EINTR) {
                        return fail(s, -errno);
                }
        }
        return 0;
}

static int flush_buf(struct sink *s)
{
        int e = write_all(s, s->buf, s->len);
        s->len = 0;
        return e;
}

static int plain_write(struct sink *s, const char *p, size_t n)
{
        if (n > s->cap - s->len) {
                if (flush_buf(s))
                        return s->err;
                if (n >= s->cap)
                        return write_all(s, p, n);
        }
        memcpy(s->buf + s->len, p, n);
        s->len += n;
        return 0;
}

/* Runs the compressor until the input is consumed (continue) or the frame is fully
 * flushed into buf (end), writing buf out whenever it fills. */
static int zstd_feed(struct sink *s, const void *p, size_t n, ZSTD_EndDirective mode)
{
        ZSTD_inBuffer in = {p, n, 0};
        for (;;) {
                ZSTD_outBuffer out = {s->buf, s->cap, s->len};
                size_t left = ZSTD_compressStream2(s->zc, &out, &in, mode);
                s->len = out.pos;
                if (ZSTD_isError(left))
                        return fail(s, -EIO);
                if (s->len == s->cap && flush_buf(s))
                        return s->err;
                if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
                        return 0;
        }
}

static int zstd_end_frame(struct sink *s)
{
        if (s->frame_in == 0)
                return 0;
        s->frame_in = 0;
        if (zstd_feed(s, NULL, 0, ZSTD_e_end))
                return s->err;
        return flush_buf(s);
}

static int zstd_setup(struct sink *s, int level)
{
        s->zc = ZSTD_createCCtx();
        if (!s->zc)
                return -ENOMEM;
        if (ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_compressionLevel, level)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(s->zc, ZSTD_c_checksumFlag, 1)))
                return -EINVAL;
        return 0;
}

/* keep < 0: create or truncate; else append after the first keep bytes of an existing
 * file, cutting what follows them. */
static int open_fd(struct sink *s, const char *path, int64_t keep)
{
        if (!path || strcmp(path, "-") == 0) {
                if (keep >= 0)
                        return -ESPIPE;
                s->fd = STDOUT_FILENO;
                s->own_fd = false;
        } else {
                int flags = O_WRONLY | O_CLOEXEC | (keep < 0 ? O_CREAT | O_TRUNC : 0);
                s->fd = open(path, flags, 0644);
                if (s->fd < 0)
                        return -errno;
                s->own_fd = true;
        }
        struct stat st;
        s->regular = fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode);
        if (keep < 0)
                return 0;
        if (!s->regular)
                return -ESPIPE;
        if (st.st_size < keep)
                return -ENODATA;
        /* Durable before anything new is written after it: a crash now must not leave the
         * cut tail in place behind the frames about to come. */
        if (ftruncate(s->fd, keep) < 0 || fsync(s->fd) < 0 || lseek(s->fd, keep, SEEK_SET) != keep)
                return -errno;
        s->offset = (uint64_t)keep;
        return 0;
}

static void sink_free(struct sink *s)
{
        ZSTD_freeCCtx(s->zc);
        free(s->buf);
        free(s);
}

static int open_at(struct sink **out, const char *path, bool compress, int level, int64_t keep)
{
        *out = NULL;
        struct sink *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->fd = -1;
        s->cap = compress ? ZSTD_CStreamOutSize() : PLAIN_BUF_BYTES;
        s->buf = malloc(s->cap);
        int e = s->buf ? 0 : -ENOMEM;
        if (!e && compress)
                e = zstd_setup(s, level);
        if (!e)
                e = open_fd(s, path, keep);
        if (e) {
                if (s->own_fd)
                        close(s->fd);
                sink_free(s);
                return e;
        }
        *out = s;
        return 0;
}

int sink_open(struct sink **out, const char *path, bool compress, int level)
{
        return open_at(out, path, compress, level, -1);
}

int sink_reopen(struct sink **out, const char *path, bool compress, int level, uint64_t keep)
{
        if (keep > INT64_MAX)
                return -EINVAL;
        return open_at(out, path, compress, level, (int64_t)keep);
}

/* A frame ends after the write that takes it to DS_FRAME_BYTES, never inside one, so
 * callers that write whole lines get frames that end on line boundaries. */
int sink_write(struct sink *s, const void *buf, size_t len)
{
        if (s->err || len == 0)
                return s->err;
        if (!s->zc)
                return plain_write(s, buf, len);
        if (zstd_feed(s, buf, len, ZSTD_e_continue))
                return s->err;
        s->frame_in += len;
        if (s->frame_in >= DS_FRAME_BYTES)
                return zstd_end_frame(s);
        return 0;
}

int sink_end_frame(struct sink *s)
{
        if (s->err)
                return s->err;
        if (s->zc)
                return zstd_end_frame(s);
        if (s->len == 0)
                return 0;
        return flush_buf(s);
}

int sink_sync(struct sink *s)
{
        if (sink_end_frame(s))
                return s->err;
        if (s->regular && fsync(s->fd) < 0)
                return fail(s, -errno);
        return 0;
}

int sink_close(struct sink *s)
{
        if (!s)
                return 0;
        sink_end_frame(s);
        /* Linux frees the descriptor even when close fails, so never retry it. */
        if (s->own_fd && close(s->fd) < 0 && errno != EINTR)
                fail(s, -errno);
        int err = s->err;
        sink_free(s);
        return err;
}

uint64_t sink_offset(const struct sink *s)
{
        return s->offset;
}

bool sink_path_wants_zstd(const char *path)
{
        if (!path)
                return false;
        size_t n = strlen(path);
        return n >= 4 && strcmp(path + n - 4, ".zst") == 0;
}

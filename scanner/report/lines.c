/* lines.c -- block reads, zstd frames decompressed as they come, lines cut at '\n'. */
#include "scanner/report/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define BLOCK (128 * 1024)

struct lines {
        int fd;
        ZSTD_DCtx *zd; /* NULL: plain */
        ZSTD_inBuffer zin;
        size_t zlast;             /* 0 at a frame boundary */
        unsigned char *raw, *dec; /* owned: BLOCK each */
        const unsigned char *out; /* decoded bytes out[pos..len) */
        size_t len, pos, raw_len;
        bool eof;
        char *line; /* owned: the current line */
        size_t cap;
        uint64_t number;
        char err[256];
};

static int fail(struct lines *l, int rc, const char *what)
{
        snprintf(l->err, sizeof(l->err), "line %llu: %s", (unsigned long long)l->number + 1, what);
        return rc;
}

static ssize_t read_some(struct lines *l)
{
        ssize_t n;
        do
                n = read(l->fd, l->raw, BLOCK);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return fail(l, -errno, strerror(errno));
        return n;
}

/* Decoded bytes into out[0..len): 1, 0 at the end, -errno. */
static int refill(struct lines *l)
{
        l->pos = l->len = 0;
        if (!l->zd) {
                ssize_t n = l->raw_len ? (ssize_t)l->raw_len : read_some(l);
                l->raw_len = 0;
                l->len = n > 0 ? (size_t)n : 0;
                return n < 0 ? (int)n : n > 0;
        }
        for (;;) {
                if (l->zin.pos == l->zin.size) {
                        ssize_t n = read_some(l);
                        if (n <= 0)
                                return n < 0      ? (int)n
                                       : l->zlast ? fail(l, -EIO, "zstd data is truncated")
                                                  : 0;
                        l->zin = (ZSTD_inBuffer){l->raw, (size_t)n, 0};
                }
                ZSTD_outBuffer zo = {l->dec, BLOCK, 0};
                size_t r = ZSTD_decompressStream(l->zd, &zo, &l->zin);
                if (ZSTD_isError(r))
                        return fail(l, -EIO, ZSTD_getErrorName(r));
                l->zlast = r;
                l->len = zo.pos;
                if (zo.pos)
                        return 1;
        }
}

int lines_open(struct lines **out, const char *path)
{
        struct lines *l = calloc(1, sizeof(*l));
        *out = l;
        if (!l)
                return -ENOMEM;
        l->raw = malloc(BLOCK);
        l->dec = malloc(BLOCK);
        l->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (!l->raw || !l->dec)
                return fail(l, -ENOMEM, "out of memory");
        if (l->fd < 0)
                return fail(l, -errno, strerror(errno));
        ssize_t n = read_some(l);
        if (n < 0)
                return (int)n;
        l->raw_len = (size_t)n;
        l->out = l->raw;
        if (n >= 4 && memcmp(l->raw, "\x28\xb5\x2f\xfd", 4) == 0) {
                l->zd = ZSTD_createDCtx();
                if (!l->zd)
                        return fail(l, -ENOMEM, "out of memory");
                l->zin = (ZSTD_inBuffer){l->raw, l->raw_len, 0};
                l->zlast = 1;
                l->raw_len = 0;
                l->out = l->dec;
        }
        return 0;
}

static int append(struct lines *l, size_t at, const unsigned char *p, size_t n)
{
        if (at + n + 1 > LINES_MAX)
                return fail(l, -EFBIG, "longer than a line can be");
        if (at + n + 1 > l->cap) {
                size_t cap = l->cap ? l->cap : 4096;
                while (cap < at + n + 1)
                        cap *= 2;
                char *p2 = realloc(l->line, cap);
                if (!p2)
                        return fail(l, -ENOMEM, "out of memory");
                l->line = p2;
                l->cap = cap;
        }
        memcpy(l->line + at, p, n);
        return 0;
}

int lines_next(struct lines *l, const char **line, size_t *len)
{
        size_t at = 0;
        bool any = false;
        for (;;) {
                if (l->pos == l->len) {
                        int r = l->eof ? 0 : refill(l);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                l->eof = true;
                                if (!any)
                                        return 0;
                                break;
                        }
                }
                const unsigned char *p = l->out + l->pos;
                const unsigned char *nl = memchr(p, '\n', l->len - l->pos);
                size_t take = nl ? (size_t)(nl - p) : l->len - l->pos;
                int rc = append(l, at, p, take);
                if (rc < 0)
                        return rc;
                at += take;
                l->pos += take + (nl != NULL);
                any = true;
                if (nl)
                        break;
        }
        l->line[at] = 0;
        l->number++;
        *line = l->line;
        *len = at;
        return 1;
}

uint64_t lines_number(const struct lines *l)
{
        return l->number;
}

const char *lines_error(const struct lines *l)
{
        return l->err;
}

void lines_close(struct lines *l)
{
        if (!l)
                return;
        if (l->fd >= 0)
                close(l->fd);
        ZSTD_freeDCtx(l->zd);
        free(l->raw);
        free(l->dec);
        free(l->line);
        free(l);
}

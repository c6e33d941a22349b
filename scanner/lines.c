/* lines.c -- line reader over plain, gzip (zlib's gzread, which passes plain bytes through)
 * and zstd (streaming decompression) files. */
#include "scanner/lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common/check.h"

#define BLOCK (256u << 10)

struct lines {
        int fd;
        gzFile gz;     /* plain or gzip; NULL for zstd */
        ZSTD_DCtx *zd; /* zstd; NULL otherwise */
        ZSTD_inBuffer zin;
        size_t zlast; /* last ZSTD_decompressStream result: 0 at a frame boundary */
        unsigned char *raw, *dec;
        size_t dec_pos, dec_len;
        char *line;
        size_t line_cap;
        uint64_t count;
        int fail_rc;
        char err[200];
};

static int fail(struct lines *l, int rc, const char *msg, const char *detail)
{
        snprintf(l->err, sizeof l->err, "line %llu: %s%s", (unsigned long long)l->count + 1, msg,
                 detail ? detail : "");
        l->fail_rc = rc;
        return rc;
}

static ssize_t read_fd(struct lines *l, unsigned char *buf, size_t cap)
{
        ssize_t n;
        do
                n = read(l->fd, buf, cap);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return fail(l, -errno, "read error: ", strerror(errno));
        return n;
}

static int refill_zstd(struct lines *l)
{
        for (;;) {
                if (l->zin.pos == l->zin.size) {
                        ssize_t n = read_fd(l, l->raw, BLOCK);
                        if (n < 0)
                                return (int)n;
                        if (n == 0)
                                return l->zlast == 0
                                           ? 0
                                           : fail(l, -EIO, "zstd data is truncated", NULL);
                        l->zin = (ZSTD_inBuffer){l->raw, (size_t)n, 0};
                }
                ZSTD_outBuffer zo = {l->dec, BLOCK, 0};
                size_t r = ZSTD_decompressStream(l->zd, &zo, &l->zin);
                if (ZSTD_isError(r))
                        return fail(l, -EIO, "zstd data is corrupt: ", ZSTD_getErrorName(r));
                l->zlast = r;
                l->dec_len = zo.pos;
                if (zo.pos > 0)
                        return 1;
        }
}

static int refill_gz(struct lines *l)
{
        int n = gzread(l->gz, l->dec, BLOCK);
        if (n < 0) {
                int zerr;
                const char *msg = gzerror(l->gz, &zerr);
                return fail(l, -EIO, "gzip data is corrupt: ", msg);
        }
        l->dec_len = (size_t)n;
        return n > 0;
}

/* Makes dec[dec_pos..dec_len) non-empty: 1, 0 at the end, -errno. */
static int refill(struct lines *l)
{
        if (l->fail_rc)
                return l->fail_rc;
        l->dec_pos = l->dec_len = 0;
        return l->zd ? refill_zstd(l) : refill_gz(l);
}

int lines_next(struct lines *l, const char **line, size_t *len)
{
        size_t n = 0;
        for (;;) {
                if (l->dec_pos == l->dec_len) {
                        int rc = refill(l);
                        if (rc < 0)
                                return rc;
                        if (rc == 0) {
                                if (n == 0)
                                        return 0;
                                break; /* a last line without '\n' */
                        }
                }
                const unsigned char *p = l->dec + l->dec_pos;
                size_t avail = l->dec_len - l->dec_pos;
                const unsigned char *nl = memchr(p, '\n', avail);
                size_t take = nl ? (size_t)(nl - p) : avail;
                if (n == 0 && nl) { /* the whole line is in the block: no copy */
                        l->dec_pos += take + 1;
                        l->count++;
                        *line = (const char *)p;
                        *len = take;
                        return 1;
                }
                if (n + take > LINES_MAX)
                        return fail(l, -E2BIG, "line longer than 16 MiB", NULL);
                l->line = ds_xgrow(l->line, &l->line_cap, n + take + 1, "input line");
                memcpy(l->line + n, p, take);
                n += take;
                l->dec_pos += take + (nl ? 1 : 0);
                if (nl)
                        break;
        }
        l->count++;
        *line = l->line;
        *len = n;
        return 1;
}

/* zstd when the file starts with its magic; else gzip or plain through gzread. */
static int start(struct lines *l)
{
        unsigned char magic[4];
        ssize_t got = 0;
        while (got < 4) {
                ssize_t n = read_fd(l, magic + got, sizeof magic - (size_t)got);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                got += n;
        }
        if (lseek(l->fd, 0, SEEK_SET) != 0)
                return fail(l, -ESPIPE, "not a seekable file", NULL);
        if (got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f &&
            magic[3] == 0xfd) {
                l->zd = ZSTD_createDCtx();
                l->zlast = 1;
                return l->zd ? 0 : -ENOMEM;
        }
        l->gz = gzdopen(l->fd, "rb");
        if (!l->gz)
                return -ENOMEM;
        l->fd = -1; /* gzclose closes it */
        gzbuffer(l->gz, BLOCK);
        return 0;
}

int lines_open(struct lines **out, const char *path, char *err, size_t errlen)
{
        struct lines *l = calloc(1, sizeof(*l));
        *out = NULL;
        if (!l)
                return -ENOMEM;
        l->raw = malloc(BLOCK);
        l->dec = malloc(BLOCK);
        l->fd = l->raw && l->dec ? open(path, O_RDONLY | O_CLOEXEC) : -1;
        int rc = !l->raw || !l->dec ? -ENOMEM : l->fd < 0 ? -errno : start(l);
        if (rc < 0) {
                snprintf(err, errlen, "%s: %s", path, l->fail_rc ? l->err : strerror(-rc));
                lines_close(l);
                return rc;
        }
        *out = l;
        return 0;
}

const char *lines_error(const struct lines *l)
{
        return l->err;
}

uint64_t lines_count(const struct lines *l)
{
        return l->count;
}

void lines_close(struct lines *l)
{
        if (!l)
                return;
        if (l->gz)
                gzclose(l->gz);
        if (l->fd >= 0)
                close(l->fd);
        ZSTD_freeDCtx(l->zd);
        free(l->raw);
        free(l->dec);
        free(l->line);
        free(l);
}

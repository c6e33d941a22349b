/* input.c -- streaming domain-list reader: block reads through gzip/zstd/plain, line split,
 * format detection (list, rank CSV, headered CSV), domain normalization and sector interning. */
#include "scanner/input.h"

#include "common/text.h"
#include "scanner/domain.h"
#include "scanner/strset.h"

#include <errno.h>
#include <fcntl.h>
#include <idn2.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common/check.h"

#define BLOCK         (64 * 1024)
#define SECTORS_MAX   10000 /* more distinct values means the column is not a sector */
#define COLUMN_NUMMAX 100000
#define COUNT(a)      (sizeof(a) / sizeof((a)[0]))

enum codec { CODEC_PLAIN, CODEC_GZIP, CODEC_ZSTD };

struct span {
        char *p;
        size_t n;
};

struct input {
        int fd;
        bool own_fd;
        enum codec codec;
        z_stream zs;
        bool zs_init, member_open;
        ZSTD_DCtx *zd;
        ZSTD_inBuffer zin;
        size_t zlast;  /* last ZSTD_decompressStream result: 0 at a frame boundary */
        bool out_full; /* last decompression filled the buffer: output may still be pending */
        const unsigned char *out;
        size_t out_len, out_pos;
        size_t raw_len;
        char *cur; /* current record (BOM stripped) inside line[] */
        size_t cur_len, skip;
        size_t line_len;
        uint64_t lineno;   /* physical lines read */
        uint64_t rec_line; /* first physical line of the current record */
        bool overlong, pending;
        int fail_rc;
        enum input_format format;
        long dom_col, sec_col, rank_col; /* 0-based; -1: none */
        struct strset *sectors;          /* interned sector names; created with the first one */
        uint64_t done, total;            /* read by the progress thread: relaxed atomics */
        uint64_t rows;                   /* data lines returned */
        bool at_end;                     /* the file was read to its end */
        struct sha256_ctx sha;           /* of the bytes as stored, as they were read */
        char err[512];
        char line[DS_INPUT_LINE_MAX + 2]; /* +1 for a '\r' before '\n', +1 to see overflow */
        unsigned char raw_buf[BLOCK];
        unsigned char dec_buf[BLOCK];
};

static const char *const DOMAIN_HEADERS[] = {"domain",   "domain name", "domain_name", "host",
                                             "hostname", "site",        "url"};
static const char *const RANK_HEADERS[] = {"rank", "globalrank"};

/* ---- small helpers ---- */

static bool ieq(const char *a, size_t an, const char *b, size_t bn)
{
        if (an != bn)
                return false;
        for (size_t i = 0; i < an; i++)
                if (ds_ascii_lower((unsigned char)a[i]) != ds_ascii_lower((unsigned char)b[i]))
                        return false;
        return true;
}

/* Digits only, at least 1, no overflow; -1 otherwise. */
static int64_t parse_pos_int(const char *p, size_t n)
{
        int64_t v = 0;
        if (!ds_ascii_all_digits(p, n))
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (v > (INT64_MAX - 9) / 10)
                        return -1;
                v = v * 10 + (p[i] - '0');
        }
        return v > 0 ? v : -1;
}

static void fail_line(struct input *in, uint64_t line, int rc, const char *msg, const char *detail)
{
        snprintf(in->err, sizeof in->err, "line %llu: %s%s", (unsigned long long)line, msg,
                 detail ? detail : "");
        in->fail_rc = rc;
}

/* A read or decompression error belongs to the line being read. */
static void fail(struct input *in, int rc, const char *msg, const char *detail)
{
        fail_line(in, in->lineno + 1, rc, msg, detail);
}

/* ---- raw reads and decompression ---- */

static ssize_t read_raw(struct input *in, unsigned char *buf, size_t cap)
{
        ssize_t n;
        do
                n = read(in->fd, buf, cap);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
                int e = errno;
                fail(in, -e, "read error: ", strerror(e));
                return -e;
        }
        __atomic_fetch_add(&in->done, (uint64_t)n, __ATOMIC_RELAXED);
        sha256_update(&in->sha, (size_t)n, buf);
        in->at_end |= n == 0 && cap > 0;
        return n;
}

static int refill_plain(struct input *in)
{
        ssize_t n = read_raw(in, in->raw_buf, BLOCK);
        if (n <= 0)
                return (int)n;
        in->out_len = (size_t)n;
        return 1;
}

/* Returns 1 after producing output, 0 when input is exhausted at a member boundary. */
static int refill_gzip(struct input *in)
{
        z_stream *zs = &in->zs;
        for (;;) {
                if (zs->avail_in == 0 && !in->out_full) {
                        ssize_t n = read_raw(in, in->raw_buf, BLOCK);
                        if (n < 0)
                                return (int)n;
                        if (n == 0) {
                                if (!in->member_open)
                                        return 0;
                                fail(in, -EIO, "gzip data is truncated", NULL);
                                return -EIO;
                        }
                        zs->next_in = in->raw_buf;
                        zs->avail_in = (uInt)n;
                }
                if (!in->member_open) {
                        if (zs->avail_in == 0) {
                                in->out_full = false;
                                continue;
                        }
                        inflateReset(zs); /* concatenated members, as gzip -d accepts them */
                        in->member_open = true;
                }
                zs->next_out = in->dec_buf;
                zs->avail_out = BLOCK;
                int rc = inflate(zs, Z_NO_FLUSH);
                if (rc == Z_STREAM_END)
                        in->member_open = false;
                else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                        fail(in, -EIO,
                             "gzip data is corrupt: ", zs->msg ? zs->msg : "inflate failed");
                        return -EIO;
                }
                in->out_full = zs->avail_out == 0;
                in->out_len = BLOCK - zs->avail_out;
                if (in->out_len > 0)
                        return 1;
        }
}

static int refill_zstd(struct input *in)
{
        for (;;) {
                if (in->zin.pos == in->zin.size && !in->out_full) {
                        ssize_t n = read_raw(in, in->raw_buf, BLOCK);
                        if (n < 0)
                                return (int)n;
                        if (n == 0) {
                                if (in->zlast == 0)
                                        return 0;
                                fail(in, -EIO, "zstd data is truncated", NULL);
                                return -EIO;
                        }
                        in->zin = (ZSTD_inBuffer){in->raw_buf, (size_t)n, 0};
                }
                ZSTD_outBuffer zo = {in->dec_buf, BLOCK, 0};
                size_t r = ZSTD_decompressStream(in->zd, &zo, &in->zin);
                if (ZSTD_isError(r)) {
                        fail(in, -EIO, "zstd data is corrupt: ", ZSTD_getErrorName(r));
                        return -EIO;
                }
                in->zlast = r;
                in->out_full = zo.pos == zo.size;
                in->out_len = zo.pos;
                if (zo.pos > 0)
                        return 1;
        }
}

/* Makes out[out_pos..out_len) non-empty: 1, 0 at end of input, -errno. */
static int refill(struct input *in)
{
        if (in->fail_rc)
                return in->fail_rc;
        in->out_pos = 0;
        in->out_len = 0;
        switch (in->codec) {
        case CODEC_GZIP:
                return refill_gzip(in);
        case CODEC_ZSTD:
                return refill_zstd(in);
        default:
                return refill_plain(in);
        }
}

static int start_codec(struct input *in)
{
        const unsigned char *b = in->raw_buf;
        if (in->raw_len >= 2 && b[0] == 0x1f && b[1] == 0x8b) {
                in->codec = CODEC_GZIP;
                if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
                        return -ENOMEM;
                in->zs_init = true;
                in->zs.next_in = in->raw_buf;
                in->zs.avail_in = (uInt)in->raw_len;
                in->out = in->dec_buf;
        } else if (in->raw_len >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f &&
                   b[3] == 0xfd) {
                in->codec = CODEC_ZSTD;
                in->zd = ZSTD_createDCtx();
                if (!in->zd)
                        return -ENOMEM;
                in->zin = (ZSTD_inBuffer){in->raw_buf, in->raw_len, 0};
                in->zlast = 1;
                in->out = in->dec_buf;
        } else {
                in->codec = CODEC_PLAIN;
                in->out = in->raw_buf;
                in->out_len = in->raw_len;
        }
        return 0;
}

/* Reads enough bytes to see a magic number (pipes may deliver them piecemeal). */
static int sniff(struct input *in)
{
        while (in->raw_len < 4) {
                ssize_t n = read_raw(in, in->raw_buf + in->raw_len, BLOCK - in->raw_len);
                if (n < 0)
                        return (int)n;
                if (n == 0)
                        break;
                in->raw_len += (size_t)n;
        }
        return start_codec(in);
}

/* ---- lines ---- */

static void line_append(struct input *in, const unsigned char *p, size_t n)
{
        size_t room = sizeof in->line - 1 - in->line_len;
        if (n > room) {
                n = room;
                in->overlong = true; /* the rest is dropped: memory stays constant */
        }
        memcpy(in->line + in->line_len, p, n);
        in->line_len += n;
}

static void line_finish(struct input *in, bool append)
{
        if (!in->overlong && in->line_len > 0 && in->line[in->line_len - 1] == '\r')
                in->line_len--;
        if (in->line_len > DS_INPUT_LINE_MAX) {
                in->overlong = true;
                in->line_len = DS_INPUT_LINE_MAX;
        }
        in->line[in->line_len] = '\0';
        if (!append) {
                in->rec_line = in->lineno;
                in->skip = 0;
                if (in->lineno == 1 && in->line_len >= 3 &&
                    memcmp(in->line, "\xef\xbb\xbf", 3) == 0)
                        in->skip = 3;
        }
        in->cur = in->line + in->skip;
        in->cur_len = in->line_len - in->skip;
}

/* One physical line into line[] (after what is there when append): 1, 0 at end of input,
 * -errno. */
static int read_line(struct input *in, bool append)
{
        bool any = false;
        if (!append) {
                in->line_len = 0;
                in->overlong = false;
        }
        for (;;) {
                if (in->out_pos == in->out_len) {
                        int r = refill(in);
                        if (r < 0)
                                return r;
                        if (r == 0) {
                                if (!any)
                                        return 0;
                                break;
                        }
                }
                const unsigned char *p = in->out + in->out_pos;
                size_t avail = in->out_len - in->out_pos;
                const unsigned char *nl = memchr(p, '\n', avail);
                size_t take = nl ? (size_t)(nl - p) : avail;
                line_append(in, p, take);
                in->out_pos += take + (nl != NULL);
                any = true;
                if (nl)
                        break;
        }
        in->lineno++;
        line_finish(in, append);
        return 1;
}

/* True when a quoted field is still open at the end (same rules as csv_field). */
static bool quote_open(const char *s, size_t n)
{
        size_t i = 0;
        if (!memchr(s, '"', n))
                return false;
        for (;;) {
                while (i < n && ds_ascii_blank((unsigned char)s[i]))
                        i++;
                if (i < n && s[i] == '"') {
                        for (i++;; i++) {
                                if (i >= n)
                                        return true;
                                if (s[i] != '"')
                                        continue;
                                if (i + 1 < n && s[i + 1] == '"') {
                                        i++;
                                        continue;
                                }
                                i++;
                                break;
                        }
                }
                const char *c = i < n ? memchr(s + i, ',', n - i) : NULL;
                if (!c)
                        return false;
                i = (size_t)(c - s) + 1;
        }
}

/* RFC 4180 lets a quoted field span lines (spreadsheet notes columns do): the record goes on
 * until the quote closes, within the same line-length limit. */
static int join_quoted(struct input *in)
{
        while (!in->overlong && quote_open(in->cur, in->cur_len)) {
                line_append(in, (const unsigned char *)"\n", 1);
                int r = read_line(in, true);
                if (r <= 0)
                        return r;
        }
        return 1;
}

static bool is_csv(const struct input *in)
{
        return in->format == INPUT_CSV || in->format == INPUT_RANK;
}

static bool skippable(const char *p, size_t n)
{
        ds_trim(&p, &n);
        return n == 0 || p[0] == '#';
}

/* Next non-blank, non-comment line into cur/cur_len. */
static int next_data_line(struct input *in)
{
        if (in->pending) {
                in->pending = false;
                return 1;
        }
        for (;;) {
                int r = read_line(in, false);
                if (r <= 0)
                        return r;
                if (!skippable(in->cur, in->cur_len))
                        return is_csv(in) && join_quoted(in) < 0 ? in->fail_rc : 1;
        }
}

/* ---- CSV ---- */

/* Splits the field starting at *pos in place (RFC 4180 quotes, "" escapes); the result is
 * trimmed. Returns false when no field is left. join_quoted() has already merged the lines
 * of a multi-line field; a quote still open (record cut at the length limit, or at end of
 * input) runs to the end. */
static bool csv_field(char *s, size_t n, size_t *pos, bool *more, struct span *f)
{
        size_t i = *pos;
        if (i > n || (i == n && !*more))
                return false;
        while (i < n && ds_ascii_blank((unsigned char)s[i]))
                i++;
        char *w = s + i;
        f->p = w;
        if (i < n && s[i] == '"') {
                i++;
                while (i < n) {
                        if (s[i] == '"') {
                                if (i + 1 < n && s[i + 1] == '"') {
                                        *w++ = '"';
                                        i += 2;
                                        continue;
                                }
                                i++;
                                break;
                        }
                        *w++ = s[i++];
                }
        }
        const char *c = i < n ? memchr(s + i, ',', n - i) : NULL;
        size_t end = c ? (size_t)(c - s) : n;
        memmove(w, s + i, end - i); /* text after a closing quote is kept, leniently */
        w += end - i;
        f->n = (size_t)(w - f->p);
        const char *fp = f->p;
        ds_trim(&fp, &f->n);
        f->p = (char *)fp;
        *more = c != NULL;
        *pos = end + 1;
        return true;
}

/* Fields at indexes want[0..2] (-1: unused) into got[]; returns the field count seen. The
 * scan stops after the last wanted column unless one is missing. */
static long csv_pick(char *s, size_t n, const long want[3], struct span got[3])
{
        long last = -1, idx = 0;
        size_t pos = 0;
        bool more = true;
        struct span f;
        for (int k = 0; k < 3; k++) {
                got[k].p = NULL;
                if (want[k] > last)
                        last = want[k];
        }
        while (csv_field(s, n, &pos, &more, &f)) {
                for (int k = 0; k < 3; k++)
                        if (want[k] == idx)
                                got[k] = f;
                if (idx++ == last && got[0].p)
                        break;
        }
        return idx;
}

/* ---- sector interning ---- */

/* Interning runs on the reader thread mid-scan: out of memory aborts (common/check.h). */
static int intern(struct input *in, const char *p, size_t n, const char **out)
{
        if (n > DS_SECTOR_MAX)
                n = DS_SECTOR_MAX;
        if (!in->sectors && strset_new(&in->sectors, 64) < 0)
                ds_oom("the sector table", 0);
        if (strset_count(in->sectors) >= SECTORS_MAX && !strset_contains(in->sectors, p, n)) {
                char num[32];
                snprintf(num, sizeof num, "%d", SECTORS_MAX);
                fail_line(in, in->rec_line, -E2BIG, "sector column has more distinct values than ",
                          num);
                return -E2BIG;
        }
        *out = strset_intern(in->sectors, p, n);
        if (!*out)
                ds_oom("a sector name", n);
        return 0;
}

/* ---- items ---- */

static void set_raw(struct input_item *it, const char *p, size_t n)
{
        if (n > DS_INPUT_RAW_MAX)
                n = DS_INPUT_RAW_MAX;
        memcpy(it->raw, p, n);
        it->raw[n] = '\0';
}

static void illegal(struct input_item *it, const char *reason)
{
        it->status = INPUT_ITEM_ILLEGAL;
        it->domain[0] = '\0';
        snprintf(it->error, sizeof it->error, "%s", reason);
}

static void fill_domain(struct input_item *it, const char *p, size_t n)
{
        struct domain_verdict v;
        ds_trim(&p, &n);
        set_raw(it, p, n);
        if (domain_normalize(p, n, it->domain, sizeof it->domain, &v) < 0) {
                it->status = INPUT_ITEM_ILLEGAL;
                it->domain[0] = '\0';
                domain_verdict_text(&v, it->error, sizeof it->error);
        }
}

static void parse_list(struct input *in, struct input_item *it)
{
        const char *p = in->cur;
        size_t n = in->cur_len;
        ds_trim(&p, &n);
        if (memchr(p, ' ', n) || memchr(p, '\t', n)) {
                set_raw(it, p, n);
                illegal(it, "spaces inside the name (one domain per line expected)");
                return;
        }
        fill_domain(it, p, n);
}

static int parse_row(struct input *in, struct input_item *it)
{
        const long want[3] = {in->dom_col, in->sec_col, in->rank_col};
        struct span got[3];
        const char *line = in->cur;
        size_t len = in->cur_len;
        ds_trim(&line, &len);
        set_raw(it, line, len); /* before csv_pick edits the line: shown when a column is missing */
        long nf = csv_pick(in->cur, in->cur_len, want, got);
        if (!got[0].p) {
                snprintf(it->error, sizeof it->error, "no column %ld (row has %ld fields)",
                         in->dom_col + 1, nf);
                it->status = INPUT_ITEM_ILLEGAL;
                return 0;
        }
        /* The sector travels as a C string: it ends at a NUL byte, and a cell that is empty
         * up to there has no sector (rather than an empty one). */
        size_t sector_len = got[1].p ? strnlen(got[1].p, got[1].n) : 0;
        if (sector_len > 0) {
                int r = intern(in, got[1].p, sector_len, &it->sector);
                if (r < 0)
                        return r;
        }
        if (got[2].p)
                it->rank = parse_pos_int(got[2].p, got[2].n);
        fill_domain(it, got[0].p, got[0].n);
        if (in->format == INPUT_RANK && it->rank < 0 && it->status == INPUT_ITEM_OK)
                illegal(it, "rank is not a positive integer");
        return 0;
}

static void item_reset(struct input *in, struct input_item *it)
{
        it->line = in->rec_line;
        it->rank = -1;
        it->status = INPUT_ITEM_OK;
        it->domain[0] = '\0';
        it->raw[0] = '\0';
        it->raw_differs = false;
        it->sector = NULL;
        it->error[0] = '\0';
}

int input_next(struct input *in, struct input_item *item)
{
        if (in->fail_rc)
                return in->fail_rc;
        int r = next_data_line(in);
        if (r <= 0)
                return r;
        item_reset(in, item);
        if (in->overlong) {
                const char *p = in->cur;
                size_t n = in->cur_len;
                ds_trim(&p, &n);
                set_raw(item, p, n);
                snprintf(item->error, sizeof item->error, "line longer than %d bytes",
                         DS_INPUT_LINE_MAX);
                item->status = INPUT_ITEM_ILLEGAL;
        } else if (in->format == INPUT_LIST) {
                parse_list(in, item);
        } else if ((r = parse_row(in, item)) < 0) {
                /* parse_row says why it failed; an error without a reason would end the
                 * input silently */
                if (ds_fails(in->fail_rc != 0))
                        fail_line(in, in->rec_line, r, "cannot parse the row", NULL);
                return r;
        }
        item->raw_differs = strcmp(item->raw, item->domain) != 0;
        in->rows++;
        return 1;
}

/* ---- header and format detection ---- */

static void list_columns(struct span *cols, long n, char *buf, size_t cap)
{
        size_t used = strlen(buf);
        for (long i = 0; i < n && used + 1 < cap; i++) {
                int w = snprintf(buf + used, cap - used, "%s\"%.*s\"", i ? ", " : "",
                                 (int)cols[i].n, cols[i].p);
                if (w < 0)
                        break;
                used += (size_t)w;
        }
}

/* NAME (case-insensitive) or a 1-based number; -1 when absent. */
static long find_column(struct span *cols, long n, const char *spec)
{
        size_t len = strlen(spec);
        const char *p = spec;
        ds_trim(&p, &len);
        for (long i = 0; i < n; i++)
                if (ieq(cols[i].p, cols[i].n, p, len))
                        return i;
        int64_t v = parse_pos_int(p, len);
        return (v > 0 && v <= COLUMN_NUMMAX) ? (long)(v - 1) : -1;
}

static long first_named(struct span *cols, long n, const char *const *names, size_t nnames)
{
        for (long i = 0; i < n; i++)
                for (size_t k = 0; k < nnames; k++)
                        if (ieq(cols[i].p, cols[i].n, names[k], strlen(names[k])))
                                return i;
        return -1;
}

static int unknown_column(struct input *in, struct span *cols, long n, const char *what,
                          const char *spec)
{
        snprintf(in->err, sizeof in->err, "line %llu: no %s column \"%s\" in the header; columns: ",
                 (unsigned long long)in->rec_line, what, spec);
        list_columns(cols, n, in->err, sizeof in->err);
        in->fail_rc = -EINVAL;
        return -EINVAL;
}

static int resolve_columns(struct input *in, const struct input_config *cfg, struct span *cols,
                           long n)
{
        in->dom_col = 0;
        if (cfg->domain_column) {
                in->dom_col = find_column(cols, n, cfg->domain_column);
                if (in->dom_col < 0)
                        return unknown_column(in, cols, n, "domain", cfg->domain_column);
        } else {
                long c = first_named(cols, n, DOMAIN_HEADERS, COUNT(DOMAIN_HEADERS));
                in->dom_col = c >= 0 ? c : 0;
        }
        if (cfg->sector_column) {
                in->sec_col = find_column(cols, n, cfg->sector_column);
                if (in->sec_col < 0)
                        return unknown_column(in, cols, n, "sector", cfg->sector_column);
        }
        in->rank_col = first_named(cols, n, RANK_HEADERS, COUNT(RANK_HEADERS));
        if (in->rank_col == in->dom_col)
                in->rank_col = -1;
        return 0;
}

static int parse_header(struct input *in, const struct input_config *cfg)
{
        if (in->overlong) {
                fail_line(in, in->rec_line, -EINVAL, "CSV header line is too long", NULL);
                return -EINVAL;
        }
        long cap = 1;
        for (size_t i = 0; i < in->cur_len; i++)
                cap += in->cur[i] == ',';
        struct span *cols = malloc((size_t)cap * sizeof *cols);
        if (!cols)
                return -ENOMEM;
        long n = 0;
        size_t pos = 0;
        bool more = true;
        while (n < cap && csv_field(in->cur, in->cur_len, &pos, &more, &cols[n]))
                n++;
        int r = resolve_columns(in, cfg, cols, n);
        free(cols);
        return r;
}

/* Numbers only: a headerless file has no names to match. */
static int numeric_column(struct input *in, const char *spec, const char *what, long *col)
{
        if (!spec)
                return 0;
        size_t len = strlen(spec);
        int64_t v = parse_pos_int(spec, len);
        if (v <= 0 || v > COLUMN_NUMMAX) {
                snprintf(in->err, sizeof in->err,
                         "%s column \"%s\": a headerless rank list takes column numbers only", what,
                         spec);
                in->fail_rc = -EINVAL;
                return -EINVAL;
        }
        *col = (long)(v - 1);
        return 0;
}

static enum input_format guess(struct input *in, const struct input_config *cfg)
{
        if (cfg->domain_column || cfg->sector_column)
                return INPUT_CSV;
        if (in->overlong)
                return INPUT_LIST;
        const char *p = in->cur;
        size_t n = in->cur_len;
        ds_trim(&p, &n);
        if (!memchr(p, ',', n)) {
                /* a one-column CSV: its header would be an illegal single-label name anyway */
                for (size_t k = 0; k < COUNT(DOMAIN_HEADERS); k++)
                        if (ieq(p, n, DOMAIN_HEADERS[k], strlen(DOMAIN_HEADERS[k])))
                                return INPUT_CSV;
                return INPUT_LIST;
        }
        struct span f;
        size_t pos = 0;
        bool more = true;
        char first[32];
        size_t fl = (size_t)((const char *)memchr(p, ',', n) - p);
        if (fl >= sizeof first)
                return INPUT_CSV;
        memcpy(first, p, fl); /* csv_field edits in place: work on a copy */
        csv_field(first, fl, &pos, &more, &f);
        return ds_ascii_all_digits(f.p, f.n) ? INPUT_RANK : INPUT_CSV;
}

static int detect(struct input *in, const struct input_config *cfg)
{
        int r = next_data_line(in);
        if (r < 0)
                return r;
        in->format = cfg->format != INPUT_AUTO ? cfg->format : INPUT_LIST;
        if (r == 0)
                return 0;
        in->pending = true;
        if (cfg->format == INPUT_AUTO)
                in->format = guess(in, cfg);
        if (is_csv(in) && (r = join_quoted(in)) < 0)
                return r;
        switch (in->format) {
        case INPUT_CSV:
                in->pending = false;
                return parse_header(in, cfg);
        case INPUT_RANK:
                in->rank_col = 0;
                in->dom_col = 1;
                if (numeric_column(in, cfg->domain_column, "domain", &in->dom_col) < 0)
                        return -EINVAL;
                return numeric_column(in, cfg->sector_column, "sector", &in->sec_col);
        default:
                if (cfg->domain_column || cfg->sector_column) {
                        snprintf(in->err, sizeof in->err,
                                 "domain and sector columns need CSV or rank input, not a list");
                        in->fail_rc = -EINVAL;
                        return -EINVAL;
                }
                return 0;
        }
}

/* ---- open/close ---- */

static int open_fd(struct input *in, const char *path, char *err, size_t errlen)
{
        struct stat st;
        if (!path || strcmp(path, "-") == 0) {
                in->fd = STDIN_FILENO;
        } else {
                in->fd = open(path, O_RDONLY | O_CLOEXEC);
                if (in->fd < 0) {
                        int e = errno;
                        snprintf(err, errlen, "%s: %s", path, strerror(e));
                        return -e;
                }
                in->own_fd = true;
        }
        if (fstat(in->fd, &st) == 0 && S_ISREG(st.st_mode))
                __atomic_store_n(&in->total, (uint64_t)st.st_size, __ATOMIC_RELAXED);
        return 0;
}

int input_open(struct input **out, const char *path, const struct input_config *cfg, char *err,
               size_t errlen)
{
        static const struct input_config defaults = {INPUT_AUTO, NULL, NULL};
        struct input *in = calloc(1, sizeof *in);
        *out = NULL;
        if (!in) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        in->fd = -1;
        sha256_init(&in->sha);
        in->sec_col = -1;
        in->rank_col = -1;
        int r = open_fd(in, path, err, errlen);
        if (r == 0) {
                r = sniff(in);
                if (r == 0)
                        r = detect(in, cfg ? cfg : &defaults);
                if (r < 0)
                        snprintf(err, errlen, "%s: %s", path && strcmp(path, "-") ? path : "stdin",
                                 in->err[0] ? in->err : strerror(-r));
        }
        if (r < 0) {
                input_close(in);
                return r;
        }
        *out = in;
        return 0;
}

const char *input_error(const struct input *in)
{
        return in->err;
}

void input_progress(const struct input *in, uint64_t *done, uint64_t *total)
{
        *done = __atomic_load_n(&in->done, __ATOMIC_RELAXED);
        *total = __atomic_load_n(&in->total, __ATOMIC_RELAXED);
}

enum input_format input_format_of(const struct input *in)
{
        return in->format;
}

const char *input_format_name(enum input_format f)
{
        static const char *const names[] = {"auto", "list", "rank", "csv"};
        return (unsigned)f < 4 ? names[f] : "?";
}

uint64_t input_rows(const struct input *in)
{
        return in->rows;
}

bool input_sha256(const struct input *in, char hex[65])
{
        uint8_t d[SHA256_DIGEST_SIZE];
        struct sha256_ctx copy = in->sha; /* the digest resets its context */
        hex[0] = 0;
        if (!in->at_end || in->fail_rc)
                return false;
        sha256_digest(&copy, sizeof(d), d);
        for (size_t i = 0; i < sizeof(d); i++)
                snprintf(hex + 2 * i, 3, "%02x", d[i]);
        return true;
}

void input_close(struct input *in)
{
        if (!in)
                return;
        if (in->own_fd)
                close(in->fd);
        if (in->zs_init)
                inflateEnd(&in->zs);
        ZSTD_freeDCtx(in->zd);
        strset_free(in->sectors);
        free(in);
}

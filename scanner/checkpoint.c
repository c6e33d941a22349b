/* checkpoint.c -- the durable-item set, the checkpoint file and the scan's identity. */
#include "scanner/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "common/check.h"

#define MAGIC         "dmarcscan-checkpoint 1"
#define HEAD_BYTES    (1024 * 1024) /* hashed of each input: cheap, catches a swapped file */
#define LOAD_MAX      (512u * 1024 * 1024)
#define HOLES_PER_ROW 16
#define ALL_ONES      UINT64_MAX

/* ---- the set ---- */

void ckpt_set_init(struct ckpt_set *s)
{
        memset(s, 0, sizeof(*s));
}

void ckpt_set_free(struct ckpt_set *s)
{
        free(s->w);
        memset(s, 0, sizeof(*s));
}

static bool bit(const struct ckpt_set *s, uint64_t seq)
{
        uint64_t k = seq - s->origin;
        return (s->w[k / 64] >> (k % 64)) & 1;
}

static void grow_to(struct ckpt_set *s, size_t nw)
{
        if (nw > s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 16;
                if (cap < nw)
                        cap = nw;
                s->w = ds_xrealloc(s->w, cap * sizeof(*s->w), "the checkpoint's item set");
                s->cap = cap;
        }
        memset(s->w + s->nw, 0, (nw - s->nw) * sizeof(*s->w));
        s->nw = nw;
}

/* Move base over members; drop whole words below it now and then (not at every step: the
 * set mostly grows by one at its base). */
static void advance(struct ckpt_set *s)
{
        while (s->base < s->top) {
                uint64_t k = s->base - s->origin;
                if (k % 64 == 0 && s->w[k / 64] == ALL_ONES) {
                        s->base += 64;
                        continue;
                }
                if (!bit(s, s->base))
                        break;
                s->base++;
        }
        size_t drop = (size_t)((s->base - s->origin) / 64);
        if (drop >= s->nw || drop >= 64) {
                if (drop > s->nw)
                        drop = s->nw;
                memmove(s->w, s->w + drop, (s->nw - drop) * sizeof(*s->w));
                s->nw -= drop;
                s->origin += (uint64_t)drop * 64;
        }
}

bool ckpt_set_add(struct ckpt_set *s, uint64_t seq)
{
        if (seq < s->base)
                return false;
        uint64_t k = seq - s->origin;
        if (k / 64 >= s->nw)
                grow_to(s, (size_t)(k / 64 + 1));
        uint64_t m = (uint64_t)1 << (k % 64);
        if (s->w[k / 64] & m)
                return false;
        s->w[k / 64] |= m;
        s->count++;
        if (seq >= s->top)
                s->top = seq + 1;
        if (seq == s->base)
                advance(s);
        return true;
}

bool ckpt_set_has(const struct ckpt_set *s, uint64_t seq)
{
        if (seq < s->base)
                return true;
        if (seq >= s->top)
                return false;
        return bit(s, seq);
}

/* The first non-member at or after from (top when none below it). */
static uint64_t next_hole(const struct ckpt_set *s, uint64_t from)
{
        if (from < s->base)
                from = s->base;
        while (from < s->top) {
                uint64_t k = from - s->origin;
                uint64_t free_bits = ~s->w[k / 64] >> (k % 64);
                if (free_bits) {
                        uint64_t seq = from + (uint64_t)__builtin_ctzll(free_bits);
                        return seq < s->top ? seq : s->top;
                }
                from += 64 - k % 64;
        }
        return s->top;
}

uint64_t ckpt_set_holes(const struct ckpt_set *s, uint64_t *out, size_t max)
{
        size_t n = 0;
        for (uint64_t h = next_hole(s, s->base); h < s->top && n < max; h = next_hole(s, h + 1))
                out[n++] = h;
        return s->top - s->count;
}

int ckpt_set_load(struct ckpt_set *s, uint64_t base, uint64_t top, const uint64_t *holes,
                  size_t nholes)
{
        if (top < base || nholes > top - base)
                return -EINVAL;
        for (size_t i = 0; i < nholes; i++)
                if (holes[i] < base || holes[i] >= top || (i && holes[i] <= holes[i - 1]))
                        return -EINVAL;
        ckpt_set_free(s);
        s->origin = base & ~(uint64_t)63;
        s->base = s->top = base;
        s->count = base;
        if (top > base) {
                grow_to(s, (size_t)((top - 1 - s->origin) / 64 + 1));
                for (uint64_t q = s->origin; q < top; q++) /* below base: members too */
                        s->w[(q - s->origin) / 64] |= (uint64_t)1 << ((q - s->origin) % 64);
                for (size_t i = 0; i < nholes; i++) {
                        uint64_t k = holes[i] - s->origin;
                        s->w[k / 64] &= ~((uint64_t)1 << (k % 64));
                }
                s->top = top;
                s->count = top - nholes;
                advance(s);
        }
        return 0;
}

int ckpt_set_copy(struct ckpt_set *dst, const struct ckpt_set *src)
{
        *dst = *src;
        dst->w = NULL;
        dst->cap = src->nw;
        if (src->nw) {
                dst->w = malloc(src->nw * sizeof(*dst->w));
                if (!dst->w)
                        return -ENOMEM;
                memcpy(dst->w, src->w, src->nw * sizeof(*dst->w));
        }
        return 0;
}

/* ---- the checkpoint ---- */

int checkpoint_init(struct checkpoint *c, const char *path, const char *ident)
{
        memset(c, 0, sizeof(*c));
        c->path = strdup(path);
        c->ident = strdup(ident);
        if (!c->path || !c->ident) {
                checkpoint_free(c);
                return -ENOMEM;
        }
        return 0;
}

void checkpoint_free(struct checkpoint *c)
{
        free(c->path);
        free(c->ident);
        ckpt_set_free(&c->done);
        memset(c, 0, sizeof(*c));
}

char *checkpoint_path_for(const char *output)
{
        size_t n = strlen(output);
        char *p = malloc(n + sizeof(CHECKPOINT_SUFFIX));
        if (p) {
                memcpy(p, output, n);
                memcpy(p + n, CHECKPOINT_SUFFIX, sizeof(CHECKPOINT_SUFFIX));
        }
        return p;
}

static int write_all(int fd, const char *p, size_t n)
{
        while (n > 0) {
                ssize_t w = write(fd, p, n);
                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0)
                        return w < 0 ? -errno : -EIO;
                p += w;
                n -= (size_t)w;
        }
        return 0;
}

/* The directory entry of a rename is only durable once the directory is synced. */
static int sync_dir_of(const char *path)
{
        const char *slash = strrchr(path, '/');
        char dir[4096];
        if (!slash)
                snprintf(dir, sizeof(dir), ".");
        else
                snprintf(dir, sizeof(dir), "%.*s", (int)(slash == path ? 1 : slash - path), path);
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int rc = fsync(fd) < 0 ? -errno : 0;
        close(fd);
        return rc;
}

static int replace_file(const char *path, const char *text, size_t len)
{
        char tmp[4200];
        if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
                return -ENAMETOOLONG;
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
                return -errno;
        int rc = write_all(fd, text, len);
        if (rc == 0 && fsync(fd) < 0)
                rc = -errno;
        if (close(fd) < 0 && rc == 0)
                rc = -errno;
        if (rc == 0 && rename(tmp, path) < 0)
                rc = -errno;
        if (rc < 0) {
                unlink(tmp);
                return rc;
        }
        return sync_dir_of(path);
}

static void put_holes(FILE *m, const struct ckpt_set *s)
{
        unsigned col = 0;
        for (uint64_t h = next_hole(s, s->base); h < s->top; h = next_hole(s, h + 1)) {
                fprintf(m, "%s%" PRIu64, col ? " " : "", h);
                if (++col == HOLES_PER_ROW) {
                        fputc('\n', m);
                        col = 0;
                }
        }
        if (col)
                fputc('\n', m);
}

int checkpoint_save(struct checkpoint *c)
{
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
                return -ENOMEM;
        const struct ckpt_set *s = &c->done;
        fprintf(m, MAGIC "\n%s", c->ident);
        fprintf(m,
                "state %s\noffset %" PRIu64 "\nlines %" PRIu64 "\nbase %" PRIu64 "\ntop %" PRIu64
                "\nholes %" PRIu64 "\n",
                c->complete ? "complete" : "running", c->offset, s->count, s->base, s->top,
                s->top - s->count);
        put_holes(m, s);
        if (fclose(m) != 0) {
                free(text);
                return -ENOMEM;
        }
        char tail[32];
        int tn = snprintf(tail, sizeof(tail), "crc %08lx\n", crc32(0, (const Bytef *)text, len));
        char *all = realloc(text, len + (size_t)tn + 1);
        if (!all) {
                free(text);
                return -ENOMEM;
        }
        memcpy(all + len, tail, (size_t)tn + 1);
        int rc = replace_file(c->path, all, len + (size_t)tn);
        free(all);
        if (rc < 0)
                snprintf(c->err, sizeof(c->err), "cannot write the checkpoint %s: %s", c->path,
                         strerror(-rc));
        return rc;
}

/* ---- loading ---- */

static int read_small_file(const char *path, char **out, size_t *len)
{
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        struct stat st;
        int rc = fstat(fd, &st) < 0 ? -errno : 0;
        if (rc == 0 && (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > LOAD_MAX))
                rc = -EINVAL;
        char *buf = rc == 0 ? malloc((size_t)st.st_size + 1) : NULL;
        if (rc == 0 && !buf)
                rc = -ENOMEM;
        size_t got = 0;
        while (rc == 0 && got < (size_t)st.st_size) {
                ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r <= 0)
                        rc = r < 0 ? -errno : -EIO;
                else
                        got += (size_t)r;
        }
        close(fd);
        if (rc < 0) {
                free(buf);
                return rc;
        }
        buf[got] = '\0';
        *out = buf;
        *len = got;
        return 0;
}

/* The text before the "crc" line, if the CRC matches it. */
static bool crc_ok(const char *text, size_t len, size_t *body)
{
        if (len < 2 || text[len - 1] != '\n')
                return false;
        const char *last = memrchr(text, '\n', len - 1);
        size_t start = last ? (size_t)(last - text) + 1 : 0;
        unsigned long want;
        char extra;
        if (sscanf(text + start, "crc %8lx%c", &want, &extra) != 2 || extra != '\n')
                return false;
        *body = start;
        return crc32(0, (const Bytef *)text, (uInt)start) == want;
}

/* "KEY N\n" at *p: the number, *p moved past the line. */
static int take_number(char **p, const char *key, uint64_t *v)
{
        size_t kl = strlen(key);
        if (strncmp(*p, key, kl) != 0 || (*p)[kl] != ' ')
                return -EINVAL;
        char *end;
        errno = 0;
        *v = strtoull(*p + kl + 1, &end, 10);
        if (errno || end == *p + kl + 1 || *end != '\n')
                return -EINVAL;
        *p = end + 1;
        return 0;
}

static int take_holes(char **p, uint64_t n, uint64_t **out)
{
        uint64_t *h = malloc((n ? n : 1) * sizeof(*h));
        if (!h)
                return -ENOMEM;
        for (uint64_t i = 0; i < n; i++) {
                char *end;
                while (**p == ' ' || **p == '\n')
                        (*p)++;
                errno = 0;
                h[i] = strtoull(*p, &end, 10);
                if (errno || end == *p) {
                        free(h);
                        return -EINVAL;
                }
                *p = end;
        }
        if (n && **p == '\n')
                (*p)++;
        *out = h;
        return 0;
}

static int parse_state(struct checkpoint *c, char *p)
{
        uint64_t offset, lines, base, top, nholes, *holes = NULL;
        bool complete = strncmp(p, "state complete\n", 15) == 0;
        if (!complete && strncmp(p, "state running\n", 14) != 0)
                return -EINVAL;
        p = strchr(p, '\n') + 1;
        if (take_number(&p, "offset", &offset) < 0 || take_number(&p, "lines", &lines) < 0 ||
            take_number(&p, "base", &base) < 0 || take_number(&p, "top", &top) < 0 ||
            take_number(&p, "holes", &nholes) < 0 || top < base || nholes > top - base ||
            lines != top - nholes)
                return -EINVAL;
        int rc = take_holes(&p, nholes, &holes);
        if (rc == 0 && *p != '\0')
                rc = -EINVAL;
        if (rc == 0)
                rc = ckpt_set_load(&c->done, base, top, holes, (size_t)nholes);
        free(holes);
        c->offset = offset;
        c->complete = complete;
        return rc;
}

int checkpoint_load(struct checkpoint *c, const char *path, char *err, size_t errlen)
{
        char *text = NULL;
        size_t len = 0, body = 0;
        memset(c, 0, sizeof(*c));
        int rc = read_small_file(path, &text, &len);
        if (rc == -ENOENT)
                return rc;
        if (rc < 0) {
                snprintf(err, errlen, "cannot read the checkpoint %s: %s", path, strerror(-rc));
                return rc;
        }
        rc = -EINVAL;
        char *state = NULL;
        if (crc_ok(text, len, &body) && strncmp(text, MAGIC "\n", sizeof(MAGIC)) == 0) {
                text[body] = '\0';
                state = strstr(text, "\nstate ");
        }
        if (state) {
                /* the identity lines run from after the magic line to the newline before
                 * "state", that newline included */
                size_t il = (size_t)(state + 1 - text) - sizeof(MAGIC);
                c->path = strdup(path);
                c->ident = malloc(il + 1);
                if (c->path && c->ident) {
                        memcpy(c->ident, text + sizeof(MAGIC), il);
                        c->ident[il] = '\0';
                        rc = parse_state(c, state + 1);
                } else {
                        rc = -ENOMEM;
                }
        }
        free(text);
        if (rc < 0) {
                snprintf(err, errlen,
                         "the checkpoint %s is damaged or not a dmarcscan checkpoint; remove it "
                         "and start afresh without --resume",
                         path);
                checkpoint_free(c);
        }
        return rc;
}

/* ---- identity ---- */

static void put_escaped(FILE *m, const char *s)
{
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
                if (*p <= 0x20 || *p == '%' || *p >= 0x7f)
                        fprintf(m, "%%%02X", *p);
                else
                        fputc(*p, m);
        }
}

static void put_line(FILE *m, const char *key, const char *value)
{
        fprintf(m, "%s ", key);
        if (value)
                put_escaped(m, value);
        fputc('\n', m);
}

/* Size, modification time and a CRC of the first HEAD_BYTES of a regular file. */
static int file_print(FILE *m, const char *key, const char *path, char *err, size_t errlen)
{
        struct stat st;
        unsigned char *buf = NULL;
        ssize_t n = 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        int e = fd < 0 ? errno : 0;
        if (!e && fstat(fd, &st) < 0)
                e = errno;
        if (!e && !S_ISREG(st.st_mode))
                e = ESPIPE;
        if (!e && !(buf = malloc(HEAD_BYTES)))
                e = ENOMEM;
        if (!e && (n = pread(fd, buf, HEAD_BYTES, 0)) < 0)
                e = errno;
        if (fd >= 0)
                close(fd);
        if (e) {
                free(buf);
                snprintf(err, errlen, "%s: %s", path,
                         e == ESPIPE ? "not a regular file, so it cannot be read again"
                                     : strerror(e));
                return -e;
        }
        unsigned long crc = crc32(0, buf, (uInt)n);
        free(buf);
        fprintf(m, "%s size=%lld mtime=%lld.%09ld head=%08lx\n", key, (long long)st.st_size,
                (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, crc);
        return 0;
}

static int put_inputs(FILE *m, const struct scan_config *cfg, char *err, size_t errlen)
{
        fprintf(m, "inputs %u\n", cfg->ninputs);
        for (unsigned i = 0; i < cfg->ninputs; i++) {
                char key[48];
                const char *path = cfg->inputs[i];
                if (strcmp(path, "-") == 0) {
                        snprintf(err, errlen, "reading stdin: only input files can be resumed");
                        return -ESPIPE;
                }
                snprintf(key, sizeof(key), "input.%u", i + 1);
                put_line(m, key, path);
                snprintf(key, sizeof(key), "input.%u.file", i + 1);
                int rc = file_print(m, key, path, err, errlen);
                if (rc < 0)
                        return rc;
        }
        return 0;
}

/* Only what changes what a line says: how hard or fast to ask (-c, --timeout, --retries,
 * --rate, resolvers, threads) may change between runs, e.g. to go easier on a resolver. */
static int put_options(FILE *m, const struct scan_config *cfg, const char *psl, char *err,
                       size_t errlen)
{
        put_line(m, "option.format", input_format_name(cfg->input.format));
        put_line(m, "option.domain-column", cfg->input.domain_column);
        put_line(m, "option.sector-column", cfg->input.sector_column);
        char checks[128] = "";
        for (unsigned i = 0, used = 0; i < cfg->checks.n && used < sizeof(checks); i++)
                used += (unsigned)snprintf(checks + used, sizeof(checks) - used, "%s%s",
                                           i ? "," : "", cfg->checks.ops[i]->name);
        put_line(m, "option.checks", checks);
        put_line(m, "option.profile", cfg->profile.ops ? cfg->profile.ops->name : NULL);
        if (cfg->dkim_selectors) /* only when given: earlier checkpoints stay resumable */
                put_line(m, "option.dkim-selectors", cfg->dkim_selectors);
        if (cfg->mta_sts_policy) /* the same: only when given */
                put_line(m, "option.mta-sts-policy", "yes");
        put_line(m, "option.discovery", discovery_mode_name(cfg->discovery));
        /* Written when on (the default since 2026-12-03): a checkpoint of an earlier scan,
         * which asked every receiver's name, is resumed with --no-report-cut. */
        if (cfg->report_cut)
                put_line(m, "option.report-cut", "yes");
        put_line(m, "option.psl", psl);
        put_line(m, "option.no-tcp", cfg->tcp ? "no" : "yes");
        put_line(m, "option.details", cfg->details ? "yes" : "no");
        if (check_set_find(&cfg->checks, "dnssec") >= 0) /* the probe decides "unknown" */
                put_line(m, "option.dnssec-probe", cfg->dnssec_probe);
        char shard[64];
        snprintf(shard, sizeof(shard), "%u/%u seed %llu", cfg->shard.index, cfg->shard.count,
                 (unsigned long long)cfg->shard.seed);
        put_line(m, "option.shard", shard);
        put_line(m, "option.exclude", cfg->exclude);
        if (cfg->exclude)
                return file_print(m, "option.exclude.file", cfg->exclude, err, errlen);
        return 0;
}

int checkpoint_ident(char **out, const struct scan_config *cfg, const char *psl, char *err,
                     size_t errlen)
{
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (!m)
                return -ENOMEM;
        int rc = put_inputs(m, cfg, err, errlen);
        if (rc == 0)
                rc = put_options(m, cfg, psl, err, errlen);
        put_line(m, "output", cfg->output);
        if (fclose(m) != 0 && rc == 0)
                rc = -ENOMEM;
        if (rc < 0) {
                free(text);
                return rc;
        }
        *out = text;
        return 0;
}

/* One "key value" line at *p: key and value spans; *p moves to the next line. */
static bool next_pair(const char **p, const char **key, size_t *kl, const char **val, size_t *vl)
{
        if (!**p)
                return false;
        const char *nl = strchr(*p, '\n');
        size_t n = nl ? (size_t)(nl - *p) : strlen(*p);
        const char *sp = memchr(*p, ' ', n);
        *key = *p;
        *kl = sp ? (size_t)(sp - *p) : n;
        *val = sp ? sp + 1 : *p + n;
        *vl = n - (size_t)(*val - *p);
        *p += n + (nl != NULL);
        return true;
}

static void say_difference(const char *key, size_t kl, const char *was, size_t wl, const char *now,
                           size_t nl, char *why, size_t len)
{
        int k = (int)kl, w = (int)wl, n = (int)nl;
        const char *none = "(not given)";
        if (!wl)
                was = none, w = (int)strlen(none);
        if (!nl)
                now = none, n = (int)strlen(none);
        if (kl == 6 && strncmp(key, "inputs", 6) == 0)
                snprintf(why, len,
                         "the checkpoint is of a scan of %.*s input file(s), this one "
                         "reads %.*s",
                         w, was, n, now);
        else if (kl > 5 && strncmp(key + kl - 5, ".file", 5) == 0)
                snprintf(why, len,
                         "%.*s changed since the checkpoint was written (then %.*s, now "
                         "%.*s)",
                         k - 5, key, w, was, n, now);
        else if (kl > 7 && strncmp(key, "option.", 7) == 0)
                snprintf(why, len, "--%.*s was %.*s when the checkpoint was written, now %.*s",
                         k - 7, key + 7, w, was, n, now);
        else
                snprintf(why, len, "%.*s was %.*s when the checkpoint was written, now %.*s", k,
                         key, w, was, n, now);
}

/* Whether text has a line whose key is key[0, kl). */
static bool has_key(const char *text, const char *key, size_t kl)
{
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, key, kl) == 0 && (p[kl] == ' ' || p[kl] == '\n' || !p[kl]))
                        return true;
        return false;
}

/* Keys differ where a line is written only when an option is on (option.dkim-selectors,
 * option.mta-sts-policy, option.report-cut): say which option, when one side has that
 * line and the other none at all. */
static bool say_missing_option(const char *saved, const char *current, const char *ka, size_t kal,
                               const char *kb, size_t kbl, char *why, size_t len)
{
        if (kbl > 7 && strncmp(kb, "option.", 7) == 0 && !has_key(saved, kb, kbl)) {
                bool cut = kbl == 17 && strncmp(kb + 7, "report-cut", 10) == 0;
                snprintf(why, len, "%.*s is on now but was not when the checkpoint was written%s",
                         (int)kbl - 7, kb + 7,
                         cut ? " (a checkpoint of a scan from before December 2026 resumes "
                               "with --no-report-cut)"
                             : "");
                return true;
        }
        if (kal > 7 && strncmp(ka, "option.", 7) == 0 && !has_key(current, ka, kal)) {
                snprintf(why, len, "%.*s was on when the checkpoint was written, and is not now",
                         (int)kal - 7, ka + 7);
                return true;
        }
        return false;
}

int checkpoint_same_scan(const char *saved, const char *current, char *why, size_t len)
{
        const char *a = saved, *b = current, *ka = NULL, *kb = NULL, *va = NULL, *vb = NULL;
        size_t kal = 0, kbl = 0, val = 0, vbl = 0; /* next_pair sets them when it returns true */
        for (;;) {
                bool more_a = next_pair(&a, &ka, &kal, &va, &val);
                bool more_b = next_pair(&b, &kb, &kbl, &vb, &vbl);
                if (!more_a && !more_b)
                        return 0;
                if (more_a != more_b || kal != kbl || memcmp(ka, kb, kal) != 0) {
                        if (more_a && more_b &&
                            say_missing_option(saved, current, ka, kal, kb, kbl, why, len))
                                return -EINVAL;
                        snprintf(why, len,
                                 "the checkpoint was written by another version of "
                                 "dmarcscan or for a different scan");
                        return -EINVAL;
                }
                if (val != vbl || memcmp(va, vb, val) != 0) {
                        say_difference(ka, kal, va, val, vb, vbl, why, len);
                        return -EINVAL;
                }
        }
}

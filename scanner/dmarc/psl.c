/* psl.c -- libpsl wrapper: load once, then read-only lookups, the plain names answered from
 * the same list's hash table (suffixes.h) and the rest by libpsl. */
#include "scanner/dmarc/psl.h"

#include "scanner/dmarc/suffixes.h"

#include <errno.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

#define PSL_HEAD_BYTES 8192 /* the VERSION line sits in the list's header comment */

struct ds_psl {
        psl_ctx_t *ctx;
        struct suffixes *fast; /* owned; NULL when the list is not a text file */
        char source[512];
        char date[64];
};

static void date_of_time(char *out, size_t cap, time_t t)
{
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, cap, "%Y-%m-%d", &tm);
}

/* Newer lists start with "// VERSION: 2024-06-19_12-34-56_UTC": prefer it to the mtime,
 * which a copy or a package install may have reset. */
static bool version_line(const char *path, char *out, size_t cap)
{
        static const char key[] = "// VERSION: ";
        char head[PSL_HEAD_BYTES + 1];
        FILE *f = fopen(path, "rb");
        if (!f)
                return false;
        size_t n = fread(head, 1, PSL_HEAD_BYTES, f);
        fclose(f);
        head[n] = 0;
        const char *v = strstr(head, key);
        if (!v)
                return false;
        v += sizeof(key) - 1;
        size_t len = strcspn(v, "\r\n");
        if (len == 0 || len >= cap)
                return false;
        memcpy(out, v, len);
        out[len] = 0;
        return true;
}

/* The distribution's .dafsa (Debian's default) has its text form beside it, from the same
 * package: both libpsl and the table read that, so that they read the same rules (a check
 * of a table from the .dat against libpsl on the .dafsa cannot see rules only the .dafsa
 * holds). It costs libpsl ~11 ms more at start than the .dafsa. */
static bool text_beside(const char *file, char *out, size_t cap)
{
        static const char ext[] = ".dafsa";
        size_t n = file ? strlen(file) : 0, e = sizeof(ext) - 1;
        if (n <= e || strcmp(file + n - e, ext) != 0 || n - e + 5 > cap)
                return false;
        snprintf(out, cap, "%.*s.dat", (int)(n - e), file);
        return access(out, R_OK) == 0;
}

/* The organizational domain of name whose public suffix starts at off: NULL when off is 0
 * (name is a suffix), else from the label before the suffix (name[off - 1] is its dot). */
static const char *org_at(const char *name, size_t off)
{
        if (off == 0)
                return NULL;
        size_t i = off - 1;
        while (i > 0 && name[i - 1] != '.')
                i--;
        return name + i;
}

/* Both read the same file; the table must also read it as libpsl does: names one and two
 * labels under AGREE_KEYS of its keys, spread over the table, get the same organizational
 * domain from both, else the table is dropped and libpsl answers alone (a custom list with
 * rule combinations the two read differently, such as an exception under a wildcard with a
 * longer rule below it). test_suffixes compares every rule of the system list. */
#define AGREE_KEYS 512
static bool key_agrees(const struct ds_psl *p, const char *key, size_t len)
{
        char name[300];
        size_t off;
        for (int depth = 1; depth <= 2; depth++) {
                int n = snprintf(name, sizeof(name), "%s%.*s", depth == 1 ? "x." : "y.x.", (int)len,
                                 key);
                if (n <= 0 || (size_t)n >= sizeof(name) ||
                    !suffixes_find(p->fast, name, (size_t)n, &off))
                        continue;
                if (psl_registrable_domain(p->ctx, name) != org_at(name, off))
                        return false;
        }
        return true;
}

static bool table_agrees(const struct ds_psl *p)
{
        const char *key;
        size_t len, keys = 0, stride = suffixes_count(p->fast) / AGREE_KEYS + 1;
        for (size_t i = 0; suffixes_key(p->fast, i, &key, &len); i++)
                if (len > 0 && keys++ % stride == 0 && !key_agrees(p, key, len))
                        return false;
        return true;
}

/* Plain names are answered from a hash table of the list's rules when the list is text. */
static void load_table(struct ds_psl *p, const char *file)
{
        if (suffixes_load(&p->fast, file) < 0) {
                p->fast = NULL; /* not a text list (a .dafsa): libpsl's alone */
                return;
        }
        if (!table_agrees(p)) {
                suffixes_free(p->fast);
                p->fast = NULL;
        }
}

static void describe_file(struct ds_psl *p, const char *path)
{
        struct stat st;
        snprintf(p->source, sizeof(p->source), "%s", path);
        if (version_line(path, p->date, sizeof(p->date)))
                return;
        if (stat(path, &st) == 0)
                date_of_time(p->date, sizeof(p->date), st.st_mtime);
        else
                snprintf(p->date, sizeof(p->date), "unknown");
}

int ds_psl_open(struct ds_psl **out, const char *path, char *err, size_t errlen)
{
        struct ds_psl *p = calloc(1, sizeof(*p));
        if (!p) {
                snprintf(err, errlen, "out of memory loading the public suffix list");
                return -ENOMEM;
        }
        const char *file = path ? path : psl_dist_filename();
        char dat[512];
        if (!path && text_beside(file, dat, sizeof(dat)))
                file = dat;
        if (file && *file) {
                p->ctx = psl_load_file(file);
                if (p->ctx) {
                        describe_file(p, file);
                        load_table(p, file);
                } else if (path) {
                        snprintf(err, errlen,
                                 "--psl-file %s: cannot load a public suffix list from it", path);
                        free(p);
                        return -EINVAL;
                }
        }
        if (!p->ctx) {
                /* No distribution file: libpsl's compiled-in copy, when it has one. */
                p->ctx = (psl_ctx_t *)psl_builtin();
                if (!p->ctx || psl_suffix_count(p->ctx) <= 0) {
                        snprintf(err, errlen,
                                 "no public suffix list: install the publicsuffix package or pass "
                                 "--psl-file FILE");
                        free(p);
                        return -ENOENT;
                }
                snprintf(p->source, sizeof(p->source), "builtin");
                date_of_time(p->date, sizeof(p->date), psl_builtin_file_time());
        }
        *out = p;
        return 0;
}

void ds_psl_close(struct ds_psl *p)
{
        if (!p)
                return;
        suffixes_free(p->fast);
        /* psl_free() ignores the built-in context, so this is safe for both. */
        psl_free(p->ctx);
        free(p);
}

const char *ds_psl_org(const struct ds_psl *p, const char *name)
{
        if (!p || !name || !*name)
                return NULL;
        size_t off;
        if (!suffixes_find(p->fast, name, strlen(name), &off))
                return psl_registrable_domain(p->ctx, name);
        return org_at(name, off);
}

bool ds_psl_is_suffix(const struct ds_psl *p, const char *name)
{
        if (!p || !name || !*name)
                return false;
        size_t off;
        if (suffixes_find(p->fast, name, strlen(name), &off))
                return off == 0;
        return psl_is_public_suffix2(p->ctx, name, PSL_TYPE_ANY) != 0;
}

bool ds_psl_fast(const struct ds_psl *p)
{
        return p && p->fast;
}

const char *ds_psl_source(const struct ds_psl *p)
{
        return p ? p->source : NULL;
}

const char *ds_psl_date(const struct ds_psl *p)
{
        return p ? p->date : NULL;
}

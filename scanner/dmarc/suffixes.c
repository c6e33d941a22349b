/* suffixes.c -- the PSL's ASCII rules in an open-addressing hash table (see suffixes.h).
 * Every suffix of every rule is a key ("a.b.c" also makes "b.c" and "c" keys, flagged as a
 * path only), so a lookup walks a name's labels from the right and stops at the first
 * suffix that is not a key: no longer rule can match past it. Keys are hashed (common/hash.h's
 * FNV-1a) from their last byte to their first, so the hash of a longer suffix continues the
 * shorter one's; slots are picked by the mixed hash, FNV's low bits alone being poor. */
#include "scanner/dmarc/suffixes.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/hash.h"

enum {
        SUF_PATH = 1,      /* some longer rule ends in this suffix */
        SUF_RULE = 2,      /* "this" */
        SUF_WILD = 4,      /* "*.this" */
        SUF_EXCEPTION = 8, /* "!this" */
};

struct slot {
        uint64_t hash;
        uint32_t off; /* into the arena */
        uint16_t len; /* 0: empty slot */
        uint8_t flags;
};

struct suffixes {
        struct slot *slots; /* owned; mask + 1 of them */
        size_t mask, used;
        char *arena; /* owned: the keys, back to back */
        size_t arena_len, arena_cap;
        size_t rules, skipped;
};

#define RULE_MAX 255 /* longer than any name: such a rule could never match */

static inline uint64_t rhash_step(uint64_t h, unsigned char c)
{
        return (h ^ c) * DS_FNV_PRIME;
}

/* The hash of s[0, n) read from its end, continuing h (the hash of what follows s). */
static uint64_t rhash(uint64_t h, const char *s, size_t n)
{
        while (n > 0)
                h = rhash_step(h, (unsigned char)s[--n]);
        return h;
}

static const struct slot *find(const struct suffixes *s, uint64_t h, const char *key, size_t n)
{
        for (size_t i = ds_hash_mix(h) & s->mask;; i = (i + 1) & s->mask) {
                const struct slot *e = &s->slots[i];
                if (e->len == 0)
                        return NULL;
                if (e->hash == h && e->len == n && memcmp(s->arena + e->off, key, n) == 0)
                        return e;
        }
}

static struct slot *probe_free(struct slot *slots, size_t mask, uint64_t h)
{
        size_t i = ds_hash_mix(h) & mask;
        while (slots[i].len != 0)
                i = (i + 1) & mask;
        return &slots[i];
}

static int grow_table(struct suffixes *s)
{
        size_t cap = s->slots ? (s->mask + 1) * 2 : 4096;
        struct slot *slots = calloc(cap, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; s->slots && i <= s->mask; i++)
                if (s->slots[i].len != 0)
                        *probe_free(slots, cap - 1, s->slots[i].hash) = s->slots[i];
        free(s->slots);
        s->slots = slots;
        s->mask = cap - 1;
        return 0;
}

static int keep_key(struct suffixes *s, const char *key, size_t n, uint32_t *off)
{
        if (n > s->arena_cap - s->arena_len) {
                size_t cap = s->arena_cap ? s->arena_cap * 2 : 65536;
                while (cap - s->arena_len < n)
                        cap *= 2;
                if (cap > UINT32_MAX)
                        return -EFBIG;
                char *a = realloc(s->arena, cap);
                if (!a)
                        return -ENOMEM;
                s->arena = a;
                s->arena_cap = cap;
        }
        memcpy(s->arena + s->arena_len, key, n);
        *off = (uint32_t)s->arena_len;
        s->arena_len += n;
        return 0;
}

/* Adds flags to key, inserting it when new. */
static int mark(struct suffixes *s, const char *key, size_t n, uint8_t flags)
{
        uint64_t h = rhash(DS_FNV_OFFSET, key, n);
        struct slot *e = (struct slot *)find(s, h, key, n);
        if (e) {
                e->flags |= flags;
                return 0;
        }
        if ((s->used + 1) * 2 > s->mask + 1) {
                int rc = grow_table(s);
                if (rc < 0)
                        return rc;
        }
        uint32_t off;
        int rc = keep_key(s, key, n, &off);
        if (rc < 0)
                return rc;
        *probe_free(s->slots, s->mask, h) = (struct slot){h, off, (uint16_t)n, flags};
        s->used++;
        return 0;
}

/* One rule: flags on the rule's own key, a path mark on each shorter suffix of it. */
static int add_rule(struct suffixes *s, const char *key, size_t n, uint8_t flags)
{
        int rc = mark(s, key, n, flags);
        for (size_t i = 0; rc == 0 && i < n; i++)
                if (key[i] == '.')
                        rc = mark(s, key + i + 1, n - i - 1, SUF_PATH);
        return rc;
}

static bool plain_byte(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* A rule line: the first word (the list's format), comments and blank lines skipped.
 * Returns 0 (added or skipped), -EINVAL for a rule this table cannot hold. */
static int parse_line(struct suffixes *s, char *line)
{
        char *p = line + strspn(line, " \t\r\n");
        size_t n = strcspn(p, " \t\r\n");
        if (n == 0 || (n >= 2 && p[0] == '/' && p[1] == '/'))
                return 0;
        uint8_t flags = SUF_RULE;
        if (p[0] == '!') {
                flags = SUF_EXCEPTION;
                p++, n--;
        } else if (n >= 2 && p[0] == '*' && p[1] == '.') {
                /* libpsl reads "*.nom.br" as "nom.br" too (a suffix itself): so do we */
                flags = SUF_WILD | SUF_RULE;
                p += 2, n -= 2;
        }
        bool ascii = true;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c >= 0x80)
                        ascii = false;
                else if (c >= 'A' && c <= 'Z')
                        continue; /* kept as written: like libpsl's, it never matches a name */
                else if (c == '*' || c == 0 || (c != '.' && !plain_byte(c)))
                        return -EINVAL; /* "a.*.b", a NUL byte (a .dafsa), anything else */
        }
        if (!ascii) {
                s->skipped++;
                return 0;
        }
        if (n == 0 || n > RULE_MAX || p[0] == '.' || p[n - 1] == '.')
                return -EINVAL;
        for (size_t i = 1; i < n; i++)
                if (p[i] == '.' && p[i - 1] == '.')
                        return -EINVAL;
        s->rules++;
        return add_rule(s, p, n, flags);
}

int suffixes_load(struct suffixes **out, const char *path)
{
        *out = NULL;
        FILE *f = fopen(path, "rb");
        if (!f)
                return -errno;
        struct suffixes *s = calloc(1, sizeof(*s));
        int rc = s ? grow_table(s) : -ENOMEM;
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while (rc == 0 && (len = getline(&line, &cap, f)) >= 0)
                rc = memchr(line, 0, (size_t)len) ? -EINVAL : parse_line(s, line);
        if (rc == 0 && (ferror(f) || !feof(f)))
                rc = -EIO; /* getline's own allocation failing ends it early, feof unset */
        if (rc == 0 && s->rules == 0)
                rc = -EINVAL; /* an empty file, or nothing but comments */
        free(line);
        fclose(f);
        if (rc < 0) {
                suffixes_free(s);
                return rc;
        }
        *out = s;
        return 0;
}

void suffixes_free(struct suffixes *s)
{
        if (!s)
                return;
        free(s->slots);
        free(s->arena);
        free(s);
}

bool suffixes_key(const struct suffixes *s, size_t i, const char **key, size_t *len)
{
        if (!s || i > s->mask)
                return false;
        *key = s->arena + s->slots[i].off;
        *len = s->slots[i].len;
        return true;
}

size_t suffixes_count(const struct suffixes *s)
{
        return s->used;
}

size_t suffixes_rules(const struct suffixes *s)
{
        return s->rules;
}

size_t suffixes_skipped(const struct suffixes *s)
{
        return s->skipped;
}

/* Right to left, one label a step: the prevailing rule is an exception when one matches
 * (its suffix loses its leftmost label), else the longest match, else "*" (the last label).
 * Labels left of the last key are still checked, so that every name this answers for is
 * one libpsl would read the same way. */
bool suffixes_find(const struct suffixes *s, const char *name, size_t n, size_t *suffix_off)
{
        if (!s || n == 0)
                return false;
        uint64_t h = DS_FNV_OFFSET;
        size_t end = n, best = SIZE_MAX;
        bool walking = true, exception = false, wild_below = false;
        while (true) {
                size_t start = end;
                while (start > 0 && name[start - 1] != '.') {
                        unsigned char c = (unsigned char)name[start - 1];
                        if (!plain_byte(c))
                                return false;
                        h = rhash_step(h, c);
                        start--;
                }
                if (start == end || (end - start >= 4 && memcmp(name + start, "xn--", 4) == 0))
                        return false;
                if (best == SIZE_MAX)
                        best = start; /* the "*" rule: the last label */
                if (walking) {
                        if (wild_below)
                                best = start;
                        const struct slot *e = find(s, h, name + start, n - start);
                        wild_below = e && (e->flags & SUF_WILD);
                        if (e && (e->flags & SUF_EXCEPTION) && end < n) {
                                best = end + 1; /* the suffix less its leftmost label */
                                exception = true;
                        } else if (e && (e->flags & SUF_RULE)) {
                                best = start;
                        }
                        walking = e && !exception && (e->flags & (SUF_PATH | SUF_WILD));
                }
                if (start == 0)
                        break;
                h = rhash_step(h, '.');
                end = start - 1;
        }
        *suffix_off = best;
        return true;
}

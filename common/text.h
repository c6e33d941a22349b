/* text.h -- ASCII helpers shared by the record grammars (DMARC, SPF) and the input readers:
 * character classes, trimming and case folding that no locale changes, case-insensitive keyword
 * comparison, and the quoting of untrusted bytes inside an English sentence. Contract: pure
 * functions, no heap, thread-safe. Inputs are byte ranges (pointer and length, never
 * NUL-terminated) and may hold any byte. */
#ifndef DS_TEXT_H
#define DS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

static inline bool ds_ascii_alpha(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool ds_ascii_digit(unsigned char c)
{
        return c >= '0' && c <= '9';
}

/* A set of ASCII characters as two masks, one bit per character (0-63, 64-127): a grammar's
 * character class tested with a shift, where strchr over a string of the set's characters
 * made a call per byte. Build the masks with DS_CBIT. */
#define DS_CBIT(ch)     (1ull << ((unsigned)(ch)&63u))
#define DS_CSET_DIGITS  0x03ff000000000000ull /* '0'-'9', in the low mask */
#define DS_CSET_LETTERS 0x07fffffe07fffffeull /* 'A'-'Z', 'a'-'z', in the high mask */

static inline bool ds_ascii_in_set(unsigned char c, unsigned long long lo, unsigned long long hi)
{
        return c < 64 ? (lo >> c) & 1u : c < 128 && ((hi >> (c - 64)) & 1u);
}

/* Space or horizontal tab (RFC 5234 WSP). */
static inline bool ds_ascii_blank(unsigned char c)
{
        return c == ' ' || c == '\t';
}

/* Narrow (*p, *n) to leave out leading and trailing blanks. */
static inline void ds_trim(const char **p, size_t *n)
{
        while (*n > 0 && ds_ascii_blank((unsigned char)**p)) {
                (*p)++;
                (*n)--;
        }
        while (*n > 0 && ds_ascii_blank((unsigned char)(*p)[*n - 1]))
                (*n)--;
}

static inline unsigned char ds_ascii_lower(unsigned char c)
{
        return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* p[0..n) is one or more ASCII digits. */
static inline bool ds_ascii_all_digits(const char *p, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!ds_ascii_digit((unsigned char)p[i]))
                        return false;
        return true;
}

bool ds_ascii_ieq_rest(const char *p, size_t n, const char *lit);
/* p[0..n) equals the lower-case literal lit, ASCII letters compared without case. The first
 * byte is compared inline: the record grammars look their tag names up in lists with it. */
static inline bool ds_ascii_ieq(const char *p, size_t n, const char *lit)
{
        if (n == 0)
                return lit[0] == '\0';
        if (ds_ascii_lower((unsigned char)p[0]) != (unsigned char)lit[0])
                return false;
        return ds_ascii_ieq_rest(p + 1, n - 1, lit + 1);
}

/* s equals one of the strings of list (NULL-terminated). */
bool ds_listed(const char *const *list, const char *s);

/* dst = the n strings of parts one after the other, NUL-terminated, cut to cap - 1 bytes
 * (cap >= 1): snprintf("%s%s%s") without parsing a format, for names built per domain.
 * Returns the length written. */
size_t ds_concat(char *dst, size_t cap, const char *const *parts, size_t n);

/* Writes p[0..n) for a sentence into dst (cap bytes, NUL included, cap >= 8): printable
 * ASCII as is, other bytes and '"' and '\' as \xHH, shortened with "..." to fit.
 * Returns dst. */
const char *ds_snip(char *dst, size_t cap, const char *p, size_t n);

#endif

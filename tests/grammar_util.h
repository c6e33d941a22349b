/* grammar_util.h -- helpers shared by the record-grammar tests (test_dmarc.c, test_spf.c):
 * issue-code lists compared as multisets, and the escapes of the tests/data corpora.
 * Contract: header-only, static functions; include after <cmocka.h> (or, in a fuzz target,
 * tests/fuzz/asserts.h). */
#ifndef DS_TEST_GRAMMAR_UTIL_H
#define DS_TEST_GRAMMAR_UTIL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CODES_MAX 48 /* codes compared at most, on either side */

static inline int cmp_str(const void *a, const void *b)
{
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Splits a space-separated list into sorted words ("-" ignored); returns the count (at
 * most max). The words point into buf. */
static inline size_t split_codes(const char *list, char *buf, size_t cap, const char **out,
                                 size_t max)
{
        size_t n = 0;
        snprintf(buf, cap, "%s", list);
        for (char *tok = strtok(buf, " "); tok && n < max; tok = strtok(NULL, " "))
                if (strcmp(tok, "-") != 0)
                        out[n++] = tok;
        qsort(out, n, sizeof *out, cmp_str);
        return n;
}

/* Compares the n codes in got (reordered) with the space-separated want as multisets;
 * on a mismatch writes both into why. */
static inline bool same_codes(const char **got, size_t n, const char *want, char *why, size_t cap)
{
        const char *exp[CODES_MAX];
        char buf[1024];
        qsort(got, n, sizeof *got, cmp_str);
        size_t m = split_codes(want, buf, sizeof buf, exp, CODES_MAX);
        bool same = m == n;
        for (size_t i = 0; same && i < n; i++)
                same = strcmp(got[i], exp[i]) == 0;
        if (!same) {
                size_t o = (size_t)snprintf(why, cap, "want [%s] got [", want);
                for (size_t i = 0; i < n && o < cap; i++)
                        o += (size_t)snprintf(why + o, cap - o, "%s%s", i ? " " : "", got[i]);
                if (o < cap)
                        snprintf(why + o, cap - o, "]");
        }
        return same;
}

/* Fails unless s is NUL-terminated within cap and printable ASCII (non-empty unless
 * allow_empty). */
static inline void check_text(const char *s, size_t cap, bool allow_empty)
{
        size_t n = strnlen(s, cap);
        assert_true(n < cap);
        if (!allow_empty)
                assert_true(n > 0);
        for (size_t i = 0; i < n; i++)
                assert_true(s[i] >= 0x20 && s[i] < 0x7f);
}

/* Whether the space-separated list holds code. */
static inline bool code_in_list(const char *code, const char *list)
{
        char buf[1024];
        const char *words[CODES_MAX];
        size_t m = split_codes(list, buf, sizeof buf, words, CODES_MAX);
        for (size_t k = 0; k < m; k++)
                if (strcmp(words[k], code) == 0)
                        return true;
        return false;
}

/* Fails the test unless the file at path names every code as `code`. */
static inline void assert_codes_documented(const char *const *codes, const char *path)
{
        static char doc[65536];
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        size_t n = fread(doc, 1, sizeof doc - 1, f);
        doc[n] = '\0';
        fclose(f);
        for (const char *const *c = codes; *c; c++) {
                char needle[64];
                snprintf(needle, sizeof needle, "`%s`", *c);
                if (strstr(doc, needle) == NULL)
                        fail_msg("code %s is not documented in %s", *c, path);
        }
}

/* Decodes \r \n \t \\ \xHH in place; returns the length. */
static inline size_t unescape(char *s)
{
        size_t o = 0;
        for (size_t i = 0; s[i]; i++) {
                if (s[i] != '\\' || s[i + 1] == '\0') {
                        s[o++] = s[i];
                        continue;
                }
                char c = s[++i];
                if (c == 'x' && s[i + 1] && s[i + 2]) {
                        char hex[3] = {s[i + 1], s[i + 2], 0};
                        s[o++] = (char)strtol(hex, NULL, 16);
                        i += 2;
                } else {
                        s[o++] = c == 'r' ? '\r' : c == 'n' ? '\n' : c == 't' ? '\t' : c;
                }
        }
        s[o] = '\0';
        return o;
}

#endif

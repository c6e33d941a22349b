/* escape.c -- one walk over the text's code points; what each format does with the safe
 * ones is a table of replacements. */
#include "output/escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

enum format { F_HTML, F_MD, F_TERM };

/* The length of the valid UTF-8 sequence at s (1..4) with its code point, 0 if invalid
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
        static const uint32_t MIN[5] = {0, 0, 0x80, 0x800, 0x10000};
        size_t len = s[0] < 0x80             ? 1
                     : (s[0] & 0xe0) == 0xc0 ? 2
                     : (s[0] & 0xf0) == 0xe0 ? 3
                     : (s[0] & 0xf8) == 0xf0 ? 4
                                             : 0;
        if (len == 0 || len > n)
                return 0;
        uint32_t v = len == 1 ? s[0] : s[0] & (0x7f >> len);
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                v = v << 6 | (s[i] & 0x3f);
        }
        if (v < MIN[len] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return 0;
        *cp = v;
        return len;
}

static bool unsafe(uint32_t cp)
{
        return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || (cp >= 0x202a && cp <= 0x202e) ||
               (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || cp == 0xfeff;
}

/* What the format writes for an ASCII character that has a meaning in it; NULL: itself. */
static const char *special(enum format f, unsigned char c)
{
        switch (f) {
        case F_HTML:
                return c == '&'    ? "&amp;"
                       : c == '<'  ? "&lt;"
                       : c == '>'  ? "&gt;"
                       : c == '"'  ? "&quot;"
                       : c == '\'' ? "&#39;"
                                   : NULL;
        case F_MD: {
                static const char *const md[] = {
                    ['\\'] = "\\\\", ['`'] = "\\`", ['*'] = "\\*", ['_'] = "\\_",
                    ['<'] = "\\<",   ['>'] = "\\>", ['['] = "\\[", [']'] = "\\]",
                    ['|'] = "\\|",   ['&'] = "\\&", ['~'] = "\\~", ['#'] = "\\#"};
                return c < sizeof(md) / sizeof(md[0]) ? md[c] : NULL;
        }
        default:
                return c == '\\' ? "\\\\" : NULL;
        }
}

static void escape(struct jbuf *b, const char *text, size_t n, enum format f)
{
        const unsigned char *s = (const unsigned char *)text;
        char tmp[16];
        for (size_t i = 0; i < n;) {
                uint32_t cp = 0;
                size_t len = utf8_seq(s + i, n - i, &cp);
                if (len == 0 || (unsafe(cp) && (cp < 0x80 || len == 1))) {
                        snprintf(tmp, sizeof(tmp), "\\x%02x", s[i]);
                        jbuf_raw(b, tmp, 4);
                        i++;
                        continue;
                }
                if (unsafe(cp)) {
                        snprintf(tmp, sizeof(tmp), "\\u%04x", (unsigned)cp);
                        jbuf_raw(b, tmp, strlen(tmp));
                } else if (len == 1 && special(f, s[i])) {
                        const char *r = special(f, s[i]);
                        jbuf_raw(b, r, strlen(r));
                } else {
                        jbuf_raw(b, text + i, len);
                }
                i += len;
        }
}

void esc_html(struct jbuf *b, const char *s, size_t n)
{
        escape(b, s, n, F_HTML);
}

void esc_md(struct jbuf *b, const char *s, size_t n)
{
        escape(b, s, n, F_MD);
}

void esc_term(struct jbuf *b, const char *s, size_t n)
{
        escape(b, s, n, F_TERM);
}

void esc_cut(struct jbuf *b, esc_fn esc, const char *s, size_t max, const char *more)
{
        size_t n = strlen(s), keep = esc_prefix(s, n, max), mw = esc_width(more, strlen(more));
        if (keep == n) {
                esc(b, s, n);
                return;
        }
        esc(b, s, esc_prefix(s, n, max > mw ? max - mw : 0));
        jbuf_raw(b, more, strlen(more));
}

size_t esc_width(const char *s, size_t n)
{
        size_t w = 0;
        for (size_t i = 0; i < n; i++)
                w += ((unsigned char)s[i] & 0xc0) != 0x80;
        return w;
}

size_t esc_prefix(const char *s, size_t n, size_t cols)
{
        size_t w = 0, i = 0;
        for (; i < n; i++) {
                bool starts = ((unsigned char)s[i] & 0xc0) != 0x80;
                if (starts && w++ == cols)
                        break;
        }
        return i;
}

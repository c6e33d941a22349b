/* escape.h -- attacker-controlled text (names and record text from DNS, sector names from
 * the input) made safe for each of the report's formats. One module for all of them, so
 * that every format treats the same bytes as dangerous.
 * Contract: appends to the caller's buffer; never fails; the output is valid UTF-8 and
 * holds no control character. In every format, a byte that is not part of valid UTF-8, a
 * C0 or C1 control, DEL, and the bidirectional overrides and isolates (U+202A..U+202E,
 * U+2066..U+2069: they reorder what a reader sees) are written as visible text: "\xHH"
 * per byte, "\u202e" per code point.
 *   esc_html: also & < > " ' as character references: safe in HTML text, in a quoted
 *     attribute, and in SVG (XML) text and attributes;
 *   esc_md: also \ ` * _ < > [ ] | & ~ # preceded by a backslash: one table cell of
 *     CommonMark / GitHub Markdown, literal (no code span, link, emphasis, HTML, column);
 *   esc_term: also \ as "\\": what a terminal shows is the text, and nothing it obeys. */
#ifndef DS_ESCAPE_H
#define DS_ESCAPE_H

#include <stddef.h>

#include "output/json.h"

void esc_html(struct jbuf *b, const char *s, size_t n);
void esc_md(struct jbuf *b, const char *s, size_t n);
void esc_term(struct jbuf *b, const char *s, size_t n);

/* esc(b, s) of at most max code points of s: when s is longer, max - width(more) of them
 * and then more (an ellipsis), so that the whole takes at most max columns. */
typedef void (*esc_fn)(struct jbuf *b, const char *s, size_t n);
void esc_cut(struct jbuf *b, esc_fn esc, const char *s, size_t max, const char *more);

/* Columns the (escaped) text s takes on a terminal: one per code point. */
size_t esc_width(const char *s, size_t n);

/* The longest prefix of s, in bytes, of at most cols code points. */
size_t esc_prefix(const char *s, size_t n, size_t cols);

#endif

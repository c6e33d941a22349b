/* tags.h -- a "tag=value; tag=value" list (the tag-list of RFC 6376 3.2, and its copies in
 * RFC 8460 3, RFC 8461 3.1 and the BIMI draft), split into tags for the checks that read
 * such records (scanner/tlsrpt, scanner/mtasts, scanner/bimi, scanner/dkim).
 * Contract: tags_split() only splits: names and values are spans into the caller's text
 * (never copied, never NUL-terminated), with the white space around them trimmed; what a
 * name may be and what a value means is the caller's grammar. The text may hold any octet:
 * a span never reaches outside it. No allocation. */
#ifndef DS_TXTREC_TAGS_H
#define DS_TXTREC_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#define TAGS_MAX 24 /* tags kept per record; more make tags_split() say so */

struct tag {
        const char *name, *value;
        size_t name_len, value_len;
};

struct tag_list {
        struct tag tags[TAGS_MAX];
        unsigned n;
        bool no_equals;  /* a non-empty field without '=' */
        bool empty_name; /* a field "=value" */
        bool too_many;   /* over TAGS_MAX fields: the rest were not kept */
        const char *dup; /* the first name given twice (into the text), NULL none */
        size_t dup_len;
};

/* Split text[0..n) at ';' into tags; empty fields (";;", a trailing ';') are skipped. */
void tags_split(const char *text, size_t n, struct tag_list *out);

/* The tag named name (compared exactly: the grammars' tag names are case-sensitive), or
 * NULL. */
const struct tag *tags_find(const struct tag_list *t, const char *name);

/* The tag name is 1*(ALPHA / DIGIT / "_" / "-" / ".") up to 32 octets, starting with a
 * letter or digit (the extension names of RFC 8460 and RFC 8461). */
bool tags_name_ok(const char *p, size_t n);

/* Every octet of the value is printable ASCII other than ';' and '=' and space (the
 * extension values of RFC 8460 and RFC 8461: %x21-3A / %x3C / %x3E-7E). */
bool tags_value_ok(const char *p, size_t n);

#endif

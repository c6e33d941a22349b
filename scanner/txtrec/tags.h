/* tags.h -- a "tag=value; tag=value" list (the tag-list of RFC 6376 3.2, and its copies in
 * RFC 8460 3, RFC 8461 3.1 and the BIMI draft), split into tags for the checks that read
 * such records (scanner/tlsrpt, scanner/mtasts, scanner/bimi, scanner/dkim).
 * Contract: tags_split() only splits: names and values are spans into the caller's text
 * (never copied, never NUL-terminated), with the white space around them trimmed; what a
 * name may be and what a value means is the caller's grammar. The text may hold any octet:
 * a span never reaches outside it. Every tag is kept, in storage the list owns and reuses
 * from one split to the next (a reused list stops allocating; tags_free() releases it),
 * charged to the caller's byte budget: a tag it refuses is counted in dropped, never kept
 * silently. */
#ifndef DS_TXTREC_TAGS_H
#define DS_TXTREC_TAGS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/budget.h"

struct tag {
        const char *name, *value;
        size_t name_len, value_len;
};

struct tag_list {
        const struct tag *tags; /* n tags in order, in mem (valid until the next split) */
        unsigned n;
        unsigned dropped; /* tags the budget refused (not in tags) */
        bool no_equals;   /* a non-empty field without '=' */
        bool empty_name;  /* a field "=value" */
        const char *dup;  /* the first name given twice (into the text), NULL none */
        size_t dup_len;
        struct ds_vec mem, order; /* owned: struct tag; uint32_t, the duplicate search's */
};

/* Split text[0..n) at ';' into tags, charged to b; empty fields (";;", a trailing ';') are
 * skipped. */
void tags_split(const char *text, size_t n, struct tag_list *out, struct ds_budget *b);

/* The tag named name (compared exactly: the grammars' tag names are case-sensitive), or
 * NULL. */
const struct tag *tags_find(const struct tag_list *t, const char *name);

/* The tag name is 1*(ALPHA / DIGIT / "_" / "-" / ".") up to 32 octets, starting with a
 * letter or digit (the extension names of RFC 8460 and RFC 8461). */
bool tags_name_ok(const char *p, size_t n);

/* Every octet of the value is printable ASCII other than ';' and '=' and space (the
 * extension values of RFC 8460 and RFC 8461: %x21-3A / %x3C / %x3E-7E). */
bool tags_value_ok(const char *p, size_t n);

/* Release the list's storage; it may be split into again. */
void tags_free(struct tag_list *t);

#endif

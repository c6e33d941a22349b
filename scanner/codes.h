/* codes.h -- what each error, warning and reason code of the line means, as docs/ says it.
 * Contract: code_docs[] is generated at build time by scripts/gen-codes from the code tables
 * of docs/ (dmarc-grammar.md, verdicts.md, spf-grammar.md, spf.md, output.md, bod-18-01.md),
 * the single source of truth: the line carries codes only (the sentences with --details),
 * `dmarcscan explain` and the run metadata carry these explanations. One entry per (code,
 * where, kind), in the docs' order, then one whose code is NULL. tests/test_codes.c checks
 * that every code the checks can write has one. Read-only data: thread-safe. */
#ifndef DS_CODES_H
#define DS_CODES_H

#include "output/json.h"

struct code_doc {
        const char *code;  /* as in the line, e.g. "duplicate_tag" */
        const char *where; /* "dmarc record", "dmarc discovery", "spf record", "spf tree",
                            * "mx", "spoofable reason", "bod1801 unmet", "dnssec" */
        const char *kind;  /* "error", "warning", "reason", "unmet" or "value" (the member's
                            * own value: dnssec) */
        const char *field; /* the line's list holding it: "dmarc.errors", "spf.warnings", ...,
                            * "spoofable_reason", "bod1801.unmet", "dnssec" */
        const char *text;  /* the explanation, plain text, one paragraph */
};

extern const struct code_doc code_docs[];

/* The first entry for code at where (any where when NULL) of kind (any kind when NULL), or
 * NULL. */
const struct code_doc *code_doc_find(const char *code, const char *where, const char *kind);

/* Member key of w: an object {field: {code: explanation}} holding the fields whose line
 * member (the part before '.') is one of members (NULL-terminated), in the docs' order. A
 * code explained twice for one field (an SPF warning of the record and of an included
 * record) gets both explanations, each after its where. */
void codes_write(struct jw *w, const char *key, const char *const *members);

#endif

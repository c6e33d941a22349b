/* txtrec.h -- the part that the checks of one versioned TXT record at a fixed name share
 * (tls-rpt at _smtp._tls, mta-sts at _mta-sts, bimi at default._bimi): the lookup, the
 * records of the version picked from the reply, the issue codes, and the object's common
 * members. Each check keeps its own grammar and its own object.
 * Contract: txtrec_start() sets the lookup of "<prefix>.<domain>" TXT; txtrec_reply()
 * digests its reply (CNAMEs followed, as every check does); txtrec_read() rebuilds the
 * records from the reply kept in the lookup (scanner/mx/check.h says why that is safe) into
 * a per-thread struct txtrec, whose storage (text, records, the grammar's tags) grows once
 * and is reused. "Records" are the TXT records whose text starts with the version
 * ("v=TLSRPTv1", compared without case so that a miscased version is reported, not
 * ignored); the others are only counted. Every record is kept, and every tag of the one
 * the grammar reads, charged to the domain's byte budget (common/budget.h): past it a
 * record is counted in ndropped, a tag in the tags' dropped, and the object says
 * budget_exceeded (an error). */
#ifndef DS_TXTREC_TXTREC_H
#define DS_TXTREC_TXTREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/budget.h"
#include "output/json.h"
#include "scanner/check.h"
#include "scanner/lookup.h"
#include "scanner/txtrec/tags.h"

#define TXTREC_ISSUES_MAX 16 /* distinct codes noted: at least the longest code list */

struct txtrec_span {
        uint32_t off, len;
};

struct txtrec_issue {
        const char *code; /* static snake_case, from the check's code list */
        bool error;       /* in "errors" (else "warnings") */
};

struct txtrec {
        int status; /* the lookup's status */
        unsigned attempts, cname_hops;
        unsigned nrecords, nother;
        unsigned ndropped; /* records of the version the budget refused */
        char *text;        /* owned: joined strings */
        size_t cap;
        struct ds_vec recs;      /* owned: struct txtrec_span, the records into text */
        struct ds_budget budget; /* the domain's: records, tags, the grammar's lists */
        struct tag_list tags;    /* owned: the tags of the record the grammar reads */
        struct txtrec_issue issues[TXTREC_ISSUES_MAX];
        unsigned nissues;
        const char *const *codes; /* the check's code list, NULL-terminated */
        const char *version;      /* as the grammar writes it */
};

/* start(): the lookup of "<prefix>.<domain>" TXT is set (*status LOOKUP_PENDING), or the
 * name is too long to ask (*status LOOKUP_NAME_TOO_LONG, CHECK_DONE). */
enum check_step txtrec_ask(struct lookup *l, int16_t *status, const char *prefix,
                           const char *domain);

/* on_reply(): a CNAME's target is to be asked next (CHECK_QUERY), or *status is the
 * lookup's final status (MALFORMED for a reply that cannot be read). */
enum check_step txtrec_answer(struct lookup *l, int16_t *status);

/* The records of version ("": every TXT record) in the reply kept in l, for the lookup's
 * status. */
void txtrec_read(struct txtrec *t, int status, const struct lookup *l, const char *version,
                 const char *const *codes);

/* Where a reply is read from: the lookup that holds it (txtrec_src_of), or a copy a check
 * kept because it asked more after this lookup (mta-sts). */
struct txtrec_src {
        const uint8_t *pkt;
        size_t len;
        const uint8_t *owner; /* the final owner name sought, wire form */
        size_t owner_len;
        unsigned attempts, cname_hops;
};
struct txtrec_src txtrec_src_of(const struct lookup *l);
void txtrec_read_src(struct txtrec *t, int status, const struct txtrec_src *src,
                     const char *version, const char *const *codes);

/* Record i's text (i < nrecords) and its length. */
static inline const char *txtrec_text(const struct txtrec *t, unsigned i)
{
        return t->text + ((const struct txtrec_span *)t->recs.buf)[i].off;
}

static inline size_t txtrec_len(const struct txtrec *t, unsigned i)
{
        return ((const struct txtrec_span *)t->recs.buf)[i].len;
}

/* Note a code once (it must be one of t->codes). */
void txtrec_issue(struct txtrec *t, const char *code, bool error);

/* The one record the grammar reads: true with exactly one record ("version_case", an
 * error, when its version is not written as the grammar writes it); false with none, or with
 * several (then "multiple_records", an error: RFC 8460 3, RFC 8461 3.1 and the BIMI draft all treat
 * that as no record). A record the budget refused counts as one, and is "budget_exceeded". */
bool txtrec_single(struct txtrec *t);

/* The object's "valid": -1 (null: no record to judge), 0 or 1. */
int txtrec_valid(const struct txtrec *t);

/* "valid": null when there is no single record to judge, else whether no error was found. */
void txtrec_write_valid(struct jw *w, const struct txtrec *t);

/* "status" and "records" (opening the object key), and at the end "errors", "warnings",
 * "attempts" (closing it). */
void txtrec_write_head(struct jw *w, const char *key, const struct txtrec *t);
void txtrec_write_tail(struct jw *w, const struct txtrec *t);

/* Split a record's text into t->tags (charged to t's budget), noting the grammars' shared
 * errors: "syntax" (a field that is not tag=value), "duplicate_tag", and "budget_exceeded"
 * (tags the budget refused). */
const struct tag_list *txtrec_tags(struct txtrec *t, const char *text, size_t n);

/* The tags after the version that are not in known (NULL-terminated): with strict, each
 * must follow the extension grammar of RFC 8460 and RFC 8461 (else code, an error); without,
 * each is noted as code, a warning (tags receivers ignore). */
void txtrec_extensions(struct txtrec *t, const struct tag_list *tl, const char *const *known,
                       bool strict, const char *code);

/* What conclude() does first for these checks: the records of version in the reply kept
 * in l (for the state's status) into t, and f's status. Returns whether there is a single
 * record (record 0) for the grammar to parse. */
bool txtrec_conclude(struct txtrec *t, int status, const struct lookup *l, const char *version,
                     const char *const *codes, struct check_facts *f);

/* Release the storage (scratch_free); t may be read into again. */
void txtrec_free(struct txtrec *t);

#endif

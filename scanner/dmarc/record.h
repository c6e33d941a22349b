/* record.h -- DMARC policy record grammar (RFC 7489, RFC 9989): one TXT record in (its
 * character-strings already joined), tags, effective values, a verdict and issues out.
 * Contract: no DNS, no global state written: thread-safe, any number of parses may run at
 * once on distinct outputs. Reads exactly text[0..len): NUL, control and high bytes are
 * ordinary bytes (they make values invalid, never crash or stop the scan). Every result
 * field of *out is written on every call; what a record holds in any number (URIs, issues,
 * tag values) lives in out->mem, growable storage the record owns and reuses from one parse
 * to the next (a reused record stops allocating). Zero a record before its first parse and
 * release it with dmarc_record_free(). Nothing is dropped below the byte budget
 * (out->mem.budget, DS_DOMAIN_BUDGET unless set): past it a URI or an issue is counted in
 * *_dropped and over_budget is set, and the verdict is still that of the whole record. The
 * result does not point into text: it may be freed after the parse. Sentences are plain
 * printable ASCII: bytes of the record that are not are shown as \xHH.
 * docs/dmarc-grammar.md lists every issue code, its meaning and its RFC section; the codes
 * are stable and never reworded.
 *
 * Verdict: `valid` says whether a receiver would apply DMARC with this record (RFC 9989
 * 4.10.1, RFC 7489 6.6.3). `errors` hold why it would not (then valid is false),
 * `warnings` what is doubtful in a usable record. A code may appear in either list:
 * p_missing, p_invalid, sp_invalid and np_invalid are warnings when the record falls back
 * to p=none because rua holds a usable URI (`policy_fallback`), errors otherwise. When
 * `valid` is false the effective values are best-effort (defaults where unparsable) and
 * must not be reported as the domain's policy. */
#ifndef DS_DMARC_H
#define DS_DMARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/budget.h"
#include "dns/limits.h"

#define DMARC_MSG_MAX 160 /* one sentence, NUL included */
#define DMARC_FO_TEXT 8   /* "0:1:d:s" and NUL */

enum dmarc_policy { DMARC_POLICY_NONE = 0, DMARC_POLICY_QUARANTINE, DMARC_POLICY_REJECT };
enum dmarc_align { DMARC_ALIGN_RELAXED = 0, DMARC_ALIGN_STRICT };
enum dmarc_psd { DMARC_PSD_U = 0, DMARC_PSD_Y, DMARC_PSD_N };

/* Failure-reporting options (fo), as a bit set. */
#define DMARC_FO_0 0x1u
#define DMARC_FO_1 0x2u
#define DMARC_FO_D 0x4u
#define DMARC_FO_S 0x8u

/* Every tag the grammar knows; pct, rf and ri are RFC 7489 tags removed by RFC 9989. */
enum dmarc_tag {
        DMARC_TAG_V = 0,
        DMARC_TAG_P,
        DMARC_TAG_SP,
        DMARC_TAG_NP,
        DMARC_TAG_PSD,
        DMARC_TAG_T,
        DMARC_TAG_ADKIM,
        DMARC_TAG_ASPF,
        DMARC_TAG_FO,
        DMARC_TAG_RUA,
        DMARC_TAG_RUF,
        DMARC_TAG_PCT,
        DMARC_TAG_RF,
        DMARC_TAG_RI,
        DMARC_TAG_COUNT
};

/* One explicit tag as written (first occurrence when duplicated). */
struct dmarc_tag_seen {
        bool present;
        bool truncated;    /* the value was not kept: over the budget (then len is 0) */
        uint32_t position; /* 0-based index among the record's non-empty tag-specs */
        uint32_t len;      /* bytes in value (may contain NUL bytes: use len) */
        const char *value; /* in out->mem: surrounding SP/HTAB removed, NUL-terminated */
};

/* One kept reporting URI: a syntactically valid mailto: URI. Both strings are in the
 * record's storage (out->mem), valid until its next parse. */
struct dmarc_uri {
        const char *uri;            /* as written, without the "!size" suffix */
        const char *host;           /* the mailbox's domain: lower case, no trailing dot */
        uint64_t size_limit;        /* bytes of the obsolete "!10m" suffix; 0: none */
        uint32_t uri_off, host_off; /* the same, as offsets into mem.bytes (while parsing) */
};

struct dmarc_issue {
        const char *code;        /* static, lower-case snake_case, e.g. "duplicate_tag" */
        char msg[DMARC_MSG_MAX]; /* one English sentence; empty with no_sentences */
        /* The part of the text it is about, as written: the tag-spec (syntax, unknown_tag,
         * duplicate_tag) or the list item (uri_invalid, uri_unsupported_scheme); term_len 0
         * for the other codes (the record, or the tag the code names). */
        uint32_t term_off, term_len;
};

struct dmarc_record {
        bool valid;           /* usable: a receiver would apply DMARC with it */
        bool policy_fallback; /* p/sp/np missing or invalid, rua usable: acts as p=none */

        struct dmarc_tag_seen tags[DMARC_TAG_COUNT]; /* explicit known tags */
        unsigned tag_count;                          /* non-empty tag-specs, unknown included */

        /* Effective values, defaults filled in. */
        enum dmarc_policy p;  /* none when missing/invalid and policy_fallback */
        enum dmarc_policy sp; /* default: p */
        enum dmarc_policy np; /* default: sp (RFC 9989) */
        unsigned pct;         /* 0..100, default 100 (obsolete tag, still honoured by some) */
        bool testing;         /* t=y, default n */
        enum dmarc_align adkim, aspf; /* default relaxed */
        unsigned fo;                  /* DMARC_FO_* bits, default DMARC_FO_0 */
        char fo_text[DMARC_FO_TEXT];  /* flags in the order 0, 1, d, s ("1:d:s"); default "0" */
        enum dmarc_psd psd;           /* default u */
        uint32_t ri;                  /* seconds, default 86400 (obsolete tag) */

        const struct dmarc_uri *rua; /* every usable rua URI, in order (in mem) */
        unsigned rua_count;
        const struct dmarc_uri *ruf;
        unsigned ruf_count;
        unsigned uris_dropped; /* usable URIs refused by the budget (then over_budget) */

        const struct dmarc_issue *errors; /* in mem */
        unsigned error_count;
        unsigned errors_dropped; /* errors refused by the budget, not kept */
        const struct dmarc_issue *warnings;
        unsigned warning_count;
        unsigned warnings_dropped;
        bool over_budget; /* something was refused by the budget: lists are incomplete */

        /* Owned storage, kept between parses (reset, not freed): URIs, issues, and the bytes
         * of tag values, URIs and hosts. Not results: read the fields above. */
        struct dmarc_mem {
                struct ds_vec uris, errors, warnings, bytes;
                struct ds_budget budget; /* budget.limit may be set by the owner */
        } mem;
        /* Set by the owner, kept across parses: every issue's msg is left empty (its code
         * and term are kept). A scan without --details never writes the sentences, and
         * formatting them was 7 % of a record's parse. */
        bool no_sentences;
};

/* Releases what r->mem holds; r may be parsed again afterwards. */
void dmarc_record_free(struct dmarc_record *r);

/* Parses one DMARC record into out (zeroed before its first parse, or parsed before). text
 * may be NULL only when len is 0. Returns 0 when the record is usable (out->valid), 1 when
 * it is not (out->errors say why), -EINVAL when out is NULL or text is NULL with len > 0
 * (then *out, if any, is untouched). */
int dmarc_parse(const char *text, size_t len, struct dmarc_record *out);

/* "none", "quarantine", "reject"; "?" for a value outside the enum. */
const char *dmarc_policy_name(enum dmarc_policy p);
/* "r", "s"; "?" outside the enum. */
const char *dmarc_align_name(enum dmarc_align a);
/* "u", "y", "n"; "?" outside the enum. */
const char *dmarc_psd_name(enum dmarc_psd psd);
/* "v", "p", ... as written in records; NULL outside the enum. */
const char *dmarc_tag_name(enum dmarc_tag tag);

/* Every issue code dmarc_parse() can emit, NULL-terminated: for docs and coverage tests. */
extern const char *const dmarc_issue_codes[];

#endif

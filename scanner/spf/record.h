/* record.h -- SPF record grammar (RFC 7208): one TXT record in (its character-strings
 * already joined), its terms, what a receiver would evaluate and query next, a result and
 * issues out. No DNS: the include/redirect tree, void lookups and the lookup limits across
 * records are counted by the caller, from the targets listed here.
 * Contract: no DNS, no global state written: thread-safe, any number of parses may run at
 * once on distinct outputs. Reads exactly text[0..len): NUL, control and high bytes are
 * ordinary bytes (they make a term invalid, never crash or stop the scan). Every result
 * field of *out is written on every call; what a record holds in any number (terms,
 * targets, issues, the redirect's domain-spec) lives in out->mem, growable storage the
 * record owns and reuses from one parse to the next (a reused record stops allocating).
 * Zero a record before its first parse and release it with spf_record_free(). Nothing is
 * dropped below the byte budget (out->mem.budget, DS_DOMAIN_BUDGET unless set): past it a
 * term, target or issue is counted in *_dropped and over_budget is set, and the result, the
 * counts and the flags are still those of the whole record. Sentences are plain printable
 * ASCII: bytes of the record that are not are shown as \xHH. docs/spf-grammar.md lists
 * every issue code, its meaning and its RFC section; the codes are stable and never
 * reworded.
 *
 * Verdict: `result` is ok when a receiver would evaluate the record, permerror when the
 * record has a syntax error (RFC 7208 4.6, 12) or breaks a rule that makes it permerror
 * before any lookup (duplicate redirect/exp, RFC 7208 6), none when there is no record.
 * `errors` say why (then valid is false), `warnings` what is doubtful in a usable record.
 * Every syntax error is reported, not only the first; each names its term. When `valid`
 * is false the other fields are best effort. */
#ifndef DS_SPF_RECORD_H
#define DS_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/budget.h"
#include "dns/limits.h"

#define SPF_MSG_MAX      160 /* one sentence, NUL included */
#define SPF_TERM_TEXT    64  /* an issue's term as text, NUL included; longer ones end in "..." */
#define SPF_LONG_RECORD  450 /* bytes; longer records may not fit one UDP answer (RFC 7208 3.4) */
#define SPF_LOOKUP_LIMIT 10  /* DNS-querying terms per evaluation (RFC 7208 4.6.4) */
#define SPF_VOID_LIMIT   2   /* void lookups per evaluation (RFC 7208 4.6.4) */

enum spf_result { SPF_RESULT_NONE = 0, SPF_RESULT_OK, SPF_RESULT_PERMERROR, SPF_RESULT_TEMPERROR };

/* A mechanism's qualifier (RFC 7208 4.6.2); "+" when none is written. */
enum spf_qualifier { SPF_Q_PASS = 0, SPF_Q_FAIL, SPF_Q_SOFTFAIL, SPF_Q_NEUTRAL };

/* The record's first `all`, as the output's "all" field. */
enum spf_all { SPF_ALL_NONE = 0, SPF_ALL_PASS, SPF_ALL_FAIL, SPF_ALL_SOFTFAIL, SPF_ALL_NEUTRAL };

/* Whether mail that matches no mechanism passes or is neutral (+all, ?all, or no all and
 * no redirect, which RFC 7208 4.7 makes neutral): the policy authorizes anyone. */
enum spf_open {
        SPF_OPEN_NO = 0,  /* ends in -all or ~all */
        SPF_OPEN_YES,     /* ends in +all or ?all, or in nothing (neutral) */
        SPF_OPEN_REDIRECT /* decided by the redirect target's record */
};

enum spf_kind {
        SPF_ALL = 0,
        SPF_INCLUDE,
        SPF_A,
        SPF_MX,
        SPF_PTR,
        SPF_IP4,
        SPF_IP6,
        SPF_EXISTS,
        SPF_REDIRECT,
        SPF_EXP,
        SPF_UNKNOWN_MODIFIER,
        SPF_INVALID, /* a term with an error that names no known mechanism or modifier */
        SPF_KIND_COUNT
};

/* DNS types a receiver asks for a target (bits). A receiver asks A for an IPv4 client and
 * AAAA for an IPv6 one; for mx it then asks A or AAAA of each exchange (at most 10). */
#define SPF_QT_TXT  0x1u
#define SPF_QT_A    0x2u
#define SPF_QT_AAAA 0x4u
#define SPF_QT_MX   0x8u

/* One term of the record, the version excluded, in the order written. Offsets are into
 * the text given to spf_parse(), which the caller still owns. */
struct spf_term {
        enum spf_kind kind;
        enum spf_qualifier qualifier; /* mechanisms; SPF_Q_PASS for modifiers */
        bool has_spec;                /* a domain-spec (or modifier value) is written */
        bool macro;                   /* the domain-spec holds a macro-expand (%{..}, %%, %_, %-) */
        bool evaluated;            /* a receiver gets to it when nothing matches first: before the
                                      first all; redirect only when there is no all */
        bool has_cidr4, has_cidr6; /* a prefix length was written */
        uint8_t cidr4, cidr6;      /* ip4, a, mx: cidr4 (default 32); ip6, a, mx: cidr6 (128) */
        uint8_t addr[16];          /* ip4: the first 4 bytes; ip6: all 16 (network order) */
        uint32_t offset, len;      /* the term, qualifier included */
        uint32_t spec_offset, spec_len; /* domain-spec or modifier value, without cidr */
};

/* A name a receiver would query next, from an evaluated term without macros. */
struct spf_target {
        enum spf_kind kind; /* SPF_INCLUDE, SPF_REDIRECT, SPF_A, SPF_MX, SPF_EXISTS */
        unsigned qtypes;    /* SPF_QT_* */
        unsigned term;      /* index of the term in the record (>= term_count: not kept) */
        bool self;          /* no domain-spec: the domain being checked; name "" */
        const char *name;   /* in out->mem (or static ""): lower case, no trailing dot, at
                               most DS_NAME_MAX_TEXT bytes (RFC 7208 4.8) */
        uint32_t name_off;  /* the same, as an offset into mem.bytes (while parsing) */
};

struct spf_issue {
        const char *code;      /* static, lower-case snake_case, e.g. "cidr_invalid" */
        char msg[SPF_MSG_MAX]; /* one English sentence, quoting the term */
        int term; /* index of the term it is about (may be >= term_count); -1: the record */
        uint32_t offset, len;     /* that term's bytes in the text (0, 0 for the record) */
        char text[SPF_TERM_TEXT]; /* the term as written, printable ASCII (other bytes as
                                     \xHH), shortened; "" for the record */
};

struct spf_record {
        enum spf_result result;
        bool valid;            /* result == SPF_RESULT_OK */
        unsigned records;      /* spf_select(): SPF records among the TXTs; spf_parse(): 1
                                  when the text is an SPF record, else 0 */
        size_t selected;       /* spf_select(): index of the parsed TXT; 0 otherwise */
        enum spf_all all;      /* the first all's qualifier; NONE without all */
        enum spf_open open;    /* from this record alone */
        bool has_redirect;     /* a redirect modifier is written (even when ignored) */
        bool redirect_applies; /* ... and there is no all (RFC 7208 5.1, 6.1) */
        bool redirect_macro;
        const char *redirect; /* in out->mem: the domain-spec, whole, as written; lower case
                                 without a trailing dot when it has no macro. "" without a
                                 redirect, NULL when the budget refused it */
        bool has_exp;
        /* An evaluated ip4 or ip6 mechanism with the prefix /0 matches every client of its
         * family: with "+" they all pass (pass_all_mechanism), with "?" they are all neutral
         * (neutral_all_mechanism). The terms before it are not weighed. */
        bool everyone_pass, everyone_neutral;
        unsigned lookup_terms; /* evaluated DNS-querying terms: include, a, mx, ptr, exists,
                                  redirect (RFC 7208 4.6.4) */
        unsigned macro_terms;  /* evaluated terms whose domain-spec holds a macro */

        /* Every term, target and issue, in order, in out->mem (valid until the next parse);
         * *_dropped count those the budget refused: checked and counted, not kept. */
        const struct spf_term *terms;
        unsigned term_count;
        unsigned terms_dropped;
        const struct spf_target *targets;
        unsigned target_count;
        unsigned targets_dropped;
        const struct spf_issue *errors;
        unsigned error_count;
        unsigned errors_dropped;
        const struct spf_issue *warnings;
        unsigned warning_count;
        unsigned warnings_dropped;
        bool over_budget; /* something was refused by the budget: lists are incomplete */

        /* Owned storage, kept between parses (reset, not freed): terms, targets, issues, and
         * the bytes of target names and the redirect. Not results: read the fields above. */
        struct spf_mem {
                struct ds_vec terms, targets, errors, warnings, bytes;
                struct ds_budget budget; /* budget.limit may be set by the owner */
        } mem;
};

/* Releases what r->mem holds; r may be parsed again afterwards. */
void spf_record_free(struct spf_record *r);

/* One TXT string as published at a name (character-strings joined with no separator). */
struct spf_txt {
        const char *text;
        size_t len;
};

/* RFC 7208 4.5: a record begins with "v=spf1" (case-insensitive) followed by SP or the end.
 * text may be NULL only when len is 0. */
bool spf_is_record(const char *text, size_t len);

/* Parses one SPF record into out (zeroed before its first parse, or parsed before); terms
 * and issues keep offsets into text, which the caller still owns. Returns 0 when result is
 * ok, 1 otherwise (errors say why; a text that is not an SPF record gives result none and no
 * issue), -EINVAL when out is NULL, text is NULL with len > 0, or len > DS_TXT_MAX (then
 * *out, if any, is untouched). */
int spf_parse(const char *text, size_t len, struct spf_record *out);

/* RFC 7208 4.5 record selection among the n TXT strings at one name, then the parse of the
 * chosen one: no SPF record gives result none, more than one permerror (multiple_records,
 * nothing parsed), exactly one its spf_parse() (with `records` and `selected` set); out as
 * for spf_parse(). Returns as spf_parse(); -EINVAL also when txts is NULL with n > 0 or an
 * entry is invalid. */
int spf_select(const struct spf_txt *txts, size_t n, struct spf_record *out);

/* "ok", "none", "permerror", "temperror"; "?" outside the enum. */
const char *spf_result_name(enum spf_result r);
/* "pass", "fail", "softfail", "neutral"; NULL for SPF_ALL_NONE (the output's null). */
const char *spf_all_name(enum spf_all a);
/* "+", "-", "~", "?"; "?" outside the enum too. */
const char *spf_qualifier_text(enum spf_qualifier q);
/* "all", "include", ..., "redirect", "exp", "unknown", "invalid"; NULL outside the enum. */
const char *spf_kind_name(enum spf_kind k);

/* Every issue code spf_parse() and spf_select() can emit, NULL-terminated: for docs and
 * coverage tests. */
extern const char *const spf_issue_codes[];

#endif

/* check.h -- the SPF check (RFC 7208): a module of the job (scanner/check.h).
 * Contract: spf_check's hooks evaluate one domain's SPF policy as a receiver would for a
 * sender that matches nothing, one lookup at a time: TXT at the domain, then, depth first
 * in the order a receiver meets them, the TXT of every include and redirect target and the
 * names the a, mx and exists mechanisms name (A, MX, A), so that the DNS-lookup limit (10),
 * the void-lookup limit (2) and the MX-names limit (10) are counted across the whole tree
 * (RFC 7208 4.6.4). Terms with macros are counted, never expanded (no sender to expand
 * them with). Include loops are caught before they are asked. Targets that many domains
 * share are asked through the scan's shared answer cache (lookup.shared).
 * Evaluation stops at the first error that fixes the result (permerror, temperror).
 * docs/spf.md has the rules and every code.
 *
 * What a domain keeps between steps (struct spf_state, in the job) is small and inline: the
 * domain's own records' text and the tree's nodes with their names (a heap buffer only for
 * what outgrows them). The parsed records live in the scratch (one per classifier thread),
 * rebuilt from the held text when needed, their storage growing to the largest record seen
 * and reused. Nothing is capped: every SPF record of a reply and every term, target and
 * issue of a record is kept; what the parses of one domain's records hold at once (its own
 * record's and the target record being evaluated) is bounded by its byte budget
 * (common/budget.h, DS_DOMAIN_BUDGET), past which the line says budget_exceeded. The TXT
 * strings of a reply are bounded by the reply itself (64 KiB). */
#ifndef DS_SPF_CHECK_H
#define DS_SPF_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/check.h"
#include "scanner/spf/record.h"

/* Tree nodes per domain, the domain's TXT being node 0: every other node is the target of a
 * counted lookup term, and a record that takes the count past SPF_LOOKUP_LIMIT ends the
 * evaluation before its targets become nodes, so a tree never holds more. */
#define SPF_NODES_MAX (SPF_LOOKUP_LIMIT + 1)
/* Tree-level issues a domain can have at once (an exact count, checked: not a cap): each node
 * but the domain's own may carry each of its SPF_NODE_WARNINGS warning codes once (ptr_used,
 * macro, include_pass_all, pass_all_mechanism, neutral_all_mechanism), the evaluation stops
 * at its first error, and budget_exceeded. */
#define SPF_NODE_WARNINGS  5
#define SPF_TREE_ISSUES    ((SPF_NODES_MAX - 1) * SPF_NODE_WARNINGS + 2)
#define SPF_HELD_INLINE    384 /* the domain's own SPF TXT text kept inside the job */
#define SPF_NAMES_INLINE   256 /* tree node names kept inside the job */
#define SPF_MX_NAMES_LIMIT 10  /* MX records an mx mechanism may yield (RFC 7208 4.6.4) */

/* One node of the evaluation tree: the domain itself (node 0), or a name a term of an
 * evaluated record makes a receiver ask. */
struct spf_node {
        uint16_t name_off; /* into the names buffer; node 0: the domain (not stored) */
        uint8_t name_len;  /* 0 for node 0 */
        uint8_t kind;      /* enum spf_kind: SPF_INCLUDE, SPF_REDIRECT, SPF_A, SPF_MX,
                              SPF_EXISTS; SPF_ALL for node 0 */
        int8_t parent;     /* node whose record named it; -1 for node 0 */
        uint8_t depth;     /* 0 for node 0 */
        int16_t status;    /* lookup status; LOOKUP_PENDING: not asked */
        uint8_t result;    /* include/redirect: enum spf_result of its record */
        uint8_t answers;   /* a/mx/exists: RRs of the asked type (saturates at 255) */
        uint8_t order;     /* position in evaluation order (pre-order), 0 first */
        uint8_t qualifier; /* enum spf_qualifier of the term that named it */
        bool wide;         /* a:<name>/0 or exists:<name>: with an answer it matches every
                              (IPv4) client */
};

/* Every tree-level code spf_check writes (struct spf_tree_issue), NULL-terminated: for docs
 * and coverage tests (the domain record's own: spf_issue_codes). */
extern const char *const spf_tree_codes[];

/* A tree-level issue: about a node, by code (docs/spf.md). */
struct spf_tree_issue {
        const char *code; /* static snake_case */
        bool error;       /* in "errors" (else "warnings") */
        int8_t node;      /* the node it is about; -1 the tree */
};

/* The same as the job holds it between steps: the code by its index in spf_tree_codes. */
struct spf_tree_note {
        uint8_t code;
        bool error;
        int8_t node;
};

/* The check's result, in the classifier's scratch after conclude (and for profiles that
 * read it, scanner/profile/). */
struct spf_eval {
        int status;             /* the domain's own TXT lookup status */
        enum spf_result result; /* of the whole evaluation */
        enum spf_all all;       /* effective: the domain's record's, or along redirects */
        bool all_known;         /* all is known (the main path was evaluated) */
        bool permissive;        /* the effective policy passes or is neutral for anyone:
                                   +all, ?all, or no all, include_pass_all, or a mechanism
                                   matching everyone (only when all_known) */
        bool include_pass_all;  /* a +include's record ends in +all: anyone passes */
        bool everyone_pass;     /* a "+" mechanism matching every client of a family is
                                   reached by redirects and +includes: anyone passes */
        unsigned records;       /* SPF records at the domain */
        unsigned other_txt;     /* other TXT records at the domain */
        unsigned dns_lookups;   /* DNS-querying terms met, the whole tree */
        unsigned void_lookups;  /* NXDOMAIN or empty answers to a/mx/exists/include */
        unsigned attempts;      /* datagrams, every lookup of the check */
        bool parsed;            /* rec holds the domain's record */
        struct spf_record rec;  /* the domain's own record (when parsed) */
        struct spf_node nodes[SPF_NODES_MAX];
        unsigned nnodes;
        struct spf_tree_issue issues[SPF_TREE_ISSUES];
        unsigned nissues;
        const char *held_text; /* the domain's SPF TXT strings: [u16 n][n bytes]... */
        uint32_t held_len;
        const char *names; /* node names */
        size_t budget;     /* the domain's byte budget (for budget_exceeded's sentence) */
        /* Whose result this is (the state and the job's generation, job.h). */
        const void *for_state;
        uint32_t for_gen;
};

struct spf_scratch {
        struct spf_eval spf;
        struct spf_record tmp; /* a target's record while it is evaluated */
        /* The SPF records among the TXT strings of the reply being read, every one (joined
         * text in one growing buffer); the other TXT strings are only counted. */
        struct spf_txt *txts; /* owned: txts_cap bytes */
        size_t txts_cap;
        unsigned ntxt, ntxt_other;
        char *text; /* owned */
        size_t text_cap;
        /* The byte budget of one step of one domain: what the domain's own record holds, and
         * the record parsed in the step (budget.limit may be set by the owner). */
        struct ds_budget budget;
};

/* One domain's SPF check between steps. */
struct spf_state {
        uint8_t nnodes, cur, nstack, norder;
        uint8_t stack[SPF_NODES_MAX]; /* nodes still to ask, the next on top */
        uint8_t result;               /* enum spf_result so far */
        uint8_t all;                  /* enum spf_all, effective */
        bool all_known, permissive, include_pass_all;
        bool everyone_pass, everyone_neutral; /* pass_all_ and neutral_all_mechanism */
        uint16_t records;                     /* a 64 KiB reply holds fewer than 65,535 */
        uint16_t other_txt;
        uint16_t dns_lookups, void_lookups;
        uint32_t own_bytes; /* what the parse of the domain's own record holds (its budget) */
        uint8_t nissues;
        struct spf_tree_note issues[SPF_TREE_ISSUES];
        struct spf_node nodes[SPF_NODES_MAX];
        /* Node names: inline, then in names_big once they outgrow it. */
        uint16_t names_len, names_cap;
        char *names_big; /* owned */
        char names_inl[SPF_NAMES_INLINE];
        /* The domain's SPF TXT strings, [u16 n][n bytes] each. */
        uint32_t held_len, held_cap;
        char *held_big; /* owned */
        char held_inl[SPF_HELD_INLINE];
};

extern const struct check_ops spf_check;

#endif

/* check.h -- the DMARC check (RFC 7489, RFC 9989): a module of the job (scanner/check.h).
 * Contract: dmarc_check's hooks drive one domain's DMARC lookups, one at a time: _dmarc.<name>
 * TXT for each name of the discovery plan (scanner/dmarc/discovery.h), CNAMEs followed
 * within and across replies; then, only when the record that applies is a parent's and the
 * domain's existence is unknown, <domain> A (its NXDOMAIN selects np); then
 * <policy-domain>._report._dmarc.<host> TXT for every external report receiver (as many as
 * the record names: a 64 KiB record of distinct mailto: hosts can name about 4,400; the
 * per-domain budget, DS_DOMAIN_BUDGET, bounds them), each preceded, unless --no-report-cut,
 * by _report._dmarc.<host> TXT through the scan's shared cache, whose NXDOMAIN answers it
 * (RFC 8020). docs/verdicts.md has the rules.
 *
 * What a domain keeps between steps (struct dmarc_state, in the job) is small and inline:
 * per asked name a few numbers, and the one set of records that the verdict will report
 * (DS_HELD_INLINE bytes inline, a heap buffer only for longer ones), and the authorization
 * results (DS_AUTH_INLINE inline, a heap buffer for more). Parsed records, receivers and
 * record offsets live in the scratch (struct dmarc_scratch, one per classifier thread, its
 * storage growing to the largest domain seen and reused), rebuilt from the held text when
 * needed; what one domain puts there is bounded by its byte budget (common/budget.h), past
 * which the line says budget_exceeded. */
#ifndef DS_DMARC_CHECK_H
#define DS_DMARC_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/limits.h"
#include "scanner/check.h"
#include "scanner/dmarc/discovery.h"
#include "scanner/dmarc/record.h"
#include "scanner/dmarc/reparse.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/lookup.h"

#define DS_HELD_INLINE 512 /* held record text kept inside the job */
#define DS_AUTH_INLINE 8   /* authorization results kept inside the job; more on the heap */
/* Discovery-level errors and warnings a domain can have at once: one per walk step, then
 * non_dmarc_txt, org_domain_unknown, exists_unknown, dns_error and budget_exceeded (an
 * exact count, checked: not a cap). */
#define DS_DISC_ISSUES_MAX (DISCOVERY_WALK_MAX + 5)

enum dmarc_phase { PHASE_WALK = 0, PHASE_EXISTS, PHASE_AUTH, PHASE_DONE };

/* External report destination verification (RFC 7489 7.1, RFC 9989 aggregate reporting
 * section 3). */
enum auth_result {
        AUTH_NOT_NEEDED = 0, /* the receiver is in the policy domain's organization */
        AUTH_AUTHORIZED,     /* a TXT record starting with v=DMARC1 */
        AUTH_NOT_AUTHORIZED, /* NXDOMAIN, NODATA or no such TXT */
        AUTH_ERROR,          /* SERVFAIL, REFUSED, TIMEOUT, ... */
        AUTH_NOT_CHECKED,    /* --discovery exact, org unknown, or over the budget */
};

/* One asked _dmarc name. */
struct walk_step {
        int16_t status;   /* lookup status */
        uint16_t records; /* DMARC candidates (a 64 KiB reply holds fewer than 65,535) */
        uint8_t kind;     /* enum walk_kind */
        uint8_t hops;     /* CNAME links followed */
        uint16_t other;   /* TXT records that are not DMARC (saturates) */
};

/* One distinct rua/ruf host. host is in the parsed record's storage (result.rec), org in it
 * or in the domain: both valid until the record is parsed again. */
struct receiver {
        const char *host;
        const char *org;
        uint8_t uses;        /* 1: rua, 2: ruf */
        int8_t external;     /* enum tristate */
        uint8_t auth;        /* enum auth_result */
        bool auth_cut;       /* decided by _report._dmarc.<host>'s NXDOMAIN, not asked itself */
        int16_t auth_status; /* status of its lookup; LOOKUP_PENDING when not asked */
};

struct disc_issue {
        const char *code; /* static snake_case, listed in docs/verdicts.md */
        bool error;       /* in "errors" (else "warnings") */
        char msg[DMARC_MSG_MAX];
};

/* What the classifier found; lives in the classifier's scratch, reused for every job. */
/* Per-thread memo of Public Suffix List answers: report hosts repeat across millions of
 * domains (a few providers receive most reports), and one domain asks for its own
 * organizational domain several times; libpsl costs microseconds a call. */
#define DS_PSL_MEMO 512
struct psl_memo_entry {
        char name[DS_NAME_MAX_TEXT + 1]; /* "" when empty */
        int16_t off;                     /* discovery_psl_org()'s answer */
};
struct psl_memo {
        /* The entry answered last (NULL: none yet): a domain asks for its own name, its
         * policy domain's and its report hosts' in a row, mostly the same name, which a
         * string compare answers without hashing it again. */
        const struct psl_memo_entry *last;
        struct psl_memo_entry e[DS_PSL_MEMO];
};

/* One DMARC record of a reply: bytes of result.text. */
struct rec_span {
        uint32_t off, len;
};

struct dmarc_result {
        /* The issues' sentences are written (--details): formatting them for every domain
         * cost more than the rest of the discovery; without, msg is "". */
        bool sentences;
        struct psl_memo *memo; /* the scratch's */
        int status;            /* the decisive lookup's status */
        unsigned attempts;
        unsigned cname_hops;
        char location[DS_NAME_MAX_TEXT + 8];    /* the reported _dmarc name (or the domain's) */
        char target[DS_NAME_MAX_TEXT + 1];      /* its final owner after CNAMEs, "" when none */
        char error_name[DS_NAME_MAX_TEXT + 32]; /* the failed name when posture is error */
        unsigned nrecords, nrecords_dropped, nother_txt; /* dropped: refused by the budget */
        struct rec_span *recs;                           /* nrecords of them, in recs_mem */
        uint8_t *text;                                   /* joined TXT strings */
        size_t text_cap;
        /* This domain's growable data at once (recs, the parsed record, receivers). */
        struct ds_budget budget;
        bool over_budget; /* something of this domain was refused: budget_exceeded */

        /* Verdict (valid once the check finished for an OK item). */
        struct verdict v;
        enum discovery_how how;  /* how location was found; HOW_NONE when no records */
        bool applied;            /* rec is the record that applies */
        bool parsed;             /* rec holds the parse of records[0] */
        int8_t exists;           /* enum tristate */
        int org_off;             /* the domain's organizational domain, offset in it; -1 unknown */
        int policy_off;          /* the applied record's domain, offset in it; -1 none */
        struct dmarc_record rec; /* its storage reused from domain to domain */
        struct dmarc_reparse reparse; /* what rec was parsed from: every parse into it */
        struct receiver *recv;        /* nrecv of them, in recv_mem */
        unsigned nrecv;
        struct ds_vec recs_mem, recv_mem;
        struct ds_vec recv_index; /* receivers by host: a hash table of indices + 1 */
        struct disc_issue issues[DS_DISC_ISSUES_MAX];
        unsigned nissues;
        struct walk_step walk[DISCOVERY_WALK_MAX]; /* the asked _dmarc names, in order */
        uint8_t walk_off[DISCOVERY_WALK_MAX];      /* each one's offset in the domain */
        unsigned nwalk;
        /* Whose result this is: the state and the job's generation (job.h). */
        const void *for_state;
        uint32_t for_gen;
};

/* Receivers whose _report._dmarc.<host> lookup failed lately (per thread): a failure is
 * not kept by the shared cache, so without this note every domain naming such a host would
 * ask it again, with all its retries, before asking its own name. For a while after a
 * failure the host's own names are asked directly (as under --no-report-cut). */
#define DS_CUT_SKIP    64
#define DS_CUT_SKIP_MS 60000
struct cut_skip {
        uint64_t hash;     /* of the parent name's text */
        uint64_t until_ms; /* loop time */
};

struct dmarc_scratch {
        struct dmarc_result dmarc;
        struct psl_memo psl_memo;
        struct cut_skip cut_skip[DS_CUT_SKIP];
};

/* auth_slot.flags */
#define AUTH_PARENT_ASKED 1 /* _report._dmarc.<host> did not answer for it: ask its name */
#define AUTH_CUT          2 /* _report._dmarc.<host> is NXDOMAIN: status is that answer's */

struct auth_slot {
        int16_t status;
        uint8_t result; /* enum auth_result; 0: not asked */
        uint8_t flags;  /* AUTH_PARENT_ASKED, AUTH_CUT */
};

/* One domain's DMARC check between steps. */
struct dmarc_state {
        uint8_t phase; /* enum dmarc_phase */
        uint8_t nplan;
        uint8_t plan[DISCOVERY_WALK_MAX]; /* offsets into in.domain */
        struct walk walk;
        struct walk_step steps[DISCOVERY_WALK_MAX];
        int8_t exists;         /* enum tristate */
        int16_t exists_status; /* the existence lookup's status; LOOKUP_PENDING: not asked */
        bool org_failed;       /* a failure after the domain's own record cut the walk */
        int8_t fail_index;     /* walk index of the failed lookup that makes posture error */
        int16_t fail_status;
        uint16_t auth_cur, nauth;
        bool auth_parent;          /* the lookup in flight is auth_cur's _report._dmarc.<host> */
        uint64_t auth_parent_hash; /* that name's hash (struct cut_skip) */
        /* Per receiver (its index in result.recv): DS_AUTH_INLINE inline, the rest in
         * auth_big (owned, auth_cap bytes), grown only when a record names more. */
        struct auth_slot auth[DS_AUTH_INLINE];
        struct auth_slot *auth_big;
        size_t auth_cap;
        /* The held records: [len][the domain's own CNAME target] [len][held target]
         * [u16 len, text]... (see check.c). */
        int8_t held_index; /* walk index whose records are held; -1 none */
        uint16_t held_nrec;
        uint8_t held_hops;
        uint16_t held_other, held_dropped;
        uint32_t held_base, held_len, held_cap;
        uint8_t *held_big; /* owned: when the held text outgrows held_inl */
        uint8_t held_inl[DS_HELD_INLINE];
        uint8_t nwalk; /* the walk entries the result reports */
};

extern const struct check_ops dmarc_check;

/* Every discovery-level code dmarc_check writes (struct disc_issue), NULL-terminated: for
 * docs and coverage tests (the record's own: dmarc_issue_codes). */
extern const char *const dmarc_discovery_codes[];

/* "not_needed", "authorized", "not_authorized", "error", "not_checked". */
const char *auth_result_name(enum auth_result r);

#endif

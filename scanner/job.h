/* job.h -- one input line's work: the per-domain state machine.
 * Contract: a job is owned by exactly one thread at a time, handed over through the rings
 * (loop thread while a lookup is in flight, one classifier thread while it classifies).
 * job_start() (loop thread) sets the first lookup; job_step() (classifier) consumes the
 * lookup's result and either sets the next lookup (j->qname, j->qtype) and returns
 * JOB_STEP_QUERY, or finishes and returns JOB_STEP_DONE, leaving the verdict in the
 * caller's scratch. Exactly one lookup is in flight per job: the discovery walk, the
 * existence lookup and the report-authorization lookups are sequential steps.
 *
 * Lookups, in order: _dmarc.<name> TXT for each name of the discovery plan (scanner/
 * discovery.h), CNAMEs followed within and across replies; then, only when the record
 * that applies is a parent's and the domain's existence is unknown, <domain> A (its
 * NXDOMAIN selects np); then <policy-domain>._report._dmarc.<host> TXT for each external
 * report receiver, at most DS_AUTH_LOOKUPS_MAX. docs/verdicts.md has the rules.
 *
 * What a job keeps between steps is small and inline: per asked name a few numbers, and
 * the one set of records that the verdict will report (DS_HELD_INLINE bytes inline, a
 * heap buffer only for longer ones). Parsed records live in the scratch (large, one per
 * classifier thread), rebuilt from the held text when needed. No other allocation except
 * job_set_reply() for replies over DS_REPLY_INLINE. */
#ifndef DS_JOB_H
#define DS_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/limits.h"
#include "scanner/discovery.h"
#include "scanner/dmarc.h"
#include "scanner/input.h"
#include "scanner/verdict.h"

#define DS_RECORDS_MAX      32 /* DMARC candidate records kept per lookup; more are counted */
#define DS_AUTH_LOOKUPS_MAX 8  /* report-authorization lookups per domain at most */
#define DS_RECEIVERS_MAX    (2 * DMARC_URIS_MAX) /* distinct rua/ruf hosts */
#define DS_HELD_INLINE      512                  /* held record text kept inside the job */
#define DS_DISC_ISSUES_MAX  12 /* discovery-level errors and warnings per domain */

/* Outcome of a lookup, as written in "status": an rcode (>= 0) or one of these. */
enum lookup_status {
        LOOKUP_PENDING = -1,
        LOOKUP_TIMEOUT = -2,
        LOOKUP_MALFORMED = -3, /* a matching reply that could not be parsed */
        LOOKUP_CNAME_LOOP = -4,
        LOOKUP_NAME_TOO_LONG = -5, /* the name to ask would exceed 255 octets: not asked */
};

enum job_step { JOB_STEP_QUERY, JOB_STEP_DONE };

enum job_phase { PHASE_WALK = 0, PHASE_EXISTS, PHASE_AUTH, PHASE_DONE };

/* External report destination verification (RFC 7489 7.1, RFC 9989 aggregate reporting
 * section 3). */
enum auth_result {
        AUTH_NOT_NEEDED = 0, /* the receiver is in the policy domain's organization */
        AUTH_AUTHORIZED,     /* a TXT record starting with v=DMARC1 */
        AUTH_NOT_AUTHORIZED, /* NXDOMAIN, NODATA or no such TXT */
        AUTH_ERROR,          /* SERVFAIL, REFUSED, TIMEOUT, ... */
        AUTH_NOT_CHECKED,    /* over DS_AUTH_LOOKUPS_MAX, --discovery exact, or org unknown */
};

/* One asked _dmarc name. */
struct walk_step {
        int16_t status;  /* lookup status */
        uint8_t records; /* DMARC candidates, kept and dropped (saturates at 255) */
        uint8_t kind;    /* enum walk_kind */
        uint8_t hops;    /* CNAME links followed */
        uint16_t other;  /* TXT records that are not DMARC (saturates) */
};

struct receiver {
        char host[DS_NAME_MAX_TEXT + 1];
        char org[DS_NAME_MAX_TEXT + 1];
        uint8_t uses;        /* 1: rua, 2: ruf */
        int8_t external;     /* enum tristate */
        uint8_t auth;        /* enum auth_result */
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

struct dmarc_result {
        struct psl_memo_entry *memo; /* the scratch's, set by job_scratch_init */
        int status;                  /* the decisive lookup's status */
        unsigned attempts;
        unsigned cname_hops;
        char location[DS_NAME_MAX_TEXT + 8];    /* the reported _dmarc name (or the domain's) */
        char target[DS_NAME_MAX_TEXT + 1];      /* its final owner after CNAMEs, "" when none */
        char error_name[DS_NAME_MAX_TEXT + 32]; /* the failed name when posture is error */
        unsigned nrecords, nrecords_dropped, nother_txt;
        uint32_t rec_off[DS_RECORDS_MAX], rec_len[DS_RECORDS_MAX]; /* into text */
        uint8_t *text;                                             /* joined TXT strings */
        size_t text_cap;

        /* Verdict (valid once job_step returned DONE for an OK item). */
        struct verdict v;
        enum discovery_how how;  /* how location was found; HOW_NONE when no records */
        bool applied;            /* rec is the record that applies */
        bool parsed;             /* rec holds the parse of records[0] */
        int8_t exists;           /* enum tristate */
        int org_off;             /* the domain's organizational domain, offset in it; -1 unknown */
        int policy_off;          /* the applied record's domain, offset in it; -1 none */
        struct dmarc_record rec; /* ~22 KB: never on a thread stack */
        struct receiver recv[DS_RECEIVERS_MAX];
        unsigned nrecv;
        struct disc_issue issues[DS_DISC_ISSUES_MAX];
        unsigned nissues;
        struct walk_step walk[DISCOVERY_WALK_MAX]; /* the asked _dmarc names, in order */
        uint8_t walk_off[DISCOVERY_WALK_MAX];      /* each one's offset in the domain */
        unsigned nwalk;
};

struct job_scratch {
        struct dmarc_result dmarc;
        struct psl_memo_entry psl_memo[DS_PSL_MEMO];
};

struct job {
        uint32_t idx;
        uint8_t handoff;     /* enum job_step, when handed back to the loop */
        uint8_t cname_hops;  /* CNAME links followed so far in the current lookup */
        uint16_t file;       /* index of the input file */
        uint16_t attempts;   /* datagrams sent, all lookups */
        int16_t last_status; /* enum engine_status of the last lookup */
        uint16_t qtype;
        uint16_t qname_len;
        uint32_t reply_len;
        uint64_t give_up_ms; /* loop time after which no retry starts (--deadline) */
        uint64_t seq;        /* the item's position in the input, across files (set by the scan) */
        /* Set once by the scan (shared, read-only); NULL: exact discovery, no PSL. */
        const struct discovery_ctx *disc;

        /* Discovery state, between steps. */
        uint8_t phase; /* enum job_phase */
        uint8_t nplan;
        uint8_t plan[DISCOVERY_WALK_MAX]; /* offsets into in.domain */
        struct walk walk;
        struct walk_step steps[DISCOVERY_WALK_MAX];
        int8_t exists;         /* enum tristate */
        int16_t exists_status; /* the existence lookup's status; LOOKUP_PENDING: not asked */
        bool org_failed;       /* a failure after the domain's own record cut the walk */
        int8_t fail_index;     /* walk index of the failed lookup that makes posture error */
        int16_t fail_status;
        uint8_t auth_cur, nauth;
        struct {
                int16_t status;
                uint8_t result; /* enum auth_result; 0: not asked */
        } auth[DS_RECEIVERS_MAX];
        /* The held records: [len][the domain's own CNAME target] [len][held target]
         * [u16 len, text]... (see job.c). */
        int8_t held_index; /* walk index whose records are held; -1 none */
        uint8_t held_nrec, held_hops;
        uint16_t held_other, held_dropped;
        uint32_t held_base, held_len, held_cap;
        uint8_t *held_big; /* owned: when the held text outgrows held_inl */
        uint8_t held_inl[DS_HELD_INLINE];

        uint8_t qname[DS_NAME_MAX_WIRE]; /* the lookup to send next / in flight */
        struct input_item in;
        uint8_t *reply_big; /* owned: replies larger than reply[] */
        uint8_t reply[DS_REPLY_INLINE];
};

/* Prepare a job for a fresh input item (already copied into j->in; j->disc set).
 * Loop thread. Returns JOB_STEP_QUERY with j->qname/qtype set, or JOB_STEP_DONE (illegal
 * input). */
enum job_step job_start(struct job *j);

/* Keep the result of the lookup in flight (loop thread); copies pkt. */
void job_set_reply(struct job *j, int engine_status, const uint8_t *pkt, size_t len,
                   unsigned attempts);

/* Classifier: digest the last reply. */
enum job_step job_step(struct job *j, struct job_scratch *s);

/* Release what the job allocated (idempotent). */
void job_clear(struct job *j);

void job_scratch_init(struct job_scratch *s);
void job_scratch_free(struct job_scratch *s);

/* Outcome classes counted per scan: rcodes 0..15, then these. */
enum job_outcome {
        OUTCOME_TIMEOUT = 16,
        OUTCOME_MALFORMED,
        OUTCOME_CNAME_LOOP,
        OUTCOME_ILLEGAL,
        OUTCOME_EXCLUDED,
        OUTCOME_COUNT,
};
/* The outcome class of a finished job (after job_step returned DONE): the status of the
 * decisive lookup (dmarc.status). */
unsigned job_outcome(const struct job *j, const struct job_scratch *s);
const char *job_outcome_name(unsigned outcome);

/* "NOERROR", "TIMEOUT", ... for a lookup status. */
const char *lookup_status_name(int status);

/* "not_needed", "authorized", "not_authorized", "error", "not_checked". */
const char *auth_result_name(enum auth_result r);

#endif

/* check.h -- the interface of a check module (dmarc; next spf, mx, later mta-sts, bimi).
 * Contract: a check is one const struct check_ops: a table of functions over its own
 * per-domain state (kept in the job between lookups) and its own per-thread scratch. A job
 * (job.h) runs the enabled checks side by side, each with at most one lookup in flight
 * (its struct lookup), and writes the line when all are done. A check never sees another
 * check's state: what the top-level verdicts need it reports as struct check_facts.
 * Adding a check is: a folder under scanner/, its struct check_ops, one line in the
 * registry (scanner/registry.c); nothing in the engine, the writer, the job or the other
 * checks changes. Threads: start() runs on the loop thread, every other hook on the
 * classifier thread that holds the job's lookup; hooks must not allocate per domain except
 * for data that outgrows their inline state. */
#ifndef DS_SCANNER_CHECK_H
#define DS_SCANNER_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/tristate.h"
#include "output/json.h"
#include "scanner/lookup.h"

struct job;
struct discovery_ctx;

#define DS_CHECKS_MAX      8    /* checks enabled at once: every one (--checks all) */
#define DS_CHECK_STATE_MAX 4096 /* all enabled checks' per-domain states, in the job */

/* What a hook asks for next. */
enum check_step {
        CHECK_QUERY,   /* the lookup (lookup_set) is to be sent */
        CHECK_DONE,    /* nothing more to ask */
        CHECK_ILLEGAL, /* start() only: the domain cannot be checked at all (in->error set) */
};

/* What every check shares, read-only, for the whole scan. */
struct check_env {
        const struct discovery_ctx *disc; /* the PSL and the discovery mode; NULL: exact */
        /* The resolvers validate DNSSEC (enum tristate, the scan's probe at its start:
         * scanner/dnssec/probe.h); set before the first domain is admitted. */
        int8_t dnssec_validates;
        bool details; /* --details: render() adds the codes' sentences (*_detail), dmarc's tags */
        const char *dkim_selectors; /* --dkim-selectors: comma-separated, checked; NULL none */
        bool mta_sts_policy;        /* --mta-sts-policy: the mta-sts check fetches policies */
        bool report_cut; /* not --no-report-cut: _report._dmarc.<host>'s NXDOMAIN answers for
                            every domain's <domain>._report._dmarc.<host> (RFC 8020) */
};

/* A hook's view of one domain. */
struct check_arg {
        struct job *job;             /* j->in is the domain; read-only except in start() */
        struct lookup *l;            /* this check's lookup */
        void *state;                 /* its per-domain state (state_size bytes, in the job) */
        void *scratch;               /* its per-thread scratch (NULL in start()) */
        const struct check_env *env; /* NULL in unit tests: exact discovery, no PSL */
        /* on_reply() only: the loop's time (ms) as the classifier last learned it, for
         * per-thread notes that expire; 0 elsewhere. */
        uint64_t now_ms;
        /* render() only: every concluded check's facts, in the set's order (a check whose
         * object states another's verdict reads them here, never the other's state). */
        const struct check_facts *facts;
        unsigned nfacts;
};

/* What the SPF check says of the domain's sending policy (its "all" after redirects). */
enum spf_fact {
        SPF_FACT_NONE = 0,  /* no SPF record */
        SPF_FACT_FAIL,      /* valid, unlisted senders fail or softfail (-all, ~all) */
        SPF_FACT_NEUTRAL,   /* valid, unlisted senders get neutral (?all, or no all) */
        SPF_FACT_PASS_ALL,  /* valid, unlisted senders pass (+all): anyone passes SPF */
        SPF_FACT_PERMERROR, /* receivers evaluate it as permerror */
        SPF_FACT_TEMPERROR, /* a DNS failure kept the evaluation from finishing */
};

/* What the MX check says of the domain's mail service. */
enum mail_fact {
        MAIL_FACT_MX = 0,   /* one or more MX hosts */
        MAIL_FACT_NULL_MX,  /* RFC 7505 null MX: declares it accepts no mail */
        MAIL_FACT_NO_MX,    /* no MX records (NOERROR, no data): implicit MX on the A/AAAA */
        MAIL_FACT_NXDOMAIN, /* the domain does not exist */
        MAIL_FACT_ERROR,    /* the MX lookup failed */
};

/* What the top-level verdicts (scanner/toplevel.h) take from a check. -1 fields: the
 * check has no opinion (a check fills only its own). */
struct check_facts {
        int status;     /* its decisive lookup's status (outcome counts) */
        int8_t exists;  /* enum tristate: what its answers say of the domain */
        int8_t posture; /* enum posture (dmarc) */
        bool enforcing, partial;
        int8_t spoofable;   /* enum spoofable (dmarc: its DMARC-only estimate) */
        const char *reason; /* static snake_case, with spoofable */
        int8_t spf;         /* enum spf_fact (spf) */
        int8_t mail;        /* enum mail_fact (mx) */
        int8_t dnssec;      /* enum dnssec_state (dnssec) */
        /* dmarc: the sp of the applied record (enum posture: reject, quarantine or none)
         * when it is the domain's own record and the domain is its organizational domain;
         * -1 otherwise (bimi's DMARC prerequisite reads it). */
        int8_t org_sp;
};

struct check_ops {
        const char *name;    /* in --checks, the metadata and the line (its object's key) */
        size_t state_size;   /* per domain, zeroed by the job before start() */
        size_t scratch_size; /* per classifier thread, zeroed before scratch_init */
        void (*scratch_init)(void *scratch); /* may be NULL */
        void (*scratch_free)(void *scratch); /* may be NULL */
        /* A fresh domain: set the first lookup, or finish at once. */
        enum check_step (*start)(const struct check_arg *a);
        /* The lookup ended (a->l: reply or engine status): set the next, or finish. */
        enum check_step (*on_reply)(const struct check_arg *a);
        /* Every check of the job is done: leave the result in a->scratch (rebuilt from
         * a->state when another domain used the scratch since) and fill f. */
        void (*conclude)(const struct check_arg *a, struct check_facts *f);
        /* Its member of the line, named name (after conclude). */
        void (*render)(const struct check_arg *a, struct jw *w);
        /* Release what state allocated (idempotent); may be NULL. */
        void (*clear)(void *state);
        /* It reads the AD bits of every check's answers (lookup_note_ad): the job counts
         * them only when a check of the set asks, since that costs a name comparison per
         * reply. */
        bool reads_ad;
};

#define DS_LINE_OBJECTS_MAX 16 /* check objects in a line: every known check and planned one */

/* The checks a scan runs, and the check objects of its lines. */
struct check_set {
        unsigned n;
        const struct check_ops *ops[DS_CHECKS_MAX];
        uint16_t state_off[DS_CHECKS_MAX]; /* in the job's state area */
        bool reads_ad;                     /* a check's ops->reads_ad */
        /* The line's check objects in order (fixed when parsed, so that writing a line
         * compares no names): the output contract's in its order, then the table's other
         * checks; each the ops index, or -1 (not enabled: null). */
        unsigned nobj;
        int8_t obj_check[DS_LINE_OBJECTS_MAX];
        const char *obj_name[DS_LINE_OBJECTS_MAX];
        size_t obj_klen[DS_LINE_OBJECTS_MAX]; /* jw_key_len(obj_name[k]) */
        /* The objects of checks not enabled are the same `,"name":null` in every line:
         * written here once, in object order, so that a run of them is one copy.
         * null_next[k]: the first object after the run object k is in (0: k is enabled, or
         * its member is not here); null_off[k], null_end[k]: its member's offset in
         * null_text and the end of its run. */
        char null_text[DS_LINE_OBJECTS_MAX * 40];
        uint16_t null_off[DS_LINE_OBJECTS_MAX], null_end[DS_LINE_OBJECTS_MAX];
        uint8_t null_next[DS_LINE_OBJECTS_MAX];
};

/* NULL-terminated: every check dmarcscan knows (scanner/registry.c). */
extern const struct check_ops *const check_registry[];

/* Parse a comma-separated list of names against table (NULL-terminated) into set, in the
 * order given. Returns 0, or -EINVAL with a message in err. */
int check_set_parse(struct check_set *set, const char *list, const struct check_ops *const *table,
                    char *err, size_t errlen);

/* Add the check named name from table to set, after its checks, unless it is there
 * already; the line's layout follows. Returns 0, or -EINVAL with a message in err (unknown,
 * not implemented yet, too many). */
int check_set_add(struct check_set *set, const char *name, const struct check_ops *const *table,
                  char *err, size_t errlen);

/* The enabled check named name, or -1. */
int check_set_find(const struct check_set *set, const char *name);

#endif

/* verdict.h -- a domain's DMARC posture from what discovery found: posture, enforcing,
 * partial, and a DMARC-only spoofability estimate (docs/verdicts.md has the table).
 * Contract: one pure function over a small input struct; no DNS, no allocation, no global
 * state. A DNS failure that could change the answer always gives POSTURE_ERROR: it is
 * never folded into POSTURE_MISSING. */
#ifndef DS_VERDICT_H
#define DS_VERDICT_H

#include <stdbool.h>

#include "common/tristate.h"

#include "scanner/dmarc/record.h"

enum posture {
        POSTURE_REJECT = 0,
        POSTURE_QUARANTINE,
        POSTURE_NONE,
        POSTURE_MISSING,
        POSTURE_INVALID,
        POSTURE_ERROR,
};

enum spoofable { SPOOF_YES = 0, SPOOF_SUBDOMAINS_ONLY, SPOOF_MAYBE, SPOOF_NO, SPOOF_UNKNOWN };

struct verdict_in {
        bool dns_error;       /* a lookup failed before a record could be chosen */
        bool have_record;     /* a record applies (valid or not) */
        bool invalid_seen;    /* no record applies, but broken or multiple records were found */
        bool valid;           /* the applied record is usable (dmarc_record.valid) */
        bool at_domain;       /* it is the domain's own record (p applies), else a parent's */
        enum tristate exists; /* the domain itself (for np); only read when !at_domain */
        enum tristate is_org; /* the domain is its own organizational domain */
        enum dmarc_policy p, sp, np;
        unsigned pct;
        bool testing;
};

struct verdict {
        enum posture posture;
        enum dmarc_policy policy; /* the applicable tag's value (reject/quarantine/none) */
        char tag;                 /* which tag gave it: 'p', 's' (sp), 'n' (np); 0 none */
        /* What a receiver applies after t=y or pct=0 lowered it by one level (RFC 9989 4.7 t,
         * RFC 7489 6.6.4); equals policy otherwise. */
        enum dmarc_policy lowered;
        bool enforcing, partial;
        enum spoofable spoofable;
        const char *reason;  /* static, snake_case, e.g. "dmarc_reject" */
        bool exists_decides; /* the domain's existence chose between sp and np, and was unknown:
                              * posture is error (sp and np differ) */
};

void verdict_compute(const struct verdict_in *in, struct verdict *out);

/* Every reason verdict_compute() gives, NULL-terminated: for docs and coverage tests. */
extern const char *const dmarc_reason_codes[];

/* "reject", ..., "error". */
const char *posture_name(enum posture p);
/* "yes", "subdomains_only", "maybe", "no", "unknown". */
const char *spoofable_name(enum spoofable s);

#endif

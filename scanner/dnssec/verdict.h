/* verdict.h -- a domain's DNSSEC status from the AD bits of its answers (docs/verdicts.md).
 * Contract: dnssec_summarise() is a pure function of struct dnssec_evidence: no I/O, no
 * allocation; the check (scanner/dnssec/check.h) gathers the evidence, the unit tests feed
 * it directly. */
#ifndef DS_DNSSEC_VERDICT_H
#define DS_DNSSEC_VERDICT_H

#include <stdint.h>

/* The line's "dnssec" value. */
enum dnssec_state {
        DNSSEC_SECURE = 0, /* every answer of the domain's names came validated (AD) */
        DNSSEC_INSECURE,   /* at least one answer came without AD */
        DNSSEC_BOGUS,      /* SERVFAIL, and the same question with CD=1 is answered */
        DNSSEC_UNKNOWN,    /* the resolvers do not validate, or no answer to judge */
        DNSSEC_STATES,
};

/* What a domain's lookups said. */
struct dnssec_evidence {
        int8_t validates; /* enum tristate: the scan's probe (scanner/dnssec/probe.h) */
        int own_status;   /* the check's own question (<domain> SOA): a lookup status */
        int cd_status;    /* the same with CD=1, asked only after SERVFAIL; else PENDING */
        unsigned ad_yes;  /* answers at or below the domain with AD, every check's */
        unsigned ad_no;   /* ... and without */
};

enum dnssec_state dnssec_summarise(const struct dnssec_evidence *e);

/* "secure", "insecure", "bogus", "unknown". */
const char *dnssec_state_name(enum dnssec_state s);

/* The same, by enum dnssec_state, NULL-terminated: the values docs/output.md explains. */
extern const char *const dnssec_state_codes[];

#endif

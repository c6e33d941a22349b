/* check.h -- the DNSSEC check: whether a validating resolver vouched for the domain's
 * answers (the AD bit, RFC 4035 3.2.3), a module of the job (scanner/check.h).
 * Contract: dnssec_check asks one question of its own, <domain> SOA, with DO; when that is
 * SERVFAIL it asks it once more with CD=1 (bogus: the data is there, its signatures fail).
 * Every check's answers to questions at or below the domain (its DMARC, SPF and MX
 * answers, this SOA) are counted by the lookup path with and without AD
 * (lookup_note_ad(), scanner/job.c), and conclude() reads those counts from the job's
 * lookups -- no other check's state -- into the line's "dnssec": secure, insecure, bogus or
 * unknown (scanner/dnssec/verdict.h). When the scan's probe found that the resolvers do not
 * validate (check_env.dnssec_validates), the SOA is still asked (its status is the
 * domain's outcome when this check runs alone or first), never with CD, and the line says
 * unknown. The
 * scan sets DO on every query while this check runs. docs/verdicts.md says what the value
 * can and cannot tell. No allocation. */
#ifndef DS_DNSSEC_CHECK_H
#define DS_DNSSEC_CHECK_H

#include <stdint.h>

#include "scanner/check.h"
#include "scanner/dnssec/verdict.h"

/* One domain's DNSSEC check between steps. */
struct dnssec_state_data {
        int16_t status;    /* <domain> SOA; LOOKUP_PENDING until it ended (or not asked) */
        int16_t cd_status; /* the CD=1 retry after SERVFAIL; LOOKUP_PENDING when not asked */
};

struct dnssec_scratch {
        struct dnssec_evidence ev;
        enum dnssec_state state;
};

extern const struct check_ops dnssec_check;

#endif

/* bod1801.h -- the BOD 18-01 profile: whether a domain's DMARC and SPF meet the email rules
 * of CISA's Binding Operational Directive 18-01 ("Enhance Email and Web Security", 2017) as
 * docs/bod-18-01.md reads them, and which rules it does not meet.
 * Contract: bod1801_eval() is pure over the DMARC and SPF checks' results (no DNS, no
 * allocation). `compliant` is true when every rule is met, false when one is not (each
 * unmet rule's code is listed, in the order of bod1801_codes), null (TRI_UNKNOWN) when none
 * is unmet but a DNS failure left one undecided. */
#ifndef DS_BOD1801_H
#define DS_BOD1801_H

#include <stdint.h>

#include "scanner/profile/profile.h"

struct dmarc_result;
struct spf_eval;

#define BOD1801_CODES 11 /* the unmet codes */

struct bod1801 {
        int8_t compliant; /* enum tristate */
        unsigned nunmet;
        const char *unmet[BOD1801_CODES]; /* static snake_case codes */
};

/* d and s are the DMARC and SPF checks' results for the domain; NULL: that check's result
 * is not there (its rules are undecided). */
void bod1801_eval(const struct dmarc_result *d, const struct spf_eval *s, struct bod1801 *out);

/* Every unmet code, in the order of the rules, NULL-terminated (for docs and tests). */
extern const char *const bod1801_codes[];

extern const struct profile_ops bod1801_profile;

#endif

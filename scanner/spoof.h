/* spoof.h -- the spoofability decision table: can mail that shows the domain in its From
 * header reach a receiver that follows the domain's published policies? From the DMARC
 * check's own estimate (posture, sp/np, pct/t: scanner/dmarc/verdict.c), the SPF check's
 * fact (its effective all) and the MX check's fact (null MX, NXDOMAIN). docs/verdicts.md has
 * the table, row by row, with the reasons; tests/test_toplevel.c checks the code against it.
 * Contract: one pure function; no DNS, no allocation. A DNS failure on an input the answer
 * depends on gives SPOOF_UNKNOWN, never SPOOF_YES. With only the DMARC check's estimate the
 * answer is that estimate, unchanged. */
#ifndef DS_SPOOF_H
#define DS_SPOOF_H

#include <stdint.h>

/* What the checks reported; -1: that check did not run. */
struct spoof_in {
        int8_t dmarc;             /* enum spoofable: the DMARC check's estimate */
        const char *dmarc_reason; /* with dmarc */
        int8_t spf;               /* enum spf_fact */
        int8_t mail;              /* enum mail_fact */
};

struct spoof_out {
        int8_t spoofable;   /* enum spoofable; -1: null (not assessed) */
        const char *reason; /* static snake_case; NULL with null */
};

void spoof_decide(const struct spoof_in *in, struct spoof_out *out);

/* The facts' names in docs/verdicts.md's table: "none", "fail", ...; "?" out of range. */
const char *spf_fact_name(int fact);
/* "mx", "null_mx", "no_mx", "nxdomain", "error"; "?" out of range. */
const char *mail_fact_name(int fact);

#endif

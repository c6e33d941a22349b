/* spoof.c -- the spoofability decision table (docs/verdicts.md, "Decision table"): each
 * function below is one or two rows, tried in the table's order. */
#include "scanner/spoof.h"

#include <stdbool.h>

#include "scanner/check.h"
#include "scanner/dmarc/verdict.h"

const char *spf_fact_name(int fact)
{
        static const char *const names[] = {"none",     "fail",      "neutral",
                                            "pass_all", "permerror", "temperror"};
        return fact >= 0 && fact <= SPF_FACT_TEMPERROR ? names[fact] : "?";
}

const char *mail_fact_name(int fact)
{
        static const char *const names[] = {"mx", "null_mx", "no_mx", "nxdomain", "error"};
        return fact >= 0 && fact <= MAIL_FACT_ERROR ? names[fact] : "?";
}

static void set(struct spoof_out *out, enum spoofable s, const char *reason)
{
        out->spoofable = (int8_t)s;
        out->reason = reason;
}

/* Rows 2-3: DMARC asks receivers for nothing (missing, invalid, none, lowered to none), so
 * the header From is open whatever SPF says: SPF authenticates the envelope only. A null MX
 * with an SPF policy that fails unlisted senders is the parked-domain setup without its
 * DMARC record: the reason says so. Returns true when the rows applied. */
static bool dmarc_open(const struct spoof_in *in, struct spoof_out *out)
{
        if (in->dmarc != SPOOF_YES)
                return false;
        bool parked = in->spf == SPF_FACT_FAIL && in->mail == MAIL_FACT_NULL_MX;
        set(out, SPOOF_YES, parked ? "parked_unprotected" : in->dmarc_reason);
        return true;
}

/* Row 4: SPF +all lets anyone pass SPF with the domain itself as the envelope sender: that
 * identifier is aligned under aspf=r and aspf=s alike, so DMARC passes and its policy is
 * never applied. Every DMARC outcome then gives yes, even one a DNS failure hid. */
static bool spf_open(const struct spoof_in *in, struct spoof_out *out)
{
        if (in->spf != SPF_FACT_PASS_ALL)
                return false;
        set(out, SPOOF_YES, "spf_pass_all");
        return true;
}

/* Rows 6-7: DMARC enforces, but the SPF evaluation failed on a DNS error: the policy could
 * have been +all (row 4), unless the domain does not exist (NXDOMAIN has no SPF record:
 * RFC 7208 4.3 gives none, never pass). */
static bool spf_unknown(const struct spoof_in *in, struct spoof_out *out)
{
        if (in->spf != SPF_FACT_TEMPERROR || in->mail == MAIL_FACT_NXDOMAIN)
                return false;
        set(out, SPOOF_UNKNOWN, "spf_temperror");
        return true;
}

void spoof_decide(const struct spoof_in *in, struct spoof_out *out)
{
        out->spoofable = -1; /* row 1: without DMARC the question is not assessed */
        out->reason = NULL;
        if (in->dmarc < 0 || dmarc_open(in, out) || spf_open(in, out))
                return;
        set(out, (enum spoofable)in->dmarc, in->dmarc_reason); /* rows 5, 6 and 8 */
        if (in->dmarc != SPOOF_UNKNOWN)
                spf_unknown(in, out);
}

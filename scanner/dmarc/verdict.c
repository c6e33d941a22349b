/* verdict.c -- posture, enforcement and the DMARC-only spoofability estimate. */
#include "scanner/dmarc/verdict.h"

#include <string.h>

static const char *const POSTURE_NAMES[] = {"reject",  "quarantine", "none",
                                            "missing", "invalid",    "error"};
static const char *const SPOOF_NAMES[] = {"yes", "subdomains_only", "maybe", "no", "unknown"};

const char *const dmarc_reason_codes[] = {
    "dmarc_reject",
    "dmarc_quarantine",
    "dmarc_none",
    "dmarc_missing",
    "dmarc_invalid",
    "dmarc_testing",
    "dmarc_pct_zero",
    "dmarc_pct_partial",
    "dmarc_sp_none",
    "dmarc_np_none",
    "dns_error",
    "exists_unknown",
    NULL,
};

const char *posture_name(enum posture p)
{
        return (unsigned)p <= POSTURE_ERROR ? POSTURE_NAMES[p] : "?";
}

const char *spoofable_name(enum spoofable s)
{
        return (unsigned)s <= SPOOF_UNKNOWN ? SPOOF_NAMES[s] : "?";
}

static enum posture posture_of(enum dmarc_policy p)
{
        return p == DMARC_POLICY_REJECT       ? POSTURE_REJECT
               : p == DMARC_POLICY_QUARANTINE ? POSTURE_QUARANTINE
                                              : POSTURE_NONE;
}

/* t=y (RFC 9989 4.7) and pct=0 (RFC 7489 6.6.4: "the next weaker policy") both lower by
 * one level; they are two spellings of one signal (RFC 9989 A.6), so never twice. */
static enum dmarc_policy lower(enum dmarc_policy p, const struct verdict_in *in)
{
        if (p != DMARC_POLICY_NONE && (in->testing || in->pct == 0))
                return (enum dmarc_policy)(p - 1);
        return p;
}

/* Which tag applies: p for the domain's own record, sp or np for a parent's (RFC 9989
 * 4.10.1). Returns false when the domain's existence is unknown and sp and np differ. */
static bool pick_policy(const struct verdict_in *in, struct verdict *v)
{
        if (in->at_domain) {
                v->policy = in->p;
                v->tag = 'p';
                return true;
        }
        if (in->exists == TRI_NO) {
                v->policy = in->np;
                v->tag = 'n';
                return true;
        }
        if (in->exists == TRI_YES || in->sp == in->np) {
                v->policy = in->sp;
                v->tag = 's';
                return true;
        }
        return false;
}

/* Spoofability of a usable record's verdict; returns the reason. */
static const char *spoofability(const struct verdict_in *in, struct verdict *v)
{
        v->spoofable = SPOOF_YES;
        if (v->policy == DMARC_POLICY_NONE)
                return "dmarc_none";
        if (!v->enforcing)
                return in->testing ? "dmarc_testing" : "dmarc_pct_zero";
        v->spoofable = SPOOF_MAYBE;
        if (v->partial)
                return in->testing ? "dmarc_testing" : "dmarc_pct_partial";
        /* An organizational domain's own record also covers its subdomains, through sp and
         * np: the domain is safe, names under it are not. */
        v->spoofable = SPOOF_SUBDOMAINS_ONLY;
        if (in->at_domain && in->is_org == TRI_YES && lower(in->sp, in) == DMARC_POLICY_NONE)
                return "dmarc_sp_none";
        if (in->at_domain && in->is_org == TRI_YES && lower(in->np, in) == DMARC_POLICY_NONE)
                return "dmarc_np_none";
        v->spoofable = SPOOF_NO;
        return v->lowered == DMARC_POLICY_REJECT ? "dmarc_reject" : "dmarc_quarantine";
}

/* The posture when no usable record decides it; false when one does. */
static bool no_policy(const struct verdict_in *in, struct verdict *v)
{
        v->spoofable = SPOOF_YES;
        if (in->dns_error) {
                v->posture = POSTURE_ERROR;
                v->spoofable = SPOOF_UNKNOWN;
                v->reason = "dns_error";
        } else if (!in->have_record) {
                v->posture = in->invalid_seen ? POSTURE_INVALID : POSTURE_MISSING;
                v->reason = in->invalid_seen ? "dmarc_invalid" : "dmarc_missing";
        } else if (!in->valid) {
                v->posture = POSTURE_INVALID;
                v->reason = "dmarc_invalid";
        } else if (!pick_policy(in, v)) {
                v->posture = POSTURE_ERROR;
                v->exists_decides = true;
                v->spoofable = SPOOF_UNKNOWN;
                v->reason = "exists_unknown";
        } else {
                return false;
        }
        return true;
}

void verdict_compute(const struct verdict_in *in, struct verdict *v)
{
        memset(v, 0, sizeof(*v));
        if (no_policy(in, v))
                return;
        v->posture = posture_of(v->policy);
        v->lowered = lower(v->policy, in);
        v->enforcing = v->lowered != DMARC_POLICY_NONE;
        /* t has "no effect on any policy that is none" (RFC 9989 4.7); nor has pct. */
        v->partial =
            v->policy != DMARC_POLICY_NONE && (in->testing || (in->pct >= 1 && in->pct <= 99));
        v->reason = spoofability(in, v);
}

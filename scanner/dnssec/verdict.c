/* verdict.c -- the DNSSEC status of a domain from its answers' AD bits. */
#include "scanner/dnssec/verdict.h"

#include "common/check.h"
#include "common/tristate.h"
#include "dns/wire.h"
#include "scanner/lookup.h"

static bool answered(int status)
{
        return status == WIRE_RCODE_NOERROR || status == WIRE_RCODE_NXDOMAIN;
}

enum dnssec_state dnssec_summarise(const struct dnssec_evidence *e)
{
        /* Without a validating resolver, a missing AD says nothing about the zone. */
        if (e->validates != TRI_YES)
                return DNSSEC_UNKNOWN;
        /* A validator answers SERVFAIL for data whose signatures fail; with checking
         * disabled it hands the same data over. Other SERVFAILs stay SERVFAIL with CD. */
        if (e->own_status == WIRE_RCODE_SERVFAIL && answered(e->cd_status))
                return DNSSEC_BOGUS;
        if (e->ad_no)
                return DNSSEC_INSECURE;
        if (e->ad_yes)
                return DNSSEC_SECURE;
        return DNSSEC_UNKNOWN;
}

const char *const dnssec_state_codes[DNSSEC_STATES + 1] = {"secure", "insecure", "bogus", "unknown",
                                                           NULL};

const char *dnssec_state_name(enum dnssec_state s)
{
        if (ds_fails((unsigned)s < DNSSEC_STATES))
                return "unknown";
        return dnssec_state_codes[s];
}

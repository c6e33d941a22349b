/* names.c -- the words the line uses for the DMARC record's policy, alignment and psd values
 * and its issue codes (scanner/dmarc/record.h), and for a receiver's authorization
 * (scanner/dmarc/check.h). */
#include "scanner/dmarc/check.h"
#include "scanner/dmarc/record.h"

const char *dmarc_policy_name(enum dmarc_policy p)
{
        switch (p) {
        case DMARC_POLICY_NONE:
                return "none";
        case DMARC_POLICY_QUARANTINE:
                return "quarantine";
        case DMARC_POLICY_REJECT:
                return "reject";
        }
        return "?";
}

const char *dmarc_align_name(enum dmarc_align a)
{
        switch (a) {
        case DMARC_ALIGN_RELAXED:
                return "r";
        case DMARC_ALIGN_STRICT:
                return "s";
        }
        return "?";
}

const char *dmarc_psd_name(enum dmarc_psd psd)
{
        switch (psd) {
        case DMARC_PSD_U:
                return "u";
        case DMARC_PSD_Y:
                return "y";
        case DMARC_PSD_N:
                return "n";
        }
        return "?";
}

const char *auth_result_name(enum auth_result r)
{
        static const char *const names[] = {"not_needed", "authorized", "not_authorized", "error",
                                            "not_checked"};
        return (unsigned)r <= AUTH_NOT_CHECKED ? names[r] : "?";
}

const char *const dmarc_issue_codes[] = {
    "v_missing",
    "v_not_first",
    "v_invalid",
    "duplicate_tag",
    "syntax",
    "unknown_tag",
    "p_missing",
    "p_invalid",
    "p_not_second",
    "sp_invalid",
    "np_invalid",
    "psd_invalid",
    "t_invalid",
    "adkim_invalid",
    "aspf_invalid",
    "fo_invalid",
    "fo_without_ruf",
    "uri_invalid",
    "uri_unsupported_scheme",
    "uri_size_obsolete",
    "no_rua",
    "pct_invalid",
    "pct_obsolete",
    "pct_partial",
    "pct_zero",
    "rf_invalid",
    "rf_obsolete",
    "ri_invalid",
    "ri_obsolete",
    "sp_weaker_than_p",
    "np_weaker_than_p",
    "testing",
    NULL,
};

/* names.c -- the SPF module's names: issue codes, result, all, qualifier and term kinds as
 * they appear in the output and the docs (docs/spf-grammar.md). Tables only. */
#include "scanner/spf/record.h"

#include <stddef.h>

static const char *const kind_names[SPF_KIND_COUNT] = {
    "all", "include", "a",        "mx",  "ptr",     "ip4",
    "ip6", "exists",  "redirect", "exp", "unknown", "invalid",
};

const char *const spf_issue_codes[] = {
    "invalid_character",
    "unknown_mechanism",
    "missing_argument",
    "unexpected_argument",
    "domain_spec_invalid",
    "macro_invalid",
    "ip4_invalid",
    "ip6_invalid",
    "cidr_invalid",
    "duplicate_modifier",
    "domain_invalid",
    "multiple_records",
    "ptr_used",
    "mechanisms_after_all",
    "redirect_ignored",
    "record_too_long",
    "macro",
    "no_all",
    "unknown_modifier",
    "pass_all_mechanism",
    "neutral_all_mechanism",
    NULL,
};

const char *spf_result_name(enum spf_result r)
{
        switch (r) {
        case SPF_RESULT_NONE:
                return "none";
        case SPF_RESULT_OK:
                return "ok";
        case SPF_RESULT_PERMERROR:
                return "permerror";
        case SPF_RESULT_TEMPERROR:
                return "temperror";
        }
        return "?";
}

const char *spf_all_name(enum spf_all a)
{
        switch (a) {
        case SPF_ALL_PASS:
                return "pass";
        case SPF_ALL_FAIL:
                return "fail";
        case SPF_ALL_SOFTFAIL:
                return "softfail";
        case SPF_ALL_NEUTRAL:
                return "neutral";
        case SPF_ALL_NONE:
                break;
        }
        return NULL;
}

const char *spf_qualifier_text(enum spf_qualifier q)
{
        switch (q) {
        case SPF_Q_PASS:
                return "+";
        case SPF_Q_FAIL:
                return "-";
        case SPF_Q_SOFTFAIL:
                return "~";
        case SPF_Q_NEUTRAL:
                return "?";
        }
        return "?";
}

const char *spf_kind_name(enum spf_kind k)
{
        if ((unsigned)k >= SPF_KIND_COUNT)
                return NULL;
        return kind_names[k];
}

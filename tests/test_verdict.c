/* test_verdict.c -- unit tests of scanner/dmarc/verdict.c: the posture table (docs/verdicts.md)
 * row by row: p/sp/np/pct/t combinations, the domain's own record vs a parent's (sp for an
 * existing subdomain, np for a non-existent one, the existence unknown), invalid, missing
 * and DNS errors (never folded into missing), and the spoofability estimate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common/text.h"
#include "scanner/dmarc/verdict.h"

#define R DMARC_POLICY_REJECT
#define Q DMARC_POLICY_QUARANTINE
#define N DMARC_POLICY_NONE

/* A usable record: at the domain (own) or a parent's (exists given). */
static struct verdict_in rec(bool own, enum tristate exists, enum dmarc_policy p,
                             enum dmarc_policy sp, enum dmarc_policy np, unsigned pct, bool t)
{
        struct verdict_in in = {
            .have_record = true,
            .valid = true,
            .at_domain = own,
            .exists = exists,
            .is_org = own ? TRI_YES : TRI_NO,
            .p = p,
            .sp = sp,
            .np = np,
            .pct = pct,
            .testing = t,
        };
        return in;
}

struct row {
        const char *what;
        struct verdict_in in;
        enum posture posture;
        bool enforcing, partial;
        enum spoofable spoof;
        const char *reason;
        char tag;
};

static void check_rows(const struct row *rows, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                struct verdict v;
                verdict_compute(&rows[i].in, &v);
                if (v.posture != rows[i].posture || v.enforcing != rows[i].enforcing ||
                    v.partial != rows[i].partial || v.spoofable != rows[i].spoof ||
                    strcmp(v.reason, rows[i].reason) != 0 || v.tag != rows[i].tag)
                        fail_msg(
                            "%s: got %s enforcing=%d partial=%d %s/%s tag=%c; want %s %d %d %s/%s "
                            "tag=%c",
                            rows[i].what, posture_name(v.posture), v.enforcing, v.partial,
                            spoofable_name(v.spoofable), v.reason, v.tag ? v.tag : '-',
                            posture_name(rows[i].posture), rows[i].enforcing, rows[i].partial,
                            spoofable_name(rows[i].spoof), rows[i].reason,
                            rows[i].tag ? rows[i].tag : '-');
                assert_true(ds_listed(dmarc_reason_codes, v.reason)); /* documented: codes.h */
        }
}

static void t_own_record(void **st)
{
        (void)st;
        const struct row rows[] = {
            {"p=reject", rec(true, TRI_YES, R, R, R, 100, false), POSTURE_REJECT, true, false,
             SPOOF_NO, "dmarc_reject", 'p'},
            {"p=quarantine", rec(true, TRI_YES, Q, Q, Q, 100, false), POSTURE_QUARANTINE, true,
             false, SPOOF_NO, "dmarc_quarantine", 'p'},
            {"p=none", rec(true, TRI_YES, N, N, N, 100, false), POSTURE_NONE, false, false,
             SPOOF_YES, "dmarc_none", 'p'},
            {"p=none t=y: t has no effect on none", rec(true, TRI_YES, N, N, N, 100, true),
             POSTURE_NONE, false, false, SPOOF_YES, "dmarc_none", 'p'},
            {"p=none pct=50: not partial", rec(true, TRI_YES, N, N, N, 50, false), POSTURE_NONE,
             false, false, SPOOF_YES, "dmarc_none", 'p'},
            {"p=reject pct=50", rec(true, TRI_YES, R, R, R, 50, false), POSTURE_REJECT, true, true,
             SPOOF_MAYBE, "dmarc_pct_partial", 'p'},
            {"p=reject pct=1", rec(true, TRI_YES, R, R, R, 1, false), POSTURE_REJECT, true, true,
             SPOOF_MAYBE, "dmarc_pct_partial", 'p'},
            {"p=reject pct=99", rec(true, TRI_YES, R, R, R, 99, false), POSTURE_REJECT, true, true,
             SPOOF_MAYBE, "dmarc_pct_partial", 'p'},
            {"p=reject pct=0: lowered to quarantine, still enforcing",
             rec(true, TRI_YES, R, R, R, 0, false), POSTURE_REJECT, true, false, SPOOF_NO,
             "dmarc_quarantine", 'p'},
            {"p=quarantine pct=0: lowered to none", rec(true, TRI_YES, Q, Q, Q, 0, false),
             POSTURE_QUARANTINE, false, false, SPOOF_YES, "dmarc_pct_zero", 'p'},
            {"p=reject t=y: quarantine, partial", rec(true, TRI_YES, R, R, R, 100, true),
             POSTURE_REJECT, true, true, SPOOF_MAYBE, "dmarc_testing", 'p'},
            {"p=quarantine t=y: lowered to none", rec(true, TRI_YES, Q, Q, Q, 100, true),
             POSTURE_QUARANTINE, false, true, SPOOF_YES, "dmarc_testing", 'p'},
            {"p=reject t=y pct=0: lowered once, not twice", rec(true, TRI_YES, R, R, R, 0, true),
             POSTURE_REJECT, true, true, SPOOF_MAYBE, "dmarc_testing", 'p'},
            {"p=reject sp=none: subdomains spoofable", rec(true, TRI_YES, R, N, N, 100, false),
             POSTURE_REJECT, true, false, SPOOF_SUBDOMAINS_ONLY, "dmarc_sp_none", 'p'},
            {"p=reject np=none", rec(true, TRI_YES, R, R, N, 100, false), POSTURE_REJECT, true,
             false, SPOOF_SUBDOMAINS_ONLY, "dmarc_np_none", 'p'},
            {"p=reject sp=quarantine: weaker but enforced", rec(true, TRI_YES, R, Q, Q, 100, false),
             POSTURE_REJECT, true, false, SPOOF_NO, "dmarc_reject", 'p'},
            {"p=reject sp=quarantine pct=0: sp lowered to none",
             rec(true, TRI_YES, R, Q, Q, 0, false), POSTURE_REJECT, true, false,
             SPOOF_SUBDOMAINS_ONLY, "dmarc_sp_none", 'p'},
            {"own record, existence unknown: p regardless",
             rec(true, TRI_UNKNOWN, R, N, Q, 100, false), POSTURE_REJECT, true, false,
             SPOOF_SUBDOMAINS_ONLY, "dmarc_sp_none", 'p'},
        };
        check_rows(rows, sizeof(rows) / sizeof(rows[0]));

        /* sp=none on a record that is not its organization's: its subdomains get their
         * policy elsewhere, so no claim about them */
        struct verdict_in in = rec(true, TRI_YES, R, N, N, 100, false);
        struct verdict v;
        in.is_org = TRI_NO;
        verdict_compute(&in, &v);
        assert_int_equal(v.spoofable, SPOOF_NO);
        in.is_org = TRI_UNKNOWN;
        verdict_compute(&in, &v);
        assert_int_equal(v.spoofable, SPOOF_NO);
}

static void t_parent_record(void **st)
{
        (void)st;
        const struct row rows[] = {
            {"existing subdomain: sp", rec(false, TRI_YES, R, N, Q, 100, false), POSTURE_NONE,
             false, false, SPOOF_YES, "dmarc_none", 's'},
            {"non-existent subdomain: np", rec(false, TRI_NO, N, N, R, 100, false), POSTURE_REJECT,
             true, false, SPOOF_NO, "dmarc_reject", 'n'},
            {"np defaulted to sp by the parser", rec(false, TRI_NO, R, Q, Q, 100, false),
             POSTURE_QUARANTINE, true, false, SPOOF_NO, "dmarc_quarantine", 'n'},
            {"existence unknown, sp == np: sp", rec(false, TRI_UNKNOWN, N, Q, Q, 100, false),
             POSTURE_QUARANTINE, true, false, SPOOF_NO, "dmarc_quarantine", 's'},
            {"existence unknown, sp != np: error", rec(false, TRI_UNKNOWN, R, N, R, 100, false),
             POSTURE_ERROR, false, false, SPOOF_UNKNOWN, "exists_unknown", 0},
            {"subdomain, sp=reject, t=y", rec(false, TRI_YES, N, R, R, 100, true), POSTURE_REJECT,
             true, true, SPOOF_MAYBE, "dmarc_testing", 's'},
            {"subdomain, sp=quarantine pct=20", rec(false, TRI_YES, N, Q, Q, 20, false),
             POSTURE_QUARANTINE, true, true, SPOOF_MAYBE, "dmarc_pct_partial", 's'},
            {"parent's sp=none never says subdomains_only",
             rec(false, TRI_YES, R, R, N, 100, false), POSTURE_REJECT, true, false, SPOOF_NO,
             "dmarc_reject", 's'},
        };
        check_rows(rows, sizeof(rows) / sizeof(rows[0]));
        struct verdict v;
        struct verdict_in in = rec(false, TRI_UNKNOWN, R, N, R, 100, false);
        verdict_compute(&in, &v);
        assert_true(v.exists_decides);
        in.exists = TRI_YES;
        verdict_compute(&in, &v);
        assert_false(v.exists_decides);
}

static void t_no_policy(void **st)
{
        (void)st;
        struct verdict_in missing = {.have_record = false};
        struct verdict_in broken = {.invalid_seen = true};
        struct verdict_in unusable = rec(true, TRI_YES, R, R, R, 100, false);
        unusable.valid = false;
        struct verdict_in err = rec(true, TRI_YES, R, R, R, 100, false);
        err.dns_error = true;
        struct verdict_in err_none = {.dns_error = true};
        const struct row rows[] = {
            {"no record anywhere", missing, POSTURE_MISSING, false, false, SPOOF_YES,
             "dmarc_missing", 0},
            {"only broken or multiple records", broken, POSTURE_INVALID, false, false, SPOOF_YES,
             "dmarc_invalid", 0},
            {"the applied record is unusable", unusable, POSTURE_INVALID, false, false, SPOOF_YES,
             "dmarc_invalid", 0},
            {"DNS error wins over a record", err, POSTURE_ERROR, false, false, SPOOF_UNKNOWN,
             "dns_error", 0},
            {"DNS error is never missing", err_none, POSTURE_ERROR, false, false, SPOOF_UNKNOWN,
             "dns_error", 0},
        };
        check_rows(rows, sizeof(rows) / sizeof(rows[0]));
}

static void t_names(void **st)
{
        (void)st;
        static const char *const want[] = {"reject",  "quarantine", "none",
                                           "missing", "invalid",    "error"};
        for (int i = 0; i <= POSTURE_ERROR; i++)
                assert_string_equal(posture_name((enum posture)i), want[i]);
        assert_string_equal(posture_name((enum posture)99), "?");
        static const char *const sp[] = {"yes", "subdomains_only", "maybe", "no", "unknown"};
        for (int i = 0; i <= SPOOF_UNKNOWN; i++)
                assert_string_equal(spoofable_name((enum spoofable)i), sp[i]);
        assert_string_equal(spoofable_name((enum spoofable)99), "?");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_own_record),
            cmocka_unit_test(t_parent_record),
            cmocka_unit_test(t_no_policy),
            cmocka_unit_test(t_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

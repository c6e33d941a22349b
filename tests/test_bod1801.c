/* test_bod1801.c -- unit tests of the BOD 18-01 profile (scanner/profile/bod1801.c) and of
 * --profile's plumbing (scanner/profile/registry.c): the predicate on hand-built DMARC and SPF
 * results (records parsed by the real parser, verdicts by the real verdict table), one case
 * per unmet code and per reading of docs/bod-18-01.md (the rua address in its spellings, sp
 * only for an organizational domain, np only when written), null when a DNS failure leaves a
 * rule undecided and false whenever a rule is unmet anyway; every code documented and
 * reached; the object as written in the line; the checks a profile enables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "output/json.h"
#include "scanner/dmarc/check.h"
#include "scanner/job.h"
#include "scanner/profile/bod1801.h"
#include "scanner/spf/check.h"
#include "grammar_util.h"

#ifndef DS_SOURCE_DIR
#error "DS_SOURCE_DIR must name the source tree"
#endif

#define DHS     "rua=mailto:reports@dmarc.cyber.dhs.gov"
#define ORG     0  /* org_off: the domain is its own organizational domain */
#define SUB     4  /* org_off: the organizational domain starts 4 bytes in ("www.") */
#define UNK_ORG -1 /* org_off: the walk could not tell */

static struct dmarc_result dm_buf; /* reused: its record's storage too */

/* The verdict of the record in d->rec, applied at the domain itself or from a parent. */
static void decide(struct dmarc_result *d, bool own, enum tristate exists)
{
        struct verdict_in in = {
            .have_record = true,
            .valid = d->rec.valid,
            .at_domain = own,
            .exists = exists,
            .is_org = d->org_off < 0    ? TRI_UNKNOWN
                      : d->org_off == 0 ? TRI_YES
                                        : TRI_NO,
            .p = d->rec.p,
            .sp = d->rec.sp,
            .np = d->rec.np,
            .pct = d->rec.pct,
            .testing = d->rec.testing,
        };
        verdict_compute(&in, &d->v);
        d->applied = d->v.posture <= POSTURE_NONE;
}

/* The DMARC check's result for record, found at the domain (policy_off 0) or at its
 * organizational domain (SUB), which the domain is (ORG), is not (SUB) or may be (UNK_ORG). */
static const struct dmarc_result *found(const char *record, int policy_off, int org_off,
                                        enum tristate exists)
{
        struct dmarc_result *d = &dm_buf;
        struct dmarc_record rec = d->rec; /* its storage is reused, never freed: static */
        memset(d, 0, sizeof(*d));
        d->rec = rec;
        dmarc_parse(record, strlen(record), &d->rec);
        d->parsed = true;
        d->policy_off = policy_off;
        d->org_off = org_off;
        decide(d, policy_off == 0, exists);
        return d;
}

static const struct dmarc_result *own(const char *record, int org_off)
{
        return found(record, 0, org_off, TRI_YES);
}

/* The organizational domain's record applied to a subdomain that exists or not. */
static const struct dmarc_result *parents(const char *record, enum tristate exists)
{
        return found(record, SUB, SUB, exists);
}

static const struct dmarc_result *no_record(bool dns_error)
{
        struct dmarc_result *d = &dm_buf;
        struct dmarc_record rec = d->rec; /* its storage is reused, never freed: static */
        memset(d, 0, sizeof(*d));
        d->rec = rec;
        d->org_off = d->policy_off = -1;
        struct verdict_in in = {.dns_error = dns_error};
        verdict_compute(&in, &d->v);
        return d;
}

static struct spf_eval sp_buf;

static const struct spf_eval *spf(enum spf_result r, enum spf_all all)
{
        struct spf_eval *s = &sp_buf;
        memset(s, 0, sizeof(*s));
        s->result = r;
        s->all = all;
        s->all_known = r == SPF_RESULT_OK;
        s->permissive =
            s->all_known && (all == SPF_ALL_PASS || all == SPF_ALL_NEUTRAL || all == SPF_ALL_NONE);
        return s;
}

static const struct spf_eval *spf_ok(void)
{
        return spf(SPF_RESULT_OK, SPF_ALL_FAIL);
}

/* Codes produced so far by expect(): each code must be reached once. */
static bool reached[BOD1801_CODES];

/* compliant (1, 0, -1) and the unmet codes, space-separated in order ("" for none). */
static void expect(const struct dmarc_result *d, const struct spf_eval *s, int compliant,
                   const char *unmet)
{
        struct bod1801 b;
        bod1801_eval(d, s, &b);
        char got[256] = "";
        for (unsigned i = 0; i < b.nunmet; i++) {
                snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
                         b.unmet[i]);
                for (unsigned k = 0; bod1801_codes[k]; k++)
                        if (strcmp(bod1801_codes[k], b.unmet[i]) == 0)
                                reached[k] = true;
        }
        if (b.compliant != compliant || strcmp(got, unmet) != 0)
                fail_msg("got compliant=%d unmet=[%s], want %d [%s]", b.compliant, got, compliant,
                         unmet);
}

static void t_compliant(void **st)
{
        (void)st;
        expect(own("v=DMARC1; p=reject; " DHS, ORG), spf_ok(), 1, "");
        expect(own("v=DMARC1; p=reject; sp=reject; pct=100; " DHS, ORG), spf_ok(), 1, "");
        /* ~all is not permissive: only +all, ?all and no all are */
        expect(own("v=DMARC1; p=reject; " DHS, ORG), spf(SPF_RESULT_OK, SPF_ALL_SOFTFAIL), 1, "");
        /* another aggregate receiver beside DHS's, and a failure-report address */
        expect(own("v=DMARC1; p=reject; rua=mailto:d@agency.gov,mailto:reports@dmarc.cyber.dhs.gov;"
                   " ruf=mailto:f@agency.gov",
                   ORG),
               spf_ok(), 1, "");
}

static void t_dmarc_codes(void **st)
{
        (void)st;
        expect(no_record(false), spf_ok(), 0, "dmarc_missing");
        expect(own("v=DMARC1; p=bogus", ORG), spf_ok(), 0, "dmarc_invalid");
        expect(own("v=DMARC1; p=quarantine; sp=reject; " DHS, ORG), spf_ok(), 0, "p_not_reject");
        expect(own("v=DMARC1; p=reject; sp=quarantine; " DHS, ORG), spf_ok(), 0, "sp_not_reject");
        expect(own("v=DMARC1; p=reject; np=none; " DHS, ORG), spf_ok(), 0, "np_not_reject");
        expect(own("v=DMARC1; p=reject; sp=none; np=none; " DHS, ORG), spf_ok(), 0,
               "sp_not_reject np_not_reject");
        expect(own("v=DMARC1; p=reject; pct=50; " DHS, ORG), spf_ok(), 0, "pct_not_100");
        expect(own("v=DMARC1; p=reject; pct=0; " DHS, ORG), spf_ok(), 0, "pct_not_100");
        expect(own("v=DMARC1; p=reject; t=y; " DHS, ORG), spf_ok(), 0, "t_testing");
        expect(own("v=DMARC1; p=reject; rua=mailto:d@agency.gov", ORG), spf_ok(), 0,
               "rua_dhs_missing");
        expect(own("v=DMARC1; p=reject", ORG), spf_ok(), 0, "rua_dhs_missing");
        /* p=none: sp follows p, so both; np follows sp and is not written: not listed */
        expect(own("v=DMARC1; p=none; pct=50", ORG), spf(SPF_RESULT_OK, SPF_ALL_PASS), 0,
               "p_not_reject sp_not_reject pct_not_100 rua_dhs_missing spf_permissive");
        /* a bad p with a usable rua acts as p=none (p, sp, np become none) */
        expect(own("v=DMARC1; p=bogus; " DHS, ORG), spf_ok(), 0, "p_not_reject sp_not_reject");
}

/* sp and np reach subdomains only from the organizational domain's record. */
static void t_subdomains(void **st)
{
        (void)st;
        /* a subdomain's own record: its sp never applies to anything */
        expect(own("v=DMARC1; p=reject; sp=none; " DHS, SUB), spf_ok(), 1, "");
        /* a subdomain under the organization's record: sp is its policy (the posture) */
        expect(parents("v=DMARC1; p=reject; " DHS, TRI_YES), spf_ok(), 1, "");
        expect(parents("v=DMARC1; p=reject; sp=quarantine; " DHS, TRI_YES), spf_ok(), 0,
               "p_not_reject");
        /* a non-existent subdomain: np */
        expect(parents("v=DMARC1; p=reject; np=none; " DHS, TRI_NO), spf_ok(), 0, "p_not_reject");
        expect(parents("v=DMARC1; p=reject; np=none; " DHS, TRI_YES), spf_ok(), 1, "");
        /* the walk could not tell whether the domain is its own organization */
        expect(own("v=DMARC1; p=reject; sp=none; " DHS, UNK_ORG), spf_ok(), -1, "");
        expect(own("v=DMARC1; p=reject; " DHS, UNK_ORG), spf_ok(), 1, "");
        expect(own("v=DMARC1; p=reject; sp=none; pct=10; " DHS, UNK_ORG), spf_ok(), 0,
               "pct_not_100");
}

/* The DHS address in the spellings that count, and lookalikes that do not. */
static void t_rua(void **st)
{
        (void)st;
        static const char *const yes[] = {
            "rua=mailto:REPORTS@DMARC.CYBER.DHS.GOV",
            "rua=MAILTO:Reports@Dmarc.Cyber.Dhs.Gov",
            "rua=mailto:reports@dmarc.cyber.dhs.gov!10m",
            "rua=mailto:reports@dmarc.cyber.dhs.gov.",
            "rua=mailto:a@agency.gov, mailto:reports@dmarc.cyber.dhs.gov , mailto:b@agency.gov",
            "rua=mailto:reports@dmarc.cyber.dhs.gov?subject=dmarc",
        };
        static const char *const no[] = {
            "rua=mailto:report@dmarc.cyber.dhs.gov",
            "rua=mailto:reports@cyber.dhs.gov",
            "rua=mailto:reports@dmarc.cyber.dhs.gov.example.net",
            "rua=mailto:xreports@dmarc.cyber.dhs.gov",
            "rua=https://dmarc.cyber.dhs.gov/reports",
            "ruf=mailto:reports@dmarc.cyber.dhs.gov",
            "rua=mailto:reports%40dmarc.cyber.dhs.gov@example.net",
        };
        char rec[256];
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                snprintf(rec, sizeof(rec), "v=DMARC1; p=reject; %s", yes[i]);
                expect(own(rec, ORG), spf_ok(), 1, "");
        }
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
                snprintf(rec, sizeof(rec), "v=DMARC1; p=reject; %s", no[i]);
                expect(own(rec, ORG), spf_ok(), 0, "rua_dhs_missing");
        }
}

static void t_spf_codes(void **st)
{
        (void)st;
        const struct dmarc_result *d = own("v=DMARC1; p=reject; " DHS, ORG);
        expect(d, spf(SPF_RESULT_NONE, SPF_ALL_NONE), 0, "spf_missing");
        expect(d, spf(SPF_RESULT_PERMERROR, SPF_ALL_FAIL), 0, "spf_invalid");
        expect(d, spf(SPF_RESULT_OK, SPF_ALL_PASS), 0, "spf_permissive");
        expect(d, spf(SPF_RESULT_OK, SPF_ALL_NEUTRAL), 0, "spf_permissive");
        expect(d, spf(SPF_RESULT_OK, SPF_ALL_NONE), 0, "spf_permissive"); /* no all: neutral */
        /* -all reached through redirect: the check's effective all */
        struct spf_eval s = *spf(SPF_RESULT_OK, SPF_ALL_FAIL);
        expect(d, &s, 1, "");
}

/* null only when nothing is unmet and a DNS failure (or an unknowable redirect) leaves a rule
 * undecided. */
static void t_undecided(void **st)
{
        (void)st;
        expect(no_record(true), spf_ok(), -1, "");
        expect(no_record(true), spf(SPF_RESULT_NONE, SPF_ALL_NONE), 0, "spf_missing");
        expect(no_record(true), spf(SPF_RESULT_TEMPERROR, SPF_ALL_NONE), -1, "");
        const struct dmarc_result *good = own("v=DMARC1; p=reject; " DHS, ORG);
        expect(good, spf(SPF_RESULT_TEMPERROR, SPF_ALL_NONE), -1, "");
        expect(own("v=DMARC1; p=none; " DHS, ORG), spf(SPF_RESULT_TEMPERROR, SPF_ALL_NONE), 0,
               "p_not_reject sp_not_reject");
        /* a redirect to a macro-named target: no all is known without a sender */
        struct spf_eval s = *spf(SPF_RESULT_OK, SPF_ALL_NONE);
        s.all_known = false;
        s.permissive = false;
        good = own("v=DMARC1; p=reject; " DHS, ORG); /* the buffer was reused above */
        expect(good, &s, -1, "");
        /* a result missing (no check): undecided, never compliant */
        expect(good, NULL, -1, "");
        expect(NULL, spf_ok(), -1, "");
        expect(NULL, NULL, -1, "");
        /* existence unknown with sp and np different: posture error */
        struct dmarc_result *d = &dm_buf;
        parents("v=DMARC1; p=reject; np=none; " DHS, TRI_UNKNOWN);
        assert_int_equal(d->v.posture, POSTURE_ERROR);
        expect(d, spf_ok(), -1, "");
}

static void t_codes_documented(void **st)
{
        (void)st;
        assert_codes_documented(bod1801_codes, DS_SOURCE_DIR "/docs/bod-18-01.md");
        unsigned n = 0;
        for (; bod1801_codes[n]; n++)
                if (!reached[n])
                        fail_msg("code %s is never produced by a test", bod1801_codes[n]);
        assert_int_equal(n, BOD1801_CODES);
}

/* ---- the object in the line, and --profile ---------------------------------------------- */

static const char *render(const struct profile_set *ps, const struct job *j,
                          const struct job_scratch *s, struct jbuf *b)
{
        struct jw w;
        jbuf_reset(b);
        jw_begin(&w, b);
        profile_write(ps, j, s, &w);
        jw_end(&w);
        jbuf_raw(b, "", 1);
        return b->p;
}

/* --checks checks, then --profile bod-18-01. */
static void select_bod(struct check_set *set, struct profile_set *ps, const char *checks)
{
        char err[200];
        assert_int_equal(check_set_parse(set, checks, check_registry, err, sizeof(err)), 0);
        assert_int_equal(profile_select(ps, "bod-18-01", profile_registry, check_registry, set, err,
                                        sizeof(err)),
                         0);
        assert_ptr_equal(ps->ops, &bod1801_profile);
        assert_int_equal(set->n, 2);
}

/* The SPF result e, left in the scratch for job j as its conclude() would. */
static void spf_left(struct spf_scratch *ss, const struct job *j, const struct profile_set *ps,
                     const struct spf_eval *e)
{
        ss->spf = *e;
        ss->spf.for_state = job_state(j, (unsigned)ps->check[1]);
        ss->spf.for_gen = j->gen;
}

static void t_line_object(void **st)
{
        (void)st;
        struct check_set set;
        struct profile_set ps;
        select_bod(&set, &ps, "dmarc");
        struct job j = {.gen = 7, .set = &set};
        j.state = calloc(1, DS_CHECK_STATE_MAX);
        assert_non_null(j.state);
        struct job_scratch s = {.set = &set};
        struct dmarc_scratch *ds = calloc(1, sizeof(*ds));
        struct spf_scratch *ss = calloc(1, sizeof(*ss));
        assert_non_null(ds);
        assert_non_null(ss);
        s.check[ps.check[0]] = ds;
        s.check[ps.check[1]] = ss;
        memcpy(&ds->dmarc, own("v=DMARC1; p=reject; " DHS, ORG), sizeof(ds->dmarc));
        ds->dmarc.for_state = job_state(&j, (unsigned)ps.check[0]);
        ds->dmarc.for_gen = 7;
        spf_left(ss, &j, &ps, spf(SPF_RESULT_OK, SPF_ALL_PASS));
        struct jbuf b;
        jbuf_init(&b);
        assert_string_equal(render(&ps, &j, &s, &b),
                            "{\"bod1801\":{\"compliant\":false,\"unmet\":[\"spf_permissive\"]}}\n");
        spf_left(ss, &j, &ps, spf_ok());
        assert_string_equal(render(&ps, &j, &s, &b),
                            "{\"bod1801\":{\"compliant\":true,\"unmet\":[]}}\n");
        /* an input line that was not checked */
        j.in.status = INPUT_ITEM_ILLEGAL;
        assert_string_equal(render(&ps, &j, &s, &b), "{\"bod1801\":null}\n");
        /* no profile: nothing */
        struct profile_set none = {0};
        assert_string_equal(render(&none, &j, &s, &b), "{}\n");
        jbuf_free(&b);
        free(ds);
        free(ss);
        free(j.state);
}

static const struct check_ops *const dmarc_only[] = {&dmarc_check, NULL};

static void t_select(void **st)
{
        (void)st;
        struct check_set set;
        struct profile_set ps;
        char err[200];
        /* the checks it reads are added after those of --checks, once */
        select_bod(&set, &ps, "spf");
        assert_string_equal(set.ops[0]->name, "spf");
        assert_string_equal(set.ops[1]->name, "dmarc");
        assert_int_equal(ps.check[0], 1);
        assert_int_equal(ps.check[1], 0);
        select_bod(&set, &ps, "dmarc,spf");
        assert_int_equal(ps.check[0], 0);
        assert_int_equal(ps.check[1], 1);
        /* the line's objects follow the set */
        assert_int_equal(set.obj_check[0], 0);
        assert_int_equal(set.obj_check[1], 1);
        /* errors */
        assert_int_equal(profile_select(&ps, "bod-18-02", profile_registry, check_registry, &set,
                                        err, sizeof(err)),
                         -EINVAL);
        assert_string_equal(err, "--profile: unknown profile 'bod-18-02' (known: bod-18-01)");
        assert_null(ps.ops);
        assert_int_equal(check_set_parse(&set, "dmarc", dmarc_only, err, sizeof(err)), 0);
        assert_int_equal(
            profile_select(&ps, "bod-18-01", profile_registry, dmarc_only, &set, err, sizeof(err)),
            -EINVAL);
        assert_string_equal(err, "--profile bod-18-01 needs the spf check: unknown check 'spf' "
                                 "(known: dmarc)");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_compliant),        cmocka_unit_test(t_dmarc_codes),
            cmocka_unit_test(t_subdomains),       cmocka_unit_test(t_rua),
            cmocka_unit_test(t_spf_codes),        cmocka_unit_test(t_undecided),
            cmocka_unit_test(t_codes_documented), cmocka_unit_test(t_line_object),
            cmocka_unit_test(t_select),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

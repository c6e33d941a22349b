/* bod1801.c -- the BOD 18-01 email rules over the DMARC and SPF results (docs/bod-18-01.md
 * has each rule's wording, CISA's reading and dmarcscan's). */
#include "scanner/profile/bod1801.h"

#include <stdbool.h>
#include <string.h>

#include "common/check.h"
#include "common/text.h"
#include "scanner/dmarc/check.h"
#include "scanner/job.h"
#include "scanner/spf/check.h"

/* The aggregate-report address of required action 1.a.iii, as CISA's guide names it. */
#define DHS_LOCAL "reports"
#define DHS_HOST  "dmarc.cyber.dhs.gov"
#define KEY       "bod1801"

const char *const bod1801_codes[] = {
    "dmarc_missing", "dmarc_invalid", "p_not_reject",   "sp_not_reject",
    "np_not_reject", "pct_not_100",   "t_testing",      "rua_dhs_missing",
    "spf_missing",   "spf_invalid",   "spf_permissive", NULL,
};

struct tally {
        struct bod1801 *out;
        bool undecided;
};

static void unmet(struct tally *t, const char *code)
{
        if (!ds_fails(t->out->nunmet < BOD1801_CODES))
                t->out->unmet[t->out->nunmet++] = code;
}

/* One rule: met (TRI_YES), not met (TRI_NO: its code is listed), or undecided. */
static void rule(struct tally *t, enum tristate met, const char *code)
{
        if (met == TRI_NO)
                unmet(t, code);
        else if (met == TRI_UNKNOWN)
                t->undecided = true;
}

static enum tristate tri(bool b)
{
        return b ? TRI_YES : TRI_NO;
}

/* mailto:reports@dmarc.cyber.dhs.gov, the local part in any case (as CISA's reports compare
 * it), the host as the parser normalized it (lower case, no trailing dot); the "!size"
 * suffix and "?" header fields are not part of the address. */
static bool dhs_address(const struct dmarc_uri *u)
{
        const char *addr = u->uri + 7; /* after "mailto:": the parser keeps mailto URIs only */
        if (ds_fails(strlen(u->uri) > 7 && ds_ascii_ieq(u->uri, 7, "mailto:")))
                return false;
        const char *at = strchr(addr, '@');
        return at && ds_ascii_ieq(addr, (size_t)(at - addr), DHS_LOCAL) &&
               strcmp(u->host, DHS_HOST) == 0;
}

static bool rua_has_dhs(const struct dmarc_record *r)
{
        for (unsigned i = 0; i < r->rua_count; i++)
                if (dhs_address(&r->rua[i]))
                        return true;
        return false;
}

/* sp (or np) of the applied record reaches the domain's subdomains only when the domain is
 * its own organizational domain; under another organization, its subdomains get that
 * organization's record, judged on that domain's own line. */
static enum tristate subdomain_policy(const struct dmarc_result *d, enum dmarc_policy p)
{
        if (p == DMARC_POLICY_REJECT || d->org_off > 0)
                return TRI_YES;
        return d->org_off == 0 ? TRI_NO : TRI_UNKNOWN;
}

static void dmarc_rules(struct tally *t, const struct dmarc_result *d)
{
        if (!d || d->v.posture == POSTURE_ERROR) {
                t->undecided = true;
                return;
        }
        if (d->v.posture == POSTURE_MISSING) {
                unmet(t, "dmarc_missing");
                return;
        }
        if (d->v.posture == POSTURE_INVALID || ds_fails(d->applied)) {
                unmet(t, "dmarc_invalid");
                return;
        }
        const struct dmarc_record *r = &d->rec;
        rule(t, tri(d->v.posture == POSTURE_REJECT), "p_not_reject");
        rule(t, subdomain_policy(d, r->sp), "sp_not_reject");
        if (r->tags[DMARC_TAG_NP].present) /* else np is sp, and sp's rule speaks */
                rule(t, subdomain_policy(d, r->np), "np_not_reject");
        rule(t, tri(r->pct == 100), "pct_not_100");
        rule(t, tri(!r->testing), "t_testing");
        rule(t, tri(rua_has_dhs(r)), "rua_dhs_missing");
}

static void spf_rules(struct tally *t, const struct spf_eval *s)
{
        if (!s || s->result == SPF_RESULT_TEMPERROR) {
                t->undecided = true;
                return;
        }
        if (s->result == SPF_RESULT_NONE) {
                unmet(t, "spf_missing");
                return;
        }
        if (s->result == SPF_RESULT_PERMERROR) {
                unmet(t, "spf_invalid");
                return;
        }
        rule(t, !s->all_known ? TRI_UNKNOWN : tri(!s->permissive), "spf_permissive");
}

void bod1801_eval(const struct dmarc_result *d, const struct spf_eval *s, struct bod1801 *out)
{
        memset(out, 0, sizeof(*out));
        struct tally t = {.out = out};
        dmarc_rules(&t, d);
        spf_rules(&t, s);
        out->compliant = (int8_t)(out->nunmet ? TRI_NO : t.undecided ? TRI_UNKNOWN : TRI_YES);
}

/* The results the checks left for this job (conclude() tags them with the state and the
 * job's generation); NULL when they are not there. */
static const struct dmarc_result *dmarc_of(const struct profile_arg *a)
{
        const struct dmarc_scratch *s = a->scratch[0];
        if (!s || ds_fails(s->dmarc.for_state == a->state[0] && s->dmarc.for_gen == a->job->gen))
                return NULL;
        return &s->dmarc;
}

static const struct spf_eval *spf_of(const struct profile_arg *a)
{
        const struct spf_scratch *s = a->scratch[1];
        if (!s || ds_fails(s->spf.for_state == a->state[1] && s->spf.for_gen == a->job->gen))
                return NULL;
        return &s->spf;
}

static void bod1801_render(const struct profile_arg *a, struct jw *w)
{
        struct bod1801 b;
        bod1801_eval(dmarc_of(a), spf_of(a), &b);
        jw_obj_open(w, KEY);
        jw_tri(w, "compliant", b.compliant);
        jw_arr_open(w, "unmet");
        for (unsigned i = 0; i < b.nunmet; i++)
                jw_cstr(w, NULL, b.unmet[i]);
        jw_arr_close(w);
        jw_obj_close(w);
}

const struct profile_ops bod1801_profile = {
    .name = "bod-18-01",
    .key = KEY,
    .needs = {"dmarc", "spf"}, /* render() reads scratch[0] as dmarc's, scratch[1] as spf's */
    .render = bod1801_render,
};

/* check.c -- the DNSSEC check's hooks (scanner/check.h): <domain> SOA with DO, once more
 * with CD=1 after a SERVFAIL, and the AD counts of every lookup of the job. */
#include "scanner/dnssec/check.h"

#include <stdio.h>

#include "common/tristate.h"
#include "dns/wire.h"
#include "scanner/job.h"

/* The resolver follows a CNAME at the domain itself; whatever it answered is the answer. */
static bool any_data(const struct wire_reply *r, const uint8_t *name, size_t name_len, void *ctx)
{
        (void)r, (void)name, (void)name_len, (void)ctx;
        return true;
}

/* Unit tests run without an environment: they drive a validating resolver's replies. */
static int8_t validates(const struct check_arg *a)
{
        return a->env ? a->env->dnssec_validates : TRI_YES;
}

static enum check_step dnssec_start(const struct check_arg *a)
{
        struct dnssec_state_data *st = a->state;
        st->status = st->cd_status = LOOKUP_PENDING;
        /* Asked also when the resolvers do not validate (the line then says unknown): its
         * status is the domain's outcome when the check runs alone or first. */
        if (lookup_set(a->l, a->job->in.domain, WIRE_TYPE_SOA) < 0) {
                snprintf(a->job->in.error, sizeof(a->job->in.error),
                         "name too long to ask (over 255 octets)");
                return CHECK_ILLEGAL;
        }
        return CHECK_QUERY;
}

static enum check_step dnssec_on_reply(const struct check_arg *a)
{
        struct dnssec_state_data *st = a->state;
        struct wire_reply r;
        int status;
        bool retry = a->l->cd;
        (void)lookup_read(a->l, &r, &status, any_data, NULL);
        if (retry) {
                st->cd_status = (int16_t)status;
                return CHECK_DONE;
        }
        st->status = (int16_t)status;
        if (status != WIRE_RCODE_SERVFAIL || validates(a) != TRI_YES ||
            lookup_set(a->l, a->job->in.domain, WIRE_TYPE_SOA) < 0)
                return CHECK_DONE;
        a->l->cd = true; /* lookup_set() cleared it */
        return CHECK_QUERY;
}

/* The job's lookups' AD counts: every check's, read once all are back. */
static void evidence(const struct check_arg *a, struct dnssec_evidence *ev)
{
        const struct dnssec_state_data *st = a->state;
        const struct job *j = a->job;
        *ev = (struct dnssec_evidence){
            .validates = validates(a), .own_status = st->status, .cd_status = st->cd_status};
        for (unsigned i = 0; i < j->set->n; i++) {
                ev->ad_yes += j->look[i].ad_yes;
                ev->ad_no += j->look[i].ad_no;
        }
}

static void dnssec_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct dnssec_scratch *s = a->scratch;
        const struct dnssec_state_data *st = a->state;
        evidence(a, &s->ev);
        s->state = dnssec_summarise(&s->ev);
        f->status = st->status;
        f->dnssec = (int8_t)s->state;
}

static void dnssec_render(const struct check_arg *a, struct jw *w)
{
        const struct dnssec_scratch *s = a->scratch;
        jw_cstr(w, "dnssec", dnssec_state_name(s->state));
}

const struct check_ops dnssec_check = {
    .name = "dnssec",
    .state_size = sizeof(struct dnssec_state_data),
    .scratch_size = sizeof(struct dnssec_scratch),
    .start = dnssec_start,
    .on_reply = dnssec_on_reply,
    .conclude = dnssec_conclude,
    .render = dnssec_render,
    .reads_ad = true,
};

/* summary_job.c -- the scan's producer of a line's facts (scanner/summary.h): read from the
 * job and the classifier's scratch right after line_write() wrote the line from them. */
#include "scanner/summary.h"

#include <string.h>

#include "common/check.h"
#include "common/tristate.h"
#include "dns/https.h"
#include "scanner/bimi/check.h"
#include "scanner/dkim/check.h"
#include "scanner/dmarc/check.h"
#include "scanner/mtasts/check.h"
#include "scanner/mtasts/line.h"
#include "scanner/spf/check.h"
#include "scanner/tlsrpt/check.h"

static void dmarc_facts(struct summary *s, struct summary_facts *f, const struct dmarc_result *d)
{
        const struct dmarc_record *r = &d->rec;
        f->dmarc.status = d->status;
        f->dmarc.valid = d->v.posture <= POSTURE_NONE; /* the line's dmarc.valid is true */
        f->dmarc.p = (uint8_t)r->p;
        f->dmarc.sp = (uint8_t)r->sp;
        f->dmarc.np = (uint8_t)r->np;
        f->dmarc.rua = r->rua_count > 0;
        f->dmarc.ruf = r->ruf_count > 0;
        f->dmarc.nrecv = d->nrecv;
        if (d->nrecv)
                s->rbuf =
                    ds_xgrow(s->rbuf, &s->rcap, d->nrecv * sizeof(*s->rbuf), "a line's receivers");
        for (unsigned i = 0; i < d->nrecv; i++)
                s->rbuf[i] = (struct summary_receiver){.org = d->recv[i].org,
                                                       .external = d->recv[i].external,
                                                       .auth = d->recv[i].auth};
        f->dmarc.recv = s->rbuf;
}

/* The line's spf "errors" hold code: the record's, then the tree's. */
static bool spf_error(const struct spf_eval *e, const char *code)
{
        for (unsigned i = 0; e->parsed && i < e->rec.error_count; i++)
                if (strcmp(e->rec.errors[i].code, code) == 0)
                        return true;
        for (unsigned i = 0; i < e->nissues; i++)
                if (e->issues[i].error && strcmp(e->issues[i].code, code) == 0)
                        return true;
        return false;
}

static void spf_facts(struct summary_facts *f, const struct spf_eval *e)
{
        f->spf.status = e->status;
        f->spf.result = (uint8_t)e->result;
        f->spf.records = e->held_len >= 2;
        f->spf.all = (uint8_t)(e->all_known ? e->all : SPF_ALL_NONE);
        f->spf.permissive = e->all_known && e->permissive;
        f->spf.too_many_lookups = spf_error(e, "too_many_lookups");
        f->spf.too_many_void = spf_error(e, "too_many_void_lookups");
}

static void record_facts(bool *record, bool *valid, const struct txtrec *t)
{
        *record = t->nrecords + t->ndropped > 0;
        *valid = txtrec_valid(t) == 1;
}

/* What the line's mta_sts.policy says (scanner/mtasts/line.c writes it from the same). */
static void policy_facts(struct summary_facts *f, const struct mtasts_state *st,
                         const struct mtasts_scratch *m)
{
        f->mta_sts_policy.asked = st->fetch != MTASTS_FETCH_NOT_ASKED;
        f->mta_sts_policy.valid = st->fetch == HTTPS_OK && mtasts_policy_valid(&m->pol);
        f->mta_sts_policy.enforce = f->mta_sts_policy.valid && m->pol.mode == MTASTS_MODE_ENFORCE;
        f->mta_sts_policy.mx_match = mtasts_mx_match(st, m) == TRI_YES;
}

/* The MTA-STS, TLS-RPT, BIMI and DKIM objects' adoption facts. */
static void adoption_facts(const struct summary *s, struct summary_facts *f, const struct job *j,
                           const struct job_scratch *sc)
{
        if (s->mta_sts >= 0) {
                const struct mtasts_scratch *m = sc->check[s->mta_sts];
                record_facts(&f->mta_sts.record, &f->mta_sts.valid, &m->t);
                policy_facts(f, job_state(j, (unsigned)s->mta_sts), m);
        }
        if (s->tls_rpt >= 0)
                record_facts(&f->tls_rpt.record, &f->tls_rpt.valid,
                             &((const struct tlsrpt_scratch *)sc->check[s->tls_rpt])->t);
        if (s->bimi >= 0) {
                record_facts(&f->bimi.record, &f->bimi.valid,
                             &((const struct bimi_scratch *)sc->check[s->bimi])->t);
                const struct check_facts *d = s->dmarc >= 0 ? &sc->facts[s->dmarc] : NULL;
                f->bimi_dmarc_ok =
                    d && bimi_dmarc_ok(d->posture, d->enforcing, d->partial, d->org_sp) == 1;
        }
        if (s->dkim >= 0)
                f->dkim_status =
                    ((const struct dkim_state *)job_state(j, (unsigned)s->dkim))->status;
}

void summary_add(struct summary *s, const struct job *j, const struct job_scratch *sc)
{
        struct summary_facts f = {0};
        const struct input_item *in = &j->in;
        f.status = (uint8_t)in->status;
        f.domain = in->domain;
        f.rank = in->rank;
        f.sector = in->sector;
        f.top = sc->top;
        if (in->status == INPUT_ITEM_OK && s->dmarc >= 0)
                dmarc_facts(s, &f, &((const struct dmarc_scratch *)sc->check[s->dmarc])->dmarc);
        if (in->status == INPUT_ITEM_OK && s->spf >= 0)
                spf_facts(&f, &((const struct spf_scratch *)sc->check[s->spf])->spf);
        if (in->status == INPUT_ITEM_OK && s->mx >= 0) {
                f.mx.status = sc->facts[s->mx].status;
                f.mx.mail = sc->facts[s->mx].mail;
        }
        f.dnssec = in->status == INPUT_ITEM_OK && s->dnssec >= 0
                       ? (int8_t)sc->facts[s->dnssec].dnssec
                       : -1;
        if (in->status == INPUT_ITEM_OK)
                adoption_facts(s, &f, j, sc);
        summary_count(s, &f);
}

/* summary.c -- a line's facts into counters: what it says (struct summary_facts) is read
 * once into a list of counters (marks) and report-receiver organizations, then added to
 * every group the line belongs to (the whole scan, its TLD, its rank bucket, its sector). */
#include "scanner/summary.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/hash.h"
#include "dns/wire.h"
#include "scanner/bimi/check.h"
#include "scanner/dkim/check.h"
#include "scanner/dmarc/check.h"
#include "scanner/dnssec/verdict.h"
#include "scanner/lookup.h"
#include "scanner/mtasts/check.h"
#include "scanner/spf/check.h"
#include "scanner/tlsrpt/check.h"

#define MARKS_MAX 40

/* What one line counts for. */
struct marks {
        unsigned n, norg;
        uint16_t c[MARKS_MAX];
        const char **org; /* the summary's obuf: room for every receiver of the line */
};

static void mark(struct marks *m, unsigned counter)
{
        if (!ds_fails(m->n < MARKS_MAX && counter < SC_COUNT))
                m->c[m->n++] = (uint16_t)counter;
}

/* ---- groups ---- */

static int group_init(struct summary_group *g, unsigned top_k)
{
        memset(g->c, 0, sizeof(g->c));
        return topk_init(&g->orgs, top_k);
}

static void group_add(struct summary_group *g, const struct marks *m)
{
        for (unsigned i = 0; i < m->n; i++)
                g->c[m->c[i]]++;
        for (unsigned i = 0; i < m->norg; i++)
                topk_add(&g->orgs, m->org[i], strlen(m->org[i]), 1);
}

static void group_merge(struct summary_group *dst, const struct summary_group *src)
{
        for (unsigned i = 0; i < SC_COUNT; i++)
                dst->c[i] += src->c[i];
        topk_merge(&dst->orgs, &src->orgs);
}

#define TABLE_SLOTS (2 * SUMMARY_GROUPS_MAX)

static int table_init(struct summary_table *t)
{
        memset(t, 0, sizeof(*t));
        t->v = calloc(SUMMARY_GROUPS_MAX, sizeof(*t->v));
        t->slot = calloc(TABLE_SLOTS, sizeof(*t->slot));
        return t->v && t->slot ? 0 : -ENOMEM;
}

static void table_free(struct summary_table *t)
{
        for (unsigned i = 0; i < t->n; i++) {
                topk_free(&t->v[i]->g.orgs);
                free(t->v[i]->key);
                free(t->v[i]);
        }
        free(t->v);
        free(t->slot);
        memset(t, 0, sizeof(*t));
}

/* The group named key, created when new; NULL when the table is full. */
static struct summary_group *table_group(struct summary_table *t, const char *key, size_t n)
{
        uint64_t h = ds_hash(0, key, n);
        uint32_t i = (uint32_t)h & (TABLE_SLOTS - 1);
        for (; t->slot[i]; i = (i + 1) & (TABLE_SLOTS - 1)) {
                struct summary_keyed *k = t->v[t->slot[i] - 1];
                if (k->hash == h && strncmp(k->key, key, n) == 0 && k->key[n] == 0)
                        return &k->g;
        }
        if (t->n == SUMMARY_GROUPS_MAX)
                return NULL;
        struct summary_keyed *k = ds_xmalloc(sizeof(*k), "a summary group");
        k->key = ds_xmalloc(n + 1, "a summary group's name");
        memcpy(k->key, key, n);
        k->key[n] = 0;
        k->hash = h;
        if (group_init(&k->g, SUMMARY_GROUP_TOP_K) < 0)
                ds_oom("a summary group's receivers", sizeof(struct topk_entry));
        t->v[t->n++] = k;
        t->slot[i] = t->n;
        return &k->g;
}

static void table_add(struct summary_table *t, const char *key, size_t n, const struct marks *m)
{
        struct summary_group *g = table_group(t, key, n);
        if (g)
                group_add(g, m);
        else
                t->unlisted++;
}

static void table_merge(struct summary_table *dst, const struct summary_table *src)
{
        dst->unlisted += src->unlisted;
        for (unsigned i = 0; i < src->n; i++) {
                const struct summary_keyed *k = src->v[i];
                struct summary_group *g = table_group(dst, k->key, strlen(k->key));
                if (g)
                        group_merge(g, &k->g);
                else
                        dst->unlisted += k->g.c[SC_OK] + k->g.c[SC_ILLEGAL] + k->g.c[SC_EXCLUDED];
        }
}

_Static_assert(DNSSEC_STATES == SC_MTA_STS_RECORD - SC_DNSSEC, "a counter for every dnssec value");

/* ---- the summary ---- */

static int index_of(const struct check_set *set, const struct check_ops *ops)
{
        for (unsigned i = 0; i < set->n; i++)
                if (set->ops[i] == ops)
                        return (int)i;
        return -1;
}

static int init(struct summary *s, bool sectors)
{
        s->sectors = sectors;
        int rc = group_init(&s->all, SUMMARY_TOP_K);
        for (unsigned b = 0; rc == 0 && b < SUMMARY_RANK_BUCKETS; b++)
                rc = group_init(&s->rank[b], SUMMARY_GROUP_TOP_K);
        if (rc == 0)
                rc = table_init(&s->tld);
        if (rc == 0)
                rc = table_init(&s->sector);
        if (rc < 0)
                summary_free(s);
        return rc;
}

int summary_init(struct summary *s, const struct check_set *set, bool sectors)
{
        memset(s, 0, sizeof(*s));
        s->dmarc = index_of(set, &dmarc_check);
        s->spf = index_of(set, &spf_check);
        s->mx = check_set_find(set, "mx");         /* read through its facts alone */
        s->dnssec = check_set_find(set, "dnssec"); /* the same */
        s->mta_sts = index_of(set, &mtasts_check);
        s->tls_rpt = index_of(set, &tlsrpt_check);
        s->bimi = index_of(set, &bimi_check);
        s->dkim = index_of(set, &dkim_check);
        return init(s, sectors);
}

int summary_init_lines(struct summary *s, bool sectors)
{
        memset(s, 0, sizeof(*s));
        s->dmarc = s->spf = s->mx = s->dnssec = -1;
        s->mta_sts = s->tls_rpt = s->bimi = s->dkim = -1;
        return init(s, sectors);
}

void summary_free(struct summary *s)
{
        free(s->rbuf);
        free(s->obuf);
        s->rbuf = NULL;
        s->obuf = NULL;
        s->rcap = s->ocap = 0;
        topk_free(&s->all.orgs);
        for (unsigned b = 0; b < SUMMARY_RANK_BUCKETS; b++)
                topk_free(&s->rank[b].orgs);
        table_free(&s->tld);
        table_free(&s->sector);
}

unsigned summary_rank_bucket(int64_t rank)
{
        unsigned b = 0;
        for (int64_t edge = 1000; b + 1 < SUMMARY_RANK_BUCKETS && rank > edge; edge *= 10)
                b++;
        return b;
}

const char *summary_rank_bucket_name(unsigned bucket)
{
        static const char *const names[SUMMARY_RANK_BUCKETS] = {"1-1k", "1k-10k", "10k-100k",
                                                                "100k-1M", ">1M"};
        return bucket < SUMMARY_RANK_BUCKETS ? names[bucket] : NULL;
}

/* Status slots: rcodes 0..15, then these (enum lookup_status). */
static const int STATUS_AFTER_RCODES[SUMMARY_STATUS_SLOTS - 16] = {
    LOOKUP_TIMEOUT, LOOKUP_MALFORMED, LOOKUP_CNAME_LOOP, LOOKUP_NAME_TOO_LONG, LOOKUP_PENDING};

static unsigned status_slot(int status)
{
        if (status >= 0 && status < 16)
                return (unsigned)status;
        for (unsigned i = 0; i + 16 < SUMMARY_STATUS_SLOTS; i++)
                if (STATUS_AFTER_RCODES[i] == status)
                        return 16 + i;
        (void)ds_fails(status >= LOOKUP_NAME_TOO_LONG && status < 16); /* all listed */
        return SUMMARY_STATUS_SLOTS - 1;
}

int summary_slot_status(unsigned slot)
{
        return slot < 16 ? (int)slot : STATUS_AFTER_RCODES[slot - 16];
}

int summary_status_of(const char *name, int *status)
{
        for (unsigned k = 0; k < SUMMARY_STATUS_SLOTS; k++)
                if (strcmp(lookup_status_name(summary_slot_status(k)), name) == 0) {
                        *status = summary_slot_status(k);
                        return 0;
                }
        return -EINVAL;
}

/* ---- a line's facts ---- */

static int strength(unsigned p)
{
        return p == DMARC_POLICY_REJECT ? 2 : p == DMARC_POLICY_QUARANTINE ? 1 : 0;
}

static void add_org(struct marks *m, const char *org)
{
        for (unsigned i = 0; i < m->norg; i++)
                if (strcmp(m->org[i], org) == 0)
                        return;
        m->org[m->norg++] = org;
}

/* The dmarc object's policy fields: null, and rua and ruf empty, without a usable record. */
static void dmarc_policy_marks(struct marks *m, const struct summary_facts *f)
{
        if (!f->dmarc.valid)
                return;
        mark(m, SC_DMARC_VALID);
        if (strength(f->dmarc.sp) < strength(f->dmarc.p))
                mark(m, SC_SP_WEAKER);
        if (strength(f->dmarc.np) < strength(f->dmarc.p))
                mark(m, SC_NP_WEAKER);
        if (f->dmarc.rua)
                mark(m, SC_RUA);
        if (f->dmarc.ruf)
                mark(m, SC_RUF);
}

/* The dmarc object's "receivers": their organizations, external and authorized. */
static void receiver_marks(struct marks *m, const struct summary_facts *f)
{
        bool external = false, all_authorized = true, refused = false;
        if (!f->dmarc.nrecv)
                return;
        mark(m, SC_RECEIVERS);
        for (unsigned i = 0; i < f->dmarc.nrecv; i++) {
                const struct summary_receiver *rc = &f->dmarc.recv[i];
                add_org(m, rc->org);
                if (rc->external != TRI_YES)
                        continue;
                external = true;
                all_authorized &= rc->auth == AUTH_AUTHORIZED;
                refused |= rc->auth == AUTH_NOT_AUTHORIZED;
        }
        if (!external)
                return;
        mark(m, SC_EXTERNAL);
        if (all_authorized)
                mark(m, SC_EXT_AUTHORIZED);
        if (refused)
                mark(m, SC_EXT_NOT_AUTHORIZED);
}

/* The spf object; returns whether it lists records. */
static bool spf_marks(struct marks *m, const struct summary_facts *f)
{
        mark(m, SC_SPF_STATUS + status_slot(f->spf.status));
        if (!ds_fails(f->spf.result <= SPF_RESULT_TEMPERROR))
                mark(m, SC_SPF_RESULT + f->spf.result);
        if (!f->spf.records)
                return false;
        mark(m, SC_SPF_RECORD);
        if (!ds_fails(f->spf.all <= SPF_ALL_NEUTRAL))
                mark(m, SC_SPF_ALL + f->spf.all);
        if (f->spf.permissive)
                mark(m, SC_SPF_PERMISSIVE);
        if (f->spf.too_many_lookups)
                mark(m, SC_SPF_TOO_MANY_LOOKUPS);
        if (f->spf.too_many_void)
                mark(m, SC_SPF_TOO_MANY_VOID);
        return true;
}

/* The funnel's DMARC stages, from the top-level posture and enforcing. */
static void funnel_dmarc(struct marks *m, const struct toplevel *t, bool in)
{
        in =
            in && t->posture >= 0 && t->posture <= POSTURE_INVALID && t->posture != POSTURE_MISSING;
        if (in)
                mark(m, SC_F_DMARC);
        in = in && t->posture <= POSTURE_NONE;
        if (in)
                mark(m, SC_F_VALID);
        in = in && t->enforcing;
        if (in)
                mark(m, SC_F_ENFORCING);
        if (in && t->posture == POSTURE_REJECT)
                mark(m, SC_F_REJECT);
}

static void top_marks(struct marks *m, const struct toplevel *t)
{
        mark(m, t->exists == TRI_YES  ? SC_EXISTS_TRUE
                : t->exists == TRI_NO ? SC_EXISTS_FALSE
                                      : SC_EXISTS_NULL);
        if (t->posture >= 0 && !ds_fails(t->posture <= POSTURE_ERROR)) {
                mark(m, SC_POSTURE + (unsigned)t->posture);
                if (t->enforcing)
                        mark(m, SC_ENFORCING);
                if (t->partial)
                        mark(m, SC_PARTIAL);
        }
        if (t->spoofable >= 0 && !ds_fails(t->spoofable <= SPOOF_UNKNOWN))
                mark(m, SC_SPOOFABLE + (unsigned)t->spoofable);
}

/* A TXT-record check's object: a record published (records non-empty), and valid. */
static void record_marks(struct marks *m, bool record, bool valid, unsigned counter)
{
        if (record)
                mark(m, counter);
        if (valid)
                mark(m, counter + 1);
}

/* The MTA-STS policy's steps: asked, valid, enforcing, matching the MX hosts. */
static void policy_marks(struct marks *m, const struct summary_facts *f)
{
        const bool steps[] = {f->mta_sts_policy.asked, f->mta_sts_policy.valid,
                              f->mta_sts_policy.enforce, f->mta_sts_policy.mx_match};
        for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
                if (steps[i])
                        mark(m, SC_MTA_STS_POLICY_ASKED + i);
}

/* The adoption of MTA-STS, TLS-RPT, BIMI and DKIM, from the objects of the line. */
static void adoption_marks(const struct summary *s, const struct summary_facts *f, struct marks *m)
{
        if (s->mta_sts >= 0) {
                record_marks(m, f->mta_sts.record, f->mta_sts.valid, SC_MTA_STS_RECORD);
                policy_marks(m, f);
        }
        if (s->tls_rpt >= 0)
                record_marks(m, f->tls_rpt.record, f->tls_rpt.valid, SC_TLS_RPT_RECORD);
        if (s->bimi >= 0) {
                record_marks(m, f->bimi.record, f->bimi.valid, SC_BIMI_RECORD);
                if (f->bimi_dmarc_ok)
                        mark(m, SC_BIMI_DMARC_OK);
        }
        if (s->dkim >= 0 && f->dkim_status == WIRE_RCODE_NOERROR)
                mark(m, SC_DKIM_EXISTS);
        else if (s->dkim >= 0 && f->dkim_status == WIRE_RCODE_NXDOMAIN)
                mark(m, SC_DKIM_ABSENT);
}

static void ok_marks(const struct summary *s, const struct summary_facts *f, struct marks *m)
{
        const struct toplevel *t = &f->top;
        bool in = true, spf_record = false;
        int mail = s->mx >= 0 ? f->mx.mail : -1;
        top_marks(m, t);
        if (s->dmarc >= 0) {
                mark(m, SC_DMARC_STATUS + status_slot(f->dmarc.status));
                dmarc_policy_marks(m, f);
                receiver_marks(m, f);
        }
        if (s->spf >= 0)
                spf_record = spf_marks(m, f);
        if (s->mx >= 0) {
                if (!ds_fails(mail >= 0 && mail < 5))
                        mark(m, SC_MAIL + (unsigned)mail);
                mark(m, SC_MX_STATUS + status_slot(f->mx.status));
        }
        if (s->spf >= 0 || s->mx >= 0) {
                in = t->exists == TRI_YES;
                if (in)
                        mark(m, SC_F_RESOLVING);
        }
        if (s->mx >= 0) {
                in = in && mail == MAIL_FACT_MX;
                if (in)
                        mark(m, SC_F_MX);
        }
        if (s->spf >= 0) {
                in = in && spf_record;
                if (in)
                        mark(m, SC_F_SPF);
        }
        if (s->dmarc >= 0)
                funnel_dmarc(m, t, in);
        if (s->dnssec >= 0 && !ds_fails(f->dnssec >= 0 && f->dnssec < DNSSEC_STATES))
                mark(m, SC_DNSSEC + (unsigned)f->dnssec);
}

static void tld_of(const char *domain, const char **p, size_t *n)
{
        const char *dot = strrchr(domain, '.');
        *p = dot ? dot + 1 : domain;
        *n = strlen(*p);
}

void summary_count(struct summary *s, const struct summary_facts *f)
{
        struct marks m = {0};
        if (f->status == INPUT_ITEM_OK && s->dmarc >= 0 && f->dmarc.nrecv)
                s->obuf = ds_xgrow(s->obuf, &s->ocap, f->dmarc.nrecv * sizeof(*s->obuf),
                                   "a line's receiver organizations");
        m.org = s->obuf;
        if (f->status == INPUT_ITEM_OK) {
                mark(&m, SC_OK);
                ok_marks(s, f, &m);
                adoption_marks(s, f, &m);
        } else {
                mark(&m, f->status == INPUT_ITEM_EXCLUDED ? SC_EXCLUDED : SC_ILLEGAL);
        }
        group_add(&s->all, &m);
        if (f->status != INPUT_ITEM_ILLEGAL && !ds_fails(f->domain != NULL)) {
                const char *tld;
                size_t n;
                tld_of(f->domain, &tld, &n);
                table_add(&s->tld, tld, n, &m);
        }
        if (f->rank >= 0) { /* the line has a rank */
                s->ranked = true;
                group_add(&s->rank[summary_rank_bucket(f->rank)], &m);
        }
        if (s->sectors && f->sector)
                table_add(&s->sector, f->sector, strlen(f->sector), &m);
}

void summary_merge(struct summary *dst, const struct summary *src)
{
        group_merge(&dst->all, &src->all);
        for (unsigned b = 0; b < SUMMARY_RANK_BUCKETS; b++)
                group_merge(&dst->rank[b], &src->rank[b]);
        dst->ranked |= src->ranked;
        table_merge(&dst->tld, &src->tld);
        table_merge(&dst->sector, &src->sector);
}

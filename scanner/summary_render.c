/* summary_render.c -- a summary's counters as JSON: every group in one shape, each rate as
 * {n, total} with the total it is a share of (docs/output.md, "Summary"). */
#include "scanner/summary.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "output/tally.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/dnssec/verdict.h"
#include "scanner/lookup.h"
#include "scanner/spf/record.h"

/* enum mail_fact's names, as the summary's "mx" keys. */
static const char *const MAIL_NAMES[5] = {"hosts", "null_mx", "no_mx", "nxdomain", "error"};

/* Totals that are sums of counters, kept after the counters for the tables below. */
enum { SX_PUBLISHERS = SC_COUNT, SX_ENFORCEABLE, SX_COUNT };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const struct tally_rate EXISTS[] = {{"true", SC_EXISTS_TRUE, SC_OK},
                                           {"false", SC_EXISTS_FALSE, SC_OK},
                                           {"null", SC_EXISTS_NULL, SC_OK}};
static const struct tally_rate POLICY[] = {{"enforcing", SC_ENFORCING, SC_OK},
                                           {"partial", SC_PARTIAL, SX_ENFORCEABLE},
                                           {"sp_weaker", SC_SP_WEAKER, SC_DMARC_VALID},
                                           {"np_weaker", SC_NP_WEAKER, SC_DMARC_VALID}};
static const struct tally_rate SPF_SHARES[] = {
    {"permissive", SC_SPF_PERMISSIVE, SC_SPF_RECORD},
    {"too_many_lookups", SC_SPF_TOO_MANY_LOOKUPS, SC_SPF_RECORD},
    {"too_many_void_lookups", SC_SPF_TOO_MANY_VOID, SC_SPF_RECORD}};
static const struct tally_rate REPORTS[] = {
    {"rua", SC_RUA, SC_DMARC_VALID},
    {"ruf", SC_RUF, SC_DMARC_VALID},
    {"external", SC_EXTERNAL, SC_RECEIVERS},
    {"external_authorized", SC_EXT_AUTHORIZED, SC_EXTERNAL},
    {"external_not_authorized", SC_EXT_NOT_AUTHORIZED, SC_EXTERNAL}};

/* The group's counters, then the sums: publishers (a DMARC record applies, usable or not:
 * posture reject..none, or invalid) and enforceable (posture reject or quarantine). */
static void with_sums(const uint64_t *c, uint64_t x[SX_COUNT])
{
        memcpy(x, c, SC_COUNT * sizeof(*x));
        x[SX_ENFORCEABLE] = c[SC_POSTURE + POSTURE_REJECT] + c[SC_POSTURE + POSTURE_QUARANTINE];
        x[SX_PUBLISHERS] =
            x[SX_ENFORCEABLE] + c[SC_POSTURE + POSTURE_NONE] + c[SC_POSTURE + POSTURE_INVALID];
}

static void statuses(struct jw *w, const uint64_t *c)
{
        jw_obj_open(w, "statuses");
        jw_uint(w, "OK", c[SC_OK]);
        jw_uint(w, "ILLEGAL_INPUT", c[SC_ILLEGAL]);
        jw_uint(w, "EXCLUDED", c[SC_EXCLUDED]);
        jw_obj_close(w);
}

static void totals(struct jw *w, const struct summary *s, const uint64_t *c)
{
        jw_obj_open(w, "totals");
        jw_uint(w, "lines", c[SC_OK] + c[SC_ILLEGAL] + c[SC_EXCLUDED]);
        jw_uint(w, "domains", c[SC_OK] + c[SC_ILLEGAL]);
        jw_uint(w, "scanned", c[SC_OK]);
        if (s->dmarc >= 0)
                jw_uint(w, "publishers", c[SX_PUBLISHERS]);
        jw_obj_close(w);
}

/* Each stage a share of the stage before it; the first, of the domains. */
static void funnel(struct jw *w, const struct summary *s, const uint64_t *c)
{
        static const struct {
                const char *name;
                unsigned counter;
        } dmarc[] = {{"dmarc_record", SC_F_DMARC},
                     {"valid", SC_F_VALID},
                     {"enforcing", SC_F_ENFORCING},
                     {"reject", SC_F_REJECT}};
        uint64_t prev = c[SC_OK];
        jw_obj_open(w, "funnel");
        jw_rate(w, "domains", prev, c[SC_OK] + c[SC_ILLEGAL]);
        if (s->spf >= 0 || s->mx >= 0) {
                jw_rate(w, "resolving", c[SC_F_RESOLVING], prev);
                prev = c[SC_F_RESOLVING];
        }
        if (s->mx >= 0) {
                jw_rate(w, "mx", c[SC_F_MX], prev);
                prev = c[SC_F_MX];
        }
        if (s->spf >= 0) {
                jw_rate(w, "spf", c[SC_F_SPF], prev);
                prev = c[SC_F_SPF];
        }
        for (size_t i = 0; s->dmarc >= 0 && i < sizeof(dmarc) / sizeof(dmarc[0]); i++) {
                jw_rate(w, dmarc[i].name, c[dmarc[i].counter], prev);
                prev = c[dmarc[i].counter];
        }
        jw_obj_close(w);
}

const char *summary_posture_key(int k)
{
        return posture_name((enum posture)k);
}

const char *summary_spoofable_key(int k)
{
        return spoofable_name((enum spoofable)k);
}

const char *summary_spf_result_key(int k)
{
        return spf_result_name((enum spf_result)k);
}

const char *summary_spf_all_key(int k)
{
        const char *name = spf_all_name((enum spf_all)k);
        return name ? name : "null";
}

static const char *mail_key(int k)
{
        return MAIL_NAMES[k];
}

static const char *dnssec_key(int k)
{
        return dnssec_state_name((enum dnssec_state)k);
}

/* key: {name(k): {c[from + k], total}} for k in 0..n: one population split by a value. */
static void split(struct jw *w, const char *key, const uint64_t *c, unsigned from, int n,
                  const char *(*name)(int), uint64_t total)
{
        jw_obj_open(w, key);
        for (int k = 0; k < n; k++)
                jw_rate(w, name(k), c[from + (unsigned)k], total);
        jw_obj_close(w);
}

static void posture(struct jw *w, const uint64_t *c)
{
        split(w, "posture", c, SC_POSTURE, POSTURE_ERROR + 1, summary_posture_key, c[SC_OK]);
        jw_obj_open(w, "posture_publishers");
        for (int p = POSTURE_REJECT; p <= POSTURE_INVALID; p++)
                if (p != POSTURE_MISSING)
                        jw_rate(w, summary_posture_key(p), c[SC_POSTURE + p], c[SX_PUBLISHERS]);
        jw_obj_close(w);
}

static void spf(struct jw *w, const uint64_t *c)
{
        jw_obj_open(w, "spf");
        jw_rate(w, "record", c[SC_SPF_RECORD], c[SC_OK]);
        split(w, "result", c, SC_SPF_RESULT, SPF_RESULT_TEMPERROR + 1, summary_spf_result_key,
              c[SC_OK]);
        split(w, "all", c, SC_SPF_ALL, SPF_ALL_NEUTRAL + 1, summary_spf_all_key, c[SC_SPF_RECORD]);
        jw_rate_members(w, c, SPF_SHARES, COUNT(SPF_SHARES));
        jw_obj_close(w);
}

/* The statuses that occurred (an absent status: none). */
static void status_split(struct jw *w, const char *key, const uint64_t *c, unsigned from)
{
        jw_obj_open(w, key);
        for (unsigned k = 0; k < SUMMARY_STATUS_SLOTS; k++)
                if (c[from + k])
                        jw_rate(w, lookup_status_name(summary_slot_status(k)), c[from + k],
                                c[SC_OK]);
        jw_obj_close(w);
}

static void dns_status(struct jw *w, const struct summary *s, const uint64_t *c)
{
        jw_obj_open(w, "dns_status");
        if (s->dmarc >= 0)
                status_split(w, "dmarc", c, SC_DMARC_STATUS);
        if (s->spf >= 0)
                status_split(w, "spf", c, SC_SPF_STATUS);
        if (s->mx >= 0)
                status_split(w, "mx", c, SC_MX_STATUS);
        jw_obj_close(w);
}

/* MTA-STS, TLS-RPT, BIMI and DKIM adoption: a record, and a valid one; only the checks that
 * ran. */
static void adoption(struct jw *w, const struct summary *s, const uint64_t *c)
{
        static const struct tally_rate MTA_STS[] = {
            {"mta_sts", SC_MTA_STS_RECORD, SC_OK},
            {"mta_sts_valid", SC_MTA_STS_VALID, SC_OK},
            {"mta_sts_policy", SC_MTA_STS_POLICY, SC_OK},
            {"mta_sts_enforce", SC_MTA_STS_ENFORCE, SC_OK},
            {"mta_sts_mx_match", SC_MTA_STS_MX_MATCH, SC_OK}};
        static const struct tally_rate TLS_RPT[] = {{"tls_rpt", SC_TLS_RPT_RECORD, SC_OK},
                                                    {"tls_rpt_valid", SC_TLS_RPT_VALID, SC_OK}};
        static const struct tally_rate BIMI[] = {{"bimi", SC_BIMI_RECORD, SC_OK},
                                                 {"bimi_valid", SC_BIMI_VALID, SC_OK},
                                                 {"bimi_dmarc_ok", SC_BIMI_DMARC_OK, SC_OK}};
        static const struct tally_rate DKIM[] = {{"dkim_domainkey", SC_DKIM_EXISTS, SC_OK},
                                                 {"dkim_domainkey_absent", SC_DKIM_ABSENT, SC_OK}};
        if (s->mta_sts < 0 && s->tls_rpt < 0 && s->bimi < 0 && s->dkim < 0)
                return;
        jw_obj_open(w, "adoption");
        /* the policy's rows when any line of the scan asked for one (--mta-sts-policy) */
        if (s->mta_sts >= 0)
                jw_rate_members(w, c, MTA_STS, s->all.c[SC_MTA_STS_POLICY_ASKED] ? 5 : 2);
        if (s->tls_rpt >= 0)
                jw_rate_members(w, c, TLS_RPT, COUNT(TLS_RPT));
        if (s->bimi >= 0)
                jw_rate_members(w, c, BIMI, s->dmarc >= 0 ? 3 : 2);
        if (s->dkim >= 0)
                jw_rate_members(w, c, DKIM, COUNT(DKIM));
        jw_obj_close(w);
}

/* One group's members, in the order docs/output.md lists them. */
static void group(struct jw *w, const struct summary *s, const struct summary_group *g)
{
        uint64_t c[SX_COUNT];
        with_sums(g->c, c);
        statuses(w, c);
        totals(w, s, c);
        jw_rates(w, "exists", c, EXISTS, COUNT(EXISTS));
        funnel(w, s, c);
        if (s->dmarc >= 0) {
                posture(w, c);
                jw_rates(w, "policy", c, POLICY, COUNT(POLICY));
                jw_rates(w, "reports", c, REPORTS, COUNT(REPORTS));
                jw_topk(w, "receivers", &g->orgs, "org", c[SC_RECEIVERS]);
                split(w, "spoofable", c, SC_SPOOFABLE, SPOOF_UNKNOWN + 1, summary_spoofable_key,
                      c[SC_OK]);
        }
        if (s->spf >= 0)
                spf(w, c);
        if (s->mx >= 0)
                split(w, "mx", c, SC_MAIL, COUNT(MAIL_NAMES), mail_key, c[SC_OK]);
        if (s->dnssec >= 0)
                split(w, "dnssec", c, SC_DNSSEC, DNSSEC_STATES, dnssec_key, c[SC_OK]);
        adoption(w, s, c);
        dns_status(w, s, c);
}

static int by_key(const void *a, const void *b)
{
        return strcmp((*(const struct summary_keyed *const *)a)->key,
                      (*(const struct summary_keyed *const *)b)->key);
}

/* key: {NAME: group, ...}, names in byte order. */
static void table(struct jw *w, const char *key, const struct summary *s,
                  const struct summary_table *t)
{
        const struct summary_keyed **v = ds_xcalloc(t->n ? t->n : 1, sizeof(*v), "group order");
        memcpy(v, t->v, t->n * sizeof(*v));
        qsort(v, t->n, sizeof(*v), by_key);
        jw_obj_open(w, key);
        for (unsigned i = 0; i < t->n; i++) {
                jw_obj_open(w, v[i]->key);
                group(w, s, &v[i]->g);
                jw_obj_close(w);
        }
        jw_obj_close(w);
        free(v);
}

void summary_render(struct jw *w, const struct summary *s)
{
        group(w, s, &s->all);
        table(w, "by_tld", s, &s->tld);
        if (s->ranked) {
                jw_obj_open(w, "by_rank_bucket");
                for (unsigned b = 0; b < SUMMARY_RANK_BUCKETS; b++) {
                        jw_obj_open(w, summary_rank_bucket_name(b));
                        group(w, s, &s->rank[b]);
                        jw_obj_close(w);
                }
                jw_obj_close(w);
        }
        if (s->sectors)
                table(w, "by_sector", s, &s->sector);
        jw_obj_open(w, "unlisted");
        jw_uint(w, "by_tld", s->tld.unlisted);
        if (s->sectors)
                jw_uint(w, "by_sector", s->sector.unlisted);
        jw_obj_close(w);
}

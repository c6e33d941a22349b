/* summary_render.c -- a summary's counters as JSON: every group in one shape, each rate as
 * {n, total} with the total it is a share of (docs/output.md, "Summary"). */
#include "scanner/summary.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "output/tally.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/lookup.h"
#include "scanner/spf/record.h"

/* enum mail_fact's names, as the summary's "mx" keys. */
static const char *const MAIL_NAMES[5] = {"hosts", "null_mx", "no_mx", "nxdomain", "error"};

static uint64_t sum(const uint64_t *c, unsigned from, unsigned n)
{
        uint64_t s = 0;
        for (unsigned i = 0; i < n; i++)
                s += c[from + i];
        return s;
}

/* Publishers: a DMARC record applies, usable or not (posture reject..none, or invalid). */
static uint64_t publishers(const uint64_t *c)
{
        return sum(c, SC_POSTURE, POSTURE_NONE + 1) + c[SC_POSTURE + POSTURE_INVALID];
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
                jw_uint(w, "publishers", publishers(c));
        jw_obj_close(w);
}

static void exists(struct jw *w, const uint64_t *c)
{
        jw_obj_open(w, "exists");
        jw_rate(w, "true", c[SC_EXISTS_TRUE], c[SC_OK]);
        jw_rate(w, "false", c[SC_EXISTS_FALSE], c[SC_OK]);
        jw_rate(w, "null", c[SC_EXISTS_NULL], c[SC_OK]);
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

static void posture(struct jw *w, const uint64_t *c)
{
        uint64_t pub = publishers(c);
        jw_obj_open(w, "posture");
        for (int p = POSTURE_REJECT; p <= POSTURE_ERROR; p++)
                jw_rate(w, posture_name((enum posture)p), c[SC_POSTURE + p], c[SC_OK]);
        jw_obj_close(w);
        jw_obj_open(w, "posture_publishers");
        for (int p = POSTURE_REJECT; p <= POSTURE_INVALID; p++)
                if (p != POSTURE_MISSING)
                        jw_rate(w, posture_name((enum posture)p), c[SC_POSTURE + p], pub);
        jw_obj_close(w);
}

static void policy(struct jw *w, const uint64_t *c)
{
        jw_obj_open(w, "policy");
        jw_rate(w, "enforcing", c[SC_ENFORCING], c[SC_OK]);
        jw_rate(w, "partial", c[SC_PARTIAL], sum(c, SC_POSTURE, POSTURE_QUARANTINE + 1));
        jw_rate(w, "sp_weaker", c[SC_SP_WEAKER], c[SC_DMARC_VALID]);
        jw_rate(w, "np_weaker", c[SC_NP_WEAKER], c[SC_DMARC_VALID]);
        jw_obj_close(w);
}

static void reports(struct jw *w, const uint64_t *c)
{
        jw_obj_open(w, "reports");
        jw_rate(w, "rua", c[SC_RUA], c[SC_DMARC_VALID]);
        jw_rate(w, "ruf", c[SC_RUF], c[SC_DMARC_VALID]);
        jw_rate(w, "external", c[SC_EXTERNAL], c[SC_RECEIVERS]);
        jw_rate(w, "external_authorized", c[SC_EXT_AUTHORIZED], c[SC_EXTERNAL]);
        jw_rate(w, "external_not_authorized", c[SC_EXT_NOT_AUTHORIZED], c[SC_EXTERNAL]);
        jw_obj_close(w);
}

static void spoofable(struct jw *w, const uint64_t *c)
{
        jw_obj_open(w, "spoofable");
        for (int k = SPOOF_YES; k <= SPOOF_UNKNOWN; k++)
                jw_rate(w, spoofable_name((enum spoofable)k), c[SC_SPOOFABLE + k], c[SC_OK]);
        jw_obj_close(w);
}

static void spf(struct jw *w, const uint64_t *c)
{
        uint64_t rec = c[SC_SPF_RECORD];
        jw_obj_open(w, "spf");
        jw_rate(w, "record", rec, c[SC_OK]);
        jw_obj_open(w, "result");
        for (int r = SPF_RESULT_NONE; r <= SPF_RESULT_TEMPERROR; r++)
                jw_rate(w, spf_result_name((enum spf_result)r), c[SC_SPF_RESULT + r], c[SC_OK]);
        jw_obj_close(w);
        jw_obj_open(w, "all");
        for (int a = SPF_ALL_NONE; a <= SPF_ALL_NEUTRAL; a++) {
                const char *name = spf_all_name((enum spf_all)a);
                jw_rate(w, name ? name : "null", c[SC_SPF_ALL + a], rec);
        }
        jw_obj_close(w);
        jw_rate(w, "permissive", c[SC_SPF_PERMISSIVE], rec);
        jw_rate(w, "too_many_lookups", c[SC_SPF_TOO_MANY_LOOKUPS], rec);
        jw_rate(w, "too_many_void_lookups", c[SC_SPF_TOO_MANY_VOID], rec);
        jw_obj_close(w);
}

static void mx(struct jw *w, const uint64_t *c)
{
        jw_obj_open(w, "mx");
        for (unsigned k = 0; k < 5; k++)
                jw_rate(w, MAIL_NAMES[k], c[SC_MAIL + k], c[SC_OK]);
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

/* One group's members, in the order docs/output.md lists them. */
static void group(struct jw *w, const struct summary *s, const struct summary_group *g)
{
        const uint64_t *c = g->c;
        statuses(w, c);
        totals(w, s, c);
        exists(w, c);
        funnel(w, s, c);
        if (s->dmarc >= 0) {
                posture(w, c);
                policy(w, c);
                reports(w, c);
                jw_topk(w, "receivers", &g->orgs, "org", c[SC_RECEIVERS]);
                spoofable(w, c);
        }
        if (s->spf >= 0)
                spf(w, c);
        if (s->mx >= 0)
                mx(w, c);
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

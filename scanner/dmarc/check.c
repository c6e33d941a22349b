/* check.c -- the DMARC check's state machine: the discovery walk (_dmarc.<name> TXT, CNAMEs
 * followed across lookups), the existence lookup, the report-authorization lookups, the
 * verdict; and its hooks (scanner/check.h). */
#include "scanner/dmarc/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/hash.h"
#include "common/text.h"
#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/dmarc/line.h"
#include "scanner/dmarc/state.h"
#include "scanner/job.h"

static const char DMARC_PREFIX[] = "_dmarc.";
static const char REPORT_INFIX[] = "._report._dmarc.";
static const char REPORT_PREFIX[] = "_report._dmarc.";

/* ---- names ---------------------------------------------------------------------------- */

/* "_dmarc." + name into out (sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT bytes). */
static void dmarc_name(char *out, const char *name)
{
        ds_concat(out, sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT,
                  (const char *[]){DMARC_PREFIX, name}, 2);
}

/* One domain's DMARC check as the functions below see it. */
struct dm {
        struct dmarc_state *st;
        struct lookup *l;
        const char *domain;
        const struct discovery_ctx *disc; /* NULL: exact discovery, no PSL */
        bool details;                     /* --details: the sentences are written */
        bool report_cut;                  /* check_env.report_cut */
        uint64_t now_ms;                  /* check_arg.now_ms */
};

static enum discovery_mode job_mode(const struct dm *j)
{
        return j->disc ? j->disc->mode : DISCOVERY_EXACT;
}

static uint16_t sat16(unsigned v)
{
        return v > 65535 ? 65535 : (uint16_t)v;
}

/* ---- held text (scanner/dmarc/state.h) ------------------------------------------------ */

/* Keep the current lookup's records (walk index i), replacing what was held. */
static void hold_current(struct dm *j, const struct dmarc_result *d, unsigned i, const char *target)
{
        j->st->held_len = j->st->held_base;
        j->st->held_index = -1;
        held_put_name(j->st, target);
        for (unsigned k = 0; k < d->nrecords; k++) {
                uint16_t n = (uint16_t)d->recs[k].len;
                held_put(j->st, &n, sizeof(n));
                held_put(j->st, d->text + d->recs[k].off, n);
        }
        j->st->held_index = (int8_t)i;
        ds_require(d->nrecords <= UINT16_MAX);
        j->st->held_nrec = (uint16_t)d->nrecords;
        j->st->held_dropped = sat16(d->nrecords_dropped);
        j->st->held_other = sat16(d->nother_txt);
        j->st->held_hops = j->l->cname_hops;
}

/* ---- one reply ------------------------------------------------------------------------ */

/* RFC 7489 6.4: "v" *WSP "=" *WSP "DMARC1", then the end, WSP or ';'. */
static bool is_dmarc_record(const uint8_t *t, size_t n)
{
        size_t i = 0;
        if (n == 0 || (t[0] != 'v' && t[0] != 'V'))
                return false;
        for (i = 1; i < n && (t[i] == ' ' || t[i] == '\t'); i++)
                ;
        if (i >= n || t[i++] != '=')
                return false;
        while (i < n && (t[i] == ' ' || t[i] == '\t'))
                i++;
        if (n - i < 6 || memcmp(t + i, "DMARC1", 6) != 0)
                return false;
        i += 6;
        return i == n || t[i] == ';' || t[i] == ' ' || t[i] == '\t';
}

/* No records, and a fresh budget: a new lookup's, or the held ones', are next. */
static void recs_clear(struct dmarc_result *d)
{
        d->nrecords = d->nrecords_dropped = d->nother_txt = 0;
        d->recs_mem.n = 0;
        ds_budget_reset(&d->budget);
        d->over_budget = false;
}

/* Note one record, text[off..off+len); counted as dropped when the budget refuses it. */
static void recs_add(struct dmarc_result *d, size_t off, size_t len)
{
        struct rec_span *r = ds_vec_push(&d->recs_mem, sizeof(*r), &d->budget, "a reply's records");
        if (!r) {
                d->nrecords_dropped++;
                d->over_budget = true;
                return;
        }
        r->off = (uint32_t)off;
        r->len = (uint32_t)len;
        d->recs = d->recs_mem.buf;
        d->nrecords++;
}

/* Gather the TXT records owned by name; returns how many TXT RRs the name has. */
static int collect_txt(struct dmarc_result *d, const struct wire_reply *r, const uint8_t *name,
                       size_t name_len)
{
        struct wire_rr_iter it;
        struct wire_rr rr;
        size_t used = 0;
        int ntxt = 0;
        wire_rr_iter_init(&it, r);
        while (wire_rr_next(&it, &rr) == 1 && rr.section == WIRE_SEC_ANSWER) {
                if (rr.type != WIRE_TYPE_TXT || rr.rclass != WIRE_CLASS_IN)
                        continue;
                if (wire_name_equal(r->pkt, r->len, rr.owner_off, name, name_len) != 1)
                        continue;
                ntxt++;
                /* The joined text is never longer than the rdata. */
                d->text =
                    ds_xgrow(d->text, &d->text_cap, used + rr.rdlen + 1, "a reply's TXT records");
                int n = wire_txt_join(r, &rr, d->text + used, d->text_cap - used);
                if (n < 0)
                        return n;
                if (!is_dmarc_record(d->text + used, (size_t)n)) {
                        d->nother_txt++;
                        continue;
                }
                recs_add(d, used, (size_t)n);
                used += (size_t)n;
        }
        return ntxt;
}

enum read_result { READ_DONE, READ_FOLLOW };

struct collect_ctx {
        struct dmarc_result *d;
        int ntxt; /* TXT RRs at the name; -1: malformed */
};

static bool collect_at(const struct wire_reply *r, const uint8_t *name, size_t name_len, void *ctx)
{
        struct collect_ctx *c = ctx;
        c->ntxt = collect_txt(c->d, r, name, name_len);
        return c->ntxt != 0;
}

/* Digest the reply to the lookup in flight: its status into *status, TXT records into d.
 * READ_FOLLOW: a CNAME left the reply without an answer; j->l->qname is now its target. */
static enum read_result read_reply(struct dm *j, struct dmarc_result *d, int *status)
{
        recs_clear(d);
        struct wire_reply r;
        struct collect_ctx c = {.d = d, .ntxt = 0};
        bool txt = j->l->qtype == WIRE_TYPE_TXT;
        /* An existence lookup needs no data: a CNAME alone tells it enough. */
        if (lookup_read(j->l, &r, status, txt ? collect_at : NULL, &c) == LOOKUP_READ_FOLLOW)
                return READ_FOLLOW;
        if (*status != WIRE_RCODE_NOERROR || !txt)
                return READ_DONE;
        if (c.ntxt == 0) /* collect_at() did not run (no CNAME in this reply) */
                c.ntxt = collect_txt(d, &r, j->l->qname, j->l->qname_len);
        if (c.ntxt < 0)
                *status = LOOKUP_MALFORMED;
        return READ_DONE;
}

/* Parse record k into d->rec within what is left of the domain's budget. */
static void parse_rec(struct dmarc_result *d, unsigned k)
{
        size_t left = ds_budget_left(&d->budget);
        d->rec.no_sentences = !d->sentences;
        dmarc_reparse(&d->reparse, (const char *)d->text + d->recs[k].off, d->recs[k].len,
                      left ? left : 1, &d->rec);
}

/* What one name's records mean for the walk (RFC 9989 4.10 steps 2 and 6). */
static enum walk_kind classify(struct dmarc_result *d, enum dmarc_psd *psd)
{
        *psd = DMARC_PSD_U;
        unsigned n = d->nrecords + d->nrecords_dropped;
        if (n == 0)
                return WALK_NONE;
        if (n > 1)
                return WALK_MULTIPLE;
        parse_rec(d, 0);
        if (!discovery_well_formed(&d->rec))
                return WALK_BROKEN;
        *psd = d->rec.psd;
        return WALK_RECORD;
}

/* ---- the verdict ---------------------------------------------------------------------- */

const char *const dmarc_discovery_codes[] = {
    "dns_error",          "multiple_records", "record_discarded", "non_dmarc_txt",
    "org_domain_unknown", "exists_unknown",   "budget_exceeded",  NULL,
};

static void add_issue(struct dmarc_result *d, const char *code, bool error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_issue(struct dmarc_result *d, const char *code, bool error, const char *fmt, ...)
{
        if (ds_fails(d->nissues < DS_DISC_ISSUES_MAX) ||
            ds_fails(ds_listed(dmarc_discovery_codes, code)))
                return;
        struct disc_issue *is = &d->issues[d->nissues++];
        is->code = code;
        is->error = error;
        is->msg[0] = 0;
        va_list ap;
        va_start(ap, fmt);
        if (d->sentences)
                vsnprintf(is->msg, sizeof(is->msg), fmt, ap);
        va_end(ap);
}

static int memo_psl_org(struct psl_memo *memo, const struct dm *j, const char *name)
{
        if (memo->last && strcmp(memo->last->name, name) == 0)
                return memo->last->off;
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const char *c = name; *c; c++)
                h = (h ^ (uint8_t)*c) * 16777619u;
        struct psl_memo_entry *e = &memo->e[h % DS_PSL_MEMO];
        if (e->name[0] && strcmp(e->name, name) == 0) {
                memo->last = e;
                return e->off;
        }
        int off = discovery_psl_org(j->disc, name);
        size_t n = strlen(name);
        if (n < sizeof(e->name)) {
                memcpy(e->name, name, n + 1);
                e->off = (int16_t)off;
                memo->last = e;
        }
        return off;
}

static void outcome(const struct dm *j, struct psl_memo *memo, struct walk_outcome *o)
{
        int psl_org = job_mode(j) == DISCOVERY_TREE ? -1 : memo_psl_org(memo, j, j->domain);
        walk_result(&j->st->walk, j->domain, j->st->plan, psl_org, j->st->org_failed, o);
}

/* Copy the held records into d (text, offsets) and the held name's figures. */
static void load_held(struct dm *j, struct dmarc_result *d)
{
        uint32_t pos = j->st->held_base;
        held_get_name(j->st, &pos, d->target);
        size_t used = 0;
        recs_clear(d);
        d->text = ds_xgrow(d->text, &d->text_cap, j->st->held_len - pos + 1, "the held records");
        for (unsigned k = 0; k < j->st->held_nrec; k++) {
                uint16_t n;
                memcpy(&n, held_buf(j->st) + pos, sizeof(n));
                pos += sizeof(n);
                memcpy(d->text + used, held_buf(j->st) + pos, n);
                pos += n;
                recs_add(d, used, n);
                used += n;
        }
        d->nrecords_dropped += j->st->held_dropped;
        d->over_budget = d->over_budget || j->st->held_dropped;
        d->nother_txt = j->st->held_other;
        d->cname_hops = j->st->held_hops;
}

/* location, status, target and records of the reported name. */
static void report(struct dm *j, struct dmarc_result *d, const struct walk_outcome *o)
{
        unsigned r = (unsigned)o->reported;
        const struct walk_step *ws = &j->st->steps[r];
        dmarc_name(d->location, j->domain + j->st->plan[r]);
        d->status = ws->status;
        bool found = o->applied >= 0 || o->invalid;
        if (found && j->st->held_index == (int)r) {
                load_held(j, d);
                d->how = o->how;
                return;
        }
        /* Nothing found: the domain's own lookup is the decisive one. */
        uint32_t pos = 0;
        held_get_name(j->st, &pos, d->target);
        d->nrecords = d->nrecords_dropped = 0;
        d->nother_txt = ws->other;
        d->cname_hops = ws->hops;
        d->how = HOW_NONE;
}

static bool within(const char *host, const char *org)
{
        size_t h = strlen(host), o = strlen(org);
        return h == o ? strcmp(host, org) == 0
                      : h > o && host[h - o - 1] == '.' && strcmp(host + h - o, org) == 0;
}

/* The organizational domain of a report host (docs/verdicts.md, "Receivers"). */
static const char *host_org(const struct dm *j, struct psl_memo *memo, const char *host,
                            const char *policy_org)
{
        if (job_mode(j) == DISCOVERY_TREE && policy_org && within(host, policy_org))
                return policy_org;
        int off = memo_psl_org(memo, j, host);
        return off >= 0 ? host + off : host;
}

/* The policy domain's organizational domain: NULL when the walk could not tell. */
static const char *policy_org_of(const struct dm *j, const struct dmarc_result *d,
                                 struct psl_memo *memo)
{
        const char *pd = j->domain + d->policy_off;
        if (job_mode(j) == DISCOVERY_TREE) {
                if (d->policy_off > 0) /* an organizational or public suffix domain's record */
                        return pd;
                return d->org_off >= 0 ? j->domain + d->org_off : NULL;
        }
        int off = memo_psl_org(memo, j, pd);
        return off >= 0 ? pd + off : pd;
}

static void add_receiver(const struct dm *j, struct dmarc_result *d, const char *host, uint8_t use,
                         const char *policy_org)
{
        if (!*host)
                return;
        /* Open addressing over receiver indices + 1: a record of thousands of hosts costs
         * no quadratic search, and prepare() rebuilds the list before every lookup. */
        uint32_t *slot = d->recv_index.buf;
        size_t mask = d->recv_index.n - 1;
        size_t i = (size_t)ds_hash(0, host, strlen(host)) & mask;
        for (; slot[i]; i = (i + 1) & mask)
                if (strcmp(d->recv[slot[i] - 1].host, host) == 0) {
                        d->recv[slot[i] - 1].uses |= use;
                        return;
                }
        struct receiver *rc = ds_vec_push(&d->recv_mem, sizeof(*rc), &d->budget, "receivers");
        if (!rc) {
                d->over_budget = true;
                return;
        }
        d->recv = d->recv_mem.buf;
        unsigned k = d->nrecv++;
        slot[i] = k + 1;
        ds_require(k < UINT16_MAX); /* auth_cur; a 64 KiB record names fewer hosts */
        rc->host = host;
        rc->org = host_org(j, d->memo, host, policy_org);
        rc->uses = use;
        rc->external = policy_org ? (strcmp(rc->org, policy_org) != 0) : TRI_UNKNOWN;
        rc->auth_status = LOOKUP_PENDING;
        rc->auth_cut = false;
        struct auth_slot a = auth_get(j->st, k);
        if (rc->external == TRI_NO) {
                rc->auth = AUTH_NOT_NEEDED;
        } else if (rc->external == TRI_YES && a.result) {
                rc->auth = a.result;
                rc->auth_status = a.status;
                rc->auth_cut = a.flags & AUTH_CUT;
        } else {
                rc->auth = AUTH_NOT_CHECKED;
        }
}

static void receivers(const struct dm *j, struct dmarc_result *d)
{
        const char *porg = policy_org_of(j, d, d->memo);
        d->recv_mem.n = 0;
        /* The index: a power of two of slots, at least twice the hosts (never full). */
        size_t slots = 16;
        while (slots < 2 * ((size_t)d->rec.rua_count + d->rec.ruf_count))
                slots *= 2;
        d->recv_index.buf = ds_xgrow(d->recv_index.buf, &d->recv_index.cap,
                                     slots * sizeof(uint32_t), "the receivers' index");
        memset(d->recv_index.buf, 0, slots * sizeof(uint32_t));
        d->recv_index.n = (unsigned)slots;
        for (unsigned k = 0; k < d->rec.rua_count; k++)
                add_receiver(j, d, d->rec.rua[k].host, 1, porg);
        for (unsigned k = 0; k < d->rec.ruf_count; k++)
                add_receiver(j, d, d->rec.ruf[k].host, 2, porg);
}

static void walk_issues(struct dm *j, struct dmarc_result *d, const struct walk_outcome *o)
{
        char name[DS_NAME_MAX_TEXT + 8];
        for (unsigned k = 0; k < d->nwalk; k++) {
                const struct walk_step *ws = &j->st->steps[k];
                bool reported = o && o->invalid && o->reported == (int)k;
                dmarc_name(name, j->domain + j->st->plan[k]);
                if (ws->kind == WALK_MULTIPLE)
                        add_issue(d, "multiple_records", reported, "%u DMARC records at %s: %s",
                                  ws->records, name,
                                  reported ? "none of them is used"
                                           : "all discarded, the walk went on");
                else if (ws->kind == WALK_BROKEN && !reported)
                        add_issue(d, "record_discarded", false,
                                  "the record at %s is not a valid DMARC record: discarded", name);
        }
}

static void other_issues(struct dm *j, struct dmarc_result *d)
{
        if (d->nother_txt)
                add_issue(d, "non_dmarc_txt", false, "%u TXT record%s at %s %s not DMARC",
                          d->nother_txt, d->nother_txt == 1 ? "" : "s", d->location,
                          d->nother_txt == 1 ? "is" : "are");
        if (j->st->org_failed) {
                char name[DS_NAME_MAX_TEXT + 8];
                unsigned k = d->nwalk - 1;
                dmarc_name(name, j->domain + j->st->plan[k]);
                add_issue(d, "org_domain_unknown", false,
                          "%s at %s ended the walk for the organizational domain",
                          lookup_status_name(j->st->steps[k].status), name);
        }
        if (j->st->exists_status != LOOKUP_PENDING && lookup_failed(j->st->exists_status))
                add_issue(d, "exists_unknown", d->v.exists_decides,
                          "%s asking whether %s exists, which chooses between sp and np",
                          lookup_status_name(j->st->exists_status), j->domain);
        if (d->over_budget || (d->parsed && d->rec.over_budget))
                add_issue(d, "budget_exceeded", true,
                          "the domain's data outgrew its %zu KiB budget: records, URIs, issues or "
                          "receivers are missing from this line",
                          (d->budget.limit ? d->budget.limit : DS_DOMAIN_BUDGET) >> 10);
}

/* A walk lookup failed before any record could be chosen: posture error. */
static void prepare_failure(struct dm *j, struct dmarc_result *d)
{
        unsigned i = (unsigned)j->st->fail_index;
        d->status = j->st->fail_status;
        dmarc_name(d->location, j->domain + j->st->plan[i]);
        ds_concat(d->error_name, sizeof(d->error_name), (const char *[]){d->location}, 1);
        lookup_target(j->l, d->target, sizeof(d->target));
        d->cname_hops = j->l->cname_hops;
        d->nrecords = d->nrecords_dropped = 0;
        d->nother_txt = j->st->steps[i].other;
        d->how = HOW_NONE;
        d->org_off = d->policy_off = -1;
        struct verdict_in in = {.dns_error = true};
        verdict_compute(&in, &d->v);
        walk_issues(j, d, NULL);
        add_issue(d, "dns_error", true, "%s at %s: a record there could apply",
                  lookup_status_name(d->status), d->location);
}

static void verdict_of(const struct dm *j, struct dmarc_result *d, const struct walk_outcome *o)
{
        struct verdict_in in = {
            .have_record = o->applied >= 0,
            .invalid_seen = o->invalid,
            .valid = d->parsed && d->rec.valid,
            .at_domain = o->applied == 0,
            .exists = (enum tristate)j->st->exists,
            .is_org = o->org_off < 0 ? TRI_UNKNOWN : (o->org_off == 0 ? TRI_YES : TRI_NO),
            .p = d->rec.p,
            .sp = d->rec.sp,
            .np = d->rec.np,
            .pct = d->rec.pct,
            .testing = d->rec.testing,
        };
        verdict_compute(&in, &d->v);
}

/* Fill the scratch's verdict from the job: called before every authorization lookup (it
 * lists the receivers) and when the job finishes. */
static void prepare(struct dm *j, struct dmarc_scratch *s)
{
        struct dmarc_result *d = &s->dmarc;
        d->sentences = j->details;
        d->attempts = j->l->attempts;
        d->exists = j->st->exists;
        recs_clear(d);
        d->nissues = d->nrecv = 0;
        d->parsed = d->applied = false;
        d->error_name[0] = 0;
        memcpy(d->walk, j->st->steps, sizeof(d->walk));
        memcpy(d->walk_off, j->st->plan, sizeof(d->walk_off));
        if (j->st->fail_index >= 0) {
                prepare_failure(j, d);
                return;
        }
        struct walk_outcome o;
        outcome(j, s->dmarc.memo, &o);
        d->org_off = o.org_off;
        report(j, d, &o);
        if (d->nrecords == 1 && d->nrecords_dropped == 0) {
                parse_rec(d, 0);
                d->parsed = true;
                /* What the parse holds counts against what the receivers may take. */
                (void)ds_budget_take(&d->budget, d->rec.mem.budget.used);
        }
        d->applied = o.applied >= 0 && d->parsed;
        d->policy_off = d->applied ? j->st->plan[o.applied] : -1;
        verdict_of(j, d, &o);
        if (d->v.exists_decides) {
                d->status = j->st->exists_status;
                snprintf(d->error_name, sizeof(d->error_name), "%s", j->domain);
        }
        if (d->v.posture <= POSTURE_NONE)
                receivers(j, d);
        walk_issues(j, d, &o);
        other_issues(j, d);
}

static enum check_step finalize(struct dm *j, struct dmarc_scratch *s)
{
        prepare(j, s);
        j->st->phase = PHASE_DONE;
        return CHECK_DONE;
}

/* Finish with the scratch already prepared. */
static enum check_step done(struct dm *j)
{
        j->st->phase = PHASE_DONE;
        return CHECK_DONE;
}

/* ---- the steps ------------------------------------------------------------------------ */

/* Ask host's _report._dmarc.<host> instead of the name lookup_set() holds, unless that
 * failed lately (struct cut_skip). */
static void ask_parent(struct dm *j, struct dmarc_scratch *s, const char *host)
{
        char name[sizeof(REPORT_PREFIX) + DS_NAME_MAX_TEXT];
        ds_concat(name, sizeof(name), (const char *[]){REPORT_PREFIX, host}, 2);
        uint64_t h = ds_hash(0, name, strlen(name));
        const struct cut_skip *e = &s->cut_skip[h % DS_CUT_SKIP];
        if (e->hash == h && j->now_ms < e->until_ms)
                return;
        /* A suffix of the name that fit: it fits; if not, the own name stays set. */
        if (ds_fails(lookup_set(j->l, name, WIRE_TYPE_TXT) == 0))
                return;
        j->l->shared = true;
        j->st->auth_parent = true;
        j->st->auth_parent_hash = h;
}

/* The next external receiver to verify, or finish. Unless --no-report-cut, a receiver's
 * _report._dmarc.<host> is asked first, through the shared cache: many domains name the
 * same few receivers, and when that name does not exist (RFC 8020: nor anything below it)
 * it answers every domain's lookup for the host at once. */
static enum check_step next_auth(struct dm *j, struct dmarc_scratch *s)
{
        struct dmarc_result *d = &s->dmarc;
        prepare(j, s);
        if (job_mode(j) == DISCOVERY_EXACT || d->v.posture > POSTURE_NONE)
                return done(j);
        const char *pd = j->domain + d->policy_off;
        bool changed = false;
        for (unsigned k = j->st->auth_cur; k < d->nrecv; k++) {
                struct auth_slot a = auth_get(j->st, k);
                if (d->recv[k].external != TRI_YES || a.result)
                        continue;
                char name[2 * DS_NAME_MAX_TEXT + sizeof(REPORT_INFIX)];
                const char *host = d->recv[k].host;
                ds_concat(name, sizeof(name), (const char *[]){pd, REPORT_INFIX, host}, 3);
                if (lookup_set(j->l, name, WIRE_TYPE_TXT) < 0) {
                        /* Over 255 octets: no such name can hold the authorization. */
                        *auth_at(j->st, k) = (struct auth_slot){.status = LOOKUP_NAME_TOO_LONG,
                                                                .result = AUTH_NOT_AUTHORIZED};
                        changed = true;
                        continue;
                }
                j->st->auth_cur = (uint16_t)k;
                j->st->auth_parent = false;
                if (j->report_cut && !(a.flags & AUTH_PARENT_ASKED))
                        ask_parent(j, s, host);
                return CHECK_QUERY;
        }
        if (changed)
                prepare(j, s);
        return done(j);
}

/* RFC 7489 7.1 steps 5-7: a TXT whose first tag is v=DMARC1 authorizes. */
static enum auth_result auth_verdict(struct dmarc_result *d, int status)
{
        if (status == WIRE_RCODE_NXDOMAIN)
                return AUTH_NOT_AUTHORIZED;
        if (status != WIRE_RCODE_NOERROR)
                return AUTH_ERROR;
        for (unsigned k = 0; k < d->nrecords; k++) {
                parse_rec(d, k);
                bool v_ok = true;
                for (unsigned e = 0; e < d->rec.error_count; e++)
                        v_ok = v_ok && strncmp(d->rec.errors[e].code, "v_", 2) != 0;
                if (v_ok)
                        return AUTH_AUTHORIZED;
        }
        return AUTH_NOT_AUTHORIZED;
}

static enum check_step after_auth(struct dm *j, struct dmarc_scratch *s, int status)
{
        unsigned k = j->st->auth_cur;
        struct auth_slot *a = auth_at(j->st, k);
        if (j->st->auth_parent) {
                j->st->auth_parent = false;
                /* An alias's NXDOMAIN is its target's: the name itself exists. */
                if (status == WIRE_RCODE_NXDOMAIN && j->l->cname_hops == 0) {
                        *a = (struct auth_slot){.status = (int16_t)status,
                                                .result = AUTH_NOT_AUTHORIZED,
                                                .flags = AUTH_CUT};
                        j->st->auth_cur = (uint16_t)(k + 1);
                } else {
                        a->flags |= AUTH_PARENT_ASKED;
                }
                if (lookup_failed(status))
                        s->cut_skip[j->st->auth_parent_hash % DS_CUT_SKIP] =
                            (struct cut_skip){.hash = j->st->auth_parent_hash,
                                              .until_ms = j->now_ms + DS_CUT_SKIP_MS};
                return next_auth(j, s);
        }
        a->status = (int16_t)status;
        a->result = (uint8_t)auth_verdict(&s->dmarc, status);
        j->st->nauth++;
        j->st->auth_cur = (uint16_t)(k + 1);
        return next_auth(j, s);
}

static enum check_step start_auth(struct dm *j, struct dmarc_scratch *s)
{
        j->st->phase = PHASE_AUTH;
        j->st->auth_cur = 0;
        return next_auth(j, s);
}

/* RFC 8020: NXDOMAIN means the name does not exist; a CNAME at it means it does. */
static enum check_step after_exists(struct dm *j, struct dmarc_scratch *s, int status)
{
        j->st->exists_status = (int16_t)status;
        if (j->l->cname_hops || status == WIRE_RCODE_NOERROR)
                j->st->exists = TRI_YES;
        else if (status == WIRE_RCODE_NXDOMAIN)
                j->st->exists = TRI_NO;
        return start_auth(j, s);
}

/* The walk is over: ask whether the domain exists when that chooses sp or np. */
static enum check_step after_walk_done(struct dm *j, struct dmarc_scratch *s)
{
        struct walk_outcome o;
        outcome(j, s->dmarc.memo, &o);
        j->st->phase = PHASE_EXISTS;
        if (o.applied > 0 && j->st->exists == TRI_UNKNOWN &&
            lookup_set(j->l, j->domain, WIRE_TYPE_A) == 0)
                return CHECK_QUERY;
        return start_auth(j, s);
}

static enum check_step fail(struct dm *j, struct dmarc_scratch *s, unsigned i, int status)
{
        j->st->fail_index = (int8_t)i;
        j->st->fail_status = (int16_t)status;
        return finalize(j, s);
}

static enum check_step ask_walk(struct dm *j, struct dmarc_scratch *s, unsigned i)
{
        char name[sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT];
        dmarc_name(name, j->domain + j->st->plan[i]);
        /* A parent's name is shorter than the domain's own, which fit: asking the stale name
         * instead would give the domain a wrong answer. */
        if (ds_fails(lookup_set(j->l, name, WIRE_TYPE_TXT) == 0))
                return fail(j, s, i, LOOKUP_NAME_TOO_LONG);
        /* A parent's _dmarc name (the organization's, the TLD's) is the same answer for
         * every domain under it: asked once per TTL through the scan's shared cache. */
        j->l->shared = i > 0;
        return CHECK_QUERY;
}

static enum check_step after_walk(struct dm *j, struct dmarc_scratch *s, int status)
{
        struct dmarc_result *d = &s->dmarc;
        unsigned i = j->st->walk.n;
        struct walk_step *ws = &j->st->steps[i];
        char target[DS_NAME_MAX_TEXT + 1];
        lookup_target(j->l, target, sizeof(target));
        ws->status = (int16_t)status;
        ws->hops = j->l->cname_hops;
        ws->records = sat16(d->nrecords + d->nrecords_dropped);
        ws->other = sat16(d->nother_txt);
        ws->kind = WALK_NONE;
        if (i == 0) {
                held_set_own(j->st, target);
                /* _dmarc.<domain> is there (or an alias): so is the domain (RFC 8020). */
                if (status == WIRE_RCODE_NOERROR || j->l->cname_hops)
                        j->st->exists = TRI_YES;
        }
        if (lookup_failed(status)) {
                if (!j->st->walk.exact)
                        return fail(j, s, i, status);
                /* The domain's own record applies whatever its parents hold. */
                j->st->org_failed = true;
                j->st->walk.n = (uint8_t)(i + 1);
                return after_walk_done(j, s);
        }
        enum dmarc_psd psd;
        ws->kind = (uint8_t)classify(d, &psd);
        unsigned r = walk_feed(&j->st->walk, j->domain, j->st->plan, j->st->nplan, i,
                               (enum walk_kind)ws->kind, psd);
        if (r & WALK_HOLD)
                hold_current(j, d, i, target);
        if (!(r & WALK_STOP))
                return ask_walk(j, s, i + 1);
        return after_walk_done(j, s);
}

/* ---- the check's hooks ---------------------------------------------------------------- */

static struct dm dm_of(const struct check_arg *a)
{
        return (struct dm){.st = a->state,
                           .l = a->l,
                           .domain = a->job->in.domain,
                           .disc = a->env ? a->env->disc : NULL,
                           .details = a->env && a->env->details,
                           .report_cut = a->env && a->env->report_cut,
                           .now_ms = a->now_ms};
}

static enum check_step dmarc_start(const struct check_arg *a)
{
        struct dm c = dm_of(a);
        struct dmarc_state *st = c.st;
        st->held_index = -1;
        st->phase = PHASE_WALK;
        st->exists = TRI_UNKNOWN;
        st->exists_status = LOOKUP_PENDING;
        st->fail_index = -1;
        st->fail_status = LOOKUP_PENDING;
        walk_init(&st->walk, job_mode(&c));
        char name[sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT];
        dmarc_name(name, c.domain);
        if (lookup_set(c.l, name, WIRE_TYPE_TXT) < 0) {
                /* _dmarc. plus a 253-octet name can exceed 255 octets: that name has no policy
                 * record location, which the input check cannot know. */
                snprintf(a->job->in.error, sizeof(a->job->in.error),
                         "name too long to hold a _dmarc label (over 255 octets)");
                return CHECK_ILLEGAL;
        }
        st->nplan = (uint8_t)discovery_plan(c.disc, c.domain, st->plan);
        return CHECK_QUERY;
}

/* Per-step reset of what the scratch says about this domain. */
static void result_reset(struct dmarc_result *d, const struct dm *j)
{
        d->status = LOOKUP_PENDING;
        d->attempts = j->l->attempts;
        d->cname_hops = j->l->cname_hops;
        recs_clear(d);
        d->target[0] = 0;
        d->error_name[0] = 0;
        d->nissues = d->nrecv = d->nwalk = 0;
        d->parsed = d->applied = false;
        d->how = HOW_NONE;
        d->org_off = d->policy_off = -1;
        d->exists = TRI_UNKNOWN;
        d->for_state = NULL;
        dmarc_name(d->location, j->domain);
}

static enum check_step dmarc_on_reply(const struct check_arg *a)
{
        struct dm c = dm_of(a);
        struct dmarc_scratch *s = a->scratch;
        struct dmarc_result *d = &s->dmarc;
        result_reset(d, &c);
        int status;
        if (read_reply(&c, d, &status) == READ_FOLLOW)
                return CHECK_QUERY;
        d->nwalk = c.st->walk.n + (c.st->phase == PHASE_WALK ? 1u : 0u);
        c.st->nwalk = (uint8_t)d->nwalk;
        enum check_step st;
        switch (c.st->phase) {
        case PHASE_WALK:
                st = after_walk(&c, s, status);
                break;
        case PHASE_EXISTS:
                st = after_exists(&c, s, status);
                break;
        default:
                st = after_auth(&c, s, status);
                break;
        }
        if (st == CHECK_DONE) { /* the scratch holds this domain's result */
                d->for_state = a->state;
                d->for_gen = a->job->gen;
        }
        return st;
}

static void dmarc_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct dmarc_scratch *s = a->scratch;
        struct dmarc_result *d = &s->dmarc;
        struct dm c = dm_of(a);
        if (d->for_state != a->state || d->for_gen != a->job->gen || d->sentences != c.details) {
                /* Another domain used this scratch since, or --details changed: rebuild. */
                result_reset(d, &c);
                d->nwalk = c.st->nwalk;
                prepare(&c, s);
                d->for_state = a->state;
                d->for_gen = a->job->gen;
        }
        f->status = d->status;
        f->exists = d->exists;
        f->posture = (int8_t)d->v.posture;
        f->enforcing = d->v.enforcing;
        f->partial = d->v.partial;
        f->spoofable = (int8_t)d->v.spoofable;
        f->reason = d->v.reason;
        if (d->applied && d->rec.valid && d->policy_off == 0 && d->org_off == 0)
                f->org_sp = (int8_t)(d->rec.sp == DMARC_POLICY_REJECT       ? POSTURE_REJECT
                                     : d->rec.sp == DMARC_POLICY_QUARANTINE ? POSTURE_QUARANTINE
                                                                            : POSTURE_NONE);
}

static void dmarc_render(const struct check_arg *a, struct jw *w)
{
        const struct dmarc_scratch *s = a->scratch;
        dmarc_line_write(w, &s->dmarc, a->job->in.domain, a->env && a->env->details);
}

static void dmarc_clear(void *state)
{
        dmarc_state_release(state);
}

static void dmarc_scratch_init(void *scratch)
{
        struct dmarc_scratch *s = scratch;
        s->dmarc.memo = &s->psl_memo;
}

static void dmarc_scratch_free(void *scratch)
{
        struct dmarc_scratch *s = scratch;
        free(s->dmarc.text);
        s->dmarc.text = NULL;
        s->dmarc.text_cap = 0;
        dmarc_record_free(&s->dmarc.rec);
        dmarc_reparse_free(&s->dmarc.reparse);
        ds_vec_free(&s->dmarc.recs_mem);
        ds_vec_free(&s->dmarc.recv_mem);
        ds_vec_free(&s->dmarc.recv_index);
}

const struct check_ops dmarc_check = {
    .name = "dmarc",
    .state_size = sizeof(struct dmarc_state),
    .scratch_size = sizeof(struct dmarc_scratch),
    .scratch_init = dmarc_scratch_init,
    .scratch_free = dmarc_scratch_free,
    .start = dmarc_start,
    .on_reply = dmarc_on_reply,
    .conclude = dmarc_conclude,
    .render = dmarc_render,
    .clear = dmarc_clear,
};

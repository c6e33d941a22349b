/* job.c -- per-domain state machine: the discovery walk (_dmarc.<name> TXT, CNAMEs followed
 * across lookups), the existence lookup, the report-authorization lookups, the verdict. */
#include "scanner/job.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "dns/engine.h"
#include "dns/wire.h"

static const char DMARC_PREFIX[] = "_dmarc.";
static const char REPORT_INFIX[] = "._report._dmarc.";

/* ---- names ---------------------------------------------------------------------------- */

/* "_dmarc." + name into out (sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT bytes). */
static void dmarc_name(char *out, const char *name)
{
        size_t n = strnlen(name, DS_NAME_MAX_TEXT);
        memcpy(out, DMARC_PREFIX, sizeof(DMARC_PREFIX) - 1);
        memcpy(out + sizeof(DMARC_PREFIX) - 1, name, n);
        out[sizeof(DMARC_PREFIX) - 1 + n] = 0;
}

static enum discovery_mode job_mode(const struct job *j)
{
        return j->disc ? j->disc->mode : DISCOVERY_EXACT;
}

/* Make (text, qtype) the next lookup: a fresh lookup starts with no CNAME links. */
static int set_query(struct job *j, const char *text, uint16_t qtype)
{
        int n = wire_name_from_text(text, j->qname, sizeof(j->qname));
        if (n < 0)
                return n;
        j->qname_len = (uint16_t)n;
        j->qtype = qtype;
        j->cname_hops = 0;
        return 0;
}

/* The current lookup's final owner name after CNAMEs, "" when none was followed. */
static void lookup_target(const struct job *j, char *out, size_t cap)
{
        out[0] = 0;
        if (j->cname_hops && wire_name_to_text(j->qname, j->qname_len, out, cap) < 0)
                out[0] = 0;
}

static bool lookup_failed(int status)
{
        return status != WIRE_RCODE_NOERROR && status != WIRE_RCODE_NXDOMAIN;
}

static uint8_t sat8(unsigned v)
{
        return v > 255 ? 255 : (uint8_t)v;
}

static uint16_t sat16(unsigned v)
{
        return v > 65535 ? 65535 : (uint16_t)v;
}

/* ---- held text: survives between steps, inline up to DS_HELD_INLINE bytes ---------------
 * Layout: [u8 n][n bytes: the domain's own lookup's CNAME target] (held_base ends it),
 * then for the held name: [u8 n][its CNAME target] and per record [u16 n][n bytes]. */

static uint8_t *held_buf(struct job *j)
{
        return j->held_big ? j->held_big : j->held_inl;
}

/* Runs on a classifier thread mid-scan: out of memory aborts (common/check.h). */
static void held_put(struct job *j, const void *data, size_t n)
{
        size_t cap = j->held_big ? j->held_cap : DS_HELD_INLINE;
        if (j->held_len + n > cap) {
                size_t ncap = cap * 2;
                while (ncap < j->held_len + n)
                        ncap *= 2;
                uint8_t *p = ds_xmalloc(ncap, "a job's held records");
                memcpy(p, held_buf(j), j->held_len);
                free(j->held_big);
                j->held_big = p;
                j->held_cap = (uint32_t)ncap;
        }
        memcpy(held_buf(j) + j->held_len, data, n);
        j->held_len += (uint32_t)n;
}

static void held_put_name(struct job *j, const char *name)
{
        uint8_t n = (uint8_t)strnlen(name, DS_NAME_MAX_TEXT);
        held_put(j, &n, 1);
        held_put(j, name, n);
}

/* Read a [u8 n][bytes] name at *pos into out. */
static void held_get_name(struct job *j, uint32_t *pos, char *out)
{
        const uint8_t *p = held_buf(j) + *pos;
        memcpy(out, p + 1, p[0]);
        out[p[0]] = 0;
        *pos += 1u + p[0];
}

/* The domain's own lookup is done: its CNAME target starts the held text. */
static void held_set_own(struct job *j, const char *target)
{
        j->held_len = 0;
        held_put_name(j, target);
        j->held_base = j->held_len;
}

/* Keep the current lookup's records (walk index i), replacing what was held. */
static void hold_current(struct job *j, const struct dmarc_result *d, unsigned i,
                         const char *target)
{
        j->held_len = j->held_base;
        j->held_index = -1;
        held_put_name(j, target);
        for (unsigned k = 0; k < d->nrecords; k++) {
                uint16_t n = (uint16_t)d->rec_len[k];
                held_put(j, &n, sizeof(n));
                held_put(j, d->text + d->rec_off[k], n);
        }
        j->held_index = (int8_t)i;
        j->held_nrec = (uint8_t)d->nrecords;
        j->held_dropped = sat16(d->nrecords_dropped);
        j->held_other = sat16(d->nother_txt);
        j->held_hops = j->cname_hops;
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

static void ensure_text(struct dmarc_result *d, size_t need)
{
        if (need <= d->text_cap)
                return;
        size_t cap = d->text_cap ? d->text_cap : 4096;
        while (cap < need)
                cap *= 2;
        d->text = ds_xrealloc(d->text, cap, "a reply's TXT records");
        d->text_cap = cap;
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
                ensure_text(d, used + rr.rdlen + 1);
                int n = wire_txt_join(r, &rr, d->text + used, d->text_cap - used);
                if (n < 0)
                        return n;
                if (!is_dmarc_record(d->text + used, (size_t)n)) {
                        d->nother_txt++;
                        continue;
                }
                if (d->nrecords == DS_RECORDS_MAX) {
                        d->nrecords_dropped++;
                        continue;
                }
                d->rec_off[d->nrecords] = (uint32_t)used;
                d->rec_len[d->nrecords++] = (uint32_t)n;
                used += (size_t)n;
        }
        return ntxt;
}

enum read_result { READ_DONE, READ_FOLLOW };

/* Digest the reply to the lookup in flight: its status into *status, TXT records into d.
 * READ_FOLLOW: a CNAME left the reply without an answer; j->qname is now its target. */
static enum read_result read_reply(struct job *j, struct dmarc_result *d, int *status)
{
        d->nrecords = d->nrecords_dropped = d->nother_txt = 0;
        if (j->last_status != ENGINE_REPLY) {
                *status = j->last_status == ENGINE_TIMEOUT ? LOOKUP_TIMEOUT : LOOKUP_MALFORMED;
                return READ_DONE;
        }
        struct wire_reply r;
        const uint8_t *pkt = j->reply_big ? j->reply_big : j->reply;
        *status = LOOKUP_MALFORMED;
        if (wire_reply_parse(&r, pkt, j->reply_len) < 0)
                return READ_DONE;
        uint8_t final[DS_NAME_MAX_WIRE];
        int hops = 0;
        int flen = wire_cname_chase(&r, j->qname, j->qname_len, final, sizeof(final), &hops);
        if (flen < 0 || j->cname_hops + hops > DS_CNAME_HOPS_MAX) {
                *status = flen == -EBADMSG ? LOOKUP_MALFORMED : LOOKUP_CNAME_LOOP;
                return READ_DONE;
        }
        j->cname_hops = (uint8_t)(j->cname_hops + hops);
        if (hops) {
                memcpy(j->qname, final, (size_t)flen);
                j->qname_len = (uint16_t)flen;
        }
        *status = r.rcode;
        if (r.rcode != WIRE_RCODE_NOERROR || j->qtype != WIRE_TYPE_TXT)
                return READ_DONE; /* a CNAME alone tells an existence lookup enough */
        int ntxt = collect_txt(d, &r, j->qname, j->qname_len);
        if (ntxt < 0) {
                *status = LOOKUP_MALFORMED;
                return READ_DONE;
        }
        /* An authoritative server stops at a CNAME leaving its zone: ask for the target. */
        return hops && ntxt == 0 ? READ_FOLLOW : READ_DONE;
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
        dmarc_parse((const char *)d->text + d->rec_off[0], d->rec_len[0], &d->rec);
        if (!discovery_well_formed(&d->rec))
                return WALK_BROKEN;
        *psd = d->rec.psd;
        return WALK_RECORD;
}

/* ---- the verdict ---------------------------------------------------------------------- */

static void add_issue(struct dmarc_result *d, const char *code, bool error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_issue(struct dmarc_result *d, const char *code, bool error, const char *fmt, ...)
{
        if (d->nissues == DS_DISC_ISSUES_MAX)
                return;
        struct disc_issue *is = &d->issues[d->nissues++];
        is->code = code;
        is->error = error;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(is->msg, sizeof(is->msg), fmt, ap);
        va_end(ap);
}

static int memo_psl_org(struct psl_memo_entry *memo, const struct job *j, const char *name)
{
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const char *c = name; *c; c++)
                h = (h ^ (uint8_t)*c) * 16777619u;
        struct psl_memo_entry *e = &memo[h % DS_PSL_MEMO];
        if (e->name[0] && strcmp(e->name, name) == 0)
                return e->off;
        int off = discovery_psl_org(j->disc, name);
        size_t n = strlen(name);
        if (n < sizeof(e->name)) {
                memcpy(e->name, name, n + 1);
                e->off = (int16_t)off;
        }
        return off;
}

static void outcome(const struct job *j, struct psl_memo_entry *memo, struct walk_outcome *o)
{
        int psl_org = job_mode(j) == DISCOVERY_TREE ? -1 : memo_psl_org(memo, j, j->in.domain);
        walk_result(&j->walk, j->in.domain, j->plan, psl_org, j->org_failed, o);
}

/* Copy the held records into d (text, offsets) and the held name's figures. */
static void load_held(struct job *j, struct dmarc_result *d)
{
        uint32_t pos = j->held_base;
        held_get_name(j, &pos, d->target);
        size_t used = 0;
        ensure_text(d, j->held_len - pos + 1);
        for (unsigned k = 0; k < j->held_nrec; k++) {
                uint16_t n;
                memcpy(&n, held_buf(j) + pos, sizeof(n));
                pos += sizeof(n);
                memcpy(d->text + used, held_buf(j) + pos, n);
                pos += n;
                d->rec_off[k] = (uint32_t)used;
                d->rec_len[k] = n;
                used += n;
        }
        d->nrecords = j->held_nrec;
        d->nrecords_dropped = j->held_dropped;
        d->nother_txt = j->held_other;
        d->cname_hops = j->held_hops;
}

/* location, status, target and records of the reported name. */
static void report(struct job *j, struct dmarc_result *d, const struct walk_outcome *o)
{
        unsigned r = (unsigned)o->reported;
        const struct walk_step *ws = &j->steps[r];
        dmarc_name(d->location, j->in.domain + j->plan[r]);
        d->status = ws->status;
        bool found = o->applied >= 0 || o->invalid;
        if (found && j->held_index == (int)r) {
                load_held(j, d);
                d->how = o->how;
                return;
        }
        /* Nothing found: the domain's own lookup is the decisive one. */
        uint32_t pos = 0;
        held_get_name(j, &pos, d->target);
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
static const char *host_org(const struct job *j, struct psl_memo_entry *memo, const char *host,
                            const char *policy_org)
{
        if (job_mode(j) == DISCOVERY_TREE && policy_org && within(host, policy_org))
                return policy_org;
        int off = memo_psl_org(memo, j, host);
        return off >= 0 ? host + off : host;
}

/* The policy domain's organizational domain: NULL when the walk could not tell. */
static const char *policy_org_of(const struct job *j, const struct dmarc_result *d,
                                 struct psl_memo_entry *memo)
{
        const char *pd = j->in.domain + d->policy_off;
        if (job_mode(j) == DISCOVERY_TREE) {
                if (d->policy_off > 0) /* an organizational or public suffix domain's record */
                        return pd;
                return d->org_off >= 0 ? j->in.domain + d->org_off : NULL;
        }
        int off = memo_psl_org(memo, j, pd);
        return off >= 0 ? pd + off : pd;
}

static void add_receiver(const struct job *j, struct dmarc_result *d, const char *host, uint8_t use,
                         const char *policy_org)
{
        if (!*host)
                return;
        for (unsigned k = 0; k < d->nrecv; k++)
                if (strcmp(d->recv[k].host, host) == 0) {
                        d->recv[k].uses |= use;
                        return;
                }
        if (d->nrecv == DS_RECEIVERS_MAX)
                return;
        unsigned k = d->nrecv++;
        struct receiver *rc = &d->recv[k];
        snprintf(rc->host, sizeof(rc->host), "%s", host);
        snprintf(rc->org, sizeof(rc->org), "%s", host_org(j, d->memo, host, policy_org));
        rc->uses = use;
        rc->external = policy_org ? (strcmp(rc->org, policy_org) != 0) : TRI_UNKNOWN;
        rc->auth_status = LOOKUP_PENDING;
        if (rc->external == TRI_NO) {
                rc->auth = AUTH_NOT_NEEDED;
        } else if (rc->external == TRI_YES && j->auth[k].result) {
                rc->auth = j->auth[k].result;
                rc->auth_status = j->auth[k].status;
        } else {
                rc->auth = AUTH_NOT_CHECKED;
        }
}

static void receivers(const struct job *j, struct dmarc_result *d)
{
        const char *porg = policy_org_of(j, d, d->memo);
        for (unsigned k = 0; k < d->rec.rua_count; k++)
                add_receiver(j, d, d->rec.rua[k].host, 1, porg);
        for (unsigned k = 0; k < d->rec.ruf_count; k++)
                add_receiver(j, d, d->rec.ruf[k].host, 2, porg);
}

static void walk_issues(struct job *j, struct dmarc_result *d, const struct walk_outcome *o)
{
        char name[DS_NAME_MAX_TEXT + 8];
        for (unsigned k = 0; k < d->nwalk; k++) {
                const struct walk_step *ws = &j->steps[k];
                bool reported = o && o->invalid && o->reported == (int)k;
                dmarc_name(name, j->in.domain + j->plan[k]);
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

static void other_issues(struct job *j, struct dmarc_result *d)
{
        if (d->nother_txt)
                add_issue(d, "non_dmarc_txt", false, "%u TXT record%s at %s %s not DMARC",
                          d->nother_txt, d->nother_txt == 1 ? "" : "s", d->location,
                          d->nother_txt == 1 ? "is" : "are");
        if (j->org_failed) {
                char name[DS_NAME_MAX_TEXT + 8];
                unsigned k = d->nwalk - 1;
                dmarc_name(name, j->in.domain + j->plan[k]);
                add_issue(d, "org_domain_unknown", false,
                          "%s at %s ended the walk for the organizational domain",
                          lookup_status_name(j->steps[k].status), name);
        }
        if (j->exists_status != LOOKUP_PENDING && lookup_failed(j->exists_status))
                add_issue(d, "exists_unknown", d->v.exists_decides,
                          "%s asking whether %s exists, which chooses between sp and np",
                          lookup_status_name(j->exists_status), j->in.domain);
        unsigned skipped = 0;
        for (unsigned k = 0; k < d->nrecv; k++)
                skipped += d->recv[k].external == TRI_YES && d->recv[k].auth == AUTH_NOT_CHECKED;
        if (skipped && job_mode(j) != DISCOVERY_EXACT)
                add_issue(d, "receivers_not_checked", false,
                          "%u external report receiver%s not checked (at most %d lookups)", skipped,
                          skipped == 1 ? "" : "s", DS_AUTH_LOOKUPS_MAX);
}

/* A walk lookup failed before any record could be chosen: posture error. */
static void prepare_failure(struct job *j, struct dmarc_result *d)
{
        unsigned i = (unsigned)j->fail_index;
        d->status = j->fail_status;
        dmarc_name(d->location, j->in.domain + j->plan[i]);
        snprintf(d->error_name, sizeof(d->error_name), "%s", d->location);
        lookup_target(j, d->target, sizeof(d->target));
        d->cname_hops = j->cname_hops;
        d->nrecords = d->nrecords_dropped = 0;
        d->nother_txt = j->steps[i].other;
        d->how = HOW_NONE;
        d->org_off = d->policy_off = -1;
        struct verdict_in in = {.dns_error = true};
        verdict_compute(&in, &d->v);
        walk_issues(j, d, NULL);
        add_issue(d, "dns_error", true, "%s at %s: a record there could apply",
                  lookup_status_name(d->status), d->location);
}

static void verdict_of(const struct job *j, struct dmarc_result *d, const struct walk_outcome *o)
{
        struct verdict_in in = {
            .have_record = o->applied >= 0,
            .invalid_seen = o->invalid,
            .valid = d->parsed && d->rec.valid,
            .at_domain = o->applied == 0,
            .exists = (enum tristate)j->exists,
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
static void prepare(struct job *j, struct job_scratch *s)
{
        struct dmarc_result *d = &s->dmarc;
        d->attempts = j->attempts;
        d->exists = j->exists;
        d->nissues = d->nrecv = 0;
        d->parsed = d->applied = false;
        d->error_name[0] = 0;
        memcpy(d->walk, j->steps, sizeof(d->walk));
        memcpy(d->walk_off, j->plan, sizeof(d->walk_off));
        if (j->fail_index >= 0) {
                prepare_failure(j, d);
                return;
        }
        struct walk_outcome o;
        outcome(j, s->dmarc.memo, &o);
        d->org_off = o.org_off;
        report(j, d, &o);
        if (d->nrecords == 1 && d->nrecords_dropped == 0) {
                dmarc_parse((const char *)d->text + d->rec_off[0], d->rec_len[0], &d->rec);
                d->parsed = true;
        }
        d->applied = o.applied >= 0 && d->parsed;
        d->policy_off = d->applied ? j->plan[o.applied] : -1;
        verdict_of(j, d, &o);
        if (d->v.exists_decides) {
                d->status = j->exists_status;
                snprintf(d->error_name, sizeof(d->error_name), "%s", j->in.domain);
        }
        if (d->v.posture <= POSTURE_NONE)
                receivers(j, d);
        walk_issues(j, d, &o);
        other_issues(j, d);
}

static enum job_step finalize(struct job *j, struct job_scratch *s)
{
        prepare(j, s);
        j->phase = PHASE_DONE;
        return JOB_STEP_DONE;
}

/* Finish with the scratch already prepared. */
static enum job_step done(struct job *j)
{
        j->phase = PHASE_DONE;
        return JOB_STEP_DONE;
}

/* ---- the steps ------------------------------------------------------------------------ */

/* The next external receiver to verify, or finish. */
static enum job_step next_auth(struct job *j, struct job_scratch *s)
{
        struct dmarc_result *d = &s->dmarc;
        prepare(j, s);
        if (job_mode(j) == DISCOVERY_EXACT || d->v.posture > POSTURE_NONE)
                return done(j);
        const char *pd = j->in.domain + d->policy_off;
        bool changed = false;
        for (unsigned k = j->auth_cur; k < d->nrecv; k++) {
                if (d->recv[k].external != TRI_YES || j->auth[k].result)
                        continue;
                if (j->nauth >= DS_AUTH_LOOKUPS_MAX)
                        break;
                char name[2 * DS_NAME_MAX_TEXT + sizeof(REPORT_INFIX)];
                snprintf(name, sizeof(name), "%s%s%s", pd, REPORT_INFIX, d->recv[k].host);
                if (set_query(j, name, WIRE_TYPE_TXT) < 0) {
                        /* Over 255 octets: no such name can hold the authorization. */
                        j->auth[k].status = LOOKUP_NAME_TOO_LONG;
                        j->auth[k].result = AUTH_NOT_AUTHORIZED;
                        changed = true;
                        continue;
                }
                j->auth_cur = (uint8_t)k;
                return JOB_STEP_QUERY;
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
                dmarc_parse((const char *)d->text + d->rec_off[k], d->rec_len[k], &d->rec);
                bool v_ok = true;
                for (unsigned e = 0; e < d->rec.error_count; e++)
                        v_ok = v_ok && strncmp(d->rec.errors[e].code, "v_", 2) != 0;
                if (v_ok)
                        return AUTH_AUTHORIZED;
        }
        return AUTH_NOT_AUTHORIZED;
}

static enum job_step after_auth(struct job *j, struct job_scratch *s, int status)
{
        unsigned k = j->auth_cur;
        j->auth[k].status = (int16_t)status;
        j->auth[k].result = (uint8_t)auth_verdict(&s->dmarc, status);
        j->nauth++;
        j->auth_cur = (uint8_t)(k + 1);
        return next_auth(j, s);
}

static enum job_step start_auth(struct job *j, struct job_scratch *s)
{
        j->phase = PHASE_AUTH;
        j->auth_cur = 0;
        return next_auth(j, s);
}

/* RFC 8020: NXDOMAIN means the name does not exist; a CNAME at it means it does. */
static enum job_step after_exists(struct job *j, struct job_scratch *s, int status)
{
        j->exists_status = (int16_t)status;
        if (j->cname_hops || status == WIRE_RCODE_NOERROR)
                j->exists = TRI_YES;
        else if (status == WIRE_RCODE_NXDOMAIN)
                j->exists = TRI_NO;
        return start_auth(j, s);
}

/* The walk is over: ask whether the domain exists when that chooses sp or np. */
static enum job_step after_walk_done(struct job *j, struct job_scratch *s)
{
        struct walk_outcome o;
        outcome(j, s->dmarc.memo, &o);
        j->phase = PHASE_EXISTS;
        if (o.applied > 0 && j->exists == TRI_UNKNOWN &&
            set_query(j, j->in.domain, WIRE_TYPE_A) == 0)
                return JOB_STEP_QUERY;
        return start_auth(j, s);
}

static enum job_step fail(struct job *j, struct job_scratch *s, unsigned i, int status)
{
        j->fail_index = (int8_t)i;
        j->fail_status = (int16_t)status;
        return finalize(j, s);
}

static enum job_step ask_walk(struct job *j, struct job_scratch *s, unsigned i)
{
        char name[sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT];
        dmarc_name(name, j->in.domain + j->plan[i]);
        /* A parent's name is shorter than the domain's own, which fit: asking the stale name
         * instead would give the domain a wrong answer. */
        if (ds_fails(set_query(j, name, WIRE_TYPE_TXT) == 0))
                return fail(j, s, i, LOOKUP_NAME_TOO_LONG);
        return JOB_STEP_QUERY;
}

static enum job_step after_walk(struct job *j, struct job_scratch *s, int status)
{
        struct dmarc_result *d = &s->dmarc;
        unsigned i = j->walk.n;
        struct walk_step *ws = &j->steps[i];
        char target[DS_NAME_MAX_TEXT + 1];
        lookup_target(j, target, sizeof(target));
        ws->status = (int16_t)status;
        ws->hops = j->cname_hops;
        ws->records = sat8(d->nrecords + d->nrecords_dropped);
        ws->other = sat16(d->nother_txt);
        ws->kind = WALK_NONE;
        if (i == 0) {
                held_set_own(j, target);
                /* _dmarc.<domain> is there (or an alias): so is the domain (RFC 8020). */
                if (status == WIRE_RCODE_NOERROR || j->cname_hops)
                        j->exists = TRI_YES;
        }
        if (lookup_failed(status)) {
                if (!j->walk.exact)
                        return fail(j, s, i, status);
                /* The domain's own record applies whatever its parents hold. */
                j->org_failed = true;
                j->walk.n = (uint8_t)(i + 1);
                return after_walk_done(j, s);
        }
        enum dmarc_psd psd;
        ws->kind = (uint8_t)classify(d, &psd);
        unsigned r =
            walk_feed(&j->walk, j->in.domain, j->plan, j->nplan, i, (enum walk_kind)ws->kind, psd);
        if (r & WALK_HOLD)
                hold_current(j, d, i, target);
        if (!(r & WALK_STOP))
                return ask_walk(j, s, i + 1);
        return after_walk_done(j, s);
}

/* ---- API ------------------------------------------------------------------------------ */

enum job_step job_start(struct job *j)
{
        j->cname_hops = 0;
        j->attempts = 0;
        j->reply_len = 0;
        j->reply_big = NULL;
        j->held_big = NULL;
        j->held_len = j->held_base = j->held_cap = 0;
        j->held_index = -1;
        j->last_status = ENGINE_REPLY;
        j->phase = PHASE_WALK;
        j->exists = TRI_UNKNOWN;
        j->exists_status = LOOKUP_PENDING;
        j->org_failed = false;
        j->fail_index = -1;
        j->fail_status = LOOKUP_PENDING;
        j->auth_cur = j->nauth = 0;
        memset(j->auth, 0, sizeof(j->auth));
        memset(j->steps, 0, sizeof(j->steps));
        j->nplan = 0;
        walk_init(&j->walk, job_mode(j));
        if (j->in.status != INPUT_ITEM_OK)
                return JOB_STEP_DONE;
        char name[sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT];
        dmarc_name(name, j->in.domain);
        if (set_query(j, name, WIRE_TYPE_TXT) < 0) {
                /* _dmarc. plus a 253-octet name can exceed 255 octets: that name has no policy
                 * record location, which the input check cannot know. */
                j->in.status = INPUT_ITEM_ILLEGAL;
                snprintf(j->in.error, sizeof(j->in.error),
                         "name too long to hold a _dmarc label (over 255 octets)");
                return JOB_STEP_DONE;
        }
        j->nplan = (uint8_t)discovery_plan(j->disc, j->in.domain, j->plan);
        return JOB_STEP_QUERY;
}

void job_set_reply(struct job *j, int engine_status, const uint8_t *pkt, size_t len,
                   unsigned attempts)
{
        j->last_status = (int16_t)engine_status;
        j->attempts = (uint16_t)(j->attempts + attempts);
        j->reply_len = 0;
        if (engine_status != ENGINE_REPLY)
                return;
        uint8_t *dst = j->reply;
        /* job_step reads reply_big whenever it is set: drop the previous lookup's. */
        free(j->reply_big);
        j->reply_big = NULL;
        if (len > sizeof(j->reply)) {
                j->reply_big = ds_xmalloc(len, "a large reply");
                dst = j->reply_big;
        }
        memcpy(dst, pkt, len);
        j->reply_len = (uint32_t)len;
}

void job_clear(struct job *j)
{
        free(j->reply_big);
        j->reply_big = NULL;
        free(j->held_big);
        j->held_big = NULL;
}

void job_scratch_init(struct job_scratch *s)
{
        memset(s, 0, sizeof(*s));
        s->dmarc.memo = s->psl_memo;
}

void job_scratch_free(struct job_scratch *s)
{
        free(s->dmarc.text);
        memset(s, 0, sizeof(*s));
}

const char *lookup_status_name(int status)
{
        switch (status) {
        case LOOKUP_PENDING:
                return "PENDING";
        case LOOKUP_TIMEOUT:
                return "TIMEOUT";
        case LOOKUP_MALFORMED:
                return "MALFORMED";
        case LOOKUP_CNAME_LOOP:
                return "CNAME_LOOP";
        case LOOKUP_NAME_TOO_LONG:
                return "NAME_TOO_LONG";
        default:
                return wire_rcode_name(status);
        }
}

const char *auth_result_name(enum auth_result r)
{
        static const char *const names[] = {"not_needed", "authorized", "not_authorized", "error",
                                            "not_checked"};
        return (unsigned)r <= AUTH_NOT_CHECKED ? names[r] : "?";
}

/* Per-step reset of what the scratch says about this job. */
static void result_reset(struct dmarc_result *d, const struct job *j)
{
        d->status = LOOKUP_PENDING;
        d->attempts = j->attempts;
        d->cname_hops = j->cname_hops;
        d->nrecords = d->nrecords_dropped = d->nother_txt = 0;
        d->target[0] = 0;
        d->error_name[0] = 0;
        d->nissues = d->nrecv = d->nwalk = 0;
        d->parsed = d->applied = false;
        d->how = HOW_NONE;
        d->org_off = d->policy_off = -1;
        d->exists = TRI_UNKNOWN;
        dmarc_name(d->location, j->in.domain);
}

enum job_step job_step(struct job *j, struct job_scratch *s)
{
        struct dmarc_result *d = &s->dmarc;
        result_reset(d, j);
        if (j->in.status != INPUT_ITEM_OK)
                return JOB_STEP_DONE;
        int status;
        if (read_reply(j, d, &status) == READ_FOLLOW)
                return JOB_STEP_QUERY;
        d->nwalk = j->walk.n + (j->phase == PHASE_WALK ? 1u : 0u);
        switch (j->phase) {
        case PHASE_WALK:
                return after_walk(j, s, status);
        case PHASE_EXISTS:
                return after_exists(j, s, status);
        default:
                return after_auth(j, s, status);
        }
}

unsigned job_outcome(const struct job *j, const struct job_scratch *s)
{
        if (j->in.status == INPUT_ITEM_ILLEGAL)
                return OUTCOME_ILLEGAL;
        if (j->in.status == INPUT_ITEM_EXCLUDED)
                return OUTCOME_EXCLUDED;
        switch (s->dmarc.status) {
        case LOOKUP_TIMEOUT:
                return OUTCOME_TIMEOUT;
        case LOOKUP_MALFORMED:
                return OUTCOME_MALFORMED;
        case LOOKUP_CNAME_LOOP:
                return OUTCOME_CNAME_LOOP;
        default:
                return s->dmarc.status >= 0 && s->dmarc.status < 16 ? (unsigned)s->dmarc.status
                                                                    : OUTCOME_MALFORMED;
        }
}

const char *job_outcome_name(unsigned outcome)
{
        switch (outcome) {
        case OUTCOME_TIMEOUT:
                return "TIMEOUT";
        case OUTCOME_MALFORMED:
                return "MALFORMED";
        case OUTCOME_CNAME_LOOP:
                return "CNAME_LOOP";
        case OUTCOME_ILLEGAL:
                return "ILLEGAL_INPUT";
        case OUTCOME_EXCLUDED:
                return "EXCLUDED";
        default:
                return wire_rcode_name((int)outcome);
        }
}

/* line.c -- the "dmarc" object of a domain's line (docs/output.md). */
#include "scanner/dmarc/line.h"

#include <stdio.h>

#include "common/text.h"

#define TERM_TEXT 64 /* an issue's term as text (ds_snip), NUL included: as SPF's */

static bool usable(const struct dmarc_result *d)
{
        return d->v.posture <= POSTURE_NONE;
}

static void uris(struct jw *w, const char *key, size_t klen, const struct dmarc_uri *u, unsigned n)
{
        jw_arr_open_k(w, key, klen);
        for (unsigned i = 0; i < n; i++)
                jw_cstr(w, NULL, u[i].uri);
        jw_arr_close(w);
}

/* The effective values of the applied record, null when none is usable. */
static void policy_fields(struct jw *w, const struct dmarc_result *d)
{
        const struct dmarc_record *r = &d->rec;
        if (!usable(d)) { /* literal keys, one call each: jw_null copies them unchecked */
                jw_null(w, "p");
                jw_null(w, "sp");
                jw_null(w, "np");
                jw_null(w, "pct");
                jw_null(w, "t");
                jw_null(w, "adkim");
                jw_null(w, "aspf");
                jw_null(w, "fo");
                jw_null(w, "psd");
                jw_arr_open(w, "rua");
                jw_arr_close(w);
                jw_arr_open(w, "ruf");
                jw_arr_close(w);
                return;
        }
        jw_cstr(w, "p", dmarc_policy_name(r->p));
        jw_cstr(w, "sp", dmarc_policy_name(r->sp));
        jw_cstr(w, "np", dmarc_policy_name(r->np));
        jw_uint(w, "pct", r->pct);
        jw_cstr(w, "t", r->testing ? "y" : "n");
        jw_cstr(w, "adkim", dmarc_align_name(r->adkim));
        jw_cstr(w, "aspf", dmarc_align_name(r->aspf));
        jw_cstr(w, "fo", r->fo_text);
        jw_cstr(w, "psd", dmarc_psd_name(r->psd));
        uris(w, JW_KEY("rua"), r->rua, r->rua_count);
        uris(w, JW_KEY("ruf"), r->ruf, r->ruf_count);
}

static void receivers(struct jw *w, const struct dmarc_result *d)
{
        jw_arr_open(w, "receivers");
        for (unsigned i = 0; i < d->nrecv; i++) {
                const struct receiver *r = &d->recv[i];
                jw_obj_open(w, NULL);
                jw_cstr(w, "host", r->host);
                jw_cstr(w, "org", r->org);
                jw_tri(w, "external", r->external);
                if (r->auth == AUTH_AUTHORIZED || r->auth == AUTH_NOT_AUTHORIZED)
                        jw_bool(w, "authorized", r->auth == AUTH_AUTHORIZED);
                else
                        jw_null(w, "authorized");
                jw_cstr(w, "authorization", auth_result_name((enum auth_result)r->auth));
                bool asked =
                    r->auth_status != LOOKUP_PENDING && r->auth_status != LOOKUP_NAME_TOO_LONG;
                jw_cstr(w, "authorization_status",
                        r->auth_status == LOOKUP_PENDING ? NULL
                                                         : lookup_status_name(r->auth_status));
                /* Which name's answer decided: the receiver's own, or its parent's NXDOMAIN
                 * (RFC 8020; the status is then that lookup's). */
                jw_cstr(w, "authorization_via",
                        !asked        ? NULL
                        : r->auth_cut ? "parent_nxdomain"
                                      : "name");
                jw_arr_open(w, "uses");
                if (r->uses & 1)
                        jw_cstr(w, NULL, "rua");
                if (r->uses & 2)
                        jw_cstr(w, NULL, "ruf");
                jw_arr_close(w);
                jw_obj_close(w);
        }
        jw_arr_close(w);
}

/* The record's issues (when one was parsed), then discovery's: codes, or {code, message}. */
static void issues(struct jw *w, const char *key, size_t klen, const struct dmarc_result *d,
                   bool errors, bool detail)
{
        const struct dmarc_issue *list = errors ? d->rec.errors : d->rec.warnings;
        unsigned n = d->parsed ? (errors ? d->rec.error_count : d->rec.warning_count) : 0;
        jw_arr_open_k(w, key, klen);
        for (unsigned i = 0; i < n; i++)
                jw_issue(w, detail, list[i].code, list[i].msg, NULL, NULL);
        for (unsigned i = 0; i < d->nissues; i++)
                if (d->issues[i].error == errors)
                        jw_issue(w, detail, d->issues[i].code, d->issues[i].msg, NULL, NULL);
        jw_arr_close(w);
}

/* Beside each code of errors (or warnings), what it is about when the code alone does not
 * say and the line has it nowhere else: the record's tag-spec or URI, else null. Discovery's
 * codes are all null: the walk, error_name and location say where. Written only when one
 * code has a term: an array of nulls would repeat the codes' count. */
static void issue_terms(struct jw *w, const char *key, size_t klen, const struct dmarc_result *d,
                        bool errors)
{
        const struct dmarc_issue *list = errors ? d->rec.errors : d->rec.warnings;
        unsigned n = d->parsed ? (errors ? d->rec.error_count : d->rec.warning_count) : 0;
        const char *text = d->parsed ? (const char *)d->text + d->recs[0].off : NULL;
        char term[TERM_TEXT];
        unsigned with = 0;
        for (unsigned i = 0; i < n; i++)
                with += list[i].term_len > 0;
        if (!with)
                return;
        jw_arr_open_k(w, key, klen);
        for (unsigned i = 0; i < n; i++)
                jw_cstr(w, NULL,
                        list[i].term_len
                            ? ds_snip(term, sizeof(term), text + list[i].term_off, list[i].term_len)
                            : NULL);
        for (unsigned i = 0; i < d->nissues; i++)
                if (d->issues[i].error == errors)
                        jw_null(w, NULL);
        jw_arr_close(w);
}

/* The explicit tags of the reported record, as written. */
static void tags(struct jw *w, const struct dmarc_result *d)
{
        if (!d->parsed) {
                jw_null(w, "tags");
                return;
        }
        jw_obj_open(w, "tags");
        for (unsigned t = 0; t < DMARC_TAG_COUNT; t++) {
                const struct dmarc_tag_seen *ts = &d->rec.tags[t];
                if (ts->present)
                        jw_str(w, dmarc_tag_name((enum dmarc_tag)t), ts->value, ts->len);
        }
        jw_obj_close(w);
}

static void walk(struct jw *w, const struct dmarc_result *d, const char *domain)
{
        char name[DS_NAME_MAX_TEXT + 8];
        jw_arr_open(w, "walk");
        for (unsigned i = 0; i < d->nwalk; i++) {
                ds_concat(name, sizeof(name), (const char *[]){"_dmarc.", domain + d->walk_off[i]},
                          2);
                jw_obj_open(w, NULL);
                jw_cstr(w, "name", name);
                jw_cstr(w, "status", lookup_status_name(d->walk[i].status));
                jw_uint(w, "records", d->walk[i].records);
                jw_obj_close(w);
        }
        jw_arr_close(w);
}

static const char *policy_from(const struct dmarc_result *d)
{
        if (!usable(d))
                return NULL;
        return d->v.tag == 'p' ? "p" : d->v.tag == 's' ? "sp" : d->v.tag == 'n' ? "np" : NULL;
}

void dmarc_line_write(struct jw *w, const struct dmarc_result *d, const char *domain, bool details)
{
        jw_obj_open(w, "dmarc");
        jw_cstr(w, "status", lookup_status_name(d->status));
        jw_arr_open(w, "records");
        for (unsigned i = 0; i < d->nrecords; i++)
                jw_str(w, NULL, (const char *)d->text + d->recs[i].off, d->recs[i].len);
        jw_arr_close(w);
        jw_cstr(w, "location", d->how != HOW_NONE ? d->location : NULL);
        jw_cstr(w, "discovery", discovery_how_name(d->how));
        if (usable(d) || d->v.posture == POSTURE_INVALID)
                jw_bool(w, "valid", usable(d));
        else
                jw_null(w, "valid");
        policy_fields(w, d);
        receivers(w, d);
        issues(w, JW_KEY("errors"), d, true, false);
        issues(w, JW_KEY("warnings"), d, false, false);
        issue_terms(w, JW_KEY("errors_at"), d, true);
        issue_terms(w, JW_KEY("warnings_at"), d, false);
        if (details) {
                issues(w, JW_KEY("errors_detail"), d, true, true);
                issues(w, JW_KEY("warnings_detail"), d, false, true);
                tags(w, d);
        }
        jw_cstr(w, "policy_from", policy_from(d));
        jw_cstr(w, "policy_domain", d->applied ? domain + d->policy_off : NULL);
        jw_cstr(w, "org_domain", d->org_off >= 0 ? domain + d->org_off : NULL);
        if (d->v.posture == POSTURE_ERROR)
                jw_cstr(w, "error_name", d->error_name);
        walk(w, d, domain);
        if (d->target[0])
                jw_cstr(w, "cname_target", d->target);
        jw_uint(w, "other_txt", d->nother_txt);
        if (d->nrecords_dropped)
                jw_uint(w, "records_dropped", d->nrecords_dropped);
        jw_uint(w, "attempts", d->attempts);
        jw_obj_close(w);
}

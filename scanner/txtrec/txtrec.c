/* txtrec.c -- one versioned TXT record at a fixed name: lookup, records, common members. */
#include "scanner/txtrec/txtrec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/text.h"
#include "dns/limits.h"
#include "dns/wire.h"
#include "scanner/txtrec/tags.h"

enum check_step txtrec_ask(struct lookup *l, int16_t *status, const char *prefix,
                           const char *domain)
{
        char name[DS_NAME_MAX_TEXT + 64];
        int n = snprintf(name, sizeof(name), "%s.%s", prefix, domain);
        if (n < 0 || (size_t)n >= sizeof(name) || lookup_set(l, name, WIRE_TYPE_TXT) < 0) {
                *status = LOOKUP_NAME_TOO_LONG;
                return CHECK_DONE;
        }
        *status = LOOKUP_PENDING;
        return CHECK_QUERY;
}

/* The next TXT RR of the answer owned by name: 1, or 0 at the end. */
static int next_txt(struct wire_rr_iter *it, const uint8_t *name, size_t len, struct wire_rr *rr)
{
        while (wire_rr_next(it, rr) == 1 && rr->section == WIRE_SEC_ANSWER)
                if (rr->type == WIRE_TYPE_TXT && rr->rclass == WIRE_CLASS_IN &&
                    wire_name_equal(it->r->pkt, it->r->len, rr->owner_off, name, len) == 1)
                        return 1;
        return 0;
}

static bool has_txt(const struct wire_reply *r, const uint8_t *name, size_t len, void *ctx)
{
        (void)ctx;
        struct wire_rr_iter it;
        struct wire_rr rr;
        wire_rr_iter_init(&it, r);
        return next_txt(&it, name, len, &rr) == 1;
}

enum check_step txtrec_answer(struct lookup *l, int16_t *status)
{
        struct wire_reply r;
        int st;
        if (lookup_read(l, &r, &st, has_txt, NULL) == LOOKUP_READ_FOLLOW)
                return CHECK_QUERY;
        *status = (int16_t)st;
        return CHECK_DONE;
}

/* The text starts with the version, compared without case, then ends or goes on with ';'
 * or white space ("v=STSv10" is not "v=STSv1"). */
static bool of_version(const char *p, size_t n, const char *version)
{
        size_t v = strlen(version);
        if (v == 0) /* every TXT record (DKIM key records need not start with v=) */
                return true;
        if (n < v)
                return false;
        for (size_t i = 0; i < v; i++)
                if (ds_ascii_lower((unsigned char)p[i]) !=
                    ds_ascii_lower((unsigned char)version[i]))
                        return false;
        return n == v || p[v] == ';' || p[v] == ' ' || p[v] == '\t';
}

/* Keep n bytes at text + used as a record, charged to the budget with its span: false when
 * the budget refuses them. */
static bool keep(struct txtrec *t, size_t used, size_t n)
{
        if (!ds_budget_take(&t->budget, sizeof(struct txtrec_span) + n))
                return false;
        size_t need = ((size_t)t->recs.n + 1) * sizeof(struct txtrec_span);
        t->recs.buf = ds_xgrow(t->recs.buf, &t->recs.cap, need, "a reply's TXT records");
        ((struct txtrec_span *)t->recs.buf)[t->recs.n++] =
            (struct txtrec_span){.off = (uint32_t)used, .len = (uint32_t)n};
        return true;
}

static void take(struct txtrec *t, const struct wire_reply *r, const struct wire_rr *rr,
                 size_t *used, const char *version)
{
        t->text = ds_xgrow(t->text, &t->cap, *used + rr->rdlen + 1, "a reply's TXT records");
        int n = wire_txt_join(r, rr, (uint8_t *)t->text + *used, t->cap - *used);
        if (ds_fails(n >= 0)) /* wire_reply_parse() checked every TXT rdata */
                return;
        if (!of_version(t->text + *used, (size_t)n, version)) {
                t->nother++;
        } else if (!keep(t, *used, (size_t)n)) {
                t->ndropped++;
        } else {
                t->nrecords++;
                *used += (size_t)n;
        }
}

struct txtrec_src txtrec_src_of(const struct lookup *l)
{
        return (struct txtrec_src){.pkt = lookup_reply(l),
                                   .len = l->reply_len,
                                   .owner = l->qname,
                                   .owner_len = l->qname_len,
                                   .attempts = l->attempts,
                                   .cname_hops = l->cname_hops};
}

void txtrec_read_src(struct txtrec *t, int status, const struct txtrec_src *src,
                     const char *version, const char *const *codes)
{
        t->status = status;
        t->attempts = src->attempts;
        t->cname_hops = src->cname_hops;
        t->nrecords = t->ndropped = t->nother = t->nissues = 0;
        t->recs.n = 0;
        ds_budget_reset(&t->budget);
        t->codes = codes;
        t->version = version;
        if (status != WIRE_RCODE_NOERROR)
                return;
        struct wire_reply r;
        if (ds_fails(wire_reply_parse(&r, src->pkt, src->len) == 0)) {
                t->status = LOOKUP_MALFORMED; /* txtrec_reply() parsed this very reply */
                return;
        }
        struct wire_rr_iter it;
        struct wire_rr rr;
        size_t used = 0;
        wire_rr_iter_init(&it, &r);
        while (next_txt(&it, src->owner, src->owner_len, &rr) == 1)
                take(t, &r, &rr, &used, version);
}

void txtrec_read(struct txtrec *t, int status, const struct lookup *l, const char *version,
                 const char *const *codes)
{
        struct txtrec_src src = txtrec_src_of(l);
        txtrec_read_src(t, status, &src, version, codes);
}

void txtrec_issue(struct txtrec *t, const char *code, bool error)
{
        for (unsigned i = 0; i < t->nissues; i++)
                if (t->issues[i].code == code)
                        return;
        if (ds_fails(t->nissues < TXTREC_ISSUES_MAX) || ds_fails(ds_listed(t->codes, code)))
                return;
        t->issues[t->nissues++] = (struct txtrec_issue){.code = code, .error = error};
}

bool txtrec_single(struct txtrec *t)
{
        if (t->ndropped)
                txtrec_issue(t, "budget_exceeded", true);
        if (t->nrecords + t->ndropped > 1)
                txtrec_issue(t, "multiple_records", true);
        if (t->nrecords != 1 || t->ndropped)
                return false;
        if (memcmp(txtrec_text(t, 0), t->version, strlen(t->version)) != 0)
                txtrec_issue(t, "version_case", true);
        return true;
}

static bool has_error(const struct txtrec *t)
{
        for (unsigned i = 0; i < t->nissues; i++)
                if (t->issues[i].error)
                        return true;
        return false;
}

int txtrec_valid(const struct txtrec *t)
{
        if (t->nrecords + t->ndropped == 0)
                return -1;
        return !has_error(t);
}

void txtrec_write_valid(struct jw *w, const struct txtrec *t)
{
        if (txtrec_valid(t) < 0)
                jw_null(w, "valid");
        else
                jw_bool(w, "valid", txtrec_valid(t));
}

void txtrec_write_head(struct jw *w, const char *key, const struct txtrec *t)
{
        jw_obj_open(w, key);
        jw_cstr(w, "status", lookup_status_name(t->status));
        jw_arr_open(w, "records");
        for (unsigned i = 0; i < t->nrecords; i++)
                jw_str(w, NULL, txtrec_text(t, i), txtrec_len(t, i));
        jw_arr_close(w);
        if (t->ndropped)
                jw_uint(w, "records_dropped", t->ndropped);
}

static void codes(struct jw *w, const char *key, const struct txtrec *t, bool errors)
{
        jw_arr_open(w, key);
        for (unsigned i = 0; i < t->nissues; i++)
                if (t->issues[i].error == errors)
                        jw_cstr(w, NULL, t->issues[i].code);
        jw_arr_close(w);
}

void txtrec_write_tail(struct jw *w, const struct txtrec *t)
{
        codes(w, "errors", t, true);
        codes(w, "warnings", t, false);
        jw_uint(w, "attempts", t->attempts);
        jw_obj_close(w);
}

const struct tag_list *txtrec_tags(struct txtrec *t, const char *text, size_t n)
{
        struct tag_list *tl = &t->tags;
        tags_split(text, n, tl, &t->budget);
        if (tl->no_equals || tl->empty_name)
                txtrec_issue(t, "syntax", true);
        if (tl->dup)
                txtrec_issue(t, "duplicate_tag", true);
        if (tl->dropped)
                txtrec_issue(t, "budget_exceeded", true);
        return tl;
}

static bool known_name(const struct tag *g, const char *const *known)
{
        for (; *known; known++)
                if (g->name_len == strlen(*known) && memcmp(g->name, *known, g->name_len) == 0)
                        return true;
        return false;
}

void txtrec_extensions(struct txtrec *t, const struct tag_list *tl, const char *const *known,
                       bool strict, const char *code)
{
        /* The version is tags[0]: the record was chosen by its first octets. */
        for (unsigned i = 1; i < tl->n; i++) {
                const struct tag *g = &tl->tags[i];
                if (known_name(g, known))
                        continue;
                if (!strict)
                        txtrec_issue(t, code, false);
                else if (!tags_name_ok(g->name, g->name_len) ||
                         !tags_value_ok(g->value, g->value_len))
                        txtrec_issue(t, code, true);
        }
}

bool txtrec_conclude(struct txtrec *t, int status, const struct lookup *l, const char *version,
                     const char *const *codes, struct check_facts *f)
{
        txtrec_read(t, status, l, version, codes);
        f->status = t->status;
        return txtrec_single(t);
}

void txtrec_free(struct txtrec *t)
{
        free(t->text);
        t->text = NULL;
        t->cap = 0;
        ds_vec_free(&t->recs);
        tags_free(&t->tags);
}

/* check.c -- the MTA-STS check's hooks: the TXT record, then with --mta-sts-policy the
 * policy host's address, the policy, the MX hosts; its "mta_sts" object. */
#include "scanner/mtasts/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "dns/https.h"
#include "dns/wire.h"
#include "scanner/job.h"
#include "scanner/mtasts/line.h"

/* ---- the steps ------------------------------------------------------------------------ */

static bool fetching(const struct check_arg *a)
{
        return a->env && a->env->mta_sts_policy;
}

/* The one record a sender would act on: exactly one, and valid (RFC 8461 3.1, 3.3). */
static bool record_valid(const struct check_arg *a, const struct mtasts_state *st)
{
        struct mtasts_scratch *s = a->scratch;
        txtrec_read(&s->t, st->status, a->l, MTASTS_VERSION, mtasts_issue_codes);
        if (!txtrec_single(&s->t))
                return false;
        mtasts_parse(txtrec_text(&s->t, 0), txtrec_len(&s->t, 0), &s->rec, &s->t);
        return txtrec_valid(&s->t) == 1;
}

/* Append n bytes to the state's held buffer (the job owns the state: freed by clear()). */
static void hold(struct mtasts_state *st, const uint8_t *p, size_t n)
{
        size_t used = (size_t)st->txt_len + st->owner_len + st->body_len;
        st->held = ds_xrealloc(st->held, used + n + 1, "an MTA-STS reply or policy");
        memcpy(st->held + used, p, n);
}

/* The TXT reply and its final owner are about to leave the lookup: keep them. */
static void keep_txt(struct mtasts_state *st, const struct lookup *l)
{
        hold(st, lookup_reply(l), l->reply_len);
        st->txt_len = l->reply_len;
        hold(st, l->qname, l->qname_len);
        st->owner_len = l->qname_len;
        st->txt_hops = l->cname_hops;
}

static enum check_step ask_address(const struct check_arg *a, struct mtasts_state *st,
                                   enum mtasts_step step)
{
        char name[DS_NAME_MAX_TEXT + 16];
        snprintf(name, sizeof(name), "mta-sts.%s", a->job->in.domain);
        if (lookup_set(a->l, name, step == MTASTS_STEP_A ? WIRE_TYPE_A : WIRE_TYPE_AAAA) < 0) {
                st->fetch = MTASTS_FETCH_NO_ADDRESS; /* the name cannot exist */
                return CHECK_DONE;
        }
        st->step = (uint8_t)step;
        return CHECK_QUERY;
}

/* The first address record at the final owner: its length (4 or 16), or 0. */
static size_t first_address(const struct wire_reply *r, const struct lookup *l, uint8_t *out)
{
        uint16_t type = l->qtype;
        size_t want = type == WIRE_TYPE_A ? 4 : 16;
        struct wire_rr_iter it;
        struct wire_rr rr;
        wire_rr_iter_init(&it, r);
        while (wire_rr_next(&it, &rr) == 1 && rr.section == WIRE_SEC_ANSWER)
                if (rr.type == type && rr.rclass == WIRE_CLASS_IN && rr.rdlen == want &&
                    wire_name_equal(r->pkt, r->len, rr.owner_off, l->qname, l->qname_len) == 1) {
                        memcpy(out, r->pkt + rr.rdata_off, want);
                        return want;
                }
        return 0;
}

static bool has_address(const struct wire_reply *r, const uint8_t *name, size_t name_len, void *ctx)
{
        (void)name, (void)name_len;
        uint8_t addr[16];
        return first_address(r, ctx, addr) > 0;
}

static enum check_step on_address(const struct check_arg *a, struct mtasts_state *st)
{
        struct wire_reply r;
        int status;
        if (lookup_read(a->l, &r, &status, has_address, a->l) == LOOKUP_READ_FOLLOW)
                return CHECK_QUERY;
        st->addr_status = (int16_t)status;
        if (status == WIRE_RCODE_NOERROR) {
                size_t n = first_address(&r, a->l, st->addr);
                if (n) {
                        char host[DS_NAME_MAX_TEXT + 16];
                        snprintf(host, sizeof(host), "mta-sts.%s", a->job->in.domain);
                        st->addr_len = (uint8_t)n;
                        st->step = MTASTS_STEP_FETCH;
                        /* ask_address() asked this very name */
                        if (ds_fails(lookup_set_https(a->l, host, st->addr, n, MTASTS_PATH) == 0))
                                return CHECK_DONE;
                        return CHECK_QUERY;
                }
                if (st->step == MTASTS_STEP_A)
                        return ask_address(a, st, MTASTS_STEP_AAAA);
        }
        bool answered = status == WIRE_RCODE_NOERROR || status == WIRE_RCODE_NXDOMAIN;
        st->fetch = answered ? MTASTS_FETCH_NO_ADDRESS : MTASTS_FETCH_DNS_ERROR;
        return CHECK_DONE;
}

static enum check_step on_fetched(const struct check_arg *a, struct mtasts_state *st)
{
        const struct lookup *l = a->l;
        st->fetch = l->last_status;
        st->http_code = l->http_code;
        st->text_plain = l->text_plain;
        if (st->fetch != HTTPS_OK)
                return CHECK_DONE;
        hold(st, lookup_reply(l), l->reply_len);
        st->body_len = l->reply_len;
        /* the patterns are for the domain's MX hosts */
        if (lookup_set(a->l, a->job->in.domain, WIRE_TYPE_MX) < 0)
                return CHECK_DONE;
        st->mx_status = LOOKUP_PENDING;
        st->step = MTASTS_STEP_MX;
        return CHECK_QUERY;
}

/* ---- the hooks ------------------------------------------------------------------------ */

static enum check_step mtasts_start(const struct check_arg *a)
{
        struct mtasts_state *st = a->state;
        st->fetch = MTASTS_FETCH_NOT_ASKED;
        st->addr_status = st->mx_status = LOOKUP_PENDING;
        st->step = MTASTS_STEP_TXT;
        return txtrec_ask(a->l, &st->status, "_mta-sts", a->job->in.domain);
}

static enum check_step mtasts_on_reply(const struct check_arg *a)
{
        struct mtasts_state *st = a->state;
        switch (st->step) {
        case MTASTS_STEP_TXT:
                if (txtrec_answer(a->l, &st->status) == CHECK_QUERY)
                        return CHECK_QUERY;
                if (!fetching(a) || !record_valid(a, st))
                        return CHECK_DONE;
                keep_txt(st, a->l);
                return ask_address(a, st, MTASTS_STEP_A);
        case MTASTS_STEP_A:
        case MTASTS_STEP_AAAA:
                return on_address(a, st);
        case MTASTS_STEP_FETCH:
                return on_fetched(a, st);
        case MTASTS_STEP_MX:
                return mx_answer(a->l, &st->mx_status);
        }
        (void)ds_fails(!"an MTA-STS step");
        return CHECK_DONE;
}

/* Where the TXT reply is now: still in the lookup, or held once the check went on. */
static struct txtrec_src txt_source(const struct mtasts_state *st, const struct lookup *l)
{
        if (st->step == MTASTS_STEP_TXT)
                return txtrec_src_of(l);
        return (struct txtrec_src){.pkt = st->held,
                                   .len = st->txt_len,
                                   .owner = st->held + st->txt_len,
                                   .owner_len = st->owner_len,
                                   .attempts = l->attempts,
                                   .cname_hops = st->txt_hops};
}

static void mtasts_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct mtasts_scratch *s = a->scratch;
        const struct mtasts_state *st = a->state;
        struct txtrec_src src = txt_source(st, a->l);
        txtrec_read_src(&s->t, st->status, &src, MTASTS_VERSION, mtasts_issue_codes);
        f->status = s->t.status;
        s->parsed = txtrec_single(&s->t);
        if (s->parsed)
                mtasts_parse(txtrec_text(&s->t, 0), txtrec_len(&s->t, 0), &s->rec, &s->t);
        if (st->fetch == HTTPS_OK) {
                const char *body = (const char *)st->held + st->txt_len + st->owner_len;
                mtasts_policy_parse(&s->pol, body, st->body_len);
                if (!st->text_plain)
                        mtasts_policy_issue(&s->pol, "content_type", false);
        }
        if (st->step == MTASTS_STEP_MX)
                mx_read(&s->mx, st->mx_status, a->l);
}

static void mtasts_render(const struct check_arg *a, struct jw *w)
{
        const struct mtasts_scratch *s = a->scratch;
        const struct mtasts_state *st = a->state;
        txtrec_write_head(w, "mta_sts", &s->t);
        txtrec_write_valid(w, &s->t);
        if (s->parsed && s->rec.id)
                jw_str(w, "id", s->rec.id, s->rec.id_len);
        else
                jw_null(w, "id");
        mtasts_line_policy(w, st, s);
        txtrec_write_tail(w, &s->t);
}

static void mtasts_clear(void *state)
{
        struct mtasts_state *st = state;
        free(st->held);
        st->held = NULL;
}

static void mtasts_scratch_free(void *scratch)
{
        struct mtasts_scratch *s = scratch;
        txtrec_free(&s->t);
        mtasts_policy_free(&s->pol);
        mx_result_free(&s->mx);
}

const struct check_ops mtasts_check = {
    .name = "mta_sts",
    .state_size = sizeof(struct mtasts_state),
    .scratch_size = sizeof(struct mtasts_scratch),
    .scratch_free = mtasts_scratch_free,
    .start = mtasts_start,
    .on_reply = mtasts_on_reply,
    .conclude = mtasts_conclude,
    .render = mtasts_render,
    .clear = mtasts_clear,
};

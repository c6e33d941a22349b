/* check.c -- the DKIM check's hooks: _domainkey, then the selectors; its "dkim" object. */
#include "scanner/dkim/check.h"

#include <stdio.h>

#include "dns/wire.h"
#include "scanner/job.h"

static const char *selectors(const struct check_arg *a)
{
        return a->env ? a->env->dkim_selectors : NULL;
}

/* Ask the next selector, settling without a lookup those that cannot be asked. */
static enum check_step next(const struct check_arg *a, struct dkim_state *st)
{
        const char *list = selectors(a);
        unsigned n = dkim_selectors_count(list);
        while (st->started < n) {
                struct dkim_key *key = &st->keys[st->started];
                char sel[DKIM_SELECTOR_MAX + 1], name[DS_NAME_MAX_TEXT + DKIM_SELECTOR_MAX + 16];
                dkim_selector_at(list, st->started++, sel);
                if (st->status == WIRE_RCODE_NXDOMAIN) {
                        key->status = WIRE_RCODE_NXDOMAIN; /* RFC 8020: nothing below */
                        continue;
                }
                snprintf(name, sizeof(name), "%s._domainkey.%s", sel, a->job->in.domain);
                if (lookup_set(a->l, name, WIRE_TYPE_TXT) < 0) {
                        key->status = LOOKUP_NAME_TOO_LONG;
                        continue;
                }
                key->status = LOOKUP_PENDING;
                return CHECK_QUERY;
        }
        return CHECK_DONE;
}

static enum check_step dkim_start(const struct check_arg *a)
{
        struct dkim_state *st = a->state;
        char name[DS_NAME_MAX_TEXT + 16];
        snprintf(name, sizeof(name), "_domainkey.%s", a->job->in.domain);
        if (lookup_set(a->l, name, WIRE_TYPE_TXT) < 0) {
                st->status = LOOKUP_NAME_TOO_LONG;
                st->dk_done = true;
                return next(a, st);
        }
        st->status = LOOKUP_PENDING;
        return CHECK_QUERY;
}

/* Any answer at the name says it exists: a CNAME there is not followed. */
static bool exists(const struct wire_reply *r, const uint8_t *name, size_t len, void *ctx)
{
        (void)r, (void)name, (void)len, (void)ctx;
        return true;
}

/* The selector's TXT records: one key record is read (several: the first, with a warning). */
static void read_key(const struct check_arg *a, struct dkim_key *key)
{
        struct dkim_scratch *s = a->scratch;
        txtrec_read(&s->t, key->status, a->l, "", NULL);
        if (s->t.ndropped)
                dkim_key_issue(key, "budget_exceeded", true);
        if (s->t.nrecords == 0) {
                if (!s->t.ndropped)
                        dkim_key_issue(key, "record_missing", true);
                return;
        }
        key->found = true;
        if (s->t.nrecords + s->t.ndropped > 1)
                dkim_key_issue(key, "multiple_records", false);
        dkim_parse(txtrec_text(&s->t, 0), txtrec_len(&s->t, 0), key, &s->t, s->key, sizeof(s->key));
}

static enum check_step dkim_on_reply(const struct check_arg *a)
{
        struct dkim_state *st = a->state;
        if (!st->dk_done) {
                struct wire_reply r;
                int status;
                lookup_read(a->l, &r, &status, exists, NULL);
                st->status = (int16_t)status;
                st->dk_done = true;
        } else {
                struct dkim_key *key = &st->keys[st->started - 1];
                if (txtrec_answer(a->l, &key->status) == CHECK_QUERY)
                        return CHECK_QUERY;
                if (key->status == WIRE_RCODE_NOERROR)
                        read_key(a, key);
        }
        st->attempts = a->l->attempts;
        return next(a, st);
}

static void dkim_conclude(const struct check_arg *a, struct check_facts *f)
{
        const struct dkim_state *st = a->state;
        f->status = st->status;
}

static void codes(struct jw *w, const char *key, uint16_t bits)
{
        jw_arr_open(w, key);
        for (unsigned i = 0; dkim_key_codes[i]; i++)
                if (bits & (1u << i))
                        jw_cstr(w, NULL, dkim_key_codes[i]);
        jw_arr_close(w);
}

static void selector(struct jw *w, const char *name, const struct dkim_key *key)
{
        bool record = key->found;
        jw_obj_open(w, NULL);
        jw_cstr(w, "selector", name);
        jw_cstr(w, "status", lookup_status_name(key->status));
        jw_cstr(w, "k", record ? dkim_k_name((enum dkim_k)key->k) : NULL);
        if (key->bits)
                jw_uint(w, "bits", key->bits);
        else
                jw_null(w, "bits");
        if (record)
                jw_bool(w, "revoked", key->revoked);
        else
                jw_null(w, "revoked");
        codes(w, "errors", key->errors);
        codes(w, "warnings", key->warnings);
        jw_obj_close(w);
}

static void dkim_render(const struct check_arg *a, struct jw *w)
{
        const struct dkim_state *st = a->state;
        const char *list = selectors(a);
        jw_obj_open(w, "dkim");
        jw_cstr(w, "domainkey",
                st->status == WIRE_RCODE_NOERROR    ? "exists"
                : st->status == WIRE_RCODE_NXDOMAIN ? "absent"
                                                    : NULL);
        jw_cstr(w, "status", lookup_status_name(st->status));
        jw_arr_open(w, "selectors");
        for (unsigned i = 0; i < st->started; i++) {
                char sel[DKIM_SELECTOR_MAX + 1];
                dkim_selector_at(list, i, sel);
                selector(w, sel, &st->keys[i]);
        }
        jw_arr_close(w);
        jw_uint(w, "attempts", st->attempts);
        jw_obj_close(w);
}

static void dkim_scratch_free(void *scratch)
{
        struct dkim_scratch *s = scratch;
        txtrec_free(&s->t);
}

const struct check_ops dkim_check = {
    .name = "dkim",
    .state_size = sizeof(struct dkim_state),
    .scratch_size = sizeof(struct dkim_scratch),
    .scratch_free = dkim_scratch_free,
    .start = dkim_start,
    .on_reply = dkim_on_reply,
    .conclude = dkim_conclude,
    .render = dkim_render,
};

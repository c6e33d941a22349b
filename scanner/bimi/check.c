/* check.c -- the BIMI check's hooks and its "bimi" object. */
#include "scanner/bimi/check.h"

#include "scanner/job.h"

static enum check_step bimi_start(const struct check_arg *a)
{
        struct bimi_state *st = a->state;
        return txtrec_ask(a->l, &st->status, "default._bimi", a->job->in.domain);
}

static enum check_step bimi_on_reply(const struct check_arg *a)
{
        struct bimi_state *st = a->state;
        return txtrec_answer(a->l, &st->status);
}

static void bimi_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct bimi_scratch *s = a->scratch;
        const struct bimi_state *st = a->state;
        s->parsed = txtrec_conclude(&s->t, st->status, a->l, BIMI_VERSION, bimi_issue_codes, f);
        if (s->parsed)
                bimi_parse(txtrec_text(&s->t, 0), txtrec_len(&s->t, 0), &s->rec, &s->t);
}

static void span(struct jw *w, const char *key, bool parsed, const struct bimi_span *v)
{
        if (parsed && v->present)
                jw_str(w, key, v->p, v->n);
        else
                jw_null(w, key);
}

/* The DMARC prerequisite from the facts of the check that gave a posture (dmarc). */
static void dmarc_ok(struct jw *w, const struct check_arg *a)
{
        for (unsigned i = 0; a->facts && i < a->nfacts; i++) {
                const struct check_facts *f = &a->facts[i];
                if (f->posture < 0)
                        continue;
                int ok = bimi_dmarc_ok(f->posture, f->enforcing, f->partial, f->org_sp);
                if (ok >= 0)
                        jw_bool(w, "dmarc_ok", ok);
                else
                        jw_null(w, "dmarc_ok");
                return;
        }
        jw_null(w, "dmarc_ok");
}

static void bimi_render(const struct check_arg *a, struct jw *w)
{
        const struct bimi_scratch *s = a->scratch;
        txtrec_write_head(w, "bimi", &s->t);
        txtrec_write_valid(w, &s->t);
        span(w, "l", s->parsed, &s->rec.l);
        span(w, "a", s->parsed, &s->rec.a);
        dmarc_ok(w, a);
        txtrec_write_tail(w, &s->t);
}

static void bimi_scratch_free(void *scratch)
{
        struct bimi_scratch *s = scratch;
        txtrec_free(&s->t);
}

const struct check_ops bimi_check = {
    .name = "bimi",
    .state_size = sizeof(struct bimi_state),
    .scratch_size = sizeof(struct bimi_scratch),
    .scratch_free = bimi_scratch_free,
    .start = bimi_start,
    .on_reply = bimi_on_reply,
    .conclude = bimi_conclude,
    .render = bimi_render,
};

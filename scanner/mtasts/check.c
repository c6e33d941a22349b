/* check.c -- the MTA-STS check's hooks and its "mta_sts" object. */
#include "scanner/mtasts/check.h"

#include "scanner/job.h"

static enum check_step mtasts_start(const struct check_arg *a)
{
        struct mtasts_state *st = a->state;
        return txtrec_ask(a->l, &st->status, "_mta-sts", a->job->in.domain);
}

static enum check_step mtasts_on_reply(const struct check_arg *a)
{
        struct mtasts_state *st = a->state;
        return txtrec_answer(a->l, &st->status);
}

static void mtasts_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct mtasts_scratch *s = a->scratch;
        const struct mtasts_state *st = a->state;
        s->parsed = txtrec_conclude(&s->t, st->status, a->l, MTASTS_VERSION, mtasts_issue_codes, f);
        if (s->parsed)
                mtasts_parse(txtrec_text(&s->t, 0), s->t.len[0], &s->rec, &s->t);
}

static void mtasts_render(const struct check_arg *a, struct jw *w)
{
        const struct mtasts_scratch *s = a->scratch;
        txtrec_write_head(w, "mta_sts", &s->t);
        txtrec_write_valid(w, &s->t);
        if (s->parsed && s->rec.id)
                jw_str(w, "id", s->rec.id, s->rec.id_len);
        else
                jw_null(w, "id");
        jw_null(w, "policy");
        txtrec_write_tail(w, &s->t);
}

static void mtasts_scratch_free(void *scratch)
{
        struct mtasts_scratch *s = scratch;
        txtrec_free(&s->t);
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
};

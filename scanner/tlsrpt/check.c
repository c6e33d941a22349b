/* check.c -- the TLS-RPT check's hooks and its "tls_rpt" object. */
#include "scanner/tlsrpt/check.h"

#include "scanner/job.h"

static enum check_step tlsrpt_start(const struct check_arg *a)
{
        struct tlsrpt_state *st = a->state;
        return txtrec_ask(a->l, &st->status, "_smtp._tls", a->job->in.domain);
}

static enum check_step tlsrpt_on_reply(const struct check_arg *a)
{
        struct tlsrpt_state *st = a->state;
        return txtrec_answer(a->l, &st->status);
}

static void tlsrpt_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct tlsrpt_scratch *s = a->scratch;
        const struct tlsrpt_state *st = a->state;
        s->parsed = txtrec_conclude(&s->t, st->status, a->l, TLSRPT_VERSION, tlsrpt_issue_codes, f);
        if (s->parsed)
                tlsrpt_parse(txtrec_text(&s->t, 0), txtrec_len(&s->t, 0), &s->rec, &s->t);
}

static void tlsrpt_render(const struct check_arg *a, struct jw *w)
{
        const struct tlsrpt_scratch *s = a->scratch;
        txtrec_write_head(w, "tls_rpt", &s->t);
        txtrec_write_valid(w, &s->t);
        jw_arr_open(w, "rua");
        for (unsigned i = 0; s->parsed && i < s->rec.nrua; i++)
                jw_str(w, NULL, s->rec.rua[i].p, s->rec.rua[i].n);
        jw_arr_close(w);
        txtrec_write_tail(w, &s->t);
}

static void tlsrpt_scratch_free(void *scratch)
{
        struct tlsrpt_scratch *s = scratch;
        txtrec_free(&s->t);
        tlsrpt_record_free(&s->rec);
}

const struct check_ops tlsrpt_check = {
    .name = "tls_rpt",
    .state_size = sizeof(struct tlsrpt_state),
    .scratch_size = sizeof(struct tlsrpt_scratch),
    .scratch_free = tlsrpt_scratch_free,
    .start = tlsrpt_start,
    .on_reply = tlsrpt_on_reply,
    .conclude = tlsrpt_conclude,
    .render = tlsrpt_render,
};

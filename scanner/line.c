/* line.c -- one output line per input line, fields in a fixed order (docs/output.md). */
#include "scanner/line.h"

/* Each check object of the line (check.h: the set's layout), null when its check did not
 * run. */
static void check_objects(struct jw *w, struct job *j, struct job_scratch *s)
{
        const struct check_set *set = j->set;
        bool ok = j->in.status == INPUT_ITEM_OK;
        for (unsigned k = 0; k < set->nobj; k++) {
                int i = set->obj_check[k];
                if (ok && i < 0 && set->null_next[k] > k) { /* checks not enabled: one copy */
                        jw_members_raw(w, set->null_text + set->null_off[k],
                                       (size_t)(set->null_end[k] - set->null_off[k]));
                        k = set->null_next[k] - 1u;
                        continue;
                }
                if (i < 0 || !ok) {
                        jw_null_k(w, set->obj_name[k], set->obj_klen[k]);
                        continue;
                }
                struct check_arg a = {.job = j,
                                      .l = &j->look[i],
                                      .state = job_state(j, (unsigned)i),
                                      .scratch = s->check[i],
                                      .env = j->env,
                                      .facts = s->facts,
                                      .nfacts = set->n};
                set->ops[i]->render(&a, w);
        }
}

void line_write(struct jbuf *b, struct job *j, struct job_scratch *s, const struct line_opts *o,
                struct ndjson_clock *clock)
{
        struct jw w;
        char ts[32];
        const struct input_item *in = &j->in;
        bool ok = in->status == INPUT_ITEM_OK;
        bool named = ok || in->status == INPUT_ITEM_EXCLUDED;

        jw_begin(&w, b);
        jw_int(&w, "schema", LINE_SCHEMA);
        jw_cstr(&w, "domain", named ? in->domain : NULL);
        jw_uint(&w, "line", in->line);
        if (o->nfiles > 1)
                jw_cstr(&w, "file", o->files[j->file]);
        if (in->raw_differs || !named)
                jw_cstr(&w, "input", in->raw);
        if (in->rank >= 0)
                jw_int(&w, "rank", in->rank);
        if (in->sector)
                jw_cstr(&w, "sector", in->sector);
        ndjson_timestamp(clock, o->clock ? o->clock : ds_clock_real(), ts);
        jw_cstr(&w, "ts", ts);
        if (in->status == INPUT_ITEM_EXCLUDED) {
                jw_cstr(&w, "status", "EXCLUDED");
        } else if (!ok) {
                jw_cstr(&w, "status", "ILLEGAL_INPUT");
                jw_cstr(&w, "error", in->error);
        } else {
                jw_cstr(&w, "status", "OK");
        }
        job_conclude(j, s);
        toplevel_render(&s->top, &w);
        check_objects(&w, j, s);
        profile_write(o->profile, j, s, &w);
        jw_end(&w);
}

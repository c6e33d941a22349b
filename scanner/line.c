/* line.c -- one output line per input line, fields in a fixed order (docs/output.md). */
#include "scanner/line.h"

/* Check i's object, or null when it did not run. */
static void check_object(struct jw *w, struct job *j, struct job_scratch *s, unsigned i)
{
        if (j->in.status != INPUT_ITEM_OK) {
                jw_null(w, j->set->ops[i]->name);
                return;
        }
        struct check_arg a = {.job = j,
                              .l = &j->look[i],
                              .state = job_state(j, i),
                              .scratch = s->check[i],
                              .env = j->env};
        j->set->ops[i]->render(&a, w);
}

/* In the registry's order, each check's object (null when not enabled), then the planned
 * ones, then checks from outside the registry (unit tests' own). */
static void check_objects(struct jw *w, struct job *j, struct job_scratch *s)
{
        const struct check_set *set = j->set;
        for (const struct check_ops *const *r = check_registry; *r; r++) {
                int i = check_set_find(set, (*r)->name);
                if (i < 0)
                        jw_null(w, (*r)->name);
                else
                        check_object(w, j, s, (unsigned)i);
        }
        for (const char *const *p = check_planned; *p; p++)
                if (!check_registered(*p))
                        jw_null(w, *p);
        for (unsigned i = 0; i < set->n; i++)
                if (!check_registered(set->ops[i]->name))
                        check_object(w, j, s, i);
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
        jw_end(&w);
}

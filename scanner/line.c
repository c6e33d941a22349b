/* line.c -- one output line per input line, fields in a fixed order (docs/output.md). */
#include "scanner/line.h"

#include "scanner/dmarc_line.h"

static void verdict_fields(struct jw *w, const struct dmarc_result *d)
{
        if (!d) {
                static const char *const keys[] = {"exists",  "posture",   "enforcing",
                                                   "partial", "spoofable", "spoofable_reason"};
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                        jw_null(w, keys[i]);
                return;
        }
        jw_tri(w, "exists", d->exists);
        jw_cstr(w, "posture", posture_name(d->v.posture));
        jw_bool(w, "enforcing", d->v.enforcing);
        jw_bool(w, "partial", d->v.partial);
        jw_cstr(w, "spoofable", spoofable_name(d->v.spoofable));
        jw_cstr(w, "spoofable_reason", d->v.reason);
}

void line_write(struct jbuf *b, const struct job *j, const struct job_scratch *s,
                const struct line_opts *o, struct ndjson_clock *clock)
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
                verdict_fields(&w, NULL);
                jw_null(&w, "dmarc");
        } else if (!ok) {
                jw_cstr(&w, "status", "ILLEGAL_INPUT");
                jw_cstr(&w, "error", in->error);
                verdict_fields(&w, NULL);
                jw_null(&w, "dmarc");
        } else {
                jw_cstr(&w, "status", "OK");
                verdict_fields(&w, &s->dmarc);
                dmarc_line_write(&w, &s->dmarc, in->domain);
        }
        /* The contract's spf and mx objects: null until those checks exist (--checks). */
        jw_null(&w, "spf");
        jw_null(&w, "mx");
        jw_end(&w);
}

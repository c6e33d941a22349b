/* summary_file.c -- the summary's header (the scan's identity and configuration) and the
 * aggregate, as one JSON object written atomically. */
#include "scanner/summary_file.h"

#include "output/meta.h"
#include "scanner/runmeta.h"

#define SUMMARY_SCHEMA 1

static void inputs(struct jw *w, const struct summary_scan *m)
{
        jw_arr_open(w, "inputs");
        for (unsigned i = 0; i < m->cfg->ninputs; i++) {
                const struct summary_input *in = &m->inputs[i];
                jw_obj_open(w, NULL);
                jw_cstr(w, "path", in->path);
                jw_cstr(w, "sha256", in->sha256[0] ? in->sha256 : NULL);
                jw_uint(w, "bytes", in->bytes);
                jw_cstr(w, "format", in->format);
                jw_uint(w, "rows", in->rows);
                jw_obj_close(w);
        }
        jw_arr_close(w);
}

static void scan(struct jw *w, const struct summary_scan *m, const struct summary *s)
{
        const struct scan_config *c = m->cfg;
        jw_obj_open(w, "scan");
        jw_arr_open(w, "argv");
        jw_cstr(w, NULL, "dmarcscan");
        for (int i = 0; i < c->argc; i++)
                jw_cstr(w, NULL, c->argv[i]);
        jw_arr_close(w);
        jw_arr_open(w, "resolvers");
        for (size_t i = 0; i < m->resolvers->n; i++)
                jw_cstr(w, NULL, m->resolvers->v[i].name);
        jw_arr_close(w);
        jw_uint(w, "timeout_ms", c->timeout_ms);
        jw_uint(w, "retries", c->retries);
        runmeta_write_method(w, c, m->psl_source, m->psl_date);
        inputs(w, m);
        jw_uint(w, "duplicates", m->duplicates);
        jw_uint(w, "illegal", s->all.c[SC_ILLEGAL]);
        jw_bool(w, "resumed", m->resumed);
        jw_obj_close(w);
}

int summary_write(const char *path, const struct summary_scan *m, const struct summary *s)
{
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        meta_header(&w, SUMMARY_SCHEMA);
        scan(&w, m, s);
        meta_time(&w, "started", m->started_unix);
        meta_time(&w, "ended", m->ended_unix);
        jw_bool(&w, "partial", m->partial);
        summary_render(&w, s);
        jw_end(&w);
        int rc = meta_write_file(path, &b);
        jbuf_free(&b);
        return rc;
}

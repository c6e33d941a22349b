/* line.c -- the "mx" object of a domain's line (docs/output.md). */
#include "scanner/mx/line.h"

#include "scanner/lookup.h"

static void codes(struct jw *w, const char *key, size_t klen, const struct mx_result *m,
                  bool errors)
{
        jw_arr_open_k(w, key, klen);
        for (unsigned i = 0; i < m->nissues; i++)
                if (m->issues[i].error == errors)
                        jw_cstr(w, NULL, m->issues[i].code);
        jw_arr_close(w);
}

void mx_line_write(struct jw *w, const struct mx_result *m)
{
        jw_obj_open(w, "mx");
        jw_cstr(w, "status", lookup_status_name(m->status));
        jw_arr_open(w, "hosts");
        for (unsigned i = 0; i < m->nhosts; i++) {
                const struct mx_host *h = mx_host_at(m, i);
                jw_obj_open(w, NULL);
                jw_uint(w, "pref", h->pref);
                jw_cstr(w, "host", h->name);
                jw_obj_close(w);
        }
        jw_arr_close(w);
        if (lookup_failed(m->status))
                jw_null(w, "null_mx");
        else
                jw_bool(w, "null_mx", m->null_mx);
        if (m->hosts_dropped)
                jw_uint(w, "hosts_dropped", m->hosts_dropped);
        if (m->cname_hops)
                jw_cstr(w, "cname_target", m->target);
        codes(w, JW_KEY("errors"), m, true);
        codes(w, JW_KEY("warnings"), m, false);
        jw_uint(w, "attempts", m->attempts);
        jw_obj_close(w);
}

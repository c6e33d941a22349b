/* tally.c -- rates and heavy-hitters tables as JSON. */
#include "output/tally.h"

#include <stdlib.h>

#include "common/check.h"

void jw_rate(struct jw *w, const char *key, uint64_t n, uint64_t total)
{
        jw_obj_open(w, key);
        jw_uint(w, "n", n);
        jw_uint(w, "total", total);
        jw_obj_close(w);
}

void jw_rate_members(struct jw *w, const uint64_t *c, const struct tally_rate *r, size_t nr)
{
        for (size_t i = 0; i < nr; i++)
                jw_rate(w, r[i].name, c[r[i].n], c[r[i].total]);
}

void jw_rates(struct jw *w, const char *key, const uint64_t *c, const struct tally_rate *r,
              size_t nr)
{
        jw_obj_open(w, key);
        jw_rate_members(w, c, r, nr);
        jw_obj_close(w);
}

void jw_topk(struct jw *w, const char *key, const struct topk *t, const char *name_key,
             uint64_t total)
{
        const struct topk_entry **order =
            ds_xcalloc(t->n ? t->n : 1, sizeof(*order), "top-k order");
        unsigned n = topk_sorted(t, order);
        jw_obj_open(w, key);
        jw_bool(w, "exact", topk_exact(t));
        jw_arr_open(w, "top");
        for (unsigned i = 0; i < n; i++) {
                jw_obj_open(w, NULL);
                jw_str(w, name_key, topk_name(order[i]), order[i]->len);
                jw_uint(w, "n", order[i]->count);
                jw_uint(w, "total", total);
                jw_uint(w, "error", order[i]->err);
                jw_obj_close(w);
        }
        jw_arr_close(w);
        jw_obj_close(w);
        free(order);
}

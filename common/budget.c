/* budget.c -- growable storage bounded by a per-domain byte budget (see budget.h). */
#include "common/budget.h"

#include <string.h>

#include "common/check.h"

bool ds_budget_take(struct ds_budget *b, size_t n)
{
        size_t limit = b->limit ? b->limit : DS_DOMAIN_BUDGET;
        if (n > limit - b->used || b->used > limit) {
                b->exceeded = true;
                return false;
        }
        b->used += n;
        return true;
}

void *ds_vec_push(struct ds_vec *v, size_t elem, struct ds_budget *b, const char *what)
{
        if (!ds_budget_take(b, elem))
                return NULL;
        size_t off = (size_t)v->n * elem;
        v->buf = ds_xgrow(v->buf, &v->cap, off + elem, what);
        v->n++;
        char *p = (char *)v->buf + off;
        memset(p, 0, elem);
        return p;
}

/* n bytes of src, and a NUL when nul, at the end of v, charged to b. */
static long append(struct ds_vec *v, const void *src, size_t n, bool nul, struct ds_budget *b,
                   const char *what)
{
        size_t total = n + (nul ? 1 : 0);
        if (!ds_budget_take(b, total))
                return -1;
        size_t off = v->n;
        v->buf = ds_xgrow(v->buf, &v->cap, off + total, what);
        memcpy((char *)v->buf + off, src, n);
        if (nul)
                ((char *)v->buf)[off + n] = '\0';
        v->n += (unsigned)total;
        return (long)off;
}

long ds_vec_append(struct ds_vec *v, const void *src, size_t n, struct ds_budget *b,
                   const char *what)
{
        return append(v, src, n, false, b, what);
}

long ds_vec_append_str(struct ds_vec *v, const char *src, size_t n, struct ds_budget *b,
                       const char *what)
{
        return append(v, src, n, true, b, what);
}

/* tags.c -- "tag=value; ..." lists split into spans. */
#include "scanner/txtrec/tags.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/text.h"

/* RFC 6376 3.2's FWS, and the *WSP of the others: CR and LF are kept out of names by
 * trimming them too (a record's strings may end in them). */
static void trim(const char **p, size_t *n)
{
        while (*n && ((*p)[0] == ' ' || (*p)[0] == '\t' || (*p)[0] == '\r' || (*p)[0] == '\n')) {
                (*p)++;
                (*n)--;
        }
        while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r' ||
                      (*p)[*n - 1] == '\n'))
                (*n)--;
}

static bool same_name(const struct tag *t, const char *p, size_t n)
{
        return t->name_len == n && memcmp(t->name, p, n) == 0;
}

/* One more tag, charged to b with its entry of the duplicate search: NULL when refused. */
static struct tag *push(struct tag_list *out, struct ds_budget *b)
{
        if (!ds_budget_take(b, sizeof(struct tag) + sizeof(uint32_t)))
                return NULL;
        size_t n = (size_t)out->mem.n + 1;
        out->mem.buf = ds_xgrow(out->mem.buf, &out->mem.cap, n * sizeof(struct tag), "tags");
        out->order.buf = ds_xgrow(out->order.buf, &out->order.cap, n * sizeof(uint32_t), "tags");
        return (struct tag *)out->mem.buf + out->mem.n++;
}

static void take(struct tag_list *out, const char *f, size_t n, struct ds_budget *b)
{
        trim(&f, &n);
        if (!n)
                return;
        const char *eq = memchr(f, '=', n);
        if (!eq) {
                out->no_equals = true;
                return;
        }
        const char *name = f, *value = eq + 1;
        size_t name_len = (size_t)(eq - f), value_len = n - name_len - 1;
        trim(&name, &name_len);
        trim(&value, &value_len);
        if (!name_len) {
                out->empty_name = true;
                return;
        }
        struct tag *g = push(out, b);
        if (!g) {
                out->dropped++;
                return;
        }
        *g = (struct tag){
            .name = name, .name_len = name_len, .value = value, .value_len = value_len};
}

/* Tags by name, then by place. */
static int by_name(const void *a, const void *b, void *arg)
{
        const struct tag *tags = arg;
        uint32_t i = *(const uint32_t *)a, k = *(const uint32_t *)b;
        const struct tag *x = &tags[i], *y = &tags[k];
        size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
        int c = memcmp(x->name, y->name, n);
        if (c == 0)
                c = (x->name_len > y->name_len) - (x->name_len < y->name_len);
        return c ? c : (i > k) - (i < k);
}

/* The first tag, in order, whose name an earlier tag has. Sorted by (name, place), the tags
 * after the first of each name are the repeats, and the earliest of them is the one: a
 * record may hold thousands of tags, too many to compare pair by pair. */
static void find_dup(struct tag_list *out)
{
        const struct tag *tags = out->mem.buf;
        uint32_t *order = out->order.buf, first = UINT32_MAX;
        if (out->n < 2)
                return;
        for (uint32_t i = 0; i < out->n; i++)
                order[i] = i;
        qsort_r(order, out->n, sizeof(*order), by_name, (void *)tags);
        for (unsigned k = 1; k < out->n; k++) {
                const struct tag *g = &tags[order[k]];
                if (order[k] < first && same_name(&tags[order[k - 1]], g->name, g->name_len))
                        first = order[k];
        }
        if (first != UINT32_MAX) {
                out->dup = tags[first].name;
                out->dup_len = tags[first].name_len;
        }
}

void tags_split(const char *text, size_t n, struct tag_list *out, struct ds_budget *b)
{
        out->mem.n = 0;
        out->dropped = 0;
        out->no_equals = out->empty_name = false;
        out->dup = NULL;
        out->dup_len = 0;
        size_t start = 0;
        for (size_t i = 0; i <= n; i++)
                if (i == n || text[i] == ';') {
                        take(out, text + start, i - start, b);
                        start = i + 1;
                }
        out->tags = out->mem.buf;
        out->n = out->mem.n;
        find_dup(out);
}

const struct tag *tags_find(const struct tag_list *t, const char *name)
{
        size_t n = strlen(name);
        for (unsigned i = 0; i < t->n; i++)
                if (same_name(&t->tags[i], name, n))
                        return &t->tags[i];
        return NULL;
}

static bool alnum(unsigned char c)
{
        return ds_ascii_alpha(c) || ds_ascii_digit(c);
}

bool tags_name_ok(const char *p, size_t n)
{
        if (n == 0 || n > 32 || !alnum((unsigned char)p[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!alnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
                        return false;
        return true;
}

bool tags_value_ok(const char *p, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
                        return false;
        }
        return true;
}

void tags_free(struct tag_list *t)
{
        ds_vec_free(&t->mem);
        ds_vec_free(&t->order);
        t->tags = NULL;
        t->n = 0;
}

/* topk.c -- Space-Saving: k counters, a min-heap on their counts (the one to take over),
 * and an open-addressing index by name (linear probing, deletion by backward shift). */
#include "common/topk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/hash.h"

int topk_init(struct topk *t, unsigned k)
{
        memset(t, 0, sizeof(*t));
        if (ds_fails(k >= 1 && k <= (1u << 24)))
                return -EINVAL;
        uint32_t slots = 2;
        while (slots < 2 * k)
                slots <<= 1;
        t->k = k;
        t->mask = slots - 1;
        t->e = calloc(k, sizeof(*t->e));
        t->heap = calloc(k, sizeof(*t->heap));
        t->slot = calloc(slots, sizeof(*t->slot));
        if (!t->e || !t->heap || !t->slot) {
                topk_free(t);
                return -ENOMEM;
        }
        return 0;
}

void topk_free(struct topk *t)
{
        for (unsigned i = 0; t->e && i < t->k; i++)
                free(t->e[i].big);
        free(t->e);
        free(t->heap);
        free(t->slot);
        memset(t, 0, sizeof(*t));
}

static bool same(const struct topk_entry *e, uint64_t h, const char *s, size_t n)
{
        return e->hash == h && e->len == n && memcmp(topk_name(e), s, n) == 0;
}

/* The slot holding s, or the empty slot where it would go. */
static uint32_t probe(const struct topk *t, uint64_t h, const char *s, size_t n)
{
        uint32_t i = (uint32_t)h & t->mask;
        while (t->slot[i] && !same(&t->e[t->slot[i] - 1], h, s, n))
                i = (i + 1) & t->mask;
        return i;
}

/* Empty slot i, moving back the entries of its probe run that belong before it. */
static void unindex(struct topk *t, uint32_t i)
{
        uint32_t j = i;
        t->slot[i] = 0;
        for (;;) {
                j = (j + 1) & t->mask;
                if (!t->slot[j])
                        return;
                uint32_t home = (uint32_t)t->e[t->slot[j] - 1].hash & t->mask;
                /* j's entry may fill i when its home is not in the cyclic range (i, j]. */
                if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
                        t->slot[i] = t->slot[j];
                        t->slot[j] = 0;
                        i = j;
                }
        }
}

static void heap_swap(struct topk *t, uint32_t a, uint32_t b)
{
        uint32_t x = t->heap[a];
        t->heap[a] = t->heap[b];
        t->heap[b] = x;
        t->e[t->heap[a]].heap = a;
        t->e[t->heap[b]].heap = b;
}

static uint64_t heap_count(const struct topk *t, uint32_t pos)
{
        return t->e[t->heap[pos]].count;
}

static void sift_up(struct topk *t, uint32_t pos)
{
        while (pos > 0 && heap_count(t, (pos - 1) / 2) > heap_count(t, pos)) {
                heap_swap(t, pos, (pos - 1) / 2);
                pos = (pos - 1) / 2;
        }
}

/* After an entry's count grew. */
static void sift_down(struct topk *t, uint32_t pos)
{
        for (;;) {
                uint32_t least = pos, l = 2 * pos + 1, r = l + 1;
                if (l < t->n && heap_count(t, l) < heap_count(t, least))
                        least = l;
                if (r < t->n && heap_count(t, r) < heap_count(t, least))
                        least = r;
                if (least == pos)
                        return;
                heap_swap(t, pos, least);
                pos = least;
        }
}

static void set_name(struct topk_entry *e, uint64_t h, const char *s, size_t n)
{
        if (n > TOPK_INLINE && !e->big)
                e->big = ds_xmalloc(TOPK_NAME_MAX + 1, "a long name of a top-k table");
        char *to = e->big ? e->big : e->inl;
        memcpy(to, s, n);
        to[n] = 0;
        e->len = (uint16_t)n;
        e->hash = h;
}

/* Count s count times; err: how much count may overstate already (merges). */
static void insert(struct topk *t, const char *s, size_t n, uint64_t count, uint64_t err)
{
        if (ds_fails(n <= TOPK_NAME_MAX))
                n = TOPK_NAME_MAX;
        uint64_t h = ds_hash(0, s, n);
        uint32_t i = probe(t, h, s, n);
        if (t->slot[i]) {
                struct topk_entry *e = &t->e[t->slot[i] - 1];
                e->count += count;
                e->err += err;
                sift_down(t, e->heap);
                return;
        }
        if (t->n < t->k) {
                uint32_t x = t->n++;
                set_name(&t->e[x], h, s, n);
                t->e[x].count = count;
                t->e[x].err = err;
                t->e[x].heap = x;
                t->heap[x] = x;
                t->slot[i] = x + 1;
                sift_up(t, x);
                return;
        }
        /* Take over the least counted entry: its count becomes the newcomer's overstatement
         * bound (the newcomer may have been counted that often before, unlisted). */
        uint32_t x = t->heap[0];
        struct topk_entry *e = &t->e[x];
        unindex(t, probe(t, e->hash, topk_name(e), e->len));
        set_name(e, h, s, n);
        e->err = e->count + err;
        e->count += count;
        t->slot[probe(t, h, s, n)] = x + 1;
        t->lossy = true;
        sift_down(t, 0);
}

void topk_add(struct topk *t, const char *s, size_t n, uint64_t count)
{
        insert(t, s, n, count, 0);
}

void topk_restore(struct topk *t, const char *s, size_t n, uint64_t count, uint64_t err,
                  bool inexact)
{
        /* A full table would take a counter over: the rendered table had more entries. */
        if (ds_fails(t->n < t->k))
                return;
        insert(t, s, n, count, err);
        t->lossy |= inexact;
}

/* A merge candidate: a name of either table with its merged count and bound. */
struct cand {
        const struct topk_entry *e;
        uint64_t count, err;
};

/* The least count of a table that took counters over: a string it does not list was
 * counted at most that often. 0 for an exact table (such a string was never added). */
static uint64_t absent_bound(const struct topk *t)
{
        return t->lossy && t->n ? t->e[t->heap[0]].count : 0;
}

static const struct topk_entry *find(const struct topk *t, const struct topk_entry *e)
{
        uint32_t i = probe(t, e->hash, topk_name(e), e->len);
        return t->slot[i] ? &t->e[t->slot[i] - 1] : NULL;
}

static int by_count_then_name(const void *a, const void *b);

static int by_cand_count(const void *a, const void *b)
{
        const struct cand *x = a, *y = b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        return by_count_then_name(&x->e, &y->e); /* equal counts: by name */
}

/* Mergeable Space-Saving: each side counts what the other does not list as that side's
 * bound, so counts stay upper bounds; the k largest are kept. */
void topk_merge(struct topk *dst, const struct topk *src)
{
        uint64_t bound_src = absent_bound(src), bound_dst = absent_bound(dst);
        struct cand *v = ds_xcalloc(dst->n + src->n + 1, sizeof(*v), "a top-k merge");
        unsigned n = 0;
        for (unsigned i = 0; i < dst->n; i++) {
                const struct topk_entry *d = &dst->e[i], *o = find(src, d);
                v[n++] = (struct cand){d, d->count + (o ? o->count : bound_src),
                                       d->err + (o ? o->err : bound_src)};
        }
        for (unsigned i = 0; i < src->n; i++) {
                const struct topk_entry *o = &src->e[i];
                if (!find(dst, o))
                        v[n++] = (struct cand){o, o->count + bound_dst, o->err + bound_dst};
        }
        qsort(v, n, sizeof(*v), by_cand_count);
        struct topk out;
        if (topk_init(&out, dst->k) < 0)
                ds_oom("a top-k merge", dst->k * sizeof(struct topk_entry));
        for (unsigned i = 0; i < n && i < out.k; i++)
                insert(&out, topk_name(v[i].e), v[i].e->len, v[i].count, v[i].err);
        out.lossy = dst->lossy || src->lossy || n > out.k;
        free(v);
        topk_free(dst);
        *dst = out;
}

static int by_count_then_name(const void *a, const void *b)
{
        const struct topk_entry *x = *(const struct topk_entry *const *)a;
        const struct topk_entry *y = *(const struct topk_entry *const *)b;
        if (x->count != y->count)
                return x->count > y->count ? -1 : 1;
        size_t n = x->len < y->len ? x->len : y->len;
        int c = memcmp(topk_name(x), topk_name(y), n);
        return c ? c : (x->len > y->len) - (x->len < y->len);
}

unsigned topk_sorted(const struct topk *t, const struct topk_entry **out)
{
        for (unsigned i = 0; i < t->n; i++)
                out[i] = &t->e[i];
        qsort(out, t->n, sizeof(*out), by_count_then_name);
        return t->n;
}

/* strset.c -- byte-string set on ck_hs (see strset.h). */
#include "scanner/strset.h"

#include <ck_hs.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/ckalloc.h"

/* A stored string and a lookup key have the same shape, so ck_hs compares them alike. */
struct key {
        size_t n;
        const char *p;
};

struct stored {
        struct key k;
        char text[]; /* NUL-terminated copy; k.p points here */
};

struct strset {
        ck_hs_t hs;
};

static unsigned long key_hash(const void *object, unsigned long seed)
{
        const struct key *k = object;
        uint64_t h = 14695981039346656037ULL ^ seed; /* FNV-1a, 64-bit offset basis */
        for (size_t i = 0; i < k->n; i++)
                h = (h ^ (unsigned char)k->p[i]) * 1099511628211ULL;
        return (unsigned long)h;
}

static bool key_equal(const void *a, const void *b)
{
        const struct key *x = a, *y = b;
        return x->n == y->n && memcmp(x->p, y->p, x->n) == 0;
}

int strset_new(struct strset **out, unsigned long capacity_hint)
{
        *out = NULL;
        struct strset *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        if (!ck_hs_init(&s->hs, CK_HS_MODE_OBJECT | CK_HS_MODE_SPMC, key_hash, key_equal,
                        &ds_ck_allocator, capacity_hint ? capacity_hint : 64, 0x5eedu)) {
                free(s);
                return -ENOMEM;
        }
        *out = s;
        return 0;
}

static struct stored *find(struct strset *s, const struct key *k)
{
        return ck_hs_get(&s->hs, CK_HS_HASH(&s->hs, key_hash, k), k);
}

const char *strset_intern(struct strset *s, const char *p, size_t n)
{
        struct key k = {n, p};
        struct stored *v = find(s, &k);
        if (v)
                return v->text;
        v = malloc(sizeof(*v) + n + 1);
        if (!v)
                return NULL;
        memcpy(v->text, p, n);
        v->text[n] = 0;
        v->k.n = n;
        v->k.p = v->text;
        if (!ck_hs_put(&s->hs, CK_HS_HASH(&s->hs, key_hash, &v->k), v)) {
                free(v);
                return NULL;
        }
        return v->text;
}

bool strset_contains(struct strset *s, const char *p, size_t n)
{
        struct key k = {n, p};
        return find(s, &k) != NULL;
}

unsigned long strset_count(struct strset *s)
{
        return ck_hs_count(&s->hs);
}

void strset_free(struct strset *s)
{
        if (!s)
                return;
        ck_hs_iterator_t it = CK_HS_ITERATOR_INITIALIZER;
        void *v;
        while (ck_hs_next(&s->hs, &it, &v))
                free(v);
        ck_hs_destroy(&s->hs);
        free(s);
}

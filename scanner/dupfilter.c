/* dupfilter.c -- Bloom filter of input names (see dupfilter.h). */
#include "scanner/dupfilter.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "scanner/shard.h"

struct dupfilter {
        uint64_t *bits; /* DUPFILTER_BITS / 64 words, calloc'd: untouched pages cost nothing */
        uint64_t count;
};

int dupfilter_new(struct dupfilter **out)
{
        *out = NULL;
        struct dupfilter *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        d->bits = calloc(DUPFILTER_BITS / 64, sizeof(uint64_t));
        if (!d->bits) {
                free(d);
                return -ENOMEM;
        }
        *out = d;
        return 0;
}

bool dupfilter_seen(struct dupfilter *d, const char *name, size_t n)
{
        /* Two independent 64-bit hashes (the shard hash under two fixed seeds) give the k
         * probe positions h1 + i * h2 (Kirsch and Mitzenmacher, 2006). */
        uint64_t h1 = shard_hash(0x6475706c31ULL, name, n);
        uint64_t h2 = shard_hash(0x6475706c32ULL, name, n) | 1;
        bool all = true;
        for (unsigned i = 0; i < DUPFILTER_HASHES; i++) {
                uint64_t bit = (h1 + i * h2) & (DUPFILTER_BITS - 1);
                uint64_t mask = 1ull << (bit & 63);
                if (!(d->bits[bit >> 6] & mask)) {
                        all = false;
                        d->bits[bit >> 6] |= mask;
                }
        }
        if (!all)
                d->count++;
        return all;
}

uint64_t dupfilter_count(const struct dupfilter *d)
{
        return d->count;
}

double dupfilter_fp_rate(const struct dupfilter *d)
{
        double fill = 1.0 - exp(-(double)DUPFILTER_HASHES * (double)d->count / DUPFILTER_BITS);
        return pow(fill, DUPFILTER_HASHES);
}

void dupfilter_free(struct dupfilter *d)
{
        if (!d)
                return;
        free(d->bits);
        free(d);
}

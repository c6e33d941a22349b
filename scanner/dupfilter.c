/* dupfilter.c -- Bloom filter of input names (see dupfilter.h). */
#include "scanner/dupfilter.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "scanner/shard.h"

#define BLOCK_BITS  512 /* one 64-byte cache line */
#define BLOCK_WORDS (BLOCK_BITS / 64)
#define BLOCKS      (DUPFILTER_BITS / BLOCK_BITS)

struct dupfilter {
        uint64_t
            *bits; /* owned mapping of DUPFILTER_BITS / 8 bytes: untouched pages cost nothing */
        uint64_t count;
};

int dupfilter_new(struct dupfilter **out)
{
        *out = NULL;
        struct dupfilter *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        /* Anonymous memory is zero and lazily backed; huge pages (where the kernel grants
         * them) turn 8,192 page faults and as many TLB misses into 16. */
        void *m = mmap(NULL, DUPFILTER_BITS / 8, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
                free(d);
                return -ENOMEM;
        }
        (void)madvise(m, DUPFILTER_BITS / 8, MADV_HUGEPAGE);
        d->bits = m;
        *out = d;
        return 0;
}

bool dupfilter_seen(struct dupfilter *d, const char *name, size_t n)
{
        /* A blocked Bloom filter (Putze, Sanders and Singler, 2007): one hash picks a 512-bit
         * block, one cache line; the other gives the k bit positions inside it, 9 bits each.
         * One cache miss per name where the classic filter took k. */
        uint64_t h1 = shard_hash(0x6475706c31ULL, name, n);
        uint64_t h2 = shard_hash(0x6475706c32ULL, name, n);
        uint64_t *block = d->bits + (h1 & (BLOCKS - 1)) * BLOCK_WORDS;
        bool all = true;
        for (unsigned i = 0; i < DUPFILTER_HASHES; i++) {
                unsigned bit = (unsigned)(h2 >> (9 * i)) & (BLOCK_BITS - 1);
                uint64_t mask = 1ull << (bit & 63);
                if (!(block[bit >> 6] & mask)) {
                        all = false;
                        block[bit >> 6] |= mask;
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
        /* Names per block are Poisson with mean lambda; a block holding i names answers a new
         * one wrongly with the classic filter's rate for i names in 512 bits. */
        double lambda = (double)d->count / BLOCKS;
        double rate = 0, p = exp(-lambda); /* P(i = 0) */
        unsigned last = (unsigned)(lambda + 12 * sqrt(lambda) + 12);
        for (unsigned i = 0; i <= last; i++) {
                double fill = 1.0 - pow(1.0 - 1.0 / BLOCK_BITS, (double)DUPFILTER_HASHES * i);
                rate += p * pow(fill, DUPFILTER_HASHES);
                p *= lambda / (i + 1);
        }
        return rate;
}

void dupfilter_free(struct dupfilter *d)
{
        if (!d)
                return;
        munmap(d->bits, DUPFILTER_BITS / 8);
        free(d);
}

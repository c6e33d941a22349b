/* dupfilter.c -- scalable blocked Bloom filter of input names (see dupfilter.h). */
#include "scanner/dupfilter.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "common/lazymem.h"
#include "scanner/shard.h"

#define BLOCK_BITS  512 /* one 64-byte cache line */
#define BLOCK_WORDS (BLOCK_BITS / 64)

struct stage {
        uint64_t *bits; /* owned lazymem of nbits / 8 bytes: untouched pages cost nothing */
        uint64_t nbits, count, capacity;
};

struct dupfilter {
        struct stage st[DUPFILTER_STAGES];
        unsigned n;
        uint64_t count;
};

/* Bits for names, in whole blocks, DUPFILTER_MIN_BITS at least and DUPFILTER_FIRST_MAX at
 * most (a size asked for up front, or estimated, is no promise: past it, stages double as
 * they fill). */
static uint64_t stage_bits(uint64_t names)
{
        if (names >= DUPFILTER_FIRST_MAX / DUPFILTER_BITS_PER_NAME)
                return DUPFILTER_FIRST_MAX;
        uint64_t bits = names * DUPFILTER_BITS_PER_NAME;
        bits = (bits + BLOCK_BITS - 1) / BLOCK_BITS * BLOCK_BITS;
        return bits < DUPFILTER_MIN_BITS ? DUPFILTER_MIN_BITS : bits;
}

static int stage_add(struct dupfilter *d, uint64_t nbits)
{
        if (d->n == DUPFILTER_STAGES)
                return -ENOSPC;
        void *m = lazymem_new(nbits / 8, true); /* touched all over: huge pages welcome */
        if (!m)
                return -ENOMEM;
        d->st[d->n++] =
            (struct stage){.bits = m, .nbits = nbits, .capacity = nbits / DUPFILTER_BITS_PER_NAME};
        return 0;
}

int dupfilter_new(struct dupfilter **out, uint64_t expected)
{
        *out = NULL;
        struct dupfilter *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        uint64_t names = expected ? expected : DUPFILTER_DEFAULT_NAMES;
        if (stage_add(d, stage_bits(names)) < 0) {
                free(d);
                return -ENOMEM;
        }
        *out = d;
        return 0;
}

/* A blocked Bloom filter (Putze, Sanders and Singler, 2007): one hash picks a 512-bit block,
 * one cache line; the other gives the k bit positions inside it, 9 bits each. One cache
 * miss per name and stage where the classic filter took k. */
static uint64_t *stage_block(const struct stage *s, uint64_t h1)
{
        /* h1 scaled to [0, blocks) by a multiply (Lemire's fast range): any number of blocks */
        uint64_t blocks = s->nbits / BLOCK_BITS;
        return s->bits + (uint64_t)(((unsigned __int128)h1 * blocks) >> 64) * BLOCK_WORDS;
}

static bool stage_has(const struct stage *s, uint64_t h1, uint64_t h2, bool set)
{
        uint64_t *block = stage_block(s, h1);
        bool all = true;
        for (unsigned i = 0; i < DUPFILTER_HASHES; i++) {
                unsigned bit = (unsigned)(h2 >> (9 * i)) & (BLOCK_BITS - 1);
                uint64_t mask = 1ull << (bit & 63);
                if (!(block[bit >> 6] & mask)) {
                        all = false;
                        if (!set)
                                return false;
                        block[bit >> 6] |= mask;
                }
        }
        return all;
}

struct dupfilter_key dupfilter_key(const char *name, size_t n)
{
        return (struct dupfilter_key){shard_hash(0x6475706c31ULL, name, n),
                                      shard_hash(0x6475706c32ULL, name, n)};
}

void dupfilter_prefetch(const struct dupfilter *d, const struct dupfilter_key *k)
{
        for (unsigned i = 0; i + 1 < d->n; i++)
                __builtin_prefetch(stage_block(&d->st[i], k->h1)); /* only read */
        __builtin_prefetch(stage_block(&d->st[d->n - 1], k->h1), 1);
}

bool dupfilter_seen_key(struct dupfilter *d, const struct dupfilter_key *k)
{
        for (unsigned i = 0; i + 1 < d->n; i++)
                if (stage_has(&d->st[i], k->h1, k->h2, false))
                        return true;
        struct stage *last = &d->st[d->n - 1];
        if (stage_has(last, k->h1, k->h2, true))
                return true;
        d->count++;
        /* Full: the next names go to a stage twice as large. When none can be added (out of
         * memory, or every stage used) the last one fills further: its rate rises, and the
         * metadata says so. */
        if (++last->count >= last->capacity)
                (void)stage_add(d, last->nbits * 2);
        return false;
}

bool dupfilter_seen(struct dupfilter *d, const char *name, size_t n)
{
        struct dupfilter_key k = dupfilter_key(name, n);
        return dupfilter_seen_key(d, &k);
}

int dupfilter_grow(struct dupfilter *d, uint64_t names)
{
        return stage_add(d,
                         stage_bits(names)); /* capped: a list of repeats looks like many names */
}

uint64_t dupfilter_count(const struct dupfilter *d)
{
        return d->count;
}

/* The chance that a new name looks seen in one stage. */
static double stage_fp(const struct stage *s)
{
        /* Names per block are Poisson with mean lambda; a block holding i names answers a new
         * one wrongly with the classic filter's rate for i names in 512 bits. */
        double lambda = (double)s->count / (double)(s->nbits / BLOCK_BITS);
        double rate = 0, p = exp(-lambda); /* P(i = 0) */
        unsigned last = (unsigned)(lambda + 12 * sqrt(lambda) + 12);
        for (unsigned i = 0; i <= last; i++) {
                double fill = 1.0 - pow(1.0 - 1.0 / BLOCK_BITS, (double)DUPFILTER_HASHES * i);
                rate += p * pow(fill, DUPFILTER_HASHES);
                p *= lambda / (i + 1);
        }
        return rate;
}

double dupfilter_fp_rate(const struct dupfilter *d)
{
        double none = 1.0; /* no stage answers wrongly */
        for (unsigned i = 0; i < d->n; i++)
                none *= 1.0 - stage_fp(&d->st[i]);
        return 1.0 - none;
}

uint64_t dupfilter_bytes(const struct dupfilter *d)
{
        uint64_t b = 0;
        for (unsigned i = 0; i < d->n; i++)
                b += d->st[i].nbits / 8;
        return b;
}

void dupfilter_free(struct dupfilter *d)
{
        if (!d)
                return;
        for (unsigned i = 0; i < d->n; i++)
                lazymem_free(d->st[i].bits, d->st[i].nbits / 8);
        free(d);
}

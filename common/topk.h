/* topk.h -- the most frequent strings of a stream in fixed memory: the Space-Saving
 * algorithm (Metwally, Agrawal, El Abbadi, 2005) over at most k counters.
 * Contract: while no more than k distinct strings were added, the table holds every one
 * with its exact count (topk_exact() says so). Past that, a new string takes over the
 * counter of the least counted one and adds to its count, so counts become upper
 * estimates (each entry's err bounds its overstatement: count - err <= true <= count) and
 * the table is flagged inexact for good. A count never understates its string's, a string not
 * listed was counted at most the least listed count, and one counted more than (the sum of the
 * listed counts) / k times is listed: also after merges (topk_merge), which is how the tables of
 * threads or shards become one. Memory: fixed at topk_init(): k entries, each with its name inline
 * up to TOPK_INLINE bytes; a longer name gets a TOPK_NAME_MAX buffer kept by its entry for the
 * table's life, so there are at most k such allocations, however many strings stream by. Strings
 * are byte ranges up to TOPK_NAME_MAX bytes (longer ones are a caller's bug: checked, cut). Not
 * thread-safe: one table per thread. */
#ifndef DS_TOPK_H
#define DS_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOPK_INLINE   40
#define TOPK_NAME_MAX 255

struct topk_entry {
        uint64_t count; /* never below the true count */
        uint64_t err;   /* ... and at most this above it (0 while the table is exact) */
        uint64_t hash;
        uint32_t heap; /* its position in the min-heap */
        uint16_t len;
        char *big; /* owned: TOPK_NAME_MAX + 1 bytes, once a long name needed it */
        char inl[TOPK_INLINE + 1];
};

struct topk {
        unsigned k, n;
        bool lossy;           /* a counter was ever taken over: counts are estimates */
        struct topk_entry *e; /* owned: k entries, n in use */
        uint32_t *heap;       /* owned: entry indices, the least count first */
        uint32_t *slot;       /* owned: hash index, entry index + 1, 0 empty */
        uint32_t mask;        /* slots - 1 (a power of two, at least 2k) */
};

/* 0 or -ENOMEM (then t holds nothing to free). k >= 1. */
int topk_init(struct topk *t, unsigned k);
void topk_free(struct topk *t);

/* Count s (n bytes) count times. */
void topk_add(struct topk *t, const char *s, size_t n, uint64_t count);

/* Load one entry of a table rendered earlier (a summary read back): s counted count times,
 * overstated by at most err. The table must have room for it (at most k entries, each
 * once); inexact: the rendered table was not exact (topk_exact() false from then on). */
void topk_restore(struct topk *t, const char *s, size_t n, uint64_t count, uint64_t err,
                  bool inexact);

/* Add src to dst (mergeable Space-Saving: a string one table does not list is counted
 * there as that table's least count when it took counters over, 0 when it is exact; the k
 * largest are kept). dst is exact when both were and their strings fit together. */
void topk_merge(struct topk *dst, const struct topk *src);

/* Every string added is in the table with its exact count. */
static inline bool topk_exact(const struct topk *t)
{
        return !t->lossy;
}

static inline const char *topk_name(const struct topk_entry *e)
{
        return e->big ? e->big : e->inl;
}

/* The entries in order, highest count first, ties by name (bytewise): out holds t->n
 * pointers; returns t->n. */
unsigned topk_sorted(const struct topk *t, const struct topk_entry **out);

#endif

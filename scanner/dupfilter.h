/* dupfilter.h -- "have we seen this domain before in the input?" in fixed memory: a blocked
 * Bloom filter of DUPFILTER_BITS bits in 512-bit blocks (one cache line), DUPFILTER_HASHES
 * bits per name inside its block.
 * Contract: constant memory whatever the input's length (allocated once; pages are touched
 * as bits are set). A name seen before is always reported (no false negative); a new name is
 * reported as seen with probability dupfilter_fp_rate() of the names so far (below 1e-9 at a
 * million names, 0.007% at 10 million, 1.6% at 30 million; past that the count says little,
 * and the run's metadata states the rate beside it: shard a larger input).
 * One thread (the reader). */
#ifndef DS_DUPFILTER_H
#define DS_DUPFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DUPFILTER_BITS   (1ull << 28) /* 32 MiB */
#define DUPFILTER_HASHES 7

struct dupfilter;

int dupfilter_new(struct dupfilter **out);
/* Adds the name; true when it was (probably) there already. */
bool dupfilter_seen(struct dupfilter *d, const char *name, size_t n);
/* Names added so far, and the false-positive rate a new name would see now. */
uint64_t dupfilter_count(const struct dupfilter *d);
double dupfilter_fp_rate(const struct dupfilter *d);
void dupfilter_free(struct dupfilter *d);

#endif

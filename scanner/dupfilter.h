/* dupfilter.h -- "have we seen this domain before in the input?" in memory proportional to the
 * input: a scalable blocked Bloom filter. Each stage is a blocked Bloom filter of 512-bit
 * blocks (one cache line), DUPFILTER_HASHES bits per name inside its block, sized for a number
 * of names at DUPFILTER_BITS_PER_NAME bits each (rounded up to whole blocks, not to a power
 * of two: a million names take 8 MB, not 16); new names go into the last stage, and when it
 * holds the names it was sized for another twice as large is added (or earlier, sized for
 * what is still to come, by dupfilter_grow()) (Almeida et al., 2007), so a wrong guess of the
 * input's size costs memory, never accuracy. At most DUPFILTER_STAGES stages.
 * Contract: a name seen before is always reported (no false negative); a new name is
 * reported as seen with probability dupfilter_fp_rate() (below 1e-6 per stage while the
 * names fit what it was sized for: 6.6e-7 when full, ~1e-7 half full; the run's metadata
 * states it beside the count, which is all it can skew: no name is dropped for it). Memory:
 * about 8 to 9 bytes per name expected (64 KiB at least, 32 MiB for the first or a grown stage at
 * most), allocated per stage and touched as bits are set. One thread (the reader). */
#ifndef DS_DUPFILTER_H
#define DS_DUPFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DUPFILTER_HASHES        7
#define DUPFILTER_BITS_PER_NAME 64
#define DUPFILTER_MIN_BITS      (1ull << 19) /* 64 KiB: 8,192 names */
#define DUPFILTER_FIRST_MAX     (1ull << 28) /* 32 MiB */
#define DUPFILTER_STAGES        24
/* Names the first stage is sized for when the input's size is unknown (a pipe). */
#define DUPFILTER_DEFAULT_NAMES (1u << 20)

struct dupfilter;

/* expected: the names the input is expected to hold (0: unknown). 0 or -ENOMEM. */
int dupfilter_new(struct dupfilter **out, uint64_t expected);
/* New names go from now on into a new stage sized for this many names (32 MiB at most), so
 * that a reader can size the bulk of the filter from the rate of names it measured in the
 * input's first part, the first stage left part empty. 0, -ENOMEM or -ENOSPC. */
int dupfilter_grow(struct dupfilter *d, uint64_t names);
/* Adds the name; true when it was (probably) there already. */
bool dupfilter_seen(struct dupfilter *d, const char *name, size_t n);
/* The same in two steps, so that a reader can hash a name and start fetching its blocks
 * (each a likely cache miss) while it reads the next one: dupfilter_key() then
 * dupfilter_prefetch() (a hint, changes nothing) and later dupfilter_seen_key(), which
 * answers as dupfilter_seen() would for the name at that moment. */
struct dupfilter_key {
        uint64_t h1, h2;
};
struct dupfilter_key dupfilter_key(const char *name, size_t n);
void dupfilter_prefetch(const struct dupfilter *d, const struct dupfilter_key *k);
bool dupfilter_seen_key(struct dupfilter *d, const struct dupfilter_key *k);
/* Names added so far, and the false-positive rate a new name would see now. */
uint64_t dupfilter_count(const struct dupfilter *d);
double dupfilter_fp_rate(const struct dupfilter *d);
/* Bytes of filter allocated (not all touched). */
uint64_t dupfilter_bytes(const struct dupfilter *d);
void dupfilter_free(struct dupfilter *d);

#endif

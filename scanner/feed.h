/* feed.h -- the reader thread: input files -> a bounded single-producer single-consumer
 * queue of parsed items that the loop thread pops when it admits domains.
 * Contract: constant memory (DS_INPUT_QUEUE item slots). The loop thread never blocks on
 * the input: feed_pop() returns 0 when nothing is ready. Items are large fixed slots, so
 * the queue passes indices (head/tail counters) instead of ck_ring's pointers. */
#ifndef DS_FEED_H
#define DS_FEED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "scanner/dupfilter.h"
#include "scanner/input.h"
#include "scanner/shard.h"

struct feed {
        const char *const *paths;
        unsigned npaths;
        struct input_config cfg;
        struct input **inputs; /* open for the whole scan: items point at interned sectors */
        struct input_item *slots;
        uint16_t *slot_file;
        _Atomic uint64_t head, tail; /* consumer pops at head, producer pushes at tail */
        _Atomic bool eof, stop;
        _Atomic uint64_t items;      /* pushed so far */
        _Atomic uint64_t read;       /* data lines read, this shard's or not */
        _Atomic uint64_t duplicates; /* this shard's valid names seen before (dupfilter.h) */
        struct dupfilter *seen;      /* reader thread; NULL if it could not be allocated */
        /* Reader thread: the name last read, hashed and its filter blocks being fetched,
         * counted (duplicate or not) when the next name comes or the reading ends. */
        struct dupfilter_key pending;
        bool has_pending;
        /* Reader thread: sizing the filter from the names per stored byte of a sample, while
         * on (inputs of known size, no estimate made yet; feed.c). */
        struct feed_sizing {
                bool on;
                unsigned file;                   /* the input being read */
                uint64_t names0, bytes0;         /* names in, and size of, the inputs before it */
                uint64_t last_done;              /* its bytes read when its last name came */
                uint64_t pair_names, pair_bytes; /* names it held in its first pair_bytes bytes */
        } sizing;
        struct shard_spec shard;
        int error; /* set before eof when reading failed */
        char errmsg[512];
        pthread_t thread;
        bool started;  /* the thread runs, or ended and was not joined */
        bool detached; /* left behind on an idle pipe (feed_join) */
};

/* Open every input now (so a bad path fails before the scan starts) and start the thread.
 * Only the items of the given shard are queued (NULL: all).
 * On failure nothing is left open and f is zeroed (feed_free on it is a no-op). */
int feed_start(struct feed *f, const char *const *paths, unsigned npaths,
               const struct input_config *cfg, const struct shard_spec *shard, char *err,
               size_t errlen);

/* Pop one item: 1 with item and file filled, 0 when none is ready, -1 at the end of input. */
int feed_pop(struct feed *f, struct input_item *item, uint16_t *file);

/* Ask the reader to stop early (interrupt). */
void feed_stop(struct feed *f);

/* Fraction of the input consumed, 0..1, or a negative value when unknown. */
double feed_fraction(struct feed *f);

/* Stop the reader and wait for it to end, a moment at most: true once it ended (then the
 * inputs' figures, input_rows() and input_sha256(), are final), false when it was left
 * behind, blocked reading an idle pipe (then the inputs stay untouched until the exit). */
bool feed_join(struct feed *f);

/* Join the thread and close the inputs (after every item's line is written). A reader still
 * blocked on an idle pipe after a stop is detached and its memory left to the exit. */
void feed_free(struct feed *f);

#endif

/* feed.c -- reader thread and its item queue. */
#include "scanner/feed.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void wait_for_room(struct feed *f)
{
        /* No wake-up protocol: the loop drains DS_INPUT_QUEUE items in tens of ms at full
         * speed, so a reader that finds the queue full sleeps a while. Not 1 ms: a thousand
         * wake-ups a second that mostly found it still full were a tenth of the scan's
         * context switches. */
        struct timespec ts = {0, DS_FEED_WAIT_MS * 1000000L};
        while (!atomic_load_explicit(&f->stop, memory_order_relaxed) &&
               atomic_load_explicit(&f->tail, memory_order_relaxed) -
                       atomic_load_explicit(&f->head, memory_order_acquire) >=
                   DS_INPUT_QUEUE)
                nanosleep(&ts, NULL);
}

/* Names the duplicate filter's first stage is sized for when the inputs' sizes are known,
 * and the sample after which new names go to a second stage sized for the rest from the
 * names per byte (as stored) the sample took, whatever the compression, the columns or the
 * share of other shards' names. The first stage is left half full: its error rate stays
 * near 1e-7 (6.6e-7 when full). */
#define FIRST_STAGE_NAMES 131072
#define FEED_AHEAD        4 /* items fetched ahead of the one popped (feed_pop) */
#define SIZE_SAMPLE_NAMES 65536

/* Bytes of every input as stored, read so far and in all: false when one's size is
 * unknown (a pipe). */
static bool feed_bytes(const struct feed *f, uint64_t *done, uint64_t *total)
{
        *done = *total = 0;
        for (unsigned i = 0; i < f->npaths; i++) {
                uint64_t d = 0, t = 0;
                if (!f->inputs[i])
                        continue;
                input_progress(f->inputs[i], &d, &t);
                if (t == 0)
                        return false;
                *done += d;
                *total += t;
        }
        return *total > 0;
}

/* The sample is in: new names go to a stage sized for those still to come, an eighth over
 * the estimate (short by one name, the stage after it would be twice as large). The rate is
 * that of an exact pair, the names read from the bytes before the current file's last read
 * (not the bytes read ahead, nor those every input's opening read to detect its format),
 * with the inputs before it read whole. */
static void size_dupfilter(struct feed *f, uint64_t count)
{
        struct feed_sizing *z = &f->sizing;
        uint64_t done, total;
        z->on = false;
        if (!feed_bytes(f, &done, &total))
                return;
        uint64_t used_bytes = z->bytes0 + z->pair_bytes, used_names = z->names0 + z->pair_names;
        if (used_bytes >= total || count < used_names)
                return; /* the input is all but read: the first stage holds the rest */
        double rate = (double)used_names / (double)used_bytes;
        double names = rate * (double)(total - used_bytes) - (double)(count - used_names);
        if (names * 1.125 < (double)(FIRST_STAGE_NAMES - count))
                return; /* they fit the first stage */
        (void)dupfilter_grow(f->seen,
                             names < 1e15 ? (uint64_t)(names * 1.125) + 1 : (uint64_t)1e15);
}

/* Reader thread, before each new name of input i: the pair of names and bytes read so far. */
static void track_bytes(struct feed *f, unsigned i, uint64_t count)
{
        struct feed_sizing *z = &f->sizing;
        uint64_t done, total;
        if (i != z->file) { /* the inputs before i are read whole */
                uint64_t bytes0 = z->bytes0;
                for (unsigned k = z->file; k < i; k++) {
                        input_progress(f->inputs[k], &done, &total);
                        bytes0 += total;
                }
                *z = (struct feed_sizing){.on = true, .file = i, .names0 = count, .bytes0 = bytes0};
        }
        input_progress(f->inputs[i], &done, &total);
        if (done != z->last_done) { /* this name's line needed the read: those before did not */
                z->pair_bytes = z->last_done;
                z->pair_names = count - z->names0;
                z->last_done = done;
        }
}

static void settle_pending(struct feed *f)
{
        if (!f->has_pending)
                return;
        f->has_pending = false;
        if (dupfilter_seen_key(f->seen, &f->pending))
                atomic_fetch_add_explicit(&f->duplicates, 1, memory_order_relaxed);
}

static void note_name(struct feed *f, unsigned i, const char *name)
{
        struct dupfilter_key k = dupfilter_key(name, strlen(name));
        if (!f->sizing.on) {
                /* Each name's filter blocks are a cache miss or two: fetched while the next
                 * name is read, and the name counted then. Same order, same count. */
                dupfilter_prefetch(f->seen, &k);
                settle_pending(f);
                f->pending = k;
                f->has_pending = true;
                return;
        }
        /* While the sample sizes the filter, each name is counted at once: the estimate
         * pairs the names counted with the bytes read for them. */
        uint64_t before = dupfilter_count(f->seen);
        track_bytes(f, i, before);
        if (dupfilter_seen_key(f->seen, &k))
                atomic_fetch_add_explicit(&f->duplicates, 1, memory_order_relaxed);
        else if (before + 1 >= SIZE_SAMPLE_NAMES && f->sizing.bytes0 + f->sizing.pair_bytes > 0)
                size_dupfilter(f, before + 1);
}

static void *feed_main(void *arg)
{
        struct feed *f = arg;
        for (unsigned i = 0; i < f->npaths; i++) {
                for (;;) {
                        wait_for_room(f);
                        if (atomic_load_explicit(&f->stop, memory_order_relaxed))
                                goto out;
                        uint64_t t = atomic_load_explicit(&f->tail, memory_order_relaxed);
                        struct input_item *it = &f->slots[t % DS_INPUT_QUEUE];
                        int rc = input_next(f->inputs[i], it);
                        if (rc == 0)
                                break;
                        if (rc < 0) {
                                f->error = rc;
                                snprintf(f->errmsg, sizeof(f->errmsg), "%s: %s",
                                         f->paths[i] ? f->paths[i] : "-",
                                         input_error(f->inputs[i]));
                                goto out;
                        }
                        atomic_fetch_add_explicit(&f->read, 1, memory_order_relaxed);
                        if (!shard_owns(&f->shard, it))
                                continue; /* another machine's: the slot is reused */
                        if (f->seen && it->status == INPUT_ITEM_OK)
                                note_name(f, i, it->domain);
                        f->slot_file[t % DS_INPUT_QUEUE] = (uint16_t)i;
                        atomic_store_explicit(&f->tail, t + 1, memory_order_release);
                        atomic_fetch_add_explicit(&f->items, 1, memory_order_relaxed);
                }
        }
out:
        if (f->seen)
                settle_pending(f); /* counted before eof: readers of the count wait for it */
        atomic_store_explicit(&f->eof, true, memory_order_release);
        return NULL;
}

int feed_start(struct feed *f, const char *const *paths, unsigned npaths,
               const struct input_config *cfg, const struct shard_spec *shard, char *err,
               size_t errlen)
{
        memset(f, 0, sizeof(*f));
        f->shard = shard ? *shard : (struct shard_spec){.count = 1};
        f->paths = paths;
        f->npaths = npaths;
        f->cfg = *cfg;
        f->inputs = calloc(npaths, sizeof(*f->inputs));
        f->slots = malloc(DS_INPUT_QUEUE * sizeof(*f->slots));
        f->slot_file = malloc(DS_INPUT_QUEUE * sizeof(*f->slot_file));
        int rc = 0;
        if (!f->inputs || !f->slots || !f->slot_file) {
                snprintf(err, errlen, "out of memory");
                rc = -ENOMEM;
        }
        for (unsigned i = 0; rc == 0 && i < npaths; i++)
                rc = input_open(&f->inputs[i], paths[i], &f->cfg, err, errlen);
        if (rc == 0) {
                uint64_t done, total;
                f->sizing.on = feed_bytes(f, &done, &total);
                if (dupfilter_new(&f->seen, f->sizing.on ? FIRST_STAGE_NAMES : 0) < 0)
                        f->seen = NULL; /* duplicates go uncounted; the scan does not need it */
        }
        if (rc == 0) {
                rc = -pthread_create(&f->thread, NULL, feed_main, f);
                if (rc < 0)
                        snprintf(err, errlen, "cannot start the reader thread: %s", strerror(-rc));
                else
                        pthread_setname_np(f->thread, "ds-input");
        }
        if (rc < 0) {
                feed_free(f); /* not started: closes what was opened, leaves f zeroed */
                return rc;
        }
        f->started = true;
        return 0;
}

/* A NUL-terminated string of at most cap bytes in all, copied with its NUL. */
static void copy_str(char *dst, const char *src, size_t cap)
{
        size_t n = strnlen(src, cap - 1);
        memcpy(dst, src, n);
        dst[n] = 0;
}

/* *dst = *src, copying only the strings' used bytes: the item is ~1 KB, a typical name 20
 * bytes, and the ring hands every domain over with it. */
static void item_copy(struct input_item *dst, const struct input_item *src)
{
        dst->line = src->line;
        dst->rank = src->rank;
        dst->status = src->status;
        dst->raw_differs = src->raw_differs;
        dst->sector = src->sector;
        copy_str(dst->domain, src->domain, sizeof(dst->domain));
        copy_str(dst->raw, src->raw, sizeof(dst->raw));
        copy_str(dst->error, src->error, sizeof(dst->error));
}

/* The lines item_copy() reads of an item (its head, raw, the flags after it, error). */
static void prefetch_item(const struct input_item *it)
{
        __builtin_prefetch(it);
        __builtin_prefetch(it->raw);
        __builtin_prefetch(&it->raw_differs);
        __builtin_prefetch(it->error);
}

int feed_pop(struct feed *f, struct input_item *item, uint16_t *file)
{
        uint64_t h = atomic_load_explicit(&f->head, memory_order_relaxed);
        uint64_t t = atomic_load_explicit(&f->tail, memory_order_acquire);
        /* The reader wrote the items on another core, each several lines: fetching a few
         * ahead overlaps those misses with the work between pops. Published items only. */
        if (t - h > FEED_AHEAD)
                prefetch_item(&f->slots[(h + FEED_AHEAD) % DS_INPUT_QUEUE]);
        if (h == t) {
                /* eof is stored after the last tail update: check the tail again after it */
                if (!atomic_load_explicit(&f->eof, memory_order_acquire))
                        return 0;
                if (h == atomic_load_explicit(&f->tail, memory_order_acquire))
                        return -1;
        }
        item_copy(item, &f->slots[h % DS_INPUT_QUEUE]);
        *file = f->slot_file[h % DS_INPUT_QUEUE];
        atomic_store_explicit(&f->head, h + 1, memory_order_release);
        return 1;
}

void feed_stop(struct feed *f)
{
        atomic_store_explicit(&f->stop, true, memory_order_relaxed);
}

double feed_fraction(struct feed *f)
{
        uint64_t done, total;
        return feed_bytes(f, &done, &total) ? (double)done / (double)total : -1;
}

bool feed_join(struct feed *f)
{
        if (!f->started)
                return !f->detached;
        feed_stop(f);
        /* A reader blocked in read() on an idle pipe or terminal never sees the stop flag.
         * Give it a moment; then leave it behind, detached, with everything it may still
         * touch (the process is about to exit): joining would hang, and cancelling a thread
         * in the middle of a decompressor is worse. */
        struct timespec ts = {0, 10000000};
        for (int i = 0; i < 20 && !atomic_load(&f->eof); i++)
                nanosleep(&ts, NULL);
        f->started = false;
        if (!atomic_load(&f->eof)) {
                pthread_detach(f->thread);
                f->detached = true;
                return false;
        }
        pthread_join(f->thread, NULL);
        return true;
}

void feed_free(struct feed *f)
{
        if (!feed_join(f))
                return;
        for (unsigned i = 0; f->inputs && i < f->npaths; i++)
                if (f->inputs[i])
                        input_close(f->inputs[i]);
        free(f->inputs);
        free(f->slots);
        free(f->slot_file);
        dupfilter_free(f->seen);
        memset(f, 0, sizeof(*f));
}

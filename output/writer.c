/* writer.c -- writer thread: chunk queue -> sink, with timed zstd frame ends. */
#include "output/writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/check.h"
#include "output/limits.h"

struct writer {
        struct sink *sink;
        const struct ds_clock *clock;
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t work;  /* queue non-empty, or stopping */
        pthread_cond_t spare; /* a chunk came back to the free list */
        struct writer_chunk *queue_head, *queue_tail;
        struct writer_chunk *free_list;
        unsigned nchunks;
        bool stopping, sync_requested;
        struct writer_sync sync; /* fn NULL: none */
        uint64_t *synced;        /* writer thread: tags written since the last sync */
        size_t nsynced, synced_cap;
        int error;
        _Atomic bool failed;
        _Atomic uint64_t lines;
};

/* Chunks are made mid-scan, on demand: out of memory aborts (common/check.h). */
static struct writer_chunk *chunk_new(size_t cap)
{
        struct writer_chunk *c = ds_xcalloc(1, sizeof(*c), "an output chunk");
        c->data = ds_xmalloc(cap, "an output chunk");
        c->cap = cap;
        return c;
}

static void chunk_free(struct writer_chunk *c)
{
        free(c->tags);
        free(c->data);
        free(c);
}

static void recycle(struct writer *w, struct writer_chunk *c)
{
        pthread_mutex_lock(&w->mu);
        if (c->cap > DS_CHUNK_BYTES) { /* one outsized line: do not keep its memory */
                chunk_free(c);
                w->nchunks--;
        } else {
                c->len = 0;
                c->lines = 0;
                c->next = w->free_list;
                w->free_list = c;
        }
        pthread_cond_signal(&w->spare);
        pthread_mutex_unlock(&w->mu);
}

static void fail(struct writer *w, int rc)
{
        if (!w->error)
                w->error = rc;
        atomic_store(&w->failed, true);
}

/* The chunk's tags wait for the next sync; their memory is kept between syncs. */
static void keep_tags(struct writer *w, const struct writer_chunk *c)
{
        if (!w->sync.fn)
                return;
        if (w->nsynced + c->lines > w->synced_cap) {
                size_t cap = w->synced_cap ? w->synced_cap * 2 : 4096;
                while (cap < w->nsynced + c->lines)
                        cap *= 2;
                w->synced = ds_xrealloc(w->synced, cap * sizeof(*w->synced), "written line tags");
                w->synced_cap = cap;
        }
        memcpy(w->synced + w->nsynced, c->tags, c->lines * sizeof(*c->tags));
        w->nsynced += c->lines;
}

static void write_chunk(struct writer *w, struct writer_chunk *c)
{
        int rc = w->error ? w->error : sink_write(w->sink, c->data, c->len);
        if (rc < 0) {
                fail(w, rc);
        } else {
                atomic_fetch_add_explicit(&w->lines, c->lines, memory_order_relaxed);
                keep_tags(w, c);
        }
        recycle(w, c);
}

static void end_frame(struct writer *w, bool sync)
{
        int rc = sync ? sink_sync(w->sink) : sink_end_frame(w->sink);
        if (rc < 0 && !w->error)
                fail(w, rc);
}

/* Durable now: tell the callback what became so. Nothing after a failure: the bytes since
 * the last good sync may be incomplete. */
static void sync_and_report(struct writer *w)
{
        end_frame(w, true);
        if (w->sync.fn && !w->error) {
                int rc = w->sync.fn(w->sync.ctx, sink_offset(w->sink), w->synced, w->nsynced);
                if (rc < 0)
                        fail(w, rc);
        }
        w->nsynced = 0;
}

static unsigned wait_ms(const struct writer *w)
{
        if (w->sync.fn && w->sync.interval_ms < DS_FRAME_MS)
                return w->sync.interval_ms;
        return DS_FRAME_MS;
}

static void *writer_main(void *arg)
{
        struct writer *w = arg;
        uint64_t last_frame = ds_clock_mono_ms(w->clock), last_sync = last_frame;
        bool dirty = false;    /* lines since the last frame end */
        bool unsynced = false; /* lines since the last sync */
        pthread_mutex_lock(&w->mu);
        for (;;) {
                struct writer_chunk *c = w->queue_head;
                if (c) {
                        w->queue_head = c->next;
                        if (!w->queue_head)
                                w->queue_tail = NULL;
                        pthread_mutex_unlock(&w->mu);
                        write_chunk(w, c);
                        dirty = unsynced = true;
                        pthread_mutex_lock(&w->mu);
                } else if (w->stopping) {
                        break;
                } else {
                        unsigned ms = wait_ms(w);
                        struct timespec until;
                        clock_gettime(CLOCK_REALTIME, &until);
                        until.tv_nsec += ms % 1000 * 1000000L;
                        until.tv_sec += ms / 1000 + until.tv_nsec / 1000000000L;
                        until.tv_nsec %= 1000000000L;
                        pthread_cond_timedwait(&w->work, &w->mu, &until);
                }
                bool sync = w->sync_requested;
                uint64_t now = ds_clock_mono_ms(w->clock);
                if (!sync && w->sync.fn && unsynced && now - last_sync >= w->sync.interval_ms)
                        sync = true;
                if (sync || (dirty && now - last_frame >= DS_FRAME_MS)) {
                        w->sync_requested = false;
                        pthread_mutex_unlock(&w->mu);
                        if (sync)
                                sync_and_report(w);
                        else
                                end_frame(w, false);
                        dirty = false;
                        last_frame = ds_clock_mono_ms(w->clock);
                        if (sync) {
                                unsynced = false;
                                last_sync = last_frame;
                        }
                        pthread_mutex_lock(&w->mu);
                }
        }
        pthread_mutex_unlock(&w->mu);
        if (w->sync.fn && unsynced)
                sync_and_report(w);
        return NULL;
}

static void writer_free(struct writer *w)
{
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->work);
        pthread_cond_destroy(&w->spare);
        free(w->synced);
        free(w);
}

int writer_start(struct writer **out, struct sink *sink, const struct ds_clock *clock,
                 const struct writer_sync *sync)
{
        *out = NULL;
        struct writer *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        w->sink = sink;
        w->clock = clock;
        if (sync)
                w->sync = *sync;
        /* Default attributes: Linux's init functions cannot fail with them. */
        pthread_mutex_init(&w->mu, NULL);
        pthread_cond_init(&w->work, NULL);
        pthread_cond_init(&w->spare, NULL);
        int rc = pthread_create(&w->thread, NULL, writer_main, w);
        if (rc) {
                writer_free(w);
                return -rc;
        }
        pthread_setname_np(w->thread, "ds-writer");
        *out = w;
        return 0;
}

struct writer_chunk *writer_chunk_get(struct writer *w)
{
        pthread_mutex_lock(&w->mu);
        while (!w->free_list && w->nchunks >= DS_WRITER_CHUNKS)
                pthread_cond_wait(&w->spare, &w->mu);
        struct writer_chunk *c = w->free_list;
        if (c)
                w->free_list = c->next;
        else
                w->nchunks++;
        pthread_mutex_unlock(&w->mu);
        if (!c)
                c = chunk_new(DS_CHUNK_BYTES);
        c->next = NULL;
        return c;
}

void writer_chunk_put(struct writer *w, struct writer_chunk *c)
{
        if (c->len == 0) {
                recycle(w, c);
                return;
        }
        c->next = NULL;
        pthread_mutex_lock(&w->mu);
        if (w->queue_tail)
                w->queue_tail->next = c;
        else
                w->queue_head = c;
        w->queue_tail = c;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
}

static void add_tag(struct writer_chunk *c, uint64_t tag)
{
        if (c->lines == c->tags_cap) {
                c->tags_cap = c->tags_cap ? c->tags_cap * 2 : 256;
                c->tags = ds_xrealloc(c->tags, c->tags_cap * sizeof(*c->tags), "line tags");
        }
        c->tags[c->lines] = tag;
}

void writer_append(struct writer *w, struct writer_chunk **cp, const char *line, size_t len,
                   uint64_t tag)
{
        struct writer_chunk *c = *cp;
        if (c->cap - c->len < len) {
                writer_chunk_put(w, c);
                c = writer_chunk_get(w);
                if (c->cap < len) { /* a line longer than a chunk gets a chunk of its own */
                        free(c->data);
                        c->data = ds_xmalloc(len, "an outsized output line");
                        c->cap = len;
                }
                *cp = c;
        }
        memcpy(c->data + c->len, line, len);
        c->len += len;
        add_tag(c, tag);
        c->lines++;
}

void writer_request_sync(struct writer *w)
{
        pthread_mutex_lock(&w->mu);
        w->sync_requested = true;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
}

bool writer_failed(struct writer *w)
{
        return atomic_load_explicit(&w->failed, memory_order_relaxed);
}

int writer_close(struct writer *w, uint64_t *lines)
{
        pthread_mutex_lock(&w->mu);
        w->stopping = true;
        pthread_cond_signal(&w->work);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
        int rc = sink_close(w->sink);
        if (w->error)
                rc = w->error;
        *lines = atomic_load(&w->lines); /* with an error: handed to the sink, an upper bound */
        unsigned back = 0;
        while (w->free_list) {
                struct writer_chunk *c = w->free_list;
                w->free_list = c->next;
                chunk_free(c);
                back++;
        }
        /* A chunk not handed back by now held lines that never reached the sink. */
        (void)ds_fails(back == w->nchunks);
        writer_free(w);
        return rc;
}

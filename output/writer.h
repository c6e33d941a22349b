/* writer.h -- the writer thread: takes chunks of complete NDJSON lines from the classifier
 * threads and feeds them to the sink, closing a zstd frame at least every DS_FRAME_MS.
 * Contract: a chunk holds whole lines only, so the output never interleaves or truncates
 * lines. Chunks are recycled; at most DS_WRITER_CHUNKS exist, and writer_chunk_get()
 * blocks when all are queued, which pushes back on the classifiers (and so on admission)
 * when the disk is slower than the scan. writer_close() writes everything and closes the
 * sink; its return value is the first write error (0 / -errno).
 * Durability: every line carries a caller's tag (an opaque number). With a sync callback,
 * the writer thread syncs the sink (frame end, fsync) at least every interval_ms while
 * lines came in, on writer_request_sync() and before closing, and after each sync that
 * succeeded hands the callback the file offset where the durable bytes end and the tags of
 * the lines made durable since the previous call. A callback's error stops the writer like
 * a write error. */
#ifndef DS_WRITER_H
#define DS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/clock.h"
#include "output/sink.h"

#define DS_WRITER_CHUNKS 64

struct writer_chunk {
        struct writer_chunk *next;
        size_t len, cap;
        uint64_t lines;
        char *data;
        uint64_t *tags; /* one per line, in the chunk's order */
        size_t tags_cap;
};

/* Writer thread: offset where the durable bytes end; tags[0..n) the lines made durable since
 * the previous call. Returns 0 or -errno. */
typedef int (*writer_synced_fn)(void *ctx, uint64_t offset, const uint64_t *tags, size_t n);

struct writer_sync {
        writer_synced_fn fn;
        void *ctx;
        unsigned interval_ms;
};

struct writer;

/* Either the thread runs or nothing is left behind (*out NULL; the caller keeps sink).
 * clock: when a frame has been open DS_FRAME_MS. sync NULL: no durability callback. */
int writer_start(struct writer **out, struct sink *sink, const struct ds_clock *clock,
                 const struct writer_sync *sync);
/* An empty chunk of at least DS_CHUNK_BYTES. */
struct writer_chunk *writer_chunk_get(struct writer *w);
/* Append one line with its tag, handing the chunk over and taking a fresh one when it is
 * full. */
void writer_append(struct writer *w, struct writer_chunk **c, const char *line, size_t len,
                   uint64_t tag);
/* Hand a chunk over (an empty one is just recycled). */
void writer_chunk_put(struct writer *w, struct writer_chunk *c);
/* End the current frame and fsync soon (from any thread; used on interrupt). */
void writer_request_sync(struct writer *w);
/* True once a write failed (any thread): the scan should stop admitting domains. */
bool writer_failed(struct writer *w);
/* *lines gets the number of lines that reached the sink. */
int writer_close(struct writer *w, uint64_t *lines);

#endif

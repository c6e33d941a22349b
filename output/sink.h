/* sink.h -- where NDJSON bytes end up: a file or stdout, plain or zstd-compressed.
 * Contract: single-threaded (the writer thread owns it). Compressed output is a sequence
 * of independent zstd frames; sink_end_frame() closes the current frame and writes it out,
 * so a reader following the growing file (zstd -dc, python's zstandard) sees whole lines.
 * A frame is also closed automatically after DS_FRAME_BYTES of input. Returns 0 / -errno. */
#ifndef DS_SINK_H
#define DS_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sink;

/* path NULL or "-": stdout. compress: zstd at level. */
int sink_open(struct sink **out, const char *path, bool compress, int level);
/* Resume an existing file: keep its first keep bytes (the end of a complete frame, or of a
 * line when plain), cut the rest durably (ftruncate, fsync) and append after them.
 * -ENODATA when the file is shorter than keep, -ESPIPE when it is not a regular file. */
int sink_reopen(struct sink **out, const char *path, bool compress, int level, uint64_t keep);
int sink_write(struct sink *s, const void *buf, size_t len);
/* End the current frame (compressed) or flush buffered bytes (plain); no-op when empty. */
int sink_end_frame(struct sink *s);
/* Durably flush (end frame, fsync for regular files). */
int sink_sync(struct sink *s);
/* File offset after everything written out so far; after sink_sync(), where the durable
 * bytes end (a frame boundary). */
uint64_t sink_offset(const struct sink *s);
/* Flush, close, free. Returns the first error seen over the sink's life. */
int sink_close(struct sink *s);
/* True when path names zstd output (ends in ".zst"). */
bool sink_path_wants_zstd(const char *path);

#endif

/* lines.h -- a scan's NDJSON output read back line by line, plain or zstd-compressed (the
 * codec told by the content, as -o FILE.zst writes it: a sequence of frames).
 * Contract: lines_next() hands out one line at a time, without its newline, in a buffer
 * owned by the reader and valid until the next call; the buffer grows to the longest line
 * (at most LINES_MAX bytes: a longer line is an error) and is never shrunk, so reading
 * allocates nothing per line. Returns 0 / -errno; on an error lines_error() says what. */
#ifndef DS_REPORT_LINES_H
#define DS_REPORT_LINES_H

#include <stddef.h>
#include <stdint.h>

#define LINES_MAX (64u << 20)

struct lines;

int lines_open(struct lines **out, const char *path);
/* 1 with *line, *len (NUL-terminated); 0 at the end; -errno. */
int lines_next(struct lines *l, const char **line, size_t *len);
uint64_t lines_number(const struct lines *l); /* of the line last returned, 1-based */
const char *lines_error(const struct lines *l);
void lines_close(struct lines *l);

#endif

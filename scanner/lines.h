/* lines.h -- reading a text file line by line whatever its compression (plain, gzip,
 * zstd: recognised from its content), for `dmarcscan diff` and `dmarcscan report`.
 * Contract: memory is one read block, one decompressed block and one line buffer (grown to
 * the longest line, at most LINES_MAX bytes; a longer line is an error). The path must
 * be a seekable file (its first bytes are read to tell the compression, then it is
 * rewound). lines_next() returns 1 with the line (without its '\n', not
 * NUL-terminated) valid until the next call, 0 at the end, -errno on a read, decompression
 * or length error (lines_error() says which). Not thread-safe: one reader per thread. */
#ifndef DS_LINES_H
#define DS_LINES_H

#include <stddef.h>
#include <stdint.h>

#define LINES_MAX (16u << 20)

struct lines;

int lines_open(struct lines **out, const char *path, char *err, size_t errlen);
int lines_next(struct lines *l, const char **line, size_t *len);
const char *lines_error(const struct lines *l);
/* Lines returned so far (the number of the last one). */
uint64_t lines_count(const struct lines *l);
void lines_close(struct lines *l);

#endif

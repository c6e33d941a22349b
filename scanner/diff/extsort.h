/* extsort.h -- external merge sort of byte records in bounded memory.
 * Contract: records (at most EXTSORT_REC_MAX bytes each) are added in any order; they are
 * kept in one arena of the size given (the records and a 4-byte index entry each), sorted
 * there (cmp: a total order, for a deterministic result) and, when the arena is full,
 * written as a sorted run to an unnamed temporary file in tmpdir (created and unlinked at
 * once, so nothing is left behind whatever way the process ends). extsort_finish() merges
 * runs EXTSORT_FANIN at a time until at most that many are left (so memory stays bounded
 * however many runs there are), then extsort_next() yields every record in order through
 * a k-way merge (a binary heap). A single run that never left memory is read from memory.
 * Memory: the arena, plus per open run a 64 KiB read buffer and a record buffer.
 * Returns 0 / -errno; extsort_next 1 with a record (valid until the next call), 0 at the
 * end, -errno. Not thread-safe: one struct extsort per thread. */
#ifndef DS_DIFF_EXTSORT_H
#define DS_DIFF_EXTSORT_H

#include <stddef.h>
#include <stdint.h>

#define EXTSORT_REC_MAX   (64u << 10)
#define EXTSORT_FANIN     64
#define EXTSORT_ARENA_MIN (1u << 20)

typedef int (*extsort_cmp)(const void *a, size_t alen, const void *b, size_t blen);

struct extsort;

/* arena_bytes >= EXTSORT_ARENA_MIN; tmpdir NULL: $TMPDIR, else /tmp. */
int extsort_open(struct extsort **out, size_t arena_bytes, const char *tmpdir, extsort_cmp cmp);
int extsort_add(struct extsort *s, const void *rec, size_t len);
int extsort_finish(struct extsort *s);
int extsort_next(struct extsort *s, const void **rec, size_t *len);
/* Sorted runs written to disk so far (0 when everything fit in the arena). */
unsigned extsort_spilled(const struct extsort *s);
void extsort_close(struct extsort *s);

#endif

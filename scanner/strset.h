/* strset.h -- a set of byte strings: the one hash set of the scanner (excluded names,
 * interned sector names), on concurrencykit's ck_hs.
 * Contract: strings are copied in and owned by the set until strset_free(); lookups take
 * (pointer, length) and need no NUL. Single-threaded use (ck_hs in SPMC mode is only read
 * concurrently with one writer; nothing here relies on that). Returns 0 / -errno. */
#ifndef DS_STRSET_H
#define DS_STRSET_H

#include <stdbool.h>
#include <stddef.h>

struct strset;

int strset_new(struct strset **out, unsigned long capacity_hint);
/* The stored copy of (p, n), added if new (NUL-terminated); NULL when out of memory. */
const char *strset_intern(struct strset *s, const char *p, size_t n);
bool strset_contains(struct strset *s, const char *p, size_t n);
unsigned long strset_count(struct strset *s);
void strset_free(struct strset *s);

#endif

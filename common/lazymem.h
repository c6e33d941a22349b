/* lazymem.h -- large zeroed memory that costs nothing until touched.
 * Contract: lazymem_new() maps bytes (rounded up to whole pages) of anonymous memory, zero
 * and backed page by page as it is first written, so a table sized for the worst case costs
 * what is used of it; huge says whether huge pages are welcome (a table touched all over
 * soon, like a Bloom filter) or not (one used from its start, like the scan's jobs).
 * lazymem_free() takes the pointer and the size asked for. Thread-safe (no state). */
#ifndef DS_LAZYMEM_H
#define DS_LAZYMEM_H

#include <stdbool.h>
#include <stddef.h>

/* NULL when the mapping failed (or bytes is 0). */
void *lazymem_new(size_t bytes, bool huge);
void lazymem_free(void *p, size_t bytes);

#endif

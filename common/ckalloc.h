/* ckalloc.h -- the allocator concurrencykit's structures (ck_hs) are given: plain malloc and
 * free, shared by every set of the program. Contract: stateless, thread-safe. */
#ifndef DS_CKALLOC_H
#define DS_CKALLOC_H

#include <ck_malloc.h>

extern struct ck_malloc ds_ck_allocator;

#endif

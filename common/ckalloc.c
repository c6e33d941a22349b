/* ckalloc.c -- malloc and free for concurrencykit (see ckalloc.h). */
#include "common/ckalloc.h"

#include <stdbool.h>
#include <stdlib.h>

static void *ck_alloc(size_t n)
{
        return malloc(n);
}

/* ck_hs frees through this when it grows or is destroyed; nothing here defers (no reader
 * runs concurrently with a writer in this program). */
static void ck_release(void *p, size_t n, bool defer)
{
        (void)n;
        (void)defer;
        free(p);
}

struct ck_malloc ds_ck_allocator = {.malloc = ck_alloc, .free = ck_release};

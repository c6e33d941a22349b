/* lazymem.c -- anonymous mappings for large tables used in part (lazymem.h). */
#include "common/lazymem.h"

#include <sys/mman.h>
#include <unistd.h>

static size_t page_round(size_t bytes)
{
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        return (bytes + page - 1) / page * page;
}

void *lazymem_new(size_t bytes, bool huge)
{
        if (bytes == 0)
                return NULL;
        size_t n = page_round(bytes);
        void *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
                return NULL;
        /* Huge pages turn thousands of page faults and TLB misses into a few, but back 2 MiB
         * at a time: welcome where the table is soon touched all over, not where a small
         * part of it is all that a run uses. */
        (void)madvise(m, n, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
        return m;
}

void lazymem_free(void *p, size_t bytes)
{
        if (p)
                munmap(p, page_round(bytes));
}

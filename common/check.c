/* check.c -- invariant failures and the out-of-memory policy (see check.h). */
#include "common/check.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The only process-wide state of this module: read once, counted atomically. */
static struct {
        _Atomic uint64_t failures;
        _Atomic int abort_mode; /* 0 unknown, 1 recover, 2 abort (DS_CHECK_ABORT=1) */
} checks;

static bool abort_wanted(void)
{
        int m = atomic_load_explicit(&checks.abort_mode, memory_order_relaxed);
        if (m == 0) {
                const char *v = getenv("DS_CHECK_ABORT");
                m = v && strcmp(v, "1") == 0 ? 2 : 1;
                atomic_store_explicit(&checks.abort_mode, m, memory_order_relaxed);
        }
        return m == 2;
}

bool ds_check_failed(const char *file, int line, const char *expr)
{
        atomic_fetch_add_explicit(&checks.failures, 1, memory_order_relaxed);
        fprintf(stderr, "dmarcscan: invariant failed: %s:%d: %s\n", file, line, expr);
        if (abort_wanted())
                abort();
        return true;
}

void ds_check_abort(const char *file, int line, const char *expr)
{
        fprintf(stderr, "dmarcscan: invariant failed (cannot recover): %s:%d: %s\n", file, line,
                expr);
        abort();
}

void ds_oom(const char *what, size_t bytes)
{
        fprintf(stderr, "dmarcscan: out of memory allocating %zu bytes for %s\n", bytes, what);
        abort();
}

uint64_t ds_check_failures(void)
{
        return atomic_load_explicit(&checks.failures, memory_order_relaxed);
}

void *ds_xmalloc(size_t bytes, const char *what)
{
        void *p = malloc(bytes ? bytes : 1);
        if (!p)
                ds_oom(what, bytes);
        return p;
}

void *ds_xcalloc(size_t n, size_t size, const char *what)
{
        void *p = calloc(n ? n : 1, size ? size : 1);
        if (!p)
                ds_oom(what, n * size);
        return p;
}

void *ds_xrealloc(void *p, size_t bytes, const char *what)
{
        void *q = realloc(p, bytes ? bytes : 1);
        if (!q)
                ds_oom(what, bytes);
        return q;
}

void *ds_xgrow(void *p, size_t *cap, size_t need, const char *what)
{
        if (need <= *cap)
                return p;
        size_t n = *cap ? *cap : 4096;
        while (n < need)
                n *= 2;
        p = ds_xrealloc(p, n, what);
        *cap = n;
        return p;
}

/* check.h -- invariants checked in every build, and the one out-of-memory policy.
 * Contract (in the spirit of Knot Resolver's kr_require / kr_fails_assert):
 * - ds_fails(cond) evaluates cond in every build (never compiled out). When it is false it
 *   logs "dmarcscan: invariant failed: FILE:LINE: cond" to stderr, counts the failure, and
 *   returns true so that the caller recovers: `if (ds_fails(slot < n)) return -EINVAL;`.
 *   With DS_CHECK_ABORT=1 in the environment (tests and CI set it) it aborts instead, so
 *   a broken invariant fails the test that reached it.
 * - ds_require(cond) is for invariants with no way to recover (memory already corrupt):
 *   it logs the same way and aborts, in every build.
 * - Out of memory: constructors and anything that runs before the scan starts return
 *   -ENOMEM and clean up after themselves; an allocation that fails once the scan runs
 *   (where no caller could do better) calls ds_oom(what), which logs what could not be
 *   allocated and aborts. ds_xmalloc/ds_xcalloc/ds_xrealloc wrap that.
 * Thread-safe: the failure counter is atomic. */
#ifndef DS_CHECK_H
#define DS_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool ds_check_failed(const char *file, int line, const char *expr);
_Noreturn void ds_check_abort(const char *file, int line, const char *expr);
_Noreturn void ds_oom(const char *what, size_t bytes);

/* Invariant failures seen so far in this process (for the run's metadata). */
uint64_t ds_check_failures(void);

#define ds_fails(cond) (!(cond) && ds_check_failed(__FILE__, __LINE__, #cond))
#define ds_require(cond)                                                                           \
        do {                                                                                       \
                if (!(cond))                                                                       \
                        ds_check_abort(__FILE__, __LINE__, #cond);                                 \
        } while (0)

void *ds_xmalloc(size_t bytes, const char *what);
void *ds_xcalloc(size_t n, size_t size, const char *what);
void *ds_xrealloc(void *p, size_t bytes, const char *what);
/* A buffer p of *cap bytes (0 for NULL) grown to hold need bytes: the capacity doubles from
 * 4 KiB, so a reused buffer stops reallocating. Returns the (possibly moved) buffer. */
void *ds_xgrow(void *p, size_t *cap, size_t need, const char *what);

#endif

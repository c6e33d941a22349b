/* tsan.h -- telling ThreadSanitizer about hand-offs it cannot see.
 * Contract: ck's rings publish with plain volatile accesses and fences, which
 * ThreadSanitizer does not model; whoever pushes an object through such a ring calls
 * DS_TSAN_RELEASE(obj) before the push and whoever pops it DS_TSAN_ACQUIRE(obj) after the
 * pop, so the object's contents are ordered as the ring orders them. The ring's own
 * accesses are suppressed (tests/tsan.supp). Outside a ThreadSanitizer build (DS_SANITIZE=
 * thread) both are empty. */
#ifndef DS_TSAN_H
#define DS_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define DS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DS_TSAN 1
#endif
#endif

#ifdef DS_TSAN
#include <sanitizer/tsan_interface.h>
#define DS_TSAN_RELEASE(p) __tsan_release((void *)(p))
#define DS_TSAN_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#define DS_TSAN_RELEASE(p) ((void)(p))
#define DS_TSAN_ACQUIRE(p) ((void)(p))
#endif

#endif

/* limits.h -- the input's and the classifier pool's size limits.
 * Contract: compile-time constants only; no code. DNS and engine limits are in
 * dns/limits.h, the writer's in output/limits.h. */
#ifndef DS_SCANNER_LIMITS_H
#define DS_SCANNER_LIMITS_H

/* Classifier pool */
#define DS_THREADS_MAX 64
/* Lookups waiting for or in the classifiers, per classifier thread, beyond which no new
 * domain is admitted: ~10-20 ms of a thread's work, enough to keep it busy, where a loopback
 * scan would otherwise fill every -c job with replies that wait. */
#define DS_CLASSIFY_BACKLOG 1024

/* The shared answer cache (dns/anscache.h) keeps replies up to this many bytes: a few
 * thousand provider includes take a few MiB; the rest is room for a/mx/exists names. */
#define DS_ANSCACHE_BYTES (64u << 20)

/* Input */
#define DS_INPUT_LINE_MAX 8192 /* longer lines are reported as ILLEGAL_INPUT */
#define DS_INPUT_RAW_MAX  512  /* raw field echoed in "input" (truncated beyond) */
#define DS_SECTOR_MAX     256
#define DS_INPUT_QUEUE    4096 /* parsed lines buffered between reader and loop */
#define DS_FEED_WAIT_MS   10   /* the reader's nap on a full queue: < the queue's drain time */

#endif

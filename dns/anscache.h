/* anscache.h -- the scan's shared answer cache: one reply per (name, type) for names that
 * many domains ask (SPF include targets of mail providers, their a/mx/exists names), kept
 * for the answer's TTL, and fetches in flight joined instead of repeated.
 * Contract: loop thread only (no locks): the scan consults it before it sends a lookup it
 * marked shared, and completes it when the fetch ends. A name is asked once while it is
 * cached or in flight: a lookup that finds a fetch in flight waits (its token is queued,
 * on an intrusive list with one link per token, so waiting allocates nothing) and gets
 * the fetch's outcome, whatever it is. Only NOERROR and NXDOMAIN answers with a TTL are
 * kept (for the TTL, or the negative TTL of RFC 2308: the SOA's, bounded by its minimum);
 * a failure (timeout, SERVFAIL, malformed) is handed to the lookups that waited on that
 * fetch and never kept. Names compare ASCII case-insensitively (0x20 queries share).
 * Memory: entries and packets are bounded by max_bytes; beyond it answers are no longer
 * kept (joining fetches in flight goes on). */
#ifndef DS_ANSCACHE_H
#define DS_ANSCACHE_H

#include <stddef.h>
#include <stdint.h>

struct anscache;

enum anscache_get {
        ANSCACHE_MISS, /* not cached: the caller fetches it and calls anscache_complete() */
        ANSCACHE_HIT,  /* *pkt, *len: the cached reply, valid until the next call; *until:
                          the loop time it is kept until */
        ANSCACHE_WAIT, /* a fetch is in flight: token will be woken by anscache_complete() */
};

struct anscache_stats {
        uint64_t fetched;  /* lookups that went to the network (misses) */
        uint64_t hits;     /* answered from a kept reply */
        uint64_t joined;   /* waited for a fetch in flight and took its outcome */
        uint64_t kept;     /* replies stored */
        uint64_t not_kept; /* fetched replies not stored: failure, no TTL, or TTL 0 */
        uint64_t full;     /* replies not stored because max_bytes was reached */
        uint64_t expired;  /* kept replies found past their TTL (fetched again) */
        uint64_t bytes;    /* held now */
        uint64_t entries;  /* held now */
};

/* tokens: the caller's lookup tokens are 0..tokens-1. Returns 0 or -ENOMEM (*out NULL). */
int anscache_new(struct anscache **out, uint32_t tokens, size_t max_bytes);
void anscache_free(struct anscache *c);

/* Consult the cache for (qname in wire form, qtype) at loop time now_ms on behalf of
 * token. A token may wait on one fetch at a time. */
enum anscache_get anscache_get(struct anscache *c, const uint8_t *qname, size_t qname_len,
                               uint16_t qtype, uint64_t now_ms, uint32_t token, const uint8_t **pkt,
                               size_t *len, uint64_t *until);

/* Called for each token that waited, with the fetch's outcome (engine status, and the
 * reply when it is ENGINE_REPLY; pkt valid during the call only) and the loop time the
 * reply is kept until (0: not kept). */
typedef void (*anscache_wake_fn)(void *ctx, uint32_t token, int engine_status, const uint8_t *pkt,
                                 size_t len, uint64_t until);

/* The fetch of (qname, qtype) that anscache_get() returned MISS for ended: keep the reply
 * if it may be kept, then wake the waiters. engine_status: enum engine_status. Returns the
 * loop time the reply is kept until, 0 when it is not kept. */
uint64_t anscache_complete(struct anscache *c, const uint8_t *qname, size_t qname_len,
                           uint16_t qtype, int engine_status, const uint8_t *pkt, size_t len,
                           uint64_t now_ms, anscache_wake_fn wake, void *ctx);

/* c may be NULL (a scan that never started): all zero. */
void anscache_stats(const struct anscache *c, struct anscache_stats *out);

#endif

/* limits.h -- the DNS protocol's and the engine's size limits and defaults.
 * Contract: compile-time constants only; no code. A limit lives beside its owner: the
 * writer's and sink's are in output/limits.h, the input's and the pool's in
 * scanner/limits.h. */
#ifndef DS_LIMITS_H
#define DS_LIMITS_H

/* DNS protocol limits (RFC 1035) */
#define DS_NAME_MAX_TEXT 253 /* presentation form, no trailing dot */
#define DS_NAME_MAX_WIRE 255
#define DS_LABEL_MAX     63
#define DS_EDNS_PAYLOAD  1232 /* DNS flag day 2020 */
#define DS_QUERY_MAX     (12 + DS_NAME_MAX_WIRE + 4 + 11)
/* Replies up to this size live inside the job (one per check of each job in flight: with
 * 5,000 domains and three checks, each 100 bytes here is 1.5 MB); DMARC, MX and most SPF
 * replies fit, a domain's apex TXT with many verification tokens goes to the heap. */
#define DS_REPLY_INLINE   512
#define DS_CNAME_HOPS_MAX 8     /* CNAME links followed per lookup, in and across replies */
#define DS_TXT_MAX        65535 /* concatenated TXT RR text */
#define DS_PTR_HOPS_MAX   64    /* compression pointers followed for one name */

/* Engine */
#define DS_SOCKETS_DEFAULT    32
#define DS_SOCKETS_MAX        256
#define DS_LOOKUPS_PER_SOCKET 16384 /* a quarter of the 16-bit id space */
/* Domains in flight by default. Each runs its checks' lookups at once (dmarc, spf, mx: up to
 * 15,000 lookups, beyond massdns's 10,000 and any resolver's queue), and each holds ~5 KB of
 * state that is touched on every reply: 10,000 cost 26 MB more and more cache misses per
 * reply for no rate gained (bench/README.md, issue 10). */
#define DS_CONCURRENCY_DEFAULT   5000
#define DS_CONCURRENCY_MAX       1000000
#define DS_TIMEOUT_MS_DEFAULT    2000
#define DS_RETRIES_DEFAULT       3
#define DS_RETRIES_MAX_TCP       2 /* extra attempts a TC=1 answer may add (the TCP retry) */
#define DS_DEADLINE_LISTS        8 /* one per attempt number; later attempts share the last */
#define DS_BACKOFF_NUM           3 /* attempt k waits timeout * (3/2)^(k-1)... */
#define DS_BACKOFF_DEN           2
#define DS_BACKOFF_CAP           4 /* ...but at most 4 * timeout */
#define DS_RESOLVERS_MAX         1024
#define DS_RESOLVER_RATE_DEFAULT 1000 /* q/s per resolver off loopback, unless told */
#define DS_SEND_BATCH            64   /* datagrams per sendmmsg */
#define DS_RECV_BATCH            20   /* datagrams per recvmmsg (libuv's chunk count) */
#define DS_CONGESTION_RESENDS    4    /* resends of congestion losses per lookup, not retries */
#define DS_LATE_SCAN_MAX         64   /* resolvers searched for the source of a late answer */
#define DS_SOCKET_TRIES          64   /* sockets tried for a free query id before waiting */
#define DS_BENCH_MIN_FAILS       32   /* failures in 1-2 s before a resolver can be benched */
#define DS_ADMIT_BURST           256  /* new lookups started per loop turn at most */
#define DS_TICK_MS               10   /* deadline sweep period */
#ifndef DS_COALESCE_US                /* -DDS_COALESCE_US=0 builds the reference for bench/README */
#define DS_COALESCE_US 500            /* the loop's pause after a small turn */
#endif
#define DS_COALESCE_RX       64  /* datagrams that make a turn big enough not to pause */
#define DS_COALESCE_INFLIGHT 256 /* queries in flight below which the loop never pauses */
#define DS_SOCKBUF_BYTES     (8 * 1024 * 1024)
#define DS_TCP_CONNS         4  /* TCP connections per resolver at most */
#define DS_TCP_PIPELINE      64 /* queries waiting on one TCP connection at most */
#define DS_TCP_IDLE_MS       5000

#endif

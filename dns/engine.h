/* engine.h -- the loop thread's DNS query engine.
 * Contract: owns the UDP sockets, the in-flight table and one repeating deadline timer on a
 * libuv loop it does not own. It asks the caller for work through ops->admit() whenever it
 * has free slots, sends batched queries, matches replies (source address and port, id,
 * question name/type/class; anything else is counted and dropped), retries timeouts,
 * SERVFAIL and REFUSED on another resolver with backed-off timeouts, retries truncated
 * answers over TCP, honours rate limits and resolver health, and reports each lookup's end
 * exactly once through ops->done(). NXDOMAIN and NOERROR are final. Knows nothing of DMARC.
 * Every function runs on the loop thread. */
#ifndef DS_ENGINE_H
#define DS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "dns/resolvers.h"
#include "dns/tcp.h"
#include "dns/udp.h"
#include "dns/wire.h"

enum engine_status {
        ENGINE_REPLY = 0, /* pkt holds the final reply (any rcode) */
        ENGINE_TIMEOUT,   /* no usable reply after every attempt */
        ENGINE_MALFORMED, /* only replies that matched but did not parse, after every attempt */
};

struct engine_result {
        uint32_t token;
        enum engine_status status;
        const uint8_t *pkt; /* valid only during the done() call */
        size_t len;
        /* ENGINE_REPLY: pkt as wire_reply_parse() validated it (reply->pkt == pkt), valid
         * only during the done() call; else NULL. */
        const struct wire_reply *reply;
        unsigned attempts; /* datagrams sent for this lookup */
        unsigned resolver; /* index of the resolver that answered, or that was asked last */
};

struct engine_ops {
        void *ctx;
        /* Start up to room lookups with engine_query(). Called every loop turn while slots
         * are free; return the number started (0 when the caller has no work right now). */
        unsigned (*admit)(void *ctx, unsigned room);
        /* A lookup ended. The callee copies what it needs from pkt. */
        void (*done)(void *ctx, const struct engine_result *res);
        /* Optional: a reply of len bytes for token is about to be handled (done() may follow
         * soon): a hint to fetch into the cache what done() will touch. It must not change
         * anything: the reply may still be dropped, and another in the batch may come first. */
        void (*prefetch)(void *ctx, uint32_t token, size_t len);
};

struct engine_config {
        struct resolver_list *resolvers; /* stats, health and rate buckets updated in place */
        unsigned sockets;                /* per address family */
        unsigned concurrency;            /* lookups in flight at most */
        unsigned timeout_ms;             /* first attempt; later ones back off (dns/limits.h) */
        unsigned retries;                /* further attempts after the first */
        double rate_qps;                 /* all queries together; 0 = unlimited */
        bool tcp;                        /* retry truncated answers over TCP */
        bool case_randomize;             /* 0x20: random letter case, checked on the reply */
        bool adaptive;                   /* per-resolver congestion control (else -c fixed) */
        unsigned coalesce_us;            /* pause before polling after a small turn (0: never) */
        bool no_gso;                     /* plain sends only, never UDP GSO (dns/udp.h) */
};

struct engine_counters {
        uint64_t lookups, sent, sent_tcp, answered, retried, timeouts, gave_up_budget;
        uint64_t rcode[16];
        uint64_t truncated; /* TC=1 answers (retried over TCP when enabled) */
        /* replies dropped, per reason */
        uint64_t drop_unknown_id, drop_wrong_source, drop_wrong_question, drop_wrong_case,
            drop_malformed;
        uint64_t rate_waits;   /* sends that waited for a rate token (--rate, --resolver-rate) */
        uint64_t window_waits; /* sends that waited for room in a congestion window */
        uint64_t tcp_waits;    /* TCP sends that waited for room on a connection */
        uint64_t window_cuts;  /* congestion window cuts, all resolvers (loss + delay) */
        unsigned window;       /* sum of the resolvers' congestion windows now */
        uint64_t congestion_resends; /* attempts resent after a congestion loss, not retries */
        uint64_t presumed_lost;      /* attempts failed before their timeout: congestion loss */
        uint64_t coalesce_pauses;    /* loop turns that paused to gather replies */
};

struct engine;

/* Returns 0 with *out set, or -errno with *out NULL and nothing left to the caller: handles
 * already opened are closing, and the engine frees itself once the caller's loop has run
 * their close callbacks (as it must anyway before uv_loop_close). */
int engine_new(struct engine **out, uv_loop_t *loop, const struct engine_config *cfg,
               const struct engine_ops *ops, char *err, size_t errlen);

/* Start a lookup of (qname in wire form, qtype, IN), RD set, with the caller's DNSSEC flags
 * (WIRE_Q_DO, WIRE_Q_CD of dns/wire.h; 0 for none). No retry starts after give_up_ms (loop
 * time, uv_now; 0 = no limit). Returns 0, or -EBUSY when every slot is in use, -EINVAL for
 * a bad name. */
int engine_query(struct engine *e, uint32_t token, const uint8_t *qname, size_t qname_len,
                 uint16_t qtype, unsigned flags, uint64_t give_up_ms);

/* Loop time now (ms), for computing give_up_ms. */
uint64_t engine_now(const struct engine *e);

/* Lookups in flight now, and the free slots. */
unsigned engine_inflight(const struct engine *e);
unsigned engine_room(const struct engine *e);

/* Run admission and send what is queued now (call after queuing from outside callbacks). */
void engine_kick(struct engine *e);

const struct engine_counters *engine_counters(const struct engine *e);
const struct udp_stats *engine_udp_stats(const struct engine *e);
const struct tcp_stats *engine_tcp_stats(const struct engine *e);
uint64_t engine_rcvbuf_drops(const struct engine *e);
/* The resolvers' congestion windows and pacing rates over the scan (one sample a second). */
const struct cc_history *engine_cc_history(const struct engine *e);
int engine_rcvbuf_bytes(const struct engine *e);

/* Stop admitting; close every handle (uv_run then returns once nothing else is active). */
void engine_close(struct engine *e);
/* After uv_run has returned (every handle closed). */
void engine_free(struct engine *e);

#endif

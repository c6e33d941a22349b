/* resolvers.h -- the resolvers queries go to: parsing, counters, health and rate limits.
 * Contract: resolvers_parse() accepts "IP", "IP:PORT", "[IPv6]:PORT" and bare IPv6,
 * comma-separated, or "@FILE" with one per line (# comments); resolvers_from_resolv_conf()
 * reads the nameserver lines of a resolv.conf. Both return 0 or -errno with a message that
 * names the offending entry. Health: a resolver whose recent timeouts and refusals pass
 * half of its outcomes is benched (2 s, doubling up to 60 s) and then given another chance;
 * resolvers_pick() never stalls: with every resolver benched it picks the one back soonest.
 * Rates are token buckets. Everything but parsing runs on the loop thread only. */
#ifndef DS_RESOLVERS_H
#define DS_RESOLVERS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/congestion.h"
#include "dns/limits.h"
#include "dns/rtt.h"

struct resolver_stats {
        uint64_t sent, answered, timeouts, servfail, refused, other_rcode, mismatched, truncated;
        uint64_t congestion_losses; /* timeouts of sends in a congestion episode */
};

/* Token bucket: rate 0 means unlimited. */
struct rate_bucket {
        double rate, burst, tokens;
        uint64_t last_ms;
};

void rate_init(struct rate_bucket *b, double rate);
/* Take a token if there is one (refilling first). */
bool rate_take(struct rate_bucket *b, uint64_t now_ms);
/* Give back a token taken in vain. */
void rate_refund(struct rate_bucket *b);
/* Tokens available now (a large number when unlimited). */
double rate_available(struct rate_bucket *b, uint64_t now_ms);

struct resolver {
        struct sockaddr_storage addr;
        socklen_t addrlen;
        char name[64]; /* as printed: 127.0.0.1:5300 or [::1]:53 */
        struct resolver_stats stats;
        struct rate_bucket rate;
        /* Outcomes in the current and the previous second: counting over time, not over the
         * last N events, because timeouts arrive in batches (one deadline sweep expires many)
         * while answers trickle in, and an event-based average mistook that for failure. */
        uint32_t ok_cur, fail_cur, ok_prev, fail_prev;
        uint64_t interval_ms;
        uint64_t benched_until_ms;
        unsigned bench_count;
        uint64_t benchings;
        uint32_t rtt_hist[RTT_BUCKETS]; /* dns/rtt.h */
        struct cc cc;                   /* congestion window and pacing (dns/congestion.h) */
        unsigned inflight;              /* attempts sent to it and not yet answered or expired */
        uint64_t presumed_lost; /* attempts given up early, whose late answer may still come */
};

struct resolver_list {
        struct resolver *v; /* owned: n used of cap */
        size_t n, cap;
        bool held_by_window; /* the last failed pick: no --resolver-rate token was missing,
                              * only congestion window or pacing room */
};

int resolvers_parse(struct resolver_list *out, const char *spec, char *err, size_t errlen);
int resolvers_from_resolv_conf(struct resolver_list *out, const char *path, char *err,
                               size_t errlen);
void resolvers_free(struct resolver_list *l);

/* Per-resolver rate: rate_qps for every resolver, or when default_public is set, that rate
 * only for resolvers outside loopback (0 = unlimited). */
void resolvers_set_rate(struct resolver_list *l, double rate_qps, bool loopback_too);
bool resolver_is_loopback(const struct resolver *r);

/* Choose a resolver for a query, not `avoid` (when another is usable), not benched, with a
 * rate token (taken) and room in its congestion window (a pacing token taken). Round-robin
 * through *cursor. Returns -1 when every usable resolver is out of tokens or window right
 * now (try again later). */
int resolvers_pick(struct resolver_list *l, int avoid, unsigned *cursor, uint64_t now_ms);

/* Outcomes that drive health: an answer (with its round-trip time) or a failure
 * (timeout, REFUSED). SERVFAIL is neither: broken domains answer it from healthy resolvers.
 * A resolver is benched when, over the last one to two seconds, at least DS_BENCH_MIN_FAILS
 * outcomes failed and they are at least half of all its outcomes. */
void resolver_note_answer(struct resolver *r, uint64_t rtt_us, uint64_t now_ms);
void resolver_note_failure(struct resolver *r, uint64_t now_ms);
bool resolver_benched(const struct resolver *r, uint64_t now_ms);

/* Round-trip time percentile (0..1) in milliseconds from the histogram; 0 without data. */
double resolver_rtt_ms(const struct resolver *r, double percentile);

/* Does addr (a reply's source) equal resolver r's address and port? */
int resolver_addr_equal(const struct resolver *r, const struct sockaddr *addr);

#endif

/* engine.h -- the loop thread's DNS query engine.
 * Contract: owns the UDP sockets, the in-flight table and one repeating deadline timer on a
 * libuv loop it does not own. It asks the caller for work through ops->admit() whenever it
 * has free slots, sends batched queries, matches replies (source address and port, id,
 * question name/type/class; anything else is counted and dropped), retries timeouts,
 * SERVFAIL and REFUSED on the next resolver, and reports each lookup's end exactly once
 * through ops->done(). NXDOMAIN and NOERROR are final. It knows nothing of DMARC.
 * Every function runs on the loop thread. */
#ifndef DS_ENGINE_H
#define DS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "dns/resolvers.h"

enum engine_status {
	ENGINE_REPLY = 0, /* pkt holds the final reply (any rcode) */
	ENGINE_TIMEOUT,   /* no usable reply after every attempt */
};

struct engine_result {
	uint32_t token;
	enum engine_status status;
	const uint8_t *pkt; /* valid only during the done() call */
	size_t len;
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
};

struct engine_config {
	struct resolver_list *resolvers; /* stats are updated in place */
	unsigned sockets;                /* per address family */
	unsigned concurrency;            /* lookups in flight at most */
	unsigned timeout_ms;             /* per attempt */
	unsigned retries;                /* further attempts after the first */
};

struct engine_counters {
	uint64_t lookups, sent, answered, retried, timeouts;
	uint64_t rcode[16];
	uint64_t truncated;
	/* replies dropped, per reason */
	uint64_t drop_unknown_id, drop_wrong_source, drop_wrong_question, drop_malformed;
};

struct engine;

/* On failure after *out was set, the caller still calls engine_close() and engine_free(). */
int engine_new(struct engine **out, uv_loop_t *loop, const struct engine_config *cfg,
	       const struct engine_ops *ops, char *err, size_t errlen);

/* Start a lookup of (qname in wire form, qtype, IN). Returns 0, or -EBUSY when every slot is
 * in use, -EINVAL for a bad name. */
int engine_query(struct engine *e, uint32_t token, const uint8_t *qname, size_t qname_len,
		 uint16_t qtype);

/* Lookups in flight now, and the free slots. */
unsigned engine_inflight(const struct engine *e);
unsigned engine_room(const struct engine *e);

/* Run admission and send what is queued now (call after queuing from outside callbacks). */
void engine_kick(struct engine *e);

const struct engine_counters *engine_counters(const struct engine *e);
const struct udp_stats *engine_udp_stats(const struct engine *e);
uint64_t engine_rcvbuf_drops(const struct engine *e);
int engine_rcvbuf_bytes(const struct engine *e);

/* Stop admitting; close every handle (uv_run then returns once nothing else is active). */
void engine_close(struct engine *e);
/* After uv_run has returned. */
void engine_free(struct engine *e);

#endif

/* engine.c -- the loop thread: admission, batched sends, reply matching, deadlines, retries. */
#include "dns/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/inflight.h"
#include "dns/udp.h"
#include "dns/wire.h"

struct engine {
	uv_loop_t *loop;
	struct engine_config cfg;
	struct engine_ops ops;
	struct inflight table;
	struct udp_set udp;
	uv_timer_t tick;
	uv_check_t check;
	struct engine_counters c;
	unsigned next_resolver;
	bool closing;
};

static void send_attempt(struct engine *e, uint32_t slot, uint64_t now)
{
	struct query *q = &e->table.slots[slot];
	struct resolver *r = &e->cfg.resolvers->v[q->resolver];
	unsigned sock = udp_pick(&e->udp, r->addr.ss_family, inflight_random16(&e->table));
	/* engine_new keeps the average socket under a quarter full, so another random socket
	 * soon has room. */
	while (inflight_link(&e->table, slot, (uint16_t)sock, now + e->cfg.timeout_ms) < 0)
		sock = udp_pick_other(&e->udp, r->addr.ss_family, inflight_random16(&e->table));
	q->attempts++;
	r->stats.sent++;
	e->c.sent++;
	udp_queue(&e->udp, sock, q->pkt, q->pkt_len, (const struct sockaddr *)&r->addr,
		  r->addrlen);
}

static void finish(struct engine *e, uint32_t slot, enum engine_status st, const uint8_t *pkt,
		   size_t len)
{
	struct query *q = &e->table.slots[slot];
	struct engine_result res = {
		.token = q->token,
		.status = st,
		.pkt = pkt,
		.len = len,
		.attempts = q->attempts,
		.resolver = q->resolver,
	};
	inflight_release(&e->table, slot);
	e->ops.done(e->ops.ctx, &res);
}

/* Another attempt on the next resolver, or the end of the lookup. */
static bool retry(struct engine *e, uint32_t slot, uint64_t now)
{
	struct query *q = &e->table.slots[slot];
	if (q->attempts > e->cfg.retries)
		return false;
	q->resolver = (uint16_t)((q->resolver + 1u) % e->cfg.resolvers->n);
	e->c.retried++;
	send_attempt(e, slot, now);
	return true;
}

static void on_datagram(void *ctx, unsigned sock, const uint8_t *pkt, size_t len,
			const struct sockaddr *from)
{
	struct engine *e = ctx;
	if (len < WIRE_HEADER_LEN) {
		e->c.drop_malformed++;
		return;
	}
	uint32_t slot = inflight_find(&e->table, (uint16_t)sock, wire_id(pkt));
	if (slot == INFLIGHT_NONE) {
		e->c.drop_unknown_id++; /* late, duplicate or forged */
		return;
	}
	struct query *q = &e->table.slots[slot];
	struct resolver *r = &e->cfg.resolvers->v[q->resolver];
	if (!resolver_addr_equal(r, from)) {
		e->c.drop_wrong_source++;
		return;
	}
	int m = wire_question_match(pkt, len, q->pkt + WIRE_HEADER_LEN, q->qname_len, q->qtype,
				    false);
	if (m <= 0) {
		if (m < 0)
			e->c.drop_malformed++;
		else
			e->c.drop_wrong_question++;
		r->stats.mismatched++;
		return;
	}
	inflight_unlink(&e->table, slot);
	int rcode = wire_rcode_of(pkt);
	e->c.answered++;
	e->c.rcode[rcode]++;
	r->stats.answered++;
	if (wire_tc(pkt))
		e->c.truncated++;
	if (rcode == WIRE_RCODE_SERVFAIL || rcode == WIRE_RCODE_REFUSED) {
		if (rcode == WIRE_RCODE_SERVFAIL)
			r->stats.servfail++;
		else
			r->stats.refused++;
		if (retry(e, slot, uv_now(e->loop)))
			return;
	} else if (rcode != WIRE_RCODE_NOERROR && rcode != WIRE_RCODE_NXDOMAIN) {
		r->stats.other_rcode++;
	}
	finish(e, slot, ENGINE_REPLY, pkt, len);
}

static void admit_and_send(struct engine *e)
{
	if (e->closing)
		return;
	/* A few hundred new queries per loop turn: replies then clock further admissions, so a
	 * cold start does not drop thousands of datagrams into a server's receive buffer. */
	unsigned room = engine_room(e);
	if (room > DS_ADMIT_BURST)
		room = DS_ADMIT_BURST;
	if (room)
		e->ops.admit(e->ops.ctx, room);
	udp_flush(&e->udp);
}

static void on_tick(uv_timer_t *t)
{
	struct engine *e = t->data;
	uint64_t now = uv_now(e->loop);
	uint32_t slot;
	while ((slot = inflight_expired(&e->table, now)) != INFLIGHT_NONE) {
		struct query *q = &e->table.slots[slot];
		inflight_unlink(&e->table, slot);
		e->cfg.resolvers->v[q->resolver].stats.timeouts++;
		if (!retry(e, slot, now)) {
			e->c.timeouts++;
			finish(e, slot, ENGINE_TIMEOUT, NULL, 0);
		}
	}
	admit_and_send(e);
}

static void on_check(uv_check_t *c)
{
	admit_and_send(c->data);
}

int engine_new(struct engine **out, uv_loop_t *loop, const struct engine_config *cfg,
	       const struct engine_ops *ops, char *err, size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->loop = loop;
	e->cfg = *cfg;
	e->ops = *ops;
	bool v4 = false, v6 = false;
	for (size_t i = 0; i < cfg->resolvers->n; i++) {
		v4 |= cfg->resolvers->v[i].addr.ss_family == AF_INET;
		v6 |= cfg->resolvers->v[i].addr.ss_family == AF_INET6;
	}
	if (cfg->resolvers->n == 0 || cfg->sockets == 0) {
		snprintf(err, errlen, "no resolver or no socket to query with");
		free(e);
		return -EINVAL;
	}
	/* Query ids are 16 bits per socket: keep every socket at most a quarter full so that
	 * random ids rarely collide and late replies rarely meet a reused id. */
	if (cfg->concurrency > cfg->sockets * DS_LOOKUPS_PER_SOCKET) {
		snprintf(err, errlen,
			 "%u lookups in flight need at least %u sockets (--sockets; each holds at "
			 "most %u)",
			 cfg->concurrency,
			 (cfg->concurrency + DS_LOOKUPS_PER_SOCKET - 1) / DS_LOOKUPS_PER_SOCKET,
			 DS_LOOKUPS_PER_SOCKET);
		free(e);
		return -EINVAL;
	}
	int rc = inflight_init(&e->table, cfg->concurrency, cfg->sockets * (v4 + v6));
	if (rc < 0) {
		snprintf(err, errlen, "in-flight table for %u queries: %s", cfg->concurrency,
			 strerror(-rc));
		free(e);
		return rc;
	}
	/* From here on handles may be open: on failure the caller closes and frees *out. */
	*out = e;
	rc = udp_set_open(&e->udp, loop, cfg->sockets, v4, v6, on_datagram, e, err, errlen);
	if (rc < 0)
		return rc;
	uv_timer_init(loop, &e->tick);
	e->tick.data = e;
	uv_timer_start(&e->tick, on_tick, DS_TICK_MS, DS_TICK_MS);
	uv_check_init(loop, &e->check);
	e->check.data = e;
	uv_check_start(&e->check, on_check);
	return 0;
}

int engine_query(struct engine *e, uint32_t token, const uint8_t *qname, size_t qname_len,
		 uint16_t qtype)
{
	uint32_t slot = inflight_alloc(&e->table);
	if (slot == INFLIGHT_NONE)
		return -EBUSY;
	struct query *q = &e->table.slots[slot];
	int n = wire_query_encode(q->pkt, sizeof(q->pkt), 0, qname, qname_len, qtype, true);
	if (n < 0) {
		inflight_release(&e->table, slot);
		return n;
	}
	q->pkt_len = (uint16_t)n;
	q->qname_len = (uint16_t)qname_len;
	q->qtype = qtype;
	q->token = token;
	q->resolver = (uint16_t)(e->next_resolver++ % e->cfg.resolvers->n);
	e->c.lookups++;
	send_attempt(e, slot, uv_now(e->loop));
	return 0;
}

unsigned engine_inflight(const struct engine *e)
{
	return inflight_used(&e->table);
}

unsigned engine_room(const struct engine *e)
{
	return e->table.nfree;
}

void engine_kick(struct engine *e)
{
	admit_and_send(e);
}

const struct engine_counters *engine_counters(const struct engine *e)
{
	return &e->c;
}

const struct udp_stats *engine_udp_stats(const struct engine *e)
{
	return &e->udp.stats;
}

uint64_t engine_rcvbuf_drops(const struct engine *e)
{
	return udp_rcvbuf_drops(&e->udp);
}

int engine_rcvbuf_bytes(const struct engine *e)
{
	return e->udp.rcvbuf;
}

void engine_close(struct engine *e)
{
	if (e->closing)
		return;
	e->closing = true;
	udp_set_close(&e->udp);
	if (e->tick.data)
		uv_close((uv_handle_t *)&e->tick, NULL);
	if (e->check.data)
		uv_close((uv_handle_t *)&e->check, NULL);
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	udp_set_free(&e->udp);
	inflight_free(&e->table);
	free(e);
}

/* engine.c -- the loop thread: admission, batched sends, reply matching, deadlines, retries,
 * TCP fallback, rate limits, resolver health and the adaptive in-flight window. */
#include "dns/engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/check.h"
#include "dns/inflight.h"
#include "dns/udp.h"
#include "dns/wire.h"

struct engine {
        uv_loop_t *loop;
        struct engine_config cfg;
        struct engine_ops ops;
        struct inflight table;
        struct udp_set udp;
        struct tcp_pool *tcp;
        uv_timer_t tick;
        uv_check_t check;
        uv_prepare_t coalesce; /* a short pause before polling when a turn was small */
        unsigned turn_rx;      /* datagrams received since the last poll */
        struct engine_counters c;
        struct cc_history history; /* windows over time, for the metadata */
        struct rate_bucket rate;
        unsigned cursor; /* round-robin position over resolvers */
        uint32_t *waitq; /* slots waiting for a rate token (ring of nslots) */
        uint32_t wq_head, wq_len;
        uint32_t *tcpq; /* slots waiting for room on a TCP connection (ring of nslots) */
        uint32_t tq_head, tq_len;
        bool closing;
        unsigned open_handles; /* initialized loop handles whose close callback is pending */
        bool free_when_closed; /* a failed engine_new: the last close callback frees it */
};

static uint64_t now_us(void)
{
        return uv_hrtime() / 1000;
}

static unsigned attempt_timeout(const struct engine *e, unsigned attempt)
{
        uint64_t t = e->cfg.timeout_ms;
        for (unsigned i = 0; i < attempt && t < (uint64_t)e->cfg.timeout_ms * DS_BACKOFF_CAP; i++)
                t = t * DS_BACKOFF_NUM / DS_BACKOFF_DEN;
        uint64_t cap = (uint64_t)e->cfg.timeout_ms * DS_BACKOFF_CAP;
        return (unsigned)(t < cap ? t : cap);
}

/* 0x20 (draft-vixie-dnsext-dns0x20): a forger must also guess the case of every letter. */
static void randomize_case(struct engine *e, struct query *q)
{
        uint8_t *p = q->pkt + WIRE_HEADER_LEN;
        uint16_t bits = 0;
        unsigned nbits = 0;
        for (unsigned i = 0; i < q->qname_len && p[i]; i += p[i] + 1u) {
                for (unsigned k = 1; k <= p[i]; k++) {
                        uint8_t ch = p[i + k] | 0x20;
                        if (ch < 'a' || ch > 'z')
                                continue;
                        if (!nbits) {
                                bits = inflight_random16(&e->table);
                                nbits = 16;
                        }
                        p[i + k] = (bits & 1) ? (uint8_t)(ch & ~0x20) : ch;
                        bits >>= 1;
                        nbits--;
                }
        }
}

static void wait_push(struct engine *e, uint32_t slot)
{
        e->table.slots[slot].waiting = true;
        e->waitq[(e->wq_head + e->wq_len++) % e->table.nslots] = slot;
}

/* Hand the query to a TCP connection under an id no other query on it uses. Counts and
 * links nothing on failure (every connection to the resolver is full). */
static bool tcp_transmit(struct engine *e, uint32_t slot, unsigned list, uint64_t deadline)
{
        struct query *q = &e->table.slots[slot];
        for (int tries = 0; tries < 8; tries++) {
                inflight_link_tcp(&e->table, slot, list, deadline);
                int conn = tcp_send(e->tcp, q->resolver, slot, q->id, q->pkt, q->pkt_len);
                if (conn >= 0) {
                        q->sock = (uint16_t)conn;
                        return true;
                }
                inflight_unlink(&e->table, slot);
                if (conn != -EEXIST)
                        return false;
        }
        return false;
}

static void tcpq_push(struct engine *e, uint32_t slot)
{
        e->tcpq[(e->tq_head + e->tq_len++) % e->table.nslots] = slot;
        e->c.tcp_waits++;
}

/* An attempt left for resolver r: it counts against r's congestion window until it is
 * answered or given up (uncount). */
static void note_sent(struct engine *e, struct query *q, struct resolver *r)
{
        q->attempts++;
        q->sent_us = now_us();
        r->stats.sent++;
        e->c.sent++;
        r->inflight++;
        q->counted = true;
        cc_on_send(&r->cc, q->sent_us / 1000, r->inflight);
}

static void uncount(struct engine *e, struct query *q)
{
        struct resolver *r = &e->cfg.resolvers->v[q->resolver];
        if (!q->counted)
                return;
        q->counted = false;
        if (!ds_fails(r->inflight > 0))
                r->inflight--;
}

/* A send that could not be linked (no socket had a free id): give the window and pacing
 * token back and let the query wait for the next drain. */
static void requeue_unsent(struct engine *e, uint32_t slot)
{
        cc_unsend(&e->cfg.resolvers->v[e->table.slots[slot].resolver].cc);
        wait_push(e, slot);
}

static void transmit(struct engine *e, uint32_t slot, uint64_t now)
{
        struct query *q = &e->table.slots[slot];
        struct resolver *r = &e->cfg.resolvers->v[q->resolver];
        unsigned list = q->attempts;
        uint64_t deadline = now + attempt_timeout(e, q->attempts);
        if (e->cfg.case_randomize)
                randomize_case(e, q);
        if (q->want_tcp && e->tcp) {
                if (!tcp_transmit(e, slot, list, deadline)) {
                        tcpq_push(e, slot); /* sent when a connection has room again */
                        return;
                }
                e->c.sent_tcp++;
        } else {
                unsigned sock = udp_pick(&e->udp, r->addr.ss_family, inflight_random16(&e->table));
                /* engine_new keeps the average socket under a quarter full, so another random
                 * socket soon has room: a bounded number of tries always finds one. */
                int tries = 0;
                while (inflight_link_list(&e->table, slot, (uint16_t)sock, list, deadline) < 0) {
                        if (ds_fails(++tries < DS_SOCKET_TRIES)) {
                                requeue_unsent(e, slot);
                                return;
                        }
                        sock = udp_pick_other(&e->udp, r->addr.ss_family,
                                              inflight_random16(&e->table));
                }
                udp_queue(&e->udp, sock, q->pkt, q->pkt_len, (const struct sockaddr *)&r->addr,
                          r->addrlen);
        }
        note_sent(e, q, r);
}

static void tcpq_drain(struct engine *e, uint64_t now)
{
        while (e->tq_len && !e->closing) {
                uint32_t slot = e->tcpq[e->tq_head];
                struct query *q = &e->table.slots[slot];
                if (!tcp_transmit(e, slot, q->attempts, now + attempt_timeout(e, q->attempts)))
                        return;
                e->tq_head = (e->tq_head + 1) % e->table.nslots;
                e->tq_len--;
                note_sent(e, q, &e->cfg.resolvers->v[q->resolver]);
                e->c.sent_tcp++;
        }
}

/* Send the next attempt to a resolver that is healthy and has a rate token, or queue it. */
static void start_attempt(struct engine *e, uint32_t slot, uint64_t now)
{
        struct query *q = &e->table.slots[slot];
        int avoid = q->attempts ? (int)q->resolver : -1;
        if (e->wq_len) {
                wait_push(e, slot); /* keep the order: nobody overtakes the queue */
                return;
        }
        if (!rate_take(&e->rate, now)) {
                e->c.rate_waits++;
                wait_push(e, slot);
                return;
        }
        int r = resolvers_pick(e->cfg.resolvers, avoid, &e->cursor, now);
        if (r < 0) {
                rate_refund(&e->rate); /* the queue takes a token again when it sends */
                if (e->cfg.resolvers->held_by_window)
                        e->c.window_waits++;
                else
                        e->c.rate_waits++;
                wait_push(e, slot);
                return;
        }
        q->resolver = (uint16_t)r;
        transmit(e, slot, now);
}

static void finish(struct engine *e, uint32_t slot, enum engine_status st,
                   const struct wire_reply *reply);

static void drain_waiting(struct engine *e, uint64_t now)
{
        /* Each waiting query is looked at once per call: one that is queued again (no
         * socket had a free id) waits for the next call instead of spinning here. */
        uint32_t budget = e->wq_len;
        while (e->wq_len && budget--) {
                uint32_t slot = e->waitq[e->wq_head];
                struct query *q = &e->table.slots[slot];
                if (q->attempts && q->give_up_ms && now >= q->give_up_ms) {
                        /* a retry that waited past the lookup's budget (--deadline) */
                        e->wq_head = (e->wq_head + 1) % e->table.nslots;
                        e->wq_len--;
                        q->waiting = false;
                        e->c.gave_up_budget++;
                        e->c.timeouts++;
                        finish(e, slot, q->malformed_seen ? ENGINE_MALFORMED : ENGINE_TIMEOUT,
                               NULL);
                        continue;
                }
                if (rate_available(&e->rate, now) < 1)
                        return;
                int r = resolvers_pick(e->cfg.resolvers, q->attempts ? (int)q->resolver : -1,
                                       &e->cursor, now);
                if (r < 0)
                        return;
                rate_take(&e->rate, now);
                e->wq_head = (e->wq_head + 1) % e->table.nslots;
                e->wq_len--;
                q->waiting = false;
                q->resolver = (uint16_t)r;
                transmit(e, slot, now);
        }
}

static void finish(struct engine *e, uint32_t slot, enum engine_status st,
                   const struct wire_reply *reply)
{
        struct query *q = &e->table.slots[slot];
        struct engine_result res = {
            .token = q->token,
            .status = st,
            .pkt = reply ? reply->pkt : NULL,
            .len = reply ? reply->len : 0,
            .reply = reply,
            .attempts = q->attempts,
            .resolver = q->resolver,
        };
        inflight_release(&e->table, slot);
        e->ops.done(e->ops.ctx, &res);
}

/* Another attempt on another resolver, or false when attempts or the budget ran out. */
static bool retry(struct engine *e, uint32_t slot, uint64_t now)
{
        struct query *q = &e->table.slots[slot];
        if ((unsigned)(q->attempts - q->tc_switches - q->free_resends) > e->cfg.retries)
                return false;
        if (q->give_up_ms && now >= q->give_up_ms) {
                e->c.gave_up_budget++;
                return false;
        }
        e->c.retried++;
        start_attempt(e, slot, now);
        return true;
}

/* A reply that matched its query: final, a retry, or a switch to TCP. */
static void accept_reply(struct engine *e, uint32_t slot, const struct wire_reply *reply)
{
        const uint8_t *pkt = reply->pkt;
        struct query *q = &e->table.slots[slot];
        struct resolver *r = &e->cfg.resolvers->v[q->resolver];
        uint64_t now = uv_now(e->loop);
        bool via_tcp = q->tcp;
        inflight_unlink(&e->table, slot);
        uncount(e, q);
        int rcode = wire_rcode_of(pkt);
        uint64_t rtt_us = now_us() - q->sent_us;
        e->c.answered++;
        e->c.rcode[rcode]++;
        r->stats.answered++;
        cc_on_answer(&r->cc, q->sent_us / 1000, rtt_us); /* any rcode is a delivery */
        if (rcode != WIRE_RCODE_REFUSED)
                resolver_note_answer(r, rtt_us, now);
        if (wire_tc(pkt) && !via_tcp) {
                e->c.truncated++;
                r->stats.truncated++;
                if (e->tcp && q->tc_switches < DS_RETRIES_MAX_TCP) {
                        q->want_tcp = true;
                        q->tc_switches++;
                        transmit(e, slot, now); /* the same resolver, now over TCP */
                        return;
                }
        }
        if (rcode == WIRE_RCODE_SERVFAIL || rcode == WIRE_RCODE_REFUSED) {
                if (rcode == WIRE_RCODE_SERVFAIL) {
                        r->stats.servfail++;
                } else {
                        r->stats.refused++;
                        resolver_note_failure(r, now);
                }
                if (retry(e, slot, now))
                        return;
        } else if (rcode != WIRE_RCODE_NOERROR && rcode != WIRE_RCODE_NXDOMAIN) {
                r->stats.other_rcode++;
        }
        finish(e, slot, ENGINE_REPLY, reply);
}

/* Question check; with 0x20 the case must be the one we sent. */
static bool question_ok(struct engine *e, struct query *q, const uint8_t *pkt, size_t len)
{
        const uint8_t *qn = q->pkt + WIRE_HEADER_LEN;
        int m = wire_question_match(pkt, len, qn, q->qname_len, q->qtype, e->cfg.case_randomize);
        if (m > 0)
                return true;
        if (m < 0) {
                e->c.drop_malformed++;
                q->malformed_seen = true;
        } else if (e->cfg.case_randomize &&
                   wire_question_match(pkt, len, qn, q->qname_len, q->qtype, false) > 0)
                e->c.drop_wrong_case++;
        else
                e->c.drop_wrong_question++;
        e->cfg.resolvers->v[q->resolver].stats.mismatched++;
        return false;
}

/* A reply that matches but does not parse is dropped like a forgery: the real answer may
 * still come (or a retry gets one); only if none does is the lookup MALFORMED. The parse in
 * r goes with the reply to the caller, which need not parse it again. */
static bool parses(struct engine *e, struct query *q, const uint8_t *pkt, size_t len,
                   struct wire_reply *r)
{
        if (wire_reply_parse(r, pkt, len) == 0)
                return true;
        e->c.drop_malformed++;
        q->malformed_seen = true;
        return false;
}

/* An unknown id from a resolver that has attempts presumed lost is most likely the late
 * answer to one of them: its congestion controller learns that the loss was only delay.
 * Bounded by the presumed-lost count, so forged replies cannot undo more than that. */
static void note_late(struct engine *e, const struct sockaddr *from)
{
        struct resolver_list *l = e->cfg.resolvers;
        for (size_t i = 0; i < l->n && i < DS_LATE_SCAN_MAX; i++) {
                struct resolver *r = &l->v[i];
                if (r->presumed_lost > 0 && resolver_addr_equal(r, from)) {
                        r->presumed_lost--;
                        cc_on_late_answer(&r->cc, uv_now(e->loop));
                        return;
                }
        }
}

static void on_datagram(struct engine *e, unsigned sock, const uint8_t *pkt, size_t len,
                        const struct sockaddr *from)
{
        e->turn_rx++;
        if (len < WIRE_HEADER_LEN) {
                e->c.drop_malformed++;
                return;
        }
        uint32_t slot = inflight_find(&e->table, (uint16_t)sock, wire_id(pkt));
        if (slot == INFLIGHT_NONE) {
                e->c.drop_unknown_id++; /* late, duplicate or forged */
                note_late(e, from);
                return;
        }
        struct query *q = &e->table.slots[slot];
        if (!resolver_addr_equal(&e->cfg.resolvers->v[q->resolver], from)) {
                e->c.drop_wrong_source++;
                return;
        }
        struct wire_reply r;
        if (question_ok(e, q, pkt, len) && parses(e, q, pkt, len, &r))
                accept_reply(e, slot, &r);
}

/* The lines of a query slot that matching reads: its head and the question it sent. */
#define SLOT_LINES 3

/* Before a batch is handled: start fetching the query slots its replies match, then (once
 * a slot's token can be read) what the caller's done() will touch. Each reply was last
 * looked at a round trip ago, thousands of queries back: handled one by one, every one
 * waited for those cache misses in turn; fetched together, they overlap. Hints only: the
 * replies are matched again, one by one, as they are handled. */
static void prefetch_batch(struct engine *e, unsigned sock, const struct udp_datagram *v,
                           unsigned n)
{
        uint32_t slot[DS_RECV_BATCH];
        for (unsigned i = 0; i < n; i++) {
                slot[i] = v[i].len < WIRE_HEADER_LEN
                              ? INFLIGHT_NONE
                              : inflight_find(&e->table, (uint16_t)sock, wire_id(v[i].pkt));
                if (slot[i] == INFLIGHT_NONE)
                        continue;
                const char *q = (const char *)&e->table.slots[slot[i]];
                for (unsigned k = 0; k < SLOT_LINES; k++)
                        __builtin_prefetch(q + 64 * k);
        }
        if (!e->ops.prefetch)
                return;
        for (unsigned i = 0; i < n; i++)
                if (slot[i] != INFLIGHT_NONE)
                        e->ops.prefetch(e->ops.ctx, e->table.slots[slot[i]].token, v[i].len);
}

static void on_datagrams(void *ctx, unsigned sock, const struct udp_datagram *v, unsigned n)
{
        struct engine *e = ctx;
        if (n > 1)
                prefetch_batch(e, sock, v, n);
        for (unsigned i = 0; i < n; i++)
                on_datagram(e, sock, v[i].pkt, v[i].len, v[i].from);
}

static void on_tcp_reply(void *ctx, uint32_t slot, const uint8_t *pkt, size_t len)
{
        struct engine *e = ctx;
        struct query *q = &e->table.slots[slot];
        if (!q->linked || !q->tcp || wire_id(pkt) != q->id) {
                e->c.drop_unknown_id++;
                return;
        }
        struct wire_reply r;
        if (question_ok(e, q, pkt, len) && parses(e, q, pkt, len, &r))
                accept_reply(e, slot, &r);
        tcpq_drain(e, uv_now(e->loop)); /* a pending place on a connection came free */
}

/* A timeout, or a TCP connection that died under the query. */
static void attempt_failed(struct engine *e, uint32_t slot, uint64_t now)
{
        struct query *q = &e->table.slots[slot];
        struct resolver *r = &e->cfg.resolvers->v[q->resolver];
        inflight_unlink(&e->table, slot);
        uncount(e, q);
        r->stats.timeouts++;
        if (cc_congestion_loss(&r->cc, q->sent_us / 1000)) {
                /* Lost while the resolver was over capacity: not the domain's fault, so the
                 * resend (once the window allows) does not use up a retry. Bounded by the
                 * lookup's budget and DS_CONGESTION_RESENDS. */
                r->stats.congestion_losses++;
                if (q->free_resends < DS_CONGESTION_RESENDS &&
                    !(q->give_up_ms && now >= q->give_up_ms)) {
                        q->free_resends++;
                        e->c.congestion_resends++;
                        start_attempt(e, slot, now);
                        return;
                }
        } else {
                resolver_note_failure(r, now);
        }
        if (!retry(e, slot, now)) {
                e->c.timeouts++;
                finish(e, slot, q->malformed_seen ? ENGINE_MALFORMED : ENGINE_TIMEOUT, NULL);
        }
}

static void on_tcp_lost(void *ctx, uint32_t slot)
{
        struct engine *e = ctx;
        struct query *q = &e->table.slots[slot];
        if (e->closing || !q->linked || !q->tcp)
                return;
        attempt_failed(e, slot, uv_now(e->loop));
}

static void admit_and_send(struct engine *e)
{
        if (e->closing)
                return;
        /* Answers free room in the windows every loop turn, not just every tick. */
        drain_waiting(e, uv_now(e->loop));
        /* A few hundred new queries per loop turn: replies then clock further admissions, so a
         * cold start does not drop thousands of datagrams into a server's receive buffer. */
        unsigned room = engine_room(e);
        if (room > DS_ADMIT_BURST)
                room = DS_ADMIT_BURST;
        if (room)
                e->ops.admit(e->ops.ctx, room);
        if (!e->closing) /* admission may have ended the scan */
                udp_flush(&e->udp);
}

static void attempt_failed(struct engine *e, uint32_t slot, uint64_t now);

/* RACK-like (RFC 8985): UDP attempts to resolver r sent before lost_before_ms and still
 * unanswered, now that its congestion controller judged their time lost, are failed now
 * rather than at their timeout: attempt_failed resends them without using a retry. The
 * deadline lists are in send order, so each walk stops at the first later send (resends go
 * to the tails with a send time of now, past the boundary). */
static void expire_lost(struct engine *e, unsigned r, uint64_t lost_before_ms, uint64_t now)
{
        for (unsigned l = 0; l < DS_DEADLINE_LISTS; l++) {
                uint32_t slot = e->table.lists[l].head;
                while (slot != INFLIGHT_NONE) {
                        struct query *q = &e->table.slots[slot];
                        uint32_t next = q->next;
                        if (q->sent_us / 1000 >= lost_before_ms)
                                break;
                        if (q->resolver == r && !q->tcp) {
                                e->c.presumed_lost++;
                                e->cfg.resolvers->v[r].presumed_lost++;
                                attempt_failed(e, slot, now);
                        }
                        slot = next;
                }
        }
}

static void congestion_tick(struct engine *e, uint64_t now)
{
        struct resolver_list *l = e->cfg.resolvers;
        uint64_t window = 0, cuts = 0;
        bool sample = cc_history_due(&e->history, now);
        for (size_t i = 0; i < l->n; i++) {
                struct cc *c = &l->v[i].cc;
                uint64_t lost_before = cc_tick(c, now, e->cfg.timeout_ms, l->v[i].inflight);
                if (lost_before)
                        expire_lost(e, (unsigned)i, lost_before, now);
                window += cc_window(c);
                cuts += c->stats.loss_cuts + c->stats.delay_cuts;
                if (sample)
                        cc_history_add(&e->history, (unsigned)i, c);
        }
        e->c.window = window > UINT32_MAX ? UINT32_MAX : (unsigned)window;
        e->c.window_cuts = cuts;
}

static void on_tick(uv_timer_t *t)
{
        struct engine *e = t->data;
        uint64_t now = uv_now(e->loop);
        uint32_t slot;
        /* Windows first: an expiry then sees whether its send fell in a congestion episode. */
        congestion_tick(e, now);
        while ((slot = inflight_expired(&e->table, now)) != INFLIGHT_NONE) {
                struct query *q = &e->table.slots[slot];
                if (q->tcp && e->tcp)
                        tcp_forget(e->tcp, q->sock == UINT16_MAX ? -1 : q->sock, slot);
                attempt_failed(e, slot, now);
        }
        tcpq_drain(e, now);
        if (e->tcp)
                tcp_pool_tick(e->tcp, now);
        admit_and_send(e);
}

static void on_check(uv_check_t *c)
{
        admit_and_send(c->data);
}

/* Runs just before the loop polls. Woken by every few datagrams, the loop thread spent more
 * CPU sleeping and waking (a context switch each, dear on a VM) than on the datagrams; with
 * many queries in flight, more replies are surely on their way: a short pause lets them
 * gather in the socket buffers so that the next turn takes them in one batch, and lets the
 * classifiers and a local resolver run meanwhile. Idle or nearly idle scans never pause. */
static void on_coalesce(uv_prepare_t *p)
{
        struct engine *e = p->data;
        unsigned rx = e->turn_rx;
        e->turn_rx = 0;
        if (!e->cfg.coalesce_us || rx >= DS_COALESCE_RX ||
            e->table.nslots - e->table.nfree < DS_COALESCE_INFLIGHT)
                return;
        struct timespec ts = {0, (long)e->cfg.coalesce_us * 1000L};
        nanosleep(&ts, NULL);
        e->c.coalesce_pauses++;
}

static int check_config(const struct engine_config *cfg, char *err, size_t errlen)
{
        if (cfg->resolvers->n == 0 || cfg->sockets == 0) {
                snprintf(err, errlen, "no resolver or no socket to query with");
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
                return -EINVAL;
        }
        return 0;
}

static void handle_closed(struct engine *e)
{
        if (ds_fails(e->open_handles > 0))
                return;
        if (--e->open_handles == 0 && e->free_when_closed)
                engine_free(e);
}

static void on_udp_closed(uv_handle_t *h)
{
        const struct udp_sock *s = h->data;
        handle_closed(s->set->ctx);
}

static void on_own_closed(uv_handle_t *h)
{
        handle_closed(h->data);
}

/* A constructor that failed after opening handles: close them; the caller's loop runs the
 * close callbacks, and the last one frees the engine. */
static int fail_open(struct engine *e, int rc)
{
        engine_close(e);
        e->free_when_closed = true;
        if (e->open_handles == 0)
                engine_free(e);
        return rc;
}

int engine_new(struct engine **out, uv_loop_t *loop, const struct engine_config *cfg,
               const struct engine_ops *ops, char *err, size_t errlen)
{
        *out = NULL;
        int rc = check_config(cfg, err, errlen);
        if (rc < 0)
                return rc;
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
        /* Everything that only allocates comes first: a failure then has nothing to close. */
        rc = inflight_init(&e->table, cfg->concurrency, cfg->sockets * (v4 + v6));
        e->waitq = malloc(cfg->concurrency * sizeof(*e->waitq));
        e->tcpq = malloc(cfg->concurrency * sizeof(*e->tcpq));
        if (rc == 0)
                rc = cc_history_init(&e->history, (unsigned)cfg->resolvers->n);
        if (rc == 0 && cfg->tcp)
                rc = tcp_pool_new(&e->tcp, loop, cfg->resolvers, on_tcp_reply, on_tcp_lost, e);
        if (rc < 0 || !e->waitq || !e->tcpq) {
                snprintf(err, errlen, "in-flight table for %u queries: out of memory",
                         cfg->concurrency);
                engine_free(e);
                return -ENOMEM;
        }
        rate_init(&e->rate, cfg->rate_qps);
        for (size_t i = 0; i < cfg->resolvers->n; i++) {
                cc_init(&cfg->resolvers->v[i].cc, cfg->concurrency, cfg->adaptive);
                cfg->resolvers->v[i].inflight = 0;
        }
        congestion_tick(e, uv_now(loop));
        uv_timer_init(loop, &e->tick);
        e->tick.data = e;
        uv_check_init(loop, &e->check);
        e->check.data = e;
        uv_prepare_init(loop, &e->coalesce);
        e->coalesce.data = e;
        e->open_handles = 3;
        rc = udp_set_open(&e->udp, loop, cfg->sockets, v4, v6, !cfg->no_gso, on_datagrams, e, err,
                          errlen);
        if (rc < 0)
                return fail_open(e, rc);
        uv_timer_start(&e->tick, on_tick, DS_TICK_MS, DS_TICK_MS);
        uv_check_start(&e->check, on_check);
        uv_prepare_start(&e->coalesce, on_coalesce);
        *out = e;
        return 0;
}

int engine_query(struct engine *e, uint32_t token, const uint8_t *qname, size_t qname_len,
                 uint16_t qtype, unsigned flags, uint64_t give_up_ms)
{
        uint32_t slot = inflight_alloc(&e->table);
        if (slot == INFLIGHT_NONE)
                return -EBUSY;
        struct query *q = &e->table.slots[slot];
        int n = wire_query_encode(q->pkt, sizeof(q->pkt), 0, qname, qname_len, qtype,
                                  WIRE_Q_RD | (flags & (WIRE_Q_DO | WIRE_Q_CD)));
        if (n < 0) {
                inflight_release(&e->table, slot);
                return n;
        }
        q->pkt_len = (uint16_t)n;
        q->qname_len = (uint16_t)qname_len;
        q->qtype = qtype;
        q->token = token;
        q->give_up_ms = give_up_ms;
        q->want_tcp = false;
        q->tc_switches = 0;
        q->malformed_seen = false;
        q->waiting = false;
        q->tcp = false;
        q->counted = false;
        q->free_resends = 0;
        e->c.lookups++;
        start_attempt(e, slot, uv_now(e->loop));
        return 0;
}

uint64_t engine_now(const struct engine *e)
{
        return uv_now(e->loop);
}

unsigned engine_inflight(const struct engine *e)
{
        return inflight_used(&e->table);
}

unsigned engine_room(const struct engine *e)
{
        if (e->wq_len)
                return 0; /* queries already wait for a window or token: more would only queue */
        uint64_t open = 0;
        const struct resolver_list *l = e->cfg.resolvers;
        for (size_t i = 0; i < l->n && open < e->table.nfree; i++) {
                unsigned w = cc_window(&l->v[i].cc);
                if (w > l->v[i].inflight)
                        open += w - l->v[i].inflight;
        }
        return open < e->table.nfree ? (unsigned)open : e->table.nfree;
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

const struct tcp_stats *engine_tcp_stats(const struct engine *e)
{
        static const struct tcp_stats none;
        return e->tcp ? tcp_pool_stats(e->tcp) : &none;
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
        e->open_handles += udp_set_close(&e->udp, on_udp_closed);
        if (e->tcp)
                tcp_pool_close(e->tcp);
        uv_close((uv_handle_t *)&e->tick, on_own_closed);
        uv_close((uv_handle_t *)&e->check, on_own_closed);
        uv_close((uv_handle_t *)&e->coalesce, on_own_closed);
}

void engine_free(struct engine *e)
{
        if (!e)
                return;
        udp_set_free(&e->udp);
        tcp_pool_free(e->tcp);
        inflight_free(&e->table);
        cc_history_free(&e->history);
        free(e->waitq);
        free(e->tcpq);
        free(e);
}

const struct cc_history *engine_cc_history(const struct engine *e)
{
        return &e->history;
}

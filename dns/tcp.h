/* tcp.h -- DNS over TCP to the resolvers (RFC 7766), for answers that came back truncated.
 * Contract: at most DS_TCP_CONNS connections per resolver, opened on demand; up to
 * DS_TCP_PIPELINE queries pipelined on each with 2-byte length framing; replies may come in
 * any order and are handed to reply_fn by id (the engine still checks the question). A
 * connection idle for DS_TCP_IDLE_MS is closed. When a connection fails or the server
 * closes it, each query still waiting on it goes to lost_fn (the engine decides on a retry).
 * Loop thread only; allocation only when a connection opens and per write (a rare path). */
#ifndef DS_TCP_H
#define DS_TCP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "dns/resolvers.h"

typedef void (*tcp_reply_fn)(void *ctx, uint32_t slot, const uint8_t *pkt, size_t len);
typedef void (*tcp_lost_fn)(void *ctx, uint32_t slot);

struct tcp_stats {
        uint64_t connects, connect_failures, queries, replies, unknown_id, lost;
};

struct tcp_pool;

int tcp_pool_new(struct tcp_pool **out, uv_loop_t *loop, const struct resolver_list *rl,
                 tcp_reply_fn reply_fn, tcp_lost_fn lost_fn, void *ctx);

/* Queue the query (pkt, len; its id already set) for resolver r. The bytes are copied.
 * Returns the connection number (for tcp_forget), -EEXIST when the chosen connection already
 * waits for a reply with this id (draw another), -EBUSY when every connection to r is full,
 * or another -errno. */
int tcp_send(struct tcp_pool *p, unsigned resolver, uint32_t slot, uint16_t id, const uint8_t *pkt,
             size_t len);

/* The query in slot is no longer wanted on connection conn (it timed out). */
void tcp_forget(struct tcp_pool *p, int conn, uint32_t slot);

/* Close idle connections. */
void tcp_pool_tick(struct tcp_pool *p, uint64_t now_ms);

const struct tcp_stats *tcp_pool_stats(const struct tcp_pool *p);

/* Close every connection without reporting waiting queries; free after uv_run returns. */
void tcp_pool_close(struct tcp_pool *p);
void tcp_pool_free(struct tcp_pool *p);

#endif

/* tcp.c -- pipelined DNS-over-TCP connections per resolver, opened on demand. */
#include "dns/tcp.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "dns/limits.h"

enum conn_state { CONN_FREE = 0, CONN_CONNECTING, CONN_READY, CONN_CLOSING };

struct pending {
        uint32_t slot;
        uint16_t id;
};

struct conn {
        uv_tcp_t handle;
        uv_connect_t connect_req;
        struct tcp_pool *pool;
        int idx;
        unsigned resolver;
        enum conn_state state;
        struct pending pend[DS_TCP_PIPELINE];
        unsigned npend;
        uint8_t *rbuf; /* the stream so far: whole messages are cut off its front */
        size_t rlen;
        uint64_t last_active;
};

struct write_req {
        uv_write_t req;
        uint8_t buf[2 + DS_QUERY_MAX];
};

struct tcp_pool {
        uv_loop_t *loop;
        const struct resolver_list *rl;
        tcp_reply_fn reply_fn;
        tcp_lost_fn lost_fn;
        void *ctx;
        struct conn *conns; /* DS_TCP_CONNS per resolver */
        unsigned nconns;
        unsigned closing_handles;
        bool shutting_down;
        struct tcp_stats stats;
};

#define RBUF_CAP (2 + 65535 + 4096)

static void on_closed(uv_handle_t *h)
{
        struct conn *c = h->data;
        free(c->rbuf);
        c->rbuf = NULL;
        c->rlen = 0;
        c->state = CONN_FREE;
        c->pool->closing_handles--;
}

/* Tell the engine about every query still waiting, then close. */
static void conn_fail(struct conn *c)
{
        struct tcp_pool *p = c->pool;
        unsigned n = c->npend;
        struct pending pend[DS_TCP_PIPELINE];
        memcpy(pend, c->pend, n * sizeof(pend[0]));
        c->npend = 0;
        if (c->state != CONN_CLOSING && c->state != CONN_FREE) {
                c->state = CONN_CLOSING;
                p->closing_handles++;
                uv_close((uv_handle_t *)&c->handle, on_closed);
        }
        if (p->shutting_down)
                return;
        for (unsigned i = 0; i < n; i++) {
                p->stats.lost++;
                p->lost_fn(p->ctx, pend[i].slot);
        }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void)suggested;
        struct conn *c = h->data;
        *buf = uv_buf_init((char *)c->rbuf + c->rlen, (unsigned)(RBUF_CAP - c->rlen));
}

static int take_pending(struct conn *c, uint16_t id, uint32_t *slot)
{
        for (unsigned i = 0; i < c->npend; i++) {
                if (c->pend[i].id != id)
                        continue;
                *slot = c->pend[i].slot;
                c->pend[i] = c->pend[--c->npend];
                return 0;
        }
        return -ENOENT;
}

/* Hand over every complete message at the front of the buffer. */
static void deliver(struct conn *c)
{
        struct tcp_pool *p = c->pool;
        size_t off = 0;
        while (c->rlen - off >= 2) {
                size_t mlen = (size_t)c->rbuf[off] << 8 | c->rbuf[off + 1];
                if (c->rlen - off - 2 < mlen)
                        break;
                const uint8_t *msg = c->rbuf + off + 2;
                off += 2 + mlen;
                uint32_t slot;
                if (mlen < 12 || take_pending(c, (uint16_t)(msg[0] << 8 | msg[1]), &slot) < 0) {
                        p->stats.unknown_id++;
                        continue;
                }
                p->stats.replies++;
                p->reply_fn(p->ctx, slot, msg, mlen);
                if (c->state != CONN_READY)
                        return; /* the callback may have failed the connection */
        }
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
        (void)buf;
        struct conn *c = s->data;
        if (nread < 0) {
                conn_fail(c); /* EOF or reset: the server may close idle or busy connections */
                return;
        }
        c->rlen += (size_t)nread;
        c->last_active = uv_now(c->pool->loop);
        deliver(c);
        if (c->state == CONN_READY && c->rlen == RBUF_CAP)
                conn_fail(c); /* cannot happen with 2-byte lengths; never spin on a full buffer */
}

static void on_connect(uv_connect_t *req, int status)
{
        struct conn *c = req->data;
        if (c->state != CONN_CONNECTING)
                return;
        if (status < 0) {
                c->pool->stats.connect_failures++;
                conn_fail(c);
                return;
        }
        c->state = CONN_READY;
        c->last_active = uv_now(c->pool->loop);
        uv_read_start((uv_stream_t *)&c->handle, on_alloc, on_read);
}

static int conn_open(struct conn *c)
{
        struct tcp_pool *p = c->pool;
        c->rbuf = ds_xmalloc(RBUF_CAP, "a TCP receive buffer"); /* policy: common/check.h */
        c->rlen = 0;
        c->npend = 0;
        uv_tcp_init(p->loop, &c->handle);
        c->handle.data = c;
        c->connect_req.data = c;
        int rc = uv_tcp_connect(&c->connect_req, &c->handle,
                                (const struct sockaddr *)&p->rl->v[c->resolver].addr, on_connect);
        c->state = CONN_CONNECTING;
        p->stats.connects++;
        if (rc < 0) {
                p->stats.connect_failures++;
                c->state = CONN_CLOSING;
                p->closing_handles++;
                uv_close((uv_handle_t *)&c->handle, on_closed);
                return rc;
        }
        c->last_active = uv_now(p->loop);
        return 0;
}

static void on_written(uv_write_t *req, int status)
{
        struct conn *c = req->handle->data;
        free(req);
        if (status < 0 && status != UV_ECANCELED && c->state == CONN_READY)
                conn_fail(c);
}

/* The least loaded usable connection to resolver r, opening one when that helps. */
static struct conn *pick(struct tcp_pool *p, unsigned r)
{
        struct conn *best = NULL, *spare = NULL;
        for (unsigned i = 0; i < DS_TCP_CONNS; i++) {
                struct conn *c = &p->conns[r * DS_TCP_CONNS + i];
                if (c->state == CONN_FREE && !spare)
                        spare = c;
                if ((c->state == CONN_READY || c->state == CONN_CONNECTING) &&
                    c->npend < DS_TCP_PIPELINE && (!best || c->npend < best->npend))
                        best = c;
        }
        /* Pipelining shares one connection until it is a quarter full, then spreads. */
        if (spare && (!best || best->npend >= DS_TCP_PIPELINE / 4) && conn_open(spare) == 0)
                return spare;
        return best;
}

int tcp_send(struct tcp_pool *p, unsigned resolver, uint32_t slot, uint16_t id, const uint8_t *pkt,
             size_t len)
{
        if (len > DS_QUERY_MAX)
                return -EMSGSIZE;
        struct conn *c = pick(p, resolver);
        if (!c)
                return -EBUSY;
        for (unsigned i = 0; i < c->npend; i++)
                if (c->pend[i].id == id)
                        return -EEXIST; /* replies are matched by id: never two alike on a stream */
        struct write_req *w = ds_xmalloc(sizeof(*w), "a TCP write");
        w->buf[0] = (uint8_t)(len >> 8);
        w->buf[1] = (uint8_t)len;
        memcpy(w->buf + 2, pkt, len);
        uv_buf_t b = uv_buf_init((char *)w->buf, (unsigned)(len + 2));
        /* libuv queues writes on a connecting stream until the connection is up. */
        int rc = uv_write(&w->req, (uv_stream_t *)&c->handle, &b, 1, on_written);
        if (rc < 0) {
                free(w);
                return rc;
        }
        c->pend[c->npend++] = (struct pending){.slot = slot, .id = id};
        c->last_active = uv_now(p->loop);
        p->stats.queries++;
        return c->idx;
}

void tcp_forget(struct tcp_pool *p, int conn, uint32_t slot)
{
        if (conn < 0 || (unsigned)conn >= p->nconns)
                return;
        struct conn *c = &p->conns[conn];
        for (unsigned i = 0; i < c->npend; i++)
                if (c->pend[i].slot == slot) {
                        c->pend[i] = c->pend[--c->npend];
                        return;
                }
}

void tcp_pool_tick(struct tcp_pool *p, uint64_t now_ms)
{
        for (unsigned i = 0; i < p->nconns; i++) {
                struct conn *c = &p->conns[i];
                if (c->state == CONN_READY && c->npend == 0 &&
                    now_ms - c->last_active >= DS_TCP_IDLE_MS)
                        conn_fail(c);
        }
}

int tcp_pool_new(struct tcp_pool **out, uv_loop_t *loop, const struct resolver_list *rl,
                 tcp_reply_fn reply_fn, tcp_lost_fn lost_fn, void *ctx)
{
        struct tcp_pool *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->nconns = (unsigned)rl->n * DS_TCP_CONNS;
        p->conns = calloc(p->nconns, sizeof(*p->conns));
        if (!p->conns) {
                free(p);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < p->nconns; i++) {
                p->conns[i].pool = p;
                p->conns[i].idx = (int)i;
                p->conns[i].resolver = i / DS_TCP_CONNS;
        }
        p->loop = loop;
        p->rl = rl;
        p->reply_fn = reply_fn;
        p->lost_fn = lost_fn;
        p->ctx = ctx;
        *out = p;
        return 0;
}

const struct tcp_stats *tcp_pool_stats(const struct tcp_pool *p)
{
        return &p->stats;
}

void tcp_pool_close(struct tcp_pool *p)
{
        p->shutting_down = true;
        for (unsigned i = 0; i < p->nconns; i++)
                if (p->conns[i].state == CONN_READY || p->conns[i].state == CONN_CONNECTING)
                        conn_fail(&p->conns[i]);
}

void tcp_pool_free(struct tcp_pool *p)
{
        if (!p)
                return;
        for (unsigned i = 0; i < p->nconns; i++)
                free(p->conns[i].rbuf);
        free(p->conns);
        free(p);
}

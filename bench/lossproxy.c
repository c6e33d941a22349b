/* lossproxy.c -- a UDP DNS proxy on loopback that misbehaves the way real resolvers and
 * networks do: it drops, delays, forges, rate-limits and caps outstanding queries.
 *
 * Usage: lossproxy --upstream PORT [--port PORT] [--drop PCT] [--delay MS] [--forge PCT]
 *                  [--capacity QPS] [--capacity-at S:QPS ...] [--max-outstanding N]
 *                  [--seed N] [--sockets N] [--stats] [--max-seconds S]
 *
 * Listens on 127.0.0.1:PORT (0, the default, picks a free port), prints the port it listens
 * on as the only line on stdout, and forwards every query it does not drop to
 * 127.0.0.1:UPSTREAM over one of N connected upstream sockets (default 8). Each forwarded
 * query gets a fresh id from its upstream socket's 65536-entry table, which remembers the
 * client's address and original id; the reply is matched by (socket, id), its id restored and
 * sent back to that client. So ids of different clients never collide upstream. A query whose
 * reply has not come back after STALE_S seconds is forgotten (counted "expired").
 *
 * What happens to a query, in order (each drop is silent, as on a real network or resolver):
 *   --drop PCT         lost on the way with probability PCT % (default 5, fractions allowed);
 *   --capacity QPS     a token bucket (burst: BURST_S worth of tokens) drops what exceeds the
 *                      rate, like a resolver's rate limit; 0 (default) is unlimited.
 *                      --capacity-at S:QPS (repeatable) changes the rate S seconds after the
 *                      first query, e.g. --capacity 20000 --capacity-at 4:10000
 *                      --capacity-at 8:20000;
 *   --max-outstanding N dropped while N forwarded queries have no reply relayed yet (a full
 *                      request list, as Unbound's num-queries-per-thread); 0 = no limit.
 * And to a reply:
 *   --forge PCT        before PCT % of the replies the client first gets three forged answers
 *                      (NXDOMAIN, no records): the real question with a wrong id from the
 *                      proxy's own port; the right id and question from another port; the
 *                      right id from the right port but another QTYPE. A client that matches
 *                      replies correctly (id, source, question) drops all three;
 *   --delay MS         the reply is held MS milliseconds (fractions allowed) before it is
 *                      relayed (forgeries are not held: they arrive first). The delay is
 *                      constant, so a FIFO ring is the timer queue; it grows on demand up to
 *                      HOLD_MAX replies.
 * Replies are never dropped by choice. Random choices come from a splitmix64 seeded with
 * --seed (default 1): the same query sequence sees the same drops and forgeries.
 *
 * --stats prints one line a second on stderr ("lossproxy-stats: t S queries N ..." with the
 * second's counts, the gauges outstanding and held_now, and the capacity in the middle of
 * that second). Exits on SIGTERM or SIGINT, and
 * after --max-seconds (default 3600, a safety bound), printing its totals on stderr as
 * "lossproxy: queries N dropped N ..." (name/value pairs).
 *
 * One thread: epoll over the client socket and the upstream sockets, recvmmsg/sendmmsg in
 * batches of BATCH datagrams. Only 127.0.0.1 is used. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* recvmmsg, sendmmsg, SO_RCVBUFFORCE */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH        64
#define MSG_MAX      4096 /* larger datagrams are dropped (Knot here answers <= 1232) */
#define HOLD_MSG     1500 /* a held reply's room; larger replies are relayed at once */
#define HOLD_MIN     4096
#define HOLD_MAX     (1u << 18) /* held replies at most (~400 MB); more are relayed at once */
#define FORGE_MSG    (12 + 256 + 4)
#define NFORGE       3 /* forgeries per forged reply */
#define SOCKETS_MAX  64
#define STALE_S      5  /* an unanswered query is forgotten after this long */
#define ID_TRIES     64 /* table entries tried for a free id before giving up on a query */
#define ROUNDS       8  /* batches read from one socket per epoll wakeup (fairness) */
#define SOCKBUF      (32 * 1024 * 1024)
#define DNS_HDR      12
#define BURST_S      0.05 /* token bucket depth, in seconds of capacity */
#define SCHEDULE_MAX 32
#define IDLE_MS      200 /* longest epoll wait (stats, --max-seconds) */

struct slot {
        struct sockaddr_in client;
        uint32_t stamp; /* seconds since start when forwarded */
        uint16_t orig_id;
        uint8_t used;
};

struct upstream {
        int fd;
        uint16_t next_id;
        struct slot *tab; /* 65536 entries, indexed by the id sent upstream */
};

struct held {
        double due;
        struct sockaddr_in client;
        uint16_t len;
        unsigned char msg[HOLD_MSG];
};

/* Replies waiting for their due time, oldest first (the delay is constant). */
struct hold_ring {
        struct held *e;
        unsigned cap, head, n; /* cap is a power of two */
};

struct counters {
        unsigned long long queries, dropped, over_capacity, full, forwarded, replies, unknown, busy,
            send_fail, short_msg, reply_fail, forged, expired, held, hold_full;
};

struct change {
        double at_s;
        double qps;
};

struct config {
        long port, upstream, seed;
        int nups;
        double drop_p, forge_p, delay_s, max_seconds;
        unsigned long max_outstanding;
        struct change sched[SCHEDULE_MAX + 1]; /* sched[0]: --capacity at 0 s */
        int nsched;
        int stats;
};

/* The whole mutable state of the proxy. */
struct proxy {
        struct config cfg;
        struct upstream ups[SOCKETS_MAX];
        int cfd; /* clients talk to this socket */
        int ffd; /* forgeries with the right id come from here (another port) */
        int rr;  /* next upstream socket */
        uint64_t rng;
        double t0, now; /* monotonic seconds; now is relative to t0 */
        uint32_t now_s;
        double first_query; /* now of the first query, < 0 before it */
        double tokens, tokens_at;
        unsigned long outstanding;
        unsigned long held_peak;
        struct hold_ring hold;
        struct counters cnt, last; /* last: at the previous stats line */
        /* batch buffers */
        struct mmsghdr msgs[BATCH], out[BATCH], fout[NFORGE][BATCH];
        struct iovec iovs[BATCH], fiov[NFORGE][BATCH];
        struct sockaddr_in addrs[BATCH], faddr[BATCH];
        unsigned char bufs[BATCH][MSG_MAX];
        unsigned char forged[NFORGE][BATCH][FORGE_MSG];
        int slot_of[BATCH];
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
        (void)sig;
        stop_flag = 1;
}

static uint64_t splitmix64(uint64_t *state)
{
        uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static int chance(struct proxy *p, double prob)
{
        return prob > 0 && (double)(splitmix64(&p->rng) >> 11) * 0x1.0p-53 < prob;
}

static double monotonic(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void set_bufs(int fd)
{
        int v = SOCKBUF;
        /* FORCE ignores rmem_max/wmem_max but needs CAP_NET_ADMIN; fall back quietly */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) != 0)
                (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) != 0)
                (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
}

static int udp_socket(void)
{
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
                perror("lossproxy: socket");
                exit(1);
        }
        set_bufs(fd);
        return fd;
}

static void prepare_recv(struct proxy *p)
{
        for (int i = 0; i < BATCH; i++) {
                p->iovs[i].iov_base = p->bufs[i];
                p->iovs[i].iov_len = MSG_MAX;
                memset(&p->msgs[i].msg_hdr, 0, sizeof p->msgs[i].msg_hdr);
                p->msgs[i].msg_hdr.msg_iov = &p->iovs[i];
                p->msgs[i].msg_hdr.msg_iovlen = 1;
                p->msgs[i].msg_hdr.msg_name = &p->addrs[i];
                p->msgs[i].msg_hdr.msg_namelen = sizeof p->addrs[i];
                p->msgs[i].msg_len = 0;
        }
}

static void set_msg(struct mmsghdr *m, struct iovec *iov, void *buf, size_t len,
                    struct sockaddr_in *to)
{
        iov->iov_base = buf;
        iov->iov_len = len;
        memset(m, 0, sizeof *m);
        m->msg_hdr.msg_iov = iov;
        m->msg_hdr.msg_iovlen = 1;
        if (to) {
                m->msg_hdr.msg_name = to;
                m->msg_hdr.msg_namelen = sizeof *to;
        }
}

/* Sends out[0..n) on fd, retrying short sendmmsg counts; returns how many were sent. */
static int send_all(int fd, struct mmsghdr *out, int n)
{
        int done = 0;
        while (done < n) {
                int r = sendmmsg(fd, out + done, (unsigned)(n - done), 0);
                if (r < 0) {
                        if (errno == EINTR)
                                continue;
                        break; /* EAGAIN or a real error: the rest is lost */
                }
                if (r == 0)
                        break;
                done += r;
        }
        return done;
}

/* ---- outstanding queries */

static void slot_release(struct proxy *p, struct slot *s)
{
        s->used = 0;
        p->outstanding--;
}

/* A free id on upstream u, or -1 when ID_TRIES consecutive ones are all awaiting replies. */
static int alloc_id(struct proxy *p, struct upstream *u)
{
        for (int t = 0; t < ID_TRIES; t++) {
                uint16_t id = u->next_id++;
                struct slot *s = &u->tab[id];
                if (s->used && p->now_s - s->stamp >= STALE_S) {
                        slot_release(p, s);
                        p->cnt.expired++;
                }
                if (!s->used)
                        return id;
        }
        return -1;
}

/* Forgets queries unanswered for STALE_S seconds, so that --max-outstanding cannot latch. */
static void expire_stale(struct proxy *p)
{
        for (int i = 0; i < p->cfg.nups; i++) {
                struct slot *tab = p->ups[i].tab;
                for (unsigned id = 0; id < 65536; id++) {
                        if (tab[id].used && p->now_s - tab[id].stamp >= STALE_S) {
                                slot_release(p, &tab[id]);
                                p->cnt.expired++;
                        }
                }
        }
}

/* ---- capacity: a token bucket whose rate follows the schedule */

/* The capacity at t (seconds since start). */
static double capacity_at(const struct proxy *p, double at)
{
        if (p->first_query < 0)
                return p->cfg.sched[0].qps;
        double t = at - p->first_query;
        double qps = p->cfg.sched[0].qps;
        for (int i = 1; i < p->cfg.nsched; i++)
                if (p->cfg.sched[i].at_s <= t)
                        qps = p->cfg.sched[i].qps;
        return qps;
}

static double capacity_now(const struct proxy *p)
{
        return capacity_at(p, p->now);
}

/* 1 when the query may pass, 0 when it exceeds the current capacity. */
static int take_token(struct proxy *p)
{
        double qps = capacity_now(p);
        if (qps <= 0)
                return 1;
        double burst = fmax(1.0, qps * BURST_S);
        p->tokens = fmin(burst, p->tokens + (p->now - p->tokens_at) * qps);
        p->tokens_at = p->now;
        if (p->tokens < 1.0)
                return 0;
        p->tokens -= 1.0;
        return 1;
}

/* ---- held replies */

static int hold_grow(struct hold_ring *h)
{
        unsigned cap = h->cap ? h->cap * 2 : HOLD_MIN;
        if (cap > HOLD_MAX)
                return -ENOSPC;
        struct held *e = malloc((size_t)cap * sizeof *e);
        if (!e)
                return -ENOMEM;
        for (unsigned i = 0; i < h->n; i++) /* unwrap into the new ring */
                e[i] = h->e[(h->head + i) & (h->cap - 1)];
        free(h->e);
        h->e = e;
        h->cap = cap;
        h->head = 0;
        return 0;
}

/* Room for one more held reply at the tail, or NULL when the ring is at HOLD_MAX. */
static struct held *hold_push(struct hold_ring *h)
{
        if (h->n == h->cap && hold_grow(h) != 0)
                return NULL;
        struct held *e = &h->e[(h->head + h->n) & (h->cap - 1)];
        h->n++;
        return e;
}

/* Relays the held replies that are due, in batches. */
static void hold_flush(struct proxy *p)
{
        struct hold_ring *h = &p->hold;
        while (h->n > 0) {
                int k = 0;
                while (k < BATCH && k < (int)h->n) {
                        struct held *e = &h->e[(h->head + (unsigned)k) & (h->cap - 1)];
                        if (e->due > p->now)
                                break;
                        set_msg(&p->out[k], &p->iovs[k], e->msg, e->len, &e->client);
                        k++;
                }
                if (k == 0)
                        return;
                int sent = send_all(p->cfd, p->out, k);
                p->cnt.replies += (unsigned long long)sent;
                p->cnt.reply_fail += (unsigned long long)(k - sent);
                h->head = (h->head + (unsigned)k) & (h->cap - 1);
                h->n -= (unsigned)k;
                p->outstanding -= (unsigned long)k;
        }
}

/* Milliseconds until the oldest held reply is due (IDLE_MS when none is held). */
static int hold_wait_ms(const struct proxy *p)
{
        const struct hold_ring *h = &p->hold;
        if (h->n == 0)
                return IDLE_MS;
        double ms = ceil((h->e[h->head].due - p->now) * 1000.0);
        return ms < 0 ? 0 : ms > IDLE_MS ? IDLE_MS : (int)ms;
}

/* ---- queries: client -> upstream */

/* Why a query is not forwarded (a counter to bump), or NULL when it is. */
static unsigned long long *refusal(struct proxy *p)
{
        if (chance(p, p->cfg.drop_p))
                return &p->cnt.dropped;
        if (!take_token(p))
                return &p->cnt.over_capacity;
        if (p->cfg.max_outstanding && p->outstanding >= p->cfg.max_outstanding)
                return &p->cnt.full;
        return NULL;
}

/* Reads queries from clients; returns 0 when the socket is drained. */
static int client_batch(struct proxy *p)
{
        prepare_recv(p);
        int n = recvmmsg(p->cfd, p->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
                return 0;
        if (p->first_query < 0) {
                p->first_query = p->now;
                p->tokens = fmax(1.0, p->cfg.sched[0].qps * BURST_S);
                p->tokens_at = p->now;
        }
        struct upstream *u = &p->ups[p->rr];
        p->rr = (p->rr + 1) % p->cfg.nups;
        int k = 0;
        for (int i = 0; i < n; i++) {
                p->cnt.queries++;
                unsigned len = p->msgs[i].msg_len;
                if (len < DNS_HDR || (p->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                        p->cnt.short_msg++;
                        continue;
                }
                unsigned long long *why = refusal(p);
                if (why) {
                        (*why)++;
                        continue;
                }
                int id = alloc_id(p, u);
                if (id < 0) {
                        p->cnt.busy++;
                        continue;
                }
                unsigned char *b = p->bufs[i];
                struct slot *s = &u->tab[id];
                s->client = p->addrs[i];
                s->orig_id = (uint16_t)(b[0] << 8 | b[1]);
                s->stamp = p->now_s;
                s->used = 1;
                p->outstanding++;
                b[0] = (unsigned char)(id >> 8);
                b[1] = (unsigned char)id;
                p->slot_of[k] = id;
                set_msg(&p->out[k], &p->iovs[i], b, len, NULL);
                k++;
        }
        int sent = send_all(u->fd, p->out, k);
        p->cnt.forwarded += (unsigned long long)sent;
        for (int j = sent; j < k; j++) {
                slot_release(p, &u->tab[p->slot_of[j]]);
                p->cnt.send_fail++;
        }
        return n == BATCH;
}

/* ---- replies: upstream -> client */

/* Length of the header and question of msg (len bytes), or 0 when it cannot be parsed. */
static size_t question_end(const unsigned char *msg, size_t len)
{
        if (len < DNS_HDR || (msg[4] << 8 | msg[5]) != 1)
                return 0;
        size_t off = DNS_HDR;
        while (off < len && msg[off] != 0) {
                if (msg[off] & 0xc0) /* no compression in a question */
                        return 0;
                off += 1u + msg[off];
        }
        off += 1 + 4; /* root label, QTYPE, QCLASS */
        return off <= len && off <= FORGE_MSG ? off : 0;
}

/* Writes into dst a forged answer to the question of reply: NXDOMAIN, no records, id id; with
 * other_type, the question's QTYPE is changed (TXT becomes A, anything else TXT). */
static size_t forge(unsigned char *dst, const unsigned char *reply, size_t len, uint16_t id,
                    int other_type)
{
        size_t q = question_end(reply, len);
        if (q == 0)
                return 0;
        memcpy(dst, reply, q);
        if (other_type) {
                int txt = dst[q - 4] == 0 && dst[q - 3] == 16;
                dst[q - 4] = 0;
                dst[q - 3] = txt ? 1 : 16;
        }
        dst[0] = (unsigned char)(id >> 8);
        dst[1] = (unsigned char)id;
        dst[2] = (unsigned char)(0x80 | (reply[2] & 0x79)); /* QR, opcode, RD; not AA/TC */
        dst[3] = (unsigned char)((reply[3] & 0x80) | 3);    /* RA, rcode NXDOMAIN */
        memset(dst + 6, 0, 6);                              /* no answer, authority, additional */
        return q;
}

/* Queues the forgeries of reply (restored id orig_id, for client to) in the forge batches. */
static void add_forgeries(struct proxy *p, int *nf, const unsigned char *reply, size_t len,
                          uint16_t orig_id, const struct sockaddr_in *to)
{
        uint16_t wrong = (uint16_t)(orig_id ^ (1 + splitmix64(&p->rng) % 0xffff));
        int f = *nf;
        size_t n[NFORGE] = {forge(p->forged[0][f], reply, len, wrong, 0),
                            forge(p->forged[1][f], reply, len, orig_id, 0),
                            forge(p->forged[2][f], reply, len, orig_id, 1)};
        for (int j = 0; j < NFORGE; j++)
                if (n[j] == 0)
                        return;
        p->faddr[f] = *to;
        for (int j = 0; j < NFORGE; j++)
                set_msg(&p->fout[j][f], &p->fiov[j][f], p->forged[j][f], n[j], &p->faddr[f]);
        *nf = f + 1;
}

/* Holds a reply for --delay; 0, or -1 when the ring is full (then it is relayed at once). */
static int hold_reply(struct proxy *p, const unsigned char *msg, unsigned len,
                      const struct sockaddr_in *to)
{
        if (len > HOLD_MSG)
                return -1;
        struct held *e = hold_push(&p->hold);
        if (!e) {
                p->cnt.hold_full++;
                return -1;
        }
        e->due = p->now + p->cfg.delay_s;
        e->client = *to;
        e->len = (uint16_t)len;
        memcpy(e->msg, msg, len);
        p->cnt.held++;
        if (p->hold.n > p->held_peak)
                p->held_peak = p->hold.n;
        return 0;
}

/* Reads replies from upstream u and relays (or holds) them; returns 0 when drained. */
static int upstream_batch(struct proxy *p, struct upstream *u)
{
        prepare_recv(p);
        int n = recvmmsg(u->fd, p->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
                return 0;
        int k = 0, nf = 0;
        for (int i = 0; i < n; i++) {
                unsigned len = p->msgs[i].msg_len;
                if (len < DNS_HDR || (p->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                        p->cnt.short_msg++;
                        continue;
                }
                unsigned char *b = p->bufs[i];
                struct slot *s = &u->tab[(uint16_t)(b[0] << 8 | b[1])];
                if (!s->used) {
                        p->cnt.unknown++;
                        continue;
                }
                s->used = 0; /* still outstanding until relayed */
                b[0] = (unsigned char)(s->orig_id >> 8);
                b[1] = (unsigned char)s->orig_id;
                if (chance(p, p->cfg.forge_p))
                        add_forgeries(p, &nf, b, len, s->orig_id, &s->client);
                if (p->cfg.delay_s > 0 && hold_reply(p, b, len, &s->client) == 0)
                        continue;
                p->addrs[i] = s->client;
                set_msg(&p->out[k], &p->iovs[i], b, len, &p->addrs[i]);
                k++;
        }
        if (nf > 0) { /* the forgeries go first */
                int a = send_all(p->cfd, p->fout[0], nf);
                int b = send_all(p->ffd, p->fout[1], nf); /* the wrong source port */
                int c = send_all(p->cfd, p->fout[2], nf);
                p->cnt.forged += (unsigned long long)(a + b + c);
        }
        int sent = send_all(p->cfd, p->out, k);
        p->cnt.replies += (unsigned long long)sent;
        p->cnt.reply_fail += (unsigned long long)(k - sent);
        p->outstanding -= (unsigned long)k;
        return n == BATCH;
}

/* ---- reporting */

#define COUNTER_LIST(X)                                                                            \
        X(queries)                                                                                 \
        X(dropped)                                                                                 \
        X(over_capacity)                                                                           \
        X(full)                                                                                    \
        X(forwarded)                                                                               \
        X(replies)                                                                                 \
        X(forged)                                                                                  \
        X(held)                                                                                    \
        X(hold_full)                                                                               \
        X(expired)                                                                                 \
        X(unknown)                                                                                 \
        X(busy)                                                                                    \
        X(send_fail)                                                                               \
        X(reply_fail)                                                                              \
        X(short_msg)

static void print_counters(const struct counters *c, const struct counters *base)
{
#define PRINT_ONE(f) fprintf(stderr, " %s %llu", #f, c->f - (base ? base->f : 0));
        COUNTER_LIST(PRINT_ONE)
#undef PRINT_ONE
}

static void stats_line(struct proxy *p, uint32_t second)
{
        fprintf(stderr, "lossproxy-stats: t %u", second);
        print_counters(&p->cnt, &p->last);
        fprintf(stderr, " outstanding %lu held_now %u capacity %.0f\n", p->outstanding, p->hold.n,
                capacity_at(p, second + 0.5));
        p->last = p->cnt;
}

static void final_line(struct proxy *p)
{
        fprintf(stderr, "lossproxy:");
        print_counters(&p->cnt, NULL);
        fprintf(stderr, " held_peak %lu outstanding %lu\n", p->held_peak, p->outstanding);
}

/* ---- setup */

static void usage(void)
{
        fputs("usage: lossproxy --upstream PORT [--port PORT] [--drop PCT] [--delay MS]\n"
              "                 [--forge PCT] [--capacity QPS] [--capacity-at S:QPS ...]\n"
              "                 [--max-outstanding N] [--seed N] [--sockets N] [--stats]\n"
              "                 [--max-seconds S]\n",
              stderr);
        exit(2);
}

static long num_arg(const char *s, long lo, long hi)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || *end || end == s || v < lo || v > hi)
                usage();
        return v;
}

static double real_arg(const char *s, double lo, double hi)
{
        char *end;
        double v = strtod(s, &end);
        if (*end || end == s || !(v >= lo && v <= hi))
                usage();
        return v;
}

/* "S:QPS" -> one schedule entry, kept sorted by time. */
static void add_change(struct config *c, const char *v)
{
        char sec[64];
        const char *colon = strchr(v, ':');
        if (!colon || colon == v || (size_t)(colon - v) >= sizeof sec || c->nsched > SCHEDULE_MAX)
                usage();
        memcpy(sec, v, (size_t)(colon - v));
        sec[colon - v] = '\0';
        struct change ch = {real_arg(sec, 0, 1e6), real_arg(colon + 1, 0, 1e9)};
        int i = c->nsched++;
        while (i > 1 && c->sched[i - 1].at_s > ch.at_s) {
                c->sched[i] = c->sched[i - 1];
                i--;
        }
        c->sched[i] = ch;
}

static void parse_args(struct config *c, int argc, char **argv)
{
        memset(c, 0, sizeof *c);
        c->upstream = -1;
        c->seed = 1;
        c->nups = 8;
        c->drop_p = 0.05;
        c->max_seconds = 3600;
        c->nsched = 1; /* sched[0] = {0, 0}: unlimited */
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--stats")) {
                        c->stats = 1;
                        continue;
                }
                if (i + 1 >= argc)
                        usage();
                const char *v = argv[++i];
                if (!strcmp(a, "--upstream"))
                        c->upstream = num_arg(v, 1, 65535);
                else if (!strcmp(a, "--port"))
                        c->port = num_arg(v, 0, 65535);
                else if (!strcmp(a, "--seed"))
                        c->seed = num_arg(v, 0, 0x7fffffffL);
                else if (!strcmp(a, "--sockets"))
                        c->nups = (int)num_arg(v, 1, SOCKETS_MAX);
                else if (!strcmp(a, "--drop"))
                        c->drop_p = real_arg(v, 0, 100) / 100.0;
                else if (!strcmp(a, "--forge"))
                        c->forge_p = real_arg(v, 0, 100) / 100.0;
                else if (!strcmp(a, "--delay"))
                        c->delay_s = real_arg(v, 0, 60000) / 1000.0;
                else if (!strcmp(a, "--capacity"))
                        c->sched[0].qps = real_arg(v, 0, 1e9);
                else if (!strcmp(a, "--capacity-at"))
                        add_change(c, v);
                else if (!strcmp(a, "--max-outstanding"))
                        c->max_outstanding = (unsigned long)num_arg(v, 0, 1L << 30);
                else if (!strcmp(a, "--max-seconds"))
                        c->max_seconds = real_arg(v, 1e-3, 1e9);
                else
                        usage();
        }
        if (c->upstream < 0)
                usage();
}

/* Binds the client socket, connects the upstream sockets; 0 or -1 (reported). */
static int open_sockets(struct proxy *p, int ep)
{
        struct sockaddr_in la;
        memset(&la, 0, sizeof la);
        la.sin_family = AF_INET;
        la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        la.sin_port = htons((uint16_t)p->cfg.port);
        p->cfd = udp_socket();
        if (bind(p->cfd, (struct sockaddr *)&la, sizeof la) != 0) {
                perror("lossproxy: bind");
                return -1;
        }
        socklen_t ll = sizeof la;
        getsockname(p->cfd, (struct sockaddr *)&la, &ll);
        struct sockaddr_in fa = la;
        fa.sin_port = 0;
        p->ffd = udp_socket();
        if (bind(p->ffd, (struct sockaddr *)&fa, sizeof fa) != 0) {
                perror("lossproxy: bind");
                return -1;
        }

        struct sockaddr_in ua = la;
        ua.sin_port = htons((uint16_t)p->cfg.upstream);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = SOCKETS_MAX};
        epoll_ctl(ep, EPOLL_CTL_ADD, p->cfd, &ev);
        for (int i = 0; i < p->cfg.nups; i++) {
                struct upstream *u = &p->ups[i];
                u->fd = udp_socket();
                u->tab = calloc(65536, sizeof *u->tab);
                if (!u->tab) {
                        fputs("lossproxy: out of memory\n", stderr);
                        return -1;
                }
                if (connect(u->fd, (struct sockaddr *)&ua, sizeof ua) != 0) {
                        perror("lossproxy: connect");
                        return -1;
                }
                ev.data.u32 = (uint32_t)i;
                epoll_ctl(ep, EPOLL_CTL_ADD, u->fd, &ev);
        }
        printf("%d\n", ntohs(la.sin_port));
        fflush(stdout);
        return 0;
}

static void clock_tick(struct proxy *p)
{
        p->now = monotonic() - p->t0;
        p->now_s = (uint32_t)p->now;
}

static void run(struct proxy *p, int ep)
{
        struct epoll_event evs[SOCKETS_MAX + 1];
        uint32_t second = 0;
        while (!stop_flag) {
                int n = epoll_wait(ep, evs, SOCKETS_MAX + 1, hold_wait_ms(p));
                clock_tick(p);
                if (p->now >= p->cfg.max_seconds) {
                        fprintf(stderr, "lossproxy: --max-seconds %.0f reached\n",
                                p->cfg.max_seconds);
                        break;
                }
                for (int i = 0; i < n; i++) {
                        uint32_t w = evs[i].data.u32;
                        for (int r = 0; r < ROUNDS; r++) {
                                int more = w == SOCKETS_MAX ? client_batch(p)
                                                            : upstream_batch(p, &p->ups[w]);
                                if (!more)
                                        break;
                        }
                        hold_flush(p); /* a long read must not delay due replies */
                }
                hold_flush(p);
                if (second < p->now_s)
                        expire_stale(p);
                for (; second < p->now_s; second++)
                        if (p->cfg.stats)
                                stats_line(p, second);
        }
}

int main(int argc, char **argv)
{
        static struct proxy px; /* large: batch buffers */
        struct proxy *p = &px;
        parse_args(&p->cfg, argc, argv);
        p->rng = (uint64_t)p->cfg.seed;
        p->first_query = -1;

        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        int ep = epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0 || open_sockets(p, ep) != 0)
                return 1;
        p->t0 = monotonic();
        run(p, ep);
        final_line(p);
        return 0;
}

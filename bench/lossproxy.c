/* lossproxy.c -- a UDP DNS proxy on loopback that drops a share of the queries.
 *
 * Usage: lossproxy --upstream PORT [--port PORT] [--drop PCT] [--seed N] [--sockets N]
 *                  [--max-seconds S]
 *
 * Listens on 127.0.0.1:PORT (0, the default, picks a free port), prints the port it listens
 * on as the only line on stdout, and forwards every query it does not drop to
 * 127.0.0.1:UPSTREAM over one of N connected upstream sockets (default 8). Each forwarded
 * query gets a fresh id from its upstream socket's 65536-entry table, which remembers the
 * client's address and original id; the reply is matched by (socket, id), its id restored and
 * sent back to that client. So ids of different clients never collide upstream. A table entry
 * whose reply has not come back after STALE_S seconds is reused.
 *
 * Drops PCT percent of the queries (default 5, fractions allowed), decided by a PRNG seeded
 * with --seed (default 1): the same sequence of queries sees the same drops. Replies are never
 * dropped by choice. Exits on SIGTERM or SIGINT, and after --max-seconds (default 3600, a
 * safety bound), printing its counters on stderr.
 *
 * One thread: epoll over the client socket and the upstream sockets, recvmmsg/sendmmsg in
 * batches of BATCH datagrams. Only 127.0.0.1 is used. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* recvmmsg, sendmmsg, SO_RCVBUFFORCE */
#endif
#include <arpa/inet.h>
#include <errno.h>
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

#define BATCH       64
#define MSG_MAX     4096 /* larger datagrams are dropped (Knot here answers <= 1232) */
#define SOCKETS_MAX 64
#define STALE_S     5  /* an unanswered table entry may be reused after this long */
#define ID_TRIES    64 /* table entries tried for a free id before giving up on a query */
#define ROUNDS      8  /* batches read from one socket per epoll wakeup (fairness) */
#define SOCKBUF     (32 * 1024 * 1024)
#define DNS_HDR     12

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

struct counters {
        unsigned long long queries, dropped, forwarded, replies, unknown, busy, send_fail,
            short_msg, reply_fail;
};

static volatile sig_atomic_t stop_flag;
static struct upstream ups[SOCKETS_MAX];
static int nups = 8;
static int cfd = -1;
static uint64_t rng_state;
static double drop_p = 0.05;
static struct counters cnt;
static uint32_t now_s;

static struct mmsghdr msgs[BATCH];
static struct iovec iovs[BATCH];
static struct sockaddr_in addrs[BATCH];
static unsigned char bufs[BATCH][MSG_MAX];
static int slot_of[BATCH]; /* for an outgoing query: its upstream id */

static void on_signal(int sig)
{
        (void)sig;
        stop_flag = 1;
}

static uint64_t splitmix64(void)
{
        uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
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

static void prepare_recv(void)
{
        for (int i = 0; i < BATCH; i++) {
                iovs[i].iov_base = bufs[i];
                iovs[i].iov_len = MSG_MAX;
                memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
                msgs[i].msg_hdr.msg_iov = &iovs[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
                msgs[i].msg_hdr.msg_name = &addrs[i];
                msgs[i].msg_hdr.msg_namelen = sizeof addrs[i];
                msgs[i].msg_len = 0;
        }
}

/* A free id on upstream u, or -1 when ID_TRIES consecutive ones are all awaiting replies. */
static int alloc_id(struct upstream *u)
{
        for (int t = 0; t < ID_TRIES; t++) {
                uint16_t id = u->next_id++;
                struct slot *s = &u->tab[id];
                if (!s->used || now_s - s->stamp >= STALE_S)
                        return id;
        }
        return -1;
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

/* Reads queries from clients; returns 0 when the socket is drained. */
static int client_batch(void)
{
        static struct mmsghdr out[BATCH];
        prepare_recv();
        int n = recvmmsg(cfd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
                return 0;
        static int rr;
        struct upstream *u = &ups[rr];
        rr = (rr + 1) % nups;
        int k = 0;
        for (int i = 0; i < n; i++) {
                cnt.queries++;
                unsigned len = msgs[i].msg_len;
                if (len < DNS_HDR || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                        cnt.short_msg++;
                        continue;
                }
                if (drop_p > 0 && (double)(splitmix64() >> 11) * 0x1.0p-53 < drop_p) {
                        cnt.dropped++;
                        continue;
                }
                int id = alloc_id(u);
                if (id < 0) {
                        cnt.busy++;
                        continue;
                }
                unsigned char *b = bufs[i];
                struct slot *s = &u->tab[id];
                s->client = addrs[i];
                s->orig_id = (uint16_t)(b[0] << 8 | b[1]);
                s->stamp = now_s;
                s->used = 1;
                b[0] = (unsigned char)(id >> 8);
                b[1] = (unsigned char)id;
                slot_of[k] = id;
                iovs[i].iov_len = len;
                memset(&out[k], 0, sizeof out[k]);
                out[k].msg_hdr.msg_iov = &iovs[i];
                out[k].msg_hdr.msg_iovlen = 1;
                k++;
        }
        int sent = send_all(u->fd, out, k);
        cnt.forwarded += (unsigned long long)sent;
        for (int j = sent; j < k; j++) {
                u->tab[slot_of[j]].used = 0;
                cnt.send_fail++;
        }
        return n == BATCH;
}

/* Reads replies from upstream u and relays them; returns 0 when the socket is drained. */
static int upstream_batch(struct upstream *u)
{
        static struct mmsghdr out[BATCH];
        prepare_recv();
        int n = recvmmsg(u->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
                return 0;
        int k = 0;
        for (int i = 0; i < n; i++) {
                unsigned len = msgs[i].msg_len;
                if (len < DNS_HDR || (msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                        cnt.short_msg++;
                        continue;
                }
                unsigned char *b = bufs[i];
                uint16_t id = (uint16_t)(b[0] << 8 | b[1]);
                struct slot *s = &u->tab[id];
                if (!s->used) {
                        cnt.unknown++;
                        continue;
                }
                s->used = 0;
                b[0] = (unsigned char)(s->orig_id >> 8);
                b[1] = (unsigned char)s->orig_id;
                addrs[i] = s->client;
                iovs[i].iov_len = len;
                memset(&out[k], 0, sizeof out[k]);
                out[k].msg_hdr.msg_iov = &iovs[i];
                out[k].msg_hdr.msg_iovlen = 1;
                out[k].msg_hdr.msg_name = &addrs[i];
                out[k].msg_hdr.msg_namelen = sizeof addrs[i];
                k++;
        }
        int sent = send_all(cfd, out, k);
        cnt.replies += (unsigned long long)sent;
        cnt.reply_fail += (unsigned long long)(k - sent);
        return n == BATCH;
}

static void usage(void)
{
        fputs("usage: lossproxy --upstream PORT [--port PORT] [--drop PCT] [--seed N]\n"
              "                 [--sockets N] [--max-seconds S]\n",
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

int main(int argc, char **argv)
{
        long port = 0, upstream = -1, seed = 1;
        double max_seconds = 3600;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (i + 1 >= argc)
                        usage();
                const char *v = argv[++i];
                if (!strcmp(a, "--upstream")) {
                        upstream = num_arg(v, 1, 65535);
                } else if (!strcmp(a, "--port")) {
                        port = num_arg(v, 0, 65535);
                } else if (!strcmp(a, "--seed")) {
                        seed = num_arg(v, 0, 0x7fffffffL);
                } else if (!strcmp(a, "--sockets")) {
                        nups = (int)num_arg(v, 1, SOCKETS_MAX);
                } else if (!strcmp(a, "--drop")) {
                        char *end;
                        double p = strtod(v, &end);
                        if (*end || end == v || !(p >= 0 && p <= 100))
                                usage();
                        drop_p = p / 100.0;
                } else if (!strcmp(a, "--max-seconds")) {
                        char *end;
                        max_seconds = strtod(v, &end);
                        if (*end || end == v || !(max_seconds > 0))
                                usage();
                } else {
                        usage();
                }
        }
        if (upstream < 0)
                usage();
        rng_state = (uint64_t)seed;

        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);

        struct sockaddr_in la;
        memset(&la, 0, sizeof la);
        la.sin_family = AF_INET;
        la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        la.sin_port = htons((uint16_t)port);
        cfd = udp_socket();
        if (bind(cfd, (struct sockaddr *)&la, sizeof la) != 0) {
                perror("lossproxy: bind");
                return 1;
        }
        socklen_t ll = sizeof la;
        getsockname(cfd, (struct sockaddr *)&la, &ll);

        struct sockaddr_in ua = la;
        ua.sin_port = htons((uint16_t)upstream);
        int ep = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = SOCKETS_MAX};
        epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
        for (int i = 0; i < nups; i++) {
                ups[i].fd = udp_socket();
                ups[i].tab = calloc(65536, sizeof *ups[i].tab);
                if (!ups[i].tab) {
                        fputs("lossproxy: out of memory\n", stderr);
                        return 1;
                }
                if (connect(ups[i].fd, (struct sockaddr *)&ua, sizeof ua) != 0) {
                        perror("lossproxy: connect");
                        return 1;
                }
                ev.data.u32 = (uint32_t)i;
                epoll_ctl(ep, EPOLL_CTL_ADD, ups[i].fd, &ev);
        }
        printf("%d\n", ntohs(la.sin_port));
        fflush(stdout);

        double t0 = monotonic();
        struct epoll_event evs[SOCKETS_MAX + 1];
        while (!stop_flag) {
                int n = epoll_wait(ep, evs, SOCKETS_MAX + 1, 200);
                double now = monotonic() - t0;
                now_s = (uint32_t)now;
                if (now >= max_seconds) {
                        fprintf(stderr, "lossproxy: --max-seconds %.0f reached\n", max_seconds);
                        break;
                }
                for (int i = 0; i < n; i++) {
                        uint32_t w = evs[i].data.u32;
                        for (int r = 0; r < ROUNDS; r++) {
                                int more =
                                    w == SOCKETS_MAX ? client_batch() : upstream_batch(&ups[w]);
                                if (!more)
                                        break;
                        }
                }
        }
        fprintf(stderr,
                "lossproxy: queries %llu dropped %llu forwarded %llu replies %llu "
                "unknown_replies %llu busy %llu send_fail %llu reply_fail %llu short %llu\n",
                cnt.queries, cnt.dropped, cnt.forwarded, cnt.replies, cnt.unknown, cnt.busy,
                cnt.send_fail, cnt.reply_fail, cnt.short_msg);
        return 0;
}

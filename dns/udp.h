/* udp.h -- a set of UDP sockets on random ports with batched I/O.
 * Contract: sends are queued per socket and go out with one sendmmsg() per batch of up to
 * DS_SEND_BATCH datagrams (libuv 1.44 has no public sendmmsg); the bytes are copied, the
 * destination must stay valid until udp_flush(). Receives use libuv's recvmmsg mode
 * with one shared buffer (the loop thread handles one socket's batch at a time) and reach
 * the caller a whole recvmmsg at a time, in arrival order, so that it can look ahead
 * (fetch what the next replies will touch while it handles the first). Kernel
 * buffers of DS_SOCKBUF_BYTES are requested (forced when running as root). Where the kernel
 * takes UDP_SEGMENT (Linux >= 4.18) and gso is asked for, a batch's datagrams of the same
 * length to the same address go out as one segmented send (UDP GSO): the receiver still
 * gets one datagram per query, the IP stack is walked once per group instead of once per
 * datagram. When the kernel refuses a segmented group and its first datagram then goes
 * alone, GSO is off for that socket and the rest is sent plainly; when that datagram fails
 * too, the address is at fault and only the group is dropped. Loop thread only. */
#ifndef DS_UDP_H
#define DS_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "dns/limits.h"

/* One received datagram; pkt and from are valid only during the callback. */
struct udp_datagram {
        const uint8_t *pkt;
        size_t len;
        const struct sockaddr *from;
};

/* What one recvmmsg() brought on socket sock: v[0..n), 1 <= n <= DS_RECV_BATCH. */
typedef void (*udp_recv_fn)(void *ctx, unsigned sock, const struct udp_datagram *v, unsigned n);

/* A segmented send holds at most 64 datagrams before Linux 6.9 (UDP_MAX_SEGMENTS), and the
 * GSO view indexes the queue with uint8_t. */
_Static_assert(DS_SEND_BATCH <= 64, "a batch must fit one segmented send on every kernel");

struct udp_sock {
        uv_udp_t handle;
        struct udp_set *set;
        unsigned idx;
        int family;
        unsigned long inode; /* to find the socket's drop counter in /proc/net/udp */
        bool gso; /* segmented sends: the kernel takes UDP_SEGMENT and none was refused */
        unsigned npending;
        struct mmsghdr msgs[DS_SEND_BATCH];
        struct iovec iov[DS_SEND_BATCH];
        uint8_t data[DS_SEND_BATCH][DS_QUERY_MAX];
        /* The GSO view of the queue, rebuilt by each flush: one message per group of
         * same-length datagrams to one address, its iovecs in giov (order[k] is the queue
         * index of giov[k]), its segment size in ctl. */
        struct mmsghdr gmsgs[DS_SEND_BATCH];
        struct iovec giov[DS_SEND_BATCH];
        uint8_t order[DS_SEND_BATCH];
        union {
                char buf[CMSG_SPACE(sizeof(uint16_t))];
                struct cmsghdr align;
        } ctl[DS_SEND_BATCH];
};

struct udp_stats {
        uint64_t datagrams_sent, send_calls, send_errors, send_eagain;
        uint64_t gso_sends;     /* segmented messages (two datagrams or more each) */
        uint64_t gso_datagrams; /* datagrams that went out in them */
        uint64_t gso_refused;   /* sockets whose segmented send the kernel refused */
        uint64_t datagrams_received, recv_errors;
};

struct udp_set {
        struct udp_sock *socks;
        unsigned n;
        unsigned *family_socks[2]; /* [0] IPv4, [1] IPv6: indices into socks */
        unsigned family_n[2];
        char *rbuf; /* shared recvmmsg buffer, DS_RECV_BATCH x 64 KiB */
        size_t rbuf_len;
        unsigned current[2], run_left[2]; /* socket of the current run, per family */
        udp_recv_fn on_recv;
        void *ctx;
        /* The batch being received (one socket's recvmmsg), handed over when libuv says
         * the buffer is done with (UV_UDP_MMSG_FREE). */
        struct udp_datagram batch[DS_RECV_BATCH];
        unsigned nbatch;
        int rcvbuf, sndbuf; /* what the kernel granted (first socket) */
        struct udp_stats stats;
};

/* gso: group same-length datagrams into segmented sends where the kernel supports it. */
int udp_set_open(struct udp_set *u, uv_loop_t *loop, unsigned per_family, bool v4, bool v6,
                 bool gso, udp_recv_fn fn, void *ctx, char *err, size_t errlen);

/* Queue one datagram on socket sock; the batch is flushed when it fills. */
void udp_queue(struct udp_set *u, unsigned sock, const void *buf, size_t len,
               const struct sockaddr *to, socklen_t tolen);

/* Send every queued datagram that the kernel takes now (EAGAIN leaves the rest queued). */
void udp_flush(struct udp_set *u);

/* A socket of the given family (AF_INET or AF_INET6). Runs of DS_SEND_BATCH queries share
 * a socket chosen at random by r: spreading every query over all sockets would cut each
 * sendmmsg and recvmmsg down to a datagram or two. */
unsigned udp_pick(struct udp_set *u, int family, uint16_t r);
/* Start a new run on a socket chosen by r (the current one is full). */
unsigned udp_pick_other(struct udp_set *u, int family, uint16_t r);

/* Datagrams the kernel dropped because our receive buffers were full (/proc/net/udp*). */
uint64_t udp_rcvbuf_drops(const struct udp_set *u);

/* Start closing every initialized handle (cb runs for each, with handle->data pointing at its
 * struct udp_sock); returns how many. Free with udp_set_free() once they are closed. */
unsigned udp_set_close(struct udp_set *u, uv_close_cb cb);
void udp_set_free(struct udp_set *u);

#endif

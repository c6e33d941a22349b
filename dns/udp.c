/* udp.c -- UDP socket set: random ports, big buffers, sendmmsg batches, recvmmsg receives. */
#include "dns/udp.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/check.h"

#define RECV_CHUNK (64 * 1024) /* libuv's per-datagram slice in recvmmsg mode */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
        (void)suggested;
        struct udp_sock *s = h->data;
        *buf = uv_buf_init(s->set->rbuf, (unsigned)s->set->rbuf_len);
}

/* The batch so far to the caller: at the end of a recvmmsg, or before a datagram that
 * libuv delivers on its own (outside recvmmsg mode). */
static void hand_over(struct udp_sock *s)
{
        struct udp_set *u = s->set;
        unsigned n = u->nbatch;
        u->nbatch = 0;
        if (n > 0)
                u->on_recv(u->ctx, s->idx, u->batch, n);
}

static void on_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
        struct udp_sock *s = h->data;
        struct udp_set *u = s->set;
        if (flags & UV_UDP_MMSG_FREE) {
                /* The chunks and libuv's sender addresses are still valid: this call is
                 * made before its recvmmsg frame returns. */
                hand_over(s);
                return;
        }
        if (nread < 0) {
                u->stats.recv_errors++;
                return;
        }
        if (nread == 0 || !from)
                return;
        u->stats.datagrams_received++;
        /* One socket's batch at a time: libuv ends each recvmmsg with MMSG_FREE before it
         * reads again. A batch that would overflow is handed over first. */
        if (ds_fails(u->nbatch < DS_RECV_BATCH))
                hand_over(s);
        u->batch[u->nbatch++] =
            (struct udp_datagram){(const uint8_t *)buf->base, (size_t)nread, from};
        if (!(flags & UV_UDP_MMSG_CHUNK))
                hand_over(s); /* a plain recvmsg: no MMSG_FREE follows */
}

/* Root may exceed net.core.rmem_max with the FORCE variants; others get what rmem_max allows. */
static int set_buffer(int fd, int force_opt, int opt, int bytes)
{
        if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof(bytes)) < 0)
                setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof(bytes));
        int got = 0;
        socklen_t len = sizeof(got);
        getsockopt(fd, SOL_SOCKET, opt, &got, &len);
        return got / 2; /* Linux reports twice the usable size */
}

/* A socket-wide segment size of 0 means "no segmentation unless a send asks": setting it
 * succeeds exactly where the kernel knows UDP_SEGMENT. */
static bool gso_supported(int fd)
{
        int zero = 0;
        return setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
}

static int open_one(struct udp_set *u, uv_loop_t *loop, unsigned idx, int family, bool gso,
                    char *err, size_t errlen)
{
        struct udp_sock *s = &u->socks[idx];
        s->set = u;
        s->idx = idx;
        s->family = family;
        s->handle.data = s;
        int rc = uv_udp_init_ex(loop, &s->handle, (unsigned)family | UV_UDP_RECVMMSG);
        if (rc < 0)
                goto fail;
        u->n = idx + 1; /* initialized: udp_set_close must close it, whatever fails next */
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        ss.ss_family =
            (sa_family_t)family; /* any address, port 0: the kernel picks a random port */
        rc = uv_udp_bind(&s->handle, (const struct sockaddr *)&ss,
                         family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
        if (rc < 0)
                goto fail;
        uv_os_fd_t fd;
        uv_fileno((uv_handle_t *)&s->handle, &fd);
        int r = set_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, DS_SOCKBUF_BYTES);
        int w = set_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, DS_SOCKBUF_BYTES);
        if (idx == 0) {
                u->rcvbuf = r;
                u->sndbuf = w;
        }
        s->gso = gso && gso_supported(fd);
        struct stat st;
        if (fstat(fd, &st) == 0)
                s->inode = (unsigned long)st.st_ino;
        rc = uv_udp_recv_start(&s->handle, on_alloc, on_recv);
        if (rc < 0)
                goto fail;
        for (unsigned i = 0; i < DS_SEND_BATCH; i++) {
                s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
                s->msgs[i].msg_hdr.msg_iovlen = 1;
        }
        return 0;
fail:
        snprintf(err, errlen, "UDP socket %u: %s", idx, uv_strerror(rc));
        return rc;
}

int udp_set_open(struct udp_set *u, uv_loop_t *loop, unsigned per_family, bool v4, bool v6,
                 bool gso, udp_recv_fn fn, void *ctx, char *err, size_t errlen)
{
        memset(u, 0, sizeof(*u));
        unsigned n = per_family * ((v4 ? 1u : 0u) + (v6 ? 1u : 0u));
        u->socks = calloc(n, sizeof(*u->socks));
        u->family_socks[0] = calloc(per_family, sizeof(unsigned));
        u->family_socks[1] = calloc(per_family, sizeof(unsigned));
        u->rbuf_len = (size_t)DS_RECV_BATCH * RECV_CHUNK;
        u->rbuf = malloc(u->rbuf_len);
        if (!u->socks || !u->family_socks[0] || !u->family_socks[1] || !u->rbuf) {
                snprintf(err, errlen, "out of memory for %u sockets", n);
                return -ENOMEM;
        }
        u->on_recv = fn;
        u->ctx = ctx;
        for (unsigned i = 0; i < n; i++) {
                int fam6 = v4 ? (i >= per_family) : 1;
                int rc = open_one(u, loop, i, fam6 ? AF_INET6 : AF_INET, gso, err, errlen);
                if (rc < 0)
                        return rc; /* u->n counts the handles to close */
                u->family_socks[fam6][u->family_n[fam6]++] = i;
        }
        return 0;
}

/* Keep the datagrams not marked sent (or dropped), in their order: the kernel's buffer was
 * full, or GSO was refused and the rest goes plainly. */
static void keep_unsent(struct udp_sock *s, const bool *sent)
{
        unsigned w = 0;
        for (unsigned i = 0; i < s->npending; i++) {
                if (sent[i])
                        continue;
                if (w != i) {
                        s->msgs[w] = s->msgs[i];
                        s->iov[w] = s->iov[i];
                        memcpy(s->data[w], s->data[i], s->iov[i].iov_len);
                }
                s->msgs[w].msg_hdr.msg_iov = &s->iov[w];
                s->iov[w].iov_base = s->data[w];
                w++;
        }
        s->npending = w;
}

/* One sendmmsg() of msgs[0..n), EINTR retried: the messages the kernel took (> 0), 0 when
 * its buffer is full (counted), or -errno for the first message's failure. */
static int send_batch(struct udp_set *u, int fd, struct mmsghdr *msgs, unsigned n)
{
        for (;;) {
                int k = sendmmsg(fd, msgs, n, MSG_DONTWAIT);
                u->stats.send_calls++;
                if (k >= 0)
                        return k;
                if (errno == EINTR)
                        continue;
                if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
                        u->stats.send_eagain++;
                        return 0;
                }
                return -errno;
        }
}

static void flush_plain(struct udp_set *u, struct udp_sock *s, int fd)
{
        unsigned done = 0;
        while (done < s->npending) {
                int n = send_batch(u, fd, s->msgs + done, s->npending - done);
                if (n == 0)
                        break;
                if (n < 0) {
                        /* The first datagram failed (e.g. no route): skip it; its timeout
                         * retries. */
                        u->stats.send_errors++;
                        done++;
                        continue;
                }
                u->stats.datagrams_sent += (unsigned)n;
                done += (unsigned)n;
        }
        if (done && done < s->npending) { /* the kernel is full: keep the rest, in order */
                bool sent[DS_SEND_BATCH] = {false};
                for (unsigned i = 0; i < done; i++)
                        sent[i] = true;
                keep_unsent(s, sent);
                return;
        }
        s->npending -= done;
}

static bool same_group(const struct msghdr *a, size_t alen, const struct msghdr *b, size_t blen)
{
        /* An empty datagram cannot be a segment (a segment size of 0 sends one datagram). */
        return alen == blen && alen > 0 && a->msg_namelen == b->msg_namelen &&
               (a->msg_name == b->msg_name ||
                memcmp(a->msg_name, b->msg_name, a->msg_namelen) == 0);
}

/* Group the queue by (address, length) into gmsgs; returns the number of groups. A group of
 * one datagram is a plain message (no control data). */
static unsigned build_groups(struct udp_sock *s)
{
        uint8_t group[DS_SEND_BATCH], first[DS_SEND_BATCH], count[DS_SEND_BATCH];
        unsigned ng = 0, last = 0;
        for (unsigned i = 0; i < s->npending; i++) {
                const struct msghdr *m = &s->msgs[i].msg_hdr;
                size_t len = s->iov[i].iov_len;
                unsigned g = ng;
                /* Runs of one length are common: try the last group before searching. */
                if (ng &&
                    same_group(&s->msgs[first[last]].msg_hdr, s->iov[first[last]].iov_len, m, len))
                        g = last;
                else
                        for (unsigned k = 0; k < ng; k++)
                                if (same_group(&s->msgs[first[k]].msg_hdr, s->iov[first[k]].iov_len,
                                               m, len)) {
                                        g = k;
                                        break;
                                }
                if (g == ng) {
                        first[ng] = (uint8_t)i;
                        count[ng++] = 0;
                }
                count[g]++;
                group[i] = (uint8_t)g;
                last = g;
        }
        unsigned start[DS_SEND_BATCH], fill[DS_SEND_BATCH];
        for (unsigned g = 0, at = 0; g < ng; g++) {
                start[g] = fill[g] = at;
                at += count[g];
        }
        for (unsigned i = 0; i < s->npending; i++) {
                unsigned k = fill[group[i]]++;
                s->giov[k] = s->iov[i];
                s->order[k] = (uint8_t)i;
        }
        for (unsigned g = 0; g < ng; g++) {
                struct msghdr *h = &s->gmsgs[g].msg_hdr;
                const struct msghdr *m = &s->msgs[first[g]].msg_hdr;
                h->msg_name = m->msg_name;
                h->msg_namelen = m->msg_namelen;
                h->msg_iov = &s->giov[start[g]];
                h->msg_iovlen = count[g];
                h->msg_flags = 0;
                if (count[g] < 2) {
                        h->msg_control = NULL;
                        h->msg_controllen = 0;
                        continue;
                }
                h->msg_control = s->ctl[g].buf;
                h->msg_controllen = sizeof(s->ctl[g].buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(h);
                c->cmsg_level = SOL_UDP;
                c->cmsg_type = UDP_SEGMENT;
                c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
                uint16_t seg = (uint16_t)s->iov[first[g]].iov_len;
                memcpy(CMSG_DATA(c), &seg, sizeof(seg));
        }
        return ng;
}

/* Errors a segmented send can get for being segmented (no checksum offload on the route's
 * device, an old kernel, a segment over the path MTU); some also mean a bad address, which
 * group_failed() tells apart by sending one datagram plainly. */
static bool gso_refusal(int err)
{
        return err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT ||
               err == EMSGSIZE;
}

/* Mark group g's datagrams as gone from the queue (sent or failed); returns how many. */
static unsigned mark_group(const struct udp_sock *s, unsigned g, bool *sent)
{
        const struct msghdr *h = &s->gmsgs[g].msg_hdr;
        unsigned k0 = (unsigned)(h->msg_iov - s->giov);
        for (unsigned k = k0; k < k0 + h->msg_iovlen; k++)
                sent[s->order[k]] = true;
        return (unsigned)h->msg_iovlen;
}

/* Group g failed with err. If its first datagram goes out on its own, the kernel refused the
 * segmentation (no checksum offload, a route through IPsec, a segment over the path MTU):
 * GSO is off for this socket and the rest of the queue goes plainly. If that datagram fails
 * too, or the group is one datagram, the destination is at fault (port 0, no route): the
 * group is dropped (the timeouts retry) and GSO stays on. Returns true to go on with the
 * next group, false to stop sending segmented groups. */
static bool group_failed(struct udp_set *u, struct udp_sock *s, int fd, unsigned g, int err,
                         bool *sent, unsigned *gone)
{
        const struct msghdr *h = &s->gmsgs[g].msg_hdr;
        if (h->msg_iovlen > 1 && gso_refusal(err)) {
                unsigned i = s->order[h->msg_iov - s->giov];
                int n = send_batch(u, fd, &s->msgs[i], 1);
                if (n == 0)
                        return false; /* the kernel is full: the group stays queued */
                if (n > 0) {
                        sent[i] = true;
                        (*gone)++;
                        u->stats.datagrams_sent++;
                        s->gso = false;
                        u->stats.gso_refused++;
                        return false;
                }
        }
        unsigned k = mark_group(s, g, sent);
        *gone += k;
        u->stats.send_errors += k;
        return true;
}

/* Send the queue as segmented groups; whatever is left (the kernel full, GSO refused) stays
 * queued in order. */
static void flush_gso(struct udp_set *u, struct udp_sock *s, int fd)
{
        unsigned ng = build_groups(s), done = 0, gone = 0;
        bool sent[DS_SEND_BATCH] = {false};
        while (done < ng) {
                int n = send_batch(u, fd, s->gmsgs + done, ng - done);
                if (n == 0)
                        break;
                if (n < 0) {
                        if (!group_failed(u, s, fd, done, -n, sent, &gone))
                                break;
                        done++;
                        continue;
                }
                for (unsigned g = done; g < done + (unsigned)n; g++) {
                        unsigned k = mark_group(s, g, sent);
                        gone += k;
                        u->stats.datagrams_sent += k;
                        if (k > 1) {
                                u->stats.gso_sends++;
                                u->stats.gso_datagrams += k;
                        }
                }
                done += (unsigned)n;
        }
        if (gone == s->npending)
                s->npending = 0;
        else
                keep_unsent(s, sent);
        if (!s->gso && s->npending)
                flush_plain(u, s, fd);
}

static void flush_sock(struct udp_set *u, struct udp_sock *s)
{
        uv_os_fd_t fd;
        if (uv_fileno((uv_handle_t *)&s->handle, &fd) < 0) {
                s->npending = 0; /* closing: nothing can be sent any more */
                return;
        }
        if (s->gso && s->npending > 1)
                flush_gso(u, s, fd);
        else
                flush_plain(u, s, fd);
}

void udp_queue(struct udp_set *u, unsigned sock, const void *buf, size_t len,
               const struct sockaddr *to, socklen_t tolen)
{
        struct udp_sock *s = &u->socks[sock];
        if (s->npending == DS_SEND_BATCH)
                flush_sock(u, s);
        if (s->npending == DS_SEND_BATCH) {
                /* The kernel buffer is full even after a flush: drop; the deadline retries it. */
                u->stats.send_errors++;
                return;
        }
        if (len > sizeof(s->data[0])) {
                u->stats.send_errors++;
                return;
        }
        unsigned i = s->npending++;
        /* A copy: a datagram left queued by EAGAIN must not change when its query slot is
         * retried or reused before the kernel takes it. */
        memcpy(s->data[i], buf, len);
        s->iov[i].iov_base = s->data[i];
        s->iov[i].iov_len = len;
        s->msgs[i].msg_hdr.msg_name = (void *)to;
        s->msgs[i].msg_hdr.msg_namelen = tolen;
        s->msgs[i].msg_hdr.msg_control = NULL;
        s->msgs[i].msg_hdr.msg_controllen = 0;
        s->msgs[i].msg_hdr.msg_flags = 0;
}

void udp_flush(struct udp_set *u)
{
        for (unsigned i = 0; i < u->n; i++)
                if (u->socks[i].npending)
                        flush_sock(u, &u->socks[i]);
}

unsigned udp_pick(struct udp_set *u, int family, uint16_t r)
{
        int f = family == AF_INET6;
        if (u->run_left[f] == 0) {
                u->current[f] = u->family_socks[f][r % u->family_n[f]];
                u->run_left[f] = DS_SEND_BATCH;
        }
        u->run_left[f]--;
        return u->current[f];
}

unsigned udp_pick_other(struct udp_set *u, int family, uint16_t r)
{
        u->run_left[family == AF_INET6] = 0;
        return udp_pick(u, family, r);
}

static uint64_t drops_in(const struct udp_set *u, const char *path)
{
        FILE *f = fopen(path, "r");
        if (!f)
                return 0;
        char line[512];
        uint64_t total = 0;
        while (fgets(line, sizeof(line), f)) {
                unsigned long inode;
                uint64_t drops;
                /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref ptr drops */
                if (sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %*s %*s %" SCNu64, &inode,
                           &drops) != 2)
                        continue;
                for (unsigned i = 0; i < u->n; i++)
                        if (u->socks[i].inode == inode)
                                total += drops;
        }
        fclose(f);
        return total;
}

uint64_t udp_rcvbuf_drops(const struct udp_set *u)
{
        return drops_in(u, "/proc/net/udp") + drops_in(u, "/proc/net/udp6");
}

unsigned udp_set_close(struct udp_set *u, uv_close_cb cb)
{
        unsigned closing = 0;
        for (unsigned i = 0; i < u->n; i++)
                if (!uv_is_closing((uv_handle_t *)&u->socks[i].handle)) {
                        uv_close((uv_handle_t *)&u->socks[i].handle, cb);
                        closing++;
                }
        return closing;
}

void udp_set_free(struct udp_set *u)
{
        free(u->socks);
        free(u->family_socks[0]);
        free(u->family_socks[1]);
        free(u->rbuf);
        memset(u, 0, sizeof(*u));
}

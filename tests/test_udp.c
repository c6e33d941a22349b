/* test_udp.c -- unit tests for dns/udp.c's sends, against plain sockets on 127.0.0.1.
 * Contract: every queued datagram reaches its address exactly once and intact, whether it
 * left in a segmented (UDP GSO) send or on its own; a batch groups by (address, length) into
 * one segmented send per group; a kernel refusal of GSO turns it off for the socket and the
 * batch is resent plainly, in order; a datagram or group the kernel rejects for its address
 * (port 0) is counted as send errors without losing the others or GSO; when the kernel takes
 * only part of a batch (sendmmsg() is wrapped at link time to take a few messages, then say
 * EAGAIN) exactly the datagrams not sent stay queued, in order, and go with the next flush. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "dns/udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define NDGRAM 40

/* The link-time wrapper (-Wl,--wrap=sendmmsg): take at most fake.take messages a call
 * (0: all), and fail call number fake.eagain_at (counting from 1) with EAGAIN. */
int __real_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags);
static struct {
        unsigned take;
        int eagain_at, calls;
} fake;

int __wrap_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags);
int __wrap_sendmmsg(int fd, struct mmsghdr *v, unsigned n, int flags)
{
        if (++fake.calls == fake.eagain_at) {
                errno = EAGAIN;
                return -1;
        }
        if (fake.take && n > fake.take)
                n = fake.take;
        return __real_sendmmsg(fd, v, n, flags);
}

static void fake_reset(void)
{
        memset(&fake, 0, sizeof(fake));
}

struct rx {
        int fd;
        struct sockaddr_in addr;
};

static void rx_open(struct rx *r)
{
        r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        assert_true(r->fd >= 0);
        memset(&r->addr, 0, sizeof(r->addr));
        r->addr.sin_family = AF_INET;
        r->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        assert_int_equal(bind(r->fd, (struct sockaddr *)&r->addr, sizeof(r->addr)), 0);
        socklen_t len = sizeof(r->addr);
        assert_int_equal(getsockname(r->fd, (struct sockaddr *)&r->addr, &len), 0);
}

/* Read what arrived: got[k] = payload index of the k-th datagram; returns how many. Each
 * payload is its index in its first byte and that byte repeated, so a mangled one fails. */
static unsigned rx_drain(const struct rx *r, int *got, unsigned max)
{
        unsigned n = 0;
        uint8_t buf[2048];
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        while (poll(&p, 1, 200) > 0) {
                ssize_t len = recv(r->fd, buf, sizeof(buf), 0);
                if (len < 0)
                        break;
                assert_true(len > 0);
                assert_true(n < max);
                for (ssize_t i = 1; i < len; i++)
                        assert_int_equal(buf[i], buf[0]);
                got[n++] = buf[0];
        }
        return n;
}

/* Datagram i: lengths 30, 31 and 45 in turn, even ones to a, odd ones to b. */
static size_t dgram(unsigned i, uint8_t *buf)
{
        static const size_t lens[] = {30, 31, 45};
        size_t len = lens[i % 3];
        memset(buf, (int)i, len);
        return len;
}

/* What the set delivered: each datagram's payload index, length and sender port, and
 * each batch's size, in the order of delivery. */
struct recorded {
        unsigned n, nbatches;
        int index[NDGRAM];
        size_t len[NDGRAM];
        uint16_t port[NDGRAM];
        unsigned batch[NDGRAM];
};

struct fixture {
        uv_loop_t loop;
        struct udp_set u;
        struct rx a, b;
        struct recorded rec;
};

static void on_recv_record(void *ctx, unsigned sock, const struct udp_datagram *v, unsigned n)
{
        struct recorded *r = ctx;
        assert_int_equal(sock, 0);
        assert_true(n >= 1 && n <= DS_RECV_BATCH);
        assert_true(r->nbatches < NDGRAM && r->n + n <= NDGRAM);
        r->batch[r->nbatches++] = n;
        for (unsigned i = 0; i < n; i++, r->n++) {
                assert_int_equal(v[i].from->sa_family, AF_INET);
                r->index[r->n] = v[i].pkt[0];
                r->len[r->n] = v[i].len;
                r->port[r->n] = ntohs(((const struct sockaddr_in *)v[i].from)->sin_port);
                for (size_t k = 1; k < v[i].len; k++)
                        assert_int_equal(v[i].pkt[k], v[i].pkt[0]);
        }
}

static void open_fixture(struct fixture *f, bool gso)
{
        fake_reset();
        assert_int_equal(uv_loop_init(&f->loop), 0);
        char err[128];
        memset(&f->rec, 0, sizeof(f->rec));
        assert_int_equal(udp_set_open(&f->u, &f->loop, 1, true, false, gso, on_recv_record, &f->rec,
                                      err, sizeof(err)),
                         0);
        rx_open(&f->a);
        rx_open(&f->b);
}

static void on_closed(uv_handle_t *h)
{
        (void)h;
}

static void close_fixture(struct fixture *f)
{
        udp_set_close(&f->u, on_closed);
        uv_run(&f->loop, UV_RUN_DEFAULT);
        udp_set_free(&f->u);
        assert_int_equal(uv_loop_close(&f->loop), 0);
        close(f->a.fd);
        close(f->b.fd);
}

static void queue_all(struct fixture *f)
{
        uint8_t buf[64];
        for (unsigned i = 0; i < NDGRAM; i++) {
                size_t len = dgram(i, buf);
                const struct rx *to = i % 2 ? &f->b : &f->a;
                udp_queue(&f->u, 0, buf, len, (const struct sockaddr *)&to->addr, sizeof(to->addr));
        }
}

/* Each receiver got exactly its datagrams; in_order: in the order they were queued. */
static void assert_arrived(const struct fixture *f, bool in_order)
{
        for (unsigned side = 0; side < 2; side++) {
                int got[NDGRAM];
                unsigned n = rx_drain(side ? &f->b : &f->a, got, NDGRAM);
                assert_int_equal(n, NDGRAM / 2);
                bool seen[NDGRAM] = {false};
                for (unsigned k = 0; k < n; k++) {
                        assert_int_equal(got[k] % 2, side);
                        assert_false(seen[got[k]]);
                        seen[got[k]] = true;
                        if (in_order)
                                assert_int_equal(got[k], (int)(2 * k + side));
                }
        }
}

static bool kernel_has_gso(void)
{
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        int zero = 0;
        bool ok = setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero)) == 0;
        close(fd);
        return ok;
}

static void t_gso_groups(void **state)
{
        (void)state;
        if (!kernel_has_gso())
                skip();
        struct fixture f;
        open_fixture(&f, true);
        assert_true(f.u.socks[0].gso);
        queue_all(&f);
        udp_flush(&f.u);
        assert_int_equal(f.u.socks[0].npending, 0);
        assert_arrived(&f, false);
        /* two addresses x three lengths: six groups of six or seven, one sendmmsg */
        assert_int_equal(f.u.stats.datagrams_sent, NDGRAM);
        assert_int_equal(f.u.stats.gso_sends, 6);
        assert_int_equal(f.u.stats.gso_datagrams, NDGRAM);
        assert_int_equal(f.u.stats.send_calls, 1);
        assert_int_equal(f.u.stats.send_errors, 0);
        close_fixture(&f);
}

static void t_plain(void **state)
{
        (void)state;
        struct fixture f;
        open_fixture(&f, false);
        assert_false(f.u.socks[0].gso);
        queue_all(&f);
        udp_flush(&f.u);
        assert_arrived(&f, true);
        assert_int_equal(f.u.stats.datagrams_sent, NDGRAM);
        assert_int_equal(f.u.stats.gso_sends, 0);
        assert_int_equal(f.u.stats.send_calls, 1);
        close_fixture(&f);
}

/* With SO_NO_CHECK the kernel refuses every segmented send (EINVAL) and takes plain ones. */
static void t_refused(void **state)
{
        (void)state;
        if (!kernel_has_gso())
                skip();
        struct fixture f;
        open_fixture(&f, true);
        uv_os_fd_t fd;
        assert_int_equal(uv_fileno((uv_handle_t *)&f.u.socks[0].handle, &fd), 0);
        int one = 1;
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
        queue_all(&f);
        udp_flush(&f.u);
        assert_false(f.u.socks[0].gso);
        assert_int_equal(f.u.stats.gso_refused, 1);
        assert_int_equal(f.u.stats.gso_sends, 0);
        assert_int_equal(f.u.stats.datagrams_sent, NDGRAM);
        assert_arrived(&f, true);
        /* the next batch goes plainly from the start */
        queue_all(&f);
        udp_flush(&f.u);
        assert_int_equal(f.u.stats.gso_refused, 1);
        assert_int_equal(f.u.stats.datagrams_sent, 2 * NDGRAM);
        assert_arrived(&f, true);
        close_fixture(&f);
}

/* Datagrams to port 0 fail (EINVAL), alone or as a segmented group whose first datagram
 * also fails when sent on its own: that is the address, not a refusal of GSO. Everything
 * else still arrives and GSO stays on. */
static void t_bad_destination(void **state)
{
        (void)state;
        if (!kernel_has_gso())
                skip();
        struct fixture f;
        open_fixture(&f, true);
        struct sockaddr_in zero = f.a.addr;
        zero.sin_port = 0;
        uint8_t buf[64];
        memset(buf, 0x7f, 20);
        udp_queue(&f.u, 0, buf, 20, (const struct sockaddr *)&zero, sizeof(zero));
        queue_all(&f);
        memset(buf, 0x7e, 21);
        udp_queue(&f.u, 0, buf, 21, (const struct sockaddr *)&zero, sizeof(zero));
        memset(buf, 0x7d, 20); /* with the first, a segmented group to port 0 */
        udp_queue(&f.u, 0, buf, 20, (const struct sockaddr *)&zero, sizeof(zero));
        udp_flush(&f.u);
        assert_int_equal(f.u.socks[0].npending, 0);
        assert_int_equal(f.u.stats.send_errors, 3);
        assert_int_equal(f.u.stats.datagrams_sent, NDGRAM);
        assert_true(f.u.socks[0].gso);
        assert_int_equal(f.u.stats.gso_refused, 0);
        assert_arrived(&f, false);
        close_fixture(&f);
}

/* The queue holds exactly the datagrams of want[0..n), in that order, views consistent. */
static void assert_queue(const struct udp_sock *q, const unsigned *want, unsigned n)
{
        uint8_t buf[64];
        assert_int_equal(q->npending, n);
        for (unsigned k = 0; k < n; k++) {
                size_t len = dgram(want[k], buf);
                assert_int_equal(q->iov[k].iov_len, len);
                assert_ptr_equal(q->iov[k].iov_base, q->data[k]);
                assert_ptr_equal(q->msgs[k].msg_hdr.msg_iov, &q->iov[k]);
                assert_memory_equal(q->data[k], buf, len);
        }
}

/* Two groups a call, the third call EAGAIN: groups 0-3 went, 4 and 5 stay queued. */
static void t_partial_gso(void **state)
{
        (void)state;
        if (!kernel_has_gso())
                skip();
        struct fixture f;
        open_fixture(&f, true);
        queue_all(&f);
        fake.take = 2;
        fake.eagain_at = 3;
        udp_flush(&f.u);
        /* groups by first appearance: datagram i is in group i % 6 (address i % 2, length
         * i % 3); groups 0-3 hold 7 datagrams, 4 and 5 hold 6 */
        unsigned want[NDGRAM], n = 0;
        for (unsigned i = 0; i < NDGRAM; i++)
                if (i % 6 >= 4)
                        want[n++] = i;
        assert_int_equal(f.u.stats.send_eagain, 1);
        assert_int_equal(f.u.stats.datagrams_sent, NDGRAM - n);
        assert_int_equal(f.u.stats.gso_sends, 4);
        assert_queue(&f.u.socks[0], want, n);
        fake_reset();
        udp_flush(&f.u);
        assert_int_equal(f.u.socks[0].npending, 0);
        assert_int_equal(f.u.stats.datagrams_sent, NDGRAM);
        assert_int_equal(f.u.stats.gso_sends, 6);
        assert_arrived(&f, false);
        close_fixture(&f);
}

/* Plain sends, ten a call, the second call EAGAIN: the last 30 stay queued in order. */
static void t_partial_plain(void **state)
{
        (void)state;
        struct fixture f;
        open_fixture(&f, false);
        queue_all(&f);
        fake.take = 10;
        fake.eagain_at = 2;
        udp_flush(&f.u);
        unsigned want[NDGRAM];
        for (unsigned i = 10; i < NDGRAM; i++)
                want[i - 10] = i;
        assert_int_equal(f.u.stats.send_eagain, 1);
        assert_int_equal(f.u.stats.datagrams_sent, 10);
        assert_queue(&f.u.socks[0], want, NDGRAM - 10);
        fake_reset();
        udp_flush(&f.u);
        assert_int_equal(f.u.stats.datagrams_sent, NDGRAM);
        assert_arrived(&f, true);
        close_fixture(&f);
}

/* Datagrams waiting on a socket reach the caller a recvmmsg at a time, whole batches in
 * arrival order with their lengths and senders: the engine looks ahead within a batch. */
static void t_receive_batches(void **state)
{
        (void)state;
        struct fixture f;
        open_fixture(&f, false);
        struct sockaddr_in to;
        int len = sizeof(to);
        assert_int_equal(uv_udp_getsockname(&f.u.socks[0].handle, (struct sockaddr *)&to, &len), 0);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        const unsigned total = DS_RECV_BATCH + 5;
        for (unsigned i = 0; i < total; i++) {
                uint8_t buf[64];
                size_t n = dgram(i, buf);
                assert_int_equal(sendto(f.a.fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)),
                                 (ssize_t)n);
        }
        for (unsigned turns = 0; f.rec.n < total && turns < 1000; turns++) {
                uv_run(&f.loop, UV_RUN_NOWAIT);
                if (f.rec.n < total)
                        poll(NULL, 0, 1);
        }
        assert_int_equal(f.rec.n, total);
        assert_int_equal(f.u.stats.datagrams_received, total);
        /* All were queued before the loop ran: the first recvmmsg took a full batch. */
        assert_int_equal(f.rec.batch[0], DS_RECV_BATCH);
        assert_true(f.rec.nbatches >= 2);
        for (unsigned i = 0; i < total; i++) {
                uint8_t buf[64];
                assert_int_equal(f.rec.index[i], (int)i);
                assert_int_equal(f.rec.len[i], dgram(i, buf));
                assert_int_equal(f.rec.port[i], ntohs(f.a.addr.sin_port));
        }
        close_fixture(&f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_gso_groups),      cmocka_unit_test(t_plain),
            cmocka_unit_test(t_receive_batches), cmocka_unit_test(t_refused),
            cmocka_unit_test(t_bad_destination), cmocka_unit_test(t_partial_gso),
            cmocka_unit_test(t_partial_plain),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

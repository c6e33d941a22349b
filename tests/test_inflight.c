/* test_inflight.c -- unit tests for dns/inflight.c.
 * Contract: slot allocation until exhaustion, the (socket, id) index with ids unique per
 * socket while linked, the id written into the packet, the deadline list kept in link order
 * through unlinks anywhere, inflight_expired() looking at the head only, and a statistical
 * sanity check of the random ids. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns/inflight.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Walk the deadline list both ways and compare it with want[0..n). */
static void assert_list(const struct inflight *t, const uint32_t *want, size_t n)
{
        size_t i = 0;
        uint32_t prev = INFLIGHT_NONE;
        for (uint32_t s = t->lists[0].head; s != INFLIGHT_NONE; s = t->slots[s].next) {
                assert_true(i < n);
                assert_int_equal(s, want[i]);
                assert_int_equal(t->slots[s].prev, prev);
                assert_true(t->slots[s].linked);
                prev = s;
                i++;
        }
        assert_int_equal(i, n);
        assert_int_equal(t->lists[0].tail, n ? want[n - 1] : INFLIGHT_NONE);
        for (uint32_t s = t->lists[0].tail; s != INFLIGHT_NONE; s = t->slots[s].prev) {
                assert_true(i > 0);
                i--;
                assert_int_equal(s, want[i]);
        }
        assert_int_equal(i, 0);
}

static void t_init_rejects_bad_sizes(void **state)
{
        (void)state;
        struct inflight t;
        assert_int_equal(inflight_init(&t, 0, 1), -EINVAL);
        inflight_free(&t);
        assert_int_equal(inflight_init(&t, 4, 0), -EINVAL);
        inflight_free(&t);
        assert_int_equal(inflight_init(&t, 4, DS_SOCKETS_MAX + 1), -EINVAL);
        inflight_free(&t);
        assert_int_equal(inflight_init(&t, 4, DS_SOCKETS_MAX), 0);
        assert_int_equal(t.lists[0].head, INFLIGHT_NONE);
        assert_int_equal(t.lists[0].tail, INFLIGHT_NONE);
        assert_int_equal(inflight_used(&t), 0);
        inflight_free(&t);
}

static void t_alloc_until_exhausted(void **state)
{
        (void)state;
        enum { N = 16 };
        struct inflight t;
        assert_int_equal(inflight_init(&t, N, 1), 0);
        bool taken[N] = {false};
        uint32_t got[N];
        for (unsigned i = 0; i < N; i++) {
                assert_int_equal(inflight_used(&t), i);
                uint32_t s = inflight_alloc(&t);
                assert_true(s < N);
                assert_false(taken[s]);
                taken[s] = true;
                got[i] = s;
                assert_int_equal(t.slots[s].attempts, 0);
                assert_false(t.slots[s].linked);
        }
        assert_int_equal(inflight_used(&t), N);
        assert_int_equal(inflight_alloc(&t), INFLIGHT_NONE);
        assert_int_equal(inflight_alloc(&t), INFLIGHT_NONE);
        assert_int_equal(inflight_used(&t), N);

        /* Release three, take three back: exactly the released ones come back. */
        inflight_release(&t, got[3]);
        inflight_release(&t, got[7]);
        inflight_release(&t, got[11]);
        taken[got[3]] = taken[got[7]] = taken[got[11]] = false;
        assert_int_equal(inflight_used(&t), N - 3);
        for (unsigned i = 0; i < 3; i++) {
                uint32_t s = inflight_alloc(&t);
                assert_true(s < N);
                assert_false(taken[s]);
                taken[s] = true;
        }
        assert_int_equal(inflight_alloc(&t), INFLIGHT_NONE);

        /* A reused slot comes back clean. */
        t.slots[got[0]].attempts = 5;
        inflight_release(&t, got[0]);
        uint32_t s = inflight_alloc(&t);
        assert_int_equal(s, got[0]);
        assert_int_equal(t.slots[s].attempts, 0);
        assert_false(t.slots[s].linked);

        for (unsigned i = 0; i < N; i++)
                inflight_release(&t, i);
        assert_int_equal(inflight_used(&t), 0);
        inflight_free(&t);
}

static void t_link_find_unlink(void **state)
{
        (void)state;
        struct inflight t;
        assert_int_equal(inflight_init(&t, 8, 3), 0);
        uint32_t a = inflight_alloc(&t), b = inflight_alloc(&t), c = inflight_alloc(&t);
        memset(t.slots[a].pkt, 0xee, sizeof(t.slots[a].pkt));
        inflight_link(&t, a, 0, 1000);
        inflight_link(&t, b, 1, 1000);
        inflight_link(&t, c, 2, 1000);
        assert_int_equal(inflight_used(&t), 3);

        const struct query *qa = &t.slots[a];
        assert_true(qa->linked);
        assert_int_equal(qa->sock, 0);
        assert_int_equal(t.slots[b].sock, 1);
        assert_int_equal(t.slots[c].sock, 2);
        /* The id goes into the packet, big-endian, and nothing else is touched. */
        assert_int_equal(qa->pkt[0], qa->id >> 8);
        assert_int_equal(qa->pkt[1], qa->id & 0xff);
        assert_int_equal(qa->pkt[2], 0xee);
        assert_int_equal(t.slots[b].pkt[0] << 8 | t.slots[b].pkt[1], t.slots[b].id);

        assert_int_equal(inflight_find(&t, 0, qa->id), a);
        assert_int_equal(inflight_find(&t, 1, t.slots[b].id), b);
        assert_int_equal(inflight_find(&t, 2, t.slots[c].id), c);
        /* The index is per socket: a's id on another socket is not a. */
        for (uint16_t s = 1; s < 3; s++)
                assert_int_not_equal(inflight_find(&t, s, qa->id), a);
        assert_int_equal(inflight_find(&t, 0, (uint16_t)(qa->id ^ 1)), INFLIGHT_NONE);

        uint16_t old = qa->id;
        inflight_unlink(&t, a);
        assert_false(qa->linked);
        assert_int_equal(inflight_find(&t, 0, old), INFLIGHT_NONE);
        inflight_unlink(&t, a); /* unlinking twice is harmless */
        assert_int_equal(inflight_find(&t, 1, t.slots[b].id), b);
        uint32_t want[] = {b, c};
        assert_list(&t, want, 2);
        /* Unlinked but still allocated: used counts slots, not links. */
        assert_int_equal(inflight_used(&t), 3);

        /* Relinking (a retry) draws an id again and moves the slot to the tail. */
        inflight_link(&t, a, 2, 2000);
        assert_int_equal(qa->sock, 2);
        assert_int_equal(inflight_find(&t, 2, qa->id), a);
        assert_int_equal(qa->pkt[0] << 8 | qa->pkt[1], qa->id);
        uint32_t want2[] = {b, c, a};
        assert_list(&t, want2, 3);

        inflight_unlink(&t, a);
        inflight_unlink(&t, b);
        inflight_unlink(&t, c);
        assert_list(&t, NULL, 0);
        inflight_release(&t, a);
        inflight_release(&t, b);
        inflight_release(&t, c);
        assert_int_equal(inflight_used(&t), 0);
        inflight_free(&t);
}

/* A link draws the next link's first id ahead (so that its index entry can be fetched):
 * that id is used when it is free on the socket the next link picks, and skipped for a
 * fresh one when it is taken there. */
static void t_id_drawn_ahead(void **state)
{
        (void)state;
        struct inflight t;
        assert_int_equal(inflight_init(&t, 8, 2), 0);
        uint32_t a = inflight_alloc(&t), b = inflight_alloc(&t), c = inflight_alloc(&t);
        assert_int_equal(inflight_link(&t, a, 0, 1000), 0);
        assert_true(t.has_next_id);
        uint16_t ahead = t.next_id;
        assert_int_equal(inflight_link(&t, b, 0, 1000), 0);
        assert_int_equal(t.slots[b].id, ahead);
        assert_int_equal(inflight_find(&t, 0, ahead), b);
        /* The next one drawn ahead is b's id on socket 0 already: c must get another. */
        t.next_id = ahead;
        t.has_next_id = true;
        assert_int_equal(inflight_link(&t, c, 0, 1000), 0);
        assert_int_not_equal(t.slots[c].id, ahead);
        assert_int_equal(inflight_find(&t, 0, ahead), b);
        assert_int_equal(inflight_find(&t, 0, t.slots[c].id), c);
        inflight_free(&t);
}

/* Every id of a socket in use at once: the ids must all differ, and the last link has to
 * find the single id left. */
static void t_ids_unique_per_socket(void **state)
{
        (void)state;
        enum { N = 65536 };
        struct inflight t;
        assert_int_equal(inflight_init(&t, N + 64, 2), 0);
        uint8_t *seen = calloc(N, 1);
        assert_non_null(seen);
        /* Link until the socket reports itself full: every id handed out is unique, and a
         * quarter-full socket (the engine's limit) never reports full. */
        uint32_t linked = 0, busy_slot = INFLIGHT_NONE;
        for (uint32_t i = 0; i < N; i++) {
                uint32_t s = inflight_alloc(&t);
                assert_int_not_equal(s, INFLIGHT_NONE);
                if (inflight_link(&t, s, 0, i) == -EBUSY) {
                        busy_slot = s;
                        break;
                }
                uint16_t id = t.slots[s].id;
                if (seen[id])
                        fail_msg("id %u given twice on socket 0 (link %u)", id, i);
                seen[id] = 1;
                assert_int_equal(inflight_find(&t, 0, id), s);
                linked++;
        }
        assert_int_not_equal(busy_slot, INFLIGHT_NONE);
        assert_true(linked >= DS_LOOKUPS_PER_SOCKET);
        assert_false(t.slots[busy_slot].linked);
        /* Socket 1 is independent and still gets ids. */
        assert_int_equal(inflight_link(&t, busy_slot, 1, N), 0);
        assert_int_equal(inflight_find(&t, 1, t.slots[busy_slot].id), busy_slot);
        for (unsigned i = 0; i < 63; i++) {
                uint32_t s = inflight_alloc(&t);
                assert_int_equal(inflight_link(&t, s, 1, N + i), 0);
                assert_int_equal(inflight_find(&t, 1, t.slots[s].id), s);
        }
        /* Unlink one on socket 1 and relink: it gets a free id, and the packet carries it. */
        uint32_t s = t.lists[0].tail;
        uint16_t old = t.slots[s].id;
        inflight_unlink(&t, s);
        assert_int_equal(inflight_find(&t, 1, old), INFLIGHT_NONE);
        assert_int_equal(inflight_link(&t, s, 1, 2 * N), 0);
        assert_int_equal(inflight_find(&t, 1, t.slots[s].id), s);
        assert_int_equal(t.slots[s].pkt[0], t.slots[s].id >> 8);
        assert_int_equal(t.slots[s].pkt[1], t.slots[s].id & 0xff);

        /* Unlink everything: the index is empty again. */
        uint32_t n = 0;
        while (t.lists[0].head != INFLIGHT_NONE) {
                uint32_t h = t.lists[0].head;
                inflight_unlink(&t, h);
                inflight_release(&t, h);
                n++;
        }
        assert_int_equal(n, linked + 64);
        for (uint32_t i = 0; i <= t.index_mask; i++)
                assert_int_equal(t.index[i].key, 0);
        assert_int_equal(t.lists[0].tail, INFLIGHT_NONE);
        assert_int_equal(inflight_used(&t), 0);
        free(seen);
        inflight_free(&t);
}

/* Random links and unlinks over a long run against a plain array of what is linked: every
 * (socket, id) in use is found at its slot and no other is, whatever the deletions moved
 * (the index is a hash with backward-shift deletion). */
static void t_index_churn(void **state)
{
        (void)state;
        enum { SLOTS = 3000, SOCKS = 3, OPS = 300000 };
        struct inflight t;
        assert_int_equal(inflight_init(&t, SLOTS, SOCKS), 0);
        uint32_t *ref = calloc((size_t)SOCKS << 16, sizeof(*ref)); /* slot + 1, 0: none */
        uint32_t *live = malloc(SLOTS * sizeof(*live));
        assert_non_null(ref);
        assert_non_null(live);
        uint32_t nlive = 0, rng = 12345;
        for (uint32_t op = 0; op < OPS; op++) {
                rng = rng * 1103515245u + 12345u;
                bool add = nlive == 0 || (nlive < SLOTS && (rng >> 16) % 100 < 52);
                if (add) {
                        uint32_t s = inflight_alloc(&t);
                        assert_int_not_equal(s, INFLIGHT_NONE);
                        uint16_t sock = (uint16_t)((rng >> 8) % SOCKS);
                        assert_int_equal(inflight_link(&t, s, sock, op), 0);
                        uint32_t k = (uint32_t)sock << 16 | t.slots[s].id;
                        assert_int_equal(ref[k], 0);
                        ref[k] = s + 1;
                        live[nlive++] = s;
                } else {
                        uint32_t at = (rng >> 4) % nlive, s = live[at];
                        ref[(uint32_t)t.slots[s].sock << 16 | t.slots[s].id] = 0;
                        inflight_unlink(&t, s);
                        inflight_release(&t, s);
                        live[at] = live[--nlive];
                }
                if (op % 1000 == 0 || op == OPS - 1)
                        for (uint32_t k = 0; k < (uint32_t)SOCKS << 16; k++)
                                assert_int_equal(
                                    inflight_find(&t, (uint16_t)(k >> 16), (uint16_t)k),
                                    ref[k] ? ref[k] - 1 : INFLIGHT_NONE);
        }
        free(ref);
        free(live);
        inflight_free(&t);
}

static void t_deadline_order_and_expiry(void **state)
{
        (void)state;
        enum { N = 6 };
        struct inflight t;
        assert_int_equal(inflight_init(&t, N, 2), 0);
        uint32_t s[N];
        assert_int_equal(inflight_expired(&t, 0), INFLIGHT_NONE);
        assert_int_equal(inflight_expired(&t, UINT64_MAX), INFLIGHT_NONE);
        for (unsigned i = 0; i < N; i++) {
                s[i] = inflight_alloc(&t);
                inflight_link(&t, s[i], (uint16_t)(i % 2), 100 * (i + 1));
                assert_int_equal(t.slots[s[i]].deadline_ms, 100 * (i + 1));
        }
        assert_list(&t, s, N);

        /* Only the head is ever reported, and only once its deadline has passed. */
        assert_int_equal(inflight_expired(&t, 0), INFLIGHT_NONE);
        assert_int_equal(inflight_expired(&t, 99), INFLIGHT_NONE);
        assert_int_equal(inflight_expired(&t, 100), s[0]);
        assert_int_equal(inflight_expired(&t, 100000), s[0]);
        assert_int_equal(inflight_expired(&t, 100), s[0]); /* pure: no state change */

        /* Unlink from the middle. */
        inflight_unlink(&t, s[2]);
        uint32_t w1[] = {s[0], s[1], s[3], s[4], s[5]};
        assert_list(&t, w1, 5);
        /* Unlink the tail. */
        inflight_unlink(&t, s[5]);
        uint32_t w2[] = {s[0], s[1], s[3], s[4]};
        assert_list(&t, w2, 4);
        /* Unlink the head: the next one becomes the head and expires on its own time. */
        inflight_unlink(&t, s[0]);
        uint32_t w3[] = {s[1], s[3], s[4]};
        assert_list(&t, w3, 3);
        assert_int_equal(inflight_expired(&t, 150), INFLIGHT_NONE);
        assert_int_equal(inflight_expired(&t, 200), s[1]);

        /* A later link goes to the tail even after unlinks. */
        inflight_link(&t, s[2], 1, 1000);
        uint32_t w4[] = {s[1], s[3], s[4], s[2]};
        assert_list(&t, w4, 4);

        /* Expiry walk as the engine does it: pop heads while expired. */
        uint32_t popped[N];
        unsigned np = 0;
        uint32_t h;
        while ((h = inflight_expired(&t, 500)) != INFLIGHT_NONE) {
                popped[np++] = h;
                inflight_unlink(&t, h);
        }
        assert_int_equal(np, 3);
        assert_int_equal(popped[0], s[1]);
        assert_int_equal(popped[1], s[3]);
        assert_int_equal(popped[2], s[4]);
        uint32_t w5[] = {s[2]};
        assert_list(&t, w5, 1);
        assert_int_equal(inflight_expired(&t, 999), INFLIGHT_NONE);
        assert_int_equal(inflight_expired(&t, 1000), s[2]);

        /* Unlink the only element: the list is empty. */
        inflight_unlink(&t, s[2]);
        assert_list(&t, NULL, 0);
        assert_int_equal(inflight_expired(&t, UINT64_MAX), INFLIGHT_NONE);
        /* And it can grow again. */
        inflight_link(&t, s[0], 0, 5);
        uint32_t w6[] = {s[0]};
        assert_list(&t, w6, 1);
        assert_int_equal(inflight_expired(&t, 5), s[0]);
        inflight_unlink(&t, s[0]);
        assert_int_equal(inflight_used(&t), N);
        inflight_free(&t);
}

/* 65536 independent uniform draws hit about 65536 * (1 - 1/e) = 41427 distinct values
 * (standard deviation about 80). Far fewer means repeats or a small range; far more means
 * the draws avoid repeats (a counter or a permutation), which independent draws do not. */
static void t_random16_distribution(void **state)
{
        (void)state;
        enum { N = 65536 };
        struct inflight t;
        assert_int_equal(inflight_init(&t, 1, 1), 0);
        uint8_t *seen = calloc(N, 1);
        assert_non_null(seen);
        unsigned distinct = 0, bits[16] = {0}, rises = 0, equal_next = 0;
        uint16_t prev = 0;
        for (unsigned i = 0; i < N; i++) {
                uint16_t v = inflight_random16(&t);
                if (!seen[v]++)
                        distinct++;
                for (unsigned b = 0; b < 16; b++)
                        bits[b] += (v >> b) & 1u;
                if (i) {
                        rises += v > prev;
                        equal_next += v == prev;
                }
                prev = v;
        }
        if (distinct < 40000 || distinct > 43000)
                fail_msg("%u distinct values in %u draws (expected about 41427)", distinct, N);
        /* Each bit set about half the time: 32768 +- 128 (sd); allow +-5%. */
        for (unsigned b = 0; b < 16; b++)
                if (bits[b] < 31130 || bits[b] > 34406)
                        fail_msg("bit %u set %u times in %u draws", b, bits[b], N);
        /* A value exceeds the one before it about half the time. */
        if (rises < 31130 || rises > 34406)
                fail_msg("%u rises in %u draws", rises, N);
        assert_true(equal_next < 20); /* expected about 1 */
        free(seen);
        inflight_free(&t);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_init_rejects_bad_sizes),
            cmocka_unit_test(t_alloc_until_exhausted),
            cmocka_unit_test(t_link_find_unlink),
            cmocka_unit_test(t_id_drawn_ahead),
            cmocka_unit_test(t_ids_unique_per_socket),
            cmocka_unit_test(t_index_churn),
            cmocka_unit_test(t_deadline_order_and_expiry),
            cmocka_unit_test(t_random16_distribution),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* inflight.c -- query slots, (socket, id) index, random ids and the deadline list. */
#include "dns/inflight.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/check.h"

int inflight_init(struct inflight *t, uint32_t nslots, unsigned nsocks)
{
        memset(t, 0, sizeof(*t));
        if (nslots == 0 || nsocks == 0 || nsocks > DS_SOCKETS_MAX)
                return -EINVAL;
        t->slots = calloc(nslots, sizeof(*t->slots));
        t->free_stack = malloc(nslots * sizeof(*t->free_stack));
        uint32_t cap = 1024;
        while (cap < 2 * (uint64_t)nslots)
                cap <<= 1;
        t->index_mask = cap - 1;
        t->index = calloc(cap, sizeof(*t->index));
        if (!t->slots || !t->free_stack || !t->index) {
                inflight_free(t);
                return -ENOMEM;
        }
        t->nslots = nslots;
        t->nsocks = nsocks;
        for (uint32_t i = 0; i < nslots; i++)
                t->free_stack[i] = nslots - 1 - i;
        t->nfree = nslots;
        for (unsigned i = 0; i < DS_DEADLINE_LISTS; i++)
                t->lists[i].head = t->lists[i].tail = INFLIGHT_NONE;
        return 0;
}

void inflight_free(struct inflight *t)
{
        free(t->slots);
        free(t->free_stack);
        free(t->index);
        memset(t, 0, sizeof(*t));
}

uint32_t inflight_alloc(struct inflight *t)
{
        if (t->nfree == 0)
                return INFLIGHT_NONE;
        uint32_t s = t->free_stack[--t->nfree];
        struct query *q = &t->slots[s];
        q->attempts = 0;
        q->linked = false;
        /* The next slot handed out, released a round trip ago: start fetching its head. */
        if (t->nfree > 0)
                __builtin_prefetch(&t->slots[t->free_stack[t->nfree - 1]], 1);
        return s;
}

void inflight_release(struct inflight *t, uint32_t slot)
{
        t->free_stack[t->nfree++] = slot;
}

uint16_t inflight_random16(struct inflight *t)
{
        if (t->nrnd == 0) {
                size_t got = 0;
                while (got < sizeof(t->rnd)) {
                        ssize_t n = getrandom((char *)t->rnd + got, sizeof(t->rnd) - got, 0);
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n < 0) {
                                /* Predictable ids would let anyone on the path forge answers. */
                                perror("getrandom");
                                abort();
                        }
                        got += (size_t)n;
                }
                t->nrnd = sizeof(t->rnd) / sizeof(t->rnd[0]);
        }
        return t->rnd[--t->nrnd];
}

/* The table is at most half full, so a probe always ends at an empty entry. */
static void index_put(struct inflight *t, uint32_t key, uint32_t slot)
{
        uint32_t i = inflight_home(t, key);
        while (t->index[i].key != 0)
                i = (i + 1) & t->index_mask;
        t->index[i].key = key;
        t->index[i].slot = slot;
}

/* Backward-shift deletion: entries after the hole that may move into it do, so that no
 * tombstone ever lengthens a probe. */
static void index_del(struct inflight *t, uint32_t key)
{
        uint32_t m = t->index_mask, i = inflight_home(t, key);
        while (t->index[i].key != key) {
                if (ds_fails(t->index[i].key != 0))
                        return;
                i = (i + 1) & m;
        }
        for (uint32_t j = (i + 1) & m; t->index[j].key != 0; j = (j + 1) & m) {
                uint32_t h = inflight_home(t, t->index[j].key);
                /* j's entry may fill the hole at i unless its home lies in (i, j]. */
                if (((j - h) & m) >= ((j - i) & m)) {
                        t->index[i] = t->index[j];
                        i = j;
                }
        }
        t->index[i].key = 0;
}

static void set_id(struct query *q, uint16_t id)
{
        q->id = id;
        q->pkt[0] = (uint8_t)(id >> 8);
        q->pkt[1] = (uint8_t)id;
}

static void list_append(struct inflight *t, uint32_t slot, unsigned list, uint64_t deadline_ms)
{
        struct query *q = &t->slots[slot];
        if (list >= DS_DEADLINE_LISTS)
                list = DS_DEADLINE_LISTS - 1;
        q->list = (uint8_t)list;
        q->deadline_ms = deadline_ms;
        q->next = INFLIGHT_NONE;
        q->prev = t->lists[list].tail;
        if (q->prev != INFLIGHT_NONE)
                t->slots[q->prev].next = slot;
        else
                t->lists[list].head = slot;
        t->lists[list].tail = slot;
        q->linked = true;
}

int inflight_link_list(struct inflight *t, uint32_t slot, uint16_t sock, unsigned list,
                       uint64_t deadline_ms)
{
        struct query *q = &t->slots[slot];
        uint16_t id;
        int tries = 0;
        do {
                /* At the occupancy the engine allows this almost never loops; a socket that is
                 * nearly full is the caller's cue to use another one. */
                if (++tries > INFLIGHT_ID_TRIES)
                        return -EBUSY;
                id = tries == 1 && t->has_next_id ? t->next_id : inflight_random16(t);
        } while (inflight_find(t, sock, id) != INFLIGHT_NONE);
        index_put(t, inflight_key(sock, id), slot);
        set_id(q, id);
        q->sock = sock;
        q->tcp = false;
        list_append(t, slot, list, deadline_ms);
        /* The next query most likely goes out on this socket (a run of sends shares one):
         * its id is drawn now and its index entry, a random line, fetched from now on
         * rather than waited for then. */
        t->next_id = inflight_random16(t);
        t->has_next_id = true;
        __builtin_prefetch(&t->index[inflight_home(t, inflight_key(sock, t->next_id))]);
        return 0;
}

int inflight_link(struct inflight *t, uint32_t slot, uint16_t sock, uint64_t deadline_ms)
{
        return inflight_link_list(t, slot, sock, 0, deadline_ms);
}

void inflight_link_tcp(struct inflight *t, uint32_t slot, unsigned list, uint64_t deadline_ms)
{
        struct query *q = &t->slots[slot];
        set_id(q, inflight_random16(t));
        q->tcp = true;
        list_append(t, slot, list, deadline_ms);
}

void inflight_unlink(struct inflight *t, uint32_t slot)
{
        struct query *q = &t->slots[slot];
        if (!q->linked)
                return;
        if (!q->tcp)
                index_del(t, inflight_key(q->sock, q->id));
        if (q->prev != INFLIGHT_NONE)
                t->slots[q->prev].next = q->next;
        else
                t->lists[q->list].head = q->next;
        if (q->next != INFLIGHT_NONE)
                t->slots[q->next].prev = q->prev;
        else
                t->lists[q->list].tail = q->prev;
        q->linked = false;
}

uint32_t inflight_expired(const struct inflight *t, uint64_t now_ms)
{
        uint32_t best = INFLIGHT_NONE;
        for (unsigned i = 0; i < DS_DEADLINE_LISTS; i++) {
                uint32_t h = t->lists[i].head;
                if (h == INFLIGHT_NONE || t->slots[h].deadline_ms > now_ms)
                        continue;
                if (best == INFLIGHT_NONE || t->slots[h].deadline_ms < t->slots[best].deadline_ms)
                        best = h;
        }
        return best;
}

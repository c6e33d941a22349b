/* inflight.h -- the table of queries in flight.
 * Contract: a fixed array of query slots (allocated once), a (socket, 16-bit id) index for
 * matching UDP replies in O(1) (TCP queries are matched by their connection and skip it;
 * an open-addressing hash at most half full, so that it stays in the L2 cache where an
 * array over every socket's 65,536 ids cost a cache and TLB miss per query),
 * query ids drawn from the kernel CSPRNG, and DS_DEADLINE_LISTS deadline lists kept in send
 * order: every query in one list has the same timeout, so send order is deadline order and
 * expiry looks only at list heads. Loop thread only; no allocation after inflight_init. */
#ifndef DS_INFLIGHT_H
#define DS_INFLIGHT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/limits.h"

#define INFLIGHT_NONE UINT32_MAX

struct query {
        uint32_t token;      /* the caller's handle for this lookup */
        uint32_t prev, next; /* deadline list links */
        uint64_t deadline_ms;
        uint16_t id;
        uint16_t sock;
        uint16_t resolver;
        uint16_t qtype;
        uint8_t attempts;     /* sends so far */
        bool linked;          /* in the id index (UDP) and a deadline list */
        bool tcp;             /* this attempt went over TCP: not in the id index */
        uint8_t list;         /* deadline list it is in */
        uint64_t give_up_ms;  /* no retry after this time (the lookup's budget) */
        uint64_t sent_us;     /* when the current attempt left, for round-trip times */
        bool want_tcp;        /* the answer was truncated: later attempts use TCP */
        uint8_t tc_switches;  /* attempts added by switching to TCP (not retries) */
        bool malformed_seen;  /* a reply matched but did not parse */
        bool waiting;         /* in the engine's queue for a rate token */
        bool counted;         /* counted in its resolver's in-flight number */
        uint8_t free_resends; /* attempts resent after a congestion loss (not retries) */
        uint16_t qname_len;
        uint16_t pkt_len;
        uint8_t pkt[DS_QUERY_MAX]; /* the query as sent; the question name sits at offset 12 */
};

struct inflight {
        struct query *slots;
        uint32_t nslots;
        uint32_t *free_stack; /* indices of unused slots */
        uint32_t nfree;
        struct inflight_entry {
                uint32_t key; /* (sock << 16 | id) + 1; 0: empty */
                uint32_t slot;
        } * index;           /* owned; linear probing, backward-shift deletion */
        uint32_t index_mask; /* capacity - 1, a power of two >= 2 * nslots */
        unsigned nsocks;
        struct {
                uint32_t head, tail;
        } lists[DS_DEADLINE_LISTS];
        uint16_t rnd[2048]; /* CSPRNG output, consumed from the end */
        unsigned nrnd;
        /* The first id the next UDP link tries, drawn (from rnd) by the link before it so
         * that its index entry could be fetched ahead; has_next_id: not yet tried. */
        uint16_t next_id;
        bool has_next_id;
};

int inflight_init(struct inflight *t, uint32_t nslots, unsigned nsocks);
void inflight_free(struct inflight *t);

/* Take an unused slot, or INFLIGHT_NONE when all are busy. */
uint32_t inflight_alloc(struct inflight *t);
/* Return a slot that is not linked. */
void inflight_release(struct inflight *t, uint32_t slot);

#define INFLIGHT_ID_TRIES 64
/* Choose a fresh random id unused on sock, index the slot under (sock, id) and append it to
 * the deadline list with the given deadline. The slot's id and sock are set. Returns 0, or
 * -EBUSY when INFLIGHT_ID_TRIES random ids were all taken (the socket is nearly full). */
int inflight_link(struct inflight *t, uint32_t slot, uint16_t sock, uint64_t deadline_ms);
/* The same, into deadline list `list` (one list per timeout value). */
int inflight_link_list(struct inflight *t, uint32_t slot, uint16_t sock, unsigned list,
                       uint64_t deadline_ms);
/* A TCP attempt: a fresh random id written into the packet and a deadline, no index entry
 * (the connection matches its replies). */
void inflight_link_tcp(struct inflight *t, uint32_t slot, unsigned list, uint64_t deadline_ms);
/* Remove from the index and the deadline list (reply received or expired). */
void inflight_unlink(struct inflight *t, uint32_t slot);

/* Slot waiting for (sock, id), or INFLIGHT_NONE. */
static inline uint32_t inflight_key(uint16_t sock, uint16_t id)
{
        return ((uint32_t)sock << 16 | id) + 1;
}

/* Where key's probe sequence starts (Fibonacci hashing: ids are random, sockets are not). */
static inline uint32_t inflight_home(const struct inflight *t, uint32_t key)
{
        return (uint32_t)(((uint64_t)key * 0x9E3779B97F4A7C15ull) >> 32) & t->index_mask;
}

static inline uint32_t inflight_find(const struct inflight *t, uint16_t sock, uint16_t id)
{
        uint32_t key = inflight_key(sock, id);
        for (uint32_t i = inflight_home(t, key);; i = (i + 1) & t->index_mask) {
                if (t->index[i].key == key)
                        return t->index[i].slot;
                if (t->index[i].key == 0)
                        return INFLIGHT_NONE;
        }
}

/* A query whose deadline has passed at now_ms (the earliest of the list heads), else
 * INFLIGHT_NONE. */
uint32_t inflight_expired(const struct inflight *t, uint64_t now_ms);

static inline uint32_t inflight_used(const struct inflight *t)
{
        return t->nslots - t->nfree;
}

/* Random 16-bit value from the CSPRNG buffer (also used to pick sockets). */
uint16_t inflight_random16(struct inflight *t);

#endif

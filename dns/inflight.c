/* inflight.c -- query slots, (socket, id) index, random ids and the deadline list. */
#include "dns/inflight.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int inflight_init(struct inflight *t, uint32_t nslots, unsigned nsocks)
{
	memset(t, 0, sizeof(*t));
	if (nslots == 0 || nsocks == 0 || nsocks > DS_SOCKETS_MAX)
		return -EINVAL;
	t->slots = calloc(nslots, sizeof(*t->slots));
	t->free_stack = malloc(nslots * sizeof(*t->free_stack));
	/* calloc: the kernel hands out zero pages lazily, so 8 MiB of index for 32 sockets
	 * costs only the pages of ids actually used. */
	t->index = calloc((size_t)nsocks << 16, sizeof(*t->index));
	if (!t->slots || !t->free_stack || !t->index) {
		inflight_free(t);
		return -ENOMEM;
	}
	t->nslots = nslots;
	t->nsocks = nsocks;
	for (uint32_t i = 0; i < nslots; i++)
		t->free_stack[i] = nslots - 1 - i;
	t->nfree = nslots;
	t->head = t->tail = INFLIGHT_NONE;
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

int inflight_link(struct inflight *t, uint32_t slot, uint16_t sock, uint64_t deadline_ms)
{
	struct query *q = &t->slots[slot];
	uint16_t id;
	int tries = 0;
	do {
		/* At the occupancy the engine allows this almost never loops; a socket that is
		 * nearly full is the caller's cue to use another one. */
		if (++tries > INFLIGHT_ID_TRIES)
			return -EBUSY;
		id = inflight_random16(t);
	} while (t->index[(uint32_t)sock << 16 | id] != 0);
	t->index[(uint32_t)sock << 16 | id] = slot + 1;
	q->id = id;
	q->sock = sock;
	q->pkt[0] = (uint8_t)(id >> 8);
	q->pkt[1] = (uint8_t)id;
	q->deadline_ms = deadline_ms;
	q->next = INFLIGHT_NONE;
	q->prev = t->tail;
	if (t->tail != INFLIGHT_NONE)
		t->slots[t->tail].next = slot;
	else
		t->head = slot;
	t->tail = slot;
	q->linked = true;
	return 0;
}

void inflight_unlink(struct inflight *t, uint32_t slot)
{
	struct query *q = &t->slots[slot];
	if (!q->linked)
		return;
	t->index[(uint32_t)q->sock << 16 | q->id] = 0;
	if (q->prev != INFLIGHT_NONE)
		t->slots[q->prev].next = q->next;
	else
		t->head = q->next;
	if (q->next != INFLIGHT_NONE)
		t->slots[q->next].prev = q->prev;
	else
		t->tail = q->prev;
	q->linked = false;
}

uint32_t inflight_expired(const struct inflight *t, uint64_t now_ms)
{
	if (t->head == INFLIGHT_NONE || t->slots[t->head].deadline_ms > now_ms)
		return INFLIGHT_NONE;
	return t->head;
}

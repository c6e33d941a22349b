/* ansmemo.h -- a classifier thread's copy of the shared answers it has been handed (the
 * scan's shared cache, dns/anscache.h, lives on the loop thread). When a check's next
 * lookup is a shared one that the thread holds, job_step() answers it on the spot: the
 * domain's walk, report authorization and verdict go on in the same classifier call, with
 * no round trip through the loop and with the record parsed a moment ago still in the
 * scratch (scanner/dmarc/reparse.h), where a trip let other domains' records in between.
 * Contract: one thread. An answer is held only when the shared cache kept it, and only
 * until the loop time the cache keeps it (its TTL, RFC 2308 for negative answers): the
 * caller gives both times on the loop's clock. Failures are never held (the cache says
 * until = 0 for them). Names compare ASCII case-insensitively (0x20 queries share).
 * An answer is held with its parse (dns/wire.h), so that the check that takes it does not
 * validate the packet again.
 * Bounded: ANSMEMO_SLOTS direct-mapped slots, a new answer replaces the one in its slot;
 * each slot owns one buffer for its name and packet that grows to the largest it held, and
 * answers over ANSMEMO_PKT_MAX bytes (TCP's rare large TXT sets) are not held: at most
 * about 4.4 MB a thread. */
#ifndef DS_ANSMEMO_H
#define DS_ANSMEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/wire.h"

#define ANSMEMO_SLOTS   1024 /* a power of two */
#define ANSMEMO_PKT_MAX 4096 /* bytes */

struct ansmemo;

/* Returns 0 or -ENOMEM (*out NULL). */
int ansmemo_new(struct ansmemo **out);
void ansmemo_free(struct ansmemo *m);

/* Hold pkt (copied) as the answer to (qname in wire form, qtype) until loop time until_ms,
 * with parsed, wire_reply_parse()'s result for those bytes (its pkt is not read), or when
 * parsed is NULL, with a parse made here. Nothing happens for until_ms <= now_ms, an
 * invalid name, len over ANSMEMO_PKT_MAX, a packet that does not parse, or when memory
 * runs out. */
void ansmemo_put(struct ansmemo *m, const uint8_t *qname, size_t qname_len, uint16_t qtype,
                 const uint8_t *pkt, size_t len, const struct wire_reply *parsed, uint64_t until_ms,
                 uint64_t now_ms);

/* The answer held for (qname, qtype) at loop time now_ms: true and its parse in *r (r->pkt,
 * r->len: the packet, valid until the next put), or false. */
bool ansmemo_get(struct ansmemo *m, const uint8_t *qname, size_t qname_len, uint16_t qtype,
                 uint64_t now_ms, struct wire_reply *r);

/* Lookups answered by ansmemo_get() so far. m may be NULL: 0. */
uint64_t ansmemo_hits(const struct ansmemo *m);

#endif

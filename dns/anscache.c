/* anscache.c -- shared answer cache with fetch joining (see anscache.h), on ck_hs. */
#include "dns/anscache.h"

#include <ck_hs.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/ckalloc.h"
#include "dns/engine.h"
#include "dns/wire.h"

#define NO_TOKEN UINT32_MAX

/* A stored entry begins with its key, so ck_hs compares entries and lookup keys alike. */
struct key {
        uint16_t qtype;
        uint16_t n;
        const uint8_t *name; /* lower-case wire form */
};

struct entry {
        struct key k;
        bool pending;        /* a fetch is in flight; pkt is NULL */
        uint64_t expire_ms;  /* loop time; kept replies only */
        uint32_t head, tail; /* waiting tokens (c->next links them) */
        uint8_t *pkt;        /* owned */
        size_t len;
        uint8_t name[]; /* k.name points here */
};

struct anscache {
        ck_hs_t hs;
        uint32_t *next; /* owned: per token, the next waiter of the same fetch */
        uint32_t tokens;
        size_t max_bytes;
        struct anscache_stats st;
};

static unsigned long key_hash(const void *object, unsigned long seed)
{
        const struct key *k = object;
        uint64_t h = (14695981039346656037ULL ^ seed) * 1099511628211ULL ^ k->qtype;
        for (size_t i = 0; i < k->n; i++)
                h = (h ^ k->name[i]) * 1099511628211ULL; /* FNV-1a */
        return (unsigned long)h;
}

static bool key_equal(const void *a, const void *b)
{
        const struct key *x = a, *y = b;
        return x->qtype == y->qtype && x->n == y->n && memcmp(x->name, y->name, x->n) == 0;
}

int anscache_new(struct anscache **out, uint32_t tokens, size_t max_bytes)
{
        *out = NULL;
        struct anscache *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->next = malloc((size_t)(tokens ? tokens : 1) * sizeof(*c->next));
        if (!c->next || !ck_hs_init(&c->hs, CK_HS_MODE_OBJECT | CK_HS_MODE_SPMC, key_hash,
                                    key_equal, &ds_ck_allocator, 1024, 0xca5eu)) {
                free(c->next);
                free(c);
                return -ENOMEM;
        }
        c->tokens = tokens;
        c->max_bytes = max_bytes;
        *out = c;
        return 0;
}

static size_t entry_bytes(const struct entry *e)
{
        return sizeof(*e) + e->k.n + e->len;
}

void anscache_free(struct anscache *c)
{
        if (!c)
                return;
        ck_hs_iterator_t it = CK_HS_ITERATOR_INITIALIZER;
        void *v;
        while (ck_hs_next(&c->hs, &it, &v)) {
                struct entry *e = v;
                free(e->pkt);
                free(e);
        }
        ck_hs_destroy(&c->hs);
        free(c->next);
        free(c);
}

/* The lower-case key of a wire name into buf (DS_NAME_MAX_WIRE bytes). */
static bool make_key(struct key *k, uint8_t *buf, const uint8_t *qname, size_t n, uint16_t qtype)
{
        if (n == 0 || n > DS_NAME_MAX_WIRE)
                return false;
        for (size_t i = 0; i < n; i++)
                buf[i] = qname[i] >= 'A' && qname[i] <= 'Z' ? (uint8_t)(qname[i] | 0x20) : qname[i];
        *k = (struct key){.qtype = qtype, .n = (uint16_t)n, .name = buf};
        return true;
}

static struct entry *find(struct anscache *c, const struct key *k, unsigned long *hash)
{
        *hash = CK_HS_HASH(&c->hs, key_hash, k);
        return ck_hs_get(&c->hs, *hash, k);
}

static void forget(struct anscache *c, struct entry *e, unsigned long hash)
{
        (void)ck_hs_remove(&c->hs, hash, &e->k);
        c->st.bytes -= entry_bytes(e);
        c->st.entries--;
        free(e->pkt);
        free(e);
}

static void enqueue(struct anscache *c, struct entry *e, uint32_t token)
{
        c->next[token] = NO_TOKEN;
        if (e->tail == NO_TOKEN)
                e->head = token;
        else
                c->next[e->tail] = token;
        e->tail = token;
}

/* An entry for a fetch about to start; NULL when out of memory (then nothing is joined). */
static struct entry *add_pending(struct anscache *c, const struct key *k, unsigned long hash)
{
        struct entry *e = malloc(sizeof(*e) + k->n);
        if (!e)
                return NULL;
        memcpy(e->name, k->name, k->n);
        e->k = (struct key){.qtype = k->qtype, .n = k->n, .name = e->name};
        e->pending = true;
        e->expire_ms = 0;
        e->head = e->tail = NO_TOKEN;
        e->pkt = NULL;
        e->len = 0;
        if (!ck_hs_put(&c->hs, hash, &e->k)) {
                free(e);
                return NULL;
        }
        c->st.bytes += entry_bytes(e);
        c->st.entries++;
        return e;
}

enum anscache_get anscache_get(struct anscache *c, const uint8_t *qname, size_t qname_len,
                               uint16_t qtype, uint64_t now_ms, uint32_t token, const uint8_t **pkt,
                               size_t *len, uint64_t *until)
{
        uint8_t buf[DS_NAME_MAX_WIRE];
        struct key k;
        unsigned long hash;
        if (ds_fails(token < c->tokens) || !make_key(&k, buf, qname, qname_len, qtype)) {
                c->st.fetched++;
                return ANSCACHE_MISS;
        }
        struct entry *e = find(c, &k, &hash);
        if (e && e->pending) {
                c->st.joined++;
                enqueue(c, e, token);
                return ANSCACHE_WAIT;
        }
        if (e && now_ms < e->expire_ms) {
                c->st.hits++;
                *pkt = e->pkt;
                *len = e->len;
                *until = e->expire_ms;
                return ANSCACHE_HIT;
        }
        if (e) {
                c->st.expired++;
                forget(c, e, hash);
        }
        (void)add_pending(c, &k, hash);
        c->st.fetched++;
        return ANSCACHE_MISS;
}

/* Seconds a reply may be kept: the smallest answer TTL, bounded by the negative TTL when
 * the authority section has an SOA (RFC 2308 5: the SOA's TTL bounded by its MINIMUM), as it
 * does for NXDOMAIN and NODATA, also at the end of a CNAME whose own TTL is longer; 0: not at
 * all (no records and no SOA, a failure, a truncated or malformed reply). */
static uint32_t keep_seconds(const uint8_t *pkt, size_t len)
{
        struct wire_reply r;
        if (wire_reply_parse(&r, pkt, len) < 0 || wire_tc(pkt) ||
            (r.rcode != WIRE_RCODE_NOERROR && r.rcode != WIRE_RCODE_NXDOMAIN))
                return 0;
        struct wire_rr_iter it;
        struct wire_rr rr;
        uint32_t ttl = UINT32_MAX;
        wire_rr_iter_init(&it, &r);
        while (wire_rr_next(&it, &rr) == 1) {
                if (rr.section == WIRE_SEC_ANSWER) {
                        ttl = rr.ttl < ttl ? rr.ttl : ttl;
                } else if (rr.section == WIRE_SEC_AUTHORITY && rr.type == WIRE_TYPE_SOA &&
                           rr.rdlen >= 20) {
                        const uint8_t *m = pkt + rr.rdata_off + rr.rdlen - 4;
                        uint32_t minimum = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
                                           (uint32_t)m[2] << 8 | m[3];
                        uint32_t neg = rr.ttl < minimum ? rr.ttl : minimum;
                        ttl = neg < ttl ? neg : ttl;
                }
        }
        return ttl == UINT32_MAX ? 0 : ttl;
}

/* Keep pkt in e (no longer pending); false when it may not or cannot be kept. */
static bool keep(struct anscache *c, struct entry *e, int status, const uint8_t *pkt, size_t len,
                 uint64_t now_ms)
{
        uint32_t secs = status == ENGINE_REPLY ? keep_seconds(pkt, len) : 0;
        if (secs == 0) {
                c->st.not_kept++;
                return false;
        }
        if (c->st.bytes + len > c->max_bytes) {
                c->st.full++;
                return false;
        }
        e->pkt = malloc(len);
        if (!e->pkt)
                return false;
        memcpy(e->pkt, pkt, len);
        e->len = len;
        e->pending = false;
        e->expire_ms = now_ms + (uint64_t)secs * 1000;
        c->st.bytes += len;
        c->st.kept++;
        return true;
}

uint64_t anscache_complete(struct anscache *c, const uint8_t *qname, size_t qname_len,
                           uint16_t qtype, int engine_status, const uint8_t *pkt, size_t len,
                           uint64_t now_ms, anscache_wake_fn wake, void *ctx)
{
        uint8_t buf[DS_NAME_MAX_WIRE];
        struct key k;
        unsigned long hash;
        if (!make_key(&k, buf, qname, qname_len, qtype))
                return 0;
        struct entry *e = find(c, &k, &hash);
        if (!e || !e->pending) /* no entry could be made when the fetch started */
                return 0;
        uint32_t t = e->head;
        e->head = e->tail = NO_TOKEN;
        uint64_t until = 0;
        if (keep(c, e, engine_status, pkt, len, now_ms))
                until = e->expire_ms;
        else
                forget(c, e, hash);
        /* Waking may start lookups that consult the cache again (and find it, or fetch it
         * anew after forget): the list is detached, and e is not read past this point. */
        while (t != NO_TOKEN) {
                uint32_t next = c->next[t];
                wake(ctx, t, engine_status, pkt, len, until);
                t = next;
        }
        return until;
}

void anscache_stats(const struct anscache *c, struct anscache_stats *out)
{
        *out = c ? c->st : (struct anscache_stats){0};
}

/* ansmemo.c -- a classifier thread's shared answers (see ansmemo.h). */
#include "scanner/ansmemo.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/text.h"
#include "dns/limits.h"

struct slot {
        uint64_t until_ms; /* 0: empty */
        uint64_t hash;
        uint16_t qtype;
        uint16_t name_len;
        uint32_t len;             /* of the packet, after the name in buf */
        size_t cap;               /* of buf */
        uint8_t *buf;             /* owned: the lower-case name, then the packet */
        struct wire_reply parsed; /* the packet's (pkt set by ansmemo_get) */
};

struct ansmemo {
        struct slot slot[ANSMEMO_SLOTS];
        uint64_t hits;
};

int ansmemo_new(struct ansmemo **out)
{
        *out = calloc(1, sizeof(**out));
        return *out ? 0 : -ENOMEM;
}

void ansmemo_free(struct ansmemo *m)
{
        if (!m)
                return;
        for (unsigned i = 0; i < ANSMEMO_SLOTS; i++)
                free(m->slot[i].buf);
        free(m);
}

static bool valid_len(size_t n)
{
        return n > 0 && n <= DS_NAME_MAX_WIRE;
}

static struct slot *slot_of(struct ansmemo *m, uint64_t hash)
{
        return &m->slot[hash & (ANSMEMO_SLOTS - 1)];
}

void ansmemo_put(struct ansmemo *m, const uint8_t *qname, size_t qname_len, uint16_t qtype,
                 const uint8_t *pkt, size_t len, const struct wire_reply *parsed, uint64_t until_ms,
                 uint64_t now_ms)
{
        struct wire_reply r;
        if (until_ms <= now_ms || len > ANSMEMO_PKT_MAX || !valid_len(qname_len))
                return;
        if (parsed)
                r = *parsed;
        else if (wire_reply_parse(&r, pkt, len) < 0)
                return;
        uint64_t hash = ds_hash_lower(qtype, qname, qname_len);
        struct slot *s = slot_of(m, hash);
        size_t need = qname_len + len;
        if (need > s->cap) {
                uint8_t *b = realloc(s->buf, need);
                if (!b) {
                        s->until_ms = 0; /* the old answer stays unusable rather than wrong */
                        return;
                }
                s->buf = b;
                s->cap = need;
        }
        for (size_t i = 0; i < qname_len; i++)
                s->buf[i] = ds_ascii_lower(qname[i]);
        memcpy(s->buf + qname_len, pkt, len);
        s->until_ms = until_ms;
        s->hash = hash;
        s->qtype = qtype;
        s->name_len = (uint16_t)qname_len;
        s->len = (uint32_t)len;
        s->parsed = r;
        s->parsed.pkt = NULL;
}

bool ansmemo_get(struct ansmemo *m, const uint8_t *qname, size_t qname_len, uint16_t qtype,
                 uint64_t now_ms, struct wire_reply *r)
{
        if (!valid_len(qname_len))
                return false;
        uint64_t hash = ds_hash_lower(qtype, qname, qname_len);
        const struct slot *s = slot_of(m, hash);
        if (now_ms >= s->until_ms || s->hash != hash || s->qtype != qtype ||
            s->name_len != qname_len)
                return false;
        for (size_t i = 0; i < qname_len; i++)
                if (s->buf[i] != ds_ascii_lower(qname[i]))
                        return false;
        *r = s->parsed;
        r->pkt = s->buf + qname_len;
        r->len = s->len;
        m->hits++;
        return true;
}

uint64_t ansmemo_hits(const struct ansmemo *m)
{
        return m ? m->hits : 0;
}

/* lookup.c -- one check's lookup: the question, the CNAME links, the reply kept. */
#include "scanner/lookup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "dns/engine.h"
#include "dns/https.h"
#include "dns/wire.h"

int lookup_set(struct lookup *l, const char *text, uint16_t qtype)
{
        int n = wire_name_from_text(text, l->qname, sizeof(l->qname));
        if (n < 0)
                return n;
        l->qname_len = (uint16_t)n;
        l->qtype = qtype;
        l->cname_hops = 0;
        l->shared = false;
        l->cd = false;
        l->https = false;
        return 0;
}

int lookup_set_https(struct lookup *l, const char *host, const uint8_t *addr, size_t addr_len,
                     const char *path)
{
        if (addr_len != 4 && addr_len != 16)
                return -EINVAL;
        int rc = lookup_set(l, host, 0);
        if (rc < 0)
                return rc;
        l->https = true;
        l->path = path;
        l->addr_len = (uint8_t)addr_len;
        memcpy(l->addr, addr, addr_len);
        return 0;
}

void lookup_target(const struct lookup *l, char *out, size_t cap)
{
        out[0] = 0;
        if (l->cname_hops && wire_name_to_text(l->qname, l->qname_len, out, cap) < 0)
                out[0] = 0;
}

/* Copy the reply or body in, over the previous one. */
static void keep(struct lookup *l, const uint8_t *pkt, size_t len)
{
        uint8_t *dst = l->reply;
        /* A check reads reply_big whenever it is set: drop the previous lookup's. */
        free(l->reply_big);
        l->reply_big = NULL;
        if (len > sizeof(l->reply)) {
                l->reply_big = ds_xmalloc(len, "a large reply");
                dst = l->reply_big;
        }
        memcpy(dst, pkt, len);
        l->reply_len = (uint32_t)len;
}

void lookup_prefetch(const struct lookup *l, size_t len)
{
        __builtin_prefetch(l, 1); /* the head: shared, the counters, the status */
        const char *p = (const char *)&l->has_parsed;
        const char *end = (const char *)l->reply + (len < sizeof(l->reply) ? len : 0);
        for (; p < end; p += 64)
                __builtin_prefetch(p, 1);
}

void lookup_prefetch_kept(const struct lookup *l)
{
        __builtin_prefetch(l);
        __builtin_prefetch(l->qname);
        __builtin_prefetch(&l->parsed);
        const char *r = (const char *)l->reply;
        for (unsigned k = 0; k < 4; k++)
                __builtin_prefetch(r + 64 * k);
}

void lookup_set_reply(struct lookup *l, int engine_status, const uint8_t *pkt, size_t len,
                      unsigned attempts)
{
        l->last_status = (int16_t)engine_status;
        l->attempts = (uint16_t)(l->attempts + attempts);
        l->reply_len = 0;
        l->has_parsed = false;
        l->shared_until = 0;
        if (engine_status == ENGINE_REPLY)
                keep(l, pkt, len);
}

void lookup_set_parsed(struct lookup *l, const struct wire_reply *r, unsigned attempts)
{
        lookup_set_reply(l, ENGINE_REPLY, r->pkt, r->len, attempts);
        l->parsed = *r;
        l->parsed.pkt = NULL; /* the kept copy is where it points: lookup_parse() sets it */
        l->has_parsed = true;
}

int lookup_parse(const struct lookup *l, struct wire_reply *r)
{
        if (!l->has_parsed)
                return wire_reply_parse(r, lookup_reply(l), l->reply_len);
        /* The same bytes the engine validated: keep() copied them whole. */
        if (ds_fails(l->parsed.len == l->reply_len))
                return wire_reply_parse(r, lookup_reply(l), l->reply_len);
        *r = l->parsed;
        r->pkt = lookup_reply(l);
        return 0;
}

void lookup_set_fetched(struct lookup *l, const struct https_result *r)
{
        l->last_status = (int16_t)r->status;
        l->http_code = (uint16_t)r->http_code;
        l->text_plain = r->text_plain;
        l->reply_len = 0;
        l->has_parsed = false;
        l->shared_until = 0;
        if (r->status == HTTPS_OK)
                keep(l, r->body, r->len);
}

enum lookup_read lookup_read(struct lookup *l, struct wire_reply *r, int *status,
                             lookup_has_data_fn has_data, void *ctx)
{
        if (l->last_status != ENGINE_REPLY) {
                *status = l->last_status == ENGINE_TIMEOUT ? LOOKUP_TIMEOUT : LOOKUP_MALFORMED;
                return LOOKUP_READ_DONE;
        }
        *status = LOOKUP_MALFORMED;
        if (lookup_parse(l, r) < 0)
                return LOOKUP_READ_DONE;
        uint8_t final[DS_NAME_MAX_WIRE];
        int hops = 0;
        int flen = wire_cname_chase(r, l->qname, l->qname_len, final, sizeof(final), &hops);
        if (flen < 0 || l->cname_hops + hops > DS_CNAME_HOPS_MAX) {
                *status = flen == -EBADMSG ? LOOKUP_MALFORMED : LOOKUP_CNAME_LOOP;
                return LOOKUP_READ_DONE;
        }
        l->cname_hops = (uint8_t)(l->cname_hops + hops);
        if (hops) {
                memcpy(l->qname, final, (size_t)flen);
                l->qname_len = (uint16_t)flen;
        }
        *status = r->rcode;
        if (r->rcode != WIRE_RCODE_NOERROR || !hops || !has_data)
                return LOOKUP_READ_DONE;
        return has_data(r, l->qname, l->qname_len, ctx) ? LOOKUP_READ_DONE : LOOKUP_READ_FOLLOW;
}

void lookup_note_ad(struct lookup *l, const uint8_t *zone, size_t zone_len)
{
        if (l->https || l->last_status != ENGINE_REPLY || l->cd || l->reply_len < WIRE_HEADER_LEN)
                return;
        const uint8_t *pkt = lookup_reply(l);
        int rcode = wire_rcode_of(pkt);
        if (rcode != WIRE_RCODE_NOERROR && rcode != WIRE_RCODE_NXDOMAIN)
                return;
        if (wire_name_under(l->qname, l->qname_len, zone, zone_len) != 1)
                return;
        if (wire_ad(pkt))
                l->ad_yes++;
        else
                l->ad_no++;
}

void lookup_reset(struct lookup *l)
{
        l->cname_hops = 0;
        l->attempts = 0;
        l->reply_len = 0;
        l->reply_big = NULL;
        l->has_parsed = false;
        l->qname_len = 0;
        l->qtype = 0;
        l->finished = false;
        l->shared = false;
        l->shared_until = 0;
        l->cd = false;
        l->https = false;
        l->ad_yes = l->ad_no = 0;
        l->last_status = ENGINE_REPLY;
}

void lookup_clear(struct lookup *l)
{
        free(l->reply_big);
        l->reply_big = NULL;
}

bool lookup_failed(int status)
{
        return status != WIRE_RCODE_NOERROR && status != WIRE_RCODE_NXDOMAIN;
}

const char *lookup_status_name(int status)
{
        switch (status) {
        case LOOKUP_PENDING:
                return "PENDING";
        case LOOKUP_TIMEOUT:
                return "TIMEOUT";
        case LOOKUP_MALFORMED:
                return "MALFORMED";
        case LOOKUP_CNAME_LOOP:
                return "CNAME_LOOP";
        case LOOKUP_NAME_TOO_LONG:
                return "NAME_TOO_LONG";
        default:
                return wire_rcode_name(status);
        }
}

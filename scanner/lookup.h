/* lookup.h -- one check's lookup of one domain: the name and type to ask, the CNAME links
 * followed, and the reply the engine delivered.
 * Contract: owned by exactly one thread at a time, like its job (job.h): the loop thread
 * while the lookup is in flight, a classifier while the check digests the reply. A check
 * has at most one lookup in flight; a job has one struct lookup per check, so its checks'
 * lookups run concurrently. No allocation except lookup_set_reply() for replies over
 * DS_REPLY_INLINE. */
#ifndef DS_LOOKUP_H
#define DS_LOOKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/limits.h"
#include "dns/wire.h"

struct job;

/* Outcome of a lookup, as written in "status": an rcode (>= 0) or one of these. */
enum lookup_status {
        LOOKUP_PENDING = -1,
        LOOKUP_TIMEOUT = -2,
        LOOKUP_MALFORMED = -3, /* a matching reply that could not be parsed */
        LOOKUP_CNAME_LOOP = -4,
        LOOKUP_NAME_TOO_LONG = -5, /* the name to ask would exceed 255 octets: not asked */
};

struct lookup {
        struct job *job;    /* the job it belongs to (set by job_start) */
        uint8_t index;      /* its check's position in the job's check set */
        uint8_t handoff;    /* enum job_step, when handed back to the loop */
        uint8_t cname_hops; /* CNAME links followed so far in the current lookup */
        bool finished;      /* the check asks nothing more */
        bool shared;        /* many domains ask this name: go through the scan's shared
                               answer cache (dns/anscache.h); lookup_set() clears it */
        bool cd;            /* ask with CD=1 (checking disabled); lookup_set() clears it */
        /* Loop time until which the scan's shared cache keeps the reply just delivered (0:
         * it does not): a classifier may answer the same question from it until then
         * (scanner/ansmemo.h). Set by the loop with each reply; lookup_set_reply() and its
         * kin clear it. */
        uint64_t shared_until;
        /* The next lookup is no DNS question but an HTTPS GET of https://<qname><path> from
         * addr (lookup_set_https); lookup_set() clears it. Its outcome: last_status is then
         * an enum https_status (dns/https.h), http_code the answer's status (0: none),
         * text_plain its Content-Type, the reply the body. */
        bool https;
        bool text_plain;
        uint8_t addr_len; /* 4 or 16 */
        uint16_t http_code;
        const char *path; /* static */
        uint8_t addr[16];
        /* Answers (NOERROR, NXDOMAIN) at names at or below the domain, with and without
         * AD, over all this check's lookups (lookup_note_ad); for the dnssec check. */
        uint16_t ad_yes, ad_no;
        uint16_t attempts;   /* datagrams sent, all of this check's lookups */
        int16_t last_status; /* enum engine_status of the last lookup */
        uint16_t qtype;
        uint16_t qname_len;
        uint32_t reply_len;
        uint8_t qname[DS_NAME_MAX_WIRE]; /* the lookup to send next / in flight */
        uint8_t *reply_big;              /* owned: replies larger than reply[] */
        /* The engine's parse of the reply kept (has_parsed; its pkt is not used: offsets are
         * into the kept bytes), so that the classifier does not walk the packet again. */
        bool has_parsed;
        struct wire_reply parsed;
        uint8_t reply[DS_REPLY_INLINE];
};

/* Make (text, qtype) the next lookup: a fresh lookup starts with no CNAME links. Returns 0,
 * or -errno when text is no valid name (over 255 octets). */
int lookup_set(struct lookup *l, const char *text, uint16_t qtype);

/* Make an HTTPS GET of https://<host><path> from addr (addr_len 4 or 16 bytes, network
 * order) the next lookup; path is static. Returns 0, or -EINVAL. */
int lookup_set_https(struct lookup *l, const char *host, const uint8_t *addr, size_t addr_len,
                     const char *path);

/* The current lookup's final owner name after CNAMEs, "" when none was followed. */
void lookup_target(const struct lookup *l, char *out, size_t cap);

/* A hint before a reply of len bytes is kept (lookup_set_parsed): start fetching the lines
 * that keeping it will write. Changes nothing. */
void lookup_prefetch(const struct lookup *l, size_t len);

/* A hint before a classifier reads the lookup: start fetching its head, its question and
 * the first lines of the reply kept. Changes nothing. */
void lookup_prefetch_kept(const struct lookup *l);

/* Keep the result of the lookup in flight (loop thread); copies pkt. */
void lookup_set_reply(struct lookup *l, int engine_status, const uint8_t *pkt, size_t len,
                      unsigned attempts);

/* The same, with the parse the engine validated the reply with (r->pkt == r's bytes): the
 * classifier then need not parse it again. */
void lookup_set_parsed(struct lookup *l, const struct wire_reply *r, unsigned attempts);

/* The reply's bytes (after lookup_set_reply with ENGINE_REPLY). */
static inline const uint8_t *lookup_reply(const struct lookup *l)
{
        return l->reply_big ? l->reply_big : l->reply;
}

struct https_result;

/* Keep the outcome of the HTTPS GET in flight (loop thread); copies the body. */
void lookup_set_fetched(struct lookup *l, const struct https_result *r);

/* The reply kept, parsed into *r: the engine's parse when it came with one, else parsed
 * now. 0, or -EBADMSG for a reply that does not parse. */
int lookup_parse(const struct lookup *l, struct wire_reply *r);

/* What lookup_read() made of the reply to the lookup in flight. */
enum lookup_read {
        LOOKUP_READ_DONE,   /* *status is final; for NOERROR, r is the parsed reply */
        LOOKUP_READ_FOLLOW, /* a CNAME left the reply without data: l->qname is now its
                               target, to be asked next (lookup_set not needed) */
};

/* Digest the reply the engine delivered: the status (rcode, or TIMEOUT, MALFORMED,
 * CNAME_LOOP) into *status, the packet parsed into *r, CNAMEs chased (l->qname becomes the
 * final owner, l->cname_hops grows; over DS_CNAME_HOPS_MAX is CNAME_LOOP). has_data(r,
 * name, name_len, ctx) says whether the reply holds the records sought at the final owner;
 * when it is NULL, or says no after a CNAME was followed in a NOERROR reply, the target is
 * asked next (READ_FOLLOW) -- an authoritative server stops at a CNAME leaving its zone.
 * has_data may be NULL for lookups that a CNAME alone answers (existence). */
typedef bool (*lookup_has_data_fn)(const struct wire_reply *r, const uint8_t *name, size_t name_len,
                                   void *ctx);
enum lookup_read lookup_read(struct lookup *l, struct wire_reply *r, int *status,
                             lookup_has_data_fn has_data, void *ctx);

/* Count the reply just delivered to l in ad_yes or ad_no when it is an answer (NOERROR or
 * NXDOMAIN, not asked with CD) to a question at or below zone (the domain, wire form). */
void lookup_note_ad(struct lookup *l, const uint8_t *zone, size_t zone_len);

/* Fresh state for a new domain; release what the lookup allocated (idempotent). */
void lookup_reset(struct lookup *l);
void lookup_clear(struct lookup *l);

/* Neither NOERROR nor NXDOMAIN: the lookup could not tell. */
bool lookup_failed(int status);

/* "NOERROR", "TIMEOUT", ... for a lookup status. */
const char *lookup_status_name(int status);

#endif

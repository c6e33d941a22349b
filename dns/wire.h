/* wire.h -- DNS wire format: query encoding and a zero-allocation reply parser.
 * Contract: no heap allocation anywhere; every read is bounds-checked against the packet
 * length and compression pointers are loop-safe, so any byte string can be fed in.
 * Functions return a length or 0 on success and -errno on failure:
 * -EINVAL bad argument or text, -EMSGSIZE output buffer too small, -EBADMSG malformed packet.
 * Names in "wire form" are uncompressed label sequences ending with the root label. */
#ifndef DS_WIRE_H
#define DS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/limits.h"

enum wire_type {
        WIRE_TYPE_A = 1,
        WIRE_TYPE_NS = 2,
        WIRE_TYPE_CNAME = 5,
        WIRE_TYPE_SOA = 6,
        WIRE_TYPE_MX = 15,
        WIRE_TYPE_TXT = 16,
        WIRE_TYPE_AAAA = 28,
        WIRE_TYPE_OPT = 41,
};

enum wire_rcode {
        WIRE_RCODE_NOERROR = 0,
        WIRE_RCODE_FORMERR = 1,
        WIRE_RCODE_SERVFAIL = 2,
        WIRE_RCODE_NXDOMAIN = 3,
        WIRE_RCODE_NOTIMP = 4,
        WIRE_RCODE_REFUSED = 5,
};

#define WIRE_CLASS_IN   1
#define WIRE_HEADER_LEN 12

enum wire_section { WIRE_SEC_ANSWER = 1, WIRE_SEC_AUTHORITY = 2, WIRE_SEC_ADDITIONAL = 3 };

/* Presentation name ("example.com", trailing dot optional, "." for root) to wire form.
 * Case is kept. Escapes (\. \DDD) are not supported: input names are hostnames. */
int wire_name_from_text(const char *text, uint8_t *out, size_t cap);

/* Uncompressed wire name to text without trailing dot ("." for root), NUL-terminated;
 * returns the text length. Bytes outside [!-~], and '.' and '\\' inside labels, are
 * written as \DDD, as in zone files, so the text is unambiguous. */
int wire_name_to_text(const uint8_t *name, size_t name_len, char *out, size_t cap);

/* A query's flags (wire_query_encode): RD in the header; DO (RFC 3225: the resolver may
 * return DNSSEC records and sets AD on validated answers) in the OPT RR; CD (RFC 4035
 * 3.2.2: checking disabled, the answer even when validation fails) in the header. */
enum wire_qflag { WIRE_Q_RD = 1, WIRE_Q_DO = 2, WIRE_Q_CD = 4 };

/* Query: header (id, RD and CD as flags ask, QDCOUNT 1, ARCOUNT 1), the question (qname in
 * wire form, qtype, class IN) and an EDNS0 OPT RR advertising DS_EDNS_PAYLOAD, with DO when
 * flags ask. Returns its length. */
int wire_query_encode(uint8_t *out, size_t cap, uint16_t id, const uint8_t *qname, size_t qname_len,
                      uint16_t qtype, unsigned flags);

/* Cheap check for the receive path: is pkt a response (QR=1) with QDCOUNT 1 whose question
 * is exactly (qname, qtype, IN)? Name compared case-insensitively (ASCII) unless
 * exact_case. Returns 1 match, 0 mismatch, -EBADMSG malformed. */
int wire_question_match(const uint8_t *pkt, size_t len, const uint8_t *qname, size_t qname_len,
                        uint16_t qtype, bool exact_case);

static inline uint16_t wire_id(const uint8_t *pkt)
{
        return (uint16_t)(pkt[0] << 8 | pkt[1]);
}
static inline int wire_rcode_of(const uint8_t *pkt)
{
        return pkt[3] & 0x0f;
}
static inline bool wire_tc(const uint8_t *pkt)
{
        return (pkt[2] & 0x02) != 0;
}
/* AD (RFC 4035 3.2.3): the resolver validated every record of the answer. */
static inline bool wire_ad(const uint8_t *pkt)
{
        return (pkt[3] & 0x20) != 0;
}

struct wire_reply {
        const uint8_t *pkt;
        size_t len;
        uint16_t id, flags;
        uint16_t qdcount, ancount, nscount, arcount;
        size_t qname_off; /* question name (when qdcount >= 1) */
        uint16_t qtype, qclass;
        size_t rr_off; /* first resource record after the question section */
        int rcode;     /* 12-bit: header rcode plus OPT's extended bits */
        bool has_opt;
        uint16_t udp_payload; /* from OPT, 0 without */
};

/* Validate the whole packet once (header with QR=1, question, every RR's name and rdata
 * bounds, CNAME and TXT rdata, at most one OPT, in additional, owned by the root) and fill
 * r. After success, iterating r, wire_txt_join and wire_cname_chase cannot meet bad data. */
int wire_reply_parse(struct wire_reply *r, const uint8_t *pkt, size_t len);

struct wire_rr {
        enum wire_section section;
        size_t owner_off; /* possibly compressed name, inside r->pkt */
        uint16_t type, rclass;
        uint32_t ttl;
        size_t rdata_off;
        uint16_t rdlen;
};

struct wire_rr_iter {
        const struct wire_reply *r;
        size_t off;
        unsigned idx;
};

/* Iterate answer, then authority, then additional records of a parsed reply. */
void wire_rr_iter_init(struct wire_rr_iter *it, const struct wire_reply *r);
/* 1 and *rr filled, 0 at the end, -EBADMSG on malformed data. */
int wire_rr_next(struct wire_rr_iter *it, struct wire_rr *rr);

/* Compare the possibly compressed name at pkt[off] with an uncompressed wire name,
 * ASCII case-insensitively. 1 equal, 0 different, -EBADMSG malformed. */
int wire_name_equal(const uint8_t *pkt, size_t len, size_t off, const uint8_t *name,
                    size_t name_len);

/* Is the uncompressed wire name at or below zone (also uncompressed)? ASCII
 * case-insensitive. 1 yes, 0 no, -EINVAL when either is no valid wire name. */
int wire_name_under(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len);

/* Expand the possibly compressed name at pkt[off] into uncompressed wire form. */
int wire_name_expand(const uint8_t *pkt, size_t len, size_t off, uint8_t *out, size_t cap);

/* TXT rdata: its character-strings concatenated with no separator (RFC 7208 3.3, RFC 7489
 * 6.6.3); returns the text length. out is not NUL-terminated (TXT may hold any octet). */
int wire_txt_join(const struct wire_reply *r, const struct wire_rr *rr, uint8_t *out, size_t cap);

/* MX rdata (RFC 1035 3.3.9): the preference into *pref, the exchange expanded to
 * uncompressed wire form into out; returns the name's length. -EBADMSG unless the rdata is
 * exactly a preference and one name (wire_reply_parse() does not look inside MX rdata). */
int wire_mx_read(const struct wire_reply *r, const struct wire_rr *rr, uint16_t *pref, uint8_t *out,
                 size_t cap);

/* Follow the CNAME chain for qname through the answer section (any order, at most
 * DS_CNAME_HOPS_MAX links; a loop is -ELOOP). Writes the final owner name in wire form to
 * out and returns its length; *hops gets the number of links followed. */
int wire_cname_chase(const struct wire_reply *r, const uint8_t *qname, size_t qname_len,
                     uint8_t *out, size_t cap, int *hops);

/* Name of an rcode ("NOERROR", "SERVFAIL", ..., "RCODE17" for others up to 23, "RCODE?"
 * beyond): static storage, thread-safe. */
const char *wire_rcode_name(int rcode);

#endif

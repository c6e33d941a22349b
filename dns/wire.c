/* wire.c -- DNS wire format: query encoding and a zero-allocation, bounds-checked reply parser.
 * Contract: never allocates, never reads outside [pkt, pkt+len), terminates on any input;
 * a reply accepted by wire_reply_parse can be iterated, expanded and joined without error. */
#include "dns/wire.h"

#include <errno.h>
#include <string.h>

/* Cursor over the labels of a possibly compressed name. Pointers must land strictly before
 * the start of the run they leave (the original offset or the previous pointer's target),
 * so every jump goes to a smaller offset and no input can make the walk cycle; the hop cap
 * and the 255-octet limit additionally bound the work per name. */
struct name_cur {
        size_t pos;   /* next byte to read */
        size_t run;   /* where the current run of in-place labels started */
        size_t end;   /* offset just past the name in its original position */
        size_t label; /* offset of the data of the label last returned */
        unsigned hops;
        unsigned wlen; /* expanded length so far, root octet included */
};

static inline uint16_t get16(const uint8_t *p)
{
        return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint8_t *put16(uint8_t *p, uint16_t v)
{
        p[0] = (uint8_t)(v >> 8);
        p[1] = (uint8_t)v;
        return p + 2;
}

static inline uint8_t lower(uint8_t c)
{
        return (uint8_t)((unsigned)(c - 'A') < 26u ? c | 0x20 : c);
}

/* Eight bytes lowered at once: a byte gets 0x20 where it is 'A'-'Z' (no high bit, at least
 * 'A', at most 'Z'; the additions cannot carry out of a byte's low seven bits). */
static inline uint64_t lower8(uint64_t v)
{
        const uint64_t ones = 0x0101010101010101ull, highs = ones * 0x80;
        uint64_t low7 = v & ~highs;
        uint64_t at_least_a = low7 + ones * (0x80 - 'A'), past_z = low7 + ones * (0x80 - 'Z' - 1);
        return v | (((at_least_a ^ past_z) & ~v & highs) >> 2);
}

/* Every reply's question and owner names are compared this way: a word at a time (the last
 * word overlapping the one before; two overlapping halves under 8 bytes). */
static bool label_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
        uint64_t x, y;
        if (n >= 8) {
                for (size_t i = 0; i + 8 < n; i += 8) {
                        memcpy(&x, a + i, 8);
                        memcpy(&y, b + i, 8);
                        if (x != y && lower8(x) != lower8(y))
                                return false;
                }
                memcpy(&x, a + n - 8, 8);
                memcpy(&y, b + n - 8, 8);
                return x == y || lower8(x) == lower8(y);
        }
        if (n >= 4) {
                uint32_t a0, a1, b0, b1;
                memcpy(&a0, a, 4);
                memcpy(&a1, a + n - 4, 4);
                memcpy(&b0, b, 4);
                memcpy(&b1, b + n - 4, 4);
                x = (uint64_t)a0 | (uint64_t)a1 << 32;
                y = (uint64_t)b0 | (uint64_t)b1 << 32;
                return x == y || lower8(x) == lower8(y);
        }
        for (size_t i = 0; i < n; i++)
                if (lower(a[i]) != lower(b[i]))
                        return false;
        return true;
}

static void cur_init(struct name_cur *c, size_t off)
{
        c->pos = off;
        c->run = off;
        c->end = 0;
        c->label = 0;
        c->hops = 0;
        c->wlen = 1;
}

/* Next label: its length (data at c->label), 0 at the root, -EBADMSG when malformed. */
static int cur_next(const uint8_t *pkt, size_t len, struct name_cur *c)
{
        for (;;) {
                if (c->pos >= len)
                        return -EBADMSG;
                uint8_t b = pkt[c->pos];
                if (b >= 0xc0) {
                        if (c->pos + 1 >= len)
                                return -EBADMSG;
                        size_t to = (size_t)(b & 0x3f) << 8 | pkt[c->pos + 1];
                        if (c->hops == 0)
                                c->end = c->pos + 2;
                        if (++c->hops > DS_PTR_HOPS_MAX || to >= c->run || to < WIRE_HEADER_LEN)
                                return -EBADMSG;
                        c->pos = c->run = to;
                        continue;
                }
                if (b > DS_LABEL_MAX) /* 0x40 and 0x80: extended and reserved label types */
                        return -EBADMSG;
                c->wlen += b ? 1u + b : 0u;
                if (c->wlen > DS_NAME_MAX_WIRE)
                        return -EBADMSG;
                if (b == 0) {
                        if (c->hops == 0)
                                c->end = c->pos + 1;
                        return 0;
                }
                /* the label's data and at least one more byte must be present */
                if (len - c->pos - 1 <= b)
                        return -EBADMSG;
                c->label = c->pos + 1;
                c->pos += 1u + b;
                return b;
        }
}

/* Validate the name at off; returns its expanded length and sets *end past it. */
static int name_check(const uint8_t *pkt, size_t len, size_t off, size_t *end)
{
        struct name_cur c;
        int n;

        cur_init(&c, off);
        while ((n = cur_next(pkt, len, &c)) > 0)
                ;
        if (n < 0)
                return n;
        *end = c.end;
        return (int)c.wlen;
}

/* Skip an already validated name in place, without following its pointer. */
static int name_skip(const uint8_t *pkt, size_t len, size_t *off)
{
        size_t p = *off;

        while (p < len) {
                uint8_t b = pkt[p];
                if (b >= 0xc0) {
                        if (len - p < 2)
                                return -EBADMSG;
                        *off = p + 2;
                        return 0;
                }
                if (b > DS_LABEL_MAX)
                        return -EBADMSG;
                p += 1u + b;
                if (b == 0) {
                        *off = p;
                        return 0;
                }
        }
        return -EBADMSG;
}

/* Length of an uncompressed wire name that must occupy exactly name_len octets. */
static int plain_name_len(const uint8_t *name, size_t name_len)
{
        size_t p = 0;

        if (!name || name_len == 0 || name_len > DS_NAME_MAX_WIRE)
                return -EINVAL;
        while (p < name_len) {
                uint8_t b = name[p];
                if (b > DS_LABEL_MAX)
                        return -EINVAL;
                p += 1u + b;
                if (b == 0)
                        return p == name_len ? (int)p : -EINVAL;
        }
        return -EINVAL;
}

int wire_name_from_text(const char *text, uint8_t *out, size_t cap)
{
        size_t tlen, o = 0;

        if (!text || !out)
                return -EINVAL;
        tlen = strlen(text);
        if (tlen == 1 && text[0] == '.') {
                if (cap < 1)
                        return -EMSGSIZE;
                out[0] = 0;
                return 1;
        }
        if (tlen > 0 && text[tlen - 1] == '.')
                tlen--;
        if (tlen == 0 || tlen > DS_NAME_MAX_TEXT)
                return -EINVAL;
        /* text of up to 253 characters always fits in 255 wire octets */
        if (cap < tlen + 2)
                return -EMSGSIZE;
        for (size_t i = 0; i <= tlen;) {
                size_t start = i;
                while (i < tlen && text[i] != '.') {
                        if (text[i] == '\\')
                                return -EINVAL;
                        i++;
                }
                size_t n = i - start;
                if (n == 0 || n > DS_LABEL_MAX)
                        return -EINVAL;
                out[o++] = (uint8_t)n;
                memcpy(out + o, text + start, n);
                o += n;
                i++;
        }
        out[o++] = 0;
        return (int)o;
}

int wire_name_under(const uint8_t *name, size_t name_len, const uint8_t *zone, size_t zone_len)
{
        if (plain_name_len(name, name_len) < 0 || plain_name_len(zone, zone_len) < 0)
                return -EINVAL;
        /* Label by label from the left: a suffix counts only where a label starts. */
        for (size_t p = 0; name_len - p >= zone_len; p += 1u + name[p]) {
                if (name_len - p == zone_len)
                        return label_eq(name + p, zone, zone_len);
                if (name[p] == 0)
                        break;
        }
        return 0;
}

static bool plain_char(uint8_t c)
{
        return c >= '!' && c <= '~' && c != '.' && c != '\\';
}

int wire_name_to_text(const uint8_t *name, size_t name_len, char *out, size_t cap)
{
        size_t p = 0, o = 0;

        if (!out || plain_name_len(name, name_len) < 0)
                return -EINVAL;
        if (name[0] == 0) {
                if (cap < 2)
                        return -EMSGSIZE;
                memcpy(out, ".", 2);
                return 1;
        }
        for (uint8_t n; (n = name[p]) != 0; p += 1u + n) {
                if (o > 0) {
                        if (o + 1 >= cap)
                                return -EMSGSIZE;
                        out[o++] = '.';
                }
                for (size_t i = 1; i <= n; i++) {
                        uint8_t c = name[p + i];
                        if (plain_char(c)) {
                                if (o + 1 >= cap)
                                        return -EMSGSIZE;
                                out[o++] = (char)c;
                                continue;
                        }
                        if (o + 4 >= cap)
                                return -EMSGSIZE;
                        out[o++] = '\\';
                        out[o++] = (char)('0' + c / 100);
                        out[o++] = (char)('0' + c / 10 % 10);
                        out[o++] = (char)('0' + c % 10);
                }
        }
        out[o] = '\0';
        return (int)o;
}

int wire_query_encode(uint8_t *out, size_t cap, uint16_t id, const uint8_t *qname, size_t qname_len,
                      uint16_t qtype, unsigned flags)
{
        /* header after the id: flags, QD=1, AN=0, NS=0, AR=1 */
        static const uint8_t hdr[10] = {0, 0, 0, 1, 0, 0, 0, 0, 0, 1};
        /* OPT: root owner, type 41, class = payload, ttl 0 (DO off), rdlen 0 */
        static const uint8_t opt[11] = {
            0, 0, WIRE_TYPE_OPT, DS_EDNS_PAYLOAD >> 8, DS_EDNS_PAYLOAD & 0xff, 0, 0, 0, 0, 0, 0};
        uint8_t *p = out;

        if (!out || plain_name_len(qname, qname_len) < 0)
                return -EINVAL;
        if (cap < WIRE_HEADER_LEN + qname_len + 4 + sizeof(opt))
                return -EMSGSIZE;
        p = put16(p, id);
        memcpy(p, hdr, sizeof(hdr));
        if (flags & WIRE_Q_RD)
                p[0] = 0x01;
        if (flags & WIRE_Q_CD)
                p[1] = 0x10;
        p += sizeof(hdr);
        memcpy(p, qname, qname_len);
        p += qname_len;
        p = put16(p, qtype);
        p = put16(p, WIRE_CLASS_IN);
        memcpy(p, opt, sizeof(opt));
        if (flags & WIRE_Q_DO)
                p[7] = 0x80; /* the OPT TTL's extended flags: DO is their top bit */
        p += sizeof(opt);
        return (int)(p - out);
}

/* The receive path runs this for every datagram, so it compares in place: a pointer in the
 * first question name can never go strictly backwards past the header, hence a compressed
 * question is malformed and the packet's name must be laid out like qname. */
int wire_question_match(const uint8_t *pkt, size_t len, const uint8_t *qname, size_t qname_len,
                        uint16_t qtype, bool exact_case)
{
        size_t p = WIRE_HEADER_LEN, q = 0;

        if (!pkt || !qname || qname_len == 0 || qname_len > DS_NAME_MAX_WIRE)
                return -EINVAL;
        if (len < WIRE_HEADER_LEN)
                return -EBADMSG;
        if (!(pkt[2] & 0x80) || get16(pkt + 4) != 1)
                return 0;
        for (;;) {
                if (q >= qname_len)
                        return -EINVAL;
                if (p >= len)
                        return -EBADMSG;
                uint8_t n = pkt[p];
                if (n > DS_LABEL_MAX)
                        return -EBADMSG;
                if (len - p - 1 < n)
                        return -EBADMSG;
                /* A different label length is a different question, not a bad packet. */
                if (n != qname[q])
                        return 0;
                if (qname_len - q - 1 < n)
                        return -EINVAL;
                if (exact_case ? memcmp(pkt + p + 1, qname + q + 1, n) != 0
                               : !label_eq(pkt + p + 1, qname + q + 1, n))
                        return 0;
                p += 1u + n;
                q += 1u + n;
                if (n == 0)
                        break;
        }
        if (q != qname_len)
                return -EINVAL;
        if (len - p < 4)
                return -EBADMSG;
        return get16(pkt + p) == qtype && get16(pkt + p + 2) == WIRE_CLASS_IN;
}

/* A run of character-strings that exactly fills rdlen. */
static bool txt_valid(const uint8_t *rd, size_t rdlen)
{
        size_t i = 0;

        while (i < rdlen)
                i += 1u + rd[i];
        return i == rdlen;
}

/* Checks on the rdata the scanner itself reads, so consumers never meet bad data later. */
static int rdata_check(const uint8_t *pkt, size_t len, uint16_t type, size_t off, size_t rdlen)
{
        size_t end;

        if (type == WIRE_TYPE_TXT)
                return txt_valid(pkt + off, rdlen) ? 0 : -EBADMSG;
        if (type == WIRE_TYPE_CNAME) {
                int n = name_check(pkt, len, off, &end);
                if (n < 0)
                        return n;
                return end == off + rdlen ? 0 : -EBADMSG;
        }
        return 0;
}

static int opt_record(struct wire_reply *r, size_t owner, unsigned sec, const uint8_t *fixed)
{
        size_t end;

        if (sec != WIRE_SEC_ADDITIONAL || r->has_opt)
                return -EBADMSG;
        if (name_check(r->pkt, r->len, owner, &end) != 1)
                return -EBADMSG;
        r->has_opt = true;
        r->udp_payload = get16(fixed + 2);
        r->rcode = (int)(fixed[4] << 4) | (r->rcode & 0x0f);
        return 0;
}

static unsigned section_of(const struct wire_reply *r, unsigned idx)
{
        if (idx < r->ancount)
                return WIRE_SEC_ANSWER;
        if (idx < (unsigned)r->ancount + r->nscount)
                return WIRE_SEC_AUTHORITY;
        return WIRE_SEC_ADDITIONAL;
}

/* One resource record at *off: owner, fixed part, rdata bounds and the checks above. */
static int rr_check(struct wire_reply *r, size_t *off, unsigned sec)
{
        size_t owner = *off, p;
        int n = name_check(r->pkt, r->len, owner, &p);

        if (n < 0)
                return n;
        if (r->len - p < 10)
                return -EBADMSG;
        const uint8_t *fixed = r->pkt + p;
        uint16_t type = get16(fixed), rdlen = get16(fixed + 8);
        p += 10;
        if (r->len - p < rdlen)
                return -EBADMSG;
        n = rdata_check(r->pkt, r->len, type, p, rdlen);
        if (n == 0 && type == WIRE_TYPE_OPT)
                n = opt_record(r, owner, sec, fixed);
        *off = p + rdlen;
        return n;
}

int wire_reply_parse(struct wire_reply *r, const uint8_t *pkt, size_t len)
{
        size_t p = WIRE_HEADER_LEN, end;

        if (!r || !pkt)
                return -EINVAL;
        memset(r, 0, sizeof(*r));
        if (len < WIRE_HEADER_LEN || !(pkt[2] & 0x80))
                return -EBADMSG;
        r->pkt = pkt;
        r->len = len;
        r->id = get16(pkt);
        r->flags = get16(pkt + 2);
        r->qdcount = get16(pkt + 4);
        r->ancount = get16(pkt + 6);
        r->nscount = get16(pkt + 8);
        r->arcount = get16(pkt + 10);
        r->rcode = pkt[3] & 0x0f;
        for (unsigned i = 0; i < r->qdcount; i++) {
                int n = name_check(pkt, len, p, &end);
                if (n < 0)
                        return n;
                if (len - end < 4)
                        return -EBADMSG;
                if (i == 0) {
                        r->qname_off = p;
                        r->qtype = get16(pkt + end);
                        r->qclass = get16(pkt + end + 2);
                }
                p = end + 4;
        }
        r->rr_off = p;
        unsigned total = (unsigned)r->ancount + r->nscount + r->arcount;
        for (unsigned i = 0; i < total; i++) {
                int n = rr_check(r, &p, section_of(r, i));
                if (n < 0)
                        return n;
        }
        return 0;
}

void wire_rr_iter_init(struct wire_rr_iter *it, const struct wire_reply *r)
{
        it->r = r;
        it->off = r->rr_off;
        it->idx = 0;
}

int wire_rr_next(struct wire_rr_iter *it, struct wire_rr *rr)
{
        const struct wire_reply *r = it->r;
        size_t p = it->off;

        if (it->idx >= (unsigned)r->ancount + r->nscount + r->arcount)
                return 0;
        rr->owner_off = p;
        if (name_skip(r->pkt, r->len, &p) < 0 || r->len - p < 10)
                return -EBADMSG;
        const uint8_t *fixed = r->pkt + p;
        rr->section = (enum wire_section)section_of(r, it->idx);
        rr->type = get16(fixed);
        rr->rclass = get16(fixed + 2);
        rr->ttl = get32(fixed + 4);
        rr->rdlen = get16(fixed + 8);
        rr->rdata_off = p + 10;
        if (r->len - rr->rdata_off < rr->rdlen)
                return -EBADMSG;
        it->off = rr->rdata_off + rr->rdlen;
        it->idx++;
        return 1;
}

int wire_name_equal(const uint8_t *pkt, size_t len, size_t off, const uint8_t *name,
                    size_t name_len)
{
        struct name_cur c;
        size_t q = 0;
        int n;

        if (!pkt || plain_name_len(name, name_len) < 0)
                return -EINVAL;
        cur_init(&c, off);
        do {
                n = cur_next(pkt, len, &c);
                if (n < 0)
                        return n;
                if (name[q] != n || !label_eq(pkt + c.label, name + q + 1, (size_t)n))
                        return 0;
                q += 1u + (size_t)n;
        } while (n > 0);
        return 1;
}

int wire_name_expand(const uint8_t *pkt, size_t len, size_t off, uint8_t *out, size_t cap)
{
        struct name_cur c;
        size_t o = 0;
        int n;

        if (!pkt || !out)
                return -EINVAL;
        cur_init(&c, off);
        while ((n = cur_next(pkt, len, &c)) > 0) {
                /* keep room for the root octet */
                if (cap - o < (size_t)n + 2)
                        return -EMSGSIZE;
                out[o++] = (uint8_t)n;
                memcpy(out + o, pkt + c.label, (size_t)n);
                o += (size_t)n;
        }
        if (n < 0)
                return n;
        if (o >= cap)
                return -EMSGSIZE;
        out[o++] = 0;
        return (int)o;
}

int wire_txt_join(const struct wire_reply *r, const struct wire_rr *rr, uint8_t *out, size_t cap)
{
        size_t i = 0, o = 0;

        if (!r || !rr || !out || rr->type != WIRE_TYPE_TXT)
                return -EINVAL;
        if (rr->rdata_off > r->len || r->len - rr->rdata_off < rr->rdlen)
                return -EBADMSG;
        const uint8_t *rd = r->pkt + rr->rdata_off;
        while (i < rr->rdlen) {
                size_t n = rd[i++];
                if (rr->rdlen - i < n)
                        return -EBADMSG;
                if (cap - o < n)
                        return -EMSGSIZE;
                memcpy(out + o, rd + i, n);
                o += n;
                i += n;
        }
        return (int)o;
}

int wire_mx_read(const struct wire_reply *r, const struct wire_rr *rr, uint16_t *pref, uint8_t *out,
                 size_t cap)
{
        size_t end;

        if (!r || !rr || !pref || !out || rr->type != WIRE_TYPE_MX)
                return -EINVAL;
        if (rr->rdata_off > r->len || r->len - rr->rdata_off < rr->rdlen || rr->rdlen < 3)
                return -EBADMSG;
        size_t name = rr->rdata_off + 2;
        int n = name_check(r->pkt, r->len, name, &end);
        if (n < 0)
                return n;
        if (end != rr->rdata_off + rr->rdlen)
                return -EBADMSG;
        *pref = get16(r->pkt + rr->rdata_off);
        return wire_name_expand(r->pkt, r->len, name, out, cap);
}

/* 1 with *target at the rdata of an answer-section CNAME owned by name, 0 when none. */
static int cname_find(const struct wire_reply *r, const uint8_t *name, size_t name_len,
                      size_t *target)
{
        struct wire_rr_iter it;
        struct wire_rr rr;
        int n;

        wire_rr_iter_init(&it, r);
        while ((n = wire_rr_next(&it, &rr)) > 0 && rr.section == WIRE_SEC_ANSWER) {
                if (rr.type != WIRE_TYPE_CNAME)
                        continue;
                n = wire_name_equal(r->pkt, r->len, rr.owner_off, name, name_len);
                if (n < 0)
                        return n;
                if (n) {
                        *target = rr.rdata_off;
                        return 1;
                }
        }
        return n < 0 ? n : 0;
}

/* Every loop in a chain needs more than DS_CNAME_HOPS_MAX links to go round, or closes
 * sooner and then keeps matching, so the link cap alone turns any loop into -ELOOP. */
int wire_cname_chase(const struct wire_reply *r, const uint8_t *qname, size_t qname_len,
                     uint8_t *out, size_t cap, int *hops)
{
        uint8_t cur[DS_NAME_MAX_WIRE];
        size_t target, cur_len;
        int links = 0, n;

        if (hops)
                *hops = 0;
        if (!r || !out || plain_name_len(qname, qname_len) < 0)
                return -EINVAL;
        memcpy(cur, qname, qname_len);
        cur_len = qname_len;
        while ((n = cname_find(r, cur, cur_len, &target)) > 0) {
                if (links == DS_CNAME_HOPS_MAX)
                        return -ELOOP;
                n = wire_name_expand(r->pkt, r->len, target, cur, sizeof(cur));
                if (n < 0)
                        return n;
                cur_len = (size_t)n;
                links++;
        }
        if (n < 0)
                return n;
        if (hops)
                *hops = links;
        if (cap < cur_len)
                return -EMSGSIZE;
        memcpy(out, cur, cur_len);
        return (int)cur_len;
}

static const char *const rcode_names[24] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15",
    "BADVERS", "RCODE17", "RCODE18",  "RCODE19",  "RCODE20", "RCODE21", "RCODE22",  "RCODE23",
};

const char *wire_rcode_name(int rcode)
{
        if (rcode < 0 || rcode >= (int)(sizeof(rcode_names) / sizeof(rcode_names[0])))
                return "RCODE?";
        return rcode_names[rcode];
}

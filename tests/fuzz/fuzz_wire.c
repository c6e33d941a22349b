/* fuzz_wire.c -- fuzz target: the DNS reply parser (dns/wire.c) and what the classifier
 * does with a reply it accepted (scanner/job.c): iterate the records, compare and expand
 * owner names, join TXT character-strings, read MX rdata, chase CNAMEs.
 * Properties: no crash and no sanitizer report on any bytes; a reply wire_reply_parse
 * accepts is iterated, expanded and joined without error (wire.h's promise); and ldns is
 * the oracle where it is cheap: when ldns decodes a response with one question, our
 * question check finds that very question, and every answer TXT record we accept ldns
 * decodes to the same text. (Compression pointers to anything but an earlier name, which
 * wire.c rejects on purpose, are kept out of the comparison.) */
#include "fuzz.h"

#include <errno.h>
#include <string.h>

#include <stdbool.h> /* before ldns, which otherwise defines bool as signed char */
#include <ldns/ldns.h>

#include "dns/wire.h"

/* The joined text of a TXT rdata never exceeds the rdata, so one rdata-sized buffer fits. */
static uint8_t txt_buf[65536];

static void check_rr(const struct wire_reply *r, const struct wire_rr *rr)
{
        uint8_t owner[DS_NAME_MAX_WIRE];
        char text[4 * DS_NAME_MAX_WIRE + 1];

        int n = wire_name_expand(r->pkt, r->len, rr->owner_off, owner, sizeof owner);
        fuzz_check(n > 0);
        fuzz_check(wire_name_equal(r->pkt, r->len, rr->owner_off, owner, (size_t)n) == 1);
        fuzz_check(wire_name_to_text(owner, (size_t)n, text, sizeof text) >= 0);
        if (rr->type == WIRE_TYPE_TXT) {
                n = wire_txt_join(r, rr, txt_buf, sizeof txt_buf);
                fuzz_check(n >= 0 && n <= rr->rdlen);
        }
        if (rr->type == WIRE_TYPE_MX) {
                /* MX rdata is not checked by the parse: any may be refused, none may crash */
                uint16_t pref;
                n = wire_mx_read(r, rr, &pref, owner, sizeof owner);
                fuzz_check(n == -EBADMSG ||
                           (n > 0 && wire_name_to_text(owner, (size_t)n, text, sizeof text) >= 0));
        }
}

/* Every record counted in the header comes out, in section order, then the end. */
static void check_records(const struct wire_reply *r)
{
        struct wire_rr_iter it;
        struct wire_rr rr;
        unsigned total = (unsigned)r->ancount + r->nscount + r->arcount, seen = 0;
        enum wire_section last = WIRE_SEC_ANSWER;
        int n;

        wire_rr_iter_init(&it, r);
        while ((n = wire_rr_next(&it, &rr)) == 1) {
                fuzz_check(rr.section >= last);
                last = rr.section;
                check_rr(r, &rr);
                seen++;
        }
        fuzz_check(n == 0 && seen == total);
}

static void check_question(const struct wire_reply *r)
{
        uint8_t qname[DS_NAME_MAX_WIRE], final[DS_NAME_MAX_WIRE];
        int hops = -1;

        if (r->qdcount == 0)
                return;
        int qlen = wire_name_expand(r->pkt, r->len, r->qname_off, qname, sizeof qname);
        fuzz_check(qlen > 0);
        int match = wire_question_match(r->pkt, r->len, qname, (size_t)qlen, r->qtype, true);
        fuzz_check(match == (r->qdcount == 1 && r->qclass == WIRE_CLASS_IN));
        int n = wire_cname_chase(r, qname, (size_t)qlen, final, sizeof final, &hops);
        fuzz_check((n > 0 && hops >= 0 && hops <= DS_CNAME_HOPS_MAX) || n == -ELOOP);
}

/* A TXT record's character-strings, joined, as ldns decoded them. */
static size_t ldns_txt_join(const ldns_rr *rr, uint8_t *out)
{
        size_t o = 0;
        for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
                const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
                const uint8_t *d = ldns_rdf_data(rdf);
                size_t n = ldns_rdf_size(rdf);
                fuzz_check(n >= 1 && (size_t)d[0] + 1 == n);
                memcpy(out + o, d + 1, n - 1);
                o += n - 1;
        }
        return o;
}

static uint8_t ldns_txt[65536];

/* Each answer record decoded by ldns on its own, from the offset where our iterator found
 * it (a whole-packet ldns decode drifts after an rdata with trailing bytes ldns does not
 * read, e.g. an NS name followed by junk, which is no concern of ours): the same type, and
 * a TXT record joins to the same text and ends where ours does. */
static void compare_answers(const struct wire_reply *r)
{
        struct wire_rr_iter it;
        struct wire_rr rr;

        wire_rr_iter_init(&it, r);
        for (size_t i = 0; i < r->ancount; i++) {
                fuzz_check(wire_rr_next(&it, &rr) == 1);
                if (rr.type != WIRE_TYPE_TXT)
                        continue;
                ldns_rr *lr = NULL;
                size_t pos = rr.owner_off;
                fuzz_check(ldns_wire2rr(&lr, r->pkt, r->len, &pos, LDNS_SECTION_ANSWER) ==
                           LDNS_STATUS_OK);
                fuzz_check(ldns_rr_get_type(lr) == rr.type);
                fuzz_check(pos == rr.rdata_off + rr.rdlen);
                int n = wire_txt_join(r, &rr, txt_buf, sizeof txt_buf);
                size_t ln = ldns_txt_join(lr, ldns_txt);
                fuzz_check(n >= 0 && (size_t)n == ln && memcmp(txt_buf, ldns_txt, ln) == 0);
                ldns_rr_free(lr);
        }
}

/* Whether the name at off, followed through its pointers, uses one that does not point
 * before the run of labels it ends (the previous jump target, or off), points into the
 * header, or is one pointer too many. RFC 1035 4.1.4 compresses to a prior occurrence of
 * a name; wire.c rejects every other pointer, which is how it stays loop-free, while ldns
 * follows such pointers: a deliberate difference, kept out of the comparison. */
static bool unusual_pointer(const uint8_t *pkt, size_t len, size_t off)
{
        size_t run = off;
        for (unsigned hops = 0; off < len;) {
                uint8_t b = pkt[off];
                if (b == 0 || ((b & 0xc0) && (b & 0xc0) != 0xc0) || off + 1 >= len)
                        return false;
                if ((b & 0xc0) == 0) {
                        off += 1u + b;
                        continue;
                }
                size_t target = (size_t)(b & 0x3f) << 8 | pkt[off + 1];
                if (target >= run || target < WIRE_HEADER_LEN || ++hops > DS_PTR_HOPS_MAX)
                        return true;
                off = run = target;
        }
        return false;
}

/* ldns's whole-packet decode of a response with one question: our check finds it. */
static void question_oracle(const uint8_t *data, size_t size)
{
        ldns_pkt *lp = NULL;

        if (size < WIRE_HEADER_LEN || !(data[2] & 0x80))
                return;
        if (unusual_pointer(data, size, WIRE_HEADER_LEN) ||
            ldns_wire2pkt(&lp, data, size) != LDNS_STATUS_OK)
                return;
        if (ldns_pkt_qdcount(lp) == 1) {
                const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(lp), 0);
                const ldns_rdf *owner = ldns_rr_owner(q);
                int match = wire_question_match(data, size, ldns_rdf_data(owner),
                                                ldns_rdf_size(owner), ldns_rr_get_type(q), true);
                fuzz_check(match == (ldns_rr_get_class(q) == LDNS_RR_CLASS_IN));
        }
        ldns_pkt_free(lp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct wire_reply r;

        int rc = wire_reply_parse(&r, data, size);
        fuzz_check(rc == 0 || rc == -EBADMSG);
        if (rc == 0) {
                check_records(&r);
                check_question(&r);
        }
        if (rc == 0)
                compare_answers(&r);
        question_oracle(data, size);
        return 0;
}

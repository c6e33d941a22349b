/* packets.h -- test helpers: DNS replies built with ldns (the project's test oracle) and
 * handed to a lookup as the engine would, whatever check asks. Header-only (static inline):
 * each test is its own executable and uses a subset. Include after cmocka.h and ldns. */
#ifndef DS_TEST_PACKETS_H
#define DS_TEST_PACKETS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/engine.h"
#include "scanner/lookup.h"

/* A response to (qname, qtype) with rcode, question only. */
static inline ldns_pkt *lp_reply_t(const char *qname, const char *qtype, ldns_pkt_rcode rcode)
{
        ldns_pkt *lp = ldns_pkt_new();
        ldns_rr *q = NULL;
        char buf[600];

        assert_non_null(lp);
        ldns_pkt_set_id(lp, 0x4242);
        ldns_pkt_set_qr(lp, true);
        ldns_pkt_set_rd(lp, true);
        ldns_pkt_set_ra(lp, true);
        ldns_pkt_set_rcode(lp, (uint8_t)rcode);
        snprintf(buf, sizeof(buf), "%s IN %s", qname, qtype);
        assert_int_equal(ldns_rr_new_question_frm_str(&q, buf, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, LDNS_SECTION_QUESTION, q));
        return lp;
}

static inline ldns_pkt *lp_reply(const char *qname, ldns_pkt_rcode rcode)
{
        return lp_reply_t(qname, "TXT", rcode);
}

/* An RR in zone-file syntax, into section sec. */
static inline void lp_add(ldns_pkt *lp, ldns_pkt_section sec, const char *text)
{
        ldns_rr *rr = NULL;

        assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, sec, rr));
}

/* A TXT RR of exactly these bytes (any octets), split into character-strings of chunk
 * bytes (at most 255). */
static inline void lp_txt_bytes(ldns_pkt *lp, ldns_pkt_section sec, const char *owner,
                                ldns_rr_class cls, const void *data, size_t n, size_t chunk)
{
        const uint8_t *d = data;
        ldns_rr *rr = ldns_rr_new();
        ldns_rdf *o = ldns_dname_new_frm_str(owner);
        size_t off = 0;

        assert_non_null(rr);
        assert_non_null(o);
        assert_true(chunk >= 1 && chunk <= 255);
        ldns_rr_set_owner(rr, o);
        ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
        ldns_rr_set_class(rr, cls);
        ldns_rr_set_ttl(rr, 300);
        do {
                uint8_t buf[256];
                size_t c = n - off > chunk ? chunk : n - off;
                buf[0] = (uint8_t)c;
                memcpy(buf + 1, d + off, c);
                ldns_rdf *f = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, c + 1, buf);
                assert_non_null(f);
                assert_true(ldns_rr_push_rdf(rr, f));
                off += c;
        } while (off < n);
        assert_true(ldns_pkt_push_rr(lp, sec, rr));
}

/* A TXT RR in the answer holding the text s. */
static inline void lp_txt(ldns_pkt *lp, const char *owner, const char *s)
{
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, owner, LDNS_RR_CLASS_IN, s, strlen(s), 255);
}

/* Serialise lp, free it, and hand the bytes to the lookup (which must copy them). */
static inline void lp_feed_lookup(struct lookup *l, ldns_pkt *lp, unsigned attempts)
{
        uint8_t *wire = NULL;
        size_t n = 0;

        assert_int_equal(ldns_pkt2wire(&wire, lp, &n), LDNS_STATUS_OK);
        ldns_pkt_free(lp);
        /* a copy the size of the packet, so ASan sees any read beyond it */
        uint8_t *copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, wire, n);
        free(wire);
        /* As the engine hands it over: with its parse when the packet parses (the engine
         * drops one that does not; tests feed those too, as the shared cache could). */
        struct wire_reply r;
        if (wire_reply_parse(&r, copy, n) == 0)
                lookup_set_parsed(l, &r, attempts);
        else
                lookup_set_reply(l, ENGINE_REPLY, copy, n, attempts);
        memset(copy, 0xa5, n); /* the job must not keep the caller's buffer */
        free(copy);
}

#endif

/* test_job.c -- unit tests of scanner/job.c, the per-domain state machine: job_start's
 * first lookup, job_step's verdict on reply packets built with ldns (and by hand for
 * garbage), CNAMEs followed within and across replies, large replies, attempts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/job.h"

/* ---- helpers -------------------------------------------------------------------------- */

static void item_ok(struct job *j, const char *domain)
{
        memset(j, 0, sizeof(*j));
        j->in.line = 1;
        j->in.rank = -1;
        j->in.status = INPUT_ITEM_OK;
        snprintf(j->in.domain, sizeof(j->in.domain), "%s", domain);
        snprintf(j->in.raw, sizeof(j->in.raw), "%s", domain);
}

/* Assert that the uncompressed wire name (name, len) is the presentation name text. */
static void assert_wire_name(const uint8_t *name, size_t len, const char *text)
{
        ldns_rdf *d = ldns_dname_new_frm_str(text);
        assert_non_null(d);
        assert_int_equal(len, ldns_rdf_size(d));
        assert_memory_equal(name, ldns_rdf_data(d), len);
        ldns_rdf_deep_free(d);
}

/* A job for domain, started: asserts the first lookup is _dmarc.<domain> TXT. */
static void start_ok(struct job *j, const char *domain)
{
        char q[300];
        item_ok(j, domain);
        assert_int_equal(job_start(j), JOB_STEP_QUERY);
        snprintf(q, sizeof(q), "_dmarc.%s", domain);
        assert_wire_name(j->qname, j->qname_len, q);
        assert_int_equal(j->qtype, WIRE_TYPE_TXT);
}

static ldns_pkt *lp_reply(const char *qname, ldns_pkt_rcode rcode)
{
        ldns_pkt *lp = ldns_pkt_new();
        ldns_rr *q = NULL;
        char buf[512];

        assert_non_null(lp);
        ldns_pkt_set_id(lp, 0x4242);
        ldns_pkt_set_qr(lp, true);
        ldns_pkt_set_rd(lp, true);
        ldns_pkt_set_ra(lp, true);
        ldns_pkt_set_rcode(lp, (uint8_t)rcode);
        snprintf(buf, sizeof(buf), "%s IN TXT", qname);
        assert_int_equal(ldns_rr_new_question_frm_str(&q, buf, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, LDNS_SECTION_QUESTION, q));
        return lp;
}

static void lp_add(ldns_pkt *lp, ldns_pkt_section sec, const char *text)
{
        ldns_rr *rr = NULL;

        assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(lp, sec, rr));
}

/* A TXT RR of exactly these bytes (any octets), split into character-strings of chunk
 * bytes (at most 255). */
static void lp_txt_bytes(ldns_pkt *lp, ldns_pkt_section sec, const char *owner, ldns_rr_class cls,
                         const void *data, size_t n, size_t chunk)
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

static void lp_txt(ldns_pkt *lp, const char *owner, const char *s)
{
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, owner, LDNS_RR_CLASS_IN, s, strlen(s), 255);
}

/* Serialise lp, free it, and hand the bytes to the job (which must copy them). */
static void lp_feed(struct job *j, ldns_pkt *lp, unsigned attempts)
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
        job_set_reply(j, ENGINE_REPLY, copy, n, attempts);
        memset(copy, 0xa5, n); /* the job must not keep the caller's buffer */
        free(copy);
}

static void assert_record(const struct job_scratch *s, unsigned i, const void *want, size_t n)
{
        assert_true(i < s->dmarc.nrecords);
        assert_int_equal(s->dmarc.rec_len[i], n);
        assert_memory_equal(s->dmarc.text + s->dmarc.rec_off[i], want, n);
}

static void assert_record_str(const struct job_scratch *s, unsigned i, const char *want)
{
        assert_record(s, i, want, strlen(want));
}

/* One lookup of _dmarc.example.com answered by one TXT of these bytes: is it DMARC? */
static bool classify_txt(const void *data, size_t n)
{
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com", LDNS_RR_CLASS_IN, data, n, 255);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords + s.dmarc.nother_txt, 1);
        bool yes = s.dmarc.nrecords == 1;
        if (yes)
                assert_record(&s, 0, data, n);
        job_clear(&j);
        job_scratch_free(&s);
        return yes;
}

/* ---- job_start ------------------------------------------------------------------------ */

static void t_start_ok(void **st)
{
        (void)st;
        struct job j;
        start_ok(&j, "example.com");
        assert_int_equal(j.qname_len, 20);
        assert_int_equal(j.cname_hops, 0);
        assert_int_equal(j.attempts, 0);
        assert_int_equal(j.in.status, INPUT_ITEM_OK);
        assert_null(j.reply_big);
        job_clear(&j);
}

static void t_start_illegal(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        memset(&j, 0, sizeof(j));
        j.in.rank = -1;
        j.in.status = INPUT_ITEM_ILLEGAL;
        snprintf(j.in.raw, sizeof(j.in.raw), "bad..name");
        snprintf(j.in.error, sizeof(j.in.error), "empty label");
        assert_int_equal(job_start(&j), JOB_STEP_DONE);
        assert_int_equal(j.in.status, INPUT_ITEM_ILLEGAL);
        assert_string_equal(j.in.error, "empty label");
        /* the classifier still sees it (the pool dispatches it) and finishes it at once */
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.nrecords, 0);
        job_clear(&j);
        job_scratch_free(&s);
}

/* A legal domain of exactly len characters: labels of 63, the last one shorter. */
static void long_domain(char *out, size_t len)
{
        size_t i = 0, lab = 0;
        while (i < len) {
                if (lab == 63 && len - i >= 2) {
                        out[i++] = '.';
                        lab = 0;
                        continue;
                }
                out[i] = (char)('a' + (i % 26));
                i++;
                lab++;
        }
        out[len] = 0;
        assert_true(out[len - 1] != '.');
}

static void t_start_too_long(void **st)
{
        (void)st;
        char dom[DS_NAME_MAX_TEXT + 1];
        struct job j;

        /* 250 characters: legal alone, but "_dmarc." makes 257 text, 259 wire octets */
        long_domain(dom, 250);
        assert_int_equal(strlen(dom), 250);
        item_ok(&j, dom);
        assert_int_equal(job_start(&j), JOB_STEP_DONE);
        assert_int_equal(j.in.status, INPUT_ITEM_ILLEGAL);
        assert_true(strlen(j.in.error) > 0);
        job_clear(&j);

        /* boundary: 246 characters give a 255-octet _dmarc name, 247 one of 256 */
        long_domain(dom, 246);
        item_ok(&j, dom);
        assert_int_equal(job_start(&j), JOB_STEP_QUERY);
        assert_int_equal(j.qname_len, DS_NAME_MAX_WIRE);
        assert_int_equal(j.in.status, INPUT_ITEM_OK);
        job_clear(&j);

        long_domain(dom, 247);
        item_ok(&j, dom);
        assert_int_equal(job_start(&j), JOB_STEP_DONE);
        assert_int_equal(j.in.status, INPUT_ITEM_ILLEGAL);
        assert_true(strlen(j.in.error) > 0);
        job_clear(&j);
}

/* ---- one reply ------------------------------------------------------------------------ */

static void t_single(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER,
               "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, 0);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_int_equal(s.dmarc.nother_txt, 0);
        assert_int_equal(s.dmarc.nrecords_dropped, 0);
        assert_int_equal(s.dmarc.cname_hops, 0);
        assert_int_equal(s.dmarc.attempts, 1);
        assert_string_equal(s.dmarc.target, "");
        assert_string_equal(s.dmarc.location, "_dmarc.example.com");
        assert_record_str(&s, 0, "v=DMARC1; p=reject; rua=mailto:d@example.com");
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_multistring(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER,
               "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=\" \"reject\"");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, 0);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=reject");
        job_clear(&j);

        /* the version tag itself split across strings, with an empty string inside */
        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER,
               "_dmarc.example.com. 300 IN TXT \"v=DM\" \"\" \"ARC1\" \"; p=none\"");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_two_records(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=none");
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, 0);
        assert_int_equal(s.dmarc.nrecords, 2);
        assert_int_equal(s.dmarc.nother_txt, 0);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        assert_record_str(&s, 1, "v=DMARC1; p=reject; pct=50");
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_other_txt(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=quarantine");
        lp_txt(lp, "_dmarc.example.com", "google-site-verification=x");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_int_equal(s.dmarc.nother_txt, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=quarantine");
        job_clear(&j);

        /* interleaved, non-DMARC text first: its bytes must not leak into the records */
        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.example.com", "a-much-longer-verification-token=0123456789abcdef");
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=none");
        lp_txt(lp, "_dmarc.example.com", "spf-ish text");
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=reject");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.nrecords, 2);
        assert_int_equal(s.dmarc.nother_txt, 2);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        assert_record_str(&s, 1, "v=DMARC1; p=reject");
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_other_owner_ignored(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.other.example", "v=DMARC1; p=reject");
        lp_txt(lp, "example.com", "v=DMARC1; p=reject");
        lp_txt(lp, "x._dmarc.example.com", "v=DMARC1; p=reject");
        /* right name, wrong class */
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com", LDNS_RR_CLASS_CH,
                     "v=DMARC1; p=reject", 18, 255);
        /* right name, outside the answer section */
        lp_txt_bytes(lp, LDNS_SECTION_AUTHORITY, "_dmarc.example.com", LDNS_RR_CLASS_IN,
                     "v=DMARC1; p=reject", 18, 255);
        lp_txt_bytes(lp, LDNS_SECTION_ADDITIONAL, "_dmarc.example.com", LDNS_RR_CLASS_IN,
                     "v=DMARC1; p=reject", 18, 255);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, 0);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_int_equal(s.dmarc.nother_txt, 0);
        job_clear(&j);

        /* owner names compare case-insensitively (0x20 randomisation, odd zones) */
        start_ok(&j, "example.com");
        lp = lp_reply("_DMARC.Example.COM", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_DMARC.Example.COM", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        job_clear(&j);
        job_scratch_free(&s);
}

/* RFC 7489 6.4: dmarc-version = "v" *WSP "=" *WSP %x44.4d.41.52.43.31; the code accepts the
 * version followed by the end of the record, ';' or WSP. ABNF quoted strings ("v") are
 * case-insensitive, the %x "DMARC1" is not. */
static void t_version_rule(void **st)
{
        (void)st;
        static const char *const yes[] = {
            "v=DMARC1",
            "v=DMARC1;p=none",
            "V=DMARC1; p=none",
            "v = DMARC1 ; p=none",
            "v=DMARC1\tp=none",
            "v\t=\tDMARC1;",
            "v  =  DMARC1",
            "v=DMARC1 ",
            "v=DMARC1; p=none; rua=mailto:a@b.example",
        };
        static const char *const no[] = {
            "v=DMARC10; p=none",
            "v=dmarc1; p=none",
            "v=Dmarc1; p=none",
            " v=DMARC1; p=none",
            "\tv=DMARC1; p=none",
            "p=none; v=DMARC1",
            "v=DMARC",
            "v=DMARC2; p=none",
            "v=DMARC1,p=none",
            "v=DMARC1x",
            "v=",
            "v",
            "",
            "vv=DMARC1",
            "v==DMARC1",
            "v:DMARC1",
            "v=\"DMARC1\"",
            "v=spf1 -all",
            "v=DMARC1\r",
            "x=DMARC1; p=none",
            "w=DMARC1",
        };
        for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
                if (!classify_txt(yes[i], strlen(yes[i])))
                        fail_msg("rejected DMARC record \"%s\"", yes[i]);
        }
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
                if (classify_txt(no[i], strlen(no[i])))
                        fail_msg("accepted non-DMARC text \"%s\"", no[i]);
        }
        /* a NUL right after the version is neither end, WSP nor ';' */
        assert_false(classify_txt("v=DMARC1\0p=none", 15));
        assert_true(classify_txt("v=DMARC1;\0\xff", 11));
}

static void t_rcodes(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);

        /* NXDOMAIN with the SOA in authority */
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example.com. 300 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(s.dmarc.status, 3);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_int_equal(s.dmarc.nother_txt, 0);
        assert_string_equal(s.dmarc.target, "");
        job_clear(&j);

        /* NODATA */
        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example.com. 300 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_int_equal(s.dmarc.nother_txt, 0);
        job_clear(&j);

        /* SERVFAIL, REFUSED: the rcode is the status, whatever the answer holds */
        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_SERVFAIL);
        lp_feed(&j, lp, 3);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_SERVFAIL);
        assert_int_equal(s.dmarc.attempts, 3);
        job_clear(&j);

        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_REFUSED);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_REFUSED);
        assert_int_equal(s.dmarc.nrecords, 0);
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_timeout(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "example.com");
        job_set_reply(&j, ENGINE_TIMEOUT, NULL, 0, 4);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_TIMEOUT);
        assert_int_equal(s.dmarc.attempts, 4);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_string_equal(s.dmarc.location, "_dmarc.example.com");
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_malformed(void **st)
{
        (void)st;
        static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02};
        /* QR set, one question, one answer, but the packet stops in the question */
        static const uint8_t cut[] = {0x42, 0x42, 0x81, 0x80, 0,   1,   0,   1,  0,
                                      0,    0,    0,    6,    '_', 'd', 'm', 'a'};
        /* a complete-looking reply whose answer's rdlen runs past the end */
        static const uint8_t overrun[] = {0x42, 0x42, 0x81, 0x80, 0,   1,   0,   1,   0,   0,   0,
                                          0,    6,    '_',  'd',  'm', 'a', 'r', 'c', 7,   'e', 'x',
                                          'a',  'm',  'p',  'l',  'e', 3,   'c', 'o', 'm', 0,   0,
                                          16,   0,    1,    0xc0, 12,  0,   16,  0,   1,   0,   0,
                                          1,    0,    0,    40,   5,   'v', '=', 'D', 'M'};
        const struct {
                const uint8_t *p;
                size_t n;
        } cases[] = {{garbage, sizeof(garbage)},
                     {cut, sizeof(cut)},
                     {overrun, sizeof(overrun)},
                     {garbage, 0}};
        struct job_scratch s;
        job_scratch_init(&s);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct job j;
                start_ok(&j, "example.com");
                job_set_reply(&j, ENGINE_REPLY, cases[i].p, cases[i].n, 1);
                assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
                if (s.dmarc.status != LOOKUP_MALFORMED)
                        fail_msg("case %zu: status %d, want MALFORMED", i, s.dmarc.status);
                assert_int_equal(s.dmarc.nrecords, 0);
                job_clear(&j);
        }
        job_scratch_free(&s);
}

/* ---- CNAMEs --------------------------------------------------------------------------- */

static void t_cname_same_reply(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        for (int order = 0; order < 2; order++) {
                start_ok(&j, "a.example");
                ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
                if (order == 1)
                        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
                lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
                if (order == 0)
                        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
                /* a TXT at the alias itself is not the answer */
                lp_txt(lp, "_dmarc.a.example", "v=DMARC1; p=none");
                lp_feed(&j, lp, 1);
                assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
                assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
                assert_int_equal(s.dmarc.nrecords, 1);
                assert_record_str(&s, 0, "v=DMARC1; p=reject");
                assert_int_equal(s.dmarc.cname_hops, 1);
                assert_string_equal(s.dmarc.target, "h.host.example");
                assert_string_equal(s.dmarc.location, "_dmarc.a.example");
                job_clear(&j);
        }

        /* two links in one reply */
        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "m.mid.example. 300 IN CNAME t.tail.example.");
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME m.mid.example.");
        lp_txt(lp, "t.tail.example", "v=DMARC1; p=none");
        lp_txt(lp, "m.mid.example", "v=DMARC1; p=quarantine");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        assert_int_equal(s.dmarc.cname_hops, 2);
        assert_string_equal(s.dmarc.target, "t.tail.example");
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_cname_followup(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 2);
        assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        assert_wire_name(j.qname, j.qname_len, "h.host.example");
        assert_int_equal(j.qtype, WIRE_TYPE_TXT);
        assert_int_equal(j.cname_hops, 1);

        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
        lp_txt(lp, "h.host.example", "other=1");
        lp_feed(&j, lp, 3);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_int_equal(s.dmarc.nother_txt, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=reject");
        assert_int_equal(s.dmarc.cname_hops, 1);
        assert_string_equal(s.dmarc.target, "h.host.example");
        assert_string_equal(s.dmarc.location, "_dmarc.a.example");
        /* attempts accumulate across the two lookups */
        assert_int_equal(s.dmarc.attempts, 5);
        job_clear(&j);

        /* the target exists without TXT: NODATA at the target, after one hop */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_int_equal(s.dmarc.cname_hops, 1);
        assert_string_equal(s.dmarc.target, "h.host.example");
        assert_int_equal(s.dmarc.attempts, 2);
        job_clear(&j);

        /* the follow-up times out */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        job_set_reply(&j, ENGINE_TIMEOUT, NULL, 0, 3);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_TIMEOUT);
        assert_int_equal(s.dmarc.attempts, 4);
        assert_int_equal(s.dmarc.cname_hops, 1);
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_cname_loop(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);

        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME b.example.");
        lp_add(lp, LDNS_SECTION_ANSWER, "b.example. 300 IN CNAME _dmarc.a.example.");
        lp_txt(lp, "b.example", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_CNAME_LOOP);
        assert_int_equal(s.dmarc.nrecords, 0);
        job_clear(&j);

        /* a name aliased to itself */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME _dmarc.a.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_CNAME_LOOP);
        job_clear(&j);

        /* a loop spread over lookups: a->b, then b->a, ... ends at the hop limit */
        start_ok(&j, "a.example");
        enum job_step step = JOB_STEP_QUERY;
        unsigned replies = 0;
        while (step == JOB_STEP_QUERY && replies < 3 * DS_CNAME_HOPS_MAX) {
                bool at_a = replies % 2 == 0;
                lp = lp_reply(at_a ? "_dmarc.a.example" : "b.example", LDNS_RCODE_NOERROR);
                lp_add(lp, LDNS_SECTION_ANSWER,
                       at_a ? "_dmarc.a.example. 300 IN CNAME b.example."
                            : "b.example. 300 IN CNAME _dmarc.a.example.");
                lp_feed(&j, lp, 1);
                step = job_step(&j, &s);
                replies++;
        }
        assert_int_equal(step, JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_CNAME_LOOP);
        assert_int_equal(replies, DS_CNAME_HOPS_MAX + 1);
        assert_int_equal(s.dmarc.attempts, DS_CNAME_HOPS_MAX + 1);
        job_clear(&j);
        job_scratch_free(&s);
}

/* Name of link i of a chain: c0 is _dmarc.a.example, then n1.chain.example, ... */
static void chain_name(char *out, size_t cap, unsigned i)
{
        if (i == 0)
                snprintf(out, cap, "_dmarc.a.example");
        else
                snprintf(out, cap, "n%u.chain.example", i);
}

/* Reply to the lookup of chain name `from` carrying the links from -> ... -> to, and the
 * TXT of `to` when txt. */
static void feed_chain(struct job *j, unsigned from, unsigned to, bool txt)
{
        char a[64], b[64], rr[200];
        chain_name(a, sizeof(a), from);
        ldns_pkt *lp = lp_reply(a, LDNS_RCODE_NOERROR);
        for (unsigned i = from; i < to; i++) {
                chain_name(a, sizeof(a), i);
                chain_name(b, sizeof(b), i + 1);
                snprintf(rr, sizeof(rr), "%s. 300 IN CNAME %s.", a, b);
                lp_add(lp, LDNS_SECTION_ANSWER, rr);
        }
        if (txt) {
                chain_name(b, sizeof(b), to);
                lp_txt(lp, b, "v=DMARC1; p=none");
        }
        lp_feed(j, lp, 1);
}

static void t_cname_limits(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        char name[64];
        job_scratch_init(&s);

        /* DS_CNAME_HOPS_MAX links in one reply are followed ... */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, DS_CNAME_HOPS_MAX, true);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_int_equal(s.dmarc.cname_hops, DS_CNAME_HOPS_MAX);
        chain_name(name, sizeof(name), DS_CNAME_HOPS_MAX);
        assert_string_equal(s.dmarc.target, name);
        job_clear(&j);

        /* ... one more is a loop */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, DS_CNAME_HOPS_MAX + 1, true);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_CNAME_LOOP);
        assert_int_equal(s.dmarc.nrecords, 0);
        job_clear(&j);

        /* one link per lookup: DS_CNAME_HOPS_MAX follow-ups, then the TXT */
        start_ok(&j, "a.example");
        for (unsigned i = 0; i < DS_CNAME_HOPS_MAX; i++) {
                feed_chain(&j, i, i + 1, false);
                assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
                chain_name(name, sizeof(name), i + 1);
                assert_wire_name(j.qname, j.qname_len, name);
                assert_int_equal(j.cname_hops, i + 1);
        }
        feed_chain(&j, DS_CNAME_HOPS_MAX, DS_CNAME_HOPS_MAX, true);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_int_equal(s.dmarc.cname_hops, DS_CNAME_HOPS_MAX);
        assert_int_equal(s.dmarc.attempts, DS_CNAME_HOPS_MAX + 1);
        assert_string_equal(s.dmarc.target, name);
        job_clear(&j);

        /* one link per lookup, one too many */
        start_ok(&j, "a.example");
        for (unsigned i = 0; i < DS_CNAME_HOPS_MAX; i++) {
                feed_chain(&j, i, i + 1, false);
                assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        }
        feed_chain(&j, DS_CNAME_HOPS_MAX, DS_CNAME_HOPS_MAX + 1, true);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_CNAME_LOOP);
        assert_int_equal(s.dmarc.nrecords, 0);
        job_clear(&j);

        /* 5 + 3 links over two replies: exactly the limit */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, 5, false);
        assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        feed_chain(&j, 5, 8, true);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.cname_hops, 8);
        job_clear(&j);

        /* 5 + 4: over */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, 5, false);
        assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        feed_chain(&j, 5, 9, true);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, LOOKUP_CNAME_LOOP);
        job_clear(&j);
        job_scratch_free(&s);
}

static void t_cname_nxdomain(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);

        /* the resolver followed the CNAME and the target does not exist */
        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "host.example. 300 IN SOA ns.host.example. h.host.example. 1 7200 900 1209600 "
               "300");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_int_equal(s.dmarc.cname_hops, 1);
        assert_string_equal(s.dmarc.target, "h.host.example");
        job_clear(&j);

        /* NXDOMAIN in the follow-up lookup of the target */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        lp = lp_reply("h.host.example", LDNS_RCODE_NXDOMAIN);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_int_equal(s.dmarc.cname_hops, 1);
        assert_string_equal(s.dmarc.target, "h.host.example");
        job_clear(&j);
        job_scratch_free(&s);
}

/* ---- replies larger than DS_REPLY_INLINE ---------------------------------------------- */

static void fill_record(char *buf, size_t n)
{
        static const char head[] = "v=DMARC1; p=reject; rua=";
        memcpy(buf, head, sizeof(head) - 1);
        for (size_t i = sizeof(head) - 1; i < n; i++)
                buf[i] = (char)('a' + (i * 7) % 26);
}

static void t_big_reply(void **st)
{
        (void)st;
        static char rec[3000];
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);
        fill_record(rec, sizeof(rec));

        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        /* 3000 bytes in character-strings of 100 */
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com", LDNS_RR_CLASS_IN, rec,
                     sizeof(rec), 100);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_true(j.reply_len > DS_REPLY_INLINE);
        assert_non_null(j.reply_big);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords, 2);
        assert_record(&s, 0, rec, sizeof(rec));
        assert_record_str(&s, 1, "v=DMARC1; p=none");
        job_clear(&j);
        assert_null(j.reply_big);
        job_clear(&j); /* idempotent */

        /* two big replies in a row for one job (CNAME, then the target): no leak, and the
         * second one is the one parsed */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_txt_bytes(lp, LDNS_SECTION_ADDITIONAL, "pad.example", LDNS_RR_CLASS_IN, rec, sizeof(rec),
                     255);
        lp_feed(&j, lp, 1);
        assert_non_null(j.reply_big);
        assert_int_equal(job_step(&j, &s), JOB_STEP_QUERY);
        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "h.host.example", LDNS_RR_CLASS_IN, rec,
                     sizeof(rec) - 1, 255);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NOERROR);
        assert_int_equal(s.dmarc.nrecords, 1);
        assert_record(&s, 0, rec, sizeof(rec) - 1);
        job_clear(&j);
        assert_null(j.reply_big);
        job_scratch_free(&s);
}

/* Job and scratch owned by the test fixture, so that a failing assertion (which longjmps
 * out of the test) does not turn into a leak report on top of the failure. */
struct held {
        struct job j;
        struct job_scratch s;
};

static int held_setup(void **st)
{
        struct held *h = calloc(1, sizeof(*h));
        if (!h)
                return -1;
        job_scratch_init(&h->s);
        *st = h;
        return 0;
}

static int held_teardown(void **st)
{
        struct held *h = *st;
        job_clear(&h->j);
        job_scratch_free(&h->s);
        free(h);
        return 0;
}

/* A big first reply (a CNAME plus padding) and then a small follow-up: the follow-up must be
 * parsed, not what is left of the big one. */
static void t_big_then_small(void **st)
{
        struct held *h = *st;
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        static char pad[3000];
        fill_record(pad, sizeof(pad));
        pad[0] = 'x'; /* not DMARC */

        start_ok(j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_txt_bytes(lp, LDNS_SECTION_ADDITIONAL, "pad.example", LDNS_RR_CLASS_IN, pad, sizeof(pad),
                     255);
        lp_feed(j, lp, 1);
        assert_true(j->reply_len > DS_REPLY_INLINE);
        assert_int_equal(job_step(j, s), JOB_STEP_QUERY);
        assert_wire_name(j->qname, j->qname_len, "h.host.example");

        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
        lp_feed(j, lp, 1);
        assert_true(j->reply_len <= DS_REPLY_INLINE);
        assert_int_equal(job_step(j, s), JOB_STEP_DONE);
        if (s->dmarc.status != WIRE_RCODE_NOERROR)
                fail_msg("small follow-up after a big reply: status %s, want NOERROR",
                         lookup_status_name(s->dmarc.status));
        assert_int_equal(s->dmarc.nrecords, 1);
        assert_record_str(s, 0, "v=DMARC1; p=reject");
        assert_int_equal(s->dmarc.cname_hops, 1);
        job_clear(j);
        assert_null(j->reply_big);
}

/* ---- records limit, scratch reuse, attempts ------------------------------------------- */

static void t_records_max(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        char rec[64];
        job_scratch_init(&s);
        for (unsigned total = DS_RECORDS_MAX; total <= DS_RECORDS_MAX + 3; total += 3) {
                start_ok(&j, "example.com");
                ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
                for (unsigned i = 0; i < total; i++) {
                        snprintf(rec, sizeof(rec), "v=DMARC1; p=none; pct=%u", i);
                        lp_txt(lp, "_dmarc.example.com", rec);
                }
                lp_txt(lp, "_dmarc.example.com", "not dmarc");
                lp_feed(&j, lp, 1);
                assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
                assert_int_equal(s.dmarc.nrecords, DS_RECORDS_MAX);
                assert_int_equal(s.dmarc.nrecords_dropped, total - DS_RECORDS_MAX);
                assert_int_equal(s.dmarc.nother_txt, 1);
                for (unsigned i = 0; i < DS_RECORDS_MAX; i++) {
                        snprintf(rec, sizeof(rec), "v=DMARC1; p=none; pct=%u", i);
                        assert_record_str(&s, i, rec);
                }
                job_clear(&j);
        }
        job_scratch_free(&s);
}

static void t_scratch_reuse(void **st)
{
        (void)st;
        struct job j;
        struct job_scratch s;
        job_scratch_init(&s);

        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_txt(lp, "h.host.example", "v=DMARC1; p=none");
        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
        lp_txt(lp, "h.host.example", "token");
        lp_feed(&j, lp, 2);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.nrecords, 2);
        assert_string_equal(s.dmarc.target, "h.host.example");
        job_clear(&j);

        /* the next job through the same scratch starts from nothing */
        start_ok(&j, "b.example");
        lp = lp_reply("_dmarc.b.example", LDNS_RCODE_NXDOMAIN);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(s.dmarc.nrecords, 0);
        assert_int_equal(s.dmarc.nother_txt, 0);
        assert_int_equal(s.dmarc.nrecords_dropped, 0);
        assert_int_equal(s.dmarc.cname_hops, 0);
        assert_int_equal(s.dmarc.attempts, 1);
        assert_string_equal(s.dmarc.target, "");
        assert_string_equal(s.dmarc.location, "_dmarc.b.example");
        job_clear(&j);

        /* and a job restarted on the same struct starts from zero attempts and hops */
        start_ok(&j, "a.example");
        assert_int_equal(j.attempts, 0);
        assert_int_equal(j.cname_hops, 0);
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.a.example", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j, &s), JOB_STEP_DONE);
        assert_int_equal(s.dmarc.attempts, 1);
        assert_int_equal(s.dmarc.cname_hops, 0);
        assert_string_equal(s.dmarc.target, "");
        job_clear(&j);
        job_scratch_free(&s);
}

/* ---- names ---------------------------------------------------------------------------- */

static void t_status_names(void **st)
{
        (void)st;
        assert_string_equal(lookup_status_name(LOOKUP_PENDING), "PENDING");
        assert_string_equal(lookup_status_name(LOOKUP_TIMEOUT), "TIMEOUT");
        assert_string_equal(lookup_status_name(LOOKUP_MALFORMED), "MALFORMED");
        assert_string_equal(lookup_status_name(LOOKUP_CNAME_LOOP), "CNAME_LOOP");
        assert_string_equal(lookup_status_name(0), "NOERROR");
        assert_string_equal(lookup_status_name(1), "FORMERR");
        assert_string_equal(lookup_status_name(2), "SERVFAIL");
        assert_string_equal(lookup_status_name(3), "NXDOMAIN");
        assert_string_equal(lookup_status_name(4), "NOTIMP");
        assert_string_equal(lookup_status_name(5), "REFUSED");
        assert_string_equal(lookup_status_name(16), "BADVERS");
        assert_string_equal(lookup_status_name(17), "RCODE17");
        assert_string_equal(lookup_status_name(4095), "RCODE?");
        assert_string_equal(lookup_status_name(-99), "RCODE?");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_start_ok),
            cmocka_unit_test(t_start_illegal),
            cmocka_unit_test(t_start_too_long),
            cmocka_unit_test(t_single),
            cmocka_unit_test(t_multistring),
            cmocka_unit_test(t_two_records),
            cmocka_unit_test(t_other_txt),
            cmocka_unit_test(t_other_owner_ignored),
            cmocka_unit_test(t_version_rule),
            cmocka_unit_test(t_rcodes),
            cmocka_unit_test(t_timeout),
            cmocka_unit_test(t_malformed),
            cmocka_unit_test(t_cname_same_reply),
            cmocka_unit_test(t_cname_followup),
            cmocka_unit_test(t_cname_loop),
            cmocka_unit_test(t_cname_limits),
            cmocka_unit_test(t_cname_nxdomain),
            cmocka_unit_test(t_big_reply),
            cmocka_unit_test_setup_teardown(t_big_then_small, held_setup, held_teardown),
            cmocka_unit_test(t_records_max),
            cmocka_unit_test(t_scratch_reuse),
            cmocka_unit_test(t_status_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

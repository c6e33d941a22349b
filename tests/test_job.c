/* test_job.c -- unit tests of the dmarc check driven through scanner/job.c (job_start,
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

#include <stdbool.h> /* before ldns, which otherwise defines bool as signed char */
#include <ldns/ldns.h>

#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/ansmemo.h"
#include "scanner/job.h"
#include "job_packets.h"

/* ---- helpers -------------------------------------------------------------------------- */

static void item_ok(struct job *j, const char *domain)
{
        tj_reset(j);
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
        assert_wire_name(j->look[0].qname, j->look[0].qname_len, q);
        assert_int_equal(j->look[0].qtype, WIRE_TYPE_TXT);
}

static void assert_record(const struct job_scratch *s, unsigned i, const void *want, size_t n)
{
        assert_true(i < SD(s)->nrecords);
        assert_int_equal(SD(s)->recs[i].len, n);
        assert_memory_equal(SD(s)->text + SD(s)->recs[i].off, want, n);
}

static void assert_record_str(const struct job_scratch *s, unsigned i, const char *want)
{
        assert_record(s, i, want, strlen(want));
}

/* One lookup of _dmarc.example.com answered by one TXT of these bytes: is it DMARC? */
static bool classify_txt(const void *data, size_t n)
{
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com", LDNS_RR_CLASS_IN, data, n, 255);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords + SD(&s)->nother_txt, 1);
        bool yes = SD(&s)->nrecords == 1;
        if (yes)
                assert_record(&s, 0, data, n);
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
        return yes;
}

/* ---- job_start ------------------------------------------------------------------------ */

/* The engine's parse travels with the reply: lookup_parse() gives it back over the kept
 * copy (inline or large), the same as parsing the bytes again; a reply kept without one (the
 * shared cache's) is parsed from its own bytes, not from a stale parse. */
static void t_engine_parse_kept(void **st)
{
        (void)st;
        struct lookup l;
        memset(&l, 0, sizeof(l));
        lookup_reset(&l);
        char big[700];
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = 0;
        for (int round = 0; round < 2; round++) { /* inline, then over DS_REPLY_INLINE */
                ldns_pkt *lp = lp_reply("_dmarc.p.test", LDNS_RCODE_NOERROR);
                lp_txt(lp, "_dmarc.p.test", "v=DMARC1; p=reject");
                if (round)
                        lp_txt(lp, "_dmarc.p.test", big);
                uint8_t *wire = NULL;
                size_t n = 0;
                assert_int_equal(ldns_pkt2wire(&wire, lp, &n), LDNS_STATUS_OK);
                ldns_pkt_free(lp);
                assert_true(round ? n > DS_REPLY_INLINE : n <= DS_REPLY_INLINE);
                struct wire_reply r, got, again;
                assert_int_equal(wire_reply_parse(&r, wire, n), 0);
                lookup_set_parsed(&l, &r, 1);
                memset(wire, 0xa5, n); /* the lookup keeps its own copy */
                free(wire);
                assert_true(l.has_parsed);
                assert_int_equal(lookup_parse(&l, &got), 0);
                assert_ptr_equal(got.pkt, lookup_reply(&l));
                assert_int_equal(wire_reply_parse(&again, lookup_reply(&l), l.reply_len), 0);
                assert_memory_equal(&got, &again, sizeof(got));
                assert_int_equal(got.ancount, round ? 2 : 1);
        }
        /* a reply without a parse replaces it: NXDOMAIN, no answer */
        ldns_pkt *lp = lp_reply("_dmarc.q.test", LDNS_RCODE_NXDOMAIN);
        uint8_t *wire = NULL;
        size_t n = 0;
        assert_int_equal(ldns_pkt2wire(&wire, lp, &n), LDNS_STATUS_OK);
        ldns_pkt_free(lp);
        lookup_set_reply(&l, ENGINE_REPLY, wire, n, 0);
        free(wire);
        assert_false(l.has_parsed);
        struct wire_reply got;
        assert_int_equal(lookup_parse(&l, &got), 0);
        assert_int_equal(got.ancount, 0);
        assert_int_equal(got.rcode, WIRE_RCODE_NXDOMAIN);
        lookup_clear(&l);
}

static void t_start_ok(void **st)
{
        (void)st;
        struct job j = {0};
        start_ok(&j, "example.com");
        assert_int_equal(j.look[0].qname_len, 20);
        assert_int_equal(j.look[0].cname_hops, 0);
        assert_int_equal(j.look[0].attempts, 0);
        assert_int_equal(j.in.status, INPUT_ITEM_OK);
        assert_null(j.look[0].reply_big);
        job_clear(&j);
        job_free(&j);
}

static void t_start_illegal(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        tj_reset(&j);
        j.in.rank = -1;
        j.in.status = INPUT_ITEM_ILLEGAL;
        snprintf(j.in.raw, sizeof(j.in.raw), "bad..name");
        snprintf(j.in.error, sizeof(j.in.error), "empty label");
        assert_int_equal(job_start(&j), JOB_STEP_DONE);
        assert_int_equal(j.in.status, INPUT_ITEM_ILLEGAL);
        assert_string_equal(j.in.error, "empty label");
        /* the classifier still sees it (the pool dispatches it) and finishes it at once */
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->nrecords, 0);
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
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
        struct job j = {0};

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
        assert_int_equal(j.look[0].qname_len, DS_NAME_MAX_WIRE);
        assert_int_equal(j.in.status, INPUT_ITEM_OK);
        job_clear(&j);

        long_domain(dom, 247);
        item_ok(&j, dom);
        assert_int_equal(job_start(&j), JOB_STEP_DONE);
        assert_int_equal(j.in.status, INPUT_ITEM_ILLEGAL);
        assert_true(strlen(j.in.error) > 0);
        job_clear(&j);
        job_free(&j);
}

/* ---- one reply ------------------------------------------------------------------------ */

static void t_single(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER,
               "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, 0);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_int_equal(SD(&s)->nother_txt, 0);
        assert_int_equal(SD(&s)->nrecords_dropped, 0);
        assert_int_equal(SD(&s)->cname_hops, 0);
        assert_int_equal(SD(&s)->attempts, 1);
        assert_string_equal(SD(&s)->target, "");
        assert_string_equal(SD(&s)->location, "_dmarc.example.com");
        assert_record_str(&s, 0, "v=DMARC1; p=reject; rua=mailto:d@example.com");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_multistring(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER,
               "_dmarc.example.com. 300 IN TXT \"v=DMARC1; p=\" \"reject\"");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, 0);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=reject");
        job_clear(&j);

        /* the version tag itself split across strings, with an empty string inside */
        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER,
               "_dmarc.example.com. 300 IN TXT \"v=DM\" \"\" \"ARC1\" \"; p=none\"");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_two_records(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=none");
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, 0);
        assert_int_equal(SD(&s)->nrecords, 2);
        assert_int_equal(SD(&s)->nother_txt, 0);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        assert_record_str(&s, 1, "v=DMARC1; p=reject; pct=50");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_other_txt(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=quarantine");
        lp_txt(lp, "_dmarc.example.com", "google-site-verification=x");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_int_equal(SD(&s)->nother_txt, 1);
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
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->nrecords, 2);
        assert_int_equal(SD(&s)->nother_txt, 2);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        assert_record_str(&s, 1, "v=DMARC1; p=reject");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_other_owner_ignored(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
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
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, 0);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_int_equal(SD(&s)->nother_txt, 0);
        job_clear(&j);

        /* owner names compare case-insensitively (0x20 randomisation, odd zones) */
        start_ok(&j, "example.com");
        lp = lp_reply("_DMARC.Example.COM", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_DMARC.Example.COM", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
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
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);

        /* NXDOMAIN with the SOA in authority */
        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example.com. 300 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(SD(&s)->status, 3);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_int_equal(SD(&s)->nother_txt, 0);
        assert_string_equal(SD(&s)->target, "");
        job_clear(&j);

        /* NODATA */
        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example.com. 300 IN SOA ns.example.com. h.example.com. 1 7200 900 1209600 300");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_int_equal(SD(&s)->nother_txt, 0);
        job_clear(&j);

        /* SERVFAIL, REFUSED: the rcode is the status, whatever the answer holds */
        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_SERVFAIL);
        lp_feed(&j, lp, 3);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_SERVFAIL);
        assert_int_equal(SD(&s)->attempts, 3);
        job_clear(&j);

        start_ok(&j, "example.com");
        lp = lp_reply("_dmarc.example.com", LDNS_RCODE_REFUSED);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_REFUSED);
        assert_int_equal(SD(&s)->nrecords, 0);
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_timeout(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        start_ok(&j, "example.com");
        lookup_set_reply(&j.look[0], ENGINE_TIMEOUT, NULL, 0, 4);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_TIMEOUT);
        assert_int_equal(SD(&s)->attempts, 4);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_string_equal(SD(&s)->location, "_dmarc.example.com");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
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
        tj_scratch(&s);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct job j = {0};
                start_ok(&j, "example.com");
                lookup_set_reply(&j.look[0], ENGINE_REPLY, cases[i].p, cases[i].n, 1);
                assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
                if (SD(&s)->status != LOOKUP_MALFORMED)
                        fail_msg("case %zu: status %d, want MALFORMED", i, SD(&s)->status);
                assert_int_equal(SD(&s)->nrecords, 0);
                job_free(&j);
        }
        job_scratch_free(&s);
}

/* ---- CNAMEs --------------------------------------------------------------------------- */

static void t_cname_same_reply(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
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
                assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
                assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
                assert_int_equal(SD(&s)->nrecords, 1);
                assert_record_str(&s, 0, "v=DMARC1; p=reject");
                assert_int_equal(SD(&s)->cname_hops, 1);
                assert_string_equal(SD(&s)->target, "h.host.example");
                assert_string_equal(SD(&s)->location, "_dmarc.a.example");
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
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=none");
        assert_int_equal(SD(&s)->cname_hops, 2);
        assert_string_equal(SD(&s)->target, "t.tail.example");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_cname_followup(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 2);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        assert_wire_name(j.look[0].qname, j.look[0].qname_len, "h.host.example");
        assert_int_equal(j.look[0].qtype, WIRE_TYPE_TXT);
        assert_int_equal(j.look[0].cname_hops, 1);

        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
        lp_txt(lp, "h.host.example", "other=1");
        lp_feed(&j, lp, 3);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_int_equal(SD(&s)->nother_txt, 1);
        assert_record_str(&s, 0, "v=DMARC1; p=reject");
        assert_int_equal(SD(&s)->cname_hops, 1);
        assert_string_equal(SD(&s)->target, "h.host.example");
        assert_string_equal(SD(&s)->location, "_dmarc.a.example");
        /* attempts accumulate across the two lookups */
        assert_int_equal(SD(&s)->attempts, 5);
        job_clear(&j);

        /* the target exists without TXT: NODATA at the target, after one hop */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_int_equal(SD(&s)->cname_hops, 1);
        assert_string_equal(SD(&s)->target, "h.host.example");
        assert_int_equal(SD(&s)->attempts, 2);
        job_clear(&j);

        /* the follow-up times out */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        lookup_set_reply(&j.look[0], ENGINE_TIMEOUT, NULL, 0, 3);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_TIMEOUT);
        assert_int_equal(SD(&s)->attempts, 4);
        assert_int_equal(SD(&s)->cname_hops, 1);
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_cname_loop(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);

        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME b.example.");
        lp_add(lp, LDNS_SECTION_ANSWER, "b.example. 300 IN CNAME _dmarc.a.example.");
        lp_txt(lp, "b.example", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_CNAME_LOOP);
        assert_int_equal(SD(&s)->nrecords, 0);
        job_clear(&j);

        /* a name aliased to itself */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME _dmarc.a.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_CNAME_LOOP);
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
                step = job_step(&j.look[0], &s);
                replies++;
        }
        assert_int_equal(step, JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_CNAME_LOOP);
        assert_int_equal(replies, DS_CNAME_HOPS_MAX + 1);
        assert_int_equal(SD(&s)->attempts, DS_CNAME_HOPS_MAX + 1);
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
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
        struct job j = {0};
        struct job_scratch s;
        char name[64];
        tj_scratch(&s);

        /* DS_CNAME_HOPS_MAX links in one reply are followed ... */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, DS_CNAME_HOPS_MAX, true);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_int_equal(SD(&s)->cname_hops, DS_CNAME_HOPS_MAX);
        chain_name(name, sizeof(name), DS_CNAME_HOPS_MAX);
        assert_string_equal(SD(&s)->target, name);
        job_clear(&j);

        /* ... one more is a loop */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, DS_CNAME_HOPS_MAX + 1, true);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_CNAME_LOOP);
        assert_int_equal(SD(&s)->nrecords, 0);
        job_clear(&j);

        /* one link per lookup: DS_CNAME_HOPS_MAX follow-ups, then the TXT */
        start_ok(&j, "a.example");
        for (unsigned i = 0; i < DS_CNAME_HOPS_MAX; i++) {
                feed_chain(&j, i, i + 1, false);
                assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
                chain_name(name, sizeof(name), i + 1);
                assert_wire_name(j.look[0].qname, j.look[0].qname_len, name);
                assert_int_equal(j.look[0].cname_hops, i + 1);
        }
        feed_chain(&j, DS_CNAME_HOPS_MAX, DS_CNAME_HOPS_MAX, true);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_int_equal(SD(&s)->cname_hops, DS_CNAME_HOPS_MAX);
        assert_int_equal(SD(&s)->attempts, DS_CNAME_HOPS_MAX + 1);
        assert_string_equal(SD(&s)->target, name);
        job_clear(&j);

        /* one link per lookup, one too many */
        start_ok(&j, "a.example");
        for (unsigned i = 0; i < DS_CNAME_HOPS_MAX; i++) {
                feed_chain(&j, i, i + 1, false);
                assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        }
        feed_chain(&j, DS_CNAME_HOPS_MAX, DS_CNAME_HOPS_MAX + 1, true);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_CNAME_LOOP);
        assert_int_equal(SD(&s)->nrecords, 0);
        job_clear(&j);

        /* 5 + 3 links over two replies: exactly the limit */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, 5, false);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        feed_chain(&j, 5, 8, true);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->cname_hops, 8);
        job_clear(&j);

        /* 5 + 4: over */
        start_ok(&j, "a.example");
        feed_chain(&j, 0, 5, false);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        feed_chain(&j, 5, 9, true);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, LOOKUP_CNAME_LOOP);
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
}

static void t_cname_nxdomain(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);

        /* the resolver followed the CNAME and the target does not exist */
        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "host.example. 300 IN SOA ns.host.example. h.host.example. 1 7200 900 1209600 "
               "300");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_int_equal(SD(&s)->cname_hops, 1);
        assert_string_equal(SD(&s)->target, "h.host.example");
        job_clear(&j);

        /* NXDOMAIN in the follow-up lookup of the target */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        lp = lp_reply("h.host.example", LDNS_RCODE_NXDOMAIN);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_int_equal(SD(&s)->cname_hops, 1);
        assert_string_equal(SD(&s)->target, "h.host.example");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
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
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);
        fill_record(rec, sizeof(rec));

        start_ok(&j, "example.com");
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        /* 3000 bytes in character-strings of 100 */
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com", LDNS_RR_CLASS_IN, rec,
                     sizeof(rec), 100);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_true(j.look[0].reply_len > DS_REPLY_INLINE);
        assert_non_null(j.look[0].reply_big);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords, 2);
        assert_record(&s, 0, rec, sizeof(rec));
        assert_record_str(&s, 1, "v=DMARC1; p=none");
        job_clear(&j);
        assert_null(j.look[0].reply_big);
        job_clear(&j); /* idempotent */

        /* two big replies in a row for one job (CNAME, then the target): no leak, and the
         * second one is the one parsed */
        start_ok(&j, "a.example");
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_txt_bytes(lp, LDNS_SECTION_ADDITIONAL, "pad.example", LDNS_RR_CLASS_IN, rec, sizeof(rec),
                     255);
        lp_feed(&j, lp, 1);
        assert_non_null(j.look[0].reply_big);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_QUERY);
        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "h.host.example", LDNS_RR_CLASS_IN, rec,
                     sizeof(rec) - 1, 255);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(SD(&s)->nrecords, 1);
        assert_record(&s, 0, rec, sizeof(rec) - 1);
        job_clear(&j);
        assert_null(j.look[0].reply_big);
        job_scratch_free(&s);
        job_free(&j);
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
        tj_scratch(&h->s);
        *st = h;
        return 0;
}

static int held_teardown(void **st)
{
        struct held *h = *st;
        job_free(&h->j);
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
        assert_true(j->look[0].reply_len > DS_REPLY_INLINE);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_QUERY);
        assert_wire_name(j->look[0].qname, j->look[0].qname_len, "h.host.example");

        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
        lp_feed(j, lp, 1);
        assert_true(j->look[0].reply_len <= DS_REPLY_INLINE);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_DONE);
        if (SD(s)->status != WIRE_RCODE_NOERROR)
                fail_msg("small follow-up after a big reply: status %s, want NOERROR",
                         lookup_status_name(SD(s)->status));
        assert_int_equal(SD(s)->nrecords, 1);
        assert_record_str(s, 0, "v=DMARC1; p=reject");
        assert_int_equal(SD(s)->cname_hops, 1);
        job_clear(j);
        assert_null(j->look[0].reply_big);
}

/* ---- records limit, scratch reuse, attempts ------------------------------------------- */

/* Every DMARC record of a reply is kept (32 were, once); only the budget refuses more. */
static void t_records_all(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        char rec[64];
        tj_scratch(&s);
        for (unsigned total = 32; total <= 40; total += 8) {
                start_ok(&j, "example.com");
                ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
                for (unsigned i = 0; i < total; i++) {
                        snprintf(rec, sizeof(rec), "v=DMARC1; p=none; pct=%u", i);
                        lp_txt(lp, "_dmarc.example.com", rec);
                }
                lp_txt(lp, "_dmarc.example.com", "not dmarc");
                lp_feed(&j, lp, 1);
                assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
                assert_int_equal(SD(&s)->nrecords, total);
                assert_int_equal(SD(&s)->nrecords_dropped, 0);
                assert_int_equal(SD(&s)->nother_txt, 1);
                assert_false(SD(&s)->over_budget);
                for (unsigned i = 0; i < total; i++) {
                        snprintf(rec, sizeof(rec), "v=DMARC1; p=none; pct=%u", i);
                        assert_record_str(&s, i, rec);
                }
                job_clear(&j);
        }
        job_scratch_free(&s);
        job_free(&j);
}

static void t_scratch_reuse(void **st)
{
        (void)st;
        struct job j = {0};
        struct job_scratch s;
        tj_scratch(&s);

        start_ok(&j, "a.example");
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_txt(lp, "h.host.example", "v=DMARC1; p=none");
        lp_txt(lp, "h.host.example", "v=DMARC1; p=reject");
        lp_txt(lp, "h.host.example", "token");
        lp_feed(&j, lp, 2);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->nrecords, 2);
        assert_string_equal(SD(&s)->target, "h.host.example");
        job_clear(&j);

        /* the next job through the same scratch starts from nothing */
        start_ok(&j, "b.example");
        lp = lp_reply("_dmarc.b.example", LDNS_RCODE_NXDOMAIN);
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(SD(&s)->nrecords, 0);
        assert_int_equal(SD(&s)->nother_txt, 0);
        assert_int_equal(SD(&s)->nrecords_dropped, 0);
        assert_int_equal(SD(&s)->cname_hops, 0);
        assert_int_equal(SD(&s)->attempts, 1);
        assert_string_equal(SD(&s)->target, "");
        assert_string_equal(SD(&s)->location, "_dmarc.b.example");
        job_clear(&j);

        /* and a job restarted on the same struct starts from zero attempts and hops */
        start_ok(&j, "a.example");
        assert_int_equal(j.look[0].attempts, 0);
        assert_int_equal(j.look[0].cname_hops, 0);
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.a.example", "v=DMARC1; p=none");
        lp_feed(&j, lp, 1);
        assert_int_equal(job_step(&j.look[0], &s), JOB_STEP_DONE);
        assert_int_equal(SD(&s)->attempts, 1);
        assert_int_equal(SD(&s)->cname_hops, 0);
        assert_string_equal(SD(&s)->target, "");
        job_clear(&j);
        job_scratch_free(&s);
        job_free(&j);
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

/* ---- discovery: the tree walk, existence, authorization (one lookup at a time) -------- */

/* Assert the lookup the job asks next. */
static void assert_query(const struct job *j, const char *name, uint16_t qtype)
{
        assert_wire_name(j->look[0].qname, j->look[0].qname_len, name);
        assert_int_equal(j->look[0].qtype, qtype);
}

/* Answer the job's TXT lookup of name with rcode and no records; returns the next step. */
static enum job_step answer_rcode(struct job *j, struct job_scratch *s, const char *name,
                                  ldns_pkt_rcode rcode)
{
        assert_query(j, name, WIRE_TYPE_TXT);
        lp_feed(j, lp_reply_t(name, "TXT", rcode), 1);
        return job_step(&j->look[0], s);
}

/* Answer the job's TXT lookup of name with these TXT records (NULL-terminated). */
static enum job_step answer_txt(struct job *j, struct job_scratch *s, const char *name, ...)
{
        assert_query(j, name, WIRE_TYPE_TXT);
        ldns_pkt *lp = lp_reply_t(name, "TXT", LDNS_RCODE_NOERROR);
        va_list ap;
        va_start(ap, name);
        for (const char *t; (t = va_arg(ap, const char *));)
                lp_txt(lp, name, t);
        va_end(ap);
        lp_feed(j, lp, 1);
        return job_step(&j->look[0], s);
}

/* Answer the existence lookup of name (type A). */
static enum job_step answer_exists(struct job *j, struct job_scratch *s, const char *name,
                                   ldns_pkt_rcode rcode)
{
        char rr[300];
        assert_query(j, name, WIRE_TYPE_A);
        ldns_pkt *lp = lp_reply_t(name, "A", rcode);
        if (rcode == LDNS_RCODE_NOERROR) {
                snprintf(rr, sizeof(rr), "%s. 300 IN A 192.0.2.1", name);
                lp_add(lp, LDNS_SECTION_ANSWER, rr);
        }
        lp_feed(j, lp, 1);
        return job_step(&j->look[0], s);
}

static const struct discovery_ctx TREE = {.mode = DISCOVERY_TREE};
static const struct discovery_ctx EXACT = {.mode = DISCOVERY_EXACT};

/* A job on the heap (the scratch holds a parsed record of ~22 KB: not for the stack of
 * a thread, and the fixture frees both after a failed assertion too). */
static struct held *start_with(void **st, const struct discovery_ctx *c, const char *domain)
{
        struct held *h = *st;
        job_clear(&h->j);
        item_ok(&h->j, domain);
        tj_disc(&h->j, c);
        assert_int_equal(job_start(&h->j), JOB_STEP_QUERY);
        return h;
}

static bool has_issue(const struct dmarc_result *d, const char *code, bool error)
{
        for (unsigned i = 0; i < d->nissues; i++)
                if (strcmp(d->issues[i].code, code) == 0 && d->issues[i].error == error)
                        return true;
        return false;
}

static void t_tree_parent_sp(void **st)
{
        static const char rec[] = "v=DMARC1; p=reject; sp=quarantine; np=none";
        struct held *h = start_with(st, &TREE, "a.b.example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        assert_int_equal(DST(j)->nplan, 4);
        assert_int_equal(answer_rcode(j, s, "_dmarc.a.b.example.com", LDNS_RCODE_NXDOMAIN),
                         JOB_STEP_QUERY);
        assert_int_equal(answer_rcode(j, s, "_dmarc.b.example.com", LDNS_RCODE_NOERROR),
                         JOB_STEP_QUERY);
        assert_int_equal(answer_txt(j, s, "_dmarc.example.com", rec, NULL), JOB_STEP_QUERY);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_QUERY);
        /* the parent's record applies and _dmarc.a.b.example.com was NXDOMAIN: does the
         * domain exist? */
        assert_int_equal(answer_exists(j, s, "a.b.example.com", LDNS_RCODE_NOERROR), JOB_STEP_DONE);
        const struct dmarc_result *d = SD(s);
        assert_int_equal(d->v.posture, POSTURE_QUARANTINE);
        assert_int_equal(d->v.tag, 's');
        assert_true(d->v.enforcing);
        assert_int_equal(d->exists, TRI_YES);
        assert_int_equal(d->status, WIRE_RCODE_NOERROR);
        assert_int_equal(d->how, HOW_TREE_WALK);
        assert_string_equal(d->location, "_dmarc.example.com");
        assert_int_equal(d->nrecords, 1);
        assert_record_str(s, 0, rec);
        assert_true(d->applied);
        assert_string_equal(j->in.domain + d->policy_off, "example.com");
        assert_string_equal(j->in.domain + d->org_off, "example.com");
        assert_int_equal(d->nwalk, 4);
        assert_int_equal(d->walk[0].status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(d->walk[1].status, WIRE_RCODE_NOERROR);
        assert_int_equal(d->walk[2].records, 1);
        assert_int_equal(d->walk[2].kind, WALK_RECORD);
        assert_int_equal(d->attempts, 5);
        assert_int_equal(tj_outcome(j, s), WIRE_RCODE_NOERROR);

        /* the same, but the domain does not exist: np */
        h = start_with(st, &TREE, "a.b.example.com");
        answer_rcode(j, s, "_dmarc.a.b.example.com", LDNS_RCODE_NXDOMAIN);
        answer_rcode(j, s, "_dmarc.b.example.com", LDNS_RCODE_NXDOMAIN);
        answer_txt(j, s, "_dmarc.example.com", rec, NULL);
        answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN);
        assert_int_equal(answer_exists(j, s, "a.b.example.com", LDNS_RCODE_NXDOMAIN),
                         JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_NONE);
        assert_int_equal(d->v.tag, 'n');
        assert_int_equal(d->exists, TRI_NO);

        /* _dmarc.<domain> NOERROR (NODATA): the domain exists, no existence lookup */
        h = start_with(st, &TREE, "a.example.com");
        answer_rcode(j, s, "_dmarc.a.example.com", LDNS_RCODE_NOERROR);
        answer_txt(j, s, "_dmarc.example.com", rec, NULL);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_QUARANTINE);
        assert_int_equal(d->exists, TRI_YES);
}

static void t_tree_exists_fails(void **st)
{
        struct held *h = start_with(st, &TREE, "a.example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        const struct dmarc_result *d = SD(s);
        /* sp and np differ: not knowing whether the domain exists is an error */
        answer_rcode(j, s, "_dmarc.a.example.com", LDNS_RCODE_NXDOMAIN);
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=none; sp=none; np=reject", NULL);
        answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN);
        assert_int_equal(answer_exists(j, s, "a.example.com", LDNS_RCODE_SERVFAIL), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_ERROR);
        assert_int_equal(d->v.spoofable, SPOOF_UNKNOWN);
        assert_int_equal(d->status, WIRE_RCODE_SERVFAIL);
        assert_string_equal(d->error_name, "a.example.com");
        assert_int_equal(d->exists, TRI_UNKNOWN);
        assert_string_equal(d->location, "_dmarc.example.com");
        assert_true(has_issue(d, "exists_unknown", true));
        assert_int_equal(tj_outcome(j, s), WIRE_RCODE_SERVFAIL);

        /* sp == np: the answer does not matter, a warning only */
        h = start_with(st, &TREE, "a.example.com");
        answer_rcode(j, s, "_dmarc.a.example.com", LDNS_RCODE_NXDOMAIN);
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=none; sp=reject", NULL);
        answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN);
        assert_query(j, "a.example.com", WIRE_TYPE_A);
        lookup_set_reply(&j->look[0], ENGINE_TIMEOUT, NULL, 0, 4);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_REJECT);
        assert_int_equal(d->status, WIRE_RCODE_NOERROR);
        assert_true(has_issue(d, "exists_unknown", false));
        assert_int_equal(d->attempts, 7);

        /* a CNAME at the domain proves it exists, whatever the rcode of its target */
        h = start_with(st, &TREE, "a.example.com");
        answer_rcode(j, s, "_dmarc.a.example.com", LDNS_RCODE_NXDOMAIN);
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=none; sp=reject; np=none", NULL);
        answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN);
        ldns_pkt *lp = lp_reply_t("a.example.com", "A", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_ANSWER, "a.example.com. 300 IN CNAME gone.example.net.");
        lp_feed(j, lp, 1);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_DONE);
        assert_int_equal(d->exists, TRI_YES);
        assert_int_equal(d->v.posture, POSTURE_REJECT);
}

static void t_tree_failures(void **st)
{
        /* SERVFAIL at a parent before any record: error, never missing */
        struct held *h = start_with(st, &TREE, "a.b.example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        const struct dmarc_result *d = SD(s);
        answer_rcode(j, s, "_dmarc.a.b.example.com", LDNS_RCODE_NXDOMAIN);
        assert_int_equal(answer_rcode(j, s, "_dmarc.b.example.com", LDNS_RCODE_SERVFAIL),
                         JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_ERROR);
        assert_int_equal(d->status, WIRE_RCODE_SERVFAIL);
        assert_string_equal(d->error_name, "_dmarc.b.example.com");
        assert_int_equal(d->nwalk, 2);
        assert_int_equal(d->nrecords, 0);
        assert_int_equal(d->how, HOW_NONE);
        assert_true(has_issue(d, "dns_error", true));

        /* ... also after a parent's record was found: a name above could change it */
        h = start_with(st, &TREE, "a.example.com");
        answer_rcode(j, s, "_dmarc.a.example.com", LDNS_RCODE_NXDOMAIN);
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=reject", NULL);
        assert_query(j, "_dmarc.com", WIRE_TYPE_TXT);
        lookup_set_reply(&j->look[0], ENGINE_TIMEOUT, NULL, 0, 4);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_ERROR);
        assert_int_equal(d->status, LOOKUP_TIMEOUT);
        assert_string_equal(d->error_name, "_dmarc.com");
        assert_int_equal(tj_outcome(j, s), OUTCOME_TIMEOUT);

        /* the domain's own record, then a failure: the posture stands, the organization
         * is unknown */
        h = start_with(st, &TREE, "example.com");
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=reject", NULL);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_REFUSED), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_REJECT);
        assert_int_equal(d->status, WIRE_RCODE_NOERROR);
        assert_int_equal(d->org_off, -1);
        assert_int_equal(d->nwalk, 2);
        assert_int_equal(d->walk[1].status, WIRE_RCODE_REFUSED);
        assert_true(has_issue(d, "org_domain_unknown", false));
        assert_string_equal(d->location, "_dmarc.example.com");
}

static void t_tree_psd(void **st)
{
        /* psd=n on a parent stops the walk: its record applies */
        struct held *h = start_with(st, &TREE, "x.dept.example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        const struct dmarc_result *d = SD(s);
        answer_rcode(j, s, "_dmarc.x.dept.example.com", LDNS_RCODE_NOERROR);
        assert_int_equal(
            answer_txt(j, s, "_dmarc.dept.example.com", "v=DMARC1; p=quarantine; psd=n", NULL),
            JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_QUARANTINE);
        assert_string_equal(j->in.domain + d->org_off, "dept.example.com");
        assert_int_equal(d->nwalk, 2);

        /* two DMARC records at the domain are discarded; the PSD's record applies */
        h = start_with(st, &TREE, "example.com");
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=none", "v=DMARC1; p=reject", NULL);
        assert_int_equal(answer_txt(j, s, "_dmarc.com", "v=DMARC1; p=reject; psd=y", NULL),
                         JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_REJECT);
        assert_int_equal(d->v.tag, 's');
        assert_string_equal(d->location, "_dmarc.com");
        assert_string_equal(j->in.domain + d->org_off, "example.com");
        assert_string_equal(j->in.domain + d->policy_off, "com");
        assert_true(has_issue(d, "multiple_records", false));
        assert_int_equal(d->walk[0].kind, WALK_MULTIPLE);

        /* ... and with nothing above them they make the posture invalid */
        h = start_with(st, &TREE, "example.com");
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=none", "v=DMARC1; p=reject", NULL);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_INVALID);
        assert_int_equal(d->nrecords, 2);
        assert_string_equal(d->location, "_dmarc.example.com");
        assert_true(has_issue(d, "multiple_records", true));
        assert_int_equal(d->how, HOW_EXACT);

        /* an own record with an unusable p applies: invalid, not the parent's */
        h = start_with(st, &TREE, "a.example.com");
        answer_txt(j, s, "_dmarc.a.example.com", "v=DMARC1; p=bogus", NULL);
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=reject", NULL);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_INVALID);
        assert_string_equal(d->location, "_dmarc.a.example.com");
        assert_true(d->parsed && !d->rec.valid);
        assert_string_equal(j->in.domain + d->org_off, "example.com");

        /* a duplicate tag is not a valid record: discarded, the parent's applies */
        h = start_with(st, &TREE, "a.example.com");
        answer_txt(j, s, "_dmarc.a.example.com", "v=DMARC1; p=reject; p=none", NULL);
        answer_txt(j, s, "_dmarc.example.com", "v=DMARC1; p=quarantine", NULL);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_QUARANTINE);
        assert_true(has_issue(d, "record_discarded", false));
}

static void t_tree_cnames(void **st)
{
        /* a parent's _dmarc is an alias leaving its zone: the target is asked next, then
         * the walk goes on */
        struct held *h = start_with(st, &TREE, "a.example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        const struct dmarc_result *d = SD(s);
        answer_rcode(j, s, "_dmarc.a.example.com", LDNS_RCODE_NOERROR);
        assert_query(j, "_dmarc.example.com", WIRE_TYPE_TXT);
        ldns_pkt *lp = lp_reply_t("_dmarc.example.com", "TXT", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com. 300 IN CNAME p.vendor.example.");
        lp_feed(j, lp, 1);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_QUERY);
        assert_int_equal(answer_txt(j, s, "p.vendor.example", "v=DMARC1; p=reject", NULL),
                         JOB_STEP_QUERY);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_REJECT);
        assert_string_equal(d->location, "_dmarc.example.com");
        assert_string_equal(d->target, "p.vendor.example");
        assert_int_equal(d->cname_hops, 1);
        assert_int_equal(d->walk[1].hops, 1);
        assert_int_equal(d->walk[2].hops, 0); /* hops count per lookup */
        assert_int_equal(d->attempts, 4);

        /* the domain's own dangling alias: missing, its target reported, and it exists */
        h = start_with(st, &TREE, "a.example.com");
        assert_query(j, "_dmarc.a.example.com", WIRE_TYPE_TXT);
        lp = lp_reply_t("_dmarc.a.example.com", "TXT", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example.com. 300 IN CNAME gone.example.net.");
        lp_feed(j, lp, 1);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_QUERY);
        answer_rcode(j, s, "_dmarc.example.com", LDNS_RCODE_NXDOMAIN);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_MISSING);
        assert_int_equal(d->status, WIRE_RCODE_NXDOMAIN);
        assert_string_equal(d->target, "gone.example.net");
        assert_int_equal(d->exists, TRI_YES);
        assert_int_equal(d->how, HOW_NONE);
}

/* A long own record is held across the walk in a heap buffer, freed by job_clear. */
static void t_held_big(void **st)
{
        static char rec[2000];
        fill_record(rec, sizeof(rec));
        rec[sizeof(rec) - 1] = 0;
        struct held *h = start_with(st, &TREE, "example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        ldns_pkt *lp = lp_reply_t("_dmarc.example.com", "TXT", LDNS_RCODE_NOERROR);
        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com", LDNS_RR_CLASS_IN, rec,
                     strlen(rec), 200);
        lp_feed(j, lp, 1);
        assert_int_equal(job_step(&j->look[0], s), JOB_STEP_QUERY);
        assert_non_null(DST(j)->held_big);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_DONE);
        assert_int_equal(SD(s)->nrecords, 1);
        assert_record(s, 0, rec, strlen(rec));
        job_clear(j);
        assert_null(DST(j)->held_big);
}

static void t_auth(void **st)
{
        static const char rec[] =
            "v=DMARC1; p=reject; rua=mailto:a@example.com,mailto:b@vendor.example,"
            "mailto:c@wild.example,mailto:d@deny.example; ruf=mailto:e@fail.example,"
            "mailto:f@sub.example.com,mailto:g@vendor.example,mailto:h@spf.example,"
            "mailto:i@v2.example";
        struct held *h = start_with(st, &TREE, "example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        const struct dmarc_result *d = SD(s);
        answer_txt(j, s, "_dmarc.example.com", rec, NULL);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_QUERY);
        assert_int_equal(
            answer_txt(j, s, "example.com._report._dmarc.vendor.example", "v=DMARC1", NULL),
            JOB_STEP_QUERY);
        assert_int_equal(answer_txt(j, s, "example.com._report._dmarc.wild.example",
                                    "v=DMARC1; rua=mailto:x@wild.example", NULL),
                         JOB_STEP_QUERY);
        assert_int_equal(
            answer_rcode(j, s, "example.com._report._dmarc.deny.example", LDNS_RCODE_NXDOMAIN),
            JOB_STEP_QUERY);
        assert_int_equal(
            answer_rcode(j, s, "example.com._report._dmarc.fail.example", LDNS_RCODE_SERVFAIL),
            JOB_STEP_QUERY);
        assert_int_equal(
            answer_txt(j, s, "example.com._report._dmarc.spf.example", "v=spf1 -all", NULL),
            JOB_STEP_QUERY);
        /* "v=DMARC1 x" starts like a record but its v tag is not DMARC1 */
        assert_int_equal(
            answer_txt(j, s, "example.com._report._dmarc.v2.example", "v=DMARC1 x", NULL),
            JOB_STEP_DONE);
        assert_int_equal(d->v.posture, POSTURE_REJECT);
        assert_int_equal(d->nrecv, 8);
        static const struct {
                const char *host;
                int8_t external;
                enum auth_result auth;
                int status;
                uint8_t uses;
        } want[] = {
            {"example.com", TRI_NO, AUTH_NOT_NEEDED, LOOKUP_PENDING, 1},
            {"vendor.example", TRI_YES, AUTH_AUTHORIZED, WIRE_RCODE_NOERROR, 3},
            {"wild.example", TRI_YES, AUTH_AUTHORIZED, WIRE_RCODE_NOERROR, 1},
            {"deny.example", TRI_YES, AUTH_NOT_AUTHORIZED, WIRE_RCODE_NXDOMAIN, 1},
            {"fail.example", TRI_YES, AUTH_ERROR, WIRE_RCODE_SERVFAIL, 2},
            {"sub.example.com", TRI_NO, AUTH_NOT_NEEDED, LOOKUP_PENDING, 2},
            {"spf.example", TRI_YES, AUTH_NOT_AUTHORIZED, WIRE_RCODE_NOERROR, 2},
            {"v2.example", TRI_YES, AUTH_NOT_AUTHORIZED, WIRE_RCODE_NOERROR, 2},
        };
        for (unsigned i = 0; i < 8; i++) {
                const struct receiver *r = &d->recv[i];
                if (strcmp(r->host, want[i].host) || r->external != want[i].external ||
                    r->auth != want[i].auth || r->auth_status != want[i].status ||
                    r->uses != want[i].uses)
                        fail_msg("receiver %u: %s ext %d %s %s uses %u", i, r->host, r->external,
                                 auth_result_name((enum auth_result)r->auth),
                                 lookup_status_name(r->auth_status), r->uses);
        }
        /* inside the organization: its own org; without a PSL, outside it: the host */
        assert_string_equal(d->recv[5].org, "example.com");
        assert_string_equal(d->recv[1].org, "vendor.example");
        assert_int_equal(d->attempts, 8);
        assert_int_equal(tj_outcome(j, s), WIRE_RCODE_NOERROR);
}

/* Answer the job's TXT lookup of name with an NXDOMAIN reached through a CNAME to target. */
static enum job_step answer_alias_nxdomain(struct job *j, struct job_scratch *s, const char *name,
                                           const char *target)
{
        char rr[600];
        assert_query(j, name, WIRE_TYPE_TXT);
        ldns_pkt *lp = lp_reply_t(name, "TXT", LDNS_RCODE_NXDOMAIN);
        snprintf(rr, sizeof(rr), "%s. 300 IN CNAME %s.", name, target);
        lp_add(lp, LDNS_SECTION_ANSWER, rr);
        lp_feed(j, lp, 1);
        return job_step(&j->look[0], s);
}

/* Unless --no-report-cut, each external receiver's _report._dmarc.<host> is asked first,
 * through the shared cache: its own NXDOMAIN (RFC 8020) says not_authorized for the
 * domain's name below it, which is not asked; any other outcome (a name that exists, an
 * NXDOMAIN behind a CNAME, a failure) asks the domain's own name as before. */
static void t_auth_cut(void **st)
{
        static const char rec[] =
            "v=DMARC1; p=none; rua=mailto:a@vendor.example,mailto:b@deny.example,"
            "mailto:c@alias.example,mailto:d@fail.example,mailto:e@example.com";
        struct held *h = start_with(st, &TREE, "example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        const struct dmarc_result *d = SD(s);
        tj_report_cut(j);
        answer_txt(j, s, "_dmarc.example.com", rec, NULL);
        assert_int_equal(answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN), JOB_STEP_QUERY);
        /* vendor: _report._dmarc.vendor.example exists (NODATA): its own name is asked */
        assert_true(j->look[0].shared);
        assert_int_equal(answer_rcode(j, s, "_report._dmarc.vendor.example", LDNS_RCODE_NOERROR),
                         JOB_STEP_QUERY);
        assert_false(j->look[0].shared);
        assert_int_equal(
            answer_txt(j, s, "example.com._report._dmarc.vendor.example", "v=DMARC1", NULL),
            JOB_STEP_QUERY);
        /* deny: nothing below it exists; the next lookup is already the next receiver's */
        assert_true(j->look[0].shared);
        assert_int_equal(answer_rcode(j, s, "_report._dmarc.deny.example", LDNS_RCODE_NXDOMAIN),
                         JOB_STEP_QUERY);
        /* alias: the NXDOMAIN is the CNAME target's, so the name itself exists */
        assert_int_equal(
            answer_alias_nxdomain(j, s, "_report._dmarc.alias.example", "gone.elsewhere.example"),
            JOB_STEP_QUERY);
        assert_int_equal(
            answer_rcode(j, s, "example.com._report._dmarc.alias.example", LDNS_RCODE_NXDOMAIN),
            JOB_STEP_QUERY);
        /* fail: a SERVFAIL says nothing of the names below */
        assert_int_equal(answer_rcode(j, s, "_report._dmarc.fail.example", LDNS_RCODE_SERVFAIL),
                         JOB_STEP_QUERY);
        assert_int_equal(
            answer_rcode(j, s, "example.com._report._dmarc.fail.example", LDNS_RCODE_NXDOMAIN),
            JOB_STEP_DONE);
        static const struct {
                const char *host;
                enum auth_result auth;
                int status;
                bool cut;
        } want[] = {
            {"vendor.example", AUTH_AUTHORIZED, WIRE_RCODE_NOERROR, false},
            {"deny.example", AUTH_NOT_AUTHORIZED, WIRE_RCODE_NXDOMAIN, true},
            {"alias.example", AUTH_NOT_AUTHORIZED, WIRE_RCODE_NXDOMAIN, false},
            {"fail.example", AUTH_NOT_AUTHORIZED, WIRE_RCODE_NXDOMAIN, false},
            {"example.com", AUTH_NOT_NEEDED, LOOKUP_PENDING, false},
        };
        assert_int_equal(d->nrecv, 5);
        for (unsigned i = 0; i < 5; i++) {
                const struct receiver *r = &d->recv[i];
                if (strcmp(r->host, want[i].host) || r->auth != want[i].auth ||
                    r->auth_status != want[i].status || r->auth_cut != want[i].cut)
                        fail_msg("receiver %u: %s %s %s cut %d", i, r->host,
                                 auth_result_name((enum auth_result)r->auth),
                                 lookup_status_name(r->auth_status), r->auth_cut);
        }
        /* the walk's 2 lookups, 4 parents, 3 own names */
        assert_int_equal(d->attempts, 9);

        /* fail.example's parent failed at loop time 0: for a minute the thread asks its
         * receivers' own names directly; deny.example's parent is still asked */
        static const char rec2[] =
            "v=DMARC1; p=none; rua=mailto:a@fail.example,mailto:b@deny.example";
        for (unsigned round = 0; round < 2; round++) {
                s->now_ms = round ? DS_CUT_SKIP_MS : DS_CUT_SKIP_MS - 1;
                start_with(st, &TREE, "example.net");
                tj_report_cut(j);
                answer_txt(j, s, "_dmarc.example.net", rec2, NULL);
                assert_int_equal(answer_rcode(j, s, "_dmarc.net", LDNS_RCODE_NXDOMAIN),
                                 JOB_STEP_QUERY);
                if (round == 1) /* the note expired: the parent again */
                        assert_int_equal(
                            answer_rcode(j, s, "_report._dmarc.fail.example", LDNS_RCODE_NOERROR),
                            JOB_STEP_QUERY);
                assert_false(j->look[0].shared);
                assert_int_equal(answer_rcode(j, s, "example.net._report._dmarc.fail.example",
                                              LDNS_RCODE_NXDOMAIN),
                                 JOB_STEP_QUERY);
                assert_int_equal(
                    answer_rcode(j, s, "_report._dmarc.deny.example", LDNS_RCODE_NXDOMAIN),
                    JOB_STEP_DONE);
                assert_int_equal(d->recv[0].auth_cut, false);
                assert_int_equal(d->recv[1].auth_cut, true);
        }
        s->now_ms = 0;
        tj_disc(j, &TREE);
}

/* Feed the job the reply to its shared lookup of name, which the scan's shared cache keeps
 * until loop time until (0: it does not keep it), and take the step. */
static enum job_step answer_shared(struct job *j, struct job_scratch *s, const char *name,
                                   ldns_pkt_rcode rcode, uint64_t until)
{
        assert_query(j, name, WIRE_TYPE_TXT);
        assert_true(j->look[0].shared);
        lp_feed(j, lp_reply_t(name, "TXT", rcode), 1);
        j->look[0].shared_until = until;
        return job_step(&j->look[0], s);
}

/* A domain whose walk ends at _dmarc.com: its record, then that answer (from the thread's
 * copy when it holds it: then no lookup of _dmarc.com is left). */
static enum job_step start_own(void **st, const char *domain, struct job_scratch *s)
{
        static const char rec[] = "v=DMARC1; p=reject";
        char name[300];
        struct held *h = start_with(st, &TREE, domain);
        snprintf(name, sizeof(name), "_dmarc.%s", domain);
        return answer_txt(&h->j, s, name, rec, NULL);
}

/* The classifier's copy of shared answers (scanner/ansmemo.h): a shared answer the loop says
 * the cache keeps is held by the thread until that time, and the next domain's walk takes
 * it without a lookup, to the same result; past the time, or for an answer the cache did
 * not keep, the lookup goes out. */
static void t_memo(void **st)
{
        struct held *h = *st;
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        assert_int_equal(ansmemo_new(&s->memo), 0);
        s->now_ms = 1000;

        /* not kept by the cache: not held either */
        assert_int_equal(start_own(st, "a.com", s), JOB_STEP_QUERY);
        assert_int_equal(answer_shared(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN, 0), JOB_STEP_DONE);
        assert_int_equal(start_own(st, "b.com", s), JOB_STEP_QUERY);
        /* kept until 61000 */
        assert_int_equal(answer_shared(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN, 61000),
                         JOB_STEP_DONE);
        assert_int_equal(SD(s)->nwalk, 2);
        assert_int_equal(SD(s)->attempts, 2);
        assert_int_equal(ansmemo_hits(s->memo), 0);

        /* the next domain: no lookup of _dmarc.com, the same walk, one datagram */
        assert_int_equal(start_own(st, "c.com", s), JOB_STEP_DONE);
        assert_int_equal(SD(s)->nwalk, 2);
        assert_int_equal(SD(s)->walk[1].status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(SD(s)->v.posture, POSTURE_REJECT);
        assert_int_equal(SD(s)->attempts, 1);
        assert_int_equal(ansmemo_hits(s->memo), 1);
        /* another name is not that answer (types: test_ansmemo) */
        assert_int_equal(start_own(st, "d.net", s), JOB_STEP_QUERY);
        assert_query(j, "_dmarc.net", WIRE_TYPE_TXT);

        /* at the time the cache lets it go, so does the thread */
        s->now_ms = 60999;
        assert_int_equal(start_own(st, "e.com", s), JOB_STEP_DONE);
        s->now_ms = 61000;
        assert_int_equal(start_own(st, "f.com", s), JOB_STEP_QUERY);
        assert_int_equal(ansmemo_hits(s->memo), 2);
        job_clear(j);
        ansmemo_free(s->memo);
        s->memo = NULL;
}

/* A record of p, then "; rua=" and n rua hosts a0.example..., then, when nruf, "; ruf=" and
 * as many f0.example... (receivers a<i>, then f<i>). */
static void many_receivers(char *rec, size_t cap, const char *p, unsigned n, unsigned nruf)
{
        size_t used = (size_t)snprintf(rec, cap, "v=DMARC1; p=%s", p);
        for (unsigned i = 0; i < n + nruf; i++)
                used += (size_t)snprintf(rec + used, cap - used, "%smailto:r@%c%u.example",
                                         i == 0   ? "; rua="
                                         : i == n ? "; ruf="
                                                  : ",",
                                         i < n ? 'a' : 'f', i < n ? i : i - n);
}

/* Answer the walk (the domain's record, then "_dmarc.com" NXDOMAIN) and every authorization
 * lookup that follows, for receivers named as many_receivers() names them: odd ones
 * authorize when alternate, else none. Returns the authorization lookups asked. */
static unsigned answer_all(struct job *j, struct job_scratch *s, const char *rec, unsigned n,
                           bool alternate)
{
        answer_txt(j, s, "_dmarc.example.com", rec, NULL);
        enum job_step step = answer_rcode(j, s, "_dmarc.com", LDNS_RCODE_NXDOMAIN);
        unsigned asked = 0;
        char name[128];
        while (step == JOB_STEP_QUERY) {
                snprintf(name, sizeof(name), "example.com._report._dmarc.%c%u.example",
                         asked < n ? 'a' : 'f', asked < n ? asked : asked - n);
                step = alternate && asked % 2 ? answer_txt(j, s, name, "v=DMARC1", NULL)
                                              : answer_rcode(j, s, name, LDNS_RCODE_NXDOMAIN);
                asked++;
        }
        return asked;
}

/* 40 external receivers (20 rua, 20 ruf): every one is authorization-checked (8 were). */
static void t_auth_all(void **st)
{
        char rec[2048];
        many_receivers(rec, sizeof(rec), "none", 20, 20);
        struct held *h = start_with(st, &TREE, "example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        /* odd ones authorize: each answer lands on its own receiver */
        assert_int_equal(answer_all(j, s, rec, 20, true), 40);
        assert_int_equal(SD(s)->nrecv, 40);
        for (unsigned i = 0; i < 40; i++) {
                char host[32];
                snprintf(host, sizeof(host), "%c%u.example", i < 20 ? 'a' : 'f', i % 20);
                assert_string_equal(SD(s)->recv[i].host, host);
                assert_int_equal(SD(s)->recv[i].auth,
                                 i % 2 ? AUTH_AUTHORIZED : AUTH_NOT_AUTHORIZED);
        }
        assert_false(has_issue(SD(s), "budget_exceeded", true));
}

/* Past the domain's byte budget: what did not fit is missing, the line says budget_exceeded,
 * and the receivers that fit are still asked. */
static void t_budget_exceeded(void **st)
{
        char rec[2048];
        many_receivers(rec, sizeof(rec), "reject", 40, 0);
        struct held *h = start_with(st, &TREE, "example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        SD(s)->budget.limit = 3000; /* the record's tag values and most of its URIs */
        unsigned asked = answer_all(j, s, rec, 40, false);
        assert_true(SD(s)->rec.over_budget);
        assert_true(has_issue(SD(s), "budget_exceeded", true));
        assert_int_equal(SD(s)->rec.rua_count + SD(s)->rec.uris_dropped, 40);
        assert_true(SD(s)->rec.uris_dropped > 0 && SD(s)->nrecv < SD(s)->rec.rua_count);
        assert_int_equal(asked, SD(s)->nrecv);
        assert_int_equal(SD(s)->v.posture, POSTURE_REJECT); /* the verdict is the record's */
        SD(s)->budget.limit = 0;
}

static void t_auth_name_too_long(void **st)
{
        /* policy domain + "._report._dmarc." + host over 255 octets: not askable, so the
         * authorization cannot be shown */
        char dom[200], rec[400], host[80];
        memset(dom, 'a', 60);
        memcpy(dom + 60, ".", 1);
        memset(dom + 61, 'b', 60);
        memcpy(dom + 121, ".", 1);
        memset(dom + 122, 'c', 60);
        strcpy(dom + 182, ".example");
        memset(host, 'h', 60);
        strcpy(host + 60, ".example.net");
        snprintf(rec, sizeof(rec), "v=DMARC1; p=reject; rua=mailto:x@%s", host);
        struct held *h = start_with(st, &EXACT, dom);
        (void)h;
        struct discovery_ctx tree = {.mode = DISCOVERY_TREE};
        h = start_with(st, &tree, dom);
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        char name[300];
        snprintf(name, sizeof(name), "_dmarc.%s", dom);
        enum job_step step = answer_txt(j, s, name, rec, NULL);
        const char *parents[] = {dom + 61, dom + 122, dom + 183};
        for (unsigned i = 0; i < 3 && step == JOB_STEP_QUERY; i++) {
                snprintf(name, sizeof(name), "_dmarc.%s", parents[i]);
                step = answer_rcode(j, s, name, LDNS_RCODE_NXDOMAIN);
        }
        assert_int_equal(step, JOB_STEP_DONE);
        assert_int_equal(SD(s)->nrecv, 1);
        assert_int_equal(SD(s)->recv[0].auth, AUTH_NOT_AUTHORIZED);
        assert_int_equal(SD(s)->recv[0].auth_status, LOOKUP_NAME_TOO_LONG);
}

static void t_exact_mode(void **st)
{
        /* one lookup: no walk, no existence, no authorization */
        struct held *h = start_with(st, &EXACT, "a.example.com");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        assert_int_equal(DST(j)->nplan, 1);
        assert_int_equal(answer_txt(j, s, "_dmarc.a.example.com",
                                    "v=DMARC1; p=reject; rua=mailto:r@vendor.example", NULL),
                         JOB_STEP_DONE);
        assert_int_equal(SD(s)->v.posture, POSTURE_REJECT);
        assert_int_equal(SD(s)->recv[0].external, TRI_YES);
        assert_int_equal(SD(s)->recv[0].auth, AUTH_NOT_CHECKED);
        assert_false(has_issue(SD(s), "budget_exceeded", true));
        h = start_with(st, &EXACT, "a.example.com");
        assert_int_equal(answer_rcode(j, s, "_dmarc.a.example.com", LDNS_RCODE_NXDOMAIN),
                         JOB_STEP_DONE);
        assert_int_equal(SD(s)->v.posture, POSTURE_MISSING);
}

static void t_rfc7489_psl(void **st)
{
        char err[256];
        struct discovery_ctx *c = NULL;
        if (discovery_ctx_open(&c, DISCOVERY_RFC7489, NULL, err, sizeof(err)) < 0)
                fail_msg("PSL: %s", err);
        struct held *h = start_with(st, c, "a.b.example.co.uk");
        struct job *j = &h->j;
        struct job_scratch *s = &h->s;
        assert_int_equal(DST(j)->nplan, 2);
        answer_rcode(j, s, "_dmarc.a.b.example.co.uk", LDNS_RCODE_NXDOMAIN);
        assert_int_equal(answer_txt(j, s, "_dmarc.example.co.uk",
                                    "v=DMARC1; p=none; sp=reject; rua=mailto:d@rep.example.co.uk,"
                                    "mailto:v@x.vendor.co.uk",
                                    NULL),
                         JOB_STEP_QUERY);
        assert_int_equal(answer_exists(j, s, "a.b.example.co.uk", LDNS_RCODE_NOERROR),
                         JOB_STEP_QUERY);
        assert_int_equal(
            answer_txt(j, s, "example.co.uk._report._dmarc.x.vendor.co.uk", "v=DMARC1", NULL),
            JOB_STEP_DONE);
        const struct dmarc_result *d = SD(s);
        assert_int_equal(d->v.posture, POSTURE_REJECT);
        assert_int_equal(d->how, HOW_PSL_ORG);
        assert_string_equal(j->in.domain + d->org_off, "example.co.uk");
        assert_string_equal(d->recv[0].org, "example.co.uk");
        assert_int_equal(d->recv[0].external, TRI_NO);
        assert_string_equal(d->recv[1].org, "vendor.co.uk");
        assert_int_equal(d->recv[1].auth, AUTH_AUTHORIZED);
        job_clear(j);
        discovery_ctx_close(c);
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
            cmocka_unit_test(t_records_all),
            cmocka_unit_test(t_scratch_reuse),
            cmocka_unit_test(t_status_names),
            cmocka_unit_test_setup_teardown(t_tree_parent_sp, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_tree_exists_fails, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_tree_failures, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_tree_psd, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_tree_cnames, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_held_big, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_auth, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_auth_all, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_auth_cut, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_memo, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_budget_exceeded, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_auth_name_too_long, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_exact_mode, held_setup, held_teardown),
            cmocka_unit_test_setup_teardown(t_rfc7489_psl, held_setup, held_teardown),
            cmocka_unit_test(t_engine_parse_kept),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

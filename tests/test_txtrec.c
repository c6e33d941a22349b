/* test_txtrec.c -- unit tests of the checks of one versioned TXT record and of DKIM keys:
 * the tag-list splitter and URI kinds (scanner/txtrec/), the grammars of TLS-RPT (RFC 8460
 * 3), MTA-STS (RFC 8461 3.1), BIMI (the BIMI draft) and DKIM key records (RFC 6376 3.6.1)
 * on the RFCs' examples, malformed records, duplicates and hostile bytes; and each check
 * driven through scanner/job.c with replies built by ldns, down to its object in the line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdbool.h> /* before ldns, which otherwise defines bool as signed char */
#include <ldns/ldns.h>

#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/bimi/record.h"
#include "scanner/check.h"
#include "scanner/dkim/check.h"
#include "scanner/dkim/key.h"
#include "scanner/dkim/record.h"
#include "scanner/dkim/selectors.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/job.h"
#include "scanner/line.h"
#include "scanner/mtasts/record.h"
#include "scanner/tlsrpt/check.h"
#include "scanner/tlsrpt/record.h"
#include "scanner/txtrec/tags.h"
#include "scanner/txtrec/txtrec.h"
#include "scanner/txtrec/uri.h"
#include "job_packets.h"

/* ---- helpers ------------------------------------------------------------------------- */

static bool has(const struct txtrec *t, const char *code)
{
        for (unsigned i = 0; i < t->nissues; i++)
                if (strcmp(t->issues[i].code, code) == 0)
                        return true;
        return false;
}

/* The grammars' struct txtrec: one, reused from parse to parse as a thread's scratch is
 * (its tags' storage grows once), freed when the tests end. */
static struct txtrec shared;

static struct txtrec *fresh(const char *const *codes, const char *version)
{
        shared.codes = codes;
        shared.version = version;
        shared.nissues = 0;
        ds_budget_reset(&shared.budget);
        return &shared;
}

/* Feed the lookup of the check named name (asking qname) a reply: rcode with the TXT texts
 * (NULL-terminated). True when that finished the job (its line is written then). */
static bool feed(struct tj_fx *f, const char *name, const char *qname, ldns_pkt_rcode rcode,
                 const char *const *txts)
{
        int i = check_set_find(&f->set, name);
        assert_true(i >= 0);
        struct lookup *l = &f->j.look[i];
        uint8_t want[DS_NAME_MAX_WIRE];
        int n = wire_name_from_text(qname, want, sizeof(want));
        assert_int_equal(l->qname_len, n);
        assert_memory_equal(l->qname, want, (size_t)n);
        ldns_pkt *lp = lp_reply(qname, rcode);
        for (; txts && *txts; txts++)
                lp_txt(lp, qname, *txts);
        lp_feed_lookup(l, lp, 1);
        assert_int_equal(job_step(l, &f->s), JOB_STEP_DONE);
        if (!job_finished(l))
                return false;
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        return true;
}

static struct tj_fx *start(const char *checks, const char *domain)
{
        struct tj_fx *f = tj_fx_new(checks, check_registry, domain);
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        return f;
}

/* A job running one check for domain, its one lookup (qname) answered. */
static struct tj_fx *run(const char *checks, const char *name, const char *domain,
                         const char *qname, ldns_pkt_rcode rcode, const char *const *txts)
{
        struct tj_fx *f = start(checks, domain);
        assert_true(feed(f, name, qname, rcode, txts));
        return f;
}

/* ---- tags and URIs ------------------------------------------------------------------- */

static void t_tags(void **st)
{
        (void)st;
        struct tag_list tl = {0};
        struct ds_budget b = {0};
        const char *s = " v=STSv1 ;id = 20160831085700Z;; x=1 ; ";
        tags_split(s, strlen(s), &tl, &b);
        assert_int_equal(tl.n, 3);
        assert_false(tl.no_equals || tl.empty_name || tl.dup || tl.dropped);
        assert_int_equal(tl.tags[1].name_len, 2);
        assert_memory_equal(tl.tags[1].value, "20160831085700Z", 15);
        assert_non_null(tags_find(&tl, "x"));
        assert_null(tags_find(&tl, "X"));
        s = "a=1; b; =c; a=2";
        tags_split(s, strlen(s), &tl, &b);
        assert_true(tl.no_equals && tl.empty_name);
        assert_ptr_equal(tl.dup, s + 12); /* the repeat, where it is written */
        assert_int_equal(tl.dup_len, 1);
        /* Hostile bytes: NULs and high octets stay inside their spans. */
        static const char hostile[] = "v=1;\0\xff=\x01;k=\xc3\x28";
        tags_split(hostile, sizeof(hostile) - 1, &tl, &b);
        assert_int_equal(tl.n, 3);
        assert_false(tags_name_ok(tl.tags[1].name, tl.tags[1].name_len));
        assert_false(tags_value_ok(tl.tags[2].value, tl.tags[2].value_len));
        assert_true(tags_name_ok("a-b.c_d", 7));
        assert_false(tags_name_ok("-a", 2));
        tags_free(&tl);
}

/* A record of 200 tags: every one kept, in order, with no syntax error (were 24). */
static void t_tags_many(void **st)
{
        (void)st;
        struct tag_list tl = {0};
        struct ds_budget b = {0};
        char many[4000] = "", one[32];
        for (int k = 0; k < 200; k++) {
                snprintf(one, sizeof(one), "t%d=%d;", k, k * 7);
                strcat(many, one);
        }
        tags_split(many, strlen(many), &tl, &b);
        assert_int_equal(tl.n, 200);
        assert_false(tl.no_equals || tl.empty_name || tl.dup || tl.dropped);
        for (int k = 0; k < 200; k++) {
                char name[16], value[16];
                snprintf(name, sizeof(name), "t%d", k);
                snprintf(value, sizeof(value), "%d", k * 7);
                assert_int_equal(tl.tags[k].name_len, strlen(name));
                assert_memory_equal(tl.tags[k].name, name, strlen(name));
                assert_int_equal(tl.tags[k].value_len, strlen(value));
                assert_memory_equal(tl.tags[k].value, value, strlen(value));
                assert_ptr_equal(tags_find(&tl, name), &tl.tags[k]);
        }
        /* The last one repeats the 151st: that is the duplicate, found among 201 tags. */
        strcat(many, "t150=again");
        tags_split(many, strlen(many), &tl, &b);
        assert_int_equal(tl.n, 201);
        assert_ptr_equal(tl.dup, tl.tags[200].name);
        assert_int_equal(tl.dup_len, 4);
        /* A budget for 100 tags: those keep their places, the rest are counted. */
        b.limit = 100 * (sizeof(struct tag) + sizeof(uint32_t));
        ds_budget_reset(&b);
        tags_split(many, strlen(many), &tl, &b);
        assert_int_equal(tl.n, 100);
        assert_int_equal(tl.dropped, 101);
        assert_true(b.exceeded);
        assert_memory_equal(tl.tags[99].name, "t99", 3);
        assert_null(tl.dup); /* the repeat was not kept */
        /* The most tags a reply can hold, one 64,998-byte record of "a=;", with its text and
         * span: within the default budget, as docs/tls-rpt.md says (about 830 KiB). */
        static char most[64998];
        for (size_t i = 0; i < sizeof(most); i += 3)
                memcpy(most + i, "a=;", 3);
        b.limit = 0;
        ds_budget_reset(&b);
        assert_true(ds_budget_take(&b, sizeof(most) + sizeof(struct txtrec_span)));
        tags_split(most, sizeof(most), &tl, &b);
        assert_int_equal(tl.n, sizeof(most) / 3);
        assert_false(b.exceeded || tl.dropped);
        assert_true(b.used < 840u << 10);
        assert_ptr_equal(tl.dup, most + 3);
        tags_free(&tl);
}

/* The duplicate found by sorting is the one a pair-by-pair search finds: the first tag, in
 * order, whose name an earlier tag has. Random lists over a few names. */
static void t_tags_dup(void **st)
{
        (void)st;
        struct tag_list tl = {0};
        struct ds_budget b = {0};
        uint32_t seed = 12345;
        char text[1024];
        for (int round = 0; round < 2000; round++) {
                seed = seed * 1103515245u + 12345u;
                unsigned n = (seed >> 8) % 40, names = 1 + (seed >> 20) % 60;
                size_t len = 0;
                for (unsigned i = 0; i < n; i++) {
                        seed = seed * 1103515245u + 12345u;
                        len += (size_t)snprintf(text + len, sizeof(text) - len, "n%u=%u;",
                                                (seed >> 16) % names, i);
                }
                ds_budget_reset(&b);
                tags_split(text, len, &tl, &b);
                assert_int_equal(tl.n, n);
                const char *want = NULL;
                for (unsigned i = 1; i < tl.n && !want; i++)
                        for (unsigned k = 0; k < i && !want; k++)
                                if (tl.tags[k].name_len == tl.tags[i].name_len &&
                                    memcmp(tl.tags[k].name, tl.tags[i].name, tl.tags[i].name_len) ==
                                        0)
                                        want = tl.tags[i].name;
                assert_ptr_equal(tl.dup, want);
        }
        tags_free(&tl);
}

static void t_uri(void **st)
{
        (void)st;
        static const struct {
                const char *u;
                enum uri_kind k;
        } cases[] = {
            {"mailto:tlsrpt@example.com", URI_MAILTO},
            {"MAILTO:a@b.example?subject=x", URI_MAILTO},
            {"https://reporting.example.com/v1/tlsrpt", URI_HTTPS},
            {"https://r.example.net:8443", URI_HTTPS},
            {"http://r.example.net/", URI_OTHER},
            {"ftp:x", URI_OTHER},
            {"mailto:nobody", URI_INVALID},
            {"mailto:@example.com", URI_INVALID},
            {"mailto:a@b@example.com", URI_INVALID},
            {"mailto:a@localhost", URI_INVALID},
            {"https:///path", URI_INVALID},
            {"https://ex ample.com", URI_INVALID},
            {"reports@example.com", URI_INVALID},
            {"https://\xff.example", URI_INVALID},
            {"", URI_INVALID},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                if (uri_kind(cases[i].u, strlen(cases[i].u)) != cases[i].k)
                        fail_msg("%s: %d", cases[i].u, uri_kind(cases[i].u, strlen(cases[i].u)));
        assert_true(uri_path_ends("https://x.example/logo.SVG?v=2", 30, ".svg"));
        assert_false(uri_path_ends("https://x.example/logo.png", 26, ".svg"));
}

/* ---- TLS-RPT ------------------------------------------------------------------------- */

static struct txtrec *tlsrpt_of(const char *s, struct tlsrpt_record *rec)
{
        struct txtrec *t = fresh(tlsrpt_issue_codes, TLSRPT_VERSION);
        tlsrpt_parse(s, strlen(s), rec, t);
        return t;
}

static void t_tlsrpt_grammar(void **st)
{
        (void)st;
        struct tlsrpt_record rec = {0};
        /* RFC 8460 3.1's examples. */
        struct txtrec *t = tlsrpt_of("v=TLSRPTv1;rua=mailto:reports@example.com", &rec);
        assert_int_equal(t->nissues, 0);
        assert_int_equal(rec.nrua, 1);
        assert_memory_equal(rec.rua[0].p, "mailto:reports@example.com", rec.rua[0].n);
        t = tlsrpt_of("v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", &rec);
        assert_int_equal(t->nissues, 0);
        t = tlsrpt_of("v=TLSRPTv1; rua=mailto:a@example.com , https://r.example.net/x;", &rec);
        assert_int_equal(t->nissues, 0);
        assert_int_equal(rec.nrua, 2);
        assert_int_equal(rec.rua[1].n, strlen("https://r.example.net/x"));
        t = tlsrpt_of("v=TLSRPTv1; ext_1=ok", &rec);
        assert_true(has(t, "rua_missing"));
        t = tlsrpt_of("v=TLSRPTv1; rua=http://r.example.net/", &rec);
        assert_true(has(t, "rua_scheme"));
        t = tlsrpt_of("v=TLSRPTv1; rua=reports@example.com,", &rec);
        assert_true(has(t, "rua_invalid") && has(t, "rua_empty"));
        t = tlsrpt_of("v=TLSRPTv1; rua=mailto:a@example.com; rua=mailto:b@example.com", &rec);
        assert_true(has(t, "duplicate_tag"));
        assert_int_equal(rec.nrua, 1);
        t = tlsrpt_of("v=TLSRPTv1; v=TLSRPTv1; rua=mailto:a@example.com", &rec);
        assert_true(has(t, "duplicate_tag"));
        t = tlsrpt_of("v=TLSRPTv1; rua=mailto:a@example.com; x=a b; junk", &rec);
        assert_true(has(t, "extension_invalid") && has(t, "syntax"));
        static const char hostile[] = "v=TLSRPTv1; rua=mailto:a\0@example.com";
        t = fresh(tlsrpt_issue_codes, TLSRPT_VERSION);
        tlsrpt_parse(hostile, sizeof(hostile) - 1, &rec, t);
        assert_true(has(t, "rua_invalid"));
        tlsrpt_record_free(&rec);
}

/* A record of 100 rua URIs: every one kept, in order (were 16); past the budget the rest
 * are counted and the record says budget_exceeded. */
static void t_tlsrpt_many(void **st)
{
        (void)st;
        struct tlsrpt_record rec = {0};
        char text[6000] = "v=TLSRPTv1; rua=", uri[64];
        for (int k = 0; k < 100; k++) {
                snprintf(uri, sizeof(uri), "%smailto:r%d@h%d.example", k ? "," : "", k, k);
                strcat(text, uri);
        }
        struct txtrec *t = fresh(tlsrpt_issue_codes, TLSRPT_VERSION);
        tlsrpt_parse(text, strlen(text), &rec, t);
        assert_int_equal(t->nissues, 0);
        assert_int_equal(rec.nrua, 100);
        assert_int_equal(rec.nrua_dropped, 0);
        for (int k = 0; k < 100; k++) {
                snprintf(uri, sizeof(uri), "mailto:r%d@h%d.example", k, k);
                assert_int_equal(rec.rua[k].n, strlen(uri));
                assert_memory_equal(rec.rua[k].p, uri, strlen(uri));
        }
        /* The budget holds the two tags and 30 URIs. */
        t = fresh(tlsrpt_issue_codes, TLSRPT_VERSION);
        t->budget.limit =
            2 * (sizeof(struct tag) + sizeof(uint32_t)) + 30 * sizeof(struct tlsrpt_uri);
        tlsrpt_parse(text, strlen(text), &rec, t);
        assert_int_equal(rec.nrua, 30);
        assert_int_equal(rec.nrua_dropped, 70);
        assert_memory_equal(rec.rua[29].p, "mailto:r29@h29.example", rec.rua[29].n);
        assert_true(has(t, "budget_exceeded"));
        assert_int_equal(t->nissues, 1);
        /* A budget too small for the tags: those it refuses are counted, not a syntax error. */
        t = fresh(tlsrpt_issue_codes, TLSRPT_VERSION);
        t->budget.limit = sizeof(struct tag) + sizeof(uint32_t);
        tlsrpt_parse(text, strlen(text), &rec, t);
        assert_true(has(t, "budget_exceeded") && has(t, "rua_missing"));
        assert_false(has(t, "syntax"));
        t->budget.limit = 0;
        tlsrpt_record_free(&rec);
}

static void t_tlsrpt_check(void **st)
{
        (void)st;
        static const char *const one[] = {"v=spf1 -all", "v=TLSRPTv1; rua=mailto:t@example.com",
                                          NULL};
        struct tj_fx *f = run("tls-rpt", "tls_rpt", "example.com", "_smtp._tls.example.com",
                              LDNS_RCODE_NOERROR, one);
        tj_at(f, "\"tls_rpt\":{\"status\":\"NOERROR\",\"records\":[\"v=TLSRPTv1; "
                 "rua=mailto:t@example.com\"],\"valid\":true,\"rua\":[\"mailto:t@example.com\"],"
                 "\"errors\":[],\"warnings\":[],\"attempts\":1}");
        tj_at(f, "\"dmarc\":null,\"spf\":null,\"mx\":null,\"mta_sts\":null,\"tls_rpt\":{");
        tj_fx_free(f);
        static const char *const two[] = {"v=TLSRPTv1; rua=mailto:t@example.com",
                                          "v=TLSRPTv1; rua=mailto:u@example.com", NULL};
        f = run("tls_rpt", "tls_rpt", "example.com", "_smtp._tls.example.com", LDNS_RCODE_NOERROR,
                two);
        tj_at(f, "\"valid\":false,\"rua\":[],\"errors\":[\"multiple_records\"]");
        tj_fx_free(f);
        static const char *const miscased[] = {"V=tlsrptV1; rua=mailto:t@example.com", NULL};
        f = run("tls-rpt", "tls_rpt", "example.com", "_smtp._tls.example.com", LDNS_RCODE_NOERROR,
                miscased);
        tj_at(f,
              "\"valid\":false,\"rua\":[\"mailto:t@example.com\"],\"errors\":[\"version_case\"]");
        tj_fx_free(f);
        static const char *const other[] = {"v=TLSRPTv10; rua=mailto:t@example.com", NULL};
        f = run("tls-rpt", "tls_rpt", "example.com", "_smtp._tls.example.com", LDNS_RCODE_NOERROR,
                other);
        tj_at(f, "\"tls_rpt\":{\"status\":\"NOERROR\",\"records\":[],\"valid\":null,\"rua\":[]");
        tj_fx_free(f);
        f = run("tls-rpt", "tls_rpt", "example.com", "_smtp._tls.example.com", LDNS_RCODE_NXDOMAIN,
                NULL);
        tj_at(f, "\"tls_rpt\":{\"status\":\"NXDOMAIN\",\"records\":[],\"valid\":null,\"rua\":[]");
        tj_fx_free(f);
}

/* 40 TLS-RPT records at one name: every one in the line, in answer order (were 8), and the
 * name has several (multiple_records); past the budget the rest are counted in
 * records_dropped and the object says budget_exceeded. */
static void t_records_many(void **st)
{
        (void)st;
        static char texts[40][64], want[4096];
        const char *txts[41];
        size_t len = (size_t)snprintf(want, sizeof(want), "\"records\":[");
        for (int k = 0; k < 40; k++) {
                snprintf(texts[k], sizeof(texts[k]), "v=TLSRPTv1; rua=mailto:r%d@example.com", k);
                txts[k] = texts[k];
                len += (size_t)snprintf(want + len, sizeof(want) - len, "%s\"%s\"", k ? "," : "",
                                        texts[k]);
        }
        txts[40] = NULL;
        snprintf(want + len, sizeof(want) - len,
                 "],\"valid\":false,\"rua\":[],"
                 "\"errors\":[\"multiple_records\"]");
        struct tj_fx *f = run("tls-rpt", "tls_rpt", "example.com", "_smtp._tls.example.com",
                              LDNS_RCODE_NOERROR, txts);
        tj_at(f, want);
        assert_null(memmem(f->b.p, f->b.len, "records_dropped", 15)); /* not NUL-terminated */
        tj_fx_free(f);
        /* A budget for 10 records' spans and texts. */
        f = start("tls-rpt", "example.com");
        struct tlsrpt_scratch *s = f->s.check[check_set_find(&f->set, "tls_rpt")];
        s->t.budget.limit = 10 * (sizeof(struct txtrec_span) + strlen(texts[0])) + 5;
        assert_true(feed(f, "tls_rpt", "_smtp._tls.example.com", LDNS_RCODE_NOERROR, txts));
        assert_int_equal(s->t.nrecords, 10);
        assert_int_equal(s->t.ndropped, 30);
        tj_at(f,
              "\"v=TLSRPTv1; rua=mailto:r9@example.com\"],\"records_dropped\":30,"
              "\"valid\":false,\"rua\":[],\"errors\":[\"budget_exceeded\",\"multiple_records\"]");
        s->t.budget.limit = 0;
        tj_fx_free(f);
        /* One record, refused: not a record to judge as absent, an error. */
        f = start("tls-rpt", "example.com");
        s = f->s.check[check_set_find(&f->set, "tls_rpt")];
        s->t.budget.limit = 8;
        assert_true(feed(f, "tls_rpt", "_smtp._tls.example.com", LDNS_RCODE_NOERROR, txts + 39));
        tj_at(f, "\"records\":[],\"records_dropped\":1,\"valid\":false,\"rua\":[],"
                 "\"errors\":[\"budget_exceeded\"]");
        s->t.budget.limit = 0;
        tj_fx_free(f);
}

/* ---- MTA-STS ------------------------------------------------------------------------- */

static struct txtrec *mtasts_of(const char *s, struct mtasts_record *rec)
{
        struct txtrec *t = fresh(mtasts_issue_codes, MTASTS_VERSION);
        mtasts_parse(s, strlen(s), rec, t);
        return t;
}

static void t_mtasts_grammar(void **st)
{
        (void)st;
        struct mtasts_record rec;
        /* RFC 8461 3.1's example. */
        struct txtrec *t = mtasts_of("v=STSv1; id=20160831085700Z;", &rec);
        assert_int_equal(t->nissues, 0);
        assert_int_equal(rec.id_len, 15);
        assert_memory_equal(rec.id, "20160831085700Z", 15);
        t = mtasts_of("v=STSv1;id=abcdefghijklmnopqrstuvwxyz012345", &rec); /* 32 */
        assert_int_equal(t->nissues, 0);
        t = mtasts_of("v=STSv1;id=abcdefghijklmnopqrstuvwxyz0123456", &rec); /* 33 */
        assert_true(has(t, "id_invalid"));
        assert_null(rec.id);
        t = mtasts_of("v=STSv1; id=2024-01", &rec);
        assert_true(has(t, "id_invalid"));
        t = mtasts_of("v=STSv1; id=", &rec);
        assert_true(has(t, "id_invalid"));
        t = mtasts_of("v=STSv1", &rec);
        assert_true(has(t, "id_missing"));
        t = mtasts_of("v=STSv1; id=1; id=2", &rec);
        assert_true(has(t, "duplicate_tag"));
        assert_memory_equal(rec.id, "1", 1);
        t = mtasts_of("v=STSv1; id=1; ext=a=b", &rec);
        assert_true(has(t, "extension_invalid"));
        t = mtasts_of("v=STSv1; id=1; x.y-z=ok", &rec);
        assert_int_equal(t->nissues, 0);
        static const char hostile[] = "v=STSv1; id=ab\xff";
        t = mtasts_of(hostile, &rec);
        assert_true(has(t, "id_invalid"));
        static const char nul[] = "v=STSv1; id=a\0b";
        t = fresh(mtasts_issue_codes, MTASTS_VERSION);
        mtasts_parse(nul, sizeof(nul) - 1, &rec, t);
        assert_true(has(t, "id_invalid"));
}

static void t_mtasts_check(void **st)
{
        (void)st;
        static const char *const one[] = {"v=STSv1; id=20160831085700Z;", "unrelated", NULL};
        struct tj_fx *f = run("mta-sts", "mta_sts", "example.com", "_mta-sts.example.com",
                              LDNS_RCODE_NOERROR, one);
        tj_at(f, "\"mta_sts\":{\"status\":\"NOERROR\",\"records\":[\"v=STSv1; "
                 "id=20160831085700Z;\"],\"valid\":true,\"id\":\"20160831085700Z\","
                 "\"policy\":null,\"errors\":[],\"warnings\":[],\"attempts\":1}");
        tj_fx_free(f);
        static const char *const two[] = {"v=STSv1; id=1", "v=STSv1; id=2", NULL};
        f = run("mta-sts", "mta_sts", "example.com", "_mta-sts.example.com", LDNS_RCODE_NOERROR,
                two);
        tj_at(f, "\"valid\":false,\"id\":null,\"policy\":null,\"errors\":[\"multiple_records\"]");
        tj_fx_free(f);
        f = run("mta-sts", "mta_sts", "example.com", "_mta-sts.example.com", LDNS_RCODE_SERVFAIL,
                NULL);
        tj_at(f, "\"mta_sts\":{\"status\":\"SERVFAIL\",\"records\":[],\"valid\":null,\"id\":null");
        tj_fx_free(f);
}

/* ---- BIMI ---------------------------------------------------------------------------- */

static struct txtrec *bimi_of(const char *s, struct bimi_record *rec)
{
        struct txtrec *t = fresh(bimi_issue_codes, BIMI_VERSION);
        bimi_parse(s, strlen(s), rec, t);
        return t;
}

static void t_bimi_grammar(void **st)
{
        (void)st;
        struct bimi_record rec;
        /* The draft's example. */
        struct txtrec *t = bimi_of("v=BIMI1; l=https://image.example/bimi/logo.svg; "
                                   "a=https://image.example/bimi/evidence.pem",
                                   &rec);
        assert_int_equal(t->nissues, 0);
        assert_true(rec.l.present && rec.a.present);
        assert_memory_equal(rec.l.p, "https://image.example/bimi/logo.svg", rec.l.n);
        t = bimi_of("v=BIMI1; l=https://x.example/logo.svg", &rec);
        assert_int_equal(t->nissues, 0);
        assert_false(rec.a.present);
        /* A declination. */
        t = bimi_of("v=BIMI1; l=; a=;", &rec);
        assert_true(has(t, "declined"));
        assert_int_equal(t->nissues, 1);
        assert_true(rec.l.present && rec.l.n == 0);
        t = bimi_of("v=BIMI1; a=https://x.example/vmc.pem", &rec);
        assert_true(has(t, "l_missing"));
        t = bimi_of("v=BIMI1; l=http://x.example/logo.svg; a=self", &rec);
        assert_true(has(t, "l_not_https") && has(t, "a_self"));
        t = bimi_of("v=BIMI1; l=https://x.example/logo.png; a=https://x.example/vmc", &rec);
        assert_true(has(t, "l_not_svg") && has(t, "a_not_pem"));
        t = bimi_of("v=BIMI1; l=https://a.example/1.svg,https://a.example/2.svg", &rec);
        assert_true(has(t, "l_multiple"));
        t = bimi_of("v=BIMI1; l=https://x.example/l.svg; a=ftp://x.example/vmc.pem; s=1", &rec);
        assert_true(has(t, "a_not_https") && has(t, "unknown_tag"));
        t = bimi_of("v=BIMI1; l=https://x.example/l.svg; avp=brand", &rec);
        assert_int_equal(t->nissues, 0);
        t = bimi_of("v=BIMI1; l=https://x.example/l.svg; l=https://y.example/l.svg", &rec);
        assert_true(has(t, "duplicate_tag"));
        static const char hostile[] = "v=BIMI1; l=https://x.example/\0l.svg; a=\x80";
        t = fresh(bimi_issue_codes, BIMI_VERSION);
        bimi_parse(hostile, sizeof(hostile) - 1, &rec, t);
        assert_true(has(t, "l_not_https") && has(t, "a_not_https"));
}

static void t_bimi_dmarc_ok(void **st)
{
        (void)st;
        assert_int_equal(bimi_dmarc_ok(POSTURE_REJECT, true, false, -1), 1);
        assert_int_equal(bimi_dmarc_ok(POSTURE_QUARANTINE, true, false, POSTURE_REJECT), 1);
        assert_int_equal(bimi_dmarc_ok(POSTURE_REJECT, true, false, POSTURE_NONE), 0);
        assert_int_equal(bimi_dmarc_ok(POSTURE_REJECT, true, true, -1), 0);       /* pct 50 */
        assert_int_equal(bimi_dmarc_ok(POSTURE_QUARANTINE, false, false, -1), 0); /* pct=0 */
        assert_int_equal(bimi_dmarc_ok(POSTURE_NONE, false, false, -1), 0);
        assert_int_equal(bimi_dmarc_ok(POSTURE_MISSING, false, false, -1), 0);
        assert_int_equal(bimi_dmarc_ok(POSTURE_ERROR, false, false, -1), -1);
        assert_int_equal(bimi_dmarc_ok(-1, false, false, -1), -1);
}

/* dmarc and bimi side by side: dmarc_ok from the dmarc check's facts, in either order. */
static void t_bimi_check(void **st)
{
        (void)st;
        static const char *const logo[] = {"v=BIMI1; l=https://example.com/logo.svg;", NULL};
        static const char *const reject[] = {"v=DMARC1; p=reject", NULL};
        static const char *const partial[] = {"v=DMARC1; p=reject; pct=50", NULL};
        struct tj_fx *f = start("dmarc,bimi", "example.com");
        assert_false(feed(f, "bimi", "default._bimi.example.com", LDNS_RCODE_NOERROR, logo));
        assert_true(feed(f, "dmarc", "_dmarc.example.com", LDNS_RCODE_NOERROR, reject));
        tj_at(f, "\"bimi\":{\"status\":\"NOERROR\",\"records\":[\"v=BIMI1; "
                 "l=https://example.com/logo.svg;\"],\"valid\":true,\"l\":\"https://"
                 "example.com/logo.svg\",\"a\":null,\"dmarc_ok\":true,\"errors\":[]");
        tj_fx_free(f);
        f = start("bimi,dmarc", "example.com");
        assert_false(feed(f, "dmarc", "_dmarc.example.com", LDNS_RCODE_NOERROR, partial));
        assert_true(feed(f, "bimi", "default._bimi.example.com", LDNS_RCODE_NXDOMAIN, NULL));
        tj_at(f, "\"bimi\":{\"status\":\"NXDOMAIN\",\"records\":[],\"valid\":null,"
                 "\"l\":null,\"a\":null,\"dmarc_ok\":false,");
        tj_fx_free(f);
        f = start("dmarc,bimi", "example.com");
        assert_false(feed(f, "dmarc", "_dmarc.example.com", LDNS_RCODE_SERVFAIL, NULL));
        assert_true(feed(f, "bimi", "default._bimi.example.com", LDNS_RCODE_NOERROR, logo));
        tj_at(f, "\"dmarc_ok\":null");
        tj_fx_free(f);
        f = run("bimi", "bimi", "example.com", "default._bimi.example.com", LDNS_RCODE_NOERROR,
                logo);
        tj_at(f, "\"dmarc_ok\":null");
        tj_fx_free(f);
}

/* ---- DKIM ---------------------------------------------------------------------------- */

/* RFC 6376 A.3's key (1024 bits), and keys made with openssl: RSA 2048 and 512 bits
 * (SubjectPublicKeyInfo), RSA 2048 as a bare RSAPublicKey; RFC 8463 A.2's Ed25519 key. */
#define KEY_RFC6376                                                                                \
        "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/"            \
        "zYtIxN2SnFCjx"                                                                            \
        "OCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/"                        \
        "NMqJ0fzfVjH4OuKhitdY9tf6m"                                                                \
        "cwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
#define KEY_2048                                                                                   \
        "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3KRVEooCWtE6rhDf49roOyChF9zKmiFPj5+"          \
        "ziFx97MJBmY"                                                                              \
        "tTD8D41pnqIxYW/"                                                                          \
        "je8Bzgj8GwxNTBALCEeh7Hc75Tw9U9FxQCivCDGe7Uj50f9RgiBqiJ+kPv5+7K8tThRUF4d5g14"              \
        "QQi7aSymtazlEfLiN/dpXeO8VZzVzMVlBZPsqXstEnXgCTqJGehem+D0/"                                \
        "L5NLG2Ulc9N4UCGZfWkB4Dd2exw4H0xzy"                                                        \
        "E5WBaXPaX+WEK9ccMm3NZMsnvPxSevtAz1KRvaHnfcwTOQHc+yBe4qJsJzyKbfWWT840dU6iOjkQI3sAHS+"      \
        "vbfpLVn"                                                                                  \
        "rajn7W9YE1RmIbvWtah2kv77lwIDAQAB"
#define KEY_512                                                                                    \
        "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAPDXYfMX4CSk7ExMGeTYfPhUjkQXXbA1YFDTZuZjTBR60GOPZjExlUbt" \
        "rV"                                                                                       \
        "wkW1boLJh4Bu4yL2KKQB/OQbSJTvMCAwEAAQ=="
#define KEY_PKCS1_2048                                                                             \
        "MIIBCgKCAQEAuwMKFGuye5MS8GBCuqNvBpkvBYqGChiAKyN+msPdDvnTzJZ25Gm51bwEmi/"                  \
        "WZCYl4CcXjUSbs0mnvQ"                                                                      \
        "zDEGCUqVyQllKxQTcUa6QBNHy7fCUz4wfojb/t2HZYMvNb/"                                          \
        "Tpqngq6cC6JEtkGRivBb1KkkPC5xBFl0I5ijl2A4lcw"                                              \
        "Oa3d1xAm99cQ/ODWZJPvLQdgZFfmTmXJm0fShtQWOUt6mP0mJMSlcKuuPTJ//"                            \
        "GtrgCipgvwk+PCOxzAVSWlcLzrRze"                                                            \
        "S/"                                                                                       \
        "3DFLdKD12EhklpbBCNfr0Ig+msrknyp54iC3PYmIzgDyDlWp4Zm5q9HPzcbZY1zWk9aD0B7MIlcwBmJnJQIDAQAB"
#define KEY_ED25519 "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="

static struct dkim_key dkim_of(const char *s)
{
        static uint8_t buf[DKIM_KEY_BYTES_MAX];
        struct dkim_key k = {0};
        dkim_parse(s, strlen(s), &k, fresh(NULL, ""), buf, sizeof(buf));
        return k;
}

static bool dkim_has(const struct dkim_key *k, const char *code, bool error)
{
        for (unsigned i = 0; dkim_key_codes[i]; i++)
                if (strcmp(dkim_key_codes[i], code) == 0)
                        return ((error ? k->errors : k->warnings) >> i) & 1u;
        fail_msg("%s is not a DKIM code", code);
        return false;
}

static void t_dkim_key(void **st)
{
        (void)st;
        uint8_t out[16];
        assert_int_equal(dkim_base64("TWFu", 4, out, sizeof(out)), 3);
        assert_memory_equal(out, "Man", 3);
        assert_int_equal(dkim_base64(" TW\r\n Fu\tYQ== ", 14, out, sizeof(out)), 4);
        assert_int_equal(dkim_base64("TWFuYQ", 6, out, sizeof(out)), 4); /* unpadded */
        assert_int_equal(dkim_base64("TWF", 3, out, sizeof(out)), 2);
        assert_int_equal(dkim_base64("T", 1, out, sizeof(out)), -1);
        assert_int_equal(dkim_base64("TW=u", 4, out, sizeof(out)), -1);
        assert_int_equal(dkim_base64("TWFu!", 5, out, sizeof(out)), -1);
        assert_int_equal(dkim_base64("TWFuTWFu", 8, out, 5), -1); /* does not fit */
        /* DER: truncated, lying lengths, another algorithm. */
        static const uint8_t trunc[] = {0x30, 0x82, 0x01};
        assert_int_equal(dkim_rsa_bits(trunc, sizeof(trunc)), -1);
        static const uint8_t lying[] = {0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01};
        assert_int_equal(dkim_rsa_bits(lying, sizeof(lying)), -1);
        static const uint8_t small[] = {0x30, 0x06, 0x02, 0x01, 0x05, 0x02, 0x01, 0x03};
        assert_int_equal(dkim_rsa_bits(small, sizeof(small)), 3); /* n = 5: 3 bits */
        static const uint8_t zero[] = {0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x03};
        assert_int_equal(dkim_rsa_bits(zero, sizeof(zero)), -1);
        assert_int_equal(dkim_rsa_bits(NULL, 0), -1);
}

static void t_dkim_grammar(void **st)
{
        (void)st;
        struct dkim_key k = dkim_of("v=DKIM1; k=rsa; p=" KEY_RFC6376);
        assert_int_equal(k.k, DKIM_K_RSA);
        assert_int_equal(k.bits, 1024);
        assert_int_equal(k.errors, 0);
        assert_true(dkim_has(&k, "key_short", false));
        k = dkim_of("p=" KEY_2048);
        assert_int_equal(k.bits, 2048);
        assert_int_equal(k.errors | k.warnings, 0);
        k = dkim_of("v=DKIM1; p=" KEY_PKCS1_2048);
        assert_int_equal(k.bits, 2048);
        k = dkim_of("k=rsa; p=" KEY_512);
        assert_int_equal(k.bits, 512);
        assert_true(dkim_has(&k, "key_too_short", true));
        k = dkim_of("v=DKIM1; k=ed25519; p=" KEY_ED25519);
        assert_int_equal(k.k, DKIM_K_ED25519);
        assert_int_equal(k.bits, 256);
        assert_int_equal(k.errors | k.warnings, 0);
        k = dkim_of("v=DKIM1; k=ed25519; p=" KEY_512);
        assert_true(dkim_has(&k, "key_invalid", true));
        assert_int_equal(k.bits, 0);
        k = dkim_of("v=DKIM1; k=rsa; p=");
        assert_true(k.revoked && dkim_has(&k, "revoked", false));
        assert_int_equal(k.errors, 0);
        k = dkim_of("v=DKIM1; k=rsa");
        assert_true(dkim_has(&k, "p_missing", true));
        k = dkim_of("v=DKIM1; k=dsa; p=" KEY_2048);
        assert_true(dkim_has(&k, "k_unknown", true));
        assert_int_equal(k.bits, 0);
        k = dkim_of("k=rsa; v=DKIM1; p=" KEY_2048);
        assert_true(dkim_has(&k, "v_invalid", true));
        k = dkim_of("v=DKIM2; p=" KEY_2048);
        assert_true(dkim_has(&k, "v_invalid", true));
        k = dkim_of("p=" KEY_2048 "; p=" KEY_512);
        assert_true(dkim_has(&k, "duplicate_tag", true));
        k = dkim_of("h=sha1; t=y:s; p=" KEY_2048);
        assert_true(dkim_has(&k, "h_sha1_only", false) && dkim_has(&k, "testing", false));
        k = dkim_of("h=sha1:sha256; t=s; p=" KEY_2048);
        assert_int_equal(k.warnings, 0);
        k = dkim_of("p=MIIB!!!");
        assert_true(dkim_has(&k, "p_invalid", true));
        k = dkim_of("p=TWFu"); /* base64, not DER */
        assert_true(dkim_has(&k, "key_invalid", true));
        static uint8_t buf[DKIM_KEY_BYTES_MAX];
        static const char hostile[] = "p=\0\xff; k=\x80";
        k = (struct dkim_key){0};
        dkim_parse(hostile, sizeof(hostile) - 1, &k, fresh(NULL, ""), buf, sizeof(buf));
        assert_true(dkim_has(&k, "k_unknown", true));
        char err[160];
        assert_int_equal(dkim_selectors_check("s1,google,k1.x_y-z", err, sizeof(err)), 0);
        assert_int_equal(dkim_selectors_count("s1,google,k1.x_y-z"), 3);
        char sel[DKIM_SELECTOR_MAX + 1];
        dkim_selector_at("s1,google,k1.x_y-z", 2, sel);
        assert_string_equal(sel, "k1.x_y-z");
        assert_int_equal(dkim_selectors_check("s1,,s2", err, sizeof(err)), -EINVAL);
        assert_int_equal(dkim_selectors_check("a..b", err, sizeof(err)), -EINVAL);
        assert_int_equal(dkim_selectors_check("s 1", err, sizeof(err)), -EINVAL);
        assert_int_equal(dkim_selectors_check("a,b,c,d,e,f,g,h,i", err, sizeof(err)), -EINVAL);
}

/* "<head>; x0=0; ...; x<n-1>=..; <tail>" into out: a record of n + 2 tags. */
static void many_tags(char *out, size_t cap, const char *head, int n, const char *tail)
{
        size_t len = (size_t)snprintf(out, cap, "%s;", head);
        for (int k = 0; k < n; k++)
                len += (size_t)snprintf(out + len, cap - len, " x%d=%d;", k, k);
        snprintf(out + len, cap - len, " %s", tail);
}

/* Each grammar reads a tag however many come before it (24 were kept), and says
 * budget_exceeded, not syntax, when its budget refuses tags. */
static void t_grammars_many_tags(void **st)
{
        (void)st;
        static char text[8192];
        many_tags(text, sizeof(text), "v=BIMI1", 198, "l=https://x.example/l.svg");
        struct bimi_record br;
        struct txtrec *t = fresh(bimi_issue_codes, BIMI_VERSION);
        bimi_parse(text, strlen(text), &br, t);
        assert_int_equal(t->tags.n, 200);
        assert_true(br.l.present);
        assert_memory_equal(br.l.p, "https://x.example/l.svg", br.l.n);
        assert_true(has(t, "unknown_tag"));
        assert_int_equal(t->nissues, 1);
        many_tags(text, sizeof(text), "v=STSv1", 198, "id=abc123");
        struct mtasts_record mr;
        t = fresh(mtasts_issue_codes, MTASTS_VERSION);
        mtasts_parse(text, strlen(text), &mr, t);
        assert_int_equal(t->nissues, 0);
        assert_memory_equal(mr.id, "abc123", mr.id_len);
        t = fresh(mtasts_issue_codes, MTASTS_VERSION);
        t->budget.limit = 50 * (sizeof(struct tag) + sizeof(uint32_t));
        mtasts_parse(text, strlen(text), &mr, t);
        assert_int_equal(t->tags.n, 50);
        assert_int_equal(t->tags.dropped, 150);
        assert_true(has(t, "budget_exceeded") && has(t, "id_missing"));
        assert_false(has(t, "syntax"));
        t->budget.limit = 0;
        many_tags(text, sizeof(text), "v=DKIM1", 198, "p=" KEY_2048);
        struct dkim_key k = dkim_of(text);
        assert_int_equal(k.bits, 2048);
        assert_int_equal(k.errors | k.warnings, 0);
        static uint8_t buf[DKIM_KEY_BYTES_MAX];
        k = (struct dkim_key){0};
        t = fresh(NULL, "");
        t->budget.limit = 10 * (sizeof(struct tag) + sizeof(uint32_t));
        dkim_parse(text, strlen(text), &k, t, buf, sizeof(buf));
        assert_true(dkim_has(&k, "budget_exceeded", true) && dkim_has(&k, "p_missing", true));
        assert_false(dkim_has(&k, "syntax", true));
        t->budget.limit = 0;
}

static struct check_env dkim_env = {.dkim_selectors = "s1,gone,rev"};

static void t_dkim_check(void **st)
{
        (void)st;
        struct tj_fx *f = tj_fx_new("dkim", check_registry, "example.com");
        f->j.env = &dkim_env;
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        struct lookup *l = &f->j.look[0];
        ldns_pkt *lp = lp_reply("_domainkey.example.com", LDNS_RCODE_NOERROR);
        lp_feed_lookup(l, lp, 1);
        assert_int_equal(job_step(l, &f->s), JOB_STEP_QUERY);
        lp = lp_reply("s1._domainkey.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "s1._domainkey.example.com", "v=DKIM1; k=rsa; p=" KEY_2048);
        lp_feed_lookup(l, lp, 2);
        assert_int_equal(job_step(l, &f->s), JOB_STEP_QUERY);
        lp = lp_reply("gone._domainkey.example.com", LDNS_RCODE_NXDOMAIN);
        lp_feed_lookup(l, lp, 3);
        assert_int_equal(job_step(l, &f->s), JOB_STEP_QUERY);
        static const char *const revoked[] = {"v=DKIM1; p=", NULL};
        assert_true(feed(f, "dkim", "rev._domainkey.example.com", LDNS_RCODE_NOERROR, revoked));
        tj_at(f, "\"dkim\":{\"domainkey\":\"exists\",\"status\":\"NOERROR\",\"selectors\":["
                 "{\"selector\":\"s1\",\"status\":\"NOERROR\",\"k\":\"rsa\",\"bits\":2048,"
                 "\"revoked\":false,\"errors\":[],\"warnings\":[]},"
                 "{\"selector\":\"gone\",\"status\":\"NXDOMAIN\",\"k\":null,\"bits\":null,"
                 "\"revoked\":null,\"errors\":[],\"warnings\":[]},"
                 "{\"selector\":\"rev\",\"status\":\"NOERROR\",\"k\":\"rsa\",\"bits\":null,"
                 "\"revoked\":true,\"errors\":[],\"warnings\":[\"revoked\"]}],\"attempts\":7}");
        tj_fx_free(f);
        /* NXDOMAIN at _domainkey: the selectors are not asked. */
        f = tj_fx_new("dkim", check_registry, "example.com");
        f->j.env = &dkim_env;
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        assert_true(feed(f, "dkim", "_domainkey.example.com", LDNS_RCODE_NXDOMAIN, NULL));
        tj_at(f, "\"dkim\":{\"domainkey\":\"absent\",\"status\":\"NXDOMAIN\",\"selectors\":["
                 "{\"selector\":\"s1\",\"status\":\"NXDOMAIN\",\"k\":null,");
        tj_fx_free(f);
        /* No selectors; a failure. */
        f = run("dkim", "dkim", "example.com", "_domainkey.example.com", LDNS_RCODE_SERVFAIL, NULL);
        tj_at(f, "\"dkim\":{\"domainkey\":null,\"status\":\"SERVFAIL\",\"selectors\":[],");
        tj_fx_free(f);
        /* A selector's record the budget refuses: budget_exceeded, not record_missing. */
        f = tj_fx_new("dkim", check_registry, "example.com");
        f->j.env = &dkim_env;
        struct dkim_scratch *s = f->s.check[0];
        s->t.budget.limit = 64;
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        l = &f->j.look[0];
        lp_feed_lookup(l, lp_reply("_domainkey.example.com", LDNS_RCODE_NOERROR), 1);
        assert_int_equal(job_step(l, &f->s), JOB_STEP_QUERY);
        lp = lp_reply("s1._domainkey.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "s1._domainkey.example.com", "v=DKIM1; k=rsa; p=" KEY_2048);
        lp_feed_lookup(l, lp, 2);
        assert_int_equal(job_step(l, &f->s), JOB_STEP_QUERY);
        lp_feed_lookup(l, lp_reply("gone._domainkey.example.com", LDNS_RCODE_NXDOMAIN), 3);
        assert_int_equal(job_step(l, &f->s), JOB_STEP_QUERY);
        assert_true(feed(f, "dkim", "rev._domainkey.example.com", LDNS_RCODE_NOERROR, revoked));
        tj_at(f, "{\"selector\":\"s1\",\"status\":\"NOERROR\",\"k\":null,\"bits\":null,"
                 "\"revoked\":null,\"errors\":[\"budget_exceeded\"],\"warnings\":[]}");
        /* rev's record fits, its second tag (p) does not: the key cannot be read. */
        tj_at(f, "{\"selector\":\"rev\",\"status\":\"NOERROR\",\"k\":\"rsa\",\"bits\":null,"
                 "\"revoked\":false,\"errors\":[\"p_missing\",\"budget_exceeded\"]");
        s->t.budget.limit = 0;
        tj_fx_free(f);
}

static int teardown(void **st)
{
        (void)st;
        txtrec_free(&shared);
        return 0;
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_tags),           cmocka_unit_test(t_tags_many),
            cmocka_unit_test(t_tags_dup),       cmocka_unit_test(t_uri),
            cmocka_unit_test(t_tlsrpt_grammar), cmocka_unit_test(t_tlsrpt_many),
            cmocka_unit_test(t_tlsrpt_check),   cmocka_unit_test(t_records_many),
            cmocka_unit_test(t_mtasts_grammar), cmocka_unit_test(t_mtasts_check),
            cmocka_unit_test(t_bimi_grammar),   cmocka_unit_test(t_bimi_dmarc_ok),
            cmocka_unit_test(t_bimi_check),     cmocka_unit_test(t_dkim_key),
            cmocka_unit_test(t_dkim_grammar),   cmocka_unit_test(t_grammars_many_tags),
            cmocka_unit_test(t_dkim_check),
        };
        return cmocka_run_group_tests(tests, NULL, teardown);
}

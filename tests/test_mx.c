/* test_mx.c -- unit tests of the MX check (scanner/mx/) driven through scanner/job.c with
 * replies built by ldns: hosts sorted by preference then name, null MX (alone, mixed, with a
 * preference, twice), NODATA, NXDOMAIN (exists false), SERVFAIL and TIMEOUT (mail error,
 * exists unknown), CNAMEs within a reply and leaving it (the target asked next), a dangling
 * alias, more hosts than are kept, hostile bytes in names, malformed MX rdata, the facts the
 * top-level verdicts take, and the "mx" object of the written line. */
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
#include "output/json.h"
#include "scanner/check.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/job.h"
#include "scanner/line.h"
#include "scanner/mx/check.h"
#include "job_packets.h"

/* ---- fixture: a job running the checks of a --checks list from the scan's registry ------ */

static struct tj_fx *fx_new(const char *checks, const char *domain)
{
        struct tj_fx *f = tj_fx_new(checks, check_registry, domain);
        assert_true(check_set_find(&f->set, "mx") >= 0);
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        return f;
}

static unsigned mx_index(const struct tj_fx *f)
{
        return (unsigned)check_set_find(&f->set, "mx");
}

static struct lookup *mxl(struct tj_fx *f)
{
        return &f->j.look[mx_index(f)];
}

static const struct mx_result *R(const struct tj_fx *f)
{
        return &((const struct mx_scratch *)f->s.check[mx_index(f)])->mx;
}

static const struct check_facts *F(const struct tj_fx *f)
{
        return &f->s.facts[mx_index(f)];
}

/* The lookup in flight is (name, MX). */
static void assert_asks(struct tj_fx *f, const char *name)
{
        uint8_t want[DS_NAME_MAX_WIRE];
        int n = wire_name_from_text(name, want, sizeof(want));
        assert_true(n > 0);
        assert_int_equal(mxl(f)->qtype, WIRE_TYPE_MX);
        assert_int_equal(mxl(f)->qname_len, n);
        assert_memory_equal(mxl(f)->qname, want, (size_t)n);
}

/* An MX reply for qname: rcode, then RRs in zone-file syntax (NULL-terminated). */
static ldns_pkt *mx_reply(const char *qname, ldns_pkt_rcode rcode, const char *const *rrs)
{
        ldns_pkt *lp = lp_reply_t(qname, "MX", rcode);
        for (; rrs && *rrs; rrs++)
                lp_add(lp, LDNS_SECTION_ANSWER, *rrs);
        return lp;
}

/* Feed the mx lookup's reply and step it: the step job_step() returned. */
static enum job_step step(struct tj_fx *f, ldns_pkt *lp, unsigned attempts)
{
        lp_feed_lookup(mxl(f), lp, attempts);
        return job_step(mxl(f), &f->s);
}

/* The mx check ends with this reply; conclude the job (mx alone) and write its line. */
static void finish(struct tj_fx *f, ldns_pkt *lp)
{
        assert_int_equal(step(f, lp, 1), JOB_STEP_DONE);
        assert_true(job_finished(mxl(f)));
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
}

static void assert_host(const struct tj_fx *f, unsigned i, unsigned pref, const char *name)
{
        assert_true(i < R(f)->nhosts);
        assert_int_equal(mx_host_at(R(f), i)->pref, pref);
        assert_string_equal(mx_host_at(R(f), i)->name, name);
}

static bool has_code(const struct tj_fx *f, const char *code, bool error)
{
        for (unsigned i = 0; i < R(f)->nissues; i++)
                if (strcmp(R(f)->issues[i].code, code) == 0)
                        return R(f)->issues[i].error == error;
        return false;
}

/* ---- tests ---------------------------------------------------------------------------- */

static void t_sorted(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        assert_int_equal(f->j.nlook, 1);
        assert_asks(f, "example.com");
        static const char *const rrs[] = {"example.com. 300 IN MX 20 b.example.net.",
                                          "example.com. 300 IN MX 10 Mx2.Example.COM.",
                                          "example.com. 300 IN MX 10 mx1.example.com.",
                                          "EXAMPLE.com. 300 IN MX 5 z.example.org.",
                                          "other.example.com. 300 IN MX 1 not-this-owner.example.",
                                          NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs));
        assert_int_equal(R(f)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(R(f)->nhosts, 4);
        assert_host(f, 0, 5, "z.example.org");
        assert_host(f, 1, 10, "mx1.example.com");
        assert_host(f, 2, 10, "mx2.example.com");
        assert_host(f, 3, 20, "b.example.net");
        assert_false(R(f)->null_mx);
        assert_int_equal(R(f)->nissues, 0);
        assert_int_equal(F(f)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(F(f)->exists, TRI_YES);
        assert_int_equal(F(f)->mail, MAIL_FACT_MX);
        /* the mx check has no opinion on posture */
        assert_int_equal(F(f)->posture, -1);
        tj_at(f, "\"exists\":true,\"posture\":null");
        tj_at(f,
              "\"dmarc\":null,\"spf\":null,\"mx\":{\"status\":\"NOERROR\",\"hosts\":["
              "{\"pref\":5,\"host\":\"z.example.org\"},{\"pref\":10,\"host\":\"mx1.example.com\"},"
              "{\"pref\":10,\"host\":\"mx2.example.com\"},{\"pref\":20,\"host\":\"b.example.net\"}"
              "],\"null_mx\":false,\"errors\":[],\"warnings\":[],\"attempts\":1},\"mta_sts\":null");
        assert_int_equal(job_outcome(&f->j, &f->s), WIRE_RCODE_NOERROR);
        tj_fx_free(f);
}

static void t_null_mx(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const rrs[] = {"example.com. 300 IN MX 0 .", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs));
        assert_true(R(f)->null_mx);
        assert_int_equal(R(f)->nhosts, 0);
        assert_int_equal(R(f)->nroot, 1);
        assert_int_equal(R(f)->nissues, 0);
        assert_int_equal(F(f)->mail, MAIL_FACT_NULL_MX);
        assert_int_equal(F(f)->exists, TRI_YES);
        tj_at(f, "\"mx\":{\"status\":\"NOERROR\",\"hosts\":[],\"null_mx\":true,\"errors\":[],"
                 "\"warnings\":[],\"attempts\":1}");
        tj_fx_free(f);
}

static void t_null_mx_mixed(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const rrs[] = {"example.com. 300 IN MX 0 .",
                                          "example.com. 300 IN MX 10 mx.example.com.", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs));
        assert_false(R(f)->null_mx);
        assert_int_equal(R(f)->nhosts, 1);
        assert_host(f, 0, 10, "mx.example.com");
        assert_true(has_code(f, "null_mx_mixed", true));
        assert_int_equal(F(f)->mail, MAIL_FACT_MX);
        tj_at(f, "\"hosts\":[{\"pref\":10,\"host\":\"mx.example.com\"}],\"null_mx\":false,"
                 "\"errors\":[\"null_mx_mixed\"],\"warnings\":[]");
        tj_fx_free(f);
}

/* Not RFC 7505's exact form, but no host either: still a null MX, with a warning. */
static void t_null_mx_loose(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const rrs[] = {"example.com. 300 IN MX 10 .",
                                          "example.com. 300 IN MX 0 .", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs));
        assert_true(R(f)->null_mx);
        assert_int_equal(R(f)->nroot, 2);
        assert_true(has_code(f, "null_mx_multiple", false));
        assert_true(has_code(f, "null_mx_preference", false));
        assert_int_equal(F(f)->mail, MAIL_FACT_NULL_MX);
        tj_at(f, "\"null_mx\":true,\"errors\":[],\"warnings\":[\"null_mx_multiple\","
                 "\"null_mx_preference\"]");
        tj_fx_free(f);
}

static void t_nodata(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        ldns_pkt *lp = mx_reply("example.com", LDNS_RCODE_NOERROR, NULL);
        lp_add(lp, LDNS_SECTION_AUTHORITY,
               "example.com. 300 IN SOA ns.example.com. h.example.com. 1 2 3 4 5");
        /* records of another type at the name are not MX */
        lp_add(lp, LDNS_SECTION_ANSWER, "example.com. 300 IN A 192.0.2.1");
        finish(f, lp);
        assert_int_equal(R(f)->nhosts, 0);
        assert_false(R(f)->null_mx);
        assert_int_equal(F(f)->mail, MAIL_FACT_NO_MX);
        assert_int_equal(F(f)->exists, TRI_YES);
        tj_at(f, "\"mx\":{\"status\":\"NOERROR\",\"hosts\":[],\"null_mx\":false,");
        tj_fx_free(f);
}

static void t_nxdomain(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "gone.example");
        finish(f, mx_reply("gone.example", LDNS_RCODE_NXDOMAIN, NULL));
        assert_int_equal(F(f)->status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(F(f)->exists, TRI_NO);
        assert_int_equal(F(f)->mail, MAIL_FACT_NXDOMAIN);
        tj_at(f, "\"exists\":false");
        tj_at(f, "\"mx\":{\"status\":\"NXDOMAIN\",\"hosts\":[],\"null_mx\":false,\"errors\":[],"
                 "\"warnings\":[],\"attempts\":1}");
        assert_int_equal(job_outcome(&f->j, &f->s), WIRE_RCODE_NXDOMAIN);
        tj_fx_free(f);
}

static void t_servfail(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        finish(f, mx_reply("example.com", LDNS_RCODE_SERVFAIL, NULL));
        assert_int_equal(F(f)->status, WIRE_RCODE_SERVFAIL);
        assert_int_equal(F(f)->exists, TRI_UNKNOWN);
        assert_int_equal(F(f)->mail, MAIL_FACT_ERROR);
        tj_at(f, "\"exists\":null");
        tj_at(f, "\"mx\":{\"status\":\"SERVFAIL\",\"hosts\":[],\"null_mx\":null,");
        tj_fx_free(f);
}

static void t_timeout(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        lookup_set_reply(mxl(f), ENGINE_TIMEOUT, NULL, 0, 3);
        assert_int_equal(job_step(mxl(f), &f->s), JOB_STEP_DONE);
        assert_true(job_finished(mxl(f)));
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        assert_int_equal(F(f)->status, LOOKUP_TIMEOUT);
        assert_int_equal(F(f)->exists, TRI_UNKNOWN);
        assert_int_equal(F(f)->mail, MAIL_FACT_ERROR);
        tj_at(f, "\"mx\":{\"status\":\"TIMEOUT\",\"hosts\":[],\"null_mx\":null,\"errors\":[],"
                 "\"warnings\":[],\"attempts\":3}");
        assert_int_equal(job_outcome(&f->j, &f->s), OUTCOME_TIMEOUT);
        tj_fx_free(f);
}

/* The CNAME and its target's MX in one reply: no second lookup. */
static void t_cname_in_reply(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const rrs[] = {"example.com. 300 IN CNAME Mail.Example.NET.",
                                          "mail.example.net. 300 IN MX 10 mx.example.net.", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs));
        assert_int_equal(R(f)->cname_hops, 1);
        assert_string_equal(R(f)->target, "mail.example.net");
        assert_host(f, 0, 10, "mx.example.net");
        assert_int_equal(F(f)->mail, MAIL_FACT_MX);
        tj_at(f, "\"null_mx\":false,\"cname_target\":\"mail.example.net\",\"errors\":[]");
        tj_fx_free(f);
}

/* A CNAME leaving the server's zone: its target is asked next, hops and attempts add up. */
static void t_cname_follow(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const first[] = {"example.com. 300 IN CNAME mail.example.net.", NULL};
        assert_int_equal(step(f, mx_reply("example.com", LDNS_RCODE_NOERROR, first), 2),
                         JOB_STEP_QUERY);
        assert_asks(f, "mail.example.net");
        static const char *const second[] = {"mail.example.net. 300 IN MX 0 .", NULL};
        finish(f, mx_reply("mail.example.net", LDNS_RCODE_NOERROR, second));
        assert_int_equal(R(f)->cname_hops, 1);
        assert_int_equal(R(f)->attempts, 3);
        assert_true(R(f)->null_mx);
        assert_int_equal(F(f)->mail, MAIL_FACT_NULL_MX);
        tj_at(f,
              "\"hosts\":[],\"null_mx\":true,\"cname_target\":\"mail.example.net\",\"errors\":[],"
              "\"warnings\":[],\"attempts\":3}");
        tj_fx_free(f);
}

/* The alias's target does not exist: the domain does (it has the CNAME), mail cannot. */
static void t_cname_dangling(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const first[] = {"example.com. 300 IN CNAME gone.example.net.", NULL};
        assert_int_equal(step(f, mx_reply("example.com", LDNS_RCODE_NOERROR, first), 1),
                         JOB_STEP_QUERY);
        finish(f, mx_reply("gone.example.net", LDNS_RCODE_NXDOMAIN, NULL));
        assert_int_equal(F(f)->status, WIRE_RCODE_NXDOMAIN);
        assert_int_equal(F(f)->exists, TRI_YES);
        assert_int_equal(F(f)->mail, MAIL_FACT_NXDOMAIN);
        assert_true(has_code(f, "cname_dangling", false));
        tj_at(f, "\"exists\":true");
        tj_fx_free(f);
}

/* A CNAME chain longer than 8 links across replies ends as CNAME_LOOP. */
static void t_cname_loop(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        char rr[128], name[64];
        enum job_step s = JOB_STEP_QUERY;
        unsigned i = 0;
        for (; s == JOB_STEP_QUERY && i < 20; i++) {
                snprintf(name, sizeof(name), i ? "c%u.example.net" : "example.com", i);
                snprintf(rr, sizeof(rr), "%s. 300 IN CNAME c%u.example.net.", name, i + 1);
                const char *const rrs[] = {rr, NULL};
                lp_feed_lookup(mxl(f), mx_reply(name, LDNS_RCODE_NOERROR, rrs), 1);
                s = job_step(mxl(f), &f->s);
        }
        assert_int_equal(s, JOB_STEP_DONE);
        assert_int_equal(i, DS_CNAME_HOPS_MAX + 1);
        assert_true(job_finished(mxl(f)));
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        assert_int_equal(F(f)->status, LOOKUP_CNAME_LOOP);
        assert_int_equal(F(f)->mail, MAIL_FACT_ERROR);
        assert_int_equal(F(f)->exists, TRI_YES); /* the domain holds a CNAME */
        tj_at(f, "\"mx\":{\"status\":\"CNAME_LOOP\",\"hosts\":[],\"null_mx\":null,");
        tj_fx_free(f);
}

/* Many hosts: every one is kept and sorted (64 were, once). The reply (about 3 KB) is kept
 * outside the job's inline buffer. */
static void t_many_hosts(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        enum { N = 100 };
        ldns_pkt *lp = mx_reply("example.com", LDNS_RCODE_NOERROR, NULL);
        char rr[128];
        for (unsigned i = 0; i < N; i++) { /* worst first: every later one evicts */
                snprintf(rr, sizeof(rr), "example.com. 300 IN MX %u h%03u.example.net.", N - i,
                         N - i);
                lp_add(lp, LDNS_SECTION_ANSWER, rr);
        }
        finish(f, lp);
        assert_non_null(mxl(f)->reply_big);
        assert_int_equal(R(f)->nhosts, N);
        assert_int_equal(R(f)->hosts_dropped, 0);
        char name[32];
        for (unsigned i = 0; i < N; i++) {
                snprintf(name, sizeof(name), "h%03u.example.net", i + 1);
                assert_host(f, i, i + 1, name);
        }
        tj_at(f, "{\"pref\":100,\"host\":\"h100.example.net\"}],\"null_mx\":false,"
                 "\"errors\":[],");
        tj_fx_free(f);

        /* equal preferences: sorted by name */
        f = fx_new("mx", "example.com");
        lp = mx_reply("example.com", LDNS_RCODE_NOERROR, NULL);
        for (unsigned i = 0; i < N; i++) {
                snprintf(rr, sizeof(rr), "example.com. 300 IN MX 10 h%03u.example.net.",
                         (i * 37) % N);
                lp_add(lp, LDNS_SECTION_ANSWER, rr);
        }
        finish(f, lp);
        assert_int_equal(R(f)->nhosts, N);
        for (unsigned i = 0; i < N; i++) {
                snprintf(name, sizeof(name), "h%03u.example.net", i);
                assert_host(f, i, 10, name);
        }
        tj_fx_free(f);
}

/* Past the domain's byte budget: the hosts that fit are listed, the rest counted, and the
 * line says so; the facts still count every host. */
static void t_budget(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        struct mx_result *m = &((struct mx_scratch *)f->s.check[mx_index(f)])->mx;
        m->budget.limit = 200; /* a few names and their entries */
        ldns_pkt *lp = mx_reply("example.com", LDNS_RCODE_NOERROR, NULL);
        char rr[128];
        for (unsigned i = 0; i < 20; i++) {
                snprintf(rr, sizeof(rr), "example.com. 300 IN MX %u h%03u.example.net.", i, i);
                lp_add(lp, LDNS_SECTION_ANSWER, rr);
        }
        finish(f, lp);
        assert_true(R(f)->nhosts > 0 && R(f)->nhosts < 20);
        assert_int_equal(R(f)->nhosts + R(f)->hosts_dropped, 20);
        assert_int_equal(F(f)->mail, MAIL_FACT_MX);
        tj_at(f, "\"errors\":[\"budget_exceeded\"]");
        m->budget.limit = 0;
        tj_fx_free(f);
}

/* Exchanges with any octets: escaped as in zone files, lower-cased, and the line is valid
 * JSON (python's json module reads it back). */
static void t_hostile_names(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const rrs[] = {
            "example.com. 300 IN MX 10 A\\000\\\"b\\\\\\.c\\255\\010.Example.com.",
            "example.com. 300 IN MX 20 \\{\\}\\226\\128\\174.example.com.", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs));
        assert_int_equal(R(f)->nhosts, 2);
        assert_host(f, 0, 10, "a\\000\"b\\092\\046c\\255\\010.example.com");
        assert_host(f, 1, 20, "{}\\226\\128\\174.example.com");
        tj_at(f,
              "{\"pref\":10,\"host\":\"a\\\\000\\\"b\\\\092\\\\046c\\\\255\\\\010.example.com\"}");
        char cmd[] = "/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.stdin.buffer.read());"
                     " sys.exit(0 if d[\"mx\"][\"hosts\"][1][\"host\"]"
                     " == \"{}\\\\226\\\\128\\\\174.example.com\" else 1)'";
        FILE *p = popen(cmd, "w");
        assert_non_null(p);
        assert_int_equal(fwrite(f->b.p, 1, f->b.len, p), f->b.len);
        assert_int_equal(pclose(p), 0);
        tj_fx_free(f);
}

static void t_codes(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const rrs[] = {"example.com. 300 IN MX 10 192.0.2.1.",
                                          "example.com. 300 IN MX 20 [192.0.2.2].",
                                          "example.com. 300 IN MX 30 mx.example.com.",
                                          "example.com. 300 IN MX 40 MX.example.com.", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs));
        assert_int_equal(R(f)->nhosts, 4);
        assert_host(f, 1, 20, "[192.0.2.2]");
        assert_true(has_code(f, "mx_is_ip", true));
        assert_true(has_code(f, "duplicate_host", false));
        tj_at(f, "\"errors\":[\"mx_is_ip\"],\"warnings\":[\"duplicate_host\"]");
        tj_fx_free(f);

        f = fx_new("mx", "example.com");
        static const char *const v6[] = {"example.com. 300 IN MX 10 2001:db8::25.",
                                         "example.com. 300 IN MX 10 1.2.3.example.com.", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, v6));
        assert_true(has_code(f, "mx_is_ip", true));
        assert_false(has_code(f, "duplicate_host", false));
        tj_fx_free(f);

        f = fx_new("mx", "example.com");
        static const char *const fine[] = {"example.com. 300 IN MX 10 1.2.3.example.com.", NULL};
        finish(f, mx_reply("example.com", LDNS_RCODE_NOERROR, fine));
        assert_int_equal(R(f)->nissues, 0);
        tj_fx_free(f);
}

/* An MX rdata that is not a preference and a name spoils the reply (as bad TXT does). */
static void t_malformed_rdata(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        ldns_pkt *lp = mx_reply("example.com", LDNS_RCODE_NOERROR, NULL);
        ldns_rr *rr = ldns_rr_new();
        assert_non_null(rr);
        ldns_rr_set_owner(rr, ldns_dname_new_frm_str("example.com."));
        ldns_rr_set_type(rr, LDNS_RR_TYPE_MX);
        ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
        ldns_rr_set_ttl(rr, 300);
        static const uint8_t raw[] = {0, 10, 3, 'm', 'x'}; /* the name has no end */
        assert_true(ldns_rr_push_rdf(rr, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_HEX, 5, raw)));
        assert_true(ldns_pkt_push_rr(lp, LDNS_SECTION_ANSWER, rr));
        finish(f, lp);
        assert_int_equal(F(f)->status, LOOKUP_MALFORMED);
        assert_int_equal(F(f)->mail, MAIL_FACT_ERROR);
        tj_at(f, "\"mx\":{\"status\":\"MALFORMED\",\"hosts\":[],\"null_mx\":null,");
        tj_fx_free(f);
}

/* dmarc and mx side by side: both lookups out at once; the line has both objects; exists
 * comes from mx when dmarc cannot tell. */
static void t_with_dmarc(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("dmarc,mx", "example.com");
        assert_int_equal(f->j.nlook, 2);
        assert_int_equal(mx_index(f), 1);
        assert_int_equal(f->j.look[0].handoff, JOB_STEP_QUERY);
        assert_int_equal(mxl(f)->handoff, JOB_STEP_QUERY);
        assert_asks(f, "example.com");
        /* mx first, then dmarc (exact discovery, no record) finishes the job */
        static const char *const rrs[] = {"example.com. 300 IN MX 10 mx.example.com.", NULL};
        assert_int_equal(step(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs), 1),
                         JOB_STEP_DONE);
        assert_false(job_finished(mxl(f)));
        lp_feed_lookup(&f->j.look[0], lp_reply("_dmarc.example.com", LDNS_RCODE_NXDOMAIN), 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        assert_true(job_finished(&f->j.look[0]));
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        tj_at(f, "\"exists\":true,\"posture\":\"missing\"");
        tj_at(f, "\"spf\":null,\"mx\":{\"status\":\"NOERROR\",\"hosts\":[{\"pref\":10,"
                 "\"host\":\"mx.example.com\"}],\"null_mx\":false,");
        /* the outcome counted is the first check's (dmarc's) */
        assert_int_equal(job_outcome(&f->j, &f->s), WIRE_RCODE_NXDOMAIN);
        tj_fx_free(f);

        /* the domain is NXDOMAIN: dmarc says missing, mx says it does not exist */
        f = fx_new("dmarc,mx", "gone.example");
        lp_feed_lookup(&f->j.look[0], lp_reply("_dmarc.gone.example", LDNS_RCODE_NXDOMAIN), 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        assert_false(job_finished(&f->j.look[0]));
        finish(f, mx_reply("gone.example", LDNS_RCODE_NXDOMAIN, NULL));
        tj_at(f, "\"exists\":false,\"posture\":\"missing\"");
        tj_fx_free(f);
}

/* conclude() on a scratch another domain used since: the reply kept in the lookup gives the
 * same result (the line is written by whichever thread finishes the job last). */
static void t_conclude_elsewhere(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx", "example.com");
        static const char *const rrs[] = {"example.com. 300 IN CNAME mail.example.net.",
                                          "mail.example.net. 300 IN MX 20 b.example.net.",
                                          "mail.example.net. 300 IN MX 10 a.example.net.", NULL};
        assert_int_equal(step(f, mx_reply("example.com", LDNS_RCODE_NOERROR, rrs), 1),
                         JOB_STEP_DONE);
        /* another domain's job concluded on f's scratch */
        struct tj_fx *g = fx_new("mx", "other.example");
        lp_feed_lookup(mxl(g), mx_reply("other.example", LDNS_RCODE_NXDOMAIN, NULL), 1);
        assert_int_equal(job_step(mxl(g), &f->s), JOB_STEP_DONE);
        job_conclude(&g->j, &f->s);
        assert_int_equal(R(f)->status, WIRE_RCODE_NXDOMAIN);
        /* f's conclude rebuilds from its lookup */
        job_conclude(&f->j, &f->s);
        assert_int_equal(F(f)->status, WIRE_RCODE_NOERROR);
        assert_int_equal(F(f)->mail, MAIL_FACT_MX);
        assert_int_equal(R(f)->nhosts, 2);
        assert_host(f, 0, 10, "a.example.net");
        assert_host(f, 1, 20, "b.example.net");
        assert_string_equal(R(f)->target, "mail.example.net");
        tj_fx_free(g);
        tj_fx_free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_sorted),
            cmocka_unit_test(t_null_mx),
            cmocka_unit_test(t_null_mx_mixed),
            cmocka_unit_test(t_null_mx_loose),
            cmocka_unit_test(t_nodata),
            cmocka_unit_test(t_nxdomain),
            cmocka_unit_test(t_servfail),
            cmocka_unit_test(t_timeout),
            cmocka_unit_test(t_cname_in_reply),
            cmocka_unit_test(t_cname_follow),
            cmocka_unit_test(t_cname_dangling),
            cmocka_unit_test(t_cname_loop),
            cmocka_unit_test(t_many_hosts),
            cmocka_unit_test(t_budget),
            cmocka_unit_test(t_hostile_names),
            cmocka_unit_test(t_codes),
            cmocka_unit_test(t_malformed_rdata),
            cmocka_unit_test(t_with_dmarc),
            cmocka_unit_test(t_conclude_elsewhere),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_dnssec.c -- unit tests of the dnssec check (scanner/dnssec/): the summary of a
 * domain's AD bits (secure, insecure, bogus, unknown) as a table, the probe's verdict on the
 * resolvers, and the check driven through scanner/job.c beside the MX check with replies
 * built by ldns: its own SOA, the CD=1 retry after SERVFAIL (asked once, never counted as
 * an answer), the other check's answers counted only at or below the domain, no question
 * when the resolvers do not validate, and the "dnssec" member of the written line. */
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

#include "common/tristate.h"
#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/check.h"
#include "scanner/dnssec/check.h"
#include "scanner/dnssec/probe.h"
#include "scanner/dnssec/verdict.h"
#include "scanner/job.h"
#include "scanner/line.h"
#include "job_packets.h"

/* ---- the summary ---------------------------------------------------------------------- */

static enum dnssec_state sum(int8_t validates, int own, int cd, unsigned yes, unsigned no)
{
        struct dnssec_evidence e = {
            .validates = validates, .own_status = own, .cd_status = cd, .ad_yes = yes, .ad_no = no};
        return dnssec_summarise(&e);
}

static void t_summarise(void **st)
{
        (void)st;
        const int NOERR = WIRE_RCODE_NOERROR, NX = WIRE_RCODE_NXDOMAIN;
        const int FAIL = WIRE_RCODE_SERVFAIL, PEND = LOOKUP_PENDING;
        /* every answer AD: secure; NXDOMAIN answers count alike */
        assert_int_equal(sum(TRI_YES, NOERR, PEND, 4, 0), DNSSEC_SECURE);
        assert_int_equal(sum(TRI_YES, NX, PEND, 3, 0), DNSSEC_SECURE);
        /* one answer without AD is enough for insecure */
        assert_int_equal(sum(TRI_YES, NOERR, PEND, 3, 1), DNSSEC_INSECURE);
        assert_int_equal(sum(TRI_YES, NOERR, PEND, 0, 4), DNSSEC_INSECURE);
        /* SERVFAIL, answered with CD: bogus, whatever the other answers said */
        assert_int_equal(sum(TRI_YES, FAIL, NOERR, 0, 0), DNSSEC_BOGUS);
        assert_int_equal(sum(TRI_YES, FAIL, NX, 2, 1), DNSSEC_BOGUS);
        /* SERVFAIL with CD too: a broken server, not a signature; the rest decides */
        assert_int_equal(sum(TRI_YES, FAIL, FAIL, 0, 0), DNSSEC_UNKNOWN);
        assert_int_equal(sum(TRI_YES, FAIL, FAIL, 2, 0), DNSSEC_SECURE);
        assert_int_equal(sum(TRI_YES, FAIL, LOOKUP_TIMEOUT, 0, 1), DNSSEC_INSECURE);
        /* nothing answered */
        assert_int_equal(sum(TRI_YES, LOOKUP_TIMEOUT, PEND, 0, 0), DNSSEC_UNKNOWN);
        assert_int_equal(sum(TRI_YES, WIRE_RCODE_REFUSED, PEND, 0, 0), DNSSEC_UNKNOWN);
        /* resolvers that do not validate, or not known to: unknown, whatever came back */
        for (int8_t v = TRI_UNKNOWN; v <= TRI_NO; v++) {
                assert_int_equal(sum(v, NOERR, PEND, 4, 0), DNSSEC_UNKNOWN);
                assert_int_equal(sum(v, NOERR, PEND, 0, 4), DNSSEC_UNKNOWN);
                assert_int_equal(sum(v, FAIL, NOERR, 0, 0), DNSSEC_UNKNOWN);
        }
        assert_string_equal(dnssec_state_name(DNSSEC_SECURE), "secure");
        assert_string_equal(dnssec_state_name(DNSSEC_INSECURE), "insecure");
        assert_string_equal(dnssec_state_name(DNSSEC_BOGUS), "bogus");
        assert_string_equal(dnssec_state_name(DNSSEC_UNKNOWN), "unknown");
}

/* ---- the probe ------------------------------------------------------------------------ */

/* A reply header: rcode and AD as given. */
static void header(uint8_t *pkt, int rcode, bool ad)
{
        memset(pkt, 0, WIRE_HEADER_LEN);
        pkt[2] = 0x81; /* QR, RD */
        pkt[3] = (uint8_t)(0x80 | (ad ? 0x20 : 0) | rcode);
}

static int8_t probe(int s_rcode, bool s_ad, int b_engine, int b_rcode)
{
        struct dnssec_probe p;
        char err[200];
        uint8_t pkt[WIRE_HEADER_LEN];
        assert_int_equal(dnssec_probe_init(&p, "signed.test,bogus.test", err, sizeof(err)), 0);
        assert_int_equal(dnssec_probe_validates(&p), TRI_UNKNOWN);
        header(pkt, s_rcode, s_ad);
        dnssec_probe_take(&p, DNSSEC_PROBE_SIGNED, ENGINE_REPLY, pkt, sizeof(pkt));
        assert_int_equal(dnssec_probe_validates(&p), TRI_UNKNOWN); /* one still out */
        header(pkt, b_rcode, false);
        dnssec_probe_take(&p, DNSSEC_PROBE_BOGUS, b_engine, b_engine == ENGINE_REPLY ? pkt : NULL,
                          b_engine == ENGINE_REPLY ? sizeof(pkt) : 0);
        /* a second reply to the same probe changes nothing */
        header(pkt, WIRE_RCODE_NOERROR, true);
        dnssec_probe_take(&p, DNSSEC_PROBE_BOGUS, ENGINE_REPLY, pkt, sizeof(pkt));
        return dnssec_probe_validates(&p);
}

static void t_probe(void **st)
{
        (void)st;
        const int NOERR = WIRE_RCODE_NOERROR, FAIL = WIRE_RCODE_SERVFAIL;
        assert_int_equal(probe(NOERR, true, ENGINE_REPLY, FAIL), TRI_YES);
        /* no AD on the signed name: no validation (or a stripping middlebox) */
        assert_int_equal(probe(NOERR, false, ENGINE_REPLY, FAIL), TRI_NO);
        /* the bogus name answered: AD set by something that did not validate */
        assert_int_equal(probe(NOERR, true, ENGINE_REPLY, NOERR), TRI_NO);
        assert_int_equal(probe(NOERR, true, ENGINE_TIMEOUT, 0), TRI_NO);
        assert_int_equal(probe(FAIL, false, ENGINE_REPLY, FAIL), TRI_NO);

        struct dnssec_probe p;
        char err[200];
        static const char *const bad[] = {
            "", "one.test", "a.test,b.test,c.test", ",b.test", "a.test,", "a..test,b.test", NULL};
        for (const char *const *b = bad; *b; b++)
                assert_int_equal(dnssec_probe_init(&p, *b, err, sizeof(err)), -EINVAL);
        char longname[300];
        memset(longname, 'a', sizeof(longname));
        memcpy(longname + 280, ",b.test", 8);
        assert_int_equal(dnssec_probe_init(&p, longname, err, sizeof(err)), -EINVAL);
        assert_int_equal(dnssec_probe_init(&p, DNSSEC_PROBE_DEFAULT, err, sizeof(err)), 0);
        assert_string_equal(p.name[DNSSEC_PROBE_SIGNED], "ietf.org");
        assert_string_equal(p.name[DNSSEC_PROBE_BOGUS], "dnssec-failed.org");
}

/* ---- the check, beside mx ------------------------------------------------------------- */

static struct check_env env_validating = {.dnssec_validates = TRI_YES};

static struct tj_fx *fx_new(const char *checks, const char *domain, struct check_env *env)
{
        struct tj_fx *f = tj_fx_new(checks, check_registry, domain);
        f->j.env = env;
        return f;
}

static struct lookup *look(struct tj_fx *f, const char *check)
{
        int i = check_set_find(&f->set, check);
        assert_true(i >= 0);
        return &f->j.look[i];
}

static ldns_pkt *reply(const char *qname, const char *qtype, ldns_pkt_rcode rcode, bool ad)
{
        ldns_pkt *lp = lp_reply_t(qname, qtype, rcode);
        ldns_pkt_set_ad(lp, ad);
        return lp;
}

/* Feed check's lookup; the step job_step() returned. */
static enum job_step step(struct tj_fx *f, const char *check, ldns_pkt *lp)
{
        lp_feed_lookup(look(f, check), lp, 1);
        return job_step(look(f, check), &f->s);
}

/* Every check done: conclude, write the line; the "dnssec" value. */
static const char *finish(struct tj_fx *f)
{
        job_conclude(&f->j, &f->s);
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        int i = check_set_find(&f->set, "dnssec");
        const struct dnssec_scratch *s = f->s.check[i];
        assert_int_equal(f->s.facts[i].dnssec, (int8_t)s->state);
        const char *name = dnssec_state_name(s->state);
        char member[64];
        snprintf(member, sizeof(member), "\"dnssec\":\"%s\"", name);
        tj_at(f, member);
        return name;
}

static void assert_asks_soa(struct tj_fx *f, const char *name, bool cd)
{
        struct lookup *l = look(f, "dnssec");
        uint8_t want[DS_NAME_MAX_WIRE];
        int n = wire_name_from_text(name, want, sizeof(want));
        assert_int_equal(l->qtype, WIRE_TYPE_SOA);
        assert_int_equal(l->qname_len, n);
        assert_memory_equal(l->qname, want, (size_t)n);
        assert_int_equal(l->cd, cd);
}

/* mx and dnssec answers for example.com, with these AD bits and the SOA's rcode. */
static const char *run(bool mx_ad, bool soa_ad, ldns_pkt_rcode soa_rcode)
{
        struct tj_fx *f = fx_new("mx,dnssec", "example.com", &env_validating);
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        assert_asks_soa(f, "example.com", false);
        ldns_pkt *mx = reply("example.com", "MX", LDNS_RCODE_NOERROR, mx_ad);
        lp_add(mx, LDNS_SECTION_ANSWER, "example.com. 300 IN MX 10 mx.example.com.");
        assert_int_equal(step(f, "mx", mx), JOB_STEP_DONE);
        assert_int_equal(step(f, "dnssec", reply("example.com", "SOA", soa_rcode, soa_ad)),
                         JOB_STEP_DONE);
        static char out[16];
        snprintf(out, sizeof(out), "%s", finish(f));
        tj_fx_free(f);
        return out;
}

static void t_secure_insecure(void **st)
{
        (void)st;
        assert_string_equal(run(true, true, LDNS_RCODE_NOERROR), "secure");
        assert_string_equal(run(true, true, LDNS_RCODE_NXDOMAIN), "secure");
        assert_string_equal(run(false, true, LDNS_RCODE_NOERROR), "insecure");
        assert_string_equal(run(true, false, LDNS_RCODE_NOERROR), "insecure");
        /* the SOA not answered: the MX answer alone decides */
        assert_string_equal(run(true, false, LDNS_RCODE_REFUSED), "secure");
        assert_string_equal(run(false, false, LDNS_RCODE_REFUSED), "insecure");
}

/* SERVFAIL, then the same question with CD=1, once; its answer is not counted. */
static void t_bogus(void **st)
{
        (void)st;
        for (int cd_answers = 0; cd_answers < 2; cd_answers++) {
                struct tj_fx *f = fx_new("dnssec", "Bad.Example.com", &env_validating);
                assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
                assert_int_equal(
                    step(f, "dnssec", reply("bad.example.com", "SOA", LDNS_RCODE_SERVFAIL, false)),
                    JOB_STEP_QUERY);
                assert_asks_soa(f, "Bad.Example.com", true);
                ldns_pkt_rcode rc = cd_answers ? LDNS_RCODE_NOERROR : LDNS_RCODE_SERVFAIL;
                assert_int_equal(step(f, "dnssec", reply("bad.example.com", "SOA", rc, false)),
                                 JOB_STEP_DONE);
                assert_int_equal(look(f, "dnssec")->ad_no, 0);
                assert_true(job_finished(look(f, "dnssec")));
                assert_string_equal(finish(f), cd_answers ? "bogus" : "unknown");
                assert_int_equal(f->s.facts[0].status, WIRE_RCODE_SERVFAIL);
                tj_fx_free(f);
        }
}

/* An MX CNAME leaving the domain: the target's answer (without AD) is not the domain's. */
static void t_only_the_domains_names(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("mx,dnssec", "example.com", &env_validating);
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        ldns_pkt *lp = reply("example.com", "MX", LDNS_RCODE_NOERROR, true);
        lp_add(lp, LDNS_SECTION_ANSWER, "example.com. 300 IN CNAME mail.other.net.");
        assert_int_equal(step(f, "mx", lp), JOB_STEP_QUERY);
        lp = reply("mail.other.net", "MX", LDNS_RCODE_NOERROR, false);
        lp_add(lp, LDNS_SECTION_ANSWER, "mail.other.net. 300 IN MX 10 mx.other.net.");
        assert_int_equal(step(f, "mx", lp), JOB_STEP_DONE);
        assert_int_equal(look(f, "mx")->ad_yes, 1);
        assert_int_equal(look(f, "mx")->ad_no, 0);
        assert_int_equal(step(f, "dnssec", reply("example.com", "SOA", LDNS_RCODE_NOERROR, true)),
                         JOB_STEP_DONE);
        assert_string_equal(finish(f), "secure");
        tj_fx_free(f);
}

/* Resolvers that do not validate: the SOA asked (its status is the outcome), no CD retry
 * after a SERVFAIL, unknown whatever came back. */
static void t_not_validating(void **st)
{
        (void)st;
        static struct check_env env_no = {.dnssec_validates = TRI_NO};
        for (int servfail = 0; servfail < 2; servfail++) {
                struct tj_fx *f = fx_new("dnssec", "example.com", &env_no);
                assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
                assert_asks_soa(f, "example.com", false);
                ldns_pkt_rcode rc = servfail ? LDNS_RCODE_SERVFAIL : LDNS_RCODE_NOERROR;
                assert_int_equal(step(f, "dnssec", reply("example.com", "SOA", rc, !servfail)),
                                 JOB_STEP_DONE);
                assert_true(job_finished(&f->j.look[0]));
                assert_string_equal(finish(f), "unknown");
                assert_int_equal(f->s.facts[0].status, (int)rc);
                tj_fx_free(f);
        }
}

/* ---- lookup_note_ad ------------------------------------------------------------------- */

static void t_note_ad(void **st)
{
        (void)st;
        struct lookup l;
        uint8_t zone[DS_NAME_MAX_WIRE];
        int zl = wire_name_from_text("example.com", zone, sizeof(zone));
        memset(&l, 0, sizeof(l));
        lookup_reset(&l);
        struct {
                const char *qname;
                ldns_pkt_rcode rcode;
                bool ad, cd;
                unsigned yes, no; /* after it */
        } steps[] = {
            {"_dmarc.EXAMPLE.com", LDNS_RCODE_NOERROR, true, false, 1, 0},
            {"example.com", LDNS_RCODE_NXDOMAIN, false, false, 1, 1},
            {"example.com", LDNS_RCODE_SERVFAIL, false, false, 1, 1},   /* no answer */
            {"example.com", LDNS_RCODE_NOERROR, false, true, 1, 1},     /* asked with CD */
            {"notexample.com", LDNS_RCODE_NOERROR, false, false, 1, 1}, /* not below */
            {"com", LDNS_RCODE_NOERROR, false, false, 1, 1},            /* above */
            {"a.b.example.com", LDNS_RCODE_NOERROR, true, false, 2, 1},
        };
        for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
                assert_int_equal(lookup_set(&l, steps[i].qname, WIRE_TYPE_TXT), 0);
                l.cd = steps[i].cd;
                lp_feed_lookup(&l, reply(steps[i].qname, "TXT", steps[i].rcode, steps[i].ad), 1);
                lookup_note_ad(&l, zone, (size_t)zl);
                assert_int_equal(l.ad_yes, steps[i].yes);
                assert_int_equal(l.ad_no, steps[i].no);
        }
        lookup_set_reply(&l, ENGINE_TIMEOUT, NULL, 0, 1);
        lookup_note_ad(&l, zone, (size_t)zl);
        assert_int_equal(l.ad_yes + l.ad_no, 3);
        lookup_reset(&l);
        assert_int_equal(l.ad_yes + l.ad_no, 0);
        lookup_clear(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_summarise),
            cmocka_unit_test(t_probe),
            cmocka_unit_test(t_secure_insecure),
            cmocka_unit_test(t_bogus),
            cmocka_unit_test(t_only_the_domains_names),
            cmocka_unit_test(t_not_validating),
            cmocka_unit_test(t_note_ad),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

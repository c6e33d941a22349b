/* test_compose.c -- unit tests of the check composition (scanner/check.h, scanner/job.c,
 * scanner/registry.c, scanner/toplevel.c): a test-only check ("probe", defined here and
 * registered through a table of its own, with nothing changed in the job, the engine, the
 * writer or the dmarc check) runs beside dmarc: both lookups are out at once, the replies
 * come back in either order, the line is written once, by whichever finishes last, and holds
 * both objects; --checks parses against the table, and check_set_add (--profile) adds to it. */
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
#include "output/json.h"
#include "scanner/check.h"
#include "scanner/job.h"
#include "scanner/line.h"
#include "job_packets.h"

/* ---- the probe check: <domain> TXT, one lookup; its object says what came back ----------- */

struct probe_state {
        int16_t status;
        uint16_t ntxt;
        bool started;
};

struct probe_scratch {
        unsigned concluded; /* conclude() calls on this thread */
};

static enum check_step probe_start(const struct check_arg *a)
{
        struct probe_state *st = a->state;
        assert_false(st->started); /* the job zeroes the state for every domain */
        st->started = true;
        st->status = LOOKUP_PENDING;
        return lookup_set(a->l, a->job->in.domain, WIRE_TYPE_TXT) == 0 ? CHECK_QUERY
                                                                       : CHECK_ILLEGAL;
}

static enum check_step probe_on_reply(const struct check_arg *a)
{
        struct probe_state *st = a->state;
        struct wire_reply r;
        if (a->l->last_status != ENGINE_REPLY ||
            wire_reply_parse(&r, lookup_reply(a->l), a->l->reply_len) < 0) {
                st->status = LOOKUP_TIMEOUT;
                return CHECK_DONE;
        }
        st->status = (int16_t)r.rcode;
        st->ntxt = r.ancount;
        return CHECK_DONE;
}

static void probe_conclude(const struct check_arg *a, struct check_facts *f)
{
        const struct probe_state *st = a->state;
        struct probe_scratch *s = a->scratch;
        s->concluded++;
        f->status = st->status;
        /* Only an opinion on existence: posture and spoofability stay dmarc's. */
        f->exists = st->status == WIRE_RCODE_NXDOMAIN ? 0 : -1;
}

static void probe_render(const struct check_arg *a, struct jw *w)
{
        const struct probe_state *st = a->state;
        jw_obj_open(w, "probe");
        jw_cstr(w, "status", lookup_status_name(st->status));
        jw_uint(w, "answers", st->ntxt);
        jw_obj_close(w);
}

static const struct check_ops probe_check = {
    .name = "probe",
    .state_size = sizeof(struct probe_state),
    .scratch_size = sizeof(struct probe_scratch),
    .start = probe_start,
    .on_reply = probe_on_reply,
    .conclude = probe_conclude,
    .render = probe_render,
};

static const struct check_ops *const table[] = {&dmarc_check, &probe_check, NULL};

/* ---- helpers ------------------------------------------------------------------------- */

static struct tj_fx *fx_new(const char *checks, const char *domain)
{
        return tj_fx_new(checks, table, domain);
}

static void feed_dmarc(struct tj_fx *f, struct lookup *l)
{
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=reject");
        lp_feed_lookup(l, lp, 1);
        (void)f;
}

static void feed_probe(struct lookup *l)
{
        ldns_pkt *lp = lp_reply("example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "example.com", "v=spf1 -all");
        lp_txt(lp, "example.com", "site-verification=1");
        lp_feed_lookup(l, lp, 1);
}

/* Both lookups out at once; the replies come back in the order given (0: dmarc first). */
static void run_both(bool probe_first)
{
        struct tj_fx *f = fx_new("dmarc,probe", "example.com");
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        assert_int_equal(f->j.nlook, 2);
        struct lookup *dm = &f->j.look[0], *pr = &f->j.look[1];
        assert_int_equal(dm->handoff, JOB_STEP_QUERY);
        assert_int_equal(pr->handoff, JOB_STEP_QUERY);
        assert_int_equal(pr->index, 1);
        assert_ptr_equal(pr->job, &f->j);
        assert_int_equal(pr->qtype, WIRE_TYPE_TXT);
        /* the two checks' states do not overlap */
        assert_true(f->set.state_off[1] >= f->set.state_off[0] + sizeof(struct dmarc_state));

        struct lookup *first = probe_first ? pr : dm, *second = probe_first ? dm : pr;
        feed_dmarc(f, dm);
        feed_probe(pr);
        assert_int_equal(job_step(first, &f->s), JOB_STEP_DONE);
        assert_false(job_finished(first)); /* the other check is still out */
        assert_int_equal(job_step(second, &f->s), JOB_STEP_DONE);
        assert_true(job_finished(second));

        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        assert_int_equal(f->b.p[f->b.len - 1], '\n');
        /* top-level verdicts from dmarc's facts; each object in its place */
        size_t posture = tj_at(f, "\"posture\":\"reject\"");
        size_t dmarc = tj_at(f, "\"dmarc\":{\"status\":\"NOERROR\"");
        size_t probe = tj_at(f, "\"probe\":{\"status\":\"NOERROR\",\"answers\":2}");
        size_t spf = tj_at(f, "\"spf\":null");
        size_t mx = tj_at(f, "\"mx\":null");
        size_t bimi = tj_at(f, "\"bimi\":null");
        /* the contract's objects in its order (null when not enabled), then the table's own */
        assert_true(posture < dmarc && dmarc < spf && spf < mx && mx < bimi && bimi < probe);
        tj_at(f, "\"exists\":true");
        tj_at(f, "\"spoofable\":\"no\"");
        assert_int_equal(((struct probe_scratch *)f->s.check[1])->concluded, 1);
        assert_int_equal(job_outcome(&f->j, &f->s), WIRE_RCODE_NOERROR);
        tj_fx_free(f);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void t_dmarc_first(void **st)
{
        (void)st;
        run_both(false);
}

static void t_probe_first(void **st)
{
        (void)st;
        run_both(true);
}

/* The result of a check that finished on another thread (another scratch) is rebuilt from
 * the job's state when the line is written: the line is the same either way. */
static void t_conclude_on_other_scratch(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("dmarc,probe", "example.com");
        struct job_scratch other;
        assert_int_equal(job_scratch_init(&other, &f->set), 0);
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        feed_dmarc(f, &f->j.look[0]);
        feed_probe(&f->j.look[1]);
        assert_int_equal(job_step(&f->j.look[0], &other), JOB_STEP_DONE);
        assert_false(job_finished(&f->j.look[0]));
        assert_int_equal(job_step(&f->j.look[1], &f->s), JOB_STEP_DONE);
        assert_true(job_finished(&f->j.look[1]));
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        tj_at(f, "\"posture\":\"reject\"");
        tj_at(f, "\"records\":[\"v=DMARC1; p=reject\"]");
        tj_at(f, "\"location\":\"_dmarc.example.com\"");
        job_scratch_free(&other);
        tj_fx_free(f);
}

/* An input that is not OK runs no check: one lookup goes to a classifier, which finishes
 * the job; every check's object is null. */
static void t_illegal_input(void **st)
{
        (void)st;
        struct tj_fx *f = fx_new("dmarc,probe", "example.com");
        f->j.in.status = INPUT_ITEM_ILLEGAL;
        snprintf(f->j.in.error, sizeof(f->j.in.error), "empty label");
        assert_int_equal(job_start(&f->j), JOB_STEP_DONE);
        assert_int_equal(f->j.nlook, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        assert_true(job_finished(&f->j.look[0]));
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        tj_at(f, "\"dmarc\":null");
        tj_at(f, "\"probe\":null");
        tj_at(f, "\"posture\":null");
        assert_int_equal(job_outcome(&f->j, &f->s), OUTCOME_ILLEGAL);
        tj_fx_free(f);
}

static void t_parse(void **st)
{
        (void)st;
        struct check_set set;
        char err[160];
        assert_int_equal(check_set_parse(&set, "probe,dmarc,probe", table, err, sizeof(err)), 0);
        assert_int_equal(set.n, 2);
        assert_string_equal(set.ops[0]->name, "probe");
        assert_int_equal(check_set_find(&set, "dmarc"), 1);
        assert_int_equal(check_set_find(&set, "bimi"), -1);
        assert_int_equal(check_set_parse(&set, "dmarc,nope", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "--checks: unknown check 'nope' (known: dmarc, probe)");
        assert_int_equal(check_set_parse(&set, "dnssec", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "--checks: unknown check 'dnssec' (known: dmarc, probe)");
        assert_int_equal(check_set_parse(&set, ",", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "--checks: empty list");
        /* the scan's own table */
        assert_int_equal(check_set_parse(&set, "dmarc", check_registry, err, sizeof(err)), 0);
        assert_int_equal(check_set_parse(&set, "probe", check_registry, err, sizeof(err)), -EINVAL);
        /* "all": every registered check, in the registry's order; a hyphen for '_' */
        assert_int_equal(check_set_parse(&set, "tls-rpt,all", check_registry, err, sizeof(err)), 0);
        unsigned nreg = 0;
        while (check_registry[nreg])
                nreg++;
        assert_int_equal(set.n, nreg);
        assert_true(set.reads_ad); /* dnssec is among them: the job counts AD bits */
        assert_string_equal(set.ops[0]->name, "tls_rpt");
        assert_string_equal(set.ops[1]->name, "dmarc");
        /* the line's objects: the contract's order whatever --checks says; the others null
         * unless enabled */
        assert_int_equal(check_set_parse(&set, "dmarc", check_registry, err, sizeof(err)), 0);
        assert_int_equal(set.nobj, nreg);
        assert_false(set.reads_ad); /* no check reads AD bits: no name compared per reply */
        assert_string_equal(set.obj_name[0], "dmarc");
        assert_int_equal(set.obj_check[0], 0);
        assert_string_equal(set.obj_name[1], "spf");
        assert_int_equal(set.obj_check[1], -1);
        assert_string_equal(set.obj_name[2], "mx");
        assert_int_equal(set.obj_check[2], -1);
        assert_string_equal(set.obj_name[set.nobj - 1], "dnssec");
        assert_int_equal(set.obj_check[set.nobj - 1], -1);
        assert_int_equal(check_set_parse(&set, "mx,dmarc", check_registry, err, sizeof(err)), 0);
        assert_int_equal(set.nobj, 8); /* the contract's objects */
        assert_string_equal(set.obj_name[0], "dmarc");
        assert_int_equal(set.obj_check[0], 1);
        assert_string_equal(set.obj_name[2], "mx");
        assert_int_equal(set.obj_check[2], 0);
        /* a table check left out of --checks still has its (null) object */
        assert_int_equal(check_set_parse(&set, "probe", table, err, sizeof(err)), 0);
        assert_string_equal(set.obj_name[0], "dmarc");
        assert_int_equal(set.obj_check[0], -1);
        assert_string_equal(set.obj_name[set.nobj - 1], "probe"); /* after the contract's */
        assert_int_equal(set.obj_check[set.nobj - 1], 0);
}

/* The objects of checks not enabled, each `,"name":null`, joined in runs: a run starting at
 * any of its objects covers exactly the not-enabled objects from there to the next enabled
 * one, in object order. */
static void assert_null_runs(const struct check_set *set)
{
        for (unsigned k = 0; k < set->nobj; k++) {
                if (set->obj_check[k] >= 0) {
                        assert_int_equal(set->null_next[k], 0);
                        continue;
                }
                char want[sizeof(set->null_text)] = "";
                unsigned end = k;
                while (end < set->nobj && set->obj_check[end] < 0) {
                        size_t used = strlen(want);
                        snprintf(want + used, sizeof(want) - used, ",\"%s\":null",
                                 set->obj_name[end]);
                        end++;
                }
                assert_int_equal(set->null_next[k], end);
                assert_int_equal(set->null_end[k] - set->null_off[k], strlen(want));
                assert_memory_equal(set->null_text + set->null_off[k], want, strlen(want));
        }
}

static void t_null_runs(void **st)
{
        (void)st;
        struct check_set set;
        char err[160];
        static const char *const lists[] = {"dmarc", "mx,dmarc", "spf", "dnssec", "all"};
        for (unsigned i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
                assert_int_equal(check_set_parse(&set, lists[i], check_registry, err, sizeof(err)),
                                 0);
                assert_null_runs(&set);
        }
        assert_int_equal(check_set_parse(&set, "dmarc", check_registry, err, sizeof(err)), 0);
        assert_string_equal(set.null_text + set.null_off[1], ",\"spf\":null,\"mx\":null,"
                                                             "\"mta_sts\":null,\"tls_rpt\":null,"
                                                             "\"bimi\":null,\"dkim\":null,"
                                                             "\"dnssec\":null");
        assert_int_equal(check_set_parse(&set, "probe", table, err, sizeof(err)), 0);
        assert_int_equal(check_set_add(&set, "dmarc", table, err, sizeof(err)), 0);
        assert_null_runs(&set); /* laid out again after an add */
}

/* check_set_add (what --profile uses): appends after --checks, once, and lays the line's
 * objects out again; the same errors as --checks, without its prefix. */
static void t_add(void **st)
{
        (void)st;
        struct check_set set;
        char err[160];
        assert_int_equal(check_set_parse(&set, "probe", table, err, sizeof(err)), 0);
        assert_int_equal(check_set_add(&set, "dmarc", table, err, sizeof(err)), 0);
        assert_int_equal(check_set_add(&set, "probe", table, err, sizeof(err)), 0);
        assert_int_equal(set.n, 2);
        assert_string_equal(set.ops[0]->name, "probe");
        assert_string_equal(set.ops[1]->name, "dmarc");
        assert_true(set.state_off[1] >= probe_check.state_size);
        assert_string_equal(set.obj_name[0], "dmarc");
        assert_int_equal(set.obj_check[0], 1);
        assert_string_equal(set.obj_name[set.nobj - 1], "probe");
        assert_int_equal(set.obj_check[set.nobj - 1], 0);
        assert_int_equal(check_set_add(&set, "dnssec", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "unknown check 'dnssec' (known: dmarc, probe)");
        assert_int_equal(check_set_add(&set, "nope", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "unknown check 'nope' (known: dmarc, probe)");
        assert_int_equal(set.n, 2);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_dmarc_first),
            cmocka_unit_test(t_probe_first),
            cmocka_unit_test(t_conclude_on_other_scratch),
            cmocka_unit_test(t_illegal_input),
            cmocka_unit_test(t_parse),
            cmocka_unit_test(t_add),
            cmocka_unit_test(t_null_runs),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

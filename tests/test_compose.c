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

struct fx {
        struct check_set set;
        struct job j;
        struct job_scratch s;
        struct jbuf b;
        struct ndjson_clock clock;
        struct line_opts o;
};

static struct fx *fx_new(const char *checks, const char *domain)
{
        char err[160];
        struct fx *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(check_set_parse(&f->set, checks, table, err, sizeof(err)), 0);
        assert_int_equal(job_init(&f->j, &f->set, NULL), 0);
        assert_int_equal(job_scratch_init(&f->s, &f->set), 0);
        jbuf_init(&f->b);
        f->j.in.line = 1;
        f->j.in.rank = -1;
        f->j.in.status = INPUT_ITEM_OK;
        snprintf(f->j.in.domain, sizeof(f->j.in.domain), "%s", domain);
        snprintf(f->j.in.raw, sizeof(f->j.in.raw), "%s", domain);
        return f;
}

static void fx_free(struct fx *f)
{
        job_free(&f->j);
        job_scratch_free(&f->s);
        jbuf_free(&f->b);
        free(f);
}

static void feed_dmarc(struct fx *f, struct lookup *l)
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

/* Position of needle in the line; fails when absent. */
static size_t at(const struct fx *f, const char *needle)
{
        const char *p = strstr(f->b.p, needle);
        if (!p)
                fail_msg("%s not in %.*s", needle, (int)f->b.len, f->b.p);
        return (size_t)(p - f->b.p);
}

/* Both lookups out at once; the replies come back in the order given (0: dmarc first). */
static void run_both(bool probe_first)
{
        struct fx *f = fx_new("dmarc,probe", "example.com");
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
        size_t posture = at(f, "\"posture\":\"reject\"");
        size_t dmarc = at(f, "\"dmarc\":{\"status\":\"NOERROR\"");
        size_t probe = at(f, "\"probe\":{\"status\":\"NOERROR\",\"answers\":2}");
        size_t mx = at(f, "\"mx\":null");
        /* the table's order, then the planned objects the table lacks */
        assert_true(posture < dmarc && dmarc < probe && probe < mx);
        at(f, "\"exists\":true");
        at(f, "\"spoofable\":\"no\"");
        assert_int_equal(((struct probe_scratch *)f->s.check[1])->concluded, 1);
        assert_int_equal(job_outcome(&f->j, &f->s), WIRE_RCODE_NOERROR);
        fx_free(f);
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
        struct fx *f = fx_new("dmarc,probe", "example.com");
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
        at(f, "\"posture\":\"reject\"");
        at(f, "\"records\":[\"v=DMARC1; p=reject\"]");
        at(f, "\"location\":\"_dmarc.example.com\"");
        job_scratch_free(&other);
        fx_free(f);
}

/* An input that is not OK runs no check: one lookup goes to a classifier, which finishes
 * the job; every check's object is null. */
static void t_illegal_input(void **st)
{
        (void)st;
        struct fx *f = fx_new("dmarc,probe", "example.com");
        f->j.in.status = INPUT_ITEM_ILLEGAL;
        snprintf(f->j.in.error, sizeof(f->j.in.error), "empty label");
        assert_int_equal(job_start(&f->j), JOB_STEP_DONE);
        assert_int_equal(f->j.nlook, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        assert_true(job_finished(&f->j.look[0]));
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        at(f, "\"dmarc\":null");
        at(f, "\"probe\":null");
        at(f, "\"posture\":null");
        assert_int_equal(job_outcome(&f->j, &f->s), OUTCOME_ILLEGAL);
        fx_free(f);
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
        assert_int_equal(check_set_find(&set, "mx"), -1);
        assert_int_equal(check_set_parse(&set, "dmarc,nope", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "--checks: unknown check 'nope' (known: dmarc, probe)");
        assert_int_equal(check_set_parse(&set, "mx", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "--checks: 'mx' is not implemented yet (dmarc, probe is)");
        assert_int_equal(check_set_parse(&set, ",", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "--checks: empty list");
        /* the scan's own table: dmarc and spf, so far */
        assert_int_equal(check_set_parse(&set, "dmarc", check_registry, err, sizeof(err)), 0);
        assert_int_equal(check_set_parse(&set, "probe", check_registry, err, sizeof(err)), -EINVAL);
        /* the line's objects: dmarc (check 0), spf (not enabled), then mx (null until it
         * exists) */
        assert_int_equal(check_set_parse(&set, "dmarc", check_registry, err, sizeof(err)), 0);
        assert_int_equal(set.nobj, 3);
        assert_string_equal(set.obj_name[0], "dmarc");
        assert_int_equal(set.obj_check[0], 0);
        assert_string_equal(set.obj_name[1], "spf");
        assert_int_equal(set.obj_check[1], -1);
        assert_string_equal(set.obj_name[2], "mx");
        assert_int_equal(set.obj_check[2], -1);
        /* a table check left out of --checks still has its (null) object */
        assert_int_equal(check_set_parse(&set, "probe", table, err, sizeof(err)), 0);
        assert_int_equal(set.nobj, 3);
        assert_string_equal(set.obj_name[0], "dmarc");
        assert_int_equal(set.obj_check[0], -1);
        assert_string_equal(set.obj_name[1], "probe");
        assert_int_equal(set.obj_check[1], 0);
        assert_string_equal(set.obj_name[2], "mx");
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
        assert_int_equal(set.obj_check[1], 0);
        assert_int_equal(check_set_add(&set, "mx", table, err, sizeof(err)), -EINVAL);
        assert_string_equal(err, "'mx' is not implemented yet (dmarc, probe is)");
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
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

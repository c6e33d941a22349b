/* test_summary.c -- the summary's aggregator (scanner/summary.h) on synthetic concluded
 * jobs: two thread summaries merged equal one summary of all the lines; rank-bucket edges;
 * the aggregates of a check that did not run are absent, those of one that found nothing are
 * zero; a small set of lines counted by hand; TLDs past the table's size are counted as
 * unlisted. The mx check is stood in for by a check named "mx" (the summary reads it
 * through its facts alone). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "output/json.h"
#include "scanner/dmarc/check.h"
#include "scanner/job.h"
#include "scanner/spf/check.h"
#include "scanner/summary.h"

static const struct check_ops fake_mx = {.name = "mx", .scratch_size = 1};
static const struct check_ops *const table[] = {&dmarc_check, &spf_check, &fake_mx, NULL};

/* One concluded job, as line_write leaves it. */
struct fx {
        struct check_set set;
        struct job j;
        struct job_scratch s;
        int dmarc, spf, mx;
};

static struct fx *fx_new(const char *checks)
{
        char err[160];
        struct fx *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(check_set_parse(&f->set, checks, table, err, sizeof(err)), 0);
        assert_int_equal(job_scratch_init(&f->s, &f->set), 0);
        f->j.set = &f->set;
        f->dmarc = check_set_find(&f->set, "dmarc");
        f->spf = check_set_find(&f->set, "spf");
        f->mx = check_set_find(&f->set, "mx");
        return f;
}

static void fx_free(struct fx *f)
{
        job_scratch_free(&f->s);
        free(f);
}

/* What a synthetic line says. */
struct spec {
        enum input_status status;
        const char *domain, *sector;
        int64_t rank;
        int posture, exists, spoofable, dmarc_status;
        bool enforcing, partial;
        enum dmarc_policy p, sp, np;
        unsigned rua, ruf, nrecv;
        const char *org[3];
        int8_t external[3];
        uint8_t auth[3];
        bool spf_record, all_known, permissive, too_many;
        int spf_status;
        enum spf_result spf_result;
        enum spf_all all;
        int mail, mx_status;
};

/* The receivers a result points to: one result is summarized at a time. */
static struct receiver recv_buf[3];

static void set_dmarc(struct dmarc_result *d, const struct spec *sp)
{
        d->status = sp->dmarc_status;
        d->v.posture = (enum posture)sp->posture;
        d->rec.p = sp->p;
        d->rec.sp = sp->sp;
        d->rec.np = sp->np;
        d->rec.rua_count = sp->rua;
        d->rec.ruf_count = sp->ruf;
        d->nrecv = sp->nrecv;
        d->recv = recv_buf;
        for (unsigned i = 0; i < sp->nrecv; i++) {
                d->recv[i].org = sp->org[i];
                d->recv[i].external = sp->external[i];
                d->recv[i].auth = sp->auth[i];
        }
}

static void set_spf(struct spf_eval *e, const struct spec *sp)
{
        e->status = sp->spf_status;
        e->result = sp->spf_result;
        e->all = sp->all;
        e->all_known = sp->all_known;
        e->permissive = sp->permissive;
        e->held_len = sp->spf_record ? 20 : 0;
        e->parsed = false;
        e->nissues = sp->too_many ? 1 : 0;
        e->issues[0] = (struct spf_tree_issue){.code = "too_many_lookups", .error = true};
}

static void fx_line(struct fx *f, const struct spec *sp)
{
        struct input_item *in = &f->j.in;
        in->status = sp->status;
        snprintf(in->domain, sizeof(in->domain), "%s",
                 sp->status == INPUT_ITEM_ILLEGAL ? "" : sp->domain);
        in->rank = sp->rank;
        in->sector = sp->sector;
        f->s.top = (struct toplevel){.known = sp->status == INPUT_ITEM_OK,
                                     .exists = (int8_t)sp->exists,
                                     .posture = (int8_t)sp->posture,
                                     .enforcing = sp->enforcing,
                                     .partial = sp->partial,
                                     .spoofable = (int8_t)sp->spoofable};
        if (f->dmarc >= 0)
                set_dmarc(&((struct dmarc_scratch *)f->s.check[f->dmarc])->dmarc, sp);
        if (f->spf >= 0)
                set_spf(&((struct spf_scratch *)f->s.check[f->spf])->spf, sp);
        if (f->mx >= 0) {
                f->s.facts[f->mx].mail = (int8_t)sp->mail;
                f->s.facts[f->mx].status = sp->mx_status;
        }
}

/* A deterministic variety of lines: every status, posture, spf and mail class, TLDs,
 * ranks across the buckets, sectors, receivers from a few organizations. */
static void gen(unsigned i, struct spec *sp, char *domain, size_t cap)
{
        static const char *const tlds[] = {"com", "org", "gov", "example"};
        static const char *const sectors[] = {"Federal", "State", "City"};
        static const char *const orgs[] = {"vendor-a.example", "vendor-b.example", "own.example"};
        static const int64_t ranks[] = {-1,    1,      1000,   1001,    10000,
                                        10001, 100000, 100001, 1000000, 1000001};
        uint32_t r = i * 2654435761u;
        snprintf(domain, cap, "d%u.%s", i, tlds[(r >> 3) % 4]);
        memset(sp, 0, sizeof(*sp));
        sp->status = i % 17 == 0   ? INPUT_ITEM_ILLEGAL
                     : i % 13 == 0 ? INPUT_ITEM_EXCLUDED
                                   : INPUT_ITEM_OK;
        sp->domain = domain;
        sp->rank = ranks[(r >> 5) % 10];
        sp->sector = (r >> 9) % 4 ? sectors[(r >> 11) % 3] : NULL;
        sp->posture = (int)((r >> 13) % 6);
        sp->exists = (int)((r >> 16) % 3) - 1;
        sp->spoofable = (int)((r >> 18) % 5);
        sp->enforcing = sp->posture <= POSTURE_QUARANTINE && (r >> 21) % 4;
        sp->partial = sp->posture <= POSTURE_QUARANTINE && (r >> 23) % 3 == 0;
        sp->dmarc_status = (r >> 25) % 5 ? 0 : (r >> 25) % 2 ? 3 : LOOKUP_TIMEOUT;
        sp->p = (enum dmarc_policy)((r >> 4) % 3);
        sp->sp = (enum dmarc_policy)((r >> 6) % 3);
        sp->np = (enum dmarc_policy)((r >> 8) % 3);
        sp->rua = (r >> 10) % 2;
        sp->ruf = (r >> 12) % 3 == 0;
        sp->nrecv = sp->posture <= POSTURE_NONE ? (r >> 14) % 4 : 0;
        for (unsigned k = 0; k < sp->nrecv; k++) {
                sp->org[k] = orgs[(r >> (15 + k)) % 3];
                sp->external[k] = sp->org[k] == orgs[2] ? TRI_NO : TRI_YES;
                sp->auth[k] = (r >> (17 + k)) % 2 ? AUTH_AUTHORIZED : AUTH_NOT_AUTHORIZED;
        }
        sp->spf_record = (r >> 19) % 3 != 0;
        sp->spf_result = sp->spf_record ? (enum spf_result)((r >> 20) % 4) : SPF_RESULT_NONE;
        sp->all_known = (r >> 22) % 4 != 0;
        sp->all = (enum spf_all)((r >> 24) % 5);
        sp->permissive = (r >> 26) % 2;
        sp->too_many = (r >> 27) % 5 == 0;
        sp->spf_status = (r >> 28) % 7 ? 0 : 2;
        sp->mail = (int)((r >> 29) % 5);
        sp->mx_status = sp->mail == MAIL_FACT_NXDOMAIN ? 3 : sp->mail == MAIL_FACT_ERROR ? 2 : 0;
}

static char *render(const struct summary *s)
{
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        summary_render(&w, s);
        jw_end(&w);
        jbuf_raw(&b, "", 1); /* a NUL for the string functions */
        return b.p;
}

static void test_merge_equals_one(void **state)
{
        (void)state;
        enum { LINES = 5000 };
        struct fx *f = fx_new("dmarc,spf,mx");
        struct summary one, a, b, merged;
        struct spec sp;
        char domain[64];
        assert_int_equal(summary_init(&one, &f->set, true), 0);
        assert_int_equal(summary_init(&a, &f->set, true), 0);
        assert_int_equal(summary_init(&b, &f->set, true), 0);
        for (unsigned i = 0; i < LINES; i++) {
                gen(i, &sp, domain, sizeof(domain));
                fx_line(f, &sp);
                summary_add(&one, &f->j, &f->s);
                summary_add(i % 3 ? &a : &b, &f->j, &f->s);
        }
        assert_int_equal(summary_init(&merged, &f->set, true), 0);
        summary_merge(&merged, &b);
        summary_merge(&merged, &a);
        char *x = render(&one), *y = render(&merged);
        assert_string_equal(x, y);
        assert_non_null(strstr(x, "\"by_rank_bucket\":{\"1-1k\":"));
        assert_non_null(strstr(x, "\"by_sector\":{\"City\":"));
        assert_non_null(strstr(x, "\"receivers\":{\"exact\":true,"));
        assert_int_equal(one.all.c[SC_OK] + one.all.c[SC_ILLEGAL] + one.all.c[SC_EXCLUDED], LINES);
        free(x);
        free(y);
        summary_free(&one);
        summary_free(&a);
        summary_free(&b);
        summary_free(&merged);
        fx_free(f);
}

static void test_rank_buckets(void **state)
{
        (void)state;
        static const struct {
                int64_t rank;
                unsigned bucket;
        } edges[] = {{1, 0},      {1000, 0},   {1001, 1},    {10000, 1},   {10001, 2},
                     {100000, 2}, {100001, 3}, {1000000, 3}, {1000001, 4}, {INT64_MAX, 4}};
        for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
                assert_int_equal(summary_rank_bucket(edges[i].rank), edges[i].bucket);
        assert_string_equal(summary_rank_bucket_name(0), "1-1k");
        assert_string_equal(summary_rank_bucket_name(4), ">1M");
        assert_null(summary_rank_bucket_name(5));
}

static struct spec ok_line(const char *domain)
{
        return (struct spec){.status = INPUT_ITEM_OK,
                             .domain = domain,
                             .rank = -1,
                             .posture = POSTURE_MISSING,
                             .exists = TRI_UNKNOWN,
                             .spoofable = SPOOF_YES,
                             .dmarc_status = 3};
}

/* Checks that did not run leave no trace; one that ran and found nothing gives zeros. */
static void test_absent_versus_zero(void **state)
{
        (void)state;
        struct fx *f = fx_new("dmarc");
        struct summary s;
        struct spec sp = ok_line("a.com");
        assert_int_equal(summary_init(&s, &f->set, false), 0);
        fx_line(f, &sp);
        summary_add(&s, &f->j, &f->s);
        char *out = render(&s);
        assert_null(strstr(out, "\"spf\""));
        assert_null(strstr(out, "\"mx\""));
        assert_null(strstr(out, "\"resolving\""));
        assert_null(strstr(out, "\"by_rank_bucket\""));
        assert_null(strstr(out, "\"by_sector\""));
        assert_non_null(
            strstr(out, "\"dns_status\":{\"dmarc\":{\"NXDOMAIN\":{\"n\":1,\"total\":1}}}"));
        free(out);
        summary_free(&s);
        fx_free(f);

        f = fx_new("dmarc,spf");
        assert_int_equal(summary_init(&s, &f->set, true), 0);
        fx_line(f, &sp);
        summary_add(&s, &f->j, &f->s);
        out = render(&s);
        assert_non_null(strstr(out, "\"spf\":{\"record\":{\"n\":0,\"total\":1},"));
        assert_non_null(strstr(out, "\"resolving\":{\"n\":0,\"total\":1}"));
        assert_non_null(strstr(out, "\"by_sector\":{}"));
        assert_null(strstr(out, "\"mx\""));
        free(out);
        summary_free(&s);
        fx_free(f);
}

/* Three lines counted by hand. */
static void test_counts(void **state)
{
        (void)state;
        struct fx *f = fx_new("dmarc,spf");
        struct summary s;
        assert_int_equal(summary_init(&s, &f->set, false), 0);
        struct spec a = ok_line("a.com"), b = ok_line("b.org"), c = ok_line("");
        a.posture = POSTURE_REJECT;
        a.enforcing = true;
        a.exists = TRI_YES;
        a.p = DMARC_POLICY_REJECT;
        a.sp = DMARC_POLICY_NONE;
        a.np = DMARC_POLICY_REJECT;
        a.rua = 1;
        a.nrecv = 2;
        a.org[0] = "vendor.example";
        a.external[0] = TRI_YES;
        a.auth[0] = AUTH_AUTHORIZED;
        a.org[1] = "vendor.example";
        a.external[1] = TRI_YES;
        a.auth[1] = AUTH_NOT_AUTHORIZED;
        a.spf_record = true;
        a.spf_result = SPF_RESULT_OK;
        a.all_known = true;
        a.all = SPF_ALL_FAIL;
        a.dmarc_status = 0;
        b.exists = TRI_YES;
        c.status = INPUT_ITEM_ILLEGAL;
        c.rank = 5;
        fx_line(f, &a);
        summary_add(&s, &f->j, &f->s);
        fx_line(f, &b);
        summary_add(&s, &f->j, &f->s);
        fx_line(f, &c);
        summary_add(&s, &f->j, &f->s);
        char *out = render(&s);
        static const char *const want[] = {
            "{\"statuses\":{\"OK\":2,\"ILLEGAL_INPUT\":1,\"EXCLUDED\":0},"
            "\"totals\":{\"lines\":3,\"domains\":3,\"scanned\":2,\"publishers\":1},",
            "\"funnel\":{\"domains\":{\"n\":2,\"total\":3},\"resolving\":{\"n\":2,\"total\":2},"
            "\"spf\":{\"n\":1,\"total\":2},\"dmarc_record\":{\"n\":1,\"total\":1},"
            "\"valid\":{\"n\":1,\"total\":1},\"enforcing\":{\"n\":1,\"total\":1},"
            "\"reject\":{\"n\":1,\"total\":1}}",
            "\"posture\":{\"reject\":{\"n\":1,\"total\":2},",
            "\"missing\":{\"n\":1,\"total\":2}",
            "\"sp_weaker\":{\"n\":1,\"total\":1},\"np_weaker\":{\"n\":0,\"total\":1}",
            "\"external\":{\"n\":1,\"total\":1},\"external_authorized\":{\"n\":0,\"total\":1},"
            "\"external_not_authorized\":{\"n\":1,\"total\":1}",
            /* one line naming the organization twice counts once */
            "\"receivers\":{\"exact\":true,\"top\":[{\"org\":\"vendor.example\",\"n\":1,"
            "\"total\":1,\"error\":0}]}",
            "\"all\":{\"null\":{\"n\":0,\"total\":1},\"pass\":{\"n\":0,\"total\":1},"
            "\"fail\":{\"n\":1,\"total\":1}",
            /* the illegal line is in its rank bucket, in no TLD */
            "\"by_tld\":{\"com\":{\"statuses\":{\"OK\":1,",
            "\"org\":{\"statuses\":{\"OK\":1,",
            "\"by_rank_bucket\":{\"1-1k\":{\"statuses\":{\"OK\":0,\"ILLEGAL_INPUT\":1,",
            "\"unlisted\":{\"by_tld\":0}}",
        };
        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
                if (!strstr(out, want[i]))
                        fail_msg("missing %s in %s", want[i], out);
        free(out);
        summary_free(&s);
        fx_free(f);
}

static void test_unlisted_tlds(void **state)
{
        (void)state;
        struct fx *f = fx_new("dmarc");
        struct summary s, merged;
        char domain[64];
        assert_int_equal(summary_init(&s, &f->set, false), 0);
        for (unsigned i = 0; i < SUMMARY_GROUPS_MAX + 5; i++) {
                snprintf(domain, sizeof(domain), "x.t%u", i);
                struct spec sp = ok_line(domain);
                fx_line(f, &sp);
                summary_add(&s, &f->j, &f->s);
        }
        assert_int_equal(s.tld.n, SUMMARY_GROUPS_MAX);
        assert_int_equal(s.tld.unlisted, 5);
        /* Merged into a table that already holds other TLDs: the ones that no longer fit
         * are unlisted too, with all their lines. */
        assert_int_equal(summary_init(&merged, &f->set, false), 0);
        struct spec sp = ok_line("y.other");
        fx_line(f, &sp);
        summary_add(&merged, &f->j, &f->s);
        summary_merge(&merged, &s);
        assert_int_equal(merged.tld.n, SUMMARY_GROUPS_MAX);
        assert_int_equal(merged.tld.unlisted, 6);
        assert_int_equal(merged.all.c[SC_OK], SUMMARY_GROUPS_MAX + 6);
        summary_free(&s);
        summary_free(&merged);
        fx_free(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_merge_equals_one),   cmocka_unit_test(test_rank_buckets),
            cmocka_unit_test(test_absent_versus_zero), cmocka_unit_test(test_counts),
            cmocka_unit_test(test_unlisted_tlds),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test_discovery.c -- unit tests of scanner/dmarc/discovery.c and scanner/dmarc/psl.c: the RFC 9989
 * tree walk order for names of 1 to 12 labels (the >= 8 label shortcut, the 8-query cap,
 * the RFC's own examples), the walk's stops at psd=y / psd=n, the choice of the record that
 * applies and of the organizational domain (RFC 9989 4.10.1, 4.10.2), RFC 7489 discovery by
 * the Public Suffix List (the system list and a --psl-file list with its date). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "scanner/dmarc/discovery.h"
#include "scanner/dmarc/psl.h"

/* ---- helpers -------------------------------------------------------------------------- */

/* "l12.l11....l1" with n labels. */
static void labels_name(char *out, size_t cap, unsigned n)
{
        size_t used = 0;
        out[0] = 0;
        for (unsigned i = n; i >= 1; i--)
                used += (size_t)snprintf(out + used, cap - used, "l%u%s", i, i > 1 ? "." : "");
}

static void assert_plan(const struct discovery_ctx *c, const char *domain, const char *const *want,
                        unsigned nwant)
{
        uint8_t off[DISCOVERY_WALK_MAX];
        unsigned n = discovery_plan(c, domain, off);
        if (n != nwant)
                fail_msg("%s: %u names, want %u", domain, n, nwant);
        for (unsigned i = 0; i < n; i++)
                if (strcmp(domain + off[i], want[i]) != 0)
                        fail_msg("%s: name %u is %s, want %s", domain, i, domain + off[i], want[i]);
}

/* ---- names ---------------------------------------------------------------------------- */

static void t_labels(void **st)
{
        (void)st;
        assert_int_equal(discovery_labels(""), 0);
        assert_int_equal(discovery_labels("com"), 1);
        assert_int_equal(discovery_labels("example.com"), 2);
        assert_int_equal(discovery_labels("a.b.example.co.uk"), 5);
        assert_int_equal(discovery_one_below("a.b.example.com", 0), 0);
        /* below "com" (offset 12) on the way to a.b.example.com is example.com (offset 4) */
        assert_int_equal(discovery_one_below("a.b.example.com", 12), 4);
        assert_int_equal(discovery_one_below("a.b.example.com", 4), 2);
        assert_int_equal(discovery_one_below("a.b.example.com", 2), 0);
        assert_int_equal(discovery_one_below("example.com", 8), 0);
}

static void t_modes(void **st)
{
        (void)st;
        enum discovery_mode m;
        assert_int_equal(discovery_mode_parse("tree", &m), 0);
        assert_int_equal(m, DISCOVERY_TREE);
        assert_int_equal(discovery_mode_parse("rfc7489", &m), 0);
        assert_int_equal(m, DISCOVERY_RFC7489);
        assert_int_equal(discovery_mode_parse("exact", &m), 0);
        assert_int_equal(m, DISCOVERY_EXACT);
        assert_int_equal(discovery_mode_parse("Tree", &m), -1);
        assert_int_equal(discovery_mode_parse("", &m), -1);
        assert_string_equal(discovery_mode_name(DISCOVERY_TREE), "tree");
        assert_string_equal(discovery_mode_name(DISCOVERY_RFC7489), "rfc7489");
        assert_string_equal(discovery_mode_name(DISCOVERY_EXACT), "exact");
        assert_string_equal(discovery_how_name(HOW_EXACT), "exact");
        assert_string_equal(discovery_how_name(HOW_TREE_WALK), "tree_walk");
        assert_string_equal(discovery_how_name(HOW_PSL_ORG), "psl_org");
        assert_null(discovery_how_name(HOW_NONE));
}

/* ---- the tree walk plan --------------------------------------------------------------- */

static void t_plan_1_to_12(void **st)
{
        (void)st;
        struct discovery_ctx tree = {.mode = DISCOVERY_TREE};
        char name[128];
        for (unsigned x = 1; x <= 12; x++) {
                labels_name(name, sizeof(name), x);
                uint8_t off[DISCOVERY_WALK_MAX];
                unsigned n = discovery_plan(&tree, name, off);
                /* x <= 8: every name down to the TLD; x >= 9: 1 + 7 (the 8-query cap) */
                unsigned want = x <= 8 ? x : 8;
                if (n != want)
                        fail_msg("%u labels: %u queries, want %u", x, n, want);
                assert_int_equal(off[0], 0);
                for (unsigned i = 1; i < n; i++) {
                        /* after the first query: 7 labels when x >= 8, else x - 1; then one less
                         * each time, down to 1 */
                        unsigned keep = (x >= 8 ? 7 : x - 1) - (i - 1);
                        if (discovery_labels(name + off[i]) != keep)
                                fail_msg("%u labels, query %u: %s has %u labels, want %u", x, i,
                                         name + off[i], discovery_labels(name + off[i]), keep);
                }
                assert_int_equal(discovery_labels(name + off[n - 1]), 1);
        }
}

static void t_plan_rfc_examples(void **st)
{
        (void)st;
        struct discovery_ctx tree = {.mode = DISCOVERY_TREE};
        /* RFC 9989 4.10 */
        static const char *const deep[] = {"a.b.c.d.e.f.g.h.i.j.mail.example.com",
                                           "g.h.i.j.mail.example.com",
                                           "h.i.j.mail.example.com",
                                           "i.j.mail.example.com",
                                           "j.mail.example.com",
                                           "mail.example.com",
                                           "example.com",
                                           "com"};
        assert_plan(&tree, deep[0], deep, 8);
        /* RFC 9989 5.1.8: the zone cut b.c.d.e.f.g.example.com is never asked */
        static const char *const cut[] = {"mail.a.b.c.d.e.f.g.example.com",
                                          "c.d.e.f.g.example.com",
                                          "d.e.f.g.example.com",
                                          "e.f.g.example.com",
                                          "f.g.example.com",
                                          "g.example.com",
                                          "example.com",
                                          "com"};
        assert_plan(&tree, cut[0], cut, 8);
        static const char *const two[] = {"example.com", "com"};
        assert_plan(&tree, "example.com", two, 2);
        /* exact, and no context at all, ask the domain only */
        struct discovery_ctx exact = {.mode = DISCOVERY_EXACT};
        assert_plan(&exact, "a.b.example.com", (const char *const[]){"a.b.example.com"}, 1);
        assert_plan(NULL, "a.b.example.com", (const char *const[]){"a.b.example.com"}, 1);
        /* rfc7489 without a PSL has no organizational domain */
        struct discovery_ctx nopsl = {.mode = DISCOVERY_RFC7489};
        assert_plan(&nopsl, "a.b.example.com", (const char *const[]){"a.b.example.com"}, 1);
}

/* ---- the walk: feeding and the outcome ------------------------------------------------ */

struct feed {
        enum walk_kind k;
        enum dmarc_psd psd;
        unsigned want; /* walk_feed result bits */
};

struct walk_case {
        const char *what;
        enum discovery_mode mode;
        const char *domain;
        struct feed f[DISCOVERY_WALK_MAX];
        unsigned nfeed;
        int psl_org;
        int applied, reported;
        bool invalid;
        const char *org; /* NULL: unknown */
        enum discovery_how how;
};

#define NONE_                                                                                      \
        {                                                                                          \
                WALK_NONE, DMARC_PSD_U, 0                                                          \
        }
#define U                                                                                          \
        {                                                                                          \
                WALK_RECORD, DMARC_PSD_U, 0                                                        \
        }

static void run_walk_case(const struct walk_case *c)
{
        struct discovery_ctx ctx = {.mode = c->mode};
        uint8_t off[DISCOVERY_WALK_MAX];
        unsigned n = discovery_plan(&ctx, c->domain, off);
        if (c->mode == DISCOVERY_RFC7489 && c->psl_org > 0)
                off[n++] = (uint8_t)c->psl_org; /* the plan a PSL would give */
        struct walk w;
        walk_init(&w, c->mode);
        for (unsigned i = 0; i < c->nfeed; i++) {
                if (w.done)
                        fail_msg("%s: walk done before name %u", c->what, i);
                unsigned r = walk_feed(&w, c->domain, off, n, i, c->f[i].k, c->f[i].psd);
                if (r != c->f[i].want)
                        fail_msg("%s: name %u (%s): feed gave %u, want %u", c->what, i,
                                 c->domain + off[i], r, c->f[i].want);
        }
        if (!w.done)
                fail_msg("%s: walk not done after %u names", c->what, c->nfeed);
        struct walk_outcome o;
        walk_result(&w, c->domain, off, c->psl_org, false, &o);
        const char *org = o.org_off >= 0 ? c->domain + o.org_off : NULL;
        if (o.applied != c->applied || o.reported != c->reported || o.invalid != c->invalid ||
            o.how != c->how || (org == NULL) != (c->org == NULL) ||
            (org && strcmp(org, c->org) != 0))
                fail_msg("%s: applied %d reported %d invalid %d org %s how %d; want %d %d %d %s %d",
                         c->what, o.applied, o.reported, o.invalid, org ? org : "(unknown)", o.how,
                         c->applied, c->reported, c->invalid, c->org ? c->org : "(unknown)",
                         c->how);
        /* a record that applies or is reported is the one held (or the domain's status) */
        if ((o.applied >= 0 || o.invalid) && w.held != o.reported)
                fail_msg("%s: held %d, reported %d", c->what, w.held, o.reported);
}

static void t_walk_tree(void **st)
{
        (void)st;
        const unsigned H = WALK_HOLD, S = WALK_STOP;
        const struct walk_case cases[] = {
            {"own record, nothing above",
             DISCOVERY_TREE,
             "example.com",
             {{WALK_RECORD, DMARC_PSD_U, H}, {WALK_NONE, DMARC_PSD_U, S}},
             2,
             -1,
             0,
             0,
             false,
             "example.com",
             HOW_EXACT},
            {"own record, a parent's too: the parent is the organization",
             DISCOVERY_TREE,
             "mail.example.com",
             {{WALK_RECORD, DMARC_PSD_U, H}, U, {WALK_NONE, DMARC_PSD_U, S}},
             3,
             -1,
             0,
             0,
             false,
             "example.com",
             HOW_EXACT},
            {"own record psd=n stops at once",
             DISCOVERY_TREE,
             "mail.example.com",
             {{WALK_RECORD, DMARC_PSD_N, H | S}},
             1,
             -1,
             0,
             0,
             false,
             "mail.example.com",
             HOW_EXACT},
            {"own record psd=y: its own organization",
             DISCOVERY_TREE,
             "example.com",
             {{WALK_RECORD, DMARC_PSD_Y, H | S}},
             1,
             -1,
             0,
             0,
             false,
             "example.com",
             HOW_EXACT},
            {"own record, psd=y above: organization one below it",
             DISCOVERY_TREE,
             "a.b.example.com",
             {{WALK_RECORD, DMARC_PSD_U, H}, NONE_, NONE_, {WALK_RECORD, DMARC_PSD_Y, S}},
             4,
             -1,
             0,
             0,
             false,
             "example.com",
             HOW_EXACT},
            {"parent's record",
             DISCOVERY_TREE,
             "a.b.example.com",
             {NONE_, NONE_, {WALK_RECORD, DMARC_PSD_U, H}, {WALK_NONE, DMARC_PSD_U, S}},
             4,
             -1,
             2,
             2,
             false,
             "example.com",
             HOW_TREE_WALK},
            {"two parents' records: the fewest labels wins",
             DISCOVERY_TREE,
             "a.b.example.com",
             {NONE_,
              {WALK_RECORD, DMARC_PSD_U, H},
              {WALK_RECORD, DMARC_PSD_U, H},
              {WALK_NONE, DMARC_PSD_U, S}},
             4,
             -1,
             2,
             2,
             false,
             "example.com",
             HOW_TREE_WALK},
            {"psd=y above the organization's record: that record",
             DISCOVERY_TREE,
             "a.b.example.com",
             {NONE_, NONE_, {WALK_RECORD, DMARC_PSD_U, H}, {WALK_RECORD, DMARC_PSD_Y, S}},
             4,
             -1,
             2,
             2,
             false,
             "example.com",
             HOW_TREE_WALK},
            {"psd=y, organization without a record: the PSD's record",
             DISCOVERY_TREE,
             "a.b.example.com",
             {NONE_, {WALK_RECORD, DMARC_PSD_U, H}, NONE_, {WALK_RECORD, DMARC_PSD_Y, H | S}},
             4,
             -1,
             3,
             3,
             false,
             "example.com",
             HOW_TREE_WALK},
            {"psd=y one above the domain: the domain is the org, the PSD's record applies",
             DISCOVERY_TREE,
             "example.com",
             {NONE_, {WALK_RECORD, DMARC_PSD_Y, H | S}},
             2,
             -1,
             1,
             1,
             false,
             "example.com",
             HOW_TREE_WALK},
            {"psd=n on a parent stops the walk",
             DISCOVERY_TREE,
             "x.dept.example.com",
             {NONE_, {WALK_RECORD, DMARC_PSD_N, H | S}},
             2,
             -1,
             1,
             1,
             false,
             "dept.example.com",
             HOW_TREE_WALK},
            {"psd=n stops before a record with fewer labels is seen",
             DISCOVERY_TREE,
             "a.dept.example.com",
             {NONE_, {WALK_RECORD, DMARC_PSD_N, H | S}},
             2,
             -1,
             1,
             1,
             false,
             "dept.example.com",
             HOW_TREE_WALK},
            {"nothing anywhere: missing, the domain is its own org",
             DISCOVERY_TREE,
             "a.example.com",
             {NONE_, NONE_, {WALK_NONE, DMARC_PSD_U, S}},
             3,
             -1,
             -1,
             0,
             false,
             "a.example.com",
             HOW_NONE},
            {"multiple at the domain, nothing else: invalid, reported there",
             DISCOVERY_TREE,
             "example.com",
             {{WALK_MULTIPLE, DMARC_PSD_U, H}, {WALK_NONE, DMARC_PSD_U, S}},
             2,
             -1,
             -1,
             0,
             true,
             "example.com",
             HOW_EXACT},
            {"multiple at the domain, a parent's record applies",
             DISCOVERY_TREE,
             "mail.example.com",
             {{WALK_MULTIPLE, DMARC_PSD_U, H},
              {WALK_RECORD, DMARC_PSD_U, H},
              {WALK_NONE, DMARC_PSD_U, S}},
             3,
             -1,
             1,
             1,
             false,
             "example.com",
             HOW_TREE_WALK},
            {"broken record on a parent, nothing else: invalid there",
             DISCOVERY_TREE,
             "mail.example.com",
             {NONE_, {WALK_BROKEN, DMARC_PSD_U, H}, {WALK_NONE, DMARC_PSD_U, S}},
             3,
             -1,
             -1,
             1,
             true,
             "mail.example.com",
             HOW_TREE_WALK},
            {"the first broken name is reported, not a later one",
             DISCOVERY_TREE,
             "a.mail.example.com",
             {{WALK_BROKEN, DMARC_PSD_U, H},
              {WALK_MULTIPLE, DMARC_PSD_U, 0},
              NONE_,
              {WALK_NONE, DMARC_PSD_U, S}},
             4,
             -1,
             -1,
             0,
             true,
             "a.mail.example.com",
             HOW_EXACT},
            {"a broken name after a record is only a warning",
             DISCOVERY_TREE,
             "a.example.com",
             {NONE_, {WALK_RECORD, DMARC_PSD_U, H}, {WALK_BROKEN, DMARC_PSD_U, S}},
             3,
             -1,
             1,
             1,
             false,
             "example.com",
             HOW_TREE_WALK},
            {"own record, broken above: still exact",
             DISCOVERY_TREE,
             "a.example.com",
             {{WALK_RECORD, DMARC_PSD_U, H},
              {WALK_MULTIPLE, DMARC_PSD_U, 0},
              {WALK_NONE, DMARC_PSD_U, S}},
             3,
             -1,
             0,
             0,
             false,
             "a.example.com",
             HOW_EXACT},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                run_walk_case(&cases[i]);
}

static void t_walk_deep(void **st)
{
        (void)st;
        /* 12 labels: 8 queries; a record at the 7-label name applies */
        const unsigned H = WALK_HOLD, S = WALK_STOP;
        const struct walk_case c = {"12 labels, record at 7",
                                    DISCOVERY_TREE,
                                    "l12.l11.l10.l9.l8.l7.l6.l5.l4.l3.l2.l1",
                                    {NONE_,
                                     {WALK_RECORD, DMARC_PSD_U, H},
                                     NONE_,
                                     NONE_,
                                     NONE_,
                                     NONE_,
                                     NONE_,
                                     {WALK_NONE, DMARC_PSD_U, S}},
                                    8,
                                    -1,
                                    1,
                                    1,
                                    false,
                                    "l7.l6.l5.l4.l3.l2.l1",
                                    HOW_TREE_WALK};
        run_walk_case(&c);
        /* psd=y at the 7-label name: the organization is the 8-label name, never asked;
         * the PSD's record applies */
        const struct walk_case p = {"12 labels, psd=y at 7",
                                    DISCOVERY_TREE,
                                    "l12.l11.l10.l9.l8.l7.l6.l5.l4.l3.l2.l1",
                                    {NONE_, {WALK_RECORD, DMARC_PSD_Y, H | S}},
                                    2,
                                    -1,
                                    1,
                                    1,
                                    false,
                                    "l8.l7.l6.l5.l4.l3.l2.l1",
                                    HOW_TREE_WALK};
        run_walk_case(&p);
}

static void t_walk_rfc7489(void **st)
{
        (void)st;
        const unsigned H = WALK_HOLD, S = WALK_STOP;
        /* "a.b.example.com" with a PSL organizational domain example.com (offset 4) */
        const struct walk_case cases[] = {
            {"own record stops discovery",
             DISCOVERY_RFC7489,
             "a.b.example.com",
             {{WALK_RECORD, DMARC_PSD_U, H | S}},
             1,
             4,
             0,
             0,
             false,
             "example.com",
             HOW_EXACT},
            {"organizational domain's record",
             DISCOVERY_RFC7489,
             "a.b.example.com",
             {NONE_, {WALK_RECORD, DMARC_PSD_U, H | S}},
             2,
             4,
             1,
             1,
             false,
             "example.com",
             HOW_PSL_ORG},
            {"psd tags mean nothing to RFC 7489",
             DISCOVERY_RFC7489,
             "a.b.example.com",
             {NONE_, {WALK_RECORD, DMARC_PSD_Y, H | S}},
             2,
             4,
             1,
             1,
             false,
             "example.com",
             HOW_PSL_ORG},
            {"multiple at the domain end discovery (6.6.3 step 5)",
             DISCOVERY_RFC7489,
             "a.b.example.com",
             {{WALK_MULTIPLE, DMARC_PSD_U, H | S}},
             1,
             4,
             -1,
             0,
             true,
             "example.com",
             HOW_EXACT},
            {"broken at the domain: discarded, the org is asked",
             DISCOVERY_RFC7489,
             "a.b.example.com",
             {{WALK_BROKEN, DMARC_PSD_U, H}, {WALK_RECORD, DMARC_PSD_U, H | S}},
             2,
             4,
             1,
             1,
             false,
             "example.com",
             HOW_PSL_ORG},
            {"multiple at the org: invalid there",
             DISCOVERY_RFC7489,
             "a.b.example.com",
             {NONE_, {WALK_MULTIPLE, DMARC_PSD_U, H | S}},
             2,
             4,
             -1,
             1,
             true,
             "example.com",
             HOW_PSL_ORG},
            {"nothing: missing",
             DISCOVERY_RFC7489,
             "a.b.example.com",
             {NONE_, {WALK_NONE, DMARC_PSD_U, S}},
             2,
             4,
             -1,
             0,
             false,
             "example.com",
             HOW_NONE},
            {"a public suffix has itself as organization",
             DISCOVERY_RFC7489,
             "co.uk",
             {{WALK_NONE, DMARC_PSD_U, S}},
             1,
             -1,
             -1,
             0,
             false,
             "co.uk",
             HOW_NONE},
            {"exact: one name",
             DISCOVERY_EXACT,
             "a.b.example.com",
             {{WALK_RECORD, DMARC_PSD_U, H | S}},
             1,
             4,
             0,
             0,
             false,
             "example.com",
             HOW_EXACT},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                run_walk_case(&cases[i]);
}

static void t_walk_org_failed(void **st)
{
        (void)st;
        struct discovery_ctx ctx = {.mode = DISCOVERY_TREE};
        uint8_t off[DISCOVERY_WALK_MAX];
        const char *d = "mail.example.com";
        unsigned n = discovery_plan(&ctx, d, off);
        struct walk w;
        walk_init(&w, DISCOVERY_TREE);
        assert_int_equal(walk_feed(&w, d, off, n, 0, WALK_RECORD, DMARC_PSD_U), WALK_HOLD);
        /* the next lookup failed: the domain's record stands, the organization is unknown */
        struct walk_outcome o;
        walk_result(&w, d, off, -1, true, &o);
        assert_int_equal(o.applied, 0);
        assert_int_equal(o.org_off, -1);
        assert_int_equal(o.how, HOW_EXACT);
}

static void t_well_formed(void **st)
{
        (void)st;
        struct dmarc_record *r = calloc(1, sizeof(*r));
        assert_non_null(r);
        static const struct {
                const char *rec;
                bool wf;
        } cases[] = {
            {"v=DMARC1; p=reject", true},
            {"v=DMARC1; p=bogus", true},      /* p_invalid: applies, unusable */
            {"v=DMARC1; sp=reject", true},    /* p_missing */
            {"v=DMARC1; p=none; np=x", true}, /* np_invalid */
            {"v=DMARC1; rua=mailto:a@b.example", true},
            {"v=DMARC1; p=reject; p=none", false}, /* duplicate_tag */
            {"v=DMARC1 p=reject", false},          /* v_invalid */
            {"p=reject; v=DMARC1", false},         /* v_not_first */
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                dmarc_parse(cases[i].rec, strlen(cases[i].rec), r);
                if (discovery_well_formed(r) != cases[i].wf)
                        fail_msg("%s: well-formed %d", cases[i].rec, !cases[i].wf);
        }
        dmarc_record_free(r);
        free(r);
}

/* ---- the Public Suffix List ----------------------------------------------------------- */

static void t_psl_system(void **st)
{
        (void)st;
        char err[256];
        struct discovery_ctx *c = NULL;
        if (discovery_ctx_open(&c, DISCOVERY_RFC7489, NULL, err, sizeof(err)) < 0)
                fail_msg("system PSL: %s", err);
        const char *d = "a.b.example.co.uk";
        int org = discovery_psl_org(c, d);
        assert_true(org >= 0);
        assert_string_equal(d + org, "example.co.uk");
        assert_int_equal(discovery_psl_org(c, "co.uk"), -1);
        assert_int_equal(discovery_psl_org(c, "uk"), -1);
        const char *com = "example.com", *unlisted = "x.y.acme.example";
        assert_string_equal(com + discovery_psl_org(c, com), "example.com");
        /* an unlisted TLD is a public suffix by the "*" rule */
        assert_string_equal(unlisted + discovery_psl_org(c, unlisted), "acme.example");
        assert_true(ds_psl_is_suffix(c->psl, "co.uk"));
        assert_false(ds_psl_is_suffix(c->psl, "example.co.uk"));
        static const char *const plan[] = {"a.b.example.co.uk", "example.co.uk"};
        assert_plan(c, d, plan, 2);
        assert_plan(c, "example.co.uk", (const char *const[]){"example.co.uk"}, 1);
        assert_plan(c, "co.uk", (const char *const[]){"co.uk"}, 1);
        assert_non_null(ds_psl_source(c->psl));
        assert_int_equal(strlen(ds_psl_date(c->psl)) >= 10, 1);
        discovery_ctx_close(c);
}

static void t_psl_file(void **st)
{
        (void)st;
        char dir[] = "/tmp/test_discovery.XXXXXX";
        assert_non_null(mkdtemp(dir));
        char path[128], path2[128], err[256];
        snprintf(path, sizeof(path), "%s/list.dat", dir);
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs("// test list\n// VERSION: 2026-11-01_00-00-00_UTC\n// COMMIT: abc\n"
              "// ===BEGIN ICANN DOMAINS===\nztest\nco.ztest\n*.wild.ztest\n!x.wild.ztest\n",
              f);
        assert_int_equal(fclose(f), 0);
        struct ds_psl *p = NULL;
        assert_int_equal(ds_psl_open(&p, path, err, sizeof(err)), 0);
        assert_string_equal(ds_psl_source(p), path);
        assert_string_equal(ds_psl_date(p), "2026-11-01_00-00-00_UTC");
        const char *n = "www.shop.co.ztest";
        assert_string_equal(ds_psl_org(p, n), "shop.co.ztest");
        assert_string_equal(ds_psl_org(p, "a.b.c.wild.ztest"), "b.c.wild.ztest");
        assert_string_equal(ds_psl_org(p, "a.x.wild.ztest"), "x.wild.ztest");
        assert_null(ds_psl_org(p, "co.ztest"));
        assert_null(ds_psl_org(p, ""));
        ds_psl_close(p);

        /* no VERSION line: the file's date */
        snprintf(path2, sizeof(path2), "%s/old.dat", dir);
        f = fopen(path2, "w");
        assert_non_null(f);
        fputs("ztest\n", f);
        assert_int_equal(fclose(f), 0);
        struct timeval tv[2] = {{1700000000, 0}, {1700000000, 0}}; /* 2023-11-14 */
        assert_int_equal(utimes(path2, tv), 0);
        assert_int_equal(ds_psl_open(&p, path2, err, sizeof(err)), 0);
        assert_string_equal(ds_psl_date(p), "2023-11-14");
        ds_psl_close(p);

        /* a missing file is an error naming the option */
        snprintf(path2, sizeof(path2), "%s/none.dat", dir);
        assert_true(ds_psl_open(&p, path2, err, sizeof(err)) < 0);
        assert_non_null(strstr(err, "--psl-file"));
        unlink(path);
        unlink(path2);
        snprintf(path2, sizeof(path2), "%s/old.dat", dir);
        unlink(path2);
        rmdir(dir);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_labels),       cmocka_unit_test(t_modes),
            cmocka_unit_test(t_plan_1_to_12), cmocka_unit_test(t_plan_rfc_examples),
            cmocka_unit_test(t_walk_tree),    cmocka_unit_test(t_walk_deep),
            cmocka_unit_test(t_walk_rfc7489), cmocka_unit_test(t_walk_org_failed),
            cmocka_unit_test(t_well_formed),  cmocka_unit_test(t_psl_system),
            cmocka_unit_test(t_psl_file),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

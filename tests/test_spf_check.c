/* test_spf_check.c -- unit tests of the SPF check (scanner/spf/check.c, line.c) driven
 * through scanner/job.c with the spf check alone: a small world (name and type -> reply,
 * built with ldns) answers whatever lookup the check sets, one at a time, as the engine would;
 * the questions asked are recorded in order (depth first, include targets before the parent's
 * later terms, redirect last), then the job is concluded and its line written and checked by
 * python (pycheck.h) and through check_facts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <stdbool.h> /* before ldns, which otherwise defines bool as signed char */
#include <ldns/ldns.h>

#include "common/clock.h"
#include "dns/engine.h"
#include "dns/wire.h"
#include "output/json.h"
#include "scanner/check.h"
#include "scanner/job.h"
#include "scanner/line.h"
#include "scanner/spf/check.h"
#include "packets.h"
#include "pycheck.h"

#define TMO (-1) /* a world's rcode: the engine gave up (ENGINE_TIMEOUT) */

/* ---- the world: (name, type) -> reply --------------------------------------------------- */

struct wrr {
        bool txt;   /* data: the TXT's bytes at the name; else an RR in zone-file syntax */
        char *data; /* owned */
        size_t len;
};

struct ans {
        char name[DS_NAME_MAX_TEXT + 1];
        char type[8];
        int rcode; /* LDNS rcode, or TMO */
        unsigned nrr;
        struct wrr rr[64];
};

#define ASKED_MAX 64

struct world {
        struct ans a[48];
        unsigned n;
        char asked[ASKED_MAX][DS_NAME_MAX_TEXT + 8]; /* "name TYPE", in the order asked */
        bool shared[ASKED_MAX];
        unsigned nasked;
};

static struct ans *w_find(struct world *w, const char *name, const char *type)
{
        for (unsigned i = 0; i < w->n; i++)
                if (strcasecmp(w->a[i].name, name) == 0 && strcmp(w->a[i].type, type) == 0)
                        return &w->a[i];
        return NULL;
}

/* The answer to (name, type), NOERROR with no records until told otherwise. */
static struct ans *w_at(struct world *w, const char *name, const char *type)
{
        struct ans *a = w_find(w, name, type);
        if (a)
                return a;
        assert_true(w->n < sizeof(w->a) / sizeof(w->a[0]));
        a = &w->a[w->n++];
        memset(a, 0, sizeof(*a));
        snprintf(a->name, sizeof(a->name), "%s", name);
        snprintf(a->type, sizeof(a->type), "%s", type);
        a->rcode = LDNS_RCODE_NOERROR;
        return a;
}

static void w_rcode(struct world *w, const char *name, const char *type, int rcode)
{
        w_at(w, name, type)->rcode = rcode;
}

static void w_put(struct world *w, const char *name, const char *type, bool txt, const void *data,
                  size_t len)
{
        struct ans *a = w_at(w, name, type);
        assert_true(a->nrr < sizeof(a->rr) / sizeof(a->rr[0]));
        struct wrr *r = &a->rr[a->nrr++];
        r->txt = txt;
        r->data = malloc(len + 1);
        assert_non_null(r->data);
        memcpy(r->data, data, len);
        r->data[len] = 0;
        r->len = len;
}

/* A TXT of these bytes at name. */
static void w_txt_bytes(struct world *w, const char *name, const void *data, size_t len)
{
        w_put(w, name, "TXT", true, data, len);
}

static void w_txt(struct world *w, const char *name, const char *text)
{
        w_txt_bytes(w, name, text, strlen(text));
}

/* An RR in zone-file syntax in the answer to (name, type). */
static void w_rr(struct world *w, const char *name, const char *type, const char *rr)
{
        w_put(w, name, type, false, rr, strlen(rr));
}

/* An A record (192.0.2.1) at name. */
static void w_a(struct world *w, const char *name)
{
        char rr[300];
        snprintf(rr, sizeof(rr), "%s. 300 IN A 192.0.2.1", name);
        w_rr(w, name, "A", rr);
}

static void w_free(struct world *w)
{
        for (unsigned i = 0; i < w->n; i++)
                for (unsigned k = 0; k < w->a[i].nrr; k++)
                        free(w->a[i].rr[k].data);
        memset(w, 0, sizeof(*w));
}

/* ---- fixture ------------------------------------------------------------------------- */

struct fx {
        struct check_set set;
        struct job j;
        struct job_scratch s;
        struct jbuf b;
        struct ndjson_clock clock;
        struct line_opts o;
        struct ds_fake_clock now;
        struct world w;
};

static struct fx *fx_new(void)
{
        char err[160];
        struct fx *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(check_set_parse(&f->set, "spf", check_registry, err, sizeof(err)), 0);
        assert_int_equal(f->set.n, 1);
        assert_int_equal(job_init(&f->j, &f->set, NULL), 0);
        assert_int_equal(job_scratch_init(&f->s, &f->set), 0);
        jbuf_init(&f->b);
        ds_fake_clock_init(&f->now, 0, 1795910399LL * 1000000000);
        f->o.clock = &f->now.clock;
        return f;
}

static void fx_free(struct fx *f)
{
        job_free(&f->j);
        job_scratch_free(&f->s);
        jbuf_free(&f->b);
        w_free(&f->w);
        free(f);
}

static struct spf_eval *SPF(const struct job_scratch *s)
{
        return &((struct spf_scratch *)s->check[0])->spf;
}

/* A fresh item for domain in j (the job is reused: what the last domain left is released). */
static void item(struct job *j, const char *domain)
{
        job_clear(j);
        memset(&j->in, 0, sizeof(j->in));
        j->in.line = 1;
        j->in.rank = -1;
        j->in.status = INPUT_ITEM_OK;
        snprintf(j->in.domain, sizeof(j->in.domain), "%s", domain);
        snprintf(j->in.raw, sizeof(j->in.raw), "%s", domain);
}

static const char *type_name(uint16_t qtype)
{
        switch (qtype) {
        case WIRE_TYPE_A:
                return "A";
        case WIRE_TYPE_MX:
                return "MX";
        case WIRE_TYPE_TXT:
                return "TXT";
        default:
                fail_msg("unexpected qtype %u", qtype);
                return "?";
        }
}

/* The world's reply to l's question, fed to l (which records the question). */
static void answer(struct world *w, struct lookup *l)
{
        char name[DS_NAME_MAX_TEXT + 1];
        assert_true(wire_name_to_text(l->qname, l->qname_len, name, sizeof(name)) >= 0);
        const char *type = type_name(l->qtype);
        assert_true(w->nasked < ASKED_MAX);
        snprintf(w->asked[w->nasked], sizeof(w->asked[0]), "%s %s", name, type);
        w->shared[w->nasked++] = l->shared;
        const struct ans *a = w_find(w, name, type);
        if (!a)
                fail_msg("the world has no answer to %s %s", name, type);
        if (a->rcode == TMO) {
                lookup_set_reply(l, ENGINE_TIMEOUT, NULL, 0, 1);
                return;
        }
        ldns_pkt *lp = lp_reply_t(name, type, (ldns_pkt_rcode)a->rcode);
        for (unsigned i = 0; i < a->nrr; i++) {
                const struct wrr *r = &a->rr[i];
                if (r->txt)
                        lp_txt_bytes(lp, LDNS_SECTION_ANSWER, name, LDNS_RR_CLASS_IN, r->data,
                                     r->len, 255);
                else
                        lp_add(lp, LDNS_SECTION_ANSWER, r->data);
        }
        lp_feed_lookup(l, lp, 1);
}

/* Start j for domain and answer every lookup from w until the check is done. */
static void run_job(struct world *w, struct job *j, struct job_scratch *s, const char *domain)
{
        item(j, domain);
        w->nasked = 0;
        assert_int_equal(job_start(j), JOB_STEP_QUERY);
        for (unsigned steps = 0;; steps++) {
                assert_true(steps < ASKED_MAX);
                answer(w, &j->look[0]);
                if (job_step(&j->look[0], s) == JOB_STEP_DONE)
                        break;
        }
        assert_true(job_finished(&j->look[0]));
}

static void run(struct fx *f, const char *domain)
{
        run_job(&f->w, &f->j, &f->s, domain);
}

/* The questions asked, in order (NULL-terminated list of "name TYPE"). */
static void asked_v(const struct world *w, va_list ap)
{
        unsigned i = 0;
        for (const char *q; (q = va_arg(ap, const char *)) != NULL; i++) {
                if (i >= w->nasked)
                        fail_msg("asked %u questions; expected \"%s\" next", w->nasked, q);
                if (strcmp(w->asked[i], q) != 0)
                        fail_msg("question %u: asked \"%s\", expected \"%s\"", i, w->asked[i], q);
        }
        if (i != w->nasked)
                fail_msg("asked %u questions, expected %u; the next was \"%s\"", w->nasked, i,
                         w->asked[i]);
}

static void asked(const struct fx *f, ...)
{
        va_list ap;
        va_start(ap, f);
        asked_v(&f->w, ap);
        va_end(ap);
}

/* Write j's line (which concludes it) and check it; s in the expressions is its spf object. */
static void line_of(struct fx *f, struct job *j, struct job_scratch *s, const char *const *exprs)
{
        jbuf_reset(&f->b);
        line_write(&f->b, j, s, &f->o, &f->clock);
        pycheck_line(f->b.p, f->b.len, exprs);
}

static void line(struct fx *f, const char *const *exprs)
{
        line_of(f, &f->j, &f->s, exprs);
}

/* The same line written with --details (the codes' sentences). */
static void line_details(struct fx *f, const char *const *exprs)
{
        static const struct check_env details = {.details = true};
        const struct check_env *was = f->j.env;
        f->j.env = &details;
        line(f, exprs);
        f->j.env = was;
}

static const struct check_facts *facts(const struct fx *f)
{
        return &f->s.facts[0];
}

/* Keys of the spf object, in order (docs/output.md); errors_at and warnings_at only when a
 * code is about a term or a name. */
#define SPF_KEYS                                                                                   \
        "list(s) == [k for k in ['status', 'records', 'valid', 'result', 'all', 'permissive', "    \
        "'redirect', 'dns_lookups', 'void_lookups', 'includes', 'errors', 'warnings', "            \
        "'errors_at', 'warnings_at', 'other_txt', 'attempts'] if k in s or k[-3:] != '_at']"
/* The same when an error is about a name, with --details. */
#define SPF_KEYS_DETAILS                                                                           \
        "list(s) == ['status', 'records', 'valid', 'result', 'all', 'permissive', 'redirect', "    \
        "'dns_lookups', 'void_lookups', 'includes', 'errors', 'warnings', 'errors_at', "           \
        "'errors_detail', 'warnings_detail', 'other_txt', 'attempts']"

/* ---- RFC 7208 appendix A ----------------------------------------------------------------- */

/* The appendix's zone (A): example.com's addresses and MX, example.org's MX. */
static void appendix_zone(struct world *w)
{
        w_rr(w, "example.com", "A", "example.com. 300 IN A 192.0.2.10");
        w_rr(w, "example.com", "A", "example.com. 300 IN A 192.0.2.11");
        w_rr(w, "example.com", "MX", "example.com. 300 IN MX 10 mail-a.example.com.");
        w_rr(w, "example.com", "MX", "example.com. 300 IN MX 20 mail-b.example.com.");
        w_rr(w, "example.org", "MX", "example.org. 300 IN MX 10 mail-c.example.org.");
        w_at(w, "example.org", "A"); /* no address at example.org: a void lookup */
        w_rr(w, "mail.example.com", "A", "mail.example.com. 300 IN A 192.0.2.140");
}

struct simple {
        const char *record;
        const char *q[3]; /* asked after example.com TXT */
        unsigned lookups, voids;
        const char *all; /* python literal */
        int8_t fact;
        const char *warning; /* python literal list */
};

static void t_appendix_simple(void **st)
{
        (void)st;
        static const struct simple cases[] = {
            {"v=spf1 +all", {NULL}, 0, 0, "'pass'", SPF_FACT_PASS_ALL, "[]"},
            {"v=spf1 a -all", {"example.com A"}, 1, 0, "'fail'", SPF_FACT_FAIL, "[]"},
            {"v=spf1 a:example.org -all", {"example.org A"}, 1, 1, "'fail'", SPF_FACT_FAIL, "[]"},
            {"v=spf1 mx -all", {"example.com MX"}, 1, 0, "'fail'", SPF_FACT_FAIL, "[]"},
            {"v=spf1 mx:example.org -all", {"example.org MX"}, 1, 0, "'fail'", SPF_FACT_FAIL, "[]"},
            {"v=spf1 mx mx:example.org -all",
             {"example.com MX", "example.org MX"},
             2,
             0,
             "'fail'",
             SPF_FACT_FAIL,
             "[]"},
            {"v=spf1 mx/30 mx:example.org/30 -all",
             {"example.com MX", "example.org MX"},
             2,
             0,
             "'fail'",
             SPF_FACT_FAIL,
             "[]"},
            {"v=spf1 ptr -all", {NULL}, 1, 0, "'fail'", SPF_FACT_FAIL, "['ptr_used']"},
            {"v=spf1 ip4:192.0.2.128/28 -all", {NULL}, 0, 0, "'fail'", SPF_FACT_FAIL, "[]"},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const struct simple *c = &cases[i];
                struct fx *f = fx_new();
                appendix_zone(&f->w);
                w_txt(&f->w, "example.com", c->record);
                run(f, "example.com");
                asked(f, "example.com TXT", c->q[0], c->q[1], c->q[2], NULL);
                for (unsigned k = 0; k < f->w.nasked; k++) /* the domain's own names */
                        assert_int_equal(f->w.shared[k],
                                         strncmp(f->w.asked[k], "example.com ", 12) != 0);
                char e_rec[160], e_counts[96], e_all[96], e_warn[96];
                snprintf(e_rec, sizeof(e_rec), "s['records'] == ['%s']", c->record);
                snprintf(e_counts, sizeof(e_counts),
                         "s['dns_lookups'] == %u and s['void_lookups'] == %u", c->lookups,
                         c->voids);
                snprintf(e_all, sizeof(e_all), "s['all'] == %s and s['permissive'] is %s", c->all,
                         c->fact == SPF_FACT_PASS_ALL ? "True" : "False");
                snprintf(e_warn, sizeof(e_warn), "s['warnings'] == %s", c->warning);
                const char *const checks[] = {
                    SPF_KEYS,
                    "s['status'] == 'NOERROR'",
                    e_rec,
                    "s['valid'] is True and s['result'] == 'ok'",
                    e_all,
                    "s['redirect'] is None",
                    e_counts,
                    "s['includes'] == [] and s['errors'] == [] and 'errors_at' not in s",
                    e_warn,
                    "s['other_txt'] == 0",
                    "d['exists'] is True",
                    NULL,
                };
                line(f, checks);
                assert_int_equal(facts(f)->spf, c->fact);
                assert_int_equal(facts(f)->exists, TRI_YES);
                assert_int_equal(facts(f)->status, WIRE_RCODE_NOERROR);
                /* one datagram per question */
                assert_int_equal(SPF(&f->s)->attempts, f->w.nasked);
                fx_free(f);
        }
}

/* A.2: la.example.com includes example.com and example.net; each included record is
 * evaluated where it is met, before the parent's next term. */
static void t_appendix_multiple_domains(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        appendix_zone(&f->w);
        w_txt(&f->w, "la.example.com", "v=spf1 include:example.com include:example.net -all");
        w_txt(&f->w, "example.com", "v=spf1 +mx a:colo.example.com/28 -all");
        w_txt(&f->w, "example.net", "v=spf1 a:mail.example.com mx:example.org ~all");
        w_a(&f->w, "colo.example.com");
        run(f, "la.example.com");
        asked(f, "la.example.com TXT", "example.com TXT", "example.com MX", "colo.example.com A",
              "example.net TXT", "mail.example.com A", "example.org MX", NULL);
        for (unsigned k = 1; k < f->w.nasked; k++)
                assert_true(f->w.shared[k]);
        static const char *const checks[] = {
            "s['result'] == 'ok' and s['valid'] is True",
            "s['all'] == 'fail' and s['permissive'] is False",
            "s['dns_lookups'] == 6 and s['void_lookups'] == 0",
            "s['includes'] == ["
            "{'name': 'example.com', 'kind': 'include', 'parent': 'la.example.com', 'depth': 1, "
            "'status': 'NOERROR', 'result': 'ok'}, "
            "{'name': 'example.net', 'kind': 'include', 'parent': 'la.example.com', 'depth': 1, "
            "'status': 'NOERROR', 'result': 'ok'}]",
            "s['errors'] == [] and s['warnings'] == []",
            "s['attempts'] == 7",
            NULL,
        };
        line(f, checks);
        assert_int_equal(facts(f)->spf, SPF_FACT_FAIL);
        fx_free(f);
}

/* A.3 and A.4: terms with macros are counted, never expanded nor asked. */
static void t_appendix_macros(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        appendix_zone(&f->w);
        w_txt(&f->w, "example.com",
              "v=spf1 mx include:mobile-users._spf.%{d} include:remote-users._spf.%{d} -all");
        run(f, "example.com");
        asked(f, "example.com TXT", "example.com MX", NULL);
        static const char *const dnsbl[] = {
            "s['result'] == 'ok' and s['all'] == 'fail'",
            "s['dns_lookups'] == 3 and s['void_lookups'] == 0",
            "s['includes'] == []",
            "s['warnings'] == ['macro'] and 'warnings_at' not in s",
            NULL,
        };
        line(f, dnsbl);
        static const char *const dnsbl_details[] = {
            "'2 evaluated term(s) use macros' in s['warnings_detail'][0]['message']",
            NULL,
        };
        line_details(f, dnsbl_details);
        assert_int_equal(facts(f)->spf, SPF_FACT_FAIL);

        /* A.4: the includes' own records never come into it; +all ends the record */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 -include:ip4._spf.%{d} -include:ptr._spf.%{d} +all");
        run(f, "example.com");
        asked(f, "example.com TXT", NULL);
        static const char *const reqs[] = {
            "s['result'] == 'ok' and s['all'] == 'pass' and s['permissive'] is True",
            "s['dns_lookups'] == 2",
            "s['warnings'] == ['macro']",
            NULL,
        };
        line(f, reqs);
        assert_int_equal(facts(f)->spf, SPF_FACT_PASS_ALL);

        /* a macro in an included record: carried to the line, naming the include */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 include:_spf.example.net -all");
        w_txt(&f->w, "_spf.example.net", "v=spf1 exists:%{i}._ip.example.net ~all");
        run(f, "example.com");
        asked(f, "example.com TXT", "_spf.example.net TXT", NULL);
        static const char *const carried[] = {
            "s['result'] == 'ok' and s['dns_lookups'] == 2",
            "s['warnings'] == ['macro']",
            "s['warnings_at'] == ['_spf.example.net']",
            NULL,
        };
        line(f, carried);
        fx_free(f);
}

/* ---- the tree ----------------------------------------------------------------------- */

static void t_include_three_deep(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com",
              "v=spf1 include:l1.a.net ip4:192.0.2.1 a:host.example.com -all");
        w_txt(&f->w, "example.com", "google-site-verification=abc");
        w_txt(&f->w, "l1.a.net", "v=spf1 include:l2.b.net mx ~all");
        w_txt(&f->w, "l2.b.net", "v=spf1 include:l3.c.net -all");
        w_txt(&f->w, "l3.c.net", "v=spf1 ip4:198.51.100.0/24 a ?all");
        w_a(&f->w, "l3.c.net");
        w_rr(&f->w, "l1.a.net", "MX", "l1.a.net. 300 IN MX 10 mx.l1.a.net.");
        w_a(&f->w, "host.example.com");
        run(f, "example.com");
        asked(f, "example.com TXT", "l1.a.net TXT", "l2.b.net TXT", "l3.c.net TXT", "l3.c.net A",
              "l1.a.net MX", "host.example.com A", NULL);
        static const char *const checks[] = {
            SPF_KEYS,
            "s['records'] == ['v=spf1 include:l1.a.net ip4:192.0.2.1 a:host.example.com -all']",
            "s['other_txt'] == 1",
            "s['result'] == 'ok' and s['valid'] is True",
            /* includes never change the effective all */
            "s['all'] == 'fail' and s['permissive'] is False and s['redirect'] is None",
            "s['dns_lookups'] == 6 and s['void_lookups'] == 0",
            "[(i['name'], i['parent'], i['depth'], i['kind']) for i in s['includes']] == ["
            "('l1.a.net', 'example.com', 1, 'include'), ('l2.b.net', 'l1.a.net', 2, 'include'), "
            "('l3.c.net', 'l2.b.net', 3, 'include')]",
            "all(i['status'] == 'NOERROR' and i['result'] == 'ok' for i in s['includes'])",
            "s['errors'] == [] and s['warnings'] == []",
            NULL,
        };
        line(f, checks);
        assert_int_equal(SPF(&f->s)->nnodes, 7);
        fx_free(f);
}

/* The same include reached twice (a diamond) is no loop: both are evaluated and counted. */
static void t_include_diamond(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com", "v=spf1 include:b.example include:c.example -all");
        w_txt(&f->w, "b.example", "v=spf1 include:d.example -all");
        w_txt(&f->w, "c.example", "v=spf1 include:d.example -all");
        w_txt(&f->w, "d.example", "v=spf1 ip4:192.0.2.0/24 -all");
        run(f, "example.com");
        asked(f, "example.com TXT", "b.example TXT", "d.example TXT", "c.example TXT",
              "d.example TXT", NULL);
        static const char *const checks[] = {
            "s['result'] == 'ok' and s['dns_lookups'] == 4 and s['errors'] == []",
            "[i['name'] for i in s['includes']] == ['b.example', 'd.example', 'c.example', "
            "'d.example']",
            NULL,
        };
        line(f, checks);
        fx_free(f);
}

static void t_redirect(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        /* written first, evaluated last; the target's all is the effective one */
        w_txt(&f->w, "example.com", "v=spf1 redirect=_spf.example.net a mx");
        w_a(&f->w, "example.com");
        w_rr(&f->w, "example.com", "MX", "example.com. 300 IN MX 0 mx.example.com.");
        w_txt(&f->w, "_spf.example.net", "v=spf1 include:i.example.org ~all");
        w_txt(&f->w, "i.example.org", "v=spf1 +all");
        run(f, "example.com");
        asked(f, "example.com TXT", "example.com A", "example.com MX", "_spf.example.net TXT",
              "i.example.org TXT", NULL);
        static const char *const checks[] = {
            "s['result'] == 'ok' and s['valid'] is True",
            /* the include's +all ends the include only: all is the target's; but every
             * sender matches that include and passes (RFC 7208 5.2) */
            "s['all'] == 'softfail' and s['permissive'] is True",
            "s['redirect'] == '_spf.example.net'",
            "s['dns_lookups'] == 4",
            "s['includes'] == ["
            "{'name': '_spf.example.net', 'kind': 'redirect', 'parent': 'example.com', 'depth': 1, "
            "'status': 'NOERROR', 'result': 'ok'}, "
            "{'name': 'i.example.org', 'kind': 'include', 'parent': '_spf.example.net', "
            "'depth': 2, 'status': 'NOERROR', 'result': 'ok'}]",
            "s['warnings'] == ['include_pass_all']",
            NULL,
        };
        line(f, checks);
        assert_int_equal(facts(f)->spf, SPF_FACT_PASS_ALL);

        /* with all, the redirect is ignored: not asked, not counted */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 redirect=_spf.example.net -all");
        run(f, "example.com");
        asked(f, "example.com TXT", NULL);
        static const char *const ignored[] = {
            "s['result'] == 'ok' and s['all'] == 'fail'",
            "s['redirect'] is None and s['dns_lookups'] == 0 and s['includes'] == []",
            "s['warnings'] == ['redirect_ignored']",
            NULL,
        };
        line(f, ignored);
        fx_free(f);
}

/* An included record ending in +all passes everyone when every step to it is a +include
 * or a redirect; another qualifier on the way turns that pass into its own result. */
static void t_include_pass_all(void **st)
{
        (void)st;
        static const struct {
                const char *domain_rec, *mid_rec;
                bool permissive;
                enum spf_fact fact;
        } cases[] = {
            {"v=spf1 include:open.example.net -all", NULL, true, SPF_FACT_PASS_ALL},
            {"v=spf1 +include:open.example.net -all", NULL, true, SPF_FACT_PASS_ALL},
            {"v=spf1 -include:open.example.net -all", NULL, false, SPF_FACT_FAIL},
            {"v=spf1 ?include:open.example.net ~all", NULL, false, SPF_FACT_FAIL},
            {"v=spf1 include:mid.example.net -all", "v=spf1 include:open.example.net -all", true,
             SPF_FACT_PASS_ALL},
            {"v=spf1 include:mid.example.net -all", "v=spf1 ~include:open.example.net -all", false,
             SPF_FACT_FAIL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct fx *f = fx_new();
                w_txt(&f->w, "example.com", cases[i].domain_rec);
                if (cases[i].mid_rec)
                        w_txt(&f->w, "mid.example.net", cases[i].mid_rec);
                w_txt(&f->w, "open.example.net", "v=spf1 +all");
                run(f, "example.com");
                static const char *const open[] = {
                    "s['permissive'] is True and s['warnings'] == ['include_pass_all']", NULL};
                static const char *const closed[] = {
                    "s['permissive'] is False and s['warnings'] == []", NULL};
                line(f, cases[i].permissive ? open : closed);
                assert_int_equal(facts(f)->spf, cases[i].fact);
                fx_free(f);
        }
}

/* A mechanism matching every client opens the policy whatever the all says: ip4/ip6 /0 from
 * the record, a:<name>/0 and exists:<name> from their answers; "+" through redirects and
 * +includes passes anyone, "?" on the main path makes anyone neutral. */
static void t_everyone(void **st)
{
        (void)st;
        /* Every case's world: the names below; n.example.net has no A (NODATA), nx NXDOMAIN. */
        static const struct {
                const char *domain_rec;
                const char *expect; /* permissive, warnings and warnings_at */
                enum spf_fact fact;
        } cases[] = {
            {"v=spf1 ip4:0.0.0.0/0 -all",
             "s['permissive'] is True and s['warnings'] == ['pass_all_mechanism'] and "
             "s['warnings_at'] == ['ip4:0.0.0.0/0']",
             SPF_FACT_PASS_ALL},
            {"v=spf1 +ip6:::/0 -all", "s['warnings_at'] == ['+ip6:::/0'] and s['permissive']",
             SPF_FACT_PASS_ALL},
            {"v=spf1 ?ip4:0.0.0.0/0 -all",
             "s['permissive'] is True and s['warnings'] == ['neutral_all_mechanism']",
             SPF_FACT_NEUTRAL},
            {"v=spf1 -ip4:0.0.0.0/0 ~ip6:::/0 -all",
             "s['permissive'] is False and s['warnings'] == []", SPF_FACT_FAIL},
            {"v=spf1 include:open4.example.net -all",
             "s['permissive'] is True and s['warnings'] == ['pass_all_mechanism'] and "
             "s['warnings_at'] == ['open4.example.net']",
             SPF_FACT_PASS_ALL},
            {"v=spf1 -include:open4.example.net -all",
             "s['permissive'] is False and s['warnings'] == []", SPF_FACT_FAIL},
            {"v=spf1 include:neutral4.example.net -all",
             "s['permissive'] is False and s['warnings'] == []", SPF_FACT_FAIL},
            {"v=spf1 redirect=neutral4.example.net",
             "s['all'] == 'fail' and s['permissive'] is True and "
             "s['warnings'] == ['neutral_all_mechanism'] and "
             "s['warnings_at'] == ['neutral4.example.net']",
             SPF_FACT_NEUTRAL},
            {"v=spf1 a:y.example.net/0 -all",
             "s['permissive'] is True and s['warnings'] == ['pass_all_mechanism'] and "
             "s['warnings_at'] == ['y.example.net']",
             SPF_FACT_PASS_ALL},
            {"v=spf1 a:y.example.net/24 a:y.example.net//0 -all",
             "s['permissive'] is False and s['warnings'] == []", SPF_FACT_FAIL},
            {"v=spf1 a:n.example.net/0 -all",
             "s['permissive'] is False and s['warnings'] == [] and s['void_lookups'] == 1",
             SPF_FACT_FAIL},
            {"v=spf1 a/0 -all", "s['warnings_at'] == ['example.com'] and s['permissive']",
             SPF_FACT_PASS_ALL},
            {"v=spf1 exists:y.example.net -all",
             "s['permissive'] is True and s['warnings_at'] == ['y.example.net']",
             SPF_FACT_PASS_ALL},
            {"v=spf1 ?exists:y.example.net -all",
             "s['permissive'] is True and s['warnings'] == ['neutral_all_mechanism']",
             SPF_FACT_NEUTRAL},
            {"v=spf1 -exists:y.example.net ~all",
             "s['permissive'] is False and s['warnings'] == []", SPF_FACT_FAIL},
            {"v=spf1 exists:nx.example.net -all",
             "s['permissive'] is False and s['warnings'] == []", SPF_FACT_FAIL},
            {"v=spf1 include:ex.example.net -all",
             "s['permissive'] is True and s['warnings_at'] == ['y.example.net']",
             SPF_FACT_PASS_ALL},
            {"v=spf1 ~include:ex.example.net -all",
             "s['permissive'] is False and s['warnings'] == []", SPF_FACT_FAIL},
            {"v=spf1 mx:y.example.net/0 -all", "s['permissive'] is False and s['warnings'] == []",
             SPF_FACT_FAIL},
            /* an error ends it: nothing is judged */
            {"v=spf1 ip4:0.0.0.0/0 include:nx.example.net -all",
             "s['result'] == 'permerror' and s['permissive'] is None", SPF_FACT_PERMERROR},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct fx *f = fx_new();
                w_txt(&f->w, "example.com", cases[i].domain_rec);
                w_a(&f->w, "example.com");
                w_a(&f->w, "y.example.net");
                w_rr(&f->w, "y.example.net", "MX", "y.example.net. 300 IN MX 0 y.example.net.");
                w_rcode(&f->w, "n.example.net", "A", LDNS_RCODE_NOERROR);
                w_rcode(&f->w, "nx.example.net", "A", LDNS_RCODE_NXDOMAIN);
                w_rcode(&f->w, "nx.example.net", "TXT", LDNS_RCODE_NXDOMAIN);
                w_txt(&f->w, "open4.example.net", "v=spf1 +ip4:0.0.0.0/0 -all");
                w_txt(&f->w, "neutral4.example.net", "v=spf1 ?ip4:0.0.0.0/0 -all");
                w_txt(&f->w, "ex.example.net", "v=spf1 exists:y.example.net ~all");
                run(f, "example.com");
                const char *const checks[] = {cases[i].expect, NULL};
                line(f, checks);
                assert_int_equal(facts(f)->spf, cases[i].fact);
                fx_free(f);
        }
        /* the sentences name the term and the name */
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com", "v=spf1 a:y.example.net/0 exists:y.example.net -all");
        w_a(&f->w, "y.example.net");
        run(f, "example.com");
        static const char *const details[] = {
            "s['warnings'] == ['pass_all_mechanism', 'pass_all_mechanism']",
            "'a:y.example.net/0 matches every IPv4 client' in s['warnings_detail'][0]['message']",
            "'exists:y.example.net matches every client' in s['warnings_detail'][1]['message']",
            NULL,
        };
        line_details(f, details);
        fx_free(f);
}

static void t_redirect_chain(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com", "v=spf1 redirect=r1.example.net");
        w_txt(&f->w, "r1.example.net", "v=spf1 ip4:192.0.2.1 redirect=r2.example.org");
        w_txt(&f->w, "r2.example.org", "v=spf1 ?all");
        run(f, "example.com");
        asked(f, "example.com TXT", "r1.example.net TXT", "r2.example.org TXT", NULL);
        static const char *const checks[] = {
            "s['result'] == 'ok'",
            "s['all'] == 'neutral' and s['permissive'] is True",
            "s['redirect'] == 'r1.example.net'",
            "s['dns_lookups'] == 2",
            "[(i['name'], i['kind'], i['parent'], i['depth']) for i in s['includes']] == ["
            "('r1.example.net', 'redirect', 'example.com', 1), "
            "('r2.example.org', 'redirect', 'r1.example.net', 2)]",
            NULL,
        };
        line(f, checks);
        assert_int_equal(facts(f)->spf, SPF_FACT_NEUTRAL);

        /* the chain's last record without all: neutral for anyone (RFC 7208 4.7) */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 redirect=r1.example.net");
        w_txt(&f->w, "r1.example.net", "v=spf1 redirect=r2.example.org");
        w_txt(&f->w, "r2.example.org", "v=spf1 ip4:192.0.2.1");
        run(f, "example.com");
        static const char *const open[] = {
            "s['result'] == 'ok' and s['all'] is None and s['permissive'] is True",
            NULL,
        };
        line(f, open);
        assert_int_equal(facts(f)->spf, SPF_FACT_NEUTRAL);

        /* a redirect inside an include ends that include only */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 include:inc.example.net -all");
        w_txt(&f->w, "inc.example.net", "v=spf1 redirect=r.example.org");
        w_txt(&f->w, "r.example.org", "v=spf1 +all");
        run(f, "example.com");
        asked(f, "example.com TXT", "inc.example.net TXT", "r.example.org TXT", NULL);
        static const char *const inside[] = {
            /* all stays the domain's; the redirect's +all ends the include, which then
             * passes everyone */
            "s['result'] == 'ok' and s['all'] == 'fail' and s['permissive'] is True",
            "s['warnings'] == ['include_pass_all']",
            "s['redirect'] is None",
            "[(i['name'], i['kind'], i['depth']) for i in s['includes']] == ["
            "('inc.example.net', 'include', 1), ('r.example.org', 'redirect', 2)]",
            NULL,
        };
        line(f, inside);
        assert_int_equal(facts(f)->spf, SPF_FACT_PASS_ALL);

        /* a redirect by macro: evaluated by no one here, so no all is known */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 redirect=%{d}._spf.example.net");
        run(f, "example.com");
        asked(f, "example.com TXT", NULL);
        static const char *const macro[] = {
            "s['result'] == 'ok' and s['all'] is None and s['permissive'] is None",
            "s['redirect'] == '%{d}._spf.example.net'",
            "s['dns_lookups'] == 1 and s['warnings'] == ['macro']",
            NULL,
        };
        line(f, macro);
        assert_int_equal(facts(f)->spf, SPF_FACT_NEUTRAL);
        assert_false(SPF(&f->s)->all_known);
        fx_free(f);
}

static void t_include_loop(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "a.example", "v=spf1 include:b.example -all");
        w_txt(&f->w, "b.example", "v=spf1 include:A.example. ~all");
        run(f, "a.example");
        asked(f, "a.example TXT", "b.example TXT", NULL);
        static const char *const checks[] = {
            "s['result'] == 'permerror' and s['valid'] is False",
            "s['all'] is None and s['permissive'] is None",
            "s['errors'] == ['include_loop'] and s['errors_at'] == ['a.example']",
            "[i['name'] for i in s['includes']] == ['b.example']",
            NULL,
        };
        line(f, checks);
        static const char *const details[] = {
            SPF_KEYS_DETAILS,
            "s['errors_detail'][0]['name'] == 'a.example'",
            "'leads back' in s['errors_detail'][0]['message']",
            NULL,
        };
        line_details(f, details);
        assert_int_equal(facts(f)->spf, SPF_FACT_PERMERROR);

        /* met where a receiver meets it: a failure before it in the record comes first */
        w_free(&f->w);
        w_txt(&f->w, "a.example", "v=spf1 include:b.example -all");
        w_txt(&f->w, "b.example", "v=spf1 a:sf.example include:a.example ~all");
        w_rcode(&f->w, "sf.example", "A", LDNS_RCODE_SERVFAIL);
        run(f, "a.example");
        asked(f, "a.example TXT", "b.example TXT", "sf.example A", NULL);
        static const char *const first[] = {
            "s['result'] == 'temperror' and s['errors'] == ['dns_error']",
            NULL,
        };
        line(f, first);

        /* self-include, and a redirect to itself */
        const char *self[] = {"v=spf1 include:a.example -all", "v=spf1 redirect=a.example"};
        for (size_t i = 0; i < 2; i++) {
                w_free(&f->w);
                w_txt(&f->w, "a.example", self[i]);
                run(f, "a.example");
                asked(f, "a.example TXT", NULL);
                static const char *const loop[] = {
                    "s['result'] == 'permerror' and s['errors'] == ['include_loop']",
                    "s['includes'] == []",
                    NULL,
                };
                line(f, loop);
        }
        fx_free(f);
}

static void t_include_missing(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com", "v=spf1 include:gone.example -all");
        w_rcode(&f->w, "gone.example", "TXT", LDNS_RCODE_NXDOMAIN);
        run(f, "example.com");
        asked(f, "example.com TXT", "gone.example TXT", NULL);
        static const char *const nx[] = {
            "s['result'] == 'permerror' and s['valid'] is False",
            "s['errors'] == ['include_missing'] and s['void_lookups'] == 1",
            "s['errors_at'] == ['gone.example']",
            "s['includes'] == [{'name': 'gone.example', 'kind': 'include', "
            "'parent': 'example.com', 'depth': 1, 'status': 'NXDOMAIN', 'result': 'none'}]",
            NULL,
        };
        line(f, nx);
        static const char *const nx_details[] = {
            "'NXDOMAIN' in s['errors_detail'][0]['message']",
            NULL,
        };
        line_details(f, nx_details);
        assert_int_equal(facts(f)->spf, SPF_FACT_PERMERROR);
        /* the domain exists: it is the include that does not */
        assert_int_equal(facts(f)->exists, TRI_YES);

        /* TXT but no SPF: missing, not void */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 include:other.example -all");
        w_txt(&f->w, "other.example", "v=spf10 -all");
        w_txt(&f->w, "other.example", "hello");
        run(f, "example.com");
        static const char *const nospf[] = {
            "s['errors'] == ['include_missing'] and s['void_lookups'] == 0",
            NULL,
        };
        line(f, nospf);

        /* no TXT at all: missing and void */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 redirect=empty.example");
        w_at(&f->w, "empty.example", "TXT");
        run(f, "example.com");
        static const char *const empty[] = {
            "s['errors'] == ['redirect_missing'] and s['void_lookups'] == 1",
            "s['includes'][0]['kind'] == 'redirect'",
            "s['all'] is None and s['permissive'] is None",
            NULL,
        };
        line(f, empty);
        fx_free(f);
}

static void t_include_permerror(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        /* the tree stops at the broken include: the parent's later terms are not asked */
        w_txt(&f->w, "example.com", "v=spf1 include:bad.example a:late.example -all");
        w_txt(&f->w, "bad.example", "v=spf1 ip4:192.0.2.300 -all");
        run(f, "example.com");
        asked(f, "example.com TXT", "bad.example TXT", NULL);
        static const char *const syntax[] = {
            "s['result'] == 'permerror' and s['errors'] == ['include_permerror']",
            "s['includes'][0]['result'] == 'permerror'",
            "s['errors_at'] == [s['includes'][0]['name']]",
            NULL,
        };
        line(f, syntax);
        static const char *const syntax_details[] = {
            "'is a permerror' in s['errors_detail'][0]['message']",
            NULL,
        };
        line_details(f, syntax_details);

        /* several records at an include */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 include:two.example -all");
        w_txt(&f->w, "two.example", "v=spf1 -all");
        w_txt(&f->w, "two.example", "v=spf1 ~all");
        run(f, "example.com");
        line(f, syntax);
        fx_free(f);
}

static void t_multiple_records(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com", "v=spf1 include:x.example -all");
        w_txt(&f->w, "example.com", "spf2.0/pra ~all");
        w_txt(&f->w, "example.com", "V=SPF1 ~all");
        run(f, "example.com");
        asked(f, "example.com TXT", NULL);
        static const char *const checks[] = {
            "s['records'] == ['v=spf1 include:x.example -all', 'V=SPF1 ~all']",
            "s['other_txt'] == 1",
            "s['result'] == 'permerror' and s['valid'] is False",
            "s['errors'] == ['multiple_records']",
            "s['all'] is None and s['permissive'] is None and s['dns_lookups'] == 0",
            NULL,
        };
        line(f, checks);
        assert_int_equal(facts(f)->spf, SPF_FACT_PERMERROR);
        fx_free(f);
}

/* ---- the limits ----------------------------------------------------------------------- */

/* example.com: an include and 5 a names; the include: n more a names. */
static void lookups_world(struct world *w, unsigned n)
{
        char rec[400], name[64];
        w_txt(w, "example.com",
              "v=spf1 include:i.example a:h1.example a:h2.example a:h3.example a:h4.example "
              "a:h5.example -all");
        int used = snprintf(rec, sizeof(rec), "v=spf1");
        for (unsigned k = 1; k <= n; k++)
                used += snprintf(rec + used, sizeof(rec) - (size_t)used, " a:g%u.example", k);
        snprintf(rec + used, sizeof(rec) - (size_t)used, " -all");
        w_txt(w, "i.example", rec);
        for (unsigned k = 1; k <= 5; k++) {
                snprintf(name, sizeof(name), "h%u.example", k);
                w_a(w, name);
                snprintf(name, sizeof(name), "g%u.example", k);
                w_a(w, name);
        }
}

static void t_lookup_limit(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        lookups_world(&f->w, 4); /* 6 + 4 */
        run(f, "example.com");
        asked(f, "example.com TXT", "i.example TXT", "g1.example A", "g2.example A", "g3.example A",
              "g4.example A", "h1.example A", "h2.example A", "h3.example A", "h4.example A",
              "h5.example A", NULL);
        static const char *const ten[] = {
            "s['result'] == 'ok' and s['dns_lookups'] == 10 and s['errors'] == []",
            NULL,
        };
        line(f, ten);

        w_free(&f->w);
        lookups_world(&f->w, 5); /* 6 + 5: over when the include's record is read */
        run(f, "example.com");
        asked(f, "example.com TXT", "i.example TXT", NULL);
        static const char *const eleven[] = {
            "s['result'] == 'permerror' and s['valid'] is False",
            "s['dns_lookups'] == 11 and s['errors'] == ['too_many_lookups']",
            "'errors_at' not in s",
            NULL,
        };
        line(f, eleven);
        static const char *const eleven_details[] = {
            "s['errors_detail'][0]['name'] is None",
            "'11 DNS-querying terms' in s['errors_detail'][0]['message']",
            NULL,
        };
        line_details(f, eleven_details);
        assert_int_equal(facts(f)->spf, SPF_FACT_PERMERROR);
        fx_free(f);
}

static void t_void_limit(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com",
              "v=spf1 a:v1.example mx:v2.example exists:v3.example a:ok.example -all");
        w_rcode(&f->w, "v1.example", "A", LDNS_RCODE_NXDOMAIN);
        w_at(&f->w, "v2.example", "MX"); /* NOERROR, no data */
        w_a(&f->w, "v3.example");
        w_a(&f->w, "ok.example");
        run(f, "example.com");
        asked(f, "example.com TXT", "v1.example A", "v2.example MX", "v3.example A", "ok.example A",
              NULL);
        static const char *const two[] = {
            "s['result'] == 'ok' and s['void_lookups'] == 2 and s['errors'] == []",
            NULL,
        };
        line(f, two);

        /* the third void lookup ends it */
        w_free(&f->w);
        w_txt(&f->w, "example.com",
              "v=spf1 a:v1.example mx:v2.example exists:v3.example a:ok.example -all");
        w_rcode(&f->w, "v1.example", "A", LDNS_RCODE_NXDOMAIN);
        w_at(&f->w, "v2.example", "MX");
        w_at(&f->w, "v3.example", "A");
        run(f, "example.com");
        asked(f, "example.com TXT", "v1.example A", "v2.example MX", "v3.example A", NULL);
        static const char *const three[] = {
            "s['result'] == 'permerror' and s['void_lookups'] == 3",
            "s['errors'] == ['too_many_void_lookups']",
            "s['errors_at'] == ['v3.example']",
            NULL,
        };
        line(f, three);
        fx_free(f);
}

static void mx_world(struct world *w, unsigned n)
{
        char rr[128];
        w_txt(w, "example.com", "v=spf1 mx:mail.example.net -all");
        for (unsigned k = 0; k < n; k++) {
                snprintf(rr, sizeof(rr), "mail.example.net. 300 IN MX %u mx%u.example.net.", k, k);
                w_rr(w, "mail.example.net", "MX", rr);
        }
}

static void t_mx_limit(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        mx_world(&f->w, 10);
        run(f, "example.com");
        asked(f, "example.com TXT", "mail.example.net MX", NULL);
        static const char *const ten[] = {
            "s['result'] == 'ok' and s['errors'] == [] and s['dns_lookups'] == 1",
            NULL,
        };
        line(f, ten);
        w_free(&f->w);
        mx_world(&f->w, 11);
        run(f, "example.com");
        static const char *const eleven[] = {
            "s['result'] == 'permerror' and s['errors'] == ['too_many_mx']",
            "s['errors_at'] == ['mail.example.net']",
            NULL,
        };
        line(f, eleven);
        static const char *const eleven_details[] = {
            "'has 11 MX records' in s['errors_detail'][0]['message']",
            NULL,
        };
        line_details(f, eleven_details);
        fx_free(f);
}

/* ---- warnings carried from includes ---------------------------------------------------- */

static void t_ptr_carried(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com", "v=spf1 include:p.example ptr -all");
        w_txt(&f->w, "p.example", "v=spf1 ptr:example.org ?all");
        run(f, "example.com");
        asked(f, "example.com TXT", "p.example TXT", NULL);
        static const char *const checks[] = {
            "s['result'] == 'ok' and s['dns_lookups'] == 3",
            "s['warnings'] == ['ptr_used', 'ptr_used']",
            "s['warnings_at'] == ['ptr', 'p.example']",
            NULL,
        };
        line(f, checks);
        static const char *const details[] = {
            "s['warnings_detail'][0].get('term') == 'ptr'",
            "s['warnings_detail'][1]['name'] == 'p.example'",
            "'ptr_used' in s['warnings_detail'][1]['message']",
            NULL,
        };
        line_details(f, details);
        fx_free(f);
}

/* ---- DNS failures ---------------------------------------------------------------------- */

static void t_domain_failure(void **st)
{
        (void)st;
        static const struct {
                int rcode;
                const char *status;
        } cases[] = {{LDNS_RCODE_SERVFAIL, "SERVFAIL"}, {TMO, "TIMEOUT"}};
        for (size_t i = 0; i < 2; i++) {
                struct fx *f = fx_new();
                w_rcode(&f->w, "example.com", "TXT", cases[i].rcode);
                run(f, "example.com");
                asked(f, "example.com TXT", NULL);
                char e_status[64];
                snprintf(e_status, sizeof(e_status), "s['status'] == '%s'", cases[i].status);
                const char *const checks[] = {
                    SPF_KEYS,
                    e_status,
                    "s['records'] == []",
                    "s['result'] == 'temperror' and s['valid'] is None",
                    "s['all'] is None and s['permissive'] is None",
                    "s['errors'] == ['dns_error'] and s['errors_at'] == ['example.com']",
                    "d['exists'] is None",
                    NULL,
                };
                line(f, checks);
                static const char *const details[] = {
                    "'example.com TXT could not be resolved' in s['errors_detail'][0]['message']",
                    NULL,
                };
                line_details(f, details);
                assert_int_equal(facts(f)->spf, SPF_FACT_TEMPERROR);
                assert_int_equal(facts(f)->exists, TRI_UNKNOWN);
                fx_free(f);
        }
}

static void t_tree_failure(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_txt(&f->w, "example.com", "v=spf1 include:sf.example a:late.example -all");
        w_rcode(&f->w, "sf.example", "TXT", LDNS_RCODE_SERVFAIL);
        run(f, "example.com");
        asked(f, "example.com TXT", "sf.example TXT", NULL);
        static const char *const inc[] = {
            "s['status'] == 'NOERROR' and s['result'] == 'temperror' and s['valid'] is None",
            "s['errors'] == ['dns_error']",
            "s['includes'] == [{'name': 'sf.example', 'kind': 'include', "
            "'parent': 'example.com', 'depth': 1, 'status': 'SERVFAIL', 'result': None}]",
            "d['exists'] is True",
            NULL,
        };
        line(f, inc);
        assert_int_equal(facts(f)->spf, SPF_FACT_TEMPERROR);
        assert_int_equal(facts(f)->exists, TRI_YES);

        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 a:slow.example mx -all");
        w_rcode(&f->w, "slow.example", "A", TMO);
        run(f, "example.com");
        asked(f, "example.com TXT", "slow.example A", NULL);
        static const char *const name[] = {
            "s['result'] == 'temperror' and s['errors'] == ['dns_error']",
            "s['errors_at'] == ['slow.example']",
            NULL,
        };
        line(f, name);
        static const char *const name_details[] = {
            "'slow.example A could not be resolved (TIMEOUT)' in "
            "s['errors_detail'][0]['message']",
            NULL,
        };
        line_details(f, name_details);
        fx_free(f);
}

static void t_domain_nxdomain(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_rcode(&f->w, "gone.example", "TXT", LDNS_RCODE_NXDOMAIN);
        run(f, "gone.example");
        static const char *const checks[] = {
            SPF_KEYS,
            "s['status'] == 'NXDOMAIN' and s['records'] == []",
            "s['result'] == 'none' and s['valid'] is False",
            "s['errors'] == [] and s['includes'] == []",
            "d['exists'] is False",
            NULL,
        };
        line(f, checks);
        assert_int_equal(facts(f)->spf, SPF_FACT_NONE);
        assert_int_equal(facts(f)->exists, TRI_NO);
        assert_int_equal(facts(f)->status, WIRE_RCODE_NXDOMAIN);
        fx_free(f);
}

/* A CNAME at the domain leaving its zone: the target is asked next. */
static void t_domain_cname(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        w_rr(&f->w, "example.com", "TXT", "example.com. 300 IN CNAME spf.host.example.");
        w_txt(&f->w, "spf.host.example", "v=spf1 a -all");
        w_a(&f->w, "example.com");
        run(f, "example.com");
        /* a term without a name names the domain evaluated, not the CNAME's target */
        asked(f, "example.com TXT", "spf.host.example TXT", "example.com A", NULL);
        static const char *const checks[] = {
            "s['status'] == 'NOERROR' and s['records'] == ['v=spf1 a -all']",
            "s['result'] == 'ok' and s['all'] == 'fail' and s['attempts'] == 3",
            NULL,
        };
        line(f, checks);

        /* within the reply (the target's TXT beside the CNAME): nothing more to ask; at an
         * include leaving its zone: the target asked next, through the shared cache */
        w_free(&f->w);
        w_rr(&f->w, "example.com", "TXT", "example.com. 300 IN CNAME spf.example.com.");
        w_rr(&f->w, "example.com", "TXT",
             "spf.example.com. 300 IN TXT \"v=spf1 include:inc.example -all\"");
        w_rr(&f->w, "inc.example", "TXT", "inc.example. 300 IN CNAME spf.provider.example.");
        w_txt(&f->w, "spf.provider.example", "v=spf1 ip4:192.0.2.0/24 -all");
        run(f, "example.com");
        asked(f, "example.com TXT", "inc.example TXT", "spf.provider.example TXT", NULL);
        assert_false(f->w.shared[0]);
        assert_true(f->w.shared[1] && f->w.shared[2]);
        static const char *const inc[] = {
            "s['records'] == ['v=spf1 include:inc.example -all']",
            "s['result'] == 'ok' and s['dns_lookups'] == 1",
            "s['includes'] == [{'name': 'inc.example', 'kind': 'include', 'parent': 'example.com', "
            "'depth': 1, 'status': 'NOERROR', 'result': 'ok'}]",
            NULL,
        };
        line(f, inc);
        fx_free(f);
}

/* ---- hostile and large ----------------------------------------------------------------- */

static void t_hostile_bytes(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        static const char rec[] = "v=spf1 include:\x01\"\\\xff\xc3\x28.example a:\n -all\x00x";
        w_txt_bytes(&f->w, "example.com", rec, sizeof(rec) - 1);
        w_txt_bytes(&f->w, "example.com", "\x00\x00\x7f", 3);
        run(f, "example.com");
        asked(f, "example.com TXT", NULL);
        static const char *const checks[] = {
            "s['result'] == 'permerror' and s['valid'] is False",
            "len(s['records']) == 1 and s['records'][0].startswith('v=spf1 include:\\x01\"\\\\')",
            "s['records'][0].endswith('\\x00x')",
            "len(s['errors']) > 0 and s['other_txt'] == 1",
            "len(s['errors_at']) == len(s['errors'])",
            "all(a is None or a.isprintable() for a in s['errors_at'])",
            NULL,
        };
        line(f, checks);
        static const char *const details[] = {
            "all(e['message'].isprintable() for e in s['errors_detail'])",
            NULL,
        };
        line_details(f, details);
        fx_free(f);
}

/* A domain with many other TXT records (site verifications): the SPF record is found
 * wherever the answer puts it. */
static void t_many_txt(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        char text[64];
        for (unsigned k = 0; k < 40; k++) {
                snprintf(text, sizeof(text), "site-verification=%u", k);
                w_txt(&f->w, "example.com", text);
        }
        w_txt(&f->w, "example.com", "v=spf1 include:i.example -all");
        w_txt(&f->w, "i.example", "v=spf1 a -all");
        for (unsigned k = 0; k < 40; k++) {
                snprintf(text, sizeof(text), "other=%u", k);
                w_txt(&f->w, "i.example", text);
        }
        w_a(&f->w, "i.example");
        run(f, "example.com");
        asked(f, "example.com TXT", "i.example TXT", "i.example A", NULL);
        static const char *const checks[] = {
            "s['records'] == ['v=spf1 include:i.example -all']",
            "s['other_txt'] == 40",
            "s['result'] == 'ok' and s['all'] == 'fail' and s['dns_lookups'] == 2",
            NULL,
        };
        line(f, checks);
        fx_free(f);
}

/* 50 SPF records at the domain: every one is in the line, in the order of the answer, and
 * receivers return permerror. */
static void t_many_records(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        char text[64];
        for (unsigned k = 0; k < 60; k++) {
                snprintf(text, sizeof(text), k % 6 == 5 ? "other=%u" : "v=spf1 a:n%u.example -all",
                         k);
                w_txt(&f->w, "example.com", text);
        }
        run(f, "example.com");
        asked(f, "example.com TXT", NULL);
        static const char *const checks[] = {
            "s['records'] == ['v=spf1 a:n%d.example -all' % k for k in range(60) if k % 6 != 5]",
            "s['other_txt'] == 10",
            "s['result'] == 'permerror' and s['errors'] == ['multiple_records']",
            NULL,
        };
        line(f, checks);
        static const char *const details[] = {
            "'50 TXT records' in s['errors_detail'][0]['message']",
            NULL,
        };
        line_details(f, details);
        assert_int_equal(SPF(&f->s)->records, 50);
        fx_free(f);
}

/* Every tree warning is kept: ten +includes whose records pass everyone (ip4:0.0.0.0/0 and
 * +all) give twenty (12 were kept, once). */
static void t_many_tree_issues(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        char rec[512], name[32], want[1024];
        int used = snprintf(rec, sizeof(rec), "v=spf1");
        int wn = snprintf(want, sizeof(want), "s['warnings_at'] == [");
        for (unsigned k = 0; k < 10; k++) {
                snprintf(name, sizeof(name), "i%u.example", k);
                used += snprintf(rec + used, sizeof(rec) - (size_t)used, " include:%s", name);
                w_txt(&f->w, name, "v=spf1 ip4:0.0.0.0/0 +all");
                wn += snprintf(want + wn, sizeof(want) - (size_t)wn, "'%s', '%s', ", name, name);
        }
        snprintf(rec + used, sizeof(rec) - (size_t)used, " -all");
        snprintf(want + wn - 2, sizeof(want) - (size_t)wn + 2, "]");
        w_txt(&f->w, "example.com", rec);
        run(f, "example.com");
        const char *const checks[] = {
            "s['result'] == 'ok' and s['dns_lookups'] == 10 and s['permissive'] is True",
            "s['warnings'] == ['include_pass_all', 'pass_all_mechanism'] * 10",
            want,
            NULL,
        };
        line(f, checks);
        fx_free(f);
}

/* Past the domain's byte budget (set small here): what did not fit is missing, the line says
 * budget_exceeded, the result is still evaluated; within the budget, the same domain has
 * everything. Both the domain's own record and a target's record count. */
static void t_budget_exceeded(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        struct spf_scratch *ss = f->s.check[0];
        char rec[8192];
        int used = snprintf(rec, sizeof(rec), "v=spf1");
        for (unsigned k = 0; k < 100; k++)
                used += snprintf(rec + used, sizeof(rec) - (size_t)used, " ip4:192.0.2.%u", k);
        snprintf(rec + used, sizeof(rec) - (size_t)used, " -all");
        w_txt(&f->w, "example.com", "v=spf1 include:i.example -all");
        w_txt(&f->w, "i.example", rec);
        static const char *const over[] = {
            "s['result'] == 'ok' and s['all'] == 'fail' and s['dns_lookups'] == 1",
            "s['errors'] == ['budget_exceeded'] and 'errors_at' not in s",
            "[i['result'] for i in s['includes']] == ['ok']",
            NULL,
        };
        static const char *const over_details[] = {
            "'4 KiB budget' in s['errors_detail'][0]['message']",
            NULL,
        };
        static const char *const within[] = {
            "s['result'] == 'ok' and s['errors'] == []",
            NULL,
        };
        ss->budget.limit = 4096; /* the domain's record fits, the target's 101 terms do not */
        run(f, "example.com");
        line(f, over);
        line_details(f, over_details);
        ss->budget.limit = 0;
        run(f, "example.com");
        line(f, within);

        /* the domain's own record: 60 unknown modifiers' warnings do not fit */
        w_free(&f->w);
        used = snprintf(rec, sizeof(rec), "v=spf1");
        for (unsigned k = 0; k < 60; k++)
                used += snprintf(rec + used, sizeof(rec) - (size_t)used, " m%u=v", k);
        snprintf(rec + used, sizeof(rec) - (size_t)used, " -all");
        w_txt(&f->w, "example.com", rec);
        ss->budget.limit = 4096;
        run(f, "example.com");
        static const char *const own[] = {
            "s['result'] == 'ok' and s['all'] == 'fail' and s['errors'] == ['budget_exceeded']",
            "0 < s['warnings'].count('unknown_modifier') < 60",
            NULL,
        };
        line(f, own);
        assert_true(SPF(&f->s)->rec.over_budget && SPF(&f->s)->rec.warnings_dropped > 0);
        ss->budget.limit = 0;
        run(f, "example.com");
        static const char *const own_within[] = {
            "s['errors'] == [] and s['warnings'].count('unknown_modifier') == 60",
            NULL,
        };
        line(f, own_within);
        fx_free(f);
}

/* The tree cannot outgrow SPF_NODES_MAX: every node is a counted lookup, and a record over
 * the limit ends the evaluation before its targets become nodes. */
static void t_tree_bounded(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        char rec[1024], name[32];
        int used = snprintf(rec, sizeof(rec), "v=spf1");
        for (unsigned k = 0; k < 40; k++)
                used += snprintf(rec + used, sizeof(rec) - (size_t)used, " a:n%u.example", k);
        w_txt(&f->w, "example.com", rec);
        run(f, "example.com");
        asked(f, "example.com TXT", NULL);
        static const char *const wide[] = {
            "s['result'] == 'permerror' and s['errors'] == ['too_many_lookups']",
            "s['dns_lookups'] == 40 and s['includes'] == []",
            NULL,
        };
        line(f, wide);

        /* the widest tree evaluated: 10 names, then a loop */
        w_free(&f->w);
        w_txt(&f->w, "example.com", "v=spf1 include:i.example a:a1.example -all");
        used = snprintf(rec, sizeof(rec), "v=spf1");
        for (unsigned k = 0; k < 7; k++) {
                snprintf(name, sizeof(name), "n%u.example", k);
                used += snprintf(rec + used, sizeof(rec) - (size_t)used, " exists:%s", name);
                w_a(&f->w, name);
        }
        snprintf(rec + used, sizeof(rec) - (size_t)used, " include:example.com");
        w_txt(&f->w, "i.example", rec);
        run(f, "example.com");
        assert_int_equal(f->w.nasked, 9);
        static const char *const deep[] = {
            "s['result'] == 'permerror' and s['errors'] == ['include_loop']",
            "s['dns_lookups'] == 10",
            NULL,
        };
        line(f, deep);
        assert_true(SPF(&f->s)->nnodes <= SPF_LOOKUP_LIMIT + 2);
        fx_free(f);
}

/* Records and names over what the job holds inline go to the heap; job_clear frees them
 * (ASan's leak check), and the job is reused after. */
static void t_large(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        char rec[2600], names[4][100], incs[600], e_len[64];
        size_t names_len = 0;
        int used = snprintf(rec, sizeof(rec), "v=spf1");
        for (unsigned k = 0; used < 1900; k++) /* long terms: fewer than SPF_TERMS_MAX */
                used += snprintf(rec + used, sizeof(rec) - (size_t)used,
                                 " ip6:2001:db8:%04x:%04x:%04x:%04x:%04x:0/112", k, k, k, k, k);
        for (unsigned k = 0; k < 4; k++) {
                snprintf(names[k], sizeof(names[k]), "%c%s.%s.example", 'a' + k,
                         "23456789012345678901234567890123456789012345678901234567890",
                         "2345678901234567890123456");
                names_len += strlen(names[k]);
                w_txt(&f->w, names[k], "v=spf1 -all");
        }
        assert_true(names_len > SPF_NAMES_INLINE);
        snprintf(rec + used, sizeof(rec) - (size_t)used,
                 " include:%s include:%s include:%s include:%s -all", names[0], names[1], names[2],
                 names[3]);
        assert_true(strlen(rec) < sizeof(rec) - 1);
        assert_true(strlen(rec) > DS_REPLY_INLINE && strlen(rec) > SPF_HELD_INLINE);
        w_txt(&f->w, "example.com", rec);
        snprintf(incs, sizeof(incs),
                 "[i['name'] for i in s['includes']] == ['%s', '%s', '%s', '%s']", names[0],
                 names[1], names[2], names[3]);
        snprintf(e_len, sizeof(e_len), "len(s['records'][0]) == %zu", strlen(rec));
        const char *const checks[] = {
            "s['result'] == 'ok' and s['dns_lookups'] == 4",
            e_len,
            "s['warnings'] == ['record_too_long']",
            incs,
            NULL,
        };
        for (int round = 0; round < 2; round++) {
                /* the second run's item() clears the job: the first's heap is freed then */
                run(f, "example.com");
                assert_int_equal(f->w.nasked, 5);
                const struct spf_state *sst = job_state(&f->j, 0);
                assert_non_null(sst->held_big);
                assert_non_null(sst->names_big);
                line(f, checks);
        }
        fx_free(f);
}

/* ---- the result when the scratch served other domains ------------------------------------ */

static const char *const a_checks[] = {
    "d['domain'] == 'a.example'",
    "s['records'] == ['v=spf1 include:inc.example redirect=r.example']",
    "s['result'] == 'ok' and s['all'] == 'softfail' and s['redirect'] == 'r.example'",
    "s['dns_lookups'] == 2 and s['warnings'] == []",
    "[i['name'] for i in s['includes']] == ['inc.example', 'r.example']",
    NULL,
};

static const char *const b_checks[] = {
    "d['domain'] == 'b.example'",
    "s['records'] == ['v=spf1 ptr include:%{d}.x.example +all']",
    "s['result'] == 'ok' and s['all'] == 'pass' and s['redirect'] is None",
    "s['warnings'] == ['ptr_used', 'macro'] and s['includes'] == []",
    NULL,
};

static void reparse_world(struct world *w)
{
        w_txt(w, "a.example", "v=spf1 include:inc.example redirect=r.example");
        w_txt(w, "inc.example", "v=spf1 -all");
        w_txt(w, "r.example", "v=spf1 ~all");
        w_txt(w, "b.example", "v=spf1 ptr include:%{d}.x.example +all");
}

static void t_conclude_elsewhere(void **st)
{
        (void)st;
        struct fx *f = fx_new();
        struct job jb = {0};
        struct job_scratch other;
        assert_int_equal(job_init(&jb, &f->set, NULL), 0);
        assert_int_equal(job_scratch_init(&other, &f->set), 0);
        reparse_world(&f->w);

        /* A to the end, then B on the same scratch, then A's line */
        run_job(&f->w, &f->j, &f->s, "a.example");
        run_job(&f->w, &jb, &f->s, "b.example");
        line_of(f, &f->j, &f->s, a_checks);
        assert_int_equal(f->s.facts[0].spf, SPF_FACT_FAIL);
        line_of(f, &jb, &f->s, b_checks);
        assert_int_equal(f->s.facts[0].spf, SPF_FACT_PASS_ALL);
        /* twice in a row on one scratch: the same line */
        line_of(f, &jb, &f->s, b_checks);

        /* concluded on a scratch that never saw the domain */
        line_of(f, &f->j, &other, a_checks);
        line_of(f, &jb, &other, b_checks);

        /* the same job reused for a new domain: its old result is not taken for the new */
        run_job(&f->w, &f->j, &f->s, "b.example");
        line_of(f, &f->j, &other, b_checks);
        job_clear(&jb);
        job_free(&jb);
        job_scratch_free(&other);
        fx_free(f);
}

/* ---- facts ----------------------------------------------------------------------------- */

static void t_facts(void **st)
{
        (void)st;
        static const struct {
                const char *record; /* NULL: no TXT at all */
                int8_t fact;
        } cases[] = {
            {NULL, SPF_FACT_NONE},
            {"v=spf2 -all", SPF_FACT_NONE},
            {"v=spf1 -all", SPF_FACT_FAIL},
            {"v=spf1 ~all", SPF_FACT_FAIL},
            {"v=spf1 ?all", SPF_FACT_NEUTRAL},
            {"v=spf1 ip4:192.0.2.1", SPF_FACT_NEUTRAL},
            {"v=spf1 +all", SPF_FACT_PASS_ALL},
            {"v=spf1 all", SPF_FACT_PASS_ALL},
            {"v=spf1 a:", SPF_FACT_PERMERROR},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct fx *f = fx_new();
                w_at(&f->w, "example.com", "TXT");
                if (cases[i].record)
                        w_txt(&f->w, "example.com", cases[i].record);
                run(f, "example.com");
                job_conclude(&f->j, &f->s);
                assert_int_equal(facts(f)->spf, cases[i].fact);
                assert_int_equal(facts(f)->exists, TRI_YES);
                assert_int_equal(facts(f)->status, WIRE_RCODE_NOERROR);
                fx_free(f);
        }
}

static int setup(void **st)
{
        (void)st;
        return pycheck_setup("test_spf_check", "s = d['spf']\n");
}

static int teardown(void **st)
{
        (void)st;
        return pycheck_teardown();
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_appendix_simple),    cmocka_unit_test(t_appendix_multiple_domains),
            cmocka_unit_test(t_appendix_macros),    cmocka_unit_test(t_include_three_deep),
            cmocka_unit_test(t_include_diamond),    cmocka_unit_test(t_redirect),
            cmocka_unit_test(t_redirect_chain),     cmocka_unit_test(t_include_pass_all),
            cmocka_unit_test(t_everyone),           cmocka_unit_test(t_include_loop),
            cmocka_unit_test(t_include_missing),    cmocka_unit_test(t_include_permerror),
            cmocka_unit_test(t_multiple_records),   cmocka_unit_test(t_lookup_limit),
            cmocka_unit_test(t_void_limit),         cmocka_unit_test(t_mx_limit),
            cmocka_unit_test(t_ptr_carried),        cmocka_unit_test(t_domain_failure),
            cmocka_unit_test(t_tree_failure),       cmocka_unit_test(t_domain_nxdomain),
            cmocka_unit_test(t_domain_cname),       cmocka_unit_test(t_hostile_bytes),
            cmocka_unit_test(t_many_txt),           cmocka_unit_test(t_many_records),
            cmocka_unit_test(t_many_tree_issues),   cmocka_unit_test(t_budget_exceeded),
            cmocka_unit_test(t_tree_bounded),       cmocka_unit_test(t_large),
            cmocka_unit_test(t_conclude_elsewhere), cmocka_unit_test(t_facts),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

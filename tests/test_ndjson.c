/* test_ndjson.c -- unit tests for scanner/line.c and output/ndjson.c: lines for finished jobs are
 * parsed by python3's json module and checked field by field against docs/output.md; timestamps
 * come from a fake clock (common/clock.h), so "ts" is checked exactly and the timestamp cache
 * across second and day boundaries without sleeping. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdbool.h> /* before ldns, which otherwise defines bool as signed char */
#include <ldns/ldns.h>

#include "dns/engine.h"
#include "dns/wire.h"
#include "output/json.h"
#include "scanner/line.h"
#include "scanner/job.h"
#include "job_packets.h"
#include "pycheck.h"

/* Every fixture's line is stamped at this fake wall time. */
#define FX_WALL_NS (1795910399LL * 1000000000 + 250000000)
#define FX_TS      "2026-11-28T23:59:59.250Z"

/* The verdict fields, in order, as a python list's items (with a trailing ", "). */
#define VERDICT_KEYS                                                                               \
        "'exists', 'posture', 'enforcing', 'partial', 'spoofable', 'spoofable_reason', "
/* The output contract's further checks (#12), null until they exist. */
#define LATER_KEYS "'mta_sts', 'tls_rpt', 'bimi', 'dkim', 'dnssec'"
/* The dmarc object's keys, in order; cname and dropped: the optional keys' items. */
#define DMARC_KEYS(cname, dropped)                                                                 \
        "['status', 'records', 'location', 'discovery', 'valid', 'p', 'sp', 'np', 'pct', 't', "    \
        "'adkim', 'aspf', 'fo', 'psd', 'rua', 'ruf', 'receivers', 'errors', 'warnings', "          \
        "'policy_from', 'policy_domain', 'org_domain', 'walk', " cname "'other_txt', " dropped     \
        "'attempts']"
/* The same with --details (and no code about a term: no errors_at, warnings_at). */
#define DMARC_KEYS_DETAILS                                                                         \
        "['status', 'records', 'location', 'discovery', 'valid', 'p', 'sp', 'np', 'pct', 't', "    \
        "'adkim', 'aspf', 'fo', 'psd', 'rua', 'ruf', 'receivers', 'errors', 'warnings', "          \
        "'errors_detail', 'warnings_detail', 'tags', 'policy_from', 'policy_domain', "             \
        "'org_domain', 'walk', 'other_txt', 'attempts']"

/* ---- python checker ------------------------------------------------------------------- */

/* ts_ok(s): the fixtures' fake time. */
static int setup(void **st)
{
        (void)st;
        return pycheck_setup("test_ndjson", "def ts_ok(s):\n    return s == '" FX_TS "'\n");
}

static int teardown(void **st)
{
        (void)st;
        return pycheck_teardown();
}

/* ---- jobs ----------------------------------------------------------------------------- */

static void item_ok(struct job *j, const char *domain)
{
        tj_reset(j);
        j->in.line = 7;
        j->in.rank = -1;
        j->in.status = INPUT_ITEM_OK;
        snprintf(j->in.domain, sizeof(j->in.domain), "%s", domain);
        snprintf(j->in.raw, sizeof(j->in.raw), "%s", domain);
}

struct fixture {
        struct job j;
        struct job_scratch s;
        struct jbuf b;
        struct ndjson_clock clock;
        struct line_opts o;
        struct ds_fake_clock now;
};

static struct fixture *fx_new(void)
{
        struct fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        tj_scratch(&f->s);
        jbuf_init(&f->b);
        ds_fake_clock_init(&f->now, 0, FX_WALL_NS);
        f->o.clock = &f->now.clock;
        return f;
}

static void fx_free(struct fixture *f)
{
        job_free(&f->j);
        job_scratch_free(&f->s);
        jbuf_free(&f->b);
        free(f);
}

/* Write the line of f's job into a fresh buffer and check it as one line. */
static void fx_line(struct fixture *f, const char *const *exprs)
{
        jbuf_reset(&f->b);
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        assert_true(f->b.len >= 2);
        assert_int_equal(f->b.p[f->b.len - 1], '\n');
        assert_null(memchr(f->b.p, '\n', f->b.len - 1));
        pycheck_line(f->b.p, f->b.len, exprs);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void t_ok_records(void **st)
{
        (void)st;
        struct fixture *f = fx_new();
        item_ok(&f->j, "example.com");
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com");
        lp_txt(lp, "_dmarc.example.com", "google-site-verification=x");
        lp_txt(lp, "_dmarc.example.com", "v=DMARC1; p=none");
        lp_feed(&f->j, lp, 2);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);

        static const char *const checks[] = {
            "list(d) == ['schema', 'domain', 'line', 'ts', 'status', " VERDICT_KEYS
            "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "d['schema'] == 1 and type(d['schema']) is int",
            "d['domain'] == 'example.com'",
            "d['line'] == 7 and type(d['line']) is int",
            "ts_ok(d['ts'])",
            "d['status'] == 'OK'",
            "list(d['dmarc']) == " DMARC_KEYS("", ""),
            "d['dmarc']['status'] == 'NOERROR'",
            "d['spf'] is None and d['mx'] is None",
            /* two records at the domain: none is used (exact discovery in this test) */
            "d['posture'] == 'invalid' and d['enforcing'] is False and d['partial'] is False",
            "d['spoofable'] == 'yes' and d['spoofable_reason'] == 'dmarc_invalid'",
            "d['exists'] is True",
            "d['dmarc']['valid'] is False and d['dmarc']['p'] is None",
            "d['dmarc']['errors'] == ['multiple_records']",
            "d['dmarc']['warnings'] == ['non_dmarc_txt']",
            "'errors_at' not in d['dmarc'] and 'warnings_at' not in d['dmarc']",
            "d['dmarc']['walk'] == [{'name': '_dmarc.example.com', 'status': 'NOERROR', "
            "'records': 2}]",
            "d['dmarc']['records'] == ['v=DMARC1; p=reject; rua=mailto:d@example.com', "
            "'v=DMARC1; p=none']",
            "d['dmarc']['location'] == '_dmarc.example.com'",
            "d['dmarc']['discovery'] == 'exact'",
            "d['dmarc']['other_txt'] == 1",
            "d['dmarc']['attempts'] == 2",
            NULL,
        };
        fx_line(f, checks);

        /* --details: the sentences, in the codes' order, and no single record's tags */
        tj_details(&f->j);
        static const char *const details[] = {
            "list(d['dmarc']) == " DMARC_KEYS_DETAILS,
            "d['dmarc']['errors_detail'][0]['code'] == 'multiple_records'",
            "'2 DMARC records at _dmarc.example.com' in "
            "d['dmarc']['errors_detail'][0]['message']",
            "[w['code'] for w in d['dmarc']['warnings_detail']] == ['non_dmarc_txt']",
            "d['dmarc']['tags'] is None",
            NULL,
        };
        fx_line(f, details);

        /* ndjson_job appends: a second line goes after the first, which stays intact */
        size_t first = f->b.len;
        char *copy = malloc(first);
        assert_non_null(copy);
        memcpy(copy, f->b.p, first);
        line_write(&f->b, &f->j, &f->s, &f->o, &f->clock);
        assert_true(f->b.len > first);
        assert_memory_equal(f->b.p, copy, first);
        assert_int_equal(f->b.p[f->b.len - 1], '\n');
        assert_null(memchr(f->b.p + first, '\n', f->b.len - first - 1));
        free(copy);
        fx_free(f);
}

static void t_illegal(void **st)
{
        (void)st;
        struct fixture *f = fx_new();
        tj_reset(&f->j);
        f->j.in.line = 3;
        f->j.in.rank = -1;
        f->j.in.status = INPUT_ITEM_ILLEGAL;
        snprintf(f->j.in.raw, sizeof(f->j.in.raw), "bad..name");
        snprintf(f->j.in.error, sizeof(f->j.in.error), "empty label");
        assert_int_equal(job_start(&f->j), JOB_STEP_DONE);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const checks[] = {
            "list(d) == ['schema', 'domain', 'line', 'input', 'ts', 'status', "
            "'error', " VERDICT_KEYS "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "d['schema'] == 1",
            "d['domain'] is None",
            "d['line'] == 3",
            "d['input'] == 'bad..name'",
            "ts_ok(d['ts'])",
            "d['status'] == 'ILLEGAL_INPUT'",
            "d['error'] == 'empty label'",
            "d['dmarc'] is None",
            NULL,
        };
        fx_line(f, checks);

        /* hostile raw input is escaped; raw_differs is irrelevant for illegal items */
        tj_reset(&f->j);
        f->j.in.line = 4;
        f->j.in.rank = 12;
        f->j.in.status = INPUT_ITEM_ILLEGAL;
        snprintf(f->j.in.raw, sizeof(f->j.in.raw), "\"q\\\x01\xff\t.com");
        snprintf(f->j.in.error, sizeof(f->j.in.error), "bad \"char\"");
        assert_int_equal(job_start(&f->j), JOB_STEP_DONE);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const hostile[] = {
            "list(d) == ['schema', 'domain', 'line', 'input', 'rank', 'ts', 'status', "
            "'error', " VERDICT_KEYS "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "d['input'] == '\"q\\\\\\x01\\ufffd\\t.com'",
            "d['error'] == 'bad \"char\"'",
            "d['rank'] == 12",
            "d['domain'] is None and d['dmarc'] is None",
            NULL,
        };
        fx_line(f, hostile);
        fx_free(f);
}

/* A domain whose _dmarc name is too long: job_start turns it ILLEGAL with a reason. */
static void t_illegal_from_start(void **st)
{
        (void)st;
        struct fixture *f = fx_new();
        char dom[251];
        for (size_t i = 0; i < 250; i++)
                dom[i] = (i + 1) % 64 == 0 ? '.' : 'a';
        dom[250] = 0;
        item_ok(&f->j, dom);
        assert_int_equal(job_start(&f->j), JOB_STEP_DONE);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const checks[] = {
            "d['status'] == 'ILLEGAL_INPUT'",
            "d['domain'] is None",
            "d['dmarc'] is None",
            "isinstance(d['error'], str) and len(d['error']) > 0",
            "isinstance(d['input'], str) and len(d['input']) == 250",
            NULL,
        };
        fx_line(f, checks);
        fx_free(f);
}

static void t_rank_sector_nxdomain(void **st)
{
        (void)st;
        struct fixture *f = fx_new();
        item_ok(&f->j, "www.example.com");
        snprintf(f->j.in.raw, sizeof(f->j.in.raw), "WWW.Example.com.");
        f->j.in.raw_differs = true;
        f->j.in.rank = 42;
        f->j.in.line = 43;
        f->j.in.sector = "finance";
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        lp_feed(&f->j, lp_reply("_dmarc.www.example.com", LDNS_RCODE_NXDOMAIN), 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const checks[] = {
            "list(d) == ['schema', 'domain', 'line', 'input', 'rank', 'sector', 'ts', "
            "'status', " VERDICT_KEYS "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "d['domain'] == 'www.example.com'",
            "d['line'] == 43",
            "d['input'] == 'WWW.Example.com.'",
            "d['rank'] == 42 and type(d['rank']) is int",
            "d['sector'] == 'finance'",
            "d['status'] == 'OK'",
            "ts_ok(d['ts'])",
            "list(d['dmarc']) == " DMARC_KEYS("", ""),
            "d['posture'] == 'missing' and d['exists'] is None",
            "d['spoofable'] == 'yes' and d['spoofable_reason'] == 'dmarc_missing'",
            "d['dmarc']['valid'] is None and d['dmarc']['receivers'] == []",
            "d['dmarc']['rua'] == [] and d['dmarc']['ruf'] == []",
            "d['dmarc']['policy_domain'] is None",
            "d['dmarc']['org_domain'] == 'www.example.com'",
            "d['dmarc']['status'] == 'NXDOMAIN'",
            "d['dmarc']['records'] == []",
            "d['dmarc']['location'] is None",
            "d['dmarc']['discovery'] is None",
            "d['dmarc']['other_txt'] == 0",
            "d['dmarc']['attempts'] == 1",
            NULL,
        };
        fx_line(f, checks);

        /* rank 1, no sector, raw equal to the domain: no "input", no "sector" */
        item_ok(&f->j, "example.org");
        f->j.in.rank = 1;
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        lp_feed(&f->j, lp_reply("_dmarc.example.org", LDNS_RCODE_NOERROR), 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const plain[] = {
            "list(d) == ['schema', 'domain', 'line', 'rank', 'ts', 'status', " VERDICT_KEYS
            "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "d['rank'] == 1",
            "'input' not in d and 'sector' not in d and 'file' not in d",
            "d['dmarc']['status'] == 'NOERROR' and d['dmarc']['records'] == []",
            "d['dmarc']['location'] is None and d['dmarc']['discovery'] is None",
            NULL,
        };
        fx_line(f, plain);

        /* rank 0 is a rank (only -1 means none) */
        f->j.in.rank = 0;
        static const char *const zero[] = {
            "d['rank'] == 0",
            NULL,
        };
        fx_line(f, zero);
        fx_free(f);
}

/* A fixture whose job (example.com, exact discovery) got the TXT records txt[0..n) (any
 * bytes, lens[i] each) at _dmarc.example.com. */
static struct fixture *fx_txt(const char *const *txt, const size_t *lens, unsigned n)
{
        struct fixture *f = fx_new();
        item_ok(&f->j, "example.com");
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        ldns_pkt *lp = lp_reply("_dmarc.example.com", LDNS_RCODE_NOERROR);
        for (unsigned i = 0; i < n; i++)
                lp_txt_bytes(lp, LDNS_SECTION_ANSWER, "_dmarc.example.com", LDNS_RR_CLASS_IN,
                             txt[i], lens[i], 255);
        lp_feed(&f->j, lp, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        return f;
}

static void t_hostile_records(void **st)
{
        (void)st;
        static const char rec[] = "v=DMARC1; p=\"q\" \\ \0 \xff \x1f\x7f \xc3\xa9 end";
        const char *const txt[] = {rec, "x\"\\\0\xff"};
        const size_t lens[] = {sizeof(rec) - 1, 5};
        struct fixture *f = fx_txt(txt, lens, 2);
        assert_int_equal(SD(&f->s)->nrecords, 1);
        static const char *const checks[] = {
            "d['dmarc']['records'] == ['v=DMARC1; p=\"q\" \\\\ \\x00 \\ufffd \\x1f\\x7f "
            "\\u00e9 end']",
            "d['dmarc']['other_txt'] == 1",
            "d['dmarc']['status'] == 'NOERROR'",
            "d['spf'] is None and d['mx'] is None",
            NULL,
        };
        fx_line(f, checks);
        fx_free(f);
}

/* errors_at / warnings_at: beside each code, the tag-spec or URI it is about, as ds_snip
 * writes it (printable ASCII, other bytes and quotes as \xHH); null for the others. */
static void t_issue_terms(void **st)
{
        (void)st;
        static const char rec[] = "v=DMARC1; p=reject; fo\"o=b\xff; foo=1; "
                                  "rua=https://x.example/r,mailto:d@example.com; pct=20";
        const char *const txt[] = {rec};
        const size_t lens[] = {sizeof(rec) - 1};
        struct fixture *f = fx_txt(txt, lens, 1);
        static const char *const checks[] = {
            "'errors_at' not in d['dmarc'] and d['dmarc']['errors'] == []",
            "list(d['dmarc']).index('warnings_at') == list(d['dmarc']).index('warnings') + 1",
            "len(d['dmarc']['warnings_at']) == len(d['dmarc']['warnings'])",
            "list(zip(d['dmarc']['warnings'], d['dmarc']['warnings_at'])) == ["
            "('syntax', 'fo\\\\x22o=b\\\\xff'), ('unknown_tag', 'foo=1'), "
            "('uri_unsupported_scheme', 'https://x.example/r'), ('pct_obsolete', None), "
            "('pct_partial', None)]",
            NULL,
        };
        fx_line(f, checks);
        fx_free(f);
}

static void t_files(void **st)
{
        (void)st;
        static const char *const files[] = {"lists/a.txt", "lists/b \"2\".csv"};
        struct fixture *f = fx_new();
        item_ok(&f->j, "example.com");
        f->j.file = 1;
        f->o.files = files;
        f->o.nfiles = 2;
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        lookup_set_reply(&f->j.look[0], ENGINE_TIMEOUT, NULL, 0, 4);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const checks[] = {
            "list(d) == ['schema', 'domain', 'line', 'file', 'ts', 'status', " VERDICT_KEYS
            "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "d['file'] == 'lists/b \"2\".csv'",
            "d['dmarc']['status'] == 'TIMEOUT'",
            "d['dmarc']['attempts'] == 4",
            "d['dmarc']['records'] == [] and d['dmarc']['location'] is None",
            NULL,
        };
        fx_line(f, checks);

        f->j.file = 0;
        static const char *const first[] = {
            "d['file'] == 'lists/a.txt'",
            NULL,
        };
        fx_line(f, first);

        /* a single input: no "file" */
        f->o.nfiles = 1;
        static const char *const single[] = {
            "'file' not in d",
            "list(d) == ['schema', 'domain', 'line', 'ts', 'status', " VERDICT_KEYS
            "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            NULL,
        };
        fx_line(f, single);
        fx_free(f);
}

static void t_cname_and_dropped(void **st)
{
        (void)st;
        struct fixture *f = fx_new();
        item_ok(&f->j, "a.example");
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        ldns_pkt *lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME h.host.example.");
        lp_feed(&f->j, lp, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_QUERY);
        lp = lp_reply("h.host.example", LDNS_RCODE_NOERROR);
        char rec[64];
        for (unsigned i = 0; i < 34; i++) { /* 32 was the old cap: every one is kept */
                snprintf(rec, sizeof(rec), "v=DMARC1; p=none; pct=%u", i);
                lp_txt(lp, "h.host.example", rec);
        }
        lp_feed(&f->j, lp, 2);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const checks[] = {
            "list(d['dmarc']) == " DMARC_KEYS("'cname_target', ", ""),
            "d['dmarc']['status'] == 'NOERROR'",
            "d['spf'] is None and d['mx'] is None",
            "d['dmarc']['cname_target'] == 'h.host.example'",
            "d['dmarc']['location'] == '_dmarc.a.example'",
            "d['dmarc']['discovery'] == 'exact'",
            "len(d['dmarc']['records']) == 34",
            "d['dmarc']['records'] == ['v=DMARC1; p=none; pct=%d' % i for i in range(34)]",
            "d['dmarc']['attempts'] == 3",
            NULL,
        };
        fx_line(f, checks);
        job_clear(&f->j);

        /* CNAME followed to a name that does not exist */
        item_ok(&f->j, "a.example");
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NXDOMAIN);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME gone.host.example.");
        lp_feed(&f->j, lp, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const nx[] = {
            "d['dmarc']['status'] == 'NXDOMAIN'",
            "d['dmarc']['cname_target'] == 'gone.host.example'",
            "d['dmarc']['location'] is None and d['dmarc']['discovery'] is None",
            "'records_dropped' not in d['dmarc']",
            NULL,
        };
        fx_line(f, nx);

        /* a loop: CNAME_LOOP */
        item_ok(&f->j, "a.example");
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        lp = lp_reply("_dmarc.a.example", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "_dmarc.a.example. 300 IN CNAME b.example.");
        lp_add(lp, LDNS_SECTION_ANSWER, "b.example. 300 IN CNAME _dmarc.a.example.");
        lp_feed(&f->j, lp, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const loop[] = {
            "d['dmarc']['status'] == 'CNAME_LOOP'",
            "d['dmarc']['records'] == []",
            NULL,
        };
        fx_line(f, loop);

        /* garbage: MALFORMED */
        item_ok(&f->j, "a.example");
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        lookup_set_reply(&f->j.look[0], ENGINE_REPLY, (const uint8_t *)"\x12\x34\x81", 3, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const bad[] = {
            "d['dmarc']['status'] == 'MALFORMED'",
            "'cname_target' not in d['dmarc']",
            NULL,
        };
        fx_line(f, bad);
        fx_free(f);
}

/* ---- verdicts: a tree walk with receivers, an error, an excluded line ----------------- */

static enum job_step step_rcode(struct fixture *f, const char *name, const char *qtype,
                                ldns_pkt_rcode rcode)
{
        lp_feed(&f->j, lp_reply_t(name, qtype, rcode), 1);
        return job_step(&f->j.look[0], &f->s);
}

static enum job_step step_txt(struct fixture *f, const char *name, const char *txt)
{
        ldns_pkt *lp = lp_reply_t(name, "TXT", LDNS_RCODE_NOERROR);
        lp_txt(lp, name, txt);
        lp_feed(&f->j, lp, 1);
        return job_step(&f->j.look[0], &f->s);
}

static const struct discovery_ctx TREE = {.mode = DISCOVERY_TREE};

static void t_tree_verdict(void **st)
{
        (void)st;
        struct fixture *f = fx_new();
        item_ok(&f->j, "a.example.com");
        tj_disc(&f->j, &TREE);
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        assert_int_equal(step_rcode(f, "_dmarc.a.example.com", "TXT", LDNS_RCODE_NXDOMAIN),
                         JOB_STEP_QUERY);
        assert_int_equal(step_txt(f, "_dmarc.example.com",
                                  "v=DMARC1; p=reject; sp=quarantine; pct=50; t=y; "
                                  "rua=mailto:d@example.com,mailto:v@vendor.example; "
                                  "ruf=mailto:f@vendor.example; fo=1"),
                         JOB_STEP_QUERY);
        assert_int_equal(step_rcode(f, "_dmarc.com", "TXT", LDNS_RCODE_NXDOMAIN), JOB_STEP_QUERY);
        ldns_pkt *lp = lp_reply_t("a.example.com", "A", LDNS_RCODE_NOERROR);
        lp_add(lp, LDNS_SECTION_ANSWER, "a.example.com. 300 IN A 192.0.2.1");
        lp_feed(&f->j, lp, 1);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_QUERY);
        assert_int_equal(step_txt(f, "example.com._report._dmarc.vendor.example", "v=DMARC1"),
                         JOB_STEP_DONE);
        static const char *const checks[] = {
            "list(d) == ['schema', 'domain', 'line', 'ts', 'status', " VERDICT_KEYS
            "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "list(d['dmarc']) == " DMARC_KEYS("", ""),
            "d['exists'] is True",
            /* sp=quarantine, t=y lowers it to none: not enforcing, partial */
            "d['posture'] == 'quarantine'",
            "d['enforcing'] is False and d['partial'] is True",
            "d['spoofable'] == 'yes' and d['spoofable_reason'] == 'dmarc_testing'",
            "d['dmarc']['status'] == 'NOERROR'",
            "d['spf'] is None and d['mx'] is None",
            "d['dmarc']['discovery'] == 'tree_walk'",
            "d['dmarc']['location'] == '_dmarc.example.com'",
            "d['dmarc']['valid'] is True",
            "(d['dmarc']['p'], d['dmarc']['sp'], d['dmarc']['np']) == "
            "('reject', 'quarantine', 'quarantine')",
            "d['dmarc']['pct'] == 50 and d['dmarc']['t'] == 'y' and d['dmarc']['fo'] == '1'",
            "d['dmarc']['adkim'] == 'r' and d['dmarc']['aspf'] == 'r' and "
            "d['dmarc']['psd'] == 'u'",
            "d['dmarc']['rua'] == ['mailto:d@example.com', 'mailto:v@vendor.example']",
            "d['dmarc']['ruf'] == ['mailto:f@vendor.example']",
            "d['dmarc']['receivers'] == [{'host': 'example.com', 'org': 'example.com', "
            "'external': False, 'authorized': None, 'authorization': 'not_needed', "
            "'authorization_status': None, 'authorization_via': None, 'uses': ['rua']}, "
            "{'host': 'vendor.example', 'org': 'vendor.example', 'external': True, "
            "'authorized': True, 'authorization': 'authorized', "
            "'authorization_status': 'NOERROR', 'authorization_via': 'name', "
            "'uses': ['rua', 'ruf']}]",
            "d['dmarc']['errors'] == []",
            "'pct_obsolete' in d['dmarc']['warnings'] and 'testing' in d['dmarc']['warnings']",
            "'warnings_at' not in d['dmarc']",
            "d['dmarc']['policy_from'] == 'sp'",
            "d['dmarc']['policy_domain'] == 'example.com'",
            "d['dmarc']['org_domain'] == 'example.com'",
            "[w['name'] for w in d['dmarc']['walk']] == ['_dmarc.a.example.com', "
            "'_dmarc.example.com', '_dmarc.com']",
            "[w['status'] for w in d['dmarc']['walk']] == ['NXDOMAIN', 'NOERROR', 'NXDOMAIN']",
            "d['dmarc']['attempts'] == 5",
            NULL,
        };
        fx_line(f, checks);
        tj_details(&f->j);
        static const char *const details[] = {
            "list(d['dmarc']) == " DMARC_KEYS_DETAILS,
            "[w['code'] for w in d['dmarc']['warnings_detail']] == d['dmarc']['warnings']",
            "all(set(w) == {'code', 'message'} for w in d['dmarc']['warnings_detail'])",
            "d['dmarc']['tags']['v'] == 'DMARC1' and d['dmarc']['tags']['pct'] == '50'",
            "'np' not in d['dmarc']['tags']",
            NULL,
        };
        fx_line(f, details);
        fx_free(f);
}

static void t_error_and_excluded(void **st)
{
        (void)st;
        struct fixture *f = fx_new();
        item_ok(&f->j, "a.example.com");
        tj_disc(&f->j, &TREE);
        assert_int_equal(job_start(&f->j), JOB_STEP_QUERY);
        assert_int_equal(step_rcode(f, "_dmarc.a.example.com", "TXT", LDNS_RCODE_NXDOMAIN),
                         JOB_STEP_QUERY);
        assert_int_equal(step_rcode(f, "_dmarc.example.com", "TXT", LDNS_RCODE_SERVFAIL),
                         JOB_STEP_DONE);
        static const char *const checks[] = {
            "list(d['dmarc']) == ['status', 'records', 'location', 'discovery', 'valid', 'p', "
            "'sp', 'np', 'pct', 't', 'adkim', 'aspf', 'fo', 'psd', 'rua', 'ruf', 'receivers', "
            "'errors', 'warnings', 'policy_from', 'policy_domain', 'org_domain', 'error_name', "
            "'walk', 'other_txt', 'attempts']",
            "d['posture'] == 'error' and d['exists'] is None",
            "d['enforcing'] is False and d['partial'] is False",
            "d['spoofable'] == 'unknown' and d['spoofable_reason'] == 'dns_error'",
            "d['dmarc']['status'] == 'SERVFAIL'",
            "d['dmarc']['error_name'] == '_dmarc.example.com'",
            "d['dmarc']['records'] == [] and d['dmarc']['location'] is None",
            "d['dmarc']['valid'] is None and d['dmarc']['org_domain'] is None",
            "d['dmarc']['errors'] == ['dns_error'] and 'errors_at' not in d['dmarc']",
            NULL,
        };
        fx_line(f, checks);
        tj_details(&f->j);
        static const char *const details[] = {
            "'SERVFAIL at _dmarc.example.com' in d['dmarc']['errors_detail'][0]['message']",
            NULL,
        };
        fx_line(f, details);

        tj_reset(&f->j);
        f->j.in.line = 9;
        f->j.in.rank = -1;
        f->j.in.status = INPUT_ITEM_EXCLUDED;
        snprintf(f->j.in.domain, sizeof(f->j.in.domain), "mil.example");
        snprintf(f->j.in.raw, sizeof(f->j.in.raw), "mil.example");
        assert_int_equal(job_start(&f->j), JOB_STEP_DONE);
        assert_int_equal(job_step(&f->j.look[0], &f->s), JOB_STEP_DONE);
        static const char *const excluded[] = {
            "list(d) == ['schema', 'domain', 'line', 'ts', 'status', " VERDICT_KEYS
            "'dmarc', 'spf', 'mx', " LATER_KEYS "]",
            "d['status'] == 'EXCLUDED' and d['domain'] == 'mil.example'",
            "all(d[k] is None for k in ('exists', 'posture', 'enforcing', 'partial', "
            "'spoofable', 'spoofable_reason', 'dmarc'))",
            NULL,
        };
        fx_line(f, excluded);
        fx_free(f);
}

/* ---- timestamp ------------------------------------------------------------------------ */

static void assert_ts(struct ndjson_clock *cache, struct ds_fake_clock *now, const char *want)
{
        char got[32];
        memset(got, 'x', sizeof(got));
        ndjson_timestamp(cache, &now->clock, got);
        assert_string_equal(got, want);
}

static void t_timestamp(void **st)
{
        (void)st;
        struct ndjson_clock cache;
        struct ds_fake_clock now;
        memset(&cache, 0, sizeof(cache));
        ds_fake_clock_init(&now, 0, 1795910399LL * 1000000000 + 998000000); /* 23:59:59.998 */
        assert_ts(&cache, &now, "2026-11-28T23:59:59.998Z");
        ds_fake_clock_advance(&now, 1000000);
        assert_ts(&cache, &now, "2026-11-28T23:59:59.999Z");
        /* the cached second (and here the day) is refreshed once the clock moves on */
        ds_fake_clock_advance(&now, 1000000);
        assert_ts(&cache, &now, "2026-11-29T00:00:00.000Z");
        /* milliseconds move within a second; sub-millisecond time is cut, not rounded */
        ds_fake_clock_advance(&now, 50999999);
        assert_ts(&cache, &now, "2026-11-29T00:00:00.050Z");
        ds_fake_clock_advance(&now, 1000000000);
        assert_ts(&cache, &now, "2026-11-29T00:00:01.050Z");
        /* a cache filled by one clock is only reused for the same second */
        struct ds_fake_clock later;
        ds_fake_clock_init(&later, 0, 1798761600LL * 1000000000 + 7000000);
        assert_ts(&cache, &later, "2027-01-01T00:00:00.007Z");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_ok_records),         cmocka_unit_test(t_illegal),
            cmocka_unit_test(t_illegal_from_start), cmocka_unit_test(t_rank_sector_nxdomain),
            cmocka_unit_test(t_hostile_records),    cmocka_unit_test(t_files),
            cmocka_unit_test(t_issue_terms),        cmocka_unit_test(t_cname_and_dropped),
            cmocka_unit_test(t_timestamp),          cmocka_unit_test(t_tree_verdict),
            cmocka_unit_test(t_error_and_excluded),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}

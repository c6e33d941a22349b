/* test_reparse.c -- the parse skipped for the same record must leave exactly what a parse
 * would: each call is compared with a fresh dmarc_parse of the same text under the same
 * limit (policies, URIs, issues, budget use), across repeats, other texts of the same
 * length, and limits that do and do not change what the budget refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "scanner/dmarc/reparse.h"
#include "grammar_util.h"
#include "dmarc_invariants.h"

/* Through the memo into got, and freshly into want: the two must read alike. Returns
 * whether the memo skipped the parse. */
static bool check_call(struct dmarc_reparse *m, struct dmarc_record *got, const char *text,
                       size_t limit)
{
        struct dmarc_record want = {0};
        uint64_t skipped = m->skipped;
        want.mem.budget.limit = limit;
        int want_rc = dmarc_parse(text, strlen(text), &want);
        assert_int_equal(dmarc_reparse(m, text, strlen(text), limit, got), want_rc);
        dmarc_check_same(&want, got);
        assert_int_equal(got->mem.budget.used, want.mem.budget.used);
        assert_int_equal(got->mem.budget.limit, limit);
        dmarc_record_free(&want);
        return m->skipped > skipped;
}

static void t_same_text_parsed_once(void **st)
{
        (void)st;
        struct dmarc_reparse m = {0};
        struct dmarc_record rec = {0};
        const char *a = "v=DMARC1; p=reject; rua=mailto:a@x.example,mailto:b@y.example; pct=50";
        const char *b = "v=DMARC1; p=reject; rua=mailto:a@x.example,mailto:b@y.examplf; pct=50";
        const char *bad = "v=DMARC1; p=maybe; rua=ftp://x; foo=bar";
        assert_false(check_call(&m, &rec, a, 100000));
        assert_true(check_call(&m, &rec, a, 100000));
        assert_true(check_call(&m, &rec, a, 90000));  /* a limit that refuses nothing more */
        assert_false(check_call(&m, &rec, b, 90000)); /* same length, one byte apart */
        assert_false(check_call(&m, &rec, a, 90000)); /* the memo holds b now */
        assert_false(check_call(&m, &rec, bad, 90000));
        assert_true(check_call(&m, &rec, bad, 90000));
        assert_false(check_call(&m, &rec, "", 90000));
        assert_true(check_call(&m, &rec, "", 90000));
        dmarc_reparse_free(&m);
        assert_null(m.text);
        assert_false(m.valid);
        dmarc_record_free(&rec);
}

/* A limit decides what the budget refuses: a parse that refused something is not reused
 * under another limit; one that refused nothing is reused down to what it used. */
static void t_limits(void **st)
{
        (void)st;
        char text[4096];
        int n = snprintf(text, sizeof(text), "v=DMARC1; p=none; rua=");
        for (int i = 0; i < 40; i++)
                n += snprintf(text + n, sizeof(text) - (size_t)n, "%smailto:r%d@h%d.example",
                              i ? "," : "", i, i);
        struct dmarc_reparse m = {0};
        struct dmarc_record rec = {0};
        assert_false(check_call(&m, &rec, text, 600)); /* refuses URIs */
        assert_true(rec.over_budget);
        assert_true(check_call(&m, &rec, text, 600));     /* the same limit */
        assert_false(check_call(&m, &rec, text, 100000)); /* more room: parsed again */
        assert_false(rec.over_budget);
        size_t used = rec.mem.budget.used;
        assert_true(check_call(&m, &rec, text, used));      /* exactly what it used */
        assert_false(check_call(&m, &rec, text, used - 1)); /* less: parsed, refuses */
        assert_true(rec.over_budget);
        dmarc_reparse_free(&m);
        dmarc_record_free(&rec);
}

/* A parse with sentences does not stand for one without, nor the other way round: the
 * memo's skip would leave the sentences of the other mode in rec. */
static void t_sentences_mode_not_skipped(void **st)
{
        (void)st;
        struct dmarc_reparse m = {0};
        struct dmarc_record rec = {0};
        const char *bad = "v=DMARC1; p=maybe; rua=ftp://x; foo=bar";
        size_t len = strlen(bad);
        dmarc_reparse(&m, bad, len, 100000, &rec);
        assert_true(rec.warning_count > 0);
        assert_string_not_equal(rec.warnings[0].msg, "");
        rec.no_sentences = true;
        uint64_t skipped = m.skipped;
        dmarc_reparse(&m, bad, len, 100000, &rec);
        assert_int_equal(m.skipped, skipped);
        assert_string_equal(rec.warnings[0].msg, "");
        dmarc_reparse(&m, bad, len, 100000, &rec); /* the same mode again: skipped */
        assert_int_equal(m.skipped, skipped + 1);
        assert_string_equal(rec.warnings[0].msg, "");
        rec.no_sentences = false;
        dmarc_reparse(&m, bad, len, 100000, &rec);
        assert_int_equal(m.skipped, skipped + 1);
        assert_string_not_equal(rec.warnings[0].msg, "");
        dmarc_record_free(&rec);
        dmarc_reparse_free(&m);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_same_text_parsed_once),
            cmocka_unit_test(t_limits),
            cmocka_unit_test(t_sentences_mode_not_skipped),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

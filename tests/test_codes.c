/* test_codes.c -- unit tests for scanner/codes.c and scanner/explain.c: every code a check,
 * the verdicts or the BOD 18-01 profile can write is explained (from docs/, the generated
 * table), and only those; `dmarcscan explain` prints each place a code is used and fails
 * with a clear message on an unknown code; the metadata's "codes" object. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "output/json.h"
#include "scanner/bimi/record.h"
#include "scanner/codes.h"
#include "scanner/dkim/record.h"
#include "scanner/dmarc/check.h"
#include "scanner/dmarc/record.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/dnssec/verdict.h"
#include "scanner/explain.h"
#include "scanner/mx/check.h"
#include "scanner/profile/bod1801.h"
#include "scanner/spf/check.h"
#include "scanner/spf/record.h"
#include "scanner/mtasts/line.h"
#include "scanner/mtasts/policy.h"
#include "scanner/mtasts/record.h"
#include "scanner/spoof.h"
#include "scanner/tlsrpt/record.h"

/* The code lists of the modules, each with the place its codes are explained. */
static const struct {
        const char *const *codes;
        const char *where;
} lists[] = {
    {dmarc_issue_codes, "dmarc record"},
    {dmarc_discovery_codes, "dmarc discovery"},
    {spf_issue_codes, "spf record"},
    {spf_tree_codes, "spf tree"},
    {mx_issue_codes, "mx"},
    {tlsrpt_issue_codes, "tls_rpt"},
    {mtasts_issue_codes, "mta_sts"},
    {mtasts_policy_codes, "mta_sts policy"},
    {mtasts_fetch_codes, "mta_sts fetch"},
    {bimi_issue_codes, "bimi"},
    {dkim_key_codes, "dkim"},
    {dmarc_reason_codes, "spoofable reason"},
    {spoof_reason_codes, "spoofable reason"},
    {bod1801_codes, "bod1801 unmet"},
    {dnssec_state_codes, "dnssec"},
};
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

static void every_emitted_code_is_explained(void **st)
{
        (void)st;
        unsigned n = 0;
        for (unsigned i = 0; i < NLISTS; i++)
                for (const char *const *c = lists[i].codes; *c; c++, n++) {
                        const struct code_doc *d = code_doc_find(*c, lists[i].where, NULL);
                        if (!d)
                                fail_msg("%s (%s) has no explanation in docs/", *c, lists[i].where);
                        assert_true(strlen(d->text) > 10);
                }
        assert_true(n > 90);
}

/* No documented code is one that nothing writes (a renamed or removed code). */
static void every_explained_code_is_emitted(void **st)
{
        (void)st;
        for (const struct code_doc *d = code_docs; d->code; d++) {
                bool found = false;
                for (unsigned i = 0; i < NLISTS && !found; i++)
                        found = strcmp(lists[i].where, d->where) == 0 &&
                                ds_listed(lists[i].codes, d->code);
                if (!found)
                        fail_msg("%s (%s) is documented but no module lists it", d->code, d->where);
        }
}

/* The kinds match the line's lists, as the docs' tables say them. */
static void kinds_and_fields(void **st)
{
        (void)st;
        for (const struct code_doc *d = code_docs; d->code; d++) {
                char want[64];
                const char *obj = strncmp(d->where, "dmarc", 5) == 0        ? "dmarc"
                                  : strncmp(d->where, "spf", 3) == 0        ? "spf"
                                  : strcmp(d->where, "dkim") == 0           ? "dkim.selectors[]"
                                  : strcmp(d->where, "mta_sts policy") == 0 ? "mta_sts.policy"
                                                                            : d->where;
                if (strcmp(d->kind, "error") == 0 || strcmp(d->kind, "warning") == 0)
                        snprintf(want, sizeof(want), "%s.%ss", obj, d->kind);
                else if (strcmp(d->kind, "reason") == 0)
                        snprintf(want, sizeof(want), "spoofable_reason");
                else if (strcmp(d->kind, "value") == 0 && strcmp(d->where, "mta_sts fetch") == 0)
                        snprintf(want, sizeof(want), "mta_sts.policy.fetch");
                else if (strcmp(d->kind, "value") == 0)
                        snprintf(want, sizeof(want), "%s", d->where); /* the member itself */
                else
                        snprintf(want, sizeof(want), "bod1801.unmet");
                assert_string_equal(d->field, want);
        }
        const struct code_doc *p = code_doc_find("p_missing", "dmarc record", "error");
        const struct code_doc *w = code_doc_find("p_missing", "dmarc record", "warning");
        assert_non_null(p);
        assert_non_null(w);
        assert_ptr_not_equal(p, w);
        assert_non_null(code_doc_find("multiple_records", "dmarc discovery", "error"));
        assert_non_null(code_doc_find("multiple_records", "dmarc discovery", "warning"));
        assert_non_null(code_doc_find("dns_error", "spf tree", "error"));
        assert_null(code_doc_find("dns_error", "spf tree", "warning"));
        assert_null(code_doc_find("no_such_code", NULL, NULL));
}

/* explain_main over args; *out and *err receive what it printed (freed by the caller). */
static int explain(char **out, char **err, int argc, ...)
{
        char *argv[8] = {"explain"};
        va_list ap;
        va_start(ap, argc);
        for (int i = 1; i < argc; i++)
                argv[i] = va_arg(ap, char *);
        va_end(ap);
        size_t on, en;
        FILE *o = open_memstream(out, &on), *e = open_memstream(err, &en);
        assert_non_null(o);
        assert_non_null(e);
        int rc = explain_main(argc, argv, o, e);
        fclose(o);
        fclose(e);
        return rc;
}

static void explain_one_code_everywhere(void **st)
{
        (void)st;
        char *out, *err;
        assert_int_equal(explain(&out, &err, 2, "dns_error"), 0);
        assert_string_equal(err, "");
        assert_true(strncmp(out, "dns_error\n", 10) == 0);
        assert_non_null(strstr(out, "  dmarc discovery, error (dmarc.errors):\n"));
        assert_non_null(strstr(out, "  spf tree, error (spf.errors):\n"));
        assert_non_null(strstr(out, "  spoofable reason (spoofable_reason):\n"));
        assert_non_null(strstr(out, "temperror"));
        for (char *l = out; *l; l = strchr(l, '\n') + 1)
                assert_true(strcspn(l, "\n") <= 78);
        free(out);
        free(err);

        assert_int_equal(explain(&out, &err, 3, "include_loop", "rua_dhs_missing"), 0);
        assert_non_null(strstr(out, "include_loop\n  spf tree, error (spf.errors):\n"));
        assert_non_null(strstr(out, "\n\nrua_dhs_missing\n  bod1801 unmet (bod1801.unmet):\n"));
        assert_non_null(strstr(out, "reports@dmarc.cyber.dhs.gov"));
        free(out);
        free(err);
}

static void explain_unknown_code_fails(void **st)
{
        (void)st;
        char *out, *err;
        assert_int_equal(explain(&out, &err, 3, "duplicate_tag", "no_such_code"), 2);
        assert_non_null(strstr(out, "duplicate_tag\n  dmarc record, error"));
        assert_null(strstr(out, "no_such_code"));
        assert_non_null(strstr(err, "unknown code 'no_such_code'"));
        assert_non_null(strstr(err, "dmarcscan explain"));
        free(out);
        free(err);

        assert_int_equal(explain(&out, &err, 2, "--bogus"), 2);
        assert_non_null(strstr(err, "--bogus is not an option"));
        free(out);
        free(err);

        assert_int_equal(explain(&out, &err, 2, "--help"), 0);
        assert_non_null(strstr(out, "usage: dmarcscan explain [CODE...]"));
        free(out);
        free(err);
}

static void explain_lists_every_code(void **st)
{
        (void)st;
        char *out, *err, line[80];
        assert_int_equal(explain(&out, &err, 1), 0);
        assert_string_equal(err, "");
        for (const struct code_doc *d = code_docs; d->code; d++) {
                snprintf(line, sizeof(line), "%s%s\n  ", d == code_docs ? "" : "\n", d->code);
                if (code_doc_find(d->code, NULL, NULL) == d)
                        assert_non_null(strstr(out, line));
        }
        free(out);
        free(err);
}

static void metadata_codes(void **st)
{
        (void)st;
        struct jbuf b;
        struct jw w;
        const char *const members[] = {"dmarc", "spoofable_reason", NULL};
        jbuf_init(&b);
        jw_begin(&w, &b);
        codes_write(&w, "codes", members);
        jw_end(&w);
        jbuf_raw(&b, "", 1);
        assert_true(strncmp(b.p, "{\"codes\":{\"dmarc.errors\":{\"v_missing\":\"no v tag", 46) ==
                    0);
        assert_non_null(strstr(b.p, "\"dmarc.warnings\":{"));
        assert_non_null(strstr(b.p, "\"spoofable_reason\":{\"dmarc_reject\":"));
        assert_null(strstr(b.p, "spf."));
        assert_null(strstr(b.p, "bod1801"));
        jbuf_free(&b);

        /* ptr_used: the record's warning and an included record's, both in spf.warnings. */
        const char *const spf[] = {"spf", NULL};
        jbuf_init(&b);
        jw_begin(&w, &b);
        codes_write(&w, "codes", spf);
        jw_end(&w);
        jbuf_raw(&b, "", 1);
        assert_non_null(strstr(b.p, "\"ptr_used\":\"spf record: the record uses ptr"));
        assert_non_null(strstr(b.p, " | spf tree: an included"));
        const char *first = strstr(b.p, "\"ptr_used\"");
        assert_null(strstr(first + 1, "\"ptr_used\""));
        jbuf_free(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(every_emitted_code_is_explained),
            cmocka_unit_test(every_explained_code_is_emitted),
            cmocka_unit_test(kinds_and_fields),
            cmocka_unit_test(explain_one_code_everywhere),
            cmocka_unit_test(explain_unknown_code_fails),
            cmocka_unit_test(explain_lists_every_code),
            cmocka_unit_test(metadata_codes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

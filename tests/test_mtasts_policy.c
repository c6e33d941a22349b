/* test_mtasts_policy.c -- unit tests for scanner/mtasts/policy.c: RFC 8461 3.2's example
 * policy, line endings, every code, extensions ignored, duplicates, hostile bytes, many
 * patterns kept, and 4.1's wildcard rule (one label, case-blind). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanner/mtasts/policy.h"

static struct mtasts_policy pol;

static int teardown(void **st)
{
        (void)st;
        mtasts_policy_free(&pol);
        return 0;
}

static void parse(const char *text)
{
        mtasts_policy_parse(&pol, text, strlen(text));
}

static bool has(const char *code, bool error)
{
        for (unsigned i = 0; i < pol.nissues; i++)
                if (strcmp(pol.issues[i].code, code) == 0)
                        return pol.issues[i].error == error;
        return false;
}

static const char *pattern(unsigned i)
{
        static char buf[300];
        struct mtasts_span s = mtasts_policy_mx(&pol, i);
        snprintf(buf, sizeof(buf), "%.*s", (int)s.len, pol.body + s.off);
        return buf;
}

/* RFC 8461 3.2's example, CRLF line ends. */
static void rfc_example(void **st)
{
        (void)st;
        parse("version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
              "mx: backupmx.example.com\r\nmax_age: 604800\r\n");
        assert_true(mtasts_policy_valid(&pol));
        assert_int_equal(pol.nissues, 0);
        assert_int_equal(pol.mode, MTASTS_MODE_ENFORCE);
        assert_string_equal(mtasts_mode_name(pol.mode), "enforce");
        assert_int_equal(pol.max_age, 604800);
        assert_int_equal(pol.mx.n, 3);
        assert_string_equal(pattern(0), "mail.example.com");
        assert_string_equal(pattern(1), "*.example.net");
        assert_string_equal(pattern(2), "backupmx.example.com");
}

/* LF alone, blanks around values, no final line end, extensions ignored. */
static void lf_blanks_extensions(void **st)
{
        (void)st;
        parse("version:STSv1\nmode:\t testing \nx-vendor-note: whatever: it says\nmx: a.example\n"
              "max_age: 86400");
        assert_true(mtasts_policy_valid(&pol));
        assert_int_equal(pol.nissues, 0);
        assert_int_equal(pol.mode, MTASTS_MODE_TESTING);
        assert_int_equal(pol.max_age, 86400);
        assert_int_equal(pol.mx.n, 1);
        assert_string_equal(pattern(0), "a.example");
}

static void missing_fields(void **st)
{
        (void)st;
        parse("");
        assert_false(mtasts_policy_valid(&pol));
        assert_true(has("version_missing", true));
        assert_true(has("mode_missing", true));
        assert_true(has("max_age_missing", true));
        assert_true(has("mx_missing", true));
        assert_int_equal(pol.mode, MTASTS_MODE_NONE_SET);
        assert_int_equal(pol.max_age, -1);
        /* mode none needs no pattern (a domain leaving MTA-STS) */
        parse("version: STSv1\nmode: none\nmax_age: 86400\n");
        assert_true(mtasts_policy_valid(&pol));
        assert_int_equal(pol.mode, MTASTS_MODE_NONE);
        assert_int_equal(pol.mx.n, 0);
}

static void invalid_values(void **st)
{
        (void)st;
        parse("version: stsv1\nmode: Enforce\nmax_age: 31557601\nmx: *bad*\nmx: .lead.example\n"
              "mx: a..b\nmx: -x.example\nmx: *.*.example\nno colon\n: no key\n");
        assert_false(mtasts_policy_valid(&pol));
        assert_true(has("version_invalid", true));
        assert_true(has("mode_invalid", true));
        assert_true(has("max_age_invalid", true));
        assert_true(has("mx_invalid", true));
        assert_true(has("line_invalid", true));
        assert_false(has("mx_missing", true)); /* patterns were given, all invalid */
        assert_int_equal(pol.mx.n, 0);
        assert_int_equal(pol.mx_invalid, 5);
        assert_int_equal(pol.max_age, -1);
        parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901\n");
        assert_true(has("max_age_invalid", true));
        parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -5\n");
        assert_true(has("max_age_invalid", true));
        parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557600\n");
        assert_true(mtasts_policy_valid(&pol));
        assert_int_equal(pol.max_age, 31557600);
}

static void duplicates_and_short_age(void **st)
{
        (void)st;
        parse("version: STSv1\nmode: testing\nmode: enforce\nmax_age: 60\nmax_age: 604800\n"
              "mx: a.example\nversion: STSv1\n");
        assert_true(mtasts_policy_valid(&pol));
        assert_true(has("duplicate_field", false));
        assert_true(has("max_age_short", false));
        assert_int_equal(pol.mode, MTASTS_MODE_TESTING); /* the first counts */
        assert_int_equal(pol.max_age, 60);
}

static void hostile_bytes(void **st)
{
        (void)st;
        static const char body[] = "version: STSv1\nmode: enforce\x00\nmx: a.example\n"
                                   "max_age: 86400\n\x1b[31m\n";
        mtasts_policy_parse(&pol, body, sizeof(body) - 1);
        assert_false(mtasts_policy_valid(&pol));
        assert_true(has("not_text", true));
        assert_true(has("mode_invalid", true)); /* "enforce\0" is not "enforce" */
        unsigned char junk[4096];
        for (unsigned i = 0; i < sizeof(junk); i++)
                junk[i] = (unsigned char)(i * 131 + 7);
        mtasts_policy_parse(&pol, (const char *)junk, sizeof(junk));
        assert_false(mtasts_policy_valid(&pol));
}

/* Every pattern is kept, in order: no fixed cap. */
static void many_patterns(void **st)
{
        (void)st;
        size_t cap = 64 * 1024, n = 0;
        char *body = malloc(cap);
        assert_non_null(body);
        n += (size_t)snprintf(body + n, cap - n, "version: STSv1\nmode: enforce\nmax_age: 86400\n");
        for (int i = 0; i < 2000; i++)
                n += (size_t)snprintf(body + n, cap - n, "mx: mx%d.example.com\n", i);
        mtasts_policy_parse(&pol, body, n);
        assert_true(mtasts_policy_valid(&pol));
        assert_int_equal(pol.mx.n, 2000);
        assert_string_equal(pattern(0), "mx0.example.com");
        assert_string_equal(pattern(1999), "mx1999.example.com");
        assert_true(mtasts_policy_match(&pol, "mx1234.example.com"));
        free(body);
}

/* RFC 8461 4.1: "*.example.com" is one label and example.com; exact names match exactly. */
static void wildcard_rule(void **st)
{
        (void)st;
        parse("version: STSv1\nmode: enforce\nmax_age: 86400\nmx: *.example.com\n"
              "mx: Mail.Example.NET\n");
        assert_true(mtasts_policy_match(&pol, "mx1.example.com"));
        assert_true(mtasts_policy_match(&pol, "MX1.EXAMPLE.COM"));
        assert_false(mtasts_policy_match(&pol, "example.com"));
        assert_false(mtasts_policy_match(&pol, "a.b.example.com"));
        assert_false(mtasts_policy_match(&pol, "mx1.example.com.evil"));
        assert_false(mtasts_policy_match(&pol, "xexample.com"));
        assert_true(mtasts_policy_match(&pol, "mail.example.net"));
        assert_false(mtasts_policy_match(&pol, "x.mail.example.net"));
        assert_false(mtasts_policy_match(&pol, "ail.example.net"));
        assert_false(mtasts_policy_match(&pol, ""));
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_teardown(rfc_example, teardown),
            cmocka_unit_test_teardown(lf_blanks_extensions, teardown),
            cmocka_unit_test_teardown(missing_fields, teardown),
            cmocka_unit_test_teardown(invalid_values, teardown),
            cmocka_unit_test_teardown(duplicates_and_short_age, teardown),
            cmocka_unit_test_teardown(hostile_bytes, teardown),
            cmocka_unit_test_teardown(many_patterns, teardown),
            cmocka_unit_test_teardown(wildcard_rule, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

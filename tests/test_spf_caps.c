/* test_spf_caps.c -- unit tests: the SPF record grammar (scanner/spf/record.c) keeps every
 * term, lookup target, error, warning and the whole redirect domain-spec of a record, in
 * order, and every SPF record at a name counts, however many there are; only the per-domain
 * byte budget (common/budget.h) refuses, and then the record says so (over_budget and the
 * *_dropped counts) while its result, counts and flags stay those of the whole record. The
 * records are generated; each is parsed from an exact-size heap copy (ASan sees any
 * overread) and checked against tests/spf_invariants.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "grammar_util.h"
#include "spf_invariants.h"

#include "scanner/spf/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A record being built: its text and where each term starts. */
struct gen {
        char *text; /* owned */
        size_t len, cap;
        uint32_t *at; /* owned: offset of term i */
        unsigned n;
};

static void gen_init(struct gen *g, size_t cap)
{
        g->text = malloc(cap);
        g->at = malloc(sizeof(*g->at) * (cap / 2));
        assert_true(g->text && g->at);
        g->cap = cap;
        g->len = (size_t)snprintf(g->text, cap, "v=spf1");
        g->n = 0;
}

/* Appends " <term>" (printf-style). */
static void gen_term(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void gen_term(struct gen *g, const char *fmt, ...)
{
        assert_true(g->len + 2 < g->cap);
        g->text[g->len++] = ' ';
        g->at[g->n++] = (uint32_t)g->len;
        va_list ap;
        va_start(ap, fmt);
        int k = vsnprintf(g->text + g->len, g->cap - g->len, fmt, ap);
        va_end(ap);
        assert_true(k > 0 && (size_t)k < g->cap - g->len);
        g->len += (size_t)k;
}

static void gen_free(struct gen *g)
{
        free(g->text);
        free(g->at);
}

/* Parses g from an exact-size heap copy into r; the invariants hold. */
static int parse_gen(const struct gen *g, struct spf_record *r)
{
        char *copy = malloc(g->len);
        assert_non_null(copy);
        memcpy(copy, g->text, g->len);
        int rc = spf_parse(copy, g->len, r);
        spf_check_invariants(r, g->len);
        free(copy);
        return rc;
}

/* 200 terms of every kind: all kept, in order, each at its offset. */
static void t_terms(void **st)
{
        (void)st;
        static const enum spf_kind kinds[] = {SPF_IP4, SPF_IP6, SPF_A, SPF_MX, SPF_EXP};
        struct gen g;
        gen_init(&g, 8192);
        for (unsigned i = 0; i < 199; i++) {
                switch (kinds[i % 5]) {
                case SPF_IP4:
                        gen_term(&g, "ip4:192.0.%u.%u", i / 256, i % 256);
                        break;
                case SPF_IP6:
                        gen_term(&g, "?ip6:2001:db8::%x/%u", i, 64 + i % 64);
                        break;
                case SPF_A:
                        gen_term(&g, "-a/%u", i % 33);
                        break;
                case SPF_MX:
                        gen_term(&g, "~mx//%u", i % 129);
                        break;
                default:
                        gen_term(&g, "m%u=v", i); /* an unknown modifier: a warning each */
                        break;
                }
        }
        gen_term(&g, "-all");
        struct spf_record r = {0};
        assert_int_equal(parse_gen(&g, &r), 0);
        assert_int_equal(r.term_count, 200);
        assert_false(r.over_budget);
        for (unsigned i = 0; i < 200; i++) {
                const struct spf_term *t = &r.terms[i];
                enum spf_kind want = i == 199 ? SPF_ALL : kinds[i % 5];
                assert_int_equal(t->kind, want == SPF_EXP ? SPF_UNKNOWN_MODIFIER : want);
                assert_int_equal(t->offset, g.at[i]);
                assert_int_equal(t->evaluated, want != SPF_EXP);
        }
        assert_int_equal(r.terms[7].cidr4, 7);
        assert_int_equal(r.terms[198].cidr6, 198 % 129);
        assert_int_equal(r.all, SPF_ALL_FAIL);
        assert_int_equal(r.lookup_terms, 80);  /* the a and mx terms */
        assert_int_equal(r.target_count, 80);  /* the domain itself, each time */
        assert_int_equal(r.warning_count, 40); /* 39 unknown_modifier, record_too_long */
        assert_string_equal(r.warnings[39].code, "record_too_long");
        for (unsigned i = 0; i < 39; i++) {
                assert_string_equal(r.warnings[i].code, "unknown_modifier");
                assert_int_equal(r.warnings[i].term, (int)(5 * i + 4));
        }
        spf_record_free(&r);
        gen_free(&g);
}

/* 100 include, a and mx targets: every one, in order, with its name and term. */
static void t_targets(void **st)
{
        (void)st;
        static const char *const mech[] = {"include", "a", "mx"};
        static const enum spf_kind kinds[] = {SPF_INCLUDE, SPF_A, SPF_MX};
        struct gen g;
        gen_init(&g, 8192);
        gen_term(&g, "ip4:192.0.2.1");
        for (unsigned i = 0; i < 100; i++)
                gen_term(&g, "%s:T%u.Example.", mech[i % 3], i);
        gen_term(&g, "~all");
        struct spf_record r = {0};
        assert_int_equal(parse_gen(&g, &r), 0);
        assert_int_equal(r.lookup_terms, 100); /* over 10: the check's too_many_lookups */
        assert_int_equal(r.target_count, 100);
        assert_int_equal(r.term_count, 102);
        char name[32];
        for (unsigned i = 0; i < 100; i++) {
                const struct spf_target *t = &r.targets[i];
                snprintf(name, sizeof name, "t%u.example", i);
                assert_string_equal(t->name, name);
                assert_int_equal(t->kind, kinds[i % 3]);
                assert_int_equal(t->term, i + 1);
                assert_false(t->self);
        }
        spf_record_free(&r);
        gen_free(&g);
}

/* 40 errors of several codes: every one, in order, naming its term. */
static void t_errors(void **st)
{
        (void)st;
        static const char *const codes[] = {"unknown_mechanism", "ip4_invalid", "cidr_invalid",
                                            "missing_argument"};
        struct gen g;
        gen_init(&g, 4096);
        for (unsigned i = 0; i < 40; i++) {
                if (i % 4 == 0)
                        gen_term(&g, "bad%u", i);
                else if (i % 4 == 1)
                        gen_term(&g, "ip4:192.0.2.%u", 256 + i);
                else if (i % 4 == 2)
                        gen_term(&g, "a/%u", 33 + i);
                else
                        gen_term(&g, "include");
                gen_term(&g, "ip4:198.51.100.%u", i); /* a good term between */
        }
        struct spf_record r = {0};
        assert_int_equal(parse_gen(&g, &r), 1);
        assert_int_equal(r.result, SPF_RESULT_PERMERROR);
        assert_int_equal(r.error_count, 40);
        assert_int_equal(r.errors_dropped, 0);
        assert_int_equal(r.term_count, 80);
        for (unsigned i = 0; i < 40; i++) {
                const struct spf_issue *e = &r.errors[i];
                assert_string_equal(e->code, codes[i % 4]);
                assert_int_equal(e->term, (int)(2 * i));
                assert_int_equal(e->offset, g.at[2 * i]);
                assert_memory_equal(e->text, g.text + e->offset, e->len);
        }
        spf_record_free(&r);
        gen_free(&g);
}

/* spec: 1,000 bytes, prefix then a label of `label` bytes (`fill` repeated) and ".example". */
static void long_spec(char *spec, const char *prefix, size_t label, char fill)
{
        size_t n = strlen(prefix), end = 1000 - 8 - label;
        memcpy(spec, prefix, n);
        for (; n < end; n++)
                spec[n] = n % 10 == 9 ? '.' : (char)('a' + n % 10);
        spec[end - 2] = 'q'; /* no empty label before the last */
        spec[end - 1] = '.';
        memset(spec + end, fill, label);
        memcpy(spec + 992, ".example", 9);
        assert_int_equal(strlen(spec), 1000);
}

/* A redirect of 1,000 bytes: kept whole with a macro (as written) and without one when it
 * names no valid domain (an error, and the spec as written); a valid name is shortened as
 * RFC 7208 4.8 says, not by a cap. */
static void t_redirect(void **st)
{
        (void)st;
        char spec[1001];
        struct gen g;
        struct spf_record r = {0};
        long_spec(spec, "%{d}.", 3, 'X');
        gen_init(&g, 2048);
        gen_term(&g, "a");
        gen_term(&g, "redirect=%s", spec);
        assert_int_equal(parse_gen(&g, &r), 0);
        assert_true(r.redirect_applies && r.redirect_macro);
        assert_string_equal(r.redirect, spec);
        assert_int_equal(r.open, SPF_OPEN_REDIRECT);
        gen_free(&g);

        long_spec(spec, "", 101, 'Y'); /* a 101-octet label in the last 253 octets */
        gen_init(&g, 2048);
        gen_term(&g, "redirect=%s", spec);
        assert_int_equal(parse_gen(&g, &r), 1);
        assert_string_equal(r.errors[0].code, "domain_invalid");
        assert_string_equal(r.redirect, spec);
        gen_free(&g);

        long_spec(spec, "", 9, 'z');
        gen_init(&g, 2048);
        gen_term(&g, "redirect=%s", spec);
        assert_int_equal(parse_gen(&g, &r), 0);
        size_t n = strlen(r.redirect);
        assert_true(n <= DS_NAME_MAX_TEXT && n > DS_NAME_MAX_TEXT - 10);
        assert_string_equal(r.redirect + n - 18, ".zzzzzzzzz.example");
        assert_string_equal(r.targets[0].name, r.redirect);
        spf_record_free(&r);
        gen_free(&g);
}

/* 50 SPF records at one name (and other TXT): every one counts; receivers return permerror. */
static void t_records(void **st)
{
        (void)st;
        struct spf_txt txts[60];
        char text[60][40];
        for (unsigned i = 0; i < 60; i++) {
                int k = snprintf(text[i], sizeof text[i],
                                 i % 6 == 5 ? "other=%u" : "v=spf1 a:%u.x -all", i);
                txts[i] = (struct spf_txt){text[i], (size_t)k};
        }
        struct spf_record r = {0};
        assert_int_equal(spf_select(txts, 60, &r), 1);
        spf_check_invariants(&r, 40);
        assert_int_equal(r.records, 50);
        assert_int_equal(r.result, SPF_RESULT_PERMERROR);
        assert_int_equal(r.error_count, 1);
        assert_string_equal(r.errors[0].code, "multiple_records");
        assert_non_null(strstr(r.errors[0].msg, "50 TXT records"));
        /* one among 59 others: selected and parsed */
        assert_int_equal(spf_select(txts + 4, 2, &r), 0);
        assert_int_equal(r.records, 1);
        assert_int_equal(r.selected, 0);
        assert_string_equal(r.targets[0].name, "4.x");
        spf_record_free(&r);
}

#define LONG_NAME "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr.example"

/* Past the byte budget: what fits is kept (the first terms, targets, issues, in order), the
 * rest counted; the result, all, the counts and the flags are the whole record's. */
static void t_budget(void **st)
{
        (void)st;
        struct gen g;
        gen_init(&g, 8192);
        for (unsigned i = 0; i < 100; i++)
                gen_term(&g, "include:i%u.example", i);
        gen_term(&g, "bad");
        /* longer than any item the budget took: refused once the first term was */
        gen_term(&g, "redirect=%s", LONG_NAME);
        struct spf_record r = {0};
        r.mem.budget.limit = 2000;
        assert_int_equal(parse_gen(&g, &r), 1);
        assert_true(r.over_budget);
        assert_int_equal(r.result, SPF_RESULT_PERMERROR);
        assert_int_equal(r.term_count + r.terms_dropped, 102);
        assert_int_equal(r.target_count + r.targets_dropped, 101);
        assert_int_equal(r.error_count + r.errors_dropped, 1);
        assert_true(r.terms_dropped > 0 && r.targets_dropped > 0);
        assert_int_equal(r.lookup_terms, 101);
        assert_true(r.has_redirect && r.redirect_applies);
        assert_null(r.redirect); /* refused: the line writes null and says budget_exceeded */
        assert_true(r.mem.budget.used <= 2000);
        for (unsigned i = 0; i < r.term_count; i++)
                assert_int_equal(r.terms[i].offset, g.at[i]);
        for (unsigned i = 0; i < r.target_count; i++)
                assert_int_equal(r.targets[i].term, i);

        /* the same record within the default budget: everything, over_budget cleared */
        r.mem.budget.limit = 0;
        assert_int_equal(parse_gen(&g, &r), 1);
        assert_false(r.over_budget);
        assert_int_equal(r.term_count, 102);
        assert_int_equal(r.target_count, 101);
        assert_string_equal(r.redirect, LONG_NAME);
        gen_free(&g);

        /* a 64 KiB record of junk terms (32,764 errors) outgrows the default budget */
        gen_init(&g, DS_TXT_MAX + 1);
        while (g.len + 2 <= DS_TXT_MAX)
                gen_term(&g, "x");
        assert_int_equal(parse_gen(&g, &r), 1);
        assert_true(r.over_budget && r.errors_dropped > 0);
        assert_int_equal(r.error_count + r.errors_dropped, g.n);
        assert_int_equal(r.term_count + r.terms_dropped, g.n);
        assert_true(r.mem.budget.used <= DS_DOMAIN_BUDGET);
        assert_true(r.mem.budget.used > DS_DOMAIN_BUDGET - sizeof(struct spf_issue));
        assert_int_equal(r.errors[0].term, 0);
        spf_record_free(&r);
        gen_free(&g);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(t_terms),    cmocka_unit_test(t_targets), cmocka_unit_test(t_errors),
            cmocka_unit_test(t_redirect), cmocka_unit_test(t_records), cmocka_unit_test(t_budget),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}

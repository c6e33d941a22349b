/* spf_invariants.h -- the properties every spf_parse()/spf_select() result has, whatever
 * the input: shared by the unit test (tests/test_spf.c) and the fuzz target
 * (tests/fuzz/fuzz_spf.c).
 * Contract: header-only, static functions asserting with cmocka's macros; include after
 * <cmocka.h> (or tests/fuzz/asserts.h, which maps them onto an abort) and grammar_util.h. */
#ifndef DS_TEST_SPF_INVARIANTS_H
#define DS_TEST_SPF_INVARIANTS_H

#include <stdbool.h>
#include <string.h>

#include "scanner/spf/record.h"

static inline bool spf_known_code(const char *code)
{
        for (const char *const *c = spf_issue_codes; *c; c++)
                if (strcmp(*c, code) == 0)
                        return true;
        return false;
}

static inline void spf_check_issues(const struct spf_issue *is, unsigned n, size_t len)
{
        for (unsigned i = 0; i < n; i++) {
                assert_true(spf_known_code(is[i].code));
                check_text(is[i].msg, SPF_MSG_MAX, false);
                assert_true(is[i].term >= -1);
                assert_true((size_t)is[i].offset + is[i].len <= len);
                check_text(is[i].text, SPF_TERM_TEXT, is[i].term < 0);
                if (is[i].term >= 0)
                        assert_true(is[i].len > 0);
                else
                        assert_int_equal(is[i].text[0], '\0');
        }
}

/* Properties every result must have, whatever the input (len: of the parsed text). */
static inline void spf_check_invariants(const struct spf_record *r, size_t len)
{
        assert_true(r->result <= SPF_RESULT_PERMERROR);
        assert_int_equal(r->valid, r->result == SPF_RESULT_OK);
        assert_int_equal(r->result == SPF_RESULT_PERMERROR,
                         r->error_count > 0 || r->errors_dropped > 0);
        if (r->result == SPF_RESULT_NONE)
                assert_true(r->warning_count == 0 && r->term_count == 0 && r->records != 1);
        spf_check_issues(r->errors, r->error_count, len);
        spf_check_issues(r->warnings, r->warning_count, len);
        assert_true(r->all <= SPF_ALL_NEUTRAL && r->open <= SPF_OPEN_REDIRECT);
        /* Nothing is dropped but by the budget, and then the record says so. */
        assert_int_equal(r->over_budget, r->terms_dropped || r->targets_dropped ||
                                             r->errors_dropped || r->warnings_dropped ||
                                             r->redirect == NULL);
        size_t limit = r->mem.budget.limit ? r->mem.budget.limit : DS_DOMAIN_BUDGET;
        assert_true(r->mem.budget.used <= limit);
        assert_true(r->term_count == 0 || r->terms != NULL);
        assert_true(r->target_count + r->targets_dropped + r->macro_terms <= r->lookup_terms);
        for (unsigned i = 0; i < r->term_count; i++) {
                const struct spf_term *t = &r->terms[i];
                assert_true(t->kind < SPF_KIND_COUNT && t->qualifier <= SPF_Q_NEUTRAL);
                assert_true(t->len > 0 && (size_t)t->offset + t->len <= len);
                if (t->has_spec)
                        assert_true(t->spec_offset >= t->offset &&
                                    t->spec_offset + t->spec_len <= t->offset + t->len);
                assert_true(t->cidr4 <= 32 && t->cidr6 <= 128);
        }
        for (unsigned i = 0; i < r->target_count; i++) {
                const struct spf_target *t = &r->targets[i];
                assert_true(t->term < r->term_count + r->terms_dropped);
                assert_true(t->qtypes != 0 && (t->qtypes & ~0xFu) == 0);
                size_t n = strnlen(t->name, DS_NAME_MAX_TEXT + 1);
                assert_true(n <= DS_NAME_MAX_TEXT);
                assert_int_equal(t->self, n == 0);
                check_text(t->name, DS_NAME_MAX_TEXT + 1, true);
                if (n > 0)
                        assert_true(t->name[n - 1] != '.');
                for (size_t k = 0; k < n; k++)
                        assert_false(t->name[k] >= 'A' && t->name[k] <= 'Z');
        }
        if (r->redirect != NULL)
                check_text(r->redirect, strlen(r->redirect) + 1, true);
        if (!r->has_redirect)
                assert_true(r->redirect != NULL && r->redirect[0] == '\0');
        if (r->redirect_applies)
                assert_true(r->has_redirect && r->all == SPF_ALL_NONE);
        if (r->open == SPF_OPEN_REDIRECT)
                assert_true(r->redirect_applies);
}

/* Two results of one input are the same result (whatever storage each one's came from). */
static inline void spf_check_same(const struct spf_record *a, const struct spf_record *b)
{
        assert_true(
            a->result == b->result && a->valid == b->valid && a->records == b->records &&
            a->selected == b->selected && a->all == b->all && a->open == b->open &&
            a->has_redirect == b->has_redirect && a->redirect_applies == b->redirect_applies &&
            a->redirect_macro == b->redirect_macro && a->has_exp == b->has_exp &&
            a->everyone_pass == b->everyone_pass && a->everyone_neutral == b->everyone_neutral &&
            a->lookup_terms == b->lookup_terms && a->macro_terms == b->macro_terms &&
            a->over_budget == b->over_budget);
        assert_true((a->redirect == NULL) == (b->redirect == NULL));
        if (a->redirect != NULL)
                assert_true(strcmp(a->redirect, b->redirect) == 0);
        assert_true(a->term_count == b->term_count && a->terms_dropped == b->terms_dropped);
        for (unsigned i = 0; i < a->term_count; i++) {
                const struct spf_term *x = &a->terms[i], *y = &b->terms[i];
                assert_true(x->kind == y->kind && x->qualifier == y->qualifier &&
                            x->has_spec == y->has_spec && x->macro == y->macro &&
                            x->evaluated == y->evaluated && x->has_cidr4 == y->has_cidr4 &&
                            x->has_cidr6 == y->has_cidr6 && x->cidr4 == y->cidr4 &&
                            x->cidr6 == y->cidr6 && memcmp(x->addr, y->addr, 16) == 0 &&
                            x->offset == y->offset && x->len == y->len &&
                            x->spec_offset == y->spec_offset && x->spec_len == y->spec_len);
        }
        assert_true(a->target_count == b->target_count && a->targets_dropped == b->targets_dropped);
        for (unsigned i = 0; i < a->target_count; i++) {
                const struct spf_target *x = &a->targets[i], *y = &b->targets[i];
                assert_true(x->kind == y->kind && x->qtypes == y->qtypes && x->term == y->term &&
                            x->self == y->self && strcmp(x->name, y->name) == 0);
        }
        assert_true(a->error_count == b->error_count && a->warning_count == b->warning_count &&
                    a->errors_dropped == b->errors_dropped &&
                    a->warnings_dropped == b->warnings_dropped);
        for (unsigned i = 0; i < a->error_count + a->warning_count; i++) {
                const struct spf_issue *x =
                    i < a->error_count ? &a->errors[i] : &a->warnings[i - a->error_count];
                const struct spf_issue *y =
                    i < b->error_count ? &b->errors[i] : &b->warnings[i - b->error_count];
                assert_true(x->code == y->code && strcmp(x->msg, y->msg) == 0 &&
                            x->term == y->term && x->offset == y->offset && x->len == y->len &&
                            strcmp(x->text, y->text) == 0);
        }
}

#endif

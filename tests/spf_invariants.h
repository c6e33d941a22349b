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
        assert_true(r->error_count <= SPF_ISSUES_MAX && r->warning_count <= SPF_ISSUES_MAX);
        assert_true(r->result <= SPF_RESULT_PERMERROR);
        assert_int_equal(r->valid, r->result == SPF_RESULT_OK);
        assert_int_equal(r->result == SPF_RESULT_PERMERROR,
                         r->error_count > 0 || r->errors_dropped > 0);
        if (r->result == SPF_RESULT_NONE)
                assert_true(r->warning_count == 0 && r->term_count == 0 && r->records != 1);
        spf_check_issues(r->errors, r->error_count, len);
        spf_check_issues(r->warnings, r->warning_count, len);
        assert_true(r->all <= SPF_ALL_NEUTRAL && r->open <= SPF_OPEN_REDIRECT);
        assert_true(r->term_count <= SPF_TERMS_MAX && r->target_count <= SPF_TARGETS_MAX);
        assert_true(r->terms_dropped == 0 || r->term_count == SPF_TERMS_MAX);
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
                size_t n = strnlen(t->name, sizeof t->name);
                assert_true(n < sizeof t->name);
                assert_int_equal(t->self, n == 0);
                check_text(t->name, sizeof t->name, true);
                if (n > 0)
                        assert_true(t->name[n - 1] != '.');
                for (size_t k = 0; k < n; k++)
                        assert_false(t->name[k] >= 'A' && t->name[k] <= 'Z');
        }
        check_text(r->redirect, sizeof r->redirect, true);
        if (!r->has_redirect)
                assert_int_equal(r->redirect[0], '\0');
        if (r->redirect_applies)
                assert_true(r->has_redirect && r->all == SPF_ALL_NONE);
        if (r->open == SPF_OPEN_REDIRECT)
                assert_true(r->redirect_applies);
}

#endif

/* dmarc_invariants.h -- the properties every dmarc_parse() result has, whatever the input:
 * shared by the unit test (tests/test_dmarc.c) and the fuzz target (tests/fuzz/fuzz_dmarc.c).
 * Contract: header-only, static functions asserting with cmocka's macros; include after
 * <cmocka.h> (or tests/fuzz/asserts.h, which maps them onto an abort) and grammar_util.h. */
#ifndef DS_TEST_DMARC_INVARIANTS_H
#define DS_TEST_DMARC_INVARIANTS_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "scanner/dmarc/record.h"

static inline bool dmarc_known_code(const char *code)
{
        for (const char *const *c = dmarc_issue_codes; *c; c++)
                if (strcmp(*c, code) == 0)
                        return true;
        return false;
}

static inline void check_host(const char *h)
{
        size_t n = strnlen(h, DS_NAME_MAX_TEXT + 1);
        assert_true(n > 0 && n <= DS_NAME_MAX_TEXT);
        for (size_t i = 0; i < n; i++)
                assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789.-_", h[i]));
}

/* sentences: each msg is one (else each is empty: no_sentences). */
static inline void dmarc_check_issues(const struct dmarc_issue *is, unsigned n, size_t len,
                                      bool sentences)
{
        for (unsigned i = 0; i < n; i++) {
                assert_true(dmarc_known_code(is[i].code));
                if (sentences)
                        check_text(is[i].msg, DMARC_MSG_MAX, false);
                else
                        assert_int_equal(is[i].msg[0], '\0');
                assert_true((size_t)is[i].term_off + is[i].term_len <= len);
        }
}

/* Properties every result must have, whatever the input (len: of the parsed text). */
static inline void dmarc_check_invariants(const struct dmarc_record *r, size_t len)
{
        assert_int_equal(r->over_budget, r->uris_dropped || r->errors_dropped ||
                                             r->warnings_dropped || r->over_budget);
        if (!r->over_budget)
                assert_true(r->uris_dropped == 0 && r->errors_dropped == 0 &&
                            r->warnings_dropped == 0);
        assert_int_equal(r->valid, r->error_count == 0 && r->errors_dropped == 0);
        dmarc_check_issues(r->errors, r->error_count, len, !r->no_sentences);
        dmarc_check_issues(r->warnings, r->warning_count, len, !r->no_sentences);
        assert_true(r->p <= DMARC_POLICY_REJECT && r->sp <= DMARC_POLICY_REJECT &&
                    r->np <= DMARC_POLICY_REJECT);
        assert_true(r->adkim <= DMARC_ALIGN_STRICT && r->aspf <= DMARC_ALIGN_STRICT);
        assert_true(r->psd <= DMARC_PSD_N && r->pct <= 100);
        assert_true(r->fo != 0 && (r->fo & ~0xFu) == 0);
        assert_false((r->fo & DMARC_FO_0) && (r->fo & DMARC_FO_1));
        check_text(r->fo_text, DMARC_FO_TEXT, false);
        for (unsigned i = 0; i < r->rua_count + r->ruf_count; i++) {
                const struct dmarc_uri *u =
                    i < r->rua_count ? &r->rua[i] : &r->ruf[i - r->rua_count];
                check_text(u->uri, len + 1, false); /* kept whole, however long */
                assert_int_equal(strncasecmp(u->uri, "mailto:", 7), 0);
                check_host(u->host);
        }
        for (int t = 0; t < DMARC_TAG_COUNT; t++) {
                const struct dmarc_tag_seen *s = &r->tags[t];
                if (!s->present)
                        continue;
                assert_true(s->len <= len && s->value[s->len] == '\0');
                assert_true(!s->truncated || (r->over_budget && s->len == 0));
                assert_true(s->position < r->tag_count);
        }
        if (r->policy_fallback)
                assert_true(r->valid && (r->rua_count > 0 || r->over_budget) &&
                            r->p == DMARC_POLICY_NONE && r->sp == DMARC_POLICY_NONE &&
                            r->np == DMARC_POLICY_NONE);
        if (r->valid && !r->tags[DMARC_TAG_P].present)
                assert_true(r->policy_fallback);
}

/* Two results of one input are the same result (whatever storage each one's came from); b
 * may have been parsed with no_sentences, its issues then have an empty msg each. */
static inline void dmarc_check_same(const struct dmarc_record *a, const struct dmarc_record *b)
{
        /* The scalar fields, up to the first pointer. */
        assert_true(a->valid == b->valid && a->policy_fallback == b->policy_fallback &&
                    a->tag_count == b->tag_count && a->p == b->p && a->sp == b->sp &&
                    a->np == b->np && a->pct == b->pct && a->testing == b->testing &&
                    a->adkim == b->adkim && a->aspf == b->aspf && a->fo == b->fo &&
                    a->psd == b->psd && a->ri == b->ri && a->over_budget == b->over_budget);
        assert_true(strcmp(a->fo_text, b->fo_text) == 0);
        for (int t = 0; t < DMARC_TAG_COUNT; t++) {
                const struct dmarc_tag_seen *x = &a->tags[t], *y = &b->tags[t];
                assert_true(x->present == y->present);
                if (!x->present)
                        continue;
                assert_true(x->truncated == y->truncated && x->position == y->position &&
                            x->len == y->len && memcmp(x->value, y->value, x->len + 1) == 0);
        }
        assert_true(a->rua_count == b->rua_count && a->ruf_count == b->ruf_count &&
                    a->uris_dropped == b->uris_dropped);
        for (unsigned i = 0; i < a->rua_count + a->ruf_count; i++) {
                const struct dmarc_uri *x = &a->rua[i], *y = &b->rua[i];
                assert_true(strcmp(x->uri, y->uri) == 0 && strcmp(x->host, y->host) == 0 &&
                            x->size_limit == y->size_limit);
        }
        assert_true(a->error_count == b->error_count && a->warning_count == b->warning_count &&
                    a->errors_dropped == b->errors_dropped &&
                    a->warnings_dropped == b->warnings_dropped);
        for (unsigned i = 0; i < a->error_count + a->warning_count; i++) {
                const struct dmarc_issue *x =
                    i < a->error_count ? &a->errors[i] : &a->warnings[i - a->error_count];
                const struct dmarc_issue *y =
                    i < b->error_count ? &b->errors[i] : &b->warnings[i - b->error_count];
                assert_true(x->code == y->code && x->term_off == y->term_off &&
                            x->term_len == y->term_len);
                assert_true(b->no_sentences ? y->msg[0] == '\0' : strcmp(x->msg, y->msg) == 0);
        }
}

#endif

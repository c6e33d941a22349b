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

static inline void dmarc_check_issues(const struct dmarc_issue *is, unsigned n, size_t len)
{
        for (unsigned i = 0; i < n; i++) {
                assert_true(dmarc_known_code(is[i].code));
                check_text(is[i].msg, DMARC_MSG_MAX, false);
                assert_true((size_t)is[i].term_off + is[i].term_len <= len);
        }
}

/* Properties every result must have, whatever the input (len: of the parsed text). */
static inline void dmarc_check_invariants(const struct dmarc_record *r, size_t len)
{
        assert_true(r->error_count <= DMARC_ISSUES_MAX && r->warning_count <= DMARC_ISSUES_MAX);
        assert_int_equal(r->valid, r->error_count == 0 && r->errors_dropped == 0);
        dmarc_check_issues(r->errors, r->error_count, len);
        dmarc_check_issues(r->warnings, r->warning_count, len);
        assert_true(r->p <= DMARC_POLICY_REJECT && r->sp <= DMARC_POLICY_REJECT &&
                    r->np <= DMARC_POLICY_REJECT);
        assert_true(r->adkim <= DMARC_ALIGN_STRICT && r->aspf <= DMARC_ALIGN_STRICT);
        assert_true(r->psd <= DMARC_PSD_N && r->pct <= 100);
        assert_true(r->fo != 0 && (r->fo & ~0xFu) == 0);
        assert_false((r->fo & DMARC_FO_0) && (r->fo & DMARC_FO_1));
        check_text(r->fo_text, DMARC_FO_TEXT, false);
        assert_true(r->rua_count <= DMARC_URIS_MAX && r->ruf_count <= DMARC_URIS_MAX);
        for (unsigned i = 0; i < r->rua_count + r->ruf_count; i++) {
                const struct dmarc_uri *u =
                    i < r->rua_count ? &r->rua[i] : &r->ruf[i - r->rua_count];
                check_text(u->uri, DMARC_URI_MAX + 1, false);
                assert_int_equal(strncasecmp(u->uri, "mailto:", 7), 0);
                check_host(u->host);
        }
        for (int t = 0; t < DMARC_TAG_COUNT; t++) {
                const struct dmarc_tag_seen *s = &r->tags[t];
                if (!s->present)
                        continue;
                assert_true(s->len <= DMARC_RAW_MAX && s->value[s->len] == '\0');
                assert_true(s->position < r->tag_count);
        }
        if (r->policy_fallback)
                assert_true(r->valid && r->rua_count > 0 && r->p == DMARC_POLICY_NONE &&
                            r->sp == DMARC_POLICY_NONE && r->np == DMARC_POLICY_NONE);
        if (r->valid && !r->tags[DMARC_TAG_P].present)
                assert_true(r->policy_fallback);
}

#endif

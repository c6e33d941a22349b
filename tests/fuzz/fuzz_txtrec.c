/* fuzz_txtrec.c -- fuzz target: the grammars of the TXT-record checks (scanner/tlsrpt,
 * scanner/mtasts, scanner/bimi record.c) and the DKIM key record (scanner/dkim: record.c,
 * key.c's base64 and DER), and the MTA-STS policy file (scanner/mtasts/policy.c). The
 * first byte picks the grammar, the rest is the record (or the policy body).
 * Properties: no crash and no sanitizer report on any bytes (an exact-size copy, so ASan
 * sees any overread); every code noted is one of the grammar's; every span the result
 * holds lies inside the record; a second parse gives the same result (pure: compared field
 * by field, since the results point into storage each keeps); every tag is kept unless the
 * budget refused it, and then the result says budget_exceeded (an input with a high first
 * byte is read within a small budget, so that this is reached); DKIM: a key length only
 * with a usable key, never with a revoked one; policy: every pattern valid (so it matches
 * itself), mode and max_age in range. */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "common/text.h"
#include "scanner/bimi/record.h"
#include "scanner/dkim/record.h"
#include "scanner/mtasts/policy.h"
#include "scanner/mtasts/record.h"
#include "scanner/tlsrpt/record.h"

#define SMALL_BUDGET 256 /* a few tags */

static struct {
        struct txtrec t, t2; /* their storage grows and is reused, as a thread's scratch */
        struct tlsrpt_record tls, tls2;
        struct mtasts_record sts, sts2;
        struct bimi_record bimi, bimi2;
        uint8_t key[DKIM_KEY_BYTES_MAX];
        struct mtasts_policy pol, pol2; /* their pattern vectors grow and are reused */
} st;

static bool inside(const char *p, size_t n, const char *text, size_t size)
{
        return n == 0 || (p >= text && p + n <= text + size);
}

static void check_codes(const struct txtrec *t, const char *const *codes)
{
        for (unsigned i = 0; i < t->nissues; i++)
                fuzz_check(ds_listed(codes, t->issues[i].code));
}

static size_t limit; /* the budget of this input's parses; 0: the default */

static void fresh(struct txtrec *t, const char *const *codes, const char *version)
{
        t->codes = codes;
        t->version = version;
        t->nissues = 0;
        t->budget.limit = limit;
        ds_budget_reset(&t->budget);
}

static bool noted(const struct txtrec *t, const char *code)
{
        for (unsigned i = 0; i < t->nissues; i++)
                if (strcmp(t->issues[i].code, code) == 0)
                        return true;
        return false;
}

/* Both parses noted the same codes and split the same tags, every one inside the text and
 * in order; any tag the budget refused is said. */
static void same_reading(const char *text, size_t size)
{
        const struct tag_list *a = &st.t.tags, *b = &st.t2.tags;
        fuzz_check(st.t.nissues == st.t2.nissues);
        for (unsigned i = 0; i < st.t.nissues; i++)
                fuzz_check(st.t.issues[i].code == st.t2.issues[i].code &&
                           st.t.issues[i].error == st.t2.issues[i].error);
        fuzz_check(a->n == b->n && a->dropped == b->dropped && a->dup_len == b->dup_len);
        fuzz_check((a->dup == NULL) == (b->dup == NULL) && (!a->dup || a->dup == b->dup));
        for (unsigned i = 0; i < a->n; i++) {
                const struct tag *g = &a->tags[i];
                fuzz_check(g->name == b->tags[i].name && g->value == b->tags[i].value);
                fuzz_check(g->name_len > 0 && inside(g->name, g->name_len, text, size));
                fuzz_check(inside(g->value, g->value_len, text, size));
                fuzz_check(i == 0 || g->name > a->tags[i - 1].value);
        }
        fuzz_check(a->dropped == 0 || limit != 0);
        fuzz_check((a->dropped == 0) || noted(&st.t, "budget_exceeded"));
}

static void tlsrpt(const char *text, size_t size)
{
        fresh(&st.t, tlsrpt_issue_codes, TLSRPT_VERSION);
        fresh(&st.t2, tlsrpt_issue_codes, TLSRPT_VERSION);
        tlsrpt_parse(text, size, &st.tls, &st.t);
        tlsrpt_parse(text, size, &st.tls2, &st.t2);
        check_codes(&st.t, tlsrpt_issue_codes);
        same_reading(text, size);
        fuzz_check(st.tls.nrua == st.tls2.nrua && st.tls.nrua_dropped == st.tls2.nrua_dropped);
        fuzz_check(st.tls.nrua_dropped == 0 || (limit && noted(&st.t, "budget_exceeded")));
        for (unsigned i = 0; i < st.tls.nrua; i++) {
                fuzz_check(st.tls.rua[i].p == st.tls2.rua[i].p &&
                           st.tls.rua[i].n == st.tls2.rua[i].n);
                fuzz_check(inside(st.tls.rua[i].p, st.tls.rua[i].n, text, size));
        }
}

static void mtasts(const char *text, size_t size)
{
        fresh(&st.t, mtasts_issue_codes, MTASTS_VERSION);
        fresh(&st.t2, mtasts_issue_codes, MTASTS_VERSION);
        mtasts_parse(text, size, &st.sts, &st.t);
        mtasts_parse(text, size, &st.sts2, &st.t2);
        check_codes(&st.t, mtasts_issue_codes);
        same_reading(text, size);
        fuzz_check(memcmp(&st.sts, &st.sts2, sizeof(st.sts)) == 0); /* spans into text */
        if (st.sts.id) {
                fuzz_check(inside(st.sts.id, st.sts.id_len, text, size));
                fuzz_check(st.sts.id_len >= 1 && st.sts.id_len <= MTASTS_ID_MAX);
        }
}

static void bimi(const char *text, size_t size)
{
        fresh(&st.t, bimi_issue_codes, BIMI_VERSION);
        fresh(&st.t2, bimi_issue_codes, BIMI_VERSION);
        bimi_parse(text, size, &st.bimi, &st.t);
        bimi_parse(text, size, &st.bimi2, &st.t2);
        check_codes(&st.t, bimi_issue_codes);
        same_reading(text, size);
        fuzz_check(memcmp(&st.bimi, &st.bimi2, sizeof(st.bimi)) == 0); /* spans into text */
        fuzz_check(inside(st.bimi.l.p, st.bimi.l.n, text, size));
        fuzz_check(inside(st.bimi.a.p, st.bimi.a.n, text, size));
}

static void dkim(const char *text, size_t size)
{
        struct dkim_key k = {0}, k2 = {0};
        fresh(&st.t, NULL, "");
        fresh(&st.t2, NULL, "");
        dkim_parse(text, size, &k, &st.t, st.key, sizeof(st.key));
        dkim_parse(text, size, &k2, &st.t2, st.key, sizeof(st.key));
        fuzz_check(memcmp(&k, &k2, sizeof(k)) == 0); /* no pointers */
        unsigned budget_bit = 0;
        while (strcmp(dkim_key_codes[budget_bit], "budget_exceeded") != 0)
                budget_bit++;
        fuzz_check((st.t.tags.dropped != 0) == (((k.errors >> budget_bit) & 1u) != 0));
        fuzz_check(st.t.tags.dropped == 0 || limit != 0);
        unsigned ncodes = 0;
        while (dkim_key_codes[ncodes])
                ncodes++;
        fuzz_check(((k.errors | k.warnings) >> ncodes) == 0);
        fuzz_check(!k.revoked || k.bits == 0);
        fuzz_check(k.bits == 0 || k.k != DKIM_K_UNKNOWN);
        fuzz_check(k.k != DKIM_K_ED25519 || k.bits == 0 || k.bits == 256);
}

static void policy(const char *text, size_t size)
{
        mtasts_policy_parse(&st.pol, text, size);
        mtasts_policy_parse(&st.pol2, text, size);
        fuzz_check(st.pol.nissues == st.pol2.nissues && st.pol.mx.n == st.pol2.mx.n);
        fuzz_check(st.pol.mode == st.pol2.mode && st.pol.max_age == st.pol2.max_age);
        for (unsigned i = 0; i < st.pol.nissues; i++)
                fuzz_check(ds_listed(mtasts_policy_codes, st.pol.issues[i].code));
        fuzz_check(st.pol.max_age >= -1 && st.pol.max_age <= MTASTS_MAX_AGE_MAX);
        fuzz_check(st.pol.mode >= MTASTS_MODE_NONE_SET && st.pol.mode <= MTASTS_MODE_NONE);
        for (unsigned i = 0; i < st.pol.mx.n; i++) {
                struct mtasts_span s = mtasts_policy_mx(&st.pol, i);
                fuzz_check(s.len > 0 && inside(text + s.off, s.len, text, size));
                if (text[s.off] != '*') { /* an exact pattern matches its own name */
                        char host[300];
                        fuzz_check(s.len < sizeof(host));
                        memcpy(host, text + s.off, s.len);
                        host[s.len] = 0;
                        fuzz_check(mtasts_policy_match(&st.pol, host));
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        char *text = malloc(size - 1 ? size - 1 : 1);
        fuzz_check(text != NULL);
        memcpy(text, data + 1, size - 1);
        limit = data[0] >= 128 ? SMALL_BUDGET : 0;
        switch (data[0] % 5) {
        case 0:
                tlsrpt(text, size - 1);
                break;
        case 1:
                mtasts(text, size - 1);
                break;
        case 2:
                bimi(text, size - 1);
                break;
        case 3:
                dkim(text, size - 1);
                break;
        default:
                policy(text, size - 1);
                break;
        }
        free(text);
        return 0;
}

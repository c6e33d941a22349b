/* fuzz_txtrec.c -- fuzz target: the grammars of the TXT-record checks (scanner/tlsrpt,
 * scanner/mtasts, scanner/bimi record.c) and the DKIM key record (scanner/dkim: record.c,
 * key.c's base64 and DER). The first byte picks the grammar, the rest is the record.
 * Properties: no crash and no sanitizer report on any bytes (an exact-size copy, so ASan
 * sees any overread); every code noted is one of the grammar's; every span the result
 * holds lies inside the record; a second parse gives the same result (pure); DKIM: a key
 * length only with a usable key, never with a revoked one. */
#include "fuzz.h"

#include <stdbool.h>
#include <string.h>

#include "common/text.h"
#include "scanner/bimi/record.h"
#include "scanner/dkim/record.h"
#include "scanner/mtasts/record.h"
#include "scanner/tlsrpt/record.h"

static struct {
        struct txtrec t, t2;
        struct tlsrpt_record tls, tls2;
        struct mtasts_record sts, sts2;
        struct bimi_record bimi, bimi2;
        uint8_t key[DKIM_KEY_BYTES_MAX];
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

static void fresh(struct txtrec *t, const char *const *codes, const char *version)
{
        memset(t, 0, sizeof(*t));
        t->codes = codes;
        t->version = version;
}

static void tlsrpt(const char *text, size_t size)
{
        fresh(&st.t, tlsrpt_issue_codes, TLSRPT_VERSION);
        fresh(&st.t2, tlsrpt_issue_codes, TLSRPT_VERSION);
        tlsrpt_parse(text, size, &st.tls, &st.t);
        tlsrpt_parse(text, size, &st.tls2, &st.t2);
        check_codes(&st.t, tlsrpt_issue_codes);
        fuzz_check(memcmp(&st.tls, &st.tls2, sizeof(st.tls)) == 0);
        fuzz_check(st.t.nissues == st.t2.nissues);
        fuzz_check(st.tls.nrua <= TLSRPT_RUA_MAX);
        for (unsigned i = 0; i < st.tls.nrua; i++)
                fuzz_check(inside(st.tls.rua[i].p, st.tls.rua[i].n, text, size));
}

static void mtasts(const char *text, size_t size)
{
        fresh(&st.t, mtasts_issue_codes, MTASTS_VERSION);
        fresh(&st.t2, mtasts_issue_codes, MTASTS_VERSION);
        mtasts_parse(text, size, &st.sts, &st.t);
        mtasts_parse(text, size, &st.sts2, &st.t2);
        check_codes(&st.t, mtasts_issue_codes);
        fuzz_check(memcmp(&st.sts, &st.sts2, sizeof(st.sts)) == 0);
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
        fuzz_check(memcmp(&st.bimi, &st.bimi2, sizeof(st.bimi)) == 0);
        fuzz_check(inside(st.bimi.l.p, st.bimi.l.n, text, size));
        fuzz_check(inside(st.bimi.a.p, st.bimi.a.n, text, size));
}

static void dkim(const char *text, size_t size)
{
        struct dkim_key k = {0}, k2 = {0};
        dkim_parse(text, size, &k, st.key, sizeof(st.key));
        dkim_parse(text, size, &k2, st.key, sizeof(st.key));
        fuzz_check(memcmp(&k, &k2, sizeof(k)) == 0);
        unsigned ncodes = 0;
        while (dkim_key_codes[ncodes])
                ncodes++;
        fuzz_check(((k.errors | k.warnings) >> ncodes) == 0);
        fuzz_check(!k.revoked || k.bits == 0);
        fuzz_check(k.bits == 0 || k.k != DKIM_K_UNKNOWN);
        fuzz_check(k.k != DKIM_K_ED25519 || k.bits == 0 || k.bits == 256);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size < 1)
                return 0;
        char *text = malloc(size - 1 ? size - 1 : 1);
        fuzz_check(text != NULL);
        memcpy(text, data + 1, size - 1);
        switch (data[0] % 4) {
        case 0:
                tlsrpt(text, size - 1);
                break;
        case 1:
                mtasts(text, size - 1);
                break;
        case 2:
                bimi(text, size - 1);
                break;
        default:
                dkim(text, size - 1);
                break;
        }
        free(text);
        return 0;
}

/* record.c -- a DKIM key record (RFC 6376 3.6.1) read into a key summary. */
#include "scanner/dkim/record.h"

#include <string.h>

#include "common/check.h"
#include "common/text.h"
#include "scanner/dkim/key.h"
#include "scanner/txtrec/tags.h"

const char *const dkim_key_codes[] = {
    "record_missing", "multiple_records", "syntax",          "duplicate_tag",
    "v_invalid",      "k_unknown",        "p_missing",       "p_invalid",
    "key_invalid",    "key_too_short",    "key_short",       "revoked",
    "testing",        "h_sha1_only",      "budget_exceeded", NULL,
};

void dkim_key_issue(struct dkim_key *key, const char *code, bool error)
{
        for (unsigned i = 0; dkim_key_codes[i]; i++)
                if (strcmp(dkim_key_codes[i], code) == 0) {
                        if (error)
                                key->errors |= (uint16_t)(1u << i);
                        else
                                key->warnings |= (uint16_t)(1u << i);
                        return;
                }
        (void)ds_fails(!"a DKIM code not in dkim_key_codes");
}

const char *dkim_k_name(enum dkim_k k)
{
        return k == DKIM_K_RSA ? "rsa" : k == DKIM_K_ED25519 ? "ed25519" : NULL;
}

static bool value_is(const struct tag *g, const char *lit)
{
        return g->value_len == strlen(lit) && ds_ascii_ieq(g->value, g->value_len, lit);
}

/* h= lists only sha1 (RFC 8301 3.1: verifiers must not accept rsa-sha1). */
static bool sha1_only(const struct tag *h)
{
        const char *p = h->value;
        size_t n = h->value_len, start = 0;
        bool sha1 = false, other = false;
        for (size_t i = 0; i <= n; i++)
                if (i == n || p[i] == ':') {
                        const char *a = p + start;
                        size_t an = i - start;
                        ds_trim(&a, &an);
                        if (an == 4 && ds_ascii_ieq(a, an, "sha1"))
                                sha1 = true;
                        else if (an)
                                other = true;
                        start = i + 1;
                }
        return sha1 && !other;
}

/* t= flags, colon-separated: y means the domain is testing DKIM. */
static bool testing(const struct tag *t)
{
        for (size_t i = 0; i < t->value_len; i++)
                if ((t->value[i] == 'y' || t->value[i] == 'Y') &&
                    (i == 0 || t->value[i - 1] == ':' ||
                     ds_ascii_blank((unsigned char)t->value[i - 1])) &&
                    (i + 1 == t->value_len || t->value[i + 1] == ':' ||
                     ds_ascii_blank((unsigned char)t->value[i + 1])))
                        return true;
        return false;
}

static void public_key(const struct tag *p, struct dkim_key *key, uint8_t *buf, size_t cap)
{
        if (!p) {
                dkim_key_issue(key, "p_missing", true);
                return;
        }
        if (p->value_len == 0) {
                key->revoked = true;
                dkim_key_issue(key, "revoked", false);
                return;
        }
        int n = dkim_base64(p->value, p->value_len, buf, cap);
        if (n <= 0) {
                dkim_key_issue(key, "p_invalid", true);
                return;
        }
        int bits = -1;
        if (key->k == DKIM_K_RSA)
                bits = dkim_rsa_bits(buf, (size_t)n);
        else if (key->k == DKIM_K_ED25519)
                bits = n == 32 ? 256 : -1;
        else
                return;
        if (bits < 0) {
                dkim_key_issue(key, "key_invalid", true);
                return;
        }
        key->bits = (uint16_t)(bits > 65535 ? 65535 : bits);
        if (key->k == DKIM_K_RSA && bits < 1024)
                dkim_key_issue(key, "key_too_short", true);
        else if (key->k == DKIM_K_RSA && bits < 2048)
                dkim_key_issue(key, "key_short", false);
}

void dkim_parse(const char *text, size_t n, struct dkim_key *key, struct txtrec *t, uint8_t *buf,
                size_t cap)
{
        const struct tag_list *tl = &t->tags;
        tags_split(text, n, &t->tags, &t->budget);
        if (tl->no_equals || tl->empty_name)
                dkim_key_issue(key, "syntax", true);
        if (tl->dup)
                dkim_key_issue(key, "duplicate_tag", true);
        if (tl->dropped)
                dkim_key_issue(key, "budget_exceeded", true);
        const struct tag *v = tags_find(tl, "v");
        if (v && (v != &tl->tags[0] || !(v->value_len == 5 && memcmp(v->value, "DKIM1", 5) == 0)))
                dkim_key_issue(key, "v_invalid", true);
        const struct tag *k = tags_find(tl, "k");
        key->k = DKIM_K_RSA; /* the default */
        if (k && value_is(k, "ed25519"))
                key->k = DKIM_K_ED25519;
        else if (k && !value_is(k, "rsa")) {
                key->k = DKIM_K_UNKNOWN;
                dkim_key_issue(key, "k_unknown", true);
        }
        const struct tag *h = tags_find(tl, "h");
        if (h && sha1_only(h))
                dkim_key_issue(key, "h_sha1_only", false);
        const struct tag *flags = tags_find(tl, "t");
        if (flags && testing(flags))
                dkim_key_issue(key, "testing", false);
        public_key(tags_find(tl, "p"), key, buf, cap);
}

/* domain.c -- domain name normalization and validation (see domain.h). */
#include "scanner/domain.h"

#include <errno.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "dns/limits.h"

static const char R_BADCHAR[] = "invalid character (labels allow letters, digits, '-' and '_')";
static const char R_TOOLONG[] = "name longer than 253 octets";
static const char R_IP[] = "an IP address, not a domain name";

#define NAME_IN_MAX 1024 /* longer UTF-8 fields cannot map to a 253-octet name */

static int reject(struct domain_verdict *v, const char *reason)
{
        v->reason = reason;
        return -EINVAL;
}

static bool looks_ipv6(const char *s, size_t n)
{
        size_t colons = 0;
        for (size_t i = 0; i < n; i++) {
                char c = s[i];
                if (c == ':')
                        colons++;
                else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '.'))
                        return false;
        }
        return colons >= 2;
}

static bool label_char(char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int check_label(const char *s, size_t start, size_t end, struct domain_verdict *v)
{
        size_t n = end - start;
        if (n == 0)
                return reject(v, start == 0 ? "empty label (starts with a dot)"
                                            : "empty label (two dots in a row)");
        if (n > DS_LABEL_MAX)
                return reject(v, "label longer than 63 octets");
        if (s[start] == '-' || s[end - 1] == '-')
                return reject(v, "label starts or ends with a hyphen");
        return 0;
}

/* s is lower-case ASCII of length n (no trailing dot). */
static int validate(const char *s, size_t n, struct domain_verdict *v)
{
        size_t start = 0, labels = 0;
        if (memchr(s, ':', n) && looks_ipv6(s, n))
                return reject(v, R_IP);
        for (size_t i = 0; i <= n; i++) {
                if (i < n && s[i] != '.') {
                        if (!label_char(s[i])) {
                                v->pos = i + 1;
                                v->bad = (unsigned char)s[i];
                                return reject(v, R_BADCHAR);
                        }
                        continue;
                }
                if (check_label(s, start, i, v) < 0)
                        return -EINVAL;
                labels++;
                start = i + 1;
        }
        if (labels < 2)
                return reject(v, "a single label, not a domain name");
        return 0;
}

static int check_tld(const char *s, size_t n, struct domain_verdict *v)
{
        const char *dot = memrchr(s, '.', n);
        const char *tld = dot ? dot + 1 : s;
        if (ds_ascii_all_digits(tld, (size_t)(s + n - tld)))
                return reject(v, R_IP);
        return 0;
}

static void copy_lower(const char *src, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                out[i] = ds_ascii_lower((unsigned char)src[i]);
        out[n] = '\0';
}

static bool has_high_bytes(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)p[i] >= 0x80)
                        return true;
        return false;
}

/* U-labels to A-labels; libidn2 also applies the UTS 46 case mapping. */
static int to_alabel(const char *p, size_t n, char *out, size_t cap, size_t *outn,
                     struct domain_verdict *v)
{
        char tmp[NAME_IN_MAX + 1];
        uint8_t *res = NULL;
        if (n > NAME_IN_MAX)
                return reject(v, R_TOOLONG);
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        int rc = idn2_lookup_u8((const uint8_t *)tmp, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
        if (rc != IDN2_OK) {
                v->idn = true;
                return reject(v, idn2_strerror(rc));
        }
        size_t len = strlen((const char *)res);
        if (len > DS_NAME_MAX_TEXT || len + 1 > cap) {
                idn2_free(res);
                return reject(v, R_TOOLONG);
        }
        copy_lower((const char *)res, len, out);
        idn2_free(res);
        *outn = len;
        return 0;
}

/* Cheap rejections first, so that URLs and e-mail addresses get a useful reason rather than
 * an invalid-character one. */
int domain_normalize(const char *p, size_t n, char *out, size_t cap, struct domain_verdict *v)
{
        size_t len = n;
        memset(v, 0, sizeof *v);
        if (cap > 0)
                out[0] = '\0';
        ds_trim(&p, &n);
        if (n == 0)
                return reject(v, "empty name");
        if (memchr(p, '/', n))
                return reject(v, "a URL, not a domain name (use the host part)");
        if (memchr(p, '@', n))
                return reject(v, "an e-mail address, not a domain name (use the part after '@')");
        if (p[n - 1] == '.')
                n--;
        if (n == 0)
                return reject(v, "empty name");
        /* a NUL byte would cut the string libidn2 sees: let validate() name it instead */
        if (has_high_bytes(p, n) && !memchr(p, '\0', n)) {
                if (to_alabel(p, n, out, cap, &len, v) < 0)
                        return -EINVAL;
        } else {
                if (n > DS_NAME_MAX_TEXT || n + 1 > cap)
                        return reject(v, R_TOOLONG);
                copy_lower(p, n, out);
                len = n;
        }
        if (validate(out, len, v) < 0 || check_tld(out, len, v) < 0) {
                out[0] = '\0';
                return -EINVAL;
        }
        return 0;
}

int domain_normalize_field(const char *field, size_t len, char *out, size_t cap,
                           const char **reason)
{
        struct domain_verdict v;
        int rc = domain_normalize(field, len, out, cap, &v);
        if (reason)
                *reason = rc < 0 ? v.reason : NULL;
        return rc;
}

void domain_verdict_text(const struct domain_verdict *v, char *buf, size_t cap)
{
        if (v->idn) {
                snprintf(buf, cap, "IDN: %s", v->reason);
        } else if (v->reason == R_BADCHAR) {
                char shown[8];
                if (v->bad >= 0x20 && v->bad < 0x7f)
                        snprintf(shown, sizeof shown, "%c", v->bad);
                else
                        snprintf(shown, sizeof shown, "\\x%02x", v->bad);
                snprintf(buf, cap, "invalid character '%s' at position %zu", shown, v->pos);
        } else {
                snprintf(buf, cap, "%s", v->reason);
        }
}

/* key.c -- base64 and the little DER a DKIM RSA key needs. */
#include "scanner/dkim/key.h"

#include <stdbool.h>
#include <string.h>

static int b64_value(unsigned char c)
{
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

int dkim_base64(const char *text, size_t n, uint8_t *out, size_t cap)
{
        uint32_t acc = 0;
        unsigned bits = 0, pad = 0;
        size_t len = 0, digits = 0;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)text[i];
                if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                        continue;
                if (c == '=') {
                        pad++;
                        continue;
                }
                int v = b64_value(c);
                if (v < 0 || pad) /* a digit after padding */
                        return -1;
                digits++;
                acc = (acc << 6) | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        if (len == cap)
                                return -1;
                        out[len++] = (uint8_t)(acc >> bits);
                }
        }
        /* Whole quads only, padded or not; one digit alone never encodes an octet. */
        if (digits % 4 == 1 || pad > 2 || (pad && (digits + pad) % 4 != 0))
                return -1;
        return (int)len;
}

/* One DER element at *p of tag: its contents in [*c, *c + *cn), *p moved past it. */
static bool der_take(const uint8_t **p, const uint8_t *end, uint8_t tag, const uint8_t **c,
                     size_t *cn)
{
        const uint8_t *q = *p;
        if (end - q < 2 || q[0] != tag)
                return false;
        size_t len = q[1];
        q += 2;
        if (len & 0x80) {
                unsigned k = len & 0x7f;
                if (k == 0 || k > 3 || (size_t)(end - q) < k)
                        return false;
                len = 0;
                for (unsigned i = 0; i < k; i++)
                        len = (len << 8) | *q++;
        }
        if ((size_t)(end - q) < len)
                return false;
        *c = q;
        *cn = len;
        *p = q + len;
        return true;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } */
static int pkcs1_bits(const uint8_t *p, size_t n)
{
        const uint8_t *end = p + n, *seq, *mod;
        size_t seqn, modn;
        if (!der_take(&p, end, 0x30, &seq, &seqn))
                return -1;
        const uint8_t *send = seq + seqn;
        if (!der_take(&seq, send, 0x02, &mod, &modn))
                return -1;
        while (modn && mod[0] == 0) {
                mod++;
                modn--;
        }
        if (!modn)
                return -1;
        int bits = (int)(modn - 1) * 8;
        for (uint8_t top = mod[0]; top; top >>= 1)
                bits++;
        return bits;
}

int dkim_rsa_bits(const uint8_t *der, size_t n)
{
        static const uint8_t rsa_oid[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01};
        const uint8_t *p = der, *end = der + n, *spki, *alg, *oid, *bits;
        size_t spkin, algn, oidn, bitsn;
        if (!der_take(&p, end, 0x30, &spki, &spkin))
                return -1;
        if (spkin && spki[0] == 0x02) /* a bare RSAPublicKey */
                return pkcs1_bits(der, n);
        const uint8_t *send = spki + spkin;
        if (!der_take(&spki, send, 0x30, &alg, &algn) ||
            !der_take(&alg, alg + algn, 0x06, &oid, &oidn) || oidn != sizeof(rsa_oid) ||
            memcmp(oid, rsa_oid, oidn) != 0 || !der_take(&spki, send, 0x03, &bits, &bitsn) ||
            bitsn < 2 || bits[0] != 0)
                return -1;
        return pkcs1_bits(bits + 1, bitsn - 1);
}

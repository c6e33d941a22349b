/* key.h -- a DKIM public key's length from the p= value of its key record (RFC 6376
 * 3.6.1): base64 (white space allowed, RFC 6376 3.6.1's FWS), then for RSA the
 * SubjectPublicKeyInfo DER (RFC 3279 2.3.1; a bare PKCS#1 RSAPublicKey is read too, as
 * verifiers do) whose modulus gives the bits; for Ed25519 (RFC 8463) 32 raw octets, 256
 * bits. Contract: pure functions over the caller's bytes, bounds-checked against hostile
 * input; no allocation. */
#ifndef DS_DKIM_KEY_H
#define DS_DKIM_KEY_H

#include <stddef.h>
#include <stdint.h>

/* Decode base64 text[0..n) into out (cap bytes), skipping white space: the length, or -1
 * when it is not base64 (a bad octet, bad padding) or does not fit. */
int dkim_base64(const char *text, size_t n, uint8_t *out, size_t cap);

/* The RSA modulus length in bits of a DER SubjectPublicKeyInfo (rsaEncryption) or
 * RSAPublicKey: > 0, or -1 when the DER is not one. */
int dkim_rsa_bits(const uint8_t *der, size_t n);

#endif

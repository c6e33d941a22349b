/* record.h -- a DKIM key record (RFC 6376 3.6.1: v=DKIM1; k=rsa|ed25519; p=base64; h, s,
 * t, n) read into what the "dkim" object reports of a selector: the key type, the key
 * length, whether the key is revoked (empty p=), and codes.
 * Contract: dkim_parse() reads one record's text (any octets); the result is small and
 * self-contained (no pointers into the text), so that it can live in the job between
 * lookups. No DNS; every tag is split into the caller's reused storage, charged to its byte
 * budget (budget_exceeded past it), and the key is decoded into the caller's buffer.
 * docs/dkim.md has every code. */
#ifndef DS_DKIM_RECORD_H
#define DS_DKIM_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/txtrec/txtrec.h"

#define DKIM_KEY_BYTES_MAX 2048 /* a decoded public key: RSA 16384 bits fits */

enum dkim_k { DKIM_K_UNKNOWN = 0, DKIM_K_RSA, DKIM_K_ED25519 };

/* What a selector's lookup and its record say; codes as bits over dkim_key_codes. */
struct dkim_key {
        int16_t status;  /* the lookup's status; LOOKUP_PENDING: not asked (yet) */
        bool found;      /* a TXT record was read at the selector */
        uint8_t k;       /* enum dkim_k */
        bool revoked;    /* p= empty */
        uint16_t bits;   /* key length; 0 unknown */
        uint16_t errors; /* bit i: dkim_key_codes[i] */
        uint16_t warnings;
};

/* Every code a selector can have, NULL-terminated (at most 16, the bits of errors and
 * warnings): docs and coverage tests. */
extern const char *const dkim_key_codes[];

/* Read the record text[0..n) into key (status untouched): its tags into t->tags, charged to
 * t->budget (t: the selector's records, as txtrec_read() left them, or a fresh one); buf is
 * scratch for the key. */
void dkim_parse(const char *text, size_t n, struct dkim_key *key, struct txtrec *t, uint8_t *buf,
                size_t cap);

/* Note code (one of dkim_key_codes) in key. */
void dkim_key_issue(struct dkim_key *key, const char *code, bool error);

/* "rsa", "ed25519", or NULL. */
const char *dkim_k_name(enum dkim_k k);

#endif

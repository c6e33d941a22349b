/* check.h -- the DKIM presence check: a module of the job (scanner/check.h).
 * Contract: dkim_check's hooks ask, one at a time: _domainkey.<domain> TXT, whose status
 * alone is the signal (NOERROR: the name exists, usually as the empty non-terminal above
 * published keys; NXDOMAIN: nothing is published under it, RFC 8020; anything else: cannot
 * tell); then <selector>._domainkey.<domain> TXT for each --dkim-selectors selector (CNAMEs
 * followed), whose key record is read (RFC 6376 3.6.1: key type, key length from the public
 * key, revoked). Selectors under an NXDOMAIN _domainkey are not asked: they cannot exist.
 * docs/dkim.md says what the signal can and cannot say; "dkim" object: docs/output.md.
 * The state holds every result (small, no pointers): conclude() and render() read it; the
 * scratch only serves on_reply() while a selector's reply is read. */
#ifndef DS_DKIM_CHECK_H
#define DS_DKIM_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "scanner/check.h"
#include "scanner/dkim/record.h"
#include "scanner/dkim/selectors.h"
#include "scanner/txtrec/txtrec.h"

struct dkim_state {
        int16_t status;    /* the _domainkey lookup's; LOOKUP_PENDING until it ended */
        bool dk_done;      /* the replies now are the selectors' */
        uint8_t started;   /* selectors asked (or settled without asking) so far */
        uint16_t attempts; /* datagrams, every lookup of the check */
        struct dkim_key keys[DKIM_SELECTORS_MAX];
};

struct dkim_scratch {
        struct txtrec t; /* the selector's TXT records being read */
        uint8_t key[DKIM_KEY_BYTES_MAX];
};

extern const struct check_ops dkim_check;

#endif

/* check.h -- the BIMI check (draft-brand-indicators-for-message-identification): a module
 * of the job (scanner/check.h).
 * Contract: bimi_check's hooks ask one lookup, default._bimi.<domain> TXT (CNAMEs
 * followed), and report the BIMI assertion records there, whether exactly one valid record
 * is published, its l and a, and whether the domain meets the draft's DMARC prerequisite
 * ("dmarc_ok", from the dmarc check's facts when it ran, never from its state; null when
 * it did not run or could not tell). "bimi" object: docs/output.md; codes: docs/bimi.md.
 * The state is the lookup's status; conclude() rebuilds the result from the reply kept in
 * the lookup (as the MX check). */
#ifndef DS_BIMI_CHECK_H
#define DS_BIMI_CHECK_H

#include <stdint.h>

#include "scanner/bimi/record.h"
#include "scanner/check.h"
#include "scanner/txtrec/txtrec.h"

struct bimi_scratch {
        struct txtrec t;
        bool parsed; /* rec holds the single record's parse */
        struct bimi_record rec;
};

struct bimi_state {
        int16_t status; /* LOOKUP_PENDING until the lookup ended */
};

extern const struct check_ops bimi_check;

#endif

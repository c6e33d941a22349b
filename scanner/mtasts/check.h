/* check.h -- the MTA-STS check (RFC 8461): a module of the job (scanner/check.h).
 * Contract: mtasts_check's hooks ask one lookup, _mta-sts.<domain> TXT (CNAMEs followed),
 * and report the MTA-STS records there, whether exactly one valid record is published, and
 * its id ("mta_sts" object, docs/output.md; codes in docs/mta-sts.md). The policy itself
 * (HTTPS) is not fetched: "policy" is null. The state is the lookup's status; conclude()
 * rebuilds the result from the reply kept in the lookup (as the MX check). */
#ifndef DS_MTASTS_CHECK_H
#define DS_MTASTS_CHECK_H

#include <stdint.h>

#include "scanner/check.h"
#include "scanner/mtasts/record.h"
#include "scanner/txtrec/txtrec.h"

struct mtasts_scratch {
        struct txtrec t;
        bool parsed; /* rec holds the single record's parse */
        struct mtasts_record rec;
};

struct mtasts_state {
        int16_t status; /* LOOKUP_PENDING until the lookup ended */
};

extern const struct check_ops mtasts_check;

#endif

/* check.h -- the TLS-RPT check (RFC 8460): a module of the job (scanner/check.h).
 * Contract: tlsrpt_check's hooks ask one lookup, _smtp._tls.<domain> TXT (CNAMEs
 * followed), and report the TLS-RPT records there, whether exactly one valid record is
 * published, and its report URIs ("tls_rpt" object, docs/output.md; codes in
 * docs/tls-rpt.md). It reports no facts to the top-level verdicts beyond its status.
 * The state is the lookup's status; conclude() rebuilds the result from the reply kept in
 * the lookup into the scratch (as the MX check, scanner/mx/check.h). */
#ifndef DS_TLSRPT_CHECK_H
#define DS_TLSRPT_CHECK_H

#include <stdint.h>

#include "scanner/check.h"
#include "scanner/tlsrpt/record.h"
#include "scanner/txtrec/txtrec.h"

struct tlsrpt_scratch {
        struct txtrec t;
        bool parsed; /* rec holds the single record's parse */
        struct tlsrpt_record rec;
};

struct tlsrpt_state {
        int16_t status; /* LOOKUP_PENDING until the lookup ended */
};

extern const struct check_ops tlsrpt_check;

#endif

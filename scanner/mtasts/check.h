/* check.h -- the MTA-STS check (RFC 8461): a module of the job (scanner/check.h).
 * Contract: mtasts_check's hooks ask _mta-sts.<domain> TXT (CNAMEs followed) and report the
 * MTA-STS records there, whether exactly one valid record is published, and its id
 * ("mta_sts" object, docs/output.md; codes in docs/mta-sts.md). With --mta-sts-policy
 * (env->mta_sts_policy) and a valid record, as a sending MTA would (RFC 8461 3.3), it goes
 * on: the address of mta-sts.<domain> (A, else AAAA, through the scan's resolvers), the
 * HTTPS GET of /.well-known/mta-sts.txt from it (dns/https.h, certificate checked against
 * that name), and when a policy came back the domain's MX hosts, matched against its mx
 * patterns; "policy" says what each step found (null when no policy was asked for).
 * Between steps the state keeps the statuses and, in one owned buffer (held), the TXT
 * reply and the body: conclude() rebuilds the result from them and from the last reply
 * (the MX answer) kept in the lookup. */
#ifndef DS_MTASTS_CHECK_H
#define DS_MTASTS_CHECK_H

#include <stdint.h>

#include "scanner/check.h"
#include "scanner/mtasts/policy.h"
#include "scanner/mtasts/record.h"
#include "scanner/mx/check.h"
#include "scanner/txtrec/txtrec.h"

#define MTASTS_PATH "/.well-known/mta-sts.txt"

/* How far the policy steps got ("fetch" in the line): enum https_status's values, then the
 * address lookup's failures. */
enum mtasts_fetch {
        MTASTS_FETCH_NOT_ASKED = -1,  /* no --mta-sts-policy, or no valid record: null */
        MTASTS_FETCH_NO_ADDRESS = 64, /* mta-sts.<domain> has no A or AAAA record */
        MTASTS_FETCH_DNS_ERROR,       /* its address lookup failed (timeout, SERVFAIL, ...) */
};

/* The step in flight. */
enum mtasts_step {
        MTASTS_STEP_TXT,
        MTASTS_STEP_A,
        MTASTS_STEP_AAAA,
        MTASTS_STEP_FETCH,
        MTASTS_STEP_MX
};

struct mtasts_scratch {
        struct txtrec t;
        bool parsed; /* rec holds the single record's parse */
        struct mtasts_record rec;
        struct mtasts_policy pol; /* the fetched body's parse, when fetch is ok */
        struct mx_result mx;      /* the domain's MX hosts, when asked */
};

struct mtasts_state {
        int16_t status;      /* the TXT lookup's; LOOKUP_PENDING until it ended */
        int16_t addr_status; /* the address lookup's, LOOKUP_PENDING: not asked */
        int16_t mx_status;   /* the MX lookup's, LOOKUP_PENDING: not asked */
        int16_t fetch;       /* enum mtasts_fetch or enum https_status */
        uint16_t http_code;
        uint8_t step; /* enum mtasts_step */
        bool text_plain;
        uint8_t addr_len; /* 0, 4 or 16 */
        uint8_t txt_hops; /* CNAME links of the TXT lookup */
        uint8_t addr[16];
        uint8_t *held; /* owned: the TXT reply, its final owner name, then the body */
        uint32_t txt_len, owner_len, body_len;
};

extern const struct check_ops mtasts_check;

#endif

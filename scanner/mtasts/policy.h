/* policy.h -- the MTA-STS policy file's grammar (RFC 8461 3.2) and its MX patterns (4.1).
 * Contract: mtasts_policy_parse() reads a fetched body (any octets) into its mode, max_age
 * and mx patterns, with every problem as a code (docs/mta-sts.md): errors make the policy
 * invalid (a sender would not apply it), warnings do not. Lines end in LF or CRLF; each is
 * "key: value"; unknown keys are extensions and ignored (RFC 8461 3.2); a repeated version,
 * mode or max_age counts once (the first) and is a warning. Patterns are spans into the
 * body (which the caller keeps alive while the policy is read), every one kept, in storage
 * that grows once per thread and is reused, bounded by the per-domain byte budget
 * (budget_exceeded past it). mtasts_policy_match() is RFC 8461 4.1's rule: a host matches
 * a pattern equal to it, or "*.rest" when it is one label followed by rest; case-blind. */
#ifndef DS_MTASTS_POLICY_H
#define DS_MTASTS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/budget.h"

#define MTASTS_MAX_AGE_MAX   31557600 /* RFC 8461 3.2: at most a year of seconds */
#define MTASTS_MAX_AGE_SHORT 86400    /* under a day: a warning (3.2 recommends weeks) */
#define MTASTS_BODY_MAX      65536    /* bytes fetched at most (RFC 8461 3.3 suggests 64 KiB) */
#define MTASTS_POLICY_CODES  16       /* distinct codes (the list below), each noted once */

enum mtasts_mode {
        MTASTS_MODE_NONE_SET = -1,
        MTASTS_MODE_ENFORCE,
        MTASTS_MODE_TESTING,
        MTASTS_MODE_NONE
};

struct mtasts_span {
        uint32_t off, len; /* into the body */
};

struct mtasts_policy_issue {
        const char *code; /* static, from mtasts_policy_codes */
        bool error;
};

struct mtasts_policy {
        const char *body; /* borrowed: the text the spans point into */
        int8_t mode;      /* enum mtasts_mode */
        int64_t max_age;  /* seconds; -1 when missing or invalid */
        struct ds_vec mx; /* struct mtasts_span, valid patterns in order; owned, reused */
        unsigned mx_invalid;
        struct ds_budget budget;
        struct mtasts_policy_issue issues[MTASTS_POLICY_CODES];
        unsigned nissues;
};

/* Every code the policy reading writes, NULL-terminated: for docs and coverage tests. */
extern const char *const mtasts_policy_codes[];

void mtasts_policy_parse(struct mtasts_policy *p, const char *body, size_t n);

/* Note a code once (one of mtasts_policy_codes). */
void mtasts_policy_issue(struct mtasts_policy *p, const char *code, bool error);

/* No error was noted. */
bool mtasts_policy_valid(const struct mtasts_policy *p);

/* Pattern i (i < p->mx.n). */
static inline struct mtasts_span mtasts_policy_mx(const struct mtasts_policy *p, unsigned i)
{
        return ((const struct mtasts_span *)p->mx.buf)[i];
}

/* host (text, no trailing dot) matches one of the patterns. */
bool mtasts_policy_match(const struct mtasts_policy *p, const char *host);

/* "enforce", "testing", "none", or NULL. */
const char *mtasts_mode_name(int mode);

void mtasts_policy_free(struct mtasts_policy *p);

#endif

/* domain.h -- one domain name as users write it -> the normalized name dmarcscan asks for.
 * Contract: trim spaces, strip one trailing dot, lower-case, IDN U-labels to A-labels
 * (IDNA2008 non-transitional via libidn2), then validate (labels 1-63 octets of letters,
 * digits, '-' and '_', no leading/trailing '-', at least two labels, not an IP address, a
 * TLD that is not all digits, total at most 253). Pure apart from libidn2; thread-safe.
 * Reasons are static sentences. Returns 0 / -EINVAL. */
#ifndef DS_DOMAIN_H
#define DS_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

/* Why a name was refused, precisely enough to say which byte. */
struct domain_verdict {
        const char *reason;
        size_t pos;        /* R_BADCHAR: 1-based position */
        unsigned char bad; /* R_BADCHAR: the byte */
        bool idn;          /* reason is libidn2's */
};

/* p[0..n) (already trimmed) into out (cap >= DS_NAME_MAX_TEXT + 1). */
int domain_normalize(const char *p, size_t n, char *out, size_t cap, struct domain_verdict *v);
/* The same for a raw field (trimmed here); *reason gets the sentence when refused. */
int domain_normalize_field(const char *field, size_t len, char *out, size_t cap,
                           const char **reason);
/* The refusal as the sentence an ILLEGAL_INPUT line carries. */
void domain_verdict_text(const struct domain_verdict *v, char *buf, size_t cap);

#endif

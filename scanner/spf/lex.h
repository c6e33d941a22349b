/* lex.h -- the byte-level pieces of the SPF record grammar (RFC 7208 section 12) that need
 * no parse state: macro-strings, domain-ends, the target name of a domain-spec, IPv4 and
 * IPv6 networks, prefix lengths. For scanner/spf/record.c.
 * Contract: pure functions of byte ranges (struct spf_span, never NUL-terminated), which
 * they read exactly and never write; no heap, no global state: thread-safe. */
#ifndef DS_SPF_LEX_H
#define DS_SPF_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/text.h"

/* A byte range of the input. */
struct spf_span {
        const char *p;
        size_t n;
};

static inline struct spf_span spf_tail(struct spf_span s, size_t from)
{
        return (struct spf_span){s.p + from, s.n - from};
}

static inline bool spf_is_alnum(unsigned char c)
{
        return ds_ascii_alpha(c) || ds_ascii_digit(c);
}

/* Whether s is a macro-string (its bytes are already known visible ASCII). *has_macro says
 * whether it holds a macro-expand; *last_macro whether it ends with one. The macro letters
 * c, r and t are refused: RFC 7208 7.1 allows them only in the explanation text. */
bool spf_macro_string(struct spf_span s, bool *has_macro, bool *last_macro);

/* domain-end without a final macro: "." toplabel [ "." ]. */
bool spf_domain_end(struct spf_span s);

/* RFC 7208 4.8 and 7.3: the target name of a domain-spec without macros into name
 * (DS_NAME_MAX_TEXT + 1 bytes): lower case, no trailing dot, leftmost labels dropped until it
 * fits 253 octets. Returns false when it is not a DNS name (an empty label, a label over 63
 * octets); name is then undefined. */
bool spf_target_name(struct spf_span s, char *name);

/* RFC 7208 12 ip4-network: four dot-separated 0-255 without leading zeros, into addr[4]. */
bool spf_ip4(struct spf_span s, uint8_t *addr);

/* RFC 4291 2.2 text forms, into addr[16]. */
bool spf_ip6(struct spf_span s, uint8_t *addr);

/* A prefix length: "0" or 1-3 digits without a leading zero, at most max. */
bool spf_prefix(struct spf_span d, unsigned max, uint8_t *out);

enum spf_cidr_split { SPF_CIDR_NONE = 0, SPF_CIDR_ONE, SPF_CIDR_TWO };

/* Splits a trailing "/digits" (SPF_CIDR_ONE) or "//digits" (SPF_CIDR_TWO) off *s, the digits
 * into *digits. */
enum spf_cidr_split spf_split_cidr(struct spf_span *s, struct spf_span *digits);

#endif

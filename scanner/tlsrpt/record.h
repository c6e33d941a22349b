/* record.h -- the TLS-RPT record's grammar (RFC 8460 3): "v=TLSRPTv1; rua=URI[,URI...]",
 * with extensions, the report URIs mailto: or https:.
 * Contract: tlsrpt_parse() reads one record's text (any octets) into the URIs it names and
 * the codes of struct txtrec (txtrec_issue()); URIs are spans into the text. Pure: no DNS,
 * no allocation. docs/tls-rpt.md has every code. */
#ifndef DS_TLSRPT_RECORD_H
#define DS_TLSRPT_RECORD_H

#include <stddef.h>

#include "scanner/txtrec/txtrec.h"

#define TLSRPT_VERSION "v=TLSRPTv1"
#define TLSRPT_RUA_MAX 16 /* URIs kept; more are counted */

struct tlsrpt_uri {
        const char *p;
        size_t n;
};

struct tlsrpt_record {
        struct tlsrpt_uri rua[TLSRPT_RUA_MAX];
        unsigned nrua, nrua_dropped;
};

/* Every code the TLS-RPT check writes, NULL-terminated: for docs and coverage tests. */
extern const char *const tlsrpt_issue_codes[];

void tlsrpt_parse(const char *text, size_t n, struct tlsrpt_record *rec, struct txtrec *t);

#endif

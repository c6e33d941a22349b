/* record.h -- the TLS-RPT record's grammar (RFC 8460 3): "v=TLSRPTv1; rua=URI[,URI...]",
 * with extensions, the report URIs mailto: or https:.
 * Contract: tlsrpt_parse() reads one record's text (any octets) into the URIs it names and
 * the codes of struct txtrec (txtrec_issue()); URIs are spans into the text. No DNS. Every
 * URI is kept, in order, in storage the record owns and reuses from one parse to the next
 * (zero it before its first parse, tlsrpt_record_free() at the end), charged with the tags
 * to t's byte budget: a URI it refuses is counted in nrua_dropped and the record says
 * budget_exceeded. docs/tls-rpt.md has every code. */
#ifndef DS_TLSRPT_RECORD_H
#define DS_TLSRPT_RECORD_H

#include <stddef.h>

#include "common/budget.h"
#include "scanner/txtrec/txtrec.h"

#define TLSRPT_VERSION "v=TLSRPTv1"

struct tlsrpt_uri {
        const char *p;
        size_t n;
};

struct tlsrpt_record {
        const struct tlsrpt_uri *rua; /* nrua URIs in order, in mem (until the next parse) */
        unsigned nrua, nrua_dropped;  /* dropped: refused by the budget */
        struct ds_vec mem;            /* owned: struct tlsrpt_uri */
};

/* Every code the TLS-RPT check writes, NULL-terminated: for docs and coverage tests. */
extern const char *const tlsrpt_issue_codes[];

void tlsrpt_parse(const char *text, size_t n, struct tlsrpt_record *rec, struct txtrec *t);

/* Release the record's storage; it may be parsed into again. */
void tlsrpt_record_free(struct tlsrpt_record *rec);

#endif

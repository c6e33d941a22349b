/* record.h -- the MTA-STS TXT record's grammar (RFC 8461 3.1): "v=STSv1; id=...", the id
 * 1 to 32 letters and digits, with extensions.
 * Contract: mtasts_parse() reads one record's text (any octets) into its id and the codes
 * of struct txtrec (txtrec_issue()); the id is a span into the text. No DNS; the tags are
 * split into t's reused storage (txtrec_tags()). docs/mta-sts.md has every code. */
#ifndef DS_MTASTS_RECORD_H
#define DS_MTASTS_RECORD_H

#include <stddef.h>

#include "scanner/txtrec/txtrec.h"

#define MTASTS_VERSION "v=STSv1"
#define MTASTS_ID_MAX  32

struct mtasts_record {
        const char *id; /* NULL: no valid id */
        size_t id_len;
};

/* Every code the MTA-STS check writes, NULL-terminated: for docs and coverage tests. */
extern const char *const mtasts_issue_codes[];

void mtasts_parse(const char *text, size_t n, struct mtasts_record *rec, struct txtrec *t);

#endif

/* record.h -- the BIMI assertion record's grammar (draft-brand-indicators-for-message-
 * identification: "v=BIMI1; l=<https URI of an SVG>; a=<https URI of a VMC/CMC>"), an
 * empty l and a being a declination to publish.
 * Contract: bimi_parse() reads one record's text (any octets) into its l and a and the
 * codes of struct txtrec (txtrec_issue()); values are spans into the text. No DNS; the tags
 * are split into t's reused storage (txtrec_tags()). docs/bimi.md has every code. */
#ifndef DS_BIMI_RECORD_H
#define DS_BIMI_RECORD_H

#include <stdbool.h>
#include <stddef.h>

#include "scanner/txtrec/txtrec.h"

#define BIMI_VERSION "v=BIMI1"

struct bimi_span {
        bool present; /* the tag is in the record (its value may be empty) */
        const char *p;
        size_t n;
};

struct bimi_record {
        struct bimi_span l, a;
};

/* Every code the BIMI check writes, NULL-terminated: for docs and coverage tests. */
extern const char *const bimi_issue_codes[];

void bimi_parse(const char *text, size_t n, struct bimi_record *rec, struct txtrec *t);

/* The BIMI draft's DMARC prerequisite from what the dmarc check reported: an enforcing
 * policy (quarantine or reject, not lowered by pct or t=y, applied to all mail: pct 100),
 * and, for an organizational domain's own record, sp not none. posture -1 or POSTURE_ERROR:
 * cannot tell (-1 returned); else 1 or 0. */
int bimi_dmarc_ok(int posture, bool enforcing, bool partial, int org_sp);

#endif

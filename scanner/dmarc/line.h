/* line.h -- the DMARC check's part of a domain's NDJSON line: the "dmarc" object
 * (field names: docs/output.md, fixed by ../shared/spec/output-contract.md).
 * Contract: writes one complete "dmarc" member into w from a finished job's result; any
 * bytes in records are escaped into valid JSON. No allocation beyond w's buffer. */
#ifndef DS_DMARC_LINE_H
#define DS_DMARC_LINE_H

#include "output/json.h"
#include "scanner/dmarc/check.h"

/* domain: the job's input domain (the result's offsets point into it). details (--details):
 * also the English sentences of the codes and the record's tags as written. */
void dmarc_line_write(struct jw *w, const struct dmarc_result *d, const char *domain, bool details);

#endif

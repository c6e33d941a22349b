/* line.h -- the SPF check's part of a domain's NDJSON line: the "spf" object (field names:
 * docs/output.md, fixed by ../shared/spec/output-contract.md).
 * Contract: writes one complete "spf" member into w from a concluded result; any bytes in
 * records are escaped into valid JSON. No allocation beyond w's buffer. */
#ifndef DS_SPF_LINE_H
#define DS_SPF_LINE_H

#include "output/json.h"
#include "scanner/spf/check.h"

/* domain: the job's input domain (node 0's name). details (--details): also the English
 * sentences of the codes. */
void spf_line_write(struct jw *w, const struct spf_eval *d, const char *domain, bool details);

#endif

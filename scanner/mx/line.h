/* line.h -- the MX check's part of a domain's NDJSON line: the "mx" object (field names:
 * docs/output.md, fixed by ../shared/spec/output-contract.md).
 * Contract: writes one complete "mx" member into w from a concluded result; host names are
 * already text (escaped as in zone files), so the line stays valid JSON whatever the reply
 * held. No allocation beyond w's buffer. */
#ifndef DS_MX_LINE_H
#define DS_MX_LINE_H

#include "output/json.h"
#include "scanner/mx/check.h"

void mx_line_write(struct jw *w, const struct mx_result *m);

#endif

/* line_facts.h -- `dmarcscan report`'s producer of a line's facts (scanner/summary.h): one
 * NDJSON line of a scan, parsed back (jansson), read as the scan's own producer reads the
 * job it wrote the line from, field by field as docs/output.md defines them.
 * Contract: line_facts() fills *f with pointers into line (borrowed: valid while line is)
 * and into s's receivers buffer (valid until the next call); it reads the check objects of
 * the checks s counts. Returns 0, or -EINVAL with err saying
 * which field is not what a line of this schema holds. */
#ifndef DS_LINE_FACTS_H
#define DS_LINE_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "scanner/summary.h"

/* Which checks the line's objects say ran: for an OK line, those whose object (dnssec: value)
 * is not null; none for a line that is not OK (its objects are all null). */
struct line_checks {
        bool dmarc, spf, mx, dnssec, mta_sts, tls_rpt, bimi, dkim;
};

bool line_is_ok(const json_t *line);
void line_checks(const json_t *line, struct line_checks *c);
/* The summary counts the checks of c (index 0), and no other. */
void line_checks_apply(const struct line_checks *c, struct summary *s);

int line_facts(const json_t *line, struct summary *s, struct summary_facts *f, char *err,
               size_t errlen);

#endif

/* line.h -- the "policy" member of the "mta_sts" object (docs/output.md): what the policy
 * steps found, null when no policy was asked for.
 * Contract: reads the state and the scratch conclude() filled; writes one member. */
#ifndef DS_MTASTS_LINE_H
#define DS_MTASTS_LINE_H

#include "output/json.h"
#include "scanner/mtasts/check.h"

void mtasts_line_policy(struct jw *w, const struct mtasts_state *st,
                        const struct mtasts_scratch *s);

/* Every value of "fetch", NULL-terminated: for docs and coverage tests. */
extern const char *const mtasts_fetch_codes[];

/* "ok", "timeout", ..., "no_address", "dns_error" for a fetch outcome; NULL for none. */
const char *mtasts_fetch_name(int fetch);

/* The policy's mx_match (enum tristate): whether every MX host matches a pattern; unknown
 * when there is no valid policy with patterns, or no MX host to match. */
int mtasts_mx_match(const struct mtasts_state *st, const struct mtasts_scratch *s);

#endif

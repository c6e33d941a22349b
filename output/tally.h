/* tally.h -- counts as JSON, in the shapes the summary (docs/output.md, "Summary") uses:
 * a rate is {"n", "total"}, never a bare percentage, so that the summaries of shards add up
 * member by member; a heavy-hitters table (common/topk.h) is {"exact", "top": [...]}, each
 * entry a rate with the bound of its overstatement.
 * Contract: writes through the caller's struct jw; nothing is kept. */
#ifndef DS_TALLY_H
#define DS_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "common/topk.h"
#include "output/json.h"

/* key: {"n": n, "total": total}. */
void jw_rate(struct jw *w, const char *key, uint64_t n, uint64_t total);

/* One rate of an array of counters: c[n] of c[total]. */
struct tally_rate {
        const char *name;
        uint16_t n, total;
};

/* r[i].name: {"n", "total"}, ... over the counters c, into w's open object. */
void jw_rate_members(struct jw *w, const uint64_t *c, const struct tally_rate *r, size_t nr);

/* key: {the same}. */
void jw_rates(struct jw *w, const char *key, const uint64_t *c, const struct tally_rate *r,
              size_t nr);

/* key: {"exact": bool, "top": [{name_key: name, "n": count, "total": total, "error": err},
 * ...]}, every entry of t, the highest count first (ties by name). */
void jw_topk(struct jw *w, const char *key, const struct topk *t, const char *name_key,
             uint64_t total);

#endif

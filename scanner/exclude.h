/* exclude.h -- domains never to be queried (opt-outs), matched as suffixes on label
 * boundaries: "example.org" excludes example.org and www.example.org, not badexample.org.
 * Contract: exclude_load() reads one name per line (# comments, blank lines; the same
 * normalization as the input, so IDNs and case match) and fails on a bad line with its
 * number; the set is read-only afterwards, so any thread may call exclude_match(). */
#ifndef DS_EXCLUDE_H
#define DS_EXCLUDE_H

#include <stdbool.h>
#include <stddef.h>

struct exclude;

int exclude_load(struct exclude **out, const char *path, char *err, size_t errlen);
/* Is domain (normalized) or one of its parents in the set? */
bool exclude_match(const struct exclude *x, const char *domain);
void exclude_free(struct exclude *x);

#endif

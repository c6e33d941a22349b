/* summary_merge.h -- `dmarcscan merge`: the --summary files of the shards of one scan added
 * into the summary of the whole (docs/output.md, "Merging summaries").
 * Contract: summary_merge_json() reads n >= 1 parsed summaries (borrowed; names[i] is how
 * in[i] is called in messages) and returns a new summary of the same shape in *out (owned
 * by the caller, json_decref). Counts and {n, total} add member by member, groups merge by
 * name (a group one input lacks is taken as it is), the receivers' tables merge as
 * mergeable Space-Saving does (common/topk.h), started is the earliest, ended the latest,
 * partial any. Inputs that are not shards of one scan (checks, profile, discovery, PSL,
 * timeout, retries, tool version, shard count or seed, the inputs' contents differ, or a
 * shard index repeats) are refused: -EINVAL with err naming the file, the field and both
 * values; so is anything that is not a summary. Resolvers may differ (one machine each):
 * the merged scan lists all; argv becomes one command line per merged file; scan.shard
 * becomes {count, seed, merged: [indexes], complete}. A merged summary can be merged again.
 * Returns 0, -EINVAL or -ENOMEM (then *out is NULL). */
#ifndef DS_SUMMARY_MERGE_H
#define DS_SUMMARY_MERGE_H

#include <stddef.h>

#include <jansson.h>

int summary_merge_json(json_t *const *in, const char *const *names, size_t n, json_t **out,
                       char *err, size_t errlen);

#endif

/* load.h -- what `dmarcscan report` reports on: its input files made into one summary of
 * the shape of docs/output.md "Summary".
 * Contract: every input is either a --summary file (one JSON object with "schema", "tool"
 * and "scan") or a scan's NDJSON output (plain or .zst), told by the content. Summaries are
 * added with summary_merge_json() (so only shards of one scan go together); the lines of
 * every NDJSON input are counted into one summary by the scan's own aggregator
 * (summary_count(), fed by line_facts()), with a "source" member naming the files and the
 * lines read in place of "scan". The two kinds are not mixed. Returns 0 with *out (owned,
 * json_decref), or -errno with err naming the file (and line) at fault. */
#ifndef DS_REPORT_LOAD_H
#define DS_REPORT_LOAD_H

#include <stddef.h>

#include <jansson.h>

int report_load(const char *const *paths, size_t n, json_t **out, char *err, size_t errlen);

#endif

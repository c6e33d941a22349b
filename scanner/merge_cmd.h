/* merge_cmd.h -- the `dmarcscan merge` command: its options, reading the summaries, writing
 * the merged one (the merging itself: scanner/summary_merge.h).
 * Contract: argv[0] is "merge"; returns the process exit status (0 done, 1 failure: a file
 * unreadable or not mergeable, 2 usage error), after saying why on stderr. */
#ifndef DS_MERGE_CMD_H
#define DS_MERGE_CMD_H

#include <stdio.h>

int merge_cmd(int argc, char **argv);
void merge_usage(FILE *out);

#endif

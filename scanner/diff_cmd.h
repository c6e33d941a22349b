/* diff_cmd.h -- the `dmarcscan diff OLD NEW` command: its options, telling scan outputs
 * from summaries, and running the comparison (scanner/diff/).
 * Contract: argv[0] is "diff"; returns the process exit status (0 done, 1 failure: an
 * input unreadable, not a scan output or summary, a temporary file or output not
 * writable; 2 usage error), after saying why on stderr. */
#ifndef DS_DIFF_CMD_H
#define DS_DIFF_CMD_H

#include <stdio.h>

int diff_cmd(int argc, char **argv);
void diff_usage(FILE *out);

#endif

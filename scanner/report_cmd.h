/* report_cmd.h -- the `dmarcscan report` command: its options, the inputs made into one
 * summary (scanner/report/load.h), the report rendered (output/report.h) and written.
 * Contract: argv[0] is "report"; returns the process exit status (0 done, 1 failure: an
 * input unreadable or not a summary or scan output, or the output not written, 2 usage
 * error), after saying why on stderr. -o FILE is replaced atomically. */
#ifndef DS_REPORT_CMD_H
#define DS_REPORT_CMD_H

#include <stdio.h>

int report_cmd(int argc, char **argv);
void report_usage(FILE *out);

#endif

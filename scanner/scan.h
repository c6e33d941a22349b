/* scan.h -- one scan, start to end: wires the reader thread, the loop thread (engine),
 * the classifier pool and the writer around a fixed table of jobs.
 * Contract: every input line yields exactly one output line unless the scan is interrupted
 * twice (then the lines of lookups still in flight are not written; everything written
 * is complete). Returns the process exit status (0, 1, 130) and prints the closing line. */
#ifndef DS_SCAN_H
#define DS_SCAN_H

#include "scanner/cli.h"

int scan_run(const struct scan_config *cfg);

#endif

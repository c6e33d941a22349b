/* explain.h -- `dmarcscan explain [CODE...]`: what the codes of the line mean.
 * Contract: prints, for each CODE, every place the line uses it (the object and list, e.g.
 * "spf tree, error (spf.errors)") with its explanation from docs/ (scanner/codes.h); with no
 * CODE, every code. Returns the exit status: 0; 2 when a CODE is unknown (the known ones are
 * still printed, each unknown one named on err) or an option is not one. */
#ifndef DS_EXPLAIN_H
#define DS_EXPLAIN_H

#include <stdio.h>

/* argv[0] is "explain". */
int explain_main(int argc, char **argv, FILE *out, FILE *err);

void explain_usage(FILE *out);

#endif

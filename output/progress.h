/* progress.h -- the once-a-second progress line and the closing line, on stderr.
 * Contract: on a terminal the progress line is redrawn in place; otherwise each update is
 * a plain line (log files stay readable). Loop thread only. */
#ifndef DS_PROGRESS_H
#define DS_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

struct progress_sample {
        double elapsed_s;
        uint64_t done;   /* lines written */
        uint64_t kept;   /* of done, lines an earlier run wrote (--resume): not in the rate */
        uint64_t total;  /* input lines, 0 while unknown */
        double fraction; /* of the input read, -1 when unknown */
        uint64_t sent, answered, nxdomain, timeouts, errors;
        unsigned inflight;
        char windows[64]; /* congestion window per resolver, e.g. "512/300", or "" */
};

struct progress {
        FILE *out;
        bool tty, quiet, drawn;
        double last_t;
        uint64_t last_sent;
};

void progress_init(struct progress *p, FILE *out, bool quiet);
void progress_update(struct progress *p, const struct progress_sample *s);
/* Erase a redrawn line before other output. */
void progress_clear(struct progress *p);

/* Format seconds as "1h02m", "3m05s" or "42s". */
void progress_duration(char *out, size_t len, double s);

#endif

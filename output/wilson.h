/* wilson.h -- the 95% Wilson score interval of a rate n of total (E. B. Wilson 1927): the
 * interval a report draws around every share, honest for small groups and for shares near
 * 0 or 1 where the normal approximation is not.
 * Contract: pure; for total 0 the rate is unknown, and n > total is no rate (a summary file
 * is input, not trusted): both return false (lo, hi untouched); otherwise
 * 0 <= *lo <= n/total <= *hi <= 1. */
#ifndef DS_WILSON_H
#define DS_WILSON_H

#include <stdbool.h>
#include <stdint.h>

#define WILSON_Z95 1.959963984540054

bool wilson95(uint64_t n, uint64_t total, double *lo, double *hi);

#endif

/* rtt.h -- round-trip-time histograms in quarter-octave buckets of microseconds (1 us to
 * about 16 s in RTT_BUCKETS): the resolver table's whole-scan percentiles and the congestion
 * controller's per-epoch ones use the same buckets and the same reading.
 * Contract: pure functions on caller-owned arrays of RTT_BUCKETS counters. */
#ifndef DS_RTT_H
#define DS_RTT_H

#include <stdint.h>

#define RTT_BUCKETS 96

/* The bucket a round-trip time falls in. */
unsigned rtt_bucket(uint64_t rtt_us);
/* The percentile (0..1; 0 = the fastest) of n counted answers, in ms (the bucket's geometric
 * middle); 0 when n is 0. */
double rtt_percentile_ms(const uint32_t hist[RTT_BUCKETS], uint64_t n, double percentile);

#endif

/* rtt.c -- quarter-octave RTT histograms (see rtt.h). */
#include "dns/rtt.h"

#include <math.h>

unsigned rtt_bucket(uint64_t rtt_us)
{
        double b = rtt_us ? 4 * log2((double)rtt_us) : 0;
        return b < 0 ? 0 : b >= RTT_BUCKETS ? RTT_BUCKETS - 1 : (unsigned)b;
}

double rtt_percentile_ms(const uint32_t hist[RTT_BUCKETS], uint64_t n, double percentile)
{
        if (n == 0)
                return 0;
        uint64_t want = (uint64_t)ceil(percentile * (double)n), seen = 0;
        if (want == 0)
                want = 1;
        for (unsigned i = 0; i < RTT_BUCKETS; i++) {
                seen += hist[i];
                if (seen >= want)
                        return exp2(((double)i + 0.5) / 4) / 1000.0;
        }
        return 0;
}

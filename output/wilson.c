/* wilson.c -- centre p + z^2/2t, half-width z sqrt(p(1-p)/t + z^2/4t^2), both over 1 + z^2/t. */
#include "output/wilson.h"

#include <math.h>

bool wilson95(uint64_t n, uint64_t total, double *lo, double *hi)
{
        if (total == 0 || n > total)
                return false;
        const double z = WILSON_Z95, t = (double)total, p = (double)n / t;
        double d = 1 + z * z / t;
        double c = (p + z * z / (2 * t)) / d;
        double h = z * sqrt(p * (1 - p) / t + z * z / (4 * t * t)) / d;
        *lo = n == 0 ? 0 : fmax(0, c - h);
        *hi = n == total ? 1 : fmin(1, c + h);
        return true;
}

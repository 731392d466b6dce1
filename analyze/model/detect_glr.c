/*
 * detect_glr.c - Poisson GLR CUSUM as R's glrpois (see detect_glr.h).
 */
#include "model/detect_glr.h"

#include <math.h>

/* The statistic at n of the chart started at 0 (R's glr()). */
static double glr_at(const int64_t *x, const double *mu0, size_t n)
{
    double sumx = 0.0, summu = 0.0, best = -1e99;
    for (size_t k = n + 1; k-- > 0;) {
        sumx += (double)x[k];
        summu += mu0[k];
        double kappa = fmax(0.0, log(sumx / summu));
        double v = kappa * sumx + (1.0 - exp(kappa)) * summu;
        if (v > best)
            best = v;
    }
    return best;
}

int detect_glrpois(const int64_t *x, const double *mu0, size_t n, double c_arl, bool *alarm,
                   double *value)
{
    int alarms = 0;
    if ((n > 0 && (x == NULL || mu0 == NULL || alarm == NULL || value == NULL)) ||
        !isfinite(c_arl))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (x[i] < 0 || !(mu0[i] > 0.0))
            return -1;
        alarm[i] = false;
    }
    size_t start = 0;
    while (start < n) {
        size_t t = start;
        for (; t < n; t++) {
            double v = glr_at(x + start, mu0 + start, t - start);
            value[t] = v < 0.0 ? 0.0 : v;
            if (v >= c_arl)
                break;
        }
        if (t == n)
            break;
        alarm[t] = true;
        alarms++;
        start = t + 1;
    }
    return alarms;
}

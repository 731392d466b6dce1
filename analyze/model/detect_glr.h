/*
 * detect_glr.h - the Poisson GLR CUSUM of Hoehle and Paul (2008) for an
 * increase of the intercept, exactly as R's surveillance::glrpois (package
 * 1.20.3; algo.glrnb with alpha = 0, change "intercept", dir "inc",
 * ret "value", M = -1, Mtilde = 1) computes it for a given in-control mean
 * mu0 per time point. needlewatch passes mu0 = the baseline rate x the
 * week's treatments, so the chart watches a rate, not a count.
 *
 * At time n the statistic is the largest, over the start k of a change
 * (the chart's last restart <= k <= n), of the log-likelihood ratio of a
 * multiplied mean:  max(0, log(X/M)) X - (exp(max(0, log(X/M))) - 1) M
 * with X and M the sums of x and mu0 over k..n. The chart alarms when the
 * statistic reaches c_arl, and then restarts after that time point (R's
 * algo.glrnb loop). Pure.
 */
#ifndef NW_DETECT_GLR_H
#define NW_DETECT_GLR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs the chart over x[0..n-1] with mu0[0..n-1] (> 0). alarm[] and
 * value[] (n each) receive R's alarms and upperbound (the statistic, with
 * restarts). Returns the number of alarms, or -1 for a bad argument. */
int detect_glrpois(const int64_t *x, const double *mu0, size_t n, double c_arl, bool *alarm,
                   double *value) __attribute__((warn_unused_result));

#endif

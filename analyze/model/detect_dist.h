/*
 * detect_dist.h - the distributions that alert detection needs: Poisson and
 * negative binomial tails and quantiles (as R's ppois, pnbinom, qpois,
 * qnbinom), Student's t (pt), digamma and trigamma, and the predictive tail
 * of a count whose log-mean is itself uncertain (Gauss-Hermite).
 *
 * The tails come from the regularized incomplete gamma and beta functions,
 * each computed for the tail asked for (never 1 - the other tail), so a
 * p-value of 1e-12 keeps its digits. Pure: only libm.
 */
#ifndef NW_DETECT_DIST_H
#define NW_DETECT_DIST_H

#include <stdbool.h>

/* Regularized incomplete gamma P(a, x) (lower) and Q(a, x) = 1 - P, a > 0,
 * x >= 0. NaN for bad arguments. */
double detect_gamma_p(double a, double x) __attribute__((warn_unused_result));
double detect_gamma_q(double a, double x) __attribute__((warn_unused_result));

/* Regularized incomplete beta I_x(a, b), a, b > 0, x in [0, 1]. */
double detect_beta_i(double x, double a, double b) __attribute__((warn_unused_result));

/* P(Y <= k) and P(Y >= k) for Y ~ Poisson(mu), mu >= 0 (k an integer). */
double detect_ppois(double k, double mu) __attribute__((warn_unused_result));
double detect_ppois_upper(double k, double mu) __attribute__((warn_unused_result));

/* The same for Y ~ NB(size, prob) as R's dnbinom(size, prob): mean
 * size (1 - prob) / prob. */
double detect_pnbinom(double k, double size, double prob) __attribute__((warn_unused_result));
double detect_pnbinom_upper(double k, double size, double prob)
    __attribute__((warn_unused_result));

/* Quantiles as R's qpois and qnbinom: the smallest integer y with
 * P(Y <= y) >= p (1 - 64 DBL_EPSILON), p in [0, 1). */
double detect_qpois(double p, double mu) __attribute__((warn_unused_result));
double detect_qnbinom(double p, double size, double prob) __attribute__((warn_unused_result));

/* Student's t distribution function P(T <= t), df > 0, as R's pt. */
double detect_pt(double t, double df) __attribute__((warn_unused_result));

double detect_digamma(double x) __attribute__((warn_unused_result));
double detect_trigamma(double x) __attribute__((warn_unused_result));

/* P(Y >= y) for a count Y with mean m = exp(eta + sigma Z), Z ~ N(0, 1),
 * and, given m, Poisson (phi <= 1) or negative binomial with variance
 * phi m: the predictive tail of a count whose expected value is estimated
 * with standard error sigma on the log scale. 20-point Gauss-Hermite. */
double detect_predictive_upper(double y, double eta, double sigma, double phi)
    __attribute__((warn_unused_result));

/* The same with a known mean m: Poisson or NB(size m/(phi-1), prob 1/phi). */
double detect_count_upper(double y, double m, double phi) __attribute__((warn_unused_result));

#endif

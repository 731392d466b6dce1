/*
 * stats.h - the statistics of needlewatch: proportions, ratios, 2x2 tests,
 * trend and aberration detection.
 *
 * Pure functions of counts: no I/O, no globals, no allocation, only libm.
 * Every estimate comes back in a small struct whose `defined` flag says
 * whether the quantity exists for these counts; when it is false the numeric
 * fields are NaN and the caller writes JSON null. Counts are `long` and must
 * be >= 0 (and cases <= their total); a negative or impossible count makes
 * the result undefined rather than crashing, since it means a broken query.
 *
 * Intervals take the standard-normal quantile z as an argument so a caller
 * can ask for other levels; needlewatch reports 95% intervals with NW_Z95.
 * Every function is marked warn_unused_result: a pure call whose result is
 * dropped is always a bug.
 */
#ifndef NW_STATS_H
#define NW_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Phi^-1(0.975) = 1.959963984540054235..., correctly rounded to a double
 * (scipy 1.10 special.ndtri(0.975) gives this same double; R 4.2's
 * qnorm(0.975) is one unit in the last place lower). */
#define NW_Z95 1.959963984540054

/* A proportion with its interval, all in [0, 1]. */
typedef struct {
    double est, lo, hi;
    bool defined;
} nw_proportion_t;

/* A ratio (RR, PRR, ROR) with its interval, all > 0 when defined. */
typedef struct {
    double est, lo, hi;
    bool defined;
} nw_ratio_t;

/* One stratum of a cohort comparison: a cases among n1 exposed (home
 * treatment) and c cases among n2 unexposed (clinic treatment). */
typedef struct {
    long a, n1;
    long c, n2;
} nw_stratum_t;

/* A Mantel-Haenszel risk ratio and the number of strata it could use. */
typedef struct {
    nw_ratio_t rr;
    size_t strata_used;
} nw_mh_ratio_t;

/* A 2x2 table of spontaneous reports (disproportionality):
 *                     event of interest   all other events
 *   product/route           a                   b
 *   all others              c                   d            */
typedef struct {
    long a, b;
    long c, d;
} nw_table2x2_t;

/* A chi-square statistic on 1 degree of freedom and its upper-tail p. */
typedef struct {
    double stat, p;
    bool defined;
} nw_chi2_t;

/* The Evans et al. (2001) screening rule and the numbers it used. */
typedef struct {
    nw_ratio_t prr;   /* with interval at the z passed in */
    nw_chi2_t chi2;   /* Yates-corrected */
    bool signal;      /* a >= 3 && PRR >= 2 && chi2 >= 4 */
} nw_evans_t;

/* One group of a trend test: cases of n, at the given score (dose, period). */
typedef struct {
    long cases, n;
    double score;
} nw_trend_group_t;

/* Cochran-Armitage: z > 0 when the proportion rises with the score. */
typedef struct {
    double z, chi2, p; /* chi2 = z*z; p two-sided = erfc(|z|/sqrt 2) */
    bool defined;
} nw_trend_t;

/* EARS C2 parameters, named and defaulted as in R surveillance::earsC. */
typedef struct {
    size_t baseline;  /* reference periods; surveillance default 7, minimum 3 */
    double alpha;     /* threshold = qnorm(1 - alpha); default 0.001 */
    double min_sigma; /* floor on the reference sd; default 0 */
} nw_ears_params_t;

#define NW_EARS_C2_DEFAULTS ((nw_ears_params_t){7, 0.001, 0.0})

/* One EARS C2 evaluation at period t. */
typedef struct {
    double observed;   /* series[t] */
    double mean;       /* expected: mean of the reference periods */
    double sd;         /* sample sd (n - 1) of the reference periods */
    double sigma;      /* max(sd, min_sigma) */
    double threshold;  /* qnorm(1 - alpha): 3.090232306167813 by default */
    double upperbound; /* mean + threshold * sigma */
    double statistic;  /* (observed - mean) / sigma; NaN when sigma == 0 */
    bool alarm;        /* observed > upperbound */
    bool defined;      /* false: bad parameters or too little history */
} nw_ears_t;

/* Standard normal CDF, Phi(x) = erfc(-x / sqrt 2) / 2. NaN in, NaN out. */
double stats_norm_cdf(double x)
    __attribute__((warn_unused_result));

/* Standard normal quantile, Phi^-1(p), by Wichura's AS 241 (PPND16), the
 * algorithm of R's qnorm; relative error about 1e-16. Returns -INFINITY at
 * p == 0, +INFINITY at p == 1 and NaN outside [0, 1], as qnorm does. */
double stats_norm_quantile(double p)
    __attribute__((warn_unused_result));

/* Wilson score interval for x cases of n, at normal quantile z (> 0).
 * est = x/n; lo is exactly 0 when x == 0 and hi exactly 1 when x == n.
 * Undefined (defined = false, NaN fields) when n == 0, when x < 0 or x > n,
 * or when z is not a positive finite number. */
nw_proportion_t stats_wilson(long x, long n, double z)
    __attribute__((warn_unused_result));

/* Crude risk ratio (a/n1) / (c/n2) with the Katz log interval
 * exp(ln RR +- z sqrt(1/a - 1/n1 + 1/c - 1/n2)).
 * Undefined when a == 0 or c == 0 (the log-scale variance is infinite, so
 * the caller writes null even though RR = 0 is computable for a == 0), when
 * n1 or n2 is 0, for impossible counts, or for a bad z. When a == n1 and
 * c == n2 the variance is 0 and lo == est == hi. */
nw_ratio_t stats_risk_ratio(long a, long n1, long c, long n2, double z)
    __attribute__((warn_unused_result));

/* Mantel-Haenszel risk ratio over k strata, with N = n1 + n2 per stratum:
 *   RR_MH = R / S,  R = sum a n2 / N,  S = sum c n1 / N,
 * and the Greenland-Robins (1985) variance
 *   Var ln RR_MH = sum((n1 n2 (a + c) - a c N) / N^2) / (R S),
 * interval exp(ln RR_MH +- z sqrt(Var)).
 * A stratum with n1 == 0 or n2 == 0 contributes nothing (its terms are 0).
 * strata_used = the number of strata with n1 > 0 and n2 > 0, whether or not
 * they hold any case (a stratum with both sides but a == c == 0 is counted
 * although it adds 0 to R, S and the variance).
 * Undefined when R == 0 or S == 0 (no exposed case, or no unexposed case, in
 * any usable stratum), when k == 0, or for a bad z. If any stratum has
 * impossible counts (negative, or cases > total) the whole result is
 * undefined and strata_used is 0. strata may be NULL only when k == 0. */
nw_mh_ratio_t stats_mh_risk_ratio(const nw_stratum_t *strata, size_t k, double z)
    __attribute__((warn_unused_result));

/* Proportional reporting ratio PRR = (a/(a+b)) / (c/(c+d)), interval
 * exp(ln PRR +- z sqrt(1/a - 1/(a+b) + 1/c - 1/(c+d))).
 * Undefined when a == 0 or c == 0, for negative counts, or for a bad z. */
nw_ratio_t stats_prr(nw_table2x2_t t, double z)
    __attribute__((warn_unused_result));

/* Reporting odds ratio ROR = (a d) / (b c), Woolf interval
 * exp(ln ROR +- z sqrt(1/a + 1/b + 1/c + 1/d)).
 * Undefined when any cell is 0 (no continuity correction is added), for
 * negative counts, or for a bad z. */
nw_ratio_t stats_ror(nw_table2x2_t t, double z)
    __attribute__((warn_unused_result));

/* Pearson chi-square with Yates' continuity correction on a 2x2 table:
 *   chi2 = N (max(0, |ad - bc| - N/2))^2 / ((a+b)(c+d)(a+c)(b+d)),
 * so a table with |ad - bc| < N/2 gives exactly 0 (p = 1) rather than a
 * correction that overshoots; this is what R's chisq.test(correct = TRUE)
 * does. p = P(chi2_1 >= stat) = erfc(sqrt(stat / 2)).
 * Undefined when any margin is 0 or a count is negative. */
nw_chi2_t stats_chi2_yates(nw_table2x2_t t)
    __attribute__((warn_unused_result));

/* Evans, Waller & Davis (2001) signal: a >= 3 and PRR >= 2 and Yates
 * chi2 >= 4. PRR >= 2 is decided on the counts, a(c+d) >= 2c(a+b), which is
 * exact while those products stay below 2^53.
 * No signal when the PRR or the chi-square is undefined (c == 0, or a zero
 * margin): check prr.defined to tell "not evaluable" from "no signal". */
nw_evans_t stats_evans_signal(nw_table2x2_t t, double z)
    __attribute__((warn_unused_result));

/* Cochran-Armitage test for trend in proportions over k groups:
 *   T = sum cases_i (s_i - sbar),  sbar = sum n_i s_i / N,
 *   Var T = pbar (1 - pbar) sum n_i (s_i - sbar)^2,  pbar = sum cases / N,
 *   z = T / sqrt(Var T),  p = erfc(|z| / sqrt 2),
 * the same statistic as R's prop.trend.test (chi2 = z^2). Groups with
 * n == 0 contribute nothing. Undefined when N == 0, pbar is 0 or 1, all
 * scores of non-empty groups are equal, a count is impossible, a score is
 * not finite, or groups is NULL with k > 0. */
nw_trend_t stats_cochran_armitage(const nw_trend_group_t *groups, size_t k)
    __attribute__((warn_unused_result));

/* A trend test over ordered groups stratified by a confounder, and the
 * number of strata that carried information (a case and a non-case, and
 * two scores among their treatments). */
typedef struct {
    nw_trend_t trend;
    size_t strata_used;
} nw_mantel_trend_t;

/* Mantel's (1963) extension test for a trend in proportions across k
 * ordered groups, over n_strata strata (the stratified Cochran-Armitage
 * test): groups[h * k + i] is group i of stratum h. Per stratum, with N_h
 * treatments, m_h cases and mean score sbar_h = sum n_hi s_i / N_h,
 *   T - E = sum_h sum_i cases_hi (s_i - sbar_h),
 *   Var   = sum_h m_h (N_h - m_h) / (N_h (N_h - 1)) sum_i n_hi (s_i - sbar_h)^2
 * (the hypergeometric variance given each stratum's margins), z =
 * (T - E) / sqrt(Var), chi2 = z^2, p = erfc(|z| / sqrt 2). With one stratum
 * it is Cochran-Armitage times (N - 1) / N; with two groups, the
 * Cochran-Mantel-Haenszel test without continuity correction (R
 * mantelhaen.test(correct = FALSE)). Strata with fewer than two
 * treatments, no case, no non-case or one score contribute nothing.
 * Undefined when no stratum contributes, a count is impossible, a score
 * is not finite, or groups is NULL with n_strata * k > 0. */
nw_mantel_trend_t stats_mantel_trend(const nw_trend_group_t *groups, size_t n_strata, size_t k)
    __attribute__((warn_unused_result));

/* EARS C2 at period t of series[0 .. len-1], exactly as R's
 * surveillance::earsC(method = "C2") (package version 1.20.3):
 * the reference periods are t-baseline-2 .. t-3 (the two periods before t
 * are a guard band and are not used), mean and sd (n - 1) are taken over
 * them, sigma = max(sd, min_sigma), upperbound = mean + qnorm(1-alpha) sigma
 * and the alarm is observed > upperbound (strictly; when sigma > 0 this is
 * statistic > threshold). There is no floor on sd other than min_sigma: with
 * a flat reference and min_sigma 0, sigma is 0, the statistic is NaN (JSON
 * null) and the alarm is observed > mean, as in surveillance.
 * The threshold is qnorm(1 - alpha), 3.0902 at the default alpha = 0.001,
 * not the fixed 3 of the CDC's original EARS; for 3, pass
 * alpha = pnorm(3, lower.tail = FALSE) = 0.0013498980316300946.
 * Undefined (alarm false, NaN fields) when t >= len, t < baseline + 2,
 * baseline < 3, alpha is not in (0, 1), min_sigma is negative or not
 * finite, a count used is negative, or series is NULL. */
nw_ears_t stats_ears_c2(const long *series, size_t len, size_t t,
                        nw_ears_params_t params)
    __attribute__((warn_unused_result));

#endif

/*
 * detect_farrington.h - the Farrington family (Farrington et al. 1996;
 * Noufaily et al. 2013), exactly as R's surveillance::farringtonFlexible
 * (package 1.20.3) computes one time point of one series, with the series'
 * weekly treatments as the population offset when population_offset is set
 * (farringtonFlexible(populationOffset = TRUE)).
 *
 * Week k (0-based here; R's index is k + 1) is compared with the reference
 * weeks of the b previous years: the windows k - 52 j +- w (j = 1..b), and
 * with no_periods > 1 every week between them too, cut into no_periods - 1
 * blocks per year that enter the model as a factor (Noufaily's "10-level
 * factor"); the past_weeks_not_included weeks before k are left out. The
 * model is a quasi-Poisson GLM (detect_glm.h) with intercept, a linear
 * trend in the week's index when asked for, the factor, and the offset
 * log(treatments); past outbreaks are down-weighted by Anscombe residuals
 * above weights_threshold and the model refitted; the trend is kept only
 * when b >= 3, its p-value is below p_threshold_trend and the prediction
 * does not exceed the largest reference count (R's rule). The upper bound
 * is a quantile of the predictive distribution: "delta" (Farrington's
 * 2/3-power normal approximation), "nbPlugin" (negative binomial with the
 * GLM's mean and dispersion) or "muan" (the same at the (1 - alpha)
 * quantile of the mean's normal approximation). No alarm when fewer than
 * limit54_cases were seen in the limit54_period weeks ending at k.
 * Pure.
 */
#ifndef NW_DETECT_FARRINGTON_H
#define NW_DETECT_FARRINGTON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    DETECT_THRESHOLD_DELTA,
    DETECT_THRESHOLD_NBPLUGIN,
    DETECT_THRESHOLD_MUAN
} detect_threshold_t;

typedef struct {
    int b, w;                    /* years back, half-window */
    bool reweight;
    double weights_threshold;
    double alpha;
    bool trend;
    double p_threshold_trend;
    int limit54_cases, limit54_period;
    double powertrans;           /* 2/3, 1/2 or 1 ("none"); delta only */
    bool population_offset;
    int no_periods;
    int past_weeks_not_included; /* R's default: w */
    detect_threshold_t threshold;
} detect_farrington_params_t;

/* R's defaults, except that populationOffset is TRUE. */
#define DETECT_FARRINGTON_DEFAULTS                                                          \
    ((detect_farrington_params_t){5, 3, true, 2.58, 0.05, true, 0.05, 5, 4, 2.0 / 3.0, true, \
                                  1, 3, DETECT_THRESHOLD_DELTA})

/* Noufaily et al. (2013) as the surveillance help recommends (10 periods,
 * 26 past weeks left out, trend always a candidate, negative binomial
 * quantile), with b years and the treatments as offset. */
#define DETECT_NOUFAILY(b_, alpha_)                                                           \
    ((detect_farrington_params_t){(b_), 3, true, 2.58, (alpha_), true, 1.0, 5, 4, 2.0 / 3.0, \
                                  true, 10, 26, DETECT_THRESHOLD_NBPLUGIN})

typedef struct {
    double observed;
    double expected;    /* the predictive mean (R's control$expected); NaN when not enough cases */
    double upperbound;  /* NaN when not enough cases */
    double score;       /* (y - pred) / (upper - pred), pred on R's typePred scale */
    double p_value;     /* R's control$pvalue */
    double phi;         /* max(dispersion, 1) */
    double pred, pred_se; /* R's pred$fit and pred$se.fit (link scale for nbPlugin/muan) */
    bool trend;         /* the trend was kept */
    bool enough_cases;  /* limit54 */
    bool alarm;
    bool defined;       /* false: too little history, a bad count or no fit */
} detect_farrington_t;

/* One time point k of cases[0..n-1] (treatments may be NULL when
 * population_offset is false). */
detect_farrington_t detect_farrington(const int64_t *cases, const int64_t *treatments, size_t n,
                                      size_t k, detect_farrington_params_t params)
    __attribute__((warn_unused_result));

/* The first week that has enough history: 52 b + w. */
size_t detect_farrington_first(detect_farrington_params_t params)
    __attribute__((warn_unused_result));

#endif

/*
 * detect_rate.h - needlewatch's default alert detection: a rate scan.
 *
 * For every series device type x setting x complication (and the margins:
 * all device types, both settings, "any" complication) and judged week t:
 *
 * 1. Baseline. Each CELL series (one device type, one setting) gets its own
 *    model of the weekly cases with the week's treatments as offset,
 *    log E[y_w] = log n_w + b0 [+ b1 (w - t)/52] [+ two harmonics of the
 *    year], a quasi-Poisson GLM (detect_glm.h) fitted on the judgeable
 *    weeks up to t - window_max - guard (at most history_max of them), with
 *    past outbreaks down-weighted as Noufaily et al. (Anscombe residuals
 *    above 2.58) and the model refitted; the dispersion phi = max(1, its
 *    Pearson estimate). The trend needs trend_min_weeks weeks and
 *    trend_min_cases cases, the harmonics season_min_weeks and
 *    season_min_cases; a series with fewer than glm_min_cases cases in its
 *    baseline gets a constant rate with a Jeffreys gamma posterior instead.
 *    A MARGIN's expected count is the sum of its cells' (indirect
 *    standardisation): a change in the mix of device types or settings,
 *    e.g. clinics closing at Christmas while home use goes on, moves the
 *    margin's expectation with it instead of raising an alarm.
 * 2. Windows. The windows of 1..window_max weeks ending at t: observed O_k,
 *    expected E_k with the standard error of log E_k from the baseline
 *    model (delta method), so an outbreak that doubles a rate for two
 *    weeks is judged on both weeks together.
 * 3. p-value. P(Y >= O_k) for Y negative binomial (variance phi E) given
 *    its mean, the mean lognormal around E_k with that standard error
 *    (detect_predictive_upper, Gauss-Hermite): the baseline's own
 *    uncertainty and the over-dispersion are both in the p-value. The
 *    series-week's p is min(1, window_max x min_k p_k) (Bonferroni over
 *    the windows).
 * 4. Multiplicity. Benjamini-Hochberg across the series judged that week
 *    (detect_alerts.h); an alarm is q <= q_level with at least min_cases
 *    cases in the window and one in week t.
 * Pure: no I/O.
 */
#ifndef NW_DETECT_RATE_H
#define NW_DETECT_RATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETECT_WINDOW_MAX 4

typedef struct {
    int window_max;        /* windows of 1..window_max weeks ending at t */
    int guard;             /* weeks left out between the baseline and the windows */
    int history_max;       /* baseline weeks at most */
    int history_min;       /* judgeable baseline weeks needed to judge at all */
    int trend_min_weeks, season_min_weeks;
    double glm_min_cases, trend_min_cases, season_min_cases;
    int harmonics;         /* seasonal harmonics of the year (0..3) */
    double reweight_threshold;
    double q_level;        /* Benjamini-Hochberg level */
    int64_t min_cases;     /* in the window */
} detect_rate_params_t;

#define DETECT_RATE_DEFAULTS                                                                 \
    ((detect_rate_params_t){2, 1, 104, 8, 26, 56, 10.0, 20.0, 60.0, 2, 2.58, 0.05, 3})

/* Which baseline model a series got. */
typedef enum {
    DETECT_MODEL_NONE,       /* not judged: too little history */
    DETECT_MODEL_GAMMA,      /* constant rate, gamma posterior (few cases) */
    DETECT_MODEL_LEVEL,      /* GLM: level only */
    DETECT_MODEL_TREND,      /* GLM: level and trend */
    DETECT_MODEL_SEASON,     /* GLM: level, trend and the year's harmonics */
    DETECT_MODEL_MARGIN      /* sum of the cells' expectations */
} detect_model_t;

/* The prediction of one series for week t: for each window k (1-based,
 * k weeks ending at t), the expected count as a lognormal with log-median
 * eta[k-1] and log-sd sigma[k-1], and the dispersion. */
typedef struct {
    detect_model_t model;
    double eta[DETECT_WINDOW_MAX], sigma[DETECT_WINDOW_MAX];
    double phi;
    size_t base_first, base_last; /* baseline weeks (inclusive) */
    double base_cases, base_treatments;
} detect_pred_t;

/* One series-week's verdict. */
typedef struct {
    detect_model_t model;
    int window;               /* the window (weeks) with the smallest p */
    int64_t observed;         /* cases in that window */
    int64_t treatments;       /* treatments in that window */
    double expected;          /* expected cases in that window (the lognormal's mean) */
    double p_value;           /* Bonferroni over the windows */
    double q_value;           /* Benjamini-Hochberg across the week's series; NaN until set */
    double phi;
    size_t base_first, base_last;
    double base_cases, base_treatments;
    int64_t week_cases;       /* cases in week t */
    bool defined;
    bool alarm;
} detect_verdict_t;

/* Predicts week t of one cell series (cases and treatments of n weeks;
 * judgeable[w] false for weeks that must not be used, NULL: all). */
detect_pred_t detect_rate_predict(const int64_t *cases, const int64_t *treatments,
                                  const bool *judgeable, size_t n, size_t t,
                                  const detect_rate_params_t *params)
    __attribute__((warn_unused_result));

/* The prediction of a margin from its cells' (n of them; cells with model
 * NONE make the margin NONE unless their window has no treatment, in which
 * case they are skipped: has_treatments[i] says). */
detect_pred_t detect_rate_sum(const detect_pred_t *cells, const bool *has_treatments, size_t n,
                              const detect_rate_params_t *params)
    __attribute__((warn_unused_result));

/* The verdict (p-value; no q yet) of a series from its prediction and its
 * counts; a window stops at the first week that is not judgeable. */
detect_verdict_t detect_rate_judge(const detect_pred_t *pred, const int64_t *cases,
                                   const int64_t *treatments, const bool *judgeable, size_t n,
                                   size_t t,
                                   const detect_rate_params_t *params)
    __attribute__((warn_unused_result));

#endif

/*
 * alerts.h - part of the compute step: alerts on the weekly series.
 *
 * Input (alert_input_t): the device types (the cube), the weekly
 * treatments and the weekly cases COUNTED WITHIN D DAYS (a treatment is a
 * case of C when a report of C arrived at most D days after treated_on;
 * load/alertcounts.c), and which weeks may be judged (complete and mature,
 * model/detect_delay.h). Output: one alert per event, most serious first.
 *
 * The series are the panel of detect_alerts.h: device type (and all) x
 * setting (home, clinic, all) x complication (and any). Every judged week
 * t of every series gets a verdict from the method:
 *   rate-scan   (the default) detect_rate.h: the weekly cases against a
 *               quasi-Poisson model of the series' RATE (treatments as
 *               offset, trend and season as the history allows), windows
 *               of 1..window_max weeks ending at t, a predictive p-value,
 *               Benjamini-Hochberg across the series judged that week; an
 *               alarm is q <= q_level with min_cases cases in the window
 *               and one in week t;
 *   ears-c2     EARS C2 on the counts (stats_ears_c2, R's earsC): week t
 *               against weeks t-2-baseline .. t-3, all judged; alarm when
 *               observed > mean + qnorm(1 - alpha) sd and min_cases cases;
 *   farrington  Noufaily et al. (2013) with the treatments as population
 *               offset (detect_farrington, R's farringtonFlexible with
 *               populationOffset = TRUE), b years back; alarm when R's
 *               would be and min_cases cases;
 *   glr         the Poisson GLR CUSUM (detect_glrpois, R's glrpois) with
 *               mu0 = the rate of the series' first glr_baseline judged
 *               weeks x each week's treatments, over the judged weeks after
 *               them; alarm when the statistic reaches c_arl and min_cases
 *               cases that week.
 * Then detect_consolidate(): consecutive alarming judged weeks of a series
 * are one event, carried by the most specific series that alarms; the
 * margins that alarm with it are its also_in. Each alert's evidence is the
 * verdict of its strongest week (smallest q, else smallest p, else the
 * largest statistic; the latest on a tie), and each margin of also_in gets
 * its own strongest week among its alarms that overlap the alert.
 *
 * "Most serious first": by q-value (smallest first; methods without one:
 * by p-value, then none), then by the rate ratio observed / expected
 * (largest first), then by observed cases, then in series order. Pure.
 */
#ifndef NW_ALERTS_H
#define NW_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cube.h"
#include "model/detect_farrington.h"
#include "model/detect_rate.h"
#include "model/stats.h"
#include "model/weekly.h"

typedef enum {
    ALERT_RATE_SCAN = 0,
    ALERT_EARS_C2,
    ALERT_FARRINGTON,
    ALERT_GLR,
    ALERT_METHODS
} alert_method_t;

/* "rate-scan", "ears-c2", "farrington", "glr" (the option's spelling), and
 * back; -1 for an unknown name. */
const char *alert_method_name(alert_method_t method);
int alert_method_parse(const char *name);
/* "rate scan", "EARS C2", ... (the alert rows' method). */
const char *alert_method_title(alert_method_t method);

typedef struct {
    alert_method_t method;
    detect_rate_params_t scan;            /* rate-scan (min_cases: see below) */
    nw_ears_params_t ears;                /* ears-c2 */
    detect_farrington_params_t farrington; /* farrington */
    double glr_c_arl;                     /* glr */
    int glr_baseline;                     /* glr: weeks of the in-control rate */
    int64_t min_cases;                    /* every method: cases to alarm */
} alert_params_t;

#define ALERT_MIN_CASES_DEFAULT 3
#define ALERT_GLR_C_ARL_DEFAULT 5.0
#define ALERT_GLR_BASELINE_DEFAULT 26
#define ALERT_FARRINGTON_ALPHA_DEFAULT 0.001

/* The defaults of every method, rate-scan chosen. */
alert_params_t alert_params_default(void);

/* When the counts were taken, and with which D (for the report). */
typedef struct {
    int32_t as_of;            /* the day (since 1970-01-01) the report is as of */
    int report_days;          /* D */
    bool report_days_observed; /* D came from the observed delays (else configured) */
    int64_t delays_observed;  /* cases whose delay was observed */
    double reported_within;   /* their share reported within D days (NaN: none) */
} alert_timing_t;

typedef struct {
    alert_timing_t timing;
    const cube_t *cube;       /* the device types */
    const weekly_t *counted;  /* treatments, and cases counted within D days */
    const bool *judgeable;    /* counted->n_weeks flags; NULL: every week */
} alert_input_t;

/* The verdict of one series in one week, as an alert shows it. */
typedef struct {
    size_t week;            /* the judged week (the window ends with it) */
    int window;             /* weeks in the window: 1 .. window_max (1 for the others) */
    int64_t observed;       /* cases in the window (counted within D days) */
    int64_t treatments;     /* treatments in the window */
    double expected;        /* cases expected in the window */
    double p_value, q_value; /* NaN when the method has none */
    double statistic;       /* what the threshold is compared with: q (rate scan),
                             * C2 (EARS), p (Farrington), the GLR statistic */
    double threshold;
    detect_model_t model;   /* rate scan: the baseline model; others DETECT_MODEL_NONE */
    double phi;             /* rate scan: dispersion (NaN otherwise) */
    bool has_baseline;
    size_t base_first, base_last; /* weeks the expectation comes from (judged weeks) */
    int64_t base_cases;     /* cases counted within D in those weeks */
    int64_t base_treatments; /* and treatments */
} alert_evidence_t;

/* A margin that alarmed with an alert. */
typedef struct {
    size_t device;          /* cube slot, CUBE_DEVICE_ALL for all */
    int setting;
    int complication;
    size_t first_week, last_week; /* its alarming weeks overlapping the alert */
    alert_evidence_t evidence;
    bool suppressed;        /* the disclose step hides its numbers */
} alert_margin_t;

typedef struct {
    size_t device;          /* the carrying series: cube slot, CUBE_DEVICE_ALL for all */
    int setting;            /* CUBE_SETTING_HOME, _CLINIC or _ALL */
    int complication;
    size_t series;          /* its place in the panel's order (detect_series_index) */
    size_t first_week, last_week; /* the event's first and last alarming weeks */
    size_t alarm_weeks;     /* alarming weeks in it (judged weeks between may be missing) */
    alert_evidence_t evidence;
    alert_margin_t *also_in; /* owned, n_also_in, in series order */
    size_t n_also_in;
    bool suppressed;        /* the disclose step hides its numbers, not the alert */
} alert_row_t;

typedef struct {
    alert_params_t params;
    alert_timing_t timing;
    alert_row_t *rows;      /* owned, most serious first */
    size_t n;
    size_t n_weeks;         /* weeks of the series */
    size_t weeks_judgeable; /* complete and mature weeks */
    size_t series_weeks;    /* series-weeks that got a verdict */
    bool has_judged;
    size_t first_judged, last_judged; /* weeks with a verdict */
} alerts_t;

/* Judges every judgeable week of every series and keeps the alerts.
 * Returns 0, or -1 when out of memory; free with alerts_free() either
 * way. */
int alerts_detect(const alert_input_t *input, alert_params_t params, alerts_t *alerts)
    __attribute__((warn_unused_result));

void alerts_free(alerts_t *alerts);

/* The rate ratio observed / expected of an evidence (NaN when undefined). */
double alert_rate_ratio(const alert_evidence_t *e);

#endif

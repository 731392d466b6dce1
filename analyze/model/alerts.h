/*
 * alerts.h - part of the compute step: alerts on the weekly series.
 *
 * Input: weekly series (model/weekly.h: per series its labels, and its
 * cases and treatments per week); output: alert rows. Today's method is
 * EARS C2 (stats_ears_c2, as R's surveillance::earsC) on the weekly number
 * of cases of each complication (and "any"), per device type x setting
 * (home, clinic), with the margins (all device types, both settings) as
 * series of their own. Week t is compared with the mean and sd of weeks
 * t-2-baseline .. t-3 (a two-week guard band keeps a rising outbreak out of
 * its own reference). An alert is an EARS alarm (observed > mean +
 * qnorm(1 - alpha) sd) with at least min_cases cases that week: with a flat
 * zero reference the C2 bound is 0 and a single case would alarm, which for
 * rare complications is noise, not a signal. The rows carry a "suppressed"
 * flag that the disclose step sets. Pure.
 */
#ifndef NW_ALERTS_H
#define NW_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/stats.h"
#include "model/weekly.h"

/* The EARS parameters and the alert rule. */
typedef struct {
    nw_ears_params_t ears;
    int64_t min_cases;
} alert_params_t;

#define ALERT_MIN_CASES_DEFAULT 3

typedef struct {
    size_t device;      /* the series': cube slot, CUBE_DEVICE_ALL for all */
    int setting;        /* CUBE_SETTING_HOME, _CLINIC or _ALL */
    int complication;
    size_t week;        /* index into the weeks of the series */
    nw_ears_t ears;
    bool suppressed;    /* --suppress-below hides the numbers, not the alert */
} alert_row_t;

typedef struct {
    alert_params_t params;
    alert_row_t *rows;  /* owned, in the order of the series, then of the weeks */
    size_t n;
} alerts_t;

/* Evaluates every week of every series that has enough history (n_weeks
 * weeks each) and keeps the alerts. Returns 0, or -1 when out of memory;
 * free with alerts_free() either way. */
int alerts_detect(const weekly_series_t *series, size_t n_series, size_t n_weeks,
                  alert_params_t params, alerts_t *alerts) __attribute__((warn_unused_result));

void alerts_free(alerts_t *alerts);

#endif

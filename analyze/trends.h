/*
 * trends.h - change over time and across skin types.
 *
 * Alerts: EARS C2 (stats_ears_c2, as R's surveillance::earsC) on the weekly
 * number of cases of each complication (and "any"), per device type x
 * setting (home, clinic), with the margins (all device types, both
 * settings) as series of their own. Week t is compared with the mean and sd of
 * weeks t-2-baseline .. t-3 (a two-week guard band keeps a rising outbreak
 * out of its own reference). An alert is an EARS alarm (observed > mean +
 * qnorm(1 - alpha) sd) with at least min_cases cases that week: with a flat
 * zero reference the C2 bound is 0 and a single case would alarm, which for
 * rare complications is noise, not a signal.
 *
 * Skin trend: Cochran-Armitage test for a trend in the rate of each
 * complication over Fitzpatrick I..VI (scores 1..6; "unknown" left out),
 * for home, clinic and both, all device types.
 * Pure.
 */
#ifndef NW_TRENDS_H
#define NW_TRENDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cube.h"
#include "stats.h"
#include "surveillance.h"

typedef struct {
    size_t device;      /* cube slot, CUBE_DEVICE_ALL for all */
    int setting;        /* CUBE_SETTING_HOME, _CLINIC or _ALL */
    int complication;
    size_t week;        /* index into the weeks of sv_data_t */
    nw_ears_t ears;
    bool suppressed;    /* --suppress-below hides the numbers, not the alert */
} alert_row_t;

typedef struct {
    int setting, complication;
    int64_t treatments[6], cases[6]; /* I..VI */
    nw_trend_t trend;
    bool suppressed;
} skin_trend_row_t;

/* The EARS parameters and the alert rule. */
typedef struct {
    nw_ears_params_t ears;
    int64_t min_cases;
} alert_params_t;

#define ALERT_MIN_CASES_DEFAULT 3

/* Evaluates every week that has enough history, for every device slot in
 * report order, setting and complication, and appends the alerts to *rows (realloc'd,
 * owned by the caller; *n counts them). Returns 0 or -1 when out of memory. */
int trends_alerts(const cube_t *cube, const sv_data_t *data, alert_params_t params,
                  alert_row_t **rows, size_t *n) __attribute__((warn_unused_result));

/* The skin trend row of (setting, complication) from the cube. */
void trends_skin(const cube_t *cube, int setting, int complication, skin_trend_row_t *row);

#endif

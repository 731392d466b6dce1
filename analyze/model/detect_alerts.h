/*
 * detect_alerts.h - from weekly counts to alerts: the panel of series that
 * needlewatch watches, the week's verdicts with Benjamini-Hochberg q-values,
 * the consolidation of alarms into alerts, and each alert's explanation.
 *
 * The panel: cells device type x setting (home, clinic) hold the weekly
 * treatments and the weekly cases of each complication type and of "any"
 * (a treatment with at least one); the series are every cell and every
 * margin (device "all", setting "all"), each with the 11 complications:
 * (n_devices + 1) x 3 x 11 series.
 *
 * Consolidation (pure, on a matrix of alarms series x week):
 *   - consecutive alarming judged weeks of one series are ONE event, from
 *     its first to its last week (a week that is not judged neither breaks
 *     nor extends it);
 *   - events of related series (one is a margin of the other: device "all"
 *     for a device, setting "all" for a setting, "any" for a type) that
 *     overlap in time belong together; the alert is carried by the most
 *     specific series of the group that alarms (an event is carried when no
 *     overlapping event of a strictly more specific series exists), and the
 *     margins' events are listed in its also_in, not repeated as alerts.
 * Pure: no I/O.
 */
#ifndef NW_DETECT_ALERTS_H
#define NW_DETECT_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/detect_rate.h"

#define DETECT_TYPES 11        /* 0 = any, 1..10 the complication types */
#define DETECT_SETTINGS 3      /* 0 home, 1 clinic, 2 all */
#define DETECT_SETTING_ALL 2
#define DETECT_ANY 0

typedef struct {
    size_t n_devices;          /* device types (cells); index n_devices is "all" */
    size_t n_weeks;
    const int64_t *treatments; /* [(d * 2 + s) * n_weeks + w], d < n_devices, s 0..1 */
    const int64_t *cases;      /* [((d * 2 + s) * DETECT_TYPES + c) * n_weeks + w] */
    const bool *judgeable;     /* [w], NULL: every week */
} detect_panel_t;

static inline size_t detect_series_count(const detect_panel_t *p)
{
    return (p->n_devices + 1) * DETECT_SETTINGS * DETECT_TYPES;
}

static inline size_t detect_series_index(size_t d, int s, int c)
{
    return (d * DETECT_SETTINGS + (size_t)s) * DETECT_TYPES + (size_t)c;
}

/* The series (d, s, c)'s weekly cases and treatments (margins summed),
 * n_weeks each. */
void detect_panel_series(const detect_panel_t *panel, size_t d, int s, int c, int64_t *cases,
                         int64_t *treatments);

/* The verdicts of every series for week t (out: detect_series_count()),
 * with q-values across the defined ones and the alarm rule. Returns 0 or
 * -1 when out of memory. */
int detect_panel_week(const detect_panel_t *panel, size_t t, const detect_rate_params_t *params,
                      detect_verdict_t *out) __attribute__((warn_unused_result));

/* Benjamini-Hochberg adjusted p-values, as R's p.adjust(p, "BH"): q_i =
 * min over j with p_(j) >= p_i of n p_(j) / rank(j), capped at 1. NaN
 * p-values are left out (their q is NaN) and do not count in n. Returns 0,
 * -1 when out of memory. */
int detect_bh(const double *p, size_t n, double *q) __attribute__((warn_unused_result));

/* One alert after consolidation. */
typedef struct {
    size_t series;            /* the carrying series */
    size_t first_week, last_week;
    size_t *also_in;          /* owned: margin series that alarmed with it, ascending */
    size_t n_also_in;
} detect_alert_t;

/* Consolidates alarm[series * n_weeks + w] (judged[w] NULL: all judged)
 * into alerts (*alerts owned by the caller, free with detect_alerts_free).
 * Alerts come ordered by first week, then series. Returns 0 or -1 when out
 * of memory. */
int detect_consolidate(const detect_panel_t *panel, const bool *alarm, const bool *judged,
                       detect_alert_t **alerts, size_t *n_alerts)
    __attribute__((warn_unused_result));

void detect_alerts_free(detect_alert_t *alerts, size_t n);

/* What an alert's sentence says. Names as the report spells them; the
 * dates "YYYY-MM-DD". */
typedef struct {
    const char *device;       /* "all" for every device type */
    const char *setting;      /* "home", "clinic" or "all" */
    const char *complication; /* "any" for any complication */
    int64_t observed, treatments;
    double expected;          /* cases the baseline rate predicts for those treatments */
    int window;               /* weeks */
    const char *window_last;  /* the last day (Sunday) of the window */
    const char *base_first, *base_last; /* the baseline's first Monday and last Sunday */
    double p_value, q_value, q_level;
} detect_explain_t;

/* One plain-words sentence into buf (always terminated), e.g.
 * "derma_roller at home, infection: 24 cases in 812 treatments in the 2
 * weeks to 2024-04-21 (2.96 per 100), where the rate of 2023-04-17 to
 * 2024-03-31 predicts 11.2 (1.38 per 100); p = 2.1e-06, q = 0.00041
 * (an alert needs q <= 0.05)." Returns the length it needed (snprintf's). */
int detect_explain(char *buf, size_t len, const detect_explain_t *e);

/* Is series a a margin of (or equal to) series b: every dimension of a is
 * b's or "all"/"any"? */
bool detect_series_covers(size_t n_devices, size_t a, size_t b);

#endif

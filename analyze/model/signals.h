/*
 * signals.h - part of the compute step: screening for device types and
 * models whose complications stand out, by two methods kept apart.
 *
 * Disproportionality (the method of spontaneous-report databases, which
 * have no denominators), on complication REPORTS: current reports, not
 * withdrawn, whose current treatment is in the window; the device (and
 * manufacturer, model) is the treatment's. For device type D and type C:
 *   a = reports of C with D          b = reports of other types with D
 *   c = reports of C with other D    d = reports of other types, other D
 * PRR with its interval, ROR with Woolf's, Yates' chi-square, and the
 * Evans et al. (2001) rule (a >= 3, PRR >= 2, chi2 >= 4). By model: the
 * same table for each (manufacturer, model) pair against the reports of
 * all other pairs (and of treatments naming no manufacturer or model).
 *
 * Rate-based (needlewatch knows its denominators): the rate of C among the
 * treatments with device type D in one setting (home or clinic), against
 * the rate among the treatments of all other device types in that setting,
 * as a rate ratio with the Katz interval.
 * The rows carry a "suppressed" flag that the disclose step sets
 * (disclose/disclose.h); signals_build() leaves it false.
 * Pure: stats.c does the statistics.
 */
#ifndef NW_SIGNALS_H
#define NW_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cube.h"
#include "model/stats.h"
#include "model/tally.h"

/* A disproportionality row: a device type (manufacturer == NULL) or a
 * (manufacturer, model) pair. */
typedef struct {
    size_t device;            /* cube device slot of a device-type row */
    const char *manufacturer; /* borrowed; NULL for a device-type row */
    const char *model;        /* borrowed; NULL for a device-type row */
    int complication;         /* 1..10 */
    nw_table2x2_t table;
    nw_ratio_t prr, ror;
    nw_chi2_t chi2;           /* Yates */
    bool evans_signal;
    bool signal;              /* = evans_signal */
    bool suppressed;          /* --suppress-below hides this row's numbers */
} signal_row_t;

/* A rate comparison row: device type x setting x complication. */
typedef struct {
    size_t device;
    int setting;              /* CUBE_SETTING_HOME or CUBE_SETTING_CLINIC */
    int complication;         /* 1..10 */
    int64_t treatments, cases;
    int64_t other_treatments, other_cases;
    double rate, other_rate;  /* NaN when there is no treatment */
    nw_ratio_t rate_ratio;    /* Katz */
    bool suppressed;          /* --suppress-below hides this row's numbers */
} signal_rate_t;

/* Every signal row of a run, in report order. */
typedef struct {
    signal_row_t *devices;    /* owned: device type x complication 1..10 */
    size_t n_devices;
    signal_row_t *models;     /* owned: (manufacturer, model) x complication 1..10 */
    size_t n_models;
    signal_rate_t *rates;     /* owned: device type x (home, clinic) x complication */
    size_t n_rates;
} signals_t;

/* Fills row's table from the report counts of the group (reports[0] = all
 * types, reports[k] = type k) and of everything else (other[]), for
 * complication c (1..10), at normal quantile z. */
void signals_compute(signal_row_t *row, int c, const int64_t *reports, const int64_t *other,
                     double z);

/* Fills a rate row from the group's treatments t and cases a of the
 * complication, and the comparison group's ot and oc. */
void signals_rate(signal_rate_t *row, int64_t t, int64_t a, int64_t ot, int64_t oc, double z);

/* Builds every row (device types with a treatment in the window, every
 * pair of tally, and the rate comparison of each device type with a
 * treatment) at normal quantile z. Borrows cube and tally (the model rows
 * point at tally's names). Returns 0, or -1 when out of memory; free with
 * signals_free() either way. */
int signals_build(const cube_t *cube, const tally_t *tally, double z, signals_t *signals)
    __attribute__((warn_unused_result));

void signals_free(signals_t *signals);

#endif

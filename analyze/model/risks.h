/*
 * risks.h - part of the compute step: risks over a fixed follow-up.
 *
 * A rate counts every treatment of the window, however recent, so its last
 * weeks miss the complications that have not started yet. A risk over H
 * days counts only the treatments followed up that long:
 *   eligible     a treatment of the window with treated_on <= as_of - H;
 *   case within H of C   an eligible treatment with a current report of C
 *                whose onset_days <= H, or without onset_days (it cannot be
 *                ruled out, so it counts; missing counts those cases that
 *                rest on such a report alone);
 *   serious      a case within H with one of those reports severe or with
 *                a permanent outcome.
 * The load step (load/risks.c) fills one grid per horizon, laid out as the
 * cube (base cells, then cube_cells_fill_margins()); risks_build() makes
 * the rows, with Wilson intervals, and compares the serious risk of the
 * latest RISKS_PERIOD_DAYS eligible days with that of the same span before
 * (Katz rate ratio), for the first horizon, all treatments together. Pure.
 */
#ifndef NW_RISKS_H
#define NW_RISKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cube.h"
#include "model/stats.h"

#define RISKS_MAX_HORIZONS 8
#define RISKS_MAX_HORIZON 365
#define RISKS_PERIOD_DAYS 90

/* One horizon: eligible treatments (treatments), cases, serious and
 * missing per cell and complication. */
typedef struct {
    int horizon;
    cube_cells_t cells[CUBE_MAX_DEVICES + 1];
} risk_grid_t;

typedef struct {
    size_t device; /* cube slot, CUBE_DEVICE_ALL for "all" */
    int setting, skin, complication, horizon;
    int64_t treatments, cases, serious, missing;
    double rate, ci_low, ci_high;
    double serious_rate, serious_ci_low, serious_ci_high;
    bool suppressed;         /* its treatments or cases are hidden */
    bool serious_suppressed; /* its serious count is hidden */
    bool missing_suppressed; /* its missing-onset count is hidden */
} risk_row_t;

/* The serious cases (any complication, every device type and setting)
 * within the first horizon among the treatments of one period. */
typedef struct {
    char from[11], to[11]; /* treated_on; "" when the period is empty */
    int64_t treatments, serious;
    double rate, ci_low, ci_high; /* NaN without treatments */
    bool suppressed;
} risk_period_t;

typedef struct {
    int horizon;
    risk_period_t recent, previous;
    nw_ratio_t ratio; /* recent / previous, Katz interval */
    bool suppressed;  /* either period is */
} risk_change_t;

typedef struct {
    char as_of[11];
    size_t n_horizons;
    int horizons[RISKS_MAX_HORIZONS];   /* ascending */
    risk_grid_t *grids;                 /* owned: n_horizons */
    risk_change_t change;
    /* risks_build(): */
    const cube_t *cube;                 /* borrowed, for the device names */
    risk_row_t *rows;                   /* owned */
    size_t n_rows;
} risks_t;

/* Sets as_of and the horizons (ascending, each 1..RISKS_MAX_HORIZON, at
 * most RISKS_MAX_HORIZONS) and allocates zeroed grids, which the load step
 * fills. Returns false when out of memory; free with risks_free() either
 * way. */
bool risks_init(risks_t *risks, const char *as_of, const int *horizons, size_t n)
    __attribute__((warn_unused_result));

/* The periods of the serious change: the RISKS_PERIOD_DAYS days of
 * treated_on up to as_of - horizon, and the same span before, each within
 * [from, to] (NULL/"" open). Writes "" for an empty period. */
void risks_periods(const char *as_of, int horizon, const char *from, const char *to,
                   char recent_from[11], char recent_to[11], char previous_from[11],
                   char previous_to[11]);

/* Fills the rows (every cell with an eligible treatment, in the rates'
 * order, for each horizon) and the change's statistics from the grids
 * (margins filled). Returns 0, or -1 with the reason in errbuf. Free with
 * risks_free(). */
int risks_build(const cube_t *cube, risks_t *risks, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

void risks_free(risks_t *risks);

/* The row of a cell at a horizon, or NULL. */
const risk_row_t *risks_find(const risks_t *risks, int horizon, size_t device, int setting,
                             int skin, int complication);

#endif

/*
 * surveil.h - the surveillance part of the analysis: signals by device type
 * and by model, weekly EARS C2 alerts, skin-type trends, and the small-cell
 * suppression that applies to everything published (--suppress-below).
 *
 * sv_build() computes it all from the cube and the weekly and report counts
 * (surveillance.c); sv_apply_suppression() then marks the rows of the rate
 * analysis that must not show their numbers. The renderers write a row
 * marked suppressed with its labels and null numbers. Pure: no I/O.
 */
#ifndef NW_SURVEIL_H
#define NW_SURVEIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cube.h"
#include "signals.h"
#include "surveillance.h"
#include "trends.h"

struct analysis;

typedef struct sv_results {
    const sv_data_t *data;          /* borrowed */
    alert_params_t alert_params;
    int64_t suppress_below;         /* 0: no suppression */
    signal_row_t *signals;          /* owned: device type x complication 1..10 */
    size_t n_signals;
    signal_row_t *model_signals;    /* owned: (manufacturer, model) x complication 1..10 */
    size_t n_model_signals;
    rate_row_t *rates;              /* owned: device type x (home, clinic) x complication */
    size_t n_rates;
    alert_row_t *alerts;            /* owned */
    size_t n_alerts;
    skin_trend_row_t skin_trend[CUBE_SETTINGS][CUBE_COMPLICATIONS];
    /* What suppression hides (all false when it is off). */
    bool t_hidden[CUBE_MAX_DEVICES + 1][CUBE_SETTINGS][CUBE_SKINS];
    bool c_hidden[CUBE_MAX_DEVICES + 1][CUBE_SETTINGS][CUBE_SKINS][CUBE_COMPLICATIONS];
    /* [(slot * CUBE_SETTINGS + s) * n_weeks + w] (times 11, + c, for cases) */
    bool *week_t_hidden;            /* owned */
    bool *week_c_hidden;            /* owned */
    bool rep_hidden[CUBE_MAX_DEVICES + 1][CUBE_COMPLICATIONS]; /* report counts, [0] = all types */
    bool *model_rep_hidden;         /* owned, [model * 11 + c] */
    size_t unprotectable_lines;     /* lines that could not be protected (their table is hidden) */
} sv_results_t;

/* Builds the surveillance results (z: the normal quantile of intervals;
 * suppress_below 0 = off). Borrows cube and data. Returns 0, or -1 with the
 * reason in errbuf; free with sv_free() either way. */
int sv_build(const cube_t *cube, const sv_data_t *data, alert_params_t params,
             int64_t suppress_below, double z, sv_results_t *sv, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

void sv_free(sv_results_t *sv);

/* Marks rates, comparisons and adjusted rows that suppression hides. */
void sv_apply_suppression(const sv_results_t *sv, struct analysis *analysis);

/* Is the weekly count of (slot, setting, week, c) hidden? c = -1: the
 * treatments. */
bool sv_week_hidden(const sv_results_t *sv, size_t slot, int setting, size_t week, int c);

#endif

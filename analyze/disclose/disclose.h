/*
 * disclose.h - the disclose step: which published counts --suppress-below K
 * hides, so that no count from 1 to K-1 can be read or worked out from
 * what is shown, and the marking of every published row that rests on a
 * hidden count.
 *
 * disclose_build() runs small-cell suppression (disclose/suppress.h) on
 * three families of tables, in this order (the later see the earlier's
 * decisions):
 *   the cube     treatments, and cases of each complication: cells
 *                (device incl. all) x (home, clinic, all) x (I..VI,
 *                unknown, all), lines along each dimension; cells with no
 *                treatment are public zeros. Derived counts: the rate
 *                comparison's other_treatments (all devices minus this
 *                one, home and clinic);
 *   the weeks    per count: (device incl. all) x (home, clinic, all) x (each
 *                week, then the window total = the cube's cell, fixed with
 *                the cube's decision), lines over devices, settings and
 *                weeks;
 *   the reports  complication reports: (device incl. all) x (all types,
 *                each type); then (all, no model, each manufacturer x
 *                model pair) x types, the "all" row the first table's
 *                counts (fixed with its decision). A signal row (device or
 *                pair D, type C) publishes a = cell (D, C) and, through
 *                a+b, a+c and a+b+c+d, the margins (D, all types), (all, C)
 *                and (all, all types): b, c and d are derived counts of the
 *                cell, and a hidden margin hides every row through it. The
 *                "no model" row is never published: its small counts are
 *                hidden, the others taken as known (a stricter audit).
 *   the serious cases   one table per complication, laid out as the cube
 *                (no derived count);
 *   the risks    per horizon, one table each of the eligible treatments,
 *                and of the cases, serious cases and missing-onset cases of
 *                each complication, laid out as the cube; the grand total
 *                is not public here. The serious change's two periods are
 *                not cells of a table: a count 1..K-1 hides its period;
 *   data quality one line each, with its public total (totals.treatments,
 *                totals.complication_reports, totals.quarantined): the
 *                treatments naming no manufacturer or model and the others;
 *                the reports without onset_days and the others; the
 *                treatments per lag bucket; the reports per lag bucket; the
 *                quarantined messages per reason.
 * The disclose_mark_*() functions then set the "suppressed" flag of the
 * rows of the compute step; disclose_alerts() runs the alerts' own tables
 * (disclose/alerts.c: the cases counted within D days in the windows and
 * baselines the alerts publish) and sets the flags of the alerts and of
 * their also_in margins. With suppression off (K = 0) nothing is hidden
 * and every accessor answers false. Pure: no I/O.
 */
#ifndef NW_DISCLOSE_H
#define NW_DISCLOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/alerts.h"
#include "model/cube.h"
#include "model/quality.h"
#include "model/rates.h"
#include "model/risks.h"
#include "model/signals.h"
#include "model/tally.h"
#include "model/trends.h"
#include "model/weekly.h"

/* The count "treatments" of a cube cell, beside the complications. */
#define DISCLOSE_TREATMENTS (-1)

/* What a count of a risk grid counts (with a complication), or its
 * treatments (DISCLOSE_TREATMENTS, with any kind). */
typedef enum { DISCLOSE_CASES = 0, DISCLOSE_SERIOUS = 1, DISCLOSE_MISSING = 2 } disclose_kind_t;

/* The hidden counts of one risk grid: [slot][setting][skin][i], i = 0 the
 * treatments, 1 + kind * CUBE_COMPLICATIONS + complication the others. */
#define DISCLOSE_GRID_COUNTS (1 + 3 * CUBE_COMPLICATIONS)
typedef struct {
    bool hidden[CUBE_MAX_DEVICES + 1][CUBE_SETTINGS][CUBE_SKINS][DISCLOSE_GRID_COUNTS];
} disclose_grid_t;

typedef struct {
    int64_t below;              /* K: counts 1..K-1 are hidden; 0 = off */
    size_t unprotectable_lines; /* lines that could not be protected (their table is hidden) */
    /* The cube: [slot][setting][skin][count + 1], count DISCLOSE_TREATMENTS
     * or a complication; read through disclose_cell(). */
    bool cube[CUBE_MAX_DEVICES + 1][CUBE_SETTINGS][CUBE_SKINS][1 + CUBE_COMPLICATIONS];
    size_t n_weeks;
    bool *weeks;                /* owned: laid out as weekly_at() says; disclose_week() */
    /* Report counts per device slot and type ([slot][CUBE_ANY] = all types). */
    bool reports[CUBE_MAX_DEVICES + 1][CUBE_COMPLICATIONS];
    size_t n_models;
    bool *models;               /* owned: n_models x types; read through disclose_model() */
    /* The cube's serious cases: [slot][setting][skin][complication]. */
    bool serious[CUBE_MAX_DEVICES + 1][CUBE_SETTINGS][CUBE_SKINS][CUBE_COMPLICATIONS];
    size_t n_horizons;
    disclose_grid_t *risks;     /* owned: one per horizon; disclose_risk() */
    bool change_recent, change_previous; /* a period of the serious change */
    /* Data quality. */
    bool no_model, no_onset;
    bool lag_treatments[QUALITY_MAX_BUCKETS], lag_reports[QUALITY_MAX_BUCKETS];
    bool reasons[QUALITY_MAX_REASONS];
} disclosure_t;

/* Decides what K = below hides (0: nothing) for the counts of cube, weekly,
 * tally, risks and quality (either may be NULL: none). Borrows nothing.
 * Returns 0, or -1 when out of memory; free with disclose_free() either
 * way. */
int disclose_build(const cube_t *cube, const weekly_t *weekly, const tally_t *tally,
                   const risks_t *risks, const quality_t *quality, int64_t below,
                   disclosure_t *disclosure) __attribute__((warn_unused_result));

void disclose_free(disclosure_t *disclosure);

/* Is a count hidden? A cube cell's (count DISCLOSE_TREATMENTS or a
 * complication), a week's of a weekly series (count WEEKLY_TREATMENTS or a
 * complication), a device's report count (slot, type; CUBE_ANY = all
 * types), a model pair's report count. */
bool disclose_cell(const disclosure_t *disclosure, size_t slot, int setting, int skin, int count);
bool disclose_week(const disclosure_t *disclosure, size_t slot, int setting, size_t week,
                   int count);
bool disclose_report(const disclosure_t *disclosure, size_t slot, int type);
bool disclose_model(const disclosure_t *disclosure, size_t model, int type);

/* Is the cube's serious count of (slot, setting, skin, complication)
 * hidden? A risk grid's count (horizon index h, kind, complication; or its
 * treatments: complication DISCLOSE_TREATMENTS)? */
bool disclose_serious(const disclosure_t *disclosure, size_t slot, int setting, int skin,
                      int complication);
bool disclose_risk(const disclosure_t *disclosure, size_t h, size_t slot, int setting, int skin,
                   disclose_kind_t kind, int complication);

/* Is n a count that K hides by itself (1..K-1)? */
bool disclose_small(const disclosure_t *disclosure, int64_t n);

/* Set the "suppressed" flag of the rows that publish a hidden count, or a
 * number computed from one. */
void disclose_mark_rates(const disclosure_t *disclosure, rates_t *rates);
void disclose_mark_risks(const disclosure_t *disclosure, risks_t *risks);
void disclose_mark_signals(const disclosure_t *disclosure, signals_t *signals);

/* Protects the counts the alerts publish (after disclose_build(), which
 * decided the weekly series of weekly): sets the suppressed flags of the
 * alerts and of their margins. counted: the cases counted within D days
 * (the alerts' input). Returns 0, or -1 when out of memory. */
int disclose_alerts(disclosure_t *disclosure, const cube_t *cube, const weekly_t *weekly,
                    const weekly_t *counted, alerts_t *alerts) __attribute__((warn_unused_result));
void disclose_mark_trends(const disclosure_t *disclosure, trends_t *trends);

#endif

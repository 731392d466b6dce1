/*
 * surveil.c - signals, alerts, skin trends and suppression (see surveil.h).
 *
 * Suppression runs on three families of tables, each a suppress_table_t:
 *   the cube     treatments, and cases of each complication: cells
 *                (device incl. all) x (home, clinic, all) x (I..VI,
 *                unknown, all), lines along each dimension; cells with no
 *                treatment are public zeros (fixed);
 *   the weeks    per complication (and treatments): (device incl. all) x
 *                (each week, then the window total = the cube's cell, fixed
 *                with the cube's decision), lines per week over devices and
 *                per device over weeks;
 *                and (home, clinic, all), with lines over settings too;
 *   the reports  complication reports: (device incl. all) x (all types,
 *                each type); then (all, no model, each manufacturer x
 *                model pair) x types, the "all" row fixed with the first
 *                table's decision and the "no model" row never published
 *                (hidden and fixed).
 * The cube goes first, so the other two see its decisions.
 */
#include "surveil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "suppress.h"

#define NC CUBE_COMPLICATIONS

/* Appends one line (total first) to a growing line list. */
typedef struct {
    size_t *cells, n, cap;
    size_t *start, n_lines, start_cap;
    bool oom;
} lines_t;

static void line_begin(lines_t *l)
{
    if (l->n_lines + 2 > l->start_cap) {
        size_t ncap = l->start_cap ? l->start_cap * 2 : 64;
        size_t *s = realloc(l->start, ncap * sizeof(*s));
        if (s == NULL) {
            l->oom = true;
            return;
        }
        l->start = s;
        l->start_cap = ncap;
    }
    l->start[l->n_lines] = l->n;
    l->start[++l->n_lines] = l->n;
}

static void line_add(lines_t *l, size_t cell)
{
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 256;
        size_t *c = realloc(l->cells, ncap * sizeof(*c));
        if (c == NULL) {
            l->oom = true;
            return;
        }
        l->cells = c;
        l->cap = ncap;
    }
    l->cells[l->n++] = cell;
    l->start[l->n_lines] = l->n;
}

static void lines_free(lines_t *l)
{
    free(l->cells);
    free(l->start);
    memset(l, 0, sizeof(*l));
}

/* Runs suppression on one table; returns -1 when out of memory. */
static int run_table(sv_results_t *sv, const int64_t *value, bool *hidden, const bool *fixed,
                     size_t n, const lines_t *lines)
{
    suppress_table_t t = {n, value, hidden, fixed, lines->n_lines, lines->start, lines->cells};
    int rc;
    suppress_primary(&t, sv->suppress_below);
    rc = suppress_complete(&t);
    if (rc < 0)
        return -1;
    if (rc == 1) {
        /* A line that cannot be protected: hide every cell that may be. */
        sv->unprotectable_lines++;
        for (size_t i = 0; i < n; i++) {
            if (fixed == NULL || !fixed[i])
                hidden[i] = true;
        }
    }
    return 0;
}

static int suppress_cube(const cube_t *cube, sv_results_t *sv)
{
    size_t nd = cube->n_devices + 1, n = nd * CUBE_SETTINGS * CUBE_SKINS;
    int64_t *value = calloc(n, sizeof(*value));
    bool *hidden = calloc(n, sizeof(*hidden)), *fixed = calloc(n, sizeof(*fixed));
    lines_t lines = {0};
    int rc = -1;

#define CELL(i, s, k) (((i) * CUBE_SETTINGS + (size_t)(s)) * CUBE_SKINS + (size_t)(k))
    if (value == NULL || hidden == NULL || fixed == NULL)
        goto out;
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int k = 0; k < CUBE_SKINS; k++) {
            line_begin(&lines);
            line_add(&lines, CELL(nd - 1, s, k));
            for (size_t i = 0; i + 1 < nd; i++)
                line_add(&lines, CELL(i, s, k));
        }
    }
    for (size_t i = 0; i < nd; i++) {
        for (int k = 0; k < CUBE_SKINS; k++) {
            line_begin(&lines);
            line_add(&lines, CELL(i, CUBE_SETTING_ALL, k));
            line_add(&lines, CELL(i, CUBE_SETTING_HOME, k));
            line_add(&lines, CELL(i, CUBE_SETTING_CLINIC, k));
        }
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            line_begin(&lines);
            line_add(&lines, CELL(i, s, CUBE_SKIN_ALL));
            for (int k = 0; k < CUBE_SKIN_ALL; k++)
                line_add(&lines, CELL(i, s, k));
        }
    }
    if (lines.oom)
        goto out;
    /* Table -1: treatments; then the cases of each complication. */
    for (int c = -1; c < NC; c++) {
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (int s = 0; s < CUBE_SETTINGS; s++) {
                for (int k = 0; k < CUBE_SKINS; k++) {
                    const cube_cell_t *cell = cube_cell_const(cube, slot, s, k);
                    size_t at = CELL(i, s, k);
                    value[at] = c < 0 ? cell->treatments : cell->cases[c];
                    fixed[at] = cell->treatments == 0;
                    hidden[at] = false;
                }
            }
        }
        if (run_table(sv, value, hidden, fixed, n, &lines) != 0)
            goto out;
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (int s = 0; s < CUBE_SETTINGS; s++) {
                for (int k = 0; k < CUBE_SKINS; k++) {
                    if (c < 0)
                        sv->t_hidden[slot][s][k] = hidden[CELL(i, s, k)];
                    else
                        sv->c_hidden[slot][s][k][c] = hidden[CELL(i, s, k)];
                }
            }
        }
    }
#undef CELL
    rc = 0;
out:
    free(value);
    free(hidden);
    free(fixed);
    lines_free(&lines);
    return rc;
}

/* The weekly table of one count (c = -1: treatments): cells (device incl.
 * all) x (home, clinic, all) x (each week, then the window total = the
 * cube's cell, fixed with the cube's decision); lines over devices, over
 * settings and over weeks. */
static int suppress_weeks(const cube_t *cube, const sv_data_t *data, sv_results_t *sv)
{
    size_t nd = cube->n_devices + 1, nw = data->n_weeks, cols = nw + 1;
    size_t n = nd * CUBE_SETTINGS * cols;
    size_t nslots = (CUBE_MAX_DEVICES + 1) * CUBE_SETTINGS * (nw ? nw : 1);
    int64_t *value = NULL;
    bool *hidden = NULL, *fixed = NULL;
    lines_t lines = {0};
    int rc = -1;

#define WCELL(i, s, w) (((i) * CUBE_SETTINGS + (size_t)(s)) * cols + (w))
    sv->week_t_hidden = calloc(nslots, sizeof(bool));
    sv->week_c_hidden = calloc(nslots * NC, sizeof(bool));
    if (sv->week_t_hidden == NULL || sv->week_c_hidden == NULL)
        return -1;
    if (nw == 0)
        return 0;
    value = calloc(n, sizeof(*value));
    hidden = calloc(n, sizeof(*hidden));
    fixed = calloc(n, sizeof(*fixed));
    if (value == NULL || hidden == NULL || fixed == NULL)
        goto out;
    for (int st = 0; st < CUBE_SETTINGS; st++) {
        for (size_t w = 0; w < cols; w++) {
            line_begin(&lines);
            line_add(&lines, WCELL(nd - 1, st, w));
            for (size_t i = 0; i + 1 < nd; i++)
                line_add(&lines, WCELL(i, st, w));
        }
        for (size_t i = 0; i < nd; i++) {
            line_begin(&lines);
            line_add(&lines, WCELL(i, st, nw));
            for (size_t w = 0; w < nw; w++)
                line_add(&lines, WCELL(i, st, w));
        }
    }
    for (size_t i = 0; i < nd; i++) {
        for (size_t w = 0; w < cols; w++) {
            line_begin(&lines);
            line_add(&lines, WCELL(i, CUBE_SETTING_ALL, w));
            line_add(&lines, WCELL(i, CUBE_SETTING_HOME, w));
            line_add(&lines, WCELL(i, CUBE_SETTING_CLINIC, w));
        }
    }
    if (lines.oom)
        goto out;
    for (int c = -1; c < NC; c++) {
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (int st = 0; st < CUBE_SETTINGS; st++) {
                const cube_cell_t *all = cube_cell_const(cube, slot, st, CUBE_SKIN_ALL);
                for (size_t w = 0; w < nw; w++) {
                    value[WCELL(i, st, w)] = c < 0 ? sv_week_treatments(data, slot, st, w)
                                                   : sv_week_cases(data, slot, st, w, c);
                    hidden[WCELL(i, st, w)] = false;
                    fixed[WCELL(i, st, w)] = all->treatments == 0;
                }
                value[WCELL(i, st, nw)] = c < 0 ? all->treatments : all->cases[c];
                fixed[WCELL(i, st, nw)] = true;
                hidden[WCELL(i, st, nw)] = c < 0 ? sv->t_hidden[slot][st][CUBE_SKIN_ALL]
                                                 : sv->c_hidden[slot][st][CUBE_SKIN_ALL][c];
            }
        }
        if (run_table(sv, value, hidden, fixed, n, &lines) != 0)
            goto out;
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (int st = 0; st < CUBE_SETTINGS; st++) {
                for (size_t w = 0; w < nw; w++) {
                    size_t at = (slot * CUBE_SETTINGS + (size_t)st) * nw + w;
                    if (c < 0)
                        sv->week_t_hidden[at] = hidden[WCELL(i, st, w)];
                    else
                        sv->week_c_hidden[at * NC + (size_t)c] = hidden[WCELL(i, st, w)];
                }
            }
        }
    }
#undef WCELL
    rc = 0;
out:
    free(value);
    free(hidden);
    free(fixed);
    lines_free(&lines);
    return rc;
}

/* The report counts: (device incl. all) x (all types, each type), lines
 * over devices per type and over types per device; then the pairs:
 * (all, no model, each pair) x (all types, each type), with the "all" row
 * fixed at the first table's decision and the "no model" row unpublished
 * (hidden unless empty, fixed). */
static int suppress_reports(const cube_t *cube, const sv_data_t *data, sv_results_t *sv)
{
    size_t nd = cube->n_devices + 1, nm = data->n_models;
    size_t rows = nd > nm + 2 ? nd : nm + 2, n = rows * NC;
    int64_t *value = calloc(n, sizeof(*value));
    bool *hidden = calloc(n, sizeof(*hidden)), *fixed = calloc(n, sizeof(*fixed));
    lines_t lines = {0};
    int rc = -1;

    sv->model_rep_hidden = calloc((nm ? nm : 1) * NC, sizeof(bool));
    if (value == NULL || hidden == NULL || fixed == NULL || sv->model_rep_hidden == NULL)
        goto out;
    /* Table 1: devices; row nd - 1 is "all". */
    for (int c = 0; c < NC; c++) {
        line_begin(&lines);
        line_add(&lines, (nd - 1) * NC + (size_t)c);
        for (size_t i = 0; i + 1 < nd; i++)
            line_add(&lines, i * NC + (size_t)c);
    }
    for (size_t i = 0; i < nd; i++) {
        line_begin(&lines);
        for (int c = 0; c < NC; c++)
            line_add(&lines, i * NC + (size_t)c);
    }
    if (lines.oom)
        goto out;
    for (size_t i = 0; i < nd; i++) {
        size_t slot = cube_device_slot(cube, i);
        bool empty = cube_cell_const(cube, slot, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0;
        for (int c = 0; c < NC; c++) {
            value[i * NC + (size_t)c] = data->reports[slot][c];
            fixed[i * NC + (size_t)c] = empty;
        }
    }
    if (run_table(sv, value, hidden, fixed, nd * NC, &lines) != 0)
        goto out;
    for (size_t i = 0; i < nd; i++) {
        for (int c = 0; c < NC; c++)
            sv->rep_hidden[cube_device_slot(cube, i)][c] = hidden[i * NC + (size_t)c];
    }
    lines_free(&lines);
    if (nm == 0) {
        rc = 0;
        goto out;
    }
    /* Table 2: row 0 all, row 1 no model, rows 2.. the pairs. */
    for (int c = 0; c < NC; c++) {
        line_begin(&lines);
        for (size_t i = 0; i < nm + 2; i++)
            line_add(&lines, i * NC + (size_t)c);
    }
    for (size_t i = 0; i < nm + 2; i++) {
        line_begin(&lines);
        for (int c = 0; c < NC; c++)
            line_add(&lines, i * NC + (size_t)c);
    }
    if (lines.oom)
        goto out;
    for (int c = 0; c < NC; c++) {
        value[c] = data->reports[CUBE_DEVICE_ALL][c];
        fixed[c] = true;
        hidden[c] = sv->rep_hidden[CUBE_DEVICE_ALL][c];
        value[NC + (size_t)c] = data->no_model_reports[c];
        fixed[NC + (size_t)c] = true;
        hidden[NC + (size_t)c] = data->no_model_reports[c] > 0;
        for (size_t m = 0; m < nm; m++) {
            value[(m + 2) * NC + (size_t)c] = data->models[m].reports[c];
            fixed[(m + 2) * NC + (size_t)c] = false;
            hidden[(m + 2) * NC + (size_t)c] = false;
        }
    }
    if (run_table(sv, value, hidden, fixed, (nm + 2) * NC, &lines) != 0)
        goto out;
    for (size_t m = 0; m < nm; m++) {
        for (int c = 0; c < NC; c++)
            sv->model_rep_hidden[m * NC + (size_t)c] = hidden[(m + 2) * NC + (size_t)c];
    }
    rc = 0;
out:
    free(value);
    free(hidden);
    free(fixed);
    lines_free(&lines);
    return rc;
}

bool sv_week_hidden(const sv_results_t *sv, size_t slot, int setting, size_t week, int c)
{
    size_t nw = sv->data->n_weeks, at = (slot * CUBE_SETTINGS + (size_t)setting) * nw + week;
    if (sv->suppress_below <= 0 || sv->week_t_hidden == NULL)
        return false;
    return c < 0 ? sv->week_t_hidden[at] : sv->week_c_hidden[at * NC + (size_t)c];
}

/* Is a count that is derived (not a cell of a suppressed table) small? */
static bool small(const sv_results_t *sv, int64_t n)
{
    return sv->suppress_below > 0 && n > 0 && n < sv->suppress_below;
}

static bool table_small(const sv_results_t *sv, nw_table2x2_t t)
{
    return small(sv, t.a) || small(sv, t.b) || small(sv, t.c) || small(sv, t.d);
}

/* Any hidden report count in a row of the report tables. */
static bool reports_hidden(const bool *row)
{
    for (int c = 0; c < NC; c++) {
        if (row[c])
            return true;
    }
    return false;
}

static int build_signals(const cube_t *cube, const sv_data_t *data, double z, sv_results_t *sv)
{
    const int64_t *all = data->reports[CUBE_DEVICE_ALL];
    bool hide_all = sv->suppress_below > 0 && reports_hidden(sv->rep_hidden[CUBE_DEVICE_ALL]);

    sv->signals = calloc(cube->n_devices * NC + 1, sizeof(*sv->signals));
    sv->model_signals = calloc(data->n_models * NC + 1, sizeof(*sv->model_signals));
    sv->rates = calloc(cube->n_devices * 2 * NC + 1, sizeof(*sv->rates));
    if (sv->signals == NULL || sv->model_signals == NULL || sv->rates == NULL)
        return -1;
    for (size_t d = 0; d < cube->n_devices; d++) {
        int64_t other[NC];
        bool hide = hide_all || (sv->suppress_below > 0 && reports_hidden(sv->rep_hidden[d]));
        if (cube_cell_const(cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        for (int c = 0; c < NC; c++)
            other[c] = all[c] - data->reports[d][c];
        for (int c = 1; c < NC; c++) {
            signal_row_t *row = &sv->signals[sv->n_signals++];
            row->device = d;
            signals_compute(row, c, data->reports[d], other, z);
            row->suppressed = hide || table_small(sv, row->table);
        }
    }
    for (size_t m = 0; m < data->n_models; m++) {
        const sv_model_t *mo = &data->models[m];
        int64_t other[NC];
        bool hide = hide_all ||
                    (sv->suppress_below > 0 && reports_hidden(&sv->model_rep_hidden[m * NC]));
        for (int c = 0; c < NC; c++)
            other[c] = all[c] - mo->reports[c];
        for (int c = 1; c < NC; c++) {
            signal_row_t *row = &sv->model_signals[sv->n_model_signals++];
            row->device = CUBE_DEVICE_ALL;
            row->manufacturer = mo->manufacturer;
            row->model = mo->model;
            signals_compute(row, c, mo->reports, other, z);
            row->suppressed = hide || table_small(sv, row->table);
        }
    }
    /* Rate comparison: each device type against all other device types,
     * home and clinic separately. */
    for (size_t d = 0; d < cube->n_devices; d++) {
        if (cube_cell_const(cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        for (int st = CUBE_SETTING_HOME; st <= CUBE_SETTING_CLINIC; st++) {
            const cube_cell_t *cell = cube_cell_const(cube, d, st, CUBE_SKIN_ALL);
            const cube_cell_t *tot = cube_cell_const(cube, CUBE_DEVICE_ALL, st, CUBE_SKIN_ALL);
            for (int c = 1; c < NC; c++) {
                rate_row_t *row = &sv->rates[sv->n_rates++];
                row->device = d;
                row->setting = st;
                row->complication = c;
                signals_rate(row, cell->treatments, cell->cases[c],
                             tot->treatments - cell->treatments, tot->cases[c] - cell->cases[c],
                             z);
                row->suppressed = sv->suppress_below > 0 &&
                                  (sv->t_hidden[d][st][CUBE_SKIN_ALL] ||
                                   sv->c_hidden[d][st][CUBE_SKIN_ALL][c] ||
                                   sv->t_hidden[CUBE_DEVICE_ALL][st][CUBE_SKIN_ALL] ||
                                   sv->c_hidden[CUBE_DEVICE_ALL][st][CUBE_SKIN_ALL][c] ||
                                   small(sv, row->other_treatments) ||
                                   small(sv, row->other_cases));
            }
        }
    }
    return 0;
}

int sv_build(const cube_t *cube, const sv_data_t *data, alert_params_t params,
             int64_t suppress_below, double z, sv_results_t *sv, char *errbuf, size_t errlen)
{
    memset(sv, 0, sizeof(*sv));
    sv->data = data;
    sv->alert_params = params;
    sv->suppress_below = suppress_below;
    if (suppress_below > 0) {
        if (suppress_cube(cube, sv) != 0 || suppress_weeks(cube, data, sv) != 0 ||
            suppress_reports(cube, data, sv) != 0)
            goto nomem;
    }
    if (build_signals(cube, data, z, sv) != 0)
        goto nomem;
    if (trends_alerts(cube, data, params, &sv->alerts, &sv->n_alerts) != 0)
        goto nomem;
    for (size_t i = 0; i < sv->n_alerts; i++) {
        alert_row_t *a = &sv->alerts[i];
        size_t b = params.ears.baseline;
        bool hide = sv_week_hidden(sv, a->device, a->setting, a->week, a->complication);
        for (size_t w = a->week - 2 - b; w <= a->week - 3; w++)
            hide |= sv_week_hidden(sv, a->device, a->setting, w, a->complication);
        a->suppressed = hide;
    }
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < NC; c++) {
            skin_trend_row_t *row = &sv->skin_trend[s][c];
            trends_skin(cube, s, c, row);
            for (int k = 0; k < 6 && suppress_below > 0; k++)
                row->suppressed |= sv->t_hidden[CUBE_DEVICE_ALL][s][k] ||
                                   sv->c_hidden[CUBE_DEVICE_ALL][s][k][c];
        }
    }
    return 0;
nomem:
    snprintf(errbuf, errlen, "out of memory computing the signals");
    return -1;
}

void sv_free(sv_results_t *sv)
{
    free(sv->signals);
    free(sv->model_signals);
    free(sv->alerts);
    free(sv->week_t_hidden);
    free(sv->week_c_hidden);
    free(sv->rates);
    free(sv->model_rep_hidden);
    memset(sv, 0, sizeof(*sv));
}

static bool side_hidden(const sv_results_t *sv, size_t d, int s, int k, int c)
{
    return sv->t_hidden[d][s][k] || sv->c_hidden[d][s][k][c];
}

void sv_apply_suppression(const sv_results_t *sv, analysis_t *analysis)
{
    const cube_t *cube = analysis->cube;
    if (sv->suppress_below <= 0)
        return;
    for (size_t i = 0; i < analysis->n_rates; i++) {
        analysis_rate_t *r = &analysis->rates[i];
        r->suppressed = side_hidden(sv, r->device, r->setting, r->skin, r->complication);
    }
    for (size_t i = 0; i < analysis->n_comparisons; i++) {
        analysis_comparison_t *cmp = &analysis->comparisons[i];
        cmp->suppressed =
            side_hidden(sv, cmp->device, CUBE_SETTING_HOME, cmp->skin, cmp->complication) ||
            side_hidden(sv, cmp->device, CUBE_SETTING_CLINIC, cmp->skin, cmp->complication);
    }
    for (int c = 0; c < NC; c++) {
        bool hide = false;
        for (size_t d = 0; d < cube->n_devices; d++) {
            for (int k = 0; k < CUBE_SKIN_ALL; k++)
                hide |= side_hidden(sv, d, CUBE_SETTING_HOME, k, c) ||
                        side_hidden(sv, d, CUBE_SETTING_CLINIC, k, c);
        }
        analysis->adjusted[c].suppressed = hide;
    }
}

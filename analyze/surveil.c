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
 *   the models   per device type and complication: the device's cube cell
 *                (fixed) = its models + its treatments naming no model
 *                (never published: hidden and fixed).
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

static int suppress_weeks(const cube_t *cube, const sv_data_t *data, sv_results_t *sv)
{
    size_t nd = cube->n_devices + 1, nw = data->n_weeks, cols = nw + 1, n = nd * cols;
    int64_t *value = NULL;
    bool *hidden = NULL, *fixed = NULL;
    lines_t lines = {0};
    int rc = -1;

    sv->week_t_hidden = calloc((CUBE_MAX_DEVICES + 1) * (nw ? nw : 1), sizeof(bool));
    sv->week_c_hidden = calloc((CUBE_MAX_DEVICES + 1) * (nw ? nw : 1) * NC, sizeof(bool));
    if (sv->week_t_hidden == NULL || sv->week_c_hidden == NULL)
        return -1;
    if (nw == 0)
        return 0;
    value = calloc(n, sizeof(*value));
    hidden = calloc(n, sizeof(*hidden));
    fixed = calloc(n, sizeof(*fixed));
    if (value == NULL || hidden == NULL || fixed == NULL)
        goto out;
    for (size_t w = 0; w < cols; w++) {
        line_begin(&lines);
        line_add(&lines, (nd - 1) * cols + w);
        for (size_t i = 0; i + 1 < nd; i++)
            line_add(&lines, i * cols + w);
    }
    for (size_t i = 0; i < nd; i++) {
        line_begin(&lines);
        line_add(&lines, i * cols + nw);
        for (size_t w = 0; w < nw; w++)
            line_add(&lines, i * cols + w);
    }
    if (lines.oom)
        goto out;
    for (int c = -1; c < NC; c++) {
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            const cube_cell_t *all = cube_cell_const(cube, slot, CUBE_SETTING_ALL, CUBE_SKIN_ALL);
            for (size_t w = 0; w < nw; w++) {
                value[i * cols + w] = c < 0 ? sv_week_treatments(data, slot, w)
                                            : sv_week_cases(data, slot, w, c);
                hidden[i * cols + w] = false;
                fixed[i * cols + w] = false;
            }
            value[i * cols + nw] = c < 0 ? all->treatments : all->cases[c];
            fixed[i * cols + nw] = true;
            hidden[i * cols + nw] = c < 0 ? sv->t_hidden[slot][CUBE_SETTING_ALL][CUBE_SKIN_ALL]
                                          : sv->c_hidden[slot][CUBE_SETTING_ALL][CUBE_SKIN_ALL][c];
        }
        if (run_table(sv, value, hidden, fixed, n, &lines) != 0)
            goto out;
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (size_t w = 0; w < nw; w++) {
                if (c < 0)
                    sv->week_t_hidden[slot * nw + w] = hidden[i * cols + w];
                else
                    sv->week_c_hidden[(slot * nw + w) * NC + (size_t)c] = hidden[i * cols + w];
            }
        }
    }
    rc = 0;
out:
    free(value);
    free(hidden);
    free(fixed);
    lines_free(&lines);
    return rc;
}

static int suppress_models(const cube_t *cube, const sv_data_t *data, sv_results_t *sv)
{
    size_t nm = data->n_models;
    int64_t value[2 + 1024];
    bool hidden[2 + 1024], fixed[2 + 1024];
    size_t idx[1024];

    sv->model_t_hidden = calloc(nm ? nm : 1, sizeof(bool));
    sv->model_c_hidden = calloc((nm ? nm : 1) * NC, sizeof(bool));
    if (sv->model_t_hidden == NULL || sv->model_c_hidden == NULL)
        return -1;
    for (size_t d = 0; d < cube->n_devices; d++) {
        size_t k = 0;
        for (size_t m = 0; m < nm && k < 1024; m++) {
            if (data->models[m].device == d)
                idx[k++] = m;
        }
        if (k == 0)
            continue;
        for (int c = -1; c < NC; c++) {
            const cube_cell_t *all = cube_cell_const(cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL);
            size_t cells[2 + 1024], start[2] = {0, k + 2};
            lines_t lines = {cells, k + 2, k + 2, start, 1, 2, false};
            /* cell 0: the device's total, 1: no model, 2..: the models */
            value[0] = c < 0 ? all->treatments : all->cases[c];
            fixed[0] = true;
            hidden[0] = c < 0 ? sv->t_hidden[d][CUBE_SETTING_ALL][CUBE_SKIN_ALL]
                              : sv->c_hidden[d][CUBE_SETTING_ALL][CUBE_SKIN_ALL][c];
            value[1] = c < 0 ? data->no_model_treatments[d] : data->no_model_cases[d][c];
            fixed[1] = true;
            hidden[1] = value[1] > 0; /* unpublished, so unknown unless it is empty */
            for (size_t j = 0; j < k + 2; j++)
                cells[j] = j;
            for (size_t j = 0; j < k; j++) {
                const sv_model_t *mo = &data->models[idx[j]];
                value[2 + j] = c < 0 ? mo->treatments : mo->cases[c];
                fixed[2 + j] = false;
                hidden[2 + j] = false;
            }
            if (run_table(sv, value, hidden, fixed, k + 2, &lines) != 0)
                return -1;
            for (size_t j = 0; j < k; j++) {
                if (c < 0)
                    sv->model_t_hidden[idx[j]] = hidden[2 + j];
                else
                    sv->model_c_hidden[idx[j] * NC + (size_t)c] = hidden[2 + j];
            }
        }
    }
    return 0;
}

bool sv_week_hidden(const sv_results_t *sv, size_t slot, size_t week, int c)
{
    size_t nw = sv->data->n_weeks;
    if (sv->suppress_below <= 0 || sv->week_t_hidden == NULL)
        return false;
    return c < 0 ? sv->week_t_hidden[slot * nw + week]
                 : sv->week_c_hidden[(slot * nw + week) * NC + (size_t)c];
}

/* Any hidden count among the treatments and the ten types of a cell. */
static bool cell_types_hidden(const sv_results_t *sv, size_t slot)
{
    if (sv->t_hidden[slot][CUBE_SETTING_ALL][CUBE_SKIN_ALL])
        return true;
    for (int c = 1; c < NC; c++) {
        if (sv->c_hidden[slot][CUBE_SETTING_ALL][CUBE_SKIN_ALL][c])
            return true;
    }
    return false;
}

static int build_signals(const cube_t *cube, const sv_data_t *data, double z, sv_results_t *sv)
{
    const cube_cell_t *all = cube_cell_const(cube, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_ALL);

    sv->signals = calloc(cube->n_devices * NC + 1, sizeof(*sv->signals));
    sv->model_signals = calloc(data->n_models * NC + 1, sizeof(*sv->model_signals));
    if (sv->signals == NULL || sv->model_signals == NULL)
        return -1;
    for (size_t d = 0; d < cube->n_devices; d++) {
        const cube_cell_t *cell = cube_cell_const(cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL);
        int64_t other[NC];
        if (cell->treatments == 0)
            continue;
        for (int c = 0; c < NC; c++)
            other[c] = all->cases[c] - cell->cases[c];
        for (int c = 1; c < NC; c++) {
            signal_row_t *row = &sv->signals[sv->n_signals++];
            row->device = d;
            signals_compute(row, c, cell->treatments, cell->cases,
                            all->treatments - cell->treatments, other, z);
            row->suppressed = sv->suppress_below > 0 &&
                              (cell_types_hidden(sv, d) || cell_types_hidden(sv, CUBE_DEVICE_ALL));
        }
    }
    for (size_t m = 0; m < data->n_models; m++) {
        const sv_model_t *mo = &data->models[m];
        const cube_cell_t *dev = cube_cell_const(cube, mo->device, CUBE_SETTING_ALL, CUBE_SKIN_ALL);
        int64_t other[NC];
        bool hide = false;
        if (mo->treatments == 0)
            continue;
        for (int c = 0; c < NC; c++)
            other[c] = dev->cases[c] - mo->cases[c];
        if (sv->suppress_below > 0) {
            hide = sv->model_t_hidden[m] || cell_types_hidden(sv, mo->device);
            for (int c = 1; c < NC; c++)
                hide |= sv->model_c_hidden[m * NC + (size_t)c];
        }
        for (int c = 1; c < NC; c++) {
            signal_row_t *row = &sv->model_signals[sv->n_model_signals++];
            row->device = mo->device;
            row->model = mo->model;
            signals_compute(row, c, mo->treatments, mo->cases, dev->treatments - mo->treatments,
                            other, z);
            row->suppressed = hide;
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
            suppress_models(cube, data, sv) != 0)
            goto nomem;
    }
    if (build_signals(cube, data, z, sv) != 0)
        goto nomem;
    if (trends_alerts(cube, data, params, &sv->alerts, &sv->n_alerts) != 0)
        goto nomem;
    for (size_t i = 0; i < sv->n_alerts; i++) {
        alert_row_t *a = &sv->alerts[i];
        size_t b = params.ears.baseline;
        bool hide = sv_week_hidden(sv, a->device, a->week, a->complication);
        for (size_t w = a->week - 2 - b; w <= a->week - 3; w++)
            hide |= sv_week_hidden(sv, a->device, w, a->complication);
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
    free(sv->model_t_hidden);
    free(sv->model_c_hidden);
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

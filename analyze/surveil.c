/*
 * surveil.c - signals, alerts, skin trends and suppression (see surveil.h).
 *
 * Suppression runs on three families of tables, each a suppress_table_t:
 *   the cube     treatments, and cases of each complication: cells
 *                (device incl. all) x (home, clinic, all) x (I..VI,
 *                unknown, all), lines along each dimension; cells with no
 *                treatment are public zeros (fixed). Derived counts: the
 *                rate comparison's other_treatments and other_cases (all
 *                devices minus this one, home and clinic);
 *   the weeks    per complication (and treatments): (device incl. all) x
 *                (each week, then the window total = the cube's cell, fixed
 *                with the cube's decision), lines per week over devices and
 *                per device over weeks;
 *                and (home, clinic, all), with lines over settings too;
 *   the reports  complication reports: (device incl. all) x (all types,
 *                each type); then (all, no model, each manufacturer x
 *                model pair) x types, the "all" row the same counts as the
 *                first table's (fixed with its decision). A signal row
 *                (device or pair D, type C) publishes a = cell (D, C) and,
 *                through a+b, a+c and a+b+c+d, the margins (D, all types),
 *                (all, C) and (all, all types): so a row is shown exactly
 *                when its cell is, b, c and d are derived counts of the
 *                cell, and a hidden margin hides every row through it
 *                (couple_margins). The "no model" row is never published:
 *                its small counts are hidden (fixed), the others are taken
 *                as known, which only makes the audit stricter.
 * The cube goes first, so the weeks see its decisions.
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

/* The shape of a report table (rows x (all types, each type), row
 * all_row the margin of the others): a signal row (i, c) of a row with
 * has_rows[i] publishes, besides its cell, the margins (i, all types),
 * (all, c) and (all, all types), through a+b, a+c and a+b+c+d. */
typedef struct {
    size_t rows, all_row;
    const bool *has_rows;
} report_shape_t;

/* Hides every signal row that would publish a hidden margin; returns
 * whether it hid anything. */
static bool couple_margins(const report_shape_t *shape, const bool *fixed, bool *hidden)
{
    const bool *all = &hidden[shape->all_row * CUBE_COMPLICATIONS];
    bool changed = false;
    for (size_t i = 0; i < shape->rows; i++) {
        const bool *row = &hidden[i * CUBE_COMPLICATIONS];
        if (i == shape->all_row || !shape->has_rows[i])
            continue;
        for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
            size_t at = i * CUBE_COMPLICATIONS + (size_t)c;
            if (!hidden[at] && !fixed[at] && (row[0] || all[c] || all[0])) {
                hidden[at] = true;
                changed = true;
            }
        }
    }
    return changed;
}

/* Runs suppression on one table (derived counts: n_derived of them, or
 * none; shape: a report table's, or NULL): primary, then complementary,
 * and for a report table the rows of hidden margins, until nothing
 * changes. Returns -1 when out of memory. */
static int run_table(sv_results_t *sv, const int64_t *value, bool *hidden, const bool *fixed,
                     size_t n, const lines_t *lines, const suppress_derived_t *derived,
                     size_t n_derived, const report_shape_t *shape)
{
    suppress_table_t t = {n,         value, hidden, fixed, lines->n_lines, lines->start,
                          lines->cells, n_derived, derived};
    int rc;
    suppress_primary(&t, sv->suppress_below);
    do {
        rc = suppress_complete(&t);
        if (rc < 0)
            return -1;
    } while (rc == 0 && shape != NULL && couple_margins(shape, fixed, hidden));
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

/* Is a count in 1..K-1 (always false when suppression is off)? */
static bool small(const sv_results_t *sv, int64_t n)
{
    return sv->suppress_below > 0 && n > 0 && n < sv->suppress_below;
}

/* Sets a derived count's terms (its value is set per table). */
static void derived_terms(suppress_derived_t *dv, size_t owner, size_t n, const size_t *cells,
                          const int *coef)
{
    dv->owner = owner;
    dv->value = 0;
    dv->n_terms = n;
    for (size_t j = 0; j < n; j++) {
        dv->cells[j] = cells[j];
        dv->coef[j] = coef[j];
    }
}

static int64_t derived_value(const suppress_derived_t *dv, const int64_t *value)
{
    int64_t v = 0;
    for (size_t j = 0; j < dv->n_terms; j++)
        v += dv->coef[j] * value[dv->cells[j]];
    return v;
}

static int suppress_cube(const cube_t *cube, sv_results_t *sv)
{
    size_t nd = cube->n_devices + 1, n = nd * CUBE_SETTINGS * CUBE_SKINS, n_derived = 0;
    int64_t *value = calloc(n, sizeof(*value));
    bool *hidden = calloc(n, sizeof(*hidden)), *fixed = calloc(n, sizeof(*fixed));
    suppress_derived_t *derived = calloc(2 * nd, sizeof(*derived));
    lines_t lines = {0};
    int rc = -1;

#define CELL(i, s, k) (((i) * CUBE_SETTINGS + (size_t)(s)) * CUBE_SKINS + (size_t)(k))
    if (value == NULL || hidden == NULL || fixed == NULL || derived == NULL)
        goto out;
    /* The rate comparison's "other" counts: all devices minus device i, in
     * home and in clinic (skin types together). */
    for (size_t i = 0; i + 1 < nd; i++) {
        for (int s = CUBE_SETTING_HOME; s <= CUBE_SETTING_CLINIC; s++) {
            size_t cells[2] = {CELL(nd - 1, s, CUBE_SKIN_ALL), CELL(i, s, CUBE_SKIN_ALL)};
            derived_terms(&derived[n_derived++], cells[1], 2, cells, (const int[]){1, -1});
        }
    }
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
                    /* No treatment: public zeros. The grand total of
                     * treatments is in "totals", published as it is. */
                    fixed[at] = cell->treatments == 0 ||
                                (c < 0 && i + 1 == nd && s == CUBE_SETTING_ALL &&
                                 k == CUBE_SKIN_ALL);
                    hidden[at] = fixed[at] && small(sv, value[at]);
                }
            }
        }
        for (size_t j = 0; j < n_derived; j++)
            derived[j].value = derived_value(&derived[j], value);
        if (run_table(sv, value, hidden, fixed, n, &lines, derived, n_derived, NULL) != 0)
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
    free(derived);
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
        if (run_table(sv, value, hidden, fixed, n, &lines, NULL, 0, NULL) != 0)
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

/* One table of report counts, rows x (all types, each type), with row
 * `all_row` the margin of the others: the lines (each type over the rows,
 * each row over the types), and for every inner cell of a row that has
 * signal rows (has_rows[i]) its b, c and d as derived counts. */
static int report_lines(size_t rows, size_t all_row, const bool *has_rows, lines_t *lines,
                        suppress_derived_t *derived, size_t *n_derived)
{
#define RCELL(i, c) ((i) * NC + (size_t)(c))
    *n_derived = 0;
    for (int c = 0; c < NC; c++) {
        line_begin(lines);
        line_add(lines, RCELL(all_row, c));
        for (size_t i = 0; i < rows; i++) {
            if (i != all_row)
                line_add(lines, RCELL(i, c));
        }
    }
    for (size_t i = 0; i < rows; i++) {
        line_begin(lines);
        for (int c = 0; c < NC; c++)
            line_add(lines, RCELL(i, c));
    }
    for (size_t i = 0; i < rows; i++) {
        if (i == all_row || !has_rows[i])
            continue;
        for (int c = 1; c < NC; c++) {
            size_t a = RCELL(i, c), row = RCELL(i, 0), col = RCELL(all_row, c);
            size_t tot = RCELL(all_row, 0);
            derived_terms(&derived[(*n_derived)++], a, 2, (const size_t[]){row, a},
                          (const int[]){1, -1});
            derived_terms(&derived[(*n_derived)++], a, 2, (const size_t[]){col, a},
                          (const int[]){1, -1});
            derived_terms(&derived[(*n_derived)++], a, 4, (const size_t[]){tot, row, col, a},
                          (const int[]){1, -1, -1, 1});
        }
    }
#undef RCELL
    return lines->oom ? -1 : 0;
}

/* The report counts (see the top of the file): first (device incl. all) x
 * (all types, each type), then (all, no model, each pair) x types. */
static int suppress_reports(const cube_t *cube, const sv_data_t *data, sv_results_t *sv)
{
    size_t nd = cube->n_devices + 1, nm = data->n_models, n_derived = 0;
    size_t rows = nd > nm + 2 ? nd : nm + 2, n = rows * NC;
    int64_t *value = calloc(n, sizeof(*value));
    bool *hidden = calloc(n, sizeof(*hidden)), *fixed = calloc(n, sizeof(*fixed));
    bool *has_rows = calloc(rows, sizeof(*has_rows));
    suppress_derived_t *derived = calloc(rows * 3 * NC, sizeof(*derived));
    report_shape_t shape;
    lines_t lines = {0};
    int rc = -1;

    sv->model_rep_hidden = calloc((nm ? nm : 1) * NC, sizeof(bool));
    if (value == NULL || hidden == NULL || fixed == NULL || has_rows == NULL ||
        derived == NULL || sv->model_rep_hidden == NULL)
        goto out;
    /* Table 1: devices; row nd - 1 is "all". A device with no treatment has
     * no signal row and only public zeros. */
    for (size_t i = 0; i < nd; i++) {
        size_t slot = cube_device_slot(cube, i);
        bool empty = cube_cell_const(cube, slot, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0;
        has_rows[i] = i + 1 < nd && !empty;
        for (int c = 0; c < NC; c++) {
            size_t at = i * NC + (size_t)c;
            value[at] = data->reports[slot][c];
            /* The grand total is "totals.complication_reports", public. */
            fixed[at] = empty || (i + 1 == nd && c == 0);
            hidden[at] = fixed[at] && small(sv, value[at]);
        }
    }
    if (report_lines(nd, nd - 1, has_rows, &lines, derived, &n_derived) != 0)
        goto out;
    for (size_t j = 0; j < n_derived; j++)
        derived[j].value = derived_value(&derived[j], value);
    shape = (report_shape_t){nd, nd - 1, has_rows};
    if (run_table(sv, value, hidden, fixed, nd * NC, &lines, derived, n_derived, &shape) != 0)
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
    /* Table 2: row 0 all (the same counts, fixed as table 1 decided), row 1
     * no model (never published: hidden when small, else taken as known),
     * rows 2.. the pairs. */
    for (int c = 0; c < NC; c++) {
        value[c] = data->reports[CUBE_DEVICE_ALL][c];
        fixed[c] = true;
        hidden[c] = sv->rep_hidden[CUBE_DEVICE_ALL][c];
        value[NC + (size_t)c] = data->no_model_reports[c];
        fixed[NC + (size_t)c] = true;
        hidden[NC + (size_t)c] = small(sv, data->no_model_reports[c]);
        for (size_t m = 0; m < nm; m++) {
            value[(m + 2) * NC + (size_t)c] = data->models[m].reports[c];
            fixed[(m + 2) * NC + (size_t)c] = false;
            hidden[(m + 2) * NC + (size_t)c] = false;
        }
    }
    for (size_t i = 0; i < nm + 2; i++)
        has_rows[i] = i >= 2;
    if (report_lines(nm + 2, 0, has_rows, &lines, derived, &n_derived) != 0)
        goto out;
    for (size_t j = 0; j < n_derived; j++)
        derived[j].value = derived_value(&derived[j], value);
    shape = (report_shape_t){nm + 2, 0, has_rows};
    if (run_table(sv, value, hidden, fixed, (nm + 2) * NC, &lines, derived, n_derived,
                  &shape) != 0)
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
    free(has_rows);
    free(derived);
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


static bool table_small(const sv_results_t *sv, nw_table2x2_t t)
{
    return small(sv, t.a) || small(sv, t.b) || small(sv, t.c) || small(sv, t.d);
}

/* Is the signal row (row of cells `row`, the "all" row `all`, type c)
 * hidden: its cell or one of the margins it publishes? */
static bool signal_hidden(const sv_results_t *sv, const bool *row, const bool *all, int c)
{
    return sv->suppress_below > 0 && (row[c] || row[0] || all[c] || all[0]);
}

static int build_signals(const cube_t *cube, const sv_data_t *data, double z, sv_results_t *sv)
{
    const int64_t *all = data->reports[CUBE_DEVICE_ALL];
    const bool *all_hidden = sv->rep_hidden[CUBE_DEVICE_ALL];

    sv->signals = calloc(cube->n_devices * NC + 1, sizeof(*sv->signals));
    sv->model_signals = calloc(data->n_models * NC + 1, sizeof(*sv->model_signals));
    sv->rates = calloc(cube->n_devices * 2 * NC + 1, sizeof(*sv->rates));
    if (sv->signals == NULL || sv->model_signals == NULL || sv->rates == NULL)
        return -1;
    for (size_t d = 0; d < cube->n_devices; d++) {
        int64_t other[NC];
        if (cube_cell_const(cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        for (int c = 0; c < NC; c++)
            other[c] = all[c] - data->reports[d][c];
        for (int c = 1; c < NC; c++) {
            signal_row_t *row = &sv->signals[sv->n_signals++];
            row->device = d;
            signals_compute(row, c, data->reports[d], other, z);
            row->suppressed = signal_hidden(sv, sv->rep_hidden[d], all_hidden, c) ||
                              table_small(sv, row->table);
        }
    }
    for (size_t m = 0; m < data->n_models; m++) {
        const sv_model_t *mo = &data->models[m];
        int64_t other[NC];
        for (int c = 0; c < NC; c++)
            other[c] = all[c] - mo->reports[c];
        for (int c = 1; c < NC; c++) {
            signal_row_t *row = &sv->model_signals[sv->n_model_signals++];
            row->device = CUBE_DEVICE_ALL;
            row->manufacturer = mo->manufacturer;
            row->model = mo->model;
            signals_compute(row, c, mo->reports, other, z);
            row->suppressed = signal_hidden(sv, &sv->model_rep_hidden[m * NC], all_hidden, c) ||
                              table_small(sv, row->table);
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

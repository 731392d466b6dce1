/*
 * tables.c - the disclosure tables of --suppress-below (see disclose.h):
 * each family of published counts is laid out as a table of cells and the
 * lines that add them up (suppress.h), suppressed, and its decisions kept
 * in the disclosure_t. Each table has an index helper (cube_at, week_at,
 * report_at) that says where a cell sits.
 */
#include "disclose/disclose.h"

#include <stdlib.h>
#include <string.h>

#include "disclose/suppress.h"

#define NC CUBE_COMPLICATIONS

/* ---- Building a table ---------------------------------------------- */

/* Lines grown one cell at a time, each line's total first. */
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

/* One table being suppressed: n cells in use (of the allocated ones), their
 * lines and derived counts. */
typedef struct {
    size_t n;
    int64_t *value;
    bool *hidden, *fixed;
    lines_t lines;
    suppress_derived_t *derived;
    size_t n_derived;
} work_t;

static bool work_init(work_t *w, size_t cells, size_t max_derived)
{
    memset(w, 0, sizeof(*w));
    w->n = cells;
    w->value = calloc(cells ? cells : 1, sizeof(*w->value));
    w->hidden = calloc(cells ? cells : 1, sizeof(*w->hidden));
    w->fixed = calloc(cells ? cells : 1, sizeof(*w->fixed));
    w->derived = calloc(max_derived ? max_derived : 1, sizeof(*w->derived));
    return w->value != NULL && w->hidden != NULL && w->fixed != NULL && w->derived != NULL;
}

static void work_free(work_t *w)
{
    free(w->value);
    free(w->hidden);
    free(w->fixed);
    free(w->derived);
    lines_free(&w->lines);
}

/* Sets the next derived count: owner, and value = sum of coef[j] * cell j
 * (computed when the table's values are in, by derived_values()). */
static void derived_add(work_t *w, size_t owner, size_t n, const size_t *cells, const int *coef)
{
    suppress_derived_t *dv = &w->derived[w->n_derived++];
    dv->owner = owner;
    dv->value = 0;
    dv->n_terms = n;
    for (size_t j = 0; j < n; j++) {
        dv->cells[j] = cells[j];
        dv->coef[j] = coef[j];
    }
}

static void derived_values(work_t *w)
{
    for (size_t i = 0; i < w->n_derived; i++) {
        suppress_derived_t *dv = &w->derived[i];
        dv->value = 0;
        for (size_t j = 0; j < dv->n_terms; j++)
            dv->value += dv->coef[j] * w->value[dv->cells[j]];
    }
}

/* The shape of a report table (rows x (all types, each type), row all_row
 * the margin of the others): a signal row (i, c) of a row with
 * has_rows[i] publishes, besides its cell, the margins (i, all types),
 * (all, c) and (all, all types), through a+b, a+c and a+b+c+d. */
typedef struct {
    size_t rows, all_row;
    const bool *has_rows;
} report_shape_t;

static size_t report_at(size_t row, int type)
{
    return row * NC + (size_t)type;
}

/* Where a model pair's count of a type sits in disclosure_t.models. */
static size_t model_at(size_t model, int type)
{
    return model * NC + (size_t)type;
}

/* Hides every signal row that would publish a hidden margin; returns
 * whether it hid anything. */
static bool couple_margins(const report_shape_t *shape, const work_t *w)
{
    const bool *all = &w->hidden[report_at(shape->all_row, CUBE_ANY)];
    bool changed = false;

    for (size_t i = 0; i < shape->rows; i++) {
        const bool *row = &w->hidden[report_at(i, CUBE_ANY)];
        if (i == shape->all_row || !shape->has_rows[i])
            continue;
        for (int c = 1; c < NC; c++) {
            size_t at = report_at(i, c);
            if (!w->hidden[at] && !w->fixed[at] && (row[0] || all[c] || all[0])) {
                w->hidden[at] = true;
                changed = true;
            }
        }
    }
    return changed;
}

/* Suppresses one table: primary, then complementary, and for a report
 * table (shape not NULL) the rows of hidden margins, until nothing
 * changes. A line that cannot be protected hides every cell that may be.
 * Returns -1 when out of memory. */
static int run_table(disclosure_t *d, work_t *w, const report_shape_t *shape)
{
    suppress_table_t t = {w->n, w->value, w->hidden, w->fixed, w->lines.n_lines,
                          w->lines.start, w->lines.cells, w->n_derived, w->derived};
    int rc;

    suppress_primary(&t, d->below);
    do {
        rc = suppress_complete(&t);
        if (rc < 0)
            return -1;
    } while (rc == 0 && shape != NULL && couple_margins(shape, w));
    if (rc == 1) {
        d->unprotectable_lines++;
        for (size_t i = 0; i < w->n; i++) {
            if (!w->fixed[i])
                w->hidden[i] = true;
        }
    }
    return 0;
}

/* ---- The cube ------------------------------------------------------- */

/* Row i of the table is device slot cube_device_slot(cube, i): the last,
 * nd - 1, is "all". */
static size_t cube_at(size_t i, int setting, int skin)
{
    return (i * CUBE_SETTINGS + (size_t)setting) * CUBE_SKINS + (size_t)skin;
}

/* The rate comparison's "other" counts: all devices minus device i, in
 * home and in clinic (skin types together). */
static void cube_derived(work_t *w, size_t nd)
{
    for (size_t i = 0; i + 1 < nd; i++) {
        for (int s = CUBE_SETTING_HOME; s <= CUBE_SETTING_CLINIC; s++) {
            size_t cells[2] = {cube_at(nd - 1, s, CUBE_SKIN_ALL), cube_at(i, s, CUBE_SKIN_ALL)};
            derived_add(w, cells[1], 2, cells, (const int[]){1, -1});
        }
    }
}

/* Lines over devices, over settings and over skin types. */
static void cube_lines(lines_t *lines, size_t nd)
{
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int k = 0; k < CUBE_SKINS; k++) {
            line_begin(lines);
            line_add(lines, cube_at(nd - 1, s, k));
            for (size_t i = 0; i + 1 < nd; i++)
                line_add(lines, cube_at(i, s, k));
        }
    }
    for (size_t i = 0; i < nd; i++) {
        for (int k = 0; k < CUBE_SKINS; k++) {
            line_begin(lines);
            line_add(lines, cube_at(i, CUBE_SETTING_ALL, k));
            line_add(lines, cube_at(i, CUBE_SETTING_HOME, k));
            line_add(lines, cube_at(i, CUBE_SETTING_CLINIC, k));
        }
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            line_begin(lines);
            line_add(lines, cube_at(i, s, CUBE_SKIN_ALL));
            for (int k = 0; k < CUBE_SKIN_ALL; k++)
                line_add(lines, cube_at(i, s, k));
        }
    }
}

/* The value of one count of a cell: its treatments, or its cases, serious
 * or missing-onset cases of complication count. */
static int64_t grid_value(const cube_cell_t *cell, disclose_kind_t kind, int count)
{
    if (count == DISCLOSE_TREATMENTS)
        return cell->treatments;
    switch (kind) {
    case DISCLOSE_SERIOUS:
        return cell->serious[count];
    case DISCLOSE_MISSING:
        return cell->missing[count];
    default:
        return cell->cases[count];
    }
}

/* The table of one count of cells laid out as the cube's. Cells with no
 * treatment are public zeros, and so is the grand total of treatments when
 * total_public (the cube's, published in "totals"). */
static void grid_values(const cube_t *cube, const cube_cells_t *cells, const disclosure_t *d,
                        disclose_kind_t kind, int count, bool total_public, work_t *w)
{
    size_t nd = cube->n_devices + 1;

    for (size_t i = 0; i < nd; i++) {
        size_t slot = cube_device_slot(cube, i);
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int k = 0; k < CUBE_SKINS; k++) {
                const cube_cell_t *cell = &cells[slot][s][k];
                size_t at = cube_at(i, s, k);
                bool total = total_public && count == DISCLOSE_TREATMENTS && i + 1 == nd &&
                             s == CUBE_SETTING_ALL && k == CUBE_SKIN_ALL;
                w->value[at] = grid_value(cell, kind, count);
                w->fixed[at] = cell->treatments == 0 || total;
                w->hidden[at] = w->fixed[at] && disclose_small(d, w->value[at]);
            }
        }
    }
    derived_values(w);
}

static int suppress_cube(const cube_t *cube, disclosure_t *d)
{
    size_t nd = cube->n_devices + 1;
    work_t w = {0}, plain = {0}; /* work_free() of both on every path */
    int rc = -1;

    if (!work_init(&w, nd * CUBE_SETTINGS * CUBE_SKINS, 2 * nd) ||
        !work_init(&plain, nd * CUBE_SETTINGS * CUBE_SKINS, 0))
        goto out;
    cube_derived(&w, nd);
    cube_lines(&w.lines, nd);
    cube_lines(&plain.lines, nd);
    if (w.lines.oom || plain.lines.oom)
        goto out;
    for (int count = DISCLOSE_TREATMENTS; count < NC; count++) {
        grid_values(cube, cube->cells, d, DISCLOSE_CASES, count, true, &w);
        if (run_table(d, &w, NULL) != 0)
            goto out;
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (int s = 0; s < CUBE_SETTINGS; s++) {
                for (int k = 0; k < CUBE_SKINS; k++)
                    d->cube[slot][s][k][count + 1] = w.hidden[cube_at(i, s, k)];
            }
        }
    }
    /* The serious cases: a table of their own per complication. */
    for (int c = 0; c < NC; c++) {
        grid_values(cube, cube->cells, d, DISCLOSE_SERIOUS, c, false, &plain);
        if (run_table(d, &plain, NULL) != 0)
            goto out;
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (int s = 0; s < CUBE_SETTINGS; s++) {
                for (int k = 0; k < CUBE_SKINS; k++)
                    d->serious[slot][s][k][c] = plain.hidden[cube_at(i, s, k)];
            }
        }
    }
    rc = 0;
out:
    work_free(&w);
    work_free(&plain);
    return rc;
}

/* ---- The risks -------------------------------------------------------- */

/* Each horizon's grid: its treatments, then the cases, serious cases and
 * missing-onset cases of each complication, one table each. */
static int suppress_risks(const cube_t *cube, const risks_t *risks, disclosure_t *d)
{
    size_t nd = cube->n_devices + 1;
    work_t w;
    int rc = -1;

    if (risks == NULL || risks->n_horizons == 0)
        return 0;
    d->risks = calloc(risks->n_horizons, sizeof(*d->risks));
    if (d->risks == NULL)
        return -1;
    d->n_horizons = risks->n_horizons;
    if (!work_init(&w, nd * CUBE_SETTINGS * CUBE_SKINS, 0))
        goto out;
    cube_lines(&w.lines, nd);
    if (w.lines.oom)
        goto out;
    for (size_t h = 0; h < risks->n_horizons; h++) {
        for (int kind = DISCLOSE_CASES; kind <= DISCLOSE_MISSING; kind++) {
            for (int count = kind == DISCLOSE_CASES ? DISCLOSE_TREATMENTS : 0; count < NC;
                 count++) {
                size_t at = count == DISCLOSE_TREATMENTS ? 0 : (size_t)(1 + kind * NC + count);
                grid_values(cube, risks->grids[h].cells, d, (disclose_kind_t)kind, count, false,
                            &w);
                if (run_table(d, &w, NULL) != 0)
                    goto out;
                for (size_t i = 0; i < nd; i++) {
                    size_t slot = cube_device_slot(cube, i);
                    for (int s = 0; s < CUBE_SETTINGS; s++) {
                        for (int k = 0; k < CUBE_SKINS; k++)
                            d->risks[h].hidden[slot][s][k][at] = w.hidden[cube_at(i, s, k)];
                    }
                }
            }
        }
    }
    /* The serious change: two periods, each hidden when small. */
    d->change_recent = disclose_small(d, risks->change.recent.treatments) ||
                       disclose_small(d, risks->change.recent.serious);
    d->change_previous = disclose_small(d, risks->change.previous.treatments) ||
                         disclose_small(d, risks->change.previous.serious);
    rc = 0;
out:
    work_free(&w);
    return rc;
}

/* ---- Data quality ----------------------------------------------------- */

/* One line: a public total and its parts (n values); hidden[i] the
 * decision for part i. */
static int quality_line(disclosure_t *d, int64_t total, const int64_t *parts, size_t n,
                        bool *hidden)
{
    work_t w;
    int rc = -1;

    if (!work_init(&w, n + 1, 0))
        goto out;
    w.value[0] = total;
    w.fixed[0] = true;
    w.hidden[0] = false;
    line_begin(&w.lines);
    line_add(&w.lines, 0);
    for (size_t i = 0; i < n; i++) {
        w.value[i + 1] = parts[i];
        line_add(&w.lines, i + 1);
    }
    if (w.lines.oom || run_table(d, &w, NULL) != 0)
        goto out;
    for (size_t i = 0; i < n; i++)
        hidden[i] = w.hidden[i + 1];
    rc = 0;
out:
    work_free(&w);
    return rc;
}

static int suppress_quality(const quality_t *q, disclosure_t *d)
{
    int64_t parts[QUALITY_MAX_REASONS + 1];
    bool hidden[QUALITY_MAX_REASONS + 1];

    if (q == NULL)
        return 0;
    parts[0] = q->no_model;
    parts[1] = q->treatments - q->no_model;
    if (quality_line(d, q->treatments, parts, 2, hidden) != 0)
        return -1;
    d->no_model = hidden[0];
    parts[0] = q->reports_no_onset;
    parts[1] = q->reports - q->reports_no_onset;
    if (quality_line(d, q->reports, parts, 2, hidden) != 0)
        return -1;
    d->no_onset = hidden[0];
    for (size_t b = 0; b < q->n_buckets; b++)
        parts[b] = q->buckets[b].treatments;
    if (quality_line(d, q->treatments, parts, q->n_buckets, d->lag_treatments) != 0)
        return -1;
    for (size_t b = 0; b < q->n_buckets; b++)
        parts[b] = q->buckets[b].reports;
    if (quality_line(d, q->reports, parts, q->n_buckets, d->lag_reports) != 0)
        return -1;
    for (size_t r = 0; r < q->n_reasons; r++)
        parts[r] = q->reasons[r].n;
    return quality_line(d, q->quarantined, parts, q->n_reasons, d->reasons);
}

/* ---- The weeks ------------------------------------------------------ */

/* Row i as in the cube; column w a week, column n_weeks the window total. */
static size_t week_at(size_t cols, size_t i, int setting, size_t week)
{
    return (i * CUBE_SETTINGS + (size_t)setting) * cols + week;
}

static void week_lines(lines_t *lines, size_t nd, size_t nw)
{
    size_t cols = nw + 1;

    for (int st = 0; st < CUBE_SETTINGS; st++) {
        for (size_t w = 0; w < cols; w++) {
            line_begin(lines);
            line_add(lines, week_at(cols, nd - 1, st, w));
            for (size_t i = 0; i + 1 < nd; i++)
                line_add(lines, week_at(cols, i, st, w));
        }
        for (size_t i = 0; i < nd; i++) {
            line_begin(lines);
            line_add(lines, week_at(cols, i, st, nw));
            for (size_t w = 0; w < nw; w++)
                line_add(lines, week_at(cols, i, st, w));
        }
    }
    for (size_t i = 0; i < nd; i++) {
        for (size_t w = 0; w < cols; w++) {
            line_begin(lines);
            line_add(lines, week_at(cols, i, CUBE_SETTING_ALL, w));
            line_add(lines, week_at(cols, i, CUBE_SETTING_HOME, w));
            line_add(lines, week_at(cols, i, CUBE_SETTING_CLINIC, w));
        }
    }
}

/* The weeks of one count; the window total is the cube's cell, fixed as
 * the cube decided; a series with no treatment is public zeros. */
static void week_values(const cube_t *cube, const weekly_t *weekly, const disclosure_t *d,
                        int count, work_t *w)
{
    size_t nd = cube->n_devices + 1, nw = weekly->n_weeks, cols = nw + 1;

    for (size_t i = 0; i < nd; i++) {
        size_t slot = cube_device_slot(cube, i);
        for (int st = 0; st < CUBE_SETTINGS; st++) {
            const cube_cell_t *all = cube_cell_const(cube, slot, st, CUBE_SKIN_ALL);
            size_t total = week_at(cols, i, st, nw);
            for (size_t k = 0; k < nw; k++) {
                size_t at = week_at(cols, i, st, k);
                w->value[at] = weekly_get(weekly, slot, st, count, k);
                w->hidden[at] = false;
                w->fixed[at] = all->treatments == 0;
            }
            w->value[total] = count == WEEKLY_TREATMENTS ? all->treatments : all->cases[count];
            w->fixed[total] = true;
            w->hidden[total] = disclose_cell(d, slot, st, CUBE_SKIN_ALL, count);
        }
    }
}

static int suppress_weeks(const cube_t *cube, const weekly_t *weekly, disclosure_t *d)
{
    size_t nd = cube->n_devices + 1, nw = weekly->n_weeks;
    work_t w;
    int rc = -1;

    if (nw == 0)
        return 0;
    d->weeks = calloc(weekly_size(nw), sizeof(*d->weeks));
    if (d->weeks == NULL)
        return -1;
    d->n_weeks = nw;
    if (!work_init(&w, nd * CUBE_SETTINGS * (nw + 1), 0))
        goto out;
    week_lines(&w.lines, nd, nw);
    if (w.lines.oom)
        goto out;
    for (int count = WEEKLY_TREATMENTS; count < NC; count++) {
        week_values(cube, weekly, d, count, &w);
        if (run_table(d, &w, NULL) != 0)
            goto out;
        for (size_t i = 0; i < nd; i++) {
            size_t slot = cube_device_slot(cube, i);
            for (int st = 0; st < CUBE_SETTINGS; st++) {
                for (size_t k = 0; k < nw; k++)
                    d->weeks[weekly_at(nw, slot, st, count, k)] =
                        w.hidden[week_at(nw + 1, i, st, k)];
            }
        }
    }
    rc = 0;
out:
    work_free(&w);
    return rc;
}

/* ---- The report counts ---------------------------------------------- */

/* The lines of a report table of `rows` rows (each type over the rows,
 * each row over the types), and for every inner cell of a row that has
 * signal rows its b, c and d as derived counts. */
static void report_lines(work_t *w, const report_shape_t *shape)
{
    size_t all_row = shape->all_row;

    w->n_derived = 0;
    for (int c = 0; c < NC; c++) {
        line_begin(&w->lines);
        line_add(&w->lines, report_at(all_row, c));
        for (size_t i = 0; i < shape->rows; i++) {
            if (i != all_row)
                line_add(&w->lines, report_at(i, c));
        }
    }
    for (size_t i = 0; i < shape->rows; i++) {
        line_begin(&w->lines);
        for (int c = 0; c < NC; c++)
            line_add(&w->lines, report_at(i, c));
    }
    for (size_t i = 0; i < shape->rows; i++) {
        if (i == all_row || !shape->has_rows[i])
            continue;
        for (int c = 1; c < NC; c++) {
            size_t a = report_at(i, c), row = report_at(i, CUBE_ANY), col = report_at(all_row, c);
            size_t tot = report_at(all_row, CUBE_ANY);
            derived_add(w, a, 2, (const size_t[]){row, a}, (const int[]){1, -1});
            derived_add(w, a, 2, (const size_t[]){col, a}, (const int[]){1, -1});
            derived_add(w, a, 4, (const size_t[]){tot, row, col, a}, (const int[]){1, -1, -1, 1});
        }
    }
}

/* Runs a report table whose values are in w. */
static int report_table(disclosure_t *d, work_t *w, size_t rows, size_t all_row,
                        const bool *has_rows)
{
    report_shape_t shape = {rows, all_row, has_rows};

    w->n = rows * NC;
    lines_free(&w->lines);
    report_lines(w, &shape);
    if (w->lines.oom)
        return -1;
    derived_values(w);
    return run_table(d, w, &shape);
}

/* Table 1: (device incl. all) x types; row nd - 1 is "all". A device with
 * no treatment has no signal row and only public zeros; the grand total is
 * "totals.complication_reports", public. */
static int report_devices(const cube_t *cube, const tally_t *tally, disclosure_t *d, work_t *w,
                          bool *has_rows)
{
    size_t nd = cube->n_devices + 1;

    for (size_t i = 0; i < nd; i++) {
        size_t slot = cube_device_slot(cube, i);
        bool empty = cube_cell_const(cube, slot, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0;
        has_rows[i] = i + 1 < nd && !empty;
        for (int c = 0; c < NC; c++) {
            size_t at = report_at(i, c);
            w->value[at] = tally->devices[slot][c];
            w->fixed[at] = empty || (i + 1 == nd && c == CUBE_ANY);
            w->hidden[at] = w->fixed[at] && disclose_small(d, w->value[at]);
        }
    }
    if (report_table(d, w, nd, nd - 1, has_rows) != 0)
        return -1;
    for (size_t i = 0; i < nd; i++) {
        for (int c = 0; c < NC; c++)
            d->reports[cube_device_slot(cube, i)][c] = w->hidden[report_at(i, c)];
    }
    return 0;
}

/* Table 2: row 0 all (table 1's counts, fixed as it decided), row 1 no
 * model (never published: hidden when small, else taken as known), rows
 * 2.. the pairs. */
static int report_models(const tally_t *tally, disclosure_t *d, work_t *w, bool *has_rows)
{
    size_t nm = tally->n_models;

    for (int c = 0; c < NC; c++) {
        w->value[report_at(0, c)] = tally->devices[CUBE_DEVICE_ALL][c];
        w->fixed[report_at(0, c)] = true;
        w->hidden[report_at(0, c)] = d->reports[CUBE_DEVICE_ALL][c];
        w->value[report_at(1, c)] = tally->no_model[c];
        w->fixed[report_at(1, c)] = true;
        w->hidden[report_at(1, c)] = disclose_small(d, tally->no_model[c]);
        for (size_t m = 0; m < nm; m++) {
            w->value[report_at(m + 2, c)] = tally->models[m].reports[c];
            w->fixed[report_at(m + 2, c)] = false;
            w->hidden[report_at(m + 2, c)] = false;
        }
    }
    for (size_t i = 0; i < nm + 2; i++)
        has_rows[i] = i >= 2;
    if (report_table(d, w, nm + 2, 0, has_rows) != 0)
        return -1;
    for (size_t m = 0; m < nm; m++) {
        for (int c = 0; c < NC; c++)
            d->models[model_at(m, c)] = w->hidden[report_at(m + 2, c)];
    }
    return 0;
}

static int suppress_reports(const cube_t *cube, const tally_t *tally, disclosure_t *d)
{
    size_t nd = cube->n_devices + 1, nm = tally->n_models;
    size_t rows = nd > nm + 2 ? nd : nm + 2;
    bool *has_rows = calloc(rows, sizeof(*has_rows));
    work_t w;
    int rc = -1;

    d->models = calloc((nm ? nm : 1) * NC, sizeof(*d->models));
    d->n_models = nm;
    if (!work_init(&w, rows * NC, rows * 3 * NC) || has_rows == NULL || d->models == NULL)
        goto out;
    if (report_devices(cube, tally, d, &w, has_rows) != 0)
        goto out;
    if (nm > 0 && report_models(tally, d, &w, has_rows) != 0)
        goto out;
    rc = 0;
out:
    free(has_rows);
    work_free(&w);
    return rc;
}

/* ---- The disclosure ------------------------------------------------- */

int disclose_build(const cube_t *cube, const weekly_t *weekly, const tally_t *tally,
                   const risks_t *risks, const quality_t *quality, int64_t below,
                   disclosure_t *disclosure)
{
    memset(disclosure, 0, sizeof(*disclosure));
    disclosure->below = below;
    if (below <= 0)
        return 0;
    if (suppress_cube(cube, disclosure) != 0 || suppress_weeks(cube, weekly, disclosure) != 0 ||
        suppress_reports(cube, tally, disclosure) != 0 ||
        suppress_risks(cube, risks, disclosure) != 0 || suppress_quality(quality, disclosure) != 0)
        return -1;
    return 0;
}

void disclose_free(disclosure_t *disclosure)
{
    free(disclosure->weeks);
    free(disclosure->models);
    free(disclosure->risks);
    disclosure->weeks = NULL;
    disclosure->models = NULL;
    disclosure->risks = NULL;
}

bool disclose_serious(const disclosure_t *d, size_t slot, int setting, int skin, int c)
{
    return d->below > 0 && d->serious[slot][setting][skin][c];
}

bool disclose_risk(const disclosure_t *d, size_t h, size_t slot, int setting, int skin,
                   disclose_kind_t kind, int c)
{
    size_t at = c == DISCLOSE_TREATMENTS ? 0 : (size_t)(1 + (int)kind * NC + c);
    return d->below > 0 && d->risks != NULL && h < d->n_horizons &&
           d->risks[h].hidden[slot][setting][skin][at];
}

bool disclose_small(const disclosure_t *d, int64_t n)
{
    return d->below > 0 && n > 0 && n < d->below;
}

bool disclose_cell(const disclosure_t *d, size_t slot, int setting, int skin, int count)
{
    return d->below > 0 && d->cube[slot][setting][skin][count + 1];
}

bool disclose_week(const disclosure_t *d, size_t slot, int setting, size_t week, int count)
{
    if (d->below <= 0 || d->weeks == NULL)
        return false;
    return d->weeks[weekly_at(d->n_weeks, slot, setting, count, week)];
}

bool disclose_report(const disclosure_t *d, size_t slot, int type)
{
    return d->below > 0 && d->reports[slot][type];
}

bool disclose_model(const disclosure_t *d, size_t model, int type)
{
    return d->below > 0 && d->models != NULL && d->models[model_at(model, type)];
}

/*
 * test_disclose.c - analyze/disclose/tables.c and mark.c on a small
 * population built to tempt: with suppression off nothing is hidden; with
 * K = 5 every count from 1 to 4 is hidden (cube, weeks, reports), public
 * zeros and the published grand total are not, no line of a table is left
 * with exactly one hidden cell (it could be subtracted back), and the rows
 * of rates, signals and trends that show a hidden count, or a number
 * computed from one, are marked (the alerts' own tables: test_disclose_alerts.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "disclose/disclose.h"

#define K 5
#define NW 4

typedef struct {
    cube_t *cube;
    weekly_t weekly;
    tally_t tally;
    disclosure_t d;
} fixture_t;

/* Base cells: device, setting, skin, treatments, cases of any and of type 1. */
static const struct {
    size_t device;
    int setting, skin;
    int64_t treatments, any, type1;
} cells[] = {
    {0, CUBE_SETTING_HOME, 1, 120, 30, 20},
    {0, CUBE_SETTING_HOME, 2, 3, 1, 1},     /* small: 3 treatments, 1 case */
    {0, CUBE_SETTING_CLINIC, 1, 200, 25, 10},
    {0, CUBE_SETTING_CLINIC, 2, 150, 12, 2}, /* 2 cases of type 1 */
    {1, CUBE_SETTING_HOME, 1, 90, 20, 15},
    {1, CUBE_SETTING_CLINIC, 2, 80, 9, 6},
    {2, CUBE_SETTING_CLINIC, 3, 4, 0, 0},    /* 4 treatments, no case */
    {4, CUBE_SETTING_HOME, 4, 60, 3, 3},     /* 3 reports of type 1, none other */
};

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    if (f == NULL || (f->cube = cube_new()) == NULL || !weekly_init(&f->weekly, 0, NW))
        return -1;
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        cube_cell_t *c = cube_cell(f->cube, cells[i].device, cells[i].setting, cells[i].skin);
        int64_t t = cells[i].treatments, a = cells[i].any, x = cells[i].type1;
        c->treatments = t;
        c->cases[CUBE_ANY] = a;
        c->cases[1] = x;
        /* Spread over the weeks: week 0 gets the remainder. */
        for (size_t w = 0; w < NW; w++) {
            int64_t tw = t / NW + (w == 0 ? t % NW : 0), aw = a / NW + (w == 0 ? a % NW : 0);
            int64_t xw = x / NW + (w == 0 ? x % NW : 0);
            weekly_add(&f->weekly, cells[i].device, cells[i].setting, WEEKLY_TREATMENTS, w, tw);
            weekly_add(&f->weekly, cells[i].device, cells[i].setting, CUBE_ANY, w, aw);
            weekly_add(&f->weekly, cells[i].device, cells[i].setting, 1, w, xw);
        }
        if (!tally_add(&f->tally, cells[i].device, "M", cells[i].device ? "big" : "small", 1,
                       x) ||
            !tally_add(&f->tally, cells[i].device, "M", cells[i].device ? "big" : "small", 2,
                       a - x))
            return -1;
    }
    cube_fill_margins(f->cube);
    f->cube->totals.treatments = 707;
    tally_sort(&f->tally);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    disclose_free(&f->d);
    tally_free(&f->tally);
    weekly_free(&f->weekly);
    cube_free(f->cube);
    free(f);
    return 0;
}

static void test_off(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(disclose_build(f->cube, &f->weekly, &f->tally, NULL, NULL, 0, &f->d), 0);
    assert_false(disclose_cell(&f->d, 0, CUBE_SETTING_HOME, 2, DISCLOSE_TREATMENTS));
    assert_false(disclose_week(&f->d, 0, CUBE_SETTING_HOME, 0, CUBE_ANY));
    assert_false(disclose_report(&f->d, 0, 1));
    assert_false(disclose_small(&f->d, 1));
    assert_null(f->d.weeks);
}

/* The count (DISCLOSE_TREATMENTS or c) of a cube cell. */
static int64_t count_of(const cube_t *cube, size_t d, int s, int k, int c)
{
    const cube_cell_t *cell = cube_cell_const(cube, d, s, k);
    return c == DISCLOSE_TREATMENTS ? cell->treatments : cell->cases[c];
}

static void test_cube(void **state)
{
    fixture_t *f = *state;
    const cube_t *cube = f->cube;
    assert_int_equal(disclose_build(cube, &f->weekly, &f->tally, NULL, NULL, K, &f->d), 0);
    assert_int_equal(f->d.below, K);
    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t d = cube_device_slot(cube, i);
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int k = 0; k < CUBE_SKINS; k++) {
                for (int c = DISCLOSE_TREATMENTS; c < CUBE_COMPLICATIONS; c++) {
                    int64_t v = count_of(cube, d, s, k, c);
                    bool hidden = disclose_cell(&f->d, d, s, k, c);
                    /* Every small count is hidden; no count of a group
                     * without treatments is. */
                    if (v > 0 && v < K)
                        assert_true(hidden);
                    if (count_of(cube, d, s, k, DISCLOSE_TREATMENTS) == 0)
                        assert_false(hidden);
                }
                /* all = home + clinic: never exactly one of three hidden. */
                if (s == 0) {
                    for (int c = DISCLOSE_TREATMENTS; c < CUBE_COMPLICATIONS; c++) {
                        int n = disclose_cell(&f->d, d, 0, k, c) +
                                disclose_cell(&f->d, d, 1, k, c) +
                                disclose_cell(&f->d, d, 2, k, c);
                        assert_int_not_equal(n, 1);
                    }
                }
            }
        }
    }
    /* The grand total of treatments is published. */
    assert_false(disclose_cell(&f->d, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_ALL,
                               DISCLOSE_TREATMENTS));
}

static void test_weeks_and_reports(void **state)
{
    fixture_t *f = *state;
    assert_int_equal(disclose_build(f->cube, &f->weekly, &f->tally, NULL, NULL, K, &f->d), 0);
    for (size_t d = 0; d < 3; d++) {
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int c = WEEKLY_TREATMENTS; c < CUBE_COMPLICATIONS; c++) {
                int hidden = 0;
                for (size_t w = 0; w < NW; w++) {
                    int64_t v = weekly_get(&f->weekly, d, s, c, w);
                    bool h = disclose_week(&f->d, d, s, w, c);
                    if (v > 0 && v < K)
                        assert_true(h);
                    hidden += h;
                }
                /* The weeks add up to the cube's cell, shown or hidden. */
                hidden += disclose_cell(&f->d, d, s, CUBE_SKIN_ALL, c);
                assert_int_not_equal(hidden, 1);
            }
        }
    }
    /* Reports: device 2 has none; device 0 has 23 + 4 of type 1, 2. */
    for (size_t d = 0; d < 2; d++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            int64_t v = f->tally.devices[d][c];
            if (v > 0 && v < K)
                assert_true(disclose_report(&f->d, d, c));
        }
    }
    assert_int_equal(f->d.n_models, 2);
}

static void test_marks(void **state)
{
    fixture_t *f = *state;
    rates_t rates;
    signals_t signals;
    trends_t trends;
    char err[128];

    assert_int_equal(disclose_build(f->cube, &f->weekly, &f->tally, NULL, NULL, K, &f->d), 0);
    assert_int_equal(rates_build(f->cube, &rates, err, sizeof(err)), 0);
    assert_int_equal(signals_build(f->cube, &f->tally, NW_Z95, &signals), 0);
    trends_build(f->cube, &trends);
    disclose_mark_rates(&f->d, &rates);
    disclose_mark_signals(&f->d, &signals);
    disclose_mark_trends(&f->d, &trends);
    /* A rate row is marked exactly when its treatments or cases are hidden. */
    for (size_t i = 0; i < rates.n_rates; i++) {
        const rate_t *r = &rates.rates[i];
        bool want = disclose_cell(&f->d, r->device, r->setting, r->skin, DISCLOSE_TREATMENTS) ||
                    disclose_cell(&f->d, r->device, r->setting, r->skin, r->complication);
        assert_int_equal(r->suppressed, want);
    }
    /* The small roller cell of skin II hides its rate rows... */
    assert_true(rates_find(&rates, 0, CUBE_SETTING_HOME, 2, CUBE_ANY)->suppressed);
    /* ...and every adjusted ratio, which reads every stratum. */
    assert_true(rates.adjusted[CUBE_ANY].suppressed);
    /* A signal row shows a, and b, c, d: it is marked when its report
     * count or a margin it adds up to is hidden, or one of them is small. */
    for (size_t i = 0; i < signals.n_devices; i++) {
        const signal_row_t *r = &signals.devices[i];
        int c = r->complication;
        bool want = disclose_report(&f->d, r->device, c) ||
                    disclose_report(&f->d, r->device, CUBE_ANY) ||
                    disclose_report(&f->d, CUBE_DEVICE_ALL, c) ||
                    disclose_report(&f->d, CUBE_DEVICE_ALL, CUBE_ANY) ||
                    disclose_small(&f->d, r->table.a) || disclose_small(&f->d, r->table.b) ||
                    disclose_small(&f->d, r->table.c) || disclose_small(&f->d, r->table.d);
        assert_int_equal(r->suppressed, want);
    }
    /* The other device's 3 reports of type 1 are hidden, and so is a
     * partner of theirs in the column of type 1, which shows no small
     * count itself. */
    assert_true(disclose_report(&f->d, 4, 1));
    {
        bool partner = false;
        for (size_t dev = 0; dev < 2; dev++)
            partner |= disclose_report(&f->d, dev, 1) && !disclose_small(&f->d, f->tally.devices[dev][1]);
        assert_true(partner);
    }
    /* Trends read the all-devices cells of I..VI. */
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            bool want = false;
            for (int k = 0; k < 6; k++)
                want |= disclose_cell(&f->d, CUBE_DEVICE_ALL, s, k, DISCLOSE_TREATMENTS) ||
                        disclose_cell(&f->d, CUBE_DEVICE_ALL, s, k, c);
            assert_int_equal(trends.skin[s][c].suppressed, want);
        }
    }
    signals_free(&signals);
    rates_free(&rates);
}

/* The risk grids and the serious cases: small counts hidden, none left
 * alone on a line; the data-quality lines: a small part hides a partner. */
static void test_risks_quality(void **state)
{
    fixture_t *f = *state;
    const cube_t *cube = f->cube;
    static risks_t risks;
    static quality_t quality;
    const int horizons[1] = {30};
    char err[128];

    assert_true(risks_init(&risks, "2024-06-01", horizons, 1));
    /* The grid: the cube's cells, half of them eligible; serious cases: 2
     * of device 0's home skin 1 (small), 7 of device 1's. */
    for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
        cube_cell_t *c = &risks.grids[0].cells[cells[i].device][cells[i].setting][cells[i].skin];
        c->treatments = cells[i].treatments / 2;
        c->cases[CUBE_ANY] = cells[i].any / 2;
        c->serious[CUBE_ANY] = c->cases[CUBE_ANY] / 3;
        c->missing[CUBE_ANY] = c->cases[CUBE_ANY] > 0;
    }
    /* A cell whose cases are shown and whose serious cases are small. */
    risks.grids[0].cells[1][CUBE_SETTING_HOME][1].serious[CUBE_ANY] = 2;
    cube_cells_fill_margins(risks.grids[0].cells, cube->n_devices);
    assert_int_equal(risks_build(cube, &risks, err, sizeof(err)), 0);
    quality = (quality_t){.treatments = 707, .no_model = 3, .reports = 100,
                          .reports_no_onset = 40, .n_buckets = 3, .quarantined = 12,
                          .n_reasons = 2};
    quality.buckets[0] = (quality_bucket_t){"a", 700, 96};
    quality.buckets[1] = (quality_bucket_t){"b", 5, 2};
    quality.buckets[2] = (quality_bucket_t){"c", 2, 2};
    quality.reasons[0] = (quality_reason_t){"message", 10, };
    quality.reasons[1] = (quality_reason_t){"type", 2};
    assert_int_equal(disclose_build(cube, &f->weekly, &f->tally, &risks, &quality, K, &f->d), 0);
    /* Every count of a grid in 1..K-1 is hidden, and no line has exactly
     * one hidden cell. */
    for (int kind = DISCLOSE_CASES; kind <= DISCLOSE_MISSING; kind++) {
        for (int c = kind == DISCLOSE_CASES ? DISCLOSE_TREATMENTS : 0; c <= CUBE_ANY; c++) {
            for (size_t i = 0; i <= cube->n_devices; i++) {
                size_t d = cube_device_slot(cube, i);
                for (int s = 0; s < CUBE_SETTINGS; s++) {
                    for (int k = 0; k < CUBE_SKINS; k++) {
                        const cube_cell_t *cell = &risks.grids[0].cells[d][s][k];
                        int64_t v = c == DISCLOSE_TREATMENTS ? cell->treatments
                                    : kind == DISCLOSE_CASES ? cell->cases[c]
                                    : kind == DISCLOSE_SERIOUS ? cell->serious[c]
                                                                : cell->missing[c];
                        if (v > 0 && v < K)
                            assert_true(disclose_risk(&f->d, 0, d, s, k, (disclose_kind_t)kind, c));
                    }
                    /* The line over skin types. */
                    int hidden = 0;
                    for (int k = 0; k < CUBE_SKINS; k++)
                        hidden += disclose_risk(&f->d, 0, d, s, k, (disclose_kind_t)kind, c);
                    assert_int_not_equal(hidden, 1);
                }
            }
        }
    }
    /* Rows are marked from the decisions. */
    disclose_mark_risks(&f->d, &risks);
    size_t serious_only = 0; /* rows shown whose serious cases are hidden */
    for (size_t i = 0; i < risks.n_rows; i++) {
        const risk_row_t *r = &risks.rows[i];
        if (r->cases > 0 && r->cases < K)
            assert_true(r->suppressed);
        if (r->serious > 0 && r->serious < K)
            assert_true(r->serious_suppressed);
        serious_only += !r->suppressed && r->serious_suppressed;
    }
    assert_true(serious_only > 0);
    /* Data quality: 3 treatments without a model is small, and so would be
     * its complement if it were shown... the complement is 704, shown. The
     * lag buckets 5 and 2: 2 is small, and a partner must go with it. */
    assert_true(f->d.no_model);
    assert_false(f->d.no_onset);
    assert_true(f->d.lag_treatments[2]);
    assert_true(f->d.lag_treatments[1]);
    assert_false(f->d.lag_treatments[0]);
    assert_true(f->d.lag_reports[1] && f->d.lag_reports[2]);
    assert_true(f->d.reasons[1] && f->d.reasons[0]); /* 2 is small, and 10 = 12 - 2 */
    risks_free(&risks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cube, setup, teardown),
        cmocka_unit_test_setup_teardown(test_weeks_and_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_marks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_risks_quality, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_risks.c - analyze/model/risks.c: the periods of the serious change
 * (the RISKS_PERIOD_DAYS days up to as-of - horizon and the span before,
 * cut by the window), one row per cell with an eligible treatment and per
 * complication with Wilson intervals for the cases and the serious cases,
 * the Katz ratio of the periods, and the rates' serious fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/rates.h"
#include "model/risks.h"

static void test_periods(void **state)
{
    char rf[11], rt[11], pf[11], pt[11];
    (void)state;
    /* As of 2024-06-30, 30 days: up to 2024-05-31, 90 days each. */
    risks_periods("2024-06-30", 30, NULL, NULL, rf, rt, pf, pt);
    assert_string_equal(rt, "2024-05-31");
    assert_string_equal(rf, "2024-03-03");
    assert_string_equal(pt, "2024-03-02");
    assert_string_equal(pf, "2023-12-04");
    /* A window that starts inside the previous period and ends before the
     * recent one does. */
    risks_periods("2024-06-30", 30, "2024-01-15", "2024-05-20", rf, rt, pf, pt);
    assert_string_equal(rf, "2024-03-03");
    assert_string_equal(rt, "2024-05-20");
    assert_string_equal(pf, "2024-01-15");
    assert_string_equal(pt, "2024-03-02");
    /* A window after the previous period: it is empty. */
    risks_periods("2024-06-30", 30, "2024-04-01", "", rf, rt, pf, pt);
    assert_string_equal(rf, "2024-04-01");
    assert_string_equal(pf, "");
    assert_string_equal(pt, "");
}

static void test_rows(void **state)
{
    static risks_t risks;
    const int horizons[2] = {30, 90};
    cube_t *cube = cube_new();
    char err[128];
    (void)state;
    assert_non_null(cube);
    assert_true(risks_init(&risks, "2024-06-30", horizons, 2));
    assert_int_equal(risks.n_horizons, 2);
    /* Horizon 30: 200 eligible home roller treatments of type II, 10 cases
     * of infection (type 1), 3 serious, 2 on a missing onset; horizon 90:
     * 150 of them, 8 cases. */
    cube_cell_t *c = &risks.grids[0].cells[0][CUBE_SETTING_HOME][1];
    c->treatments = 200;
    c->cases[CUBE_ANY] = c->cases[1] = 10;
    c->serious[CUBE_ANY] = c->serious[1] = 3;
    c->missing[CUBE_ANY] = c->missing[1] = 2;
    c = &risks.grids[1].cells[0][CUBE_SETTING_HOME][1];
    c->treatments = 150;
    c->cases[CUBE_ANY] = c->cases[1] = 8;
    for (size_t h = 0; h < 2; h++)
        cube_cells_fill_margins(risks.grids[h].cells, cube->n_devices);
    risks.change.recent = (risk_period_t){"2024-03-03", "2024-05-31", 100, 4, 0, 0, 0, false};
    risks.change.previous = (risk_period_t){"2023-12-04", "2024-03-02", 200, 2, 0, 0, 0, false};
    assert_int_equal(risks_build(cube, &risks, err, sizeof(err)), 0);
    /* Cells (roller, home, II), (roller, home, all), (roller, all, II),
     * (roller, all, all) and the same four for all device types: 8 cells
     * x 11 complications x 2 horizons. */
    assert_int_equal(risks.n_rows, 8 * CUBE_COMPLICATIONS * 2);
    const risk_row_t *r = risks_find(&risks, 30, CUBE_DEVICE_ALL, CUBE_SETTING_ALL,
                                     CUBE_SKIN_ALL, 1);
    assert_non_null(r);
    nw_proportion_t w = stats_wilson(10, 200, NW_Z95), sw = stats_wilson(3, 200, NW_Z95);
    assert_int_equal(r->treatments, 200);
    assert_int_equal(r->cases, 10);
    assert_int_equal(r->serious, 3);
    assert_int_equal(r->missing, 2);
    assert_true(r->rate == w.est && r->ci_low == w.lo && r->ci_high == w.hi);
    assert_true(r->serious_rate == sw.est && r->serious_ci_low == sw.lo &&
                r->serious_ci_high == sw.hi);
    r = risks_find(&risks, 90, 0, CUBE_SETTING_HOME, 1, 2);
    assert_non_null(r);
    assert_int_equal(r->treatments, 150);
    assert_int_equal(r->cases, 0);
    assert_null(risks_find(&risks, 90, 1, CUBE_SETTING_HOME, 1, 2)); /* no treatment */
    /* The change: (4/100) / (2/200) = 4, Katz interval. */
    nw_ratio_t rr = stats_risk_ratio(4, 100, 2, 200, NW_Z95);
    assert_true(risks.change.ratio.defined);
    assert_true(risks.change.ratio.est == rr.est && risks.change.ratio.lo == rr.lo);
    assert_true(risks.change.recent.rate == 0.04);
    risks_free(&risks);
    cube_free(cube);
}

/* The rates' serious fields: the serious cases of the cell, Wilson. */
static void test_rates_serious(void **state)
{
    cube_t *cube = cube_new();
    rates_t rates;
    char err[128];
    (void)state;
    assert_non_null(cube);
    cube_cell_t *c = cube_cell(cube, 3, CUBE_SETTING_CLINIC, 4);
    c->treatments = 80;
    c->cases[CUBE_ANY] = c->cases[4] = 9;
    c->serious[CUBE_ANY] = c->serious[4] = 5;
    cube_fill_margins(cube);
    assert_int_equal(rates_build(cube, &rates, err, sizeof(err)), 0);
    const rate_t *r = rates_find(&rates, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_ALL, 4);
    nw_proportion_t w = stats_wilson(5, 80, NW_Z95);
    assert_non_null(r);
    assert_int_equal(r->serious_cases, 5);
    assert_true(r->serious_rate == w.est && r->serious_ci_low == w.lo &&
                r->serious_ci_high == w.hi);
    r = rates_find(&rates, 3, CUBE_SETTING_CLINIC, 4, 1);
    assert_int_equal(r->serious_cases, 0);
    assert_true(r->serious_ci_low == 0.0);
    rates_free(&rates);
    cube_free(cube);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_periods),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_rates_serious),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

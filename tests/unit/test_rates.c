/*
 * test_rates.c - tests of analyze/model/rates.c on the hand-computed
 * dataset of tests/integration/t_analyze_basic.sh, as base cells:
 *   derma_roller home II:     2 treatments, any 1, infection 1, burn 1
 *   derma_roller clinic II:   1 treatment,  any 1, infection 1
 *   derma_roller clinic unknown: 1 treatment, no case
 *   microneedling_pen clinic V: 1 treatment, any 1, hyperpigmentation 1
 * Expected values are worked out in the comments (z = 1.959963984540054).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/rates.h"

#define TOL 1e-12

static cube_t *hand_cube(void)
{
    cube_t *cube = cube_new();
    cube_cell_t *cell;
    int inf = cube_complication_index("infection"), burn = cube_complication_index("burn");
    int hyp = cube_complication_index("hyperpigmentation");

    assert_non_null(cube);
    cell = cube_cell(cube, 0, CUBE_SETTING_HOME, 1);
    cell->treatments = 2;
    cell->cases[CUBE_ANY] = cell->cases[inf] = cell->cases[burn] = 1;
    cell = cube_cell(cube, 0, CUBE_SETTING_CLINIC, 1);
    cell->treatments = 1;
    cell->cases[CUBE_ANY] = cell->cases[inf] = 1;
    cube_cell(cube, 0, CUBE_SETTING_CLINIC, CUBE_SKIN_UNKNOWN)->treatments = 1;
    cell = cube_cell(cube, 2, CUBE_SETTING_CLINIC, 4);
    cell->treatments = 1;
    cell->cases[CUBE_ANY] = cell->cases[hyp] = 1;
    cube_fill_margins(cube);
    return cube;
}

static void assert_close(double got, double want)
{
    if (!(fabs(got - want) <= TOL * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void test_rates(void **state)
{
    (void)state;
    cube_t *cube = hand_cube();
    rates_t rates;
    char err[128];
    const rate_t *r;
    double z = 1.959963984540054;

    assert_int_equal(rates_build(cube, &rates, err, sizeof(err)), 0);
    /* Cells with a treatment: 4 base + margins = 22, times 11 complications. */
    assert_int_equal(rates.n_rates, 22 * CUBE_COMPLICATIONS);
    /* Report order: first row is the first device's home, skin II, any. */
    r = &rates.rates[0];
    assert_int_equal(r->device, 0);
    assert_int_equal(r->setting, CUBE_SETTING_HOME);
    assert_int_equal(r->skin, 1);
    assert_int_equal(r->complication, CUBE_ANY);
    /* ... and the last is all/all/all/other. */
    r = &rates.rates[rates.n_rates - 1];
    assert_int_equal(r->device, CUBE_DEVICE_ALL);
    assert_int_equal(r->setting, CUBE_SETTING_ALL);
    assert_int_equal(r->skin, CUBE_SKIN_ALL);
    assert_int_equal(r->complication, CUBE_COMPLICATIONS - 1);

    /* 1 of 2: 0.5 -+ z sqrt(1/8 + z^2/16) / (1 + z^2/2). */
    r = rates_find(&rates, 0, CUBE_SETTING_HOME, 1, CUBE_ANY);
    assert_non_null(r);
    assert_true(r->rate == 0.5);
    assert_close(r->ci_low, 0.5 - z * sqrt(0.125 + z * z / 16) / (1 + z * z / 2));
    assert_close(r->ci_high, 0.5 + z * sqrt(0.125 + z * z / 16) / (1 + z * z / 2));
    /* 3 of 5 overall (R1, R3, P1). */
    r = rates_find(&rates, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_ALL, CUBE_ANY);
    assert_int_equal(r->treatments, 5);
    assert_int_equal(r->cases, 3);
    assert_true(r->rate == 3.0 / 5.0);
    /* 0 of 1: exactly 0 .. z^2 / (1 + z^2). */
    r = rates_find(&rates, 0, CUBE_SETTING_CLINIC, CUBE_SKIN_UNKNOWN, CUBE_ANY);
    assert_true(r->ci_low == 0.0);
    assert_close(r->ci_high, z * z / (1 + z * z));
    /* No treatment, no row. */
    assert_null(rates_find(&rates, 2, CUBE_SETTING_HOME, CUBE_SKIN_ALL, CUBE_ANY));
    assert_null(rates_find(&rates, 1, CUBE_SETTING_ALL, CUBE_SKIN_ALL, CUBE_ANY));
    rates_free(&rates);
    rates_free(&rates); /* safe twice */
    cube_free(cube);
}

static void test_comparisons(void **state)
{
    (void)state;
    cube_t *cube = hand_cube();
    rates_t rates;
    char err[128];
    const rate_comparison_t *cmp;
    double z = 1.959963984540054, se;

    assert_int_equal(rates_build(cube, &rates, err, sizeof(err)), 0);
    /* Both settings present: roller II, roller all, all II, all all. */
    assert_int_equal(rates.n_comparisons, 4 * CUBE_COMPLICATIONS);
    /* all/all any: (1/2) / (2/3) = 0.75, se = sqrt(1 - 1/2 + 1/2 - 1/3). */
    cmp = rates_find_comparison(&rates, CUBE_DEVICE_ALL, CUBE_SKIN_ALL, CUBE_ANY);
    assert_non_null(cmp);
    assert_true(cmp->defined);
    assert_int_equal(cmp->home.treatments, 2);
    assert_int_equal(cmp->clinic.cases, 2);
    se = sqrt(1.0 - 0.5 + 0.5 - 1.0 / 3.0);
    assert_close(cmp->rate_ratio, 0.75);
    assert_close(cmp->ci_low, 0.75 * exp(-z * se));
    assert_close(cmp->ci_high, 0.75 * exp(z * se));
    /* burn: no clinic case -> undefined, NaN fields. */
    cmp = rates_find_comparison(&rates, CUBE_DEVICE_ALL, CUBE_SKIN_ALL,
                                   cube_complication_index("burn"));
    assert_false(cmp->defined);
    assert_true(isnan(cmp->rate_ratio) && isnan(cmp->ci_low) && isnan(cmp->ci_high));
    /* No home pen treatment: no comparison at all. */
    assert_null(rates_find_comparison(&rates, 2, CUBE_SKIN_ALL, CUBE_ANY));
    assert_null(rates_find_comparison(&rates, CUBE_DEVICE_ALL, CUBE_SKIN_UNKNOWN, CUBE_ANY));
    rates_free(&rates);
    cube_free(cube);
}

static void test_adjusted(void **state)
{
    (void)state;
    cube_t *cube = hand_cube();
    rates_t rates;
    char err[128];
    double z = 1.959963984540054;
    const rate_adjusted_t *adj;

    assert_int_equal(rates_build(cube, &rates, err, sizeof(err)), 0);
    /* One stratum with both settings (roller, II): a=1 n1=2 c=1 n2=1 N=3;
     * R = 1/3, S = 2/3, MH = 0.5; Var = ((2*1*2 - 1*1*3)/9) / (2/9) = 0.5. */
    adj = &rates.adjusted[CUBE_ANY];
    assert_true(adj->defined);
    assert_int_equal(adj->strata_used, 1);
    assert_close(adj->mh_rate_ratio, 0.5);
    assert_close(adj->ci_low, 0.5 * exp(-z * sqrt(0.5)));
    assert_close(adj->ci_high, 0.5 * exp(z * sqrt(0.5)));
    /* hyperpigmentation: its only case is in a clinic-only stratum. */
    adj = &rates.adjusted[cube_complication_index("hyperpigmentation")];
    assert_false(adj->defined);
    assert_int_equal(adj->strata_used, 1);
    assert_true(isnan(adj->mh_rate_ratio));
    rates_free(&rates);
    cube_free(cube);
}

static void test_empty(void **state)
{
    (void)state;
    cube_t *cube = cube_new();
    rates_t rates;
    char err[128];

    assert_non_null(cube);
    cube_fill_margins(cube);
    assert_int_equal(rates_build(cube, &rates, err, sizeof(err)), 0);
    assert_int_equal(rates.n_rates, 0);
    assert_int_equal(rates.n_comparisons, 0);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        assert_false(rates.adjusted[c].defined);
        assert_int_equal(rates.adjusted[c].strata_used, 0);
    }
    rates_free(&rates);
    cube_free(cube);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_comparisons),
        cmocka_unit_test(test_adjusted),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

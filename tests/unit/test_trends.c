/*
 * test_trends.c - analyze/model/trends.c: the skin trend rows take the
 * all-devices cells of types I..VI (unknown left out), setting by setting,
 * and their test is stats_cochran_armitage on them; a rate that rises with
 * the skin type gives a positive z. The per-device rows take that device's
 * cells; the adjusted trend is stats_mantel_trend over the device types
 * (and the settings, for both together), so a device mix that differs by
 * skin type makes the pooled trend clear and the adjusted one not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "model/trends.h"

static void test_skin(void **state)
{
    cube_t *cube = cube_new();
    static trends_t trends;
    nw_trend_group_t groups[6];
    nw_trend_t want;
    (void)state;
    assert_non_null(cube);
    /* Home: 100 treatments per type, hyperpigmentation (3) rising 1..11;
     * 50 of unknown type with 40 cases, which must not count. */
    for (int k = 0; k < 6; k++) {
        cube_cell_t *cell = cube_cell(cube, 1, CUBE_SETTING_HOME, k);
        cell->treatments = 100;
        cell->cases[3] = cell->cases[CUBE_ANY] = 1 + 2 * k;
        groups[k] = (nw_trend_group_t){1 + 2 * k, 100, (double)(k + 1)};
    }
    cube_cell(cube, 1, CUBE_SETTING_HOME, CUBE_SKIN_UNKNOWN)->treatments = 50;
    cube_cell(cube, 1, CUBE_SETTING_HOME, CUBE_SKIN_UNKNOWN)->cases[3] = 40;
    cube_fill_margins(cube);
    trends_build(cube, &trends);
    want = stats_cochran_armitage(groups, 6);
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            assert_int_equal(trends.skin[s][c].setting, s);
            assert_int_equal(trends.skin[s][c].complication, c);
            assert_false(trends.skin[s][c].suppressed);
        }
    }
    /* Home and "all" see the same cells (no clinic treatment). */
    for (int s = CUBE_SETTING_HOME; s <= CUBE_SETTING_ALL; s += CUBE_SETTING_ALL) {
        const skin_trend_row_t *r = &trends.skin[s][3];
        assert_true(r->trend.defined);
        assert_true(r->trend.z == want.z && r->trend.p == want.p);
        assert_true(r->trend.z > 0 && r->trend.p < 0.05);
        assert_int_equal(r->treatments[5], 100);
        assert_int_equal(r->cases[5], 11);
    }
    /* No clinic treatment: nothing to test. */
    assert_false(trends.skin[CUBE_SETTING_CLINIC][3].trend.defined);
    /* A type without cases: no trend either. */
    assert_false(trends.skin[CUBE_SETTING_HOME][1].trend.defined &&
                 trends.skin[CUBE_SETTING_HOME][1].trend.p < 0.05);
    cube_free(cube);
}

/* Device 3 (rf) is used mostly on dark skin and has ten times the risk of
 * burns; within each device the risk does not depend on the skin type. */
static void test_confounded(void **state)
{
    static const int64_t n_pen[6] = {400, 600, 500, 300, 200, 150};
    static const int64_t n_rf[6] = {20, 40, 60, 80, 120, 160};
    static const int64_t c_pen[6] = {2, 3, 2, 1, 1, 0};
    static const int64_t c_rf[6] = {1, 2, 3, 4, 6, 8};
    cube_t *cube = cube_new();
    trends_t *trends = malloc(sizeof(*trends));
    nw_trend_group_t groups[12];
    (void)state;
    assert_non_null(cube);
    assert_non_null(trends);
    for (int k = 0; k < 6; k++) {
        cube_cell_t *pen = cube_cell(cube, 2, CUBE_SETTING_CLINIC, k);
        cube_cell_t *rf = cube_cell(cube, 3, CUBE_SETTING_CLINIC, k);
        pen->treatments = n_pen[k];
        pen->cases[4] = pen->cases[CUBE_ANY] = c_pen[k];
        rf->treatments = n_rf[k];
        rf->cases[4] = rf->cases[CUBE_ANY] = c_rf[k];
        groups[k] = (nw_trend_group_t){(long)c_pen[k], (long)n_pen[k], (double)(k + 1)};
        groups[6 + k] = (nw_trend_group_t){(long)c_rf[k], (long)n_rf[k], (double)(k + 1)};
    }
    cube_fill_margins(cube);
    trends_build(cube, trends);
    /* Pooled: rising, clearly. */
    assert_true(trends->skin[CUBE_SETTING_CLINIC][4].trend.defined);
    assert_true(trends->skin[CUBE_SETTING_CLINIC][4].trend.z > 0);
    assert_true(trends->skin[CUBE_SETTING_CLINIC][4].trend.p < 0.05);
    assert_string_equal(trends_direction(&trends->skin[CUBE_SETTING_CLINIC][4].trend),
                        "rising with skin type");
    /* Per device: that device's cells and Cochran-Armitage on them. */
    for (int d = 2; d <= 3; d++) {
        const skin_trend_row_t *r = trends_row(trends, (size_t)d, CUBE_SETTING_CLINIC, 4);
        nw_trend_t want = stats_cochran_armitage(&groups[(d - 2) * 6], 6);
        assert_int_equal(r->device, d);
        assert_int_equal(r->treatments[5], d == 2 ? 150 : 160);
        assert_true(r->trend.z == want.z && r->trend.p == want.p);
    }
    /* Adjusted: the Mantel extension test over the two devices with
     * treatments (the others are strata without information). */
    nw_mantel_trend_t want = stats_mantel_trend(groups, 2, 6);
    const skin_trend_adjusted_t *adj = &trends->adjusted[CUBE_SETTING_CLINIC][4];
    assert_int_equal(adj->strata, cube->n_devices);
    assert_int_equal(adj->mantel.strata_used, 2);
    assert_true(adj->mantel.trend.z == want.trend.z && adj->mantel.trend.p == want.trend.p);
    assert_true(adj->mantel.trend.p >= 0.05);
    /* Both settings: strata are device x setting; home has no treatment. */
    adj = &trends->adjusted[CUBE_SETTING_ALL][4];
    assert_int_equal(adj->strata, 2 * cube->n_devices);
    assert_true(adj->mantel.trend.z == want.trend.z);
    free(trends);
    cube_free(cube);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skin),
        cmocka_unit_test(test_confounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

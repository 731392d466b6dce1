/*
 * test_trends.c - analyze/model/trends.c: the skin trend rows take the
 * all-devices cells of types I..VI (unknown left out), setting by setting,
 * and their test is stats_cochran_armitage on them; a rate that rises with
 * the skin type gives a positive z.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/trends.h"

static void test_skin(void **state)
{
    cube_t *cube = cube_new();
    trends_t trends;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_weekly.c - analyze/model/weekly.c: the layout of the weekly series
 * (each series contiguous, weekly_at() the one index), weekly_add() into a
 * base series and its three margins, and the list of series the alerts
 * read, in report order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "model/weekly.h"

static void test_layout(void **state)
{
    size_t nw = 5;
    (void)state;
    /* Weeks of one series are adjacent; series follow one another. */
    assert_int_equal(weekly_at(nw, 0, 0, WEEKLY_TREATMENTS, 0), 0);
    assert_int_equal(weekly_at(nw, 0, 0, WEEKLY_TREATMENTS, 4), 4);
    assert_int_equal(weekly_at(nw, 0, 0, CUBE_ANY, 0), 5);
    assert_int_equal(weekly_at(nw, 0, 1, WEEKLY_TREATMENTS, 0), WEEKLY_COUNTS * nw);
    assert_int_equal(weekly_at(nw, 1, 0, WEEKLY_TREATMENTS, 0), CUBE_SETTINGS * WEEKLY_COUNTS * nw);
    assert_int_equal(weekly_at(nw, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_COMPLICATIONS - 1,
                               nw - 1),
                     weekly_size(nw) - 1);
}

static void test_add(void **state)
{
    weekly_t w;
    (void)state;
    assert_false(weekly_init(&w, 0, WEEKLY_MAX_WEEKS + 1));
    assert_true(weekly_init(&w, 19723, 4)); /* 2024-01-01, a Monday */
    weekly_add(&w, 2, CUBE_SETTING_HOME, WEEKLY_TREATMENTS, 1, 10);
    weekly_add(&w, 2, CUBE_SETTING_CLINIC, WEEKLY_TREATMENTS, 1, 5);
    weekly_add(&w, 0, CUBE_SETTING_HOME, WEEKLY_TREATMENTS, 1, 7);
    weekly_add(&w, 2, CUBE_SETTING_HOME, 3, 1, 2);
    static const struct {
        size_t slot;
        int setting, count;
        size_t week;
        int64_t want;
    } cases[] = {
        {2, CUBE_SETTING_HOME, WEEKLY_TREATMENTS, 1, 10},
        {2, CUBE_SETTING_CLINIC, WEEKLY_TREATMENTS, 1, 5},
        {2, CUBE_SETTING_ALL, WEEKLY_TREATMENTS, 1, 15},
        {CUBE_DEVICE_ALL, CUBE_SETTING_HOME, WEEKLY_TREATMENTS, 1, 17},
        {CUBE_DEVICE_ALL, CUBE_SETTING_ALL, WEEKLY_TREATMENTS, 1, 22},
        {CUBE_DEVICE_ALL, CUBE_SETTING_ALL, WEEKLY_TREATMENTS, 0, 0},
        {2, CUBE_SETTING_HOME, 3, 1, 2},
        {2, CUBE_SETTING_ALL, 3, 1, 2},
        {CUBE_DEVICE_ALL, CUBE_SETTING_HOME, 3, 1, 2},
        {CUBE_DEVICE_ALL, CUBE_SETTING_CLINIC, 3, 1, 0},
        {2, CUBE_SETTING_HOME, CUBE_ANY, 1, 0}, /* "any" is loaded, never summed */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(weekly_get(&w, cases[i].slot, cases[i].setting, cases[i].count,
                                    cases[i].week),
                         cases[i].want);
    assert_int_equal(weekly_monday(&w, 3), 19723 + 21);
    weekly_free(&w);
    assert_null(w.counts);
    assert_true(weekly_init(&w, 0, 0));
    assert_null(w.counts);
    weekly_free(&w);
}

static void test_list(void **state)
{
    cube_t *cube = cube_new();
    weekly_t w;
    weekly_series_t *series;
    size_t n;
    (void)state;
    assert_non_null(cube);
    assert_true(weekly_init(&w, 0, 3));
    weekly_add(&w, 1, CUBE_SETTING_CLINIC, 4, 2, 9);
    weekly_add(&w, 1, CUBE_SETTING_CLINIC, WEEKLY_TREATMENTS, 2, 30);
    n = weekly_series_count(cube);
    assert_int_equal(n, (cube->n_devices + 1) * CUBE_SETTINGS * CUBE_COMPLICATIONS);
    series = calloc(n, sizeof(*series));
    assert_non_null(series);
    weekly_list(&w, cube, series);
    /* Device slots in cube order then all, settings, complications. */
    assert_int_equal(series[0].device, 0);
    assert_int_equal(series[0].setting, CUBE_SETTING_HOME);
    assert_int_equal(series[0].complication, CUBE_ANY);
    assert_int_equal(series[n - 1].device, CUBE_DEVICE_ALL);
    assert_int_equal(series[n - 1].setting, CUBE_SETTING_ALL);
    assert_int_equal(series[n - 1].complication, CUBE_COMPLICATIONS - 1);
    {
        const weekly_series_t *s = &series[(1 * CUBE_SETTINGS + CUBE_SETTING_CLINIC) *
                                               CUBE_COMPLICATIONS + 4];
        assert_int_equal(s->device, 1);
        assert_int_equal(s->complication, 4);
        assert_int_equal(s->cases[2], 9);
        assert_int_equal(s->cases[1], 0);
        assert_int_equal(s->treatments[2], 30);
    }
    free(series);
    weekly_free(&w);
    cube_free(cube);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

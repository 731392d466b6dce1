/*
 * test_alerts.c - table-driven tests of analyze/model/alerts.c (EARS C2 on
 * weekly series): which weeks alert for series worked out by hand, the
 * rule of at least min_cases cases, the history a week needs, the row's
 * labels and numbers, and the order of the rows.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/alerts.h"

#define NW 12

static void test_weeks(void **state)
{
    /* Baseline 7: week t is judged on weeks t-9 .. t-3, so from week 9 on. */
    static const struct {
        const char *what;
        int64_t cases[NW];
        size_t baseline;
        int64_t min_cases;
        const char *weeks; /* the alerting weeks, "" for none */
    } cases[] = {
        {"a burst after zeros", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0}, 7, 3, "10"},
        {"too few cases to alert", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0}, 7, 3, ""},
        {"too few cases, rule lowered", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0}, 7, 1, "10"},
        {"no history yet", {0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0}, 7, 3, ""},
        /* Reference 3,4,3,4,3,4,3: mean 3.43, sd 0.53, bound 5.08. */
        {"noise", {3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 4}, 7, 3, ""},
        {"a burst over noise", {3, 4, 3, 4, 3, 4, 3, 4, 3, 4, 3, 20}, 7, 3, "11"},
        /* The guard band: week 10's burst is not in week 11's reference
         * (weeks 2..8), nor week 12's; a shorter baseline judges earlier. */
        {"a shorter baseline", {0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0}, 3, 3, "5"},
        {"two bursts", {0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 8, 0}, 7, 3, "9 10"},
    };
    int64_t treatments[NW];
    (void)state;
    for (size_t w = 0; w < NW; w++)
        treatments[w] = 100;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        weekly_series_t series = {3, CUBE_SETTING_HOME, 1, cases[i].cases, treatments};
        alert_params_t params = {{cases[i].baseline, 0.001, 0.0}, cases[i].min_cases};
        alerts_t alerts;
        char got[64] = "";
        assert_int_equal(alerts_detect(&series, 1, NW, params, &alerts), 0);
        for (size_t k = 0; k < alerts.n; k++) {
            const alert_row_t *a = &alerts.rows[k];
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%zu", k ? " " : "",
                     a->week);
            assert_int_equal(a->device, 3);
            assert_int_equal(a->setting, CUBE_SETTING_HOME);
            assert_int_equal(a->complication, 1);
            assert_false(a->suppressed);
            assert_true(a->ears.alarm && a->ears.defined);
            assert_true(a->ears.observed == (double)cases[i].cases[a->week]);
        }
        if (strcmp(got, cases[i].weeks) != 0)
            fail_msg("%s: alerts in weeks \"%s\", expected \"%s\"", cases[i].what, got,
                     cases[i].weeks);
        alerts_free(&alerts);
    }
}

/* The numbers of a row are stats_ears_c2's for that week. */
static void test_numbers_and_order(void **state)
{
    static const int64_t burst[NW] = {1, 2, 1, 0, 2, 1, 1, 2, 1, 1, 12, 1};
    static const int64_t flat[NW] = {0};
    int64_t treatments[NW] = {0};
    long as_long[NW];
    weekly_series_t series[3] = {
        {0, CUBE_SETTING_HOME, CUBE_ANY, burst, treatments},
        {0, CUBE_SETTING_CLINIC, CUBE_ANY, flat, treatments},
        {CUBE_DEVICE_ALL, CUBE_SETTING_ALL, 2, burst, treatments},
    };
    alert_params_t params = {NW_EARS_C2_DEFAULTS, ALERT_MIN_CASES_DEFAULT};
    alerts_t alerts;
    nw_ears_t want;
    (void)state;
    for (size_t w = 0; w < NW; w++)
        as_long[w] = (long)burst[w];
    want = stats_ears_c2(as_long, NW, 10, params.ears);
    assert_int_equal(alerts_detect(series, 3, NW, params, &alerts), 0);
    assert_int_equal(alerts.n, 2);
    assert_int_equal(alerts.rows[0].device, 0);
    assert_int_equal(alerts.rows[1].device, CUBE_DEVICE_ALL);
    assert_int_equal(alerts.rows[1].complication, 2);
    for (size_t k = 0; k < 2; k++) {
        assert_int_equal(alerts.rows[k].week, 10);
        assert_true(alerts.rows[k].ears.mean == want.mean);
        assert_true(alerts.rows[k].ears.sd == want.sd);
        assert_true(alerts.rows[k].ears.upperbound == want.upperbound);
    }
    assert_true(alerts.params.ears.baseline == 7);
    alerts_free(&alerts);
    /* No weeks: nothing to judge. */
    assert_int_equal(alerts_detect(series, 3, 0, params, &alerts), 0);
    assert_int_equal(alerts.n, 0);
    alerts_free(&alerts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weeks),
        cmocka_unit_test(test_numbers_and_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

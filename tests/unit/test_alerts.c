/*
 * test_alerts.c - analyze/model/alerts.c: from weekly counts to alerts.
 * Populations built by hand on the cube's five device types: steady rates
 * with one planted outbreak (the rate scan finds it as one alert, carried
 * by its cell, its margins in also_in, its evidence the counts of its
 * window and baseline); weeks that may not be judged (immature, or not
 * complete) are not; consecutive weeks are one alert, separate ones two;
 * the most serious comes first; EARS C2 as before (the guard band, the
 * minimum of cases, stats_ears_c2's numbers); GLR and Farrington alarm on
 * a step; method names parse back.
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
#include "model/detect_alerts.h"

#define NW 40

typedef struct {
    cube_t *cube;
    weekly_t weekly;
    bool judgeable[NW];
} pop_t;

/* Every base cell: 100 treatments a week, 5 cases of type 1 (so of any). */
static void pop_init(pop_t *p)
{
    p->cube = cube_new();
    assert_non_null(p->cube);
    assert_true(weekly_init(&p->weekly, 19723, NW)); /* Monday 2024-01-01 */
    for (size_t d = 0; d < p->cube->n_devices; d++) {
        for (int s = 0; s < 2; s++) {
            for (size_t w = 0; w < NW; w++) {
                weekly_add(&p->weekly, d, s, WEEKLY_TREATMENTS, w, 100);
                weekly_add(&p->weekly, d, s, 1, w, 5);
                weekly_add(&p->weekly, d, s, CUBE_ANY, w, 5);
            }
        }
    }
    for (size_t w = 0; w < NW; w++)
        p->judgeable[w] = true;
}

static void pop_free(pop_t *p)
{
    weekly_free(&p->weekly);
    cube_free(p->cube);
}

/* Extra cases of type 1 in cell (d, s), week w. */
static void plant(pop_t *p, size_t d, int s, size_t w, int64_t n)
{
    weekly_add(&p->weekly, d, s, 1, w, n);
    weekly_add(&p->weekly, d, s, CUBE_ANY, w, n);
}

static int detect(pop_t *p, alert_params_t params, alerts_t *alerts)
{
    alert_input_t in = {{0, 28, true, 0, NAN}, p->cube, &p->weekly, p->judgeable};
    return alerts_detect(&in, params, alerts);
}

static int64_t sum(const pop_t *p, size_t slot, int s, int c, size_t lo, size_t hi)
{
    int64_t n = 0;
    for (size_t w = lo; w <= hi; w++)
        n += weekly_get(&p->weekly, slot, s, c, w);
    return n;
}

static void test_names(void **state)
{
    (void)state;
    for (int m = 0; m < ALERT_METHODS; m++)
        assert_int_equal(alert_method_parse(alert_method_name((alert_method_t)m)), m);
    assert_int_equal(alert_method_parse("cusum"), -1);
    assert_string_equal(alert_method_name(ALERT_RATE_SCAN), "rate-scan");
    assert_int_equal(alert_params_default().method, ALERT_RATE_SCAN);
}

static void test_steady_is_quiet(void **state)
{
    pop_t p;
    alerts_t alerts;
    (void)state;
    pop_init(&p);
    assert_int_equal(detect(&p, alert_params_default(), &alerts), 0);
    assert_int_equal(alerts.n, 0);
    /* Every series is judged from week 10 (8 baseline weeks, 2 windows, a
     * guard week: weeks 0..7 before week 10) to week 39. */
    assert_true(alerts.has_judged);
    assert_int_equal(alerts.first_judged, 10);
    assert_int_equal(alerts.last_judged, NW - 1);
    assert_int_equal(alerts.series_weeks, (NW - 10) * 6 * 3 * 11);
    assert_int_equal(alerts.weeks_judgeable, NW);
    alerts_free(&alerts);
    pop_free(&p);
}

static void test_one_outbreak_one_alert(void **state)
{
    pop_t p;
    alerts_t alerts;
    (void)state;
    pop_init(&p);
    plant(&p, 0, CUBE_SETTING_HOME, 30, 25); /* 30 cases where 5 are usual */
    assert_int_equal(detect(&p, alert_params_default(), &alerts), 0);
    assert_int_equal(alerts.n, 1);
    const alert_row_t *a = &alerts.rows[0];
    assert_int_equal(a->device, 0);
    assert_int_equal(a->setting, CUBE_SETTING_HOME);
    assert_int_equal(a->complication, 1);
    assert_int_equal(a->first_week, 30);
    assert_true(a->last_week >= 30 && a->last_week <= 31);
    assert_int_equal(a->alarm_weeks, a->last_week - a->first_week + 1);
    /* Its evidence: the counts of its window and of its baseline. */
    const alert_evidence_t *e = &a->evidence;
    size_t lo = e->week + 1 - (size_t)e->window;
    assert_true(e->week >= 30 && lo <= 30);
    assert_int_equal(e->observed, sum(&p, 0, CUBE_SETTING_HOME, 1, lo, e->week));
    assert_int_equal(e->treatments, 100 * e->window);
    assert_true(fabs(e->expected - 5.0 * e->window) < 0.5);
    assert_true(e->q_value <= 0.05 && e->p_value <= e->q_value);
    assert_true(e->statistic == e->q_value && e->threshold == 0.05);
    assert_true(e->has_baseline && e->base_last + 3 == e->week);
    assert_int_equal(e->base_cases, sum(&p, 0, CUBE_SETTING_HOME, 1, e->base_first, e->base_last));
    assert_int_equal(e->base_treatments, 100 * (int64_t)(e->base_last - e->base_first + 1));
    /* The margins that alarmed with it: each covers it, none is it. */
    assert_true(a->n_also_in >= 1);
    bool all_home = false;
    for (size_t k = 0; k < a->n_also_in; k++) {
        const alert_margin_t *m = &a->also_in[k];
        assert_true(m->device == CUBE_DEVICE_ALL || m->device == 0);
        assert_true(m->setting == CUBE_SETTING_ALL || m->setting == CUBE_SETTING_HOME);
        assert_true(m->complication == CUBE_ANY || m->complication == 1);
        assert_false(m->device == 0 && m->setting == CUBE_SETTING_HOME && m->complication == 1);
        assert_true(m->first_week <= 31 && m->last_week >= 30);
        size_t mlo = m->evidence.week + 1 - (size_t)m->evidence.window;
        assert_int_equal(m->evidence.observed,
                         sum(&p, m->device, m->setting, m->complication, mlo, m->evidence.week));
        all_home |= m->device == CUBE_DEVICE_ALL && m->setting == CUBE_SETTING_HOME &&
                    m->complication == 1;
    }
    assert_true(all_home);
    alerts_free(&alerts);
    pop_free(&p);
}

static void test_weeks_not_judged(void **state)
{
    pop_t p;
    alerts_t alerts;
    (void)state;
    pop_init(&p);
    plant(&p, 2, CUBE_SETTING_CLINIC, 36, 40);
    /* Immature from week 35: the outbreak is not judged yet. */
    for (size_t w = 35; w < NW; w++)
        p.judgeable[w] = false;
    assert_int_equal(detect(&p, alert_params_default(), &alerts), 0);
    assert_int_equal(alerts.n, 0);
    assert_int_equal(alerts.last_judged, 34);
    assert_int_equal(alerts.weeks_judgeable, 35);
    alerts_free(&alerts);
    /* An incomplete first week is neither judged nor in a baseline. */
    p.judgeable[0] = false;
    for (size_t w = 35; w < NW; w++)
        p.judgeable[w] = true;
    assert_int_equal(detect(&p, alert_params_default(), &alerts), 0);
    assert_int_equal(alerts.n, 1);
    assert_int_equal(alerts.first_judged, 11);
    assert_int_equal(alerts.rows[0].first_week, 36);
    assert_true(alerts.rows[0].evidence.base_first >= 1);
    alerts_free(&alerts);
    pop_free(&p);
}

static void test_events_and_order(void **state)
{
    pop_t p;
    alerts_t alerts;
    (void)state;
    pop_init(&p);
    /* Two weeks in a row: one alert; and later a weaker, separate one in
     * another device type and setting. */
    plant(&p, 1, CUBE_SETTING_HOME, 20, 30);
    plant(&p, 1, CUBE_SETTING_HOME, 21, 30);
    plant(&p, 3, CUBE_SETTING_CLINIC, 33, 14);
    assert_int_equal(detect(&p, alert_params_default(), &alerts), 0);
    assert_int_equal(alerts.n, 2);
    /* The stronger first. */
    assert_int_equal(alerts.rows[0].device, 1);
    assert_int_equal(alerts.rows[0].first_week, 20);
    assert_true(alerts.rows[0].last_week >= 21);
    assert_int_equal(alerts.rows[1].device, 3);
    assert_int_equal(alerts.rows[1].setting, CUBE_SETTING_CLINIC);
    assert_int_equal(alerts.rows[1].first_week, 33);
    assert_true(alerts.rows[0].evidence.q_value <= alerts.rows[1].evidence.q_value);
    alerts_free(&alerts);
    pop_free(&p);
}

/* EARS C2 as before: the guard band, min_cases, stats_ears_c2's numbers. */
static void test_ears(void **state)
{
    static const struct {
        const char *what;
        int64_t extra[NW]; /* on cell (3, home, 1), over the steady 5 */
        int64_t min_cases;
        const char *alerts; /* each alert "DEVICE/SETTING:first-last" (32: all devices;
                             * 0 home, 2 both), by first week, device, setting */
    } cases[] = {
        {"a burst", {[25] = 9}, 3, "3/0:25-25"},
        {"two bursts in a row", {[25] = 9, [26] = 10}, 3, "3/0:25-26"},
        {"two bursts apart", {[15] = 9, [30] = 9}, 3, "3/0:15-15 3/0:30-30"},
        /* 14 cases at home, 19 in both settings, 34 at home for all device
         * types: the two most specific series that alarm, neither a margin
         * of the other, carry one alert each. */
        {"a burst under min_cases", {[25] = 9}, 15, "3/2:25-25 32/0:25-25"},
        {"a burst under min_cases everywhere", {[25] = 9}, 100, ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pop_t p;
        alerts_t alerts;
        alert_params_t params = alert_params_default();
        char got[64] = "";
        size_t firsts[8], n = 0;
        pop_init(&p);
        for (size_t w = 0; w < NW; w++)
            plant(&p, 3, CUBE_SETTING_HOME, w, cases[i].extra[w]);
        params.method = ALERT_EARS_C2;
        params.min_cases = cases[i].min_cases;
        assert_int_equal(detect(&p, params, &alerts), 0);
        for (size_t k = 0; k < alerts.n; k++) {
            const alert_row_t *a = &alerts.rows[k];
            long series[NW];
            /* Steady series never alarm: their sd is 0 and they stay at the mean. */
            assert_true(a->device == 3 || a->device == CUBE_DEVICE_ALL);
            assert_true(a->complication == 1);
            for (size_t w = 0; w < NW; w++)
                series[w] = (long)weekly_get(&p.weekly, a->device, a->setting, 1, w);
            nw_ears_t e = stats_ears_c2(series, NW, a->evidence.week, params.ears);
            assert_true(e.alarm);
            assert_true(a->evidence.observed == (int64_t)e.observed);
            assert_true(a->evidence.expected == e.mean);
            assert_true(isnan(e.statistic) ? isnan(a->evidence.statistic)
                                           : a->evidence.statistic == e.statistic);
            assert_true(a->evidence.threshold == e.threshold);
            assert_true(isnan(a->evidence.q_value));
            assert_int_equal(a->evidence.base_first, a->evidence.week - 9);
            firsts[n++] = k;
        }
        /* By first week, device, setting. */
        for (size_t x = 0; x < n; x++) {
            for (size_t y = x + 1; y < n; y++) {
                const alert_row_t *ax = &alerts.rows[firsts[x]], *ay = &alerts.rows[firsts[y]];
                if (ay->first_week < ax->first_week ||
                    (ay->first_week == ax->first_week &&
                     (ay->device < ax->device ||
                      (ay->device == ax->device && ay->setting < ax->setting)))) {
                    size_t t = firsts[x];
                    firsts[x] = firsts[y];
                    firsts[y] = t;
                }
            }
        }
        for (size_t x = 0; x < n; x++)
            snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%zu/%d:%zu-%zu",
                     x ? " " : "", alerts.rows[firsts[x]].device, alerts.rows[firsts[x]].setting,
                     alerts.rows[firsts[x]].first_week, alerts.rows[firsts[x]].last_week);
        if (strcmp(got, cases[i].alerts) != 0)
            fail_msg("%s: alerts \"%s\", expected \"%s\"", cases[i].what, got, cases[i].alerts);
        alerts_free(&alerts);
        pop_free(&p);
    }
}

static void test_glr_and_farrington(void **state)
{
    pop_t p;
    alerts_t alerts;
    alert_params_t params = alert_params_default();
    (void)state;
    pop_init(&p);
    for (size_t w = 34; w < NW; w++)
        plant(&p, 4, CUBE_SETTING_HOME, w, 10); /* the rate triples from week 34 */
    params.method = ALERT_GLR;
    assert_int_equal(detect(&p, params, &alerts), 0);
    assert_true(alerts.n >= 1);
    assert_int_equal(alerts.rows[0].device, 4);
    assert_int_equal(alerts.rows[0].first_week, 34);
    assert_true(alerts.rows[0].evidence.statistic >= 5.0);
    assert_int_equal(alerts.rows[0].evidence.base_first, 0);
    assert_int_equal(alerts.rows[0].evidence.base_last, 25);
    alerts_free(&alerts);
    /* Farrington needs a year and more of history: none here. */
    params.method = ALERT_FARRINGTON;
    assert_int_equal(detect(&p, params, &alerts), 0);
    assert_int_equal(alerts.n, 0);
    assert_int_equal(alerts.series_weeks, 0);
    alerts_free(&alerts);
    pop_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_steady_is_quiet),
        cmocka_unit_test(test_one_outbreak_one_alert),
        cmocka_unit_test(test_weeks_not_judged),
        cmocka_unit_test(test_events_and_order),
        cmocka_unit_test(test_ears),
        cmocka_unit_test(test_glr_and_farrington),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

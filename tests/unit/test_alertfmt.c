/*
 * test_alertfmt.c - analyze/render/alertfmt.c: an alert's dates (its
 * window's first Monday and last Sunday, its baseline's), and its sentence:
 * the rate scan's is detect_explain's, the other methods end with their own
 * statistic, and a hidden block's has no number but its dates.
 */
#include <ctype.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model/detect_alerts.h"
#include "render/alertfmt.h"

typedef struct {
    cube_t *cube;
    weekly_t weekly;
    alerts_t alerts;
    findings_t findings;
    alert_evidence_t e;
} fix_t;

static void fix_init(fix_t *f)
{
    memset(f, 0, sizeof(*f));
    f->cube = cube_new();
    assert_non_null(f->cube);
    assert_true(weekly_init(&f->weekly, 19723, 20)); /* Monday 2024-01-01 */
    f->alerts.params = alert_params_default();
    f->findings.cube = f->cube;
    f->findings.weekly = &f->weekly;
    f->findings.alerts = &f->alerts;
    f->e.week = 15;       /* 2024-04-15 .. 2024-04-21 */
    f->e.window = 2;      /* from 2024-04-08 */
    f->e.observed = 24;
    f->e.treatments = 812;
    f->e.expected = 11.2;
    f->e.p_value = 2.1e-6;
    f->e.q_value = 0.00041;
    f->e.statistic = 0.00041;
    f->e.threshold = 0.05;
    f->e.has_baseline = true;
    f->e.base_first = 0;
    f->e.base_last = 12;  /* to Sunday 2024-03-31 */
}

static void fix_free(fix_t *f)
{
    weekly_free(&f->weekly);
    cube_free(f->cube);
}

static void test_days(void **state)
{
    fix_t f;
    alertfmt_days_t days;
    (void)state;
    fix_init(&f);
    alertfmt_days(&f.weekly, &f.e, &days);
    assert_string_equal(days.window_first, "2024-04-08");
    assert_string_equal(days.window_last, "2024-04-21");
    assert_string_equal(days.week_start, "2024-04-15");
    assert_string_equal(days.base_first, "2024-01-01");
    assert_string_equal(days.base_last, "2024-03-31");
    f.e.has_baseline = false;
    alertfmt_days(&f.weekly, &f.e, &days);
    assert_string_equal(days.base_first, "");
    fix_free(&f);
}

static void test_sentences(void **state)
{
    fix_t f;
    char buf[1024], want[1024];
    (void)state;
    fix_init(&f);
    alertfmt_sentence(buf, sizeof(buf), &f.findings, 0, CUBE_SETTING_HOME, 1, &f.e, false);
    detect_explain_t x = {"derma_roller", "home", "infection", 24, 812, 11.2, 2, "2024-04-21",
                          "2024-01-01", "2024-03-31", 2.1e-6, 0.00041, 0.05};
    (void)detect_explain(want, sizeof(want), &x);
    assert_string_equal(buf, want);
    assert_non_null(strstr(buf, "24 cases in 812 treatments in the 2 weeks to 2024-04-21"));

    /* Hidden: the series, the window, and no count. */
    alertfmt_sentence(buf, sizeof(buf), &f.findings, CUBE_DEVICE_ALL, CUBE_SETTING_ALL,
                      CUBE_ANY, &f.e, true);
    assert_string_equal(buf, "all device types at home and in clinics, any complication: an "
                             "alert in the 2 weeks to 2024-04-21; its numbers are not shown "
                             "(too few cases to publish).");

    /* EARS C2: its mean and its statistic. */
    f.alerts.params.method = ALERT_EARS_C2;
    f.e.window = 1;
    f.e.observed = 9;
    f.e.expected = 2.5;
    f.e.statistic = 4.25;
    f.e.threshold = 3.090232306167813;
    f.e.base_first = 6;
    f.e.base_last = 12;
    alertfmt_sentence(buf, sizeof(buf), &f.findings, 0, CUBE_SETTING_CLINIC, 1, &f.e, false);
    assert_string_equal(buf, "derma_roller in clinics, infection: 9 cases in 812 treatments in "
                             "the 1 week to 2024-04-21 (1.11 per 100), where 2024-02-12 to "
                             "2024-03-31 had 2.5 cases a week on average; C2 = 4.25 (an alert "
                             "needs C2 > 3.09).");
    f.alerts.params.method = ALERT_GLR;
    f.e.statistic = 6.5;
    f.e.threshold = 5;
    alertfmt_sentence(buf, sizeof(buf), &f.findings, 0, CUBE_SETTING_CLINIC, 1, &f.e, false);
    assert_non_null(strstr(buf, "; GLR = 6.5 (an alert needs GLR >= 5)."));
    assert_string_equal(alertfmt_statistic_name(ALERT_RATE_SCAN), "q_value");
    assert_string_equal(alertfmt_rule(ALERT_EARS_C2), ">");
    assert_string_equal(alertfmt_rule(ALERT_GLR), ">=");
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days),
        cmocka_unit_test(test_sentences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

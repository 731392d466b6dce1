/*
 * test_detect.c - alert detection (analyze/model/detect_*.c) against R.
 *
 * Every expected number comes from tests/unit/r/detect_reference.R (R 4.2.2,
 * surveillance 1.20.3), written into detect_reference.h: farringtonFlexible
 * with the treatments as population offset (Noufaily settings, b = 1 and 3,
 * nbPlugin; the original delta method with its trend test, b = 3), muan on
 * the counts, glrpois with an offset mu0, p.adjust("BH"), ppois, pnbinom,
 * qpois, qnbinom, pt, and the predictive tail (the same Gauss-Hermite sum in
 * R, and R's integrate() for the quadrature's own error). The rest is
 * table-driven: the consolidation of alarms into alerts and the rate scan's
 * behaviour on series whose answer is known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/detect_alerts.h"
#include "model/detect_delay.h"
#include "model/detect_dist.h"
#include "model/detect_farrington.h"
#include "model/detect_glr.h"
#include "model/detect_rate.h"
#include "detect_reference.h"

#define RTOL 1e-9
#define N_REF 200

static void check_rel(double got, double want, double tol, const char *what, int i)
{
    if (isnan(want)) {
        if (!isnan(got)) {
            fprintf(stderr, "%s[%d]: got %.17g, want NA\n", what, i, got);
            fail();
        }
        return;
    }
    double err = fabs(got - want) / fmax(fabs(want), 1e-300);
    if (!(err <= tol)) {
        fprintf(stderr, "%s[%d]: got %.17g, want %.17g (rel %.3g)\n", what, i, got, want, err);
        fail();
    }
}

static void check_farrington(const char *label, detect_farrington_params_t pr, size_t from,
                             size_t n, const double *upper, const double *expected,
                             const double *pvalue, const double *phi, const int *alarm,
                             const int *trend)
{
    for (size_t i = 0; i < n; i++) {
        detect_farrington_t r =
            detect_farrington(ref_cases, ref_treatments, N_REF, ref_k[from + i], pr);
        char what[64];
        assert_true(r.defined);
        snprintf(what, sizeof(what), "%s upper", label);
        check_rel(r.upperbound, upper[i], RTOL, what, (int)i);
        snprintf(what, sizeof(what), "%s expected", label);
        check_rel(r.expected, expected[i], RTOL, what, (int)i);
        snprintf(what, sizeof(what), "%s pvalue", label);
        check_rel(r.p_value, pvalue[i], RTOL, what, (int)i);
        snprintf(what, sizeof(what), "%s phi", label);
        check_rel(r.phi, phi[i], RTOL, what, (int)i);
        assert_int_equal(r.alarm, alarm[i]);
        assert_int_equal(r.trend, trend[i]);
    }
}

static void test_farrington_noufaily_offset(void **state)
{
    (void)state;
    check_farrington("nouf1", DETECT_NOUFAILY(1, 0.01), 0, 8, nouf1_upper, nouf1_expected,
                     nouf1_pvalue, nouf1_phi, nouf1_alarm, nouf1_trend);
    /* b = 3: the trend is a candidate and kept (pThresholdTrend = 1). */
    check_farrington("nouf3", DETECT_NOUFAILY(3, 0.01), 5, 3, nouf3_upper, nouf3_expected,
                     nouf3_pvalue, nouf3_phi, nouf3_alarm, nouf3_trend);
}

static void test_farrington_original_and_muan(void **state)
{
    (void)state;
    detect_farrington_params_t farr = DETECT_FARRINGTON_DEFAULTS;
    farr.b = 3;
    farr.weights_threshold = 1.0;
    farr.alpha = 0.05;
    check_farrington("farr3", farr, 5, 3, farr3_upper, farr3_expected, farr3_pvalue, farr3_phi,
                     farr3_alarm, farr3_trend);
    detect_farrington_params_t muan = DETECT_NOUFAILY(2, 0.001);
    muan.threshold = DETECT_THRESHOLD_MUAN;
    muan.population_offset = false;
    check_farrington("muan2", muan, 0, 8, muan2_upper, muan2_expected, muan2_pvalue, muan2_phi,
                     muan2_alarm, muan2_trend);
}

static void test_farrington_undefined(void **state)
{
    (void)state;
    detect_farrington_params_t pr = DETECT_NOUFAILY(1, 0.01);
    /* Too little history: week 54 needs 52 + 3 weeks before it. */
    assert_false(detect_farrington(ref_cases, ref_treatments, N_REF, 53, pr).defined);
    assert_true(detect_farrington(ref_cases, ref_treatments, N_REF, 55, pr).defined);
    assert_int_equal(detect_farrington_first(pr), 55);
    /* The offset needs the treatments. */
    assert_false(detect_farrington(ref_cases, NULL, N_REF, 120, pr).defined);
}

static void test_glrpois_offset(void **state)
{
    (void)state;
    double ysum = 0.0, nsum = 0.0, mu0[100], value[100];
    bool alarm[100];
    for (int w = 0; w < 100; w++) {
        ysum += (double)ref_cases[w];
        nsum += (double)ref_treatments[w];
    }
    for (int w = 0; w < 100; w++)
        mu0[w] = ysum / nsum * (double)ref_treatments[100 + w];
    const double *values[2] = {glr5_value, glr10_value};
    const int *alarms[2] = {glr5_alarm, glr10_alarm};
    const double c[2] = {5.0, 10.0};
    for (int h = 0; h < 2; h++) {
        int n_alarms = 0;
        assert_true(detect_glrpois(&ref_cases[100], mu0, 100, c[h], alarm, value) >= 0);
        for (int w = 0; w < 100; w++) {
            check_rel(value[w], values[h][w], RTOL, "glrpois value", w);
            assert_int_equal(alarm[w], alarms[h][w]);
            n_alarms += alarm[w];
        }
        assert_true(n_alarms > 0);
    }
    int64_t bad = -1;
    double one = 1.0;
    assert_int_equal(detect_glrpois(&bad, &one, 1, 5.0, alarm, value), -1);
}

static void test_bh(void **state)
{
    (void)state;
    double q[10], p[11], q2[11];
    assert_int_equal(detect_bh(bh_p, 10, q), 0);
    for (int i = 0; i < 10; i++)
        check_rel(q[i], bh_q[i], 1e-15, "BH q", i);
    /* A NaN p (a series not judged) is left out and does not count. */
    memcpy(p, bh_p, sizeof(bh_p));
    p[10] = NAN;
    assert_int_equal(detect_bh(p, 11, q2), 0);
    for (int i = 0; i < 10; i++)
        check_rel(q2[i], bh_q[i], 1e-15, "BH q with NaN", i);
    assert_true(isnan(q2[10]));
}

static void test_distributions(void **state)
{
    (void)state;
    for (int i = 0; i < 6; i++) {
        check_rel(detect_ppois_upper(pois_args[2 * i], pois_args[2 * i + 1]), pois_upper[i],
                  1e-12, "ppois upper", i);
        assert_true(detect_qpois(0.999, pois_args[2 * i + 1]) == pois_q999[i]);
    }
    for (int i = 0; i < 5; i++) {
        check_rel(detect_pnbinom_upper(nb_args[3 * i], nb_args[3 * i + 1], nb_args[3 * i + 2]),
                  nb_upper[i], 1e-12, "pnbinom upper", i);
        assert_true(detect_qnbinom(0.99, nb_args[3 * i + 1], nb_args[3 * i + 2]) == nb_q99[i]);
    }
    for (int i = 0; i < 4; i++)
        check_rel(detect_pt(t_args[2 * i], t_args[2 * i + 1]), t_p[i], 1e-12, "pt", i);
    for (int i = 0; i < 5; i++) {
        const double *a = &pred_args[4 * i];
        double p = detect_predictive_upper(a[0], a[1], a[2], a[3]);
        check_rel(p, pred_gh[i], 1e-12, "predictive (GH, as R)", i);
        /* The quadrature against R's adaptive integrate(): 0.2% at the
         * widest case (sigma 1.5 on the log scale), far below anything that
         * decides an alert. */
        check_rel(p, pred_int[i], 2e-3, "predictive (integrate)", i);
    }
    check_rel(detect_digamma(1.0), -0.57721566490153286, 1e-13, "digamma(1)", 0);
    check_rel(detect_trigamma(1.0), M_PI * M_PI / 6.0, 1e-13, "trigamma(1)", 0);
    check_rel(detect_trigamma(0.5), M_PI * M_PI / 2.0, 1e-13, "trigamma(1/2)", 0);
}

/* ---- the rate scan ----------------------------------------------------- */

#define NW 80

/* A cell series with a constant rate: cases exactly rate x treatments
 * (rounded), treatments growing. */
static void flat_series(int64_t *y, int64_t *n, double rate)
{
    for (int w = 0; w < NW; w++) {
        n[w] = 500 + 10 * w;
        y[w] = (int64_t)floor(rate * (double)n[w] + 0.5);
    }
}

static void test_rate_scan_outbreak(void **state)
{
    (void)state;
    int64_t y[NW], n[NW];
    detect_rate_params_t pr = DETECT_RATE_DEFAULTS;
    flat_series(y, n, 0.02);
    /* Growth alone is no outbreak: the expected count follows the
     * treatments, and the p-value stays large. */
    detect_pred_t pred = detect_rate_predict(y, n, NULL, NW, NW - 1, &pr);
    assert_int_equal(pred.model, DETECT_MODEL_SEASON);
    detect_verdict_t v = detect_rate_judge(&pred, y, n, NULL, NW, NW - 1, &pr);
    assert_true(v.defined);
    assert_true(v.p_value > 0.2);
    assert_true(fabs(v.expected / (0.02 * (double)v.treatments) - 1.0) < 0.05);
    /* The rate doubled in the last two weeks: the two-week window catches
     * it with a p-value that survives 200 series of BH. */
    y[NW - 1] *= 2;
    y[NW - 2] *= 2;
    v = detect_rate_judge(&pred, y, n, NULL, NW, NW - 1, &pr);
    assert_int_equal(v.window, 2);
    assert_int_equal(v.observed, y[NW - 1] + y[NW - 2]);
    assert_int_equal(v.treatments, n[NW - 1] + n[NW - 2]);
    assert_true(v.p_value < 1e-5);
    /* A week that is not judgeable ends the window. */
    bool judgeable[NW];
    for (int w = 0; w < NW; w++)
        judgeable[w] = w != NW - 2;
    v = detect_rate_judge(&pred, y, n, judgeable, NW, NW - 1, &pr);
    assert_int_equal(v.window, 1);
    /* ... and the judged week itself must be judgeable. */
    judgeable[NW - 1] = false;
    v = detect_rate_judge(&pred, y, n, judgeable, NW, NW - 1, &pr);
    assert_false(v.defined);
}

static void test_rate_scan_models(void **state)
{
    (void)state;
    int64_t y[NW], n[NW];
    detect_rate_params_t pr = DETECT_RATE_DEFAULTS;
    /* Too little history. */
    flat_series(y, n, 0.02);
    assert_int_equal(detect_rate_predict(y, n, NULL, NW, 8, &pr).model, DETECT_MODEL_NONE);
    /* A short history: level only, then trend. */
    assert_int_equal(detect_rate_predict(y, n, NULL, NW, 15, &pr).model, DETECT_MODEL_LEVEL);
    assert_int_equal(detect_rate_predict(y, n, NULL, NW, 40, &pr).model, DETECT_MODEL_TREND);
    /* A rare complication: the gamma model; three cases in a week where
     * one in twenty weeks is usual is an alarm-sized p. */
    memset(y, 0, sizeof(y));
    for (int w = 0; w < NW - 1; w += 20)
        y[w] = 1;
    detect_pred_t pred = detect_rate_predict(y, n, NULL, NW, NW - 1, &pr);
    assert_int_equal(pred.model, DETECT_MODEL_GAMMA);
    y[NW - 1] = 3;
    detect_verdict_t v = detect_rate_judge(&pred, y, n, NULL, NW, NW - 1, &pr);
    assert_true(v.p_value < 1e-3);
    /* The sum of one cell is the cell (the lognormal round trip). */
    flat_series(y, n, 0.02);
    pred = detect_rate_predict(y, n, NULL, NW, NW - 1, &pr);
    bool has = true;
    detect_pred_t sum = detect_rate_sum(&pred, &has, 1, &pr);
    assert_int_equal(sum.model, DETECT_MODEL_MARGIN);
    for (int k = 0; k < pr.window_max; k++) {
        check_rel(sum.eta[k], pred.eta[k], 1e-12, "sum eta", k);
        check_rel(sum.sigma[k], pred.sigma[k], 1e-9, "sum sigma", k);
    }
    /* A cell that cannot be judged but has treatments makes its margin
     * unjudgeable; one without treatments is skipped. */
    detect_pred_t two[2] = {pred, detect_rate_predict(y, n, NULL, NW, 8, &pr)};
    bool has2[2] = {true, true};
    assert_int_equal(detect_rate_sum(two, has2, 2, &pr).model, DETECT_MODEL_NONE);
    has2[1] = false;
    assert_int_equal(detect_rate_sum(two, has2, 2, &pr).model, DETECT_MODEL_MARGIN);
}

/* ---- consolidation ------------------------------------------------------ */

/* Two device types, so series (d, s, c) with d in 0..2 (2 = all). */
static void set_alarm(bool *alarm, size_t nw, size_t d, int s, int c, size_t from, size_t to)
{
    for (size_t w = from; w <= to; w++)
        alarm[detect_series_index(d, s, c) * nw + w] = true;
}

static void test_consolidate(void **state)
{
    (void)state;
    enum { WEEKS = 12 };
    detect_panel_t panel = {2, WEEKS, NULL, NULL, NULL};
    size_t ns = detect_series_count(&panel);
    bool *alarm = calloc(ns * WEEKS, sizeof(bool));
    bool judged[WEEKS];
    detect_alert_t *alerts;
    size_t n;
    assert_non_null(alarm);
    for (int w = 0; w < WEEKS; w++)
        judged[w] = w != 6;
    /* An outbreak of device 0, home, type 1 in weeks 2-3, seen in its
     * margins (device all, setting all, any) in weeks 3-4. */
    set_alarm(alarm, WEEKS, 0, 0, 1, 2, 3);
    set_alarm(alarm, WEEKS, 0, 2, 1, 3, 3);
    set_alarm(alarm, WEEKS, 2, 0, 1, 3, 4);
    set_alarm(alarm, WEEKS, 0, 0, 0, 2, 2);
    /* A chain: all/all/any in weeks 4-5 overlaps all/home/1 (weeks 3-4),
     * which is itself folded into the device 0 alert, so it is listed
     * there though it does not overlap weeks 2-3 ... */
    set_alarm(alarm, WEEKS, 2, 2, 0, 4, 5);
    /* ... and a margin alone: device all, clinic, type 3, weeks 5 and 7
     * (week 6 is not judged: one event), is its own alert, with all/all/any
     * (week 5) listed in it too. */
    set_alarm(alarm, WEEKS, 2, 1, 3, 5, 5);
    set_alarm(alarm, WEEKS, 2, 1, 3, 7, 7);
    /* Device 1, clinic, type 2 in week 9 and again in week 11: two alerts. */
    set_alarm(alarm, WEEKS, 1, 1, 2, 9, 9);
    set_alarm(alarm, WEEKS, 1, 1, 2, 11, 11);
    assert_int_equal(detect_consolidate(&panel, alarm, judged, &alerts, &n), 0);
    assert_int_equal(n, 4);
    assert_int_equal(alerts[0].series, detect_series_index(0, 0, 1));
    assert_int_equal(alerts[0].first_week, 2);
    assert_int_equal(alerts[0].last_week, 3);
    assert_int_equal(alerts[0].n_also_in, 4);
    assert_int_equal(alerts[0].also_in[0], detect_series_index(0, 0, 0));
    assert_int_equal(alerts[0].also_in[1], detect_series_index(0, 2, 1));
    assert_int_equal(alerts[0].also_in[2], detect_series_index(2, 0, 1));
    assert_int_equal(alerts[0].also_in[3], detect_series_index(2, 2, 0));
    assert_int_equal(alerts[1].series, detect_series_index(2, 1, 3));
    assert_int_equal(alerts[1].first_week, 5);
    assert_int_equal(alerts[1].last_week, 7);
    assert_int_equal(alerts[1].n_also_in, 1);
    assert_int_equal(alerts[1].also_in[0], detect_series_index(2, 2, 0));
    assert_int_equal(alerts[2].n_also_in, 0);
    assert_int_equal(alerts[2].series, detect_series_index(1, 1, 2));
    assert_int_equal(alerts[2].first_week, 9);
    assert_int_equal(alerts[3].first_week, 11);
    detect_alerts_free(alerts, n);
    /* With every week judged, week 6 breaks nothing it did not break. */
    memset(alarm, 0, ns * WEEKS * sizeof(bool));
    set_alarm(alarm, WEEKS, 2, 1, 3, 5, 5);
    set_alarm(alarm, WEEKS, 2, 1, 3, 7, 7);
    assert_int_equal(detect_consolidate(&panel, alarm, NULL, &alerts, &n), 0);
    assert_int_equal(n, 2);
    detect_alerts_free(alerts, n);
    free(alarm);
    assert_true(detect_series_covers(2, detect_series_index(2, 2, 0), detect_series_index(1, 0, 4)));
    assert_false(detect_series_covers(2, detect_series_index(1, 0, 4), detect_series_index(2, 2, 0)));
    assert_false(detect_series_covers(2, detect_series_index(0, 2, 0), detect_series_index(1, 0, 4)));
}

static void test_explain(void **state)
{
    (void)state;
    char buf[512];
    detect_explain_t e = {"derma_roller", "home", "infection", 24, 812, 11.2, 2, "2024-04-21",
                          "2023-04-17", "2024-03-31", 2.1e-6, 0.00041, 0.05};
    assert_true(detect_explain(buf, sizeof(buf), &e) > 0);
    assert_string_equal(buf, "derma_roller at home, infection: 24 cases in 812 treatments in the "
                             "2 weeks to 2024-04-21 (2.96 per 100), where the rate of 2023-04-17 "
                             "to 2024-03-31 predicts 11.2 (1.38 per 100); p = 2.1e-06, "
                             "q = 0.00041 (an alert needs q <= 0.05).");
    e = (detect_explain_t){"all", "all", "any", 5, 100, 1.5, 1, "2024-04-21", "2023-04-17",
                           "2024-03-31", 0.001, 0.04, 0.05};
    assert_true(detect_explain(buf, sizeof(buf), &e) > 0);
    assert_non_null(strstr(buf, "all device types at home and in clinics, any complication: 5 "
                                "cases in 100 treatments in the 1 week to"));
}

/* ---- complete and mature weeks ------------------------------------------ */

static void test_judgeable(void **state)
{
    (void)state;
    const int32_t monday = 19422; /* 2023-03-06 */
    bool j[12];
    /* The window starts on a Wednesday and ends on the Wednesday of week 9
     * (the current week); D = 14 days, as of that Wednesday. */
    detect_judgeable(monday, 12, monday + 2, monday + 7 * 9 + 2, monday + 7 * 9 + 2, 14, j);
    for (int w = 0; w < 12; w++)
        assert_int_equal(j[w], w >= 1 && w <= 6);
    /* A week whose Sunday is exactly D days before as_of is mature. */
    detect_judgeable(monday, 2, INT32_MIN, INT32_MAX, monday + 6 + 14, 14, j);
    assert_true(j[0]);
    assert_false(j[1]);
    detect_judgeable(monday, 1, INT32_MIN, INT32_MAX, monday + 6 + 13, 14, j);
    assert_false(j[0]);
}

static void test_report_days(void **state)
{
    (void)state;
    int64_t h[100] = {0};
    /* No report: the longest. */
    assert_int_equal(detect_report_days(h, 100, 0.75, 14, 56), 56);
    /* Half at 3 days, half at 20: 75% needs 20 days, rounded to 21. */
    h[3] = 100;
    h[20] = 100;
    assert_int_equal(detect_report_days(h, 100, 0.75, 14, 56), 21);
    /* Fast reports: the floor. */
    h[20] = 0;
    assert_int_equal(detect_report_days(h, 100, 0.75, 14, 56), 14);
    /* Slow ones (the last bin holds the longer delays): the ceiling. */
    h[99] = 1000;
    assert_int_equal(detect_report_days(h, 100, 0.75, 14, 56), 56);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_farrington_noufaily_offset),
        cmocka_unit_test(test_farrington_original_and_muan),
        cmocka_unit_test(test_farrington_undefined),
        cmocka_unit_test(test_glrpois_offset),
        cmocka_unit_test(test_bh),
        cmocka_unit_test(test_distributions),
        cmocka_unit_test(test_rate_scan_outbreak),
        cmocka_unit_test(test_rate_scan_models),
        cmocka_unit_test(test_consolidate),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_judgeable),
        cmocka_unit_test(test_report_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

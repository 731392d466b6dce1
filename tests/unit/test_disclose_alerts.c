/*
 * test_disclose_alerts.c - analyze/disclose/alerts.c on alerts made by
 * hand: with suppression off nothing is hidden; with K = 5 a block whose
 * observed or baseline cases are small is hidden whole, so is one whose
 * late cases (weekly cases minus the counted ones) are small, or whose
 * weeks have a hidden weekly treatment count; a margin and its cell shown
 * together would give the other setting's small count by subtraction, so
 * one of them is hidden; large counts everywhere are all shown; a count
 * two blocks publish is hidden in both.
 */
#include <math.h>
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
#define NW 12

typedef struct {
    cube_t *cube;
    weekly_t weekly;   /* every case */
    weekly_t counted;  /* those reported within D */
    disclosure_t d;
    alerts_t alerts;
    alert_row_t rows[2];
    alert_margin_t margins[2];
} fix_t;

/* Device 0: 200 treatments a week per setting; type 1 cases given per
 * setting for the alert's week 10, 20 a week before (all counted). */
static void fix_init(fix_t *f, int64_t home10, int64_t clinic10, int64_t late_home10)
{
    memset(f, 0, sizeof(*f));
    f->cube = cube_new();
    assert_non_null(f->cube);
    assert_true(weekly_init(&f->weekly, 19723, NW));
    assert_true(weekly_init(&f->counted, 19723, NW));
    for (size_t d = 0; d < f->cube->n_devices; d++) {
        for (int s = 0; s < 2; s++) {
            for (size_t w = 0; w < NW; w++) {
                int64_t c = d == 0 && w == 10 ? (s == 0 ? home10 : clinic10) : 20;
                int64_t late = d == 0 && s == 0 && w == 10 ? late_home10 : 0;
                weekly_add(&f->weekly, d, s, WEEKLY_TREATMENTS, w, 200);
                weekly_add(&f->counted, d, s, WEEKLY_TREATMENTS, w, 200);
                weekly_add(&f->weekly, d, s, 1, w, c + late);
                weekly_add(&f->counted, d, s, 1, w, c);
            }
        }
    }
    f->d.below = K;
    f->d.n_weeks = NW;
    f->d.weeks = calloc(weekly_size(NW), sizeof(*f->d.weeks));
    assert_non_null(f->d.weeks);
}

static void fix_free(fix_t *f)
{
    free(f->d.weeks);
    weekly_free(&f->weekly);
    weekly_free(&f->counted);
    cube_free(f->cube);
}

/* A block of series (slot, setting, 1): week 10, window 1, baseline 0..7. */
static alert_evidence_t block(const fix_t *f, size_t slot, int setting, bool baseline)
{
    alert_evidence_t e;
    memset(&e, 0, sizeof(e));
    e.week = 10;
    e.window = 1;
    e.observed = weekly_get(&f->counted, slot, setting, 1, 10);
    e.treatments = weekly_get(&f->counted, slot, setting, WEEKLY_TREATMENTS, 10);
    e.expected = 20.0;
    e.has_baseline = baseline;
    e.base_first = 0;
    e.base_last = 7;
    return e;
}

/* One alert carried by (device 0, home, type 1), its margins (device 0,
 * all) and, when two, (all, home). */
static void one_alert(fix_t *f, size_t n_margins, bool baseline)
{
    alert_row_t *a = &f->rows[0];
    a->device = 0;
    a->setting = CUBE_SETTING_HOME;
    a->complication = 1;
    a->first_week = a->last_week = 10;
    a->evidence = block(f, 0, CUBE_SETTING_HOME, baseline);
    const size_t slots[2] = {0, CUBE_DEVICE_ALL};
    const int settings[2] = {CUBE_SETTING_ALL, CUBE_SETTING_HOME};
    for (size_t k = 0; k < n_margins; k++) {
        alert_margin_t *m = &f->margins[k];
        m->device = slots[k];
        m->setting = settings[k];
        m->complication = 1;
        m->first_week = m->last_week = 10;
        m->evidence = block(f, slots[k], settings[k], baseline);
    }
    a->also_in = n_margins ? f->margins : NULL;
    a->n_also_in = n_margins;
    f->alerts.rows = f->rows;
    f->alerts.n = 1;
}

static void test_off(void **state)
{
    fix_t f;
    (void)state;
    fix_init(&f, 3, 2, 0);
    f.d.below = 0;
    one_alert(&f, 2, true);
    f.rows[0].suppressed = f.margins[0].suppressed = true; /* reset by the call */
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_false(f.rows[0].suppressed);
    assert_false(f.margins[0].suppressed);
    fix_free(&f);
}

static void test_large_shown(void **state)
{
    fix_t f;
    (void)state;
    fix_init(&f, 60, 25, 0);
    one_alert(&f, 2, true);
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_false(f.rows[0].suppressed);
    assert_false(f.margins[0].suppressed);
    assert_false(f.margins[1].suppressed);
    fix_free(&f);
}

static void test_small_observed(void **state)
{
    fix_t f;
    (void)state;
    fix_init(&f, 3, 40, 0);
    one_alert(&f, 0, false);
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_true(f.rows[0].suppressed);
    fix_free(&f);
}

static void test_small_late(void **state)
{
    fix_t f;
    (void)state;
    fix_init(&f, 60, 40, 2); /* 62 cases that week, 2 reported late */
    one_alert(&f, 0, false);
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_true(f.rows[0].suppressed);
    fix_free(&f);
    fix_init(&f, 60, 40, 7); /* 7 late: not small */
    one_alert(&f, 0, false);
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_false(f.rows[0].suppressed);
    fix_free(&f);
}

static void test_margin_minus_cell(void **state)
{
    fix_t f;
    (void)state;
    /* Home 60, clinic 2: the margin (device 0, both settings) would show
     * 62 beside the alert's 60. */
    fix_init(&f, 60, 2, 0);
    one_alert(&f, 1, false);
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_true(f.rows[0].suppressed || f.margins[0].suppressed);
    fix_free(&f);
    /* Clinic 30: nothing small to work out. */
    fix_init(&f, 60, 30, 0);
    one_alert(&f, 1, false);
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_false(f.rows[0].suppressed || f.margins[0].suppressed);
    fix_free(&f);
}

static void test_hidden_treatments(void **state)
{
    fix_t f;
    (void)state;
    fix_init(&f, 60, 40, 0);
    one_alert(&f, 0, true);
    /* A weekly treatment count of the baseline is hidden. */
    f.d.weeks[weekly_at(NW, 0, CUBE_SETTING_HOME, WEEKLY_TREATMENTS, 4)] = true;
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_true(f.rows[0].suppressed);
    fix_free(&f);
}

static void test_small_baseline(void **state)
{
    fix_t f;
    (void)state;
    /* An alert of type 2 whose baseline (weeks 0..7) has 3 cases. */
    fix_init(&f, 60, 40, 0);
    for (size_t w = 0; w <= 10; w++) {
        int64_t n = w == 2 ? 3 : w == 10 ? 9 : 0;
        weekly_add(&f.counted, 0, CUBE_SETTING_HOME, 2, w, n);
        weekly_add(&f.weekly, 0, CUBE_SETTING_HOME, 2, w, n);
    }
    one_alert(&f, 0, false);
    f.rows[1] = f.rows[0];
    f.rows[1].complication = 2;
    f.rows[1].evidence.observed = 9;
    f.rows[1].evidence.has_baseline = true;
    f.alerts.n = 2;
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_false(f.rows[0].suppressed); /* type 1: a table of its own */
    assert_true(f.rows[1].suppressed);
    fix_free(&f);
}

static void test_shared_count(void **state)
{
    fix_t f;
    (void)state;
    /* Two alerts show the same count (device 0, home, type 1, week 10);
     * the second is hidden for its baseline's hidden treatments, so the
     * count is hidden in the first too. */
    fix_init(&f, 60, 40, 0);
    one_alert(&f, 0, false);
    f.rows[1] = f.rows[0];
    f.rows[1].first_week = f.rows[1].last_week = 9;
    f.rows[1].evidence.has_baseline = true;
    f.d.weeks[weekly_at(NW, 0, CUBE_SETTING_HOME, WEEKLY_TREATMENTS, 3)] = true;
    f.alerts.n = 2;
    assert_int_equal(disclose_alerts(&f.d, f.cube, &f.weekly, &f.counted, &f.alerts), 0);
    assert_true(f.rows[1].suppressed);
    assert_true(f.rows[0].suppressed);
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_large_shown),
        cmocka_unit_test(test_small_observed),
        cmocka_unit_test(test_small_late),
        cmocka_unit_test(test_margin_minus_cell),
        cmocka_unit_test(test_hidden_treatments),
        cmocka_unit_test(test_small_baseline),
        cmocka_unit_test(test_shared_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_suppress.c - analyze/disclose/suppress.c: primary suppression, complementary
 * suppression on a 2x2 table with margins (the classic case where hiding
 * one small cell forces three more), the audit on a system a lone-cell rule
 * misses (and completing on one: a bridge between two hidden blocks), fixed
 * cells, and derived counts (a signal row's b, c, d: shown
 * with a cell, but differences of cells and margins).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "disclose/suppress.h"
#include "model/signals.h"

/* Cells of a 2x2 table with margins, row-major over a 3x3 grid:
 *   0 1 | 2      rows: 0+1=2, 3+4=5; columns: 0+3=6, 1+4=7; 2+5=8, 6+7=8
 *   3 4 | 5
 *   6 7 | 8                                                            */
static const size_t grid_cells[] = {2, 0, 1, 5, 3, 4, 6, 0, 3, 7, 1, 4, 8, 2, 5, 8, 6, 7};
static const size_t grid_start[] = {0, 3, 6, 9, 12, 15, 18};

static void test_primary_and_complementary(void **state)
{
    (void)state;
    int64_t value[9] = {2, 30, 32, 40, 50, 90, 42, 80, 122};
    bool hidden[9] = {0};
    suppress_table_t t = {9, value, hidden, NULL, 6, grid_start, grid_cells, 0, NULL};

    suppress_primary(&t, 5);
    assert_true(hidden[0]);
    for (int i = 1; i < 9; i++)
        assert_false(hidden[i]);
    assert_int_equal(suppress_complete(&t), 0);
    /* The smallest partners: 1 (30) in row 0, 3 (40) in column 0, then 4 to
     * close both: the four inner cells, margins shown. */
    assert_true(hidden[0] && hidden[1] && hidden[3] && hidden[4]);
    assert_false(hidden[2] || hidden[5] || hidden[6] || hidden[7] || hidden[8]);
    assert_int_equal(suppress_audit(&t, NULL), 0);
}

static void test_audit_finds_recovery(void **state)
{
    (void)state;
    /* Hidden 0, 1 and 2 (a row and its margin): column 0 (0 + 3 = 6, with
     * 3 and 6 shown) determines 0, then row 0 ties 1 to 2 and column 1
     * determines 1. The audit sees it; completing hides partners until the
     * audit finds nothing. */
    int64_t value[9] = {2, 30, 32, 40, 50, 90, 42, 80, 122};
    bool hidden[9] = {true, true, true, false, false, false, false, false, false};
    suppress_table_t t = {9, value, hidden, NULL, 6, grid_start, grid_cells, 0, NULL};
    size_t cell = 99;
    assert_true(suppress_audit(&t, &cell) > 0);
    assert_int_equal(suppress_complete(&t), 0);
    assert_int_equal(suppress_audit(&t, NULL), 0);
}

/* Two hidden 2x2 blocks joined by one hidden cell (a bridge) in a 4x4
 * table with margins: every line has two or more hidden cells, so the
 * lone-cell rule does nothing, yet the bridge is the sum of its two rows'
 * totals minus the first block's two column totals. Only the audit sees
 * it; completing must hide more until it is protected. */
static void test_bridge_needs_the_audit(void **state)
{
    (void)state;
    enum { N = 5 }; /* 4 x 4 cells, column 4 and row 4 the margins */
    int64_t inner[4][4] = {{2, 3, 4, 50}, {3, 2, 60, 70}, {40, 50, 2, 3}, {60, 70, 3, 2}};
    int64_t value[N * N] = {0};
    bool hidden[N * N] = {0};
    size_t cells[2 * N * N], start[2 * N + 1], nc = 0, nl = 0;
    size_t cell = 99;

    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            value[i * N + j] = inner[i][j];
            value[i * N + 4] += inner[i][j];
            value[4 * N + j] += inner[i][j];
            value[4 * N + 4] += inner[i][j];
        }
    }
    for (int i = 0; i < N; i++) { /* rows: total first */
        start[nl++] = nc;
        cells[nc++] = (size_t)(i * N + 4);
        for (int j = 0; j < 4; j++)
            cells[nc++] = (size_t)(i * N + j);
    }
    for (int j = 0; j < N; j++) { /* columns */
        start[nl++] = nc;
        cells[nc++] = (size_t)(4 * N + j);
        for (int i = 0; i < 4; i++)
            cells[nc++] = (size_t)(i * N + j);
    }
    start[nl] = nc;
    suppress_table_t t = {N * N, value, hidden, NULL, nl, start, cells, 0, NULL};

    suppress_primary(&t, 5);
    assert_true(hidden[0 * N + 2]); /* the bridge, 4 */
    assert_true(suppress_audit(&t, &cell) > 0);
    assert_int_equal(cell, 0 * N + 2);
    assert_int_equal(suppress_complete(&t), 0);
    assert_int_equal(suppress_audit(&t, NULL), 0);
    assert_false(hidden[4 * N + 4]);
}

static void test_fixed_cells(void **state)
{
    (void)state;
    /* One line 3 = 1 + 2 where every partner is fixed: unprotectable. */
    int64_t value[3] = {3, 1, 2};
    bool hidden[3] = {0}, fixed[3] = {true, false, true};
    size_t cells[] = {0, 1, 2}, start[] = {0, 3};
    suppress_table_t t = {3, value, hidden, fixed, 1, start, cells, 0, NULL};
    suppress_primary(&t, 5);
    assert_true(hidden[1]);
    assert_int_equal(suppress_complete(&t), 1);
}

static void test_derived_primary(void **state)
{
    (void)state;
    /* Cell 4 (3) is small; cell 1 (30) is not, but its row shows the
     * derived count 7 - 1 = 3 (column total minus the cell, like a signal
     * row's c): primary hides 1 as well, and completing closes the
     * rectangle 0 1 3 4 with the margins shown. */
    int64_t value[9] = {40, 30, 70, 50, 3, 53, 90, 33, 123};
    bool hidden[9] = {0};
    suppress_derived_t dv = {1, 3, 2, {7, 1}, {1, -1}};
    suppress_table_t t = {9, value, hidden, NULL, 6, grid_start, grid_cells, 1, &dv};

    suppress_primary(&t, 5);
    assert_true(hidden[1] && hidden[4]);
    assert_false(hidden[0] || hidden[3]);
    assert_int_equal(suppress_complete(&t), 0);
    assert_true(hidden[0] && hidden[1] && hidden[3] && hidden[4]);
    assert_false(hidden[2] || hidden[5] || hidden[6] || hidden[7] || hidden[8]);
    assert_int_equal(suppress_audit(&t, NULL), 0);
}

static void test_derived_audit(void **state)
{
    (void)state;
    /* With 0 1 3 4 hidden no cell can be worked out, but a derived count
     * 0 + 1 is the shown row total 2: the audit finds it (and names its
     * owner), and finds nothing once the owner is shown (the count is
     * then not withheld), nor when the count is 0. */
    int64_t value[9] = {40, 30, 70, 50, 3, 53, 90, 33, 123};
    bool hidden[9] = {true, true, false, true, true, false, false, false, false};
    suppress_derived_t dv = {3, 70, 2, {0, 1}, {1, 1}};
    suppress_table_t t = {9, value, hidden, NULL, 6, grid_start, grid_cells, 1, &dv};
    size_t cell = 99;

    assert_int_equal(suppress_audit(&t, &cell), 1);
    assert_int_equal(cell, 3);
    t.n_derived = 0;
    assert_int_equal(suppress_audit(&t, NULL), 0);
    t.n_derived = 1;
    dv.owner = 2;
    assert_int_equal(suppress_audit(&t, NULL), 0);
    dv.owner = 3;
    dv.value = 0;
    assert_int_equal(suppress_audit(&t, NULL), 0);
}

static void test_signal_row(void **state)
{
    (void)state;
    /* Reports: [0] all types; 10 of type 1 and 2 of type 2 for the device,
     * 10 and 20 for the others. */
    int64_t reports[11] = {12, 10, 2}, other[11] = {30, 10, 20};
    signal_row_t row = {0};
    signal_rate_t rate = {0};
    signals_compute(&row, 1, reports, other, NW_Z95);
    /* 10 cases in 100 treatments vs 10 in 1000: RR 10. */
    signals_rate(&rate, 100, 10, 1000, 10, NW_Z95);
    assert_true(rate.rate_ratio.defined);
    assert_true(rate.rate_ratio.est > 9.999 && rate.rate_ratio.est < 10.001);
    assert_true(row.prr.defined && row.ror.defined && row.chi2.defined);
    assert_int_equal(row.table.a, 10);
    assert_int_equal(row.table.b, 2);
    assert_int_equal(row.table.c, 10);
    assert_int_equal(row.table.d, 20);
    assert_true(row.evans_signal); /* PRR (10/12)/(10/30) = 2.5, chi2 > 4 */
    assert_true(row.signal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_primary_and_complementary),
        cmocka_unit_test(test_audit_finds_recovery),
        cmocka_unit_test(test_bridge_needs_the_audit),
        cmocka_unit_test(test_fixed_cells),
        cmocka_unit_test(test_derived_primary),
        cmocka_unit_test(test_derived_audit),
        cmocka_unit_test(test_signal_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

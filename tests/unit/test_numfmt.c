/*
 * test_numfmt.c - table-driven tests of analyze/render/numfmt.c: exact shortest
 * doubles for the machine formats, readable numbers for people.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "render/numfmt.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

static void test_double_shortest(void **state)
{
    (void)state;
    static const struct { double v; const char *want; } cases[] = {
        {0.0, "0"},
        {1.0, "1"},
        {0.5, "0.5"},
        {0.1, "0.1"},
        {1.0 / 3.0, "0.3333333333333333"},
        {2.0 / 3.0, "0.6666666666666666"},
        {0.09453120573423074, "0.09453120573423074"},
        {1.959963984540054, "1.959963984540054"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1e-7, "1e-07"},
        {123456789.0, "123456789"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {5e-324, "5e-324"},
    };
    char buf[NUMFMT_LEN];
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        assert_true(numfmt_double(buf, sizeof(buf), cases[i].v));
        assert_string_equal(buf, cases[i].want);
    }
    assert_false(numfmt_double(buf, sizeof(buf), NAN));
    assert_string_equal(buf, "null");
    assert_false(numfmt_double(buf, sizeof(buf), INFINITY));
    assert_string_equal(buf, "null");
}

/* Every double reads back bit for bit: a sweep of awkward values. */
static void test_double_round_trip(void **state)
{
    (void)state;
    char buf[NUMFMT_LEN];
    uint64_t x = 88172645463325252ull; /* xorshift64 */
    for (int i = 0; i < 50000; i++) {
        double v;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* A proportion like the ones the analyzer writes, and a raw pattern. */
        v = (double)(x % 1000003) / (double)(x % 999983 + 1000003);
        assert_true(numfmt_double(buf, sizeof(buf), v));
        assert_true(strtod(buf, NULL) == v);
        memcpy(&v, &x, sizeof(v));
        if (isfinite(v)) {
            assert_true(numfmt_double(buf, sizeof(buf), v));
            assert_true(strtod(buf, NULL) == v);
        }
    }
}

static void test_count(void **state)
{
    (void)state;
    static const struct { int64_t n; const char *want; } cases[] = {
        {0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"},
        {1234567, "1,234,567"}, {-1234, "-1,234"},
        {INT64_MAX, "9,223,372,036,854,775,807"},
        {INT64_MIN, "-9,223,372,036,854,775,808"},
    };
    char buf[NUMFMT_LEN];
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        assert_string_equal(numfmt_count(buf, sizeof(buf), cases[i].n), cases[i].want);
}

static void test_readable(void **state)
{
    (void)state;
    static const struct { double fraction; const char *want; } percents[] = {
        {0.0, "0.00"},
        {1.0, "100.00"},
        {0.04213, "4.21"},
        {0.5, "50.00"},
        {0.001, "0.10"},       /* 0.1%: two decimals already show it */
        {0.000312, "0.031"},   /* 0.0312%: two significant digits */
        {0.0000312, "0.0031"},
        {1e-9, "0.00000010"},  /* 1e-7%: at most 8 decimals */
    };
    static const struct { double ratio; const char *want; } ratios[] = {
        {1.0, "1.00"}, {0.75, "0.75"}, {12.459310, "12.46"}, {0.0851, "0.085"},
        {0.1, "0.10"}, {1234.5678, "1234.57"},
    };
    char buf[NUMFMT_LEN];
    for (size_t i = 0; i < ARRAY_LEN(percents); i++)
        assert_string_equal(numfmt_percent(buf, sizeof(buf), percents[i].fraction), percents[i].want);
    for (size_t i = 0; i < ARRAY_LEN(ratios); i++)
        assert_string_equal(numfmt_ratio(buf, sizeof(buf), ratios[i].ratio), ratios[i].want);
    assert_string_equal(numfmt_ratio(buf, sizeof(buf), NAN), "n/a");
    {
        char ci[NUMFMT_CI_LEN];
        assert_string_equal(numfmt_ratio_ci(ci, sizeof(ci), 2.4913, 2.1702, 2.8549),
                            "2.49 (2.17\xE2\x80\x93" "2.85)");
        assert_string_equal(numfmt_ratio_ci(ci, sizeof(ci), 0.0123, 0.004, 0.05),
                            "0.012 (0.0040\xE2\x80\x93" "0.050)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_shortest),
        cmocka_unit_test(test_double_round_trip),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_readable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

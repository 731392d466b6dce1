/*
 * test_civil.c - table-driven tests of common/civil.c: parsing (written
 * YYYY-MM-DD, then a real day), day numbers both ways over four centuries,
 * weekdays, Mondays and ISO weeks (the year boundaries included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "civil.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

static void test_parse(void **state)
{
    static const struct {
        const char *s;
        civil_status_t status;
        int32_t days;
    } cases[] = {
        {"1970-01-01", CIVIL_OK, 0},          {"1969-12-31", CIVIL_OK, -1},
        {"2000-03-01", CIVIL_OK, 11017},      {"2024-02-29", CIVIL_OK, 19782},
        {"2000-02-29", CIVIL_OK, 11016},      {"9999-12-31", CIVIL_OK, 2932896},
        {"0001-01-01", CIVIL_OK, -719162},
        {"2026-02-30", CIVIL_NOT_REAL, 0},    {"2023-02-29", CIVIL_NOT_REAL, 0},
        {"1900-02-29", CIVIL_NOT_REAL, 0},    {"2024-04-31", CIVIL_NOT_REAL, 0},
        {"2024-13-01", CIVIL_NOT_REAL, 0},    {"2024-00-10", CIVIL_NOT_REAL, 0},
        {"2024-01-00", CIVIL_NOT_REAL, 0},    {"0000-01-01", CIVIL_NOT_REAL, 0},
        {"2024-1-01", CIVIL_NOT_ISO, 0},      {"2024/01/01", CIVIL_NOT_ISO, 0},
        {"20240101", CIVIL_NOT_ISO, 0},       {"2024-01-01T00", CIVIL_NOT_ISO, 0},
        {"", CIVIL_NOT_ISO, 0},               {"yesterday", CIVIL_NOT_ISO, 0},
        {"2024-0a-01", CIVIL_NOT_ISO, 0},     {"+024-01-01", CIVIL_NOT_ISO, 0},
        {" 024-01-01", CIVIL_NOT_ISO, 0},     {"2024-+1-01", CIVIL_NOT_ISO, 0},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int32_t days = 12345;
        civil_status_t st = civil_parse(cases[i].s, &days);
        if (st != cases[i].status)
            fail_msg("\"%s\": status %d, expected %d", cases[i].s, st, cases[i].status);
        if (st == CIVIL_OK && days != cases[i].days)
            fail_msg("\"%s\": day %d, expected %d", cases[i].s, days, cases[i].days);
        if (st != CIVIL_OK && days != 12345)
            fail_msg("\"%s\": *days written on failure", cases[i].s);
    }
    assert_int_equal(civil_parse(NULL, NULL), CIVIL_NOT_ISO);
}

/* Every day of four centuries: ymd -> days -> ymd and the text agree. */
static void test_round_trip(void **state)
{
    int32_t first = civil_days(1800, 1, 1), last = civil_days(2200, 12, 31);
    (void)state;
    for (int32_t z = first; z <= last; z++) {
        int y, m, d;
        char text[11];
        int32_t back;
        civil_ymd(z, &y, &m, &d);
        assert_true(civil_valid(y, m, d));
        assert_int_equal(civil_days(y, m, d), z);
        civil_format(z, text);
        assert_int_equal(civil_parse(text, &back), CIVIL_OK);
        assert_int_equal(back, z);
        if (d == 1)
            assert_false(civil_valid(y, m, 0));
    }
}

static void test_weeks(void **state)
{
    static const struct {
        const char *date;
        int weekday;
        const char *monday, *iso;
    } cases[] = {
        {"1970-01-01", 3, "1969-12-29", "1970-W01"},
        {"2025-06-04", 2, "2025-06-02", "2025-W23"},
        {"2025-06-02", 0, "2025-06-02", "2025-W23"},
        {"2024-04-21", 6, "2024-04-15", "2024-W16"},
        {"2021-01-03", 6, "2020-12-28", "2020-W53"}, /* week of 2020 */
        {"2019-12-30", 0, "2019-12-30", "2020-W01"}, /* week of 2020 */
        {"2024-12-30", 0, "2024-12-30", "2025-W01"},
        {"2026-12-31", 3, "2026-12-28", "2026-W53"},
        {"1960-06-15", 2, "1960-06-13", "1960-W24"}, /* before 1970 */
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int32_t z;
        char monday[11], iso[9];
        assert_int_equal(civil_parse(cases[i].date, &z), CIVIL_OK);
        assert_int_equal(civil_weekday(z), cases[i].weekday);
        civil_format(civil_monday(z), monday);
        assert_string_equal(monday, cases[i].monday);
        civil_iso_week(z, iso);
        assert_string_equal(iso, cases[i].iso);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_weeks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

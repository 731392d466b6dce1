/*
 * test_table.c - tests of analyze/render/table.c: alignment, UTF-8 widths, rules,
 * no trailing blanks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "render/table.h"

static char *render(const table_t *table, const char *indent)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_true(table_print(table, out, indent));
    fclose(out);
    return text;
}

static void test_width(void **state)
{
    (void)state;
    assert_int_equal(table_text_width(""), 0);
    assert_int_equal(table_text_width("abc"), 3);
    assert_int_equal(table_text_width("3.80\xE2\x80\x93" "4.66"), 9); /* en dash */
    assert_int_equal(table_text_width("\xC3\xA9t\xC3\xA9"), 3);      /* été */
}

static void test_layout(void **state)
{
    (void)state;
    table_t *table = table_new(3);
    char *text;
    assert_non_null(table);
    table_align(table, 1, TABLE_RIGHT);
    assert_true(table_add_header(table, (const char *[]){"Name", "N", "Rate"}));
    assert_true(table_add_row(table, (const char *[]){"Infection", "12", "4.21% (3.80\xE2\x80\x93" "4.66)"}));
    assert_true(table_add_row(table, (const char *[]){"Burn", "1,234", NULL}));
    text = render(table, "  ");
    assert_string_equal(text,
        "  Name           N  Rate\n"
        "  -----------------------------------\n"
        "  Infection     12  4.21% (3.80\xE2\x80\x93" "4.66)\n"
        "  Burn       1,234\n");
    free(text);
    table_free(table);
    table_free(NULL);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    assert_null(table_new(0));
    assert_null(table_new(TABLE_MAX_COLS + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width),
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

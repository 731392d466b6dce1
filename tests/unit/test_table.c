/*
 * test_table.c - tests of analyze/render/table.c: alignment, UTF-8 widths, rules,
 * no trailing blanks, tables split into parts and cells cut to fit in
 * TABLE_WIDTH columns.
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

/* Every line of text is at most TABLE_WIDTH characters; returns how many
 * lines there are. */
static size_t check_width(const char *text)
{
    size_t lines = 0;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        char buf[512];
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        assert_true(n < sizeof(buf));
        memcpy(buf, p, n);
        buf[n] = '\0';
        if (table_text_width(buf) > TABLE_WIDTH)
            fail_msg("line wider than %d: \"%s\"", TABLE_WIDTH, buf);
        lines++;
        p = nl ? nl + 1 : p + n;
    }
    return lines;
}

/* A table wider than TABLE_WIDTH prints in parts, each with the first
 * column; a table that fits prints as it did. */
static void test_split(void **state)
{
    static const char *const head[] = {"Key", "A column of thirty characters.", "B column",
                                       "C column of a long forty characters here", "D"};
    static const char *const row[] = {"first", "a", "b", "c", "d"};
    table_t *table = table_new(5);
    char *text;
    (void)state;
    assert_non_null(table);
    assert_true(table_add_header(table, head));
    assert_true(table_add_row(table, row));
    text = render(table, "  ");
    /* Total 5+30+8+40+1 plus gaps is 92 + 2: it fits in one part. */
    assert_int_equal(check_width(text), 3);
    free(text);
    table_free(table);

    static const char *const wide[] = {"Key", "A column of thirty characters.", "B column",
                                       "C column of a long forty characters here",
                                       "D column of another long forty characters"};
    table = table_new(5);
    assert_non_null(table);
    assert_true(table_add_header(table, wide));
    assert_true(table_add_row(table, row));
    text = render(table, "  ");
    /* Two parts of header, rule and row, a blank line between them. */
    assert_int_equal(check_width(text), 7);
    assert_non_null(strstr(text, "\n\n  Key"));
    assert_non_null(strstr(text, "  first  d"));
    free(text);
    table_free(table);
}

/* A cell too long even beside the first column is cut with an ellipsis. */
static void test_cut(void **state)
{
    char long_cell[200];
    const char *row[2] = {"name", long_cell};
    table_t *table = table_new(2);
    char *text;
    (void)state;
    memset(long_cell, 'x', 150);
    long_cell[150] = '\0';
    assert_non_null(table);
    assert_true(table_add_row(table, row));
    text = render(table, "  ");
    check_width(text);
    assert_non_null(strstr(text, "x\xE2\x80\xA6\n")); /* ... then the ellipsis */
    assert_null(strstr(text, long_cell));
    free(text);
    table_free(table);
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
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_cut),
        cmocka_unit_test(test_bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

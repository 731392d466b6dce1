/*
 * test_options.c - table-driven tests of analyze/options.c: dates, formats,
 * and every usage error main() turns into exit code 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "options.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))
#define MAX_ARGS 12

static void test_dates(void **state)
{
    (void)state;
    static const struct { const char *s; bool valid; } cases[] = {
        {"2024-01-01", true}, {"2024-02-29", true}, {"2000-02-29", true},
        {"1900-02-29", false}, {"2023-02-29", false}, {"2024-04-31", false},
        {"2024-12-31", true}, {"2024-13-01", false}, {"2024-00-10", false},
        {"2024-01-00", false}, {"0000-01-01", false}, {"9999-12-31", true},
        {"2024-1-01", false}, {"2024/01/01", false}, {"20240101", false},
        {"2024-01-01T00", false}, {"", false}, {"yesterday", false}, {"2024-0a-01", false},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        if (options_valid_date(cases[i].s) != cases[i].valid)
            fail_msg("%s: expected %s", cases[i].s, cases[i].valid ? "valid" : "invalid");
    }
}

static int parse(const char *const *args, options_t *opts, char *err, size_t errlen)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"needlewatch-analyze";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return options_parse(argc, argv, opts, err, errlen);
}

static void test_good(void **state)
{
    (void)state;
    options_t opts;
    char err[256];

    assert_int_equal(parse((const char *[]){NULL}, &opts, err, sizeof(err)), 0);
    assert_int_equal(opts.format, FORMAT_AUTO);
    assert_null(opts.conninfo);
    assert_string_equal(opts.from, "");
    assert_null(opts.output);

    assert_int_equal(parse((const char *[]){"--pg", "dbname=x", "--from", "2024-01-01", "--to",
                                            "2024-01-01", "--format", "csv", "--output", "r.csv", NULL},
                           &opts, err, sizeof(err)), 0);
    assert_string_equal(opts.conninfo, "dbname=x");
    assert_string_equal(opts.from, "2024-01-01");
    assert_string_equal(opts.to, "2024-01-01");
    assert_int_equal(opts.format, FORMAT_CSV);
    assert_string_equal(opts.output, "r.csv");

    assert_int_equal(parse((const char *[]){"--format=text", "--pg=", "--help", NULL}, &opts, err,
                           sizeof(err)), 0);
    assert_int_equal(opts.format, FORMAT_TEXT);
    assert_string_equal(opts.conninfo, "");
    assert_true(opts.help);
    assert_int_equal(parse((const char *[]){"--version", NULL}, &opts, err, sizeof(err)), 0);
    assert_true(opts.version);
    assert_false(opts.help);
    assert_false(opts.verify);

    assert_int_equal(parse((const char *[]){"--verify", "--pg", "dbname=x", NULL}, &opts, err,
                           sizeof(err)), 0);
    assert_true(opts.verify);
    assert_string_equal(opts.conninfo, "dbname=x");
}

static void test_usage_errors(void **state)
{
    (void)state;
    static const struct { const char *args[MAX_ARGS]; const char *message; } cases[] = {
        {{"--format", "xml"}, "--format: \"xml\" is not one of text, json, csv, html"},
        {{"--from", "2024-02-30"}, "--from: \"2024-02-30\" is not a date written YYYY-MM-DD"},
        {{"--to", "soon"}, "--to: \"soon\" is not a date written YYYY-MM-DD"},
        {{"--from", "2024-05-02", "--to", "2024-05-01"}, "--from 2024-05-02 is after --to 2024-05-01"},
        {{"--bogus"}, "unknown option --bogus"},
        {{"-x"}, "unknown option -x"},
        {{"--from"}, "--from needs a value"},
        {{"--output", ""}, "--output: empty file name"},
        {{"report.json"}, "unexpected argument \"report.json\""},
        {{"--verify", "--from", "2024-01-01"}, "--verify takes no --from, --to, --format or --output"},
        {{"--to", "2024-01-01", "--verify"}, "--verify takes no --from, --to, --format or --output"},
        {{"--verify", "--format", "json"}, "--verify takes no --from, --to, --format or --output"},
        {{"--output", "r.json", "--verify"}, "--verify takes no --from, --to, --format or --output"},
    };
    options_t opts;
    char err[256];
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        err[0] = '\0';
        assert_int_equal(parse(cases[i].args, &opts, err, sizeof(err)), -1);
        assert_string_equal(err, cases[i].message);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_props.c - the .properties parser: comments, trimming, line numbers in
 * errors, and -X argument splitting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "props.h"

typedef struct seen {
    char text[512];
    const char *fail_key; /* the callback rejects this key */
} seen_t;

static bool collect(const char *key, const char *value, void *opaque, char *errbuf,
                    size_t errsize)
{
    seen_t *s = opaque;
    if (s->fail_key && strcmp(key, s->fail_key) == 0) {
        snprintf(errbuf, errsize, "%s: rejected", key);
        return false;
    }
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof(s->text) - n, "[%s=%s]", key, value);
    return true;
}

static const struct {
    const char *input;
    const char *fail_key;
    bool ok;
    const char *expect; /* collected pairs, or the error */
} cases[] = {
    {"", NULL, true, ""},
    {"a=1\nb=2\n", NULL, true, "[a=1][b=2]"},
    {"  a  =  1  \n", NULL, true, "[a=1]"},
    {"# comment\n! also\n\n   \na=x=y\n", NULL, true, "[a=x=y]"},
    {"a=\n", NULL, true, "[a=]"},
    {"a=1\r\nb=2\r\n", NULL, true, "[a=1][b=2]"},
    {"a=1\nno equals here\n", NULL, false, "f:2: expected key=value"},
    {"=value\n", NULL, false, "f:1: expected key=value"},
    {"a=1\n\n\nbad=3\n", "bad", false, "f:4: bad: rejected"},
    {"k = pass=word # not a comment\n", NULL, true, "[k=pass=word # not a comment]"},
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        seen_t s = {"", cases[i].fail_key};
        char errbuf[256] = "";
        bool ok = props_parse("f", cases[i].input, collect, &s, errbuf, sizeof(errbuf));
        assert_int_equal(ok, cases[i].ok);
        assert_string_equal(ok ? s.text : errbuf, cases[i].expect);
    }
}

static void test_split_arg(void **state)
{
    char a[] = " kafka.group.id = g1 ", b[] = "novalue", c[] = "=x", d[] = "k=";
    char *key, *value;
    (void)state;
    assert_true(props_split_arg(a, &key, &value));
    assert_string_equal(key, "kafka.group.id");
    assert_string_equal(value, "g1");
    assert_false(props_split_arg(b, &key, &value));
    assert_false(props_split_arg(c, &key, &value));
    assert_true(props_split_arg(d, &key, &value));
    assert_string_equal(value, "");
}

static void test_missing_file(void **state)
{
    seen_t s = {"", NULL};
    char errbuf[256];
    (void)state;
    assert_false(props_load_file("/nonexistent/x.properties", collect, &s, errbuf,
                                 sizeof(errbuf)));
    assert_string_equal(errbuf, "/nonexistent/x.properties: No such file or directory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_split_arg),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

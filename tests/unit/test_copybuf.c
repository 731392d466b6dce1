/*
 * test_copybuf.c - table-driven tests of ingest/copybuf.c: every column
 * kind in COPY's text format (escapes, NULL, bytea hex), rows, and the
 * buffer reused after a reset and grown past its first allocation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "copybuf.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

static void expect(const copybuf_t *cb, const char *want)
{
    assert_false(cb->oom);
    assert_int_equal(cb->len, strlen(want));
    assert_memory_equal(cb->data, want, cb->len);
}

static void test_text(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a\tb", "a\\tb"},
        {"line\nbreak", "line\\nbreak"},
        {"cr\r", "cr\\r"},
        {"back\\slash", "back\\\\slash"},
        {"\\N", "\\\\N"}, /* a text that reads like NULL stays text */
        {"\xC3\xA9t\xC3\xA9", "\xC3\xA9t\xC3\xA9"},
        {NULL, "\\N"},
    };
    copybuf_t cb;
    (void)state;
    copybuf_init(&cb);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        copybuf_reset(&cb);
        copybuf_text(&cb, cases[i].in);
        expect(&cb, cases[i].out);
    }
    copybuf_reset(&cb);
    copybuf_textn(&cb, "abc\tdef", 4); /* only the first n bytes */
    expect(&cb, "abc\\t");
    copybuf_free(&cb);
}

static void test_columns(void **state)
{
    static const unsigned char bytes[] = {0x00, 0x7f, 0xff, 0x10};
    copybuf_t cb;
    (void)state;
    copybuf_init(&cb);
    copybuf_int(&cb, -42);
    copybuf_int(&cb, INT64_MAX);
    copybuf_double(&cb, 0.1);
    copybuf_bool(&cb, 1);
    copybuf_bool(&cb, 0);
    copybuf_bool(&cb, -1);
    copybuf_bytea(&cb, bytes, sizeof(bytes));
    copybuf_bytea(&cb, NULL, 0);
    copybuf_null(&cb);
    copybuf_end_row(&cb);
    copybuf_text(&cb, "second");
    copybuf_end_row(&cb);
    expect(&cb, "-42\t9223372036854775807\t0.10000000000000001\tt\tf\t\\N\t\\\\x007fff10\t\\N\t"
                "\\N\nsecond\n");
    copybuf_free(&cb);
}

/* Larger than the first allocation (64 KiB), then reused. */
static void test_growth(void **state)
{
    copybuf_t cb;
    size_t n = 200000;
    char *big = malloc(n + 1);
    (void)state;
    assert_non_null(big);
    memset(big, '\t', n); /* each byte doubles when escaped */
    big[n] = '\0';
    copybuf_init(&cb);
    copybuf_text(&cb, big);
    copybuf_end_row(&cb);
    assert_false(cb.oom);
    assert_int_equal(cb.len, 2 * n + 1);
    for (size_t i = 0; i < 2 * n; i += 2)
        assert_true(cb.data[i] == '\\' && cb.data[i + 1] == 't');
    copybuf_reset(&cb);
    assert_int_equal(cb.len, 0);
    assert_true(cb.cap >= 2 * n);
    copybuf_text(&cb, "x");
    copybuf_text(&cb, "y");
    expect(&cb, "x\ty"); /* a new row starts without a separator */
    copybuf_free(&cb);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_columns),
        cmocka_unit_test(test_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

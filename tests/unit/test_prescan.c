/*
 * test_prescan.c - table-driven tests of ingest/prescan.c, the strict JSON
 * pre-scan: what it lets through to cJSON, what it rejects and the byte
 * offset it names, blank messages, and UTF-8 sequence by sequence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "prescan.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

static void test_messages(void **state)
{
    static const struct {
        const char *in;
        size_t len;        /* 0: strlen(in) */
        const char *error; /* NULL: passes */
        bool blank;
    } cases[] = {
        {"{\"a\": [1, -2.5e3, 0, \"x\\u00e9\\ud83d\\ude00\"]}", 0, NULL, false},
        {"  \r\n\t", 0, NULL, true},
        {"", 0, NULL, true},
        {"{\"a\": tru}", 0, NULL, false}, /* structure is cJSON's */
        {"{\"a\": 01}", 0, "message: not valid JSON (bad number at byte 6)", false},
        {"{\"a\": -.5}", 0, "message: not valid JSON (bad number at byte 6)", false},
        {"{\"a\": 1.}", 0, "message: not valid JSON (bad number at byte 6)", false},
        {"{\"a\": 1e}", 0, "message: not valid JSON (bad number at byte 6)", false},
        {"{\"a\": \"\\u0000\"}", 0, "message: escaped NUL (U+0000) in a string at byte 7", false},
        {"{\"a\": \"\\ud800\"}", 0, "message: unpaired surrogate escape U+D800 at byte 7", false},
        {"{\"a\": \"\\udc00\"}", 0, "message: unpaired surrogate escape U+DC00 at byte 7", false},
        {"{\"a\": \"\\x\"}", 0, "message: not valid JSON (bad escape at byte 7)", false},
        {"{\"a\": \"\\u12g4\"}", 0, "message: not valid JSON (bad escape at byte 7)", false},
        {"{\"a\": \"\\u12\"", 0, "message: not valid JSON (truncated escape at byte 7)", false},
        {"{\"a\": \"x\ty\"}", 0,
         "message: not valid JSON (unescaped control character 0x09 in a string at byte 8)", false},
        {"{\"a\":\v1}", 0, "message: not valid JSON (control character 0x0B at byte 5)", false},
        {"{\"a\": \"\xC3\x28\"}", 0, "message: invalid UTF-8 at byte 7", false},
        {"{\"a\": \"\xED\xA0\x80\"}", 0, "message: invalid UTF-8 at byte 7", false},
        {"{\"a\": \"\xC0\xAF\"}", 0, "message: invalid UTF-8 at byte 7", false},
        {"[[[[1]]]]", 0, NULL, false},
        {"[[[[[1]]]]]", 0, "message: nesting deeper than 4 at byte 4", false},
        {"{\"a\":1}\0{", 9, "message: control character", false},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char err[256] = "";
        bool blank = !cases[i].blank;
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        bool ok = prescan_json((const unsigned char *)cases[i].in, len, 4, &blank, err,
                               sizeof(err));
        if (cases[i].error == NULL) {
            if (!ok)
                fail_msg("case %zu: rejected: %s", i, err);
            assert_int_equal(blank, cases[i].blank);
        } else if (ok || strstr(err, cases[i].error + (cases[i].len ? 9 : 0)) == NULL) {
            fail_msg("case %zu: \"%s\", expected \"%s\"", i, err, cases[i].error);
        }
    }
    /* No error buffer: still the verdict. */
    {
        bool blank;
        assert_false(prescan_json((const unsigned char *)"01", 2, 4, &blank, NULL, 0));
    }
}

static void test_utf8(void **state)
{
    static const struct {
        const char *bytes;
        size_t n, len;
        uint32_t cp;
    } cases[] = {
        {"A", 1, 1, 0x41},
        {"\xC3\xA9", 2, 2, 0xE9},
        {"\xE2\x80\x93", 3, 3, 0x2013},
        {"\xF0\x9F\x98\x80", 4, 4, 0x1F600},
        {"\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF},
        {"\xF4\x90\x80\x80", 4, 0, 0},  /* above U+10FFFF */
        {"\xE0\x80\xAF", 3, 0, 0},      /* overlong */
        {"\xED\xBF\xBF", 3, 0, 0},      /* a surrogate */
        {"\x80", 1, 0, 0},              /* a continuation byte */
        {"\xE2\x80", 2, 0, 0},          /* truncated */
        {"\xF5\x80\x80\x80", 4, 0, 0},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        uint32_t cp = 0;
        size_t len = prescan_utf8_decode((const unsigned char *)cases[i].bytes, cases[i].n, &cp);
        assert_int_equal(len, cases[i].len);
        if (len)
            assert_int_equal(cp, cases[i].cp);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages),
        cmocka_unit_test(test_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

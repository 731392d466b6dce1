/*
 * test_report.c - table-driven tests of the report decoder (ingest/report.c).
 *
 * Field cases start from a minimal valid report of their kind and set,
 * replace or delete one field ("device.type", "skin.fitzpatrick" reach into
 * the nested objects), so each row reads as "this value of this field gives
 * this result". Raw cases give the whole message, byte for byte. Every
 * invalid row names the exact error; a trailing '*' makes it a prefix match
 * (used where cJSON decides the byte offset). The last test replays the
 * hostile-input corpus in tests/corpus against its expected.tsv.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "report.h"

#define TODAY "2026-11-25"
#define BOTH 2 /* a field case run for both kinds */
#define DEL NULL

#define A10 "aaaaaaaaaa"
#define A40 A10 A10 A10 A10
#define A64 A40 A10 A10 "aaaa"
#define A65 A64 "a"
#define A128 A64 A64
#define A129 A128 "a"
#define E10 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define E64 E10 E10 E10 E10 E10 E10 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define ID_RULE "must be 1..64 characters from [A-Za-z0-9._:-]"
#define TYPES_RULE "must be one of infection, scarring, hyperpigmentation, burn, nerve_damage, " \
                   "fat_loss, granuloma, dryness_peeling, acne_flare, other"
#define DEVICE_RULE "must be one of derma_roller, derma_stamp, microneedling_pen, " \
                    "rf_microneedling, other"
#define OPERATOR_RULE "must be one of self, physician, nurse, aesthetician, other"

/* ---- Building messages -------------------------------------------------- */

typedef struct field {
    const char *key;
    const char *raw; /* JSON text; NULL for the nested device object */
} field_t;

static const field_t treatment_base[] = {
    {"schema_version", "1"},
    {"report_id", "\"t-1\""},
    {"treated_on", "\"2026-01-15\""},
    {"setting", "\"home\""},
    {"device", NULL},
};
static const field_t device_base[] = {{"type", "\"derma_roller\""}};
static const field_t complication_base[] = {
    {"schema_version", "1"},
    {"report_id", "\"c-1\""},
    {"treatment_id", "\"t-1\""},
    {"type", "\"infection\""},
};

typedef struct sbuf {
    char text[1 << 16];
    size_t len;
} sbuf_t;

static void put(sbuf_t *sb, const char *s)
{
    size_t n = strlen(s);

    assert_true(sb->len + n < sizeof sb->text);
    memcpy(sb->text + sb->len, s, n + 1);
    sb->len += n;
}

static void put_field(sbuf_t *sb, bool *first, const char *key, const char *raw)
{
    if (!*first)
        put(sb, ",");
    *first = false;
    put(sb, "\"");
    put(sb, key);
    put(sb, "\":");
    put(sb, raw);
}

/* Emits the members of base, with key set to raw (NULL deletes it; a key
 * not in base is appended). */
static void put_members(sbuf_t *sb, const field_t *base, size_t n, const char *key,
                        const char *raw)
{
    bool first = true, placed = false;
    const char *dot = key != NULL ? strchr(key, '.') : NULL;
    char obj[32] = "";

    if (dot != NULL) {
        assert_true((size_t)(dot - key) < sizeof obj);
        memcpy(obj, key, (size_t)(dot - key));
        obj[dot - key] = '\0';
    }
    for (size_t i = 0; i < n; i++) {
        if (dot == NULL && key != NULL && strcmp(key, base[i].key) == 0) {
            placed = true;
            if (raw != NULL)
                put_field(sb, &first, base[i].key, raw);
        } else if (base[i].raw == NULL) {
            bool into = dot != NULL && strcmp(obj, base[i].key) == 0;
            put_field(sb, &first, base[i].key, "{");
            put_members(sb, device_base, sizeof device_base / sizeof device_base[0],
                        into ? dot + 1 : NULL, raw);
            put(sb, "}");
            placed |= into;
        } else {
            put_field(sb, &first, base[i].key, base[i].raw);
        }
    }
    if (!placed && key != NULL && raw != NULL) {
        if (dot != NULL) {
            put_field(sb, &first, obj, "{");
            put_field(sb, &(bool){true}, dot + 1, raw);
            put(sb, "}");
        } else {
            put_field(sb, &first, key, raw);
        }
    }
}

/* A minimal valid report of kind with key set to raw (or deleted). */
static void build(sbuf_t *sb, report_kind_t kind, const char *key, const char *raw)
{
    sb->len = 0;
    sb->text[0] = '\0';
    put(sb, "{");
    if (kind == REPORT_TREATMENT)
        put_members(sb, treatment_base, sizeof treatment_base / sizeof treatment_base[0], key,
                    raw);
    else
        put_members(sb, complication_base, sizeof complication_base / sizeof complication_base[0],
                    key, raw);
    put(sb, "}");
}

/* Asserts that err is printable ASCII of reasonable length. */
static void assert_printable(const char *err)
{
    size_t n = strlen(err);

    assert_true(n > 0);
    assert_true(n < 256);
    for (size_t i = 0; i < n; i++)
        assert_true(err[i] >= 0x20 && err[i] < 0x7F);
}

/* Matches err against want: exact, or a prefix when want ends in '*'. */
static bool error_matches(const char *err, const char *want)
{
    size_t n = strlen(want);

    if (n > 0 && want[n - 1] == '*')
        return strncmp(err, want, n - 1) == 0;
    return strcmp(err, want) == 0;
}

static bool is_cleared(const report_t *r)
{
    static const report_t zero;
    return memcmp(r, &zero, sizeof zero) == 0;
}

typedef void (*check_fn)(const report_t *r);

/* Decodes msg and checks the outcome; want NULL means "must decode". A wrong
 * outcome is printed and returned as false, so a table reports every bad row
 * before it fails; broken invariants (clearing, printable errors) assert. */
static bool expect(const char *what, report_kind_t kind, const void *msg, size_t len,
                   const report_limits_t *limits, const char *want, check_fn check)
{
    report_t r;
    char err[256];
    bool ok;

    memset(&r, 0x5A, sizeof r); /* garbage: the decoder must clear it */
    ok = report_decode(kind, msg, len, limits, TODAY, &r, err, sizeof err);
    if (ok) {
        assert_int_equal(r.kind, kind);
        if (want == NULL && check != NULL)
            check(&r);
        report_clear(&r);
        assert_true(is_cleared(&r));
        if (want != NULL)
            print_error("%s:\n  decoded, want %s\n", what, want);
        return want == NULL;
    }
    assert_true(is_cleared(&r));
    assert_printable(err);
    if (want == NULL || !error_matches(err, want)) {
        print_error("%s:\n  got  %s\n  want %s\n", what, err, want != NULL ? want : "(decoded)");
        return false;
    }
    return true;
}

/* ---- Checks for valid cases --------------------------------------------- */

static void chk_defaults(const report_t *r)
{
    assert_int_equal(r->version, 1);
    assert_false(r->nullified);
    assert_null(r->reported_at);
    assert_int_equal(r->fitzpatrick, 0);
    assert_int_equal(r->sterile_tip, -1);
    assert_int_equal(r->active_acne, -1);
    assert_false(r->has_needle_depth);
    assert_null(r->manufacturer);
    assert_null(r->model);
    assert_null(r->serum);
    assert_null(r->region);
    assert_null(r->operator_role);
    assert_int_equal(r->onset_days, -1);
    assert_null(r->severity);
    assert_null(r->outcome);
    assert_int_equal(r->medical_attention, -1);
}
static void chk_version_2(const report_t *r) { assert_int_equal(r->version, 2); }
static void chk_version_max(const report_t *r) { assert_int_equal(r->version, 2147483647); }
static void chk_nullified(const report_t *r) { assert_true(r->nullified); }
static void chk_not_nullified(const report_t *r) { assert_false(r->nullified); }
static void chk_reported_at(const report_t *r)
{
    assert_string_equal(r->reported_at, "2026-01-15t10:20:30.123456789z");
}
static void chk_id64(const report_t *r) { assert_string_equal(r->report_id, A64); }
static void chk_id_chars(const report_t *r) { assert_string_equal(r->report_id, "AZaz09._:-"); }
static void chk_leap_day(const report_t *r) { assert_string_equal(r->treated_on, "2024-02-29"); }
static void chk_today(const report_t *r) { assert_string_equal(r->treated_on, TODAY); }
static void chk_clinic(const report_t *r) { assert_string_equal(r->setting, "clinic"); }
static void chk_pen(const report_t *r)
{
    assert_string_equal(r->device_type, "microneedling_pen");
    assert_ptr_equal(r->device_type, catalogue_device_types.entries[2].name);
}
static void chk_manuf128(const report_t *r) { assert_string_equal(r->manufacturer, A128); }
static void chk_model_e64(const report_t *r) { assert_string_equal(r->model, E64 E64); }
static void chk_manuf_empty(const report_t *r) { assert_string_equal(r->manufacturer, ""); }
static void chk_depth_5(const report_t *r)
{
    assert_true(r->has_needle_depth);
    assert_true(r->needle_depth_mm == 5.0);
}
static void chk_depth_small(const report_t *r)
{
    assert_true(r->has_needle_depth);
    assert_true(r->needle_depth_mm == 1e-9);
}
static void chk_nurse(const report_t *r) { assert_string_equal(r->operator_role, "nurse"); }
static void chk_fitz3(const report_t *r) { assert_int_equal(r->fitzpatrick, 3); }
static void chk_fitz6(const report_t *r) { assert_int_equal(r->fitzpatrick, 6); }
static void chk_fitz_unknown(const report_t *r) { assert_int_equal(r->fitzpatrick, 0); }
static void chk_sterile_true(const report_t *r) { assert_int_equal(r->sterile_tip, 1); }
static void chk_acne_false(const report_t *r) { assert_int_equal(r->active_acne, 0); }
static void chk_serum_sql(const report_t *r)
{
    assert_string_equal(r->serum, "'); DROP TABLE x; --");
}
static void chk_region_escapes(const report_t *r)
{
    assert_string_equal(r->region, "a\\b\tc\nd\"e/f");
}
static void chk_serum_pair(const report_t *r) { assert_string_equal(r->serum, "\xf0\x9f\x98\x80"); }
static void chk_serum_e64(const report_t *r) { assert_string_equal(r->serum, E64); }
static void chk_region64(const report_t *r) { assert_string_equal(r->region, A64); }
static void chk_treatment_id(const report_t *r) { assert_string_equal(r->treatment_id, "T.1:a_b-c"); }
static void chk_burn(const report_t *r)
{
    assert_string_equal(r->type, "burn");
    assert_ptr_equal(r->type, catalogue_complication_types.entries[3].name);
}
static void chk_severe(const report_t *r) { assert_string_equal(r->severity, "severe"); }
static void chk_onset0(const report_t *r) { assert_int_equal(r->onset_days, 0); }
static void chk_onset365(const report_t *r) { assert_int_equal(r->onset_days, 365); }
static void chk_onset30(const report_t *r) { assert_int_equal(r->onset_days, 30); }
static void chk_permanent(const report_t *r) { assert_string_equal(r->outcome, "permanent"); }
static void chk_attention(const report_t *r) { assert_int_equal(r->medical_attention, 1); }
static void chk_no_attention(const report_t *r) { assert_int_equal(r->medical_attention, 0); }

/* ---- Field cases -------------------------------------------------------- */

typedef struct field_case {
    int kind; /* REPORT_TREATMENT, REPORT_COMPLICATION or BOTH */
    const char *key;
    const char *raw;  /* DEL deletes the field */
    const char *want; /* NULL: must decode */
    check_fn check;
} field_case_t;

#define T REPORT_TREATMENT
#define C REPORT_COMPLICATION

static const field_case_t field_cases[] = {
    /* the minimal reports themselves */
    {BOTH, NULL, NULL, NULL, chk_defaults},

    /* schema_version: required, integer, must be 1 */
    {BOTH, "schema_version", DEL, "schema_version: required", NULL},
    {BOTH, "schema_version", "1.0", NULL, NULL},
    {BOTH, "schema_version", "10e-1", NULL, NULL},
    {BOTH, "schema_version", "2", "schema_version: must be 1, got 2", NULL},
    {BOTH, "schema_version", "0", "schema_version: must be 1, got 0", NULL},
    {BOTH, "schema_version", "1.5", "schema_version: must be 1, got 1.5", NULL},
    {BOTH, "schema_version", "\"1\"", "schema_version: must be 1, got \"1\"", NULL},
    {BOTH, "schema_version", "null", "schema_version: must be 1, got null", NULL},
    {BOTH, "schema_version", "true", "schema_version: must be 1, got true", NULL},
    {BOTH, "schema_version", "[1]", "schema_version: must be 1, got an array", NULL},
    {BOTH, "schema_version", "1e400", "schema_version: must be 1, got a number out of range", NULL},
    {BOTH, "Schema_Version", "1", NULL, NULL}, /* an unknown field: case matters */

    /* report_id: required, 1..64 of [A-Za-z0-9._:-] */
    {BOTH, "report_id", DEL, "report_id: required", NULL},
    {BOTH, "report_id", "\"" A64 "\"", NULL, chk_id64},
    {BOTH, "report_id", "\"AZaz09._:-\"", NULL, chk_id_chars},
    {BOTH, "report_id", "\"\"", "report_id: " ID_RULE ", got \"\"", NULL},
    {BOTH, "report_id", "\"" A65 "\"", "report_id: " ID_RULE ", got \"" A40 "\"...", NULL},
    {BOTH, "report_id", "\"a b\"", "report_id: " ID_RULE ", got \"a b\"", NULL},
    {BOTH, "report_id", "\"a/b\"", "report_id: " ID_RULE ", got \"a/b\"", NULL},
    {BOTH, "report_id", "\"caf\\u00e9\"", "report_id: " ID_RULE ", got \"caf\\u00e9\"", NULL},
    {BOTH, "report_id", "\"x'); DROP TABLE x; --\"",
     "report_id: " ID_RULE ", got \"x'); DROP TABLE x; --\"", NULL},
    {BOTH, "report_id", "12", "report_id: " ID_RULE ", got 12", NULL},
    {BOTH, "report_id", "null", "report_id: " ID_RULE ", got null", NULL},
    {BOTH, "report_id", "{}", "report_id: " ID_RULE ", got an object", NULL},

    /* version: optional integer 1..2147483647, default 1 */
    {BOTH, "version", "2", NULL, chk_version_2},
    {BOTH, "version", "2.0", NULL, chk_version_2},
    {BOTH, "version", "2147483647", NULL, chk_version_max},
    {BOTH, "version", "0", "version: must be an integer 1..2147483647, got 0", NULL},
    {BOTH, "version", "-1", "version: must be an integer 1..2147483647, got -1", NULL},
    {BOTH, "version", "2147483648", "version: must be an integer 1..2147483647, got 2147483648", NULL},
    {BOTH, "version", "2.5", "version: must be an integer 1..2147483647, got 2.5", NULL},
    {BOTH, "version", "\"2\"", "version: must be an integer 1..2147483647, got \"2\"", NULL},
    {BOTH, "version", "null", "version: must be an integer 1..2147483647, got null", NULL},
    {BOTH, "version", "1e400", "version: must be an integer 1..2147483647, got a number out of range", NULL},

    /* nullified: optional boolean, default false */
    {BOTH, "nullified", "true", NULL, chk_nullified},
    {BOTH, "nullified", "false", NULL, chk_not_nullified},
    {BOTH, "nullified", "\"true\"", "nullified: must be a boolean, got \"true\"", NULL},
    {BOTH, "nullified", "1", "nullified: must be a boolean, got 1", NULL},
    {BOTH, "nullified", "null", "nullified: must be a boolean, got null", NULL},

    /* reported_at: optional RFC 3339 timestamp, kept as sent */
    {BOTH, "reported_at", "\"2026-01-15T10:20:30Z\"", NULL, NULL},
    {BOTH, "reported_at", "\"2026-01-15t10:20:30.123456789z\"", NULL, chk_reported_at},
    {BOTH, "reported_at", "\"2026-01-15 10:20:30+05:30\"", NULL, NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30.5-00:00\"", NULL, NULL},
    {BOTH, "reported_at", "\"2016-12-31T23:59:60Z\"", NULL, NULL},
    {BOTH, "reported_at", "\"2099-01-01T00:00:00Z\"", NULL, NULL}, /* future is allowed */
    {BOTH, "reported_at", "\"2024-02-29T00:00:00+15:59\"", NULL, NULL},
    {BOTH, "reported_at", "\"2024-02-29T00:00:00-15:59\"", NULL, NULL},
    {BOTH, "reported_at", "\"2016-12-31T23:59:60.000Z\"", NULL, NULL},
    {BOTH, "reported_at", "\"2024-02-29T00:00:00+16:00\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2024-02-29T00:00:00+16:00\"", NULL},
    {BOTH, "reported_at", "\"2016-12-31T23:59:60.5Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2016-12-31T23:59:60.5Z\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30.1234567890Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:30.1234567890Z\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T24:00:00Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T24:00:00Z\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:60:00Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:60:00Z\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:61Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:61Z\"", NULL},
    {BOTH, "reported_at", "\"2026-02-30T10:20:30Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-02-30T10:20:30Z\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20Z\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:30\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30.Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:30.Z\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30+24:00\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:30+24:00\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30+05:60\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:30+05:60\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30+0530\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:30+0530\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15T10:20:30Zx\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15T10:20:30Zx\"", NULL},
    {BOTH, "reported_at", "\"2026-01-15X10:20:30Z\"",
     "reported_at: must be an RFC 3339 timestamp, got \"2026-01-15X10:20:30Z\"", NULL},
    {BOTH, "reported_at", "\"1899-12-31T23:59:59Z\"",
     "reported_at: must not be before 1900-01-01, got \"1899-12-31T23:59:59Z\"", NULL},
    {BOTH, "reported_at", "1768472430",
     "reported_at: must be an RFC 3339 timestamp, got 1768472430", NULL},
    {BOTH, "reported_at", "null", "reported_at: must be an RFC 3339 timestamp, got null", NULL},

    /* treated_on: required real date, 1900-01-01..today */
    {T, "treated_on", DEL, "treated_on: required", NULL},
    {T, "treated_on", "\"2024-02-29\"", NULL, chk_leap_day},
    {T, "treated_on", "\"2000-02-29\"", NULL, NULL},
    {T, "treated_on", "\"1900-01-01\"", NULL, NULL},
    {T, "treated_on", "\"" TODAY "\"", NULL, chk_today},
    {T, "treated_on", "\"2026-02-30\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-02-30\"", NULL},
    {T, "treated_on", "\"2023-02-29\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2023-02-29\"", NULL},
    {T, "treated_on", "\"1900-02-29\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"1900-02-29\"", NULL},
    {T, "treated_on", "\"2026-04-31\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-04-31\"", NULL},
    {T, "treated_on", "\"2026-13-01\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-13-01\"", NULL},
    {T, "treated_on", "\"2026-00-10\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-00-10\"", NULL},
    {T, "treated_on", "\"2026-01-00\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-01-00\"", NULL},
    {T, "treated_on", "\"2026-1-5\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-1-5\"", NULL},
    {T, "treated_on", "\"2026/01/15\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026/01/15\"", NULL},
    {T, "treated_on", "\"2026-01-15 \"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-01-15 \"", NULL},
    {T, "treated_on", "\"2026-01-15T00:00:00Z\"",
     "treated_on: must be a real date YYYY-MM-DD, got \"2026-01-15T00:00:00Z\"", NULL},
    {T, "treated_on", "\"\"", "treated_on: must be a real date YYYY-MM-DD, got \"\"", NULL},
    {T, "treated_on", "20260115", "treated_on: must be a real date YYYY-MM-DD, got 20260115", NULL},
    {T, "treated_on", "null", "treated_on: must be a real date YYYY-MM-DD, got null", NULL},
    {T, "treated_on", "\"1899-12-31\"",
     "treated_on: must not be before 1900-01-01, got \"1899-12-31\"", NULL},
    {T, "treated_on", "\"2026-11-26\"",
     "treated_on: must not be after today (" TODAY "), got \"2026-11-26\"", NULL},
    {T, "treated_on", "\"2027-01-01\"",
     "treated_on: must not be after today (" TODAY "), got \"2027-01-01\"", NULL},

    /* setting: required, home or clinic */
    {T, "setting", DEL, "setting: required", NULL},
    {T, "setting", "\"clinic\"", NULL, chk_clinic},
    {T, "setting", "\"garage\"", "setting: must be one of home, clinic, got \"garage\"", NULL},
    {T, "setting", "\"Home\"", "setting: must be one of home, clinic, got \"Home\"", NULL},
    {T, "setting", "\"home \"", "setting: must be one of home, clinic, got \"home \"", NULL},
    {T, "setting", "1", "setting: must be one of home, clinic, got 1", NULL},
    {T, "setting", "null", "setting: must be one of home, clinic, got null", NULL},
    {T, "setting", "[\"home\"]", "setting: must be one of home, clinic, got an array", NULL},
    /* got-values are escaped, ASCII-only and cut to 40 characters */
    {T, "setting", "\"\\u0001\\n\\\"\\\\\\u00e9\\ud83d\\ude00\xe2\x82\xac\"",
     "setting: must be one of home, clinic, got \"\\u0001\\n\\\"\\\\\\u00e9\\ud83d\\ude00\\u20ac\"", NULL},
    {T, "setting", "\"" A64 "\"", "setting: must be one of home, clinic, got \"" A40 "\"...", NULL},
    {T, "setting", "\"" E10 "\"",
     "setting: must be one of home, clinic, got \"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"...", NULL},

    /* device: required object; device.type required enum */
    {T, "device", DEL, "device: required", NULL},
    {T, "device", "\"roller\"", "device: must be an object, got \"roller\"", NULL},
    {T, "device", "[]", "device: must be an object, got an array", NULL},
    {T, "device", "null", "device: must be an object, got null", NULL},
    {T, "device", "{}", "device.type: required", NULL},
    {T, "device.type", DEL, "device.type: required", NULL},
    {T, "device.type", "\"derma_stamp\"", NULL, NULL},
    {T, "device.type", "\"microneedling_pen\"", NULL, chk_pen},
    {T, "device.type", "\"rf_microneedling\"", NULL, NULL},
    {T, "device.type", "\"other\"", NULL, NULL},
    {T, "device.type", "\"pen\"", "device.type: " DEVICE_RULE ", got \"pen\"", NULL},
    {T, "device.type", "\"DERMA_ROLLER\"", "device.type: " DEVICE_RULE ", got \"DERMA_ROLLER\"", NULL},
    {T, "device.type", "null", "device.type: " DEVICE_RULE ", got null", NULL},
    {T, "device.type", "3", "device.type: " DEVICE_RULE ", got 3", NULL},
    {T, "type", "\"derma_roller\"", NULL, NULL}, /* top-level "type" is not device.type */

    /* device.manufacturer, device.model: optional strings, <= 128 code points */
    {T, "device.manufacturer", "\"" A128 "\"", NULL, chk_manuf128},
    {T, "device.manufacturer", "\"\"", NULL, chk_manuf_empty},
    {T, "device.manufacturer", "\"" A129 "\"",
     "device.manufacturer: must be a string of at most 128 characters, got 129 characters", NULL},
    {T, "device.manufacturer", "5",
     "device.manufacturer: must be a string of at most 128 characters, got 5", NULL},
    {T, "device.manufacturer", "null",
     "device.manufacturer: must be a string of at most 128 characters, got null", NULL},
    {T, "device.model", "\"" E64 E64 "\"", NULL, chk_model_e64}, /* 128 chars, 256 bytes */
    {T, "device.model", "\"" E64 E64 "a\"",
     "device.model: must be a string of at most 128 characters, got 129 characters", NULL},
    {T, "device.model", "{}", "device.model: must be a string of at most 128 characters, got an object", NULL},

    /* device.needle_depth_mm: optional number, 0 < x <= 5 */
    {T, "device.needle_depth_mm", "5", NULL, chk_depth_5},
    {T, "device.needle_depth_mm", "5.0", NULL, chk_depth_5},
    {T, "device.needle_depth_mm", "1e-9", NULL, chk_depth_small},
    {T, "device.needle_depth_mm", "0",
     "device.needle_depth_mm: must be a number greater than 0 and at most 5, got 0", NULL},
    {T, "device.needle_depth_mm", "-0",
     "device.needle_depth_mm: must be a number greater than 0 and at most 5, got -0", NULL},
    {T, "device.needle_depth_mm", "-0.5",
     "device.needle_depth_mm: must be a number greater than 0 and at most 5, got -0.5", NULL},
    {T, "device.needle_depth_mm", "5.0001",
     "device.needle_depth_mm: must be a number greater than 0 and at most 5, got 5.0001", NULL},
    {T, "device.needle_depth_mm", "1e400",
     "device.needle_depth_mm: must be a number greater than 0 and at most 5, got a number out of range", NULL},
    {T, "device.needle_depth_mm", "\"1.5\"",
     "device.needle_depth_mm: must be a number greater than 0 and at most 5, got \"1.5\"", NULL},
    {T, "device.needle_depth_mm", "null",
     "device.needle_depth_mm: must be a number greater than 0 and at most 5, got null", NULL},

    /* operator: optional enum */
    {T, "operator", "\"self\"", NULL, NULL},
    {T, "operator", "\"physician\"", NULL, NULL},
    {T, "operator", "\"nurse\"", NULL, chk_nurse},
    {T, "operator", "\"aesthetician\"", NULL, NULL},
    {T, "operator", "\"other\"", NULL, NULL},
    {T, "operator", "\"doctor\"", "operator: " OPERATOR_RULE ", got \"doctor\"", NULL},
    {T, "operator", "null", "operator: " OPERATOR_RULE ", got null", NULL},

    /* skin: optional object; skin.fitzpatrick optional integer 1..6 */
    {T, "skin", "{}", NULL, chk_fitz_unknown},
    {T, "skin", "\"III\"", "skin: must be an object, got \"III\"", NULL},
    {T, "skin", "null", "skin: must be an object, got null", NULL},
    {T, "skin.fitzpatrick", "1", NULL, NULL},
    {T, "skin.fitzpatrick", "3", NULL, chk_fitz3},
    {T, "skin.fitzpatrick", "3.0", NULL, chk_fitz3},
    {T, "skin.fitzpatrick", "6", NULL, chk_fitz6},
    {T, "skin.fitzpatrick", "7", "skin.fitzpatrick: must be an integer 1..6, got 7", NULL},
    {T, "skin.fitzpatrick", "0", "skin.fitzpatrick: must be an integer 1..6, got 0", NULL},
    {T, "skin.fitzpatrick", "-0", "skin.fitzpatrick: must be an integer 1..6, got -0", NULL},
    {T, "skin.fitzpatrick", "3.5", "skin.fitzpatrick: must be an integer 1..6, got 3.5", NULL},
    {T, "skin.fitzpatrick", "\"III\"", "skin.fitzpatrick: must be an integer 1..6, got \"III\"", NULL},
    {T, "skin.fitzpatrick", "\"3\"", "skin.fitzpatrick: must be an integer 1..6, got \"3\"", NULL},
    {T, "skin.fitzpatrick", "null", "skin.fitzpatrick: must be an integer 1..6, got null", NULL},
    {T, "skin.fitzpatrick", "1e400",
     "skin.fitzpatrick: must be an integer 1..6, got a number out of range", NULL},
    {T, "fitzpatrick", "9", NULL, chk_fitz_unknown}, /* top-level is an unknown field */

    /* sterile_tip, active_acne: optional booleans */
    {T, "sterile_tip", "true", NULL, chk_sterile_true},
    {T, "sterile_tip", "\"yes\"", "sterile_tip: must be a boolean, got \"yes\"", NULL},
    {T, "sterile_tip", "1", "sterile_tip: must be a boolean, got 1", NULL},
    {T, "sterile_tip", "null", "sterile_tip: must be a boolean, got null", NULL},
    {T, "active_acne", "false", NULL, chk_acne_false},
    {T, "active_acne", "\"no\"", "active_acne: must be a boolean, got \"no\"", NULL},
    {T, "active_acne", "0", "active_acne: must be a boolean, got 0", NULL},

    /* serum, region: optional strings, <= 64 code points, kept literally */
    {T, "serum", "\"'); DROP TABLE x; --\"", NULL, chk_serum_sql},
    {T, "serum", "\"\\ud83d\\ude00\"", NULL, chk_serum_pair},
    {T, "serum", "\"" E64 "\"", NULL, chk_serum_e64},
    {T, "serum", "\"" A65 "\"", "serum: must be a string of at most 64 characters, got 65 characters", NULL},
    {T, "serum", "[\"hyaluronic\"]", "serum: must be a string of at most 64 characters, got an array", NULL},
    {T, "serum", "null", "serum: must be a string of at most 64 characters, got null", NULL},
    {T, "region", "\"a\\\\b\\tc\\nd\\\"e\\/f\"", NULL, chk_region_escapes},
    {T, "region", "\"" A64 "\"", NULL, chk_region64},
    {T, "region", "\"" E64 "x\"", "region: must be a string of at most 64 characters, got 65 characters", NULL},
    {T, "region", "false", "region: must be a string of at most 64 characters, got false", NULL},

    /* treatment_id: required, same format as report_id */
    {C, "treatment_id", DEL, "treatment_id: required", NULL},
    {C, "treatment_id", "\"T.1:a_b-c\"", NULL, chk_treatment_id},
    {C, "treatment_id", "\"" A64 "\"", NULL, NULL},
    {C, "treatment_id", "\"\"", "treatment_id: " ID_RULE ", got \"\"", NULL},
    {C, "treatment_id", "\"" A65 "\"", "treatment_id: " ID_RULE ", got \"" A40 "\"...", NULL},
    {C, "treatment_id", "\"t 1\"", "treatment_id: " ID_RULE ", got \"t 1\"", NULL},
    {C, "treatment_id", "5", "treatment_id: " ID_RULE ", got 5", NULL},
    {C, "treatment_id", "null", "treatment_id: " ID_RULE ", got null", NULL},

    /* type: required enum of ten */
    {C, "type", DEL, "type: required", NULL},
    {C, "type", "\"scarring\"", NULL, NULL},
    {C, "type", "\"hyperpigmentation\"", NULL, NULL},
    {C, "type", "\"burn\"", NULL, chk_burn},
    {C, "type", "\"nerve_damage\"", NULL, NULL},
    {C, "type", "\"fat_loss\"", NULL, NULL},
    {C, "type", "\"granuloma\"", NULL, NULL},
    {C, "type", "\"dryness_peeling\"", NULL, NULL},
    {C, "type", "\"acne_flare\"", NULL, NULL},
    {C, "type", "\"other\"", NULL, NULL},
    {C, "type", "\"rash\"", "type: " TYPES_RULE ", got \"rash\"", NULL},
    {C, "type", "\"Infection\"", "type: " TYPES_RULE ", got \"Infection\"", NULL},
    {C, "type", "null", "type: " TYPES_RULE ", got null", NULL},
    {C, "type", "{\"name\":\"burn\"}", "type: " TYPES_RULE ", got an object", NULL},

    /* severity: optional enum */
    {C, "severity", "\"mild\"", NULL, NULL},
    {C, "severity", "\"moderate\"", NULL, NULL},
    {C, "severity", "\"severe\"", NULL, chk_severe},
    {C, "severity", "\"critical\"", "severity: must be one of mild, moderate, severe, got \"critical\"", NULL},
    {C, "severity", "null", "severity: must be one of mild, moderate, severe, got null", NULL},
    {C, "severity", "2", "severity: must be one of mild, moderate, severe, got 2", NULL},

    /* onset_days: optional integer 0..365 */
    {C, "onset_days", "0", NULL, chk_onset0},
    {C, "onset_days", "-0", NULL, chk_onset0},
    {C, "onset_days", "365", NULL, chk_onset365},
    {C, "onset_days", "30.0", NULL, chk_onset30},
    {C, "onset_days", "3e1", NULL, chk_onset30},
    {C, "onset_days", "366", "onset_days: must be an integer 0..365, got 366", NULL},
    {C, "onset_days", "-1", "onset_days: must be an integer 0..365, got -1", NULL},
    {C, "onset_days", "3.5", "onset_days: must be an integer 0..365, got 3.5", NULL},
    {C, "onset_days", "\"3\"", "onset_days: must be an integer 0..365, got \"3\"", NULL},
    {C, "onset_days", "1e400", "onset_days: must be an integer 0..365, got a number out of range", NULL},
    {C, "onset_days", "-1e400", "onset_days: must be an integer 0..365, got a number out of range", NULL},
    {C, "onset_days", "null", "onset_days: must be an integer 0..365, got null", NULL},

    /* outcome: optional enum */
    {C, "outcome", "\"resolved\"", NULL, NULL},
    {C, "outcome", "\"ongoing\"", NULL, NULL},
    {C, "outcome", "\"permanent\"", NULL, chk_permanent},
    {C, "outcome", "\"unknown\"", NULL, NULL},
    {C, "outcome", "\"dead\"", "outcome: must be one of resolved, ongoing, permanent, unknown, got \"dead\"", NULL},
    {C, "outcome", "null", "outcome: must be one of resolved, ongoing, permanent, unknown, got null", NULL},

    /* medical_attention: optional boolean */
    {C, "medical_attention", "true", NULL, chk_attention},
    {C, "medical_attention", "false", NULL, chk_no_attention},
    {C, "medical_attention", "\"no\"", "medical_attention: must be a boolean, got \"no\"", NULL},
    {C, "medical_attention", "null", "medical_attention: must be a boolean, got null", NULL},

    /* unknown fields are ignored, whatever their value; other kinds' fields too */
    {BOTH, "extra", "{\"nested\":[1,2,{\"a\":null}],\"b\":-0,\"c\":1E+2}", NULL, NULL},
    {C, "setting", "\"garage\"", NULL, NULL},
    {T, "severity", "\"apocalyptic\"", NULL, NULL},
    {BOTH, "note", "\"'); DROP TABLE x; -- \\\\ \\t \\n\"", NULL, NULL},
    {BOTH, "big", "1e400", NULL, NULL},
    {BOTH, "tiny", "-0", NULL, NULL},
    {BOTH, "caf\xc3\xa9", "\"\xe2\x82\xac\"", NULL, NULL},

    /* duplicate keys at any level */
    {BOTH, "extra", "{\"a\":1,\"a\":2}", "extra: duplicate key \"a\"", NULL},
    {BOTH, "extra", "{\"a\":1,\"\\u0061\":2}", "extra: duplicate key \"a\"", NULL},
    {BOTH, "extra", "{\"list\":[0,{\"x\":{\"q\":1,\"q\":1}}]}", "extra.list[1].x: duplicate key \"q\"", NULL},
    {BOTH, "extra", "[{},{\"\":1,\"\":2}]", "extra[1]: duplicate key \"\"", NULL},
    {BOTH, "extra", "{\"A\":1,\"a\":2}", NULL, NULL},
    {BOTH, "caf\xc3\xa9", "{\"x\":1,\"x\":2}", "caf\\u00e9: duplicate key \"x\"", NULL},
    {BOTH, "a\\\"b", "{\"x\":1,\"x\":2}", "a\\\"b: duplicate key \"x\"", NULL},
    {T, "device.type", "\"derma_roller\",\"type\":\"other\"", "device: duplicate key \"type\"", NULL},
    {T, "skin.fitzpatrick", "1,\"fitzpatrick\":2", "skin: duplicate key \"fitzpatrick\"", NULL},
    {BOTH, "report_id", "\"x\",\"report_id\":\"y\"", "message: duplicate key \"report_id\"", NULL},
    {BOTH, "schema_version", "1,\"schema_version\":1", "message: duplicate key \"schema_version\"", NULL},
};

static bool run_field_case(const field_case_t *fc, report_kind_t kind)
{
    sbuf_t *sb = malloc(sizeof *sb);
    char what[512];

    assert_non_null(sb);
    build(sb, kind, fc->key, fc->raw);
    snprintf(what, sizeof what, "%s %.400s", report_kind_name(kind), sb->text);
    bool ok = expect(what, kind, sb->text, sb->len, NULL, fc->want, fc->check);
    free(sb);
    return ok;
}

static void test_field_cases(void **state)
{
    size_t bad = 0;

    (void)state;
    for (size_t i = 0; i < sizeof field_cases / sizeof field_cases[0]; i++) {
        const field_case_t *fc = &field_cases[i];
        if (fc->kind == BOTH || fc->kind == REPORT_TREATMENT)
            bad += !run_field_case(fc, REPORT_TREATMENT);
        if (fc->kind == BOTH || fc->kind == REPORT_COMPLICATION)
            bad += !run_field_case(fc, REPORT_COMPLICATION);
    }
    assert_int_equal(bad, 0);
}

/* ---- Raw message cases -------------------------------------------------- */

typedef struct raw_case {
    const char *name;
    const char *bytes;
    size_t len;       /* 0: strlen(bytes) unless empty */
    const char *want; /* NULL: must decode */
} raw_case_t;

#define RAW(name, s, want) {name, s, sizeof(s) - 1, want}
#define MIN_T "\"schema_version\":1,\"report_id\":\"t-1\",\"treated_on\":\"2026-01-15\"," \
              "\"setting\":\"home\",\"device\":{\"type\":\"derma_roller\"}"
#define ONE_T "{" MIN_T "}"

static const raw_case_t raw_cases[] = {
    RAW("minimal", ONE_T, NULL),
    RAW("empty", "", "message: empty"),
    RAW("whitespace", " \t\r\n ", "message: empty (only whitespace)"),
    RAW("bom", "\xef\xbb\xbf" ONE_T, "message: byte order mark not allowed"),
    RAW("bom only", "\xef\xbb\xbf", "message: byte order mark not allowed"),
    RAW("not json", "hello, world", "message: not valid JSON (error near byte 0)"),
    RAW("truncated", "{" MIN_T, "message: not valid JSON*"),
    RAW("truncated in string", "{\"schema_version\":1,\"report_id\":\"t-", "message: not valid JSON*"),
    RAW("truncated escape", "{\"a\":\"\\", "message: not valid JSON*"),
    RAW("truncated unicode escape", "{\"a\":\"\\u00", "message: not valid JSON (truncated escape at byte 6)"),
    RAW("missing comma", "{\"a\":1 \"b\":2}", "message: not valid JSON*"),
    RAW("single quotes", "{'a':1}", "message: not valid JSON*"),
    RAW("trailing comma", "{\"a\":1,}", "message: not valid JSON*"),
    RAW("comment", "{\"a\":1 /* c */}", "message: not valid JSON*"),
    RAW("bare word", "{\"a\":yes}", "message: not valid JSON*"),
    RAW("NaN", "{\"a\":NaN}", "message: not valid JSON*"),
    RAW("array", "[" ONE_T "]", "message: must be a JSON object, got an array"),
    RAW("string", "\"report\"", "message: must be a JSON object, got \"report\""),
    RAW("number", "42", "message: must be a JSON object, got 42"),
    RAW("null", "null", "message: must be a JSON object, got null"),
    RAW("true", " true ", "message: must be a JSON object, got true"),
    RAW("trailing garbage", ONE_T " x", "message: not valid JSON (trailing data at byte 115)"),
    RAW("two objects", ONE_T ONE_T, "message: not valid JSON (trailing data at byte 114)"),
    RAW("trailing whitespace", " \r\n" ONE_T " \t\r\n", NULL),
    RAW("pretty printed", "{\n  \"schema_version\": 1,\n  \"report_id\": \"t-1\",\n"
        "  \"treated_on\": \"2026-01-15\",\n  \"setting\": \"home\",\n"
        "  \"device\": {\n    \"type\": \"derma_roller\"\n  }\n}\n", NULL),

    /* UTF-8: raw bytes are validated before parsing */
    RAW("invalid byte", "{\"report_id\":\"abc\xff\"}", "message: invalid UTF-8 at byte 17"),
    RAW("lone continuation", "{\"a\":\"\x80\"}", "message: invalid UTF-8 at byte 6"),
    RAW("overlong slash", "{\"a\":\"\xc0\xaf\"}", "message: invalid UTF-8 at byte 6"),
    RAW("overlong C1", "{\"a\":\"\xc1\xbf\"}", "message: invalid UTF-8 at byte 6"),
    RAW("overlong 3-byte", "{\"a\":\"\xe0\x80\xaf\"}", "message: invalid UTF-8 at byte 6"),
    RAW("overlong 4-byte", "{\"a\":\"\xf0\x80\x80\xaf\"}", "message: invalid UTF-8 at byte 6"),
    RAW("utf8 surrogate", "{\"a\":\"\xed\xa0\x80\"}", "message: invalid UTF-8 at byte 6"),
    RAW("utf8 low surrogate", "{\"a\":\"\xed\xbf\xbf\"}", "message: invalid UTF-8 at byte 6"),
    RAW("above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", "message: invalid UTF-8 at byte 6"),
    RAW("F5 lead", "{\"a\":\"\xf5\x80\x80\x80\"}", "message: invalid UTF-8 at byte 6"),
    RAW("5-byte form", "{\"a\":\"\xf8\x88\x80\x80\x80\"}", "message: invalid UTF-8 at byte 6"),
    RAW("truncated sequence", "{\"a\":\"\xe2\x82\"}", "message: invalid UTF-8 at byte 6"),
    RAW("sequence cut at end", "{\"a\":\"\xe2\x82", "message: invalid UTF-8 at byte 6"),
    RAW("invalid in key", "{\"\xfe\":1}", "message: invalid UTF-8 at byte 2"),
    RAW("invalid outside string", "{\xc3\xa9}", "message: not valid JSON*"),
    RAW("latin-1", "{" MIN_T ",\"serum\":\"caf\xe9\"}", "message: invalid UTF-8 at byte 126"),
    RAW("valid multibyte", "{" MIN_T ",\"serum\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf\"}", NULL),
    RAW("U+FEFF inside", "{" MIN_T ",\"serum\":\"\xef\xbb\xbf\"}", NULL),

    /* escapes: \u0000 and lone surrogates */
    RAW("escaped NUL", "{\"a\":\"x\\u0000y\"}", "message: escaped NUL (U+0000) in a string at byte 7"),
    RAW("escaped NUL in key", "{\"\\u0000\":1}", "message: escaped NUL (U+0000) in a string at byte 2"),
    RAW("lone high surrogate", "{\"a\":\"\\ud800\"}", "message: unpaired surrogate escape U+D800 at byte 6"),
    RAW("lone low surrogate", "{\"a\":\"\\udc00\"}", "message: unpaired surrogate escape U+DC00 at byte 6"),
    RAW("high then letter", "{\"a\":\"\\uD800\\u0041\"}", "message: unpaired surrogate escape U+D800 at byte 6"),
    RAW("high then high", "{\"a\":\"\\ud800\\ud800\"}", "message: unpaired surrogate escape U+D800 at byte 6"),
    RAW("reversed pair", "{\"a\":\"\\ude00\\ud83d\"}", "message: unpaired surrogate escape U+DE00 at byte 6"),
    RAW("high at end", "{\"a\":\"\\ud800", "message: unpaired surrogate escape U+D800 at byte 6"),
    RAW("valid pair", "{" MIN_T ",\"serum\":\"\\ud83d\\ude00\\uDBFF\\uDFFF\"}", NULL),
    RAW("bad escape", "{\"a\":\"\\x41\"}", "message: not valid JSON (bad escape at byte 6)"),
    RAW("bad hex", "{\"a\":\"\\u00g1\"}", "message: not valid JSON (bad escape at byte 6)"),
    RAW("escaped controls", "{" MIN_T ",\"serum\":\"\\u0001\\u001f\\b\\f\\r\"}", NULL),

    /* control characters: only the four whitespace bytes outside strings, none inside */
    RAW("raw tab in string", "{\"a\":\"x\ty\"}", "message: not valid JSON (unescaped control character 0x09 in a string at byte 7)"),
    RAW("raw newline in string", "{\"a\":\"x\ny\"}", "message: not valid JSON (unescaped control character 0x0A in a string at byte 7)"),
    RAW("vertical tab outside", "{\v\"a\":1}", "message: not valid JSON (control character 0x0B at byte 1)"),
    RAW("DEL in string", "{" MIN_T ",\"serum\":\"\x7f\"}", NULL),

    /* numbers: RFC 8259 grammar, stricter than cJSON */
    RAW("leading zero", "{\"a\":01}", "message: not valid JSON (bad number at byte 5)"),
    RAW("trailing dot", "{\"a\":1.}", "message: not valid JSON (bad number at byte 5)"),
    RAW("minus dot", "{\"a\":-.5}", "message: not valid JSON (bad number at byte 5)"),
    RAW("leading dot", "{\"a\":.5}", "message: not valid JSON*"),
    RAW("plus sign", "{\"a\":+1}", "message: not valid JSON*"),
    RAW("bare minus", "{\"a\":-}", "message: not valid JSON (bad number at byte 5)"),
    RAW("empty exponent", "{\"a\":1e}", "message: not valid JSON (bad number at byte 5)"),
    RAW("signed empty exponent", "{\"a\":1e+}", "message: not valid JSON (bad number at byte 5)"),
    RAW("hex", "{\"a\":0x10}", "message: not valid JSON (bad number at byte 5)"),
    RAW("two dots", "{\"a\":1.5.3}", "message: not valid JSON (bad number at byte 5)"),
    RAW("minus zero", "{" MIN_T ",\"x\":-0,\"y\":-0.0e-0,\"z\":0E0}", NULL),
    RAW("long number", "{" MIN_T ",\"x\":0.000000000000000000000000000000000000000000000000000000000000000000000000001}", NULL),

    /* nesting: the top-level object is depth 1, the limit 16 */
    RAW("depth 16", "{" MIN_T ",\"x\":[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]}", NULL),
    RAW("depth 17", "{" MIN_T ",\"x\":[[[[[[[[[[[[[[[{}]]]]]]]]]]]]]]]}", "message: nesting deeper than 16 at byte 133"),
    RAW("depth in strings", "{" MIN_T ",\"x\":\"[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{\"}", NULL),
    RAW("unbalanced closers", "{\"a\":1}]]]]", "message: not valid JSON (trailing data at byte 7)"),
};

static void test_raw_cases(void **state)
{
    size_t bad = 0;

    (void)state;
    for (size_t i = 0; i < sizeof raw_cases / sizeof raw_cases[0]; i++) {
        const raw_case_t *rc = &raw_cases[i];
        bad += !expect(rc->name, REPORT_TREATMENT, rc->bytes, rc->len, NULL, rc->want, NULL);
    }
    assert_int_equal(bad, 0);
}

/* ---- Limits --------------------------------------------------------------- */

/* A valid treatment of exactly size bytes, padded in an unknown field. */
static char *padded_message(size_t size)
{
    static const char head[] = "{" MIN_T ",\"pad\":\"";
    static const char tail[] = "\"}";
    char *msg;

    assert_true(size >= sizeof head + sizeof tail);
    msg = malloc(size);
    assert_non_null(msg);
    memcpy(msg, head, sizeof head - 1);
    memset(msg + sizeof head - 1, 'p', size - (sizeof head - 1) - (sizeof tail - 1));
    memcpy(msg + size - (sizeof tail - 1), tail, sizeof tail - 1);
    return msg;
}

static void test_size_limit(void **state)
{
    report_limits_t small = {200, 16};
    char *msg;

    (void)state;
    msg = padded_message(1048576);
    assert_true(expect("exactly 1 MiB", REPORT_TREATMENT, msg, 1048576, NULL, NULL, NULL));
    free(msg);
    msg = padded_message(1048577);
    assert_true(expect("1 MiB + 1", REPORT_TREATMENT, msg, 1048577, NULL,
            "message: too large (1048577 bytes, limit 1048576)", NULL));
    free(msg);

    msg = padded_message(200);
    assert_true(expect("at small limit", REPORT_TREATMENT, msg, 200, &small, NULL, NULL));
    free(msg);
    msg = padded_message(201);
    assert_true(expect("over small limit", REPORT_TREATMENT, msg, 201, &small,
            "message: too large (201 bytes, limit 200)", NULL));
    /* size is checked first: garbage over the limit is "too large" */
    memset(msg, 0xff, 201);
    assert_true(expect("garbage over limit", REPORT_TREATMENT, msg, 201, &small,
            "message: too large (201 bytes, limit 200)", NULL));
    free(msg);
}

static void test_depth_limit(void **state)
{
    report_limits_t shallow = {1048576, 2};
    report_limits_t flat = {1048576, 1};
    size_t n = 200000;
    char *deep = malloc(n);

    (void)state;
    assert_true(expect("device at depth 2", REPORT_TREATMENT, ONE_T, strlen(ONE_T), &shallow, NULL, NULL));
    assert_true(expect("device beyond depth 1", REPORT_TREATMENT, ONE_T, strlen(ONE_T), &flat,
            "message: nesting deeper than 1 at byte 90", NULL));
    /* a very deep message fails fast in the pre-scan, without recursion */
    assert_non_null(deep);
    memset(deep, '[', n);
    assert_true(expect("200000 brackets", REPORT_TREATMENT, deep, n, NULL,
            "message: nesting deeper than 16 at byte 16", NULL));
    memset(deep, '{', n);
    assert_true(expect("200000 braces", REPORT_TREATMENT, deep, n, NULL,
            "message: nesting deeper than 16 at byte 16", NULL));
    free(deep);
}

/* Objects above the pairwise threshold are checked by sorting. */
static void test_many_keys(void **state)
{
    sbuf_t *sb = malloc(sizeof *sb);
    char key[32];

    (void)state;
    assert_non_null(sb);
    sb->len = 0;
    put(sb, "{" MIN_T ",\"extra\":{");
    for (int i = 0; i < 500; i++) {
        snprintf(key, sizeof key, "%s\"k%d\":%d", i ? "," : "", i, i);
        put(sb, key);
    }
    put(sb, "}}");
    assert_true(expect("500 distinct keys", REPORT_TREATMENT, sb->text, sb->len, NULL, NULL, NULL));
    sb->len -= 2;
    put(sb, ",\"k250\":0}}");
    assert_true(expect("500 keys and a duplicate", REPORT_TREATMENT, sb->text, sb->len, NULL,
            "extra: duplicate key \"k250\"", NULL));
    free(sb);
}

/* A long path in a duplicate-key error is cut, and stays printable. */
static void test_long_path(void **state)
{
    static const char msg[] =
        "{" MIN_T ",\"" A40 "\":{\"" A40 "\":{\"" A40 "\":{\"" A40 "\":{\"\\u00e9\":[{\"d\":1,\"d\":2}]}}}}}";
    report_t r;
    char err[256];

    (void)state;
    assert_false(report_decode(REPORT_TREATMENT, msg, sizeof msg - 1, NULL, TODAY, &r, err, sizeof err));
    assert_printable(err);
    assert_string_equal(err, A40 "." A40 "." "aaaaaaaaaaaaaaaaaa...: duplicate key \"d\"");
}

/* ---- A full report ------------------------------------------------------ */

static void test_full_treatment(void **state)
{
    static const char msg[] =
        "{\"schema_version\":1,\"report_id\":\"clinic-7:2026.0042\",\"version\":3,"
        "\"nullified\":false,\"treated_on\":\"2026-03-14\",\"setting\":\"clinic\","
        "\"device\":{\"type\":\"rf_microneedling\",\"manufacturer\":\"Acme \\\"Derm\\\"\","
        "\"model\":\"X-1\",\"needle_depth_mm\":1.5,\"colour\":\"blue\"},"
        "\"operator\":\"physician\",\"skin\":{\"fitzpatrick\":4,\"notes\":\"dry\"},"
        "\"sterile_tip\":true,\"active_acne\":false,\"serum\":\"hyaluronic acid\","
        "\"region\":\"face\",\"reported_at\":\"2026-03-15T08:00:00+01:00\",\"app\":\"2.1\"}";
    report_t r;
    char err[256];

    (void)state;
    assert_true(report_decode(REPORT_TREATMENT, msg, sizeof msg - 1, NULL, TODAY, &r, err, sizeof err));
    assert_int_equal(r.kind, REPORT_TREATMENT);
    assert_string_equal(r.report_id, "clinic-7:2026.0042");
    assert_int_equal(r.version, 3);
    assert_false(r.nullified);
    assert_string_equal(r.treated_on, "2026-03-14");
    assert_string_equal(r.setting, "clinic");
    assert_ptr_equal(r.setting, catalogue_settings.entries[1].name);
    assert_string_equal(r.device_type, "rf_microneedling");
    assert_string_equal(r.manufacturer, "Acme \"Derm\"");
    assert_string_equal(r.model, "X-1");
    assert_true(r.has_needle_depth);
    assert_true(r.needle_depth_mm == 1.5);
    assert_string_equal(r.operator_role, "physician");
    assert_int_equal(r.fitzpatrick, 4);
    assert_int_equal(r.sterile_tip, 1);
    assert_int_equal(r.active_acne, 0);
    assert_string_equal(r.serum, "hyaluronic acid");
    assert_string_equal(r.region, "face");
    assert_string_equal(r.reported_at, "2026-03-15T08:00:00+01:00");
    assert_string_equal(r.treatment_id, "");
    assert_null(r.type);
    assert_int_equal(r.onset_days, -1);
    assert_int_equal(r.medical_attention, -1);
    report_clear(&r);
    assert_true(is_cleared(&r));
    report_clear(&r); /* twice is fine */
}

static void test_full_complication(void **state)
{
    static const char msg[] =
        "{\"schema_version\":1,\"report_id\":\"c-99\",\"version\":2,\"nullified\":true,"
        "\"treatment_id\":\"clinic-7:2026.0042\",\"type\":\"hyperpigmentation\","
        "\"severity\":\"moderate\",\"onset_days\":14,\"outcome\":\"ongoing\","
        "\"medical_attention\":true,\"reported_at\":\"2026-04-01T12:00:00Z\"}";
    report_t r;
    char err[256];

    (void)state;
    assert_true(report_decode(REPORT_COMPLICATION, msg, sizeof msg - 1, NULL, TODAY, &r, err, sizeof err));
    assert_int_equal(r.kind, REPORT_COMPLICATION);
    assert_string_equal(r.report_id, "c-99");
    assert_int_equal(r.version, 2);
    assert_true(r.nullified);
    assert_string_equal(r.treatment_id, "clinic-7:2026.0042");
    assert_string_equal(r.type, "hyperpigmentation");
    assert_string_equal(r.severity, "moderate");
    assert_int_equal(r.onset_days, 14);
    assert_string_equal(r.outcome, "ongoing");
    assert_int_equal(r.medical_attention, 1);
    assert_string_equal(r.reported_at, "2026-04-01T12:00:00Z");
    assert_string_equal(r.treated_on, "");
    assert_null(r.setting);
    assert_null(r.device_type);
    assert_int_equal(r.sterile_tip, -1);
    report_clear(&r);
}

/* ---- The API around decoding ------------------------------------------- */

static void test_failure_after_allocations(void **state)
{
    /* reported_at, manufacturer and serum are copied before region fails:
     * the decoder must free them (ASan would see a leak) and clear *out. */
    static const char msg[] =
        "{\"schema_version\":1,\"report_id\":\"t-1\",\"reported_at\":\"2026-01-15T10:00:00Z\","
        "\"treated_on\":\"2026-01-15\",\"setting\":\"home\",\"device\":{\"type\":\"other\","
        "\"manufacturer\":\"m\",\"model\":\"x\"},\"serum\":\"s\",\"region\":" "\"" A65 "\"}";

    (void)state;
    assert_true(expect("late failure", REPORT_TREATMENT, msg, sizeof msg - 1, NULL,
            "region: must be a string of at most 64 characters, got 65 characters", NULL));
}

static void test_today_parameter(void **state)
{
    report_t r;
    char err[256];

    (void)state;
    assert_false(report_decode(REPORT_TREATMENT, ONE_T, strlen(ONE_T), NULL, NULL, &r, err, sizeof err));
    assert_string_equal(err, "internal: today must be a date YYYY-MM-DD");
    assert_false(report_decode(REPORT_TREATMENT, ONE_T, strlen(ONE_T), NULL, "2026-02-30", &r, err, sizeof err));
    assert_string_equal(err, "internal: today must be a date YYYY-MM-DD");
    assert_false(report_decode(REPORT_TREATMENT, ONE_T, strlen(ONE_T), NULL, "2026-01-15x", &r, err, sizeof err));
    assert_string_equal(err, "internal: today must be a date YYYY-MM-DD");
    /* the day before the treatment */
    assert_false(report_decode(REPORT_TREATMENT, ONE_T, strlen(ONE_T), NULL, "2026-01-14", &r, err, sizeof err));
    assert_string_equal(err, "treated_on: must not be after today (2026-01-14), got \"2026-01-15\"");
    assert_true(report_decode(REPORT_TREATMENT, ONE_T, strlen(ONE_T), NULL, "2026-01-15", &r, err, sizeof err));
    report_clear(&r);
}

static void test_errbuf_edges(void **state)
{
    report_t r;
    char small[8];

    (void)state;
    assert_false(report_decode(REPORT_TREATMENT, "[]", 2, NULL, TODAY, &r, small, sizeof small));
    assert_string_equal(small, "message");
    assert_false(report_decode(REPORT_TREATMENT, "[]", 2, NULL, TODAY, &r, NULL, 0));
    assert_false(report_decode(REPORT_TREATMENT, NULL, 0, NULL, TODAY, &r, small, sizeof small));
    assert_true(is_cleared(&r));
    assert_false(report_decode((report_kind_t)7, ONE_T, strlen(ONE_T), NULL, TODAY, &r, NULL, 0));
}

static void test_clear_and_names(void **state)
{
    report_t r;

    (void)state;
    memset(&r, 0, sizeof r);
    report_clear(&r);
    report_clear(NULL);
    assert_string_equal(report_kind_name(REPORT_TREATMENT), "treatment");
    assert_string_equal(report_kind_name(REPORT_COMPLICATION), "complication");
    assert_string_equal(report_kind_name((report_kind_t)9), "unknown");
}

static void test_enum_lists(void **state)
{
    static const char *const types[] = {"infection", "scarring", "hyperpigmentation", "burn",
                                        "nerve_damage", "fat_loss", "granuloma",
                                        "dryness_peeling", "acne_flare", "other"};

    (void)state;
    assert_int_equal(catalogue_complication_types.count, 10);
    for (size_t i = 0; i < 10; i++)
        assert_string_equal(catalogue_complication_types.entries[i].name, types[i]);
    assert_int_equal(catalogue_settings.count, 2);
    assert_string_equal(catalogue_settings.entries[0].name, "home");
    assert_int_equal(catalogue_device_types.count, 5);
    assert_string_equal(catalogue_device_types.entries[4].name, "other");
    assert_int_equal(catalogue_operator_roles.count, 5);
    assert_int_equal(catalogue_severities.count, 3);
    assert_int_equal(catalogue_outcomes.count, 4);
    assert_string_equal(catalogue_outcomes.entries[3].name, "unknown");
}

/* ---- The hostile-input corpus ------------------------------------------- */

static char *corpus_dir(void)
{
    const char *env = getenv("NW_CORPUS_DIR");
    char *dir;
    const char *slash;

    if (env != NULL)
        return strdup(env);
    /* __FILE__ is absolute under CMake: <src>/tests/unit/test_report.c */
    slash = strrchr(__FILE__, '/');
    if (slash == NULL)
        return NULL;
    dir = malloc((size_t)(slash - __FILE__) + sizeof "/../corpus");
    if (dir == NULL)
        return NULL;
    memcpy(dir, __FILE__, (size_t)(slash - __FILE__));
    strcpy(dir + (slash - __FILE__), "/../corpus");
    return dir;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        goto out;
    buf = malloc((size_t)n + 1);
    if (buf == NULL)
        goto out;
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
        goto out;
    }
    *len = (size_t)n;
out:
    fclose(f);
    return buf;
}

static void test_corpus(void **state)
{
    char *dir = corpus_dir(), *tsv = NULL, *line, *save = NULL;
    char path[4096];
    size_t len, checked = 0, missing = 0, bad = 0;

    (void)state;
    if (dir != NULL) {
        snprintf(path, sizeof path, "%s/expected.tsv", dir);
        tsv = read_file(path, &len);
    }
    if (tsv == NULL) {
        print_message("corpus not found (set NW_CORPUS_DIR); skipped\n");
        free(dir);
        skip();
        return;
    }
    tsv[len] = '\0';
    for (line = strtok_r(tsv, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        char *file = line, *outcome, *prefix, *msg, want[512];
        report_kind_t kind;

        if (strncmp(line, "file\t", 5) == 0)
            continue; /* header */
        outcome = strchr(file, '\t');
        assert_non_null(outcome);
        *outcome++ = '\0';
        prefix = strchr(outcome, '\t');
        assert_non_null(prefix);
        *prefix++ = '\0';
        assert_true(strcmp(outcome, "stored") == 0 || strcmp(outcome, "quarantined") == 0);
        kind = strncmp(file, "treatments/", 11) == 0 ? REPORT_TREATMENT : REPORT_COMPLICATION;
        if (kind == REPORT_COMPLICATION)
            assert_int_equal(strncmp(file, "complications/", 14), 0);
        snprintf(path, sizeof path, "%s/%s", dir, file);
        msg = read_file(path, &len);
        if (msg == NULL && strstr(file, "-gen-") != NULL) {
            missing++; /* made by make_big.sh; the limits test covers the same sizes */
            continue;
        }
        if (msg == NULL)
            print_error("corpus file missing: %s\n", path);
        assert_non_null(msg);
        if (strcmp(outcome, "stored") == 0) {
            assert_true(prefix[0] == '\0');
            bad += !expect(file, kind, msg, len, NULL, NULL, NULL);
        } else {
            assert_true(prefix[0] != '\0');
            snprintf(want, sizeof want, "%s*", prefix);
            bad += !expect(file, kind, msg, len, NULL, want, NULL);
        }
        free(msg);
        checked++;
    }
    print_message("corpus: %zu messages checked, %zu generated ones absent\n", checked, missing);
    assert_int_equal(bad, 0);
    assert_true(checked >= 70);
    free(tsv);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_cases),
        cmocka_unit_test(test_raw_cases),
        cmocka_unit_test(test_size_limit),
        cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_long_path),
        cmocka_unit_test(test_full_treatment),
        cmocka_unit_test(test_full_complication),
        cmocka_unit_test(test_failure_after_allocations),
        cmocka_unit_test(test_today_parameter),
        cmocka_unit_test(test_errbuf_edges),
        cmocka_unit_test(test_clear_and_names),
        cmocka_unit_test(test_enum_lists),
        cmocka_unit_test(test_corpus),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

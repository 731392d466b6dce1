/*
 * report.h - decodes and validates one report message (schema_version 1).
 *
 * A message is one JSON object, as it arrived from Kafka: a byte buffer that
 * is not NUL-terminated and may be anything at all. report_decode() either
 * fills a report_t or explains in one short line why the message is invalid
 * ("field: rule, got X"); the worker stores the first and quarantines the
 * second. The decoder is pure: no I/O, no clock ("today" is a parameter), no
 * global state of its own, so it is cheap to unit-test and to fuzz.
 *
 * Checks run in this order, and the first failure is the one reported:
 *   1. size: len > limits->max_bytes         "message: too large (N bytes, limit M)"
 *   2. empty: 0 bytes, or only JSON whitespace "message: empty"
 *   3. a leading UTF-8 byte order mark        "message: byte order mark not allowed"
 *   4. one pre-scan over the raw bytes, reporting the first problem by position:
 *      invalid UTF-8 (overlong forms, UTF-8-encoded surrogates, > U+10FFFF,
 *      stray or truncated sequences), control characters outside the four JSON
 *      whitespace bytes or unescaped inside strings, bad escapes, "\u0000",
 *      unpaired surrogate escapes, numbers outside the JSON grammar (cJSON
 *      accepts 01, 1. and -.5; RFC 8259 does not), and nesting of [ and {
 *      deeper than limits->max_depth (the top-level object is depth 1).
 *   5. cJSON parse                             "message: not valid JSON (error near byte N)"
 *      then anything but whitespace after the value
 *                                              "message: not valid JSON (trailing data at byte N)"
 *      Every syntax error, from the pre-scan too, starts "message: not valid JSON".
 *   6. top level must be an object            "message: must be a JSON object, got an array"
 *   7. duplicate keys in any object, at any depth, unknown fields included
 *      (compared after unescaping, so "a" and "\u0061" are the same key):
 *                                              "<path>: duplicate key \"x\"", where <path> is
 *      "message" for the top-level object, else e.g. "device" or "extra.list[2]".
 *   8. the fields, in contract order: schema_version, report_id, version,
 *      nullified, reported_at, then the kind's own fields.
 * Byte positions in messages ("at byte N") are 0-based offsets into the buffer.
 *
 * Decisions where the contract is silent:
 *   - JSON null is a wrong type, for optional and required fields alike:
 *     "severity: must be one of mild, moderate, severe, got null". Only a
 *     missing field is "absent"; a missing required field is "X: required".
 *   - Integers are JSON numbers whose value is integral and in range: 3.0 and
 *     3e0 are 3, -0 is 0; 3.5, 1e400 (out of double range) and "3" are invalid.
 *   - Dates (treated_on, the date part of reported_at) must be real calendar
 *     dates from 1900-01-01 on; treated_on must also not be after today.
 *   - reported_at is RFC 3339 date-time: YYYY-MM-DD, 'T', 't' or ' ', HH:MM:SS,
 *     an optional fraction of 1 to 9 digits, then 'Z', 'z' or +HH:MM / -HH:MM;
 *     hour <= 23, minute <= 59, second <= 60 (leap second). Narrower than RFC
 *     3339 where PostgreSQL's timestamptz would refuse the value and fail the
 *     worker's batch: a leap second takes no nonzero fraction (23:59:60.5 is
 *     invalid) and offsets stop at +-15:59 (real zones span -12:00..+14:00).
 *     It is kept as sent, and may be in the future (reporter clocks drift).
 *   - String lengths count Unicode code points. Empty strings are allowed for
 *     the optional free-text fields (manufacturer, model, serum, region).
 *   - "device" must be an object; "skin", when present, must be an object (an
 *     empty one means fitzpatrick unknown).
 *   - A nullified report must still carry every required field.
 *   - Unknown fields are ignored (the worker keeps the message verbatim), but
 *     they must still be valid JSON within the limits, without duplicate keys.
 *   - The got-value in an error is rendered JSON-ish and ASCII-only (non-ASCII
 *     and control characters as \uXXXX), cut to 40 characters followed by
 *     "..."; objects and arrays read "an object" / "an array". Error text is
 *     always printable ASCII, so it is valid UTF-8 without NULs.
 *
 * cJSON itself keeps a static "last error" pointer that cJSON_Parse* writes;
 * nothing here reads it, but threads that decode concurrently race on it.
 */
#ifndef NW_REPORT_H
#define NW_REPORT_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { REPORT_TREATMENT = 0, REPORT_COMPLICATION = 1 } report_kind_t;

typedef struct report_limits {
    size_t max_bytes; /* message size limit, checked first (default 1048576) */
    int max_depth;    /* JSON nesting limit, checked by a pre-scan before cJSON parses (default 16) */
} report_limits_t;
#define REPORT_LIMITS_DEFAULT { 1048576, 16 }

#define REPORT_ID_MAX 64

/* Lengths, in code points, of the optional free-text fields. */
#define REPORT_DEVICE_TEXT_MAX 128 /* device.manufacturer, device.model */
#define REPORT_TEXT_MAX 64         /* serum, region */
#define REPORT_MIN_YEAR 1900       /* earliest year of any date */

typedef struct report {
    report_kind_t kind;
    char report_id[REPORT_ID_MAX + 1];
    int version;               /* >= 1, default 1 */
    bool nullified;            /* default false */
    char *reported_at;         /* owned; NULL when absent; RFC 3339 text as sent */
    /* treatment fields */
    char treated_on[11];       /* "YYYY-MM-DD" */
    const char *setting;       /* static string: "home" | "clinic" */
    const char *device_type;   /* static string */
    char *manufacturer;        /* owned, NULL when absent */
    char *model;               /* owned, NULL when absent */
    bool has_needle_depth;
    double needle_depth_mm;
    const char *operator_role; /* static string or NULL */
    int fitzpatrick;           /* 1..6, 0 when absent (unknown) */
    signed char sterile_tip;   /* -1 absent, 0 false, 1 true */
    signed char active_acne;   /* -1 absent, 0, 1 */
    char *serum;               /* owned, NULL when absent */
    char *region;              /* owned, NULL when absent */
    /* complication fields */
    char treatment_id[REPORT_ID_MAX + 1];
    const char *type;          /* static string */
    const char *severity;      /* static or NULL */
    int onset_days;            /* 0..365, -1 when absent */
    const char *outcome;       /* static or NULL */
    signed char medical_attention; /* -1 absent, 0, 1 */
} report_t;

/* The allowed values of each enumerated field are the lists of
 * common/catalogue.h, in contract order. The "static string" pointers in a
 * decoded report_t point at those lists' names, so they may be compared by
 * address as well as by text. */

/* Decodes and validates one message of the given kind. buf holds len bytes
 * and need not be NUL-terminated (buf may be NULL when len is 0); it is only
 * read, and not referenced after the call. limits may be NULL for
 * REPORT_LIMITS_DEFAULT. today is "YYYY-MM-DD" (UTC), used for "treated_on
 * not after today"; a NULL or malformed today is a caller bug and fails every
 * message with "internal: today must be a date YYYY-MM-DD".
 *
 * On success returns true and fills *out; the caller owns its strings and
 * must report_clear() it. On failure returns false, *out is left cleared
 * (all zero, nothing to free), and errbuf (if errsize > 0) holds the reason
 * "field: rule, got X", NUL-terminated and truncated to fit; 256 bytes are
 * always enough. */
bool report_decode(report_kind_t kind, const void *buf, size_t len,
                   const report_limits_t *limits, const char *today,
                   report_t *out, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* Frees the owned strings of r and leaves it cleared (all zero). Safe on a
 * cleared or zeroed report, and on NULL. */
void report_clear(report_t *r);

/* "treatment" / "complication" ("unknown" for any other value). */
const char *report_kind_name(report_kind_t kind);

#endif

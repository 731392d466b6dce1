/*
 * report.c - decodes and validates one report message (see report.h for the
 * contract, the order of checks and the decisions taken where it is silent).
 *
 * Why a pre-scan before cJSON: cJSON is fast and small, but lenient in ways
 * that matter here (it does not validate UTF-8, accepts 01 and -.5, keeps
 * duplicate keys...). One linear pass over the raw bytes (prescan.c)
 * rejects all of that first, and it is the only place that sees raw bytes,
 * so errors can name a byte offset. cJSON then builds the tree from a
 * NUL-terminated copy (Kafka payloads are not terminated; the copy costs one
 * memcpy and removes any doubt about reading past the end), duplicate keys
 * are looked for, and the field checks walk the tree.
 *
 * Every error is printable ASCII: values taken from the message are escaped
 * and cut short by escape_into() before they reach errbuf.
 */
#include "report.h"

#include "catalogue.h"
#include "civil.h"
#include "prescan.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest rendering of a value taken from a message, in output characters
 * (quotes and the trailing "..." excluded). Keeps errors to one short line. */
#define GOT_MAX 40
/* Longest path in a duplicate-key error. */
#define PATH_MAX_CHARS 100
/* Objects with at most this many members are checked for duplicate keys
 * pairwise; larger ones are sorted. */
#define DUP_PAIRWISE_MAX 16
/* Messages shorter than this are copied to the stack for cJSON. */
#define STACK_COPY 4096

/* The state of one decode: where errors go, and the caller's today. */
typedef struct ctx {
    char *err;
    size_t errsize;
    const char *today;
} ctx_t;

/* ---- Errors ------------------------------------------------------------ */

/* Formats the error and returns false, so checks read "return fail(...)". */
static bool fail(ctx_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(ctx_t *c, const char *fmt, ...)
{
    if (c->err != NULL && c->errsize > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, c->errsize, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Appends text to buf (size bytes, holding *pos bytes) if it fits whole. */
static bool append(char *buf, size_t size, size_t *pos, const char *text, size_t n)
{
    if (*pos + n >= size)
        return false;
    memcpy(buf + *pos, text, n);
    *pos += n;
    buf[*pos] = '\0';
    return true;
}

/* Writes s (n bytes of valid UTF-8) JSON-escaped and ASCII-only into buf:
 * printable ASCII as is, the rest as \" \\ \n \t \r \b \f or \uXXXX
 * (surrogate pairs above the BMP), invalid bytes as \ufffd. Stops before the
 * escaped text exceeds max chars and then appends "...". With quote, wraps the
 * text in double quotes. buf always ends NUL-terminated. */
static void escape_into(char *buf, size_t size, const char *s, size_t n, size_t max, bool quote)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t pos = 0, i = 0, used = 0;
    char tmp[16];

    if (size == 0)
        return;
    buf[0] = '\0';
    if (quote && !append(buf, size, &pos, "\"", 1))
        return;
    while (i < n) {
        uint32_t cp = 0xFFFD;
        size_t len = prescan_utf8_decode(p + i, n - i, &cp), t;

        if (len == 0) {
            len = 1;
            cp = 0xFFFD;
        }
        if (cp == '"' || cp == '\\') {
            t = (size_t)snprintf(tmp, sizeof tmp, "\\%c", (char)cp);
        } else if (cp >= 0x20 && cp < 0x7F) {
            tmp[0] = (char)cp;
            tmp[1] = '\0';
            t = 1;
        } else if (cp == '\n' || cp == '\t' || cp == '\r' || cp == '\b' || cp == '\f') {
            const char *e = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r"
                          : cp == '\b' ? "\\b" : "\\f";
            t = (size_t)snprintf(tmp, sizeof tmp, "%s", e);
        } else if (cp < 0x10000) {
            t = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
        } else {
            uint32_t v = cp - 0x10000;
            t = (size_t)snprintf(tmp, sizeof tmp, "\\u%04x\\u%04x",
                                 (unsigned)(0xD800 + (v >> 10)), (unsigned)(0xDC00 + (v & 0x3FF)));
        }
        if (used + t > max)
            break;
        if (!append(buf, size, &pos, tmp, t))
            break;
        used += t;
        i += len;
    }
    if (quote)
        append(buf, size, &pos, "\"", 1);
    if (i < n)
        append(buf, size, &pos, "...", 3);
}

/* Renders a JSON value for the "got X" part of an error. */
static void describe(const cJSON *item, char *buf, size_t size)
{
    if (cJSON_IsString(item)) {
        escape_into(buf, size, item->valuestring, strlen(item->valuestring), GOT_MAX, true);
    } else if (cJSON_IsNumber(item)) {
        double v = item->valuedouble;
        if (!isfinite(v)) {
            snprintf(buf, size, "a number out of range");
        } else {
            snprintf(buf, size, "%.15g", v);
            if (strtod(buf, NULL) != v)
                snprintf(buf, size, "%.17g", v);
        }
    } else if (cJSON_IsNull(item)) {
        snprintf(buf, size, "null");
    } else if (cJSON_IsTrue(item)) {
        snprintf(buf, size, "true");
    } else if (cJSON_IsFalse(item)) {
        snprintf(buf, size, "false");
    } else if (cJSON_IsObject(item)) {
        snprintf(buf, size, "an object");
    } else if (cJSON_IsArray(item)) {
        snprintf(buf, size, "an array");
    } else {
        snprintf(buf, size, "an unknown value");
    }
}

/* "name: rule, got X". */
static bool fail_got(ctx_t *c, const char *name, const char *rule, const cJSON *item)
{
    char got[GOT_MAX * 2 + 8];

    describe(item, got, sizeof got);
    return fail(c, "%s: %s, got %s", name, rule, got);
}

/* "name: must be one of a, b, c, got X". */
static bool fail_enum(ctx_t *c, const char *name, const catalogue_list_t *list,
                      const cJSON *item)
{
    char rule[256];
    size_t pos = 0;

    rule[0] = '\0';
    append(rule, sizeof rule, &pos, "must be one of ", 15);
    for (size_t i = 0; i < list->count; i++) {
        const char *value = list->entries[i].name;
        if (i > 0)
            append(rule, sizeof rule, &pos, ", ", 2);
        append(rule, sizeof rule, &pos, value, strlen(value));
    }
    return fail_got(c, name, rule, item);
}

/* ---- Duplicate keys ----------------------------------------------------- */

/* The path of the object being checked, for errors: "" is the top level. */
typedef struct path {
    char text[PATH_MAX_CHARS + 4];
    size_t len;
} path_t;

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Finds a key that occurs twice among obj's members; NULL if none. Sets
 * *oom if the sort array could not be allocated. */
static const char *find_duplicate(const cJSON *obj, bool *oom)
{
    const cJSON *a, *b;
    const char **keys = NULL;
    const char *dup = NULL;
    size_t n = 0, k = 0;

    for (a = obj->child; a != NULL; a = a->next)
        n++;
    if (n <= DUP_PAIRWISE_MAX) {
        for (a = obj->child; a != NULL; a = a->next)
            for (b = a->next; b != NULL; b = b->next)
                if (a->string[0] == b->string[0] && strcmp(a->string, b->string) == 0)
                    return a->string;
        return NULL;
    }
    keys = malloc(n * sizeof *keys);
    if (keys == NULL) {
        *oom = true;
        goto out;
    }
    for (a = obj->child; a != NULL; a = a->next)
        keys[k++] = a->string;
    qsort(keys, n, sizeof *keys, cmp_keys);
    for (k = 1; k < n; k++) {
        if (strcmp(keys[k - 1], keys[k]) == 0) {
            dup = keys[k];
            break;
        }
    }
out:
    free(keys);
    return dup;
}

/* Appends ".key" (or "key" at the top) or "[index]" to path, escaped; a
 * path longer than PATH_MAX_CHARS is cut there and ends in "...". Returns the
 * old length for path_pop. */
static size_t path_push(path_t *path, const char *key, size_t index)
{
    size_t old = path->len, n;
    char part[PATH_MAX_CHARS + 16];
    const char *p = part;

    if (path->len > PATH_MAX_CHARS)
        return old;                    /* already cut */
    if (key != NULL) {
        part[0] = '.';
        escape_into(part + 1, sizeof part - 1, key, strlen(key), PATH_MAX_CHARS, false);
        if (path->len == 0)
            p++;
    } else {
        snprintf(part, sizeof part, "[%zu]", index);
    }
    n = strlen(p);
    if (path->len + n <= PATH_MAX_CHARS) {
        memcpy(path->text + path->len, p, n);
        path->len += n;
    } else {
        n = PATH_MAX_CHARS - path->len;
        memcpy(path->text + path->len, p, n);
        memcpy(path->text + PATH_MAX_CHARS, "...", 3);
        path->len = PATH_MAX_CHARS + 3;
    }
    path->text[path->len] = '\0';
    return old;
}

static void path_pop(path_t *path, size_t old)
{
    path->len = old;
    path->text[old] = '\0';
}

/* Rejects duplicate keys in item and everything below it. Recursion depth is
 * bounded by the nesting limit (and cJSON's own limit of 1000). */
static bool check_duplicates(ctx_t *c, const cJSON *item, path_t *path)
{
    const cJSON *child;
    size_t index = 0;

    if (cJSON_IsObject(item)) {
        bool oom = false;
        const char *dup = find_duplicate(item, &oom);
        if (oom)
            return fail(c, "internal: out of memory");
        if (dup != NULL) {
            char key[GOT_MAX * 2 + 8];
            escape_into(key, sizeof key, dup, strlen(dup), GOT_MAX, true);
            return fail(c, "%s: duplicate key %s", path->len > 0 ? path->text : "message", key);
        }
    } else if (!cJSON_IsArray(item)) {
        return true;
    }
    for (child = item->child; child != NULL; child = child->next, index++) {
        if (cJSON_IsObject(child) || cJSON_IsArray(child)) {
            size_t old = path_push(path, cJSON_IsObject(item) ? child->string : NULL, index);
            bool ok = check_duplicates(c, child, path);
            path_pop(path, old);
            if (!ok)
                return false;
        }
    }
    return true;
}

/* ---- Field rules -------------------------------------------------------- */

static const cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

/* Converts an integral JSON number in lo..hi; false for anything else. */
static bool as_int(const cJSON *item, long long lo, long long hi, long long *out)
{
    double v;
    long long ll;

    if (!cJSON_IsNumber(item))
        return false;
    v = item->valuedouble;
    if (!(v >= (double)lo && v <= (double)hi))  /* also false for NaN */
        return false;
    ll = (long long)v;
    if ((double)ll != v)
        return false;
    *out = ll;                                  /* -0.0 converts to 0 */
    return true;
}

/* Number of code points in s, a valid UTF-8 string. */
static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        n += (*p & 0xC0) != 0x80;
    return n;
}

/* Reads n digits at s into *v; false unless all n are digits. */
static bool digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int k = 0; k < n; k++) {
        if (!prescan_is_digit((unsigned char)s[k]))
            return false;
        *v = *v * 10 + (s[k] - '0');
    }
    return true;
}

/* Parses a real calendar date "YYYY-MM-DD" at s (the first 10 bytes; the
 * caller checks what follows). Sets *year. */
static bool parse_date(const char *s, int *year)
{
    int y, m, d;

    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &m) || s[7] != '-' ||
        !digits(s + 8, 2, &d))
        return false;
    *year = y;
    return civil_valid(y, m, d);
}

/* RFC 3339 date-time, as restricted in report.h. Sets *year. The two limits
 * beyond RFC 3339 are PostgreSQL's: timestamptz rejects a leap second with a
 * nonzero fraction (23:59:60.5) and offsets beyond 15:59. */
static bool parse_timestamp(const char *s, int *year)
{
    size_t n = strlen(s), i = 19;
    int hh, mm, ss;

    if (n < 20 || !parse_date(s, year))
        return false;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
        return false;
    if (!digits(s + 11, 2, &hh) || s[13] != ':' || !digits(s + 14, 2, &mm) || s[16] != ':' ||
        !digits(s + 17, 2, &ss) || hh > 23 || mm > 59 || ss > 60)
        return false;
    if (s[i] == '.') {
        size_t start = ++i;
        while (prescan_is_digit((unsigned char)s[i])) {
            if (ss == 60 && s[i] != '0')
                return false;
            i++;
        }
        if (i == start || i - start > 9)
            return false;
    }
    if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
        return true;
    if ((s[i] == '+' || s[i] == '-') && n - i == 6 && digits(s + i + 1, 2, &hh) &&
        s[i + 3] == ':' && digits(s + i + 4, 2, &mm) && hh <= 15 && mm <= 59)
        return true;
    return false;
}

/* An enumerated string field; *out points into list, or NULL when absent. */
static bool get_enum(ctx_t *c, const cJSON *obj, const char *key, const char *name, bool required,
                     const catalogue_list_t *list, const char **out)
{
    const cJSON *item = member(obj, key);

    *out = NULL;
    if (item == NULL)
        return required ? fail(c, "%s: required", name) : true;
    if (cJSON_IsString(item)) {
        int i = catalogue_find(list, item->valuestring);
        if (i >= 0) {
            *out = list->entries[i].name;
            return true;
        }
    }
    return fail_enum(c, name, list, item);
}

/* An optional integer in lo..hi; *present tells whether it was there. */
static bool get_int(ctx_t *c, const cJSON *obj, const char *key, const char *name, long long lo,
                    long long hi, bool *present, long long *out)
{
    const cJSON *item = member(obj, key);
    char rule[64];

    *present = item != NULL;
    if (item == NULL || as_int(item, lo, hi, out))
        return true;
    snprintf(rule, sizeof rule, "must be an integer %lld..%lld", lo, hi);
    return fail_got(c, name, rule, item);
}

/* An optional boolean: -1 absent, 0 false, 1 true. */
static bool get_bool(ctx_t *c, const cJSON *obj, const char *key, const char *name,
                     signed char *out)
{
    const cJSON *item = member(obj, key);

    *out = -1;
    if (item == NULL)
        return true;
    if (!cJSON_IsBool(item))
        return fail_got(c, name, "must be a boolean", item);
    *out = cJSON_IsTrue(item) ? 1 : 0;
    return true;
}

/* An optional free-text string of at most max code points, copied to *out. */
static bool get_text(ctx_t *c, const cJSON *obj, const char *key, const char *name, size_t max,
                     char **out)
{
    const cJSON *item = member(obj, key);
    char rule[64];
    size_t chars = 0;

    *out = NULL;
    if (item == NULL)
        return true;
    if (cJSON_IsString(item)) {
        chars = utf8_chars(item->valuestring);
        if (chars <= max) {
            *out = strdup(item->valuestring);
            return *out != NULL ? true : fail(c, "internal: out of memory");
        }
    }
    snprintf(rule, sizeof rule, "must be a string of at most %zu characters", max);
    if (!cJSON_IsString(item))
        return fail_got(c, name, rule, item);
    return fail(c, "%s: %s, got %zu characters", name, rule, chars);
}

/* A required identifier: 1..REPORT_ID_MAX of [A-Za-z0-9._:-]. */
static bool get_id(ctx_t *c, const cJSON *obj, const char *key, char out[REPORT_ID_MAX + 1])
{
    static const char rule[] = "must be 1..64 characters from [A-Za-z0-9._:-]";
    const cJSON *item = member(obj, key);
    const char *s;
    size_t n = 0;

    if (item == NULL)
        return fail(c, "%s: required", key);
    if (!cJSON_IsString(item))
        return fail_got(c, key, rule, item);
    for (s = item->valuestring; *s != '\0'; s++, n++) {
        unsigned char ch = (unsigned char)*s;
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || prescan_is_digit(ch) ||
                  ch == '.' || ch == '_' || ch == ':' || ch == '-';
        if (!ok || n >= REPORT_ID_MAX)
            return fail_got(c, key, rule, item);
    }
    if (n == 0)
        return fail_got(c, key, rule, item);
    memcpy(out, item->valuestring, n + 1);
    return true;
}

/* The fields every report carries. */
static bool decode_common(ctx_t *c, const cJSON *root, report_t *out)
{
    const cJSON *item;
    long long v;
    bool present;
    int year;

    item = member(root, "schema_version");
    if (item == NULL)
        return fail(c, "schema_version: required");
    if (!as_int(item, 1, 1, &v))
        return fail_got(c, "schema_version", "must be 1", item);

    if (!get_id(c, root, "report_id", out->report_id))
        return false;

    if (!get_int(c, root, "version", "version", 1, INT32_MAX, &present, &v))
        return false;
    out->version = present ? (int)v : 1;

    item = member(root, "nullified");
    if (item != NULL && !cJSON_IsBool(item))
        return fail_got(c, "nullified", "must be a boolean", item);
    out->nullified = cJSON_IsTrue(item);

    item = member(root, "reported_at");
    if (item != NULL) {
        if (!cJSON_IsString(item) || !parse_timestamp(item->valuestring, &year))
            return fail_got(c, "reported_at", "must be an RFC 3339 timestamp", item);
        if (year < REPORT_MIN_YEAR)
            return fail_got(c, "reported_at", "must not be before 1900-01-01", item);
        out->reported_at = strdup(item->valuestring);
        if (out->reported_at == NULL)
            return fail(c, "internal: out of memory");
    }
    return true;
}

static bool decode_treatment(ctx_t *c, const cJSON *root, report_t *out)
{
    const cJSON *item, *device, *skin;
    long long v;
    bool present;
    int year;

    item = member(root, "treated_on");
    if (item == NULL)
        return fail(c, "treated_on: required");
    if (!cJSON_IsString(item) || strlen(item->valuestring) != 10 ||
        !parse_date(item->valuestring, &year))
        return fail_got(c, "treated_on", "must be a real date YYYY-MM-DD", item);
    if (year < REPORT_MIN_YEAR)
        return fail_got(c, "treated_on", "must not be before 1900-01-01", item);
    if (strcmp(item->valuestring, c->today) > 0) {
        char rule[64];
        snprintf(rule, sizeof rule, "must not be after today (%.10s)", c->today);
        return fail_got(c, "treated_on", rule, item);
    }
    memcpy(out->treated_on, item->valuestring, 11);

    if (!get_enum(c, root, "setting", "setting", true, &catalogue_settings, &out->setting))
        return false;

    device = member(root, "device");
    if (device == NULL)
        return fail(c, "device: required");
    if (!cJSON_IsObject(device))
        return fail_got(c, "device", "must be an object", device);
    if (!get_enum(c, device, "type", "device.type", true, &catalogue_device_types,
                  &out->device_type) ||
        !get_text(c, device, "manufacturer", "device.manufacturer", REPORT_DEVICE_TEXT_MAX,
                  &out->manufacturer) ||
        !get_text(c, device, "model", "device.model", REPORT_DEVICE_TEXT_MAX, &out->model))
        return false;
    item = member(device, "needle_depth_mm");
    if (item != NULL) {
        if (!cJSON_IsNumber(item) || !(item->valuedouble > 0.0 && item->valuedouble <= 5.0))
            return fail_got(c, "device.needle_depth_mm",
                            "must be a number greater than 0 and at most 5", item);
        out->has_needle_depth = true;
        out->needle_depth_mm = item->valuedouble;
    }

    if (!get_enum(c, root, "operator", "operator", false, &catalogue_operator_roles,
                  &out->operator_role))
        return false;

    skin = member(root, "skin");
    if (skin != NULL) {
        if (!cJSON_IsObject(skin))
            return fail_got(c, "skin", "must be an object", skin);
        if (!get_int(c, skin, "fitzpatrick", "skin.fitzpatrick", 1, 6, &present, &v))
            return false;
        out->fitzpatrick = present ? (int)v : 0;
    }

    return get_bool(c, root, "sterile_tip", "sterile_tip", &out->sterile_tip) &&
           get_bool(c, root, "active_acne", "active_acne", &out->active_acne) &&
           get_text(c, root, "serum", "serum", REPORT_TEXT_MAX, &out->serum) &&
           get_text(c, root, "region", "region", REPORT_TEXT_MAX, &out->region);
}

static bool decode_complication(ctx_t *c, const cJSON *root, report_t *out)
{
    long long v;
    bool present;

    if (!get_id(c, root, "treatment_id", out->treatment_id) ||
        !get_enum(c, root, "type", "type", true, &catalogue_complication_types,
                  &out->type) ||
        !get_enum(c, root, "severity", "severity", false, &catalogue_severities,
                  &out->severity) ||
        !get_int(c, root, "onset_days", "onset_days", 0, 365, &present, &v))
        return false;
    out->onset_days = present ? (int)v : -1;
    return get_enum(c, root, "outcome", "outcome", false, &catalogue_outcomes,
                    &out->outcome) &&
           get_bool(c, root, "medical_attention", "medical_attention", &out->medical_attention);
}

/* ---- Public API --------------------------------------------------------- */

const char *report_kind_name(report_kind_t kind)
{
    switch (kind) {
    case REPORT_TREATMENT:
        return "treatment";
    case REPORT_COMPLICATION:
        return "complication";
    }
    return "unknown";
}

void report_clear(report_t *r)
{
    if (r == NULL)
        return;
    free(r->reported_at);
    free(r->manufacturer);
    free(r->model);
    free(r->serum);
    free(r->region);
    memset(r, 0, sizeof *r);
}

bool report_decode(report_kind_t kind, const void *buf, size_t len,
                   const report_limits_t *limits, const char *today,
                   report_t *out, char *errbuf, size_t errsize)
{
    static const report_limits_t defaults = REPORT_LIMITS_DEFAULT;
    const unsigned char *bytes = buf;
    ctx_t c = {errbuf, errsize, today};
    char stack_copy[STACK_COPY];
    char *copy = NULL;
    cJSON *root = NULL;
    const char *end = NULL;
    path_t path = {.text = "", .len = 0};
    bool blank, ok = false;
    int year;

    memset(out, 0, sizeof *out);
    if (errbuf != NULL && errsize > 0)
        errbuf[0] = '\0';
    if (limits == NULL)
        limits = &defaults;

    if (today == NULL || strlen(today) != 10 || !parse_date(today, &year)) {
        c.today = "";
        fail(&c, "internal: today must be a date YYYY-MM-DD");
        goto out;
    }
    if (kind != REPORT_TREATMENT && kind != REPORT_COMPLICATION) {
        fail(&c, "internal: unknown report kind %d", (int)kind);
        goto out;
    }
    if (len > limits->max_bytes) {
        fail(&c, "message: too large (%zu bytes, limit %zu)", len, limits->max_bytes);
        goto out;
    }
    if (len == 0) {
        fail(&c, "message: empty");
        goto out;
    }
    if (bytes == NULL) {
        fail(&c, "internal: no message buffer");
        goto out;
    }
    if (len >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF) {
        fail(&c, "message: byte order mark not allowed");
        goto out;
    }
    if (!prescan_json(bytes, len, limits->max_depth, &blank, c.err, c.errsize))
        goto out;
    if (blank) {
        fail(&c, "message: empty (only whitespace)");
        goto out;
    }

    /* The pre-scan guarantees no NUL byte, so the copy is one C string. */
    copy = len < sizeof stack_copy ? stack_copy : malloc(len + 1);
    if (copy == NULL) {
        fail(&c, "internal: out of memory");
        goto out;
    }
    memcpy(copy, bytes, len);
    copy[len] = '\0';
    root = cJSON_ParseWithLengthOpts(copy, len, &end, false);
    if (root == NULL) {
        size_t at = end != NULL && end >= copy && end <= copy + len ? (size_t)(end - copy) : len;
        fail(&c, "message: not valid JSON (error near byte %zu)", at);
        goto out;
    }
    for (; end < copy + len; end++) {
        if (!prescan_is_space((unsigned char)*end)) {
            fail(&c, "message: not valid JSON (trailing data at byte %zu)", (size_t)(end - copy));
            goto out;
        }
    }
    if (!cJSON_IsObject(root)) {
        fail_got(&c, "message", "must be a JSON object", root);
        goto out;
    }
    if (!check_duplicates(&c, root, &path))
        goto out;

    out->kind = kind;
    out->version = 1;
    out->fitzpatrick = 0;
    out->sterile_tip = -1;
    out->active_acne = -1;
    out->onset_days = -1;
    out->medical_attention = -1;
    if (!decode_common(&c, root, out))
        goto out;
    ok = kind == REPORT_TREATMENT ? decode_treatment(&c, root, out)
                                  : decode_complication(&c, root, out);
out:
    cJSON_Delete(root);
    if (copy != stack_copy)
        free(copy);
    if (!ok)
        report_clear(out);
    return ok;
}

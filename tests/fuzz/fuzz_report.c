/*
 * fuzz_report.c - libFuzzer target for the report decoder.
 *
 * Every input is decoded as both kinds, with the default limits and with
 * tight ones (so the size and depth checks fire on small inputs too), and
 * into a tiny error buffer. Beyond "no crash, no leak, no UB" (the
 * sanitizers' job), it checks the decoder's promises: a decoded report obeys
 * the contract's ranges and formats, and a rejected one is left cleared with
 * a short, printable ASCII error. A broken promise aborts.
 *
 * Build: see tests/fuzz/CMakeLists.txt.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalogue.h"
#include "report.h"

#define TODAY "2026-11-25"

static void require(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_report: broken promise: %s\n", what);
        abort();
    }
}

static bool is_cleared(const report_t *r)
{
    static const report_t zero;
    return memcmp(r, &zero, sizeof zero) == 0;
}

static bool id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n < 1 || n > REPORT_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return false;
    }
    return true;
}

/* True if s is NULL or valid UTF-8 of at most max code points. */
static bool text_ok(const char *s, size_t max)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t chars = 0;

    if (s == NULL)
        return true;
    while (*p != '\0') {
        size_t n = *p < 0x80 ? 1 : *p >= 0xC2 && *p < 0xE0 ? 2 : *p >= 0xE0 && *p < 0xF0 ? 3
                 : *p >= 0xF0 && *p < 0xF5 ? 4 : 0;
        if (n == 0)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((p[k] & 0xC0) != 0x80)
                return false;
        p += n;
        chars++;
    }
    return chars <= max;
}

/* Decoded enumerations point at the catalogue's own names. */
static bool in_list(const char *s, const catalogue_list_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        if (s == list->entries[i].name)
            return true;
    return false;
}

static void check_report(const report_t *r, report_kind_t kind)
{
    require(r->kind == kind, "kind");
    require(id_ok(r->report_id), "report_id");
    require(r->version >= 1, "version");
    require(r->reported_at == NULL || strlen(r->reported_at) >= 20, "reported_at");
    if (kind == REPORT_TREATMENT) {
        require(strlen(r->treated_on) == 10 && strcmp(r->treated_on, TODAY) <= 0 &&
                strcmp(r->treated_on, "1900-01-01") >= 0, "treated_on");
        require(in_list(r->setting, &catalogue_settings), "setting");
        require(in_list(r->device_type, &catalogue_device_types), "device_type");
        require(text_ok(r->manufacturer, REPORT_DEVICE_TEXT_MAX), "manufacturer");
        require(text_ok(r->model, REPORT_DEVICE_TEXT_MAX), "model");
        require(!r->has_needle_depth || (r->needle_depth_mm > 0 && r->needle_depth_mm <= 5), "depth");
        require(r->operator_role == NULL ||
                in_list(r->operator_role, &catalogue_operator_roles), "operator");
        require(r->fitzpatrick >= 0 && r->fitzpatrick <= 6, "fitzpatrick");
        require(r->sterile_tip >= -1 && r->sterile_tip <= 1, "sterile_tip");
        require(r->active_acne >= -1 && r->active_acne <= 1, "active_acne");
        require(text_ok(r->serum, REPORT_TEXT_MAX) && text_ok(r->region, REPORT_TEXT_MAX), "text");
    } else {
        require(id_ok(r->treatment_id), "treatment_id");
        require(in_list(r->type, &catalogue_complication_types), "type");
        require(r->severity == NULL || in_list(r->severity, &catalogue_severities),
                "severity");
        require(r->onset_days >= -1 && r->onset_days <= 365, "onset_days");
        require(r->outcome == NULL || in_list(r->outcome, &catalogue_outcomes),
                "outcome");
        require(r->medical_attention >= -1 && r->medical_attention <= 1, "medical_attention");
    }
}

static void check_error(const char *err, size_t size)
{
    size_t n = strnlen(err, size);

    require(n < size, "error not terminated");
    require(n > 0, "empty error");
    for (size_t i = 0; i < n; i++)
        require(err[i] >= 0x20 && err[i] < 0x7F, "error not printable ASCII");
}

static void decode_one(report_kind_t kind, const uint8_t *data, size_t size,
                       const report_limits_t *limits)
{
    report_t r;
    char err[256], tiny[12];

    if (report_decode(kind, data, size, limits, TODAY, &r, err, sizeof err)) {
        check_report(&r, kind);
        report_clear(&r);
        require(is_cleared(&r), "report_clear");
        return;
    }
    require(is_cleared(&r), "failed decode left a report");
    check_error(err, sizeof err);
    require(strlen(err) < 200, "error too long");
    /* the same failure into a small buffer is cut, still terminated */
    require(!report_decode(kind, data, size, limits, TODAY, &r, tiny, sizeof tiny), "unstable");
    check_error(tiny, sizeof tiny);
    require(strncmp(err, tiny, sizeof tiny - 1) == 0, "different error");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const report_limits_t defaults = REPORT_LIMITS_DEFAULT;
    const report_limits_t tight = {size > 0 ? size - 1 + (size & 1) : 0, 3};

    decode_one(REPORT_TREATMENT, data, size, &defaults);
    decode_one(REPORT_COMPLICATION, data, size, &defaults);
    decode_one(REPORT_TREATMENT, data, size, &tight);
    decode_one(REPORT_COMPLICATION, data, size, NULL);
    return 0;
}

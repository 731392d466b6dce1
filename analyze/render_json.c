/*
 * render_json.c - the analysis as one JSON object (see render.h).
 *
 * Members: analyzer, generated_at, window, confidence_level, z, totals,
 * rates, home_vs_clinic, home_vs_clinic_adjusted, then the surveillance
 * members of render_json_sv.c (signals, alerts, ...). Numbers are JSON numbers
 * written by numfmt_double(), so each reads back as the exact double the
 * analyzer computed; an undefined estimate is null. The tree is built with
 * cJSON (strings escaped there) and printed once.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "numfmt.h"
#include "render.h"
#include "render_json_sv.h"

static bool add_double(cJSON *obj, const char *name, double v)
{
    char buf[NUMFMT_LEN];
    if (!numfmt_double(buf, sizeof(buf), v))
        return cJSON_AddNullToObject(obj, name) != NULL;
    return cJSON_AddRawToObject(obj, name, buf) != NULL;
}

static bool add_count(cJSON *obj, const char *name, int64_t n)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRId64, n);
    return cJSON_AddRawToObject(obj, name, buf) != NULL;
}

static bool add_date(cJSON *obj, const char *name, const char *date)
{
    if (date == NULL || date[0] == '\0')
        return cJSON_AddNullToObject(obj, name) != NULL;
    return cJSON_AddStringToObject(obj, name, date) != NULL;
}

static bool add_totals(cJSON *root, const cube_totals_t *totals)
{
    cJSON *obj = cJSON_AddObjectToObject(root, "totals");
    int64_t outside = totals->complication_reports_all - totals->complication_reports -
                      totals->orphan_complications;

    return obj != NULL && add_count(obj, "treatments", totals->treatments) &&
           add_count(obj, "complication_reports", totals->complication_reports) &&
           add_count(obj, "orphan_complications", totals->orphan_complications) &&
           add_count(obj, "quarantined", totals->quarantined) &&
           add_count(obj, "complication_reports_outside_window", outside);
}

static bool add_rates(cJSON *root, const analysis_t *analysis)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "rates");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < analysis->n_rates; i++) {
        const analysis_rate_t *r = &analysis->rates[i];
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row); /* arr owns row from here */
        if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(analysis->cube, r->device)) ||
            !cJSON_AddStringToObject(row, "setting", cube_setting_name(r->setting)) ||
            !cJSON_AddStringToObject(row, "skin_type", cube_skin_name(r->skin)) ||
            !cJSON_AddStringToObject(row, "complication", cube_complication_name(r->complication)) ||
            !sv_json_count(row, "treatments", r->treatments, r->suppressed) ||
            !sv_json_count(row, "cases", r->cases, r->suppressed) ||
            !sv_json_double(row, "rate", r->rate, r->suppressed) ||
            !sv_json_double(row, "ci_low", r->ci_low, r->suppressed) ||
            !sv_json_double(row, "ci_high", r->ci_high, r->suppressed) ||
            (r->suppressed && !cJSON_AddBoolToObject(row, "suppressed", true)))
            return false;
    }
    return true;
}

static bool add_side(cJSON *row, const char *name, const analysis_side_t *side, bool hide)
{
    cJSON *obj = cJSON_AddObjectToObject(row, name);
    return obj != NULL && sv_json_count(obj, "treatments", side->treatments, hide) &&
           sv_json_count(obj, "cases", side->cases, hide) &&
           sv_json_double(obj, "rate", side->rate, hide);
}

static bool add_comparisons(cJSON *root, const analysis_t *analysis)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "home_vs_clinic");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < analysis->n_comparisons; i++) {
        const analysis_comparison_t *cmp = &analysis->comparisons[i];
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(analysis->cube, cmp->device)) ||
            !cJSON_AddStringToObject(row, "skin_type", cube_skin_name(cmp->skin)) ||
            !cJSON_AddStringToObject(row, "complication", cube_complication_name(cmp->complication)) ||
            !add_side(row, "home", &cmp->home, cmp->suppressed) ||
            !add_side(row, "clinic", &cmp->clinic, cmp->suppressed) ||
            !sv_json_double(row, "rate_ratio", cmp->rate_ratio, cmp->suppressed) ||
            !sv_json_double(row, "ci_low", cmp->ci_low, cmp->suppressed) ||
            !sv_json_double(row, "ci_high", cmp->ci_high, cmp->suppressed) ||
            (cmp->suppressed && !cJSON_AddBoolToObject(row, "suppressed", true)))
            return false;
    }
    return true;
}

static bool add_adjusted(cJSON *root, const analysis_t *analysis)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "home_vs_clinic_adjusted");
    if (arr == NULL)
        return false;
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        const analysis_adjusted_t *adj = &analysis->adjusted[c];
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "complication", cube_complication_name(adj->complication)) ||
            !sv_json_double(row, "mh_rate_ratio", adj->mh_rate_ratio, adj->suppressed) ||
            !sv_json_double(row, "ci_low", adj->ci_low, adj->suppressed) ||
            !sv_json_double(row, "ci_high", adj->ci_high, adj->suppressed) ||
            (adj->suppressed && !cJSON_AddBoolToObject(row, "suppressed", true)) ||
            !add_count(row, "strata_used", (int64_t)adj->strata_used) ||
            !cJSON_AddStringToObject(row, "strata", "device_type x skin_type"))
            return false;
    }
    return true;
}

int render_json(FILE *out, const analysis_t *analysis, const render_meta_t *meta, char *errbuf,
                size_t errlen)
{
    cJSON *root = NULL, *obj;
    char *text = NULL;
    char stamp[32];
    struct tm tm;
    int rc = -1;

    gmtime_r(&meta->generated_at, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

    root = cJSON_CreateObject();
    if (root == NULL)
        goto nomem;
    obj = cJSON_AddObjectToObject(root, "analyzer");
    if (obj == NULL || !cJSON_AddStringToObject(obj, "name", "needlewatch-analyze") ||
        !cJSON_AddStringToObject(obj, "version", meta->version))
        goto nomem;
    if (!cJSON_AddStringToObject(root, "generated_at", stamp))
        goto nomem;
    obj = cJSON_AddObjectToObject(root, "window");
    if (obj == NULL || !add_date(obj, "from", meta->from) || !add_date(obj, "to", meta->to))
        goto nomem;
    if (!add_double(root, "confidence_level", 0.95) || !add_double(root, "z", analysis->z))
        goto nomem;
    if (!add_totals(root, &analysis->cube->totals) || !add_rates(root, analysis) ||
        !add_comparisons(root, analysis) || !add_adjusted(root, analysis) ||
        !sv_json_add(root, analysis))
        goto nomem;

    text = cJSON_Print(root);
    if (text == NULL)
        goto nomem;
    if (fputs(text, out) == EOF || fputc('\n', out) == EOF) {
        snprintf(errbuf, errlen, "write error: %s", strerror(errno));
        goto out;
    }
    rc = 0;
    goto out;
nomem:
    snprintf(errbuf, errlen, "out of memory building the JSON");
out:
    free(text); /* cJSON's default allocator is malloc */
    cJSON_Delete(root);
    return rc;
}

/*
 * render_json_sv.c - the surveillance members of the JSON report (see
 * render_json_sv.h and docs/analysis.md). A suppressed row keeps its labels
 * and "suppressed": true; its counts, estimates and flags are null.
 */
#include "render_json_sv.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "numfmt.h"

bool sv_json_double(cJSON *obj, const char *name, double v, bool hide)
{
    char buf[NUMFMT_LEN];
    if (hide || !numfmt_double(buf, sizeof(buf), v))
        return cJSON_AddNullToObject(obj, name) != NULL;
    return cJSON_AddRawToObject(obj, name, buf) != NULL;
}

bool sv_json_count(cJSON *obj, const char *name, int64_t n, bool hide)
{
    char buf[32];
    if (hide)
        return cJSON_AddNullToObject(obj, name) != NULL;
    snprintf(buf, sizeof(buf), "%" PRId64, n);
    return cJSON_AddRawToObject(obj, name, buf) != NULL;
}

static bool add_flag(cJSON *obj, const char *name, bool v, bool hide)
{
    if (hide)
        return cJSON_AddNullToObject(obj, name) != NULL;
    return cJSON_AddBoolToObject(obj, name, v) != NULL;
}

static bool add_ratio(cJSON *obj, const char *name, nw_ratio_t r, bool hide)
{
    char lo[48], hi[48];
    snprintf(lo, sizeof(lo), "%s_ci_low", name);
    snprintf(hi, sizeof(hi), "%s_ci_high", name);
    return sv_json_double(obj, name, r.defined ? r.est : NAN, hide) &&
           sv_json_double(obj, lo, r.defined ? r.lo : NAN, hide) &&
           sv_json_double(obj, hi, r.defined ? r.hi : NAN, hide);
}

/* IMDRF Annex E (health effects) terms of the ten complication types, as
 * in needlewatch.complication_catalogue (sql/006_surveillance.sql). */
static const struct {
    const char *complication;
    const char *codes[2], *terms[2];
    const char *note;
} imdrf[] = {
    {"infection", {"E1719", NULL}, {"Skin Infection", NULL}, NULL},
    {"scarring", {"E1715", NULL}, {"Scar Tissue", NULL}, NULL},
    {"hyperpigmentation", {"E171602", NULL}, {"Hyperpigmentation", NULL}, NULL},
    {"burn", {"E1704", NULL}, {"Burn(s)", NULL}, NULL},
    {"nerve_damage", {"E0123", NULL}, {"Nerve Damage", NULL}, NULL},
    {"fat_loss", {NULL, NULL}, {NULL, NULL}, "no specific IMDRF Annex E term"},
    {"granuloma", {"E2317", NULL}, {"Granuloma", NULL}, NULL},
    {"dryness_peeling", {"E1724", "E1711"}, {"Dry Skin", "Peeling"}, NULL},
    {"acne_flare", {NULL, NULL}, {NULL, NULL}, "no specific IMDRF Annex E term"},
    {"other", {NULL, NULL}, {NULL, NULL}, "no specific IMDRF Annex E term"},
};

static bool add_catalogue(cJSON *root)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "complication_catalogue");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < sizeof(imdrf) / sizeof(imdrf[0]); i++) {
        cJSON *row = cJSON_CreateObject(), *codes, *terms;
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "complication", imdrf[i].complication) ||
            !cJSON_AddStringToObject(row, "title",
                                     cube_complication_title(
                                         cube_complication_index(imdrf[i].complication))) ||
            (codes = cJSON_AddArrayToObject(row, "imdrf_annex_e_codes")) == NULL ||
            (terms = cJSON_AddArrayToObject(row, "imdrf_annex_e_terms")) == NULL)
            return false;
        for (int k = 0; k < 2 && imdrf[i].codes[k] != NULL; k++) {
            cJSON *x = cJSON_CreateString(imdrf[i].codes[k]);
            cJSON *y = cJSON_CreateString(imdrf[i].terms[k]);
            if (x == NULL || y == NULL) {
                cJSON_Delete(x);
                cJSON_Delete(y);
                return false;
            }
            cJSON_AddItemToArray(codes, x);
            cJSON_AddItemToArray(terms, y);
        }
        if (!(imdrf[i].note ? cJSON_AddStringToObject(row, "note", imdrf[i].note) != NULL
                            : cJSON_AddNullToObject(row, "note") != NULL))
            return false;
    }
    return true;
}

cJSON *sv_json_signal(const cube_t *cube, const signal_row_t *row)
{
    cJSON *obj = cJSON_CreateObject();
    bool h = row->suppressed;

    if (obj == NULL)
        return NULL;
    if (row->manufacturer == NULL) {
        if (!cJSON_AddStringToObject(obj, "device_type", cube_device_name(cube, row->device)))
            goto fail;
    } else if (!cJSON_AddStringToObject(obj, "manufacturer", row->manufacturer) ||
               !cJSON_AddStringToObject(obj, "model", row->model)) {
        goto fail;
    }
    if (!cJSON_AddStringToObject(obj, "complication", cube_complication_name(row->complication)) ||
        !sv_json_count(obj, "a", row->table.a, h) || !sv_json_count(obj, "b", row->table.b, h) ||
        !sv_json_count(obj, "c", row->table.c, h) || !sv_json_count(obj, "d", row->table.d, h) ||
        !add_ratio(obj, "prr", row->prr, h) ||
        !sv_json_double(obj, "chi2", row->chi2.defined ? row->chi2.stat : NAN, h) ||
        !sv_json_double(obj, "chi2_p", row->chi2.defined ? row->chi2.p : NAN, h) ||
        !add_ratio(obj, "ror", row->ror, h) ||
        !add_flag(obj, "evans_signal", row->evans_signal, h) ||
        !add_flag(obj, "signal", row->signal, h) ||
        !cJSON_AddBoolToObject(obj, "suppressed", h))
        goto fail;
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *rate_json(const cube_t *cube, const rate_row_t *row)
{
    cJSON *obj = cJSON_CreateObject();
    bool h = row->suppressed;

    if (obj == NULL)
        return NULL;
    if (!cJSON_AddStringToObject(obj, "device_type", cube_device_name(cube, row->device)) ||
        !cJSON_AddStringToObject(obj, "setting", cube_setting_name(row->setting)) ||
        !cJSON_AddStringToObject(obj, "complication", cube_complication_name(row->complication)) ||
        !sv_json_count(obj, "treatments", row->treatments, h) ||
        !sv_json_count(obj, "cases", row->cases, h) || !sv_json_double(obj, "rate", row->rate, h) ||
        !sv_json_count(obj, "other_treatments", row->other_treatments, h) ||
        !sv_json_count(obj, "other_cases", row->other_cases, h) ||
        !sv_json_double(obj, "other_rate", row->other_rate, h) ||
        !sv_json_double(obj, "rate_ratio", row->rate_ratio.defined ? row->rate_ratio.est : NAN, h) ||
        !sv_json_double(obj, "ci_low", row->rate_ratio.defined ? row->rate_ratio.lo : NAN, h) ||
        !sv_json_double(obj, "ci_high", row->rate_ratio.defined ? row->rate_ratio.hi : NAN, h) ||
        !cJSON_AddBoolToObject(obj, "suppressed", h)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

cJSON *sv_json_alert(const cube_t *cube, const sv_results_t *sv, const alert_row_t *a)
{
    cJSON *obj = cJSON_CreateObject();
    char week[11], iso[9];
    int32_t monday = sv->data->first_week + (int32_t)(7 * a->week);
    bool h = a->suppressed;

    if (obj == NULL)
        return NULL;
    sv_date_string(monday, week);
    sv_iso_week(monday, iso);
    if (!cJSON_AddStringToObject(obj, "device_type", cube_device_name(cube, a->device)) ||
        !cJSON_AddStringToObject(obj, "setting", cube_setting_name(a->setting)) ||
        !cJSON_AddStringToObject(obj, "complication", cube_complication_name(a->complication)) ||
        !cJSON_AddStringToObject(obj, "week", iso) ||
        !cJSON_AddStringToObject(obj, "week_start", week) ||
        !sv_json_count(obj, "observed", (int64_t)a->ears.observed, h) ||
        !sv_json_double(obj, "expected", a->ears.mean, h) ||
        !sv_json_double(obj, "statistic", a->ears.statistic, h) ||
        !cJSON_AddStringToObject(obj, "method", "EARS C2") ||
        !sv_json_double(obj, "sd", a->ears.sd, h) ||
        !sv_json_double(obj, "sigma", a->ears.sigma, h) ||
        !sv_json_double(obj, "upperbound", a->ears.upperbound, h) ||
        !sv_json_double(obj, "threshold", a->ears.threshold, false) ||
        !cJSON_AddBoolToObject(obj, "suppressed", h)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static bool add_rates(cJSON *root, const cube_t *cube, const sv_results_t *sv)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "rate_comparison");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < sv->n_rates; i++) {
        cJSON *obj = rate_json(cube, &sv->rates[i]);
        if (obj == NULL)
            return false;
        cJSON_AddItemToArray(arr, obj);
    }
    return true;
}

static bool add_rows(cJSON *root, const char *name, const cube_t *cube, const signal_row_t *rows,
                     size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(root, name);
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        cJSON *obj = sv_json_signal(cube, &rows[i]);
        if (obj == NULL)
            return false;
        cJSON_AddItemToArray(arr, obj);
    }
    return true;
}

static bool add_alerts(cJSON *root, const analysis_t *analysis)
{
    const sv_results_t *sv = analysis->sv;
    cJSON *arr = cJSON_AddArrayToObject(root, "alerts"), *m;
    nw_ears_t probe;
    long zero[16] = {0};

    if (arr == NULL)
        return false;
    for (size_t i = 0; i < sv->n_alerts; i++) {
        cJSON *obj = sv_json_alert(analysis->cube, sv, &sv->alerts[i]);
        if (obj == NULL)
            return false;
        cJSON_AddItemToArray(arr, obj);
    }
    /* The threshold the parameters give (computed by stats.c on a dummy). */
    probe = stats_ears_c2(zero, 16, 15, (nw_ears_params_t){3, sv->alert_params.ears.alpha, 0});
    m = cJSON_AddObjectToObject(root, "alert_method");
    return m != NULL && cJSON_AddStringToObject(m, "method", "EARS C2") &&
           cJSON_AddStringToObject(m, "series",
                                   "weekly cases (treatments that are cases) by ISO week "
                                   "(Monday to Sunday) of treated_on, per device type x "
                                   "setting x complication, and for all device types and "
                                   "both settings") &&
           sv_json_count(m, "baseline", (int64_t)sv->alert_params.ears.baseline, false) &&
           sv_json_count(m, "guard_weeks", 2, false) &&
           sv_json_double(m, "alpha", sv->alert_params.ears.alpha, false) &&
           sv_json_double(m, "threshold", probe.threshold, false) &&
           sv_json_double(m, "min_sigma", sv->alert_params.ears.min_sigma, false) &&
           sv_json_count(m, "min_cases", sv->alert_params.min_cases, false) &&
           cJSON_AddStringToObject(
               m, "reference",
               "Hutwagner L, Thompson W, Seeman GM, Treadwell T. The bioterrorism preparedness "
               "and response Early Aberration Reporting System (EARS). J Urban Health "
               "2003;80(2 Suppl 1):i89-96; as implemented in R surveillance::earsC "
               "(method = \"C2\")");
}

static bool add_weekly(cJSON *root, const analysis_t *analysis)
{
    const sv_results_t *sv = analysis->sv;
    const sv_data_t *data = sv->data;
    const cube_t *cube = analysis->cube;
    cJSON *obj = cJSON_AddObjectToObject(root, "weekly"), *weeks, *series;

    if (obj == NULL || (weeks = cJSON_AddArrayToObject(obj, "weeks")) == NULL ||
        (series = cJSON_AddArrayToObject(obj, "series")) == NULL)
        return false;
    for (size_t w = 0; w < data->n_weeks; w++) {
        char week[11];
        cJSON *s;
        sv_date_string(data->first_week + (int32_t)(7 * w), week);
        if ((s = cJSON_CreateString(week)) == NULL)
            return false;
        cJSON_AddItemToArray(weeks, s);
    }
    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t slot = cube_device_slot(cube, i);
        for (int st = 0; st < CUBE_SETTINGS; st++) {
        cJSON *row, *arr, *cases;
        if (cube_cell_const(cube, slot, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        if ((row = cJSON_CreateObject()) == NULL)
            return false;
        cJSON_AddItemToArray(series, row);
        if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(cube, slot)) ||
            !cJSON_AddStringToObject(row, "setting", cube_setting_name(st)) ||
            (arr = cJSON_AddArrayToObject(row, "treatments")) == NULL ||
            (cases = cJSON_AddObjectToObject(row, "cases")) == NULL)
            return false;
        for (int c = -1; c < CUBE_COMPLICATIONS; c++) {
            if (c >= 0 && (arr = cJSON_AddArrayToObject(cases, cube_complication_name(c))) == NULL)
                return false;
            for (size_t w = 0; w < data->n_weeks; w++) {
                int64_t v = c < 0 ? sv_week_treatments(data, slot, st, w)
                                  : sv_week_cases(data, slot, st, w, c);
                cJSON *x = sv_week_hidden(sv, slot, st, w, c) ? cJSON_CreateNull()
                                                              : cJSON_CreateNumber((double)v);
                if (x == NULL)
                    return false;
                cJSON_AddItemToArray(arr, x);
            }
        }
        }
    }
    return true;
}

static bool add_skin_trend(cJSON *root, const analysis_t *analysis)
{
    const sv_results_t *sv = analysis->sv;
    cJSON *arr = cJSON_AddArrayToObject(root, "skin_trend");
    if (arr == NULL)
        return false;
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            const skin_trend_row_t *r = &sv->skin_trend[s][c];
            bool h = r->suppressed;
            cJSON *row = cJSON_CreateObject(), *t, *k;
            const char *dir = !r->trend.defined ? "not computable"
                              : r->trend.p >= 0.05  ? "no clear trend"
                              : r->trend.z > 0      ? "rising with skin type"
                                                    : "falling with skin type";
            if (row == NULL)
                return false;
            cJSON_AddItemToArray(arr, row);
            if (!cJSON_AddStringToObject(row, "setting", cube_setting_name(s)) ||
                !cJSON_AddStringToObject(row, "complication", cube_complication_name(c)) ||
                (t = cJSON_AddArrayToObject(row, "treatments")) == NULL ||
                (k = cJSON_AddArrayToObject(row, "cases")) == NULL)
                return false;
            for (int i = 0; i < 6; i++) {
                bool th = sv->suppress_below > 0 && sv->t_hidden[CUBE_DEVICE_ALL][s][i];
                bool ch = sv->suppress_below > 0 && sv->c_hidden[CUBE_DEVICE_ALL][s][i][c];
                cJSON *x = th ? cJSON_CreateNull() : cJSON_CreateNumber((double)r->treatments[i]);
                cJSON *y = ch ? cJSON_CreateNull() : cJSON_CreateNumber((double)r->cases[i]);
                if (x == NULL || y == NULL) {
                    cJSON_Delete(x);
                    cJSON_Delete(y);
                    return false;
                }
                cJSON_AddItemToArray(t, x);
                cJSON_AddItemToArray(k, y);
            }
            if (!sv_json_double(row, "z", r->trend.defined ? r->trend.z : NAN, h) ||
                !sv_json_double(row, "chi2", r->trend.defined ? r->trend.chi2 : NAN, h) ||
                !sv_json_double(row, "p_value", r->trend.defined ? r->trend.p : NAN, h) ||
                !cJSON_AddStringToObject(row, "direction", h ? "suppressed" : dir) ||
                !cJSON_AddBoolToObject(row, "suppressed", h))
                return false;
        }
    }
    return true;
}

bool sv_json_add(cJSON *root, const analysis_t *analysis)
{
    const sv_results_t *sv = analysis->sv;
    cJSON *supp;

    if (sv == NULL)
        return true;
    supp = cJSON_AddObjectToObject(root, "suppression");
    if (supp == NULL ||
        !sv_json_count(supp, "suppress_below", sv->suppress_below, sv->suppress_below <= 0) ||
        !sv_json_count(supp, "unprotectable_lines", (int64_t)sv->unprotectable_lines, false))
        return false;
    return add_catalogue(root) &&
           add_rows(root, "signals", analysis->cube, sv->signals, sv->n_signals) &&
           add_rows(root, "signals_by_model", analysis->cube, sv->model_signals,
                    sv->n_model_signals) &&
           add_rates(root, analysis->cube, sv) && add_alerts(root, analysis) && add_weekly(root, analysis) &&
           add_skin_trend(root, analysis);
}

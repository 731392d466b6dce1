/*
 * json.c - the findings as one JSON object (see render.h).
 *
 * Members: analyzer, generated_at, window, as_of, summary, confidence_level, z,
 * totals, rates, home_vs_clinic, home_vs_clinic_adjusted, horizons, risks,
 * serious_change, data_quality, then the surveillance members
 * (suppression, complication_catalogue, signals, signals_by_model,
 * rate_comparison, alerts, alert_method, weekly, skin_trend,
 * skin_trend_adjusted). Numbers are
 * JSON numbers written by numfmt_double(), so each reads back as the exact
 * double the analyzer computed; an undefined estimate is null. A row that
 * --suppress-below hides keeps its labels and "suppressed": true; its
 * counts, estimates and flags are null. The tree is built with cJSON
 * (strings escaped there) and printed once. The signal and alert objects
 * are also the messages of --publish-signals (export/publish.c). Alerts
 * come most serious first (model/alerts.h); each carries its evidence, its
 * sentence and its also_in margins (render/alertfmt.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "catalogue.h"
#include "civil.h"
#include "render/alertfmt.h"
#include "render/numfmt.h"
#include "render/render.h"
#include "render/summary.h"

/* ---- Writers of one member ------------------------------------------ */

static bool json_double(cJSON *obj, const char *name, double v, bool hide)
{
    char buf[NUMFMT_LEN];
    if (hide || !numfmt_double(buf, sizeof(buf), v))
        return cJSON_AddNullToObject(obj, name) != NULL;
    return cJSON_AddRawToObject(obj, name, buf) != NULL;
}

static bool json_count(cJSON *obj, const char *name, int64_t n, bool hide)
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
    return json_double(obj, name, r.defined ? r.est : NAN, hide) &&
           json_double(obj, lo, r.defined ? r.lo : NAN, hide) &&
           json_double(obj, hi, r.defined ? r.hi : NAN, hide);
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

    return obj != NULL && json_count(obj, "treatments", totals->treatments, false) &&
           json_count(obj, "complication_reports", totals->complication_reports, false) &&
           json_count(obj, "orphan_complications", totals->orphan_complications, false) &&
           json_count(obj, "quarantined", totals->quarantined, false) &&
           json_count(obj, "complication_reports_outside_window", outside, false);
}

static bool add_rates(cJSON *root, const rates_t *rates)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "rates");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < rates->n_rates; i++) {
        const rate_t *r = &rates->rates[i];
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row); /* arr owns row from here */
        if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(rates->cube, r->device)) ||
            !cJSON_AddStringToObject(row, "setting", cube_setting_name(r->setting)) ||
            !cJSON_AddStringToObject(row, "skin_type", cube_skin_name(r->skin)) ||
            !cJSON_AddStringToObject(row, "complication", cube_complication_name(r->complication)) ||
            !json_count(row, "treatments", r->treatments, r->suppressed) ||
            !json_count(row, "cases", r->cases, r->suppressed) ||
            !json_double(row, "rate", r->rate, r->suppressed) ||
            !json_double(row, "ci_low", r->ci_low, r->suppressed) ||
            !json_double(row, "ci_high", r->ci_high, r->suppressed) ||
            !json_count(row, "serious_cases", r->serious_cases, r->serious_suppressed) ||
            !json_double(row, "serious_rate", r->serious_rate, r->serious_suppressed) ||
            !json_double(row, "serious_ci_low", r->serious_ci_low, r->serious_suppressed) ||
            !json_double(row, "serious_ci_high", r->serious_ci_high, r->serious_suppressed) ||
            (r->suppressed && !cJSON_AddBoolToObject(row, "suppressed", true)))
            return false;
    }
    return true;
}

/* ---- Risks over fixed follow-ups ------------------------------------ */

static bool add_risks(cJSON *root, const findings_t *findings)
{
    const risks_t *risks = findings->risks;
    const cube_t *cube = findings->cube;
    cJSON *arr, *hz;

    if (risks == NULL)
        return true;
    if ((hz = cJSON_AddArrayToObject(root, "horizons")) == NULL)
        return false;
    for (size_t h = 0; h < risks->n_horizons; h++) {
        cJSON *x = cJSON_CreateNumber(risks->horizons[h]);
        if (x == NULL)
            return false;
        cJSON_AddItemToArray(hz, x);
    }
    if ((arr = cJSON_AddArrayToObject(root, "risks")) == NULL)
        return false;
    for (size_t i = 0; i < risks->n_rows; i++) {
        const risk_row_t *r = &risks->rows[i];
        bool h = r->suppressed, hs = r->serious_suppressed, hm = r->missing_suppressed;
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(cube, r->device)) ||
            !cJSON_AddStringToObject(row, "setting", cube_setting_name(r->setting)) ||
            !cJSON_AddStringToObject(row, "skin_type", cube_skin_name(r->skin)) ||
            !cJSON_AddStringToObject(row, "complication", cube_complication_name(r->complication)) ||
            !json_count(row, "horizon_days", r->horizon, false) ||
            !cJSON_AddStringToObject(row, "as_of", risks->as_of) ||
            !json_count(row, "treatments", r->treatments, h) ||
            !json_count(row, "cases", r->cases, h) ||
            !json_double(row, "rate", r->rate, h) ||
            !json_double(row, "ci_low", r->ci_low, h) ||
            !json_double(row, "ci_high", r->ci_high, h) ||
            !json_count(row, "serious_cases", r->serious, hs) ||
            !json_double(row, "serious_rate", r->serious_rate, hs) ||
            !json_double(row, "serious_ci_low", r->serious_ci_low, hs) ||
            !json_double(row, "serious_ci_high", r->serious_ci_high, hs) ||
            !json_count(row, "missing_onset_cases", r->missing, hm) ||
            (h && !cJSON_AddBoolToObject(row, "suppressed", true)))
            return false;
    }
    return true;
}

static bool add_period(cJSON *obj, const char *name, const risk_period_t *p)
{
    cJSON *x = cJSON_AddObjectToObject(obj, name);
    bool h = p->suppressed;
    return x != NULL && add_date(x, "from", p->from) && add_date(x, "to", p->to) &&
           json_count(x, "treatments", p->treatments, h) &&
           json_count(x, "serious_cases", p->serious, h) &&
           json_double(x, "serious_rate", p->rate, h) &&
           json_double(x, "serious_ci_low", p->ci_low, h) &&
           json_double(x, "serious_ci_high", p->ci_high, h);
}

/* The serious risk of the latest period against the one before. */
static bool add_serious_change(cJSON *root, const findings_t *findings)
{
    const risks_t *risks = findings->risks;
    const risk_change_t *ch;
    cJSON *obj;

    if (risks == NULL || risks->n_horizons == 0)
        return true;
    ch = &risks->change;
    obj = cJSON_AddObjectToObject(root, "serious_change");
    return obj != NULL && json_count(obj, "horizon_days", ch->horizon, false) &&
           json_count(obj, "period_days", RISKS_PERIOD_DAYS, false) &&
           cJSON_AddStringToObject(obj, "as_of", risks->as_of) &&
           add_period(obj, "recent", &ch->recent) && add_period(obj, "previous", &ch->previous) &&
           add_ratio(obj, "rate_ratio", ch->ratio, ch->suppressed) &&
           cJSON_AddBoolToObject(obj, "suppressed", ch->suppressed);
}

/* The lines the text and HTML reports open with (render/summary.h). */
static bool add_summary(cJSON *root, const findings_t *findings)
{
    summary_t summary;
    cJSON *arr = cJSON_AddArrayToObject(root, "summary");

    if (arr == NULL)
        return false;
    summary_build(findings, &summary);
    for (size_t i = 0; i < summary.n; i++) {
        const summary_line_t *l = &summary.lines[i];
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "kind", summary_kind_name(l->kind)) ||
            !cJSON_AddStringToObject(row, "text", l->text) ||
            !cJSON_AddStringToObject(row, "section", summary_section(l->kind)))
            return false;
    }
    return true;
}

/* ---- Data quality ---------------------------------------------------- */

static bool add_share(cJSON *obj, const char *name, int64_t n, int64_t of, bool hide)
{
    cJSON *x = cJSON_AddObjectToObject(obj, name);
    return x != NULL && json_count(x, "count", n, hide) &&
           json_double(x, "share", of > 0 ? (double)n / (double)of : NAN, hide);
}

static bool add_quality(cJSON *root, const findings_t *findings)
{
    const quality_t *q = findings->quality;
    const disclosure_t *d = findings->disclosure;
    bool unknown_hidden = d != NULL && disclose_cell(d, CUBE_DEVICE_ALL, CUBE_SETTING_ALL,
                                                     CUBE_SKIN_UNKNOWN, DISCLOSE_TREATMENTS);
    cJSON *obj, *lag, *t, *r, *reasons;

    if (q == NULL)
        return true;
    obj = cJSON_AddObjectToObject(root, "data_quality");
    if (obj == NULL || !json_count(obj, "treatments", q->treatments, false) ||
        !json_count(obj, "complication_reports", q->reports, false) ||
        !add_share(obj, "unknown_skin_type", q->unknown_skin, q->treatments, unknown_hidden) ||
        !add_share(obj, "missing_manufacturer_or_model", q->no_model, q->treatments,
                   d != NULL && d->no_model) ||
        !add_share(obj, "missing_onset_days", q->reports_no_onset, q->reports,
                   d != NULL && d->no_onset) ||
        (lag = cJSON_AddObjectToObject(obj, "reporting_lag")) == NULL ||
        !cJSON_AddStringToObject(lag, "definition",
                                 "reported_at (its UTC date) minus treated_on, in days") ||
        (t = cJSON_AddArrayToObject(lag, "treatments")) == NULL ||
        (r = cJSON_AddArrayToObject(lag, "complication_reports")) == NULL)
        return false;
    for (size_t b = 0; b < q->n_buckets; b++) {
        const quality_bucket_t *qb = &q->buckets[b];
        cJSON *x = cJSON_CreateObject(), *y = cJSON_CreateObject();
        if (x == NULL || y == NULL) {
            cJSON_Delete(x);
            cJSON_Delete(y);
            return false;
        }
        cJSON_AddItemToArray(t, x);
        cJSON_AddItemToArray(r, y);
        if (!cJSON_AddStringToObject(x, "lag", qb->label) ||
            !json_count(x, "count", qb->treatments, d != NULL && d->lag_treatments[b]) ||
            !cJSON_AddStringToObject(y, "lag", qb->label) ||
            !json_count(y, "count", qb->reports, d != NULL && d->lag_reports[b]))
            return false;
    }
    if ((t = cJSON_AddObjectToObject(obj, "latest_report")) == NULL ||
        !add_date(t, "treatment", q->latest_treatment) ||
        !add_date(t, "complication", q->latest_complication) ||
        !json_count(obj, "quarantined", q->quarantined, false) ||
        (reasons = cJSON_AddArrayToObject(obj, "quarantine_reasons")) == NULL)
        return false;
    for (size_t i = 0; i < q->n_reasons && i < QUALITY_TOP_REASONS; i++) {
        cJSON *x = cJSON_CreateObject();
        if (x == NULL)
            return false;
        cJSON_AddItemToArray(reasons, x);
        if (!cJSON_AddStringToObject(x, "reason", q->reasons[i].reason) ||
            !json_count(x, "count", q->reasons[i].n, d != NULL && d->reasons[i]))
            return false;
    }
    return true;
}

static bool add_side(cJSON *row, const char *name, const rate_side_t *side, bool hide)
{
    cJSON *obj = cJSON_AddObjectToObject(row, name);
    return obj != NULL && json_count(obj, "treatments", side->treatments, hide) &&
           json_count(obj, "cases", side->cases, hide) &&
           json_double(obj, "rate", side->rate, hide);
}

static bool add_comparisons(cJSON *root, const rates_t *rates)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "home_vs_clinic");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < rates->n_comparisons; i++) {
        const rate_comparison_t *cmp = &rates->comparisons[i];
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(rates->cube, cmp->device)) ||
            !cJSON_AddStringToObject(row, "skin_type", cube_skin_name(cmp->skin)) ||
            !cJSON_AddStringToObject(row, "complication", cube_complication_name(cmp->complication)) ||
            !add_side(row, "home", &cmp->home, cmp->suppressed) ||
            !add_side(row, "clinic", &cmp->clinic, cmp->suppressed) ||
            !json_double(row, "rate_ratio", cmp->rate_ratio, cmp->suppressed) ||
            !json_double(row, "ci_low", cmp->ci_low, cmp->suppressed) ||
            !json_double(row, "ci_high", cmp->ci_high, cmp->suppressed) ||
            (cmp->suppressed && !cJSON_AddBoolToObject(row, "suppressed", true)))
            return false;
    }
    return true;
}

static bool add_adjusted(cJSON *root, const rates_t *rates)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "home_vs_clinic_adjusted");
    if (arr == NULL)
        return false;
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        const rate_adjusted_t *adj = &rates->adjusted[c];
        cJSON *row = cJSON_CreateObject();
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "complication", cube_complication_name(adj->complication)) ||
            !json_double(row, "mh_rate_ratio", adj->mh_rate_ratio, adj->suppressed) ||
            !json_double(row, "ci_low", adj->ci_low, adj->suppressed) ||
            !json_double(row, "ci_high", adj->ci_high, adj->suppressed) ||
            (adj->suppressed && !cJSON_AddBoolToObject(row, "suppressed", true)) ||
            !json_count(row, "strata_used", (int64_t)adj->strata_used, false) ||
            !cJSON_AddStringToObject(row, "strata", "device_type x skin_type"))
            return false;
    }
    return true;
}

/* ---- Surveillance members ------------------------------------------ */

static bool add_catalogue(cJSON *root)
{
    const catalogue_list_t *types = &catalogue_complication_types;
    cJSON *arr = cJSON_AddArrayToObject(root, "complication_catalogue");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < types->count; i++) {
        const catalogue_entry_t *e = &types->entries[i];
        cJSON *row = cJSON_CreateObject(), *codes, *terms;
        if (row == NULL)
            return false;
        cJSON_AddItemToArray(arr, row);
        if (!cJSON_AddStringToObject(row, "complication", e->name) ||
            !cJSON_AddStringToObject(row, "title", e->title) ||
            (codes = cJSON_AddArrayToObject(row, "imdrf_annex_e_codes")) == NULL ||
            (terms = cJSON_AddArrayToObject(row, "imdrf_annex_e_terms")) == NULL)
            return false;
        for (int k = 0; k < 2 && e->imdrf_codes[k] != NULL; k++) {
            cJSON *x = cJSON_CreateString(e->imdrf_codes[k]);
            cJSON *y = cJSON_CreateString(e->imdrf_terms[k]);
            if (x == NULL || y == NULL) {
                cJSON_Delete(x);
                cJSON_Delete(y);
                return false;
            }
            cJSON_AddItemToArray(codes, x);
            cJSON_AddItemToArray(terms, y);
        }
        if (!(e->imdrf_note ? cJSON_AddStringToObject(row, "note", e->imdrf_note) != NULL
                            : cJSON_AddNullToObject(row, "note") != NULL))
            return false;
    }
    return true;
}

cJSON *render_json_signal(const cube_t *cube, const signal_row_t *row)
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
        !json_count(obj, "a", row->table.a, h) || !json_count(obj, "b", row->table.b, h) ||
        !json_count(obj, "c", row->table.c, h) || !json_count(obj, "d", row->table.d, h) ||
        !add_ratio(obj, "prr", row->prr, h) ||
        !json_double(obj, "chi2", row->chi2.defined ? row->chi2.stat : NAN, h) ||
        !json_double(obj, "chi2_p", row->chi2.defined ? row->chi2.p : NAN, h) ||
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

static cJSON *rate_json(const cube_t *cube, const signal_rate_t *row)
{
    cJSON *obj = cJSON_CreateObject();
    bool h = row->suppressed;

    if (obj == NULL)
        return NULL;
    if (!cJSON_AddStringToObject(obj, "device_type", cube_device_name(cube, row->device)) ||
        !cJSON_AddStringToObject(obj, "setting", cube_setting_name(row->setting)) ||
        !cJSON_AddStringToObject(obj, "complication", cube_complication_name(row->complication)) ||
        !json_count(obj, "treatments", row->treatments, h) ||
        !json_count(obj, "cases", row->cases, h) || !json_double(obj, "rate", row->rate, h) ||
        !json_count(obj, "other_treatments", row->other_treatments, h) ||
        !json_count(obj, "other_cases", row->other_cases, h) ||
        !json_double(obj, "other_rate", row->other_rate, h) ||
        !json_double(obj, "rate_ratio", row->rate_ratio.defined ? row->rate_ratio.est : NAN, h) ||
        !json_double(obj, "ci_low", row->rate_ratio.defined ? row->rate_ratio.lo : NAN, h) ||
        !json_double(obj, "ci_high", row->rate_ratio.defined ? row->rate_ratio.hi : NAN, h) ||
        !cJSON_AddBoolToObject(obj, "suppressed", h)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* The numbers of one block (an alert's own, or a margin's): null when the
 * disclose step hides them. */
static bool add_evidence(cJSON *obj, const findings_t *findings, size_t device, int setting,
                         int complication, const alert_evidence_t *e, bool h)
{
    alertfmt_days_t days;
    char sentence[1024];
    double t = e->treatments > 0 ? (double)e->treatments : NAN;

    alertfmt_days(findings->weekly, e, &days);
    alertfmt_sentence(sentence, sizeof(sentence), findings, device, setting, complication, e, h);
    return json_count(obj, "observed", e->observed, h) &&
           json_double(obj, "expected", e->expected, h) &&
           json_count(obj, "treatments", e->treatments, h) &&
           json_double(obj, "rate", (double)e->observed / t, h) &&
           json_double(obj, "expected_rate", e->expected / t, h) &&
           json_double(obj, "rate_ratio", alert_rate_ratio(e), h) &&
           json_double(obj, "p_value", e->p_value, h) &&
           json_double(obj, "q_value", e->q_value, h) &&
           cJSON_AddStringToObject(obj, "window_start", days.window_first) &&
           cJSON_AddStringToObject(obj, "window_end", days.window_last) &&
           json_count(obj, "window_weeks", e->window, false) &&
           (e->has_baseline ? cJSON_AddStringToObject(obj, "baseline_start", days.base_first) &&
                                  cJSON_AddStringToObject(obj, "baseline_end", days.base_last)
                            : cJSON_AddNullToObject(obj, "baseline_start") &&
                                  cJSON_AddNullToObject(obj, "baseline_end")) &&
           json_count(obj, "baseline_cases", e->base_cases, h || !e->has_baseline) &&
           json_count(obj, "baseline_treatments", e->base_treatments, h || !e->has_baseline) &&
           (h || e->model == DETECT_MODEL_NONE ? cJSON_AddNullToObject(obj, "model") != NULL
                                          : cJSON_AddStringToObject(obj, "model",
                                                                    alertfmt_model(e)) != NULL) &&
           json_double(obj, "dispersion", e->phi, h) &&
           json_double(obj, "statistic", e->statistic, h) &&
           cJSON_AddStringToObject(obj, "sentence", sentence) != NULL;
}

cJSON *render_json_alert(const findings_t *findings, const alert_row_t *a)
{
    const cube_t *cube = findings->cube;
    const alert_method_t method = findings->alerts->params.method;
    cJSON *obj = cJSON_CreateObject(), *also;
    char week[11], last[11], iso[9];
    int32_t monday = weekly_monday(findings->weekly, a->first_week);
    bool h = a->suppressed;

    if (obj == NULL)
        return NULL;
    civil_format(monday, week);
    civil_format(weekly_monday(findings->weekly, a->last_week), last);
    civil_iso_week(monday, iso);
    if (!cJSON_AddStringToObject(obj, "device_type", cube_device_name(cube, a->device)) ||
        !cJSON_AddStringToObject(obj, "setting", cube_setting_name(a->setting)) ||
        !cJSON_AddStringToObject(obj, "complication", cube_complication_name(a->complication)) ||
        !cJSON_AddStringToObject(obj, "week", iso) ||
        !cJSON_AddStringToObject(obj, "week_start", week) ||
        !cJSON_AddStringToObject(obj, "last_week_start", last) ||
        !json_count(obj, "weeks", (int64_t)(a->last_week - a->first_week + 1), false) ||
        !json_count(obj, "alarm_weeks", (int64_t)a->alarm_weeks, false) ||
        !cJSON_AddStringToObject(obj, "method", alert_method_title(method)) ||
        !add_evidence(obj, findings, a->device, a->setting, a->complication, &a->evidence, h) ||
        !cJSON_AddStringToObject(obj, "statistic_name", alertfmt_statistic_name(method)) ||
        !cJSON_AddStringToObject(obj, "threshold_rule", alertfmt_rule(method)) ||
        !json_double(obj, "threshold", a->evidence.threshold, false) ||
        (also = cJSON_AddArrayToObject(obj, "also_in")) == NULL)
        goto fail;
    for (size_t k = 0; k < a->n_also_in; k++) {
        const alert_margin_t *m = &a->also_in[k];
        cJSON *row = cJSON_CreateObject();
        char first[11], end[11];
        if (row == NULL)
            goto fail;
        cJSON_AddItemToArray(also, row);
        civil_format(weekly_monday(findings->weekly, m->first_week), first);
        civil_format(weekly_monday(findings->weekly, m->last_week), end);
        if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(cube, m->device)) ||
            !cJSON_AddStringToObject(row, "setting", cube_setting_name(m->setting)) ||
            !cJSON_AddStringToObject(row, "complication",
                                     cube_complication_name(m->complication)) ||
            !cJSON_AddStringToObject(row, "week_start", first) ||
            !cJSON_AddStringToObject(row, "last_week_start", end) ||
            !add_evidence(row, findings, m->device, m->setting, m->complication, &m->evidence,
                          m->suppressed) ||
            !cJSON_AddBoolToObject(row, "suppressed", m->suppressed))
            goto fail;
    }
    if (!cJSON_AddBoolToObject(obj, "suppressed", h))
        goto fail;
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

static bool add_rate_comparison(cJSON *root, const cube_t *cube, const signals_t *signals)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "rate_comparison");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i < signals->n_rates; i++) {
        cJSON *obj = rate_json(cube, &signals->rates[i]);
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
        cJSON *obj = render_json_signal(cube, &rows[i]);
        if (obj == NULL)
            return false;
        cJSON_AddItemToArray(arr, obj);
    }
    return true;
}

/* alert_method: the method, its parameters and what the alerts counted. */
bool render_json_alert_method(cJSON *root, const findings_t *findings)
{
    const alerts_t *alerts = findings->alerts;
    const alert_params_t *p = &alerts->params;
    const alert_timing_t *tm = &alerts->timing;
    cJSON *m = cJSON_AddObjectToObject(root, "alert_method"), *par, *counted;
    char as_of[11], first[11] = "", last[11] = "";

    if (m == NULL)
        return false;
    civil_format(tm->as_of, as_of);
    if (alerts->has_judged) {
        civil_format(weekly_monday(findings->weekly, alerts->first_judged), first);
        civil_format(weekly_monday(findings->weekly, alerts->last_judged), last);
    }
    if (!cJSON_AddStringToObject(m, "method", alert_method_title(p->method)) ||
        !cJSON_AddStringToObject(m, "name", alert_method_name(p->method)) ||
        !cJSON_AddStringToObject(
            m, "series",
            "weekly cases (treatments with a report of the complication known within "
            "report_days days of treated_on) and weekly treatments, by ISO week (Monday to "
            "Sunday) of treated_on, per device type x setting x complication, and for all "
            "device types and both settings") ||
        !cJSON_AddStringToObject(m, "statistic_name", alertfmt_statistic_name(p->method)) ||
        !cJSON_AddStringToObject(m, "threshold_rule", alertfmt_rule(p->method)) ||
        !json_count(m, "min_cases", p->min_cases, false) ||
        (counted = cJSON_AddObjectToObject(m, "counting")) == NULL ||
        !cJSON_AddStringToObject(counted, "as_of", as_of) ||
        !json_count(counted, "report_days", tm->report_days, false) ||
        !cJSON_AddStringToObject(counted, "report_days_from",
                                 tm->report_days_observed ? "observed delays" : "configuration") ||
        !json_count(counted, "delays_observed", tm->delays_observed, false) ||
        !json_double(counted, "reported_within", tm->reported_within, false) ||
        !json_count(counted, "weeks", (int64_t)alerts->n_weeks, false) ||
        !json_count(counted, "weeks_judged", (int64_t)alerts->weeks_judgeable, false) ||
        !(alerts->has_judged ? cJSON_AddStringToObject(counted, "first_judged", first) != NULL
                             : cJSON_AddNullToObject(counted, "first_judged") != NULL) ||
        !(alerts->has_judged ? cJSON_AddStringToObject(counted, "last_judged", last) != NULL
                             : cJSON_AddNullToObject(counted, "last_judged") != NULL) ||
        !json_count(counted, "series_weeks_judged", (int64_t)alerts->series_weeks, false) ||
        (par = cJSON_AddObjectToObject(m, "parameters")) == NULL)
        return false;
    switch (p->method) {
    case ALERT_RATE_SCAN:
        return json_double(par, "q_level", p->scan.q_level, false) &&
               json_count(par, "windows", p->scan.window_max, false) &&
               json_count(par, "guard_weeks", p->scan.guard, false) &&
               json_count(par, "history_max", p->scan.history_max, false) &&
               json_count(par, "history_min", p->scan.history_min, false) &&
               json_count(par, "trend_min_weeks", p->scan.trend_min_weeks, false) &&
               json_count(par, "season_min_weeks", p->scan.season_min_weeks, false) &&
               json_double(par, "glm_min_cases", p->scan.glm_min_cases, false) &&
               json_double(par, "trend_min_cases", p->scan.trend_min_cases, false) &&
               json_double(par, "season_min_cases", p->scan.season_min_cases, false) &&
               json_count(par, "harmonics", p->scan.harmonics, false) &&
               json_double(par, "reweight_threshold", p->scan.reweight_threshold, false) &&
               cJSON_AddStringToObject(
                   m, "reference",
                   "needlewatch's rate scan (docs/surveillance.md, bench/ALERTS.md): a "
                   "quasi-Poisson GLM with the treatments as offset (as Noufaily et al., Stat Med "
                   "2013;32:1206-22, with populationOffset), a predictive negative binomial "
                   "p-value over windows of 1..windows weeks, Benjamini Y, Hochberg Y, J R Stat "
                   "Soc B 1995;57:289-300 across the series of each week") != NULL;
    case ALERT_EARS_C2:
        return json_count(par, "baseline", (int64_t)p->ears.baseline, false) &&
               json_count(par, "guard_weeks", 2, false) &&
               json_double(par, "alpha", p->ears.alpha, false) &&
               json_double(par, "min_sigma", p->ears.min_sigma, false) &&
               cJSON_AddStringToObject(
                   m, "reference",
                   "Hutwagner L, Thompson W, Seeman GM, Treadwell T. The bioterrorism "
                   "preparedness and response Early Aberration Reporting System (EARS). J Urban "
                   "Health 2003;80(2 Suppl 1):i89-96; as implemented in R surveillance::earsC "
                   "(method = \"C2\")") != NULL;
    case ALERT_FARRINGTON:
        return json_count(par, "years", p->farrington.b, false) &&
               json_count(par, "half_window", p->farrington.w, false) &&
               json_count(par, "periods", p->farrington.no_periods, false) &&
               json_count(par, "past_weeks_not_included", p->farrington.past_weeks_not_included,
                          false) &&
               json_double(par, "alpha", p->farrington.alpha, false) &&
               cJSON_AddStringToObject(
                   m, "reference",
                   "Noufaily A et al. An improved algorithm for outbreak detection in multiple "
                   "surveillance systems. Stat Med 2013;32:1206-22; as R "
                   "surveillance::farringtonFlexible(populationOffset = TRUE, thresholdMethod = "
                   "\"nbPlugin\")") != NULL;
    default:
        return json_double(par, "threshold", p->glr_c_arl, false) &&
               json_count(par, "baseline_weeks", p->glr_baseline, false) &&
               cJSON_AddStringToObject(
                   m, "reference",
                   "Hoehle M, Paul M. Count data regression charts for the monitoring of "
                   "surveillance time series. Comput Stat Data Anal 2008;52:4357-68; as R "
                   "surveillance::glrpois with mu0 = the baseline rate x the week's "
                   "treatments") != NULL;
    }
}

static bool add_alerts(cJSON *root, const findings_t *findings)
{
    const alerts_t *alerts = findings->alerts;
    cJSON *arr = cJSON_AddArrayToObject(root, "alerts");

    if (arr == NULL)
        return false;
    for (size_t i = 0; i < alerts->n; i++) {
        cJSON *obj = render_json_alert(findings, &alerts->rows[i]);
        if (obj == NULL)
            return false;
        cJSON_AddItemToArray(arr, obj);
    }
    return render_json_alert_method(root, findings);
}

static bool add_weekly(cJSON *root, const findings_t *findings)
{
    const weekly_t *weekly = findings->weekly;
    const cube_t *cube = findings->cube;
    cJSON *obj = cJSON_AddObjectToObject(root, "weekly"), *weeks, *series;

    if (obj == NULL || (weeks = cJSON_AddArrayToObject(obj, "weeks")) == NULL ||
        (series = cJSON_AddArrayToObject(obj, "series")) == NULL)
        return false;
    for (size_t w = 0; w < weekly->n_weeks; w++) {
        char week[11];
        cJSON *s;
        civil_format(weekly_monday(weekly, w), week);
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
        for (int c = WEEKLY_TREATMENTS; c < CUBE_COMPLICATIONS; c++) {
            if (c >= 0 && (arr = cJSON_AddArrayToObject(cases, cube_complication_name(c))) == NULL)
                return false;
            for (size_t w = 0; w < weekly->n_weeks; w++) {
                int64_t v = weekly_get(weekly, slot, st, c, w);
                cJSON *x = disclose_week(findings->disclosure, slot, st, w, c)
                               ? cJSON_CreateNull()
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

static bool add_skin_row(cJSON *arr, const findings_t *findings, const skin_trend_row_t *r)
{
    const disclosure_t *d = findings->disclosure;
    bool h = r->suppressed;
    cJSON *row = cJSON_CreateObject(), *t, *k;

    if (row == NULL)
        return false;
    cJSON_AddItemToArray(arr, row);
    if (!cJSON_AddStringToObject(row, "device_type", cube_device_name(findings->cube, r->device)) ||
        !cJSON_AddStringToObject(row, "setting", cube_setting_name(r->setting)) ||
        !cJSON_AddStringToObject(row, "complication", cube_complication_name(r->complication)) ||
        (t = cJSON_AddArrayToObject(row, "treatments")) == NULL ||
        (k = cJSON_AddArrayToObject(row, "cases")) == NULL)
        return false;
    for (int i = 0; i < 6; i++) {
        bool th = disclose_cell(d, r->device, r->setting, i, DISCLOSE_TREATMENTS);
        bool ch = disclose_cell(d, r->device, r->setting, i, r->complication);
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
    return json_double(row, "z", r->trend.defined ? r->trend.z : NAN, h) &&
           json_double(row, "chi2", r->trend.defined ? r->trend.chi2 : NAN, h) &&
           json_double(row, "p_value", r->trend.defined ? r->trend.p : NAN, h) &&
           cJSON_AddStringToObject(row, "direction", h ? "suppressed" : trends_direction(&r->trend)) &&
           cJSON_AddBoolToObject(row, "suppressed", h);
}

/* Per device type (with treatments) in cube order, then all pooled. */
static bool add_skin_trend(cJSON *root, const findings_t *findings)
{
    const cube_t *cube = findings->cube;
    cJSON *arr = cJSON_AddArrayToObject(root, "skin_trend");
    if (arr == NULL)
        return false;
    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t slot = cube_device_slot(cube, i);
        if (cube_cell_const(cube, slot, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
                if (!add_skin_row(arr, findings, trends_row(findings->trends, slot, s, c)))
                    return false;
            }
        }
    }
    return true;
}

static bool add_skin_trend_adjusted(cJSON *root, const findings_t *findings)
{
    cJSON *arr = cJSON_AddArrayToObject(root, "skin_trend_adjusted");
    if (arr == NULL)
        return false;
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            const skin_trend_adjusted_t *a = &findings->trends->adjusted[s][c];
            const nw_trend_t *t = &a->mantel.trend;
            bool h = a->suppressed;
            cJSON *row = cJSON_CreateObject();
            if (row == NULL)
                return false;
            cJSON_AddItemToArray(arr, row);
            if (!cJSON_AddStringToObject(row, "setting", cube_setting_name(s)) ||
                !cJSON_AddStringToObject(row, "complication", cube_complication_name(c)) ||
                !cJSON_AddStringToObject(row, "method", "Mantel extension test") ||
                !cJSON_AddStringToObject(row, "strata", s == CUBE_SETTING_ALL
                                                            ? "device_type x setting"
                                                            : "device_type") ||
                !json_count(row, "strata_used", (int64_t)a->mantel.strata_used, h) ||
                !json_double(row, "z", t->defined ? t->z : NAN, h) ||
                !json_double(row, "chi2", t->defined ? t->chi2 : NAN, h) ||
                !json_double(row, "p_value", t->defined ? t->p : NAN, h) ||
                !cJSON_AddStringToObject(row, "direction", h ? "suppressed" : trends_direction(t)) ||
                !cJSON_AddBoolToObject(row, "suppressed", h))
                return false;
        }
    }
    return true;
}

/* The surveillance members; none when the findings have none. */
static bool add_surveillance(cJSON *root, const findings_t *findings)
{
    const disclosure_t *d = findings->disclosure;
    const signals_t *signals = findings->signals;
    cJSON *supp;

    if (signals == NULL)
        return true;
    supp = cJSON_AddObjectToObject(root, "suppression");
    if (supp == NULL || !json_count(supp, "suppress_below", d->below, d->below <= 0) ||
        !json_count(supp, "unprotectable_lines", (int64_t)d->unprotectable_lines, false))
        return false;
    return add_catalogue(root) &&
           add_rows(root, "signals", findings->cube, signals->devices, signals->n_devices) &&
           add_rows(root, "signals_by_model", findings->cube, signals->models,
                    signals->n_models) &&
           add_rate_comparison(root, findings->cube, signals) && add_alerts(root, findings) &&
           add_weekly(root, findings) && add_skin_trend(root, findings) &&
           add_skin_trend_adjusted(root, findings);
}

int render_json(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
{
    cJSON *root = NULL, *obj;
    char *text = NULL;
    char stamp[32];
    struct tm tm;
    int rc = -1;

    gmtime_r(&findings->generated_at, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

    root = cJSON_CreateObject();
    if (root == NULL)
        goto nomem;
    obj = cJSON_AddObjectToObject(root, "analyzer");
    if (obj == NULL || !cJSON_AddStringToObject(obj, "name", "needlewatch-analyze") ||
        !cJSON_AddStringToObject(obj, "version", findings->version))
        goto nomem;
    if (!cJSON_AddStringToObject(root, "generated_at", stamp))
        goto nomem;
    obj = cJSON_AddObjectToObject(root, "window");
    if (obj == NULL || !add_date(obj, "from", findings->from) ||
        !add_date(obj, "to", findings->to))
        goto nomem;
    if (!add_date(root, "as_of", findings->as_of) || !add_summary(root, findings))
        goto nomem;
    if (!json_double(root, "confidence_level", 0.95, false) ||
        !json_double(root, "z", findings->rates->z, false))
        goto nomem;
    if (!add_totals(root, &findings->cube->totals) || !add_rates(root, findings->rates) ||
        !add_comparisons(root, findings->rates) || !add_adjusted(root, findings->rates) ||
        !add_risks(root, findings) || !add_serious_change(root, findings) ||
        !add_quality(root, findings) || !add_surveillance(root, findings))
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

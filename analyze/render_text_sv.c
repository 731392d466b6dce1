/*
 * render_text_sv.c - the surveillance sections of the text report: signals
 * by device type and by model, weekly alerts, trends across skin types,
 * each opened by a few sentences saying what it means. Only what stands
 * out is listed; every row is in the JSON (--format json).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "numfmt.h"
#include "render_text_sv.h"
#include "table.h"

#define DASH "\xE2\x80\x93"

static void heading(FILE *out, const char *title)
{
    size_t n = table_text_width(title);
    fprintf(out, "\n%s\n", title);
    for (size_t i = 0; i < n; i++)
        fputc('=', out);
    fputc('\n', out);
}

static char *ratio_ci(char *buf, size_t len, nw_ratio_t r)
{
    if (!r.defined)
        return strcpy(buf, "n/a");
    return numfmt_ratio_ci(buf, len, r.est, r.lo, r.hi);
}

static bool print_signals(FILE *out, const cube_t *cube, const signal_row_t *rows, size_t n,
                          bool by_model)
{
    table_t *t = table_new(by_model ? 5 : 4);
    size_t shown = 0, hidden = 0;
    bool ok = t != NULL;

    if (t != NULL)
        table_align(t, by_model ? 3 : 2, TABLE_RIGHT);
    if (by_model)
        ok = ok && table_add_header(t, (const char *[]){"Manufacturer", "Model", "Complication",
                                                        "Reports", "PRR (95% CI)"});
    else
        ok = ok && table_add_header(t, (const char *[]){"Device type", "Complication", "Reports",
                                                        "PRR (95% CI)"});
    for (size_t i = 0; i < n && ok; i++) {
        const signal_row_t *r = &rows[i];
        char reports[NUMFMT_LEN], prr[96];
        if (r->suppressed) {
            hidden++;
            continue;
        }
        if (!r->signal)
            continue;
        shown++;
        numfmt_count(reports, sizeof(reports), r->table.a);
        ratio_ci(prr, sizeof(prr), r->prr);
        if (by_model)
            ok = table_add_row(t, (const char *[]){r->manufacturer, r->model,
                                                   cube_complication_title(r->complication),
                                                   reports, prr});
        else
            ok = table_add_row(t, (const char *[]){cube_device_title(cube, r->device),
                                                   cube_complication_title(r->complication),
                                                   reports, prr});
    }
    if (ok && shown > 0)
        ok = table_print(t, out, "  ");
    else if (ok)
        fprintf(out, "  Nothing stands out.\n");
    if (hidden > 0)
        fprintf(out, "  %zu row%s not shown: too few reports to publish (--suppress-below).\n",
                hidden, hidden == 1 ? "" : "s");
    table_free(t);
    return ok;
}

/* Rate comparison rows whose whole 95% interval is above 1 (3+ cases). */
static bool print_rates(FILE *out, const cube_t *cube, const sv_results_t *sv)
{
    table_t *t = table_new(5);
    size_t shown = 0, hidden = 0;
    bool ok = t != NULL;

    if (t != NULL)
        table_align(t, 3, TABLE_RIGHT);
    ok = ok && table_add_header(t, (const char *[]){"Device type", "Setting", "Complication",
                                                    "Cases", "Rate ratio (95% CI)"});
    for (size_t i = 0; i < sv->n_rates && ok; i++) {
        const rate_row_t *r = &sv->rates[i];
        char cases[NUMFMT_LEN], rr[96];
        if (r->suppressed) {
            hidden++;
            continue;
        }
        if (!r->rate_ratio.defined || r->cases < 3 || r->rate_ratio.lo <= 1.0)
            continue;
        shown++;
        numfmt_count(cases, sizeof(cases), r->cases);
        ratio_ci(rr, sizeof(rr), r->rate_ratio);
        ok = table_add_row(t, (const char *[]){cube_device_title(cube, r->device),
                                               cube_setting_name(r->setting),
                                               cube_complication_title(r->complication), cases,
                                               rr});
    }
    if (ok && shown > 0)
        ok = table_print(t, out, "  ");
    else if (ok)
        fprintf(out, "  Nothing stands out.\n");
    if (hidden > 0)
        fprintf(out, "  %zu row%s not shown: too few cases to publish (--suppress-below).\n", hidden,
                hidden == 1 ? "" : "s");
    table_free(t);
    return ok;
}

bool render_text_sv(FILE *out, const analysis_t *analysis)
{
    const sv_results_t *sv = analysis->sv;
    const cube_t *cube = analysis->cube;
    bool ok = true;
    table_t *t;

    if (sv == NULL)
        return true;
    heading(out, "4. Signals by device type");
    fprintf(out,
        "Does one device type have more of a complication than the others? Two tests:\n"
        "  PRR         among complication reports, the share of this one for this device\n"
        "              type divided by its share for the others (proportional reporting\n"
        "              ratio; flagged by the Evans rule: 3+ reports, PRR 2+, chi-square 4+).\n"
        "  Rate ratio  its complication rate divided by the rate of all other device\n"
        "              types, home and clinic separately; listed when at least 3 cases\n"
        "              and the whole 95%% interval is above 1.\n"
        "A flag asks for a closer look; it does not prove the device causes harm.\n\n");
    ok = ok && print_signals(out, cube, sv->signals, sv->n_signals, false);
    fprintf(out, "\n");
    ok = ok && print_rates(out, cube, sv);

    heading(out, "5. Signals by model");
    fprintf(out,
        "The PRR for each manufacturer and model, against the reports of all other\n"
        "models (reports naming no manufacturer or model have no row of their own).\n\n");
    ok = ok && print_signals(out, cube, sv->model_signals, sv->n_model_signals, true);

    heading(out, "6. Weekly alerts");
    fprintf(out,
        "Each week's number of cases is compared with the %zu weeks before it, skipping\n"
        "the two most recent (EARS C2). An alert means the week is above the usual\n"
        "level by more than chance would explain (alpha %g), with at least %lld cases.\n"
        "Recent weeks may still be missing late reports.\n\n",
        sv->alert_params.ears.baseline, sv->alert_params.ears.alpha,
        (long long)sv->alert_params.min_cases);
    if (sv->n_alerts == 0) {
        fprintf(out, "  No alert.\n");
    } else if ((t = table_new(6)) != NULL) {
        table_align(t, 4, TABLE_RIGHT);
        table_align(t, 5, TABLE_RIGHT);
        ok = ok && table_add_header(t, (const char *[]){"Week of", "Device type", "Setting",
                                                    "Complication", "Cases",
                                                    "Usual (upper bound)"});
        for (size_t i = 0; i < sv->n_alerts && ok; i++) {
            const alert_row_t *a = &sv->alerts[i];
            char week[11], obs[NUMFMT_LEN], usual[96];
            sv_date_string(sv->data->first_week + (int32_t)(7 * a->week), week);
            if (a->suppressed) {
                strcpy(obs, "not shown");
                strcpy(usual, "not shown");
            } else {
                numfmt_count(obs, sizeof(obs), (int64_t)a->ears.observed);
                snprintf(usual, sizeof(usual), "%.1f (%.1f)", a->ears.mean, a->ears.upperbound);
            }
            ok = table_add_row(t, (const char *[]){week, cube_device_title(cube, a->device),
                                               cube_setting_name(a->setting),
                                               cube_complication_title(a->complication), obs,
                                               usual});
        }
        ok = ok && table_print(t, out, "  ");
        table_free(t);
    } else {
        ok = false;
    }

    heading(out, "7. Trends across skin types");
    fprintf(out,
        "Does the rate go up or down from Fitzpatrick type I to VI (all device types;\n"
        "skin type unknown left out)? Cochran" DASH "Armitage test; listed when clear at\n"
        "the 5%% level.\n\n");
    if ((t = table_new(4)) == NULL)
        return false;
    ok = ok && table_add_header(t, (const char *[]){"Setting", "Complication", "Trend", "p"});
    size_t shown = 0;
    for (int s = 0; s < CUBE_SETTINGS && ok; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS && ok; c++) {
            const skin_trend_row_t *r = &sv->skin_trend[s][c];
            char p[32];
            if (r->suppressed || !r->trend.defined || r->trend.p >= 0.05)
                continue;
            shown++;
            if (r->trend.p < 0.001)
                strcpy(p, "< 0.001");
            else
                snprintf(p, sizeof(p), "%.3f", r->trend.p);
            ok = table_add_row(t, (const char *[]){s == CUBE_SETTING_ALL ? "home and clinic"
                                                                      : cube_setting_name(s),
                                               cube_complication_title(c),
                                               r->trend.z > 0 ? "higher in darker skin"
                                                              : "higher in lighter skin",
                                               p});
        }
    }
    if (ok && shown)
        ok = table_print(t, out, "  ");
    else if (ok)
        fprintf(out, "  No clear trend.\n");
    table_free(t);
    if (sv->suppress_below > 0)
        fprintf(out, "\nCounts from 1 to %lld are not shown, nor other counts that would let them\n"
                     "be worked out from the totals.\n", (long long)sv->suppress_below - 1);
    return ok;
}

/*
 * html.c - the findings as one self-contained HTML page (see render.h): inline CSS and SVG, no script, no font, image or style sheet
 * from anywhere (a Content-Security-Policy of default-src 'none' says so to
 * the browser), so it opens offline and can be mailed as it is.
 *
 * Order: title and window; the alerts, most serious first, each explained;
 * totals; home versus clinic (forest plots); rates by skin type; weekly
 * trends with the alerts marked; signals; how it was
 * computed, with references. The charts are charts.c's; this file writes
 * the page around them and the tables. It reads the same findings as the
 * JSON report, after the disclose step,
 * and shows exactly what the JSON shows: a value the JSON writes as null
 * because of --suppress-below is "suppressed" here, never a number.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "civil.h"
#include "render/charts.h"
#include "render/alertfmt.h"
#include "render/markup.h"
#include "render/numfmt.h"
#include "render/render.h"
#include "render/summary.h"

static const char page_style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,"
    "sans-serif;color:#222;margin:0 auto;max-width:1220px;padding:16px 24px 48px;"
    "line-height:1.45;background:#fff}\n"
    "h1{font-size:1.7em;margin:.2em 0}h2{font-size:1.35em;border-bottom:2px solid #222;"
    "padding-bottom:2px;margin-top:2em}h3{font-size:1.1em;margin:1.2em 0 .3em}"
    "h4{font-size:1em;margin:.8em 0 .2em}\n"
    ".meta{color:#444;margin:.2em 0}.note{color:#444;max-width:62em}\n"
    "nav a{margin-right:1.2em}\n"
    "table{border-collapse:collapse;margin:.6em 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}"
    "th{background:#f2f2f2}td.count,td.num{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}\n"
    "tr.signal td{background:#FAF3B4;font-weight:600}td.flag{white-space:nowrap}"
    "tr.suppressed td{color:#777}\n"
    ".grid{display:flex;flex-wrap:wrap;gap:12px 16px}"
    "figure{margin:0;border:1px solid #ddd;padding:6px 8px 8px;background:#fff}"
    "figcaption{font-weight:600;margin-bottom:2px}\n"
    "svg{display:block;max-width:100%;height:auto}"
    "svg text{font-size:12px;fill:#222}svg .tick{font-size:11px;fill:#333}"
    "svg .axis-label{font-size:12.5px;font-weight:600}svg .col-head{font-weight:600}"
    "svg .hint{font-size:11px;fill:#555}svg .muted,svg .bar-missing{fill:#666}"
    "svg .bar-value{font-size:10px}svg .strong{font-weight:600}\n"
    "svg line.grid{stroke:#e6e6e6}svg line.axis{stroke:#333}"
    "svg line.separator{stroke:#bbb}\n"
    ".trend{font-size:.9em;color:#333;margin:.3em 0 0;max-width:580px}\n"
    "details summary{cursor:pointer;font-weight:600}\n"
    "ol.refs li{margin-bottom:.3em}\n"
    "@media print{h2{page-break-before:auto}figure{page-break-inside:avoid}}\n";

typedef struct {
    FILE *out;
    const findings_t *findings;
    const cube_t *cube;
    bool surveillance; /* false: no surveillance sections */
} page_t;

static bool suppressing(const page_t *p)
{
    return p->surveillance && p->findings->disclosure->below > 0;
}

static void page_head(page_t *p, const findings_t *findings)
{
    FILE *out = p->out;
    const cube_totals_t *t = &p->cube->totals;
    bool from = findings->from && findings->from[0], to = findings->to && findings->to[0];
    char stamp[32], n[NUMFMT_LEN];
    struct tm tm;

    gmtime_r(&findings->generated_at, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
          "style-src 'unsafe-inline'\">\n"
          "<title>needlewatch: complications after microneedling</title>\n<style>\n",
          out);
    fputs(page_style, out);
    fputs("</style>\n</head>\n<body>\n<header>\n"
          "<h1>needlewatch: complications after microneedling</h1>\n",
          out);
    fputs("<p class=\"meta window\"", out);
    html_attr(out, "data-from", from ? findings->from : "");
    html_attr(out, "data-to", to ? findings->to : "");
    fputs("><strong>Window:</strong> ", out);
    if (from && to)
        fprintf(out, "treatments dated %s to %s (inclusive)", findings->from, findings->to);
    else if (from)
        fprintf(out, "treatments dated %s or later", findings->from);
    else if (to)
        fprintf(out, "treatments dated up to %s (inclusive)", findings->to);
    else
        fputs("all treatments, whatever their date", out);
    if (p->surveillance && findings->weekly->n_weeks > 0) {
        const weekly_t *weekly = findings->weekly;
        char first[11], last[11];
        civil_format(weekly->first_week, first);
        civil_format(weekly_monday(weekly, weekly->n_weeks - 1), last);
        fprintf(out, "; weeks of %s to %s (%zu weeks)", first, last, weekly->n_weeks);
    }
    fputs(".</p>\n", out);
    fprintf(out, "<p class=\"meta\">Generated %s by needlewatch-analyze ", stamp);
    html_escape(out, findings->version);
    fprintf(out, " from %s current treatment reports. Intervals are 95%% confidence "
                 "intervals.</p>\n",
            numfmt_count(n, sizeof(n), t->treatments));
    if (suppressing(p))
        fprintf(out,
                "<p class=\"meta suppression\" data-suppress-below=\"%lld\"><strong>Small "
                "numbers hidden:</strong> counts from 1 to %lld are not shown, nor the counts "
                "that would let them be worked out, nor the rates, intervals and ratios built on "
                "them; they read &ldquo;suppressed&rdquo; or " DASH ".</p>\n",
                (long long)findings->disclosure->below, (long long)findings->disclosure->below - 1);
    fputs("<nav><a href=\"#summary\">Summary</a><a href=\"#alerts\">Alerts</a>"
          "<a href=\"#totals\">Totals</a><a href=\"#home-vs-clinic\">Home versus clinic</a>"
          "<a href=\"#risks\">Risks</a><a href=\"#skin-types\">Skin types</a>"
          "<a href=\"#weekly\">Weekly trends</a><a href=\"#signals\">Signals</a>"
          "<a href=\"#data-quality\">Data quality</a><a href=\"#methods\">Methods</a></nav>\n"
          "</header>\n",
          out);
}

/* What needs attention, first: one line each, linking to the detail. */
static void summary(page_t *p)
{
    summary_t sum;
    FILE *out = p->out;

    summary_build(p->findings, &sum);
    if (sum.n == 0)
        return;
    fputs("<section id=\"summary\">\n<h2>What needs attention</h2>\n<ul class=\"summary\">\n",
          out);
    for (size_t i = 0; i < sum.n; i++) {
        const summary_line_t *l = &sum.lines[i];
        fputs("<li class=\"summary-item\"", out);
        html_attr(out, "data-kind", summary_kind_name(l->kind));
        if (l->device != SIZE_MAX)
            html_attr(out, "data-device", cube_device_name(p->cube, l->device));
        if (l->setting >= 0)
            html_attr(out, "data-setting", cube_setting_name(l->setting));
        if (l->complication >= 0)
            html_attr(out, "data-complication", cube_complication_name(l->complication));
        if (l->row != SIZE_MAX)
            html_attr_count(out, "data-row", (int64_t)l->row);
        fputs(">", out);
        html_escape(out, l->text);
        fprintf(out, " <a href=\"#%s\">Details</a></li>\n", summary_anchor(l->kind));
    }
    fputs("</ul>\n</section>\n", out);
}

static void total_row(FILE *out, const char *key, const char *label, int64_t v)
{
    char n[NUMFMT_LEN];
    fprintf(out, "<tr><th>%s</th><td class=\"count\" data-total=\"%s\"", label, key);
    html_attr_count(out, "data-value", v);
    fprintf(out, ">%s</td></tr>\n", numfmt_count(n, sizeof(n), v));
}

static void totals(page_t *p)
{
    const cube_totals_t *t = &p->cube->totals;
    FILE *out = p->out;

    fputs("<section id=\"totals\">\n<h2>Totals</h2>\n<table class=\"totals\">\n", out);
    total_row(out, "treatments", "Treatments in the window", t->treatments);
    total_row(out, "complication_reports", "Complication reports on them",
              t->complication_reports);
    total_row(out, "orphan_complications",
              "Orphan complication reports (treatment unknown or withdrawn)",
              t->orphan_complications);
    total_row(out, "complication_reports_outside_window",
              "Complication reports on treatments outside the window",
              t->complication_reports_all - t->complication_reports - t->orphan_complications);
    total_row(out, "quarantined", "Messages quarantined as invalid", t->quarantined);
    fputs("</table>\n</section>\n", out);
}

static void home_vs_clinic(page_t *p)
{
    FILE *out = p->out;
    double min, max;

    fputs("<section id=\"home-vs-clinic\">\n<h2>Home versus clinic</h2>\n"
          "<p class=\"note\">The rate ratio is the complication rate after home treatments "
          "divided by the rate after clinic treatments: above 1, more complications at home. "
          "Each row is one device type, then all device types together: crude, and adjusted "
          "for device type and skin type (Mantel" DASH "Haenszel), which compares like with "
          "like. A ratio whose interval crosses the dashed line at 1 shows no clear "
          "difference. Every plot has the same axis; an interval wider than a factor 100 is "
          "grey and dashed: it is too wide to say anything (uninformative). Beside each ratio, "
          "the cases and treatments behind it, home then clinic.</p>\n<div class=\"grid\">\n",
          out);
    chart_forest_axis(p->findings->rates, &min, &max);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        fprintf(out, "<figure>\n<figcaption>%s</figcaption>\n", cube_complication_title(c));
        chart_forest(out, p->findings->rates, c, min, max);
        fputs("</figure>\n", out);
    }
    fputs("</div>\n</section>\n", out);
}

static const char *trend_words(const skin_trend_row_t *r)
{
    if (r->suppressed)
        return "suppressed";
    if (!r->trend.defined)
        return "not computable";
    if (r->trend.p >= 0.05)
        return "no clear trend";
    return r->trend.z > 0 ? "rising with skin type" : "falling with skin type";
}

static void skin_trend_note(page_t *p, int c)
{
    FILE *out = p->out;
    static const int settings[3] = {CUBE_SETTING_HOME, CUBE_SETTING_CLINIC, CUBE_SETTING_ALL};

    if (!p->surveillance)
        return;
    fprintf(out, "<p class=\"trend\" data-complication=\"%s\">Trend from type I to VI "
                 "(Cochran" DASH "Armitage):",
            cube_complication_name(c));
    for (int i = 0; i < 3; i++) {
        const skin_trend_row_t *r = &p->findings->trends->skin[settings[i]][c];
        fprintf(out, "%s <span class=\"skin-trend\" data-setting=\"%s\"", i ? ";" : "",
                cube_setting_name(settings[i]));
        if (!r->suppressed && r->trend.defined)
            html_attr_double(out, "data-p", r->trend.p);
        fprintf(out, ">%s: %s", settings[i] == CUBE_SETTING_ALL ? "both" :
                                cube_setting_name(settings[i]), trend_words(r));
        if (!r->suppressed && r->trend.defined) {
            if (r->trend.p < 0.001)
                fputs(", p &lt; 0.001", out);
            else
                fprintf(out, ", p = %.3f", r->trend.p);
        }
        fputs("</span>", out);
    }
    fputs(".</p>\n", out);
}

static void skin_types(page_t *p)
{
    FILE *out = p->out;

    fputs("<section id=\"skin-types\">\n<h2>Rates by skin type</h2>\n"
          "<p class=\"note\">Cases per 1,000 treatments for each Fitzpatrick skin type (I: "
          "lightest, VI: darkest), all device types, home and clinic side by side. The black "
          "bars are 95% intervals (Wilson): small groups give wide ones. A case is a treatment "
          "followed by at least one report of that complication. Treatments whose skin type "
          "was not reported are in the totals but not in these charts.</p>\n"
          "<div class=\"grid\">\n",
          out);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        fprintf(out, "<figure>\n<figcaption>%s</figcaption>\n", cube_complication_title(c));
        chart_skin(out, p->findings->rates, c);
        skin_trend_note(p, c);
        fputs("</figure>\n", out);
    }
    fputs("</div>\n</section>\n", out);
}

/* ---- Risks over a fixed follow-up ---------------------------------- */

/* A <td> of a rate and its interval, or "suppressed". */
static void rate_td(FILE *out, bool hidden, double rate, double lo, double hi)
{
    char r[NUMFMT_LEN], l[NUMFMT_LEN], h[NUMFMT_LEN];
    if (hidden) {
        fputs("<td class=\"num\">suppressed</td>", out);
        return;
    }
    fprintf(out, "<td class=\"num\">%s%% (%s" DASH "%s)</td>", numfmt_percent(r, sizeof(r), rate),
            numfmt_percent(l, sizeof(l), lo), numfmt_percent(h, sizeof(h), hi));
}

static void count_td(FILE *out, bool hidden, int64_t n)
{
    char c[NUMFMT_LEN];
    if (hidden)
        fputs("<td class=\"count\">" DASH "</td>", out);
    else
        fprintf(out, "<td class=\"count\">%s</td>", numfmt_count(c, sizeof(c), n));
}

static void risk_row(page_t *p, const risk_row_t *r, const char *label)
{
    FILE *out = p->out;

    fputs("<tr class=\"risk-row\"", out);
    html_attr(out, "data-device", cube_device_name(p->cube, r->device));
    html_attr(out, "data-setting", cube_setting_name(r->setting));
    html_attr(out, "data-complication", cube_complication_name(r->complication));
    fprintf(out, " data-horizon=\"%d\"", r->horizon);
    if (r->suppressed) {
        fputs(" data-suppressed=\"true\"", out);
    } else {
        html_attr_count(out, "data-treatments", r->treatments);
        html_attr_count(out, "data-cases", r->cases);
        html_attr_double(out, "data-rate", r->rate);
        if (!r->serious_suppressed) {
            html_attr_count(out, "data-serious-cases", r->serious);
            html_attr_double(out, "data-serious-rate", r->serious_rate);
        }
        if (!r->missing_suppressed)
            html_attr_count(out, "data-missing-onset-cases", r->missing);
    }
    fputs("><td>", out);
    html_escape(out, label);
    fputs("</td>", out);
    count_td(out, r->suppressed, r->treatments);
    count_td(out, r->suppressed, r->cases);
    rate_td(out, r->suppressed, r->rate, r->ci_low, r->ci_high);
    count_td(out, r->serious_suppressed, r->serious);
    rate_td(out, r->serious_suppressed, r->serious_rate, r->serious_ci_low, r->serious_ci_high);
    count_td(out, r->missing_suppressed, r->missing);
    fputs("</tr>\n", out);
}

static void risks_section(page_t *p)
{
    const risks_t *risks = p->findings->risks;
    FILE *out = p->out;
    static const char head[] =
        "<tr><th>%s</th><th>Treatments followed up</th><th>Cases</th><th>Risk (95%% CI)</th>"
        "<th>Serious</th><th>Serious risk (95%% CI)</th><th>Cases with no onset</th></tr>\n";

    if (risks == NULL || risks->n_horizons == 0)
        return;
    fputs("<section id=\"risks\">\n<h2>Risks within a fixed follow-up</h2>\n", out);
    fprintf(out,
            "<p class=\"note\">A rate counts every treatment of the window, however recent, so "
            "its last weeks miss the complications that have not started yet. The risk within "
            "<em>H</em> days counts only the treatments dated <em>H</em> days or more before %s "
            "(the as-of date), and among them those with a report of the complication whose "
            "onset is within <em>H</em> days of treatment, or not given: such a case cannot be "
            "ruled out, so it counts (the last column says how many rest on a missing onset "
            "alone). <strong>Serious</strong>: a report that is severe or has a permanent "
            "outcome. Intervals are Wilson 95%%.</p>\n",
            risks->as_of);
    for (size_t h = 0; h < risks->n_horizons; h++) {
        int horizon = risks->horizons[h];
        fprintf(out, "<h3>Within %d days of treatment</h3>\n<table class=\"risks\" "
                     "data-horizon=\"%d\">\n",
                horizon, horizon);
        fprintf(out, head, "Complication (all device types)");
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            const risk_row_t *r = risks_find(risks, horizon, CUBE_DEVICE_ALL, CUBE_SETTING_ALL,
                                             CUBE_SKIN_ALL, c);
            if (r != NULL)
                risk_row(p, r, cube_complication_title(c));
        }
        fputs("</table>\n<table class=\"risks risks-by-device\">\n", out);
        fprintf(out, head, "Any complication, by device type and setting");
        for (size_t i = 0; i <= p->cube->n_devices; i++) {
            size_t d = cube_device_slot(p->cube, i);
            for (int st = 0; st < CUBE_SETTINGS; st++) {
                const risk_row_t *r = risks_find(risks, horizon, d, st, CUBE_SKIN_ALL, CUBE_ANY);
                char label[160];
                if (r == NULL)
                    continue;
                snprintf(label, sizeof(label), "%s, %s", cube_device_title(p->cube, d),
                         st == CUBE_SETTING_ALL ? "home and clinic" : cube_setting_name(st));
                risk_row(p, r, label);
            }
        }
        fputs("</table>\n", out);
    }
    {
        const risk_change_t *ch = &risks->change;
        char a[NUMFMT_CI_LEN];
        fputs("<p class=\"serious-change\"", out);
        fprintf(out, " data-horizon=\"%d\"", ch->horizon);
        if (ch->suppressed)
            fputs(" data-suppressed=\"true\"", out);
        else if (ch->ratio.defined) {
            html_attr_double(out, "data-rr", ch->ratio.est);
            html_attr_double(out, "data-lo", ch->ratio.lo);
            html_attr_double(out, "data-hi", ch->ratio.hi);
        }
        fprintf(out, "><strong>Serious %d-day risk, latest %d days against the %d before:"
                     "</strong> ",
                ch->horizon, RISKS_PERIOD_DAYS, RISKS_PERIOD_DAYS);
        if (ch->recent.treatments == 0 || ch->previous.treatments == 0)
            fputs("not computable (the window has no two such periods).", out);
        else if (ch->suppressed)
            fputs("suppressed.", out);
        else
            fprintf(out, "rate ratio %s (treatments of %s to %s against %s to %s).",
                    numfmt_ratio_or_na(a, sizeof(a), ch->ratio), ch->recent.from, ch->recent.to,
                    ch->previous.from, ch->previous.to);
        fputs("</p>\n</section>\n", out);
    }
}

/* ---- Trends across skin types --------------------------------------- */

static void trend_td(FILE *out, bool hidden, const nw_trend_t *t)
{
    if (hidden) {
        fputs("<td>suppressed</td>", out);
        return;
    }
    fprintf(out, "<td>%s", trends_direction(t));
    if (t->defined) {
        if (t->p < 0.001)
            fputs(" (p &lt; 0.001)", out);
        else
            fprintf(out, " (p = %.3f)", t->p);
    }
    fputs("</td>", out);
}

static void skin_trends_section(page_t *p)
{
    const trends_t *trends = p->findings->trends;
    FILE *out = p->out;

    fputs("<section id=\"skin-trends\">\n<h2>Trends across skin types</h2>\n"
          "<p class=\"note\">Does the rate go up or down from Fitzpatrick type I to VI? "
          "Pooled over device types (Cochran" DASH "Armitage), a trend can come from the device "
          "mix alone: a device type used mostly on dark skin, with a higher risk, makes the "
          "pooled rate rise with the skin type although no device type's does. "
          "<strong>Within device types</strong> compares skin types inside each device type "
          "(for home and clinic together, inside each device type and setting) and pools "
          "those comparisons (Mantel extension test): a trend that holds there is not the "
          "device mix.</p>\n"
          "<table class=\"skin-trends\">\n<tr><th>Setting</th><th>Complication</th>"
          "<th>Pooled over device types</th><th>Within device types</th></tr>\n",
          out);
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            const skin_trend_row_t *r = &trends->skin[s][c];
            const skin_trend_adjusted_t *a = &trends->adjusted[s][c];
            fputs("<tr class=\"skin-trend-row\"", out);
            html_attr(out, "data-setting", cube_setting_name(s));
            html_attr(out, "data-complication", cube_complication_name(c));
            if (!r->suppressed && r->trend.defined)
                html_attr_double(out, "data-p", r->trend.p);
            if (!a->suppressed && a->mantel.trend.defined)
                html_attr_double(out, "data-adjusted-p", a->mantel.trend.p);
            fprintf(out, "><td>%s</td><td>%s</td>",
                    s == CUBE_SETTING_ALL ? "home and clinic" : cube_setting_name(s),
                    cube_complication_title(c));
            trend_td(out, r->suppressed, &r->trend);
            trend_td(out, a->suppressed, &a->mantel.trend);
            fputs("</tr>\n", out);
        }
    }
    fputs("</table>\n<details><summary>Each device type on its own</summary>\n"
          "<table class=\"skin-trends skin-trends-by-device\">\n<tr><th>Device type</th><th>Setting</th>"
          "<th>Complication</th><th>Trend</th></tr>\n",
          out);
    for (size_t d = 0; d < trends->n_devices; d++) {
        if (cube_cell_const(p->cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
                const skin_trend_row_t *r = &trends->device[d][s][c];
                fputs("<tr class=\"skin-trend-device\"", out);
                html_attr(out, "data-device", cube_device_name(p->cube, d));
                html_attr(out, "data-setting", cube_setting_name(s));
                html_attr(out, "data-complication", cube_complication_name(c));
                if (!r->suppressed && r->trend.defined)
                    html_attr_double(out, "data-p", r->trend.p);
                fputs("><td>", out);
                html_escape(out, cube_device_title(p->cube, d));
                fprintf(out, "</td><td>%s</td><td>%s</td>",
                        s == CUBE_SETTING_ALL ? "home and clinic" : cube_setting_name(s),
                        cube_complication_title(c));
                trend_td(out, r->suppressed, &r->trend);
                fputs("</tr>\n", out);
            }
        }
    }
    fputs("</table>\n</details>\n</section>\n", out);
}

/* ---- Data quality ----------------------------------------------------- */

static void quality_share(FILE *out, const char *key, const char *label, bool hidden, int64_t n,
                          int64_t of)
{
    char c[NUMFMT_LEN], s[NUMFMT_LEN];
    fprintf(out, "<tr class=\"quality-row\" data-key=\"%s\"", key);
    if (hidden)
        fputs(" data-suppressed=\"true\"", out);
    else
        html_attr_count(out, "data-count", n);
    fprintf(out, "><th>%s</th>", label);
    if (hidden)
        fputs("<td class=\"num\">suppressed</td></tr>\n", out);
    else if (of > 0)
        fprintf(out, "<td class=\"num\">%s (%s%%)</td></tr>\n", numfmt_count(c, sizeof(c), n),
                numfmt_percent(s, sizeof(s), (double)n / (double)of));
    else
        fprintf(out, "<td class=\"num\">%s</td></tr>\n", numfmt_count(c, sizeof(c), n));
}

static void quality_section(page_t *p)
{
    const quality_t *q = p->findings->quality;
    const disclosure_t *d = p->findings->disclosure;
    bool below = d != NULL && d->below > 0;
    FILE *out = p->out;

    if (q == NULL)
        return;
    fputs("<section id=\"data-quality\">\n<h2>Data quality</h2>\n"
          "<p class=\"note\">How much of what this report rests on is missing or late: the "
          "treatments of the window, their complication reports, and every quarantined "
          "message.</p>\n<table class=\"quality\">\n",
          out);
    quality_share(out, "unknown_skin_type", "Treatments without a skin type",
                  below && disclose_cell(d, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_UNKNOWN,
                                         DISCLOSE_TREATMENTS),
                  q->unknown_skin, q->treatments);
    quality_share(out, "missing_manufacturer_or_model",
                  "Treatments naming no manufacturer or no model", below && d->no_model,
                  q->no_model, q->treatments);
    quality_share(out, "missing_onset_days", "Complication reports without onset days",
                  below && d->no_onset, q->reports_no_onset, q->reports);
    fputs("<tr class=\"latest\"", out);
    html_attr(out, "data-treatment", q->latest_treatment);
    html_attr(out, "data-complication", q->latest_complication);
    fprintf(out, "><th>Latest report (reported_at)</th><td>treatment %s; complication %s</td>"
                 "</tr>\n</table>\n",
            q->latest_treatment[0] ? q->latest_treatment : "none",
            q->latest_complication[0] ? q->latest_complication : "none");
    fputs("<h3>Reporting lag (reported_at minus treated_on)</h3>\n<table class=\"lag\">\n"
          "<tr><th>Lag</th><th>Treatments</th><th>Complication reports</th></tr>\n",
          out);
    for (size_t i = 0; i < q->n_buckets; i++) {
        const quality_bucket_t *b = &q->buckets[i];
        fputs("<tr class=\"lag-row\"", out);
        html_attr(out, "data-lag", b->label);
        if (!(below && d->lag_treatments[i]))
            html_attr_count(out, "data-treatments", b->treatments);
        if (!(below && d->lag_reports[i]))
            html_attr_count(out, "data-reports", b->reports);
        fputs("><td>", out);
        html_escape(out, b->label);
        fputs("</td>", out);
        count_td(out, below && d->lag_treatments[i], b->treatments);
        count_td(out, below && d->lag_reports[i], b->reports);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n", out);
    fprintf(out, "<h3>Quarantined messages, by the field they failed on</h3>\n"
                 "<table class=\"quarantine\">\n<tr><th>Reason</th><th>Messages</th></tr>\n");
    for (size_t i = 0; i < q->n_reasons && i < QUALITY_TOP_REASONS; i++) {
        bool hidden = below && d->reasons[i];
        fputs("<tr class=\"reason-row\"", out);
        html_attr(out, "data-reason", q->reasons[i].reason);
        if (!hidden)
            html_attr_count(out, "data-count", q->reasons[i].n);
        fputs("><td>", out);
        html_escape(out, q->reasons[i].reason);
        fputs("</td>", out);
        count_td(out, hidden, q->reasons[i].n);
        fputs("</tr>\n", out);
    }
    fputs("</table>\n</section>\n", out);
}

/* The numbers of one block as table cells, "suppressed" when hidden. */
static void evidence_cells(page_t *p, const alert_evidence_t *e, bool hidden)
{
    FILE *out = p->out;
    alertfmt_days_t days;
    char n[NUMFMT_LEN], t[NUMFMT_LEN], r[NUMFMT_LEN], er[NUMFMT_LEN], rr[NUMFMT_LEN];
    double tr = e->treatments > 0 ? (double)e->treatments : NAN;

    alertfmt_days(p->findings->weekly, e, &days);
    fprintf(out, "<td class=\"num\">%s" DASH "%s</td>", days.window_first, days.window_last);
    if (hidden) {
        fputs("<td class=\"count\">suppressed</td><td class=\"count\">suppressed</td>"
              "<td class=\"num\">suppressed</td><td class=\"num\">suppressed</td>"
              "<td class=\"num\">suppressed</td><td class=\"num\">suppressed</td>"
              "<td class=\"num\">suppressed</td>",
              out);
    } else {
        fprintf(out,
                "<td class=\"count\">%s</td><td class=\"count\">%s</td><td class=\"num\">%s%%"
                "</td><td class=\"num\">%.3g (%s%%)</td><td class=\"num\">%s</td>",
                numfmt_count(n, sizeof(n), e->observed), numfmt_count(t, sizeof(t), e->treatments),
                numfmt_percent(r, sizeof(r), (double)e->observed / tr), e->expected,
                numfmt_percent(er, sizeof(er), e->expected / tr),
                numfmt_ratio(rr, sizeof(rr), alert_rate_ratio(e)));
        if (isnan(e->p_value))
            fputs("<td class=\"num\">" DASH "</td>", out);
        else
            fprintf(out, "<td class=\"num\">%.2g</td>", e->p_value);
        if (isnan(e->q_value))
            fputs("<td class=\"num\">" DASH "</td>", out);
        else
            fprintf(out, "<td class=\"num\">%.2g</td>", e->q_value);
    }
    if (e->has_baseline)
        fprintf(out, "<td class=\"num\">%s" DASH "%s</td>", days.base_first, days.base_last);
    else
        fputs("<td class=\"num\">" DASH "</td>", out);
}

/* One block's data-* attributes (the JSON's numbers at full precision). */
static void evidence_attrs(FILE *out, const alert_evidence_t *e, bool hidden)
{
    if (hidden) {
        fputs(" data-suppressed=\"true\"", out);
        return;
    }
    html_attr_count(out, "data-observed", e->observed);
    html_attr_count(out, "data-treatments", e->treatments);
    html_attr_double(out, "data-expected", e->expected);
    if (!isnan(e->p_value))
        html_attr_double(out, "data-p-value", e->p_value);
    if (!isnan(e->q_value))
        html_attr_double(out, "data-q-value", e->q_value);
}

/* The alerts, first on the page, most serious first: each with its
 * sentence and a table of its numbers and of the margins that alarmed too. */
static void alerts_section(page_t *p)
{
    const alerts_t *alerts = p->findings->alerts;
    const cube_t *cube = p->cube;
    FILE *out = p->out;

    fputs("<section id=\"alerts\">\n<h2>Alerts</h2>\n", out);
    fprintf(out,
            "<p class=\"note\">Weekly complication rates that rose above what their own history "
            "predicts (%s; <a href=\"#weekly\">how</a>). Most serious first: the strongest "
            "evidence (smallest q-value) first, then the largest rise over the expected "
            "rate.</p>\n",
            alert_method_title(alerts->params.method));
    if (alerts->n == 0) {
        fputs("<p class=\"alerts-none\">No alert in this window.</p>\n</section>\n", out);
        return;
    }
    fputs("<ol class=\"alerts\">\n", out);
    for (size_t i = 0; i < alerts->n; i++) {
        const alert_row_t *a = &alerts->rows[i];
        char first[11], last[11], iso[9], sentence[1024];
        int32_t monday = weekly_monday(p->findings->weekly, a->first_week);
        civil_format(monday, first);
        civil_iso_week(monday, iso);
        civil_format(weekly_monday(p->findings->weekly, a->last_week), last);
        fprintf(out, "<li class=\"alert-row%s\"", a->suppressed ? " suppressed" : "");
        html_attr(out, "data-device", cube_device_name(cube, a->device));
        html_attr(out, "data-setting", cube_setting_name(a->setting));
        html_attr(out, "data-complication", cube_complication_name(a->complication));
        fprintf(out, " data-week=\"%s\" data-week-start=\"%s\" data-last-week-start=\"%s\"", iso,
                first, last);
        html_attr_count(out, "data-rank", (int64_t)i + 1);
        evidence_attrs(out, &a->evidence, a->suppressed);
        fputs(">\n<h3>", out);
        html_escape(out, cube_device_title(cube, a->device));
        fprintf(out, ", %s, %s: weeks of %s to %s</h3>\n",
                a->setting == CUBE_SETTING_ALL ? "home and clinic" : cube_setting_name(a->setting),
                cube_complication_title(a->complication), first, last);
        alertfmt_sentence(sentence, sizeof(sentence), p->findings, a->device, a->setting,
                          a->complication, &a->evidence, a->suppressed);
        fputs("<p class=\"alert-sentence\">", out);
        html_escape(out, sentence);
        fputs("</p>\n<table class=\"alert-numbers\">\n<tr><th>Series</th><th>Window</th>"
              "<th>Cases</th><th>Treatments</th><th>Rate</th><th>Expected (rate)</th>"
              "<th>Rate ratio</th><th>p</th><th>q</th><th>Baseline</th></tr>\n<tr "
              "class=\"alert-own\"><td>",
              out);
        html_escape(out, cube_device_name(cube, a->device));
        fprintf(out, "/%s/%s</td>", cube_setting_name(a->setting),
                cube_complication_name(a->complication));
        evidence_cells(p, &a->evidence, a->suppressed);
        fputs("</tr>\n", out);
        for (size_t k = 0; k < a->n_also_in; k++) {
            const alert_margin_t *m = &a->also_in[k];
            fprintf(out, "<tr class=\"also-in%s\"", m->suppressed ? " suppressed" : "");
            html_attr(out, "data-device", cube_device_name(cube, m->device));
            html_attr(out, "data-setting", cube_setting_name(m->setting));
            html_attr(out, "data-complication", cube_complication_name(m->complication));
            evidence_attrs(out, &m->evidence, m->suppressed);
            fputs("><td>also in ", out);
            html_escape(out, cube_device_name(cube, m->device));
            fprintf(out, "/%s/%s</td>", cube_setting_name(m->setting),
                    cube_complication_name(m->complication));
            evidence_cells(p, &m->evidence, m->suppressed);
            fputs("</tr>\n", out);
        }
        fputs("</table>\n</li>\n", out);
    }
    fputs("</ol>\n</section>\n", out);
}

static void weekly(page_t *p)
{
    const alert_params_t *params = &p->findings->alerts->params;
    const cube_t *cube = p->cube;
    FILE *out = p->out;

    fputs("<section id=\"weekly\">\n<h2>Weekly trends and alerts</h2>\n", out);
    {
        const alerts_t *alerts = p->findings->alerts;
        const alert_timing_t *tm = &alerts->timing;
        char as_of[11];
        civil_format(tm->as_of, as_of);
        fprintf(out,
                "<p class=\"note alert-method\" data-method=\"%s\" data-report-days=\"%d\" "
                "data-as-of=\"%s\">Cases per 1,000 treatments, by week of treatment, with 95%% "
                "intervals (Wilson), for each device type: any complication, and each "
                "complication that raised an alert. The weeks not over yet at the report's "
                "as-of date (or its end) are shaded, their points hollow: incomplete. The alerts "
                "(%s) count a case only when its first report came within %d days of the "
                "treatment, and judge a week only once it is complete and all its treatments "
                "had those days (as of %s), so that late reports neither hide a rise nor read "
                "as one. ",
                alert_method_name(params->method), tm->report_days, as_of,
                alert_method_title(params->method), tm->report_days, as_of);
        if (params->method == ALERT_RATE_SCAN)
            fprintf(out,
                    "Each series' weekly rate (cases per treatment) is modelled from its own "
                    "past, with a trend and the season when the history allows; the cases of "
                    "the last 1 to %d weeks are compared with what it predicts, and the "
                    "p-values of all series of a week adjusted for their number "
                    "(Benjamini" DASH "Hochberg q-values). An alert (&#9660;) needs q &le; %g "
                    "and at least %lld cases; consecutive alarming weeks are one alert, under "
                    "the most specific series that alarmed.</p>\n",
                    params->scan.window_max, params->scan.q_level,
                    (long long)params->min_cases);
        else
            fprintf(out, "An alert (&#9660;) needs at least %lld cases; consecutive alarming "
                         "weeks are one alert, under the most specific series.</p>\n",
                    (long long)params->min_cases);
    }
    if (p->findings->weekly->n_weeks == 0) {
        fputs("<p>No treatment in this window.</p>\n</section>\n", out);
        return;
    }
    for (size_t i = 0; i <= cube->n_devices; i++) {
        /* All device types first, then each type in report order. */
        size_t slot = i == 0 ? CUBE_DEVICE_ALL : cube_device_slot(cube, i - 1);
        if (cube_cell_const(cube, slot, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        fputs("<h3>", out);
        html_escape(out, cube_device_title(cube, slot));
        fputs("</h3>\n", out);
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            size_t n = chart_alerts_in(p->findings, slot, c);
            if (c != CUBE_ANY && n == 0)
                continue;
            fprintf(out, "<figure>\n<figcaption>%s: %zu alert%s</figcaption>\n",
                    cube_complication_title(c), n, n == 1 ? "" : "s");
            chart_weekly(out, p->findings, slot, c);
            fputs("</figure>\n", out);
        }
    }
    fputs("<p>The alerts themselves, explained, are <a href=\"#alerts\">above</a>.</p>\n"
          "</section>\n",
          out);
}

static void signal_row(page_t *p, const signal_row_t *r)
{
    FILE *out = p->out;
    char a[NUMFMT_LEN], prr[96], ror[96];
    bool h = r->suppressed;

    fprintf(out, "<tr class=\"signal-row%s%s\"", !h && r->evans_signal ? " signal" : "",
            h ? " suppressed" : "");
    if (r->manufacturer == NULL) {
        html_attr(out, "data-device", cube_device_name(p->cube, r->device));
    } else {
        html_attr(out, "data-manufacturer", r->manufacturer);
        html_attr(out, "data-model", r->model);
    }
    html_attr(out, "data-complication", cube_complication_name(r->complication));
    if (h) {
        fputs(" data-suppressed=\"true\"", out);
    } else {
        html_attr_count(out, "data-a", r->table.a);
        if (r->prr.defined) {
            html_attr_double(out, "data-prr", r->prr.est);
            html_attr_double(out, "data-prr-lo", r->prr.lo);
            html_attr_double(out, "data-prr-hi", r->prr.hi);
        }
        if (r->chi2.defined)
            html_attr_double(out, "data-chi2", r->chi2.stat);
        fprintf(out, " data-evans=\"%s\"", r->evans_signal ? "true" : "false");
    }
    fputs(">", out);
    if (r->manufacturer == NULL) {
        fputs("<td>", out);
        html_escape(out, cube_device_title(p->cube, r->device));
        fputs("</td>", out);
    } else {
        fputs("<td>", out);
        html_escape(out, r->manufacturer);
        fputs("</td><td>", out);
        html_escape(out, r->model);
        fputs("</td>", out);
    }
    fprintf(out, "<td>%s</td>", cube_complication_title(r->complication));
    if (h) {
        fputs("<td class=\"count\">suppressed</td><td class=\"num\">suppressed</td>"
              "<td class=\"num\">suppressed</td><td class=\"num\">suppressed</td>"
              "<td class=\"flag\">suppressed</td></tr>\n",
              out);
        return;
    }
    fprintf(out, "<td class=\"count\">%s</td><td class=\"num\">%s</td>",
            numfmt_count(a, sizeof(a), r->table.a), numfmt_ratio_or_na(prr, sizeof(prr), r->prr));
    if (r->chi2.defined)
        fprintf(out, "<td class=\"num\">%.2f</td>", r->chi2.stat);
    else
        fputs("<td class=\"num\">n/a</td>", out);
    fprintf(out, "<td class=\"num\">%s</td><td class=\"flag\">%s</td></tr>\n",
            numfmt_ratio_or_na(ror, sizeof(ror), r->ror), r->evans_signal ? "&#9650; signal" : "no");
}

static void signals_table(page_t *p, const signal_row_t *rows, size_t n, bool by_model)
{
    FILE *out = p->out;

    fprintf(out, "<table class=\"signals%s\">\n<tr>%s<th>Complication</th><th>Reports</th>"
                 "<th>PRR (95%% CI)</th><th>" CHI "&sup2; (Yates)</th><th>ROR (95%% CI)</th>"
                 "<th>Evans rule</th></tr>\n",
            by_model ? " by-model" : " by-device",
            by_model ? "<th>Manufacturer</th><th>Model</th>" : "<th>Device type</th>");
    for (size_t i = 0; i < n; i++)
        signal_row(p, &rows[i]);
    fputs("</table>\n", out);
}

static size_t count_signals(const signal_row_t *rows, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += !rows[i].suppressed && rows[i].evans_signal;
    return k;
}

static void signals(page_t *p)
{
    const signals_t *found = p->findings->signals;
    FILE *out = p->out;
    size_t by_device = count_signals(found->devices, found->n_devices);
    size_t by_model = count_signals(found->models, found->n_models);

    fputs("<section id=\"signals\">\n<h2>Signals</h2>\n"
          "<p class=\"note\">Does one device type (or model) have more of a complication than "
          "the others? Among the complication reports, the proportional reporting ratio (PRR) "
          "divides the share of this complication for this device by its share for all others. "
          "A row is a <strong>signal</strong> (highlighted, &#9650;) by the Evans rule: at least "
          "3 reports, PRR at least 2 and " CHI "&sup2; at least 4. A signal asks for a closer "
          "look; it does not prove the device causes harm.</p>\n",
          out);
    fprintf(out, "<h3>By device type: <span class=\"signal-count\" data-n=\"%zu\">%zu "
                 "signal%s</span></h3>\n",
            by_device, by_device, by_device == 1 ? "" : "s");
    signals_table(p, found->devices, found->n_devices, false);
    fprintf(out, "<h3>By manufacturer and model: <span class=\"signal-count\" data-n=\"%zu\">%zu "
                 "signal%s</span></h3>\n"
                 "<p class=\"note\">Each model against the reports of all other models. Signals "
                 "first; the full table below.</p>\n",
            by_model, by_model, by_model == 1 ? "" : "s");
    if (by_model > 0) {
        fputs("<table class=\"signals model-signals-only\">\n<tr><th>Manufacturer</th>"
              "<th>Model</th><th>Complication</th><th>Reports</th><th>PRR (95% CI)</th><th>"
              CHI "&sup2; (Yates)</th><th>ROR (95% CI)</th><th>Evans rule</th></tr>\n",
              out);
        for (size_t i = 0; i < found->n_models; i++) {
            const signal_row_t *r = &found->models[i];
            if (!r->suppressed && r->evans_signal)
                signal_row(p, r);
        }
        fputs("</table>\n", out);
    }
    fprintf(out, "<details><summary>Every manufacturer and model (%zu rows)</summary>\n",
            found->n_models);
    signals_table(p, found->models, found->n_models, true);
    fputs("</details>\n</section>\n", out);
}

static void methods(page_t *p)
{
    FILE *out = p->out;

    fputs("<section id=\"methods\">\n<h2>How this was computed</h2>\n<ul>\n"
          "<li><strong>Treatments</strong>: the current version of each treatment report in "
          "the window, withdrawn ones excluded. A <strong>case</strong> of a complication is a "
          "treatment with at least one current report of it; a treatment counts once however "
          "many reports it has. Complication reports whose treatment is unknown or withdrawn "
          "are orphans and are not counted.</li>\n"
          "<li><strong>Rates</strong>: cases per 1,000 treatments, with the Wilson score "
          "interval [1].</li>\n"
          "<li><strong>Home versus clinic</strong>: crude rate ratio with the Katz log "
          "interval [2]; adjusted: Mantel" DASH "Haenszel rate ratio over the groups device "
          "type " TIMES " skin type (unknown skin type a group of its own) [3], with the "
          "Greenland" DASH "Robins interval [4]. Not computable (n/a) when a side has no "
          "case.</li>\n"
          "<li><strong>Signals</strong>: on complication reports, proportional reporting ratio "
          "(PRR) and the Evans screening rule [5]; reporting odds ratio (ROR) with Woolf's "
          "interval [6]; " CHI "&sup2; with Yates' correction [7].</li>\n"
          "<li><strong>Alerts</strong>: on the weekly cases (ISO weeks, Monday to Sunday, of "
          "the treatment date; a case counted only when reported within the reporting delay) "
          "and treatments of each device type " TIMES " setting " TIMES " complication, all "
          "device types and both settings included. Default: the rate scan, a quasi-Poisson "
          "model of each series' rate with the treatments as offset (after Noufaily et al. "
          "[12]) and Benjamini" DASH "Hochberg q-values across the series of a week [13]; "
          "EARS C2 [8] (as R surveillance::earsC), Farrington flexible [12] and a Poisson GLR "
          "CUSUM [14] by option.</li>\n"
          "<li><strong>Trend across skin types</strong>: Cochran" DASH "Armitage test over "
          "Fitzpatrick I" DASH "VI, scores 1" DASH "6 [9, 10].</li>\n",
          out);
    if (suppressing(p))
        fprintf(out,
                "<li><strong>Small numbers</strong>: counts from 1 to %lld are hidden (primary "
                "suppression), and further counts are hidden until none of them can be worked "
                "out from the totals (complementary suppression, checked by solving the table's "
                "sums); rates, intervals and ratios built on a hidden count are hidden too. "
                "Lines that could not be protected: %zu.</li>\n",
                (long long)p->findings->disclosure->below - 1,
                p->findings->disclosure->unprotectable_lines);
    fprintf(out,
            "<li>Intervals are 95%% (z = %.6f). Every number of this page, at full precision, "
            "and every row behind it are in the JSON report (<code>--format json</code>).</li>\n"
            "</ul>\n",
            p->findings->rates->z);
    fputs("<h3>References</h3>\n<ol class=\"refs\">\n"
          "<li>Wilson EB. Probable inference, the law of succession, and statistical inference. "
          "J Am Stat Assoc 1927;22:209" DASH "212.</li>\n"
          "<li>Katz D, Baptista J, Azen SP, Pike MC. Obtaining confidence intervals for the risk "
          "ratio in cohort studies. Biometrics 1978;34:469" DASH "474.</li>\n"
          "<li>Mantel N, Haenszel W. Statistical aspects of the analysis of data from "
          "retrospective studies of disease. J Natl Cancer Inst 1959;22:719" DASH "748.</li>\n"
          "<li>Greenland S, Robins JM. Estimation of a common effect parameter from sparse "
          "follow-up data. Biometrics 1985;41:55" DASH "68.</li>\n"
          "<li>Evans SJW, Waller PC, Davis S. Use of proportional reporting ratios (PRRs) for "
          "signal generation from spontaneous adverse drug reaction reports. "
          "Pharmacoepidemiol Drug Saf 2001;10:483" DASH "486.</li>\n"
          "<li>Woolf B. On estimating the relation between blood group and disease. Ann Hum "
          "Genet 1955;19:251" DASH "253.</li>\n"
          "<li>Yates F. Contingency tables involving small numbers and the " CHI "&sup2; test. "
          "Suppl J R Stat Soc 1934;1:217" DASH "235.</li>\n"
          "<li>Hutwagner L, Thompson W, Seeman GM, Treadwell T. The bioterrorism preparedness "
          "and response Early Aberration Reporting System (EARS). J Urban Health "
          "2003;80(2 Suppl 1):i89" DASH "96.</li>\n"
          "<li>Cochran WG. Some methods for strengthening the common " CHI "&sup2; tests. "
          "Biometrics 1954;10:417" DASH "451.</li>\n"
          "<li>Armitage P. Tests for linear trends in proportions and frequencies. Biometrics "
          "1955;11:375" DASH "386.</li>\n"
          "<li>Okabe M, Ito K. Color Universal Design (CUD): how to make figures and "
          "presentations that are friendly to colorblind people. 2008. (The colours of the "
          "charts.)</li>\n"
          "<li>Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A. An "
          "improved algorithm for outbreak detection in multiple surveillance systems. Stat Med "
          "2013;32:1206" DASH "1222.</li>\n"
          "<li>Benjamini Y, Hochberg Y. Controlling the false discovery rate: a practical and "
          "powerful approach to multiple testing. J R Stat Soc B 1995;57:289" DASH "300.</li>\n"
          "<li>H&ouml;hle M, Paul M. Count data regression charts for the monitoring of "
          "surveillance time series. Comput Stat Data Anal 2008;52:4357" DASH "4368.</li>\n"
          "</ol>\n</section>\n",
          out);
}

int render_html(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
{
    page_t p = {out, findings, findings->cube, findings->signals != NULL};

    page_head(&p, findings);
    fputs("<main>\n", out);
    summary(&p);
    if (p.surveillance && p.cube->totals.treatments > 0)
        alerts_section(&p);
    totals(&p);
    if (p.cube->totals.treatments == 0) {
        fputs("<p class=\"empty\"><strong>No treatments in this window: there are no rates to "
              "report.</strong></p>\n",
              out);
    } else {
        home_vs_clinic(&p);
        risks_section(&p);
        skin_types(&p);
        if (p.surveillance) {
            skin_trends_section(&p);
            weekly(&p);
            signals(&p);
        }
        quality_section(&p);
    }
    methods(&p);
    fputs("</main>\n</body>\n</html>\n", out);
    if (ferror(out)) {
        snprintf(errbuf, errlen, "write error: %s", strerror(errno));
        return -1;
    }
    return 0;
}

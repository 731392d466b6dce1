/*
 * summary.c - the lines a report opens with (see summary.h).
 */
#include "render/summary.h"

#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "render/numfmt.h"

static const struct {
    const char *name, *anchor, *section;
} kinds[SUMMARY_KINDS] = {
    {"serious", "risks", "Risks within a fixed follow-up"},
    {"serious_change", "risks", "Risks within a fixed follow-up"},
    {"skin_trend", "skin-trends", "Trends across skin types"},
    {"home_vs_clinic", "home-vs-clinic", "Home versus clinic, adjusted"},
    {"alert", "alerts", "Alerts"},
    {"signal", "signals", "Signals by device type"},
};

const char *summary_kind_name(summary_kind_t kind)
{
    return kind < SUMMARY_KINDS ? kinds[kind].name : "?";
}

const char *summary_anchor(summary_kind_t kind)
{
    return kind < SUMMARY_KINDS ? kinds[kind].anchor : "";
}

const char *summary_section(summary_kind_t kind)
{
    return kind < SUMMARY_KINDS ? kinds[kind].section : "";
}

__attribute__((format(printf, 6, 7))) static void add(summary_t *s, summary_kind_t kind,
                                                      size_t device, int complication,
                                                      size_t row, const char *fmt, ...)
{
    summary_line_t *l;
    va_list ap;

    if (s->n == SUMMARY_MAX_LINES)
        return;
    l = &s->lines[s->n++];
    *l = (summary_line_t){kind, "", device, -1, complication, row};
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof(l->text), fmt, ap);
    va_end(ap);
}

/* "4.21% (3.80–4.66)" */
static char *pct_ci(char *buf, size_t len, double rate, double lo, double hi)
{
    char r[NUMFMT_LEN], l[NUMFMT_LEN], h[NUMFMT_LEN];
    snprintf(buf, len, "%s%% (%s" DASH "%s)", numfmt_percent(r, sizeof(r), rate),
             numfmt_percent(l, sizeof(l), lo), numfmt_percent(h, sizeof(h), hi));
    return buf;
}

static const char *setting_words(int setting)
{
    return setting == CUBE_SETTING_HOME     ? "home use"
           : setting == CUBE_SETTING_CLINIC ? "clinic use"
                                            : "home and clinic";
}

/* "p < 0.001", "p = 0.012" */
static char *p_words(char *buf, size_t len, double p)
{
    if (p < 0.001)
        snprintf(buf, len, "p < 0.001");
    else
        snprintf(buf, len, "p = %.3f", p);
    return buf;
}

static void serious(const findings_t *f, summary_t *s)
{
    const rates_t *rates = f->rates;
    const rate_t *all = rates_find(rates, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_ALL, CUBE_ANY);
    const risk_row_t *risk = NULL;
    char a[NUMFMT_LEN], b[NUMFMT_LEN], ci[128], ci2[128], tail[320] = "";
    const rate_t *worst = NULL;

    if (all == NULL)
        return;
    if (f->risks != NULL && f->risks->n_horizons > 0)
        risk = risks_find(f->risks, f->risks->horizons[0], CUBE_DEVICE_ALL, CUBE_SETTING_ALL,
                          CUBE_SKIN_ALL, CUBE_ANY);
    if (risk != NULL && !risk->serious_suppressed)
        snprintf(tail, sizeof(tail), "; within %d days of treatment %s of the %s treatments "
                                     "followed up that long",
                 risk->horizon,
                 pct_ci(ci2, sizeof(ci2), risk->serious_rate, risk->serious_ci_low,
                        risk->serious_ci_high),
                 numfmt_count(b, sizeof(b), risk->treatments));
    else if (f->risks != NULL && f->risks->n_horizons > 0)
        snprintf(tail, sizeof(tail), "; no %d-day risk to show (no treatment followed up that "
                                     "long, or too few to publish)",
                 f->risks->horizons[0]);
    if (all->serious_suppressed)
        add(s, SUMMARY_SERIOUS, CUBE_DEVICE_ALL, CUBE_ANY, SIZE_MAX,
            "Serious complications (severe, or a permanent outcome): not shown (too few to "
            "publish)%s.", tail);
    else
        add(s, SUMMARY_SERIOUS, CUBE_DEVICE_ALL, CUBE_ANY, SIZE_MAX,
            "Serious complications (severe, or a permanent outcome): %s of %s treatments, %s%s.",
            numfmt_count(a, sizeof(a), all->serious_cases),
            numfmt_count(b, sizeof(b), all->treatments),
            pct_ci(ci, sizeof(ci), all->serious_rate, all->serious_ci_low, all->serious_ci_high),
            tail);
    /* The device type with the highest serious rate, when there are two. */
    for (size_t i = 0; i < f->cube->n_devices; i++) {
        size_t d = cube_device_slot(f->cube, i);
        const rate_t *r = rates_find(rates, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL, CUBE_ANY);
        if (r == NULL || r->serious_suppressed || r->treatments == all->treatments)
            continue;
        if (worst == NULL || r->serious_rate > worst->serious_rate)
            worst = r;
    }
    if (worst != NULL && !all->serious_suppressed && worst->serious_cases > 0)
        add(s, SUMMARY_SERIOUS, worst->device, CUBE_ANY, SIZE_MAX,
            "Highest serious rate by device type: %s, %s of its %s treatments (all device "
            "types: %s%%).",
            cube_device_title(f->cube, worst->device),
            pct_ci(ci, sizeof(ci), worst->serious_rate, worst->serious_ci_low,
                   worst->serious_ci_high),
            numfmt_count(a, sizeof(a), worst->treatments),
            numfmt_percent(b, sizeof(b), all->serious_rate));
}

static void serious_change(const findings_t *f, summary_t *s)
{
    const risk_change_t *ch;
    char a[128], b[128], rr[NUMFMT_CI_LEN + 64];

    if (f->risks == NULL || f->risks->n_horizons == 0)
        return;
    ch = &f->risks->change;
    if (ch->recent.treatments == 0 || ch->previous.treatments == 0) {
        add(s, SUMMARY_SERIOUS_CHANGE, CUBE_DEVICE_ALL, CUBE_ANY, SIZE_MAX,
            "Change in the serious %d-day risk: not computable (the window has no two "
            "periods of %d days of treatments followed up %d days).",
            ch->horizon, RISKS_PERIOD_DAYS, ch->horizon);
        return;
    }
    if (ch->suppressed) {
        add(s, SUMMARY_SERIOUS_CHANGE, CUBE_DEVICE_ALL, CUBE_ANY, SIZE_MAX,
            "Change in the serious %d-day risk, treatments of %s to %s against the %d days "
            "before: not shown (too few to publish).",
            ch->horizon, ch->recent.from, ch->recent.to, RISKS_PERIOD_DAYS);
        return;
    }
    if (!ch->ratio.defined)
        snprintf(rr, sizeof(rr), "not computable (no serious case in a period)");
    else {
        size_t used;
        numfmt_ratio_ci(rr, sizeof(rr), ch->ratio.est, ch->ratio.lo, ch->ratio.hi);
        used = strlen(rr);
        snprintf(rr + used, sizeof(rr) - used, ", %s",
                 ch->ratio.lo > 1.0 ? "up" : ch->ratio.hi < 1.0 ? "down" : "no clear change");
    }
    add(s, SUMMARY_SERIOUS_CHANGE, CUBE_DEVICE_ALL, CUBE_ANY, SIZE_MAX,
        "Change in the serious %d-day risk, treatments of %s to %s against the %d days before: "
        "%s against %s; rate ratio %s.",
        ch->horizon, ch->recent.from, ch->recent.to, RISKS_PERIOD_DAYS,
        pct_ci(a, sizeof(a), ch->recent.rate, ch->recent.ci_low, ch->recent.ci_high),
        pct_ci(b, sizeof(b), ch->previous.rate, ch->previous.ci_low, ch->previous.ci_high), rr);
}

static bool clear(const nw_trend_t *t)
{
    return t->defined && t->p < 0.05;
}

static void skin_trends(const findings_t *f, summary_t *s)
{
    const trends_t *trends = f->trends;
    size_t shown = 0, more = 0, pooled_only = 0;
    char p[32], z[NUMFMT_LEN], names[400] = "";

    if (trends == NULL)
        return;
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        /* Both settings together first; else a setting where it holds. */
        static const int order[3] = {CUBE_SETTING_ALL, CUBE_SETTING_HOME, CUBE_SETTING_CLINIC};
        for (int i = 0; i < 3; i++) {
            const skin_trend_adjusted_t *a = &trends->adjusted[order[i]][c];
            if (a->suppressed || !clear(&a->mantel.trend))
                continue;
            if (shown == SUMMARY_MAX_ITEMS) {
                more++;
                break;
            }
            shown++;
            snprintf(z, sizeof(z), "%.2f", a->mantel.trend.z);
            add(s, SUMMARY_SKIN_TREND, CUBE_DEVICE_ALL, c, SIZE_MAX,
                "%s %s with skin type within device types (%s): z = %s, %s.",
                cube_complication_title(c), a->mantel.trend.z > 0 ? "rises" : "falls",
                setting_words(order[i]), z, p_words(p, sizeof(p), a->mantel.trend.p));
            s->lines[s->n - 1].setting = order[i];
            break;
        }
    }
    if (more > 0)
        add(s, SUMMARY_SKIN_TREND, SIZE_MAX, -1, SIZE_MAX,
            "%zu more complication%s whose trend across skin types holds within device types.",
            more, more == 1 ? "" : "s");
    /* Pooled trends that do not hold within device types (both settings). */
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        const skin_trend_row_t *r = &trends->skin[CUBE_SETTING_ALL][c];
        const skin_trend_adjusted_t *a = &trends->adjusted[CUBE_SETTING_ALL][c];
        if (r->suppressed || a->suppressed || !clear(&r->trend) || clear(&a->mantel.trend))
            continue;
        if (strlen(names) + 40 < sizeof(names))
            snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
                     pooled_only ? ", " : "", cube_complication_title(c));
        pooled_only++;
    }
    if (pooled_only > 0)
        add(s, SUMMARY_SKIN_TREND, SIZE_MAX, -1, SIZE_MAX,
            "Trend across skin types when device types are pooled, but not within them "
            "(a device mix that differs between skin types): %s.",
            names);
    else if (shown == 0)
        add(s, SUMMARY_SKIN_TREND, SIZE_MAX, -1, SIZE_MAX,
            "No trend across skin types holds within device types.");
}

static void home_clinic(const findings_t *f, summary_t *s)
{
    const rates_t *rates = f->rates;
    bool done[CUBE_COMPLICATIONS] = {false};
    size_t shown = 0, more = 0;

    for (;;) {
        int best = -1;
        double best_dist = 0;
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            const rate_adjusted_t *a = &rates->adjusted[c];
            if (done[c] || a->suppressed || !a->defined || (a->ci_low <= 1.0 && a->ci_high >= 1.0))
                continue;
            double dist = fabs(log(a->mh_rate_ratio));
            if (best < 0 || dist > best_dist) {
                best = c;
                best_dist = dist;
            }
        }
        if (best < 0)
            break;
        done[best] = true;
        if (shown == SUMMARY_MAX_ITEMS) {
            more++;
            continue;
        }
        shown++;
        {
            const rate_adjusted_t *a = &rates->adjusted[best];
            char rr[NUMFMT_CI_LEN];
            add(s, SUMMARY_HOME_CLINIC, CUBE_DEVICE_ALL, best, SIZE_MAX,
                "%s: %s at home than in clinics, rate ratio %s adjusted for device type and "
                "skin type.",
                cube_complication_title(best), a->mh_rate_ratio > 1 ? "more" : "fewer",
                numfmt_ratio_ci(rr, sizeof(rr), a->mh_rate_ratio, a->ci_low, a->ci_high));
        }
    }
    if (more > 0)
        add(s, SUMMARY_HOME_CLINIC, SIZE_MAX, -1, SIZE_MAX,
            "%zu more complication%s with a clear home-versus-clinic difference.", more,
            more == 1 ? "" : "s");
    if (shown == 0)
        add(s, SUMMARY_HOME_CLINIC, SIZE_MAX, -1, SIZE_MAX,
            "Home versus clinic: no clear difference after adjustment for device type and skin "
            "type.");
}

static void alerts(const findings_t *f, summary_t *s)
{
    const alerts_t *al = f->alerts;
    size_t shown;

    if (al == NULL)
        return;
    if (al->n == 0) {
        add(s, SUMMARY_ALERT, SIZE_MAX, -1, SIZE_MAX, "No alert.");
        return;
    }
    /* The alerts come most serious first (model/alerts.h): the first few,
     * numbered as in their section. */
    for (shown = 0; shown < al->n && shown < SUMMARY_ALERTS; shown++) {
        const alert_row_t *a = &al->rows[shown];
        const alert_evidence_t *e = &a->evidence;
        char first[11], last[11], weeks[40], n[NUMFMT_LEN], t[NUMFMT_LEN], rr[NUMFMT_LEN], q[32];
        civil_format(weekly_monday(f->weekly, a->first_week), first);
        civil_format(weekly_monday(f->weekly, a->last_week), last);
        if (a->last_week == a->first_week)
            snprintf(weeks, sizeof(weeks), "week of %s", first);
        else
            snprintf(weeks, sizeof(weeks), "weeks of %s to %s", first, last);
        if (a->suppressed) {
            add(s, SUMMARY_ALERT, a->device, a->complication, shown,
                "Alert %zu, %s: %s, %s, %s (numbers not shown: too few to publish).",
                shown + 1, weeks, cube_device_title(f->cube, a->device),
                setting_words(a->setting), cube_complication_title(a->complication));
        } else {
            if (isnan(e->q_value))
                q[0] = '\0';
            else
                snprintf(q, sizeof(q), ", q = %.2g", e->q_value);
            add(s, SUMMARY_ALERT, a->device, a->complication, shown,
                "Alert %zu, %s: %s, %s, %s: %s cases in %s treatments, expected %.1f (rate "
                "ratio %s%s).",
                shown + 1, weeks, cube_device_title(f->cube, a->device),
                setting_words(a->setting), cube_complication_title(a->complication),
                numfmt_count(n, sizeof(n), e->observed), numfmt_count(t, sizeof(t), e->treatments),
                e->expected, numfmt_ratio(rr, sizeof(rr), alert_rate_ratio(e)), q);
        }
        s->lines[s->n - 1].setting = a->setting;
    }
    if (al->n > shown)
        add(s, SUMMARY_ALERT, SIZE_MAX, -1, SIZE_MAX, "%zu alerts in all (%zu more).", al->n,
            al->n - shown);
}

static void signals(const findings_t *f, summary_t *s)
{
    const signals_t *sg = f->signals;
    size_t shown = 0, flagged = 0, models = 0;

    if (sg == NULL)
        return;
    for (size_t i = 0; i < sg->n_devices; i++) {
        const signal_row_t *r = &sg->devices[i];
        char a[NUMFMT_LEN], prr[NUMFMT_CI_LEN];
        if (r->suppressed || !r->signal)
            continue;
        flagged++;
        if (shown == SUMMARY_MAX_ITEMS)
            continue;
        shown++;
        add(s, SUMMARY_SIGNAL, r->device, r->complication, i,
            "Signal: %s, %s: %s reports, PRR %s.", cube_device_title(f->cube, r->device),
            cube_complication_title(r->complication),
            numfmt_count(a, sizeof(a), r->table.a), numfmt_ratio_or_na(prr, sizeof(prr), r->prr));
    }
    for (size_t i = 0; i < sg->n_models; i++)
        models += !sg->models[i].suppressed && sg->models[i].signal;
    if (flagged > shown)
        add(s, SUMMARY_SIGNAL, SIZE_MAX, -1, SIZE_MAX, "%zu more signals by device type.",
            flagged - shown);
    if (flagged == 0)
        add(s, SUMMARY_SIGNAL, SIZE_MAX, -1, SIZE_MAX, "No signal by device type.");
    add(s, SUMMARY_SIGNAL, SIZE_MAX, -1, SIZE_MAX, "%zu signal%s by manufacturer and model.",
        models, models == 1 ? "" : "s");
}

void summary_build(const findings_t *findings, summary_t *summary)
{
    summary->n = 0;
    if (findings->cube->totals.treatments == 0)
        return;
    serious(findings, summary);
    serious_change(findings, summary);
    skin_trends(findings, summary);
    home_clinic(findings, summary);
    alerts(findings, summary);
    signals(findings, summary);
}

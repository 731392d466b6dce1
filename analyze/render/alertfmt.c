/*
 * alertfmt.c - an alert's dates, names and sentence (see alertfmt.h).
 */
#include "render/alertfmt.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "model/detect_alerts.h"

void alertfmt_days(const weekly_t *weekly, const alert_evidence_t *e, alertfmt_days_t *days)
{
    int32_t first = weekly_monday(weekly, e->week + 1 - (size_t)e->window);
    int32_t last = weekly_monday(weekly, e->week) + 6;

    civil_format(first, days->window_first);
    civil_format(last, days->window_last);
    civil_format(weekly_monday(weekly, e->week), days->week_start);
    days->base_first[0] = days->base_last[0] = '\0';
    if (e->has_baseline) {
        civil_format(weekly_monday(weekly, e->base_first), days->base_first);
        civil_format(weekly_monday(weekly, e->base_last) + 6, days->base_last);
    }
}

const char *alertfmt_model(const alert_evidence_t *e)
{
    switch (e->model) {
    case DETECT_MODEL_GAMMA:
        return "constant rate";
    case DETECT_MODEL_LEVEL:
        return "level";
    case DETECT_MODEL_TREND:
        return "trend";
    case DETECT_MODEL_SEASON:
        return "trend and season";
    case DETECT_MODEL_MARGIN:
        return "sum of its cells";
    default:
        return "";
    }
}

const char *alertfmt_statistic_name(alert_method_t method)
{
    switch (method) {
    case ALERT_RATE_SCAN:
        return "q_value";
    case ALERT_EARS_C2:
        return "C2";
    case ALERT_FARRINGTON:
        return "p_value";
    default:
        return "GLR";
    }
}

const char *alertfmt_rule(alert_method_t method)
{
    switch (method) {
    case ALERT_RATE_SCAN:
    case ALERT_FARRINGTON:
        return "<=";
    case ALERT_EARS_C2:
        return ">"; /* observed > mean + threshold sd */
    default:
        return ">=";
    }
}

void alertfmt_series(char *buf, size_t len, const cube_t *cube, size_t device, int setting,
                     int complication)
{
    snprintf(buf, len, "%s/%s/%s", cube_device_name(cube, device), cube_setting_name(setting),
             cube_complication_name(complication));
}

void alertfmt_sentence(char *buf, size_t len, const findings_t *findings, size_t device,
                       int setting, int complication, const alert_evidence_t *e, bool hidden)
{
    const alerts_t *alerts = findings->alerts;
    alert_method_t method = alerts->params.method;
    const char *dev = cube_device_name(findings->cube, device);
    const char *set = cube_setting_name(setting);
    const char *comp = cube_complication_name(complication);
    alertfmt_days_t days;

    alertfmt_days(findings->weekly, e, &days);
    if (len == 0)
        return;
    if (hidden) {
        snprintf(buf, len,
                 "%s %s, %s: an alert in the %d week%s to %s; its numbers are not shown "
                 "(too few cases to publish).",
                 strcmp(dev, "all") == 0 ? "all device types" : dev,
                 strcmp(set, "home") == 0     ? "at home"
                 : strcmp(set, "clinic") == 0 ? "in clinics"
                                              : "at home and in clinics",
                 strcmp(comp, "any") == 0 ? "any complication" : comp, e->window,
                 e->window == 1 ? "" : "s", days.window_last);
        return;
    }
    detect_explain_t x = {dev,          set,
                          comp,         e->observed,
                          e->treatments, e->expected,
                          e->window,    days.window_last,
                          days.base_first, days.base_last,
                          e->p_value,   e->q_value,
                          alerts->params.scan.q_level};
    if (method == ALERT_RATE_SCAN) {
        (void)detect_explain(buf, len, &x);
        return;
    }
    /* The other methods: the same first half, then their own reasoning. */
    char head[512];
    size_t n;
    (void)detect_explain(head, sizeof(head), &x);
    char *cut = strstr(head, ", where the rate");
    if (cut != NULL)
        *cut = '\0';
    n = (size_t)snprintf(buf, len, "%s", head);
    if (n >= len)
        return;
    double t = e->treatments > 0 ? (double)e->treatments : NAN;
    switch (method) {
    case ALERT_EARS_C2:
        snprintf(buf + n, len - n,
                 ", where %s to %s had %.3g cases a week on average; C2 = %.3g (an alert needs "
                 "C2 > %.4g).",
                 days.base_first, days.base_last, e->expected, e->statistic, e->threshold);
        break;
    case ALERT_FARRINGTON:
        snprintf(buf + n, len - n,
                 ", where the reference weeks from %s to %s predict %.3g (%.3g per 100); p = %.2g "
                 "(an alert needs p <= %g).",
                 days.base_first, days.base_last, e->expected, 100.0 * e->expected / t,
                 e->p_value, e->threshold);
        break;
    default:
        snprintf(buf + n, len - n,
                 ", where the rate of %s to %s predicts %.3g (%.3g per 100); GLR = %.3g (an "
                 "alert needs GLR >= %g).",
                 days.base_first, days.base_last, e->expected, 100.0 * e->expected / t,
                 e->statistic, e->threshold);
        break;
    }
}

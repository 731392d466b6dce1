/*
 * detect_alerts.c - the panel's weekly verdicts, Benjamini-Hochberg and the
 * consolidation of alarms into alerts (see detect_alerts.h).
 */
#include "model/detect_alerts.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void detect_panel_series(const detect_panel_t *panel, size_t d, int s, int c, int64_t *cases,
                         int64_t *treatments)
{
    size_t nw = panel->n_weeks;
    memset(cases, 0, nw * sizeof(*cases));
    memset(treatments, 0, nw * sizeof(*treatments));
    for (size_t dd = 0; dd < panel->n_devices; dd++) {
        if (d != panel->n_devices && dd != d)
            continue;
        for (int ss = 0; ss < 2; ss++) {
            if (s != DETECT_SETTING_ALL && ss != s)
                continue;
            const int64_t *t = &panel->treatments[(dd * 2 + (size_t)ss) * nw];
            const int64_t *y = &panel->cases[((dd * 2 + (size_t)ss) * DETECT_TYPES + (size_t)c) * nw];
            for (size_t w = 0; w < nw; w++) {
                treatments[w] += t[w];
                cases[w] += y[w];
            }
        }
    }
}

typedef struct {
    size_t i;
    double p;
} ranked_t;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked_t *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

int detect_bh(const double *p, size_t n, double *q)
{
    ranked_t *r = malloc((n ? n : 1) * sizeof(*r));
    size_t m = 0;
    if (r == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        q[i] = NAN;
        if (!isnan(p[i]))
            r[m++] = (ranked_t){i, p[i]};
    }
    qsort(r, m, sizeof(*r), cmp_ranked);
    double run = 1.0;
    for (size_t j = m; j-- > 0;) {
        double v = (double)m / (double)(j + 1) * r[j].p;
        if (v < run)
            run = v;
        q[r[j].i] = run;
    }
    free(r);
    return 0;
}

int detect_panel_week(const detect_panel_t *panel, size_t t, const detect_rate_params_t *pr,
                      detect_verdict_t *out)
{
    size_t nd = panel->n_devices, nw = panel->n_weeks, ns = detect_series_count(panel);
    size_t ncell = nd * 2 * DETECT_TYPES;
    detect_pred_t *cell = malloc((ncell ? ncell : 1) * sizeof(*cell));
    bool *has = malloc((nd > 0 ? nd * 2 : 1) * sizeof(*has));
    detect_pred_t *parts = malloc((ncell ? ncell : 1) * sizeof(*parts));
    bool *parts_has = malloc((ncell ? ncell : 1) * sizeof(*parts_has));
    int64_t *y = malloc((nw ? nw : 1) * sizeof(*y)), *n = malloc((nw ? nw : 1) * sizeof(*n));
    double *p = malloc(ns * sizeof(*p)), *q = malloc(ns * sizeof(*q));
    int rc = -1;

    if (!cell || !has || !parts || !parts_has || !y || !n || !p || !q)
        goto out;
    /* The cells' own predictions. */
    for (size_t d = 0; d < nd; d++) {
        for (int s = 0; s < 2; s++) {
            const int64_t *tr = &panel->treatments[(d * 2 + (size_t)s) * nw];
            has[d * 2 + (size_t)s] = false;
            for (int k = 0; k < pr->window_max && (size_t)k <= t; k++)
                has[d * 2 + (size_t)s] |= t < nw && tr[t - (size_t)k] > 0;
            for (int c = 0; c < DETECT_TYPES; c++) {
                const int64_t *ca =
                    &panel->cases[((d * 2 + (size_t)s) * DETECT_TYPES + (size_t)c) * nw];
                cell[(d * 2 + (size_t)s) * DETECT_TYPES + (size_t)c] =
                    detect_rate_predict(ca, tr, panel->judgeable, nw, t, pr);
            }
        }
    }
    /* Every series: a cell's prediction, or the sum of its cells'. */
    for (size_t d = 0; d <= nd; d++) {
        for (int s = 0; s < DETECT_SETTINGS; s++) {
            for (int c = 0; c < DETECT_TYPES; c++) {
                size_t at = detect_series_index(d, s, c), np = 0;
                detect_pred_t pred;
                for (size_t dd = 0; dd < nd; dd++) {
                    for (int ss = 0; ss < 2; ss++) {
                        if ((d != nd && dd != d) || (s != DETECT_SETTING_ALL && ss != s))
                            continue;
                        parts[np] = cell[(dd * 2 + (size_t)ss) * DETECT_TYPES + (size_t)c];
                        parts_has[np] = has[dd * 2 + (size_t)ss];
                        np++;
                    }
                }
                if (d < nd && s != DETECT_SETTING_ALL)
                    pred = parts[0];
                else
                    pred = detect_rate_sum(parts, parts_has, np, pr);
                detect_panel_series(panel, d, s, c, y, n);
                out[at] = detect_rate_judge(&pred, y, n, panel->judgeable, nw, t, pr);
                p[at] = out[at].defined ? out[at].p_value : NAN;
            }
        }
    }
    if (detect_bh(p, ns, q) != 0)
        goto out;
    for (size_t i = 0; i < ns; i++) {
        out[i].q_value = q[i];
        out[i].alarm = out[i].defined && q[i] <= pr->q_level &&
                       out[i].observed >= pr->min_cases && out[i].week_cases >= 1;
    }
    rc = 0;
out:
    free(cell);
    free(has);
    free(parts);
    free(parts_has);
    free(y);
    free(n);
    free(p);
    free(q);
    return rc;
}

bool detect_series_covers(size_t n_devices, size_t a, size_t b)
{
    size_t da = a / (DETECT_SETTINGS * DETECT_TYPES), db = b / (DETECT_SETTINGS * DETECT_TYPES);
    size_t sa = a / DETECT_TYPES % DETECT_SETTINGS, sb = b / DETECT_TYPES % DETECT_SETTINGS;
    size_t ca = a % DETECT_TYPES, cb = b % DETECT_TYPES;
    return (da == db || da == n_devices) && (sa == sb || sa == DETECT_SETTING_ALL) &&
           (ca == cb || ca == DETECT_ANY);
}

typedef struct {
    size_t series, first, last;
    size_t root;     /* union-find */
    bool carried;
} run_t;

static size_t find_root(run_t *r, size_t i)
{
    while (r[i].root != i) {
        r[i].root = r[r[i].root].root;
        i = r[i].root;
    }
    return i;
}

static int cmp_alert(const void *a, const void *b)
{
    const detect_alert_t *x = a, *y = b;
    if (x->first_week != y->first_week)
        return x->first_week < y->first_week ? -1 : 1;
    return x->series < y->series ? -1 : x->series > y->series;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

void detect_alerts_free(detect_alert_t *alerts, size_t n)
{
    for (size_t i = 0; alerts && i < n; i++)
        free(alerts[i].also_in);
    free(alerts);
}

int detect_consolidate(const detect_panel_t *panel, const bool *alarm, const bool *judged,
                       detect_alert_t **alerts_out, size_t *n_out)
{
    size_t ns = detect_series_count(panel), nw = panel->n_weeks, nr = 0, cap = 0;
    run_t *runs = NULL;
    detect_alert_t *alerts = NULL;
    size_t na = 0;
    int rc = -1;

    *alerts_out = NULL;
    *n_out = 0;
    /* 1. Runs of consecutive alarming judged weeks, per series. */
    for (size_t s = 0; s < ns; s++) {
        bool open = false;
        for (size_t w = 0; w < nw; w++) {
            if (judged && !judged[w])
                continue;
            if (!alarm[s * nw + w]) {
                open = false;
                continue;
            }
            if (open) {
                runs[nr - 1].last = w;
                continue;
            }
            if (nr == cap) {
                size_t ncap = cap ? 2 * cap : 64;
                run_t *r = realloc(runs, ncap * sizeof(*r));
                if (r == NULL)
                    goto out;
                runs = r;
                cap = ncap;
            }
            runs[nr] = (run_t){s, w, w, nr, true};
            nr++;
            open = true;
        }
    }
    /* 2. Carried or not; 3. groups of related overlapping runs. */
    for (size_t i = 0; i < nr; i++) {
        for (size_t j = 0; j < nr; j++) {
            run_t *a = &runs[i], *b = &runs[j];
            if (i == j || a->last < b->first || b->last < a->first)
                continue;
            if (detect_series_covers(panel->n_devices, a->series, b->series) &&
                a->series != b->series)
                a->carried = false;
            if (detect_series_covers(panel->n_devices, a->series, b->series) ||
                detect_series_covers(panel->n_devices, b->series, a->series)) {
                size_t ra = find_root(runs, i), rb = find_root(runs, j);
                if (ra != rb)
                    runs[ra].root = rb;
            }
        }
    }
    for (size_t i = 0; i < nr; i++)
        na += runs[i].carried;
    alerts = calloc(na ? na : 1, sizeof(*alerts));
    if (alerts == NULL)
        goto out;
    na = 0;
    for (size_t i = 0; i < nr; i++) {
        if (!runs[i].carried)
            continue;
        detect_alert_t *al = &alerts[na++];
        al->series = runs[i].series;
        al->first_week = runs[i].first;
        al->last_week = runs[i].last;
        al->also_in = malloc((nr ? nr : 1) * sizeof(size_t));
        if (al->also_in == NULL)
            goto out;
        size_t root = find_root(runs, i);
        for (size_t j = 0; j < nr; j++) {
            if (runs[j].carried || find_root(runs, j) != root ||
                !detect_series_covers(panel->n_devices, runs[j].series, al->series))
                continue;
            bool dup = false;
            for (size_t k = 0; k < al->n_also_in; k++)
                dup |= al->also_in[k] == runs[j].series;
            if (!dup)
                al->also_in[al->n_also_in++] = runs[j].series;
        }
        qsort(al->also_in, al->n_also_in, sizeof(size_t), cmp_size);
    }
    qsort(alerts, na, sizeof(*alerts), cmp_alert);
    *alerts_out = alerts;
    *n_out = na;
    alerts = NULL;
    rc = 0;
out:
    detect_alerts_free(alerts, na);
    free(runs);
    return rc;
}

int detect_explain(char *buf, size_t len, const detect_explain_t *e)
{
    char who[160];
    const char *setting = strcmp(e->setting, "home") == 0     ? "at home"
                          : strcmp(e->setting, "clinic") == 0 ? "in clinics"
                                                              : "at home and in clinics";
    double t = e->treatments > 0 ? (double)e->treatments : NAN;
    snprintf(who, sizeof(who), "%s %s, %s",
             strcmp(e->device, "all") == 0 ? "all device types" : e->device, setting,
             strcmp(e->complication, "any") == 0 ? "any complication" : e->complication);
    return snprintf(buf, len,
                    "%s: %lld cases in %lld treatments in the %d week%s to %s (%.3g per 100), "
                    "where the rate of %s to %s predicts %.3g (%.3g per 100); p = %.2g, "
                    "q = %.2g (an alert needs q <= %g).",
                    who, (long long)e->observed, (long long)e->treatments, e->window,
                    e->window == 1 ? "" : "s", e->window_last, 100.0 * (double)e->observed / t,
                    e->base_first, e->base_last, e->expected, 100.0 * e->expected / t, e->p_value,
                    e->q_value, e->q_level);
}

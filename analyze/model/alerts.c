/*
 * alerts.c - alerts on the weekly series: each method's verdicts, one
 * alert per event, most serious first (see alerts.h).
 */
#include "model/alerts.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/detect_alerts.h"
#include "model/detect_glr.h"

static const char *const method_names[ALERT_METHODS] = {"rate-scan", "ears-c2", "farrington",
                                                        "glr"};
static const char *const method_titles[ALERT_METHODS] = {"rate scan", "EARS C2",
                                                         "Farrington flexible", "GLR CUSUM"};

const char *alert_method_name(alert_method_t method)
{
    return method < ALERT_METHODS ? method_names[method] : "unknown";
}

const char *alert_method_title(alert_method_t method)
{
    return method < ALERT_METHODS ? method_titles[method] : "unknown";
}

int alert_method_parse(const char *name)
{
    for (int m = 0; m < ALERT_METHODS; m++) {
        if (strcmp(name, method_names[m]) == 0)
            return m;
    }
    return -1;
}

alert_params_t alert_params_default(void)
{
    alert_params_t p;
    memset(&p, 0, sizeof(p));
    p.method = ALERT_RATE_SCAN;
    p.scan = DETECT_RATE_DEFAULTS;
    p.ears = NW_EARS_C2_DEFAULTS;
    p.farrington = DETECT_NOUFAILY(1, ALERT_FARRINGTON_ALPHA_DEFAULT);
    p.glr_c_arl = ALERT_GLR_C_ARL_DEFAULT;
    p.glr_baseline = ALERT_GLR_BASELINE_DEFAULT;
    p.min_cases = ALERT_MIN_CASES_DEFAULT;
    return p;
}

double alert_rate_ratio(const alert_evidence_t *e)
{
    if (!(e->expected >= 0.0) || e->observed < 0)
        return NAN;
    if (e->expected == 0.0)
        return e->observed > 0 ? INFINITY : NAN;
    return (double)e->observed / e->expected;
}

/* ---- Verdicts ------------------------------------------------------ */

/* The alarming series-weeks and their evidence, found in any order. */
typedef struct {
    size_t series;
    alert_evidence_t e;
} found_t;

typedef struct {
    const detect_panel_t *panel;
    const alert_params_t *params;
    bool *alarm;            /* [series * n_weeks + week] */
    found_t *found;
    size_t n_found, cap;
    alerts_t *alerts;
    bool oom;
} judge_t;

static bool judgeable_week(const detect_panel_t *panel, size_t w)
{
    return panel->judgeable == NULL || panel->judgeable[w];
}

/* A verdict was given (counted), and maybe an alarm (kept). */
static void record(judge_t *j, size_t series, const alert_evidence_t *e, bool alarm)
{
    alerts_t *a = j->alerts;
    a->series_weeks++;
    if (!a->has_judged || e->week < a->first_judged)
        a->first_judged = e->week;
    if (!a->has_judged || e->week > a->last_judged)
        a->last_judged = e->week;
    a->has_judged = true;
    if (!alarm)
        return;
    if (j->n_found == j->cap) {
        size_t ncap = j->cap ? 2 * j->cap : 64;
        found_t *f = realloc(j->found, ncap * sizeof(*f));
        if (f == NULL) {
            j->oom = true;
            return;
        }
        j->found = f;
        j->cap = ncap;
    }
    j->found[j->n_found++] = (found_t){series, *e};
    j->alarm[series * j->panel->n_weeks + e->week] = true;
}

static alert_evidence_t evidence_blank(size_t week)
{
    alert_evidence_t e;
    memset(&e, 0, sizeof(e));
    e.week = week;
    e.window = 1;
    e.expected = e.p_value = e.q_value = e.statistic = e.threshold = e.phi = NAN;
    e.model = DETECT_MODEL_NONE;
    return e;
}

static void judge_rate_scan(judge_t *j)
{
    const detect_panel_t *panel = j->panel;
    size_t ns = detect_series_count(panel);
    detect_rate_params_t pr = j->params->scan;
    detect_verdict_t *v = malloc(ns * sizeof(*v));

    if (v == NULL) {
        j->oom = true;
        return;
    }
    pr.min_cases = j->params->min_cases;
    for (size_t t = 0; t < panel->n_weeks && !j->oom; t++) {
        if (!judgeable_week(panel, t))
            continue;
        if (detect_panel_week(panel, t, &pr, v) != 0) {
            j->oom = true;
            break;
        }
        for (size_t i = 0; i < ns; i++) {
            alert_evidence_t e = evidence_blank(t);
            if (!v[i].defined)
                continue;
            e.window = v[i].window;
            e.observed = v[i].observed;
            e.treatments = v[i].treatments;
            e.expected = v[i].expected;
            e.p_value = v[i].p_value;
            e.q_value = v[i].q_value;
            e.statistic = v[i].q_value;
            e.threshold = pr.q_level;
            e.model = v[i].model;
            e.phi = v[i].phi;
            e.has_baseline = true;
            e.base_first = v[i].base_first;
            e.base_last = v[i].base_last;
            record(j, i, &e, v[i].alarm);
        }
    }
    free(v);
}

/* The per-series methods: EARS C2, Farrington, GLR. */
static void judge_series(judge_t *j, size_t series, const int64_t *y, const int64_t *n,
                         long *ly, int64_t *x, double *mu0, bool *galarm, double *gvalue,
                         size_t *idx)
{
    const detect_panel_t *panel = j->panel;
    const alert_params_t *p = j->params;
    size_t nw = panel->n_weeks;

    switch (p->method) {
    case ALERT_EARS_C2: {
        size_t b = p->ears.baseline;
        for (size_t w = 0; w < nw; w++)
            ly[w] = (long)y[w];
        for (size_t t = b + 2; t < nw; t++) {
            bool ok = judgeable_week(panel, t);
            for (size_t w = t - 2 - b; ok && w <= t - 3; w++)
                ok = judgeable_week(panel, w);
            if (!ok)
                continue;
            nw_ears_t r = stats_ears_c2(ly, nw, t, p->ears);
            if (!r.defined)
                continue;
            alert_evidence_t e = evidence_blank(t);
            e.observed = y[t];
            e.treatments = n[t];
            e.expected = r.mean;
            e.statistic = r.statistic;
            e.threshold = r.threshold;
            e.has_baseline = true;
            e.base_first = t - 2 - b;
            e.base_last = t - 3;
            record(j, series, &e, r.alarm && y[t] >= p->min_cases);
        }
        break;
    }
    case ALERT_FARRINGTON: {
        size_t first = detect_farrington_first(p->farrington);
        for (size_t t = first; t < nw; t++) {
            if (!judgeable_week(panel, t))
                continue;
            detect_farrington_t r = detect_farrington(y, n, nw, t, p->farrington);
            if (!r.defined)
                continue;
            alert_evidence_t e = evidence_blank(t);
            e.observed = y[t];
            e.treatments = n[t];
            e.expected = r.expected;
            e.p_value = r.p_value;
            e.statistic = r.p_value;
            e.threshold = p->farrington.alpha;
            e.phi = r.phi;
            e.has_baseline = true;
            e.base_first = t >= 52 * (size_t)p->farrington.b + (size_t)p->farrington.w
                               ? t - 52 * (size_t)p->farrington.b - (size_t)p->farrington.w
                               : 0;
            e.base_last = t > (size_t)p->farrington.past_weeks_not_included
                              ? t - 1 - (size_t)p->farrington.past_weeks_not_included
                              : 0;
            record(j, series, &e, r.alarm && y[t] >= p->min_cases);
        }
        break;
    }
    case ALERT_GLR: {
        /* The in-control rate: the first glr_baseline judged weeks with
         * treatments (half a case added, Jeffreys, so that a series with
         * none can still alarm); then the chart over the judged weeks
         * with treatments after them. */
        double ysum = 0.0, nsum = 0.0;
        size_t w = 0, used = 0, first_base = 0, last_base = 0, m = 0;
        for (; w < nw && used < (size_t)p->glr_baseline; w++) {
            if (!judgeable_week(panel, w) || n[w] <= 0)
                continue;
            if (used++ == 0)
                first_base = w;
            last_base = w;
            ysum += (double)y[w];
            nsum += (double)n[w];
        }
        if (used < (size_t)p->glr_baseline)
            break;
        double rate = (ysum + 0.5) / nsum;
        for (; w < nw; w++) {
            if (!judgeable_week(panel, w) || n[w] <= 0)
                continue;
            idx[m] = w;
            x[m] = y[w];
            mu0[m] = rate * (double)n[w];
            m++;
        }
        if (m == 0 || detect_glrpois(x, mu0, m, p->glr_c_arl, galarm, gvalue) < 0)
            break;
        for (size_t k = 0; k < m; k++) {
            size_t t = idx[k];
            alert_evidence_t e = evidence_blank(t);
            e.observed = y[t];
            e.treatments = n[t];
            e.expected = mu0[k];
            e.statistic = gvalue[k];
            e.threshold = p->glr_c_arl;
            e.has_baseline = true;
            e.base_first = first_base;
            e.base_last = last_base;
            record(j, series, &e, galarm[k] && y[t] >= p->min_cases);
        }
        break;
    }
    default:
        break;
    }
}

static void judge_each_series(judge_t *j)
{
    const detect_panel_t *panel = j->panel;
    size_t nw = panel->n_weeks, ns = detect_series_count(panel);
    int64_t *y = malloc(nw * sizeof(*y)), *n = malloc(nw * sizeof(*n));
    long *ly = malloc(nw * sizeof(*ly));
    int64_t *x = malloc(nw * sizeof(*x));
    double *mu0 = malloc(nw * sizeof(*mu0)), *gvalue = malloc(nw * sizeof(*gvalue));
    bool *galarm = malloc(nw * sizeof(*galarm));
    size_t *idx = malloc(nw * sizeof(*idx));

    if (!y || !n || !ly || !x || !mu0 || !gvalue || !galarm || !idx) {
        j->oom = true;
        goto out;
    }
    for (size_t s = 0; s < ns && !j->oom; s++) {
        size_t d = s / (DETECT_SETTINGS * DETECT_TYPES);
        int st = (int)(s / DETECT_TYPES % DETECT_SETTINGS), c = (int)(s % DETECT_TYPES);
        detect_panel_series(panel, d, st, c, y, n);
        judge_series(j, s, y, n, ly, x, mu0, galarm, gvalue, idx);
    }
out:
    free(y);
    free(n);
    free(ly);
    free(x);
    free(mu0);
    free(gvalue);
    free(galarm);
    free(idx);
}

/* ---- From events to alerts ------------------------------------------- */

/* Is a stronger evidence than b for the method? Later wins a tie. */
static bool stronger(alert_method_t method, const alert_evidence_t *a, const alert_evidence_t *b)
{
    double x, y;
    switch (method) {
    case ALERT_RATE_SCAN:
        if (a->q_value != b->q_value)
            return a->q_value < b->q_value;
        if (a->p_value != b->p_value)
            return a->p_value < b->p_value;
        break;
    case ALERT_FARRINGTON:
        if (a->p_value != b->p_value)
            return a->p_value < b->p_value;
        break;
    default:
        /* C2 is NaN when the reference had no spread: the strongest. */
        x = isnan(a->statistic) ? INFINITY : a->statistic;
        y = isnan(b->statistic) ? INFINITY : b->statistic;
        if (x != y)
            return x > y;
        break;
    }
    return a->week > b->week;
}

static int cmp_found(const void *pa, const void *pb)
{
    const found_t *a = pa, *b = pb;
    if (a->series != b->series)
        return a->series < b->series ? -1 : 1;
    return a->e.week < b->e.week ? -1 : a->e.week > b->e.week;
}

/* The strongest evidence of series among its alarms in weeks lo..hi;
 * false when there is none. found is sorted by series, then week. */
static bool strongest(const judge_t *j, size_t series, size_t lo, size_t hi,
                      alert_evidence_t *out)
{
    bool any = false;
    size_t a = 0, b = j->n_found;
    while (a < b) { /* the first entry of series */
        size_t mid = (a + b) / 2;
        if (j->found[mid].series < series)
            a = mid + 1;
        else
            b = mid;
    }
    for (size_t i = a; i < j->n_found && j->found[i].series == series; i++) {
        const alert_evidence_t *e = &j->found[i].e;
        if (e->week < lo || e->week > hi)
            continue;
        if (!any || stronger(j->params->method, e, out))
            *out = *e;
        any = true;
    }
    return any;
}

/* The run of consecutive alarming judged weeks of series around week w
 * (an alarm), as [*first, *last]. */
static void run_around(const judge_t *j, size_t series, size_t w, size_t *first, size_t *last)
{
    const detect_panel_t *panel = j->panel;
    const bool *alarm = &j->alarm[series * panel->n_weeks];
    size_t lo = w, hi = w;
    for (size_t k = w; k-- > 0;) {
        if (!judgeable_week(panel, k))
            continue;
        if (!alarm[k])
            break;
        lo = k;
    }
    for (size_t k = w + 1; k < panel->n_weeks; k++) {
        if (!judgeable_week(panel, k))
            continue;
        if (!alarm[k])
            break;
        hi = k;
    }
    *first = lo;
    *last = hi;
}

/* A margin's alarms that overlap [first, last] (else its run nearest to
 * them): their span and strongest evidence. */
static bool margin_of(const judge_t *j, size_t series, size_t first, size_t last,
                      alert_margin_t *m)
{
    const bool *alarm = &j->alarm[series * j->panel->n_weeks];
    size_t nw = j->panel->n_weeks, lo = SIZE_MAX, hi = 0, best = SIZE_MAX, dist = SIZE_MAX;

    for (size_t w = first; w <= last; w++) {
        if (!alarm[w])
            continue;
        size_t a, b;
        run_around(j, series, w, &a, &b);
        lo = a < lo ? a : lo;
        hi = b > hi ? b : hi;
    }
    if (lo == SIZE_MAX) {
        for (size_t w = 0; w < nw; w++) {
            size_t d = w < first ? first - w : w > last ? w - last : 0;
            if (alarm[w] && d < dist) {
                dist = d;
                best = w;
            }
        }
        if (best == SIZE_MAX)
            return false;
        run_around(j, series, best, &lo, &hi);
    }
    m->first_week = lo;
    m->last_week = hi;
    m->suppressed = false;
    return strongest(j, series, lo, hi, &m->evidence);
}

static void series_labels(const cube_t *cube, size_t nd, size_t series, size_t *slot,
                          int *setting, int *complication)
{
    size_t d = series / (DETECT_SETTINGS * DETECT_TYPES);
    *slot = d == nd ? CUBE_DEVICE_ALL : cube_device_slot(cube, d);
    *setting = (int)(series / DETECT_TYPES % DETECT_SETTINGS);
    *complication = (int)(series % DETECT_TYPES);
}

/* The rows' order: most serious first (see alerts.h). */
static double key_or_inf(double v)
{
    return isnan(v) ? INFINITY : v;
}

static int cmp_serious(const void *pa, const void *pb)
{
    const alert_row_t *a = pa, *b = pb;
    double x, y;
    x = key_or_inf(a->evidence.q_value);
    y = key_or_inf(b->evidence.q_value);
    if (x != y)
        return x < y ? -1 : 1;
    x = key_or_inf(a->evidence.p_value);
    y = key_or_inf(b->evidence.p_value);
    if (x != y)
        return x < y ? -1 : 1;
    x = alert_rate_ratio(&a->evidence);
    y = alert_rate_ratio(&b->evidence);
    x = isnan(x) ? -INFINITY : x;
    y = isnan(y) ? -INFINITY : y;
    if (x != y)
        return x > y ? -1 : 1;
    if (a->evidence.observed != b->evidence.observed)
        return a->evidence.observed > b->evidence.observed ? -1 : 1;
    if (a->series != b->series)
        return a->series < b->series ? -1 : 1;
    return a->first_week < b->first_week ? -1 : a->first_week > b->first_week;
}

/* An evidence's baseline, kept within the judged weeks, and its counts. */
static void baseline_counts(const judge_t *j, size_t series, alert_evidence_t *e, int64_t *y,
                            int64_t *n)
{
    const detect_panel_t *panel = j->panel;
    size_t d = series / (DETECT_SETTINGS * DETECT_TYPES);
    int st = (int)(series / DETECT_TYPES % DETECT_SETTINGS), c = (int)(series % DETECT_TYPES);

    if (!e->has_baseline)
        return;
    while (e->base_first < e->base_last && !judgeable_week(panel, e->base_first))
        e->base_first++;
    while (e->base_last > e->base_first && !judgeable_week(panel, e->base_last))
        e->base_last--;
    detect_panel_series(panel, d, st, c, y, n);
    e->base_cases = e->base_treatments = 0;
    for (size_t w = e->base_first; w <= e->base_last && w < panel->n_weeks; w++) {
        e->base_cases += y[w];
        e->base_treatments += n[w];
    }
}

static int build_rows(judge_t *j, const cube_t *cube, const detect_alert_t *events, size_t n)
{
    alerts_t *alerts = j->alerts;
    size_t nd = j->panel->n_devices, nw = j->panel->n_weeks;

    int64_t *y = malloc((nw ? nw : 1) * sizeof(*y)), *tr = malloc((nw ? nw : 1) * sizeof(*tr));
    int rc = -1;

    alerts->rows = calloc(n ? n : 1, sizeof(*alerts->rows));
    if (alerts->rows == NULL || y == NULL || tr == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        const detect_alert_t *ev = &events[i];
        alert_row_t *row = &alerts->rows[alerts->n++];
        series_labels(cube, nd, ev->series, &row->device, &row->setting, &row->complication);
        row->series = ev->series;
        row->first_week = ev->first_week;
        row->last_week = ev->last_week;
        for (size_t w = ev->first_week; w <= ev->last_week; w++)
            row->alarm_weeks += j->alarm[ev->series * nw + w];
        (void)strongest(j, ev->series, ev->first_week, ev->last_week, &row->evidence);
        baseline_counts(j, ev->series, &row->evidence, y, tr);
        if (ev->n_also_in > 0) {
            row->also_in = calloc(ev->n_also_in, sizeof(*row->also_in));
            if (row->also_in == NULL)
                goto out;
        }
        for (size_t k = 0; k < ev->n_also_in; k++) {
            alert_margin_t *m = &row->also_in[row->n_also_in];
            series_labels(cube, nd, ev->also_in[k], &m->device, &m->setting, &m->complication);
            if (!margin_of(j, ev->also_in[k], ev->first_week, ev->last_week, m))
                continue;
            baseline_counts(j, ev->also_in[k], &m->evidence, y, tr);
            row->n_also_in++;
        }
    }
    qsort(alerts->rows, alerts->n, sizeof(*alerts->rows), cmp_serious);
    rc = 0;
out:
    free(y);
    free(tr);
    return rc;
}

/* The panel's cell arrays from the counted weekly series. */
static bool make_panel(const alert_input_t *in, detect_panel_t *panel, int64_t **tr,
                       int64_t **ca)
{
    const cube_t *cube = in->cube;
    const weekly_t *weekly = in->counted;
    size_t nd = cube->n_devices, nw = weekly->n_weeks;

    *tr = malloc((nd ? nd : 1) * 2 * nw * sizeof(**tr));
    *ca = malloc((nd ? nd : 1) * 2 * DETECT_TYPES * nw * sizeof(**ca));
    if (*tr == NULL || *ca == NULL)
        return false;
    for (size_t d = 0; d < nd; d++) {
        size_t slot = cube_device_slot(cube, d);
        for (int s = 0; s < 2; s++) {
            for (size_t w = 0; w < nw; w++)
                (*tr)[(d * 2 + (size_t)s) * nw + w] =
                    weekly_get(weekly, slot, s, WEEKLY_TREATMENTS, w);
            for (int c = 0; c < DETECT_TYPES; c++) {
                for (size_t w = 0; w < nw; w++)
                    (*ca)[((d * 2 + (size_t)s) * DETECT_TYPES + (size_t)c) * nw + w] =
                        weekly_get(weekly, slot, s, c, w);
            }
        }
    }
    *panel = (detect_panel_t){nd, nw, *tr, *ca, in->judgeable};
    return true;
}

int alerts_detect(const alert_input_t *in, alert_params_t params, alerts_t *alerts)
{
    detect_panel_t panel;
    int64_t *tr = NULL, *ca = NULL;
    detect_alert_t *events = NULL;
    size_t n_events = 0, nw = in->counted->n_weeks;
    judge_t j;
    int rc = -1;

    memset(alerts, 0, sizeof(*alerts));
    memset(&j, 0, sizeof(j));
    alerts->params = params;
    alerts->timing = in->timing;
    alerts->n_weeks = nw;
    for (size_t w = 0; w < nw; w++)
        alerts->weeks_judgeable += in->judgeable == NULL || in->judgeable[w];
    if (nw == 0 || in->cube->n_devices == 0)
        return 0;
    if (!make_panel(in, &panel, &tr, &ca))
        goto out;
    j.panel = &panel;
    j.params = &alerts->params;
    j.alerts = alerts;
    j.alarm = calloc(detect_series_count(&panel) * nw, sizeof(*j.alarm));
    if (j.alarm == NULL)
        goto out;
    if (params.method == ALERT_RATE_SCAN)
        judge_rate_scan(&j);
    else
        judge_each_series(&j);
    if (j.oom)
        goto out;
    if (j.n_found > 0)
        qsort(j.found, j.n_found, sizeof(*j.found), cmp_found);
    if (detect_consolidate(&panel, j.alarm, in->judgeable, &events, &n_events) != 0 ||
        build_rows(&j, in->cube, events, n_events) != 0)
        goto out;
    rc = 0;
out:
    detect_alerts_free(events, n_events);
    free(j.alarm);
    free(j.found);
    free(tr);
    free(ca);
    return rc;
}

void alerts_free(alerts_t *alerts)
{
    for (size_t i = 0; alerts->rows != NULL && i < alerts->n; i++)
        free(alerts->rows[i].also_in);
    free(alerts->rows);
    alerts->rows = NULL;
    alerts->n = 0;
}

/*
 * persist.c - stores a run, its signals and its alerts (see persist.h).
 * One transaction: a run is stored whole or not at all, together with what
 * --publish-signals published for it (the hook, publish.c). Numbers go as
 * text at full precision (numfmt_double), NULL when undefined.
 */
#include "export/persist.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "civil.h"
#include "render/numfmt.h"
#include "render/render.h"

typedef struct {
    char buf[40][NUMFMT_LEN];
    const char *v[40];
} params_t;

static void p_str(params_t *p, int i, const char *s)
{
    p->v[i] = s;
}

static void p_double(params_t *p, int i, double x)
{
    p->v[i] = numfmt_double(p->buf[i], NUMFMT_LEN, x) ? p->buf[i] : NULL;
}

static void p_count(params_t *p, int i, int64_t n)
{
    snprintf(p->buf[i], NUMFMT_LEN, "%" PRId64, n);
    p->v[i] = p->buf[i];
}

static void p_bool(params_t *p, int i, bool b)
{
    p->v[i] = b ? "t" : "f";
}

static int exec(PGconn *conn, const char *sql, int n, const char *const *v, PGresult **out,
                char *errbuf, size_t errlen)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, v, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        snprintf(errbuf, errlen, "--persist: %s", PQerrorMessage(conn));
        PQclear(res);
        return -1;
    }
    if (out != NULL)
        *out = res;
    else
        PQclear(res);
    return 0;
}

static const char run_sql[] =
    "INSERT INTO needlewatch.analysis_runs (generated_at, analyzer_version, window_from,\n"
    "  window_to, first_week, weeks, treatments, suppress_below, ears_baseline, ears_alpha,\n"
    "  ears_min_sigma, alert_min_cases, signals, alerts, alert_method, alert_parameters, as_of,\n"
    "  report_days, series_weeks_judged)\n"
    "VALUES (to_timestamp($1::double precision), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,\n"
    "        $12, $13, $14, $15, $16::jsonb, $17, $18, $19) RETURNING run_id";

static const char signal_sql[] =
    "INSERT INTO needlewatch.signal_results (run_id, scope, device_type, manufacturer, model,\n"
    "  complication, a, b, c, d, prr, prr_ci_low, prr_ci_high, ror, ror_ci_low, ror_ci_high,\n"
    "  chi2, chi2_p, evans_signal, signal, suppressed)\n"
    "VALUES ($1, $2, coalesce($3, ''), coalesce($4, ''), coalesce($5, ''), $6, $7, $8, $9,\n"
    "  $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";

static const char rate_sql[] =
    "INSERT INTO needlewatch.rate_results (run_id, device_type, setting, complication,\n"
    "  treatments, cases, other_treatments, other_cases, rate_ratio, ci_low, ci_high,\n"
    "  suppressed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/* An alert row from its JSON object (render_json_alert, unsuppressed): the
 * columns are the JSON's members, so both always say the same. */
static const char alert_sql[] =
    "INSERT INTO needlewatch.alert_results (run_id, device_type, setting, complication, week,\n"
    "  week_start, observed, expected, sd, upperbound, statistic, threshold, suppressed,\n"
    "  method, rank, last_week_start, weeks, alarm_weeks, treatments, rate, expected_rate,\n"
    "  rate_ratio, p_value, q_value, window_start, window_end, window_weeks, baseline_start,\n"
    "  baseline_end, baseline_cases, baseline_treatments, model, dispersion, statistic_name,\n"
    "  sentence, also_in)\n"
    "SELECT $1, a->>'device_type', a->>'setting', a->>'complication', a->>'week',\n"
    "  (a->>'week_start')::date, (a->>'observed')::bigint, (a->>'expected')::float8, NULL, NULL,\n"
    "  (a->>'statistic')::float8, (a->>'threshold')::float8, $3, a->>'method', $4,\n"
    "  (a->>'last_week_start')::date, (a->>'weeks')::int, (a->>'alarm_weeks')::int,\n"
    "  (a->>'treatments')::bigint, (a->>'rate')::float8, (a->>'expected_rate')::float8,\n"
    "  (a->>'rate_ratio')::float8, (a->>'p_value')::float8, (a->>'q_value')::float8,\n"
    "  (a->>'window_start')::date, (a->>'window_end')::date, (a->>'window_weeks')::int,\n"
    "  (a->>'baseline_start')::date, (a->>'baseline_end')::date,\n"
    "  (a->>'baseline_cases')::bigint, (a->>'baseline_treatments')::bigint, a->>'model',\n"
    "  (a->>'dispersion')::float8, a->>'statistic_name', a->>'sentence', a->'also_in'\n"
    "FROM (SELECT $2::jsonb AS a) j";

static int put_signal(PGconn *conn, const char *run, const cube_t *cube, const signal_row_t *r,
                      char *errbuf, size_t errlen)
{
    params_t p;
    bool model = r->manufacturer != NULL;
    p_str(&p, 0, run);
    p_str(&p, 1, model ? "model" : "device_type");
    p_str(&p, 2, model ? NULL : cube_device_name(cube, r->device));
    p_str(&p, 3, r->manufacturer);
    p_str(&p, 4, r->model);
    p_str(&p, 5, cube_complication_name(r->complication));
    p_count(&p, 6, r->table.a);
    p_count(&p, 7, r->table.b);
    p_count(&p, 8, r->table.c);
    p_count(&p, 9, r->table.d);
    p_double(&p, 10, r->prr.defined ? r->prr.est : NAN);
    p_double(&p, 11, r->prr.defined ? r->prr.lo : NAN);
    p_double(&p, 12, r->prr.defined ? r->prr.hi : NAN);
    p_double(&p, 13, r->ror.defined ? r->ror.est : NAN);
    p_double(&p, 14, r->ror.defined ? r->ror.lo : NAN);
    p_double(&p, 15, r->ror.defined ? r->ror.hi : NAN);
    p_double(&p, 16, r->chi2.defined ? r->chi2.stat : NAN);
    p_double(&p, 17, r->chi2.defined ? r->chi2.p : NAN);
    p_bool(&p, 18, r->evans_signal);
    p_bool(&p, 19, r->signal);
    p_bool(&p, 20, r->suppressed);
    return exec(conn, signal_sql, 21, p.v, NULL, errbuf, errlen);
}

static int put_rate(PGconn *conn, const char *run, const cube_t *cube, const signal_rate_t *r,
                    char *errbuf, size_t errlen)
{
    params_t p;
    p_str(&p, 0, run);
    p_str(&p, 1, cube_device_name(cube, r->device));
    p_str(&p, 2, cube_setting_name(r->setting));
    p_str(&p, 3, cube_complication_name(r->complication));
    p_count(&p, 4, r->treatments);
    p_count(&p, 5, r->cases);
    p_count(&p, 6, r->other_treatments);
    p_count(&p, 7, r->other_cases);
    p_double(&p, 8, r->rate_ratio.defined ? r->rate_ratio.est : NAN);
    p_double(&p, 9, r->rate_ratio.defined ? r->rate_ratio.lo : NAN);
    p_double(&p, 10, r->rate_ratio.defined ? r->rate_ratio.hi : NAN);
    p_bool(&p, 11, r->suppressed);
    return exec(conn, rate_sql, 12, p.v, NULL, errbuf, errlen);
}

/* One alert, stored with all its numbers (the JSON of an unsuppressed copy
 * of it) and its suppressed flag. */
static int put_alert(PGconn *conn, const char *run, const findings_t *findings, size_t i,
                     char *errbuf, size_t errlen)
{
    alert_row_t a = findings->alerts->rows[i];
    alert_margin_t *margins = NULL;
    cJSON *obj = NULL;
    char *text = NULL;
    params_t p;
    int rc = -1;

    if (a.n_also_in > 0) {
        margins = malloc(a.n_also_in * sizeof(*margins));
        if (margins == NULL)
            goto oom;
        memcpy(margins, a.also_in, a.n_also_in * sizeof(*margins));
        for (size_t k = 0; k < a.n_also_in; k++)
            margins[k].suppressed = false;
        a.also_in = margins;
    }
    a.suppressed = false;
    if ((obj = render_json_alert(findings, &a)) == NULL ||
        (text = cJSON_PrintUnformatted(obj)) == NULL)
        goto oom;
    p_str(&p, 0, run);
    p_str(&p, 1, text);
    p_bool(&p, 2, findings->alerts->rows[i].suppressed);
    p_count(&p, 3, (int64_t)i + 1);
    rc = exec(conn, alert_sql, 4, p.v, NULL, errbuf, errlen);
    goto out;
oom:
    snprintf(errbuf, errlen, "out of memory");
out:
    cJSON_free(text);
    cJSON_Delete(obj);
    free(margins);
    return rc;
}

/* The method's parameters, as the JSON report's alert_method.parameters. */
static char *alert_parameters(const findings_t *findings)
{
    cJSON *root = cJSON_CreateObject(), *m;
    char *text = NULL;

    if (root != NULL && render_json_alert_method(root, findings) &&
        (m = cJSON_GetObjectItemCaseSensitive(root, "alert_method")) != NULL)
        text = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(m, "parameters"));
    cJSON_Delete(root);
    return text;
}

int persist_run(PGconn *conn, const findings_t *findings, persist_hook_fn hook, void *arg,
                int64_t *run_id, char *errbuf, size_t errlen)
{
    const signals_t *signals = findings->signals;
    const alerts_t *alerts = findings->alerts;
    const alert_params_t *params = &alerts->params;
    const weekly_t *weekly = findings->weekly;
    const cube_t *cube = findings->cube;
    PGresult *res = NULL;
    params_t p;
    char run[32], first[11], as_of[11], *parameters = NULL;
    size_t n_signals = 0;
    int rc = -1;

    for (size_t i = 0; i < signals->n_devices; i++)
        n_signals += signals->devices[i].signal;
    for (size_t i = 0; i < signals->n_models; i++)
        n_signals += signals->models[i].signal;
    if (exec(conn, "BEGIN", 0, NULL, NULL, errbuf, errlen) != 0)
        return -1;
    p_count(&p, 0, (int64_t)findings->generated_at);
    p_str(&p, 1, findings->version);
    p_str(&p, 2, findings->from && findings->from[0] ? findings->from : NULL);
    p_str(&p, 3, findings->to && findings->to[0] ? findings->to : NULL);
    civil_format(weekly->first_week, first);
    p_str(&p, 4, weekly->n_weeks ? first : NULL);
    p_count(&p, 5, (int64_t)weekly->n_weeks);
    p_count(&p, 6, cube->totals.treatments);
    if (findings->disclosure->below > 0)
        p_count(&p, 7, findings->disclosure->below);
    else
        p_str(&p, 7, NULL);
    p_count(&p, 8, (int64_t)params->ears.baseline); /* the EARS parameters, whatever the method */
    p_double(&p, 9, params->ears.alpha);
    p_double(&p, 10, params->ears.min_sigma);
    p_count(&p, 11, params->min_cases);
    p_count(&p, 12, (int64_t)n_signals);
    p_count(&p, 13, (int64_t)alerts->n);
    p_str(&p, 14, alert_method_name(params->method));
    if ((parameters = alert_parameters(findings)) == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        goto out;
    }
    p_str(&p, 15, parameters);
    civil_format(alerts->timing.as_of, as_of);
    p_str(&p, 16, as_of);
    p_count(&p, 17, alerts->timing.report_days);
    p_count(&p, 18, (int64_t)alerts->series_weeks);
    if (exec(conn, run_sql, 19, p.v, &res, errbuf, errlen) != 0)
        goto out;
    snprintf(run, sizeof(run), "%s", PQgetvalue(res, 0, 0));
    *run_id = strtoll(run, NULL, 10);
    for (size_t i = 0; i < signals->n_devices; i++) {
        if (put_signal(conn, run, cube, &signals->devices[i], errbuf, errlen) != 0)
            goto out;
    }
    for (size_t i = 0; i < signals->n_models; i++) {
        if (put_signal(conn, run, cube, &signals->models[i], errbuf, errlen) != 0)
            goto out;
    }
    for (size_t i = 0; i < signals->n_rates; i++) {
        if (put_rate(conn, run, cube, &signals->rates[i], errbuf, errlen) != 0)
            goto out;
    }
    for (size_t i = 0; i < alerts->n; i++) {
        if (put_alert(conn, run, findings, i, errbuf, errlen) != 0)
            goto out;
    }
    if (hook != NULL && hook(conn, *run_id, arg, errbuf, errlen) != 0)
        goto out;
    if (exec(conn, "COMMIT", 0, NULL, NULL, errbuf, errlen) != 0)
        goto out;
    rc = 0;
out:
    cJSON_free(parameters);
    PQclear(res);
    if (rc != 0)
        PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}

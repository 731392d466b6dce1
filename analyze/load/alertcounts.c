/*
 * alertcounts.c - the reporting delays and the weekly cases counted within
 * D days (see alertcounts.h).
 *
 * From the kept counts (sql/015_case_lags.sql, sql/repeatable/30_kept.sql)
 * when the schema has them: needlewatch.kept_report_delays() for the delays
 * and needlewatch.kept_late_cases() for the cases known LATER than D, which
 * are taken from the weekly cases (every case, kept_surveillance()); both
 * read tables that grow with days x cells x lags, not with reports, and are
 * exact as of the load step's snapshot.
 *
 * Otherwise (an older schema) the scans below read the current
 * complication reports and reach each one's treatment by its report_id
 * (PostgreSQL aggregates: a few thousand rows come back). Per treatment and
 * type, "known" is the earliest coalesce(reported_at, ingested_at) of its
 * current reports of that type; "any" is counted per treatment, over every
 * type (as the cube counts it).
 */
#include "load/alertcounts.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "load/pg.h"

/* The delays: per delay in days (capped at $2), the cases of treatments
 * dated $1 - $2 or earlier whose first report was known by $1. Columns:
 * delay, n. The treatments are reached from the complications, one index
 * probe each (the view's DISTINCT ON takes the report_id condition), so the
 * statement reads the complication reports, not every treatment. */
static const char delays_sql[] =
    "WITH k AS (\n"
    "    SELECT treatment_id, (min(coalesce(reported_at, ingested_at)) AT TIME ZONE 'UTC')::date\n"
    "               AS known_on\n"
    "    FROM needlewatch.complications GROUP BY treatment_id, type\n"
    ")\n"
    "SELECT least(greatest(k.known_on - t.treated_on, 0), $2::int) AS delay, count(*) AS n\n"
    "FROM k CROSS JOIN LATERAL (SELECT tr.treated_on FROM needlewatch.treatments tr\n"
    "                           WHERE tr.report_id = k.treatment_id) t\n"
    "WHERE t.treated_on <= $1::date - $2::int AND k.known_on <= $1::date\n"
    "GROUP BY 1\n";

/* The cases counted within $4 days, of the treatments dated $1..$2.
 * Columns: monday (days since 1970-01-01), device_type, setting, ordinal
 * (0: any), n. */
static const char counts_sql[] =
    "WITH k AS (\n"
    "    SELECT treatment_id, coalesce(array_position($3::text[], type), -1) AS ordinal,\n"
    "           (min(coalesce(reported_at, ingested_at)) AT TIME ZONE 'UTC')::date AS known_on\n"
    "    FROM needlewatch.complications GROUP BY 1, 2\n"
    "), e AS (\n"
    "    SELECT k.treatment_id, k.ordinal, t.device_type, t.setting,\n"
    "           (t.treated_on - date '1970-01-01') - (extract(isodow FROM t.treated_on)::int - 1)\n"
    "               AS monday\n"
    "    FROM k CROSS JOIN LATERAL (SELECT tr.treated_on, tr.device_type, tr.setting\n"
    "                               FROM needlewatch.treatments tr\n"
    "                               WHERE tr.report_id = k.treatment_id) t\n"
    "    WHERE t.treated_on BETWEEN coalesce($1::date, '-infinity')\n"
    "                           AND coalesce($2::date, 'infinity')\n"
    "      AND k.known_on - t.treated_on <= $4::int\n"
    ")\n"
    "SELECT monday, device_type, setting, ordinal, count(*) AS n\n"
    "FROM e WHERE ordinal > 0 GROUP BY 1, 2, 3, 4\n"
    "UNION ALL\n"
    "SELECT monday, device_type, setting, 0, count(DISTINCT treatment_id)\n"
    "FROM e GROUP BY 1, 2, 3\n";

/* The kept statements: the same columns as the scans' (the late cases:
 * monday, device_type, setting, ordinal, n). */
static const char kept_delays_sql[] =
    "SELECT delay, n FROM needlewatch.kept_report_delays($1::date, $2::int)\n";

static const char kept_late_sql[] =
    "SELECT monday, device_type, setting, ordinal, n\n"
    "FROM needlewatch.kept_late_cases($1::date, $2::date, $4::int, $3::text[])\n";

static const char has_kept_sql[] =
    "SELECT to_regprocedure('needlewatch.kept_late_cases(date, date, integer, text[])')\n"
    "           IS NOT NULL\n"
    "   AND to_regprocedure('needlewatch.kept_report_delays(date, integer)') IS NOT NULL\n"
    "   AND has_function_privilege('needlewatch.kept_late_cases(date, date, integer, text[])',\n"
    "                              'EXECUTE')\n"
    "   AND has_function_privilege('needlewatch.kept_report_delays(date, integer)', 'EXECUTE')";

static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params, int cols,
                     char *errbuf, size_t errlen)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        load_error(errbuf, errlen, "alert counts query failed", PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    if (PQnfields(res) != cols) {
        snprintf(errbuf, errlen, "alert counts query returned %d columns", PQnfields(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

/* 1: the schema keeps the alerts' counts, 0: it does not, -1: error. */
static int has_kept(PGconn *conn, char *errbuf, size_t errlen)
{
    PGresult *res = run(conn, has_kept_sql, 0, NULL, 1, errbuf, errlen);
    int kept;

    if (res == NULL)
        return -1;
    kept = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return kept;
}

int load_today(PGconn *conn, int32_t *today, char *errbuf, size_t errlen)
{
    PGresult *res = run(conn, "SELECT (now() AT TIME ZONE 'UTC')::date - date '1970-01-01'", 0,
                        NULL, 1, errbuf, errlen);
    int64_t v;
    int rc = -1;

    if (res == NULL)
        return -1;
    if (PQntuples(res) != 1 || load_parse_int(PQgetvalue(res, 0, 0), &v) != 0)
        snprintf(errbuf, errlen, "bad answer to the date query");
    else {
        *today = (int32_t)v;
        rc = 0;
    }
    PQclear(res);
    return rc;
}

int load_alert_delays(PGconn *conn, int32_t as_of, load_delays_t *delays, char *errbuf,
                      size_t errlen)
{
    char day[11], cap[16];
    const char *params[2] = {day, cap};
    PGresult *res;
    int rc = -1, kept;

    memset(delays, 0, sizeof(*delays));
    civil_format(as_of, day);
    snprintf(cap, sizeof(cap), "%d", LOAD_DELAY_HORIZON);
    if ((kept = has_kept(conn, errbuf, errlen)) < 0 ||
        (res = run(conn, kept ? kept_delays_sql : delays_sql, 2, params, 2, errbuf, errlen)) ==
            NULL)
        return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t a, n;
        if (load_parse_int(PQgetvalue(res, r, 0), &a) != 0 ||
            load_parse_count(PQgetvalue(res, r, 1), &n) != 0 || a < 0 || a >= LOAD_DELAY_BINS) {
            snprintf(errbuf, errlen, "bad delay row %d", r);
            goto out;
        }
        delays->hist[a] += n;
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

int load_alert_counts(PGconn *conn, const char *from, const char *to, int report_days,
                      cube_t *cube, const weekly_t *weekly, weekly_t *counted, char *errbuf,
                      size_t errlen)
{
    char types[512], days[16];
    const char *params[4] = {from && from[0] ? from : NULL, to && to[0] ? to : NULL, types, days};
    size_t nw = weekly->n_weeks;
    PGresult *res = NULL;
    int rc = -1, kept;

    if (!weekly_init(counted, weekly->first_week, nw)) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    if (nw == 0)
        return 0;
    if ((kept = has_kept(conn, errbuf, errlen)) < 0)
        return -1;
    if (kept) {
        /* Every case, less those known later than D (rows of n < 0 below). */
        memcpy(counted->counts, weekly->counts, weekly_size(nw) * sizeof(*counted->counts));
    } else {
        /* The treatments are the weekly series' (every treatment counts). */
        for (size_t slot = 0; slot <= CUBE_MAX_DEVICES; slot++) {
            for (int st = 0; st < CUBE_SETTINGS; st++) {
                for (size_t w = 0; w < nw; w++) {
                    size_t at = weekly_at(nw, slot, st, WEEKLY_TREATMENTS, w);
                    counted->counts[at] = weekly->counts[at];
                }
            }
        }
    }
    load_types_array(types, sizeof(types));
    snprintf(days, sizeof(days), "%d", report_days);
    if ((res = run(conn, kept ? kept_late_sql : counts_sql, 4, params, 5, errbuf, errlen)) ==
        NULL)
        goto out;
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t monday, ordinal, n;
        int st = cube_setting_index(PQgetvalue(res, r, 2)), d;
        if (load_parse_int(PQgetvalue(res, r, 0), &monday) != 0 ||
            load_parse_int(PQgetvalue(res, r, 3), &ordinal) != 0 ||
            load_parse_count(PQgetvalue(res, r, 4), &n) != 0 || ordinal < 0 ||
            ordinal >= CUBE_COMPLICATIONS || (st != CUBE_SETTING_HOME && st != CUBE_SETTING_CLINIC)) {
            snprintf(errbuf, errlen, "bad alert count row %d", r);
            goto out;
        }
        if ((d = cube_device_index(cube, PQgetvalue(res, r, 1), errbuf, errlen)) < 0)
            goto out;
        if (monday < counted->first_week ||
            (size_t)((monday - counted->first_week) / 7) >= nw)
            continue; /* cannot happen: the weeks span the window's treatments */
        weekly_add(counted, (size_t)d, st, (int)ordinal,
                   (size_t)((monday - counted->first_week) / 7), kept ? -n : n);
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

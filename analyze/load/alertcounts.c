/*
 * alertcounts.c - the reporting delays and the weekly cases counted within
 * D days (see alertcounts.h).
 *
 * The statements scan the current complication reports joined to their
 * treatments (PostgreSQL aggregates: a few thousand rows come back). Per
 * treatment and type, "known" is the earliest coalesce(reported_at,
 * ingested_at) of its current reports of that type; "any" is counted per
 * treatment, over every type (as the cube counts it).
 */
#include "load/alertcounts.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "load/pg.h"

/* Columns: kind, a, b, n. kind 'delay': a = the delay in days (capped at
 * $4), n cases; kind 'span': a, b = the window's first and last treated_on
 * (days since 1970-01-01, NULL when empty), n treatments. */
static const char delays_sql[] =
    "WITH k AS (\n"
    "    SELECT treatment_id, type, min(coalesce(reported_at, ingested_at)) AS known\n"
    "    FROM needlewatch.complications GROUP BY 1, 2\n"
    "), t AS (\n"
    "    SELECT treated_on FROM needlewatch.treatments\n"
    "    WHERE treated_on BETWEEN coalesce($1::date, '-infinity')\n"
    "                         AND coalesce($2::date, 'infinity')\n"
    ")\n"
    "SELECT 'delay' AS kind,\n"
    "       least(greatest((k.known AT TIME ZONE 'UTC')::date - tr.treated_on, 0), $4::int) AS a,\n"
    "       NULL::integer AS b, count(*) AS n\n"
    "FROM k JOIN needlewatch.treatments tr ON tr.report_id = k.treatment_id\n"
    "WHERE tr.treated_on <= $3::date - $4::int AND (k.known AT TIME ZONE 'UTC')::date <= $3::date\n"
    "GROUP BY 2\n"
    "UNION ALL\n"
    "SELECT 'span', min(treated_on) - date '1970-01-01', max(treated_on) - date '1970-01-01',\n"
    "       count(*)\n"
    "FROM t\n";

/* Columns: monday (days since 1970-01-01), device_type, setting, ordinal
 * (0: any), n. */
static const char counts_sql[] =
    "WITH t AS (\n"
    "    SELECT report_id, device_type, setting, treated_on,\n"
    "           (treated_on - date '1970-01-01') - (extract(isodow FROM treated_on)::int - 1)\n"
    "               AS monday\n"
    "    FROM needlewatch.treatments\n"
    "    WHERE treated_on BETWEEN coalesce($1::date, '-infinity')\n"
    "                         AND coalesce($2::date, 'infinity')\n"
    "), k AS (\n"
    "    SELECT treatment_id, coalesce(array_position($3::text[], type), -1) AS ordinal,\n"
    "           min(coalesce(reported_at, ingested_at)) AS known\n"
    "    FROM needlewatch.complications GROUP BY 1, 2\n"
    "), e AS (\n"
    "    -- the cases counted within D days\n"
    "    SELECT t.report_id, t.monday, t.device_type, t.setting, k.ordinal\n"
    "    FROM k JOIN t ON t.report_id = k.treatment_id\n"
    "    WHERE (k.known AT TIME ZONE 'UTC')::date - t.treated_on <= $4::int\n"
    ")\n"
    "SELECT monday, device_type, setting, ordinal, count(*) AS n\n"
    "FROM e WHERE ordinal > 0 GROUP BY 1, 2, 3, 4\n"
    "UNION ALL\n"
    "SELECT monday, device_type, setting, 0, count(DISTINCT report_id)\n"
    "FROM e GROUP BY 1, 2, 3\n";

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

int load_alert_delays(PGconn *conn, const char *from, const char *to, int32_t as_of,
                      load_delays_t *delays, char *errbuf, size_t errlen)
{
    char day[11], cap[16];
    const char *params[4] = {from && from[0] ? from : NULL, to && to[0] ? to : NULL, day, cap};
    PGresult *res;
    int rc = -1;

    memset(delays, 0, sizeof(*delays));
    civil_format(as_of, day);
    snprintf(cap, sizeof(cap), "%d", LOAD_DELAY_HORIZON);
    if ((res = run(conn, delays_sql, 4, params, 4, errbuf, errlen)) == NULL)
        return -1;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *kind = PQgetvalue(res, r, 0);
        int64_t a = 0, b = 0, n;
        if (load_parse_count(PQgetvalue(res, r, 3), &n) != 0 ||
            (!PQgetisnull(res, r, 1) && load_parse_int(PQgetvalue(res, r, 1), &a) != 0) ||
            (!PQgetisnull(res, r, 2) && load_parse_int(PQgetvalue(res, r, 2), &b) != 0)) {
            snprintf(errbuf, errlen, "bad number in delay row %d", r);
            goto out;
        }
        if (strcmp(kind, "delay") == 0) {
            if (a < 0 || a >= LOAD_DELAY_BINS) {
                snprintf(errbuf, errlen, "bad delay in delay row %d", r);
                goto out;
            }
            delays->hist[a] += n;
        } else if (strcmp(kind, "span") == 0) {
            delays->treatments = n;
            delays->first_day = (int32_t)a;
            delays->last_day = (int32_t)b;
        }
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
    int rc = -1;

    if (!weekly_init(counted, weekly->first_week, nw)) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    if (nw == 0)
        return 0;
    /* The treatments are the weekly series' (every treatment counts). */
    for (size_t slot = 0; slot <= CUBE_MAX_DEVICES; slot++) {
        for (int st = 0; st < CUBE_SETTINGS; st++) {
            for (size_t w = 0; w < nw; w++) {
                size_t at = weekly_at(nw, slot, st, WEEKLY_TREATMENTS, w);
                counted->counts[at] = weekly->counts[at];
            }
        }
    }
    load_types_array(types, sizeof(types));
    snprintf(days, sizeof(days), "%d", report_days);
    if ((res = run(conn, counts_sql, 4, params, 5, errbuf, errlen)) == NULL)
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
                   (size_t)((monday - counted->first_week) / 7), n);
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

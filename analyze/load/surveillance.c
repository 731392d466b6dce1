/*
 * surveillance.c - weekly and per-model counts for signal detection (see
 * surveillance.h).
 *
 * Every row has the shape of needlewatch.kept_surveillance() (sql/008):
 * (kind, monday, device_type, setting, manufacturer, model, ordinal, n),
 * where ordinal is always a complication type's position in $3 (0 = "any"):
 *   weekt   n treatments of (week, device_type, setting); ordinal 0
 *   weekc   n cases of type `ordinal` (0: of any type) of that week
 *   report  n current complication reports of type `ordinal` on the
 *           window's treatments of (device_type, manufacturer, model)
 * Where the schema keeps counts (sql/repeatable/30_kept.sql) the rows
 * come from kept_surveillance(), which
 * reads the kept day-cells and per-model counts and scans no report.
 * Otherwise (an older schema, or a role without EXECUTE on it) scan_sql
 * counts the same rows from the views. A few thousand rows at most.
 */
#include "load/surveillance.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "load/pg.h"

static const char scan_sql[] =
    "WITH t AS (\n"
    "    SELECT report_id, device_type, setting, manufacturer, model,\n"
    "           (treated_on - date '1970-01-01') - (extract(isodow FROM treated_on)::int - 1)\n"
    "               AS monday\n"
    "    FROM needlewatch.treatments\n"
    "    WHERE treated_on BETWEEN coalesce($1::date, '-infinity')\n"
    "                         AND coalesce($2::date, 'infinity')\n"
    "), c AS (\n"
    "    -- one row per treatment and type it is a case of (-1: not in $3)\n"
    "    SELECT DISTINCT treatment_id, coalesce(array_position($3::text[], type), -1) AS ordinal\n"
    "    FROM needlewatch.complications\n"
    ")\n"
    "SELECT 'weekt' AS kind, monday, device_type, setting, NULL::text AS manufacturer,\n"
    "       NULL::text AS model, 0 AS ordinal, count(*) AS n\n"
    "FROM t GROUP BY 2, 3, 4\n"
    "UNION ALL\n"
    "SELECT 'weekc', t.monday, t.device_type, t.setting, NULL, NULL, c.ordinal, count(*)\n"
    "FROM t JOIN c ON c.treatment_id = t.report_id GROUP BY 2, 3, 4, 7\n"
    "UNION ALL\n"
    "SELECT 'weekc', t.monday, t.device_type, t.setting, NULL, NULL, 0, count(*)\n"
    "FROM t WHERE t.report_id IN (SELECT treatment_id FROM c) GROUP BY 2, 3, 4\n"
    "UNION ALL\n"
    "SELECT 'report', NULL, t.device_type, NULL, t.manufacturer, t.model,\n"
    "       coalesce(array_position($3::text[], cm.type), 0), count(*)\n"
    "FROM needlewatch.complications cm JOIN t ON t.report_id = cm.treatment_id\n"
    "GROUP BY 3, 5, 6, 7\n";

static const char kept_sql[] =
    "SELECT kind, monday, device_type, setting, manufacturer, model, ordinal, n\n"
    "FROM needlewatch.kept_surveillance($1::date, $2::date, $3::text[])\n";

static const char has_kept_sql[] =
    "SELECT to_regprocedure('needlewatch.kept_surveillance(date, date, text[])') IS NOT NULL\n"
    "   AND has_function_privilege('needlewatch.kept_surveillance(date, date, text[])',\n"
    "                              'EXECUTE')";

enum { COL_KIND, COL_MONDAY, COL_DEVICE, COL_SETTING, COL_MANUFACTURER, COL_MODEL, COL_ORDINAL,
       COL_N, N_COLS };

typedef enum { ROW_WEEKT, ROW_WEEKC, ROW_REPORT, ROW_OTHER } row_kind_t;

static row_kind_t row_kind(const PGresult *res, int r)
{
    const char *kind = PQgetvalue(res, r, COL_KIND);
    return strcmp(kind, "weekt") == 0    ? ROW_WEEKT
           : strcmp(kind, "weekc") == 0  ? ROW_WEEKC
           : strcmp(kind, "report") == 0 ? ROW_REPORT
                                         : ROW_OTHER;
}

/* Runs the kept or the scanning statement. NULL with the reason in errbuf. */
static PGresult *run_query(PGconn *conn, const char *const params[3], char *errbuf,
                           size_t errlen)
{
    PGresult *res = PQexec(conn, has_kept_sql);
    bool kept;

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        snprintf(errbuf, errlen, "surveillance query failed: %s", PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    kept = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    res = PQexecParams(conn, kept ? kept_sql : scan_sql, 3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errlen, "surveillance query failed: %s", PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    if (PQnfields(res) != N_COLS) {
        snprintf(errbuf, errlen, "surveillance query returned %d columns", PQnfields(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

/* The weeks of the window: from the Monday of from (or of the first week
 * with a treatment) to the Monday of to (or of the last); none when no
 * treatment is in the window. */
static int allocate_weeks(const PGresult *res, const char *from, const char *to,
                          weekly_t *weekly, char *errbuf, size_t errlen)
{
    int64_t lo = INT32_MAX, hi = INT32_MIN;
    int32_t first, last, day;

    for (int r = 0; r < PQntuples(res); r++) {
        int64_t monday;
        if (row_kind(res, r) != ROW_WEEKT)
            continue;
        if (load_parse_int(PQgetvalue(res, r, COL_MONDAY), &monday) != 0) {
            snprintf(errbuf, errlen, "bad week in surveillance row %d", r);
            return -1;
        }
        lo = monday < lo ? monday : lo;
        hi = monday > hi ? monday : hi;
    }
    if (lo > hi)
        return weekly_init(weekly, 0, 0) ? 0 : -1;
    first = from && civil_parse(from, &day) == CIVIL_OK ? civil_monday(day) : (int32_t)lo;
    last = to && civil_parse(to, &day) == CIVIL_OK ? civil_monday(day) : (int32_t)hi;
    if ((last - first) / 7 + 1 > WEEKLY_MAX_WEEKS) {
        snprintf(errbuf, errlen, "the window spans more than %d weeks", WEEKLY_MAX_WEEKS);
        return -1;
    }
    if (!weekly_init(weekly, first, (size_t)((last - first) / 7 + 1))) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* A weekt or weekc row: n treatments, or n cases of one kind. */
static int add_week_row(const PGresult *res, int r, row_kind_t kind, int64_t ordinal, int64_t n,
                        size_t device, weekly_t *weekly, char *errbuf, size_t errlen)
{
    const char *setting = PQgetvalue(res, r, COL_SETTING);
    int st = cube_setting_index(setting);
    int64_t monday;

    if ((kind == ROW_WEEKT && ordinal != 0) ||
        (kind == ROW_WEEKC && (ordinal < 0 || ordinal >= CUBE_COMPLICATIONS))) {
        snprintf(errbuf, errlen, "bad mask or count in surveillance row %d", r);
        return -1;
    }
    if (st < 0) {
        snprintf(errbuf, errlen, "unexpected setting \"%s\" in surveillance row %d", setting, r);
        return -1;
    }
    if (load_parse_int(PQgetvalue(res, r, COL_MONDAY), &monday) != 0 ||
        monday < weekly->first_week ||
        (size_t)((monday - weekly->first_week) / 7) >= weekly->n_weeks)
        return 0; /* cannot happen: the span was taken from these rows */
    /* Ordinal 0 is CUBE_ANY, i the type of ordinal i. */
    weekly_add(weekly, device, st, kind == ROW_WEEKT ? WEEKLY_TREATMENTS : (int)ordinal,
               (size_t)((monday - weekly->first_week) / 7), n);
    return 0;
}

/* A report row: n reports of type `ordinal` on the device and pair. */
static int add_report_row(const PGresult *res, int r, int64_t ordinal, int64_t n, size_t device,
                          tally_t *tally, char *errbuf, size_t errlen)
{
    bool named = !PQgetisnull(res, r, COL_MANUFACTURER) && !PQgetisnull(res, r, COL_MODEL);

    if (ordinal < 1 || ordinal >= CUBE_COMPLICATIONS) {
        snprintf(errbuf, errlen, "bad type in surveillance row %d", r);
        return -1;
    }
    if (!tally_add(tally, device, named ? PQgetvalue(res, r, COL_MANUFACTURER) : NULL,
                   named ? PQgetvalue(res, r, COL_MODEL) : NULL, (int)ordinal, n)) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int add_row(const PGresult *res, int r, cube_t *cube, weekly_t *weekly, tally_t *tally,
                   char *errbuf, size_t errlen)
{
    row_kind_t kind = row_kind(res, r);
    int64_t ordinal, n;
    int d;

    if (load_parse_int(PQgetvalue(res, r, COL_ORDINAL), &ordinal) != 0 ||
        load_parse_int(PQgetvalue(res, r, COL_N), &n) != 0 || n < 0) {
        snprintf(errbuf, errlen, "bad mask or count in surveillance row %d", r);
        return -1;
    }
    d = cube_device_index(cube, PQgetvalue(res, r, COL_DEVICE), errbuf, errlen);
    if (d < 0)
        return -1;
    if (kind == ROW_WEEKT || kind == ROW_WEEKC)
        return add_week_row(res, r, kind, ordinal, n, (size_t)d, weekly, errbuf, errlen);
    if (kind == ROW_REPORT)
        return add_report_row(res, r, ordinal, n, (size_t)d, tally, errbuf, errlen);
    return 0;
}

int load_surveillance(PGconn *conn, const char *from, const char *to, cube_t *cube,
                      weekly_t *weekly, tally_t *tally, char *errbuf, size_t errlen)
{
    char types[512];
    const char *params[3] = {from && from[0] ? from : NULL, to && to[0] ? to : NULL, types};
    PGresult *res = NULL;
    int rc = -1;

    memset(weekly, 0, sizeof(*weekly));
    memset(tally, 0, sizeof(*tally));
    load_types_array(types, sizeof(types));
    res = run_query(conn, params, errbuf, errlen);
    if (res == NULL || allocate_weeks(res, params[0], params[1], weekly, errbuf, errlen) != 0)
        goto out;
    for (int r = 0; r < PQntuples(res); r++) {
        if (add_row(res, r, cube, weekly, tally, errbuf, errlen) != 0)
            goto out;
    }
    tally_sort(tally);
    rc = 0;
out:
    PQclear(res);
    return rc;
}

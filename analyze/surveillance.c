/*
 * surveillance.c - weekly and per-model counts for signal detection (see
 * surveillance.h).
 *
 * One statement. Where the schema keeps counts (sql/007_kept_surveillance.sql,
 * sql/008_kept_models.sql) it is needlewatch.kept_surveillance(), which reads
 * the kept day-cells and the kept per-model report counts, so the report
 * does not scan the reports: "weekt" rows give a week's treatments, "weekc"
 * rows its cases of any type (ordinal 0) or of one type. Otherwise (an older schema, or a
 * role without EXECUTE on it) the scan below: complications are folded per
 * treatment into a bit mask of their types, as in query.c; current
 * treatments in the window are grouped by (Monday of treated_on,
 * device_type, setting, mask): each "week" row adds n treatments to its
 * week, n cases to "any" when the mask is not 0 and n to each type whose
 * bit is set. Either way, current complication reports joined to those
 * treatments are counted by (device_type, manufacturer, model, type) in
 * "report" rows, where the "mask" column holds the type's ordinal 1..10.
 * Rows come back in a few thousand at most.
 */
#include "surveillance.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char sv_sql[] =
    "WITH c AS (\n"
    "    SELECT treatment_id,\n"
    "           bit_or(1::bigint << coalesce(array_position($3::text[], type), 0)) AS mask\n"
    "    FROM needlewatch.complications\n"
    "    GROUP BY treatment_id\n"
    "), t AS (\n"
    "    SELECT t.report_id, t.treated_on, t.setting, t.device_type, t.manufacturer, t.model,\n"
    "           coalesce(c.mask, 0) AS mask\n"
    "    FROM needlewatch.treatments t\n"
    "    LEFT JOIN c ON c.treatment_id = t.report_id\n"
    "    WHERE t.treated_on BETWEEN coalesce($1::date, '-infinity')\n"
    "                           AND coalesce($2::date, 'infinity')\n"
    ")\n"
    "SELECT 'week' AS kind, (t.treated_on - date '1970-01-01') - \n"
    "       (extract(isodow FROM t.treated_on)::int - 1) AS monday,\n"
    "       t.device_type, t.setting, NULL::text AS manufacturer, NULL::text AS model,\n"
    "       t.mask, count(*) AS n\n"
    "FROM t GROUP BY 2, 3, 4, 7\n"
    "UNION ALL\n"
    "SELECT 'report', NULL, t.device_type, NULL, t.manufacturer, t.model,\n"
    "       coalesce(array_position($3::text[], cm.type), 0), count(*)\n"
    "FROM needlewatch.complications cm JOIN t ON t.report_id = cm.treatment_id\n"
    "GROUP BY 3, 5, 6, 7\n";

static const char sv_kept_sql[] =
    "SELECT kind, monday, device_type, setting, manufacturer, model, ordinal, n\n"
    "FROM needlewatch.kept_surveillance($1::date, $2::date, $3::text[])\n";

static const char sv_has_kept_sql[] =
    "SELECT to_regprocedure('needlewatch.kept_surveillance(date, date, text[])') IS NOT NULL\n"
    "   AND has_function_privilege('needlewatch.kept_surveillance(date, date, text[])',\n"
    "                              'EXECUTE')";

enum { COL_KIND, COL_MONDAY, COL_DEVICE, COL_SETTING, COL_MANUFACTURER, COL_MODEL, COL_MASK,
       COL_N, N_COLS };

/* Days from civil (Howard Hinnant's algorithm), proleptic Gregorian. */
static int32_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void sv_date_string(int32_t z, char out[11])
{
    z += 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int y = yoe + era * 400;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int d = doy - (153 * mp + 2) / 5 + 1;
    int m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    char buf[48];
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, buf, 10);
    out[10] = '\0';
}

int sv_parse_date(const char *s, int32_t *days)
{
    int y, m, d;
    if (s == NULL || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    *days = days_from_civil(y, m, d);
    return 0;
}

void sv_iso_week(int32_t z, char out[9])
{
    int32_t thursday = z - (((z % 7) + 7 + 3) % 7) + 3;
    char date[11], buf[32];
    int y;
    sv_date_string(thursday, date);
    y = atoi(date);
    snprintf(buf, sizeof(buf), "%04d-W%02d", y % 10000,
             (int)((thursday - days_from_civil(y, 1, 1)) / 7 + 1));
    memcpy(out, buf, 8);
    out[8] = '\0';
}

/* The Monday on or before day z (1970-01-01 was a Thursday). */
static int32_t monday_of(int32_t z)
{
    int32_t wd = ((z % 7) + 7 + 3) % 7; /* 0 = Monday */
    return z - wd;
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

static void add_mask(int64_t *cases, int64_t mask, int64_t n)
{
    if (mask != 0)
        cases[CUBE_ANY] += n;
    for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
        if (mask & ((int64_t)1 << c))
            cases[c] += n;
    }
}

static int cmp_model(const void *a, const void *b)
{
    const sv_model_t *x = a, *y = b;
    int r = strcmp(x->manufacturer, y->manufacturer);
    return r != 0 ? r : strcmp(x->model, y->model);
}

static sv_model_t *find_model(sv_data_t *data, size_t *cap, const char *manufacturer,
                              const char *name)
{
    for (size_t i = 0; i < data->n_models; i++) {
        if (strcmp(data->models[i].manufacturer, manufacturer) == 0 &&
            strcmp(data->models[i].model, name) == 0)
            return &data->models[i];
    }
    if (data->n_models == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        sv_model_t *m = realloc(data->models, ncap * sizeof(*m));
        if (m == NULL)
            return NULL;
        data->models = m;
        *cap = ncap;
    }
    sv_model_t *m = &data->models[data->n_models];
    memset(m, 0, sizeof(*m));
    m->manufacturer = strdup(manufacturer);
    m->model = strdup(name);
    data->n_models++; /* counted first so surveillance_free() frees a partial pair */
    if (m->manufacturer == NULL || m->model == NULL)
        return NULL;
    return m;
}

int surveillance_load(PGconn *conn, const char *from, const char *to, cube_t *cube,
                      sv_data_t *data, char *errbuf, size_t errlen)
{
    char types[512];
    size_t o = 0, cap = 0;
    const char *params[3] = {from && from[0] ? from : NULL, to && to[0] ? to : NULL, types};
    PGresult *res = NULL;
    int32_t lo = INT32_MAX, hi = INT32_MIN, first, last;
    bool kept;
    int rc = -1;

    memset(data, 0, sizeof(*data));
    types[o++] = '{';
    for (int c = 1; c < CUBE_COMPLICATIONS; c++)
        o += (size_t)snprintf(types + o, sizeof(types) - o, "%s%s", c > 1 ? "," : "",
                              cube_complication_name(c));
    snprintf(types + o, sizeof(types) - o, "}");

    res = PQexec(conn, sv_has_kept_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        snprintf(errbuf, errlen, "surveillance query failed: %s", PQerrorMessage(conn));
        goto out;
    }
    kept = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    res = PQexecParams(conn, kept ? sv_kept_sql : sv_sql, 3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errlen, "surveillance query failed: %s", PQerrorMessage(conn));
        goto out;
    }
    if (PQnfields(res) != N_COLS) {
        snprintf(errbuf, errlen, "surveillance query returned %d columns", PQnfields(res));
        goto out;
    }
    /* Pass 1: the span of weeks. */
    for (int r = 0; r < PQntuples(res); r++) {
        int64_t monday;
        const char *kind = PQgetvalue(res, r, COL_KIND);
        if (strcmp(kind, "week") != 0 && strcmp(kind, "weekt") != 0)
            continue;
        if (parse_i64(PQgetvalue(res, r, COL_MONDAY), &monday) != 0) {
            snprintf(errbuf, errlen, "bad week in surveillance row %d", r);
            goto out;
        }
        if (monday < lo)
            lo = (int32_t)monday;
        if (monday > hi)
            hi = (int32_t)monday;
    }
    if (lo <= hi) {
        int32_t d;
        first = params[0] && sv_parse_date(params[0], &d) == 0 ? monday_of(d) : lo;
        last = params[1] && sv_parse_date(params[1], &d) == 0 ? monday_of(d) : hi;
        if ((last - first) / 7 + 1 > SV_MAX_WEEKS) {
            snprintf(errbuf, errlen, "the window spans more than %d weeks", SV_MAX_WEEKS);
            goto out;
        }
        data->first_week = first;
        data->n_weeks = (size_t)((last - first) / 7 + 1);
        data->treatments =
            calloc((CUBE_MAX_DEVICES + 1) * CUBE_SETTINGS * data->n_weeks, sizeof(int64_t));
        data->cases = calloc((CUBE_MAX_DEVICES + 1) * CUBE_SETTINGS * data->n_weeks *
                                 CUBE_COMPLICATIONS,
                             sizeof(int64_t));
        if (data->treatments == NULL || data->cases == NULL) {
            snprintf(errbuf, errlen, "out of memory");
            goto out;
        }
    }
    /* Pass 2: the counts. */
    for (int r = 0; r < PQntuples(res); r++) {
        const char *kind = PQgetvalue(res, r, COL_KIND);
        int64_t mask, n;
        int d;

        bool week = strcmp(kind, "week") == 0, weekt = strcmp(kind, "weekt") == 0,
             weekc = strcmp(kind, "weekc") == 0;

        if (parse_i64(PQgetvalue(res, r, COL_MASK), &mask) != 0 ||
            parse_i64(PQgetvalue(res, r, COL_N), &n) != 0 || n < 0 ||
            (week &&
             ((mask & 1) != 0 || mask < 0 || mask >= ((int64_t)1 << CUBE_COMPLICATIONS))) ||
            (weekt && mask != 0) || (weekc && (mask < 0 || mask >= CUBE_COMPLICATIONS))) {
            snprintf(errbuf, errlen, "bad mask or count in surveillance row %d", r);
            goto out;
        }
        d = cube_device_index(cube, PQgetvalue(res, r, COL_DEVICE), errbuf, errlen);
        if (d < 0)
            goto out;
        if (week || weekt || weekc) {
            int64_t monday = 0;
            int st = cube_setting_index(PQgetvalue(res, r, COL_SETTING));
            if (st < 0 || st == CUBE_SETTING_ALL) {
                snprintf(errbuf, errlen, "unexpected setting \"%s\" in surveillance row %d",
                         PQgetvalue(res, r, COL_SETTING), r);
                goto out;
            }
            if (parse_i64(PQgetvalue(res, r, COL_MONDAY), &monday) != 0 || monday < data->first_week || (size_t)((monday - data->first_week) / 7) >= data->n_weeks)
                continue; /* cannot happen: the span was taken from these rows */
            size_t w = (size_t)((monday - data->first_week) / 7);
            size_t slots[2] = {(size_t)d, CUBE_DEVICE_ALL};
            int sets[2] = {st, CUBE_SETTING_ALL};
            for (int i = 0; i < 2; i++) {
                for (int j = 0; j < 2; j++) {
                    size_t at = (slots[i] * CUBE_SETTINGS + (size_t)sets[j]) * data->n_weeks + w;
                    if (weekc) {
                        /* Ordinal 0 is CUBE_ANY, i the type of ordinal i. */
                        data->cases[at * CUBE_COMPLICATIONS + (size_t)mask] += n;
                        continue;
                    }
                    data->treatments[at] += n;
                    if (week)
                        add_mask(&data->cases[at * CUBE_COMPLICATIONS], mask, n);
                }
            }
        } else if (strcmp(kind, "report") == 0) {
            /* A report row: "mask" is the type's ordinal. */
            if (mask < 1 || mask >= CUBE_COMPLICATIONS) {
                snprintf(errbuf, errlen, "bad type in surveillance row %d", r);
                goto out;
            }
            data->reports[d][0] += n;
            data->reports[d][mask] += n;
            data->reports[CUBE_DEVICE_ALL][0] += n;
            data->reports[CUBE_DEVICE_ALL][mask] += n;
            if (PQgetisnull(res, r, COL_MANUFACTURER) || PQgetisnull(res, r, COL_MODEL)) {
                data->no_model_reports[0] += n;
                data->no_model_reports[mask] += n;
            } else {
                sv_model_t *m = find_model(data, &cap, PQgetvalue(res, r, COL_MANUFACTURER),
                                           PQgetvalue(res, r, COL_MODEL));
                if (m == NULL) {
                    snprintf(errbuf, errlen, "out of memory");
                    goto out;
                }
                m->reports[0] += n;
                m->reports[mask] += n;
            }
        }
    }
    if (data->n_models > 1)
        qsort(data->models, data->n_models, sizeof(*data->models), cmp_model);
    rc = 0;
out:
    PQclear(res);
    return rc;
}

void surveillance_free(sv_data_t *data)
{
    for (size_t i = 0; i < data->n_models; i++) {
        free(data->models[i].manufacturer);
        free(data->models[i].model);
    }
    free(data->models);
    free(data->treatments);
    free(data->cases);
    memset(data, 0, sizeof(*data));
}

int64_t sv_week_treatments(const sv_data_t *data, size_t slot, int setting, size_t week)
{
    return data->treatments[(slot * CUBE_SETTINGS + (size_t)setting) * data->n_weeks + week];
}

int64_t sv_week_cases(const sv_data_t *data, size_t slot, int setting, size_t week,
                      int complication)
{
    size_t at = (slot * CUBE_SETTINGS + (size_t)setting) * data->n_weeks + week;
    return data->cases[at * CUBE_COMPLICATIONS + (size_t)complication];
}

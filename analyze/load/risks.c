/*
 * risks.c - the risks' reads (see risks.h).
 *
 * One statement per read. kept_risks($from, $to, $as_of, $horizons) gives,
 * per horizon and cell (device_type, setting, fitzpatrick), the eligible
 * treatments, and the cases within the horizon, the serious ones and those
 * resting on a missing onset, of any type and per type (arrays by catalogue
 * ordinal, listed here in $5's order, the cube's). The change's periods are
 * the same function over each period's window, summed over the cells.
 */
#include "load/risks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/pg.h"

#define TYPES_ARRAY(col)                                                                      \
    "       ARRAY(SELECT coalesce(k." col "[ty.ordinal], 0)\n"                               \
    "             FROM unnest($5::text[]) WITH ORDINALITY AS u (complication, i)\n"          \
    "             LEFT JOIN needlewatch.complication_types ty\n"                              \
    "                    ON ty.complication = u.complication\n"                               \
    "             ORDER BY u.i)"

static const char risks_sql[] =
    "SELECT k.horizon, k.device_type, k.setting, k.fitzpatrick, k.treatments,\n"
    "       k.cases_any,\n" TYPES_ARRAY("cases") ",\n"
    "       k.serious_any,\n" TYPES_ARRAY("serious") ",\n"
    "       k.missing_any,\n" TYPES_ARRAY("missing") "\n"
    "FROM needlewatch.kept_risks($1::date, $2::date, $3::date, $4::integer[]) k\n";

static const char period_sql[] =
    "SELECT coalesce(sum(k.treatments), 0), coalesce(sum(k.serious_any), 0)\n"
    "FROM needlewatch.kept_risks($1::date, $2::date, $3::date, ARRAY[$4::integer]) k\n";

enum { COL_HORIZON, COL_DEVICE, COL_SETTING, COL_FITZPATRICK, COL_TREATMENTS, COL_CASES_ANY,
       COL_CASES, COL_SERIOUS_ANY, COL_SERIOUS, COL_MISSING_ANY, COL_MISSING, N_COLS };

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params,
                       int cols, char *errbuf, size_t errlen)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        load_error(errbuf, errlen, "query failed", primary ? primary : PQerrorMessage(conn));
        if (state != NULL && strcmp(state, "42883") == 0) {
            size_t used = strlen(errbuf);
            snprintf(errbuf + used, errlen - used,
                     " (needlewatch.kept_risks comes with sql/014_risks.sql: "
                     "needlewatch-ingest applies sql/ at start, or docker/migrate.sh)");
        }
        PQclear(res);
        return NULL;
    }
    if (PQnfields(res) != cols) {
        snprintf(errbuf, errlen, "query returned %d columns, expected %d", PQnfields(res), cols);
        PQclear(res);
        return NULL;
    }
    return res;
}

/* The grid of a horizon, or NULL. */
static risk_grid_t *grid_of(risks_t *risks, int64_t horizon)
{
    for (size_t h = 0; h < risks->n_horizons; h++) {
        if (risks->grids[h].horizon == horizon)
            return &risks->grids[h];
    }
    return NULL;
}

static int read_row(PGresult *res, int row, cube_t *cube, risks_t *risks, char *errbuf,
                    size_t errlen)
{
    int64_t horizon, fitzpatrick = 0, n, any[3], types[3][CUBE_COMPLICATIONS - 1];
    static const int any_cols[3] = {COL_CASES_ANY, COL_SERIOUS_ANY, COL_MISSING_ANY};
    static const int type_cols[3] = {COL_CASES, COL_SERIOUS, COL_MISSING};
    risk_grid_t *grid;
    cube_cell_t *cell;
    int d, s, k;

    if (load_parse_count(PQgetvalue(res, row, COL_HORIZON), &horizon) != 0 ||
        load_parse_count(PQgetvalue(res, row, COL_TREATMENTS), &n) != 0 ||
        (!PQgetisnull(res, row, COL_FITZPATRICK) &&
         load_parse_count(PQgetvalue(res, row, COL_FITZPATRICK), &fitzpatrick) != 0)) {
        snprintf(errbuf, errlen, "bad risk counts in row %d", row);
        return -1;
    }
    for (int i = 0; i < 3; i++) {
        if (load_parse_count(PQgetvalue(res, row, any_cols[i]), &any[i]) != 0 ||
            load_parse_counts(PQgetvalue(res, row, type_cols[i]), types[i],
                              CUBE_COMPLICATIONS - 1) != 0) {
            snprintf(errbuf, errlen, "bad risk counts in row %d", row);
            return -1;
        }
    }
    grid = grid_of(risks, horizon);
    k = PQgetisnull(res, row, COL_FITZPATRICK) ? CUBE_SKIN_UNKNOWN
                                               : cube_skin_from_fitzpatrick((int)fitzpatrick);
    s = cube_setting_index(PQgetvalue(res, row, COL_SETTING));
    if (grid == NULL || k < 0 || (k == CUBE_SKIN_UNKNOWN && fitzpatrick != 0) || s < 0) {
        snprintf(errbuf, errlen, "unexpected risk row %d (horizon %lld)", row,
                 (long long)horizon);
        return -1;
    }
    d = cube_device_index(cube, PQgetvalue(res, row, COL_DEVICE), errbuf, errlen);
    if (d < 0)
        return -1;
    cell = &grid->cells[d][s][k];
    cell->treatments += n;
    cell->cases[CUBE_ANY] += any[0];
    cell->serious[CUBE_ANY] += any[1];
    cell->missing[CUBE_ANY] += any[2];
    for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
        cell->cases[c] += types[0][c - 1];
        cell->serious[c] += types[1][c - 1];
        cell->missing[c] += types[2][c - 1];
    }
    return 0;
}

static int load_period(PGconn *conn, const char *as_of, int horizon, risk_period_t *p,
                       char *errbuf, size_t errlen)
{
    char h[16];
    const char *params[4] = {p->from, p->to, as_of, h};
    PGresult *res;
    int rc = 0;

    if (p->from[0] == '\0')
        return 0;
    snprintf(h, sizeof(h), "%d", horizon);
    res = query(conn, period_sql, 4, params, 2, errbuf, errlen);
    if (res == NULL)
        return -1;
    if (PQntuples(res) != 1 || load_parse_count(PQgetvalue(res, 0, 0), &p->treatments) != 0 ||
        load_parse_count(PQgetvalue(res, 0, 1), &p->serious) != 0) {
        snprintf(errbuf, errlen, "bad serious counts of the period %s..%s", p->from, p->to);
        rc = -1;
    }
    PQclear(res);
    return rc;
}

int load_risks(PGconn *conn, const char *from, const char *to, cube_t *cube, risks_t *risks,
               char *errbuf, size_t errlen)
{
    char types[512], horizons[16 * RISKS_MAX_HORIZONS + 2];
    const char *params[5] = {from && from[0] ? from : NULL, to && to[0] ? to : NULL,
                             risks->as_of, horizons, types};
    risk_change_t *ch = &risks->change;
    PGresult *res;
    size_t used = 0;
    int rc = -1;

    load_types_array(types, sizeof(types));
    horizons[used++] = '{';
    for (size_t h = 0; h < risks->n_horizons; h++)
        used += (size_t)snprintf(horizons + used, sizeof(horizons) - used, "%s%d", h ? "," : "",
                                 risks->horizons[h]);
    snprintf(horizons + used, sizeof(horizons) - used, "}");
    res = query(conn, risks_sql, 5, params, N_COLS, errbuf, errlen);
    if (res == NULL)
        return -1;
    for (int row = 0; row < PQntuples(res); row++) {
        if (read_row(res, row, cube, risks, errbuf, errlen) != 0)
            goto out;
    }
    for (size_t h = 0; h < risks->n_horizons; h++)
        cube_cells_fill_margins(risks->grids[h].cells, cube->n_devices);
    if (risks->n_horizons > 0) {
        ch->horizon = risks->horizons[0];
        risks_periods(risks->as_of, ch->horizon, from, to, ch->recent.from, ch->recent.to,
                      ch->previous.from, ch->previous.to);
        if (load_period(conn, risks->as_of, ch->horizon, &ch->recent, errbuf, errlen) != 0 ||
            load_period(conn, risks->as_of, ch->horizon, &ch->previous, errbuf, errlen) != 0)
            goto out;
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

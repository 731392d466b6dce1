/*
 * counts.c - the load step's first read: the counts of the cube from
 * PostgreSQL, and --verify's recount of the kept counts (see counts.h).
 *
 * One pass over the current treatments. Complications are first folded per
 * treatment_id into a bit mask of their types (bit i = the i-th type of
 * cube.h, passed in as $3 so the list has one source) and a report count;
 * two reports of one type set one bit, so they make one case. Each current
 * treatment then joins its mask, and the statement groups by
 * (in window, device_type, setting, fitzpatrick, mask):
 *
 *   kind 'cell'   n treatments with exactly these types, and their reports
 *   kind 'complication_reports_all', 'quarantined'   n
 *
 * When the database keeps the counts (sql/repeatable/30_kept.sql: a rollup
 * folds each ingest commit into counts per day and cell, and the readers add
 * what it has not folded yet, so they are exact as of their snapshot),
 * nothing is scanned: needlewatch.kept_cube() and kept_totals give, per
 * (in window, device_type, setting, fitzpatrick), the treatments, the cases
 * of any complication, the reports, and the cases of each type, which the
 * statement (kept_sql) lists in $3's order ('cell' rows of kept_sql, columns
 * KCOL_*). Their size grows with days x cells, not with the reports. A
 * database without them (an older schema) is scanned.
 *
 * A few hundred rows come back whatever the table sizes. load_cube()
 * adds each 'cell' row's n to its base cell's treatments, to "any" when the
 * mask is not 0 and to every type whose bit is set: "any" is thus counted
 * per treatment, never summed from the types (a kept 'cell' row carries
 * those counts already, kept per treatment by the ingest). Reports on no
 * current treatment (unknown or withdrawn) are the orphans.
 */
#include "load/counts.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load/pg.h"

static const char cube_sql[] =
    "WITH c AS (\n"
    "    SELECT treatment_id,\n"
    "           bit_or(1::bigint << coalesce(array_position($3::text[], type), 0)) AS mask,\n"
    "           coalesce(bit_or(1::bigint << coalesce(array_position($3::text[], type), 0))\n"
    "                       FILTER (WHERE severity = 'severe' OR outcome = 'permanent'), 0)\n"
    "               AS serious_mask,\n"
    "           count(*) AS reports\n"
    "    FROM needlewatch.complications\n"
    "    GROUP BY treatment_id\n"
    ")\n"
    "SELECT 'cell' AS kind,\n"
    "       t.treated_on BETWEEN coalesce($1::date, '-infinity') AND coalesce($2::date, 'infinity')\n"
    "           AS in_window,\n"
    "       t.device_type, t.setting, t.fitzpatrick, coalesce(c.mask, 0) AS mask,\n"
    "       count(*) AS n, coalesce(sum(c.reports), 0) AS reports,\n"
    "       coalesce(c.serious_mask, 0) AS serious_mask\n"
    "FROM needlewatch.treatments t\n"
    "LEFT JOIN c ON c.treatment_id = t.report_id\n"
    "GROUP BY 2, 3, 4, 5, 6, 9\n"
    "UNION ALL\n"
    "SELECT 'complication_reports_all', NULL, NULL, NULL, NULL, NULL,\n"
    "       coalesce(sum(reports), 0), NULL, NULL FROM c\n"
    "UNION ALL\n"
    "SELECT 'quarantined', NULL, NULL, NULL, NULL, NULL, count(*), NULL, NULL\n"
    "FROM needlewatch.quarantine\n";

/* The kept counts, per cell already; kept_cube()'s cases[i] is the type of
 * ordinal i in needlewatch.complication_types, listed here in $3's order. A
 * type the analyzer does not list counts as unknown. */
static const char kept_sql[] =
    "SELECT 'cell' AS kind, k.in_window, k.device_type, k.setting, k.fitzpatrick,\n"
    "       ARRAY(SELECT coalesce(k.cases[ty.ordinal], 0)\n"
    "             FROM unnest($3::text[]) WITH ORDINALITY AS u (complication, i)\n"
    "             LEFT JOIN needlewatch.complication_types ty ON ty.complication = u.complication\n"
    "             ORDER BY u.i) AS cases,\n"
    "       k.treatments, k.reports, NULL AS serious_mask, k.cases_any,\n"
    "       k.unknown_type + (SELECT coalesce(sum(k.cases[ty.ordinal]), 0)\n"
    "                         FROM needlewatch.complication_types ty\n"
    "                         WHERE ty.ordinal > 0 AND ty.complication <> ALL ($3::text[]))\n"
    "           AS unknown,\n"
    "       k.serious_any,\n"
    "       ARRAY(SELECT coalesce(k.serious[ty.ordinal], 0)\n"
    "             FROM unnest($3::text[]) WITH ORDINALITY AS u (complication, i)\n"
    "             LEFT JOIN needlewatch.complication_types ty ON ty.complication = u.complication\n"
    "             ORDER BY u.i) AS serious\n"
    "FROM needlewatch.kept_cube($1::date, $2::date) k\n"
    "UNION ALL\n"
    "SELECT 'complication_reports_all', NULL, NULL, NULL, NULL, NULL, complication_reports,\n"
    "       NULL, NULL, NULL, NULL, NULL, NULL\n"
    "FROM needlewatch.kept_totals\n"
    "UNION ALL\n"
    "SELECT 'quarantined', NULL, NULL, NULL, NULL, NULL, quarantined, NULL, NULL, NULL, NULL,\n"
    "       NULL, NULL\n"
    "FROM needlewatch.kept_totals\n";

/* Whether the database keeps the counts. */
static const char has_kept_sql[] =
    "SELECT to_regprocedure('needlewatch.kept_cube(date, date)') IS NOT NULL";

enum {
    COL_KIND, COL_IN_WINDOW, COL_DEVICE, COL_SETTING, COL_FITZPATRICK, COL_MASK, COL_N,
    COL_REPORTS, COL_SERIOUS_MASK, N_COLS
};

/* kept_sql's columns: those of cube_sql, with the cases of each type where
 * the mask was (and no serious mask), then four more. */
enum { KCOL_CASES = COL_MASK, KCOL_ANY = N_COLS, KCOL_UNKNOWN, KCOL_SERIOUS_ANY, KCOL_SERIOUS,
       N_KCOLS };

/* The base cell of a 'cell' row, or NULL with the reason in errbuf. */
static cube_cell_t *row_cell(PGresult *res, int row, cube_t *cube, char *errbuf, size_t errlen)
{
    const char *device = PQgetvalue(res, row, COL_DEVICE);
    const char *setting = PQgetvalue(res, row, COL_SETTING);
    int d, s, k = CUBE_SKIN_UNKNOWN;

    if (!PQgetisnull(res, row, COL_FITZPATRICK)) {
        const char *fitzpatrick = PQgetvalue(res, row, COL_FITZPATRICK);
        /* 1..6 only: 0 would mean unknown, which is NULL in the table. */
        k = strlen(fitzpatrick) == 1 ? cube_skin_from_fitzpatrick(fitzpatrick[0] - '0') : -1;
        if (k < 0 || k == CUBE_SKIN_UNKNOWN) {
            snprintf(errbuf, errlen, "unexpected fitzpatrick value %s", fitzpatrick);
            return NULL;
        }
    }
    d = cube_device_index(cube, device, errbuf, errlen);
    if (d < 0)
        return NULL;
    s = cube_setting_index(setting);
    if (s < 0) {
        snprintf(errbuf, errlen, "unexpected setting \"%s\" (expected home or clinic)", setting);
        return NULL;
    }
    return cube_cell(cube, (size_t)d, s, k);
}

/* Sums of the 'cell' rows that are not cube counts. */
typedef struct {
    int64_t reports_in_window;
    int64_t reports_on_treatments;
} report_sums_t;

static int read_cell_row(PGresult *res, int row, cube_t *cube, int64_t n, report_sums_t *sums,
                         char *errbuf, size_t errlen)
{
    int64_t mask, reports, serious;
    cube_cell_t *cell;

    if (load_parse_count(PQgetvalue(res, row, COL_MASK), &mask) != 0 ||
        load_parse_count(PQgetvalue(res, row, COL_REPORTS), &reports) != 0 ||
        load_parse_count(PQgetvalue(res, row, COL_SERIOUS_MASK), &serious) != 0) {
        snprintf(errbuf, errlen, "bad mask or report count in row %d", row);
        return -1;
    }
    if ((mask & 1) != 0 || mask >= ((int64_t)1 << CUBE_COMPLICATIONS) || (serious & ~mask) != 0) {
        snprintf(errbuf, errlen,
                 "a complication has a type this analyzer does not know "
                 "(is it older than the schema?)");
        return -1;
    }
    sums->reports_on_treatments += reports;
    if (strcmp(PQgetvalue(res, row, COL_IN_WINDOW), "t") != 0)
        return 0;
    sums->reports_in_window += reports;
    cell = row_cell(res, row, cube, errbuf, errlen);
    if (cell == NULL)
        return -1;
    cell->treatments += n;
    if (mask != 0)
        cell->cases[CUBE_ANY] += n;
    if (serious != 0)
        cell->serious[CUBE_ANY] += n;
    for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
        if (mask & ((int64_t)1 << c))
            cell->cases[c] += n;
        if (serious & ((int64_t)1 << c))
            cell->serious[c] += n;
    }
    return 0;
}

/* A 'cell' row of kept_sql: n treatments, cases of any and of each type. */
static int read_kept_row(PGresult *res, int row, cube_t *cube, int64_t n, report_sums_t *sums,
                         char *errbuf, size_t errlen)
{
    int64_t cases[CUBE_COMPLICATIONS - 1], serious[CUBE_COMPLICATIONS - 1];
    int64_t any, serious_any, reports, unknown;
    cube_cell_t *cell;

    if (load_parse_count(PQgetvalue(res, row, COL_REPORTS), &reports) != 0 ||
        load_parse_count(PQgetvalue(res, row, KCOL_ANY), &any) != 0 ||
        load_parse_count(PQgetvalue(res, row, KCOL_UNKNOWN), &unknown) != 0 ||
        load_parse_count(PQgetvalue(res, row, KCOL_SERIOUS_ANY), &serious_any) != 0 ||
        load_parse_counts(PQgetvalue(res, row, KCOL_CASES), cases, CUBE_COMPLICATIONS - 1) != 0 ||
        load_parse_counts(PQgetvalue(res, row, KCOL_SERIOUS), serious,
                          CUBE_COMPLICATIONS - 1) != 0) {
        snprintf(errbuf, errlen, "bad kept counts in row %d", row);
        return -1;
    }
    if (unknown != 0) {
        snprintf(errbuf, errlen,
                 "a complication has a type this analyzer does not know "
                 "(is it older than the schema?)");
        return -1;
    }
    sums->reports_on_treatments += reports;
    if (strcmp(PQgetvalue(res, row, COL_IN_WINDOW), "t") != 0)
        return 0;
    sums->reports_in_window += reports;
    cell = row_cell(res, row, cube, errbuf, errlen);
    if (cell == NULL)
        return -1;
    cell->treatments += n;
    cell->cases[CUBE_ANY] += any;
    cell->serious[CUBE_ANY] += serious_any;
    for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
        cell->cases[c] += cases[c - 1];
        cell->serious[c] += serious[c - 1];
    }
    return 0;
}

static int read_row(PGresult *res, int row, cube_t *cube, bool kept, report_sums_t *sums,
                    char *errbuf, size_t errlen)
{
    const char *kind = PQgetvalue(res, row, COL_KIND);
    int64_t n;

    if (load_parse_count(PQgetvalue(res, row, COL_N), &n) != 0) {
        snprintf(errbuf, errlen, "bad count \"%s\"", PQgetvalue(res, row, COL_N));
        return -1;
    }
    if (strcmp(kind, "cell") == 0)
        return kept ? read_kept_row(res, row, cube, n, sums, errbuf, errlen)
                    : read_cell_row(res, row, cube, n, sums, errbuf, errlen);
    if (strcmp(kind, "complication_reports_all") == 0)
        cube->totals.complication_reports_all = n;
    else if (strcmp(kind, "quarantined") == 0)
        cube->totals.quarantined = n;
    else {
        snprintf(errbuf, errlen, "unexpected row kind \"%s\"", kind);
        return -1;
    }
    return 0;
}

/* Every base cell must have at least as many treatments as cases. */
static int check_cube(const cube_t *cube, char *errbuf, size_t errlen)
{
    for (size_t d = 0; d < cube->n_devices; d++) {
        for (int s = 0; s < CUBE_SETTING_ALL; s++) {
            for (int k = 0; k < CUBE_SKIN_ALL; k++) {
                const cube_cell_t *cell = cube_cell_const(cube, d, s, k);
                for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
                    if (cell->cases[c] > cell->treatments ||
                        cell->cases[c] > cell->cases[CUBE_ANY] ||
                        cell->serious[c] > cell->cases[c] ||
                        cell->serious[c] > cell->serious[CUBE_ANY]) {
                        snprintf(errbuf, errlen,
                                 "inconsistent counts for %s/%s/%s/%s: %lld cases of %lld treatments",
                                 cube_device_name(cube, d), cube_setting_name(s),
                                 cube_skin_name(k), cube_complication_name(c),
                                 (long long)cell->cases[c], (long long)cell->treatments);
                        return -1;
                    }
                }
            }
        }
    }
    return 0;
}

int load_cube(PGconn *conn, const char *from, const char *to, cube_t *cube, char *errbuf,
              size_t errlen)
{
    char types[512];
    const char *params[3] = {from && from[0] ? from : NULL, to && to[0] ? to : NULL, types};
    report_sums_t sums = {0, 0};
    PGresult *res = NULL;
    bool kept = false;
    int rc = -1;

    load_types_array(types, sizeof(types));
    res = PQexec(conn, has_kept_sql);
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        kept = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
        PQclear(res);
        res = PQexecParams(conn, kept ? kept_sql : cube_sql, 3, NULL, params, NULL, NULL, 0);
    }
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        load_error(errbuf, errlen, "query failed", primary ? primary : PQerrorMessage(conn));
        if (state != NULL && strcmp(state, "42P01") == 0) {
            size_t used = strlen(errbuf);
            snprintf(errbuf + used, errlen - used,
                     " (is the needlewatch schema installed? needlewatch-ingest applies "
                     "sql/*.sql at start, or load them with psql)");
        }
        goto out;
    }
    if (PQnfields(res) != (kept ? N_KCOLS : N_COLS)) {
        snprintf(errbuf, errlen, "query returned %d columns, expected %d", PQnfields(res),
                 kept ? N_KCOLS : N_COLS);
        goto out;
    }
    for (int row = 0; row < PQntuples(res); row++) {
        if (read_row(res, row, cube, kept, &sums, errbuf, errlen) != 0)
            goto out;
    }
    if (check_cube(cube, errbuf, errlen) != 0)
        goto out;
    cube_fill_margins(cube);
    cube->totals.treatments =
        cube_cell_const(cube, CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments;
    cube->totals.complication_reports = sums.reports_in_window;
    cube->totals.orphan_complications =
        cube->totals.complication_reports_all - sums.reports_on_treatments;
    if (cube->totals.orphan_complications < 0) {
        snprintf(errbuf, errlen, "inconsistent report counts");
        goto out;
    }
    rc = 0;
out:
    PQclear(res);
    return rc;
}

/* Prints "kind key: kept K, actual A" (a side missing: "-"). */
static int print_difference(FILE *out, PGresult *res, int row)
{
    const char *const cols[4] = {PQgetvalue(res, row, 0), PQgetvalue(res, row, 1),
                                 PQgetisnull(res, row, 2) ? "-" : PQgetvalue(res, row, 2),
                                 PQgetisnull(res, row, 3) ? "-" : PQgetvalue(res, row, 3)};
    return fprintf(out, "%s %s: kept %s, actual %s\n", cols[0], cols[1], cols[2], cols[3]) < 0
               ? -1 : 0;
}

int load_verify_kept(PGconn *conn, FILE *out, int64_t *cells, int64_t *differences,
                     char *errbuf, size_t errlen)
{
    static const char *const steps[] = {
        "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        "SELECT count(*) FROM needlewatch.kept_cells",
        "SELECT kind, key, kept, actual FROM needlewatch.kept_cells_check()",
        "COMMIT",
    };
    PGresult *res = NULL;
    int rc = -1;

    *cells = *differences = 0;
    res = PQexec(conn, has_kept_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        load_error(errbuf, errlen, "query failed", PQerrorMessage(conn));
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        snprintf(errbuf, errlen,
                 "this database keeps no counts to verify (sql/012_rollups.sql is not "
                 "applied; needlewatch-ingest applies sql/*.sql at start)");
        goto out;
    }
    /* One snapshot for the count and the check. */
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        PQclear(res);
        res = PQexec(conn, steps[i]);
        if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
            const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            load_error(errbuf, errlen, "query failed", primary ? primary : PQerrorMessage(conn));
            goto out;
        }
        if (i == 1 && load_parse_count(PQgetvalue(res, 0, 0), cells) != 0) {
            snprintf(errbuf, errlen, "bad cell count \"%s\"", PQgetvalue(res, 0, 0));
            goto out;
        }
        if (i == 2) {
            if (PQnfields(res) != 4) {
                snprintf(errbuf, errlen, "kept_cells_check() returned %d columns, expected 4",
                         PQnfields(res));
                goto out;
            }
            for (int row = 0; row < PQntuples(res); row++) {
                if (print_difference(out, res, row) != 0) {
                    snprintf(errbuf, errlen, "cannot write the differences");
                    goto out;
                }
            }
            *differences = PQntuples(res);
        }
    }
    rc = 0;
out:
    PQclear(res);
    if (rc != 0 && PQtransactionStatus(conn) != PQTRANS_IDLE)
        PQclear(PQexec(conn, "ROLLBACK"));
    return rc;
}

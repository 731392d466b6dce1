/*
 * quality.c - the data-quality reads (see quality.h). Three statements, a
 * few dozen rows in all.
 */
#include "load/quality.h"

#include <stdio.h>
#include <string.h>

#include "load/pg.h"

static const char quality_sql[] =
    "SELECT kind, ordinal, label, n FROM needlewatch.kept_quality($1::date, $2::date)";
static const char latest_sql[] =
    "SELECT kind, latest::text FROM needlewatch.kept_latest_reports()";
static const char reasons_sql[] = "SELECT reason, n FROM needlewatch.quarantine_reasons()";

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params,
                       int cols, char *errbuf, size_t errlen)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);

    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        load_error(errbuf, errlen, "query failed", primary ? primary : PQerrorMessage(conn));
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

static int read_count(quality_t *q, const char *kind, PGresult *res, int row)
{
    static const struct {
        const char *kind;
        size_t offset;
    } fields[] = {
        {"treatments", offsetof(quality_t, treatments)},
        {"unknown_skin", offsetof(quality_t, unknown_skin)},
        {"no_model", offsetof(quality_t, no_model)},
        {"reports", offsetof(quality_t, reports)},
        {"reports_no_onset", offsetof(quality_t, reports_no_onset)},
    };
    int64_t n, ordinal;

    if (load_parse_count(PQgetvalue(res, row, 3), &n) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(kind, fields[i].kind) == 0) {
            *(int64_t *)((char *)q + fields[i].offset) = n;
            return 0;
        }
    }
    if (strcmp(kind, "lag_treatments") != 0 && strcmp(kind, "lag_reports") != 0)
        return -1;
    if (load_parse_count(PQgetvalue(res, row, 1), &ordinal) != 0 || ordinal < 1 ||
        ordinal > QUALITY_MAX_BUCKETS)
        return -1;
    quality_bucket_t *b = &q->buckets[ordinal - 1];
    if ((size_t)ordinal > q->n_buckets)
        q->n_buckets = (size_t)ordinal;
    snprintf(b->label, sizeof(b->label), "%s", PQgetvalue(res, row, 2));
    if (kind[4] == 't')
        b->treatments = n;
    else
        b->reports = n;
    return 0;
}

int load_quality(PGconn *conn, const char *from, const char *to, quality_t *quality,
                 char *errbuf, size_t errlen)
{
    const char *params[2] = {from && from[0] ? from : NULL, to && to[0] ? to : NULL};
    PGresult *res = NULL;
    int rc = -1;

    memset(quality, 0, sizeof(*quality));
    if ((res = query(conn, quality_sql, 2, params, 4, errbuf, errlen)) == NULL)
        return -1;
    for (int row = 0; row < PQntuples(res); row++) {
        if (read_count(quality, PQgetvalue(res, row, 0), res, row) != 0) {
            snprintf(errbuf, errlen, "unexpected data-quality row %d (%s)", row,
                     PQgetvalue(res, row, 0));
            goto out;
        }
    }
    PQclear(res);
    if ((res = query(conn, latest_sql, 0, NULL, 2, errbuf, errlen)) == NULL)
        return -1;
    for (int row = 0; row < PQntuples(res); row++) {
        const char *kind = PQgetvalue(res, row, 0);
        char *dst = strcmp(kind, "treatment") == 0      ? quality->latest_treatment
                    : strcmp(kind, "complication") == 0 ? quality->latest_complication
                                                        : NULL;
        if (dst != NULL)
            snprintf(dst, 11, "%s", PQgetvalue(res, row, 1));
    }
    PQclear(res);
    if ((res = query(conn, reasons_sql, 0, NULL, 2, errbuf, errlen)) == NULL)
        return -1;
    for (int row = 0; row < PQntuples(res); row++) {
        int64_t n;
        if (load_parse_count(PQgetvalue(res, row, 1), &n) != 0) {
            snprintf(errbuf, errlen, "bad quarantine count in row %d", row);
            goto out;
        }
        quality->quarantined += n;
        if (quality->n_reasons < QUALITY_MAX_REASONS) {
            quality_reason_t *r = &quality->reasons[quality->n_reasons++];
            snprintf(r->reason, sizeof(r->reason), "%s", PQgetvalue(res, row, 0));
            r->n = n;
        }
    }
    quality_sort_reasons(quality);
    rc = 0;
out:
    PQclear(res);
    return rc;
}

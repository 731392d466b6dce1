/*
 * migrate.c - applying the embedded sql/ migrations (see migrate.h).
 */
#include "migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* pg_advisory_lock key: "nwmi" in ASCII, so it is recognisable in pg_locks. */
#define MIGRATE_LOCK_KEY "1853320553"

static bool exec_ok(PGconn *conn, const char *sql, char *errbuf, size_t errsize)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(errbuf, errsize, "%s", PQerrorMessage(conn));
    PQclear(res);
    return ok;
}

/* Fills applied[] (indexed like nw_migrations) from schema_migrations. */
static bool load_applied(PGconn *conn, bool *applied, int *max_recorded, char *errbuf,
                         size_t errsize)
{
    bool ok = false;
    PGresult *res = PQexec(conn, "SELECT to_regclass('needlewatch.schema_migrations') IS NOT NULL");

    *max_recorded = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errsize, "%s", PQerrorMessage(conn));
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        ok = true;
        goto out;
    }
    PQclear(res);
    res = PQexec(conn, "SELECT version FROM needlewatch.schema_migrations");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errsize, "%s", PQerrorMessage(conn));
        goto out;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        int v = atoi(PQgetvalue(res, r, 0));
        if (v > *max_recorded)
            *max_recorded = v;
        for (size_t i = 0; i < nw_migrations_count; i++)
            if (nw_migrations[i].version == v)
                applied[i] = true;
    }
    ok = true;
out:
    PQclear(res);
    return ok;
}

int migrate_apply(PGconn *conn, char *errbuf, size_t errsize)
{
    int count = -1, max_recorded;
    bool locked = false;
    bool *applied = calloc(nw_migrations_count + 1, sizeof(bool));

    if (!applied) {
        snprintf(errbuf, errsize, "out of memory");
        return -1;
    }
    if (!exec_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", errbuf, errsize))
        goto out;
    locked = true;
    if (!load_applied(conn, applied, &max_recorded, errbuf, errsize))
        goto out;
    count = 0;
    for (size_t i = 0; i < nw_migrations_count; i++) {
        if (applied[i])
            continue;
        log_info("migrate", "applying %s", nw_migrations[i].name);
        if (!exec_ok(conn, nw_migrations[i].sql, errbuf, errsize)) {
            char detail[512];
            snprintf(detail, sizeof(detail), "%s", errbuf);
            snprintf(errbuf, errsize, "migration %s failed: %s", nw_migrations[i].name, detail);
            PQclear(PQexec(conn, "ROLLBACK"));
            count = -1;
            goto out;
        }
        count++;
    }
    if (nw_migrations_count &&
        max_recorded > nw_migrations[nw_migrations_count - 1].version)
        log_warn("migrate",
                 "the database has migration %d, newer than this worker knows (%d); "
                 "is this worker out of date?",
                 max_recorded, nw_migrations[nw_migrations_count - 1].version);
out:
    if (locked) {
        char ignore[256];
        if (!exec_ok(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")", ignore,
                     sizeof(ignore)))
            log_warn("migrate", "advisory unlock failed: %s", ignore);
    }
    free(applied);
    return count;
}

bool migrate_check(PGconn *conn, char *errbuf, size_t errsize)
{
    bool ok = false;
    int max_recorded;
    bool *applied = calloc(nw_migrations_count + 1, sizeof(bool));

    if (!applied) {
        snprintf(errbuf, errsize, "out of memory");
        return false;
    }
    if (!load_applied(conn, applied, &max_recorded, errbuf, errsize))
        goto out;
    for (size_t i = 0; i < nw_migrations_count; i++) {
        if (!applied[i]) {
            snprintf(errbuf, errsize,
                     "migration %s is not applied and --no-migrate was given; apply sql/ "
                     "first (psql -f) or start once without --no-migrate",
                     nw_migrations[i].name);
            goto out;
        }
    }
    ok = true;
out:
    free(applied);
    return ok;
}

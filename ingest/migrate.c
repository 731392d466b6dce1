/*
 * migrate.c - applying the embedded sql/ migrations and repeatable files
 * (see migrate.h).
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

/* Runs sql, a query of the bookkeeping table table (schema-qualified),
 * when that table exists. Returns its result (the caller owns it), or NULL
 * with *ok true when the table does not exist yet, or NULL with *ok false
 * and errbuf filled on an error. */
static PGresult *query_bookkeeping(PGconn *conn, const char *table, const char *sql, bool *ok,
                                   char *errbuf, size_t errsize)
{
    const char *params[1] = {table};
    PGresult *res = PQexecParams(conn, "SELECT to_regclass($1) IS NOT NULL", 1, NULL, params,
                                 NULL, NULL, 0);

    *ok = false;
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto fail;
    if (strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
        PQclear(res);
        *ok = true;
        return NULL;
    }
    PQclear(res);
    res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK)
        goto fail;
    *ok = true;
    return res;
fail:
    snprintf(errbuf, errsize, "%s", PQerrorMessage(conn));
    PQclear(res);
    return NULL;
}

/* Fills applied[] (indexed like nw_migrations) from schema_migrations. */
static bool load_applied(PGconn *conn, bool *applied, int *max_recorded, char *errbuf,
                         size_t errsize)
{
    bool ok;
    PGresult *res = query_bookkeeping(conn, "needlewatch.schema_migrations",
                                      "SELECT version FROM needlewatch.schema_migrations", &ok,
                                      errbuf, errsize);

    *max_recorded = 0;
    for (int r = 0; res && r < PQntuples(res); r++) {
        int v = atoi(PQgetvalue(res, r, 0));
        if (v > *max_recorded)
            *max_recorded = v;
        for (size_t i = 0; i < nw_migrations_count; i++)
            if (nw_migrations[i].version == v)
                applied[i] = true;
    }
    PQclear(res);
    return ok;
}

/* Fills current[] (indexed like nw_repeatables): whether the file is
 * recorded in schema_repeatables with this binary's checksum. A database
 * without the table (before 012) has none recorded. */
static bool load_repeatables(PGconn *conn, bool *current, char *errbuf, size_t errsize)
{
    bool ok;
    PGresult *res = query_bookkeeping(conn, "needlewatch.schema_repeatables",
                                      "SELECT name, checksum FROM needlewatch.schema_repeatables",
                                      &ok, errbuf, errsize);

    for (int r = 0; res && r < PQntuples(res); r++)
        for (size_t i = 0; i < nw_repeatables_count; i++)
            if (strcmp(nw_repeatables[i].name, PQgetvalue(res, r, 0)) == 0)
                current[i] = strcmp(nw_repeatables[i].checksum, PQgetvalue(res, r, 1)) == 0;
    PQclear(res);
    return ok;
}

/* Applies every repeatable file, in order, and records its checksum. */
static int apply_repeatables(PGconn *conn, char *errbuf, size_t errsize)
{
    static const char record_sql[] =
        "INSERT INTO needlewatch.schema_repeatables (name, checksum) VALUES ($1, $2) "
        "ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()";

    for (size_t i = 0; i < nw_repeatables_count; i++) {
        const char *params[2] = {nw_repeatables[i].name, nw_repeatables[i].checksum};
        PGresult *res;
        bool ok;

        log_info("migrate", "applying %s", nw_repeatables[i].name);
        if (!exec_ok(conn, nw_repeatables[i].sql, errbuf, errsize)) {
            char detail[512];
            snprintf(detail, sizeof(detail), "%s", errbuf);
            snprintf(errbuf, errsize, "%s failed: %s", nw_repeatables[i].name, detail);
            PQclear(PQexec(conn, "ROLLBACK"));
            return -1;
        }
        res = PQexecParams(conn, record_sql, 2, NULL, params, NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok)
            snprintf(errbuf, errsize, "recording %s: %s", nw_repeatables[i].name,
                     PQerrorMessage(conn));
        PQclear(res);
        if (!ok)
            return -1;
    }
    return (int)nw_repeatables_count;
}

int migrate_apply(PGconn *conn, char *errbuf, size_t errsize)
{
    int count = -1, max_recorded, n;
    bool locked = false, stale = false;
    bool *applied = calloc(nw_migrations_count + 1, sizeof(bool));
    bool *current = calloc(nw_repeatables_count + 1, sizeof(bool));

    if (!applied || !current) {
        snprintf(errbuf, errsize, "out of memory");
        goto out;
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
    if (!load_repeatables(conn, current, errbuf, errsize)) {
        count = -1;
        goto out;
    }
    for (size_t i = 0; i < nw_repeatables_count; i++)
        stale = stale || !current[i];
    if (stale) {
        if ((n = apply_repeatables(conn, errbuf, errsize)) < 0) {
            count = -1;
            goto out;
        }
        count += n;
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
    free(current);
    return count;
}

bool migrate_check(PGconn *conn, char *errbuf, size_t errsize)
{
    bool ok = false;
    int max_recorded;
    bool *applied = calloc(nw_migrations_count + 1, sizeof(bool));
    bool *current = calloc(nw_repeatables_count + 1, sizeof(bool));

    if (!applied || !current) {
        snprintf(errbuf, errsize, "out of memory");
        goto out;
    }
    if (!load_applied(conn, applied, &max_recorded, errbuf, errsize))
        goto out;
    if (!load_repeatables(conn, current, errbuf, errsize))
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
    for (size_t i = 0; i < nw_repeatables_count; i++) {
        if (!current[i]) {
            snprintf(errbuf, errsize,
                     "sql/%s is not applied in this binary's version and --no-migrate was "
                     "given; start once without --no-migrate (or apply sql/ by hand: "
                     "sql/README.md)",
                     nw_repeatables[i].name);
            goto out;
        }
    }
    ok = true;
out:
    free(applied);
    free(current);
    return ok;
}

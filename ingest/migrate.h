/*
 * migrate.h - applies the numbered migrations of sql/ to a database.
 *
 * The migrations are compiled into the worker (cmake/embed_sql.cmake) and
 * applied in order at start, under a PostgreSQL advisory lock so several
 * workers starting together take turns. Each file records itself in
 * needlewatch.schema_migrations, so files applied by hand with psql are
 * recognised and skipped.
 */
#ifndef NW_MIGRATE_H
#define NW_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

typedef struct nw_migration {
    int version;
    const char *name;
    const char *sql;
} nw_migration_t;

extern const nw_migration_t nw_migrations[];
extern const size_t nw_migrations_count;

/* Applies every migration not yet recorded. Returns the number applied, or
 * -1 with errbuf set. */
int migrate_apply(PGconn *conn, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* Checks that every migration this binary knows is recorded (for
 * --no-migrate). Returns false with errbuf naming the first missing one. */
bool migrate_check(PGconn *conn, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

#endif

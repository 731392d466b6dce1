/*
 * migrate.h - applies sql/ to a database: the numbered migrations, then the
 * repeatable files.
 *
 * Both are compiled into the worker (cmake/embed_sql.cmake) and applied at
 * start, under a PostgreSQL advisory lock so several workers starting
 * together take turns.
 *   - A numbered migration (sql/NNN_name.sql: tables and data) runs once.
 *     Each file records itself in needlewatch.schema_migrations, so files
 *     applied by hand with psql are recognised and skipped.
 *   - A repeatable file (a file of sql/repeatable/: functions, views, grants,
 *     all CREATE OR REPLACE) runs after the migrations whenever its text
 *     differs from the one recorded in needlewatch.schema_repeatables (by
 *     SHA-256). When any of them changed, all of them are applied again, in
 *     file-name order: a later file may generate code from what an earlier
 *     one defines (sql/README.md).
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

typedef struct nw_repeatable {
    const char *name;       /* "repeatable/30_kept.sql" */
    const char *checksum;   /* SHA-256 of the text, hex */
    const char *sql;
} nw_repeatable_t;

extern const nw_repeatable_t nw_repeatables[];
extern const size_t nw_repeatables_count;

/* Applies every migration not yet recorded, then the repeatable files when
 * any of them changed. Returns the number of files applied, or -1 with
 * errbuf set. */
int migrate_apply(PGconn *conn, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* Checks that every migration this binary knows is recorded and every
 * repeatable file recorded with this binary's text (for --no-migrate).
 * Returns false with errbuf naming the first missing or different one. */
bool migrate_check(PGconn *conn, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

#endif

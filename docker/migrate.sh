#!/usr/bin/env bash
# migrate.sh - applies sql/ with psql: the numbered migrations that the
# database has not recorded yet, in order, then the repeatable files of
# sql/repeatable/ when any of them differs from what was last applied. The
# compose file's one-shot "migrate" job (image postgres:15, as the schema
# owner) runs it, so that the workers can run as a role that may not run DDL
# (needlewatch-ingest --no-migrate); it is also how to apply sql/ by hand.
#
#   migrate.sh SQL_DIR        connection from PGHOST, PGUSER, PGPASSWORD ...
#
# It does what the worker's own migration step does (ingest/migrate.c): under
# the same advisory lock, skip the versions in needlewatch.schema_migrations,
# apply the others in order (each file records itself when it commits); then,
# when a repeatable file's SHA-256 differs from the one recorded in
# needlewatch.schema_repeatables, apply all of them in order, recording each.
# It fails on the first error, and warns when the database knows a migration
# newer than SQL_DIR holds.
set -euo pipefail

sql_dir=${1:?usage: migrate.sh SQL_DIR}
lock_key=1853320553 # "nwmi": the key ingest/migrate.c locks

shopt -s nullglob
files=("$sql_dir"/[0-9]*.sql)
[ ${#files[@]} -gt 0 ] || { echo "migrate.sh: no migrations in $sql_dir" >&2; exit 1; }

psql_q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# One session holds the lock while the versions are read and the missing
# files applied (\i), so a worker migrating at the same time waits for it.
applied=$(psql_q -c "SELECT version FROM needlewatch.schema_migrations" 2>/dev/null || true)
script=$(mktemp)
trap 'rm -f "$script"' EXIT
{
    echo "SELECT pg_advisory_lock($lock_key) AS locked \\gset"
    for f in "${files[@]}"; do
        name=$(basename "$f" .sql)
        version=$((10#${name%%_*}))
        # Decided under the lock; the list read above is only for the log.
        # (A reference to a missing table fails at parse time, hence \if.)
        cat <<EOF
SELECT to_regclass('needlewatch.schema_migrations') IS NULL AS apply \gset
\if :apply
\else
SELECT NOT EXISTS (SELECT 1 FROM needlewatch.schema_migrations WHERE version = $version) AS apply \gset
\endif
\if :apply
\echo migrate.sh: applying $name
\i '$f'
\endif
EOF
    done
    # The repeatable files: all again when any changed (ingest/migrate.h).
    rfiles=("$sql_dir"/repeatable/*.sql)
    if [ ${#rfiles[@]} -gt 0 ]; then
        values=""
        for f in "${rfiles[@]}"; do
            values+="${values:+, }('repeatable/$(basename "$f")', '$(sha256sum "$f" | cut -d' ' -f1)')"
        done
        cat <<EOF
SELECT EXISTS (SELECT 1 FROM (VALUES $values) AS f (name, checksum)
               LEFT JOIN needlewatch.schema_repeatables r USING (name)
               WHERE r.checksum IS DISTINCT FROM f.checksum) AS apply \gset
\if :apply
EOF
        for f in "${rfiles[@]}"; do
            name="repeatable/$(basename "$f")"
            cat <<EOF
\echo migrate.sh: applying $name
\i '$f'
INSERT INTO needlewatch.schema_repeatables (name, checksum)
VALUES ('$name', '$(sha256sum "$f" | cut -d' ' -f1)')
ON CONFLICT (name) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now();
EOF
        done
        printf '%s\n' '\endif'
    fi
    echo "SELECT pg_advisory_unlock($lock_key) AS unlocked \\gset"
} >"$script"

if [ -n "$applied" ]; then
    echo "migrate.sh: already applied: $(echo "$applied" | sort -n | tr '\n' ' ')"
fi
psql_q -f "$script"
latest=$(psql_q -c "SELECT max(version) FROM needlewatch.schema_migrations")
newest_file=$(basename "${files[-1]}" .sql)
if [ "$latest" -gt "$((10#${newest_file%%_*}))" ]; then
    echo "migrate.sh: warning: the database has migration $latest, newer than $newest_file" >&2
fi
echo "migrate.sh: schema at version $latest"

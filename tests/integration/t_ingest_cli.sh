#!/usr/bin/env bash
# The command line and configuration: help, version, usage errors (exit 2),
# config errors that name file and line, -X overrides, --dump-config with
# secrets masked, and migrations: applied by hand with psql, applied by two
# workers starting together, and --no-migrate on an empty database.
. "$(dirname "$0")/lib.sh"
nw_setup
ING="$NW_BIN/needlewatch-ingest"

"$ING" --help >"$WORK/help.txt"; rc=$?
nw_check "--help exits 0" 0 "$rc"
nw_check "--help lists the keys" 1 "$(grep -c 'ingest.batch.max_messages' "$WORK/help.txt")"
nw_check "--version" 1 "$("$ING" --version | grep -c '^needlewatch-ingest [0-9]')"
set +e
"$ING" >/dev/null 2>"$WORK/err.txt"; rc=$?
nw_check "missing --config is a usage error" "2|1" "$rc|$(grep -c -- '--config FILE is required' "$WORK/err.txt")"
"$ING" --config x --bogus >/dev/null 2>&1; rc=$?
nw_check "unknown option is a usage error" 2 "$rc"
printf 'kafka.group.id=g\n\n# c\ningest.batch.max_ms=soon\n' >"$WORK/bad.properties"
"$ING" --config "$WORK/bad.properties" 2>"$WORK/err.txt"; rc=$?
nw_check "config error names file and line" "2|1" \
  "$rc|$(grep -c "bad.properties:4: ingest.batch.max_ms: must be an integer" "$WORK/err.txt")"
printf 'kafka.no.such=1\n' >"$WORK/bad2.properties"
"$ING" --config "$WORK/bad2.properties" 2>"$WORK/err.txt"; rc=$?
nw_check "unknown librdkafka property rejected" "2|1" \
  "$rc|$(grep -c 'bad2.properties:1: kafka.no.such: No such configuration property' "$WORK/err.txt")"
set -e

printf 'pg.conninfo=host=/nowhere password=hunter2\nkafka.sasl.password=kpass\ningest.batch.max_ms=100\n' >"$WORK/s.properties"
chmod 644 "$WORK/s.properties"
"$ING" --config "$WORK/s.properties" -X ingest.batch.max_ms=250 -X kafka.group.id=gx --dump-config \
  >"$WORK/dump.txt" 2>"$WORK/dump.err"
nw_check "-X overrides the file" 1 "$(grep -c '^ingest.batch.max_ms=250$' "$WORK/dump.txt")"
nw_check "-X sets kafka keys" 1 "$(grep -c '^kafka.group.id=gx$' "$WORK/dump.txt")"
nw_check "no secret in --dump-config" 0 "$(grep -c -e hunter2 -e kpass "$WORK/dump.txt" "$WORK/dump.err" | awk -F: '{s+=$2} END {print s}')"
nw_check "password masked" 1 "$(grep -c "password='\*\*\*\*'" "$WORK/dump.txt")"
nw_check "world-readable config with a secret warns" 1 "$(grep -c 'holds a secret and is readable by group or others' "$WORK/dump.err")"
NEEDLEWATCH_TOPIC_TREATMENTS=from-env "$ING" --config "$WORK/s.properties" --dump-config >"$WORK/dump2.txt" 2>/dev/null
nw_check "environment overrides the file" 1 "$(grep -c '^topic.treatments=from-env$' "$WORK/dump2.txt")"

# Migrations: --no-migrate on an empty database refuses clearly.
nw_broker_start
nw_config "$WORK/w.properties"
set +e
timeout --foreground -k 60 60 "$ING" --config "$WORK/w.properties" --no-migrate --exit-on-eof >"$WORK/nomig.log" 2>&1
rc=$?
set -e
nw_check "--no-migrate on an empty database exits 1" 1 "$rc"
nw_check "...and names the missing migration" 1 \
  "$(grep -c 'migration 001_schema is not applied and --no-migrate was given' "$WORK/nomig.log")"
nw_check "--no-migrate created nothing" "" "$(nw_sql "SELECT to_regclass('needlewatch.treatment_versions')")"

# By hand with psql, in order.
nw_apply_sql
nw_check "hand-applied migrations record themselves" "$(printf '%s\n' "$NW_SRC"/sql/[0-9]*.sql | wc -l)" \
  "$(nw_sql "SELECT count(*) FROM needlewatch.schema_migrations")"
nw_ingest nomig2 --config "$WORK/w.properties" --no-migrate
nw_check "--no-migrate runs once the schema is there" 0 $?
nw_ingest mig --config "$WORK/w.properties"
nw_check "worker does not re-apply hand-applied migrations" 0 "$(grep -c 'applying' "$WORK/mig.log")"

# Two workers starting together on an empty database take turns.
psql -X -q -c "DROP SCHEMA needlewatch, needlewatch_kept CASCADE" >/dev/null
nw_ingest par1 --config "$WORK/w.properties" & p1=$!
nw_ingest par2 --config "$WORK/w.properties" & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
nw_check "two workers migrating at once both succeed" "0|0" "$r1|$r2"
nw_check "each migration and repeatable file applied once" \
  "$(printf '%s\n' "$NW_SRC"/sql/[0-9]*.sql "$NW_SRC"/sql/repeatable/*.sql | wc -l)" \
  "$(cat "$WORK/par1.log" "$WORK/par2.log" | grep -c 'INFO  \[migrate\] applying')"
nw_done

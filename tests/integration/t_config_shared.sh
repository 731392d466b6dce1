#!/usr/bin/env bash
# t_config_shared.sh - one configuration file for both programs (issue 13):
# the worker's own .properties file, with the analyzer's keys added
# (topic.signals, analyze.*), drives needlewatch-ingest and then
# needlewatch-analyze --config. The analyzer reads pg.*, kafka.* and its
# keys from it and ignores the worker's; NEEDLEWATCH_* variables, -X and
# the options override the file in that order (--pg wins over
# pg.conninfo); an error names file and line; --dump-config masks secrets
# as the worker's does; --publish-signals goes to the file's
# kafka.bootstrap.servers and topic.signals.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
nw_broker_start --topic treatments:4 --topic complications:4 --topic sig:1
AN="$NW_BIN/needlewatch-analyze"
nw_config "$WORK/w.properties" "topic.signals=sig" "analyze.suppress_below=3" \
    "analyze.alert.history_weeks=50" "log.level=info"

nw_loadgen -n 3000 --seed 13 --start-date 2024-01-01 --days 120
nw_ingest w1 --config "$WORK/w.properties"
nw_check "worker: every treatment stored from the shared file" "$EXP_treatments" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"

# The analyzer on the worker's file (pg.conninfo empty: the PG* variables).
nw_check "analyzer: exit 0 with the worker's file" 0 \
    "$(an_run "$WORK/a.json" --config "$WORK/w.properties" --format json)"
nw_check "analyzer: counts the worker's treatments" "$EXP_treatments" \
    "$(an_py "$WORK/a.json" 'd["totals"]["treatments"]')"
nw_check "analyzer: analyze.* keys are its defaults" "3 50" \
    "$(an_py "$WORK/a.json" '"%d %d" % (d["suppression"]["suppress_below"], d["alert_method"]["parameters"]["history_max"])')"

# Sources in order: file < environment < -X < options.
NEEDLEWATCH_ANALYZE_ALERT_HISTORY_WEEKS=60 an_run "$WORK/b.json" --config "$WORK/w.properties" \
    -X analyze.suppress_below=4 >/dev/null
nw_check "environment and -X override the file" "4 60" \
    "$(an_py "$WORK/b.json" '"%d %d" % (d["suppression"]["suppress_below"], d["alert_method"]["parameters"]["history_max"])')"
NEEDLEWATCH_ANALYZE_ALERT_HISTORY_WEEKS=60 an_run "$WORK/c.json" --config "$WORK/w.properties" \
    -X analyze.suppress_below=4 --suppress-below 7 --alert-history 80 >/dev/null
nw_check "options override everything" "7 80" \
    "$(an_py "$WORK/c.json" '"%d %d" % (d["suppression"]["suppress_below"], d["alert_method"]["parameters"]["history_max"])')"

# --pg wins over pg.conninfo; a bad pg.conninfo alone fails at runtime.
nw_config "$WORK/badpg.properties" "pg.conninfo=host=$WORK/nowhere connect_timeout=2"
nw_check "pg.conninfo from the file is used" 1 "$(an_run "$WORK/d.json" --config "$WORK/badpg.properties")"
nw_check "--pg wins over pg.conninfo" 0 \
    "$(an_run "$WORK/d.json" --config "$WORK/badpg.properties" --pg "host=$PGHOST dbname=$PGDATABASE")"

# An error in the file: exit 2, named by file and line.
printf 'pg.conninfo=\n\nanalyze.ears.alpha=2\n' >"$WORK/bad.properties"
nw_check "bad value: exit 2" 2 "$(an_run "$WORK/e.json" --config "$WORK/bad.properties")"
nw_check "bad value: file:line" 1 \
    "$(grep -c "bad.properties:3: analyze.ears.alpha: must be a number between 0 and 1" "$WORK/stderr" || true)"
printf 'kafka.no.such=1\n' >"$WORK/bad2.properties"
nw_check "unknown librdkafka property: exit 2" 2 "$(an_run "$WORK/e.json" --config "$WORK/bad2.properties")"
nw_check "unknown librdkafka property: file:line" 1 \
    "$(grep -c "bad2.properties:1: kafka.no.such: No such configuration property" "$WORK/stderr" || true)"
nw_check "missing file: exit 2" 2 "$(an_run "$WORK/e.json" --config "$WORK/none.properties")"

# --dump-config: both programs, secrets masked, each its own keys.
cp "$WORK/w.properties" "$WORK/s.properties"
printf 'pg.conninfo=host=/nowhere password=hunter2\nkafka.sasl.password=kpass\n' >>"$WORK/s.properties"
chmod 600 "$WORK/s.properties"
"$AN" --config "$WORK/s.properties" --dump-config >"$WORK/dump-an.txt" 2>"$WORK/dump-an.err"
"$NW_BIN/needlewatch-ingest" --config "$WORK/s.properties" --dump-config >"$WORK/dump-in.txt" 2>"$WORK/dump-in.err"
nw_check "dump: no secret from either program" 0 \
    "$(cat "$WORK"/dump-*.txt "$WORK"/dump-*.err | grep -c -e hunter2 -e kpass || true)"
nw_check "dump: masked in both" "2 2" \
    "$(grep -c -e "password='\*\*\*\*'" -e '^kafka.sasl.password=\*\*\*\*$' "$WORK/dump-an.txt") $(grep -c -e "password='\*\*\*\*'" -e '^kafka.sasl.password=\*\*\*\*$' "$WORK/dump-in.txt")"
nw_check "dump: the analyzer's keys, not the worker's" "1 1 0" \
    "$(grep -c '^analyze.alert.history_weeks=50$' "$WORK/dump-an.txt") $(grep -c '^topic.signals=sig$' "$WORK/dump-an.txt") $(grep -c '^ingest.batch' "$WORK/dump-an.txt" || true)"
nw_check "dump: the worker's keys, not the analyzer's" "1 0" \
    "$(grep -c '^ingest.batch.max_ms=200$' "$WORK/dump-in.txt") $(grep -c '^analyze\.' "$WORK/dump-in.txt" || true)"

# --publish-signals from the file's kafka.bootstrap.servers and topic.signals.
nw_check "publish: exit 0" 0 \
    "$(an_run "$WORK/p.json" --config "$WORK/w.properties" --ears-baseline 3 --ears-alpha 0.2 --alert-min-cases 1 --publish-signals)"
nw_check "publish: no warning about the worker's consumer keys" 0 \
    "$(grep -c -e WARN -e CONFWARN "$WORK/stderr" || true)"
expected=$(an_py "$WORK/p.json" 'sum(1 for r in d["signals"] + d["signals_by_model"] if r["signal"] and not r["suppressed"]) + len(d["alerts"])')
timeout 60 kcat -b "$BOOT" -C -t sig -o beginning -e -q -f '%k\n' >"$WORK/sig.txt" 2>>"$WORK/kcat.log" || true
nw_check "publish: every message on the file's topic" "$expected" "$(wc -l <"$WORK/sig.txt")"
nw_check "publish: some messages" yes "$([ "$expected" -gt 0 ] && echo yes || echo no)"
nw_done

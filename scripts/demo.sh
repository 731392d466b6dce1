#!/usr/bin/env bash
# demo.sh - the needlewatch demo, start to finish, on one machine:
#   1. installs the packages and builds;
#   2. starts a private PostgreSQL (in .run/pg) and the development Kafka
#      broker (librdkafka's mock cluster, speaking the real protocol);
#   3. generates synthetic treatment and complication reports into Kafka,
#      including redeliveries, follow-ups, withdrawals and malformed messages;
#   4. streams them through TWO ingest workers in one consumer group;
#   5. prints what was stored and quarantined, then the analyzer's report.
# Everything stops at the end; the data stays in .run/pg (see the last lines
# printed for how to explore it with psql).
#
#   bash scripts/demo.sh [-n TREATMENTS] [--seed N] [--real-kafka]
#
# --real-kafka runs the same demo against Apache Kafka instead: a 3-node
# KRaft cluster in .run/kafka (scripts/kafka.sh: Java, and the broker's jars
# from Maven Central on the first run), topics replicated 3 times; about half
# a minute to start, and stopped at the end like the rest.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N=20000
SEED=42
REAL_KAFKA=0
while [ $# -gt 0 ]; do
  case "$1" in
    -n) N=$2; shift 2 ;;
    --seed) SEED=$2; shift 2 ;;
    --real-kafka) REAL_KAFKA=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
RUN=$ROOT/.run
BIN=$ROOT/build/bin
mkdir -p "$RUN"

say "Installing packages and building"
bash scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

BROKER_PID=""
cleanup() {
  set +e
  [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
  [ "$REAL_KAFKA" = 0 ] || bash "$ROOT/scripts/kafka.sh" stop "$RUN/kafka" >/dev/null 2>&1
  bash "$ROOT/scripts/pg.sh" stop "$RUN/pg" >/dev/null 2>&1
}
trap cleanup EXIT

say "Starting a private PostgreSQL in .run/pg"
bash scripts/pg.sh start "$RUN/pg"
eval "$(bash scripts/pg.sh env "$RUN/pg")"
# A fresh database for each demo run.
psql -X -q -c "DROP SCHEMA IF EXISTS needlewatch CASCADE" 2>/dev/null || true

if [ "$REAL_KAFKA" = 1 ]; then
  say "Starting Apache Kafka in .run/kafka (3 KRaft nodes, 8 partitions per topic, 3 replicas)"
  # A fresh cluster for each demo run, like the database.
  bash scripts/kafka.sh destroy "$RUN/kafka" >/dev/null 2>&1 || true
  bash scripts/kafka.sh start "$RUN/kafka"
  for t in treatments complications; do bash scripts/kafka.sh create-topic "$RUN/kafka" "$t" 8; done
  eval "$(bash scripts/kafka.sh env "$RUN/kafka")"
  BOOT=$NW_KAFKA_BOOTSTRAP
else
  say "Starting the development Kafka broker (mock cluster, 3 brokers, 8 partitions per topic)"
  rm -f "$RUN/bootstrap"
  "$BIN/needlewatch-devbroker" --bootstrap-file "$RUN/bootstrap" >/dev/null 2>"$RUN/broker.log" &
  BROKER_PID=$!
  for _ in $(seq 1 100); do [ -s "$RUN/bootstrap" ] && break; sleep 0.1; done
  BOOT=$(cat "$RUN/bootstrap")
fi
echo "bootstrap servers: $BOOT"

say "Producing $N synthetic treatment reports and their complications (seed $SEED)"
"$BIN/needlewatch-loadgen" -b "$BOOT" -n "$N" --seed "$SEED" --days 182 \
  --dup-rate 0.02 --followup-rate 0.03 --nullify-rate 0.01 --orphan-rate 0.01 --invalid-rate 0.005

cat >"$RUN/ingest.properties" <<EOF2
kafka.bootstrap.servers=$BOOT
kafka.group.id=needlewatch-demo
pg.conninfo=
ingest.batch.max_messages=2000
ingest.batch.max_ms=200
stats.interval_ms=2000
EOF2

say "Ingesting with two workers in consumer group needlewatch-demo"
"$BIN/needlewatch-ingest" --config "$RUN/ingest.properties" --exit-on-eof 2>"$RUN/worker-1.log" &
W1=$!
"$BIN/needlewatch-ingest" --config "$RUN/ingest.properties" --exit-on-eof 2>"$RUN/worker-2.log" &
W2=$!
wait $W1; wait $W2
for w in 1 2; do
  printf 'worker %s: %s\n' "$w" "$(grep -o 'final .*' "$RUN/worker-$w.log" | head -1)"
done

say "What was stored"
psql -X -P pager=off <<'SQL'
SELECT 'treatments (current)' AS what, count(*) FROM needlewatch.treatments
UNION ALL SELECT 'treatment versions', count(*) FROM needlewatch.treatment_versions
UNION ALL SELECT 'complications (current)', count(*) FROM needlewatch.complications
UNION ALL SELECT 'complication versions', count(*) FROM needlewatch.complication_versions
UNION ALL SELECT 'quarantined messages', count(*) FROM needlewatch.quarantine;
SELECT setting, device_type, count(*) AS treatments
FROM needlewatch.treatments GROUP BY 1, 2 ORDER BY 1, 2;
SQL

say "What was quarantined (first 8, with the reason)"
psql -X -P pager=off -c "SELECT topic, partition, kafka_offset, left(error, 90) AS error
                         FROM needlewatch.quarantine ORDER BY topic, partition, kafka_offset LIMIT 8"

if [ -x "$BIN/needlewatch-analyze" ]; then
  say "The rate report"
  "$BIN/needlewatch-analyze" --format text
  "$BIN/needlewatch-analyze" --format html --output "$RUN/report.html"
fi

say "Done"
cat <<EOF2
The same report with charts, one self-contained page: $RUN/report.html
The data stays in .run/pg. To explore it with psql:
  bash scripts/pg.sh start .run/pg && eval "\$(bash scripts/pg.sh env .run/pg)" && psql
  ... then: bash scripts/pg.sh stop .run/pg
EOF2

#!/usr/bin/env bash
# The metrics and health endpoints (metrics.listen): scraped during an
# integration run, the counters match what was produced; /healthz is live;
# /readyz turns 503 while PostgreSQL is down and 200 again after.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties" "metrics.listen=127.0.0.1:0" "kafka.statistics.interval.ms=1000"

nw_loadgen -n 3000 --seed 3 --dup-rate 0.05 --followup-rate 0.05 --invalid-rate 0.01
"$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" 2>"$WORK/worker.log" & pid=$!
nw_wait_log "$WORK/worker.log" "serving /metrics" 30
port=$(grep -o 'serving /metrics, /healthz and /readyz on 127.0.0.1:[0-9]*' "$WORK/worker.log" | grep -o '[0-9]*$')
URL="http://127.0.0.1:$port"
nw_wait_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0" "$EXP_messages" 120
sleep 1.5   # one more publication and statistics interval
curl -fsS "$URL/metrics" >"$WORK/metrics.txt"
m() { grep "^$1" "$WORK/metrics.txt" | awk '{s += $NF} END {print s + 0}'; }

nw_check "consumed = messages produced" "$EXP_messages" "$(m 'needlewatch_messages_consumed_total{')"
nw_check "stored = distinct report versions" "$((EXP_treatment_versions + EXP_complication_versions))" \
  "$(m 'needlewatch_reports_stored_total{')"
nw_check "stored treatments per topic" "$EXP_treatment_versions" \
  "$(m "needlewatch_reports_stored_total{topic=\"$(nw_topic treatments)\"}")"
nw_check "quarantined = malformed messages" "$EXP_invalid" "$(m 'needlewatch_messages_quarantined_total{')"
nw_check "duplicates = messages - versions - invalid" \
  "$((EXP_messages - EXP_treatment_versions - EXP_complication_versions - EXP_invalid))" \
  "$(m 'needlewatch_reports_duplicate_total{')"
nw_check "superseded counted" yes "$([ "$(m 'needlewatch_reports_superseded_total{')" -gt 0 ] && echo yes || echo no)"
nw_check "batch size histogram counts the messages" "$EXP_messages" "$(grep '^needlewatch_batch_messages_sum' "$WORK/metrics.txt" | awk '{printf "%d", $2}')"
nw_check "commit latency histogram has every batch" "$(m 'needlewatch_batches_total')" \
  "$(m 'needlewatch_commit_seconds_count')"
nw_check "consumer lag is reported per partition, and is zero" "16|0" \
  "$(grep -c '^needlewatch_consumer_lag_messages{' "$WORK/metrics.txt")|$(m 'needlewatch_consumer_lag_messages{')"
nw_check "rebalances counted" yes "$([ "$(m 'needlewatch_rebalances_total')" -ge 1 ] && echo yes || echo no)"
nw_check "/healthz 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")"
nw_check "/readyz 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")"
nw_check "unknown path 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/nope")"

"$NW_SRC/scripts/pg.sh" --immediate stop "$WORK/pg" >/dev/null 2>&1
# The worker notices on its next write; give it something to write.
nw_loadgen -n 50 --seed 4
ready=200
for _ in $(seq 1 100); do
  ready=$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")
  [ "$ready" = 503 ] && break
  sleep 0.2
done
nw_check "/readyz 503 while PostgreSQL is down" 503 "$ready"
nw_check "/healthz still 200" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")"
nw_check "PostgreSQL errors counted" yes \
  "$([ "$(curl -fsS "$URL/metrics" | grep '^needlewatch_pg_errors_total' | awk '{print $2}')" -ge 1 ] && echo yes || echo no)"
"$NW_SRC/scripts/pg.sh" start "$WORK/pg" >/dev/null 2>&1
for _ in $(seq 1 100); do
  ready=$(curl -s -o /dev/null -w '%{http_code}' "$URL/readyz")
  [ "$ready" = 200 ] && break
  sleep 0.2
done
nw_check "/readyz 200 again once PostgreSQL is back" 200 "$ready"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
nw_check "worker exits 0" 0 "$rc"
nw_check_exact
nw_done

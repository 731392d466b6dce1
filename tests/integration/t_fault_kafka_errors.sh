#!/usr/bin/env bash
# Kafka request errors injected into the development broker while a worker
# ingests (rd_kafka_mock_push_request_errors on Fetch, OffsetCommit,
# Heartbeat): librdkafka retries, the worker carries on, and every report is
# stored exactly once with nothing quarantined.
. "$(dirname "$0")/lib.sh"
nw_setup
mkfifo "$WORK/control"
nw_broker_start --control "$WORK/control"
exec 9<>"$WORK/control"
nw_config "$WORK/w.properties" "ingest.batch.max_messages=200" "ingest.batch.max_ms=50"

nw_loadgen -n 20000 --seed 21 --dup-rate 0.02 --followup-rate 0.05 --nullify-rate 0.01
"$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" 2>"$WORK/worker.log" & pid=$!
nw_wait_sql "SELECT count(*) > 0 FROM needlewatch.treatment_versions" t 60
for _ in 1 2 3; do
  echo "errors Fetch 20 NOT_LEADER_FOR_PARTITION" >&9
  echo "errors OffsetCommit 10 REQUEST_TIMED_OUT" >&9
  echo "errors Fetch 10 UNKNOWN_TOPIC_OR_PART" >&9
  echo "errors Heartbeat 5 NOT_COORDINATOR" >&9
  sleep 1
done
nw_wait_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0" \
  "$EXP_messages" 180 || nw_log "timed out waiting for the worker"
nw_check "errors were injected" 1 "$(grep -c 'requests of ApiKey 1 fail' "$WORK/broker.log" | awk '{print ($1 > 0)}')"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
nw_check "worker survived and exits 0 on SIGTERM" 0 "$rc"
nw_check_exact
nw_done

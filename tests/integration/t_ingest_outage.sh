#!/usr/bin/env bash
# PostgreSQL and Kafka going away under load do not kill the worker: while
# PostgreSQL is down (stopped with pg_ctl -m immediate) it retries the same
# batch with backoff and moves no offset; while every broker is down it waits
# for them. The same worker process, never restarted, ends with every report
# stored exactly once.
. "$(dirname "$0")/lib.sh"
nw_setup
mkfifo "$WORK/control"
nw_broker_start --control "$WORK/control"
exec 9<>"$WORK/control"   # keep the FIFO open for our commands
nw_config "$WORK/w.properties" "ingest.batch.max_messages=100" "ingest.batch.max_ms=50" \
  "pg.retry.max_ms=500"

nw_loadgen -n 20000 --seed 5 --dup-rate 0.02 --followup-rate 0.05
"$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" 2>"$WORK/worker.log" & pid=$!
nw_wait_sql "SELECT count(*) > 0 FROM needlewatch.treatment_versions" t 60

# PostgreSQL crashes mid-stream and comes back 3 s later.
"$NW_SRC/scripts/pg.sh" --immediate stop "$WORK/pg" >/dev/null 2>&1
nw_log "PostgreSQL stopped (immediate)"
sleep 3
nw_check "worker still running while PostgreSQL is down" yes "$(kill -0 $pid 2>/dev/null && echo yes || echo no)"
"$NW_SRC/scripts/pg.sh" start "$WORK/pg" >/dev/null 2>&1
nw_log "PostgreSQL started again"
nw_check "worker retried with backoff" 1 "$(grep -c 'will retry' "$WORK/worker.log" | awk '{print ($1 > 0)}')"

# Every broker goes down for 5 s.
stored=$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")
nw_brokers_down
nw_log "all brokers down at $stored treatment versions"
sleep 5
nw_check "worker still running while the brokers are down" yes "$(kill -0 $pid 2>/dev/null && echo yes || echo no)"
nw_brokers_up
nw_log "brokers up"

nw_wait_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0" \
  "$EXP_messages" 180 || nw_log "timed out waiting for the worker to catch up"
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
nw_check "the same worker process finished and exited 0 on SIGTERM" 0 "$rc"
nw_check "it reconnected to PostgreSQL" 1 "$(grep -c 'INFO  \[pg\] connected' "$WORK/worker.log" | awk '{print ($1 >= 2)}')"
nw_check_exact
nw_done

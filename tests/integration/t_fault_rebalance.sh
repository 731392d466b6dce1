#!/usr/bin/env bash
# Rebalances under load: three workers in one group, one joining and one
# leaving mid-stream; then a "zombie": a worker frozen (SIGSTOP) past its
# session timeout while it holds an uncommitted batch, whose partitions move
# to another worker. When it wakes up, the epoch it claimed its partitions
# under is stale, so it cannot write for them (fencing). Every report ends
# up stored exactly once.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties" "ingest.batch.max_messages=200" "ingest.batch.max_ms=50"
ING="$NW_BIN/needlewatch-ingest"
total() { nw_sql "SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets WHERE next_offset > 0" 2>/dev/null || echo 0; }

"$ING" --config "$WORK/w.properties" 2>"$WORK/w1.log" & p1=$!
"$ING" --config "$WORK/w.properties" 2>"$WORK/w2.log" & p2=$!
nw_wait_log "$WORK/w1.log" "assigned [1-9]"
nw_loadgen -n 30000 --seed 31 --dup-rate 0.02 --followup-rate 0.05
nw_wait_sql "SELECT coalesce(sum(next_offset), 0) > 3000 FROM needlewatch.kafka_offsets WHERE next_offset > 0" t 60 || true
"$ING" --config "$WORK/w.properties" 2>"$WORK/w3.log" & p3=$!
nw_log "worker 3 joins at $(total) messages"
nw_wait_log "$WORK/w3.log" "assigned [1-9]" 60
nw_wait_sql "SELECT coalesce(sum(next_offset), 0) > 12000 FROM needlewatch.kafka_offsets WHERE next_offset > 0" t 60 || true
kill -TERM $p1
nw_log "worker 1 leaves at $(total) messages"
set +e; wait $p1; r1=$?; set -e
nw_check "worker 1 left cleanly" 0 "$r1"
nw_wait_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0" "$EXP_messages" 180 ||
  nw_log "timed out waiting for workers 2 and 3"
nw_check "join and leave: every message committed" "$EXP_messages" "$(total)"
nw_check_exact

# The zombie. Worker 3 holds batches for 30 s before writing them (longer
# than the slowest loadgen of a loaded sanitizer build: with 4 s, CI once saw
# the zombie commit its batch before it was frozen); freeze it with a batch
# open, long enough for the group to give its partitions to worker 2, which
# claims them in PostgreSQL (new epoch).
kill -TERM $p3; wait $p3 || true
"$ING" --config "$WORK/w.properties" -X ingest.batch.max_ms=30000 -X ingest.batch.max_messages=1000000 \
  2>"$WORK/zombie.log" & pz=$!
nw_wait_log "$WORK/zombie.log" "assigned [1-9]" 60
sleep 3   # let the rebalance between worker 2 and the zombie settle
epochs_before=$(nw_sql "SELECT sum(epoch) FROM needlewatch.kafka_offsets")
nw_loadgen -n 2000 --seed 32
sleep 0.5
kill -STOP $pz
nw_log "zombie frozen holding its batch"
# Session timeout is 6 s: worker 2 takes over and claims the partitions.
nw_wait_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0" "$EXP_messages" 60 ||
  nw_log "worker 2 did not take over in time"
nw_check "partitions were re-claimed under new epochs" yes \
  "$([ "$(nw_sql "SELECT sum(epoch) FROM needlewatch.kafka_offsets")" -gt "$epochs_before" ] && echo yes || echo no)"
kill -CONT $pz
nw_log "zombie thawed"
nw_wait_log "$WORK/zombie.log" "claimed by another worker\|assigned [1-9]\|revoked" 30 || true
sleep 2
kill -TERM $pz $p2
set +e; wait $pz; rz=$?; wait $p2; r2=$?; set -e
nw_check "the thawed zombie was fenced off" 1 \
  "$(grep -c 'claimed by another worker' "$WORK/zombie.log" | awk '{print ($1 > 0)}')"
nw_check "zombie and worker 2 exit 0" "0|0" "$rz|$r2"
nw_check "the zombie wrote nothing for partitions it lost" 0 \
  "$(grep -o 'final consumed=[0-9]* stored=[0-9]*' "$WORK/zombie.log" | grep -o 'stored=[0-9]*' | cut -d= -f2)"
nw_check_exact
nw_done

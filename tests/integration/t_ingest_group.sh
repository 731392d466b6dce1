#!/usr/bin/env bash
# Two workers in one consumer group share the partitions and together store
# every report exactly once; SIGTERM makes each finish its batch, leave the
# group cleanly and exit 0.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties" "ingest.batch.max_messages=200"

ING="$NW_BIN/needlewatch-ingest"
"$ING" --config "$WORK/w.properties" 2>"$WORK/w1.log" & p1=$!
"$ING" --config "$WORK/w.properties" 2>"$WORK/w2.log" & p2=$!
nw_wait_log "$WORK/w1.log" "assigned [1-9]"
nw_wait_log "$WORK/w2.log" "assigned [1-9]"
# Both are in the group: after the last rebalance each owns some partitions.
nw_wait_sql "SELECT count(DISTINCT owner) FROM needlewatch.kafka_offsets" 2 30 || true
nw_check "both workers own partitions" 2 \
  "$(nw_sql "SELECT count(DISTINCT owner) FROM needlewatch.kafka_offsets")"

nw_loadgen -n 5000 --seed 7 --dup-rate 0.05 --followup-rate 0.05 --nullify-rate 0.02 --orphan-rate 0.02
nw_wait_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0" \
  "$EXP_messages" 120 || nw_log "timed out waiting for the workers"

kill -TERM $p1 $p2
set +e
wait $p1; r1=$?
wait $p2; r2=$?
set -e
nw_check "SIGTERM: both exit 0" "0|0" "$r1|$r2"
nw_check "both left the group cleanly" "1|1" \
  "$(grep -c 'leaving the consumer group' "$WORK/w1.log")|$(grep -c 'leaving the consumer group' "$WORK/w2.log")"
s1=$(grep -o 'final consumed=[0-9]* stored=[0-9]*' "$WORK/w1.log" | grep -o 'stored=[0-9]*' | cut -d= -f2)
s2=$(grep -o 'final consumed=[0-9]* stored=[0-9]*' "$WORK/w2.log" | grep -o 'stored=[0-9]*' | cut -d= -f2)
nw_check "both workers stored reports" "yes" "$([ "${s1:-0}" -gt 0 ] && [ "${s2:-0}" -gt 0 ] && echo yes || echo "no ($s1, $s2)")"
nw_check "together they stored each version once" \
  "$((EXP_treatment_versions + EXP_complication_versions))" "$((s1 + s2))"
nw_check_exact
nw_done

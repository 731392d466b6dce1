#!/usr/bin/env bash
# Broker failures (real Kafka only), under load, with two workers in one
# group on a 3-node cluster of the test's own (topics replicated 3 times,
# min.insync.replicas 2):
#   1. the node leading the most partitions is killed with SIGKILL
#      mid-stream, while more reports are produced; its partitions get new
#      leaders; it is started again with its data;
#   2. the whole cluster is stopped, left down, and started again;
# and neither worker exits: every report ends up stored exactly once, and
# both exit 0 on SIGTERM at the end.
. "$(dirname "$0")/../lib.sh"
nw_setup
nw_broker_start --brokers 3
nw_config "$WORK/w.properties" "ingest.batch.max_messages=100" "ingest.batch.max_ms=50"
ING="$NW_BIN/needlewatch-ingest"
total() { nw_sql "SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets WHERE next_offset > 0" 2>/dev/null || echo 0; }
# leaders: "topic partition leader" lines of both topics, from the
# cluster's metadata.
leaders() {
    local t
    for t in "$(nw_topic treatments)" "$(nw_topic complications)"; do
        kcat -b "$BOOT" -L -t "$t" 2>/dev/null |
            sed -n "s/^ *partition \([0-9]*\), leader \(-\{0,1\}[0-9]*\),.*/$t \1 \2/p"
    done
}
alive() { kill -0 "$1" 2>/dev/null && echo yes || echo no; }

nw_loadgen -n 20000 --seed 61 --dup-rate 0.02 --followup-rate 0.05
"$ING" --config "$WORK/w.properties" 2>"$WORK/w1.log" & p1=$!
"$ING" --config "$WORK/w.properties" 2>"$WORK/w2.log" & p2=$!
nw_wait_sql "SELECT coalesce(sum(next_offset), 0) > 3000 FROM needlewatch.kafka_offsets WHERE next_offset > 0" t 120 ||
    nw_log "the workers did not start storing"

# --- 1. SIGKILL the busiest leader, produce meanwhile, start it again.
victim=$(leaders | awk '{print $3}' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
led=$(leaders | awk -v v="$victim" '$3 == v' | wc -l)
nw_log "killing node $victim (leader of $led partitions) at $(total) messages"
"$KAFKA_SH" kill "$NW_KDIR" "$victim" >>"$WORK/kafka.log" 2>&1
nw_loadgen -n 10000 --seed 62 --dup-rate 0.02 --followup-rate 0.05
nw_log "produced 10000 more treatments with node $victim down, at $(total) messages"
moved=no
for _ in $(seq 1 60); do
    if [ "$(leaders | awk -v v="$victim" '$3 == v || $3 < 0' | wc -l)" = 0 ] && [ "$(leaders | wc -l)" = 16 ]; then
        moved=yes
        break
    fi
    sleep 1
done
nw_check "its partitions got new leaders" yes "$moved"
nw_check "both workers still running with node $victim down" "yes|yes" "$(alive $p1)|$(alive $p2)"
"$KAFKA_SH" start "$NW_KDIR" >>"$WORK/kafka.log" 2>&1 || nw_log "restarting node $victim failed"
nw_check "node $victim is back" 1 "$("$KAFKA_SH" status "$NW_KDIR" | grep -c "node $victim: running")"
nw_wait_sql "SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets WHERE next_offset > 0" \
    "$EXP_messages" 180 || nw_log "timed out catching up after the kill"
nw_check "after the kill: every message committed" "$EXP_messages" "$(total)"
nw_check_exact

# --- 2. The whole cluster stopped, then started again, reports waiting.
nw_loadgen -n 5000 --seed 63 --dup-rate 0.02
"$KAFKA_SH" stop "$NW_KDIR" >>"$WORK/kafka.log" 2>&1
nw_log "cluster stopped at $(total) of $EXP_messages messages"
sleep 5
nw_check "both workers still running with the cluster down" "yes|yes" "$(alive $p1)|$(alive $p2)"
"$KAFKA_SH" start "$NW_KDIR" >>"$WORK/kafka.log" 2>&1 || nw_log "restarting the cluster failed"
nw_log "cluster started again"
nw_loadgen -n 5000 --seed 64 --followup-rate 0.05
nw_wait_sql "SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets WHERE next_offset > 0" \
    "$EXP_messages" 240 || nw_log "timed out catching up after the restart"
nw_check "both workers still running after the restart" "yes|yes" "$(alive $p1)|$(alive $p2)"
kill -TERM $p1 $p2
set +e; wait $p1; r1=$?; wait $p2; r2=$?; set -e
nw_check "SIGTERM: both exit 0" "0|0" "$r1|$r2"
nw_check "no fatal error in either log" 0 "$(cat "$WORK/w1.log" "$WORK/w2.log" | grep -c 'ERROR \[kafka\] fatal' || true)"
nw_check "no gap was recorded" 0 "$(nw_sql "SELECT count(*) FROM needlewatch.kafka_gaps")"
nw_check_exact
nw_done

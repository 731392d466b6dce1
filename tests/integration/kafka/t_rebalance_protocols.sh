#!/usr/bin/env bash
# Rebalance protocols (real Kafka only): the worker's rebalance callback
# under each assignment protocol a worker may be configured with through
# kafka.* alone, each with three workers joining and leaving under load and
# every report stored exactly once:
#   1. eager (kafka.partition.assignment.strategy=range): every rebalance
#      revokes every partition of every member;
#   2. cooperative (cooperative-sticky): a member that keeps partitions is
#      revoked only those that move (incremental assign and unassign);
#   3. static membership (kafka.group.instance.id): a rolling restart of
#      each worker, back within the session timeout, gets its own partitions
#      back and causes no rebalance in the other.
# Each part is its own consumer group with its own database, reading the
# same topics from the start: each database must end with everything
# produced so far.
. "$(dirname "$0")/../lib.sh"
nw_setup
nw_broker_start
ING="$NW_BIN/needlewatch-ingest"
SU=$(id -un)
total() { nw_sql "SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets WHERE next_offset > 0" 2>/dev/null || echo 0; }
# use_db NAME: a fresh database for the next part (the nw_sql checks read it).
use_db() {
    psql -X -q -U "$SU" -d postgres -c "CREATE DATABASE $1 OWNER needlewatch" >/dev/null
    export PGDATABASE=$1
}
wait_all() { # SECONDS: until every message produced so far is committed
    nw_wait_sql "SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets WHERE next_offset > 0" \
        "$EXP_messages" "$1" || nw_log "timed out waiting at $(total) of $EXP_messages messages"
}
stop() { # PID...: SIGTERM; EXITS gets their exit codes joined with |
    local p rc
    EXITS=""
    kill -TERM "$@"
    for p in "$@"; do
        rc=0
        wait "$p" || rc=$?
        EXITS="$EXITS${EXITS:+|}$rc"
    done
}

# churn NAME STRATEGY SEED: three workers of group NAME, one joining and one
# leaving while SEED's reports stream in.
churn() {
    local name=$1 strategy=$2 seed=$3 p1 p2 p3
    use_db "$name"
    nw_config "$WORK/$name.properties" "pg.conninfo=dbname=$name" \
        "kafka.group.id=$(nw_topic "$name")" "kafka.partition.assignment.strategy=$strategy" \
        "ingest.batch.max_messages=200" "ingest.batch.max_ms=50"
    "$ING" --config "$WORK/$name.properties" 2>"$WORK/$name-1.log" & p1=$!
    "$ING" --config "$WORK/$name.properties" 2>"$WORK/$name-2.log" & p2=$!
    nw_wait_log "$WORK/$name-1.log" "assigned [1-9]" 60
    nw_loadgen -n 15000 --seed "$seed" --dup-rate 0.02 --followup-rate 0.05
    nw_wait_sql "SELECT coalesce(sum(next_offset), 0) > $((EXP_messages / 5)) FROM needlewatch.kafka_offsets WHERE next_offset > 0" t 120 || true
    "$ING" --config "$WORK/$name.properties" 2>"$WORK/$name-3.log" & p3=$!
    nw_log "$name: worker 3 joins at $(total) of $EXP_messages messages"
    nw_wait_log "$WORK/$name-3.log" "assigned [1-9]" 60
    nw_wait_sql "SELECT coalesce(sum(next_offset), 0) > $((EXP_messages / 2)) FROM needlewatch.kafka_offsets WHERE next_offset > 0" t 120 || true
    nw_log "$name: worker 1 leaves at $(total) of $EXP_messages messages"
    stop $p1
    nw_check "$name: worker 1 leaves, exit 0" 0 "$EXITS"
    wait_all 180
    stop $p2 $p3
    nw_check "$name: workers 2 and 3 exit 0" "0|0" "$EXITS"
    nw_check "$name: every worker ran under the $4 protocol" 3 \
        "$(grep -l "assigned [0-9]* partition(s) ($4)" "$WORK/$name"-[123].log | wc -l)"
    nw_check_exact
}

# --- 1. Eager: a member's revocations always take all it has.
churn eager range 71 eager
nw_check "eager: every revocation left the member nothing" 0 \
    "$(cat "$WORK"/eager-[123].log | grep -c 'revoked; now consuming [1-9]' || true)"

# --- 2. Cooperative: a member keeps the partitions that do not move.
churn coop cooperative-sticky 72 cooperative
nw_check "cooperative: a member was revoked some partitions and kept others" yes \
    "$(cat "$WORK"/coop-[123].log | grep -q 'revoked; now consuming [1-9]' && echo yes || echo no)"

# --- 3. Static membership: rolling restarts without a rebalance.
use_db static
for i in 1 2; do
    nw_config "$WORK/static$i.properties" "pg.conninfo=dbname=static" \
        "kafka.group.id=$(nw_topic static)" "kafka.group.instance.id=$(nw_topic static-$i)" \
        "kafka.session.timeout.ms=15000" "ingest.batch.max_messages=200" "ingest.batch.max_ms=50"
done
"$ING" --config "$WORK/static1.properties" 2>"$WORK/static-1a.log" & s1=$!
"$ING" --config "$WORK/static2.properties" 2>"$WORK/static-2a.log" & s2=$!
wait_all 180
sleep 3   # the group has settled: both members, one assignment each
owned() { # PID: the partitions the worker with that pid owns, as topic/partition
    nw_sql "SELECT string_agg(topic || '/' || partition, ' ' ORDER BY topic, partition)
            FROM needlewatch.kafka_offsets WHERE owner LIKE '%:$1'"
}
rebalances() { grep -c 'assigned [0-9]* partition(s)\|partition(s) revoked' "$1" || true; }
before1=$(owned $s1)
before2=$(owned $s2)
nw_check "static: each member owns partitions" yes "$([ -n "$before1" ] && [ -n "$before2" ] && echo yes || echo no)"
r2=$(rebalances "$WORK/static-2a.log")
stop $s1
nw_check "static: worker 1 stops, exit 0" 0 "$EXITS"
"$ING" --config "$WORK/static1.properties" 2>"$WORK/static-1b.log" & s1=$!
nw_wait_log "$WORK/static-1b.log" "assigned [1-9]" 60
nw_loadgen -n 3000 --seed 73
wait_all 120
nw_check "static: worker 1 is back with the same partitions" "$before1" "$(owned $s1)"
nw_check "static: worker 2 saw no rebalance" "$r2" "$(rebalances "$WORK/static-2a.log")"
r1=$(rebalances "$WORK/static-1b.log")
stop $s2
nw_check "static: worker 2 stops, exit 0" 0 "$EXITS"
"$ING" --config "$WORK/static2.properties" 2>"$WORK/static-2b.log" & s2=$!
nw_wait_log "$WORK/static-2b.log" "assigned [1-9]" 60
nw_loadgen -n 3000 --seed 74
wait_all 120
nw_check "static: worker 2 is back with the same partitions" "$before2" "$(owned $s2)"
nw_check "static: worker 1 saw no rebalance" "$r1" "$(rebalances "$WORK/static-1b.log")"
stop $s1 $s2
nw_check "static: both exit 0" "0|0" "$EXITS"
nw_check_exact
nw_done

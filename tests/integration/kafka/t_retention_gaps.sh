#!/usr/bin/env bash
# Data lost to retention is never silent (real Kafka only). Records the
# worker has not stored are deleted with scripts/kafka.sh delete-records,
# which moves a partition's log start offset as retention does:
#   1. while no worker runs: the next worker logs an ERROR naming topic,
#      partition and range, records the gap in needlewatch.kafka_gaps in the
#      transaction that stores the next batch of that partition, and goes on
#      from the log start; a log start exactly at the stored offset is no gap;
#   2. everything after the stored offset deleted: the gap is found at the
#      end of the partition and recorded with the offset alone;
#   3. ingest.on_gap=stop: exit 1, nothing recorded, the offset stays; a
#      worker with the default (continue) then records it;
#   4. mid-stream: a running worker that lags behind (PostgreSQL away, a
#      small prefetch) finds the gap when its fetch position is gone, without
#      a restart or a rebalance;
#   5. the metrics count gaps and lost offsets.
# Every offset of every partition is accounted for: stored, or in a gap.
. "$(dirname "$0")/../lib.sh"
nw_setup
nw_broker_start --topic treatments:2 --topic complications:1
nw_config "$WORK/w.properties" "ingest.batch.max_messages=500" "ingest.batch.max_ms=100"
TT=$(nw_topic treatments)
T='"schema_version":1,"treated_on":"2026-04-01","setting":"home","device":{"type":"derma_roller"}'

# produce PARTITION FROM TO [kcat args...]: treatments t-FROM .. t-TO to
# one partition.
produce() {
    local p=$1 from=$2 to=$3 i
    shift 3
    for i in $(seq "$from" "$to"); do printf 't-%d|{%s,"report_id":"t-%d"}\n' "$i" "$T" "$i"; done |
        nw_produce treatments -p "$p" -K '|' "$@"
}
delete_to() { # PARTITION OFFSET
    "$KAFKA_SH" delete-records "$NW_KDIR" "$TT" "$1" "$2" >>"$WORK/kafka.log" 2>&1
}
next_offset() { nw_sql "SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = '$TT' AND partition = $1"; }
gaps() { # PARTITION: its gaps, "first_missing-log_start" each
    nw_sql "SELECT coalesce(string_agg(first_missing || '-' || log_start, ' ' ORDER BY first_missing), '')
            FROM needlewatch.kafka_gaps WHERE topic = '$TT' AND partition = $1"
}
stored_in() { # PARTITION FROM TO: how many of t-FROM .. t-TO are stored
    nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE source_partition = $1
            AND substr(report_id, 3)::int BETWEEN $2 AND $3"
}
# Every offset of PARTITION below its stored next offset: a stored report or
# in a recorded gap (each message here is a distinct report).
accounted() {
    nw_sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions WHERE source_topic = '$TT'
                    AND source_partition = $1)
                 + (SELECT coalesce(sum(log_start - first_missing), 0) FROM needlewatch.kafka_gaps
                    WHERE topic = '$TT' AND partition = $1)
                 = (SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = '$TT'
                    AND partition = $1)"
}

# --- 1. Deleted while no worker runs.
produce 0 0 99
produce 1 1000 1049
nw_ingest w1 --config "$WORK/w.properties"
nw_check "first run: everything stored, offsets 100 and 50" "150|100|50" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")|$(next_offset 0)|$(next_offset 1)"
produce 0 100 199
produce 1 1050 1099
delete_to 0 150   # offsets 100..149 of partition 0 were never read
delete_to 1 50    # partition 1: exactly what was stored, nothing lost
rc=0
nw_ingest w2 --config "$WORK/w.properties" || rc=$?
nw_check "gap while stopped: the worker goes on and exits 0" 0 "$rc"
nw_check "gap while stopped: an ERROR names topic, partition and range" 1 \
    "$(grep -c "ERROR \[worker\] \[$TT/0\] offsets 100..149 (50) were deleted from Kafka" "$WORK/w2.log")"
nw_check "gap while stopped: recorded once, [100, 150) of partition 0" "100-150|" "$(gaps 0)|$(gaps 1)"
nw_check "gap while stopped: recorded with its group and worker" "$(nw_topic needlewatch-test)|yes" \
    "$(nw_sql "SELECT group_id, detected_by LIKE '%:%' AND detected_at > now() - interval '10 minutes'
               FROM needlewatch.kafka_gaps" | sed 's/|t$/|yes/')"
# The 50 reports left arrive in one fetch, hence one batch: the transaction
# that moved partition 0's offset to 200 is the one that recorded the gap
# (the report rows are written under a savepoint, so their xmin is a
# subtransaction's; the offset row's is the transaction's own).
nw_check "gap while stopped: in the transaction that stored the next batch" t \
    "$(nw_sql "SELECT g.xmin = o.xmin FROM needlewatch.kafka_gaps g, needlewatch.kafka_offsets o
               WHERE g.partition = 0 AND o.topic = g.topic AND o.partition = 0")"
nw_check "gap while stopped: the rest stored, nothing from the gap" "50|0|50" \
    "$(stored_in 0 150 199)|$(stored_in 0 100 149)|$(stored_in 1 1050 1099)"
nw_check "gap while stopped: offsets 200 and 100" "200|100" "$(next_offset 0)|$(next_offset 1)"
nw_check "log start at the stored offset: no ERROR for partition 1" 0 \
    "$(grep -c "\[$TT/1\] offsets" "$WORK/w2.log" || true)"

# --- 2. Everything after the stored offset deleted: found at the end.
produce 1 1100 1129   # offsets 100..129
delete_to 1 130
rc=0
nw_ingest w3 --config "$WORK/w.properties" || rc=$?
nw_check "gap at the end: exit 0, ERROR, recorded with the offset alone" "0|1|100-130|130" \
    "$rc|$(grep -c "\[$TT/1\] offsets 100..129 (30) were deleted" "$WORK/w3.log")|$(gaps 1)|$(next_offset 1)"

# --- 3. ingest.on_gap=stop.
produce 0 200 219     # offsets 200..219
delete_to 0 210
rc=0
nw_ingest w4 --config "$WORK/w.properties" -X ingest.on_gap=stop || rc=$?
nw_check "on_gap=stop: exit 1 with an ERROR" "1|1" \
    "$rc|$(grep -c "\[$TT/0\] offsets 200..209 (10) were deleted .*stopping (ingest.on_gap=stop)" "$WORK/w4.log")"
nw_check "on_gap=stop: nothing recorded, nothing stored, the offset stays" "100-150|0|200" \
    "$(gaps 0)|$(stored_in 0 200 219)|$(next_offset 0)"
rc=0
nw_ingest w5 --config "$WORK/w.properties" || rc=$?
nw_check "on_gap=continue (default) after it: recorded, the rest stored" "0|100-150 200-210|10|220" \
    "$rc|$(gaps 0)|$(stored_in 0 200 219)|$(next_offset 0)"

# --- 4. Mid-stream: the worker lags (PostgreSQL away, a tiny prefetch) and
# its fetch position is deleted under it. One message per record batch, or
# a fetch would bring them all at once.
produce 1 2000 2599 -X batch.num.messages=1   # offsets 130..729
"$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" -X ingest.batch.max_messages=20 \
    -X metrics.listen=127.0.0.1:0 -X kafka.queued.min.messages=1 -X kafka.fetch.max.bytes=2000 \
    -X kafka.max.partition.fetch.bytes=1000 -X kafka.message.max.bytes=1000 \
    -X kafka.statistics.interval.ms=1000 2>"$WORK/w6.log" &
pid=$!
nw_wait_sql "SELECT count(*) >= 40 FROM needlewatch.treatment_versions WHERE substr(report_id, 3)::int >= 2000" t 60 ||
    nw_log "the worker did not start storing"
"$NW_SRC/scripts/pg.sh" --immediate stop "$WORK/pg" >/dev/null 2>&1
sleep 2   # the worker fills its batch and stops fetching
delete_to 1 530   # offsets below 530 gone: the worker's position is below
"$NW_SRC/scripts/pg.sh" start "$WORK/pg" >/dev/null 2>&1
nw_wait_sql "SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = '$TT' AND partition = 1" 730 60 ||
    nw_log "the worker did not catch up"
port=$(grep -o 'serving /metrics, /healthz and /readyz on 127.0.0.1:[0-9]*' "$WORK/w6.log" | grep -o '[0-9]*$')
curl -fsS "http://127.0.0.1:$port/metrics" >"$WORK/metrics.txt" || true
kill -TERM $pid
set +e; wait $pid; rc=$?; set -e
nw_check "mid-stream: the same worker, one assignment, exit 0" "0|1" \
    "$rc|$(grep -c 'assigned [1-9]' "$WORK/w6.log")"
g=$(nw_sql "SELECT first_missing || ' ' || log_start FROM needlewatch.kafka_gaps
            WHERE topic = '$TT' AND partition = 1 AND first_missing > 100")
nw_log "mid-stream gap: $g"
nw_check "mid-stream: a gap ending at the log start, after what was stored before" yes \
    "$(read -r first start <<<"$g"; if [ "${start:-0}" = 530 ] && [ "${first:-0}" -ge 170 ] && [ "$first" -lt 530 ]; then echo yes; else echo "no ($g)"; fi)"
nw_check "mid-stream: an ERROR for it" 1 "$(grep -c "\[$TT/1\] offsets ${g%% *}..529 " "$WORK/w6.log" || true)"
nw_check "mid-stream: 530..729 stored" 200 "$(stored_in 1 2400 2599)"

# --- 5. Metrics of the mid-stream worker, and the whole account.
mval() { grep "^$1{topic=\"$TT\"}" "$WORK/metrics.txt" | awk '{print $2}'; }
nw_check "metrics: one gap, its offsets" "1|$((530 - ${g%% *}))" \
    "$(mval needlewatch_offset_gaps_total)|$(mval needlewatch_offset_gap_offsets_total)"
nw_check "every offset of partition 0 stored or in a gap" t "$(accounted 0)"
nw_check "every offset of partition 1 stored or in a gap" t "$(accounted 1)"
rc=0
nw_ingest w7 --config "$WORK/w.properties" || rc=$?
nw_check "a further run: exit 0, no new gap" "0|4" "$rc|$(nw_sql "SELECT count(*) FROM needlewatch.kafka_gaps")"
nw_done

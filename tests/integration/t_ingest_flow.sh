#!/usr/bin/env bash
# Flow control (ingest/flow.h): the worker never waits for its writer, so
# it bounds its own queue instead. With a tiny ingest.batch.max_bytes the
# open batch fills while the writer works and the partitions pause and
# resume over and over; with librdkafka's queue thresholds set tiny, the
# fetcher stops at them and the worker must kick it rather than wait out
# librdkafka 2.0.2's second. Either way every report is stored exactly once,
# with duplicates, follow-ups and withdrawals, and the worker says how often
# it paused and kicked.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start --topic treatments:6 --topic complications:4

# kicks N PAUSES|KICKS LOG: the count from the worker's final time line.
count_of() {
    grep -o "[0-9]* $1" "$2" | tail -n 1 | grep -o '^[0-9]*' || echo 0
}

# --- 1. Pauses: the open batch is bounded by bytes while the writer works.
nw_loadgen -n 12000 --seed 91 --dup-rate 0.05 --followup-rate 0.2 --nullify-rate 0.05
nw_config "$WORK/p.properties" "ingest.batch.max_messages=100000" "ingest.batch.max_ms=5000" \
    "ingest.batch.max_bytes=65536"
nw_ingest pause --config "$WORK/p.properties"
nw_check "1: worker exits 0" 0 $?
nw_check_exact
nw_check "1: the partitions paused while the writer worked" yes \
    "$([ "$(count_of pauses "$WORK/pause.log")" -gt 5 ] && echo yes)"
nw_check "1: no batch held much more than ingest.batch.max_bytes" yes \
    "$(nw_sql "SELECT CASE WHEN max(n) < 1000 THEN 'yes' ELSE 'no: ' || max(n) END
               FROM (SELECT count(*) AS n FROM needlewatch.treatment_versions
                     GROUP BY xid) b")"

# --- 2. Kicks: librdkafka's own queue thresholds are reached at once.
nw_loadgen -n 12000 --seed 92 --dup-rate 0.05 --followup-rate 0.2
nw_config "$WORK/k.properties" "kafka.queued.max.messages.kbytes=16" \
    "kafka.queued.min.messages=50" \
    "kafka.max.partition.fetch.bytes=16384"
nw_ingest kick --config "$WORK/k.properties"
nw_check "2: worker exits 0" 0 $?
nw_check_exact
nw_check "2: the worker kicked a fetcher stopped at its thresholds" yes \
    "$([ "$(count_of kicks "$WORK/kick.log")" -gt 0 ] && echo yes)"
nw_check "2: the kept counts are exact" "" \
    "$(nw_sql "SELECT kind || ' ' || key FROM needlewatch.kept_cells_check()")"
nw_done

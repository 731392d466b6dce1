#!/usr/bin/env bash
# Kafka transactions (real Kafka only): messages of an aborted producer
# transaction are in the log, with offsets, yet are never stored; those of a
# committed one are, exactly once; plain messages around them too. The
# worker consumes with isolation.level=read_committed (its default, said in
# config.c) and refuses read_uncommitted at start. The offsets the
# transaction markers and aborted messages take are no gap. Transactions are
# produced with tools/txproduce.c, which flushes every message into the log
# before it commits or aborts.
. "$(dirname "$0")/../lib.sh"
nw_setup
nw_broker_start --topic treatments:2 --topic complications:1
nw_config "$WORK/w.properties"
TT=$(nw_topic treatments)
TC=$(nw_topic complications)
T='"schema_version":1,"treated_on":"2026-04-01","setting":"clinic","device":{"type":"microneedling_pen"}'
C='"schema_version":1,"treatment_id":"t-c1-0","type":"infection"'

lines() { # PREFIX FROM TO BODY: one report per line, key|value
    local i
    for i in $(seq "$2" "$3"); do printf '%s-%d|{%s,"report_id":"%s-%d"}\n' "$1" "$i" "$4" "$1" "$i"; done
}
tx() { # TOPIC PARTITION TXID [--abort]: one transaction of the lines on stdin
    "$NW_BIN/needlewatch-txproduce" -b "$BOOT" -t "$1" -p "$2" --transactional-id "$(nw_topic "$3")" \
        -K '|' "${@:4}" >>"$WORK/txproduce.log" 2>&1
}
count() { # TABLE PATTERN
    nw_sql "SELECT count(*) FROM needlewatch.$1 WHERE report_id LIKE '$2'"
}
end_offset() { # TOPIC PARTITION: the partition's end for a read_committed reader (its LSO)
    kcat -b "$BOOT" -Q -t "$1:$2:-1" 2>/dev/null | sed -n "s/.* \[$2\] offset \([0-9]*\)$/\1/p"
}
# wait_ends EXPECTED: until the ends of treatments 0, 1 and complications 0
# are EXPECTED ("a|b|c"), or 20 s. A commit returns before the coordinator
# has written the transaction's markers into the partitions; until then a
# read_committed reader's end (the last stable offset) is short of them, and
# a worker would stop there (--exit-on-eof).
ends() { echo "$(end_offset "$TT" 0)|$(end_offset "$TT" 1)|$(end_offset "$TC" 0)"; }
wait_ends() {
    local _
    for _ in $(seq 1 100); do
        [ "$(ends)" = "$1" ] && return 0
        sleep 0.2
    done
}

# Partition 0 of treatments: plain, committed, aborted, plain. Partition 1:
# one aborted transaction and nothing else. Complications: aborted, then
# committed.
lines t-plain 0 9 "$T" | nw_produce treatments -p 0 -K '|'
lines t-c1 0 49 "$T" | tx "$TT" 0 tx-a
lines t-a1 0 49 "$T" | tx "$TT" 0 tx-a --abort
lines t-plain 10 19 "$T" | nw_produce treatments -p 0 -K '|'
lines t-a2 0 29 "$T" | tx "$TT" 1 tx-b --abort
lines c-a 0 19 "$C" | tx "$TC" 0 tx-c --abort
lines c-c 0 19 "$C" | tx "$TC" 0 tx-c
nw_check "the producer committed 2 transactions and aborted 3" "2|3" \
    "$(grep -c 'transaction committed' "$WORK/txproduce.log")|$(grep -c 'transaction aborted' "$WORK/txproduce.log")"
wait_ends "122|31|42" || true
nw_check "aborted messages are in the log: offsets up to the end of each partition" "122|31|42" "$(ends)"

rc=0
nw_ingest w1 --config "$WORK/w.properties" || rc=$?
nw_check "worker exits 0 at the end" 0 "$rc"
nw_check "committed and plain treatments stored, once" "50|20|70" \
    "$(count treatment_versions 't-c1-%')|$(count treatment_versions 't-plain-%')|$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")"
nw_check "aborted treatments never stored" "0|0" \
    "$(count treatment_versions 't-a1-%')|$(count treatment_versions 't-a2-%')"
nw_check "committed complications stored, aborted ones never" "20|0" \
    "$(count complication_versions 'c-c-%')|$(count complication_versions 'c-a-%')"
nw_check "nothing quarantined, no gap" "0|0" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.quarantine")|$(nw_sql "SELECT count(*) FROM needlewatch.kafka_gaps")"
nw_check "stored offsets: after the last message read (markers and aborted ones skipped)" "122|41" \
    "$(nw_sql "SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = '$TT' AND partition = 0")|$(nw_sql "SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = '$TC'")"

# A second round resumes across the markers: abort, commit, abort.
lines t-a3 0 19 "$T" | tx "$TT" 0 tx-a --abort
lines t-c2 0 19 "$T" | tx "$TT" 0 tx-a
lines t-a4 0 19 "$T" | tx "$TT" 1 tx-b --abort
wait_ends "164|52|42" || nw_log "the markers of the second round are late: $(ends)"
rc=0
nw_ingest w2 --config "$WORK/w.properties" || rc=$?
nw_check "second round: exit 0, the committed 20 stored, the aborted never" "0|20|0|0" \
    "$rc|$(count treatment_versions 't-c2-%')|$(count treatment_versions 't-a3-%')|$(count treatment_versions 't-a4-%')"
nw_check "second round: each version once, no gap" "90|0" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")|$(nw_sql "SELECT count(*) FROM needlewatch.kafka_gaps")"

# read_uncommitted would store aborted messages: refused at start.
rc=0
"$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" --exit-on-eof \
    -X kafka.isolation.level=read_uncommitted >"$WORK/uncommitted.log" 2>&1 || rc=$?
nw_check "isolation.level=read_uncommitted: refused at start (exit 2), saying why" "2|1" \
    "$rc|$(grep -c 'kafka.isolation.level=read_uncommitted would store messages of aborted transactions' "$WORK/uncommitted.log")"
nw_done

# shellcheck shell=bash
# lib.sh - shared helpers for the integration tests (sourced, not run).
#
# Each test gets its own folder under $NW_TMP, its own private PostgreSQL
# cluster (scripts/pg.sh) and, when it asks, its own development broker, so
# tests can run in parallel and leave nothing behind. ctest sets NW_BIN (the
# built programs), NW_SRC (the source tree) and NW_TMP.
#
# Two Kafka tiers (NW_KAFKA_TIER): "dev", the development broker
# (tools/devbroker.c, librdkafka's mock cluster, one per test), and "real",
# Apache Kafka (scripts/kafka.sh). On the real tier a test uses the cluster
# ctest's fixture started for the build (NW_KAFKA_SHARED), with topics and a
# consumer group named for the test (nw_topic), or, when it stops or kills
# brokers, a cluster of its own in $WORK/kafka. docs/kafka.md has the rest.
set -euo pipefail

: "${NW_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${NW_BIN:=$NW_SRC/build/bin}"
: "${NW_TMP:=$NW_SRC/build/it}"
: "${NW_KAFKA_TIER:=dev}"
NW_TEST=$(basename "$0" .sh)
WORK="$NW_TMP/$NW_TEST"
NW_BROKER_PID=""
NW_FAILS=0
NW_CHECKS=0
KAFKA_SH=$NW_SRC/scripts/kafka.sh
NW_KDIR=""      # real tier: the cluster's folder
NW_KOWN=0       # real tier: 1 when the cluster is this test's own
NW_KPREFIX=""   # real tier, shared cluster: prefix of this test's topic and group names

nw_log() { printf '[%s] %s\n' "$NW_TEST" "$*" >&2; }

nw_cleanup() {
    local rc=$?
    set +e
    # Stop any worker this test left running, then the broker, then PostgreSQL.
    jobs -p | xargs -r kill -TERM 2>/dev/null
    [ -n "$NW_BROKER_PID" ] && kill -TERM "$NW_BROKER_PID" 2>/dev/null && wait "$NW_BROKER_PID" 2>/dev/null
    [ "$NW_KOWN" = 1 ] && "$KAFKA_SH" --immediate stop "$NW_KDIR" >/dev/null 2>&1
    "$NW_SRC/scripts/pg.sh" stop "$WORK/pg" >/dev/null 2>&1
    if [ "$rc" -ne 0 ] || [ "$NW_FAILS" -ne 0 ]; then
        nw_log "FAILED (exit $rc, $NW_FAILS failed checks); logs kept in $WORK"
        for f in "$WORK"/*.log; do
            [ -f "$f" ] || continue
            echo "----- $f (last 30 lines)" >&2
            tail -n 30 "$f" >&2
        done
    fi
}

# nw_setup: fresh work folder and PostgreSQL; exports the PG* variables.
nw_setup() {
    # A Kafka cluster left by an earlier run that was killed (its nodes
    # outlive the test's process group) goes first.
    [ ! -f "$WORK/kafka/kafka.state" ] || "$KAFKA_SH" --immediate stop "$WORK/kafka" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    mkdir -p "$WORK"
    trap nw_cleanup EXIT
    "$NW_SRC/scripts/pg.sh" start "$WORK/pg" >"$WORK/pg-start.log" 2>&1 || {
        cat "$WORK/pg-start.log" >&2; return 1; }
    eval "$("$NW_SRC/scripts/pg.sh" env "$WORK/pg")"
}

# nw_topic NAME: the Kafka name this test uses for topic (or group) NAME:
# NAME itself, but on a shared real cluster prefixed with the test's name.
nw_topic() { printf '%s%s' "$NW_KPREFIX" "$1"; }

# nw_broker_start [devbroker args...]: starts the development broker (or,
# on the real tier, finds or starts a Kafka cluster and creates the topics)
# and sets BOOT.
nw_broker_start() {
    if [ "$NW_KAFKA_TIER" = real ]; then
        nw_kafka_start "$@"
        return
    fi
    rm -f "$WORK/bootstrap"
    "$NW_BIN/needlewatch-devbroker" --bootstrap-file "$WORK/bootstrap" "$@" \
        >"$WORK/broker.out" 2>"$WORK/broker.log" &
    NW_BROKER_PID=$!
    for _ in $(seq 1 100); do
        [ -s "$WORK/bootstrap" ] && break
        sleep 0.1
    done
    [ -s "$WORK/bootstrap" ] || { nw_log "broker did not start"; return 1; }
    BOOT=$(cat "$WORK/bootstrap")
    export BOOT
}

# nw_kafka_start [devbroker args...]: nw_broker_start on the real tier. Of
# the development broker's options it reads --topic NAME[:PARTITIONS] and
# --partitions N (the same topics, created with scripts/kafka.sh) and
# --brokers N, which asks for a cluster of N nodes of the test's own (so
# does NW_KAFKA_OWN=1, with 1 node unless --brokers says otherwise);
# --control FIFO (fault injection, mock only) asks for one of the test's own
# too, whose brokers nw_brokers_down and nw_brokers_up stop and start.
nw_kafka_start() {
    local parts=8 brokers=1 own=${NW_KAFKA_OWN:-0} topics=() t n
    while [ $# -gt 0 ]; do
        case "$1" in
        --topic) topics+=("$2"); shift 2 ;;
        --partitions) parts=$2; shift 2 ;;
        --brokers) brokers=$2; own=1; shift 2 ;;
        --control) own=1; shift 2 ;;
        *) nw_log "nw_broker_start: $1 has no real-cluster equivalent"; return 1 ;;
        esac
    done
    [ ${#topics[@]} -gt 0 ] || topics=(treatments complications)
    if [ "$own" = 1 ] || [ -z "${NW_KAFKA_SHARED:-}" ]; then
        NW_KDIR=$WORK/kafka
        NW_KOWN=1
        "$KAFKA_SH" start "$NW_KDIR" --brokers "$brokers" >>"$WORK/kafka.log" 2>&1 || {
            tail -n 30 "$WORK/kafka.log" >&2; nw_log "Kafka did not start"; return 1; }
    else
        NW_KDIR=$NW_KAFKA_SHARED
        NW_KPREFIX="$(printf '%s' "${NW_TEST#t_}" | tr '_' '-')-$(date +%s)-$$-"
    fi
    eval "$("$KAFKA_SH" env "$NW_KDIR")"
    BOOT=$NW_KAFKA_BOOTSTRAP
    export BOOT
    for t in "${topics[@]}"; do
        n=$parts
        [[ "$t" != *:* ]] || n=${t##*:}
        "$KAFKA_SH" create-topic "$NW_KDIR" "$(nw_topic "${t%%:*}")" "$n" >>"$WORK/kafka.log" 2>&1 || {
            tail -n 30 "$WORK/kafka.log" >&2; nw_log "cannot create topic ${t%%:*}"; return 1; }
    done
}

# nw_brokers_down / nw_brokers_up: every broker goes away, then comes back.
# Dev tier: the control FIFO on descriptor 9 (see t_ingest_outage.sh). Real
# tier: the test's own cluster is killed (SIGKILL, a crash) and started again
# with its data.
nw_brokers_down() {
    if [ "$NW_KAFKA_TIER" = real ]; then
        "$KAFKA_SH" --immediate stop "$NW_KDIR" >>"$WORK/kafka.log" 2>&1
    else
        echo "down all" >&9
    fi
}
nw_brokers_up() {
    if [ "$NW_KAFKA_TIER" = real ]; then
        "$KAFKA_SH" start "$NW_KDIR" >>"$WORK/kafka.log" 2>&1
    else
        echo "up all" >&9
    fi
}

# nw_config FILE [extra key=value lines...]: writes a worker config for this test.
nw_config() {
    local file=$1; shift
    {
        echo "kafka.bootstrap.servers=$BOOT"
        echo "kafka.group.id=$(nw_topic needlewatch-test)"
        if [ -n "$NW_KPREFIX" ]; then
            echo "topic.treatments=$(nw_topic treatments)"
            echo "topic.complications=$(nw_topic complications)"
        fi
        echo "pg.conninfo="
        echo "ingest.batch.max_messages=500"
        echo "ingest.batch.max_ms=200"
        echo "stats.interval_ms=1000"
        echo "kafka.session.timeout.ms=6000"
        echo "kafka.heartbeat.interval.ms=500"
        for line in "$@"; do echo "$line"; done
    } >"$file"
}

# nw_produce TOPIC [kcat args...] < lines: produces one message per input line with kcat.
nw_produce() {
    local topic=$1; shift
    kcat -b "$BOOT" -P -t "$(nw_topic "$topic")" "$@"
}

# nw_ingest LOGNAME [worker args...]: runs one worker to end of the topics.
nw_ingest() {
    local name=$1; shift
    timeout --foreground -k 60 120 "$NW_BIN/needlewatch-ingest" --exit-on-eof "$@" >>"$WORK/$name.log" 2>&1
}

# nw_apply_sql: applies sql/ by hand as an operator would (docker/migrate.sh:
# the numbered migrations, then the repeatable files, with their checksums).
nw_apply_sql() { bash "$NW_SRC/docker/migrate.sh" "$NW_SRC/sql" >/dev/null; }

# nw_sql QUERY: one query, unaligned tuples-only output.
nw_sql() { psql -X -q -At -v ON_ERROR_STOP=1 -c "$1"; }

# nw_check NAME EXPECTED ACTUAL
nw_check() {
    NW_CHECKS=$((NW_CHECKS + 1))
    if [ "$2" == "$3" ]; then
        nw_log "ok   $1"
    else
        NW_FAILS=$((NW_FAILS + 1))
        nw_log "FAIL $1: expected [$2], got [$3]"
    fi
}

# nw_done: exits non-zero when any check failed.
nw_done() {
    nw_log "$NW_CHECKS checks, $NW_FAILS failed"
    [ "$NW_FAILS" -eq 0 ]
}

# nw_loadgen [loadgen args...]: produces a population, appends its dump to
# $WORK/dump.jsonl and writes the expected final counts over everything
# produced so far to $WORK/expect (also set as EXP_* variables).
nw_loadgen() {
    "$NW_BIN/needlewatch-loadgen" -b "$BOOT" --quiet --dump "$WORK/dump.part" \
        --topic-treatments "$(nw_topic treatments)" --topic-complications "$(nw_topic complications)" \
        "$@" >>"$WORK/loadgen.out" 2>>"$WORK/loadgen.log"
    cat "$WORK/dump.part" >>"$WORK/dump.jsonl"
    rm -f "$WORK/dump.part"
    python3 "$NW_SRC/tests/integration/expect.py" "$WORK/dump.jsonl" "$(nw_topic treatments)" \
        "$(nw_topic complications)" >"$WORK/expect"
    while IFS='=' read -r k v; do
        printf -v "EXP_${k}" '%s' "$v"
    done <"$WORK/expect"
}

# nw_check_exact: the database holds exactly what the dump says, once.
# shellcheck disable=SC2154 # the EXP_* variables are set by nw_loadgen (printf -v)
nw_check_exact() {
    nw_check "treatment versions stored exactly once" "$EXP_treatment_versions" \
        "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")"
    nw_check "complication versions stored exactly once" "$EXP_complication_versions" \
        "$(nw_sql "SELECT count(*) FROM needlewatch.complication_versions")"
    nw_check "current treatments" "$EXP_treatments" \
        "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
    nw_check "current complications" "$EXP_complications" \
        "$(nw_sql "SELECT count(*) FROM needlewatch.complications")"
    nw_check "no duplicate report_id in the views" "0" \
        "$(nw_sql "SELECT (SELECT count(*) - count(DISTINCT report_id) FROM needlewatch.treatments) + (SELECT count(*) - count(DISTINCT report_id) FROM needlewatch.complications)")"
    nw_check "quarantine holds exactly the malformed messages" "$EXP_invalid" \
        "$(nw_sql "SELECT count(*) FROM needlewatch.quarantine")"
    nw_check "stored offsets cover every message" "$EXP_messages" \
        "$(nw_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0")"
}

# nw_wait_sql QUERY EXPECTED [SECONDS]: waits until QUERY returns EXPECTED.
nw_wait_sql() {
    local deadline=$((SECONDS + ${3:-120}))
    while [ $SECONDS -lt $deadline ]; do
        [ "$(nw_sql "$1" 2>/dev/null)" == "$2" ] && return 0
        sleep 0.1
    done
    return 1
}

# nw_wait_log FILE PATTERN [SECONDS]: waits until FILE has a line matching PATTERN.
nw_wait_log() {
    local deadline=$((SECONDS + ${3:-60}))
    while [ $SECONDS -lt $deadline ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    return 1
}

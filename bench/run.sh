#!/usr/bin/env bash
# run.sh - the needlewatch ingest benchmark (issue 5). One command:
#
#   bash bench/run.sh [options]
#
# On the development broker (librdkafka's mock cluster) and a private
# PostgreSQL (scripts/pg.sh: pg.sh's settings, fsync on), it
#   1. produces --treatments reports and the complications that follow them
#      (needlewatch-loadgen, lz4) to --partitions-partition topics, checks
#      the mock kept every message, and derives from the dump the expected
#      counts (tests/integration/expect.py) and the typed CSV for COPY
#      (bench/dump2csv.py) - none of that is timed;
#   2. --runs times, each into fresh databases:
#        ingest   needlewatch-ingest --exit-on-eof, start to exit (everything
#                 committed), peak RSS from /usr/bin/time -v;
#        copy     the physical limit: bare COPY of the typed CSV (with the
#                 original message) into the tables of sql/001_schema.sql;
#        diy      kcat -> COPY into a jsonb staging table -> INSERT ... SELECT
#                 ... ON CONFLICT DO NOTHING, kcat start to the INSERT's commit;
#      and on a --sample-report sample of their own topics:
#        ingest, rowsink (per-row prepared INSERT, 500 per transaction: the
#        Kafka Connect JDBC sink's pattern) in roundtrip and pipeline mode;
#   3. a scaling sweep (--sweep-treatments reports): 1 and 2 workers over
#      several partition counts, plus a stream with duplicates (every batch
#      then takes the worker's staging path);
#   4. optionally (--backlogs) the worker's peak RSS at several backlog sizes;
#   5. optionally (--breakdown) where the worker's PostgreSQL time goes, per
#      statement, from one extra ingest run with log_min_duration_statement=0;
#   6. prints reports/s, the ratios and peak RSS, and rewrites the generated
#      part of bench/RESULTS.md (text outside its markers is kept).
# It exits non-zero if any ingest (or any alternative) did not store exactly
# the expected counts; a slow machine fails nothing.
#
# Options (defaults in brackets):
#   --treatments N           treatments in the main run [1000000]
#   --partitions P           partitions per topic, main run [32]
#   --runs K                 timed repetitions; medians are reported [3]
#   --sample N               treatments in the rowsink sample [50000]
#   --sweep-treatments N     treatments in the sweep, 0 = no sweep [200000]
#   --sweep-partitions "A B" partition counts in the sweep ["4 16 64"]
#   --sweep-workers "1 2"    worker counts in the sweep ["1 2"]
#   --sweep-runs K           repetitions per sweep cell [3]
#   --dup-rate F             loadgen --dup-rate of the sweep's duplicate row [0.01]
#   --backlogs "N M"         backlog sizes for the RSS check, "" = skip [""]
#   --backlog-partitions P   partitions for the backlog topics [160]
#   --breakdown / --no-breakdown   per-statement PostgreSQL time [on]
#   --profile                with the breakdown run, perf profiles of the
#                            worker and its PostgreSQL backend (linux-perf) [off]
#   --rss-probe "M1 M2"      extra 1M-style runs of the main topics with
#                            kafka.queued.min.messages=M (the prefetch queue's
#                            length), to show what the worker's RSS is made of
#                            and what a shorter queue costs, "" = skip [""]
#   --compare "REV..."       also time, in every run, the worker built from each
#                            git revision REV (git archive, its own migrations) [off]
#   --real-kafka             also time the main ingest against Apache Kafka
#                            (scripts/kafka.sh, the same messages produced to a
#                            real cluster in WORKDIR/kafka), beside the
#                            development broker's and the bare COPY, every run [off]
#   --real-kafka-brokers N   nodes of that cluster (replication min(3, N)) [1]
#   -X key=value             extra worker setting for every ingest (repeatable)
#   --workdir DIR            scratch space [build-bench/bench-work]
#   --results FILE           [bench/RESULTS.md]; --no-results to skip
#   --no-build               use the existing build-bench binaries
#   --bin DIR                use the binaries in DIR (implies --no-build); the
#                            CI smoke test (ctest bench.smoke) runs a tiny
#                            version this way, with no timing asserted
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
COMMAND="bash bench/run.sh"
[ $# -eq 0 ] || COMMAND="$COMMAND$(printf " %q" "$@")"

N=1000000
PARTS=32
RUNS=3
SAMPLE=50000
SWEEP_N=200000
SWEEP_PARTS="4 16 64"
SWEEP_WORKERS="1 2"
SWEEP_RUNS=3
DUP_RATE=0.01
BACKLOGS=""
BACKLOG_PARTS=160
BREAKDOWN=1
PROFILE=0
RSS_PROBE=""
COMPARE=""
WORKER_X=()
REAL_KAFKA=0
REAL_KAFKA_BROKERS=1
BIN_DIR=""
WORK=$ROOT/build-bench/bench-work
RESULTS=$BENCH/RESULTS.md
BUILD=1
SEED=1

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
    case "$1" in
    --treatments) N=$2; shift 2 ;;
    --partitions) PARTS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --sample) SAMPLE=$2; shift 2 ;;
    --sweep-treatments) SWEEP_N=$2; shift 2 ;;
    --sweep-partitions) SWEEP_PARTS=$2; shift 2 ;;
    --sweep-workers) SWEEP_WORKERS=$2; shift 2 ;;
    --sweep-runs) SWEEP_RUNS=$2; shift 2 ;;
    --dup-rate) DUP_RATE=$2; shift 2 ;;
    --backlogs) BACKLOGS=$2; shift 2 ;;
    --backlog-partitions) BACKLOG_PARTS=$2; shift 2 ;;
    --breakdown) BREAKDOWN=1; shift ;;
    --no-breakdown) BREAKDOWN=0; shift ;;
    --profile) PROFILE=1; BREAKDOWN=1; shift ;;
    --rss-probe) RSS_PROBE=$2; shift 2 ;;
    --compare) COMPARE=$2; shift 2 ;;
    --real-kafka) REAL_KAFKA=1; shift ;;
    --real-kafka-brokers) REAL_KAFKA=1; REAL_KAFKA_BROKERS=$2; shift 2 ;;
    -X) WORKER_X+=(-X "$2"); shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    --results) RESULTS=$2; shift 2 ;;
    --no-results) RESULTS=""; shift ;;
    --no-build) BUILD=0; shift ;;
    --bin) BIN_DIR=$2; BUILD=0; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "run.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
    esac
done

BIN=${BIN_DIR:-$ROOT/build-bench/bin}
T0=$(date +%s)
log() { printf '[bench %4ds] %s\n' $(($(date +%s) - T0)) "$*" >&2; }
die() {
    log "ERROR: $*"
    [ -z "${WORK:-}" ] || [ ! -e "$WORK/.broker-died" ] || log "ERROR: $(cat "$WORK/.broker-died")"
    exit 1
}
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.3f}')" "$1" "$2"; }

# ---- preflight ------------------------------------------------------------
for tool in kcat psql python3 cc pkg-config cmake; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install kcat postgresql-client python3 gcc pkg-config cmake)"
done
[ -x /usr/bin/time ] || die "/usr/bin/time is missing (apt-get install time)"
[ "$PROFILE" = 0 ] || command -v perf >/dev/null || die "--profile needs perf (apt-get install linux-perf)"
# What is measured is the tree as built now: record it before building.
GIT_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
GIT_DIRTY=$(git -C "$ROOT" status --porcelain -- ingest common sql tools 2>/dev/null |
    awk '{printf "%s%s (%s)", (NR > 1 ? ", " : ""), $2, ($1 == "??" ? "untracked" : "modified")}')

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
RES=$WORK/results.tsv    # section, label, run, reports, seconds, rss_kb, join_seconds
: >"$RES"

if [ "$BUILD" = 1 ]; then
    log "building needlewatch (Release) into build-bench"
    cmake -S "$ROOT" -B "$ROOT/build-bench" -DCMAKE_BUILD_TYPE=Release >"$WORK/cmake.log" 2>&1 ||
        { cat "$WORK/cmake.log" >&2; die "cmake failed"; }
    cmake --build "$ROOT/build-bench" -j "$(nproc)" >>"$WORK/cmake.log" 2>&1 ||
        { tail -n 30 "$WORK/cmake.log" >&2; die "build failed"; }
fi
for b in needlewatch-ingest needlewatch-loadgen needlewatch-devbroker; do
    [ -x "$BIN/$b" ] || die "$BIN/$b not built"
done
CMP_REVS=""
for rev in $COMPARE; do
    short=$(git -C "$ROOT" rev-parse --short "$rev") || die "--compare: no revision $rev"
    log "building the worker of $short (git archive) for comparison"
    rm -rf "$WORK/compare/$short"
    mkdir -p "$WORK/compare/$short/src"
    git -C "$ROOT" archive "$short" | tar -x -C "$WORK/compare/$short/src"
    { cmake -S "$WORK/compare/$short/src" -B "$WORK/compare/$short/build" -DCMAKE_BUILD_TYPE=Release &&
      cmake --build "$WORK/compare/$short/build" -j "$(nproc)" --target needlewatch-ingest; } \
        >"$WORK/compare/$short/build.log" 2>&1 ||
        { tail -n 30 "$WORK/compare/$short/build.log" >&2; die "building $short failed"; }
    CMP_REVS="$CMP_REVS $short"
done
log "building bench/rowsink.c"
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -O2 -Wall -Wextra -Werror "$BENCH/rowsink.c" \
    $(pkg-config --cflags --libs rdkafka libpq libcjson) -o "$WORK/rowsink"

# ---- PostgreSQL and the broker ----------------------------------------------
BROKER_PID=""
WATCHDOG_PID=""
# descendants PID: every process below PID (children first-level, then theirs).
descendants() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        echo "$c"
        descendants "$c"
    done
}
cleanup() {
    local rc=$?
    set +e
    touch "$WORK/.stopping"
    [ -n "$WATCHDOG_PID" ] && kill -TERM "$WATCHDOG_PID" 2>/dev/null
    [ -n "$BROKER_PID" ] && kill -TERM "$BROKER_PID" 2>/dev/null && wait "$BROKER_PID" 2>/dev/null
    [ "$REAL_KAFKA" = 0 ] || bash "$ROOT/scripts/kafka.sh" --immediate stop "$WORK/kafka" >/dev/null 2>&1
    bash "$ROOT/scripts/pg.sh" stop "$WORK/pg" >/dev/null 2>&1
    [ "$rc" -ne 0 ] && log "failed (exit $rc); logs are in $WORK"
}
trap cleanup EXIT
trap 'die "stopped by a signal"' TERM INT

# watch_broker: if the development broker exits while we run (another user's
# cleanup killing it, or a crash), every client would retry forever. Stop
# this run's own processes (the descendants of this script, by PID) and the
# script itself, saying why.
watch_broker() {
    local p mine=""
    set +e +o pipefail
    while kill -0 "$BROKER_PID" 2>/dev/null; do sleep 1; done
    [ -e "$WORK/.stopping" ] && exit 0
    echo "the development broker (pid $BROKER_PID) exited unexpectedly: measurements in progress were abandoned" >"$WORK/.broker-died"
    # SIGKILL, all from one list taken now: without a broker a worker cannot
    # finish a graceful stop, and one whose /usr/bin/time parent died first
    # would no longer be found below this script.
    for p in $(descendants $$); do
        [ "$p" = "$BASHPID" ] || mine="$mine $p"
    done
    for p in $mine; do kill -KILL "$p" 2>/dev/null; done
    kill -TERM $$ 2>/dev/null
}

log "starting a private PostgreSQL in $WORK/pg"
bash "$ROOT/scripts/pg.sh" start "$WORK/pg" >"$WORK/pg-start.log" 2>&1 ||
    { cat "$WORK/pg-start.log" >&2; die "PostgreSQL did not start"; }
eval "$(bash "$ROOT/scripts/pg.sh" env "$WORK/pg")"
ADMIN=$(id -un) # pg.sh makes the invoking user a superuser role
PGLOG=$(dirname "$(sed -n 's/^data=//p' "$WORK/pg/pg.state" | tail -n 1)")/postgres.log

sql_admin() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 -U "$ADMIN" -d postgres "$@"; }
sql_in() { local db=$1; shift; psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

# fresh_db NAME [tables]: drops and recreates NAME owned by needlewatch; with
# "tables", applies sql/001_schema.sql (the same tables, keys and indexes the
# worker writes). Ends with a CHECKPOINT so no measurement pays for the
# previous one's dirty buffers.
fresh_db() {
    sql_admin -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 OWNER needlewatch"
    if [ "${2:-}" = tables ]; then
        sql_in "$1" -f "$ROOT/sql/001_schema.sql" >/dev/null
    fi
    sql_admin -c "CHECKPOINT"
}
drop_db() { sql_admin -c "DROP DATABASE IF EXISTS $1"; }

# The topics: main, sample, sweep (one pair per partition count), backlogs.
topic_args=(--topic "treatments:$PARTS" --topic "complications:$PARTS"
            --topic "sample-treatments:$PARTS" --topic "sample-complications:$PARTS"
            --topic "empty-treatments:1" --topic "empty-complications:1")
if [ "$SWEEP_N" -gt 0 ]; then
    for p in $SWEEP_PARTS; do
        topic_args+=(--topic "sw$p-treatments:$p" --topic "sw$p-complications:$p")
    done
    topic_args+=(--topic "swdup-treatments:$PARTS" --topic "swdup-complications:$PARTS")
fi
for b in $BACKLOGS; do
    topic_args+=(--topic "bl$b-treatments:$BACKLOG_PARTS" --topic "bl$b-complications:$BACKLOG_PARTS")
done
log "starting the development broker (${#topic_args[@]} topic arguments)"
rm -f "$WORK/bootstrap"
"$BIN/needlewatch-devbroker" --bootstrap-file "$WORK/bootstrap" --log-level warn "${topic_args[@]}" \
    >"$WORK/broker.out" 2>"$WORK/broker.log" &
BROKER_PID=$!
for _ in $(seq 1 150); do [ -s "$WORK/bootstrap" ] && break; sleep 0.1; done
[ -s "$WORK/bootstrap" ] || die "the broker did not start (see $WORK/broker.log)"
BOOT=$(cat "$WORK/bootstrap")
rm -f "$WORK/.stopping" "$WORK/.broker-died"
watch_broker &
WATCHDOG_PID=$!

# ---- producing ----------------------------------------------------------------
# produce PREFIX N SEED [loadgen args...]: topics PREFIXtreatments and
# PREFIXcomplications (PREFIX "" for the main ones); the dump goes to
# $WORK/NAME.jsonl and the expected counts to $WORK/NAME.expect, NAME being
# PREFIX without its trailing "-", or "main".
produce() {
    local prefix=$1 n=$2 seed=$3 name=${1%-}; shift 3
    name=${name:-main}
    log "producing $n treatments (seed $seed) to ${prefix}treatments/${prefix}complications"
    "$BIN/needlewatch-loadgen" -b "$BOOT" -n "$n" --seed "$seed" --start-date 2025-01-01 \
        --topic-treatments "${prefix}treatments" --topic-complications "${prefix}complications" \
        --compression lz4 --quiet --dump "$WORK/$name.jsonl" "$@" >"$WORK/$name.loadgen" \
        2>"$WORK/$name.loadgen.log" || { cat "$WORK/$name.loadgen.log" >&2; die "loadgen failed"; }
    python3 "$ROOT/tests/integration/expect.py" "$WORK/$name.jsonl" "${prefix}treatments" \
        "${prefix}complications" >"$WORK/$name.expect"
    check_retention "$prefix" "$name"
}

# check_retention PREFIX NAME: the mock drops a partition's oldest batches
# beyond ~5 MiB. Every partition must still start at offset 0, and the end
# offsets must add up to what was produced.
check_retention() {
    local prefix=$1 name=$2 kind topic parts p sum want lo_args=() hi_args=()
    for kind in treatments complications; do
        topic="${prefix}$kind"
        parts=$(kcat -b "$BOOT" -L -t "$topic" 2>/dev/null | grep -c 'partition [0-9]*, leader')
        lo_args=(); hi_args=()
        for p in $(seq 0 $((parts - 1))); do
            lo_args+=(-t "$topic:$p:-2")
            hi_args+=(-t "$topic:$p:-1")
        done
        # Lines "TOPIC [P] offset N": log start offsets, then end offsets.
        p=$(kcat -b "$BOOT" -Q "${lo_args[@]}" 2>/dev/null | awk '$NF != 0 {print $2}' | head -n 1)
        [ -z "$p" ] || die "$topic partition $p no longer starts at offset 0: the mock broker dropped messages (it keeps ~5 MiB per partition); use more partitions"
        sum=$(kcat -b "$BOOT" -Q "${hi_args[@]}" 2>/dev/null | awk '{s += $NF} END {print s + 0}')
        want=$(grep -c "\"topic\":\"$topic\"" "$WORK/$name.jsonl" || true)
        [ "$sum" = "$want" ] || die "$topic holds $sum messages, $want were produced"
        log "  $topic: $want messages in $parts partitions, none dropped"
    done
}

expect_get() { sed -n "s/^$2=//p" "$WORK/$1.expect"; }

produce "" "$N" "$SEED"
MAIN_MSGS=$(expect_get main messages)

# The real cluster (--real-kafka): the same main messages, produced the same
# way (loadgen's output depends only on its options and seed), to topics of
# the same names and partition counts. Not timed either.
REAL_BOOT=""
REAL_KAFKA_VERSION=""
if [ "$REAL_KAFKA" = 1 ]; then
    log "starting Apache Kafka ($REAL_KAFKA_BROKERS node(s)) in $WORK/kafka"
    bash "$ROOT/scripts/kafka.sh" --immediate stop "$WORK/kafka" >/dev/null 2>&1 || true
    rm -rf "$WORK/kafka"
    bash "$ROOT/scripts/kafka.sh" start "$WORK/kafka" --brokers "$REAL_KAFKA_BROKERS" \
        >"$WORK/kafka-start.log" 2>&1 || { tail -n 30 "$WORK/kafka-start.log" >&2; die "Kafka did not start"; }
    REAL_BOOT=$(bash "$ROOT/scripts/kafka.sh" env "$WORK/kafka" | sed -n "s/^export NW_KAFKA_BOOTSTRAP='\(.*\)'$/\1/p")
    REAL_KAFKA_VERSION=$(sed -n 's/^version=//p' "$WORK/kafka/kafka.state")
    for kind in treatments complications; do
        bash "$ROOT/scripts/kafka.sh" create-topic "$WORK/kafka" "$kind" "$PARTS" >>"$WORK/kafka-start.log" 2>&1 ||
            die "cannot create $kind on the real cluster"
    done
    log "producing the main $N treatments again, to Apache Kafka $REAL_KAFKA_VERSION"
    "$BIN/needlewatch-loadgen" -b "$REAL_BOOT" -n "$N" --seed "$SEED" --start-date 2025-01-01 \
        --compression lz4 --quiet --dump "$WORK/main-kafka.jsonl" >"$WORK/main-kafka.loadgen" \
        2>"$WORK/main-kafka.loadgen.log" || { cat "$WORK/main-kafka.loadgen.log" >&2; die "loadgen failed"; }
    cmp -s "$WORK/main.jsonl" "$WORK/main-kafka.jsonl" ||
        die "loadgen produced other messages for the real cluster than for the development broker"
    rm -f "$WORK/main-kafka.jsonl"
    log "  the same $MAIN_MSGS messages"
fi
log "typed CSV for the bare COPY (not timed)"
mkdir -p "$WORK/csv"
python3 "$BENCH/dump2csv.py" "$WORK/main.jsonl" "$PARTS" "$WORK/csv"
produce sample- "$SAMPLE" 2
SAMPLE_MSGS=$(expect_get sample messages)

# ---- measurements -------------------------------------------------------------
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RES"; }
rss_of() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

# check_counts DB NAME LABEL [worker]: the tables hold exactly what the dump
# says; for the worker also the views, the quarantine and the offsets.
check_counts() {
    local db=$1 name=$2 label=$3 got want
    got="$(sql_in "$db" -c "SELECT count(*) FROM needlewatch.treatment_versions")/$(sql_in "$db" -c "SELECT count(*) FROM needlewatch.complication_versions")"
    want="$(expect_get "$name" treatment_versions)/$(expect_get "$name" complication_versions)"
    [ "$got" = "$want" ] || die "$label stored $got treatment/complication versions, expected $want"
    if [ "${4:-}" = worker ]; then
        got="$(sql_in "$db" -c "SELECT count(*) FROM needlewatch.treatments")/$(sql_in "$db" -c "SELECT count(*) FROM needlewatch.complications")/$(sql_in "$db" -c "SELECT count(*) FROM needlewatch.quarantine")/$(sql_in "$db" -c "SELECT coalesce(sum(next_offset), 0) FROM needlewatch.kafka_offsets WHERE next_offset > 0")"
        want="$(expect_get "$name" treatments)/$(expect_get "$name" complications)/$(expect_get "$name" invalid)/$(expect_get "$name" messages)"
        [ "$got" = "$want" ] || die "$label: current treatments/complications/quarantine/offsets are $got, expected $want"
    fi
}

# worker_conf FILE PREFIX GROUP DB
worker_conf() {
    cat >"$1" <<EOF
kafka.bootstrap.servers=$BOOT
kafka.group.id=$3
pg.conninfo=dbname=$4
topic.treatments=${2}treatments
topic.complications=${2}complications
stats.interval_ms=5000
EOF
}

# log_seconds LOG START PATTERN: seconds from START (epoch) to the first
# worker log line matching PATTERN (log lines start with an ISO UTC time).
log_seconds() {
    python3 - "$1" "$2" "$3" <<'EOF'
import datetime, re, sys
for line in open(sys.argv[1]):
    m = re.match(r"(\S+Z) ", line)
    if m and re.search(sys.argv[3], line):
        t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
        t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
        print(f"{t - float(sys.argv[2]):.3f}")
        break
else:
    print("")
EOF
}
# The consumer group join: start to the first assignment (the broker's
# initial rebalance delay, 3 s, like Kafka's group.initial.rebalance.delay.ms).
join_seconds() { log_seconds "$1" "$2" '\[worker\] assigned'; }
# Start to "every assigned partition consumed and committed; exiting".
committed_seconds() { log_seconds "$1" "$2" 'consumed and committed'; }

# user_triggers DB: how many user triggers fire on the worker's inserts into
# the tables it writes (before 012 the kept counts were kept that way; since,
# none: the statement triggers of sql/repeatable/30_kept.sql fire on UPDATE,
# DELETE and TRUNCATE only). tgtype bit 2 is INSERT.
user_triggers() {
    sql_in "$1" -c "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgtype & 4 <> 0
        AND tgrelid IN ('needlewatch.treatment_versions'::regclass,
                        'needlewatch.complication_versions'::regclass,
                        'needlewatch.quarantine'::regclass)"
}

# without_triggers DB DIR: lets the worker apply its own (compiled-in)
# migrations by running it once over two empty topics, then disables the
# user triggers on the tables it writes, so a following ingest measures the
# worker without them. Attribution only: the worker never runs like this.
without_triggers() {
    local db=$1 dir=$2 t
    worker_conf "$dir/migrate.properties" empty- "bench-migrate-$SEQ-$$" "$db"
    "$BIN/needlewatch-ingest" --config "$dir/migrate.properties" --exit-on-eof \
        >/dev/null 2>"$dir/migrate.log" || { tail -n 20 "$dir/migrate.log" >&2; die "migrating $db failed"; }
    for t in treatment_versions complication_versions quarantine; do
        sql_in "$db" -c "ALTER TABLE needlewatch.$t DISABLE TRIGGER USER"
    done
    sql_admin -c "CHECKPOINT"
}

# run_ingest SECTION LABEL RUN PREFIX NAME WORKERS: fresh database, WORKERS
# workers in one group, timed from start until the last exits.
#
# Several workers: the mock broker's group coordinator has two quirks (see
# needlewatch-devbroker --help): when a member leaves, the others wait
# session.timeout.ms - 1 s before their rebalance completes, and now and then
# a member that joined with the others gets no assignment until such a
# rebalance. So multi-worker runs use session.timeout.ms=6000 (as the
# integration tests do), and a run in which a worker waited more than
# MOCK_JOIN_LIMIT s for its first assignment is discarded and repeated (up
# to twice; logged, and counted in RESULTS.md). A real Kafka broker does
# neither.
MOCK_JOIN_LIMIT=5
MOCK_RETRIES=0
SEQ=0
run_ingest() {
    local section=$1 label=$2 run=$3 prefix=$4 name=$5 workers=$6
    for _ in 1 2 3; do
        if ingest_once "$@"; then
            return 0
        fi
        MOCK_RETRIES=$((MOCK_RETRIES + 1))
        log "  $section/$label run $run: a worker waited over ${MOCK_JOIN_LIMIT} s for its assignment (mock broker quirk); repeating"
    done
    die "$section/$label run $run: the mock broker kept a worker waiting for its assignment three times"
}

# ingest_once ...: one attempt; returns 1 when it must be repeated.
ingest_once() {
    local section=$1 label=$2 run=$3 prefix=$4 name=$5 workers=$6
    local db=nwb_ingest dir t1 t2 secs exit_secs c rss=0 r join j i pids=() group_x=()
    SEQ=$((SEQ + 1))
    dir=$WORK/runs/$section-$label-$run
    rm -rf "$dir"
    mkdir -p "$dir"
    fresh_db "$db"
    if [ "${NOTRIG:-0}" = 1 ]; then
        without_triggers "$db" "$dir"
    fi
    worker_conf "$dir/w.properties" "$prefix" "bench-$SEQ-$$" "$db"
    if [ "$workers" -gt 1 ]; then
        group_x=(-X kafka.session.timeout.ms=6000 -X kafka.heartbeat.interval.ms=500
                 -X kafka.partition.assignment.strategy=cooperative-sticky)
    fi
    t1=$(now)
    for i in $(seq 1 "$workers"); do
        /usr/bin/time -v -o "$dir/w$i.time" "${INGEST_BIN:-$BIN/needlewatch-ingest}" \
            --config "$dir/w.properties" --exit-on-eof "${group_x[@]}" "${WORKER_X[@]}" \
            >"$dir/w$i.out" 2>"$dir/w$i.log" &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { tail -n 20 "$dir/w$((i + 1)).log" >&2; die "$label: worker $((i + 1)) failed"; }
    done
    t2=$(now)
    exit_secs=$(elapsed "$t1" "$t2")
    # The time is start to the last "consumed and committed" line: what
    # follows (leaving the group) is shutdown, not ingest. With one worker
    # the two differ by milliseconds; with several, a worker leaving the
    # mock's group can take seconds.
    secs=0
    join=""
    for i in $(seq 1 "$workers"); do
        c=$(committed_seconds "$dir/w$i.log" "$t1")
        [ -n "$c" ] || c=$exit_secs
        secs=$(python3 -c "import sys; print(max(float(sys.argv[1]), float(sys.argv[2])))" "$secs" "$c")
    done
    for i in $(seq 1 "$workers"); do
        r=$(rss_of "$dir/w$i.time")
        [ "$r" -gt "$rss" ] && rss=$r
        j=$(join_seconds "$dir/w$i.log" "$t1")
        if [ "$workers" -gt 1 ] && { [ -z "$j" ] || python3 -c "import sys; sys.exit(float(sys.argv[1]) <= float(sys.argv[2]))" "$j" "$MOCK_JOIN_LIMIT"; }; then
            mv "$dir" "$dir.discarded-$SEQ"
            return 1
        fi
        [ -n "$join" ] || join=$j
    done
    check_counts "$db" "$name" "ingest ($label, run $run)" worker
    record "$section" "$label" "$run" "$(expect_get "$name" messages)" "$secs" "$rss" "$join"
    log "  $section/$label run $run: $secs s to the last commit (process exit $exit_secs s), peak RSS $((rss / 1024)) MiB, group join ${join:-?} s"
}

T_COLS=$(python3 -c "import sys; sys.path.insert(0, sys.argv[1]); import dump2csv; print(', '.join(dump2csv.T_COLS))" "$BENCH")
C_COLS=$(python3 -c "import sys; sys.path.insert(0, sys.argv[1]); import dump2csv; print(', '.join(dump2csv.C_COLS))" "$BENCH")

run_copy() {
    local run=$1 db=nwb_copy t1 t2 secs
    fresh_db "$db" tables
    t1=$(now)
    sql_in "$db" \
        -c "\\copy needlewatch.treatment_versions ($T_COLS) FROM '$WORK/csv/treatment_versions.csv' (FORMAT csv)" \
        -c "\\copy needlewatch.complication_versions ($C_COLS) FROM '$WORK/csv/complication_versions.csv' (FORMAT csv)"
    t2=$(now)
    secs=$(elapsed "$t1" "$t2")
    check_counts "$db" main "bare COPY (run $run)"
    record main copy "$run" "$MAIN_MSGS" "$secs" "" ""
    log "  main/copy run $run: $secs s"
}

# The rows the bare COPY and the worker stored must be the same rows: one
# digest over every column but ingested_at, in each database.
rows_digest() {
    sql_in "$1" -c "SET TIME ZONE 'UTC'" -c "SELECT md5(string_agg(md5(t::text), '' ORDER BY report_id, version)) FROM (SELECT report_id, version, nullified, treated_on, setting, device_type, manufacturer, model, needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum, region, reported_at, source_topic, source_partition, source_offset, message FROM needlewatch.treatment_versions) t" \
        -c "SELECT md5(string_agg(md5(c::text), '' ORDER BY report_id, version)) FROM (SELECT report_id, version, nullified, treatment_id, type, severity, onset_days, outcome, medical_attention, reported_at, source_topic, source_partition, source_offset, message FROM needlewatch.complication_versions) c"
}

DIY_T="INSERT INTO needlewatch.treatment_versions ($T_COLS)
SELECT doc->>'report_id', coalesce((doc->>'version')::int, 1), coalesce((doc->>'nullified')::boolean, false),
       (doc->>'treated_on')::date, doc->>'setting', doc#>>'{device,type}', doc#>>'{device,manufacturer}',
       doc#>>'{device,model}', (doc#>>'{device,needle_depth_mm}')::float8, doc->>'operator',
       (doc#>>'{skin,fitzpatrick}')::smallint, (doc->>'sterile_tip')::boolean, (doc->>'active_acne')::boolean,
       doc->>'serum', doc->>'region', (doc->>'reported_at')::timestamptz, topic, partition, kafka_offset, doc::text
FROM bench_staging WHERE topic = 'treatments'
ON CONFLICT (report_id, version) DO NOTHING"
DIY_C="INSERT INTO needlewatch.complication_versions ($C_COLS)
SELECT doc->>'report_id', coalesce((doc->>'version')::int, 1), coalesce((doc->>'nullified')::boolean, false),
       doc->>'treatment_id', doc->>'type', doc->>'severity', (doc->>'onset_days')::smallint, doc->>'outcome',
       (doc->>'medical_attention')::boolean, (doc->>'reported_at')::timestamptz, topic, partition, kafka_offset,
       doc::text
FROM bench_staging WHERE topic = 'complications'
ON CONFLICT (report_id, version) DO NOTHING"

# kcat prints topic, partition, offset and the payload separated by \x02;
# COPY's csv format with \x02 as delimiter and \x01 as quote (bytes JSON
# text never holds raw) takes the payload intact into jsonb.
run_diy() {
    local run=$1 db=nwb_diy t1 t2 secs sep=$'\x02'
    fresh_db "$db" tables
    sql_in "$db" -c "CREATE TABLE bench_staging (topic text, partition int, kafka_offset bigint, doc jsonb)"
    sql_admin -c "CHECKPOINT"
    t1=$(now)
    {
        kcat -b "$BOOT" -C -e -q -o beginning -t treatments -f "%t$sep%p$sep%o$sep%s\n"
        kcat -b "$BOOT" -C -e -q -o beginning -t complications -f "%t$sep%p$sep%o$sep%s\n"
    } | sql_in "$db" -c "COPY bench_staging (topic, partition, kafka_offset, doc) FROM STDIN (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
    sql_in "$db" -1 -c "$DIY_T" -c "$DIY_C"
    t2=$(now)
    secs=$(elapsed "$t1" "$t2")
    check_counts "$db" main "kcat + jsonb staging (run $run)"
    record main diy "$run" "$MAIN_MSGS" "$secs" "" ""
    log "  main/diy run $run: $secs s"
}

run_rowsink() {
    local run=$1 mode=$2 db=nwb_rowsink t1 t2 secs dir
    dir=$WORK/runs/sample-rowsink-$mode-$run
    mkdir -p "$dir"
    fresh_db "$db" tables
    t1=$(now)
    /usr/bin/time -v -o "$dir/time" "$WORK/rowsink" -b "$BOOT" --mode "$mode" \
        --topic-treatments sample-treatments --topic-complications sample-complications \
        --group "rowsink-$mode-$run-$$" --conninfo "dbname=$db" >"$dir/out" 2>"$dir/log" ||
        { cat "$dir/log" >&2; die "rowsink $mode failed"; }
    t2=$(now)
    secs=$(elapsed "$t1" "$t2")
    check_counts "$db" sample "rowsink $mode (run $run)"
    record sample "rowsink-$mode" "$run" "$SAMPLE_MSGS" "$secs" "$(rss_of "$dir/time")" \
        "$(sed -n 's/.*assigned_after=\([0-9.]*\).*/\1/p' "$dir/out")"
    log "  sample/rowsink-$mode run $run: $secs s"
}

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
TRIGGERS=0
for run in $(seq 1 "$RUNS"); do
    log "run $run of $RUNS"
    run_ingest main ingest "$run" "" main 1
    if [ "$run" = 1 ]; then
        INGEST_DIGEST=$(rows_digest nwb_ingest)
        TRIGGERS=$(user_triggers nwb_ingest)
        [ "$TRIGGERS" = 0 ] || log "  the worker's schema has $TRIGGERS user trigger(s) on the report tables: each run also times the worker with them disabled"
    fi
    drop_db nwb_ingest
    if [ "$TRIGGERS" != 0 ]; then
        NOTRIG=1 run_ingest main ingest-notrig "$run" "" main 1
        drop_db nwb_ingest
    fi
    for rev in $CMP_REVS; do
        INGEST_BIN=$WORK/compare/$rev/build/bin/needlewatch-ingest run_ingest main "ingest@$rev" "$run" "" main 1
        drop_db nwb_ingest
    done
    if [ "$REAL_KAFKA" = 1 ]; then
        BOOT=$REAL_BOOT run_ingest main ingest-kafka "$run" "" main 1
        if [ "$run" = 1 ]; then
            if [ "$(rows_digest nwb_ingest)" = "$INGEST_DIGEST" ]; then
                log "  on Apache Kafka the worker stored the very rows it stored from the development broker"
            else
                log "  on Apache Kafka the rows differ from the development broker's (partitioning or offsets)"
            fi
        fi
        drop_db nwb_ingest
    fi
    run_copy "$run"
    if [ "$run" = 1 ]; then
        [ "$(rows_digest nwb_copy)" = "$INGEST_DIGEST" ] ||
            die "the bare COPY's rows differ from the worker's (bench/dump2csv.py is out of step with the worker)"
        log "  the bare COPY stored the very rows the worker stored (digests match)"
    fi
    drop_db nwb_copy
    run_diy "$run"
    drop_db nwb_diy
    run_ingest sample ingest "$run" sample- sample 1
    run_rowsink "$run" roundtrip
    run_rowsink "$run" pipeline
    drop_db nwb_rowsink
done

# ---- scaling sweep ------------------------------------------------------------------
if [ "$SWEEP_N" -gt 0 ]; then
    for p in $SWEEP_PARTS; do
        produce "sw$p-" "$SWEEP_N" 3
    done
    produce swdup- "$SWEEP_N" 3 --dup-rate "$DUP_RATE"
    for run in $(seq 1 "$SWEEP_RUNS"); do
        log "sweep run $run of $SWEEP_RUNS"
        for p in $SWEEP_PARTS; do
            for w in $SWEEP_WORKERS; do
                run_ingest sweep "p$p-w$w" "$run" "sw$p-" "sw$p" "$w"
            done
        done
        run_ingest sweep "dup-p$PARTS-w1" "$run" swdup- swdup 1
    done
fi

# ---- backlog RSS ----------------------------------------------------------------------
for b in $BACKLOGS; do
    produce "bl$b-" "$b" 4
    run_ingest backlog "n$b" 1 "bl$b-" "bl$b" 1
    rm -f "$WORK/bl$b.jsonl"
done
drop_db nwb_ingest

# ---- what the worker's RSS is made of: librdkafka's prefetch queue -----------------
for q in $RSS_PROBE; do
    WORKER_X_SAVED=("${WORKER_X[@]}")
    WORKER_X+=(-X "kafka.queued.min.messages=$q")
    run_ingest rssprobe "q$q" 1 "" main 1
    WORKER_X=("${WORKER_X_SAVED[@]}")
done

# ---- where the worker's PostgreSQL time goes ------------------------------------------
if [ "$BREAKDOWN" = 1 ]; then
    log "breakdown: one more ingest with log_min_duration_statement=0"
    fresh_db nwb_breakdown
    sql_admin -c "ALTER DATABASE nwb_breakdown SET log_min_duration_statement = 0"
    lines=$(wc -l <"$PGLOG")
    mkdir -p "$WORK/runs/breakdown"
    worker_conf "$WORK/runs/breakdown/w.properties" "" "bench-breakdown-$$" nwb_breakdown
    /usr/bin/time -v -o "$WORK/runs/breakdown/w1.time" "$BIN/needlewatch-ingest" \
        --config "$WORK/runs/breakdown/w.properties" --exit-on-eof "${WORKER_X[@]}" \
        >/dev/null 2>"$WORK/runs/breakdown/w1.log" &
    bd_pid=$!
    if [ "$PROFILE" = 1 ]; then
        # Once the worker has its partitions: sample it (DWARF unwinding, it
        # is built without frame pointers) and its backend (frame pointers)
        # until each exits.
        for _ in $(seq 1 300); do
            grep -q '\[worker\] assigned' "$WORK/runs/breakdown/w1.log" 2>/dev/null && break
            sleep 0.1
        done
        worker_pid=$(pgrep -P "$bd_pid" -x needlewatch-ing || true)
        backend_pid=$(sql_admin -c "SELECT pid FROM pg_stat_activity WHERE datname = 'nwb_breakdown' AND application_name = 'needlewatch-ingest' LIMIT 1")
        log "  profiling worker $worker_pid and backend $backend_pid with perf"
        perf record -q -F 499 --call-graph dwarf,16384 -p "$worker_pid" -o "$WORK/perf-worker.data" \
            >/dev/null 2>&1 &
        perf_w=$!
        perf record -q -F 499 -g -p "$backend_pid" -o "$WORK/perf-backend.data" >/dev/null 2>&1 &
        perf_b=$!
    fi
    wait "$bd_pid" || die "breakdown ingest failed"
    if [ "$PROFILE" = 1 ]; then
        wait "$perf_w" "$perf_b" || true
        # Inclusive ("children") and self time per symbol, best first.
        for who in worker backend; do
            perf report -i "$WORK/perf-$who.data" --children --sort symbol --stdio -g none \
                2>/dev/null | grep -E '^ +[0-9]' >"$WORK/profile-$who.txt" || true
        done
    fi
    tail -n +"$((lines + 1))" "$PGLOG" >"$WORK/breakdown.log"
    drop_db nwb_breakdown
fi
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report -------------------------------------------------------------------------
{
    echo "command=$COMMAND"
    echo "date=$(date -u +%Y-%m-%dT%H:%MZ)"
    echo "commit=$GIT_COMMIT"
    echo "dirty=$GIT_DIRTY"
    echo "nproc=$(nproc)"
    echo "memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
    echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
    echo "kernel=$(uname -r)"
    echo "os=$(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "postgresql=$(sql_admin -c 'SHOW server_version')"
    echo "pg_settings=$(sql_admin -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_wal_size', 'wal_level', 'full_page_writes')")"
    echo "librdkafka=$(pkg-config --modversion rdkafka)"
    echo "kcat=$(kcat -V 2>&1 | sed -n 's/^Version \([^ ]*\).*/\1/p' | head -n 1)"
    echo "load_start=$LOAD_START"
    echo "load_end=$LOAD_END"
    echo "treatments=$N"
    echo "partitions=$PARTS"
    echo "runs=$RUNS"
    echo "main_messages=$MAIN_MSGS"
    echo "sample_treatments=$SAMPLE"
    echo "sample_messages=$SAMPLE_MSGS"
    echo "sweep_treatments=$SWEEP_N"
    echo "sweep_runs=$SWEEP_RUNS"
    echo "dup_rate=$DUP_RATE"
    echo "backlog_partitions=$BACKLOG_PARTS"
    echo "worker_x=${WORKER_X[*]:-}"
    echo "mock_retries=$MOCK_RETRIES"
    echo "rss_probe=$RSS_PROBE"
    echo "user_triggers=$TRIGGERS"
    echo "compare=${CMP_REVS# }"
    echo "real_kafka=${REAL_KAFKA_VERSION:+Apache Kafka $REAL_KAFKA_VERSION, $REAL_KAFKA_BROKERS node(s) (scripts/kafka.sh), Java $(java -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n 1)}"
    printf 'kafka.bootstrap.servers=%s\n' "$BOOT" >"$WORK/defaults.properties"
    echo "worker_defaults=$("$BIN/needlewatch-ingest" --config "$WORK/defaults.properties" --dump-config 2>/dev/null |
        grep -E '^(ingest\.batch|kafka\.(queued|fetch))' | paste -sd ' ')"
} >"$WORK/meta.txt"
python3 "$BENCH/report.py" "$WORK" ${RESULTS:+"$RESULTS"}
log "done"

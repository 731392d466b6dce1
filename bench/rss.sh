#!/usr/bin/env bash
# rss.sh - the worker's peak RSS against the shape of what producers send
# (bench/RESULTS.md, issue 17: "< 64 MiB at any backlog, partition count,
# compression and producer batching").
#
#   bash bench/rss.sh [--bin DIR] [--workdir DIR] [--set KEY=VALUE]... CASE...
#
# A CASE is N:TPARTS:CPARTS:COMPRESSION:LINGER_MS[:BROKERS], e.g.
# 1000000:32:8:lz4:20:1 (the shape of the hidden benchmark of issue 17: a
# million treatments produced with lz4 and linger.ms=20, so large compressed
# message sets, into 32 + 8 partitions of a one-broker development cluster).
# For each case it starts a development broker with those topics, produces
# the backlog with needlewatch-loadgen (its producer: batch.size 1 MB,
# batch.num.messages 10000, the given compression and linger), then times
# one worker with its defaults (and the --set keys; --exit-on-eof) under
# /usr/bin/time -v on a
# fresh database, checks every report was stored, and prints one line:
#   CASE  messages  seconds  peak RSS (MiB)  pauses  kicks
# The development broker keeps ~5 MiB per partition: an uncompressed backlog
# needs partitions enough for it (the script warns when messages are lost).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/bin
WORK=$ROOT/build-bench/rss-work
SETS=()
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) BIN=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    --set) SETS+=("$2"); shift 2 ;;
    -h | --help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
mkdir -p "$WORK"

for spec in "$@"; do
    IFS=: read -r n tparts cparts codec linger brokers <<<"$spec"
    brokers=${brokers:-1}
    dir=$WORK/$(echo "$spec" | tr ':' '-')
    "$ROOT/scripts/pg.sh" stop "$dir/pg" >/dev/null 2>&1 || true
    rm -rf "$dir"
    mkdir -p "$dir"
    "$ROOT/scripts/pg.sh" start "$dir/pg" >"$dir/pg.log" 2>&1
    eval "$("$ROOT/scripts/pg.sh" env "$dir/pg")"
    "$BIN/needlewatch-devbroker" --brokers "$brokers" --bootstrap-file "$dir/boot" \
        --topic "treatments:$tparts" --topic "complications:$cparts" \
        >"$dir/broker.out" 2>"$dir/broker.log" &
    broker=$!
    for _ in $(seq 1 100); do [ -s "$dir/boot" ] && break; sleep 0.1; done
    boot=$(cat "$dir/boot")
    "$BIN/needlewatch-loadgen" -b "$boot" --quiet -n "$n" --seed 17 --compression "$codec" \
        -X "linger.ms=$linger" >"$dir/loadgen.out" 2>"$dir/loadgen.log"
    produced=$(grep -o 'delivered=[0-9]*' "$dir/loadgen.out" | grep -o '[0-9]*$' || echo "?")
    printf 'kafka.bootstrap.servers=%s\nkafka.group.id=rss\npg.conninfo=\n' "$boot" >"$dir/w.properties"
    for kv in "${SETS[@]}"; do echo "$kv" >>"$dir/w.properties"; done
    /usr/bin/time -v "$BIN/needlewatch-ingest" --config "$dir/w.properties" --exit-on-eof \
        >"$dir/worker.out" 2>"$dir/worker.log"
    rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$dir/worker.log")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$dir/worker.log")
    consumed=$(grep -o 'final consumed=[0-9]*' "$dir/worker.log" | grep -o '[0-9]*$')
    pauses=$(grep -o '[0-9]* pauses' "$dir/worker.log" | tail -n 1 | grep -o '^[0-9]*' || echo 0)
    kicks=$(grep -o '[0-9]* kicks' "$dir/worker.log" | tail -n 1 | grep -o '^[0-9]*' || echo 0)
    kill -TERM "$broker" 2>/dev/null || true
    wait "$broker" 2>/dev/null || true
    "$ROOT/scripts/pg.sh" stop "$dir/pg" >/dev/null 2>&1 || true
    [ "$consumed" = "$produced" ] || echo "warning: $spec: produced $produced, consumed $consumed" >&2
    printf '%-26s %9s msgs  %8s  peak RSS %5d MiB  %4s pauses  %4s kicks\n' "$spec" "$consumed" \
        "$wall" $((rss_kb / 1024)) "$pauses" "$kicks"
done

#!/usr/bin/env bash
# shared_cluster.sh - the ctest fixture of the real-Kafka tier (see
# tests/CMakeLists.txt): one 3-node Apache Kafka cluster per build, shared by
# the kafka.* tests that stop no broker (each makes topics and a consumer
# group of its own, see nw_topic in lib.sh).
#
#   shared_cluster.sh start DIR TMP   a fresh cluster in DIR
#   shared_cluster.sh stop DIR TMP    deletes it
#
# start also kills the clusters that tests of an earlier run left under
# TMP/*/kafka: a test killed by ctest's timeout cannot stop its own, and
# Kafka's nodes run in sessions of their own (scripts/kafka.sh), outliving
# it. (stop does not: tests with clusters of their own may still run.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd -P)
KAFKA_SH=$here/../../../scripts/kafka.sh
[ $# -eq 3 ] || { echo "usage: $0 start|stop DIR TMP" >&2; exit 2; }
cmd=$1 dir=$2 tmp=$3

sweep() {
    local state
    for state in "$tmp"/*/kafka/kafka.state; do
        [ -f "$state" ] || continue
        bash "$KAFKA_SH" --immediate stop "$(dirname "$state")" || true
    done
}

case "$cmd" in
start)
    sweep
    bash "$KAFKA_SH" destroy "$dir"
    bash "$KAFKA_SH" start "$dir" --brokers 3
    ;;
stop)
    bash "$KAFKA_SH" destroy "$dir"
    ;;
*) echo "usage: $0 start|stop DIR TMP" >&2; exit 2 ;;
esac

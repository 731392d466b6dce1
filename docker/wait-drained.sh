#!/usr/bin/env bash
# wait-drained.sh - waits until the ingest workers' consumer group has
# consumed every message of the topics and committed it to PostgreSQL; the
# compose file's one-shot "wait-drained" job (image apache/kafka), between the
# generator and the analyzer, so the report covers everything generated.
#
# Why Kafka's view is enough: a worker commits its offsets to Kafka only
# after the PostgreSQL transaction holding those messages (and the offsets,
# which are the truth) has committed (ingest/worker.c, commit_to_kafka). So
# when Kafka's committed offset equals the log end for every partition,
# PostgreSQL holds everything. The converse may lag a little (the Kafka commit
# is asynchronous and may fail harmlessly); then this waits for the next one.
#
# Environment: NW_BOOTSTRAP (kafka:9092), NW_GROUP (needlewatch-ingest),
# NW_TOPICS ("treatments complications"), NW_PARTITIONS per topic (8),
# NW_DRAIN_TIMEOUT_S (600), KAFKA_CONSUMER_GROUPS (the tool,
# /opt/kafka/bin/kafka-consumer-groups.sh). Exit 0 once drained, 1 on timeout.
set -euo pipefail

bootstrap=${NW_BOOTSTRAP:-kafka:9092}
group=${NW_GROUP:-needlewatch-ingest}
topics=${NW_TOPICS:-treatments complications}
partitions=${NW_PARTITIONS:-8}
timeout_s=${NW_DRAIN_TIMEOUT_S:-600}
tool=${KAFKA_CONSUMER_GROUPS:-/opt/kafka/bin/kafka-consumer-groups.sh}

# drain_verdict: reads `kafka-consumer-groups.sh --describe` output on stdin
# and prints "drained: ..." or what is still missing. Columns are found by
# their header names; "-" is Kafka's "none" (no committed offset yet).
drain_verdict() {
    awk -v topics="$topics" -v parts="$partitions" '
    BEGIN {
        n = split(topics, t, " ")
        for (i = 1; i <= n; i++) want[t[i]] = 1
        expected = n * parts
    }
    $1 == "GROUP" && $2 == "TOPIC" {
        for (i = 1; i <= NF; i++) col[$i] = i
        header = 1
        next
    }
    header && NF >= 6 && ($(col["TOPIC"]) in want) {
        key = $(col["TOPIC"]) "/" $(col["PARTITION"])
        if (key in seen) next
        seen[key] = 1
        rows++
        cur = $(col["CURRENT-OFFSET"]); end = $(col["LOG-END-OFFSET"]); lag = $(col["LAG"])
        if (end ~ /^[0-9]+$/) total += end
        if (cur == "-") {
            if (end != "0") behind += (end ~ /^[0-9]+$/ ? end : 1)
        } else if (lag != "0") {
            behind += (lag ~ /^[0-9]+$/ ? lag : 1)
        }
    }
    END {
        if (!header) { print "the group has no committed offsets yet"; exit }
        if (rows < expected) { printf "%d of %d partitions described\n", rows, expected; exit }
        if (behind > 0) { printf "%d of %d messages not committed yet\n", behind, total; exit }
        printf "drained: %d partitions, %d messages\n", rows, total
    }'
}

deadline=$((SECONDS + timeout_s))
last=""
while :; do
    out=$("$tool" --bootstrap-server "$bootstrap" --describe --group "$group" 2>/dev/null || true)
    verdict=$(drain_verdict <<<"$out")
    case $verdict in
    drained:*)
        echo "wait-drained.sh: group $group $verdict"
        exit 0
        ;;
    esac
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "wait-drained.sh: group $group not drained after ${timeout_s}s: $verdict" >&2
        printf '%s\n' "$out" >&2
        exit 1
    fi
    [ "$verdict" != "$last" ] && echo "wait-drained.sh: $verdict"
    last=$verdict
    sleep "${NW_DRAIN_POLL_S:-5}"
done

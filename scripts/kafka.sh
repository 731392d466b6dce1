#!/usr/bin/env bash
# kafka.sh - a private Apache Kafka cluster (KRaft) in a folder, for the
# real-cluster tests, the benchmark and the demo; like scripts/pg.sh.
#
#   scripts/kafka.sh start DIR [--brokers N] [--sasl-tls CERTDIR]
#                       start N nodes (default 3), or restart those that are down
#   scripts/kafka.sh env DIR          prints export NW_KAFKA_BOOTSTRAP=... for eval
#   scripts/kafka.sh status DIR       one line per node; exit 0 when all are up
#   scripts/kafka.sh create-topic DIR NAME PARTITIONS [REPLICATION]
#   scripts/kafka.sh delete-records DIR TOPIC PARTITION OFFSET
#   scripts/kafka.sh kill DIR BROKER_ID   SIGKILL one node (fault tests)
#   scripts/kafka.sh stop DIR         clean shutdown of every node
#   scripts/kafka.sh --immediate stop DIR   SIGKILL every node (throwaway clusters)
#   scripts/kafka.sh destroy DIR      stop, then delete DIR
#   scripts/kafka.sh fetch            fetch the jars (once) and print their folder
#
# The broker is Apache Kafka from Maven Central, pinned in
# scripts/kafka/pom.xml. The first use runs Maven on that pom
# (dependency:copy-dependencies) into a cache folder that every later run
# and every test reuses: $NW_KAFKA_CACHE if set, else
# ${XDG_CACHE_HOME:-~/.cache}/needlewatch/kafka-VERSION. It is fetched again
# only when the pom changes. Java 17 (openjdk-17-jre-headless) and Maven come
# from scripts/deps.sh.
#
# Each node is a combined KRaft server (process.roles=broker,controller) and
# a JVM of its own (java -cp on the cached jars, class kafka.Kafka, heap
# $NW_KAFKA_HEAP, default 384m), with node ids 1..N. All N nodes vote in the
# metadata quorum, so with 3 nodes one may be down and the cluster still
# works. Every node listens on 127.0.0.1 only: a client port and a
# controller port, picked free at the first start and kept in DIR/kafka.state
# (restarts reuse them). Data lives in DIR/node-ID/data, the log in
# DIR/node-ID/kafka.log. Topics are never created implicitly
# (auto.create.topics.enable=false); replication defaults to min(3, N) with
# min.insync.replicas min(2, N), the group and transaction state topics alike.
#
# start waits until every node is registered and the cluster accepts produce
# (acks=all) and consume on the topic nw-ready, one partition per node.
# start on a folder whose cluster is partly down starts the missing nodes,
# with their data; on a running cluster it only checks readiness. --brokers
# and --sasl-tls count only at the first start.
#
# --sasl-tls CERTDIR: the client listener speaks SASL_SSL only, with the
# mechanisms SCRAM-SHA-512 and PLAIN (brokers talk to each other with
# SCRAM-SHA-512; the controller listener stays plaintext on loopback).
# CERTDIR holds ca.crt, and server.crt (the chain, leaf first) and
# server.key (PEM, unencrypted) for localhost / 127.0.0.1. Two users exist
# for both mechanisms (SCRAM credentials are written at format time, PLAIN
# ones in the listener's JAAS settings): "admin" (these tools) and
# "needlewatch" (clients), each with a random password kept in DIR (mode
# 600); env prints the client's as NW_KAFKA_SASL_USERNAME,
# NW_KAFKA_SASL_PASSWORD and NW_KAFKA_CA (a development cluster: the password
# is a test fixture, not a secret worth more than the folder). Why PLAIN too:
# librdkafka before 2.6.1 (Debian 12 ships 2.0.2) sends a SCRAM final
# message that Kafka 4.x rejects (librdkafka PR 4895), so kcat and the
# worker can use SCRAM only against Kafka 3.x here (NW_KAFKA_VERSION, below);
# this script's own kcat checks use PLAIN.
#
# NW_KAFKA_VERSION=V (at the first start) runs another Kafka release than
# the pom's, e.g. 3.9.1 for SCRAM with an older librdkafka; the folder keeps
# its version for later commands.
set -euo pipefail

prog=$(basename "$0")
here=$(cd "$(dirname "$0")" && pwd -P)
die() { echo "$prog: $*" >&2; exit 1; }
say() { echo "$prog: $*" >&2; }

usage() {
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit "${1:-2}"
}

POM=$here/kafka/pom.xml
LOG4J=$here/kafka/log4j2.properties
HEAP=${NW_KAFKA_HEAP:-384m}
READY_TOPIC=nw-ready

immediate=0
brokers=""
sasl_dir=""
args=()
while [ $# -gt 0 ]; do
    arg=$1
    shift
    case "$arg" in
    --immediate) immediate=1 ;;
    --brokers)
        [ $# -gt 0 ] || die "--brokers needs a number"
        brokers=$1
        shift
        [[ "$brokers" =~ ^[1-9]$ ]] || die "--brokers: 1..9, got $brokers" ;;
    --sasl-tls)
        [ $# -gt 0 ] || die "--sasl-tls needs a folder holding ca.crt, server.crt and server.key"
        sasl_dir=$1
        shift ;;
    -h|--help) usage 0 ;;
    -*) die "unknown option $arg" ;;
    *) args+=("$arg") ;;
    esac
done
[ ${#args[@]} -ge 1 ] || usage 2
cmd=${args[0]}
dir=${args[1]:-}

# --- The jars --------------------------------------------------------------

# The version: the pom's, or $NW_KAFKA_VERSION (another 3.x or 4.x release,
# for a check against it; the pom's is the one the project tests).
kafka_version() {
    if [ -n "${NW_KAFKA_VERSION:-}" ]; then echo "$NW_KAFKA_VERSION"; return; fi
    sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -n 1
}

# fetch_jars: sets LIBDIR to the cache folder, running Maven when the folder
# is missing or was filled from another pom. One fetch at a time (flock), so
# tests that start together share one download.
fetch_jars() {
    local version root stamp want
    version=$(kafka_version)
    [ -n "$version" ] || die "no <kafka.version> in $POM"
    if [ -n "${NW_KAFKA_CACHE:-}" ]; then
        LIBDIR=$NW_KAFKA_CACHE
    else
        root=${XDG_CACHE_HOME:-$HOME/.cache}/needlewatch
        LIBDIR=$root/kafka-$version
    fi
    stamp=$LIBDIR/.pom.sha256
    want="$(sha256sum "$POM" | cut -d' ' -f1) $version"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
    mkdir -p "$(dirname "$LIBDIR")"
    (
        flock -w 900 8 || die "another fetch holds $LIBDIR.lock"
        if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
        command -v mvn >/dev/null || die "mvn not found (bash scripts/deps.sh installs maven)"
        say "fetching Apache Kafka $version from Maven Central into $LIBDIR"
        local tmp=$LIBDIR.tmp.$$
        rm -rf "$tmp"
        if ! mvn -B -q -f "$POM" -Dkafka.version="$version" dependency:copy-dependencies \
            -DoutputDirectory="$tmp" \
            >"$tmp.log" 2>&1; then
            tail -n 30 "$tmp.log" >&2
            rm -rf "$tmp"
            die "Maven could not fetch the Kafka jars (log above)"
        fi
        rm -f "$tmp.log"
        echo "$want" >"$tmp/.pom.sha256"
        rm -rf "$LIBDIR"
        mv "$tmp" "$LIBDIR"
    ) 8>"$LIBDIR.lock"
}

java_bin() {
    local j
    for j in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/java-17-openjdk-*/bin/java; do
        [ -x "$j" ] && { echo "$j"; return; }
    done
    command -v java >/dev/null || die "java not found (bash scripts/deps.sh installs openjdk-17-jre-headless)"
    command -v java
}

# run_tool CLASS ARGS...: one of Kafka's command-line tools, quietly.
run_tool() {
    local cls=$1
    shift
    "$(java_bin)" -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
        -Dlog4j2.configurationFile="$LOG4J" -Dnw.kafka.level=WARN \
        -cp "$LIBDIR/*" "$cls" "$@"
}

# --- The folder's state ----------------------------------------------------

state_get() { # KEY -> value, empty when unknown
    [ -f "$state" ] || return 0
    sed -n "s/^$1=//p" "$state" | tail -n 1
}
state_set() { # KEY VALUE
    local tmp="$state.tmp.$$"
    { if [ -f "$state" ]; then grep -v "^$1=" "$state" || true; fi; echo "$1=$2"; } >"$tmp"
    mv "$tmp" "$state"
}

lock_dir() {
    exec 9>"$dir/.lock"
    flock -w 120 9 || die "$dir/.lock is held by another kafka.sh"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_port: a free port below Linux's ephemeral range (32768 and up, the
# local ports of outgoing connections, which a listener could not bind).
pick_port() {
    local p tries=0
    while [ $tries -lt 200 ]; do
        p=$((10000 + RANDOM % 22000))
        if ! port_in_use "$p" && ! grep -q "=$p\$" "$state" 2>/dev/null; then
            echo "$p"
            return
        fi
        tries=$((tries + 1))
    done
    die "no free TCP port found on 127.0.0.1"
}

nodes() { seq 1 "$(state_get brokers)"; }

bootstrap() {
    local id out=""
    for id in $(nodes); do out="$out${out:+,}127.0.0.1:$(state_get "port.$id")"; done
    echo "$out"
}

# node_pid ID: the pid of node ID when it runs (checked against its
# command line, so a recycled pid is not taken for it), else empty.
node_pid() {
    local pidf="$dir/node-$1/pid" pid
    [ -f "$pidf" ] || return 0
    pid=$(cat "$pidf")
    [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 0
    if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$dir/node-$1/server.properties"; then
        echo "$pid"
    fi
}

sasl_on() { [ "$(state_get sasl)" = 1 ]; }

# The client settings of these tools (and of kcat, in librdkafka's names).
client_conf_java() { echo "$dir/admin.properties"; }
kcat_set() { # sets KCAT to kcat's connection arguments
    KCAT=(-b "$(bootstrap)")
    if sasl_on; then KCAT+=(-F "$dir/kcat-admin.conf"); fi
}

# --- start -----------------------------------------------------------------

random_b64() { head -c "$1" /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n'; }

init_cluster() {
    local n=$1 id
    state_set version "$(kafka_version)"
    state_set brokers "$n"
    # A KRaft cluster id is a UUID in URL-safe base64 (22 characters).
    state_set cluster_id "$(random_b64 16 | cut -c1-22)"
    for id in $(seq 1 "$n"); do
        state_set "port.$id" "$(pick_port)"
        state_set "cport.$id" "$(pick_port)"
    done
    if [ -n "$sasl_dir" ]; then
        for f in ca.crt server.crt server.key; do
            [ -f "$sasl_dir/$f" ] || die "--sasl-tls $sasl_dir: $f expected there"
        done
        mkdir -p "$dir/tls"
        cp "$sasl_dir/ca.crt" "$dir/tls/ca.crt"
        # Kafka's PEM key store: the private key (PKCS#8) then the chain.
        (umask 077 && openssl pkcs8 -topk8 -nocrypt -in "$sasl_dir/server.key" \
            -out "$dir/tls/server.pem" && cat "$sasl_dir/server.crt" >>"$dir/tls/server.pem")
        (umask 077 && random_b64 18 >"$dir/tls/admin.password" &&
            random_b64 18 >"$dir/tls/client.password")
        state_set sasl 1
    else
        state_set sasl 0
    fi
}

# write_node_conf ID: DIR/node-ID/server.properties, rewritten at each start.
write_node_conf() {
    local id=$1 n rf isr voters="" v
    n=$(state_get brokers)
    rf=$((n < 3 ? n : 3))
    isr=$((n < 2 ? n : 2))
    for v in $(nodes); do voters="$voters${voters:+,}$v@127.0.0.1:$(state_get "cport.$v")"; done
    mkdir -p "$dir/node-$id/data"
    {
        echo "# Written by scripts/kafka.sh at every start; edit kafka.sh, not this file."
        echo "process.roles=broker,controller"
        echo "node.id=$id"
        echo "controller.quorum.voters=$voters"
        echo "controller.listener.names=CONTROLLER"
        if sasl_on; then
            local admin client
            admin=$(cat "$dir/tls/admin.password")
            client=$(cat "$dir/tls/client.password")
            echo "listeners=SASL_SSL://127.0.0.1:$(state_get "port.$id"),CONTROLLER://127.0.0.1:$(state_get "cport.$id")"
            echo "advertised.listeners=SASL_SSL://127.0.0.1:$(state_get "port.$id")"
            echo "listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT"
            echo "inter.broker.listener.name=SASL_SSL"
            echo "sasl.enabled.mechanisms=SCRAM-SHA-512,PLAIN"
            echo "sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512"
            echo "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$admin\";"
            echo "listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$admin\" user_admin=\"$admin\" user_needlewatch=\"$client\";"
            echo "ssl.keystore.type=PEM"
            echo "ssl.keystore.location=$dir/tls/server.pem"
            echo "ssl.truststore.type=PEM"
            echo "ssl.truststore.location=$dir/tls/ca.crt"
            echo "ssl.endpoint.identification.algorithm=https"
            echo "ssl.client.auth=none"
        else
            echo "listeners=PLAINTEXT://127.0.0.1:$(state_get "port.$id"),CONTROLLER://127.0.0.1:$(state_get "cport.$id")"
            echo "advertised.listeners=PLAINTEXT://127.0.0.1:$(state_get "port.$id")"
            echo "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
            echo "inter.broker.listener.name=PLAINTEXT"
        fi
        echo "log.dirs=$dir/node-$id/data"
        echo "auto.create.topics.enable=false"
        # Batches up to 2 MiB (Kafka's default is 1 MiB + 12 bytes), so the
        # hostile corpus's message just over 1 MiB reaches the worker's own
        # limit (ingest.max_message_bytes) instead of the broker's.
        echo "message.max.bytes=2097152"
        echo "num.partitions=1"
        echo "default.replication.factor=$rf"
        echo "min.insync.replicas=$isr"
        echo "offsets.topic.replication.factor=$rf"
        echo "offsets.topic.num.partitions=8"
        echo "transaction.state.log.replication.factor=$rf"
        echo "transaction.state.log.min.isr=$isr"
        echo "transaction.state.log.num.partitions=8"
        echo "share.coordinator.state.topic.replication.factor=$rf"
        echo "share.coordinator.state.topic.min.isr=$isr"
        # Tests start consumers at once: no 3 s wait for more members.
        echo "group.initial.rebalance.delay.ms=0"
        # A small machine: few threads per node.
        echo "num.network.threads=2"
        echo "num.io.threads=2"
        echo "background.threads=2"
        echo "num.recovery.threads.per.data.dir=1"
        echo "log.cleaner.threads=1"
        echo "log.cleaner.dedupe.buffer.size=4194304"
    } >"$dir/node-$id/server.properties"
}

write_client_confs() {
    {
        echo "# Written by scripts/kafka.sh: the admin tools' client settings."
        if sasl_on; then
            echo "security.protocol=SASL_SSL"
            echo "sasl.mechanism=SCRAM-SHA-512"
            echo "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"admin\" password=\"$(cat "$dir/tls/admin.password")\";"
            echo "ssl.truststore.type=PEM"
            echo "ssl.truststore.location=$dir/tls/ca.crt"
        fi
    } >"$dir/admin.properties"
    if sasl_on; then
        (umask 077 && {
            echo "security.protocol=SASL_SSL"
            echo "sasl.mechanisms=PLAIN"
            echo "sasl.username=admin"
            echo "sasl.password=$(cat "$dir/tls/admin.password")"
            echo "ssl.ca.location=$dir/tls/ca.crt"
        } >"$dir/kcat-admin.conf")
    fi
}

format_node() {
    local id=$1
    local extra=()
    if sasl_on; then
        extra=(--add-scram "SCRAM-SHA-512=[name=admin,password=$(cat "$dir/tls/admin.password")]"
               --add-scram "SCRAM-SHA-512=[name=needlewatch,password=$(cat "$dir/tls/client.password")]")
    fi
    run_tool kafka.tools.StorageTool format --ignore-formatted -t "$(state_get cluster_id)" \
        -c "$dir/node-$id/server.properties" "${extra[@]}" >"$dir/node-$id/format.log" 2>&1 ||
        { cat "$dir/node-$id/format.log" >&2; die "formatting node $id failed"; }
}

start_node() {
    local id=$1 pid
    local port
    for port in "$(state_get "port.$id")" "$(state_get "cport.$id")"; do
        if port_in_use "$port"; then
            die "node $id: port $port on 127.0.0.1 is taken by another program"
        fi
    done
    write_node_conf "$id"
    [ -f "$dir/node-$id/data/meta.properties" ] || format_node "$id"
    # setsid: the node outlives this script and is not in its process group.
    setsid "$(java_bin)" -Xms128m -Xmx"$HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
        -Dlog4j2.configurationFile="$LOG4J" \
        -cp "$LIBDIR/*" kafka.Kafka "$dir/node-$id/server.properties" \
        </dev/null >>"$dir/node-$id/kafka.log" 2>&1 8>&- 9>&- &
    pid=$!
    echo "$pid" >"$dir/node-$id/pid"
    say "node $id started (pid $pid, 127.0.0.1:$(state_get "port.$id"))"
}

# wait_ready SECONDS: every node up and registered, then produce and consume.
wait_ready() {
    local deadline=$((SECONDS + $1)) n id up token got
    n=$(state_get brokers)
    kcat_set
    while :; do
        for id in $(nodes); do
            [ -n "$(node_pid "$id")" ] ||
                { tail -n 30 "$dir/node-$id/kafka.log" >&2; die "node $id exited (log: $dir/node-$id/kafka.log)"; }
        done
        up=$(kcat "${KCAT[@]}" -L -m 5 2>/dev/null | grep -c '^  broker [0-9]* at ' || true)
        [ "$up" -ge "$n" ] && break
        [ $SECONDS -lt "$deadline" ] || die "the nodes did not register within $1 s"
        sleep 0.5
    done
    if [ "$(state_get ready_topic)" != 1 ]; then
        run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" \
            --command-config "$(client_conf_java)" --create --if-not-exists \
            --topic "$READY_TOPIC" --partitions "$n" >"$dir/ready-topic.log" 2>&1 ||
            { cat "$dir/ready-topic.log" >&2; die "cannot create $READY_TOPIC"; }
        state_set ready_topic 1
    fi
    token="ready-$$-$RANDOM"
    while :; do
        got=0
        for id in $(seq 0 $((n - 1))); do
            echo "$token" | kcat "${KCAT[@]}" -P -t "$READY_TOPIC" -p "$id" -X acks=all \
                -X message.timeout.ms=5000 2>/dev/null || continue
            timeout 15 kcat "${KCAT[@]}" -C -t "$READY_TOPIC" -p "$id" -o -1 -e -q 2>/dev/null |
                grep -qx "$token" && got=$((got + 1))
        done
        [ "$got" -eq "$n" ] && break
        [ $SECONDS -lt "$deadline" ] || die "the cluster did not accept produce and consume within $1 s"
        sleep 1
    done
}

do_start() {
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    state="$dir/kafka.state"
    lock_dir
    # A folder keeps the version it was made with.
    [ -z "$(state_get version)" ] || NW_KAFKA_VERSION=$(state_get version)
    fetch_jars
    if [ -z "$(state_get brokers)" ]; then
        init_cluster "${brokers:-3}"
        say "new cluster of $(state_get brokers) node(s) in $dir (Kafka $(state_get version))"
    else
        [ -z "$brokers" ] || [ "$brokers" = "$(state_get brokers)" ] ||
            say "warning: --brokers $brokers ignored: $dir holds $(state_get brokers) node(s)"
        [ -z "$sasl_dir" ] || sasl_on || say "warning: --sasl-tls ignored: $dir was made without it"
    fi
    write_client_confs
    local id started=0
    for id in $(nodes); do
        if [ -z "$(node_pid "$id")" ]; then
            start_node "$id"
            started=$((started + 1))
        fi
    done
    [ "$started" -gt 0 ] || say "all $(state_get brokers) node(s) already running"
    wait_ready "${NW_KAFKA_START_TIMEOUT:-180}"
    say "ready: $(bootstrap)"
}

# --- stop, kill ------------------------------------------------------------

# stop_pids SIGNAL SECONDS PID...: signals, waits; true when all exited.
stop_pids() {
    local sig=$1 secs=$2 deadline p alive
    shift 2
    [ $# -gt 0 ] || return 0
    kill "-$sig" "$@" 2>/dev/null || true
    deadline=$((SECONDS + secs))
    while :; do
        alive=0
        for p in "$@"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && return 0
        [ $SECONDS -lt "$deadline" ] || return 1
        sleep 0.2
    done
}

do_stop() {
    local id pids=() p
    for id in $(nodes); do
        p=$(node_pid "$id")
        [ -n "$p" ] && pids+=("$p")
    done
    if [ ${#pids[@]} -eq 0 ]; then say "not running"; return 0; fi
    if [ "$immediate" = 1 ]; then
        stop_pids KILL 30 "${pids[@]}" || die "nodes did not die"
        say "killed ${#pids[@]} node(s)"
        return 0
    fi
    # All at once, then SIGKILL for stragglers: a node's broker waits for
    # the controller quorum to acknowledge its controlled shutdown, and once
    # a majority of the nodes is gone there is none, so the last ones may
    # wait minutes. Kafka recovers from the kill at the next start.
    if ! stop_pids TERM "${NW_KAFKA_STOP_TIMEOUT:-20}" "${pids[@]}"; then
        say "some nodes did not stop within ${NW_KAFKA_STOP_TIMEOUT:-20} s; killing them"
        stop_pids KILL 30 "${pids[@]}" || true
    fi
    say "stopped ${#pids[@]} node(s)"
}

do_kill() {
    local id=$1 p
    if ! [[ "$id" =~ ^[0-9]+$ ]] || [ "$id" -lt 1 ] || [ "$id" -gt "$(state_get brokers)" ]; then
        die "kill: no node $id (nodes are 1..$(state_get brokers))"
    fi
    p=$(node_pid "$id")
    [ -n "$p" ] || { say "node $id is not running"; return 0; }
    stop_pids KILL 30 "$p" || die "node $id (pid $p) did not die"
    say "node $id killed (SIGKILL, pid $p)"
}

# --- topics and records -----------------------------------------------------

do_create_topic() {
    local name=$1 parts=$2 rf=${3:-}
    local n
    n=$(state_get brokers)
    [ -n "$rf" ] || rf=$((n < 3 ? n : 3))
    fetch_jars
    run_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$(bootstrap)" \
        --command-config "$(client_conf_java)" --create --topic "$name" \
        --partitions "$parts" --replication-factor "$rf"
}

do_delete_records() {
    local topic=$1 part=$2 offset=$3 json
    fetch_jars
    json=$(mktemp "$dir/delete-records.XXXXXX.json")
    printf '{"version":1,"partitions":[{"topic":"%s","partition":%d,"offset":%d}]}\n' \
        "$topic" "$part" "$offset" >"$json"
    run_tool org.apache.kafka.tools.DeleteRecordsCommand --bootstrap-server "$(bootstrap)" \
        --command-config "$(client_conf_java)" --offset-json-file "$json"
    rm -f "$json"
}

print_env() {
    [ -n "$(state_get brokers)" ] || die "no cluster in $dir (run: $prog start $dir)"
    printf "export NW_KAFKA_BOOTSTRAP='%s'\n" "$(bootstrap)"
    if sasl_on; then
        printf 'export NW_KAFKA_SASL_USERNAME=needlewatch\n'
        printf 'export NW_KAFKA_SASL_PASSWORD=%q\n' "$(cat "$dir/tls/client.password")"
        printf 'export NW_KAFKA_CA=%q\n' "$dir/tls/ca.crt"
    fi
}

# --- main ------------------------------------------------------------------

need_dir() {
    [ -n "$dir" ] || usage 2
    if [ ! -d "$dir" ] || [ ! -f "$dir/kafka.state" ]; then
        case "$cmd" in
        stop|destroy) say "no cluster in $dir"; exit 0 ;;
        status) echo "stopped (no cluster in $dir)"; exit 3 ;;
        *) die "no cluster in $dir (run: $prog start $dir)" ;;
        esac
    fi
    dir=$(cd "$dir" && pwd -P)
    state="$dir/kafka.state"
    [ -z "$(state_get version)" ] || NW_KAFKA_VERSION=$(state_get version)
}

case "$cmd" in
fetch)
    fetch_jars
    echo "$LIBDIR" ;;
start)
    if [ -z "$dir" ] || [ ${#args[@]} -ne 2 ]; then usage 2; fi
    do_start ;;
env)
    need_dir
    print_env ;;
status)
    need_dir
    down=0
    for id in $(nodes); do
        p=$(node_pid "$id")
        if [ -n "$p" ]; then echo "node $id: running (pid $p, 127.0.0.1:$(state_get "port.$id"))"
        else echo "node $id: stopped"; down=1; fi
    done
    [ "$down" = 0 ] || exit 3 ;;
create-topic)
    if [ ${#args[@]} -lt 4 ] || [ ${#args[@]} -gt 5 ]; then usage 2; fi
    need_dir
    do_create_topic "${args[2]}" "${args[3]}" "${args[4]:-}" ;;
delete-records)
    [ ${#args[@]} -eq 5 ] || usage 2
    need_dir
    do_delete_records "${args[2]}" "${args[3]}" "${args[4]}" ;;
kill)
    [ ${#args[@]} -eq 3 ] || usage 2
    need_dir
    do_kill "${args[2]}" ;;
stop)
    need_dir
    lock_dir
    do_stop ;;
destroy)
    need_dir
    lock_dir
    immediate=1
    do_stop
    rm -rf "$dir"
    say "destroyed $dir" ;;
*) usage 2 ;;
esac

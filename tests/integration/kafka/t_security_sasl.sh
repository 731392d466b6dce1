#!/usr/bin/env bash
# SASL over TLS to Kafka (real Kafka only), configured through kafka.* keys
# alone, with the password never in a log or in --dump-config. Brokers from
# scripts/kafka.sh --sasl-tls, which accept SASL_SSL only (SCRAM-SHA-512 and
# PLAIN), with a certificate of a test CA:
#   1. Apache Kafka 3.9.1 and SCRAM-SHA-512: the worker stores the reports,
#      with librdkafka's configuration dump and security debugging on; a
#      wrong password is an authentication error, retried, nothing stored;
#   2. Apache Kafka 4.1 (the version the project pins): PLAIN over TLS works
#      the same way. SCRAM-SHA-512 does not with librdkafka before 2.6.1
#      (Debian 12 ships 2.0.2): it repeats the client nonce in its final
#      message, which Kafka 4 rejects (librdkafka PR 4895). The test expects
#      that failure, reported as an authentication error, from those
#      versions, and success from later ones.
. "$(dirname "$0")/../lib.sh"
nw_setup
ING=$NW_BIN/needlewatch-ingest

# --- A test CA and a certificate for localhost / 127.0.0.1.
CERTS=$WORK/certs
mkdir -p "$CERTS"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$CERTS/ca.key" -out "$CERTS/ca.crt" -days 2 \
    -subj "/CN=needlewatch test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>>"$WORK/openssl.log"
openssl req -new "${ec[@]}" -keyout "$CERTS/server.key" -out "$CERTS/server.csr" \
    -subj "/CN=localhost" 2>>"$WORK/openssl.log"
printf '%s\n' "subjectAltName = DNS:localhost, IP:127.0.0.1" "basicConstraints = critical, CA:FALSE" \
    "keyUsage = critical, digitalSignature" "extendedKeyUsage = serverAuth, clientAuth" >"$CERTS/server.ext"
openssl x509 -req -in "$CERTS/server.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
    -CAcreateserial -days 2 -extfile "$CERTS/server.ext" -out "$CERTS/server.crt" 2>>"$WORK/openssl.log"

WRONG=Wrong-S3cret-0x21
# kafka_up DIR VERSION: a one-node SASL_SSL cluster; sets BOOT, PASS, CA.
kafka_up() {
    NW_KDIR=$1
    NW_KOWN=1
    NW_KAFKA_VERSION=$2 "$KAFKA_SH" start "$NW_KDIR" --brokers 1 --sasl-tls "$CERTS" \
        >>"$WORK/kafka.log" 2>&1 || { tail -n 30 "$WORK/kafka.log" >&2; nw_log "Kafka $2 did not start"; exit 1; }
    eval "$("$KAFKA_SH" env "$NW_KDIR")"
    BOOT=$NW_KAFKA_BOOTSTRAP
    PASS=$NW_KAFKA_SASL_PASSWORD
    CA=$NW_KAFKA_CA
    for t in treatments complications; do
        "$KAFKA_SH" create-topic "$NW_KDIR" "$t" 2 >>"$WORK/kafka.log" 2>&1
    done
}
# conf NAME MECHANISM PASSWORD [lines...]: a worker config over SASL_SSL, mode 600.
conf() {
    local name=$1 mech=$2 pass=$3
    shift 3
    nw_config "$WORK/$name.properties" "kafka.security.protocol=SASL_SSL" \
        "kafka.sasl.mechanisms=$mech" "kafka.sasl.username=$NW_KAFKA_SASL_USERNAME" \
        "kafka.sasl.password=$pass" "kafka.ssl.ca.location=$CA" "$@"
    chmod 600 "$WORK/$name.properties"
}
# run NAME SECONDS: the worker on NAME.properties, to the end of the topics
# or for SECONDS at most; prints its exit status (124: still retrying).
run() {
    local rc=0
    timeout --foreground -k 60 "$2" "$ING" --config "$WORK/$1.properties" --exit-on-eof >"$WORK/$1.log" 2>&1 || rc=$?
    echo "$rc"
}
# produce MECHANISM IDS...: treatments over SASL_SSL with kcat.
produce() {
    local mech=$1 id
    shift
    for id in "$@"; do
        printf '{"schema_version":1,"report_id":"%s","treated_on":"2026-04-01","setting":"home","device":{"type":"derma_roller"}}\n' "$id"
    done | kcat -b "$BOOT" -P -t treatments -X security.protocol=SASL_SSL -X "sasl.mechanisms=$mech" \
        -X "sasl.username=$NW_KAFKA_SASL_USERNAME" -X "sasl.password=$PASS" -X "ssl.ca.location=$CA" \
        2>>"$WORK/kcat.log"
}
stored() { nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE report_id LIKE '$1%'"; }
leaks() { # FILE...: the passwords found in the files, if any
    cat "$@" | grep -oF -e "$PASS" -e "$WRONG" | sort -u | sed 's/.*/(a password)/' | tr '\n' ' ' || true
}

# --- 1. Kafka 3.9.1, SCRAM-SHA-512.
kafka_up "$WORK/kafka39" 3.9.1
nw_check "3.9.1: kcat produces over SASL_SSL with SCRAM-SHA-512" 0 \
    "$(produce SCRAM-SHA-512 s39-1 s39-2 s39-3; echo $?)"
conf scram39 SCRAM-SHA-512 "$PASS" "kafka.debug=security,conf" "log.level=debug"
nw_check "3.9.1 SCRAM: the worker stores the reports and exits 0" "0|3" "$(run scram39 120)|$(stored s39-)"
nw_check "3.9.1 SCRAM: librdkafka dumped its configuration, the password redacted" yes \
    "$(grep -q 'sasl.password = \[redacted\]' "$WORK/scram39.log" && echo yes || echo no)"
conf wrong39 SCRAM-SHA-512 "$WRONG" "kafka.group.id=$(nw_topic wrong39)"
nw_check "3.9.1 SCRAM, wrong password: an authentication error, retried, nothing stored" "124|yes" \
    "$(run wrong39 15)|$(grep -q 'Authentication failed' "$WORK/wrong39.log" && echo yes || echo no)"
"$ING" --config "$WORK/scram39.properties" --dump-config >"$WORK/dump39.out" 2>&1 || true
nw_check "3.9.1: --dump-config masks the password" "kafka.sasl.password=****" \
    "$(grep -o '^kafka.sasl.password=.*' "$WORK/dump39.out")"
nw_check "3.9.1: no password in any log or dump" "" \
    "$(leaks "$WORK/scram39.log" "$WORK/wrong39.log" "$WORK/dump39.out")"
"$KAFKA_SH" --immediate stop "$NW_KDIR" >>"$WORK/kafka.log" 2>&1

# --- 2. Kafka 4.1 (pinned): PLAIN over TLS; SCRAM as librdkafka allows.
kafka_up "$WORK/kafka41" ""
nw_check "4.1: kcat produces over SASL_SSL with PLAIN" 0 "$(produce PLAIN p41-1 p41-2 p41-3 p41-4; echo $?)"
# (A group of its own: the offsets stored for the 3.9.1 cluster's topics of
# the same names mean nothing here.)
conf plain41 PLAIN "$PASS" "kafka.group.id=$(nw_topic plain41)" "kafka.debug=security,conf" \
    "log.level=debug"
nw_check "4.1 PLAIN: the worker stores the reports and exits 0" "0|4" "$(run plain41 120)|$(stored p41-)"
nw_check "4.1 PLAIN: librdkafka dumped its configuration, the password redacted" yes \
    "$(grep -q 'sasl.password = \[redacted\]' "$WORK/plain41.log" && echo yes || echo no)"
conf wrong41 PLAIN "$WRONG" "kafka.group.id=$(nw_topic wrong41)"
nw_check "4.1 PLAIN, wrong password: an authentication error, retried" "124|yes" \
    "$(run wrong41 15)|$(grep -q 'Authentication failed' "$WORK/wrong41.log" && echo yes || echo no)"
lrk=$(kcat -V 2>&1 | sed -n 's/.*librdkafka \([0-9.]*\).*/\1/p' | head -n 1)
conf scram41 SCRAM-SHA-512 "$PASS" "kafka.group.id=$(nw_topic scram41)"
if [ "$(printf '%s\n' "$lrk" 2.6.1 | sort -V | head -n 1)" = 2.6.1 ]; then
    nw_check "4.1 SCRAM with librdkafka $lrk (>= 2.6.1): works" "0|4" "$(run scram41 120)|$(stored p41-)"
else
    nw_check "4.1 SCRAM with librdkafka $lrk (< 2.6.1): refused by the broker, reported as such" "124|yes" \
        "$(run scram41 15)|$(grep -q 'SASL authentication error: Authentication failed' "$WORK/scram41.log" && echo yes || echo no)"
fi
nw_check "4.1: no password in any log" "" \
    "$(leaks "$WORK/plain41.log" "$WORK/wrong41.log" "$WORK/scram41.log")"
nw_check "the brokers' own logs hold no client password" "" \
    "$(leaks "$WORK"/kafka39/node-1/kafka.log "$WORK"/kafka41/node-1/kafka.log)"
nw_done

#!/usr/bin/env bash
# Secrets: the PostgreSQL password (pg.conninfo, key=value and URI forms),
# kafka.sasl.password and kafka.ssl.key.password never appear in the
# worker's logs (wrong password, unreachable server, malformed conninfo,
# Kafka authentication and key errors, librdkafka's own configuration dump),
# in its error messages, or in --dump-config; a config file holding a secret
# draws a warning when group or others may read it, and only then.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
ING=$NW_BIN/needlewatch-ingest
SU=$(id -un)

# Every secret is a distinct token, so a leak names its case.
S_KV=Kv-S3cret-0x01
S_URI=Uri-S3cret-0x02
S_URIQ=UriQuery-S3cret-0x03
S_UNREACH=Unreach-S3cret-0x04
S_PCT=Pct-S3cret-0x05
S_SPACE=Space-S3cret-0x06
S_RIGHT=Right-S3cret-0x07
S_SASL=Sasl-S3cret-0x08
S_KEY=Key-S3cret-0x09
S_LINE=Line-S3cret-0x0a
S_ENV=Env-S3cret-0x0b
S_MISC=Misc-S3cret-0x0c
ALL_SECRETS="$S_KV|$S_URI|$S_URIQ|$S_UNREACH|$S_PCT|$S_SPACE|$S_RIGHT|$S_SASL|$S_KEY|$S_LINE|$S_ENV|$S_MISC"

# leaks FILE: the secrets found in FILE, if any.
leaks() { grep -oE "$ALL_SECRETS" "$1" | sort -u | tr '\n' ' ' || true; }

# --- PostgreSQL on 127.0.0.1, with a password (SCRAM) for secret_login.
"$NW_SRC/scripts/pg.sh" stop "$WORK/pg" >>"$WORK/pg-start.log" 2>&1
"$NW_SRC/scripts/pg.sh" --tcp start "$WORK/pg" >>"$WORK/pg-start.log" 2>&1
eval "$("$NW_SRC/scripts/pg.sh" env "$WORK/pg")"
HBA="$(sed -n 's/^data=//p' "$WORK/pg/pg.state" | tail -n 1)/pg_hba.conf"
{ echo "host all secret_login 127.0.0.1/32 scram-sha-256"; cat "$HBA"; } >"$WORK/hba.tmp"
cat "$WORK/hba.tmp" >"$HBA" # rewritten in place: the file stays the server's
nw_apply_sql
psql -X -q -v ON_ERROR_STOP=1 -U "$SU" >/dev/null <<EOF
CREATE ROLE secret_login LOGIN PASSWORD '$S_RIGHT' IN ROLE needlewatch_ingest;
SELECT pg_reload_conf();
EOF
PGTCP="host=127.0.0.1 port=$PGPORT dbname=needlewatch user=secret_login"

# run NAME [config lines...]: writes NAME.properties (mode 600) and runs the
# worker on it for at most RUN_SECS (5) seconds; prints its exit status
# (124: still running, e.g. retrying a connection). --foreground: the
# signal goes to the worker alone, not to its process group. Without it,
# timeout's SIGTERM and SIGCONT to the group could reach LeakSanitizer's
# tracer, forked while the worker exits, and the sanitizer build then hung
# for good (CI saw it; so did a loop here). -k: a worker that does not end
# 60 s after SIGTERM is killed, and the check fails instead of the test
# timing out.
run() {
    local name=$1 rc=0
    shift
    nw_config "$WORK/$name.properties" "$@"
    chmod 600 "$WORK/$name.properties"
    timeout --foreground -k 60 "${RUN_SECS:-5}" "$ING" --config "$WORK/$name.properties" --exit-on-eof --no-migrate \
        >"$WORK/$name.log" 2>&1 || rc=$?
    echo "$rc"
}

# --- Connection errors.
rc=$(run kv-wrong "pg.conninfo=$PGTCP password=$S_KV")
nw_check "key=value, wrong password: authentication fails, retried" "124|yes" \
    "$rc|$(grep -q 'password authentication failed for user "secret_login"' "$WORK/kv-wrong.log" && echo yes)"
nw_check "key=value, wrong password: not logged" "" "$(leaks "$WORK/kv-wrong.log")"

rc=$(run uri-wrong "pg.conninfo=postgresql://secret_login:$S_URI@127.0.0.1:$PGPORT/needlewatch")
nw_check "URI, wrong password: authentication fails, retried" "124|yes" \
    "$rc|$(grep -q 'password authentication failed' "$WORK/uri-wrong.log" && echo yes)"
nw_check "URI, wrong password: not logged" "" "$(leaks "$WORK/uri-wrong.log")"

rc=$(run uriq-wrong "pg.conninfo=postgresql://secret_login@127.0.0.1:$PGPORT/needlewatch?password=$S_URIQ")
nw_check "URI ?password=, wrong password: authentication fails" "124|yes" \
    "$rc|$(grep -q 'password authentication failed' "$WORK/uriq-wrong.log" && echo yes)"
nw_check "URI ?password=: not logged" "" "$(leaks "$WORK/uriq-wrong.log")"

rc=$(run unreachable "pg.conninfo=host=127.0.0.1 port=1 user=secret_login password=$S_UNREACH")
nw_check "unreachable server: retried" "124|yes" \
    "$rc|$(grep -q 'Connection refused' "$WORK/unreachable.log" && echo yes)"
nw_check "unreachable server: password not logged" "" "$(leaks "$WORK/unreachable.log")"

# libpq's parse errors quote what they could not parse, which may be the
# password: the worker must not pass them on.
rc=$(run uri-malformed "pg.conninfo=postgresql://secret_login:%zz$S_PCT@127.0.0.1:$PGPORT/needlewatch")
nw_check "URI with a bad %-escape in the password: refused at start (exit 2)" 2 "$rc"
nw_check "URI with a bad %-escape: password not logged" "" "$(leaks "$WORK/uri-malformed.log")"
rc=$(run kv-malformed "pg.conninfo=$PGTCP password=two $S_SPACE")
nw_check "key=value with an unquoted space in the password: refused at start (exit 2)" 2 "$rc"
nw_check "key=value with an unquoted space: password not logged" "" "$(leaks "$WORK/kv-malformed.log")"

# The right password: the worker runs, and still nothing is logged.
rc=$(RUN_SECS=60 run kv-right "pg.conninfo=$PGTCP password=$S_RIGHT")
nw_check "right password: the worker runs to the end" "0|1" \
    "$rc|$(grep -c 'INFO  \[pg\] connected' "$WORK/kv-right.log")"
nw_check "right password: not logged" "" "$(leaks "$WORK/kv-right.log")"

# --- Kafka: SASL against a broker that does not speak it, with librdkafka's
# configuration dump on (debug=conf), and a TLS key its password cannot open.
rc=$(run sasl "kafka.security.protocol=SASL_PLAINTEXT" "kafka.sasl.mechanisms=PLAIN" \
    "kafka.sasl.username=needlewatch" "kafka.sasl.password=$S_SASL" \
    "kafka.ssl.key.password=$S_KEY" "kafka.debug=conf,security,broker" "log.level=debug")
nw_check "SASL: librdkafka dumped its configuration, secrets redacted" "yes|yes" \
    "$(grep -q 'sasl.password = \[redacted\]' "$WORK/sasl.log" && echo yes)|$(grep -q 'ssl.key.password = \[redacted\]' "$WORK/sasl.log" && echo yes)"
nw_check "SASL: no secret in the log" "" "$(leaks "$WORK/sasl.log")"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=needlewatch" \
    -keyout "$WORK/client.key" -out "$WORK/client.crt" -days 2 -passout "pass:not-$S_KEY" \
    2>>"$WORK/openssl.log"
rc=$(run sslkey "kafka.security.protocol=SSL" "kafka.ssl.key.location=$WORK/client.key" \
    "kafka.ssl.certificate.location=$WORK/client.crt" "kafka.ssl.key.password=$S_KEY")
nw_check "wrong ssl.key.password: the consumer is refused" "1|yes" \
    "$rc|$(grep -q 'cannot create consumer: ssl.key.location failed' "$WORK/sslkey.log" && echo yes)"
nw_check "wrong ssl.key.password: not logged" "" "$(leaks "$WORK/sslkey.log")"

# --- Error messages about the configuration itself.
cfgerr() { # NAME LINE: a config file with one bad LINE; prints exit status and output
    local rc=0
    nw_config "$WORK/$1.properties" "$2"
    chmod 600 "$WORK/$1.properties"
    "$ING" --config "$WORK/$1.properties" --dump-config >"$WORK/$1.log" 2>&1 || rc=$?
    echo "$rc"
}
nw_check "a secret line without '=': usage error" 2 \
    "$(cfgerr line-noeq "kafka.sasl.password: $S_LINE")"
nw_check "a secret line without '=': not echoed" "" "$(leaks "$WORK/line-noeq.log")"
nw_check "a misspelt Kafka secret key: usage error, not echoed" "2|" \
    "$(cfgerr kafka-typo "kafka.sasl.pasword=$S_MISC")|$(leaks "$WORK/kafka-typo.log")"
nw_check "a misspelt pg key: usage error, not echoed" "2|" \
    "$(cfgerr pg-typo "pg.conninfo_=password=$S_MISC")|$(leaks "$WORK/pg-typo.log")"

# --- --dump-config masks every secret, from the file, -X and the environment.
nw_config "$WORK/dump.properties" "pg.conninfo=$PGTCP password=$S_KV" \
    "kafka.sasl.password=$S_SASL" "kafka.ssl.key.password=$S_KEY" \
    "kafka.ssl.keystore.password=$S_MISC"
chmod 600 "$WORK/dump.properties"
dump() { "$ING" --config "$WORK/dump.properties" "$@" --dump-config 2>&1 || true; }
dump >"$WORK/dump-file.out"
nw_check "--dump-config (file): no secret" "" "$(leaks "$WORK/dump-file.out")"
nw_check "--dump-config (file): masked, not dropped" "password='****'|kafka.sasl.password=****|kafka.ssl.key.password=****" \
    "$(grep -o "password='\*\*\*\*'" "$WORK/dump-file.out")|$(grep -o '^kafka.sasl.password=.*' "$WORK/dump-file.out")|$(grep -o '^kafka.ssl.key.password=.*' "$WORK/dump-file.out")"
dump -X "pg.conninfo=postgresql://secret_login:$S_URI@127.0.0.1:$PGPORT/needlewatch" >"$WORK/dump-uri.out"
nw_check "--dump-config (URI): no secret, password masked" "|password='****'" \
    "$(leaks "$WORK/dump-uri.out")|$(grep -o "password='\*\*\*\*'" "$WORK/dump-uri.out")"
dump -X "pg.conninfo=postgresql://secret_login@127.0.0.1:$PGPORT/needlewatch?password=$S_URIQ" >"$WORK/dump-uriq.out"
nw_check "--dump-config (URI ?password=): no secret" "" "$(leaks "$WORK/dump-uriq.out")"
NEEDLEWATCH_KAFKA_SASL_PASSWORD=$S_ENV dump >"$WORK/dump-env.out"
nw_check "--dump-config (environment): no secret, masked" "|kafka.sasl.password=****" \
    "$(leaks "$WORK/dump-env.out")|$(grep -o '^kafka.sasl.password=.*' "$WORK/dump-env.out")"

# --- File permissions: a secret in a file others may read draws a warning.
mode_warns() { # MODE LINE: prints yes when the worker warns about the file's mode
    nw_config "$WORK/mode.properties" "$2"
    chmod "$1" "$WORK/mode.properties"
    "$ING" --config "$WORK/mode.properties" --dump-config >"$WORK/mode.out" 2>&1 || true
    grep -q 'holds a secret and is readable by group or others' "$WORK/mode.out" && echo yes || echo no
}
nw_check "0644 with kafka.sasl.password: warning" yes "$(mode_warns 644 "kafka.sasl.password=$S_SASL")"
nw_check "0600 with kafka.sasl.password: none" no "$(mode_warns 600 "kafka.sasl.password=$S_SASL")"
nw_check "0644 with kafka.ssl.key.password: warning" yes "$(mode_warns 644 "kafka.ssl.key.password=$S_KEY")"
nw_check "0640 with a conninfo password: warning" yes "$(mode_warns 640 "pg.conninfo=$PGTCP password=$S_KV")"
nw_check "0644 with a URI password: warning" yes \
    "$(mode_warns 644 "pg.conninfo=postgresql://secret_login:$S_URI@127.0.0.1/needlewatch")"
nw_check "0600 with a URI password: none" no \
    "$(mode_warns 600 "pg.conninfo=postgresql://secret_login:$S_URI@127.0.0.1/needlewatch")"
nw_check "0644 with a conninfo without password: none" no "$(mode_warns 644 "pg.conninfo=$PGTCP")"
nw_check "the warning names no secret" "" "$(mode_warns 644 "kafka.sasl.password=$S_SASL" >/dev/null; leaks "$WORK/mode.out")"

# --- And the PostgreSQL server's own log (the development cluster's).
nw_check "the server log holds no secret" "" "$(leaks "$WORK/pg/postgres.log")"
nw_done

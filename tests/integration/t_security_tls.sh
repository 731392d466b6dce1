#!/usr/bin/env bash
# TLS between the worker and PostgreSQL. A test CA signs a server
# certificate for localhost / 127.0.0.1; PostgreSQL runs with it
# (scripts/pg.sh --ssl) and refuses TCP without TLS. The worker stores
# reports with sslmode=verify-full and that CA; with another CA, or a host
# name the certificate does not name, it never connects: it logs the
# verification error, keeps retrying, and stores nothing.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start

# --- Certificates: a CA, a server certificate it signs, and an unrelated CA.
CERTS=$WORK/certs
mkdir -p "$CERTS"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
{
openssl req -x509 "${ec[@]}" -keyout "$CERTS/ca.key" -out "$CERTS/ca.crt" -days 2 \
    -subj "/CN=needlewatch test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -x509 "${ec[@]}" -keyout "$CERTS/other-ca.key" -out "$CERTS/other-ca.crt" -days 2 \
    -subj "/CN=some other CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign"
openssl req -new "${ec[@]}" -keyout "$CERTS/server.key" -out "$CERTS/server.csr" \
    -subj "/CN=localhost"
cat >"$CERTS/server.ext" <<'EOF'
subjectAltName = DNS:localhost, IP:127.0.0.1
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
EOF
openssl x509 -req -in "$CERTS/server.csr" -CA "$CERTS/ca.crt" -CAkey "$CERTS/ca.key" \
    -CAcreateserial -days 2 -extfile "$CERTS/server.ext" -out "$CERTS/server.crt"
} 2>>"$WORK/openssl.log"
nw_check "server certificate verifies against the CA" "$CERTS/server.crt: OK" \
    "$(openssl verify -CAfile "$CERTS/ca.crt" "$CERTS/server.crt" 2>&1)"

# --- The same cluster, restarted with TLS on 127.0.0.1.
"$NW_SRC/scripts/pg.sh" stop "$WORK/pg" >>"$WORK/pg-start.log" 2>&1
"$NW_SRC/scripts/pg.sh" --ssl "$CERTS" start "$WORK/pg" >>"$WORK/pg-start.log" 2>&1 || {
    cat "$WORK/pg-start.log" >&2; exit 1; }
eval "$("$NW_SRC/scripts/pg.sh" env "$WORK/pg")"
nw_check "pg.sh --ssl listens on 127.0.0.1" 127.0.0.1 "$PGHOST"
VERIFY="host=localhost port=$PGPORT dbname=needlewatch user=needlewatch sslmode=verify-full"

nw_check "psql, verify-full with the CA: TLS" "t|TLSv1.3" \
    "$(psql -X -At "$VERIFY sslrootcert=$CERTS/ca.crt" \
        -c "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)"
nw_check "TCP without TLS is refused" 1 \
    "$(psql -X -At "host=127.0.0.1 port=$PGPORT dbname=needlewatch user=needlewatch sslmode=disable" \
        -c "SELECT 1" 2>&1 | grep -c 'rejects connection .*no encryption')"
nw_check "the socket is unchanged (trust, no TLS)" "f" \
    "$(psql -X -At -h "$(sed -n 's/^socket=//p' "$WORK/pg/pg.state" | tail -n 1)" \
        -c "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()" 2>&1)"

# --- The worker over verified TLS.
T='"schema_version":1,"treated_on":"2026-04-01","setting":"home","device":{"type":"derma_roller"}'
printf '{%s,"report_id":"tls-%d"}\n' "$T" 1 "$T" 2 "$T" 3 | nw_produce treatments
nw_config "$WORK/good.properties" "pg.conninfo=$VERIFY sslrootcert=$CERTS/ca.crt"
rc=0
nw_ingest good --config "$WORK/good.properties" || rc=$?
nw_check "worker with verify-full and the right CA exits 0" 0 "$rc"
nw_check "...and stored the reports" 3 "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")"
nw_check "...having applied the migrations over TLS" "$(printf '%s\n' "$NW_SRC"/sql/[0-9]*.sql | wc -l)" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.schema_migrations")"

# --- Refusals: the worker keeps retrying and stores nothing.
printf '{%s,"report_id":"tls-%d"}\n' "$T" 4 "$T" 5 | nw_produce treatments

# refused NAME CONNINFO PATTERN: runs the worker for 6 s against CONNINFO and
# checks it never connected, retried, logged PATTERN and stored nothing.
refused() {
    local name=$1 conninfo=$2 pattern=$3 rc=0
    nw_config "$WORK/$name.properties" "pg.conninfo=$conninfo"
    timeout --foreground -k 60 6 "$NW_BIN/needlewatch-ingest" --config "$WORK/$name.properties" --exit-on-eof \
        >"$WORK/$name.log" 2>&1 || rc=$?
    nw_check "$name: the worker is still retrying when stopped" 124 "$rc"
    nw_check "$name: logs why" yes \
        "$(grep -q -- "$pattern" "$WORK/$name.log" && echo yes)"
    nw_check "$name: more than one attempt" yes \
        "$([ "$(grep -c 'WARN  \[pg\] connect:' "$WORK/$name.log")" -ge 2 ] && echo yes)"
    nw_check "$name: never connected" 0 "$(grep -c 'INFO  \[pg\] connected' "$WORK/$name.log" || true)"
    nw_check "$name: stored nothing" 3 "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")"
}
refused wrong-ca "$VERIFY sslrootcert=$CERTS/other-ca.crt" "certificate verify failed"
refused wrong-host \
    "host=nw-mismatch.invalid hostaddr=127.0.0.1 port=$PGPORT dbname=needlewatch user=needlewatch sslmode=verify-full sslrootcert=$CERTS/ca.crt" \
    'does not match host name "nw-mismatch.invalid"'
refused no-tls "host=127.0.0.1 port=$PGPORT dbname=needlewatch user=needlewatch sslmode=disable" \
    "no encryption"

# The right settings again pick up where it stopped.
rc=0
nw_ingest good2 --config "$WORK/good.properties" || rc=$?
nw_check "worker with the right CA again stores the rest" "0|5" \
    "$rc|$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")"
nw_done

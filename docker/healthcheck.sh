#!/bin/bash
# needlewatch-healthcheck - probes the ingest worker's health endpoints from
# inside its container, where there is no curl: bash's /dev/tcp is enough for
# one HTTP/1.0 GET.
#
#   needlewatch-healthcheck [PATH] [HOST:PORT]
#
# PATH is /readyz (default: PostgreSQL and Kafka reachable, not stopping) or
# /healthz (the worker's loop is turning). HOST:PORT defaults to
# $NEEDLEWATCH_METRICS_LISTEN, else 127.0.0.1:9187; a wildcard host (0.0.0.0)
# is probed on 127.0.0.1. Exit 0 on HTTP 200, 1 otherwise. The status line
# and the body (the worker says what is down) go to stdout, which Docker
# keeps in the container's health log (docker inspect).
set -u

path=${1:-/readyz}
addr=${2:-${NEEDLEWATCH_METRICS_LISTEN:-127.0.0.1:9187}}
host=${addr%:*}
port=${addr##*:}
case $host in
'' | 0.0.0.0 | '*') host=127.0.0.1 ;;
esac
case $port in
'' | *[!0-9]*)
    echo "needlewatch-healthcheck: bad HOST:PORT \"$addr\""
    exit 1
    ;;
esac

# Connecting to a local port either succeeds or is refused at once; the
# reads are bounded so a stuck server cannot hang the probe.
if ! { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null; then
    echo "needlewatch-healthcheck: cannot connect to $host:$port"
    exit 1
fi
printf 'GET %s HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$path" "$host" "$port" >&3

status=""
IFS= read -r -t 4 status <&3 || true
status=${status%$'\r'}
echo "$path: ${status:-no response within 4s}"
[ -n "$status" ] || exit 1
# Skip the headers, then echo a few lines of the body.
while IFS= read -r -t 2 line <&3; do
    [ "${line%$'\r'}" = "" ] && break
done
n=0
while [ $n -lt 10 ] && IFS= read -r -t 2 line <&3; do
    echo "  ${line%$'\r'}"
    n=$((n + 1))
done
exec 3<&-

case $status in
"HTTP/1."?" 200"*) exit 0 ;;
*) exit 1 ;;
esac

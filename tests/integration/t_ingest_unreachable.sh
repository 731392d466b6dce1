#!/usr/bin/env bash
# PostgreSQL unreachable when the worker starts: it retries with a doubling
# wait (capped by pg.retry.max_ms), one WARN line per attempt; with
# --exit-on-eof it gives up after pg.give_up_ms and exits 1, without it (or
# with pg.give_up_ms=0) it keeps trying until stopped.
. "$(dirname "$0")/lib.sh"
rm -rf "$WORK"
mkdir -p "$WORK"
trap nw_cleanup EXIT

# Nothing listens on port 1 of the loopback: every attempt is refused at once.
cat >"$WORK/w.properties" <<'EOF2'
pg.conninfo=host=127.0.0.1 port=1 dbname=needlewatch connect_timeout=2
kafka.bootstrap.servers=127.0.0.1:1
pg.retry.max_ms=1000
EOF2

# attempt_times LOG: the seconds (of the day) of each failed attempt.
attempt_times() {
    grep 'WARN  \[pg\] connect:' "$1" | sed -E 's/^[0-9-]+T([0-9]+):([0-9]+):([0-9.]+)Z.*/\1 \2 \3/' |
        awk '{ printf "%.3f\n", $1 * 3600 + $2 * 60 + $3 }'
}

start=$SECONDS
rc=0
timeout --foreground -k 60 30 "$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" --exit-on-eof \
    -X pg.give_up_ms=4000 >"$WORK/give-up.log" 2>&1 || rc=$?
took=$((SECONDS - start))
nw_check "--exit-on-eof: gives up with exit 1" 1 "$rc"
nw_check "...after about pg.give_up_ms (4 s; took ${took} s)" yes \
    "$([ "$took" -ge 2 ] && [ "$took" -le 6 ] && echo yes)"
nw_check "...and says why" 1 "$(grep -c 'ERROR \[pg\] unreachable for .* giving up (pg.give_up_ms=4000)' "$WORK/give-up.log")"
nw_check "every log line is one line (libpq's message on one line)" 0 \
    "$(grep -cv '^[0-9-]*T[0-9:.]*Z needlewatch-ingest ' "$WORK/give-up.log")"
attempt_times "$WORK/give-up.log" >"$WORK/times"
n=$(wc -l <"$WORK/times")
nw_check "a handful of attempts, not one per second or faster ($n)" yes \
    "$([ "$n" -ge 3 ] && [ "$n" -le 6 ] && echo yes)"
nw_check "the waits double, up to pg.retry.max_ms" ok "$(awk '
    NR > 1 { gap[NR - 1] = $1 - prev } { prev = $1 }
    END {
        if (gap[1] > 0.5) { print "first wait " gap[1]; exit }
        for (i = 2; i < NR; i++) if (gap[i] < gap[i - 1] * 1.5 && gap[i] < 0.9) { print "wait " i " " gap[i]; exit }
        for (i = 1; i < NR; i++) if (gap[i] > 1.3) { print "wait " i " " gap[i] " over 1 s"; exit }
        print "ok"
    }' "$WORK/times")"

# Without --exit-on-eof, and with pg.give_up_ms=0: no giving up.
for mode in "no-eof" "zero"; do
    args=()
    [ "$mode" = zero ] && args=(--exit-on-eof -X pg.give_up_ms=0)
    "$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" -X pg.give_up_ms=1000 "${args[@]}" \
        >"$WORK/$mode.log" 2>&1 &
    pid=$!
    sleep 3
    alive=$(kill -0 "$pid" 2>/dev/null && echo running || echo gone)
    kill -TERM "$pid" 2>/dev/null
    rc=0
    wait "$pid" || rc=$?
    nw_check "$mode: still trying after 3 s, then SIGTERM: exit 0" "running|0" "$alive|$rc"
done
nw_done

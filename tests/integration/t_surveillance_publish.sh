#!/usr/bin/env bash
# --publish-signals publishes once: a message when a signal or alert
# appears, changes or clears, and not otherwise. A small population has two
# disproportionality signals (derma_roller x burn, derma_stamp x infection).
# Run after run, the messages read back with kcat must be exactly what
# publish_oracle.py derives from the previous and the current JSON report:
# all at first, none for an unchanged database, the changed rows when
# reports arrive, "cleared" when withdrawals end a signal. Each run is stored
# with what it published (needlewatch.published_signals). A run whose
# messages cannot be delivered stores nothing, and the next run publishes
# the same difference. Keys stay the same from run to run.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
nw_broker_start --topic treatments:2 --topic complications:2 --topic signals:1
nw_config "$WORK/w.properties"

treatments() { # PREFIX DEVICE SETTING N
    for i in $(seq -w 1 "$4"); do
        printf '{"schema_version":1,"report_id":"t-%s-%s","treated_on":"2024-03-%02d","setting":"%s","device":{"type":"%s"}}\n' \
            "$1" "$i" $((10#$i % 28 + 1)) "$3" "$2"
    done
}
complication() { # ID TREATMENT TYPE [VERSION NULLIFIED]
    printf '{"schema_version":1,"report_id":"%s","version":%s,"nullified":%s,"treatment_id":"%s","type":"%s"}\n' \
        "$1" "${4:-1}" "${5:-false}" "$2" "$3"
}
{ treatments r derma_roller home 30; treatments s derma_stamp clinic 30; } | nw_produce treatments
{
    for i in 1 2 3 4 5 6; do complication "c-rb-$i" "t-r-0$i" burn; done
    complication c-ri-1 t-r-11 infection
    complication c-ri-2 t-r-12 infection
    complication c-sb-1 t-s-01 burn
    for i in $(seq 1 10); do complication "c-si-$i" "t-s-$(printf %02d $((i + 10)))" infection; done
} | nw_produce complications

echo 0 >"$WORK/seen"   # messages of the signals topic read so far
# step NAME [analyzer args...]: ingest what was produced, run the analyzer
# with --publish-signals, and leave the new messages in $WORK/NAME.msgs as
# "state key" lines; prints the analyzer's exit status.
step() {
    local name=$1 rc
    shift
    nw_ingest "w-$name" --config "$WORK/w.properties"
    rc=$(an_run "$WORK/$name.json" --format json --kafka-bootstrap "$BOOT" --publish-signals "$@")
    timeout 60 kcat -b "$BOOT" -C -t signals -o beginning -e -q -f '%k\t%s\n' \
        >"$WORK/all.tsv" 2>>"$WORK/kcat.log" || true
    tail -n +$(($(cat "$WORK/seen") + 1)) "$WORK/all.tsv" | python3 -c '
import json, sys
for line in sys.stdin:
    key, value = line.rstrip("\n").split("\t", 1)
    print(json.loads(value)["state"], key)' | sort >"$WORK/$name.msgs"
    wc -l <"$WORK/all.tsv" >"$WORK/seen"
    echo "$rc"
}
oracle() { python3 "$NW_SRC/tests/integration/publish_oracle.py" "$@"; }
state() { nw_sql "SELECT string_agg(key || ' ' || state, ', ' ORDER BY key) FROM needlewatch.published_signals WHERE topic = 'signals'"; }

# 1. The first run publishes every signal and alert.
nw_check "first: exit 0" 0 "$(step first)"
nw_check "first: there are signals to publish" yes \
    "$(grep -q '^active signal/derma_roller/burn$' "$WORK/first.msgs" && grep -q '^active signal/derma_stamp/infection$' "$WORK/first.msgs" && echo yes)"
nw_check "first: the messages are the oracle's (all of them)" "$(oracle - "$WORK/first.json")" "$(cat "$WORK/first.msgs")"
nw_check "first: the run is stored, with what it published" \
    "1|$(oracle - "$WORK/first.json" | sed 's/^active \(.*\)/\1 active/' | sort | paste -sd, | sed 's/,/, /g')" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.analysis_runs")|$(state)"

# 2. Nothing changed: nothing is published.
nw_check "again: exit 0" 0 "$(step again)"
nw_check "again: no message" "" "$(cat "$WORK/again.msgs")"
nw_check "again: two runs stored" 2 "$(nw_sql "SELECT count(*) FROM needlewatch.analysis_runs")"

# 3. One more burn after a roller: the rows whose numbers changed.
complication c-rb-7 t-r-07 burn | nw_produce complications
nw_check "changed: exit 0" 0 "$(step changed)"
nw_check "changed: the changed rows, no more" "$(oracle "$WORK/again.json" "$WORK/changed.json")" \
    "$(cat "$WORK/changed.msgs")"
nw_check "changed: derma_roller x burn among them, under the same key" 1 \
    "$(grep -c '^active signal/derma_roller/burn$' "$WORK/changed.msgs")"

# 4. Five roller burns withdrawn: that signal clears.
for i in 1 2 3 4 5; do complication "c-rb-$i" "t-r-0$i" burn 2 true; done | nw_produce complications
nw_check "cleared: exit 0" 0 "$(step cleared)"
nw_check "cleared: the oracle's messages" "$(oracle "$WORK/changed.json" "$WORK/cleared.json")" \
    "$(cat "$WORK/cleared.msgs")"
nw_check "cleared: derma_roller x burn cleared, in the topic and in the table" "1|cleared" \
    "$(grep -c '^cleared signal/derma_roller/burn$' "$WORK/cleared.msgs")|$(nw_sql "SELECT state FROM needlewatch.published_signals WHERE key = 'signal/derma_roller/burn'")"

# 5. New burns bring it back, but Kafka is unreachable: nothing is stored.
for i in 8 9 10 11 12; do complication "c-rb-$i" "t-r-$i" burn; done | nw_produce complications
runs=$(nw_sql "SELECT count(*) FROM needlewatch.analysis_runs")
before=$(state)
rc=0
nw_ingest w-down --config "$WORK/w.properties"
"$NW_BIN/needlewatch-analyze" --format json --kafka-bootstrap 127.0.0.1:1 --publish-signals \
    -X kafka.message.timeout.ms=3000 >"$WORK/down.json" 2>>"$WORK/analyze.log" || rc=$?
nw_check "Kafka unreachable: exit 1, no run stored, the published state unchanged" "1|$runs|$before" \
    "$rc|$(nw_sql "SELECT count(*) FROM needlewatch.analysis_runs")|$(state)"

# 6. The next run publishes the difference from what was last published.
nw_check "after: exit 0" 0 "$(step after)"
nw_check "after: the difference since the last published run" \
    "$(oracle "$WORK/cleared.json" "$WORK/after.json")" "$(cat "$WORK/after.msgs")"
nw_check "after: derma_roller x burn active again" 1 "$(grep -c '^active signal/derma_roller/burn$' "$WORK/after.msgs")"
nw_done

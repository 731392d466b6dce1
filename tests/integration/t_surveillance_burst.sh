#!/usr/bin/env bash
# t_surveillance_burst.sh - an outbreak the generator plants is found, and
# only it: needlewatch-loadgen --burst multiplies derma-roller infections
# six-fold in the ISO week of 2024-04-15; the reports go through Kafka and
# the ingest; EARS C2 must alert for derma_roller/infection that week. The
# same population (same seed) without the burst must give no alert for it.
# --publish-signals produces one message per signal and alert to the topic
# "signals", read back with kcat; sv_check.py recomputes the members.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
nw_broker_start --topic treatments:8 --topic complications:8 --topic treatments2:8 \
    --topic complications2:8 --topic signals:1
nw_config "$WORK/w.properties"
nw_config "$WORK/w2.properties" "topic.treatments=treatments2" "topic.complications=complications2" \
    "kafka.group.id=needlewatch-test-2"
J=$WORK/out.json
GEN=(-n 30000 --seed 42 --start-date 2024-01-01 --days 182)
sv_py() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
# --burst multiplies p(infection) for every derma-roller treatment of that
# week, home and clinic alike: the alert must be in the both-settings
# series (setting "all"); the per-setting series are reported as well.
burst_alert='[a["observed"] for a in d["alerts"] if a["device_type"]=="derma_roller" and a["setting"]=="all" and a["complication"]=="infection" and a["week_start"]=="2024-04-15" and a["week"]=="2024-W16"]'
csvs() {
    nw_sql "COPY (SELECT report_id, treated_on, device_type, setting, fitzpatrick, model, manufacturer
                  FROM needlewatch.treatments) TO STDOUT WITH CSV" >"$WORK/t.csv"
    nw_sql "COPY (SELECT treatment_id, type FROM needlewatch.complications) TO STDOUT WITH CSV" >"$WORK/c.csv"
}

# --- With the burst.
nw_loadgen "${GEN[@]}" --burst derma_roller:infection:2024-04-17:6
nw_ingest w1 --config "$WORK/w.properties"
nw_check "burst: all treatments stored" "$EXP_treatments" "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "burst: exit 0" 0 "$(an_run "$J" --format json --kafka-bootstrap "$BOOT" --publish-signals)"
nw_check "burst: alert for derma_roller infection in the week of 2024-04-15" yes \
    "$(sv_py "$J" '"yes" if '"$burst_alert"' else "no: %s" % [a for a in d["alerts"] if a["device_type"]=="derma_roller" and a["complication"]=="infection"]')"
nw_log "burst week: $(sv_py "$J" '[(a["observed"], a["expected"], a["upperbound"]) for a in d["alerts"] if a["device_type"]=="derma_roller" and a["complication"]=="infection" and a["week_start"]=="2024-04-15"]')"
csvs
nw_check "burst: surveillance members agree with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv")"
expected=$(sv_py "$J" 'sum(1 for r in d["signals"] + d["signals_by_model"] if r["signal"]) + len(d["alerts"])')
timeout 60 kcat -b "$BOOT" -C -t signals -o beginning -e -q -f '%k\t%s\n' >"$WORK/signals.tsv" 2>>"$WORK/kcat.log" || true
nw_check "publish: one message per signal and alert" "$expected" "$(wc -l <"$WORK/signals.tsv")"
nw_check "publish: the burst alert is among them" 1 \
    "$(grep -c '^alert/derma_roller/all/infection/2024-04-15	' "$WORK/signals.tsv" || true)"
nw_check "publish: messages are JSON with kind" yes \
    "$(cut -f2- "$WORK/signals.tsv" | python3 -c 'import json,sys; print("yes" if all(json.loads(l)["kind"] in ("signal","alert") for l in sys.stdin) else "no")')"

# --- The same population without the burst.
nw_sql "TRUNCATE needlewatch.treatment_versions, needlewatch.complication_versions" >/dev/null
rm -f "$WORK/dump.jsonl"
"$NW_BIN/needlewatch-loadgen" -b "$BOOT" --quiet --topic-treatments treatments2 \
    --topic-complications complications2 "${GEN[@]}" >>"$WORK/loadgen.out" 2>>"$WORK/loadgen.log"
nw_ingest w2 --config "$WORK/w2.properties"
nw_check "no burst: all treatments stored" "$EXP_treatments" "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "no burst: exit 0" 0 "$(an_run "$J" --format json)"
nw_check "no burst: no alert for derma_roller infection that week" "[]" "$(sv_py "$J" "$burst_alert")"
csvs
nw_check "no burst: surveillance members agree with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv")"
nw_done

#!/usr/bin/env bash
# t_surveillance_burst.sh - an outbreak the generator plants is found, and
# only it: needlewatch-loadgen --burst multiplies derma-roller infections
# six-fold in the ISO week of 2024-04-15, at home only; the reports go
# through Kafka and the ingest; EARS C2 must alert for exactly the series
# derma_roller x home x infection that week, with observed and expected as
# burst_oracle.py computes them from the generator's dump alone. The clinic
# series is untouched (the same in both runs, no alert). The same population
# (same seed) without the burst must give no alert for the series that week.
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
# The alert rows of derma_roller x SETTING x infection in the burst week.
burst_alerts() {
    sv_py "$J" '[a for a in d["alerts"] if (a["device_type"], a["setting"], a["complication"], a["week_start"]) == ("derma_roller", "'"$1"'", "infection", "2024-04-15")]'
}
oracle() { python3 "$NW_SRC/tests/integration/burst_oracle.py" "$@" derma_roller home infection 2024-04-15; }
weekly_series() {  # SETTING: the weekly infection cases of derma_roller
    sv_py "$J" '[s["cases"]["infection"] for s in d["weekly"]["series"] if (s["device_type"], s["setting"]) == ("derma_roller", "'"$1"'")]'
}
csvs() {
    nw_sql "COPY (SELECT report_id, treated_on, device_type, setting, fitzpatrick, model, manufacturer
                  FROM needlewatch.treatments) TO STDOUT WITH CSV" >"$WORK/t.csv"
    nw_sql "COPY (SELECT treatment_id, type FROM needlewatch.complications) TO STDOUT WITH CSV" >"$WORK/c.csv"
}

# --- With the burst.
nw_loadgen "${GEN[@]}" --burst derma_roller:infection:2024-04-17:6:home
nw_ingest w1 --config "$WORK/w.properties"
nw_check "burst: all treatments stored" "$EXP_treatments" "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "burst: exit 0" 0 "$(an_run "$J" --format json --kafka-bootstrap "$BOOT" --publish-signals)"
oracle "$WORK/dump.jsonl" >"$WORK/oracle-burst.json"
nw_log "burst week, from the dump: $(cat "$WORK/oracle-burst.json")"
nw_log "burst week, analyzer: $(burst_alerts home)"
nw_check "burst: the dump's own EARS C2 alarms for derma_roller/home/infection that week" True \
    "$(sv_py "$WORK/oracle-burst.json" 'd["alarm"] and d["observed"] >= 3')"
nw_check "burst: one alert row derma_roller/home/infection 2024-W16, EARS C2, as the dump says" ok \
    "$(python3 - "$J" "$WORK/oracle-burst.json" <<'PY'
import json, sys
d, o = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
rows = [a for a in d["alerts"] if (a["device_type"], a["setting"], a["complication"], a["week_start"])
        == ("derma_roller", "home", "infection", "2024-04-15")]
if len(rows) != 1:
    print("rows: %s" % rows)
else:
    a = rows[0]
    bad = [k for k in ("expected", "upperbound") if abs(a[k] - o[k]) > 1e-9 * max(1, abs(o[k]))]
    if a["week"] != "2024-W16" or a["method"] != "EARS C2" or a["observed"] != o["observed"] or bad \
            or abs(a["statistic"] - (o["observed"] - o["expected"]) / o["sd"]) > 1e-9:
        print("alert %s, oracle %s" % (a, o))
    else:
        print("ok")
PY
)"
nw_check "burst: no alert for derma_roller/clinic/infection that week" "[]" "$(burst_alerts clinic)"
weekly_series clinic >"$WORK/clinic-burst.txt"
csvs
nw_check "burst: surveillance members agree with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv")"
expected=$(sv_py "$J" 'sum(1 for r in d["signals"] + d["signals_by_model"] if r["signal"]) + len(d["alerts"])')
timeout 60 kcat -b "$BOOT" -C -t signals -o beginning -e -q -f '%k\t%s\n' >"$WORK/signals.tsv" 2>>"$WORK/kcat.log" || true
nw_check "publish: one message per signal and alert" "$expected" "$(wc -l <"$WORK/signals.tsv")"
nw_check "publish: the burst alert is among them" 1 \
    "$(grep -c '^alert/derma_roller/home/infection/2024-04-15	' "$WORK/signals.tsv" || true)"
nw_check "publish: messages are JSON with kind" yes \
    "$(cut -f2- "$WORK/signals.tsv" | python3 -c 'import json,sys; print("yes" if all(json.loads(l)["kind"] in ("signal","alert") for l in sys.stdin) else "no")')"

# --- The same population without the burst.
nw_sql "TRUNCATE needlewatch.treatment_versions, needlewatch.complication_versions" >/dev/null
rm -f "$WORK/dump.jsonl"
"$NW_BIN/needlewatch-loadgen" -b "$BOOT" --quiet --topic-treatments treatments2 \
    --topic-complications complications2 --dump "$WORK/dump2.jsonl" "${GEN[@]}" \
    >>"$WORK/loadgen.out" 2>>"$WORK/loadgen.log"
nw_ingest w2 --config "$WORK/w2.properties"
nw_check "no burst: all treatments stored" "$EXP_treatments" "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "no burst: exit 0" 0 "$(an_run "$J" --format json)"
oracle "$WORK/dump2.jsonl" --treatments-topic treatments2 --complications-topic complications2 \
    >"$WORK/oracle-plain.json"
nw_log "no burst, week of 2024-04-15, from the dump: $(cat "$WORK/oracle-plain.json")"
nw_check "no burst: the dump's own EARS C2 gives no alert that week" False \
    "$(sv_py "$WORK/oracle-plain.json" 'd["alarm"] and d["observed"] >= 3')"
nw_check "no burst: no alert for derma_roller/home/infection that week" "[]" "$(burst_alerts home)"
nw_check "no burst: the clinic series is the same as with the burst" "$(cat "$WORK/clinic-burst.txt")" \
    "$(weekly_series clinic)"
csvs
nw_check "no burst: surveillance members agree with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv")"
nw_done

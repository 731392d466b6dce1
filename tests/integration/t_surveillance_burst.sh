#!/usr/bin/env bash
# t_surveillance_burst.sh - an outbreak the generator plants is found, and
# only it: needlewatch-loadgen --burst multiplies derma-roller infections
# six-fold in the ISO week of 2024-04-15, at home only; the reports go
# through Kafka and the ingest; the rate scan must raise one alert for it,
# carried by derma_roller x home x infection from that week, its margins in
# also_in, with the numbers burst_oracle.py computes from the generator's
# dump alone (ratescan.py, the method rewritten in Python: reported_at and
# D, complete and mature weeks, the GLMs, p, q, the consolidation) - and the
# whole list of alerts must be the oracle's. The clinic series is
# untouched (the same in both runs, no alert). The same population (same
# seed) without the burst must give no alert for the series. Both runs are
# made --as-of 2024-09-30, the oracle's too. --publish-signals produces one
# message per signal and alert to the topic "signals", read back with kcat;
# sv_check.py recomputes the members from the database's rows.
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
AS_OF=2024-09-30
# The alerts of derma_roller x SETTING x infection, by first week.
burst_alerts() {
    sv_py "$J" '[a["week_start"] for a in d["alerts"] if (a["device_type"], a["setting"], a["complication"]) == ("derma_roller", "'"$1"'", "infection")]'
}
oracle() { python3 "$NW_SRC/tests/integration/burst_oracle.py" "$@" --as-of "$AS_OF"; }
weekly_series() {  # SETTING: the weekly infection cases of derma_roller
    sv_py "$J" '[s["cases"]["infection"] for s in d["weekly"]["series"] if (s["device_type"], s["setting"]) == ("derma_roller", "'"$1"'")]'
}
csvs() {
    nw_sql "COPY (SELECT report_id, treated_on, device_type, setting, fitzpatrick, model, manufacturer
                  FROM needlewatch.treatments) TO STDOUT WITH CSV" >"$WORK/t.csv"
    nw_sql "COPY (SELECT treatment_id, type, (coalesce(reported_at, ingested_at) AT TIME ZONE 'UTC')::date
                  FROM needlewatch.complications) TO STDOUT WITH CSV" >"$WORK/c.csv"
}

# --- With the burst.
nw_loadgen "${GEN[@]}" --burst derma_roller:infection:2024-04-17:6:home
nw_ingest w1 --config "$WORK/w.properties"
nw_check "burst: all treatments stored" "$EXP_treatments" "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "burst: exit 0" 0 "$(an_run "$J" --format json --as-of "$AS_OF" --kafka-bootstrap "$BOOT" --publish-signals)"
oracle "$WORK/dump.jsonl" >"$WORK/oracle-burst.json"
nw_log "burst, from the dump: $(sv_py "$WORK/oracle-burst.json" '[(a["device_type"], a["setting"], a["complication"], a["week_start"], a["observed"], a["q_value"]) for a in d["alerts"]]')"
nw_log "burst, analyzer: $(sv_py "$J" '[(a["device_type"], a["setting"], a["complication"], a["week_start"], a["observed"], a["q_value"]) for a in d["alerts"]]')"
nw_check "burst: the dump's own rate scan alerts for derma_roller/home/infection from 2024-04-15" 1 \
    "$(sv_py "$WORK/oracle-burst.json" 'sum(1 for a in d["alerts"] if (a["device_type"], a["setting"], a["complication"], a["week_start"]) == ("derma_roller", "home", "infection", "2024-04-15"))')"
nw_check "burst: the analyzer's alerts are the dump's, number for number" ok \
    "$(python3 "$NW_SRC/tests/integration/burst_compare.py" "$J" "$WORK/oracle-burst.json")"
nw_check "burst: one alert derma_roller/home/infection, from 2024-W16, by the rate scan" "2024-W16 rate scan" \
    "$(sv_py "$J" '" ".join(a["week"] + " " + a["method"] for a in d["alerts"] if (a["device_type"], a["setting"], a["complication"]) == ("derma_roller", "home", "infection"))')"
nw_check "burst: its margins are in also_in, not alerts of their own" "0 True" \
    "$(sv_py "$J" '"%d %s" % (sum(1 for a in d["alerts"] if a["complication"] in ("infection", "any") and a["week_start"] == "2024-04-15" and (a["device_type"], a["setting"]) != ("derma_roller", "home")), any((m["device_type"], m["setting"]) == ("all", "all") for a in d["alerts"] if a["week_start"] == "2024-04-15" for m in a["also_in"]))')"
nw_check "burst: no alert for derma_roller/clinic/infection" "[]" "$(burst_alerts clinic)"
weekly_series clinic >"$WORK/clinic-burst.txt"
csvs
nw_check "burst: surveillance members agree with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv")"
expected=$(sv_py "$J" 'sum(1 for r in d["signals"] + d["signals_by_model"] if r["signal"]) + len(d["alerts"])')
timeout 60 kcat -b "$BOOT" -C -t signals -o beginning -e -q -f '%k\t%s\n' >"$WORK/signals.tsv" 2>>"$WORK/kcat.log" || true
nw_check "publish: one message per signal and alert" "$expected" "$(wc -l <"$WORK/signals.tsv")"
nw_check "publish: the burst alert is among them, keyed by its first week" 1 \
    "$(grep -c '^alert/derma_roller/home/infection/2024-04-15	' "$WORK/signals.tsv" || true)"
nw_check "publish: messages are JSON with kind" yes \
    "$(cut -f2- "$WORK/signals.tsv" | python3 -c 'import json,sys; print("yes" if all(json.loads(l)["kind"] in ("signal","alert") for l in sys.stdin) else "no")')"
nw_check "publish: the alert's message carries the contract fields" ok \
    "$(grep '^alert/derma_roller/home/infection/2024-04-15	' "$WORK/signals.tsv" | cut -f2- | python3 -c '
import json, sys
a = json.loads(sys.stdin.read())["alert"]
need = ["device_type", "setting", "complication", "week", "week_start", "observed", "expected", "method",
        "last_week_start", "weeks", "treatments", "rate", "expected_rate", "p_value", "q_value", "also_in",
        "sentence", "baseline_start", "baseline_end", "statistic", "threshold"]
missing = [k for k in need if k not in a]
print("ok" if not missing and a["also_in"] else "missing %s" % missing)')"

# --- The same population without the burst.
nw_sql "TRUNCATE needlewatch.treatment_versions, needlewatch.complication_versions" >/dev/null
rm -f "$WORK/dump.jsonl"
"$NW_BIN/needlewatch-loadgen" -b "$BOOT" --quiet --topic-treatments treatments2 \
    --topic-complications complications2 --dump "$WORK/dump2.jsonl" "${GEN[@]}" \
    >>"$WORK/loadgen.out" 2>>"$WORK/loadgen.log"
nw_ingest w2 --config "$WORK/w2.properties"
nw_check "no burst: all treatments stored" "$EXP_treatments" "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "no burst: exit 0" 0 "$(an_run "$J" --format json --as-of "$AS_OF")"
oracle "$WORK/dump2.jsonl" --treatments-topic treatments2 --complications-topic complications2 \
    >"$WORK/oracle-plain.json"
nw_log "no burst, from the dump: $(sv_py "$WORK/oracle-plain.json" '[(a["device_type"], a["setting"], a["complication"], a["week_start"]) for a in d["alerts"]]')"
nw_check "no burst: the dump's own rate scan gives no infection alert for derma rollers" 0 \
    "$(sv_py "$WORK/oracle-plain.json" 'sum(1 for a in d["alerts"] if a["device_type"] == "derma_roller" and a["complication"] == "infection")')"
nw_check "no burst: the analyzer's alerts are the dump's" ok \
    "$(python3 "$NW_SRC/tests/integration/burst_compare.py" "$J" "$WORK/oracle-plain.json")"
nw_check "no burst: no alert for derma_roller/home/infection" "[]" "$(burst_alerts home)"
nw_check "no burst: the clinic series is the same as with the burst" "$(cat "$WORK/clinic-burst.txt")" \
    "$(weekly_series clinic)"
csvs
nw_check "no burst: surveillance members agree with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv")"
nw_done

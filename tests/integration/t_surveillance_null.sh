#!/usr/bin/env bash
# t_surveillance_null.sh - the demo's population raises no more alerts than
# the stated false-alert rate predicts (issue 14). The population is
# scripts/demo.sh's: needlewatch-loadgen -n 20000 --seed 42 --days 182 with
# the same duplicate, follow-up, withdrawal, orphan and invalid rates:
# constant risks, no planted outbreak. The demo's dates end today; here
# they start on 2024-01-01, so the run is the same every day. The stated
# rate (docs/surveillance.md) is at most 1 false alert per 1,000
# series-weeks judged; the test allows floor(series-weeks / 1000) alerts,
# as of the population's last day (as the demo runs it: the last weeks are
# not mature yet) and a year later (every week judged). EARS C2 on the
# same counts (--alert-method ears-c2) is run for the record (logged).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
nw_broker_start --topic treatments:8 --topic complications:8
nw_config "$WORK/w.properties"
nw_loadgen -n 20000 --seed 42 --start-date 2024-01-01 --days 182 \
    --dup-rate 0.02 --followup-rate 0.03 --nullify-rate 0.01 --orphan-rate 0.01 --invalid-rate 0.005
nw_ingest w1 --config "$WORK/w.properties"
nw_check "all treatments stored" "$EXP_treatments" "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"

sv_py() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
# within_rate FILE: "ALERTS SERIES-WEEKS ok" when ALERTS <= SERIES-WEEKS / 1000.
within_rate() {
    sv_py "$1" '"%d %d %s" % (len(d["alerts"]), d["alert_method"]["counting"]["series_weeks_judged"], "ok" if 1000 * len(d["alerts"]) <= d["alert_method"]["counting"]["series_weeks_judged"] else "too many")'
}
for as_of in 2024-06-29 2025-06-29; do
    J=$WORK/null-$as_of.json
    nw_check "as of $as_of: exit 0" 0 "$(an_run "$J" --format json --as-of "$as_of")"
    result=$(within_rate "$J")
    nw_log "as of $as_of: alerts, series-weeks judged: $result; $(sv_py "$J" '[(a["device_type"], a["setting"], a["complication"], a["week_start"], a["q_value"]) for a in d["alerts"]]')"
    nw_check "as of $as_of: at most 1 alert per 1,000 series-weeks judged" ok "${result##* }"
    nw_check "as of $as_of: weeks were judged" yes \
        "$(sv_py "$J" '"yes" if d["alert_method"]["counting"]["series_weeks_judged"] >= 1000 else "no"')"
    nw_check "as of $as_of: EARS C2 exit 0" 0 \
        "$(an_run "$WORK/ears-$as_of.json" --format json --as-of "$as_of" --alert-method ears-c2)"
    nw_log "as of $as_of, EARS C2 on the same counts: alerts, series-weeks: $(within_rate "$WORK/ears-$as_of.json")"
done
nw_check "as of the last day, the last weeks wait for their reports" yes \
    "$(sv_py "$WORK/null-2024-06-29.json" '"yes" if d["alert_method"]["counting"]["last_judged"] < d["weekly"]["weeks"][-1] else "no"')"
nw_done

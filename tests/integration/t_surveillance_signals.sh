#!/usr/bin/env bash
# t_surveillance_signals.sh - signals (device type and model), alerts (the
# rate scan, and EARS C2 by option), weekly series and skin-type trends:
# every member of the JSON is recomputed by sv_check.py (ratescan.py for
# the alerts) from the treatments and complications themselves, whole
# window and a sub-window; the planted signals and the planted outbreak are
# found; the text report has its sections; --persist stores the run, the
# alerts' new columns equal to the JSON's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
an_schema
J=$WORK/out.json

python3 "$NW_SRC/tests/integration/sv_population.py" 7 12000 2024-01-01 26 \
    --burst=derma_roller:home:infection:20:0.25 | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
nw_sql "COPY (SELECT report_id, treated_on, device_type, setting, fitzpatrick, model, manufacturer
              FROM needlewatch.treatments) TO STDOUT WITH CSV" >"$WORK/t.csv"
nw_sql "COPY (SELECT treatment_id, type, (coalesce(reported_at, ingested_at) AT TIME ZONE 'UTC')::date
              FROM needlewatch.complications) TO STDOUT WITH CSV" >"$WORK/c.csv"

sv_py() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }

nw_check "whole: exit 0" 0 "$(an_run "$J" --format json)"
nw_check "whole: every surveillance member agrees with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv")"
nw_check "whole: rate views still agree" ok "$(an_check_views "$J")"
nw_check "whole: rf_microneedling burn is an Evans signal (reports)" "True" \
    "$(sv_py "$J" '" ".join(str(r["evans_signal"]) for r in d["signals"] if r["device_type"]=="rf_microneedling" and r["complication"]=="burn")')"
nw_check "whole: rf_microneedling burn rate ratio above 1 in some setting" "True" \
    "$(sv_py "$J" 'any(r["ci_low"] is not None and r["ci_low"] > 1 for r in d["rate_comparison"] if r["device_type"]=="rf_microneedling" and r["complication"]=="burn")')"
nw_check "whole: PW Home infection is a model signal" "True" \
    "$(sv_py "$J" '[r["evans_signal"] for r in d["signals_by_model"] if r["model"]=="PW Home" and r["complication"]=="infection"][0]')"
nw_check "whole: IMDRF codes in the JSON" "E1724,E1711" \
    "$(sv_py "$J" '",".join([r["imdrf_annex_e_codes"] for r in d["complication_catalogue"] if r["complication"]=="dryness_peeling"][0])')"
nw_check "whole: hyperpigmentation rises with skin type (all settings)" "rising with skin type" \
    "$(sv_py "$J" '[r["direction"] for r in d["skin_trend"] if r["setting"]=="all" and r["complication"]=="hyperpigmentation"][0]')"
nw_check "whole: 26 weeks" 26 "$(sv_py "$J" 'len(d["weekly"]["weeks"])')"
nw_check "whole: the rate scan, documented" "rate scan 0.05 2 3" \
    "$(sv_py "$J" '"%s %s %d %d" % (d["alert_method"]["method"], d["alert_method"]["parameters"]["q_level"], d["alert_method"]["parameters"]["windows"], d["alert_method"]["min_cases"])')"
nw_check "whole: the planted outbreak is an alert, first week 2024-05-20" 1 \
    "$(sv_py "$J" 'sum(1 for a in d["alerts"] if (a["device_type"], a["setting"], a["complication"], a["week_start"]) == ("derma_roller", "home", "infection", "2024-05-20"))')"
nw_check "whole: some cases reported late are not counted (D < the longest delay)" True \
    "$(sv_py "$J" '0 < d["alert_method"]["counting"]["reported_within"] < 1')"

# A sub-window, and EARS C2 with loose parameters.
nw_check "window: exit 0" 0 "$(an_run "$J" --from 2024-02-07 --to 2024-05-20 --alert-method ears-c2 --ears-baseline 4 --ears-alpha 0.01 --alert-min-cases 1)"
nw_check "window: every surveillance member agrees with python" ok \
    "$(python3 "$NW_SRC/tests/integration/sv_check.py" "$J" "$WORK/t.csv" "$WORK/c.csv" 2024-02-07 2024-05-20)"
nw_check "window: weeks from the Monday of --from" "2024-02-05 2024-05-20" \
    "$(sv_py "$J" 'd["weekly"]["weeks"][0] + " " + d["weekly"]["weeks"][-1]')"
nw_check "window: some EARS C2 alerts with these loose parameters" "yes EARS C2" \
    "$(sv_py "$J" '("yes " if len(d["alerts"]) > 0 else "no ") + d["alert_method"]["method"]')"

# Text: the new sections, in plain words.
nw_check "text: exit 0" 0 "$(an_run "$WORK/out.txt" --format text)"
for s in "Signals by device type" "Signals by model" "How the alerts are made" "Trends across skin types"; do
    nw_check "text: section $s" 1 "$(grep -c "^[0-9]*\. $s" "$WORK/out.txt" || true)"
done
nw_check "text: the alerts first, before the totals" "Alerts Totals" \
    "$(grep -x -e Alerts -e Totals "$WORK/out.txt" | tr '\n' ' ' | sed 's/ $//')"
nw_check "text: the outbreak explained in a sentence" 1 \
    "$(grep -c '^  1\. Derma roller, home, Infection: 2024-05-20' "$WORK/out.txt" || true)"

# --persist: one run, its signals and alerts, equal to the JSON's.
nw_check "persist: exit 0" 0 "$(an_run "$J" --persist)"
nw_check "persist: one run" 1 "$(nw_sql "SELECT count(*) FROM needlewatch.analysis_runs")"
nw_check "persist: rate rows = JSON rows" "$(sv_py "$J" 'len(d["rate_comparison"])')" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.rate_results")"
nw_check "persist: signal rows = JSON rows" \
    "$(sv_py "$J" 'len(d["signals"]) + len(d["signals_by_model"])')" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.signal_results")"
nw_check "persist: signals flagged = JSON" \
    "$(sv_py "$J" 'sum(1 for r in d["signals"] + d["signals_by_model"] if r["signal"])')" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.latest_signals")"
nw_check "persist: alerts = JSON" "$(sv_py "$J" 'len(d["alerts"])')" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.alert_results")"
nw_check "persist: the first alert's new columns = JSON" \
    "$(sv_py "$J" '"|".join(str(a[k]) if k != "also_in" else str(len(a[k])) for a in d["alerts"][:1] for k in ("last_week_start", "weeks", "treatments", "q_value", "rate", "baseline_cases", "also_in", "sentence"))')" \
    "$(nw_sql "SELECT concat_ws('|', last_week_start, weeks, treatments, q_value, rate, baseline_cases, jsonb_array_length(also_in), sentence) FROM needlewatch.alert_results WHERE rank = 1")"
nw_check "persist: the run's alert method" "rate-scan|$(sv_py "$J" 'd["alert_method"]["counting"]["report_days"]')|0.05" \
    "$(nw_sql "SELECT concat_ws('|', alert_method, report_days, alert_parameters->>'q_level') FROM needlewatch.analysis_runs")"
nw_check "persist: rf burn PRR exact" \
    "$(sv_py "$J" '[repr(r["prr"]) for r in d["signals"] if r["device_type"]=="rf_microneedling" and r["complication"]=="burn"][0]')" \
    "$(nw_sql "SELECT prr FROM needlewatch.signal_results WHERE scope='device_type' AND device_type='rf_microneedling' AND complication='burn'")"
nw_check "catalogue: ten types" 10 "$(nw_sql "SELECT count(*) FROM needlewatch.complication_catalogue")"
nw_check "catalogue: IMDRF codes" "E1719|E1724,E1711|no specific IMDRF Annex E term" \
    "$(nw_sql "SELECT (SELECT array_to_string(imdrf_annex_e_codes, ',') FROM needlewatch.complication_catalogue WHERE complication = 'infection') || '|' || (SELECT array_to_string(imdrf_annex_e_codes, ',') FROM needlewatch.complication_catalogue WHERE complication = 'dryness_peeling') || '|' || (SELECT imdrf_note FROM needlewatch.complication_catalogue WHERE complication = 'fat_loss')")"

# Usage errors.
nw_check "usage: --publish-signals needs a bootstrap" 2 "$(an_run "$J" --publish-signals)"
nw_check "usage: --suppress-below 0" 2 "$(an_run "$J" --suppress-below 0)"
nw_check "usage: --ears-baseline 2" 2 "$(an_run "$J" --ears-baseline 2)"
nw_check "usage: --alert-method cusum" 2 "$(an_run "$J" --alert-method cusum)"
nw_done

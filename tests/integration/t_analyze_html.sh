#!/usr/bin/env bash
# t_analyze_html.sh - the HTML report in a real browser. A population with a
# planted outbreak (so there are alerts and signals) goes generator -> Kafka
# -> worker -> PostgreSQL, plus one treatment whose manufacturer and model
# are hostile HTML; needlewatch-analyze writes the JSON and the HTML report,
# plain and with --suppress-below 11. Headless chromium (Debian's package)
# renders each page: html_check.py compares the DOM it dumps with the JSON
# (every forest-plot row, skin-type bar, weekly point, alert marker, alert
# - first on the page, most serious first, with its sentence, numbers and
# also_in - and signal row, and where each is drawn), checks that nothing is fetched or
# run, and that the suppressed report shows no hidden value; a screenshot
# must not be blank. The checker must catch a page that differs from the
# JSON (a flipped highlight, a moved ratio, a summary line left out, a forest
# plot on an axis of its own, changed counts, a week not marked incomplete,
# a risk row's cases). No chromium is a failure: CI installs it (deps.sh).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
CHECK="$NW_SRC/tests/integration/html_check.py"

# chromium as root needs --no-sandbox; a private profile, no GPU, bounded.
nw_chromium() {
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --no-first-run --no-default-browser-check --disable-extensions \
        --user-data-dir="$WORK/chromium-profile" "$@" 2>>"$WORK/chromium.log"
}
# html_dom NAME: renders $WORK/NAME.html into $WORK/NAME.dom.
html_dom() {
    nw_chromium --dump-dom "file://$WORK/$1.html" >"$WORK/$1.dom" || true
}

if ! command -v chromium >/dev/null; then
    nw_check "chromium is installed (scripts/deps.sh)" yes no
    nw_done
fi
nw_log "$(chromium --version 2>/dev/null)"

# --- Empty database: a page that says so, still checked.
an_schema
nw_check "empty: exit 0" 0 "$(an_run "$WORK/empty.json" --format json)"
nw_check "empty: html exit 0" 0 "$(an_run "$WORK/stdout.txt" --format html --output "$WORK/empty.html")"
html_dom empty
nw_check "empty: says there are no treatments" 1 "$(grep -c 'No treatments in this window' "$WORK/empty.dom" || true)"
nw_check "empty: page agrees with the JSON" ok \
    "$(python3 "$CHECK" dom "$WORK/empty.json" "$WORK/empty.dom" "$WORK/empty.html")"

# --- The population.
nw_broker_start --topic treatments:8 --topic complications:8
nw_config "$WORK/w.properties"
nw_loadgen -n 30000 --seed 42 --start-date 2024-01-01 --days 182 \
    --burst derma_roller:infection:2024-04-17:6
# HTML in a manufacturer and model name must come out as text.
nw_produce treatments <<'EOF'
{"schema_version":1,"report_id":"html-1","treated_on":"2024-03-05","setting":"home","device":{"type":"derma_roller","manufacturer":"<script>alert(1)</script> & \"Co\"","model":"A'1 <b>x</b>"},"skin":{"fitzpatrick":3}}
EOF
nw_produce complications <<'EOF'
{"schema_version":1,"report_id":"html-c1","treatment_id":"html-1","type":"burn"}
{"schema_version":1,"report_id":"html-c2","treatment_id":"html-1","type":"infection"}
EOF
nw_ingest w1 --config "$WORK/w.properties"
nw_check "all treatments stored" "$((EXP_treatments + 1))" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"

# As of a day inside the data: the risks' horizons and the weekly charts'
# last weeks are cut.
ASOF=(--as-of 2024-06-19)
J=$WORK/report.json
nw_check "json: exit 0" 0 "$(an_run "$J" --format json "${ASOF[@]}")"
nw_check "html: exit 0" 0 \
    "$(an_run "$WORK/stdout.txt" --format html --output "$WORK/report.html" "${ASOF[@]}")"
nw_check "html: nothing on stdout with --output" 0 "$(wc -c <"$WORK/stdout.txt")"
nw_check "html to stdout: an HTML document" "<!DOCTYPE html>" \
    "$(an_run "$WORK/stdout.html" --format html >/dev/null; head -n 1 "$WORK/stdout.html")"
nw_check "the population has alerts and signals" yes \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("yes" if d["alerts"] and any(r["evans_signal"] for r in d["signals"]) else "no")' "$J")"
nw_check "hostile names: no raw <script> in the file" 0 "$(grep -c -i '<script' "$WORK/report.html" || true)"
nw_check "hostile names: escaped" yes \
    "$(grep -q -F '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;' "$WORK/report.html" && echo yes || echo no)"

html_dom report
nw_check "chromium dumped the DOM" yes "$(grep -q 'class="forest-row' "$WORK/report.dom" && echo yes || echo no)"
nw_check "the page agrees with the JSON" ok \
    "$(python3 "$CHECK" dom "$J" "$WORK/report.dom" "$WORK/report.html")"

# The checker is not vacuous: a flipped highlight and a moved ratio fail it.
sed '0,/class="signal-row signal"/s//class="signal-row"/' "$WORK/report.dom" >"$WORK/bad1.dom"
nw_check "checker: an unhighlighted signal is caught" caught \
    "$(python3 "$CHECK" dom "$J" "$WORK/bad1.dom" "$WORK/report.html" | grep -q 'highlighted False, evans_signal True' && echo caught || echo missed)"
sed -E '0,/(class="forest-row"[^>]*data-rr=")[0-9]/s//\19/' "$WORK/report.dom" >"$WORK/bad2.dom"
nw_check "checker: a wrong rate ratio is caught" caught \
    "$(python3 "$CHECK" dom "$J" "$WORK/bad2.dom" "$WORK/report.html" | grep -q '^forest' && echo caught || echo missed)"

# ... nor for the summary, the shared axis, the counts beside a ratio, the
# incomplete weeks and the risk rows.
checker_catches() { # NAME SED-EXPRESSION GREP-PATTERN
    sed -E "$2" "$WORK/report.dom" >"$WORK/bad.dom"
    nw_check "checker: $1 is caught" caught \
        "$(python3 "$CHECK" dom "$J" "$WORK/bad.dom" "$WORK/report.html" | grep -q -- "$3" && echo caught || echo missed)"
}
checker_catches "a summary line left out" '0,/<li class="summary-item"[^>]*>[^<]*<a[^>]*>[^<]*<\/a><\/li>/s///' 'summary kinds'
checker_catches "a forest plot on its own axis" '0,/(class="plot" data-scale="log"[^>]*data-max=")[0-9.]+/s//\1123/' 'share an axis'
checker_catches "the counts beside a ratio changed" '0,/(class="row-counts">)[0-9]/s//\19/' 'counts'
checker_catches "a week not marked incomplete" '0,/ data-incomplete="true"/s///' 'incomplete'
checker_catches "a risk row's cases" '0,/(class="risk-row"[^>]*data-cases=")[0-9]/s//\19/' "risk ('"
nw_check "the report has incomplete weeks and risks cut by their horizons" yes \
    "$(grep -q 'data-incomplete="true"' "$WORK/report.html" && grep -q 'class="risk-row' "$WORK/report.html" && echo yes || echo no)"

sed '0,/data-rank="1"/s//data-rank="2"/' "$WORK/report.dom" >"$WORK/bad3.dom"
nw_check "checker: an alert out of its place is caught" caught \
    "$(python3 "$CHECK" dom "$J" "$WORK/bad3.dom" "$WORK/report.html" | grep -q '^alert 1 ' && echo caught || echo missed)"
sed -E '0,/(class="alert-sentence">[^<]*) cases in/s//\1 cases of/' "$WORK/report.dom" >"$WORK/bad4.dom"
nw_check "checker: a wrong alert sentence is caught" caught \
    "$(python3 "$CHECK" dom "$J" "$WORK/bad4.dom" "$WORK/report.html" | grep -q 'sentence' && echo caught || echo missed)"

nw_chromium --screenshot="$WORK/shot.png" --window-size=1280,12000 "file://$WORK/report.html" \
    >>"$WORK/chromium.log" || true
nw_check "screenshot taken" yes "$([ -s "$WORK/shot.png" ] && echo yes || echo no)"
nw_check "screenshot is not blank" ok "$(python3 "$CHECK" png "$WORK/shot.png" 2>>"$WORK/chromium.log")"
nw_log "$(tail -n 1 "$WORK/chromium.log")"

# --- --suppress-below 11, with a window: what the JSON hides, the page hides.
JS=$WORK/suppressed.json
W=(--from 2024-01-01 --to 2024-06-30 --suppress-below 11 "${ASOF[@]}")
nw_check "suppressed json: exit 0" 0 "$(an_run "$JS" --format json "${W[@]}")"
nw_check "suppressed html: exit 0" 0 \
    "$(an_run "$WORK/stdout.txt" --format html --output "$WORK/suppressed.html" "${W[@]}")"
html_dom suppressed
nw_check "suppressed: the page agrees with the JSON and hides what it hides" ok \
    "$(python3 "$CHECK" dom "$JS" "$WORK/suppressed.dom" "$WORK/suppressed.html" --suppressed)"

nw_done

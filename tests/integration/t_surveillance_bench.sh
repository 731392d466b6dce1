#!/usr/bin/env bash
# t_surveillance_bench.sh - the analyzer's alerts, end to end through
# PostgreSQL, equal the alert benchmark's (bench/alerts, bench/ALERTS.md)
# on one of its populations: `nwalerts rows power 1` writes the population
# (two years, volume growing 2.5x with seasonal dips, moving risks,
# planted outbreaks) as counts per week, cell and set of complications;
# bench_rows.py turns them into some 400,000 treatment and complication
# reports (each complication reported the day after its treatment, so
# every case counts within D) loaded with COPY; needlewatch-analyze reports
# on them as of a later day. `nwalerts alerts power 1` runs the same model
# code (analyze/model/alerts.c, its defaults) on the benchmark's own
# counts: every alert, its margins and every number must be the same
# double. This is what makes the benchmark's measurements the analyzer's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
NWALERTS="$NW_BIN/nwalerts"
if [ ! -x "$NWALERTS" ]; then
    nw_check "nwalerts is built (bench/alerts)" yes no
    nw_done
fi
an_schema
nw_check "nwalerts rows: exit 0" 0 "$("$NWALERTS" rows power 1 "$WORK/rows.tsv" >/dev/null; echo $?)"
python3 "$NW_SRC/tests/integration/bench_rows.py" "$WORK/rows.tsv" 2023-03-06 \
    | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
nw_check "the population is loaded" \
    "$(awk -F'\t' 'NR > 1 { n += $6 } END { print n }' "$WORK/rows.tsv")" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
J=$WORK/report.json
nw_check "analyzer: exit 0" 0 \
    "$(an_run "$J" --format json --from 2023-03-06 --to 2025-03-02 --as-of 2026-01-01)"
nw_check "analyzer: every week judged, every case counted" "104 1" \
    "$(python3 -c "import json; c = json.load(open('$J'))['alert_method']['counting']; print(c['weeks_judged'], c['reported_within'])")"
nw_check "nwalerts alerts: exit 0" 0 "$("$NWALERTS" alerts power 1 "$WORK/nwalerts.tsv" >/dev/null; echo $?)"
result=$(python3 "$NW_SRC/tests/integration/bench_compare.py" "$J" "$WORK/nwalerts.tsv")
nw_log "bench_compare: $result"
nw_check "the analyzer's alerts are the benchmark's, number for number" ok "${result%% *}"
nw_check "there are alerts to compare" yes "$([ "${result##* }" -gt 0 ] 2>/dev/null && echo yes || echo no)"
nw_done

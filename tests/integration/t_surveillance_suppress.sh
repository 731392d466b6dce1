#!/usr/bin/env bash
# t_surveillance_suppress.sh - --suppress-below K on a population built to
# tempt recovery: small device types (a handful of derma stamps) whose cells
# fall below K next to published margins, and in the report counts a signal
# row whose only small count is a derived one (c = 2 beside a = 30, see
# sv_population.py --tempt), so hiding only the small counts would let them
# be recovered by subtraction. sv_suppress_check.py attacks the JSON (every
# table, by plain subtraction and by exact linear algebra), looks for small
# counts in the JSON, text and CSV, and compares what is shown with the
# unsuppressed truth. Then a population with alerts: their counts (window
# and baseline cases and treatments, of the alert and of its also_in
# margins) and the late cases they imply are attacked too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
an_schema
python3 "$NW_SRC/tests/integration/sv_population.py" 11 900 2024-03-04 10 --small --tempt \
    | psql -X -q -v ON_ERROR_STOP=1 >/dev/null

nw_check "full: exit 0" 0 "$(an_run "$WORK/full.json" --format json)"
for k in 3 5 11; do
    nw_check "K=$k: exit 0" 0 "$(an_run "$WORK/s$k.json" --format json --suppress-below $k)"
    nw_check "K=$k: text exit 0" 0 "$(an_run "$WORK/s$k.txt" --format text --suppress-below $k)"
    nw_check "K=$k: csv exit 0" 0 "$(an_run "$WORK/s$k.csv" --format csv --suppress-below $k)"
    python3 "$NW_SRC/tests/integration/sv_suppress_check.py" $k "$WORK/s$k.json" "$WORK/full.json" \
        --text "$WORK/s$k.txt" --csv "$WORK/s$k.csv" >"$WORK/check$k.out"
    nw_log "K=$k: $(tail -n 1 "$WORK/check$k.out")"
    nw_check "K=$k: nothing small shown (json, text, csv), nothing recoverable, shown = truth" ok \
        "$(head -n -1 "$WORK/check$k.out")"
done
nw_check "K=5: csv rows hidden as empty fields" yes \
    "$(grep -q ',,,,,$' "$WORK/s5.csv" && echo yes)"
nw_check "K=5: suppression member" 5 "$(python3 -c "import json; print(json.load(open('$WORK/s5.json'))['suppression']['suppress_below'])")"
nw_check "K=5: text says what is hidden" 1 "$(grep -c '^Counts from 1 to 4 are not shown' "$WORK/s5.txt" || true)"
nw_check "K=5: the tempting row (other, burn) is hidden" True \
    "$(python3 -c "import json; print([r['suppressed'] for r in json.load(open('$WORK/s5.json'))['signals'] if (r['device_type'], r['complication']) == ('other', 'burn')][0])")"

# The alerts: a second population, 26 weeks, with an outbreak of
# derma-roller infections at home in week 20 (alerts with margins, some of
# their counts near K) and a few more alerts of their own.
psql -X -q -c "DROP SCHEMA needlewatch CASCADE" 2>/dev/null
an_schema
python3 "$NW_SRC/tests/integration/sv_population.py" 12 6000 2024-01-01 26 --small \
    --burst=derma_roller:home:infection:20:0.3 | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
nw_check "alerts: full: exit 0" 0 "$(an_run "$WORK/afull.json" --format json)"
nw_check "alerts: the population has alerts with margins" yes \
    "$(python3 -c "import json; d=json.load(open('$WORK/afull.json')); print('yes' if d['alerts'] and any(a['also_in'] for a in d['alerts']) else 'no')")"
for k in 3 5 11; do
    nw_check "alerts K=$k: exit 0" 0 "$(an_run "$WORK/a$k.json" --format json --suppress-below $k)"
    nw_check "alerts K=$k: text exit 0" 0 "$(an_run "$WORK/a$k.txt" --format text --suppress-below $k)"
    python3 "$NW_SRC/tests/integration/sv_suppress_check.py" $k "$WORK/a$k.json" "$WORK/afull.json" \
        --text "$WORK/a$k.txt" --tempt no --alerts "$([ $k -lt 11 ] && echo yes || echo no)" \
        >"$WORK/acheck$k.out"
    nw_log "alerts K=$k: $(tail -n 1 "$WORK/acheck$k.out")"
    nw_check "alerts K=$k: nothing small shown, nothing recoverable, shown = truth" ok \
        "$(head -n -1 "$WORK/acheck$k.out")"
done
nw_done

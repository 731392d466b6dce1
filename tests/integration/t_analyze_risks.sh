#!/usr/bin/env bash
# t_analyze_risks.sh - risks over fixed follow-ups, serious cases, skin
# trends per device type and adjusted, the data-quality section, the text
# report's summary and width, and the analyst's SQL, end to end.
#
# 1. A population with onset days (15% of them left out), severities,
#    outcomes, redeliveries, follow-ups, withdrawals and malformed messages
#    goes generator -> Kafka -> worker -> PostgreSQL. needlewatch-analyze's
#    JSON (--as-of inside the data, so that each horizon cuts it elsewhere;
#    three horizons; then a window that starts and ends inside a month with
#    the default horizons) is compared with risks_oracle.py, which knows only
#    the generator's dump: every risks row, the serious fields of every rate,
#    every skin trend row per device type and pooled, the adjusted trends
#    (Mantel extension test, written out in Python), the serious change and
#    the data quality. The text report fits in 100 columns and opens with
#    the JSON's summary. needlewatch.risks_between() and
#    weekly_series_between() give the JSON's numbers (risks_sql_check.py).
# 2. A population where darker skin is treated more often with RF
#    microneedling (loadgen --skin-device-confounding), which carries the
#    burns: pooled over device types the burn rate rises with the skin type
#    (p < 0.05), within device types it does not (the adjusted test, p >=
#    0.05); the oracle agrees with the report there too.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start --topic treatments:4 --topic complications:4 --topic t2:4 --topic c2:4
nw_config "$WORK/w.properties"
AN="$NW_BIN/needlewatch-analyze"
ORACLE="$NW_SRC/tests/integration/risks_oracle.py"

# --- 1. The population. Treatments over 240 days from 300 days ago; as of
# 120 days ago, the horizons 7, 30 and 90 each cut the data inside a month.
start=$(date -u -d '-300 days' +%F)
asof=$(date -u -d '-120 days' +%F)
nw_loadgen -n 25000 --seed 1515 --start-date "$start" --days 240 --dup-rate 0.02 \
    --followup-rate 0.05 --nullify-rate 0.02 --invalid-rate 0.01 --missing-onset-rate 0.15
nw_ingest w1 --config "$WORK/w.properties"
nw_check_exact

J=$WORK/risks.json
nw_check "json: exit 0" 0 "$("$AN" --format json --as-of "$asof" --horizons 90,7,30 \
    --output "$J" 2>>"$WORK/analyze.log"; echo $?)"
python3 "$ORACLE" json "$WORK/dump.jsonl" "$J" >"$WORK/oracle.txt" 2>&1 || true
nw_log "$(head -n 1 "$WORK/oracle.txt")"
nw_check "risks, serious fields, skin trends, change and data quality = the oracle" \
    "0 mismatches" "$(head -n 1 "$WORK/oracle.txt" | grep -o '[0-9]* mismatches$')"
nw_check "the horizons, ascending, and as_of" "[7, 30, 90] $asof" \
    "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["horizons"], d["as_of"])' "$J")"

# A window that starts and ends inside a month, the default horizons.
from=$(date -u -d "$start +40 days" +%F)
to=$(date -u -d "$start +170 days" +%F)
JW=$WORK/window.json
"$AN" --format json --from "$from" --to "$to" --as-of "$asof" --output "$JW" 2>>"$WORK/analyze.log"
python3 "$ORACLE" json "$WORK/dump.jsonl" "$JW" >"$WORK/oracle-window.txt" 2>&1 || true
nw_log "$(head -n 1 "$WORK/oracle-window.txt")"
nw_check "a window inside months, default horizons 30,90: = the oracle" "0 mismatches" \
    "$(head -n 1 "$WORK/oracle-window.txt" | grep -o '[0-9]* mismatches$')"

# The text report: 100 columns, and the summary first.
"$AN" --format text --as-of "$asof" --horizons 90,7,30 --output "$WORK/risks.txt" \
    2>>"$WORK/analyze.log"
python3 "$ORACLE" text "$WORK/risks.txt" "$J" >"$WORK/text.txt" 2>&1 || true
nw_log "$(head -n 1 "$WORK/text.txt")"
nw_check "text report: 100 columns, opens with the JSON's summary" "0 mismatches" \
    "$(head -n 1 "$WORK/text.txt" | grep -o '[0-9]* mismatches$')"

# The analyst's SQL gives the JSON's numbers, window included.
sql_check() { # JSON FROM TO HORIZONS...
    local json=$1 f=$2 t=$3; shift 3
    local q="" h
    for h in "$@"; do
        q="$q${q:+ UNION ALL }SELECT * FROM needlewatch.risks_between($f, $t, '$asof', $h)"
    done
    nw_sql "COPY ($q) TO STDOUT WITH CSV HEADER" >"$WORK/risks.csv" &&
    nw_sql "COPY (SELECT * FROM needlewatch.weekly_series_between($f, $t)) TO STDOUT WITH CSV HEADER" \
        >"$WORK/weekly.csv" &&
    python3 "$NW_SRC/tests/integration/risks_sql_check.py" "$json" "$WORK/risks.csv" \
        "$WORK/weekly.csv" | cut -c 1-300
}
nw_check "SQL risks_between and weekly_series_between = the JSON" ok \
    "$(sql_check "$J" NULL NULL 7 30 90 | cut -d' ' -f1)"
nw_check "SQL = the JSON, with a window" ok \
    "$(sql_check "$JW" "'$from'" "'$to'" 30 90 | cut -d' ' -f1)"
nw_check "SQL risks(as_of, horizon) = risks_between(NULL, NULL, ...)" 0 \
    "$(nw_sql "SELECT count(*) FROM ((SELECT * FROM needlewatch.risks('$asof', 30) EXCEPT ALL
               SELECT * FROM needlewatch.risks_between(NULL, NULL, '$asof', 30))
              UNION ALL (SELECT * FROM needlewatch.risks_between(NULL, NULL, '$asof', 30)
               EXCEPT ALL SELECT * FROM needlewatch.risks('$asof', 30))) x")"
nw_check "SQL wilson(3, 10) is the analyzer's" "0.3|0.10779126740630099|0.6032218525388546" \
    "$(nw_sql "SELECT * FROM needlewatch.wilson(3, 10)")"
nw_check "every view of the needlewatch schema, and each of its columns, has a comment" 0 \
    "$(nw_sql "SELECT count(*) FROM pg_class c
               LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
                                       AND NOT a.attisdropped
               WHERE c.relnamespace = 'needlewatch'::regnamespace AND c.relkind IN ('v', 'm')
                 AND (obj_description(c.oid, 'pg_class') IS NULL
                      OR col_description(c.oid, a.attnum) IS NULL)")"
nw_check "the new functions have comments" 6 \
    "$(nw_sql "SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'needlewatch'::regnamespace
                 AND p.proname IN ('wilson', 'risks', 'risks_between', 'weekly_series_between',
                                   'quarantine_reasons', 'reporting_lag_buckets')
                 AND obj_description(p.oid, 'pg_proc') IS NOT NULL")"

# --- 2. A device mix that differs between skin types: the same database,
# emptied, from the other topics.
nw_sql "DROP SCHEMA needlewatch CASCADE; DROP SCHEMA needlewatch_kept CASCADE" >/dev/null 2>&1
"$NW_BIN/needlewatch-loadgen" -b "$BOOT" --quiet --dump "$WORK/dump-2.jsonl" -n 40000 \
    --seed 77 --start-date "$start" --days 240 --skin-device-confounding \
    --topic-treatments t2 --topic-complications c2 >>"$WORK/loadgen.out" 2>>"$WORK/loadgen.log"
nw_config "$WORK/w2.properties" "topic.treatments=t2" "topic.complications=c2" \
    "kafka.group.id=needlewatch-test-2"
nw_ingest w2 --config "$WORK/w2.properties"
J2=$WORK/confounded.json
"$AN" --format json --as-of "$asof" --output "$J2" 2>>"$WORK/analyze.log"
python3 "$ORACLE" json "$WORK/dump-2.jsonl" "$J2" >"$WORK/oracle-2.txt" 2>&1 || true
nw_log "$(head -n 1 "$WORK/oracle-2.txt")"
nw_check "confounded population: = the oracle" "0 mismatches" \
    "$(head -n 1 "$WORK/oracle-2.txt" | grep -o '[0-9]* mismatches$')"
for st in all home clinic; do
    nw_check "confounded: burn across skin types ($st)" "pooled clear, adjusted not clear" \
        "$(python3 "$ORACLE" trend "$J2" "$st" burn 2>>"$WORK/oracle-2.txt")"
done
nw_check "confounded: the summary says the pooled burn trend does not hold within device types" \
    yes "$(python3 "$ORACLE" pooled-only "$J2" burn)"
nw_done

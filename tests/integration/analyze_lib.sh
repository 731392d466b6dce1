# shellcheck shell=bash
# analyze_lib.sh - helpers for the needlewatch-analyze integration tests
# (sourced after lib.sh and nw_setup, not run; not a t_*.sh so ctest skips it).
#
# The tests write report versions straight into the *_versions tables, run
# the analyzer and check its JSON with python3 (json module only).

# an_schema: applies sql/, as the ingest worker would.
an_schema() { nw_apply_sql; }

AN_OFFSET=0

# an_treat ID VERSION SETTING DEVICE FITZPATRICK|null DATE [nullified]
an_treat() {
    local fitz=$5 nullified=${7:-false}
    AN_OFFSET=$((AN_OFFSET + 1))
    nw_sql "INSERT INTO needlewatch.treatment_versions
        (report_id, version, nullified, treated_on, setting, device_type, fitzpatrick,
         source_topic, source_partition, source_offset, message)
        VALUES ('$1', $2, $nullified, '$6', '$3', '$4', $fitz,
                'treatments', 0, $AN_OFFSET, '{}')" >/dev/null
}

# an_comp ID VERSION TREATMENT_ID TYPE [nullified]
an_comp() {
    local nullified=${5:-false}
    AN_OFFSET=$((AN_OFFSET + 1))
    nw_sql "INSERT INTO needlewatch.complication_versions
        (report_id, version, nullified, treatment_id, type,
         source_topic, source_partition, source_offset, message)
        VALUES ('$1', $2, $nullified, '$3', '$4', 'complications', 0, $AN_OFFSET, '{}')" >/dev/null
}

# an_run OUT [analyzer args...]: runs the analyzer with stdout to OUT and
# stderr to $WORK/stderr (also appended to $WORK/analyze.log); prints its
# exit code, so a test can check it without tripping set -e, or "sanitizer"
# when an ASan/UBSan report hides behind an expected failure code.
an_run() {
    local out=$1 rc=0; shift
    "$NW_BIN/needlewatch-analyze" "$@" >"$out" 2>"$WORK/stderr" || rc=$?
    cat "$WORK/stderr" >>"$WORK/analyze.log"
    if grep -q -E 'Sanitizer|runtime error:' "$WORK/stderr"; then
        echo sanitizer
    else
        echo "$rc"
    fi
}

# an_py FILE EXPR: prints the python expression EXPR evaluated with d = the
# JSON in FILE and helpers rate(dev, set, skin, comp) -> "treatments cases"
# (or "none"), hvc(dev, skin, comp) -> the row or None, adj(comp) -> the row.
an_py() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def rate(dev, st, skin, comp):
    for r in d["rates"]:
        if (r["device_type"], r["setting"], r["skin_type"], r["complication"]) == (dev, st, skin, comp):
            return "%d %d" % (r["treatments"], r["cases"])
    return "none"
def rate_row(dev, st, skin, comp):
    for r in d["rates"]:
        if (r["device_type"], r["setting"], r["skin_type"], r["complication"]) == (dev, st, skin, comp):
            return r
    return None
def hvc(dev, skin, comp):
    for r in d["home_vs_clinic"]:
        if (r["device_type"], r["skin_type"], r["complication"]) == (dev, skin, comp):
            return r
    return None
def adj(comp):
    for r in d["home_vs_clinic_adjusted"]:
        if r["complication"] == comp:
            return r
    return None
def r6(x):
    return "null" if x is None else "%.6f" % x
print(eval(sys.argv[2]))
PY
}

# an_check_views JSON [FROM TO]: checks the analyzer's JSON against the SQL
# views for the same window, row by row, and its statistics against an
# independent computation in python. Prints "ok" or the differences.
an_check_views() {
    local json=$1 from=${2:-} to=${3:-}
    local fsql=NULL tsql=NULL
    [ -n "$from" ] && fsql="'$from'"
    [ -n "$to" ] && tsql="'$to'"
    { nw_sql "COPY (SELECT * FROM needlewatch.rate_cells_between($fsql, $tsql)) TO STDOUT WITH CSV" \
        >"$WORK/view_rates.csv" 2>>"$WORK/analyze.log" &&
    nw_sql "COPY (SELECT * FROM needlewatch.home_vs_clinic_between($fsql, $tsql)) TO STDOUT WITH CSV" \
        >"$WORK/view_hvc.csv" 2>>"$WORK/analyze.log" &&
    nw_sql "COPY (SELECT * FROM needlewatch.analysis_totals_between($fsql, $tsql)) TO STDOUT WITH CSV" \
        >"$WORK/view_totals.csv" 2>>"$WORK/analyze.log"; } || { echo "view query failed"; return 0; }
    python3 "$NW_SRC/tests/integration/analyze_check.py" "$json" "$WORK/view_rates.csv" \
        "$WORK/view_hvc.csv" "$WORK/view_totals.csv"
}

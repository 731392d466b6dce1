#!/usr/bin/env bash
# analyze.sh - times needlewatch-analyze's JSON report on a database (bench/ANALYZE.md).
#
#   bash bench/analyze.sh [--runs K] [--scan] [--scan-runs K] [--bin DIR]
#                         [--from YYYY-MM-DD] [--to YYYY-MM-DD] DBNAME
#
# Runs `needlewatch-analyze --format json` K times (default 7) against DBNAME
# (the PG* variables say where; the role must be able to read the views) and
# prints each wall time and the median, with the kept counts' size. With
# --scan it then times the full-scan queries too (--scan-runs times, default
# 3): the analyzer falls back to them when needlewatch.kept_cube() and
# needlewatch.kept_surveillance() do not exist, so the functions are renamed
# for the duration (as the schema owner; put back on exit) - a benchmark
# database only. --from and --to are passed to every report (a window: the
# per-model counts of its whole months are then read per month, those of
# its partial first and last months per day). Finally
# `needlewatch-analyze --verify` must exit 0 (also timed).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=$ROOT/build/bin
RUNS=7
SCAN=0
SCAN_RUNS=3
WINDOW=()
while [ $# -gt 1 ]; do
    case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --scan) SCAN=1; shift ;;
    --scan-runs) SCAN_RUNS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --from | --to) WINDOW+=("$1" "$2"); shift 2 ;;
    *) echo "analyze.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ $# -eq 1 ] || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
DB=$1
AN=$BIN/needlewatch-analyze
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

# time_runs LABEL K: K runs, one line each, then the median.
time_runs() {
    local label=$1 k=$2 t1 t2 times=()
    for _ in $(seq 1 "$k"); do
        t1=$(date +%s%N)
        "$AN" --pg "dbname=$DB" --format json "${WINDOW[@]}" >"${TMPDIR:-/tmp}/analyze-bench.json"
        t2=$(date +%s%N)
        times+=("$(((t2 - t1) / 1000000))")
    done
    printf '%s' "${times[*]}" | tr ' ' '\n' | sort -n |
        awk -v l="$label" '{a[NR] = $1} END {printf "%-6s runs (ms): %s | median %d ms\n", l,
            a[1] (NR > 1 ? " ... " a[NR] : ""), a[int((NR + 1) / 2)]}'
}

echo "database $DB: $(sql "SELECT count(*) FROM needlewatch.treatments") current treatments," \
     "$(sql "SELECT count(*) FROM needlewatch.complications") current complications;" \
     "kept: $(sql "SELECT count(*) FROM needlewatch_kept.cells") day-cells," \
     "$(sql "SELECT count(*) FROM needlewatch_kept.model_days") per-model rows by day," \
     "$(sql "SELECT count(*) FROM needlewatch_kept.model_months") by month," \
     "$(sql "SELECT count(*) FROM needlewatch_kept.model_totals") in total;" \
     "$(sql "SELECT versions_pending FROM needlewatch.kept_rollup_status") versions not rolled up"
[ ${#WINDOW[@]} -eq 0 ] || echo "window: ${WINDOW[*]}"
"$AN" --pg "dbname=$DB" --format json "${WINDOW[@]}" >/dev/null   # warm the cache
time_runs kept "$RUNS"
if [ "$SCAN" = 1 ]; then
    away="ALTER FUNCTION needlewatch.kept_cube(date, date) RENAME TO kept_cube_bench_away;
          ALTER FUNCTION needlewatch.kept_surveillance(date, date, text[])
              RENAME TO kept_surveillance_bench_away"
    back="ALTER FUNCTION needlewatch.kept_cube_bench_away(date, date) RENAME TO kept_cube;
          ALTER FUNCTION needlewatch.kept_surveillance_bench_away(date, date, text[])
              RENAME TO kept_surveillance"
    sql "$away"
    trap 'sql "$back"' EXIT
    "$AN" --pg "dbname=$DB" --format json "${WINDOW[@]}" >/dev/null
    time_runs scan "$SCAN_RUNS"
    sql "$back"
    trap - EXIT
fi
t1=$(date +%s%N)
"$AN" --pg "dbname=$DB" --verify
t2=$(date +%s%N)
echo "verify: $(((t2 - t1) / 1000000)) ms"

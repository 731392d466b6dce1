#!/usr/bin/env bash
# compare_reports.sh - runs two builds of needlewatch-analyze on the same
# databases and diffs what they write, byte for byte: every format (json,
# text, csv, html) under the important option combinations, --verify,
# --persist (each binary into its own copy of the database; the stored
# tables are compared), and --publish-signals (each binary to its own
# topic; the messages are compared). Used to show that a refactoring of the
# analyzer changes no output (issue 13). Not a ctest test (no t_ prefix).
#
#   bash tests/integration/compare_reports.sh OLD_ANALYZER NEW_ANALYZER [TOOLS_DIR]
#
# TOOLS_DIR holds needlewatch-loadgen, -ingest and -devbroker used to fill
# the databases (default: the folder of NEW_ANALYZER). The populations are
# those of the integration tests: sv_population.py as in
# t_surveillance_signals.sh and t_surveillance_suppress.sh, and a generated
# one through Kafka and the ingest with redeliveries, follow-ups,
# withdrawals and a planted burst (t_analyze_population.sh,
# t_surveillance_burst.sh). Each population is compared twice: with the
# kept counts, and with needlewatch.kept_cube and kept_surveillance dropped
# so both binaries take the scanning queries.
#
# The only bytes masked are the run's timestamp ("generated_at" in JSON and
# messages, "Generated ..." in text and HTML, analysis_runs.generated_at),
# which differs between two runs of one binary. Prints one line per
# comparison and "N comparisons, M differ"; exits 1 when any differs.
set -euo pipefail
OLD=$(realpath "$1")
NEW=$(realpath "$2")
NW_TEST=compare_reports
export NW_BIN=${3:-$(dirname "$NEW")}
# lib.sh names the work folder after the script.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
mkdir -p "$WORK/cmp"
N=0
DIFFS=0

mask() { # FILE: the timestamps of the run replaced by a constant
    sed -E -e 's/"generated_at":[[:space:]]*"[^"]*"/"generated_at":"T"/g' \
           -e 's/^Generated [0-9-]+ [0-9:]+ UTC by/Generated T by/' \
           -e 's/Generated [0-9-]+ [0-9:]+ UTC by needlewatch-analyze/Generated T by needlewatch-analyze/' \
           "$1"
}

same() { # NAME OLD_FILE NEW_FILE
    N=$((N + 1))
    if cmp -s <(mask "$2") <(mask "$3"); then
        nw_log "same  $1 ($(wc -c <"$2") bytes)"
    else
        DIFFS=$((DIFFS + 1))
        nw_log "DIFF  $1"
        diff <(mask "$2") <(mask "$3") | head -n 20 >&2 || true
    fi
}

run_both() { # NAME ARGS...: both binaries, stdout and exit status compared
    local name=$1 o=$WORK/cmp/$1; shift
    local ro=0 rn=0
    "$OLD" "$@" >"$o.old" 2>"$o.old.err" || ro=$?
    "$NEW" "$@" >"$o.new" 2>"$o.new.err" || rn=$?
    echo "exit $ro" >>"$o.old"
    echo "exit $rn" >>"$o.new"
    same "$name" "$o.old" "$o.new"
}

# The option combinations, for a population whose weeks run from $1 to $2.
compare_population() { # TAG FROM TO
    local tag=$1 from=$2 to=$3 f
    local -a sets=(
        "all::"
        "window::--from $from --to $to"
        "from::--from $from"
        "to::--to $to"
        "k3::--suppress-below 3"
        "k5w::--suppress-below 5 --from $from --to $to"
        "k11::--suppress-below 11"
        "ears::--alert-method ears-c2 --ears-baseline 4 --ears-alpha 0.01 --alert-min-cases 1 --ears-min-sigma 0.5"
        "ears2::--alert-method ears-c2 --ears-baseline 12 --ears-alpha 0.05 --alert-min-cases 2 --suppress-below 3"
        "scan::--alert-q 0.2 --alert-windows 3 --report-days 21 --as-of 2024-09-30"
        "glr::--alert-method glr --glr-threshold 4 --glr-baseline 8"
        "empty::--from 1990-01-01 --to 1990-02-01"
    )
    for entry in "${sets[@]}"; do
        local name=${entry%%::*} args=${entry#*::}
        for f in json text csv html; do
            # shellcheck disable=SC2086 # the option sets are word lists
            run_both "$tag-$name-$f" --format "$f" $args
        done
    done
    run_both "$tag-verify" --verify
}

persist_both() { # TAG ARGS...: --persist into two copies of the database
    local tag=$1 db
    shift
    for db in old new; do
        PGUSER=postgres nw_sql "DROP DATABASE IF EXISTS cmp_$db" >/dev/null 2>&1
        PGUSER=postgres nw_sql "CREATE DATABASE cmp_$db TEMPLATE \"$PGDATABASE\"" >/dev/null
    done
    "$OLD" --pg "dbname=cmp_old" --persist --format json "$@" >"$WORK/cmp/$tag-persist.old" 2>/dev/null
    "$NEW" --pg "dbname=cmp_new" --persist --format json "$@" >"$WORK/cmp/$tag-persist.new" 2>/dev/null
    same "$tag-persist-stdout" "$WORK/cmp/$tag-persist.old" "$WORK/cmp/$tag-persist.new"
    for db in old new; do
        PGDATABASE=cmp_$db nw_sql "
            SELECT to_jsonb(r) - 'run_id' - 'generated_at' FROM needlewatch.analysis_runs r ORDER BY run_id;
            SELECT to_jsonb(s) - 'run_id' FROM needlewatch.signal_results s ORDER BY 1::text;
            SELECT to_jsonb(s) - 'run_id' FROM needlewatch.rate_results s ORDER BY 1::text;
            SELECT to_jsonb(s) - 'run_id' FROM needlewatch.alert_results s ORDER BY 1::text;
            SELECT count(*) FROM needlewatch.signal_results;
            SELECT count(*) FROM needlewatch.alert_results;" >"$WORK/cmp/$tag-tables.$db"
    done
    same "$tag-persist-tables" "$WORK/cmp/$tag-tables.old" "$WORK/cmp/$tag-tables.new"
    for db in old new; do PGUSER=postgres nw_sql "DROP DATABASE cmp_$db" >/dev/null; done
}

# Drops the kept-count readers, so both binaries scan the reports.
drop_kept() {
    nw_sql "DROP FUNCTION IF EXISTS needlewatch.kept_cube(date, date) CASCADE;
            DROP FUNCTION IF EXISTS needlewatch.kept_surveillance(date, date, text[]) CASCADE" >/dev/null
}

# --- Population 1: t_surveillance_signals.sh's.
an_schema
python3 "$NW_SRC/tests/integration/sv_population.py" 7 12000 2024-01-01 26 \
    | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
compare_population sig 2024-02-07 2024-05-20
persist_both sig
persist_both sig-k3 --suppress-below 3 --from 2024-02-07
drop_kept
compare_population sig-scan 2024-02-07 2024-05-20

# --- Population 2: t_surveillance_suppress.sh's (small cells, a tempting row).
nw_sql "DROP SCHEMA needlewatch CASCADE" >/dev/null 2>&1
an_schema
python3 "$NW_SRC/tests/integration/sv_population.py" 11 900 2024-03-04 10 --small --tempt \
    | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
compare_population small 2024-03-11 2024-04-22
persist_both small-k5 --suppress-below 5
drop_kept
compare_population small-scan 2024-03-11 2024-04-22

# --- Population 3: generated, through Kafka and the ingest, with a burst.
nw_sql "DROP SCHEMA needlewatch CASCADE" >/dev/null 2>&1
nw_broker_start --topic treatments:8 --topic complications:8 --topic signals_old:1 \
    --topic signals_new:1
nw_config "$WORK/w.properties"
nw_loadgen -n 30000 --seed 42 --start-date 2024-01-01 --days 182 --dup-rate 0.02 \
    --followup-rate 0.05 --nullify-rate 0.02 --burst derma_roller:infection:2024-04-17:6:home
nw_ingest w1 --config "$WORK/w.properties"
compare_population gen 2024-02-01 2024-05-31
persist_both gen
# --publish-signals from two copies of the database (it may record what it
# published there: needlewatch.published_signals, sql/009).
for b in old new; do
    PGUSER=postgres nw_sql "DROP DATABASE IF EXISTS cmp_$b" >/dev/null 2>&1
    PGUSER=postgres nw_sql "CREATE DATABASE cmp_$b TEMPLATE \"$PGDATABASE\"" >/dev/null
    bin=$OLD; [ $b = new ] && bin=$NEW
    "$bin" --pg "dbname=cmp_$b" --format json --publish-signals --kafka-bootstrap "$BOOT" \
        --signals-topic "signals_$b" >/dev/null 2>"$WORK/cmp/publish.$b.err"
    timeout 60 kcat -b "$BOOT" -C -t "signals_$b" -o beginning -e -q -f '%k\t%s\n' \
        >"$WORK/cmp/publish.$b" 2>>"$WORK/kcat.log" || true
    PGDATABASE=cmp_$b nw_sql "SELECT CASE WHEN to_regclass('needlewatch.published_signals') IS NULL
        THEN NULL ELSE 1 END" >"$WORK/cmp/published.$b"
    if [ "$(cat "$WORK/cmp/published.$b")" = 1 ]; then
        PGDATABASE=cmp_$b nw_sql "SELECT to_jsonb(p) - 'run_id' - 'published_at' - 'topic'
            FROM needlewatch.published_signals p ORDER BY key" >>"$WORK/cmp/published.$b"
    fi
    PGUSER=postgres nw_sql "DROP DATABASE cmp_$b" >/dev/null
done
same "gen-publish-messages" "$WORK/cmp/publish.old" "$WORK/cmp/publish.new"
same "gen-publish-state" "$WORK/cmp/published.old" "$WORK/cmp/published.new"
nw_log "published messages compared: $(wc -l <"$WORK/cmp/publish.new")"
drop_kept
compare_population gen-scan 2024-02-01 2024-05-31

nw_log "$N comparisons, $DIFFS differ"
[ "$DIFFS" -eq 0 ]

#!/usr/bin/env bash
# rollup.sh - how far the kept counts trail the reports, and what a cold
# rollup costs (bench/RESULTS.md, issue 17).
#
#   bash bench/rollup.sh [--runs K] DBNAME
#
# On DBNAME (the PG* variables say where; run as the schema owner), a
# database a worker has just finished ingesting into (needlewatch-ingest
# --exit-on-eof), it prints
#   lag      the time from the last stored report version (its ingested_at,
#            the commit of the last batch) to the end of the rollup that
#            counted it (kept_rollup_status.rolled_at), and how many versions
#            are still not rolled up (0 when the counts are up to date);
#   cold     K times (default 3), a recount of everything from scratch
#            (needlewatch_kept.rebuild(): the watermark reset, then one rollup
#            over every stored version, as after an upgrade or a restore),
#            its wall time and the versions it counted;
# then checks the counts with needlewatch.kept_cells_check() (no row: exact).
set -euo pipefail

RUNS=3
while [ $# -gt 1 ]; do
    case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    *) echo "rollup.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ $# -eq 1 ] || { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
DB=$1
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" -c "$1"; }

versions=$(sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions)
                       + (SELECT count(*) FROM needlewatch.complication_versions)")
echo "database $DB: $versions report versions"
echo "lag: $(sql "SELECT round(extract(epoch FROM s.rolled_at - v.last) * 1000) || ' ms from the last
                stored version to the end of the rollup that counted it; '
                || s.versions_pending || ' versions not rolled up'
                FROM needlewatch.kept_rollup_status s,
                     (SELECT greatest((SELECT max(ingested_at) FROM needlewatch.treatment_versions),
                                      (SELECT max(ingested_at) FROM needlewatch.complication_versions))
                             AS last) v" | tr -s ' \n' ' ')"
for i in $(seq 1 "$RUNS"); do
    t1=$(date +%s%N)
    rows=$(sql "SELECT needlewatch_kept.rebuild()")
    t2=$(date +%s%N)
    echo "cold $i: $(((t2 - t1) / 1000000)) ms to recount $versions versions ($rows kept rows written)"
done
diffs=$(sql "SELECT count(*) FROM needlewatch.kept_cells_check()")
echo "kept_cells_check(): $diffs differences"
[ "$diffs" = 0 ]

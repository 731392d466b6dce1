#!/usr/bin/env bash
# Redelivery, follow-ups in and out of order, and nullification: a report
# version is stored once; the highest version is current whatever order the
# versions arrive in; every version stays queryable; a nullified version
# withdraws the report.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties"

T='"schema_version":1,"treated_on":"2026-04-01","device":{"type":"derma_roller"}'
nw_produce treatments <<EOF2
{$T,"report_id":"t-dup","setting":"home"}
{$T,"report_id":"t-dup","setting":"home"}
{$T,"report_id":"t-dup","setting":"home","version":1}
{$T,"report_id":"t-up","setting":"home","version":1}
{$T,"report_id":"t-up","setting":"clinic","version":2}
{$T,"report_id":"t-old","setting":"clinic","version":3}
{$T,"report_id":"t-old","setting":"home","version":1}
{$T,"report_id":"t-old","setting":"home","version":2}
{$T,"report_id":"t-null","setting":"home","version":1}
{$T,"report_id":"t-null","setting":"home","version":2,"nullified":true}
{$T,"report_id":"t-unnull","setting":"home","version":1,"nullified":true}
{$T,"report_id":"t-unnull","setting":"clinic","version":2}
EOF2
C='"schema_version":1,"treatment_id":"t-up"'
nw_produce complications <<EOF2
{$C,"report_id":"c-1","type":"infection"}
{$C,"report_id":"c-1","type":"infection"}
{$C,"report_id":"c-2","type":"burn","version":2}
{$C,"report_id":"c-2","type":"scarring","version":1}
{$C,"report_id":"c-3","type":"burn","version":1}
{$C,"report_id":"c-3","type":"burn","version":2,"nullified":true}
EOF2
nw_ingest worker1 --config "$WORK/w.properties"
nw_check "worker exits 0" 0 $?

nw_check "redelivered report stored once" 1 \
  "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE report_id = 't-dup'")"
nw_check "duplicates counted, not stored" 1 \
  "$(grep -c 'final consumed=18 stored=15 duplicates=3 quarantined=0' "$WORK/worker1.log")"
nw_check "follow-up supersedes" "2|clinic" \
  "$(nw_sql "SELECT version, setting FROM needlewatch.treatments WHERE report_id = 't-up'")"
nw_check "older version after newer does not win" "3|clinic" \
  "$(nw_sql "SELECT version, setting FROM needlewatch.treatments WHERE report_id = 't-old'")"
nw_check "every version stays queryable" "1,2,3" \
  "$(nw_sql "SELECT string_agg(version::text, ',' ORDER BY version) FROM needlewatch.treatment_versions WHERE report_id = 't-old'")"
nw_check "nullified version withdraws the report" 0 \
  "$(nw_sql "SELECT count(*) FROM needlewatch.treatments WHERE report_id = 't-null'")"
nw_check "...but its versions are kept" 2 \
  "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE report_id = 't-null'")"
nw_check "a later non-nullified version reinstates" "2|clinic" \
  "$(nw_sql "SELECT version, setting FROM needlewatch.treatments WHERE report_id = 't-unnull'")"
nw_check "complications: current versions" "c-1|1|infection
c-2|2|burn" \
  "$(nw_sql "SELECT report_id, version, type FROM needlewatch.complications ORDER BY report_id")"

# A newer version arriving later moves the report again.
nw_produce treatments <<EOF2
{$T,"report_id":"t-up","setting":"home","version":5}
{$T,"report_id":"t-up","setting":"clinic","version":4}
EOF2
nw_ingest worker2 --config "$WORK/w.properties"
nw_check "later follow-up in a later run" "5|home" \
  "$(nw_sql "SELECT version, setting FROM needlewatch.treatments WHERE report_id = 't-up'")"
nw_check "one row per report in the view" 0 \
  "$(nw_sql "SELECT count(*) FROM (SELECT report_id FROM needlewatch.treatments GROUP BY 1 HAVING count(*) > 1) d")"
nw_done

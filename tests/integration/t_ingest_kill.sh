#!/usr/bin/env bash
# A worker killed with SIGKILL at arbitrary moments, several times, then
# restarted, ends with every report stored exactly once: rows and offsets
# commit together, so a kill loses nothing and duplicates nothing.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties" "ingest.batch.max_messages=100" "ingest.batch.max_ms=50"

nw_loadgen -n 20000 --seed 11 --dup-rate 0.02 --followup-rate 0.05 --nullify-rate 0.02
ING="$NW_BIN/needlewatch-ingest"
for i in 1 2 3 4; do
  "$ING" --config "$WORK/w.properties" 2>"$WORK/kill$i.log" & pid=$!
  # Kill at a different moment each time, mid-stream.
  nw_wait_log "$WORK/kill$i.log" "assigned [1-9]" 30 || true
  sleep "0.$((2 * i + 1))"
  kill -KILL $pid
  wait $pid 2>/dev/null || true
  nw_log "kill $i: $(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions") treatment versions stored so far"
done
stored_before=$(nw_sql "SELECT count(*) + (SELECT count(*) FROM needlewatch.complication_versions) FROM needlewatch.treatment_versions")
nw_check "the kills happened mid-stream" yes \
  "$([ "$stored_before" -gt 0 ] && [ "$stored_before" -lt $((EXP_treatment_versions + EXP_complication_versions)) ] && echo yes || echo "no: $stored_before stored")"
nw_ingest final --config "$WORK/w.properties"
nw_check "restarted worker finishes and exits 0" 0 $?
nw_check_exact
nw_done

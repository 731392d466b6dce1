#!/usr/bin/env bash
# A worker killed with SIGKILL at arbitrary moments, several times, then
# restarted, ends with every report stored exactly once: rows and offsets
# commit together, so a kill loses nothing and duplicates nothing.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties" "ingest.batch.max_messages=100" "ingest.batch.max_ms=50"

ING="$NW_BIN/needlewatch-ingest"
count() { nw_sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions) + (SELECT count(*) FROM needlewatch.complication_versions)" 2>/dev/null || echo 0; }
midstream=0
for i in 1 2 3 4; do
  # Each round adds a wave of reports, starts the worker, and kills it with
  # SIGKILL a different number of commits into the wave.
  nw_loadgen -n 20000 --seed $((100 + i)) --dup-rate 0.02 --followup-rate 0.05 --nullify-rate 0.02
  before=$(count)
  "$ING" --config "$WORK/w.properties" 2>"$WORK/kill$i.log" & pid=$!
  nw_wait_sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions) + (SELECT count(*) FROM needlewatch.complication_versions) > $before + $((i * 150))" t 60 || true
  kill -KILL $pid
  wait $pid 2>/dev/null || true
  now=$(count)
  total=$((EXP_treatment_versions + EXP_complication_versions))
  [ "$now" -lt "$total" ] && midstream=$((midstream + 1))
  nw_log "kill $i: $now of $total report versions stored when killed"
done
nw_check "workers were killed mid-stream" yes "$([ $midstream -ge 1 ] && echo yes || echo no)"
nw_ingest final --config "$WORK/w.properties"
nw_check "restarted worker finishes and exits 0" 0 $?
nw_check_exact
nw_done

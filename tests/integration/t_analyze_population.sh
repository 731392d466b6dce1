#!/usr/bin/env bash
# End to end: the generator produces a population with known complication
# probabilities (with redeliveries, follow-ups that move treatments between
# cells, and withdrawals); two workers ingest it; the analyzer's JSON is
# compared with counts computed independently from what was produced
# (analyze_oracle.py reads only the generator's dump): every rates row and
# every home-vs-clinic row exactly on counts and within 1e-9 on rates and
# intervals, for the whole history and for a --from/--to window. The 95%
# intervals must cover the generator's true probabilities at about the
# nominal rate.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties"

start=$(date -u -d '-200 days' +%F)
nw_loadgen -n 40000 --seed 2026 --start-date "$start" --days 180 \
  --dup-rate 0.02 --followup-rate 0.05 --nullify-rate 0.02 --model-json "$WORK/model.json"
nw_ingest w1 --config "$WORK/w.properties" & p1=$!
nw_ingest w2 --config "$WORK/w.properties" & p2=$!
wait $p1; wait $p2
nw_check_exact

AN="$NW_BIN/needlewatch-analyze"
"$AN" --format json --output "$WORK/all.json"
python3 "$NW_SRC/tests/integration/analyze_oracle.py" "$WORK/dump.jsonl" "$WORK/all.json" \
  "$WORK/model.json" >"$WORK/oracle-all.txt"
rc=$?
cat "$WORK/oracle-all.txt" >&2
nw_check "analyzer = independent computation, and intervals cover the truth" 0 "$rc"

from=$(date -u -d "$start +30 days" +%F)
to=$(date -u -d "$start +90 days" +%F)
"$AN" --format json --from "$from" --to "$to" --output "$WORK/window.json"
python3 "$NW_SRC/tests/integration/analyze_oracle.py" "$WORK/dump.jsonl" "$WORK/window.json" "" \
  "$from" "$to" >"$WORK/oracle-window.txt"
rc=$?
cat "$WORK/oracle-window.txt" >&2
nw_check "--from/--to window = independent computation" 0 "$rc"
nw_done

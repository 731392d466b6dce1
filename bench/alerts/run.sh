#!/usr/bin/env bash
# run.sh - the alert benchmark of issue 14 (bench/ALERTS.md): calibration
# under the null and power on planted outbreaks, needlewatch's default
# detection beside R's surveillance package on the same series.
#
#   bash bench/alerts/run.sh            # the recorded run (see bench/ALERTS.md for its time)
#   bash bench/alerts/run.sh --quick    # a smoke run: the pipeline, no numbers
#
# Steps: build nwalerts (bench/alerts/nwalerts.c, linking the analyzer's
# detection code) into build-bench-alerts/ (Release); run needlewatch's
# default on --seeds populations of each null scenario and --power-seeds of
# the power scenario; run the C mirrors of the R peers (each checked against
# R by tests/unit/test_detect.c) on the same populations; write --r-seeds
# populations of each null scenario and --r-power-seeds of the power one as
# CSV and run R's own peers on them (bench/alerts/peers.R, two processes);
# score everything (score.py), which fails when a C mirror and R disagree on
# any series-week they both judged; and, unless --no-results, rewrite the
# generated part of bench/ALERTS.md.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/../.." && pwd)
SEEDS=60
POWER_SEEDS=150
PEER_SEEDS=20
PEER_POWER_SEEDS=40
R_SEEDS=1
R_POWER_SEEDS=1
R_SCENARIOS="mixed"
WORK=""
BIN=""
RESULTS=1
QUICK=0
JOBS=2

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    cat <<'EOF'
Options:
  --seeds N          needlewatch: seeds per null scenario (60)
  --power-seeds N    ... and of the power scenario (150; 6 outbreaks each)
  --peer-seeds N     the C mirrors of the R peers: seeds per null scenario (20)
  --peer-power-seeds N  ... and of the power scenario (40)
  --r-seeds N        R's peers: seeds per null scenario in --r-scenarios (1)
  --r-scenarios "S.."  the null scenarios R runs ("mixed"; R's glm needs ~5 CPU-minutes
                     a population, so R checks the C mirrors and the mirrors give the numbers)
  --r-power-seeds N  R's peers: seeds of the power scenario (1)
  --workdir DIR      where the files go (build-bench-alerts/work)
  --bin DIR          use this nwalerts folder instead of building
  --jobs N           R processes in parallel (2)
  --quick            2 seeds, 2 power seeds, R on 1 const seed and 3 series
  --no-results       do not rewrite bench/ALERTS.md
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
    --seeds) SEEDS=$2; shift 2 ;;
    --power-seeds) POWER_SEEDS=$2; shift 2 ;;
    --peer-seeds) PEER_SEEDS=$2; shift 2 ;;
    --peer-power-seeds) PEER_POWER_SEEDS=$2; shift 2 ;;
    --r-seeds) R_SEEDS=$2; shift 2 ;;
    --r-power-seeds) R_POWER_SEEDS=$2; shift 2 ;;
    --r-scenarios) R_SCENARIOS=$2; shift 2 ;;
    --workdir) WORK=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --no-results) RESULTS=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [ "$QUICK" = 1 ]; then
    SEEDS=2; POWER_SEEDS=2; PEER_SEEDS=1; PEER_POWER_SEEDS=1; R_SEEDS=1; R_POWER_SEEDS=0
    R_SCENARIOS="const mixed"; RESULTS=0
    export NW_PEERS_SERIES=0,1,197
fi

if [ -z "$BIN" ]; then
    cmake -S "$SRC" -B "$SRC/build-bench-alerts" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$SRC/build-bench-alerts" --target nwalerts -j2 >/dev/null
    BIN=$SRC/build-bench-alerts/bin
fi
WORK=${WORK:-$SRC/build-bench-alerts/work}
rm -rf "$WORK"
mkdir -p "$WORK/pop"
NW=$BIN/nwalerts
start=$(date +%s)
log() { echo "[alerts $(($(date +%s) - start))s] $*" >&2; }

# R's peers first, in the background: they take the longest.
for s in $R_SCENARIOS; do
    for ((i = 1; i <= R_SEEDS; i++)); do "$NW" gen "$s" "$i" "$WORK/pop"; done
done
for ((i = 1; i <= R_POWER_SEEDS; i++)); do "$NW" gen power "$i" "$WORK/pop"; done
mapfile -t files < <(ls "$WORK"/pop/*.csv)
pids=()
for ((j = 0; j < JOBS; j++)); do
    shard=()
    for ((i = j; i < ${#files[@]}; i += JOBS)); do shard+=("${files[$i]}"); done
    [ ${#shard[@]} -eq 0 ] && continue
    Rscript "$SRC/bench/alerts/peers.R" "$WORK/peers-r-$j.tsv" "${shard[@]}" \
        2>"$WORK/peers-r-$j.log" &
    pids+=($!)
done
log "R peers started on ${#files[@]} populations (${JOBS} processes)"

for s in const seasonal drift mixed; do
    "$NW" run "$s" 1 "$SEEDS" "$WORK/nw-$s"
    "$NW" peers "$s" 1 "$PEER_SEEDS" "$WORK/peers-c-$s.tsv"
    log "$s: needlewatch on $SEEDS seeds, the C mirrors on $PEER_SEEDS"
done
"$NW" run power 1 "$POWER_SEEDS" "$WORK/nw-power"
"$NW" peers power 1 "$PEER_POWER_SEEDS" "$WORK/peers-c-power.tsv"
log "power: needlewatch on $POWER_SEEDS seeds, the C mirrors on $PEER_POWER_SEEDS"
for p in "${pids[@]}"; do
    wait "$p" || { echo "run.sh: an R peers process failed (see $WORK/peers-r-*.log)" >&2; exit 1; }
done
log "R peers done"

args=("$WORK" --markdown "$WORK/tables.md")
python3 "$SRC/bench/alerts/score.py" "${args[@]}"
log "scored"
if [ "$RESULTS" = 1 ]; then
    python3 - "$SRC/bench/ALERTS.md" "$WORK/tables.md" "$SEEDS" "$POWER_SEEDS" "$PEER_SEEDS" \
        "$PEER_POWER_SEEDS" "$R_SCENARIOS" "$R_SEEDS" \
        "$R_POWER_SEEDS" "$(($(date +%s) - start))" "$(git -C "$SRC" rev-parse --short HEAD)" <<'PY'
import sys
md, tables, seeds, pseeds, pseeds2, ppseeds2, rscen, rseeds, rpseeds, secs, commit = sys.argv[1:]
text = open(md, encoding="utf-8").read()
a, b = "<!-- GENERATED BEGIN -->", "<!-- GENERATED END -->"
head, rest = text.split(a, 1)
_, tail = rest.split(b, 1)
gen = ("Run of commit %s: `bash bench/alerts/run.sh --seeds %s --power-seeds %s --peer-seeds %s "
       "--peer-power-seeds %s --r-scenarios \"%s\" --r-seeds %s --r-power-seeds %s`, %s s on 2 "
       "cores shared with other work.\n\n" % (commit, seeds, pseeds, pseeds2, ppseeds2, rscen,
                                               rseeds, rpseeds, secs)) + open(tables, encoding="utf-8").read()
open(md, "w", encoding="utf-8").write(head + a + "\n" + gen + b + tail)
PY
    log "bench/ALERTS.md updated"
fi

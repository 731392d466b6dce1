#!/usr/bin/env bash
# run.sh - builds the libFuzzer target for the report decoder with clang
# (ASan + UBSan + libFuzzer) and fuzzes it for a bounded time. Any crash,
# leak, sanitizer report or broken decoder promise fails the run; the crashing
# input is left in the work folder and printed as hex.
#
#   tests/fuzz/run.sh [WORKDIR] [SECONDS]     (defaults: build-fuzz, 60)
set -euo pipefail
src=$(cd "$(dirname "$0")" && pwd)
work=${1:-build-fuzz}
secs=${2:-${NW_FUZZ_SECONDS:-60}}
command -v clang >/dev/null || { echo "run.sh: clang is needed (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
cmake -S "$src" -B "$work" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$work" >/dev/null
mkdir -p "$work/corpus" "$work/artifacts"
echo "fuzzing the report decoder for ${secs}s"
"$work/fuzz_report" -max_total_time="$secs" -dict="$src/report.dict" -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/" -max_len=65536 "$work/corpus" "$src/corpus" 2>"$work/fuzz.log" || {
  tail -n 60 "$work/fuzz.log" >&2
  for f in "$work"/artifacts/*; do [ -f "$f" ] && { echo "crashing input $f:" >&2; od -A d -t x1 "$f" | head -20 >&2; }; done
  exit 1
}
grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/fuzz.log" || true
echo "no crash in ${secs}s"

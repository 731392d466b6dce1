#!/usr/bin/env bash
# test.sh - runs every test of needlewatch: installs the packages, builds
# twice (a normal build, and one with AddressSanitizer + UndefinedBehavior-
# Sanitizer), and runs the whole ctest suite (cmocka unit tests and the
# integration tests against a private PostgreSQL and the development Kafka
# broker, it.*, and against Apache Kafka, kafka.*: docs/kafka.md) on both;
# the ASan build runs only part of the Apache Kafka tier. Its output ends
# with ctest's summary of the normal build.
#
#   bash scripts/test.sh            everything
#   NW_SKIP_ASAN=1 bash scripts/test.sh    only the normal build (quicker)
#   NW_TEST_ARGS="-R it.ingest" ...  extra ctest arguments (e.g. a filter)
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
read -r -a EXTRA <<<"${NW_TEST_ARGS:-}" # extra ctest arguments, split on blanks

bash scripts/deps.sh

build() { # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$JOBS" >"$dir/build.log" 2>&1 || { tail -n 50 "$dir/build.log" >&2; exit 1; }
}

rc=0
if [ -z "${NW_SKIP_ASAN:-}" ]; then
  echo "== ASan + UBSan build"
  build build-asan -DNEEDLEWATCH_SANITIZE=ON
  # Leaks are errors; librdkafka's and libpq's own allocations are not ours.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0"
  (cd build-asan && ctest --output-on-failure -j "$JOBS" "${EXTRA[@]}") || rc=1
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi

echo "== normal build"
build build
(cd build && ctest --output-on-failure -j "$JOBS" "${EXTRA[@]}") || rc=1
exit $rc

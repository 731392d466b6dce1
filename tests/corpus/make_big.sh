#!/bin/sh
# make_big.sh - writes the two megabyte-sized corpus messages, which are not
# committed: a valid treatment of exactly 1048576 bytes (the default
# max_bytes, so it is stored) and one of 1048577 bytes (quarantined as too
# large). expected.tsv already lists both as treatments/9NN-gen-*.json.
#
# Usage: make_big.sh [CORPUS_DIR]   (default: the folder this script is in)
# Run it before feeding the corpus to the worker; test_report skips the two
# files when they are absent (its own limits test builds the same sizes).
set -eu

dir=${1:-$(cd "$(dirname "$0")" && pwd)}
mkdir -p "$dir/treatments"

# make_one FILE SIZE REPORT_ID: a minimal valid treatment padded to SIZE bytes
# with 'p' characters in an unknown "pad" field.
make_one() {
    file=$1 size=$2 id=$3
    head='{"schema_version":1,"report_id":"'$id'","treated_on":"2025-06-01","setting":"home","device":{"type":"derma_roller"},"pad":"'
    tail='"}'
    pad=$((size - ${#head} - ${#tail}))
    {
        printf '%s' "$head"
        head -c "$pad" /dev/zero | tr '\0' 'p'
        printf '%s' "$tail"
    } >"$file.tmp"
    got=$(wc -c <"$file.tmp")
    if [ "$got" -ne "$size" ]; then
        echo "make_big.sh: $file is $got bytes, wanted $size" >&2
        rm -f "$file.tmp"
        exit 1
    fi
    mv "$file.tmp" "$file"
}

make_one "$dir/treatments/900-gen-big-max.json" 1048576 corp-900-big-max
make_one "$dir/treatments/901-gen-big-over.json" 1048577 corp-901-big-over

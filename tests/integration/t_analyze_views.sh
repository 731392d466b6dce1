#!/usr/bin/env bash
# t_analyze_views.sh - on a larger pseudo-random dataset (fixed seed) with
# follow-up versions, withdrawals, duplicates and orphans, the analyzer and
# the SQL views agree on every row, for several windows, and the intervals
# and adjusted ratios match an independent computation (analyze_check.py).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
an_schema
J=$WORK/out.json

python3 - >"$WORK/data.sql" <<'PY'
import random
rng = random.Random(20240601)
devices = ["derma_roller", "derma_stamp", "microneedling_pen", "rf_microneedling", "other"]
types = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage", "fat_loss",
         "granuloma", "dryness_peeling", "acne_flare", "other"]
off = 0
print("BEGIN;")
print("COPY needlewatch.treatment_versions (report_id, version, nullified, treated_on, setting, "
      "device_type, fitzpatrick, source_topic, source_partition, source_offset, message) FROM STDIN;")
ids = []
for i in range(3000):
    rid = "T%05d" % i
    ids.append(rid)
    versions = rng.choice([1, 1, 1, 1, 2, 2, 3])
    for v in range(1, versions + 1):
        setting = "home" if rng.random() < 0.45 else "clinic"
        device = rng.choice(devices)
        fitz = rng.choice(["1", "2", "3", "3", "4", "5", "6", "\\N"])
        day = "2024-%02d-%02d" % (rng.randint(1, 12), rng.randint(1, 28))
        nullified = "t" if v == versions and v > 1 and rng.random() < 0.15 else "f"
        off += 1
        print("\t".join([rid, str(v), nullified, day, setting, device, fitz, "treatments", "0", str(off), "{}"]))
print("\\.")
print("COPY needlewatch.complication_versions (report_id, version, nullified, treatment_id, type, "
      "source_topic, source_partition, source_offset, message) FROM STDIN;")
for i in range(1800):
    rid = "C%05d" % i
    versions = rng.choice([1, 1, 1, 2])
    tid = rng.choice(ids[:600]) if rng.random() < 0.5 else rng.choice(ids)
    if rng.random() < 0.04:
        tid = "MISSING%03d" % rng.randint(0, 50)
    for v in range(1, versions + 1):
        typ = rng.choice(types[:4] * 3 + types)
        nullified = "t" if v == versions and v > 1 and rng.random() < 0.2 else "f"
        off += 1
        print("\t".join([rid, str(v), nullified, tid, typ, "complications", "0", str(off), "{}"]))
print("\\.")
print("INSERT INTO needlewatch.quarantine (topic, partition, kafka_offset, error) "
      "SELECT 'treatments', 0, g, 'bad' FROM generate_series(1, 7) g;")
print("COMMIT;")
PY
psql -X -q -v ON_ERROR_STOP=1 -f "$WORK/data.sql" >/dev/null
nw_check "data: orphans exist" 1 "$(nw_sql "SELECT (count(*) > 10)::int FROM needlewatch.orphan_complications")"
nw_check "data: duplicates exist" 1 "$(nw_sql "SELECT (count(*) > 10)::int FROM needlewatch.treatment_cases WHERE complication <> 'any' AND reports > 1")"

for window in ":" "2024-03-01:2024-08-31" "2024-06-15:" ":2024-02-29" "2024-12-28:2024-12-28"; do
    from=${window%%:*}
    to=${window##*:}
    args=()
    [ -n "$from" ] && args+=(--from "$from")
    [ -n "$to" ] && args+=(--to "$to")
    nw_check "window [$window]: exit 0" 0 "$(an_run "$J" "${args[@]}")"
    nw_check "window [$window]: views agree" ok "$(an_check_views "$J" "$from" "$to")"
done

# The whole-period numbers are not degenerate: comparisons defined, strata used.
nw_check "no window: exit 0" 0 "$(an_run "$J")"
nw_check "adjusted any defined" 1 "$(an_py "$J" 'int(adj("any")["mh_rate_ratio"] is not None and adj("any")["strata_used"] == 35)')"
nw_check "every double in its shortest exact form" ok "$(python3 - "$J" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
floats = [t for t in re.findall(r'"\w+":\s*(-?[0-9][0-9.eE+-]*)', text) if not re.fullmatch(r'-?[0-9]+', t)]
bad = [t for t in floats if repr(float(t)) != t]
print("ok" if len(floats) > 1000 and not bad else "%d floats, not shortest: %r" % (len(floats), bad[:5]))
PY
)"
nw_check "text renders" 0 "$(an_run "$WORK/report.txt" --format text)"
nw_check "csv renders" 0 "$(an_run "$WORK/rates.csv" --format csv)"
nw_check "csv rows" "$(an_py "$J" 'len(d["rates"]) + 1')" "$(wc -l <"$WORK/rates.csv")"

nw_done

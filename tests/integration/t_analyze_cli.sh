#!/usr/bin/env bash
# t_analyze_cli.sh - needlewatch-analyze's command line: usage errors exit 2
# with a clear message, runtime errors exit 1, --help/--version, --output,
# the default format, and smoke checks of the csv and text formats.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/analyze_lib.sh"
nw_setup
O=$WORK/out

# --- Usage errors: exit 2, a message naming the problem, nothing on stdout.
usage() { # NAME EXPECTED-MESSAGE-PART ARGS...
    local name=$1 msg=$2; shift 2
    nw_check "usage $name: exit 2" 2 "$(an_run "$O" "$@")"
    nw_check "usage $name: message" 1 "$(grep -c -F -- "$msg" "$WORK/stderr" || true)"
    nw_check "usage $name: no output" 0 "$(wc -c <"$O")"
}
usage format "--format: \"xml\" is not one of text, json, csv, html" --format xml
usage month "--from: \"2024-13-01\" is not a real calendar date" --from 2024-13-01
usage day "--to: \"2023-02-29\" is not a real calendar date" --to 2023-02-29
usage feb30 "--from: \"2026-02-30\" is not a real calendar date" --from 2026-02-30
usage text "--to: \"yesterday\" is not a date written YYYY-MM-DD" --to yesterday
usage short "--from: \"2024-1-01\" is not a date" --from 2024-1-01
usage order "--from 2024-05-01 is after --to 2024-04-30" --from 2024-05-01 --to 2024-04-30
usage unknown "unknown option --bogus" --bogus
usage missing "--from needs a value" --from
usage stray "unexpected argument \"extra\"" extra
usage output "--output: empty file name" --output ""
# A leap day is a date: the run gets past the options and fails on the database (1, not 2).
nw_check "leap day is a date" 1 "$(an_run "$O" --pg "host=$PGHOST dbname=nonexistent_db_xyz" --from 2024-02-29)"

# --- Help and version: exit 0 on stdout, no database needed.
nw_check "help: exit 0" 0 "$(an_run "$O" --help)"
nw_check "help: usage line" 1 "$(grep -c '^Usage: needlewatch-analyze' "$O" || true)"
nw_check "help: documents the default format" 1 "$(grep -c 'Default: text when writing to a terminal, json otherwise' "$O" || true)"
nw_check "help: --verify's sentence reads on" 1 "$(grep -c 'report reads) from the stored reports; print each' "$O" || true)"
nw_check "help: documents --as-of and --horizons" 2 "$(grep -c -e '^  --as-of YYYY-MM-DD the day the report is made as of' -e '^  --horizons LIST    follow-up horizons' "$O" || true)"
nw_check "help: lists the configuration keys" 2 "$(grep -c -e '^  analyze.ears.baseline ' -e '^  topic.signals ' "$O" || true)"
nw_check "version: exit 0" 0 "$(an_run "$O" --version)"
nw_check "version: text" 1 "$(grep -c '^needlewatch-analyze [0-9]' "$O" || true)"

# --- Runtime errors: exit 1 and a clear message.
nw_check "unreachable: exit 1" 1 "$(an_run "$O" --pg "host=$WORK/nowhere connect_timeout=2")"
nw_check "unreachable: message" 1 "$(grep -c 'cannot connect to PostgreSQL' "$WORK/stderr" || true)"
nw_check "no schema: exit 1" 1 "$(an_run "$O")"
nw_check "no schema: hint" 1 "$(grep -c 'is the needlewatch schema installed' "$WORK/stderr" || true)"

an_schema
an_treat H1 1 home derma_roller 2 2024-01-10
an_treat H2 1 home derma_roller 4 2024-01-11
an_treat C1 1 clinic derma_roller 2 2024-01-12
an_treat C2 1 clinic microneedling_pen null 2024-01-13
an_comp X1 1 H1 infection
an_comp X2 1 C1 infection
an_comp X3 1 H2 hyperpigmentation

# --- Conninfo: empty --pg means the PG* variables, like no --pg at all.
nw_check "empty --pg: exit 0" 0 "$(an_run "$O" --pg "")"
nw_check "explicit --pg: exit 0" 0 "$(an_run "$O" --pg "host=$PGHOST dbname=${PGDATABASE:-postgres}")"

# --- Default format: JSON when stdout is not a terminal, or with --output.
nw_check "pipe: json by default" 0 "$(an_run "$O" >/dev/null; python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$O" && echo 0)"
if command -v script >/dev/null; then
    script -qec "$NW_BIN/needlewatch-analyze" /dev/null >"$WORK/tty.txt" 2>&1 </dev/null || true
    nw_check "tty: text by default" 1 "$(grep -c 'How to read this report' "$WORK/tty.txt" || true)"
fi
nw_check "output: exit 0" 0 "$(an_run "$O" --output "$WORK/report.json")"
nw_check "output: nothing on stdout" 0 "$(wc -c <"$O")"
nw_check "output: json file" 7 "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["complication_reports"] + 4)' "$WORK/report.json")"
nw_check "output: no temporary file left" 1 "$(find "$WORK" -maxdepth 1 -name 'report.json*' | wc -l)"
nw_check "output: csv to file" 0 "$(an_run "$O" --format csv --output "$WORK/rates.csv")"
nw_check "output: bad directory exit 1" 1 "$(an_run "$O" --output "$WORK/no/such/dir/x.json")"
nw_check "output: bad directory message" 1 "$(grep -c 'cannot create' "$WORK/stderr" || true)"

# --- CSV: the header and one line per JSON rates row, same numbers.
an_run "$WORK/all.json" >/dev/null
nw_check "csv: header" "device_type,setting,skin_type,complication,treatments,cases,rate,ci_low,ci_high" \
    "$(head -n 1 "$WORK/rates.csv")"
nw_check "csv: same rows as json" ok "$(python3 - "$WORK/rates.csv" "$WORK/all.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1])))
d = json.load(open(sys.argv[2]))
keys = ["device_type", "setting", "skin_type", "complication", "treatments", "cases", "rate", "ci_low", "ci_high"]
same = len(rows) == len(d["rates"]) and all(
    [str(r[k]) for k in keys[:4]] + [int(r["treatments"]), int(r["cases"])] + [float(r[k]) for k in keys[6:]]
    == [j[k] for k in keys] for r, j in zip(rows, d["rates"]))
print("ok" if same and len(rows) > 0 else "differ")
PY
)"

# --- Text: the parts a reader needs, and aligned columns.
nw_check "text: exit 0" 0 "$(an_run "$WORK/report.txt" --format text --from 2024-01-01)"
T=$WORK/report.txt
for part in "needlewatch: complications after microneedling" "Treatments dated 2024-01-01 or later" \
    "How to read this report" "Totals" "1. Home versus clinic, by device type" \
    "2. Complication rates by skin type" "3. Home versus clinic, adjusted" "Methods" \
    "Derma roller: 2 home treatments, 1 clinic treatment" "No home treatments: no comparison"; do
    nw_check "text: has '$part'" 1 "$(grep -c -F "$part" "$T" | sed 's/^[1-9][0-9]*$/1/' || true)"
done
# Any complication, derma roller: home 2/2 = 100% (34.24-100), clinic 1/1,
# ratio 1 with se 0: interval 1.00-1.00.
# (The table is wider than 100 columns: it comes in two parts, each with the
# complication.)
nw_check "text: roller any row" "1 1" "$(grep -c -E '^  Any complication +2 +100\.00% \(34\.24–100\.00\) +1 +100\.00% \(20\.65–100\.00\)$' "$T" || true) $(grep -c -E '^  Any complication +1\.00 \(1\.00–1\.00\) +no clear difference$' "$T" || true)"
nw_check "text: columns aligned" ok "$(python3 - "$T" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
# Under each dashed rule, every row of the table right-aligns its counts:
# check that all rows of each table block have the same width up to the last
# column start, using the header's column starts.
bad = 0
for i, line in enumerate(lines):
    if line.startswith("  ---") and i > 0:
        header = lines[i - 1]
        width = len(line)
        j = i + 1
        while j < len(lines) and lines[j].startswith("  ") and lines[j].strip():
            if len(lines[j]) > width + 2 or lines[j].rstrip() != lines[j]:
                bad += 1
            j += 1
print("ok" if bad == 0 else "%d bad lines" % bad)
PY
)"

# --- A newer schema: a device type this analyzer has never heard of is
# reported under its own name, and the views agree; a complication type it
# does not know is a runtime error rather than a silently wrong count.
nw_sql "ALTER TABLE needlewatch.treatment_versions DROP CONSTRAINT treatment_versions_device_type_check" >/dev/null
an_treat N1 1 home laser_pen 1 2024-01-14
an_treat N2 1 clinic laser_pen 1 2024-01-15
an_comp X4 1 N2 burn
nw_check "new device: exit 0" 0 "$(an_run "$WORK/new.json")"
nw_check "new device: its cell" "1 1" "$(an_py "$WORK/new.json" 'rate("laser_pen","clinic","I","burn")')"
nw_check "new device: views agree" ok "$(an_check_views "$WORK/new.json")"
nw_sql "ALTER TABLE needlewatch.complication_versions DROP CONSTRAINT complication_versions_type_check" >/dev/null
an_comp X5 1 N1 rash
nw_check "unknown type: exit 1" 1 "$(an_run "$O")"
nw_check "unknown type: message" 1 "$(grep -c 'complication has a type this analyzer does not know' "$WORK/stderr" || true)"

nw_done

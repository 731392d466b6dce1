"""burst_oracle.py - the alerts of a population, from needlewatch-loadgen's
--dump alone (what was produced), independently of the ingest, PostgreSQL
and the analyzer: ratescan.py's recomputation of the rate scan.

Usage: burst_oracle.py DUMP.jsonl --as-of YYYY-MM-DD [--treatments-topic T]
                       [--complications-topic C] [--weeks FIRST:LAST]
Reads the dump ({"topic", "key", "value"} per message; a malformed message's
value is a string and is skipped), keeps each report's highest version
unless it is withdrawn (nullified), drops complications whose treatment is
not current. A complication report is known on the UTC day of its
reported_at; a report without one is known when the ingest stored it
(ingested_at): today, the day the test runs. Then ratescan.build() and ratescan.alerts() (every judged
week, or weeks FIRST..LAST, indexes). Prints one JSON object: report_days,
first_monday, series_weeks, and alerts: [{device_type, setting,
complication, week_start, last_week_start, alarm_weeks, observed,
treatments, expected, p_value, q_value, window_weeks, baseline_start,
baseline_end, baseline_cases, baseline_treatments, also_in: [{device_type,
setting, complication, week_start, last_week_start, observed, ...}]}].
"""
import json
import sys
from datetime import date, datetime, timedelta, timezone

import ratescan

args = sys.argv[1:]
opts = {"--as-of": None, "--treatments-topic": "treatments", "--complications-topic": "complications",
        "--weeks": None}
pos = []
while args:
    a = args.pop(0)
    if a in opts:
        opts[a] = args.pop(0)
    else:
        pos.append(a)
dump, = pos
as_of = date.fromisoformat(opts["--as-of"])

latest = {opts["--treatments-topic"]: {}, opts["--complications-topic"]: {}}
with open(dump, encoding="utf-8") as f:
    for line in f:
        if not line.strip():
            continue
        rec = json.loads(line)
        v = rec["value"]
        if rec["topic"] not in latest or not isinstance(v, dict) or "report_id" not in v:
            continue
        ver = v.get("version", 1)
        if not isinstance(ver, int) or isinstance(ver, bool) or ver < 1:
            continue
        cur = latest[rec["topic"]].get(v["report_id"])
        if cur is None or ver > cur.get("version", 1):
            latest[rec["topic"]][v["report_id"]] = v

treatments = {}
for rid, t in latest[opts["--treatments-topic"]].items():
    if not t.get("nullified", False):
        treatments[rid] = (date.fromisoformat(t["treated_on"]), t["device"]["type"], t["setting"])


def utc_day(stamp):
    s = stamp.replace("Z", "+00:00")
    return datetime.fromisoformat(s).astimezone(timezone.utc).date()


# A report without reported_at is known when the ingest stored it: today.
stored = datetime.now(timezone.utc).date()
complications = []
for c in latest[opts["--complications-topic"]].values():
    if c.get("nullified", False) or c.get("treatment_id") not in treatments:
        continue
    known = utc_day(c["reported_at"]) if c.get("reported_at") else stored
    complications.append((c["treatment_id"], c["type"], known))

panel, days, first = ratescan.build(treatments, complications, as_of)
weeks = None
if opts["--weeks"]:
    lo, hi = (int(x) for x in opts["--weeks"].split(":"))
    weeks = range(lo, hi + 1)
found, judged = ratescan.alerts(panel, weeks)


def block(series, lo, hi, ev):
    b0, b1, bc, bt = ratescan.baseline_counts(panel, series, ev)
    return {"device_type": series[0], "setting": series[1], "complication": series[2],
            "week_start": (first + timedelta(weeks=lo)).isoformat(),
            "last_week_start": (first + timedelta(weeks=hi)).isoformat(),
            "evidence_week_start": (first + timedelta(weeks=ev["week"])).isoformat(),
            "observed": ev["observed"], "treatments": ev["treatments"], "expected": ev["expected"],
            "p_value": ev["p"], "q_value": ev["q"], "window_weeks": ev["window"],
            "baseline_start": (first + timedelta(weeks=b0)).isoformat(),
            "baseline_end": (first + timedelta(weeks=b1, days=6)).isoformat(),
            "baseline_cases": bc, "baseline_treatments": bt}


out = []
for a in found:
    row = block(a["series"], a["first"], a["last"], a["evidence"])
    row["alarm_weeks"] = a["alarm_weeks"]
    row["also_in"] = [block(s, lo, hi, ev) for s, lo, hi, ev in a["also_in"]]
    out.append(row)
print(json.dumps({"report_days": days, "first_monday": first.isoformat(), "series_weeks": judged,
                  "alerts": out}))

"""burst_oracle.py - EARS C2 for one weekly series, from needlewatch-loadgen's
--dump alone (what was produced), independently of the ingest, PostgreSQL
and the analyzer.

Usage: burst_oracle.py DUMP.jsonl DEVICE SETTING COMPLICATION WEEK_START
         [--baseline 7] [--alpha 0.001] [--treatments-topic T] [--complications-topic C]
Reads the dump ({"topic", "key", "value"} per message; a malformed message's
value is a string and is skipped), keeps each report's highest version
unless it is withdrawn (nullified), drops complications whose treatment is
not current, and counts the cases of the series: treatments of DEVICE in
SETTING ("home", "clinic" or "all") with at least one current report of
COMPLICATION ("any": of any type), by the Monday of treated_on. Then EARS
C2 as R surveillance::earsC(method = "C2"): week t against the mean and sd
(n - 1) of weeks t-2-baseline .. t-3; alarm when observed > mean +
qnorm(1 - alpha) * sd. Prints one JSON object: week_start, series (the
reference weeks then week t), observed, expected, sd, upperbound, alarm.
"""
import json
import math
import sys
from datetime import date, timedelta
from statistics import NormalDist

args = sys.argv[1:]
opts = {"--baseline": "7", "--alpha": "0.001", "--treatments-topic": "treatments",
        "--complications-topic": "complications"}
pos = []
while args:
    a = args.pop(0)
    if a in opts:
        opts[a] = args.pop(0)
    else:
        pos.append(a)
dump, device, setting, comp, week = pos
week = date.fromisoformat(week)
base, alpha = int(opts["--baseline"]), float(opts["--alpha"])

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

treatments = {rid: t for rid, t in latest[opts["--treatments-topic"]].items()
              if not t.get("nullified", False)}
cases = set()  # treatment ids with a current report of the complication
for c in latest[opts["--complications-topic"]].values():
    if c.get("nullified", False) or c.get("treatment_id") not in treatments:
        continue
    if comp in ("any", c.get("type")):
        cases.add(c["treatment_id"])

per_week = {}
for rid, t in treatments.items():
    if t.get("device", {}).get("type") != device or setting not in ("all", t.get("setting")):
        continue
    d = date.fromisoformat(t["treated_on"])
    monday = d - timedelta(days=d.weekday())
    per_week[monday] = per_week.get(monday, 0) + (rid in cases)

ref = [per_week.get(week - timedelta(weeks=k), 0) for k in range(base + 2, 2, -1)]
observed = per_week.get(week, 0)
mean = sum(ref) / base
sd = math.sqrt(sum((x - mean) ** 2 for x in ref) / (base - 1))
ub = mean + NormalDist().inv_cdf(1 - alpha) * sd
print(json.dumps({"week_start": week.isoformat(), "series": ref + [observed], "observed": observed,
                  "expected": mean, "sd": sd, "upperbound": ub, "alarm": observed > ub}))

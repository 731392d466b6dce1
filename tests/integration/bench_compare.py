"""bench_compare.py - the analyzer's alerts against `nwalerts alerts` on
the same population: the same code (analyze/model/alerts.c) on the counts
the benchmark made and on those the analyzer read back from PostgreSQL,
so every number must be the same double.

Usage: bench_compare.py ANALYZER.json NWALERTS.tsv
Prints "ok N" (N alerts) or the differences.
"""
import json
import sys

d = json.load(open(sys.argv[1]))
FIELDS = ("device_type", "setting", "complication", "week_start", "last_week_start", "observed",
          "treatments", "expected", "p_value", "q_value", "window_weeks", "baseline_start",
          "baseline_end", "baseline_cases", "baseline_treatments")
KINDS = (str, str, str, str, str, int, int, float, float, float, int, str, str, int, int)


def block(text):
    return tuple(k(v) for k, v in zip(KINDS, text.split("/")))


def of_json(b):
    return tuple(b[f] for f in FIELDS)


want, series_weeks = [], None
for line in open(sys.argv[2]):
    parts = line.rstrip("\n").split("\t")
    if parts[0] == "series_weeks":
        series_weeks = int(parts[1])
    else:
        want.append((int(parts[1]), block(parts[2]), [block(p) for p in parts[3:]]))
got = [(a["alarm_weeks"], of_json(a), [of_json(m) for m in a["also_in"]]) for a in d["alerts"]]
problems = []
if d["alert_method"]["counting"]["series_weeks_judged"] != series_weeks:
    problems.append("series-weeks %s, nwalerts %s" % (d["alert_method"]["counting"]["series_weeks_judged"],
                                                      series_weeks))
if got != want:
    for g, w in zip(got, want):
        if g != w:
            problems.append("analyzer %s\nnwalerts %s" % (g, w))
    if len(got) != len(want):
        problems.append("%d alerts, nwalerts %d" % (len(got), len(want)))
print("ok %d" % len(got) if not problems else "\n".join(problems[:10]))

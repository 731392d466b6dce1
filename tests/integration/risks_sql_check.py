#!/usr/bin/env python3
"""risks_sql_check.py - the analyst's SQL (sql/repeatable/45_risks.sql) gives
the numbers of needlewatch-analyze's JSON report.

Usage: risks_sql_check.py REPORT.json RISKS.csv WEEKLY.csv
  RISKS.csv   COPY of needlewatch.risks_between(from, to, as_of, H) for every
              horizon H of the report (its window and as_of), with a header
  WEEKLY.csv  COPY of needlewatch.weekly_series_between(from, to), with a
              header
Every "risks" row of the JSON must be a row of RISKS.csv and the other way
round, counts equal and rates and intervals within 1e-12 (relative); every
week of every series of the JSON's "weekly" with a treatment must be a row of
WEEKLY.csv with the same treatments and cases of each complication, and a
rate and Wilson interval equal to the analyzer's arithmetic (the JSON's
weekly member carries counts only; the interval is checked against the
formula of analyze/model/stats.c). Prints "ok" or the differences.
"""
import csv
import json
import math
import sys

Z = 1.959963984540054
problems = []


def wilson(x, n):
    p = x / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z / d * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return p, (0.0 if x == 0 else max(0.0, c - h)), (1.0 if x == n else min(1.0, c + h))


def close(a, b):
    if a is None or b is None or a == "":
        return (a in (None, "")) and b is None
    return abs(float(a) - b) <= 1e-12 * max(1e-300, abs(b)) or float(a) == b


def main(report, risks_csv, weekly_csv):
    d = json.load(open(report, encoding="utf-8"))
    sql = {}
    for r in csv.DictReader(open(risks_csv, encoding="utf-8")):
        key = (r["device_type"], r["setting"], r["skin_type"], r["complication"],
               int(r["horizon_days"]))
        if key in sql:
            problems.append("risks: %s twice in the SQL" % (key,))
        sql[key] = r
    for r in d["risks"]:
        key = (r["device_type"], r["setting"], r["skin_type"], r["complication"], r["horizon_days"])
        s = sql.pop(key, None)
        if s is None:
            problems.append("risks %s: not in the SQL" % (key,))
            continue
        if s["as_of"] != r["as_of"]:
            problems.append("risks %s: as_of %s, JSON %s" % (key, s["as_of"], r["as_of"]))
        for f in ("treatments", "cases", "serious_cases", "missing_onset_cases"):
            if int(s[f]) != r[f]:
                problems.append("risks %s: %s %s, JSON %s" % (key, f, s[f], r[f]))
        for f in ("rate", "ci_low", "ci_high", "serious_rate", "serious_ci_low",
                  "serious_ci_high"):
            if not close(s[f], r[f]):
                problems.append("risks %s: %s %s, JSON %r" % (key, f, s[f], r[f]))
    if sql:
        problems.append("risks: %d SQL rows not in the JSON, e.g. %s" % (len(sql), next(iter(sql))))

    weekly = {}
    for r in csv.DictReader(open(weekly_csv, encoding="utf-8")):
        weekly[(r["week_start"], r["device_type"], r["setting"], r["complication"])] = r
    compared = 0
    for s in d["weekly"]["series"]:
        for i, week in enumerate(d["weekly"]["weeks"]):
            n = s["treatments"][i]
            for comp, values in s["cases"].items():
                key = (week, s["device_type"], s["setting"], comp)
                r = weekly.pop(key, None)
                if n == 0:
                    if r is not None:
                        problems.append("weekly %s: a row without treatments" % (key,))
                    continue
                if r is None:
                    problems.append("weekly %s: not in the SQL" % (key,))
                    continue
                compared += 1
                if (int(r["treatments"]), int(r["cases"])) != (n, values[i]):
                    problems.append("weekly %s: %s/%s, JSON %s/%s" % (key, r["cases"],
                                                                      r["treatments"], values[i], n))
                    continue
                for f, v in zip(("rate", "ci_low", "ci_high"), wilson(values[i], n)):
                    if not close(r[f], v):
                        problems.append("weekly %s: %s %s, want %r" % (key, f, r[f], v))
    if weekly:
        problems.append("weekly: %d SQL rows not in the JSON, e.g. %s" % (len(weekly),
                                                                        next(iter(weekly))))
    if not d["risks"] or compared == 0:
        problems.append("nothing to compare")
    print("ok (%d risks rows, %d weekly values)" % (len(d["risks"]), compared) if not problems
          else "; ".join(problems[:20]))


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""burst_compare.py - the analyzer's alerts against burst_oracle.py's.

Usage: burst_compare.py ANALYZER.json ORACLE.json
The same alerts (series and first week), in any order, and for each the
same last week, alarm weeks, counts (observed, treatments, the baseline's),
window, baseline and also_in (series and first and last weeks), with
expected, p and q within 1e-6 (an independent GLM fit); D and the
series-weeks judged equal. Prints "ok" or the differences.
"""
import json
import sys

d, o = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
problems = []
m = d["alert_method"]["counting"]
if m["report_days"] != o["report_days"] or m["series_weeks_judged"] != o["series_weeks"]:
    problems.append("D %s / %s, series-weeks %s / %s" % (m["report_days"], o["report_days"],
                                                         m["series_weeks_judged"], o["series_weeks"]))
key = lambda a: (a["device_type"], a["setting"], a["complication"], a["week_start"])
got, want = {key(a): a for a in d["alerts"]}, {key(a): a for a in o["alerts"]}
if set(got) != set(want):
    problems.append("alerts: analyzer only %s, oracle only %s" % (sorted(set(got) - set(want)),
                                                                  sorted(set(want) - set(got))))
EXACT = ("last_week_start", "observed", "treatments", "window_weeks", "baseline_start", "baseline_end",
         "baseline_cases", "baseline_treatments")


def close(a, b):
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b), 1e-300)


def same_block(label, g, w):
    for k in EXACT:
        if g[k] != w[k]:
            problems.append("%s %s: %s, oracle %s" % (label, k, g[k], w[k]))
    for k in ("expected", "p_value", "q_value"):
        if not close(g[k], w[k]):
            problems.append("%s %s: %r, oracle %r" % (label, k, g[k], w[k]))


for k in set(got) & set(want):
    g, w = got[k], want[k]
    same_block(str(k), g, w)
    if g["alarm_weeks"] != w["alarm_weeks"]:
        problems.append("%s alarm_weeks %s, oracle %s" % (k, g["alarm_weeks"], w["alarm_weeks"]))
    ga = [key(x) + (x["last_week_start"],) for x in g["also_in"]]
    wa = [key(x) + (x["last_week_start"],) for x in w["also_in"]]
    if ga != wa:
        problems.append("%s also_in %s, oracle %s" % (k, ga, wa))
        continue
    for gx, wx in zip(g["also_in"], w["also_in"]):
        same_block("%s also_in %s" % (k, key(gx)), gx, wx)
print("ok" if not problems else "\n".join(problems[:20]))

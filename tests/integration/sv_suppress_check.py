"""sv_suppress_check.py - attacks a --suppress-below report.

Usage: sv_suppress_check.py K SUPPRESSED.json FULL.json
FULL.json is the same report without suppression (the truth). Checks:
  1. no published count is in 1..K-1;
  2. every published number equals the truth;
  3. no hidden count can be worked out: for the cube (treatments, and cases
     of each complication) and the weekly series (device x setting x week), the linear system "each
     margin = sum of its cells" over the hidden cells (Gaussian elimination
     in exact fractions, written here independently of analyze/suppress.c)
     determines none of them;
  4. complementary suppression happened (some hidden counts are 0 or >= K),
     i.e. the population did tempt recovery.
Prints "ok" or the problems, then a summary line "hidden=N complementary=M".
"""
import json
import sys
from fractions import Fraction

K = int(sys.argv[1])
S = json.load(open(sys.argv[2]))
F = json.load(open(sys.argv[3]))
problems = []
SKINS = ["I", "II", "III", "IV", "V", "VI", "unknown"]
TYPES = ["any", "infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
         "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other"]


def small(v):
    return v is not None and 0 < v < K


def walk(obj, path):
    if isinstance(obj, dict):
        for k, v in obj.items():
            walk(v, path + "." + k)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            walk(v, "%s[%d]" % (path, i))
    elif isinstance(obj, int) and not isinstance(obj, bool):
        leaf = path.rsplit(".", 1)[-1]
        if any(w in path for w in ("treatments", "cases", ".a", ".b", ".c", ".d", "observed")) \
                and "strata_used" not in path and not path.startswith(".totals") \
                and not path.startswith(".alert_method") and not path.startswith(".suppression") \
                and small(obj):
            problems.append("published small count %s = %d" % (path, obj))


walk({k: v for k, v in S.items() if k not in ("totals",)}, "")


# The truth and the published view of the cube.
def cube(d):
    t = {}
    for r in d["rates"]:
        key = (r["device_type"], r["setting"], r["skin_type"])
        t[(key, "treatments")] = r["treatments"]
        t[(key, r["complication"])] = r["cases"]
    return t


truth, pub = cube(F), cube(S)
for k, v in pub.items():
    if v is not None and v != truth[k]:
        problems.append("published %s = %s, truth %s" % (k, v, truth[k]))
devices = sorted({k[0][0] for k in truth if k[0][0] != "all"})


def determined(unknown_lines):
    """unknown_lines: list of (dict var->coef). Returns the determined vars."""
    vars_ = sorted({v for row in unknown_lines for v in row}, key=repr)
    idx = {v: i for i, v in enumerate(vars_)}
    m = []
    for row in unknown_lines:
        r = [Fraction(0)] * len(vars_)
        for v, c in row.items():
            r[idx[v]] += c
        m.append(r)
    piv_row = 0
    pivots = []
    for c in range(len(vars_)):
        p = next((i for i in range(piv_row, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[piv_row], m[p] = m[p], m[piv_row]
        pv = m[piv_row][c]
        m[piv_row] = [x / pv for x in m[piv_row]]
        for i in range(len(m)):
            if i != piv_row and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[piv_row])]
        pivots.append(c)
        piv_row += 1
    out = []
    for i, c in enumerate(pivots):
        if sum(1 for x in m[i] if x != 0) == 1:
            out.append(vars_[c])
    return out


hidden_total = complementary = 0
for what in ["treatments"] + TYPES:
    def val(dev, st, sk):
        key = ((dev, st, sk), what)
        if key not in truth:
            return 0, False  # no treatment: a public zero
        return truth[key], pub.get(key) is None

    lines = []
    devs = devices + ["all"]
    for st in ["home", "clinic", "all"]:
        for sk in SKINS + ["all"]:
            lines.append([("all", st, sk)] + [(d, st, sk) for d in devices])
    for d in devs:
        for sk in SKINS + ["all"]:
            lines.append([(d, "all", sk), (d, "home", sk), (d, "clinic", sk)])
        for st in ["home", "clinic", "all"]:
            lines.append([(d, st, "all")] + [(d, st, sk) for sk in SKINS])
    rows = []
    for line in lines:
        row = {}
        for j, cell in enumerate(line):
            v, h = val(*cell)
            if h:
                row[cell] = row.get(cell, 0) + (-1 if j == 0 else 1)
        if row:
            rows.append(row)
    hidden = {c for r in rows for c in r}
    hidden_total += len(hidden)
    complementary += sum(1 for c in hidden if not small(val(*c)[0]))
    for c in determined(rows):
        problems.append("cube %s: hidden cell %s = %s can be worked out" % (what, c, val(*c)[0]))

# Weekly series: per complication, (devices incl. all) x (home, clinic, all)
# x weeks, with the window totals (the cube's cells).
SETS = ["home", "clinic", "all"]
wk_s = {(s["device_type"], s["setting"]): s for s in S["weekly"]["series"]}
wk_f = {(s["device_type"], s["setting"]): s for s in F["weekly"]["series"]}
nweeks = len(F["weekly"]["weeks"])
for what in ["treatments"] + TYPES:
    def series(src, dev, st):
        s = src.get((dev, st))
        if s is None:
            return [0] * nweeks
        return s["treatments"] if what == "treatments" else s["cases"][what]

    def hid(d, st, w):
        if w == "total":
            return pub.get(((d, st, "all"), what)) is None and ((d, st, "all"), what) in truth
        return series(wk_s, d, st)[w] is None

    rows = []
    devs = [d for d in devices if (d, "all") in wk_f]
    cols = list(range(nweeks)) + ["total"]
    lines = []
    for st in SETS:
        for w in cols:
            lines.append([("all", st, w)] + [(d, st, w) for d in devs])
        for d in devs + ["all"]:
            lines.append([(d, st, "total")] + [(d, st, w) for w in range(nweeks)])
    for d in devs + ["all"]:
        for w in cols:
            lines.append([(d, "all", w), (d, "home", w), (d, "clinic", w)])
    for line in lines:
        row = {}
        for j, cell in enumerate(line):
            if hid(*cell):
                row[cell] = row.get(cell, 0) + (-1 if j == 0 else 1)
        if row:
            rows.append(row)
    for v in determined(rows):
        if v[2] != "total":
            problems.append("weekly %s: hidden %s can be worked out" % (what, v))
    for d in devs + ["all"]:
        for st in SETS:
            for w in range(nweeks):
                x = series(wk_s, d, st)[w]
                if x is not None and x != series(wk_f, d, st)[w]:
                    problems.append("weekly %s %s/%s %d differs from the truth" % (what, d, st, w))

# Signal and rate rows: what is shown equals the truth (no small count is
# shown: checked by walk() above).
for member, key in (("signals", ("device_type",)), ("signals_by_model", ("manufacturer", "model"))):
    truth_rows = {tuple(r[k] for k in key) + (r["complication"],): r for r in F[member]}
    for r in S[member]:
        k = tuple(r[x] for x in key) + (r["complication"],)
        if r["suppressed"]:
            continue
        for f in ("a", "b", "c", "d", "prr", "ror", "chi2", "evans_signal"):
            if r[f] != truth_rows[k][f]:
                problems.append("%s %s %s = %s, truth %s" % (member, k, f, r[f], truth_rows[k][f]))
for r in S["rate_comparison"]:
    if r["suppressed"]:
        continue
    t = [x for x in F["rate_comparison"] if (x["device_type"], x["setting"], x["complication"]) ==
         (r["device_type"], r["setting"], r["complication"])][0]
    for f in ("treatments", "cases", "other_treatments", "other_cases", "rate_ratio"):
        if r[f] != t[f]:
            problems.append("rate_comparison %s/%s/%s %s differs" % (r["device_type"], r["setting"], r["complication"], f))

if complementary == 0:
    problems.append("no complementary suppression was needed: the population does not tempt recovery")
print("ok" if not problems else "\n".join(problems[:30]))
print("hidden=%d complementary=%d" % (hidden_total, complementary))

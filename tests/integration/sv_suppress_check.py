"""sv_suppress_check.py - attacks a --suppress-below report.

Usage: sv_suppress_check.py K SUPPRESSED.json FULL.json [--text S.txt] [--csv S.csv]
                            [--tempt yes|no] [--alerts yes|no]
FULL.json is the same report without suppression (the truth). Written
independently of analyze/disclose/: it only reads
what the report publishes. Checks:
  1. no count (treatments, cases, reports a/b/c/d, other_*, weekly values,
     the alerts' observed, treatments, baseline_cases and
     baseline_treatments, their margins' too) in 1..K-1 is published in the
     JSON, the text (table cells, "N home treatments" lines, the alerts'
     "N cases in M treatments") or the CSV (treatments, cases);
  2. every published number equals the truth;
  3. recovery attack, per table family, using only published numbers:
     - the cube (treatments, and cases of each type: device incl. all x
       home/clinic/all x skin incl. all) with everything that publishes
       its cells: rates, home_vs_clinic, rate_comparison (whose
       other_treatments and other_cases are "all minus this device"),
       skin_trend and totals; joined with the weekly series (device x
       setting x week, the window total being the cube's cell) and, for
       the treatments, the alerts' window and baseline treatments (sums of
       weeks);
     - the alerts' counted cases (reported within D days), per
       complication: unknowns per series (device incl. all x setting incl.
       all) and elementary interval of weeks (cut at every end of a window
       or baseline the alerts show), their margins, the published sums
       (observed, baseline_cases, of the alerts and of also_in); withheld:
       the hidden blocks' numbers (strict), every other range sum and
       interval, and the late cases (the weekly series' sum minus the
       counted one);
     - the report counts: signals (device x type: a = the cell, a+b the
       device's total, a+c the type's total, a+b+c+d all reports) and
       signals_by_model (the same for each manufacturer x model; the
       reports naming no model are an unpublished row), joined through the
       type totals, and totals.complication_reports;
     first by plain subtraction (any equation with one unknown left: a
     margin minus its other published cells, a+b minus a, the type total
     minus a, ...; repeated until nothing new), then exactly, by Gaussian
     elimination in fractions over every equation at once. Any withheld
     count, or margin, or derived count (b, c, d of a hidden row, other_*
     of a hidden rate row, the no-model reports) recovered in 1..K-1 is a
     problem; so is, where a null means exactly "withheld" (a week of the
     series; a, b, c, d of a hidden signal row), any nonzero value
     recovered at all (suppress.c promises that much; in the cube a null
     may also be a shown count's row hidden for another count);
     The same attack on the new tables: the serious cases of each type
     (published by the rates) and, per horizon, the eligible treatments and
     the cases, serious cases and missing-onset cases of each type
     (published by the risks), each laid out as the cube; and the
     data-quality lines (a public total and its parts: the treatments
     naming no model and the others, the reports without onset and the
     others, the lag buckets of treatments and of reports). The summary's
     sentences publish no count in 1..K-1 either;
  4. the population did tempt recovery (--tempt yes, the default):
     complementary suppression happened in the cube and in the report
     counts, some signal row was hidden only because a derived count (b, c
     or d) was small, and some serious and some risk counts were hidden;
     with --alerts yes, some alert block was hidden and some shown.
Prints "ok" or the problems, then a summary line.
"""
import csv
import json
import re
import sys
from datetime import date, timedelta
from fractions import Fraction

K = int(sys.argv[1])
S = json.load(open(sys.argv[2]))
F = json.load(open(sys.argv[3]))
opts = dict(zip(sys.argv[4::2], sys.argv[5::2]))
problems = []
SKINS = ["I", "II", "III", "IV", "V", "VI", "unknown"]
SETS = ["home", "clinic", "all"]
TYPES = ["any", "infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
         "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other"]
COUNT_KEYS = {"treatments", "cases", "a", "b", "c", "d", "observed", "other_treatments",
              "other_cases", "serious_cases", "missing_onset_cases", "count",
              "baseline_cases", "baseline_treatments"}


def small(v):
    return v is not None and 0 < v < K


# 1. No small count published: JSON ----------------------------------------
def walk(obj, path):
    if isinstance(obj, dict):
        for k, v in obj.items():
            walk(v, path + [k])
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            walk(v, path + [i])
    elif isinstance(obj, int) and not isinstance(obj, bool):
        if any(p in COUNT_KEYS for p in path if isinstance(p, str)) and small(obj):
            problems.append("json: published small count %s = %d" % (path, obj))


# data_quality's treatments, complication_reports and quarantined are the
# public totals.
walk({k: v for k, v in S.items() if k not in ("totals", "data_quality")}, [])
walk({k: v for k, v in S["data_quality"].items()
      if k not in ("treatments", "complication_reports", "quarantined")}, ["data_quality"])
# ... and the summary's sentences: "N of M treatments", "N cases", ...
for line in S["summary"]:
    for m in re.finditer(r"(?<![\w.,-])([\d,]+) (?=of |treatments|cases|reports)", line["text"]):
        if small(int(m.group(1).replace(",", ""))):
            problems.append("summary: small count in %r" % line["text"])

# ... the text: table cells and the "N home treatments" lines ----------------
INT = re.compile(r"(?<![\w.,%()+\u2013-])(\d+)(?![\w.,%()+\u2013-])")
if "--text" in opts:
    section = ""
    for line in open(opts["--text"], encoding="utf-8"):
        line = line.rstrip("\n")
        if line and not line.startswith(" ") and not re.fullmatch(r"[=-]+", line):
            section = line
        m = re.search(r"(\d+) home treatments, (\d+) clinic treatments", line)
        cells = [int(x) for x in m.groups()] if m else []
        if line.startswith("  ") and re.search(r"\S {2,}\S", line.strip()) and \
                not section.startswith(("How to read", "3.", "Methods")):
            cells += [int(x) for x in INT.findall(line)]
        if section.startswith("Totals") and ("Orphan" in line or "Quarantined" in line):
            cells = []
        # The alerts' sentences: "N cases in M treatments", "N cases a week".
        if section == "Alerts":
            cells += [int(x.replace(",", ""))
                      for x in re.findall(r"\b([\d,]+) (?:cases|treatments)\b", line)]
        for v in cells:
            if small(v):
                problems.append("text: small count %d in %r" % (v, line.strip()))

# ... the CSV ----------------------------------------------------------------
if "--csv" in opts:
    for row in csv.DictReader(open(opts["--csv"])):
        for f in ("treatments", "cases"):
            if row[f] != "" and small(int(row[f])):
                problems.append("csv: small %s in %s" % (f, row))


# 3. The attack --------------------------------------------------------------
class Span:
    """Linear equations over named variables, exact, kept in reduced row
    echelon form: rows[pivot] = (coefficients, right-hand side)."""

    def __init__(self):
        self.rows = {}

    def reduce(self, f):
        f, acc = dict(f), Fraction(0)
        for p in [p for p in f if p in self.rows]:
            k = f.get(p, 0)
            if k == 0:
                continue
            coefs, rhs = self.rows[p]
            for x, c in coefs.items():
                f[x] = f.get(x, 0) - k * c
                if f[x] == 0:
                    del f[x]
            acc += k * rhs
        return f, acc

    def add(self, f, v):
        f, acc = self.reduce(f)
        v = Fraction(v) - acc
        if not f:
            if v != 0:
                problems.append("published values contradict each other (%s)" % v)
            return
        p = min(f, key=repr)
        k = f[p]
        f = {x: Fraction(c) / k for x, c in f.items()}
        v /= k
        for q, (coefs, rhs) in list(self.rows.items()):
            m = coefs.get(p, 0)
            if m:
                nc = dict(coefs)
                for x, c in f.items():
                    nc[x] = nc.get(x, 0) - m * c
                    if nc[x] == 0:
                        del nc[x]
                self.rows[q] = (nc, rhs - m * v)
        self.rows[p] = (f, v)

    def value(self, f):
        """The value of sum(c * x) if the equations determine it, else None."""
        f, acc = self.reduce(f)
        return acc if not f else None


def peel(equations):
    """Plain subtraction: any equation with one unknown left gives it."""
    known = {}
    changed = True
    while changed:
        changed = False
        for f, v in equations:
            unknown = [x for x in f if x not in known]
            if len(unknown) != 1:
                continue
            x = unknown[0]
            known[x] = (Fraction(v) - sum(c * known[y] for y, c in f.items() if y != x)) / f[x]
            changed = True
    return known


def attack(name, equations, withheld):
    """equations: [(coefs, published value)]; withheld: [(label, coefs,
    truth, strict)]. Runs both attacks; returns how many were checked."""
    known = peel(equations)
    for label, f, truth, strict in withheld:
        if len(f) == 1:
            (x, c), = f.items()
            if x in known and small(known[x] * c):
                problems.append("%s: %s = %s recovered by subtraction" % (name, label, known[x] * c))
    span = Span()
    for f, v in equations:
        span.add(f, v)
    for label, f, truth, strict in withheld:
        v = span.value(f)
        if v is None:
            continue
        if v != truth:
            problems.append("%s: attack on %s gave %s, truth %s (checker bug?)" % (name, label, v, truth))
        elif small(v) or (strict and v != 0):
            problems.append("%s: withheld %s = %s can be worked out" % (name, label, v))
    return len(withheld)


def line(total, parts):
    f = {total: -1}
    for p in parts:
        f[p] = f.get(p, 0) + 1
    return f


# The truth and the published view of the cube: (what, device, setting, skin).
def cube_of(d):
    t = {}
    for r in d["rates"]:
        key = (r["device_type"], r["setting"], r["skin_type"])
        # A hidden row hides its treatments too; other rows may show them.
        if t.get(("treatments",) + key) is None:
            t[("treatments",) + key] = r["treatments"]
        t[(r["complication"],) + key] = r["cases"]
    return t


truth, pub = cube_of(F), cube_of(S)
for k, v in pub.items():
    if v is not None and v != truth[k]:
        problems.append("published %s = %s, truth %s" % (k, v, truth[k]))
devices = sorted({k[1] for k in truth if k[1] != "all"})
nweeks = len(F["weekly"]["weeks"])
wk_s = {(s["device_type"], s["setting"]): s for s in S["weekly"]["series"]}
wk_f = {(s["device_type"], s["setting"]): s for s in F["weekly"]["series"]}
WEEKS = F["weekly"]["weeks"]


def week_range(first_day, last_day):
    """The week indexes of a window from its first Monday to its last Sunday."""
    lo = WEEKS.index(first_day)
    last_monday = (date.fromisoformat(last_day) - timedelta(days=6)).isoformat()
    return range(lo, WEEKS.index(last_monday) + 1)


def alert_blocks(d):
    """Every block of numbers the alerts publish: (alert, block), the alert's
    own first, then its also_in margins (which carry their own labels)."""
    for a in d["alerts"]:
        yield a, a
        for m in a["also_in"]:
            yield a, m
hidden_total = complementary = checked = 0


def week_vals(src, what, dev, st):
    s = src.get((dev, st))
    if s is None:
        return [0] * nweeks
    return s["treatments"] if what == "treatments" else s["cases"][what]


for what in ["treatments"] + TYPES:
    eqs, withheld, published = [], [], set()

    def C(dev, st, sk):
        return ("cube", what, dev, st, sk)

    def W(dev, st, w):
        return C(dev, st, "all") if w == "total" else ("week", what, dev, st, w)

    def publish(f, v):
        if v is not None:
            eqs.append((f, v))
            if len(f) == 1:
                published.add(next(iter(f)))

    devs = devices + ["all"]
    # Structure: every margin is the sum of its cells (value 0).
    for st in SETS:
        for sk in SKINS + ["all"]:
            eqs.append((line(C("all", st, sk), [C(d, st, sk) for d in devices]), 0))
    for d in devs:
        for sk in SKINS + ["all"]:
            eqs.append((line(C(d, "all", sk), [C(d, "home", sk), C(d, "clinic", sk)]), 0))
        for st in SETS:
            eqs.append((line(C(d, st, "all"), [C(d, st, sk) for sk in SKINS]), 0))
    for st in SETS:
        for w in list(range(nweeks)) + ["total"]:
            eqs.append((line(W("all", st, w), [W(d, st, w) for d in devices]), 0))
        for d in devs:
            eqs.append((line(W(d, st, "total"), [W(d, st, w) for w in range(nweeks)]), 0))
    for d in devs:
        for w in range(nweeks):
            eqs.append((line(W(d, "all", w), [W(d, "home", w), W(d, "clinic", w)]), 0))
    # Public zeros: groups with no treatment.
    for d in devs:
        for st in SETS:
            for sk in SKINS + ["all"]:
                if (what, d, st, sk) not in truth:
                    publish({C(d, st, sk): 1}, 0)
            if (d, st) not in wk_f:
                for w in range(nweeks):
                    publish({W(d, st, w): 1}, 0)
    # What the report publishes.
    for (wh, d, st, sk), v in pub.items():
        if wh == what:
            publish({C(d, st, sk): 1}, v)
    for r in S["home_vs_clinic"]:
        if what in ("treatments", r["complication"]):
            f = "treatments" if what == "treatments" else "cases"
            for st in ("home", "clinic"):
                publish({C(r["device_type"], st, r["skin_type"]): 1}, r[st][f])
    for r in S["rate_comparison"]:
        if what in ("treatments", r["complication"]):
            f = "treatments" if what == "treatments" else "cases"
            d, st = r["device_type"], r["setting"]
            publish({C(d, st, "all"): 1}, r[f])
            publish({C("all", st, "all"): 1, C(d, st, "all"): -1}, r["other_" + f])
    for r in S["skin_trend"]:
        if what in ("treatments", r["complication"]):
            f = "treatments" if what == "treatments" else "cases"
            for i, v in enumerate(r[f]):
                publish({C(r["device_type"], r["setting"], SKINS[i]): 1}, v)
    if what == "treatments":
        publish({C("all", "all", "all"): 1}, S["totals"]["treatments"])
    for d in devs:
        for st in SETS:
            for w, v in enumerate(week_vals(wk_s, what, d, st)):
                publish({W(d, st, w): 1}, v)
    # An alert's treatments (its window's, its baseline's) are sums of the
    # weekly treatments.
    if what == "treatments":
        for a, blk in alert_blocks(S):
            if blk["suppressed"]:
                continue
            d, st = blk["device_type"], blk["setting"]
            for lo, hi, v in ((blk["window_start"], blk["window_end"], blk["treatments"]),
                              (blk["baseline_start"], blk["baseline_end"], blk["baseline_treatments"])):
                if lo is not None and v is not None:
                    publish({W(d, st, x): 1 for x in week_range(lo, hi)}, v)
    # Withheld: every cell with a truth that is published nowhere, and the
    # "other" counts of hidden rate comparison rows.
    hidden_cells = 0
    for (wh, d, st, sk), v in truth.items():
        if wh == what and C(d, st, sk) not in published:
            withheld.append(("cube %s %s/%s/%s" % (what, d, st, sk), {C(d, st, sk): 1}, v, False))
            hidden_cells += 1
            complementary += not small(v)
    for d in devs:
        for st in SETS:
            if (d, st) in wk_f:
                for w, v in enumerate(week_vals(wk_f, what, d, st)):
                    if W(d, st, w) not in published:
                        withheld.append(("week %s %s/%s/%d" % (what, d, st, w), {W(d, st, w): 1}, v, True))
    for r, t in zip(S["rate_comparison"], F["rate_comparison"]):
        if r["suppressed"] and what in ("treatments", r["complication"]):
            f = "treatments" if what == "treatments" else "cases"
            d, st = r["device_type"], r["setting"]
            withheld.append(("rate_comparison %s/%s/%s other_%s" % (d, st, r["complication"], f),
                             {C("all", st, "all"): 1, C(d, st, "all"): -1}, t["other_" + f], False))
    hidden_total += hidden_cells
    checked += attack("cube+weekly " + what, eqs, withheld)

# The report counts: devices and models joined through the type totals.
eqs, withheld = [], []
rep_types = TYPES[1:]
frows = {("dev", r["device_type"], r["complication"]): r for r in F["signals"]}
frows.update({("model", (r["manufacturer"], r["model"]), r["complication"]): r
              for r in F["signals_by_model"]})
srows = {("dev", r["device_type"], r["complication"]): r for r in S["signals"]}
srows.update({("model", (r["manufacturer"], r["model"]), r["complication"]): r
              for r in S["signals_by_model"]})
groups = {"dev": sorted({k[1] for k in frows if k[0] == "dev"}),
          "model": sorted({k[1] for k in frows if k[0] == "model"})}
X = lambda kind, g, c: ("X", kind, g, c)          # a cell
R = lambda kind, g: ("R", kind, g)                 # a row's total over types
KT = lambda c: ("K", c)                            # a type's total
T = ("T",)                                         # all reports
NM = lambda c: ("X", "nomodel", None, c)           # reports naming no model, of type c
for kind in ("dev", "model"):
    for g in groups[kind]:
        eqs.append((line(R(kind, g), [X(kind, g, c) for c in rep_types]), 0))
for c in rep_types:
    eqs.append((line(KT(c), [X("dev", g, c) for g in groups["dev"]]), 0))
    if groups["model"]:
        eqs.append((line(KT(c), [X("model", g, c) for g in groups["model"]] + [NM(c)]), 0))
eqs.append((line(T, [KT(c) for c in rep_types]), 0))
eqs.append(({T: 1}, S["totals"]["complication_reports"]))
truth_rep = {T: F["totals"]["complication_reports"]}
for (kind, g, c), r in frows.items():
    truth_rep[X(kind, g, c)] = r["a"]
    truth_rep[R(kind, g)] = r["a"] + r["b"]
    truth_rep[KT(c)] = r["a"] + r["c"]
for c in rep_types:
    if groups["model"]:
        truth_rep[NM(c)] = truth_rep[KT(c)] - sum(truth_rep[X("model", g, c)] for g in groups["model"])
derived_only = rep_hidden = rep_complementary = 0
for key, r in srows.items():
    kind, g, c = key
    t = frows[key]
    if not r["suppressed"]:
        for f in ("a", "b", "c", "d", "prr", "ror", "chi2", "evans_signal"):
            if r[f] != t[f]:
                problems.append("%s %s = %s, truth %s" % (key, f, r[f], t[f]))
        eqs.append(({X(kind, g, c): 1}, r["a"]))
        eqs.append(({R(kind, g): 1}, r["a"] + r["b"]))
        eqs.append(({KT(c): 1}, r["a"] + r["c"]))
        eqs.append(({T: 1}, r["a"] + r["b"] + r["c"] + r["d"]))
        continue
    rep_hidden += 1
    cell, row, col = X(kind, g, c), R(kind, g), KT(c)
    for name, f in (("a", {cell: 1}), ("b", {row: 1, cell: -1}), ("c", {col: 1, cell: -1}),
                    ("d", {T: 1, row: -1, col: -1, cell: 1})):
        withheld.append(("%s %s/%s %s" % (kind, g, c, name), f, t[name], True))
    if not any(small(t[x]) for x in "abcd"):
        rep_complementary += 1
    elif kind == "dev" and not small(t["a"]):
        derived_only += 1
for v in list(truth_rep):
    if v[0] in ("R", "K", "T") or v[1] == "nomodel":
        withheld.append(("margin %s" % (v,), {v: 1}, truth_rep[v], False))
checked += attack("reports", eqs, withheld)

# The serious cases (of the rates) and the risks of each horizon: each a
# family of tables laid out as the cube, published by their rows only.
def grid_attack(name, truth_cells, pub_cells, public_zero):
    """truth_cells/pub_cells: (device, setting, skin) -> value (None: hidden);
    public_zero: (device, setting, skin) with no treatment. Returns the
    number of hidden cells."""
    eqs, withheld = [], []
    G = lambda d, st, sk: ("g", d, st, sk)
    devs = devices + ["all"]
    for st in SETS:
        for sk in SKINS + ["all"]:
            eqs.append((line(G("all", st, sk), [G(d, st, sk) for d in devices]), 0))
    for d in devs:
        for sk in SKINS + ["all"]:
            eqs.append((line(G(d, "all", sk), [G(d, "home", sk), G(d, "clinic", sk)]), 0))
        for st in SETS:
            eqs.append((line(G(d, st, "all"), [G(d, st, sk) for sk in SKINS]), 0))
            for sk in SKINS + ["all"]:
                if (d, st, sk) in public_zero:
                    eqs.append(({G(d, st, sk): 1}, 0))
    hidden = 0
    for key, v in truth_cells.items():
        if pub_cells.get(key) is not None:
            if pub_cells[key] != v:
                problems.append("%s %s: published %s, truth %s" % (name, key, pub_cells[key], v))
            eqs.append(({G(*key): 1}, pub_cells[key]))
        else:
            hidden += 1
            withheld.append(("%s %s" % (name, key), {G(*key): 1}, v, False))
    attack(name, eqs, withheld)
    return hidden


def cells_of(rows, what, field, extra=lambda r: True):
    out = {}
    for r in rows:
        if extra(r) and (what == "treatments" or r["complication"] == what):
            key = (r["device_type"], r["setting"], r["skin_type"])
            v = r["treatments"] if what == "treatments" else r[field]
            if what == "treatments" and out.get(key) is not None:
                continue
            out[key] = v
    return out


zero_cells = {(d, st, sk) for d in devices + ["all"] for st in SETS for sk in SKINS + ["all"]
              if ("treatments", d, st, sk) not in truth}
serious_hidden = risk_hidden = 0
for what in TYPES:
    serious_hidden += grid_attack("serious " + what, cells_of(F["rates"], what, "serious_cases"),
                                  cells_of(S["rates"], what, "serious_cases"), zero_cells)
for h in F["horizons"]:
    at = lambda r, h=h: r["horizon_days"] == h
    f_rows = [r for r in F["risks"] if at(r)]
    s_rows = [r for r in S["risks"] if at(r)]
    zero = {(d, st, sk) for d in devices + ["all"] for st in SETS for sk in SKINS + ["all"]} - \
        {(r["device_type"], r["setting"], r["skin_type"]) for r in f_rows}
    risk_hidden += grid_attack("risks %d treatments" % h, cells_of(f_rows, "treatments", None),
                               cells_of(s_rows, "treatments", None), zero)
    for what in TYPES:
        for field in ("cases", "serious_cases", "missing_onset_cases"):
            risk_hidden += grid_attack("risks %d %s %s" % (h, field, what),
                                       cells_of(f_rows, what, field),
                                       cells_of(s_rows, what, field), zero)
    for r, t in zip(s_rows, f_rows):
        for f in ("rate", "ci_low", "ci_high", "serious_rate", "serious_ci_low", "serious_ci_high"):
            if r[f] is not None and r[f] != t[f]:
                problems.append("risks %s %s differs" % ((r["device_type"], r["setting"],
                                                         r["skin_type"], r["complication"]), f))
# Data quality: each line is a public total and its parts.
qs, qf = S["data_quality"], F["data_quality"]
for name, total, parts in (
        ("no model", qf["treatments"], [("missing_manufacturer_or_model",)]),
        ("no onset", qf["complication_reports"], [("missing_onset_days",)])):
    key = parts[0][0]
    eqs = [({("q", "part"): 1, ("q", "rest"): 1}, total)]
    withheld = []
    if qs[key]["count"] is not None:
        eqs.append(({("q", "part"): 1}, qs[key]["count"]))
        if qs[key]["count"] != qf[key]["count"]:
            problems.append("data_quality %s differs" % key)
    else:
        withheld.append(("data_quality %s" % key, {("q", "part"): 1}, qf[key]["count"], False))
    withheld.append(("data_quality %s (the rest)" % key, {("q", "rest"): 1},
                     total - qf[key]["count"], False))
    attack("data_quality " + name, eqs, withheld)
for name, total, key in (("lag treatments", qf["treatments"], "treatments"),
                         ("lag reports", qf["complication_reports"], "complication_reports")):
    rows_s, rows_f = qs["reporting_lag"][key], qf["reporting_lag"][key]
    eqs = [(line(("q", "total"), [("q", i) for i in range(len(rows_f))]), 0),
           ({("q", "total"): 1}, total)]
    withheld = []
    for i, (x, y) in enumerate(zip(rows_s, rows_f)):
        if x["count"] is not None:
            eqs.append(({("q", i): 1}, x["count"]))
            if x["count"] != y["count"]:
                problems.append("data_quality %s %s differs" % (name, x["lag"]))
        else:
            withheld.append(("data_quality %s %s" % (name, y["lag"]), {("q", i): 1}, y["count"],
                             False))
    attack("data_quality " + name, eqs, withheld)

# The alerts' counted cases: per complication, the cases counted within D
# days of each series (device incl. all x setting incl. all) in each
# elementary interval of weeks (cut at every end of a window or baseline
# an alert shows, suppressed or not), unknown; what the alerts publish
# (observed over a window, baseline_cases over a baseline) are sums of
# them; margins over devices and settings hold per interval. The late cases
# of a range (weekly cases, as published, minus the counted ones) are
# derived counts. Withheld: the numbers of hidden blocks (truth from the
# full report; any nonzero value recovered is a problem), and any sum over
# a shown range, interval or late count recovered in 1..K-1.
alert_devices = devices
alert_series = [(dv, st) for dv in alert_devices + ["all"] for st in SETS]
alert_checked = alert_hidden = alert_shown = 0
full_blocks = {}
for a, blk in alert_blocks(F):
    full_blocks[(a["device_type"], a["setting"], a["complication"], a["week_start"],
                 blk["device_type"], blk["setting"], blk["complication"])] = blk
for what in TYPES:
    blocks = [(a, b) for a, b in alert_blocks(S) if b["complication"] == what]
    if not blocks:
        continue
    ranges = set()
    for a, b in blocks:
        w = week_range(b["window_start"], b["window_end"])
        ranges.add((w[0], w[-1]))
        if b["baseline_start"] is not None:
            r = week_range(b["baseline_start"], b["baseline_end"])
            ranges.add((r[0], r[-1]))
    cuts = sorted({lo for lo, hi in ranges} | {hi + 1 for lo, hi in ranges})
    intervals = [(lo, hi - 1) for lo, hi in zip(cuts, cuts[1:])
                 if any(rl <= lo <= rh for rl, rh in ranges)]
    X = lambda ser, i: ("x", what) + ser + (i,)
    O = lambda ser, r: ("o", what) + ser + r
    eqs, withheld = [], []

    def osum(ser, r):
        return {X(ser, i): 1 for i, (lo, hi) in enumerate(intervals) if lo >= r[0] and hi <= r[1]}

    for i in range(len(intervals)):
        for st in SETS:
            eqs.append((line(X(("all", st), i), [X((dv, st), i) for dv in alert_devices]), 0))
        for dv in alert_devices + ["all"]:
            eqs.append((line(X((dv, "all"), i), [X((dv, "home"), i), X((dv, "clinic"), i)]), 0))
    shown = set()
    for a, b in blocks:
        ser = (b["device_type"], b["setting"])
        w = week_range(b["window_start"], b["window_end"])
        pairs = [((w[0], w[-1]), "observed")]
        if b["baseline_start"] is not None:
            r = week_range(b["baseline_start"], b["baseline_end"])
            pairs.append(((r[0], r[-1]), "baseline_cases"))
        fb = full_blocks[(a["device_type"], a["setting"], a["complication"], a["week_start"],
                          b["device_type"], b["setting"], b["complication"])]
        for r, field in pairs:
            if b["suppressed"]:
                withheld.append(("hidden alert %s %s %s" % (ser, r, field), osum(ser, r), fb[field], True))
            else:
                eqs.append((osum(ser, r), b[field]))
                shown.add(ser + r)
        alert_hidden += b["suppressed"]
        alert_shown += not b["suppressed"]
    # Every other sum over a range, every interval: recovered small is a leak.
    for ser in alert_series:
        for r in ranges:
            if ser + r not in shown:
                withheld.append(("alert range %s %s" % (ser, r), osum(ser, r), None, False))
        for i in range(len(intervals)):
            withheld.append(("alert interval %s %s" % (ser, intervals[i]), {X(ser, i): 1}, None, False))
    # Late cases: the weekly cases (when all shown) minus the counted ones.
    late = []
    for ser in alert_series:
        for r in ranges:
            vals = week_vals(wk_s, what, *ser)[r[0]:r[1] + 1]
            if all(v is not None for v in vals):
                late.append((ser, r, sum(vals)))
    alert_checked += attack("alerts " + what, eqs, [x for x in withheld if x[2] is not None])
    span = Span()
    for f, v in eqs:
        span.add(f, v)
    for label, f, truth, strict in withheld:
        if truth is not None:
            continue
        v = span.value(f)
        if v is not None and small(v):
            problems.append("alerts %s: %s = %s can be worked out" % (what, label, v))
        alert_checked += 1
    for ser, r, total in late:
        v = span.value(osum(ser, r))
        if v is not None and small(total - v):
            problems.append("alerts %s: late cases of %s %s = %s can be worked out" % (what, ser, r, total - v))
        alert_checked += 1

# 4. Did the population tempt recovery? -----------------------------------
if opts.get("--tempt", "yes") == "yes":
    if serious_hidden == 0 or risk_hidden == 0:
        problems.append("no serious or risk count hidden (%d, %d): the population does not test "
                        "them" % (serious_hidden, risk_hidden))
    if complementary == 0:
        problems.append("no complementary suppression in the cube: the population does not tempt recovery")
    if rep_complementary == 0:
        problems.append("no complementary suppression in the report counts")
    if derived_only == 0:
        problems.append("no signal row hidden only for a small b, c or d: the population does not tempt")
if opts.get("--alerts") == "yes" and (alert_hidden == 0 or alert_shown == 0):
    problems.append("alert blocks hidden %d, shown %d: the population does not tempt" % (alert_hidden, alert_shown))

# 2. What is shown equals the truth (the cube and signals: above). -----------
for r, t in zip(S["rate_comparison"], F["rate_comparison"]):
    if r["suppressed"]:
        continue
    for f in ("treatments", "cases", "other_treatments", "other_cases", "rate_ratio"):
        if r[f] != t[f]:
            problems.append("rate_comparison %s/%s/%s %s differs" % (r["device_type"], r["setting"], r["complication"], f))
for key, s in wk_s.items():
    for what in ["treatments"] + TYPES:
        for w, (x, y) in enumerate(zip(week_vals(wk_s, what, *key), week_vals(wk_f, what, *key))):
            if x is not None and x != y:
                problems.append("weekly %s %s %d: %s, truth %s" % (what, key, w, x, y))

print("ok" if not problems else "\n".join(problems[:40]))
print("cube hidden=%d complementary=%d; report rows hidden=%d complementary=%d derived-only=%d; "
      "serious cells hidden=%d, risk cells hidden=%d; alert blocks hidden=%d shown=%d; "
      "withheld values attacked=%d" % (
          hidden_total, complementary, rep_hidden, rep_complementary, derived_only,
          serious_hidden, risk_hidden, alert_hidden, alert_shown, checked + alert_checked))

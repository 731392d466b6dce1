"""analyze_check.py - checks needlewatch-analyze's JSON against the SQL views.

Usage: analyze_check.py ANALYZER.json RATES.csv HVC.csv TOTALS.csv
(the CSVs are COPY outputs of needlewatch.rate_cells_between,
home_vs_clinic_between and analysis_totals_between for the same window).

Counts and rates must be identical (PostgreSQL prints float8 at shortest
exact precision, so the rates compare exactly). The intervals and the
adjusted ratio are recomputed here from the views' counts, independently of
analyze/model/stats.c, and must agree to 1e-12. Prints "ok" or each difference.
"""
import csv
import json
import math
import sys

Z = 1.959963984540054
TYPES = ["any", "infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
         "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other"]
errors = []


def close(a, b, tol=1e-12):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def wilson(x, n):
    p = x / n
    denom = 1 + Z * Z / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    lo = 0.0 if x == 0 else (centre - half) / denom
    hi = 1.0 if x == n else (centre + half) / denom
    return lo, hi


def katz(a, n1, c, n2):
    if a == 0 or c == 0:
        return None, None, None
    rr = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return rr, math.exp(math.log(rr) - Z * se), math.exp(math.log(rr) + Z * se)


def mh(strata):
    r = s = v = 0.0
    used = 0
    for a, n1, c, n2 in strata:
        if n1 == 0 or n2 == 0:
            continue
        used += 1
        n = n1 + n2
        r += a * n2 / n
        s += c * n1 / n
        v += (n1 * n2 * (a + c) - a * c * n) / (n * n)
    if r == 0 or s == 0:
        return None, None, None, used
    rr = r / s
    se = math.sqrt(v / (r * s))
    return rr, math.exp(math.log(rr) - Z * se), math.exp(math.log(rr) + Z * se), used


def main():
    d = json.load(open(sys.argv[1]))
    view_rates = {}
    for dev, st, skin, comp, n, cases, rate in csv.reader(open(sys.argv[2])):
        view_rates[(dev, st, skin, comp)] = (int(n), int(cases), float(rate))
    view_hvc = {}
    for row in csv.reader(open(sys.argv[3])):
        dev, skin, comp = row[:3]
        hn, hc, hr, cn, cc, cr, rr = row[3:]
        view_hvc[(dev, skin, comp)] = (int(hn), int(hc), float(hr), int(cn), int(cc), float(cr),
                                       float(rr) if rr != "" else None)
    (totals_row,) = list(csv.reader(open(sys.argv[4])))
    view_totals = dict(zip(["treatments", "complication_reports", "orphan_complications",
                            "quarantined"], map(int, totals_row)))

    for k, v in view_totals.items():
        if d["totals"][k] != v:
            errors.append("totals.%s: analyzer %s, view %s" % (k, d["totals"][k], v))

    # Rates: the same set of rows, the same counts, the same rate bits.
    mine = {}
    for r in d["rates"]:
        key = (r["device_type"], r["setting"], r["skin_type"], r["complication"])
        if key in mine:
            errors.append("rates: duplicate row %s" % (key,))
        mine[key] = r
    for key in sorted(set(mine) ^ set(view_rates)):
        errors.append("rates: row %s only in %s" % (key, "analyzer" if key in mine else "view"))
    for key in sorted(set(mine) & set(view_rates)):
        r, (n, cases, rate) = mine[key], view_rates[key]
        if (r["treatments"], r["cases"]) != (n, cases):
            errors.append("rates %s: analyzer %d/%d, view %d/%d" % (key, r["cases"], r["treatments"], cases, n))
            continue
        if r["rate"] != rate or r["rate"] != cases / n:
            errors.append("rates %s: rate %r, view %r" % (key, r["rate"], rate))
        lo, hi = wilson(cases, n)
        if not (close(r["ci_low"], lo) and close(r["ci_high"], hi)):
            errors.append("rates %s: interval %r..%r, expected %r..%r" % (key, r["ci_low"], r["ci_high"], lo, hi))
        if not (r["ci_low"] <= r["rate"] <= r["ci_high"]):
            errors.append("rates %s: rate outside its interval" % (key,))
    cells = {k[:3] for k in view_rates}
    for cell in cells:
        for t in TYPES:
            if cell + (t,) not in view_rates:
                errors.append("rates: cell %s lacks complication %s" % (cell, t))
        if any(view_rates[cell + (t,)][1] > view_rates[cell + ("any",)][1] for t in TYPES):
            errors.append("rates: cell %s has a type with more cases than any" % (cell,))

    # Home versus clinic, crude.
    mine = {(r["device_type"], r["skin_type"], r["complication"]): r for r in d["home_vs_clinic"]}
    for key in sorted(set(mine) ^ set(view_hvc)):
        errors.append("home_vs_clinic: row %s only in %s" % (key, "analyzer" if key in mine else "view"))
    for key in sorted(set(mine) & set(view_hvc)):
        r = mine[key]
        hn, hc, hr, cn, cc, cr, vrr = view_hvc[key]
        got = (r["home"]["treatments"], r["home"]["cases"], r["home"]["rate"],
               r["clinic"]["treatments"], r["clinic"]["cases"], r["clinic"]["rate"])
        if got != (hn, hc, hr, cn, cc, cr):
            errors.append("home_vs_clinic %s: analyzer %r, view %r" % (key, got, (hn, hc, hr, cn, cc, cr)))
        rr, lo, hi = katz(hc, hn, cc, cn)
        if not (close(r["rate_ratio"], rr) and close(r["rate_ratio"], vrr)
                and close(r["ci_low"], lo) and close(r["ci_high"], hi)):
            errors.append("home_vs_clinic %s: %r (%r..%r), expected %r (%r..%r), view %r"
                          % (key, r["rate_ratio"], r["ci_low"], r["ci_high"], rr, lo, hi, vrr))

    # Adjusted: strata device_type x skin_type from the base cells of the view.
    devices = {k[0] for k in view_rates if k[0] != "all"}
    skins = ["I", "II", "III", "IV", "V", "VI", "unknown"]
    adjusted = {r["complication"]: r for r in d["home_vs_clinic_adjusted"]}
    if sorted(adjusted) != sorted(TYPES) or len(d["home_vs_clinic_adjusted"]) != len(TYPES):
        errors.append("home_vs_clinic_adjusted: rows %r" % sorted(adjusted))
    for t in TYPES:
        strata = []
        for dev in sorted(devices):
            for skin in skins:
                h = view_rates.get((dev, "home", skin, t), (0, 0, 0.0))
                c = view_rates.get((dev, "clinic", skin, t), (0, 0, 0.0))
                strata.append((h[1], h[0], c[1], c[0]))
        rr, lo, hi, used = mh(strata)
        r = adjusted.get(t)
        if r is None:
            continue
        if not (close(r["mh_rate_ratio"], rr, 1e-11) and close(r["ci_low"], lo, 1e-11)
                and close(r["ci_high"], hi, 1e-11) and r["strata_used"] == used):
            errors.append("adjusted %s: %r (%r..%r) over %r strata, expected %r (%r..%r) over %r"
                          % (t, r["mh_rate_ratio"], r["ci_low"], r["ci_high"], r["strata_used"],
                             rr, lo, hi, used))

    if errors:
        for e in errors[:50]:
            print(e)
        if len(errors) > 50:
            print("... and %d more" % (len(errors) - 50))
    else:
        print("ok")


main()

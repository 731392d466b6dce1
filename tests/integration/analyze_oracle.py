#!/usr/bin/env python3
"""analyze_oracle.py - checks needlewatch-analyze's JSON against an
independent computation from what the generator produced.

Usage: analyze_oracle.py DUMP.jsonl ANALYZER.json MODEL.json [FROM TO]

From the loadgen --dump alone (never the database), this recomputes the
current treatments and complications, the cases, the whole rate cube with
its 'all' margins, the home-versus-clinic comparisons and their intervals,
and compares every row of the analyzer's output: counts exactly, rates and
intervals within 1e-9. Then it checks that the 95% intervals of the base
cells cover the generator's true probabilities (MODEL.json, loadgen
--model-json) at about the nominal rate. Exits 1 on any mismatch.
"""
import json
import math
import sys

Z = 1.959963984540054
TYPES = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage", "fat_loss",
         "granuloma", "dryness_peeling", "acne_flare", "other"]
DEVICES = ["derma_roller", "derma_stamp", "microneedling_pen", "rf_microneedling", "other"]
SKINS = ["I", "II", "III", "IV", "V", "VI", "unknown"]
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


def wilson(x, n):
    p = x / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    lo, hi = c - h, c + h
    if x == 0:
        lo = 0.0
    if x == n:
        hi = 1.0
    return lo, hi


def current(records):
    """report_id -> value of its highest version (first stored copy wins)."""
    best = {}
    for v in records:
        ver = v.get("version", 1)
        rid = v["report_id"]
        if rid not in best or ver > best[rid].get("version", 1):
            best[rid] = v
    return {rid: v for rid, v in best.items() if not v.get("nullified", False)}


def main(dump, analyzer_json, model_json, date_from=None, date_to=None):
    treat, comp = [], []
    for line in open(dump, encoding="utf-8"):
        rec = json.loads(line)
        v = rec["value"]
        if not isinstance(v, dict):
            continue
        (treat if rec["topic"] == "treatments" else comp).append(v)
    treatments = current(treat)
    complications = current(comp)
    in_window = {rid: t for rid, t in treatments.items()
                 if (date_from is None or t["treated_on"] >= date_from)
                 and (date_to is None or t["treated_on"] <= date_to)}
    cases = {}
    reports_on = 0
    orphans = 0
    for c in complications.values():
        if c["treatment_id"] in treatments:
            if c["treatment_id"] in in_window:
                cases.setdefault(c["treatment_id"], set()).add(c["type"])
                reports_on += 1
        else:
            orphans += 1

    cube = {}
    for rid, t in in_window.items():
        skin = ROMAN.get(t.get("skin", {}).get("fitzpatrick"), "unknown")
        types = cases.get(rid, set())
        for d in (t["device"]["type"], "all"):
            for s in (t["setting"], "all"):
                for k in (skin, "all"):
                    cell = cube.setdefault((d, s, k), {"n": 0, **{c: 0 for c in ["any"] + TYPES}})
                    cell["n"] += 1
                    if types:
                        cell["any"] += 1
                    for ty in types:
                        cell[ty] += 1

    out = json.load(open(analyzer_json, encoding="utf-8"))
    bad = []

    def close(a, b, what):
        if a is None or b is None:
            if a is not b:
                bad.append(f"{what}: expected {a}, got {b}")
            return
        if abs(a - b) > 1e-9:
            bad.append(f"{what}: expected {a!r}, got {b!r}")

    tot = out["totals"]
    if tot["treatments"] != len(in_window):
        bad.append(f"totals.treatments: expected {len(in_window)}, got {tot['treatments']}")
    if tot["complication_reports"] != reports_on:
        bad.append(f"totals.complication_reports: expected {reports_on}, got {tot['complication_reports']}")
    if tot["orphan_complications"] != orphans:
        bad.append(f"totals.orphan_complications: expected {orphans}, got {tot['orphan_complications']}")

    rows = {(r["device_type"], r["setting"], r["skin_type"], r["complication"]): r for r in out["rates"]}
    expected_rows = 0
    for (d, s, k), cell in cube.items():
        for c in ["any"] + TYPES:
            expected_rows += 1
            r = rows.get((d, s, k, c))
            what = f"rates[{d},{s},{k},{c}]"
            if r is None:
                bad.append(f"{what}: missing")
                continue
            if (r["treatments"], r["cases"]) != (cell["n"], cell[c]):
                bad.append(f"{what}: expected {cell['n']}/{cell[c]}, got {r['treatments']}/{r['cases']}")
                continue
            lo, hi = wilson(cell[c], cell["n"])
            close(cell[c] / cell["n"], r["rate"], what + ".rate")
            close(lo, r["ci_low"], what + ".ci_low")
            close(hi, r["ci_high"], what + ".ci_high")
    if len(rows) != expected_rows:
        bad.append(f"rates: expected {expected_rows} rows, got {len(rows)}")

    hvc = {(r["device_type"], r["skin_type"], r["complication"]): r for r in out["home_vs_clinic"]}
    expected_hvc = 0
    for d in DEVICES + ["all"]:
        for k in SKINS + ["all"]:
            h, cl = cube.get((d, "home", k)), cube.get((d, "clinic", k))
            if not h or not cl:
                continue
            for c in ["any"] + TYPES:
                expected_hvc += 1
                what = f"home_vs_clinic[{d},{k},{c}]"
                r = hvc.get((d, k, c))
                if r is None:
                    bad.append(f"{what}: missing")
                    continue
                a, n1, cc, n2 = h[c], h["n"], cl[c], cl["n"]
                if (r["home"]["treatments"], r["home"]["cases"], r["clinic"]["treatments"],
                        r["clinic"]["cases"]) != (n1, a, n2, cc):
                    bad.append(f"{what}: counts differ")
                    continue
                close(a / n1, r["home"]["rate"], what + ".home.rate")
                close(cc / n2, r["clinic"]["rate"], what + ".clinic.rate")
                if a == 0 or cc == 0:
                    for f in ("rate_ratio", "ci_low", "ci_high"):
                        if r[f] is not None:
                            bad.append(f"{what}.{f}: expected null, got {r[f]}")
                    continue
                rr = (a / n1) / (cc / n2)
                se = math.sqrt(1 / a - 1 / n1 + 1 / cc - 1 / n2)
                close(rr, r["rate_ratio"], what + ".rate_ratio")
                close(math.exp(math.log(rr) - Z * se), r["ci_low"], what + ".ci_low")
                close(math.exp(math.log(rr) + Z * se), r["ci_high"], what + ".ci_high")
    if len(hvc) != expected_hvc:
        bad.append(f"home_vs_clinic: expected {expected_hvc} rows, got {len(hvc)}")

    # Mantel-Haenszel risk ratio over device type x skin type strata, with
    # the Greenland-Robins (1985) variance of its logarithm.
    adj = {r["complication"]: r for r in out["home_vs_clinic_adjusted"]}
    for c in ["any"] + TYPES:
        num = den = var_num = 0.0
        used = 0
        for d in DEVICES:
            for k in SKINS:
                h, cl = cube.get((d, "home", k)), cube.get((d, "clinic", k))
                if not h or not cl:
                    continue
                used += 1
                a, n1, cc, n2 = h[c], h["n"], cl[c], cl["n"]
                n = n1 + n2
                num += a * n2 / n
                den += cc * n1 / n
                var_num += (n1 * n2 * (a + cc) - a * cc * n) / (n * n)
        r = adj.get(c)
        what = f"home_vs_clinic_adjusted[{c}]"
        if r is None:
            bad.append(f"{what}: missing")
            continue
        if r["strata_used"] != used:
            bad.append(f"{what}.strata_used: expected {used}, got {r['strata_used']}")
        if num == 0 or den == 0:
            if r["mh_rate_ratio"] is not None:
                bad.append(f"{what}: expected null, got {r['mh_rate_ratio']}")
            continue
        rr = num / den
        se = math.sqrt(var_num / (num * den))
        close(rr, r["mh_rate_ratio"], what + ".mh_rate_ratio")
        close(math.exp(math.log(rr) - Z * se), r["ci_low"], what + ".ci_low")
        close(math.exp(math.log(rr) + Z * se), r["ci_high"], what + ".ci_high")

    covered = checked = 0
    if model_json:
        model = json.load(open(model_json, encoding="utf-8"))
        for m in model["cells"]:
            key = (m["device_type"], m["setting"], m["skin_type"])
            cell = cube.get(key)
            if not cell or cell["n"] < 100:
                continue
            for c in ["any"] + TYPES:
                r = rows[key + (c,)]
                checked += 1
                covered += r["ci_low"] <= m["p"][c] <= r["ci_high"]
    print(f"{expected_rows} rate rows, {expected_hvc} home-vs-clinic rows and "
          f"{len(TYPES) + 1} adjusted rows compared; "
          f"{len(bad)} mismatches")
    for b in bad[:30]:
        print("  " + b)
    if checked:
        print(f"95% intervals cover the true probability in {covered}/{checked} "
              f"({100.0 * covered / checked:.1f}%) base-cell checks")
        if covered / checked < 0.90:
            bad.append("coverage below 90%")
            print("  coverage below 90%: the estimates do not recover the generator's probabilities")
    return 1 if bad else 0


if __name__ == "__main__":
    a = sys.argv[1:]
    sys.exit(main(a[0], a[1], a[2] if len(a) > 2 and a[2] else None, *(a[3:5])))

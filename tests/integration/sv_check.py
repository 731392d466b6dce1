"""sv_check.py - checks the surveillance members of needlewatch-analyze's JSON
(complication_catalogue, signals, signals_by_model, rate_comparison, alerts,
alert_method, weekly, skin_trend) against an independent computation from the
treatments and complications themselves.

Usage: sv_check.py ANALYZER.json TREATMENTS.csv COMPLICATIONS.csv [FROM TO]
  TREATMENTS.csv: COPY of needlewatch.treatments (report_id, treated_on,
  device_type, setting, fitzpatrick, model, manufacturer); COMPLICATIONS.csv:
  COPY of needlewatch.complications (treatment_id, type, the UTC day of
  coalesce(reported_at, ingested_at)), one line per report. Signals count
  REPORTS (of treatments in the window); rates, weekly series and trends
  count cases (treatments with a report of the type); the alerts count the
  cases reported within D days (ratescan.py).
Nothing here uses the analyzer's code: the counts come from the rows, the
alerts are ratescan.py's (with the rate scan; other methods are not
checked), Cochran-Armitage follows
prop.trend.test, PRR/ROR/Katz/Yates/Evans their textbook formulas. Counts
must be equal; statistics agree to 1e-9 relative (the alerts' to 1e-6: an
independent GLM fit). Prints "ok" or the
differences (at most 30).
"""
import csv
import json
import math
import sys
from collections import defaultdict
from datetime import date, timedelta
from statistics import NormalDist

import ratescan

Z = 1.959963984540054
TYPES = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
         "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other"]
ALL = ["any"] + TYPES
DEVICES = ["derma_roller", "derma_stamp", "microneedling_pen", "rf_microneedling", "other"]
errors = []


def err(msg):
    errors.append(msg)


def close(a, b, tol=1e-9):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (bool, str)) or isinstance(b, (bool, str)):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def katz(a, n1, c, n2):
    if a == 0 or c == 0 or n1 == 0 or n2 == 0:
        return None, None, None
    rr = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    return rr, rr * math.exp(-Z * se), rr * math.exp(Z * se)


def prr(a, b, c, d):
    if a == 0 or c == 0:
        return None, None, None
    v = (a / (a + b)) / (c / (c + d))
    se = math.sqrt(1 / a - 1 / (a + b) + 1 / c - 1 / (c + d))
    return v, v * math.exp(-Z * se), v * math.exp(Z * se)


def ror(a, b, c, d):
    if 0 in (a, b, c, d):
        return None, None, None
    v = (a * d) / (b * c)
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return v, v * math.exp(-Z * se), v * math.exp(Z * se)


def yates(a, b, c, d):
    n = a + b + c + d
    den = (a + b) * (c + d) * (a + c) * (b + d)
    if den == 0:
        return None, None
    x = n * max(0.0, abs(a * d - b * c) - n / 2) ** 2 / den
    return x, math.erfc(math.sqrt(x / 2))


def signal_expect(rep, orep, comp):
    """Disproportionality on report counts: rep/orep map type -> reports."""
    a, c = rep.get(comp, 0), orep.get(comp, 0)
    b = sum(rep.values()) - a
    d = sum(orep.values()) - c
    p = prr(a, b, c, d)
    o = ror(a, b, c, d)
    chi, pv = yates(a, b, c, d)
    evans = p[0] is not None and chi is not None and a >= 3 and a * (c + d) >= 2 * c * (a + b) and chi >= 4
    return {
        "a": a, "b": b, "c": c, "d": d,
        "prr": p[0], "prr_ci_low": p[1], "prr_ci_high": p[2],
        "ror": o[0], "ror_ci_low": o[1], "ror_ci_high": o[2],
        "chi2": chi, "chi2_p": pv, "evans_signal": evans, "signal": evans,
    }


def rate_expect(t, a, ot, oc):
    rr = katz(a, t, oc, ot)
    return {"treatments": t, "cases": a, "rate": a / t if t else None,
            "other_treatments": ot, "other_cases": oc, "other_rate": oc / ot if ot else None,
            "rate_ratio": rr[0], "ci_low": rr[1], "ci_high": rr[2]}


IMDRF = {
    "infection": ["E1719"], "scarring": ["E1715"], "hyperpigmentation": ["E171602"],
    "burn": ["E1704"], "nerve_damage": ["E0123"], "fat_loss": [], "granuloma": ["E2317"],
    "dryness_peeling": ["E1724", "E1711"], "acne_flare": [], "other": [],
}


def compare_row(label, got, exp):
    for k, v in exp.items():
        g = got.get(k, "MISSING")
        if isinstance(v, dict):
            if g != v:
                err("%s %s: got %s expected %s" % (label, k, g, v))
        elif g == "MISSING" or not close(g, v):
            err("%s %s: got %s expected %s" % (label, k, g, v))


def check_alerts(d, treatments, known, frm, to):
    """The alerts and alert_method against ratescan.py (the rate scan, or
    EARS C2; the other methods are not checked here)."""
    m = d["alert_method"]
    if m["name"] not in ("rate-scan", "ears-c2"):
        return
    as_of = date.fromisoformat(m["counting"]["as_of"])
    comps = [k for k in known if k[0] in treatments]
    window = (date.fromisoformat(frm) if frm else None, date.fromisoformat(to) if to else None)
    given = m["counting"]["report_days"] if m["counting"]["report_days_from"] == "configuration" else None
    panel, days, first = ratescan.build(treatments, comps, as_of, window, given)
    if m["counting"]["report_days"] != days:
        err("alert_method.counting.report_days %s expected %s" % (m["counting"]["report_days"], days))
    if panel is None:
        if d["alerts"]:
            err("alerts with no treatment")
        return
    if m["name"] == "rate-scan":
        verdicts = ratescan.rate_verdicts(panel)
        found = ratescan.consolidate(panel, verdicts, ratescan.rate_strength)
        threshold = ratescan.Q_LEVEL
    else:
        par = m["parameters"]
        verdicts = ratescan.ears_verdicts(panel, par["baseline"], par["alpha"], par["min_sigma"],
                                          m["min_cases"])
        found = ratescan.consolidate(panel, verdicts, ratescan.ears_strength)
        threshold = NormalDist().inv_cdf(1 - par["alpha"])
    if m["counting"]["series_weeks_judged"] != len(verdicts):
        err("series_weeks_judged %s expected %s" % (m["counting"]["series_weeks_judged"], len(verdicts)))
    if m["counting"]["weeks_judged"] != sum(panel.judge):
        err("weeks_judged %s expected %s" % (m["counting"]["weeks_judged"], sum(panel.judge)))
    day = lambda w: (first + timedelta(weeks=w)).isoformat()

    def block(series, ev):
        b0, b1, bc, bt = ratescan.baseline_counts(panel, series, ev)
        return {"observed": ev["observed"], "treatments": ev["treatments"],
                "expected": ev["expected"], "rate": ev["observed"] / ev["treatments"],
                "expected_rate": ev["expected"] / ev["treatments"],
                "p_value": ev["p"], "q_value": ev["q"], "window_weeks": ev["window"],
                "window_start": day(ev["week"] + 1 - ev["window"]),
                "window_end": (first + timedelta(weeks=ev["week"], days=6)).isoformat(),
                "baseline_start": day(b0),
                "baseline_end": (first + timedelta(weeks=b1, days=6)).isoformat(),
                "baseline_cases": bc, "baseline_treatments": bt,
                "statistic": ev["q"] if m["name"] == "rate-scan" else ev["statistic"]}

    exp = {}
    for a in found:
        key = a["series"] + (day(a["first"]),)
        e = block(a["series"], a["evidence"])
        iso = (first + timedelta(weeks=a["first"])).isocalendar()
        e.update(week="%04d-W%02d" % (iso[0], iso[1]), last_week_start=day(a["last"]),
                 weeks=a["last"] - a["first"] + 1, alarm_weeks=a["alarm_weeks"],
                 method=m["method"], threshold=threshold)
        also = []
        for s, lo, hi, ev in a["also_in"]:
            b = block(s, ev)
            b.update(device_type=s[0], setting=s[1], complication=s[2], week_start=day(lo),
                     last_week_start=day(hi))
            also.append(b)
        exp[key] = (e, also)
    got = {(a["device_type"], a["setting"], a["complication"], a["week_start"]): a for a in d["alerts"]}
    if set(got) != set(exp):
        err("alerts: extra %s missing %s" % (sorted(set(got) - set(exp))[:5], sorted(set(exp) - set(got))[:5]))
        return
    for k, (e, also) in exp.items():
        g = got[k]
        if g["suppressed"]:
            continue
        for f, v in e.items():
            if f not in g or not close(g[f], v, 1e-6):
                err("alert %s %s: got %s expected %s" % (k, f, g.get(f, "MISSING"), v))
        if len(g["also_in"]) != len(also):
            err("alert %s also_in: got %s expected %s" % (
                k, [(x["device_type"], x["setting"], x["complication"]) for x in g["also_in"]],
                [(x["device_type"], x["setting"], x["complication"]) for x in also]))
            continue
        for gx, ex in zip(g["also_in"], also):
            if gx["suppressed"]:
                continue
            for f, v in ex.items():
                if f not in gx or not close(gx[f], v, 1e-6):
                    err("alert %s also_in %s %s: got %s expected %s" % (
                        k, (ex["device_type"], ex["setting"], ex["complication"]), f, gx.get(f), v))

    # Most serious first: q, then p, then the rate ratio, then observed.
    def serious(a):
        ev = a["evidence"]
        ratio = ev["observed"] / ev["expected"] if ev["expected"] > 0 else \
            (math.inf if ev["observed"] > 0 else -math.inf)
        inf = lambda x: math.inf if x is None else x
        return (inf(ev["q"]), inf(ev["p"]), -ratio, -ev["observed"], panel.series.index(a["series"]),
                a["first"])
    order = [a["series"] + (day(a["first"]),) for a in sorted(found, key=serious)]
    got_order = [(a["device_type"], a["setting"], a["complication"], a["week_start"]) for a in d["alerts"]]
    if order != got_order:
        err("alerts: order %s expected %s" % (got_order[:5], order[:5]))


def main():
    d = json.load(open(sys.argv[1]))
    frm = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
    to = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
    comps = defaultdict(set)
    reports = defaultdict(list)
    known = []
    for tid, typ, day in csv.reader(open(sys.argv[3])):
        comps[tid].add(typ)
        reports[tid].append(typ)
        known.append((tid, typ, date.fromisoformat(day)))
    rows = []
    all_treatments = {}
    for rid, treated, dev, setting, fitz, model, manu in csv.reader(open(sys.argv[2])):
        all_treatments[rid] = (date.fromisoformat(treated), dev, setting)
        if (frm and treated < frm) or (to and treated > to):
            continue
        rows.append((rid, date.fromisoformat(treated), dev, setting,
                     int(fitz) if fitz else None, model if model != "" else None,
                     manu if manu != "" else None))

    def case_counts(sel):
        t = 0
        cases = {k: 0 for k in ALL}
        for r in sel:
            t += 1
            types = comps.get(r[0], set())
            if types:
                cases["any"] += 1
            for k in types:
                cases[k] += 1
        return t, cases

    def report_counts(sel):
        out = defaultdict(int)
        for r in sel:
            for typ in reports.get(r[0], []):
                out[typ] += 1
        return out

    # --- the IMDRF catalogue.
    cat = {r["complication"]: r["imdrf_annex_e_codes"] for r in d["complication_catalogue"]}
    if cat != IMDRF:
        err("complication_catalogue: %s" % cat)

    # --- signals by device type: reports of the device vs all other reports.
    all_rep = report_counts(rows)
    got = {(r["device_type"], r["complication"]): r for r in d["signals"]}
    n_exp = 0
    devices = sorted({r[2] for r in rows}, key=lambda x: DEVICES.index(x) if x in DEVICES else 99)
    for dev in devices:
        rep = report_counts([r for r in rows if r[2] == dev])
        orep = {k: all_rep.get(k, 0) - rep.get(k, 0) for k in TYPES}
        for comp in TYPES:
            n_exp += 1
            row = got.get((dev, comp))
            if row is None:
                err("signals: no row for %s %s" % (dev, comp))
                continue
            if row["suppressed"]:
                continue
            compare_row("signals %s/%s" % (dev, comp), row, signal_expect(rep, orep, comp))
    if len(d["signals"]) != n_exp:
        err("signals: %d rows, expected %d" % (len(d["signals"]), n_exp))

    # --- signals by (manufacturer, model): against every other report
    # (other pairs and treatments naming no manufacturer or model).
    got = {(r["manufacturer"], r["model"], r["complication"]): r for r in d["signals_by_model"]}
    n_exp = 0
    pairs = sorted({(r[6], r[5]) for r in rows if r[5] is not None and r[6] is not None
                    and reports.get(r[0])})
    for manu, model in pairs:
        rep = report_counts([r for r in rows if r[6] == manu and r[5] == model])
        orep = {k: all_rep.get(k, 0) - rep.get(k, 0) for k in TYPES}
        for comp in TYPES:
            n_exp += 1
            row = got.get((manu, model, comp))
            if row is None:
                err("signals_by_model: no row for %s %s %s" % (manu, model, comp))
                continue
            if row["suppressed"]:
                continue
            compare_row("signals_by_model %s/%s/%s" % (manu, model, comp), row,
                        signal_expect(rep, orep, comp))
    if len(d["signals_by_model"]) != n_exp:
        err("signals_by_model: %d rows, expected %d" % (len(d["signals_by_model"]), n_exp))

    # --- rate comparison: device type vs all other device types, per setting.
    got = {(r["device_type"], r["setting"], r["complication"]): r for r in d["rate_comparison"]}
    n_exp = 0
    for dev in devices:
        for st in ("home", "clinic"):
            t, cases = case_counts([r for r in rows if r[2] == dev and r[3] == st])
            ot, ocases = case_counts([r for r in rows if r[2] != dev and r[3] == st])
            for comp in TYPES:
                n_exp += 1
                row = got.get((dev, st, comp))
                if row is None:
                    err("rate_comparison: no row for %s %s %s" % (dev, st, comp))
                    continue
                if row["suppressed"]:
                    continue
                compare_row("rate_comparison %s/%s/%s" % (dev, st, comp), row,
                            rate_expect(t, cases[comp], ot, ocases[comp]))
    if len(d["rate_comparison"]) != n_exp:
        err("rate_comparison: %d rows, expected %d" % (len(d["rate_comparison"]), n_exp))

    # --- weekly series.
    m = d["alert_method"]
    weeks = [date.fromisoformat(w) for w in d["weekly"]["weeks"]]
    if rows:
        mon = lambda x: x - timedelta(days=x.weekday())
        first = mon(date.fromisoformat(frm)) if frm else min(mon(r[1]) for r in rows)
        last = mon(date.fromisoformat(to)) if to else max(mon(r[1]) for r in rows)
        exp_weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    else:
        exp_weeks = []
    if weeks != exp_weeks:
        err("weekly.weeks: %s..%s (%d) expected %s..%s (%d)" % (
            weeks[:1], weeks[-1:], len(weeks), exp_weeks[:1], exp_weeks[-1:], len(exp_weeks)))
    series = {}
    for dev, st in [(x, y) for x in devices + ["all"] for y in ("home", "clinic", "all")]:
        sel = [r for r in rows if (dev == "all" or r[2] == dev) and (st == "all" or r[3] == st)]
        per = {k: [0] * len(exp_weeks) for k in ["treatments"] + ALL}
        idx = {w: i for i, w in enumerate(exp_weeks)}
        for r in sel:
            i = idx[r[1] - timedelta(days=r[1].weekday())]
            per["treatments"][i] += 1
            types = comps.get(r[0], set())
            if types:
                per["any"][i] += 1
            for k in types:
                per[k][i] += 1
        series[(dev, st)] = per
    got_series = {(s["device_type"], s["setting"]): s for s in d["weekly"]["series"]}
    for dev, per in series.items():
        s = got_series.get(dev)
        if s is None:
            err("weekly: no series for %s" % dev)
            continue
        for k in ["treatments"] + ALL:
            g = s["treatments"] if k == "treatments" else s["cases"][k]
            if any(x is not None and x != y for x, y in zip(g, per[k])) or len(g) != len(per[k]):
                err("weekly %s %s differs" % (dev, k))

    # --- alerts: ratescan.py's recomputation of the rate scan.
    check_alerts(d, all_treatments, known, frm, to)

    # --- skin trend, per prop.trend.test (scores 1..6), per device type and
    # for all device types pooled.
    for r in d["skin_trend"]:
        st, comp, dev = r["setting"], r["complication"], r["device_type"]
        sel = [x for x in rows if (st == "all" or x[3] == st) and x[4] is not None
               and dev in ("all", x[2])]
        n = [0] * 6
        c = [0] * 6
        for x in sel:
            n[x[4] - 1] += 1
            types = comps.get(x[0], set())
            if (comp == "any" and types) or comp in types:
                c[x[4] - 1] += 1
        if not r["suppressed"] and (r["treatments"] != n or r["cases"] != c):
            err("skin_trend %s/%s/%s counts %s %s expected %s %s" % (dev, st, comp, r["treatments"], r["cases"], n, c))
        N = sum(n)
        zexp = None
        if N > 0:
            pbar = sum(c) / N
            sbar = sum(n[i] * (i + 1) for i in range(6)) / N
            T = sum(c[i] * (i + 1 - sbar) for i in range(6))
            V = pbar * (1 - pbar) * sum(n[i] * (i + 1 - sbar) ** 2 for i in range(6))
            if 0 < pbar < 1 and V > 0:
                zexp = T / math.sqrt(V)
        if not r["suppressed"]:
            if not close(r["z"], zexp):
                err("skin_trend %s/%s z %s expected %s" % (st, comp, r["z"], zexp))
            elif zexp is not None and not close(r["p_value"], math.erfc(abs(zexp) / math.sqrt(2))):
                err("skin_trend %s/%s p" % (st, comp))
    print("ok" if not errors else "\n".join(errors[:30]))


main()

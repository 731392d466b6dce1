"""score.py - scores the alert benchmark (bench/ALERTS.md).

Usage: score.py WORKDIR [--markdown OUT.md]
Reads WORKDIR/nw-SCENARIO.{alarms,outbreaks}.tsv (nwalerts run, many seeds)
and WORKDIR/peers-*.tsv with WORKDIR/pop/SCENARIO-SEED.outbreaks.tsv (the R
peers on the seeds that R ran), and prints the tables.

Definitions (the same for every method):
  judged          weeks 60..103 (the last 44) of the 198 series;
  in an outbreak  a series-week whose series contains the outbreak's cell
                  (device in {D, all}, setting in {S, all}, complication in
                  {C, any}) and whose week is in onset .. onset+duration-1+2
                  (two weeks of tail: a window statistic still sees it);
  alarm-week      a judged series-week where the method alarms (each with
                  its own small-count rule: needlewatch 3 cases in the
                  window, EARS C2 3 in the week, Farrington limit54 (5 in 4
                  weeks), glrpois none);
  false alarm     an alarm-week not in an outbreak; rates are per 1,000
                  judged series-weeks not in an outbreak;
  alert           consecutive alarm-weeks of one series (one event); a
                  false alert is one with no week in an outbreak;
  caught          an alarm in a series containing the cell, in week w with
                  onset <= w <= onset + max(duration, 2) - 1; delay = the
                  first such w - onset (0 = the onset week itself).
Calibrated rows: the peer's statistic thresholded (its p-value, its z, its
c.ARL) so that its false alerts are at most 0.5 per 1,000 under every null
scenario (the worst of the four), then applied to the power scenario.
"""
import csv
import math
import sys
from collections import defaultdict

NW = 198
FIRST, LAST = 60, 103
TAIL = 2
NDEV, NSET, NTYPE = 5, 3, 11
SCENARIOS = ["const", "seasonal", "drift", "mixed", "power"]
NULLS = SCENARIOS[:4]
BUDGET = 0.5


def series_parts(s):
    return s // (NSET * NTYPE), s // NTYPE % NSET, s % NTYPE


def affected_series(ob):
    d, st, c = ob["device"], ob["setting"], ob["complication"]
    out = []
    for dd in (d, NDEV):
        for ss in (st, 2):
            for cc in (c, 0):
                out.append((dd * NSET + ss) * NTYPE + cc)
    return out


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def read_outbreaks(rows):
    obs = defaultdict(list)
    for r in rows:
        obs[(r["scenario"], int(r["seed"]))].append({
            "device": int(r["device"]), "setting": int(r["setting"]),
            "complication": int(r["complication"]), "onset": int(r["onset"]),
            "duration": int(r["duration"]), "size": float(r["size"]),
            "expected": float(r["expected"]), "category": int(r["category"])})
    return obs


class Score:
    """Alarm sets per (scenario, seed) -> counts."""

    def __init__(self):
        self.runs = {}  # (scenario, seed) -> set of (series, week)

    def add_run(self, key):
        self.runs.setdefault(key, set())

    def add(self, key, series, week):
        self.runs.setdefault(key, set()).add((series, week))


def in_outbreak_map(obs):
    m = set()
    for ob in obs:
        for s in affected_series(ob):
            for w in range(ob["onset"], ob["onset"] + ob["duration"] + TAIL):
                m.add((s, w))
    return m


def evaluate(alarms, outbreaks):
    """alarms: {(scen, seed): set((series, week))}; returns per-scenario stats."""
    per = defaultdict(lambda: {"sw": 0, "fa_weeks": 0, "fa_alerts": 0, "runs": 0,
                               "obs": []})
    for (scen, seed), al in alarms.items():
        obs = outbreaks.get((scen, seed), [])
        inob = in_outbreak_map(obs)
        st = per[scen]
        st["runs"] += 1
        st["sw"] += NW * (LAST - FIRST + 1) - sum(1 for (s, w) in inob if FIRST <= w <= LAST)
        by_series = defaultdict(list)
        for (s, w) in al:
            if FIRST <= w <= LAST:
                by_series[s].append(w)
                if (s, w) not in inob:
                    st["fa_weeks"] += 1
        for s, ws in by_series.items():
            ws.sort()
            run = [ws[0]]
            for w in ws[1:] + [None]:
                if w is not None and w == run[-1] + 1:
                    run.append(w)
                    continue
                if not any((s, x) in inob for x in run):
                    st["fa_alerts"] += 1
                if w is not None:
                    run = [w]
        for ob in obs:
            aff = set(affected_series(ob))
            end = ob["onset"] + max(ob["duration"], 2) - 1
            hits = sorted(w for (s, w) in al if s in aff and ob["onset"] <= w <= end)
            st["obs"].append(dict(ob, caught=bool(hits),
                                  delay=hits[0] - ob["onset"] if hits else None))
    return per


def poisson_ci(k, n):
    """Approximate 95% interval of a rate k/n (per 1000): Byar's
    Wilson-Hilferty bounds of a Poisson count (no scipy)."""
    z = 1.959963984540054
    lo = 0.0 if k == 0 else k * (1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
    k1 = k + 1
    hi = k1 * (1 - 1 / (9 * k1) + z / (3 * math.sqrt(k1))) ** 3
    return 1000 * lo / n, 1000 * hi / n


def fmt_rate(k, n):
    if n == 0:
        return "–"
    lo, hi = poisson_ci(k, n)
    return "%.2f (%.2f–%.2f)" % (1000 * k / n, lo, hi)


def power_rows(obs, label):
    rows = []
    for size in (1.5, 2.0, 3.0, 4.0):
        sel = [o for o in obs if o["size"] == size]
        caught = [o for o in sel if o["caught"]]
        d = sorted(o["delay"] for o in caught)
        med = d[len(d) // 2] if d else None
        rows.append((label, size, len(caught), len(sel), med))
    return rows


LABELS = {
    "ears_c2": "EARS C2 on counts (alpha 0.001, >= 3 cases)",
    "farrington_counts": "farringtonFlexible on counts (Noufaily, alpha 0.001)",
    "farrington_offset": "farringtonFlexible, treatments as offset (Noufaily, alpha 0.001)",
    "glrpois_5": "glrpois, treatments as offset (c.ARL 5)",
}


def label(m):
    src = "R" if not m.startswith("c:") else "C mirror"
    base = m[2:] if m.startswith("c:") else m
    return "%s [%s]" % (LABELS.get(base, base), src)


def read_peers(paths):
    """-> alarms {method: {(scen, seed): set}}, stats {method: {key: [(s, w, v)]}},
    runs {method: set(keys)}, done {key: set(series)} (R only), failed."""
    alarms, stats, runs, done = {}, {}, {}, {}
    for p in paths:
        for r in read_tsv(p):
            key = (r["scenario"], int(r["seed"]))
            m, week = r["method"], int(r["week"])
            if m == "done":
                done.setdefault(key, set()).add(int(r["series"]))
                continue
            runs.setdefault(m, set()).add(key)
            alarms.setdefault(m, {}).setdefault(key, set())
            if week < 0:
                continue
            if r["alarm"] == "1":
                alarms[m][key].add((int(r["series"]), week))
            if r["stat"] not in ("NA", ""):
                stats.setdefault(m, {}).setdefault(key, []).append(
                    (int(r["series"]), week, float(r["stat"])))
    # A method with nothing to say about a population still judged it.
    c_keys = set().union(*(v for m, v in runs.items() if m.startswith("c:"))) if runs else set()
    for m in alarms:
        keys = c_keys if m.startswith("c:") else set(done)
        runs[m] = set(runs[m]) | keys
        for k in keys:
            alarms[m].setdefault(k, set())
    return alarms, stats, runs, done


def agreement(alarms, stats, done):
    """R against its C mirror on the populations and series R ran: the same
    alarms, and statistics within 1e-6 (R writes 15 digits). Returns a list
    of problems."""
    problems = []
    for m in [m for m in alarms if not m.startswith("c:")]:
        c = "c:" + m
        if c not in alarms:
            continue
        for key, series in done.items():
            ra = {x for x in alarms[m].get(key, set()) if x[0] in series}
            ca = {x for x in alarms[c].get(key, set()) if x[0] in series}
            if ra != ca:
                problems.append("%s %s: alarms differ at %s" % (m, key, sorted(ra ^ ca)[:5]))
            rs = {(s, w): v for (s, w, v) in stats.get(m, {}).get(key, []) if s in series}
            cs = {(s, w): v for (s, w, v) in stats.get(c, {}).get(key, []) if s in series}
            for sw in set(rs) & set(cs):
                a, b = rs[sw], cs[sw]
                if math.isfinite(a) and math.isfinite(b) and abs(a - b) > 1e-6 * max(abs(a), 1e-12):
                    problems.append("%s %s %s: R %.10g, C %.10g" % (m, key, sw, a, b))
                    break
    return problems


def calibrate(data, runs, outbreaks, small_is_extreme):
    """The loosest threshold on the statistic whose false alerts are at
    most BUDGET per 1,000 under every null scenario (the worst of them)."""
    null_keys = [k for k in runs if k[0] in NULLS]
    if not null_keys:
        return None
    cand = sorted({x[2] for k in null_keys for x in data.get(k, [])},
                  reverse=not small_is_extreme)
    best = None
    lo, hi = 0, len(cand) - 1
    ok = lambda thr: _worst(thr, data, null_keys, outbreaks, small_is_extreme) <= BUDGET
    # the false-alert rate is monotone in the threshold: bisection
    while lo <= hi:
        mid = (lo + hi) // 2
        if ok(cand[mid]):
            best = cand[mid]
            lo = mid + 1
        else:
            hi = mid - 1
    return best


def _apply(thr, data, keys, small_is_extreme):
    return {k: {(s, w) for (s, w, v) in data.get(k, [])
                if (v <= thr if small_is_extreme else v >= thr)} for k in keys}


def _worst(thr, data, keys, outbreaks, small_is_extreme):
    ev = evaluate(_apply(thr, data, keys, small_is_extreme), outbreaks)
    return max((1000 * e["fa_alerts"] / e["sw"] if e["sw"] else float("inf"))
               for e in ev.values())


def pvalue_table(work):
    import os
    rows = []
    for scen in SCENARIOS:
        p = os.path.join(work, "nw-%s.pvals.tsv" % scen)
        if not os.path.exists(p):
            continue
        for cls in ("cell", "margin"):
            counts = [(float(r["upper"]), int(r["count"])) for r in read_tsv(p) if r["class"] == cls]
            total = sum(c for _, c in counts)
            if not total:
                continue
            cum, acc = {}, 0
            for u, c in counts:
                acc += c
                cum[u] = acc / total
            rows.append((scen, cls, total, cum))
    return rows


def main():
    import glob
    import os
    work = sys.argv[1]
    md_out = sys.argv[sys.argv.index("--markdown") + 1] if "--markdown" in sys.argv else None
    outbreaks = {}
    methods = {}
    nw, nw_runs = {}, set()
    for scen in SCENARIOS:
        p = os.path.join(work, "nw-%s.alarms.tsv" % scen)
        if not os.path.exists(p):
            continue
        obf = os.path.join(work, "nw-%s.outbreaks.tsv" % scen)
        outbreaks.update(read_outbreaks(read_tsv(obf)))
        for r in read_tsv(p):
            key = (r["scenario"], int(r["seed"]))
            nw_runs.add(key)
            nw.setdefault(key, set())
            if r["alarm"] == "1":
                nw[key].add((int(r["series"]), int(r["week"])))
    for p in glob.glob(os.path.join(work, "pop", "*.outbreaks.tsv")):
        outbreaks.update(read_outbreaks(read_tsv(p)))
    alarms, stats, runs, done = read_peers(glob.glob(os.path.join(work, "peers-*.tsv")))
    # the C mirrors' power populations: the outbreaks are those of nwalerts run
    problems = agreement(alarms, stats, done)

    r_keys = set(done)
    notes = []
    rows = []  # (label, alarms)
    rows.append(("needlewatch default (rate scan, q <= 0.05) [C]", nw))
    if r_keys:
        rows.append(("needlewatch default, on R's populations [C]",
                     {k: v for k, v in nw.items() if k in r_keys}))
    for m in ("ears_c2", "farrington_counts", "farrington_offset", "glrpois_5"):
        for mm in ("c:" + m, m):
            if mm in alarms:
                rows.append((label(mm), alarms[mm]))
    # calibrated to the budget on the const null (C mirrors: many seeds)
    for m, small in (("c:farrington_offset", True), ("c:farrington_counts", True),
                     ("c:ears_c2", False)):
        if m in stats:
            thr = calibrate(stats[m], runs[m], outbreaks, small)
            if thr is not None:
                rows.append(("%s, calibrated: %s %.3g" % (label(m), "p <=" if small else "z >=", thr),
                             _apply(thr, stats[m], runs[m], small)))
            else:
                notes.append("%s: no threshold keeps every null within %.1f false alerts per "
                             "1,000 (alarms on a flat or near-empty reference remain)." % (label(m), BUDGET))
    glr = sorted((m for m in alarms if m.startswith("c:glrpois_")), key=lambda m: float(m[10:]))
    for m in glr:
        ev = evaluate({k: v for k, v in alarms[m].items() if k[0] in NULLS}, outbreaks)
        if ev and max(1000 * e["fa_alerts"] / e["sw"] for e in ev.values()) <= BUDGET:
            rows.append(("glrpois, treatments as offset, calibrated: c.ARL %s [C mirror]" % m[10:],
                         alarms[m]))
            break
    else:
        if glr:
            notes.append("glrpois with offset [C mirror]: no c.ARL up to %s keeps every null within "
                         "%.1f false alerts per 1,000." % (glr[-1][10:], BUDGET))

    out = []
    out.append("### False alerts with no outbreak (per 1,000 judged series-weeks)\n")
    out.append("Alerts (consecutive alarming weeks of a series = one) with their 95% "
               "interval (Byar), then alarm-weeks; `power` counts the series-weeks outside the planted "
               "outbreaks of the power scenario.\n")
    out.append("| method | runs | " + " | ".join(NULLS + ["power"]) + " |")
    out.append("|---|---|" + "---|" * (len(NULLS) + 1))
    evals = []
    for name, al in rows:
        ev = evaluate(al, outbreaks)
        evals.append((name, ev))
        cells = []
        for s in NULLS + ["power"]:
            e = ev.get(s)
            if not e or not e["runs"]:
                cells.append("–")
            else:
                cells.append("%s / %.2f" % (fmt_rate(e["fa_alerts"], e["sw"]),
                                            1000 * e["fa_weeks"] / e["sw"]))
        out.append("| %s | %d | %s |" % (name, sum(e["runs"] for e in ev.values()), " | ".join(cells)))
    out.append("")
    for n in notes:
        out.append("- " + n)
    if notes:
        out.append("")
    out.append("### Outbreaks caught (power scenario), by size; median delay in weeks\n")
    out.append("`by chance`: the same outbreaks' series and weeks on the `mixed` populations of the "
               "same seeds, where nothing was planted: what a method \"catches\" with its false "
               "alarms alone.\n")
    out.append("| method | outbreaks | x1.5 | x2 | x3 | x4 | target: x2 for 2 weeks, >= 10 expected a week, caught by onset + 1 | by chance |")
    out.append("|---|---|---|---|---|---|---|---|")
    for name, ev in evals:
        e = ev.get("power")
        if not e or not e["obs"]:
            continue
        obs = e["obs"]
        al = dict(rows)[name]
        phantom = [k for k in al if k[0] == "mixed" and ("power", k[1]) in outbreaks]
        pc, pn = 0, 0
        for k in phantom:
            for ob in outbreaks[("power", k[1])]:
                aff = set(affected_series(ob))
                end = ob["onset"] + max(ob["duration"], 2) - 1
                pn += 1
                pc += any(s in aff and ob["onset"] <= w <= end for (s, w) in al[k])
        chance = "%d/%d" % (pc, pn) if pn else "–"
        cells = []
        for size in (1.5, 2.0, 3.0, 4.0):
            sel = [o for o in obs if o["size"] == size]
            caught = [o for o in sel if o["caught"]]
            d = sorted(o["delay"] for o in caught)
            cells.append("%d/%d (%s)" % (len(caught), len(sel), d[len(d) // 2] if d else "–"))
        tgt = [o for o in obs if o["size"] == 2.0 and o["duration"] == 2 and o["expected"] >= 10]
        tc = [o for o in tgt if o["caught"] and o["delay"] <= 1]
        out.append("| %s | %d | %s | %d/%d | %s |" % (name, len(obs), " | ".join(cells), len(tc),
                                                     len(tgt), chance))
    out.append("")
    out.append("### Outbreaks caught by expected cases a week in the cell x duration\n")
    out.append("| method | " + " | ".join("%s/wk, %dw" % (c, d) for c in ("1-3", "3-10", ">=10") for d in (1, 2, 3, 4)) + " |")
    out.append("|---|" + "---|" * 12)
    for name, ev in evals:
        e = ev.get("power")
        if not e or not e["obs"]:
            continue
        cells = []
        for cat in (0, 1, 2):
            for dur in (1, 2, 3, 4):
                sel = [o for o in e["obs"] if o["category"] == cat and o["duration"] == dur]
                cells.append("%d/%d" % (sum(o["caught"] for o in sel), len(sel)))
        out.append("| %s | %s |" % (name, " | ".join(cells)))
    out.append("")
    pt = pvalue_table(work)
    if pt:
        out.append("### Calibration of needlewatch's p-values (all judged series-weeks)\n")
        out.append("Fraction of p-values at or below each level (uniform: the level itself; below it: "
                   "conservative). p is the Bonferroni of the 1- and 2-week windows.\n")
        levels = [1e-4, 1e-3, 0.01, 0.05, 0.1, 0.5]
        out.append("| scenario | series | series-weeks | " + " | ".join("p <= %g" % l for l in levels) + " |")
        out.append("|---|---|---|" + "---|" * len(levels))
        for scen, cls, total, cum in pt:
            out.append("| %s | %s | %d | %s |" % (scen, cls, total, " | ".join(
                "%.2g" % cum.get(l, float("nan")) for l in levels)))
        out.append("")
    if r_keys:
        out.append("R against its C mirrors on %d population(s): %s.\n" % (
            len(r_keys), "identical alarms and statistics" if not problems else
            "%d DIFFERENCES" % len(problems)))
    text = "\n".join(out) + "\n"
    print(text)
    for p in problems[:20]:
        print("MISMATCH:", p, file=sys.stderr)
    if md_out:
        with open(md_out, "w", encoding="utf-8") as f:
            f.write(text)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

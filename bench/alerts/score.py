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
  alarm-week      a judged series-week where the method alarms (for every
                  method: and at least 3 cases in that week's window, which
                  the methods enforce themselves: min_cases, limit54);
  false alarm     an alarm-week not in an outbreak; rates are per 1,000
                  judged series-weeks not in an outbreak;
  alert           consecutive alarm-weeks of one series (one event); a
                  false alert is one with no week in an outbreak;
  caught          an alarm in a series containing the cell, in week w with
                  onset <= w <= onset + max(duration, 2) - 1; delay = the
                  first such w - onset (0 = the onset week itself).
Calibrated rows: the method's statistic thresholded so that its false alerts
on the const null (its own seeds) are at most 0.5 per 1,000, then applied
to every scenario.
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
    """Exact 95% interval of a rate k/n (per 1000), by bisection on the
    Poisson tails (no scipy)."""
    def tail_ge(k, mu):  # P(X >= k)
        if k <= 0:
            return 1.0
        term, s = math.exp(-mu), 0.0
        for i in range(k):
            s += term
            term *= mu / (i + 1)
        return max(0.0, 1.0 - s)

    def solve(f, lo, hi):
        for _ in range(100):
            mid = (lo + hi) / 2
            if f(mid):
                hi = mid
            else:
                lo = mid
        return (lo + hi) / 2
    lo = 0.0 if k == 0 else solve(lambda mu: tail_ge(k, mu) >= 0.025, 0.0, k + 10 * math.sqrt(k) + 10)
    hi = solve(lambda mu: 1.0 - tail_ge(k + 1, mu) <= 0.025, 0.0, k + 10 * math.sqrt(k) + 20)
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


def main():
    work = sys.argv[1]
    md_out = None
    if "--markdown" in sys.argv:
        md_out = sys.argv[sys.argv.index("--markdown") + 1]
    import glob
    import os
    methods = {}   # name -> alarms dict
    stats = {}     # name -> {(scen, seed): [(series, week, stat)]}
    outbreaks = {}
    # needlewatch
    nw = {}
    nw_p = {}
    for scen in SCENARIOS:
        p = os.path.join(work, "nw-%s.alarms.tsv" % scen)
        if not os.path.exists(p):
            continue
        for r in read_tsv(os.path.join(work, "nw-%s.outbreaks.tsv" % scen)):
            pass
        outbreaks.update(read_outbreaks(read_tsv(os.path.join(work, "nw-%s.outbreaks.tsv" % scen))))
        seeds = set()
        for r in read_tsv(p):
            key = (r["scenario"], int(r["seed"]))
            seeds.add(key)
            if r["alarm"] == "1":
                nw.setdefault(key, set()).add((int(r["series"]), int(r["week"])))
            nw_p.setdefault(key, []).append((int(r["series"]), int(r["week"]), float(r["p"])))
        # runs with no alarm at all still count: take the seeds from the outbreak file
        # or from the pvals: nwalerts writes every seed's rows; seeds without any
        # p <= 0.01 row are impossible in practice, but be safe:
    nw_runs = set(nw_p) | set(nw)
    for k in nw_runs:
        nw.setdefault(k, set())
    methods["needlewatch (default)"] = nw
    # R peers
    peer_runs = set()
    for p in glob.glob(os.path.join(work, "peers-*.tsv")):
        for r in read_tsv(p):
            key = (r["scenario"], int(r["seed"]))
            peer_runs.add(key)
            m = r["method"]
            methods.setdefault(m, {})
            if int(r["week"]) < 0:
                continue
            if r["alarm"] == "1":
                methods[m].setdefault(key, set()).add((int(r["series"]), int(r["week"])))
            if r["stat"] not in ("NA", ""):
                stats.setdefault(m, {}).setdefault(key, []).append(
                    (int(r["series"]), int(r["week"]), float(r["stat"])))
    for p in glob.glob(os.path.join(work, "pop", "*.outbreaks.tsv")):
        outbreaks.update(read_outbreaks(read_tsv(p)))
    for m in methods:
        if m != "needlewatch (default)":
            for k in peer_runs:
                methods[m].setdefault(k, set())
    # needlewatch on the peers' seeds only, for the side-by-side table
    methods["needlewatch (default), R seeds"] = {k: v for k, v in nw.items() if k in peer_runs}

    # Calibrated variants: thresholds on the statistic (p: small is extreme;
    # z: large is extreme) chosen on the const null of the same method.
    def calibrated(name, data, runs, small_is_extreme):
        const_keys = [k for k in runs if k[0] == "const"]
        if not const_keys:
            return None
        cand = sorted({x[2] for k in const_keys for x in data.get(k, [])},
                      reverse=not small_is_extreme)
        best = None
        for thr in cand:
            al = {k: {(s, w) for (s, w, v) in data.get(k, [])
                      if (v <= thr if small_is_extreme else v >= thr)} for k in const_keys}
            ev = evaluate(al, outbreaks)["const"]
            if ev["sw"] and 1000 * ev["fa_alerts"] / ev["sw"] <= BUDGET:
                best = thr
            else:
                break
        if best is None:
            return None
        return {k: {(s, w) for (s, w, v) in data.get(k, [])
                    if (v <= best if small_is_extreme else v >= best)} for k in runs}, best

    cal = {}
    for m, small in (("farrington_offset", True), ("farrington_counts", True), ("ears_c2", False)):
        if m in stats:
            r = calibrated(m, stats[m], peer_runs, small)
            if r:
                cal["%s, calibrated (%s %.3g)" % (m, "p <=" if small else "z >=", r[1])] = r[0]
    # glrpois: the smallest c.ARL of the grid within the budget on const
    glr = sorted((m for m in methods if m.startswith("glrpois_")), key=lambda m: float(m[8:]))
    for m in glr:
        ev = evaluate({k: v for k, v in methods[m].items() if k[0] == "const"}, outbreaks)
        if "const" in ev and ev["const"]["sw"] and 1000 * ev["const"]["fa_alerts"] / ev["const"]["sw"] <= BUDGET:
            cal["glrpois with offset, calibrated (c.ARL %s)" % m[8:]] = methods[m]
            break
    nominal = {m: v for m, v in methods.items() if not m.startswith("glrpois_") or m == "glrpois_5"}
    if "glrpois_5" in nominal:
        nominal["glrpois with offset (c.ARL 5, default)"] = nominal.pop("glrpois_5")
    allm = dict(nominal)
    allm.update(cal)

    out = []
    out.append("### False alerts under the null (per 1,000 judged series-weeks; 95% interval)\n")
    out.append("| method | runs | " + " | ".join("%s: alerts / alarm-weeks" % s for s in NULLS + ["power"]) + " |")
    out.append("|---|---|" + "---|" * (len(NULLS) + 1))
    evals = {}
    for m, al in allm.items():
        ev = evaluate(al, outbreaks)
        evals[m] = ev
        cells = []
        for s in NULLS + ["power"]:
            e = ev.get(s)
            if not e or not e["runs"]:
                cells.append("–")
            else:
                cells.append("%s / %s" % (fmt_rate(e["fa_alerts"], e["sw"]),
                                          "%.2f" % (1000 * e["fa_weeks"] / e["sw"])))
        runs = sum(e["runs"] for e in ev.values())
        out.append("| %s | %d | %s |" % (m, runs, " | ".join(cells)))
    out.append("")
    out.append("### Outbreaks caught (power scenario), by size; median delay in weeks\n")
    out.append("| method | outbreaks | x1.5 | x2 | x3 | x4 | x2, 2 weeks, >= 10 expected/week: caught within 2 weeks |")
    out.append("|---|---|---|---|---|---|---|")
    for m, ev in evals.items():
        e = ev.get("power")
        if not e or not e["obs"]:
            continue
        obs = e["obs"]
        cells = []
        for size in (1.5, 2.0, 3.0, 4.0):
            sel = [o for o in obs if o["size"] == size]
            caught = [o for o in sel if o["caught"]]
            d = sorted(o["delay"] for o in caught)
            cells.append("%d/%d (%s)" % (len(caught), len(sel), d[len(d) // 2] if d else "–"))
        tgt = [o for o in obs if o["size"] == 2.0 and o["duration"] == 2 and o["expected"] >= 10]
        tc = [o for o in tgt if o["caught"] and o["delay"] <= 1]
        out.append("| %s | %d | %s | %d/%d |" % (m, len(obs), " | ".join(cells), len(tc), len(tgt)))
    out.append("")
    out.append("### Power by expected cases a week in the cell and duration (caught / planted)\n")
    out.append("| method | " + " | ".join("%s, %dw" % (c, d) for c in ("1-3", "3-10", ">=10") for d in (1, 2, 3, 4)) + " |")
    out.append("|---|" + "---|" * 12)
    for m, ev in evals.items():
        e = ev.get("power")
        if not e or not e["obs"]:
            continue
        cells = []
        for cat in (0, 1, 2):
            for dur in (1, 2, 3, 4):
                sel = [o for o in e["obs"] if o["category"] == cat and o["duration"] == dur]
                cells.append("%d/%d" % (sum(o["caught"] for o in sel), len(sel)))
        out.append("| %s | %s |" % (m, " | ".join(cells)))
    text = "\n".join(out) + "\n"
    print(text)
    if md_out:
        with open(md_out, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""risks_oracle.py - checks needlewatch-analyze's risks, serious cases, skin
trends (per device type and adjusted), serious change and data quality
against an independent computation from what the generator produced.

Usage:
  risks_oracle.py json DUMP.jsonl REPORT.json
      From the loadgen --dump alone (never the database), with the report's
      own as_of, horizons and window: the current treatments and
      complications; for every horizon H the eligible treatments (dated on
      or before as_of - H), the cases within H (a report of the type whose
      onset_days <= H, or absent), the serious ones (severe or permanent)
      and those resting on a missing onset alone, per device type x setting
      x skin type with their margins; then every "risks" row, the serious
      fields of every "rates" row, every "skin_trend" row (Cochran-Armitage
      per device type and pooled), every "skin_trend_adjusted" row (Mantel's
      extension test, written out here), "serious_change" and
      "data_quality". Counts exactly, numbers within 1e-9.
  risks_oracle.py text REPORT.txt REPORT.json
      The text report: no line wider than 100 characters, and it opens with
      the JSON's summary lines (each followed by where the detail is).
  risks_oracle.py trend REPORT.json SETTING COMPLICATION
      Prints "pooled clear|not clear, adjusted clear|not clear": whether the
      pooled trend of the JSON's skin_trend (all device types) rises clearly
      (p < 0.05) and whether the adjusted one is clear.
  risks_oracle.py pooled-only REPORT.json COMPLICATION
      Prints yes when the summary lists the complication among the trends
      that hold pooled but not within device types.
Prints what it compared and the mismatches; exits 1 on any.
"""
import datetime
import json
import math
import sys

Z = 1.959963984540054
TYPES = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage", "fat_loss",
         "granuloma", "dryness_peeling", "acne_flare", "other"]
COMPS = ["any"] + TYPES
DEVICES = ["derma_roller", "derma_stamp", "microneedling_pen", "rf_microneedling", "other"]
SETTINGS = ["home", "clinic"]
SKINS = ["I", "II", "III", "IV", "V", "VI", "unknown"]
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}
# needlewatch.reporting_lag_buckets(): label, lowest and highest lag (days).
LAGS = [("not reported", None, None), ("before the treatment date", None, -1),
        ("same day", 0, 0), ("next day", 1, 1), ("2-7 days", 2, 7), ("8-14 days", 8, 14),
        ("15-30 days", 15, 30), ("31-60 days", 31, 60), ("61-90 days", 61, 90),
        ("91-180 days", 91, 180), ("181-365 days", 181, 365), ("more than 365 days", 366, None)]

bad = []


def wilson(x, n):
    p = x / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z / d * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return p, (0.0 if x == 0 else max(0.0, c - h)), (1.0 if x == n else min(1.0, c + h))


def close(a, b, what):
    if a is None or b is None:
        if a is not b:
            bad.append("%s: expected %s, got %s" % (what, a, b))
        return
    if abs(a - b) > 1e-9 * max(1.0, abs(a)):
        bad.append("%s: expected %r, got %r" % (what, a, b))


def same(a, b, what):
    if a != b:
        bad.append("%s: expected %r, got %r" % (what, a, b))


def current(records):
    """report_id -> its highest version (the first stored copy wins)."""
    best = {}
    for v in records:
        ver = v.get("version", 1)
        if v["report_id"] not in best or ver > best[v["report_id"]].get("version", 1):
            best[v["report_id"]] = v
    return {rid: v for rid, v in best.items() if not v.get("nullified", False)}


def day(s):
    return datetime.date.fromisoformat(s[:10])


def lag_bucket(reported_at, treated_on):
    if reported_at is None:
        return 0
    lag = (day(reported_at) - day(treated_on)).days
    for i, (_, lo, hi) in enumerate(LAGS[1:], 1):
        if (lo is None or lag >= lo) and (hi is None or lag <= hi):
            return i
    raise ValueError(lag)


def cochran_armitage(groups):
    """groups: (cases, n, score); z, p or None (prop.trend.test)."""
    n = sum(g[1] for g in groups)
    x = sum(g[0] for g in groups)
    if n == 0 or x == 0 or x == n:
        return None
    pbar, sbar = x / n, sum(g[1] * g[2] for g in groups) / n
    t = sum(g[0] * (g[2] - sbar) for g in groups)
    ss = sum(g[1] * (g[2] - sbar) ** 2 for g in groups)
    if ss <= 0:
        return None
    z = t / math.sqrt(pbar * (1 - pbar) * ss)
    return z, math.erfc(abs(z) / math.sqrt(2))


def mantel_extension(strata):
    """strata: lists of (cases, n, score); Mantel (1963): z, p or None."""
    num = var = 0.0
    for groups in strata:
        n = sum(g[1] for g in groups)
        m = sum(g[0] for g in groups)
        if n < 2 or m == 0 or m == n:
            continue
        sbar = sum(g[1] * g[2] for g in groups) / n
        ss = sum(g[1] * (g[2] - sbar) ** 2 for g in groups)
        if ss <= 0:
            continue
        num += sum(g[0] * (g[2] - sbar) for g in groups)
        var += m * (n - m) / (n * (n - 1)) * ss
    if var <= 0:
        return None
    z = num / math.sqrt(var)
    return z, math.erfc(abs(z) / math.sqrt(2))


def direction(t):
    if t is None:
        return "not computable"
    if t[1] >= 0.05:
        return "no clear trend"
    return "rising with skin type" if t[0] > 0 else "falling with skin type"


def check_json(dump, report):
    treat, comp = [], []
    invalid = 0
    for line in open(dump, encoding="utf-8"):
        rec = json.loads(line)
        v = rec["value"]
        if not isinstance(v, dict):
            invalid += 1
            continue
        (treat if "treated_on" in v else comp).append(v)
    out = json.load(open(report, encoding="utf-8"))
    treatments = current(treat)
    complications = current(comp)
    w_from, w_to = out["window"]["from"], out["window"]["to"]
    as_of = datetime.date.fromisoformat(out["as_of"])
    horizons = out["horizons"]
    window = {rid: t for rid, t in treatments.items()
              if (w_from is None or t["treated_on"] >= w_from)
              and (w_to is None or t["treated_on"] <= w_to)}
    reports = {}
    for c in complications.values():
        if c["treatment_id"] in window:
            reports.setdefault(c["treatment_id"], []).append(c)

    def serious(c):
        return c.get("severity") == "severe" or c.get("outcome") == "permanent"

    # Per treatment and complication ("any" and each type): its reports.
    def of_type(rid, ty):
        return [c for c in reports.get(rid, []) if ty == "any" or c["type"] == ty]

    def cell_keys(t):
        skin = ROMAN.get(t.get("skin", {}).get("fitzpatrick"), "unknown")
        for d in (t["device"]["type"], "all"):
            for s in (t["setting"], "all"):
                for k in (skin, "all"):
                    yield d, s, k

    # --- risks
    risks = {}
    for h in horizons:
        last = (as_of - datetime.timedelta(days=h)).isoformat()
        for rid, t in window.items():
            if t["treated_on"] > last:
                continue
            counts = []
            for ty in COMPS:
                rs = of_type(rid, ty)
                within = [c for c in rs if c.get("onset_days") is None or c["onset_days"] <= h]
                known = [c for c in within if c.get("onset_days") is not None]
                counts.append((bool(within), any(serious(c) for c in within),
                               bool(within) and not known))
            for key in cell_keys(t):
                for ty, (case, ser, miss) in zip(COMPS, counts):
                    r = risks.setdefault(key + (ty, h), [0, 0, 0, 0])
                    r[0] += 1
                    r[1] += case
                    r[2] += ser
                    r[3] += miss
    got = {(r["device_type"], r["setting"], r["skin_type"], r["complication"], r["horizon_days"]): r
           for r in out["risks"]}
    same(len(out["risks"]), len(got), "risks: distinct rows")
    if set(got) != set(risks):
        bad.append("risks rows: missing %s, extra %s" % (sorted(set(risks) - set(got))[:4],
                                                        sorted(set(got) - set(risks))[:4]))
    missing_cases = 0
    for key, (n, x, sx, mx) in risks.items():
        r = got.get(key)
        if r is None:
            continue
        what = "risks%s" % (key,)
        same((n, x, sx, mx), (r["treatments"], r["cases"], r["serious_cases"],
                              r["missing_onset_cases"]), what + " counts")
        same(r["as_of"], out["as_of"], what + ".as_of")
        for f, v in zip(("rate", "ci_low", "ci_high"), wilson(x, n)):
            close(v, r[f], what + "." + f)
        for f, v in zip(("serious_rate", "serious_ci_low", "serious_ci_high"), wilson(sx, n)):
            close(v, r[f], what + "." + f)
        if key[:4] == ("all", "all", "all", "any"):
            missing_cases += mx

    # --- the serious fields of the rates (all follow-up)
    cube = {}
    for rid, t in window.items():
        flags = [(bool(of_type(rid, ty)), any(serious(c) for c in of_type(rid, ty)))
                 for ty in COMPS]
        for key in cell_keys(t):
            for ty, (case, ser) in zip(COMPS, flags):
                r = cube.setdefault(key + (ty,), [0, 0, 0])
                r[0] += 1
                r[1] += case
                r[2] += ser
    for r in out["rates"]:
        key = (r["device_type"], r["setting"], r["skin_type"], r["complication"])
        n, x, sx = cube.get(key, (0, 0, 0))
        what = "rates%s" % (key,)
        same((n, x, sx), (r["treatments"], r["cases"], r["serious_cases"]), what + " counts")
        if n:
            for f, v in zip(("serious_rate", "serious_ci_low", "serious_ci_high"),
                            wilson(sx, n)):
                close(v, r[f], what + "." + f)

    # --- skin trends: per device type and pooled, and adjusted
    def groups(d, s, ty):
        return [(cube.get((d, s, k, ty), (0, 0, 0))[1], cube.get((d, s, k, ty), (0, 0, 0))[0],
                 i + 1) for i, k in enumerate(SKINS[:6])]

    devices = [d for d in DEVICES if (d, "all", "all", "any") in cube]
    want = {}
    for d in devices + ["all"]:
        for s in SETTINGS + ["all"]:
            for ty in COMPS:
                want[(d, s, ty)] = (groups(d, s, ty), cochran_armitage(groups(d, s, ty)))
    got = {(r["device_type"], r["setting"], r["complication"]): r for r in out["skin_trend"]}
    if set(got) != set(want):
        bad.append("skin_trend rows: missing %s, extra %s" % (sorted(set(want) - set(got))[:4],
                                                             sorted(set(got) - set(want))[:4]))
    for key, (g, t) in want.items():
        r = got.get(key)
        if r is None:
            continue
        what = "skin_trend%s" % (key,)
        same(([x[1] for x in g], [x[0] for x in g]), (r["treatments"], r["cases"]),
             what + " counts")
        close(None if t is None else t[0], r["z"], what + ".z")
        close(None if t is None else t[1], r["p_value"], what + ".p_value")
        same(direction(t), r["direction"], what + ".direction")
    adjusted = {}
    for s in SETTINGS + ["all"]:
        for ty in COMPS:
            strata = [groups(d, st, ty) for d in DEVICES for st in SETTINGS
                      if s in ("all", st)]
            adjusted[(s, ty)] = mantel_extension(strata)
    got = {(r["setting"], r["complication"]): r for r in out["skin_trend_adjusted"]}
    same(sorted(got), sorted(adjusted), "skin_trend_adjusted rows")
    for key, t in adjusted.items():
        r = got.get(key)
        if r is None:
            continue
        what = "skin_trend_adjusted%s" % (key,)
        close(None if t is None else t[0], r["z"], what + ".z")
        close(None if t is None else t[1], r["p_value"], what + ".p_value")
        same(direction(t), r["direction"], what + ".direction")

    # --- the serious change: the first horizon, the latest 90 eligible days
    # against the 90 before, within the window
    ch = out["serious_change"]
    h = horizons[0]
    end = as_of - datetime.timedelta(days=h)
    periods = {}
    for name, a, b in (("recent", end - datetime.timedelta(days=89), end),
                       ("previous", end - datetime.timedelta(days=179),
                        end - datetime.timedelta(days=90))):
        if w_from is not None and a.isoformat() < w_from:
            a = datetime.date.fromisoformat(w_from)
        if w_to is not None and b.isoformat() > w_to:
            b = datetime.date.fromisoformat(w_to)
        if a > b:
            periods[name] = (None, None, 0, 0)
            continue
        n = sx = 0
        for rid, t in window.items():
            if a.isoformat() <= t["treated_on"] <= b.isoformat():
                n += 1
                sx += any(serious(c) for c in of_type(rid, "any")
                          if c.get("onset_days") is None or c["onset_days"] <= h)
        periods[name] = (a.isoformat(), b.isoformat(), n, sx)
        p = ch[name]
        same((a.isoformat(), b.isoformat(), n, sx),
             (p["from"], p["to"], p["treatments"], p["serious_cases"]), "serious_change." + name)
    (_, _, n1, a1), (_, _, n0, a0) = periods["recent"], periods["previous"]
    if a1 and a0:
        rr = (a1 / n1) / (a0 / n0)
        se = math.sqrt(1 / a1 - 1 / n1 + 1 / a0 - 1 / n0)
        close(rr, ch["rate_ratio"], "serious_change.rate_ratio")
        close(math.exp(math.log(rr) - Z * se), ch["rate_ratio_ci_low"], "serious_change.ci_low")
        close(math.exp(math.log(rr) + Z * se), ch["rate_ratio_ci_high"], "serious_change.ci_high")
    else:
        same(None, ch["rate_ratio"], "serious_change.rate_ratio")

    # --- data quality
    q = out["data_quality"]
    n = len(window)
    n_reports = sum(len(v) for v in reports.values())
    unknown = sum(1 for t in window.values() if "fitzpatrick" not in t.get("skin", {}))
    no_model = sum(1 for t in window.values()
                   if "manufacturer" not in t["device"] or "model" not in t["device"])
    no_onset = sum(1 for v in reports.values() for c in v if c.get("onset_days") is None)
    same((n, n_reports), (q["treatments"], q["complication_reports"]), "data_quality totals")
    for key, x, of in (("unknown_skin_type", unknown, n), ("missing_manufacturer_or_model",
                                                            no_model, n),
                       ("missing_onset_days", no_onset, n_reports)):
        same(x, q[key]["count"], "data_quality.%s.count" % key)
        if of:
            close(x / of, q[key]["share"], "data_quality.%s.share" % key)
    lag_t = [0] * len(LAGS)
    lag_r = [0] * len(LAGS)
    for rid, t in window.items():
        lag_t[lag_bucket(t.get("reported_at"), t["treated_on"])] += 1
        for c in reports.get(rid, []):
            lag_r[lag_bucket(c.get("reported_at"), t["treated_on"])] += 1
    got_t = [(x["lag"], x["count"]) for x in q["reporting_lag"]["treatments"]]
    got_r = [(x["lag"], x["count"]) for x in q["reporting_lag"]["complication_reports"]]
    same([(LAGS[i][0], lag_t[i]) for i in range(len(LAGS))], got_t, "reporting lag (treatments)")
    same([(LAGS[i][0], lag_r[i]) for i in range(len(LAGS))], got_r, "reporting lag (reports)")
    latest_t = max((t["reported_at"][:10] for t in treatments.values() if t.get("reported_at")),
                   default=None)
    latest_c = max((c["reported_at"][:10] for c in complications.values()
                    if c.get("reported_at")), default=None)
    same({"treatment": latest_t, "complication": latest_c}, q["latest_report"],
         "data_quality.latest_report")
    same(invalid, q["quarantined"], "data_quality.quarantined")
    reasons = q["quarantine_reasons"]
    total = sum(x["count"] for x in reasons)
    if total > invalid or (len(reasons) < 5 and total != invalid) or \
            [x["count"] for x in reasons] != sorted((x["count"] for x in reasons), reverse=True):
        bad.append("quarantine reasons %s, %d quarantined" % (reasons, invalid))

    missing_rows = sum(1 for r in out["risks"] if r["missing_onset_cases"])
    print("%d risks rows (%d horizons: %s; %d with a missing-onset case, %d such cases in "
          "all/any), %d rates rows, %d skin_trend and %d adjusted rows compared; %d mismatches"
          % (len(risks), len(horizons), horizons, missing_rows, missing_cases, len(out["rates"]),
             len(want), len(adjusted), len(bad)))
    if missing_rows == 0:
        bad.append("no risk rests on a missing onset: the population does not test that")


def check_text(text_path, report):
    out = json.load(open(report, encoding="utf-8"))
    lines = open(text_path, encoding="utf-8").read().split("\n")
    wide = [(i + 1, len(l)) for i, l in enumerate(lines) if len(l) > 100]
    if wide:
        bad.append("%d lines wider than 100 characters, e.g. line %d: %d" % (
            len(wide), wide[0][0], wide[0][1]))
    # The summary: after its heading, "- " items, continued by "  " lines.
    try:
        start = lines.index("Summary") + 2
    except ValueError:
        bad.append("no Summary section")
        return
    items, cur = [], None
    for l in lines[start:]:
        if l.startswith("- "):
            cur = [l[2:]]
            items.append(cur)
        elif l.startswith("  ") and cur is not None:
            cur.append(l[2:])
        else:
            break
    items = [" ".join(x) for x in items]
    want = ["%s (see %s)" % (s["text"], s["section"]) for s in out["summary"]]
    if items != want:
        bad.append("text summary %r, JSON %r" % (items[:3], want[:3]))
    headings = [l for l, u in zip(lines, lines[1:]) if u and set(u) == {"="}]
    for s in out["summary"]:
        if not any(s["section"] in h for h in headings):
            bad.append("no section %r for the summary's pointer" % s["section"])
    first = min((i for i, l in enumerate(lines) if l in ("Totals", "How to read this report")),
                default=0)
    if start > first:
        bad.append("the summary does not open the report")
    print("%d lines, %d summary lines checked; %d mismatches" % (len(lines), len(items), len(bad)))


def trend(report, setting, comp):
    d = json.load(open(report, encoding="utf-8"))
    p = [r for r in d["skin_trend"]
         if (r["device_type"], r["setting"], r["complication"]) == ("all", setting, comp)][0]
    a = [r for r in d["skin_trend_adjusted"]
         if (r["setting"], r["complication"]) == (setting, comp)][0]
    sys.stderr.write("%s %s: pooled z %.2f p %.3g; within device types z %.2f p %.3g\n" % (
        setting, comp, p["z"], p["p_value"], a["z"], a["p_value"]))
    print("pooled %s, adjusted %s" % (
        "clear" if p["p_value"] < 0.05 and p["z"] > 0 else "not clear",
        "clear" if a["p_value"] < 0.05 else "not clear"))


def pooled_only(report, comp):
    d = json.load(open(report, encoding="utf-8"))
    title = comp.replace("_", " ").capitalize()
    print("yes" if any(s["kind"] == "skin_trend" and "not within them" in s["text"]
                       and title in s["text"] for s in d["summary"]) else "no")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "json":
        check_json(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "text":
        check_text(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "trend":
        trend(*sys.argv[2:5])
        return
    elif len(sys.argv) == 4 and sys.argv[1] == "pooled-only":
        pooled_only(*sys.argv[2:4])
        return
    else:
        sys.exit(__doc__)
    for b in bad[:30]:
        print("  " + b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

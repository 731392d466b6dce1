#!/usr/bin/env python3
"""html_check.py - checks the HTML report as a browser rendered it against
the JSON report of the same run (python3 standard library only).

  html_check.py dom REPORT.json DOM.html RAW.html [--suppressed]
      DOM.html is chromium --dump-dom of RAW.html (the file the analyzer
      wrote). Checks: no script, no event handler, nothing fetched from
      anywhere; the window and totals; the summary that opens the page (its
      lines are the JSON's, each linking to a section of the page, and the
      numbers of each are those of the JSON's detail rows); the alerts
      after it, in the JSON's order, each with its sentence and the numbers
      of its series and of also_in; every forest-plot row (crude per device
      type and all, adjusted), the counts beside it, its place on the log
      axis that every plot shares, and the uninformative ones (interval
      wider than a factor 100) marked; every skin-type bar and its height;
      the risks tables; the skin trend tables (pooled and adjusted, per
      device type); every weekly point of the plotted series as a rate with
      its Wilson interval, and the weeks not over yet marked incomplete; an
      alert marker on the first week of every alert; the signal tables, rows
      highlighted exactly when evans_signal; the data-quality section. With
      --suppressed: what the JSON hides is hidden here, and no count 1..N-1
      appears.
  html_check.py png SHOT.png
      The screenshot is not blank: many colours, enough non-white pixels,
      and the home and clinic colours of the charts among them.
Prints "ok" or the problems (at most 30).
"""
import datetime
import html.parser
import json
import math
import struct
import sys
import zlib

HOME_RGB = (0xD5, 0x5E, 0x00)
CLINIC_RGB = (0x00, 0x72, 0xB2)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent = tag, dict(attrs), parent
        self.children, self.text = [], []

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def all_text(self):
        out = list(self.text)
        for c in self.children:
            out.append(c.all_text())
        return "".join(out)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def find(self, cls=None, tag=None):
        return [n for n in self.walk() if (cls is None or cls in n.classes()) and
                (tag is None or n.tag == tag)]

    def ancestor(self, cls):
        n = self.parent
        while n is not None and cls not in n.classes():
            n = n.parent
        return n


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.text.append(data)


problems = []


def problem(msg):
    problems.append(msg)


def num(node, name):
    v = node.attrs.get(name)
    return None if v is None else float(v)


def same(a, b):
    """A data attribute (float or None) against a JSON value (number or null)."""
    if a is None or b is None:
        return a is None and b is None
    return float(a) == float(b)


def readable(v):
    """numfmt_ratio: two decimals, two significant digits below 0.1."""
    a = abs(v)
    decimals = 2
    if 0 < a < 0.1:
        decimals = min(8, 1 - math.floor(math.log10(a)))
    return "%.*f" % (decimals, v)


def per_1000(rate):
    """The per-1,000 label of a bar (analyze/render/charts.c's per_1000)."""
    v = rate * 1000.0
    return "0" if v == 0 else "%.1f" % v if v >= 1 else readable(v)


Z = 1.959963984540054


def wilson(x, n):
    p = x / n
    d = 1 + Z * Z / n
    c = (p + Z * Z / (2 * n)) / d
    h = Z / d * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return p, (0.0 if x == 0 else max(0.0, c - h)), (1.0 if x == n else min(1.0, c + h))


def close(a, b):
    return a is not None and b is not None and abs(float(a) - b) <= 1e-12 * max(1.0, abs(b))


def percent(v):
    """numfmt_percent: two decimals, two significant digits below 0.1%."""
    return readable(v * 100)


def check_safe(root, raw):
    if root.find(tag="script"):
        problem("a <script> element")
    for n in root.walk():
        for k, v in n.attrs.items():
            if k.startswith("on"):
                problem("event handler %s on <%s>" % (k, n.tag))
            if k in ("src", "href", "xlink:href", "action", "srcset", "poster", "data") and v \
                    and not v.startswith("#"):
                problem("<%s %s=%r> refers outside the page" % (n.tag, k, v))
    low = raw.lower()
    for bad in ("<script", "http://", "https://", "url(", "@import", "<link", "<iframe",
                "<img", "<object", "<embed"):
        if bad in low:
            problem("the file contains %r" % bad)


def check_head(root, d):
    if not root.find(tag="h1"):
        problem("no <h1>")
    w = root.find("window")
    if len(w) != 1:
        problem("window paragraph: %d" % len(w))
    else:
        for k in ("from", "to"):
            if (w[0].attrs.get("data-" + k) or None) != d["window"][k]:
                problem("window %s: %r, JSON %r" % (k, w[0].attrs.get("data-" + k), d["window"][k]))
    cells = {n.attrs["data-total"]: n for n in root.find("count", "td") if "data-total" in n.attrs}
    for k, v in d["totals"].items():
        if k not in cells:
            problem("total %s missing" % k)
        elif int(cells[k].attrs["data-value"]) != v or \
                cells[k].all_text().strip() != "{:,}".format(v):
            problem("total %s: %r, JSON %d" % (k, cells[k].all_text(), v))
    for cls in ("forest-plot", "skin-chart", "weekly-chart"):
        for svg in root.find(cls, "svg"):
            if not svg.find(tag="title") or not svg.find("legend") or not svg.find("axis-label"):
                problem("%s %s lacks a title, legend or axis label" % (cls, svg.attrs))


def check_forest(root, d):
    want = {}
    for r in d["home_vs_clinic"]:
        if r["skin_type"] == "all":
            want[(r["complication"], r["device_type"], "crude")] = r
    for r in d["home_vs_clinic_adjusted"]:
        want[(r["complication"], "all", "adjusted")] = r
    rows = root.find("forest-row")
    got = {}
    for g in rows:
        key = (g.attrs.get("data-complication"), g.attrs.get("data-device"), g.attrs.get("data-kind"))
        if key in got:
            problem("forest row twice: %s" % (key,))
        got[key] = g
    if set(got) != set(want):
        problem("forest rows: missing %s, extra %s" % (sorted(set(want) - set(got))[:5],
                                                      sorted(set(got) - set(want))[:5]))
    for svg in root.find("forest-plot", "svg"):
        if len(svg.find("ref-line")) != 1:
            problem("forest plot %s: no reference line" % svg.attrs.get("data-complication"))
    for key, r in want.items():
        g = got.get(key)
        if g is None:
            continue
        est = r["rate_ratio"] if key[2] == "crude" else r["mh_rate_ratio"]
        if r.get("suppressed"):
            if g.attrs.get("data-suppressed") != "true" or "data-rr" in g.attrs or \
                    "data-home-cases" in g.attrs or "suppressed" not in g.all_text():
                problem("forest %s: suppressed in JSON, not here" % (key,))
            continue
        if g.attrs.get("data-suppressed"):
            problem("forest %s: suppressed here, not in JSON" % (key,))
        if not (same(num(g, "data-rr"), est) and same(num(g, "data-lo"), r["ci_low"]) and
                same(num(g, "data-hi"), r["ci_high"])):
            problem("forest %s: %s %s %s, JSON %s %s %s" % (key, g.attrs.get("data-rr"),
                    g.attrs.get("data-lo"), g.attrs.get("data-hi"), est, r["ci_low"], r["ci_high"]))
            continue
        if key[2] == "crude":
            for side in ("home", "clinic"):
                for k in ("cases", "treatments"):
                    if int(g.attrs["data-%s-%s" % (side, k)]) != r[side][k]:
                        problem("forest %s: %s %s" % (key, side, k))
        text = g.all_text()
        if est is None:
            if "n/a" not in text:
                problem("forest %s: undefined ratio not said n/a: %r" % (key, text))
            continue
        label = "%s (%s\u2013%s)" % (readable(est), readable(r["ci_low"]), readable(r["ci_high"]))
        if label not in text:
            problem("forest %s: text %r lacks %r" % (key, text, label))
        plot = g.ancestor("plot")
        lo, hi = float(plot.attrs["data-min"]), float(plot.attrs["data-max"])
        x0, x1 = float(plot.attrs["data-x0"]), float(plot.attrs["data-x1"])
        pts = g.find("point")
        if len(pts) != 1:
            problem("forest %s: %d points" % (key, len(pts)))
        elif lo <= est <= hi:
            x = x0 + (x1 - x0) * (math.log(est) - math.log(lo)) / (math.log(hi) - math.log(lo))
            if abs(float(pts[0].attrs["data-cx"]) - x) > 0.06:
                problem("forest %s: point at x %s, ratio %g is at %.2f" % (
                    key, pts[0].attrs["data-cx"], est, x))
        if key[2] == "adjusted" and pts and pts[0].tag != "path":
            problem("forest %s: the adjusted ratio is not a diamond" % (key,))
        vague = r["ci_high"] > r["ci_low"] * 100
        if vague != (g.attrs.get("data-uninformative") == "true") or \
                vague != ("uninformative" in text):
            problem("forest %s: interval %s-%s marked uninformative %s" % (
                key, r["ci_low"], r["ci_high"], g.attrs.get("data-uninformative")))
    # The counts behind each crude ratio, as text beside it.
    for key, r in want.items():
        g = got.get(key)
        if g is None or key[2] != "crude" or r.get("suppressed"):
            continue
        counts = "%s/%s vs %s/%s" % tuple("{:,}".format(r[side][k]) for side in ("home", "clinic")
                                          for k in ("cases", "treatments"))
        if counts not in g.all_text():
            problem("forest %s: the counts %r are not shown" % (key, counts))
    # One axis for every plot of the page, holding every informative interval.
    axes = {(p.attrs.get("data-min"), p.attrs.get("data-max"))
            for svg in root.find("forest-plot", "svg") for p in svg.find("plot")}
    if len(axes) != 1:
        problem("forest plots do not share an axis: %s" % sorted(axes))
    else:
        lo, hi = (float(x) for x in next(iter(axes)))
        for key, r in want.items():
            if r.get("suppressed") or r["ci_low"] is None or r["ci_high"] > r["ci_low"] * 100:
                continue
            if r["ci_low"] < lo or r["ci_high"] > hi:
                problem("forest %s: interval %s-%s outside the shared axis %s-%s" % (
                    key, r["ci_low"], r["ci_high"], lo, hi))


def check_skin(root, d):
    want = {(r["complication"], r["setting"], r["skin_type"]): r for r in d["rates"]
            if r["device_type"] == "all" and r["setting"] in ("home", "clinic")
            and r["skin_type"] in ("I", "II", "III", "IV", "V", "VI")}
    got = {}
    for b in root.find("skin-bar"):
        key = (b.attrs.get("data-complication"), b.attrs.get("data-setting"), b.attrs.get("data-skin"))
        if key in got:
            problem("skin bar twice: %s" % (key,))
        got[key] = b
    if set(got) != set(want):
        problem("skin bars: missing %s, extra %s" % (sorted(set(want) - set(got))[:5],
                                                    sorted(set(got) - set(want))[:5]))
    for key, r in want.items():
        b = got.get(key)
        if b is None:
            continue
        if r.get("suppressed"):
            if b.attrs.get("data-suppressed") != "true" or any(
                    a in b.attrs for a in ("data-rate", "data-cases", "data-treatments", "data-lo",
                                           "data-hi")) or float(b.attrs.get("height", "1")) != 0:
                problem("skin %s: suppressed in JSON, not here: %s" % (key, b.attrs))
            continue
        if not all(same(num(b, "data-" + a), r[k]) for a, k in (
                ("rate", "rate"), ("lo", "ci_low"), ("hi", "ci_high"), ("cases", "cases"),
                ("treatments", "treatments"))):
            problem("skin %s: %s, JSON %s" % (key, b.attrs, r))
            continue
        plot = b.ancestor("plot")
        y0, y1, ymax = (float(plot.attrs[k]) for k in ("data-y0", "data-y1", "data-y-max"))
        height = (y1 - y0) * r["rate"] * 1000 / ymax
        if abs(float(b.attrs["height"]) - height) > 0.06 or \
                abs(float(b.attrs["y"]) + float(b.attrs["height"]) - y1) > 0.11:
            problem("skin %s: bar height %s, rate %g gives %.2f" % (key, b.attrs["height"],
                                                                   r["rate"], height))
        if r["ci_high"] * 1000 > ymax:
            problem("skin %s: interval above the axis" % (key,))
        labels = [t for t in plot.find("bar-value") if t.attrs.get("data-setting") == key[1]
                  and t.attrs.get("data-skin") == key[2]
                  and t.ancestor("skin-chart").attrs.get("data-complication") == key[0]]
        if len(labels) != 1 or labels[0].all_text().strip() != per_1000(r["rate"]):
            problem("skin %s: value label %r, want %r" % (
                key, [t.all_text() for t in labels], per_1000(r["rate"])))


def check_weekly(root, d):
    weeks = d["weekly"]["weeks"]
    # The week not over at the cut (the as-of date, or --to when earlier) and
    # those after it are incomplete: a Monday later than cut - 6 days.
    cut = min(x for x in (d["as_of"], d["window"]["to"]) if x)
    cut_monday = (datetime.date.fromisoformat(cut) - datetime.timedelta(days=6)).isoformat()
    series = {(s["device_type"], s["setting"]): s for s in d["weekly"]["series"]}
    alerts = d["alerts"]
    want_charts = {(dev, "any") for dev, _ in series}
    want_charts |= {(a["device_type"], a["complication"]) for a in alerts}
    charts = {}
    for svg in root.find("weekly-chart", "svg"):
        key = (svg.attrs.get("data-device"), svg.attrs.get("data-complication"))
        if key in charts:
            problem("weekly chart twice: %s" % (key,))
        charts[key] = svg
    if set(charts) != want_charts:
        problem("weekly charts: missing %s, extra %s" % (sorted(want_charts - set(charts))[:5],
                                                        sorted(set(charts) - want_charts)[:5]))
    for (dev, comp), svg in charts.items():
        plot = svg.find("plot")[0]
        y0, y1, ymax = (float(plot.attrs[k]) for k in ("data-y0", "data-y1", "data-y-max"))
        points = {}
        for p in svg.find("week-point"):
            points[(p.attrs["data-setting"], p.attrs["data-week-start"])] = p
        for st in ("home", "clinic", "all"):
            s = series.get((dev, st))
            if s is None:
                problem("weekly %s %s: no JSON series" % (dev, st))
                continue
            values = s["cases"][comp]
            for w, v, n in zip(weeks, values, s["treatments"]):
                p = points.pop((st, w), None)
                incomplete = w > cut_monday
                if p is None:
                    problem("weekly %s %s %s: no point for %s" % (dev, st, comp, w))
                    continue
                if incomplete != (p.attrs.get("data-incomplete") == "true"):
                    problem("weekly %s %s %s %s: incomplete %s, the cut is %s" % (
                        dev, st, comp, w, p.attrs.get("data-incomplete"), cut))
                if v is None or n is None:
                    if p.attrs.get("data-suppressed") != "true" or "data-cases" in p.attrs:
                        problem("weekly %s %s %s %s: suppressed in JSON, not here" % (dev, st, comp, w))
                elif p.attrs.get("data-cases") != str(v) or p.attrs.get("data-treatments") != str(n):
                    problem("weekly %s %s %s %s: %s/%s, JSON %s/%s" % (
                        dev, st, comp, w, p.attrs.get("data-cases"), p.attrs.get("data-treatments"),
                        v, n))
                elif n == 0:
                    if "data-rate" in p.attrs:
                        problem("weekly %s %s %s %s: a rate without treatments" % (dev, st, comp, w))
                else:
                    rate, lo, hi = wilson(v, n)
                    if not (close(p.attrs.get("data-rate"), rate) and close(p.attrs.get("data-lo"), lo)
                            and close(p.attrs.get("data-hi"), hi)):
                        problem("weekly %s %s %s %s: rate %s (%s-%s), want %r (%r-%r)" % (
                            dev, st, comp, w, p.attrs.get("data-rate"), p.attrs.get("data-lo"),
                            p.attrs.get("data-hi"), rate, lo, hi))
                    elif abs(float(p.attrs["cy"]) - (y1 - (y1 - y0) * min(rate * 1000, ymax) / ymax)) \
                            > 0.06:
                        problem("weekly %s %s %s %s: point at y %s for %r per 1,000" % (
                            dev, st, comp, w, p.attrs["cy"], rate * 1000))
        if points:
            problem("weekly %s %s: points not in the JSON: %s" % (dev, comp, list(points)[:3]))
    markers = {}
    for m in root.find("alert-marker"):
        key = (m.attrs.get("data-device"), m.attrs.get("data-setting"),
               m.attrs.get("data-complication"), m.attrs.get("data-week"))
        if key in markers:
            problem("alert marker twice: %s" % (key,))
        markers[key] = m
    for a in alerts:
        key = (a["device_type"], a["setting"], a["complication"], a["week"])
        m = markers.pop(key, None)
        if m is None:
            problem("alert %s: no marker" % (key,))
            continue
        svg = m.ancestor("weekly-chart")
        if svg is None or (svg.attrs["data-device"], svg.attrs["data-complication"]) != key[::2]:
            problem("alert %s: marker outside its chart" % (key,))
            continue
        if m.attrs.get("data-week-start") != a["week_start"] or \
                m.attrs.get("data-last-week-start") != a["last_week_start"]:
            problem("alert %s: weeks %s..%s" % (key, m.attrs.get("data-week-start"),
                                                 m.attrs.get("data-last-week-start")))
        point = [p for p in svg.find("week-point") if p.attrs["data-setting"] == a["setting"]
                 and p.attrs["data-week"] == a["week"]]
        if len(point) != 1 or abs(float(point[0].attrs["cx"]) - float(m.attrs["data-cx"])) > 0.06:
            problem("alert %s: marker not at its first week's point" % (key,))
        if a["suppressed"]:
            if m.attrs.get("data-suppressed") != "true" or "data-observed" in m.attrs:
                problem("alert %s: suppressed in JSON, not here" % (key,))
        elif m.attrs.get("data-observed") != str(a["observed"]) or \
                not same(num(m, "data-expected"), a["expected"]) or \
                not same(num(m, "data-q-value"), a["q_value"]):
            problem("alert %s: marker %s, JSON %s" % (key, m.attrs, a))
    if markers:
        problem("alert markers not in the JSON: %s" % list(markers)[:3])


def evidence_matches(node, a):
    """A block's data-* attributes against its JSON object."""
    if a["suppressed"]:
        return node.attrs.get("data-suppressed") == "true" and "data-observed" not in node.attrs
    return (node.attrs.get("data-observed") == str(a["observed"]) and
            node.attrs.get("data-treatments") == str(a["treatments"]) and
            same(num(node, "data-expected"), a["expected"]) and
            same(num(node, "data-p-value"), a["p_value"]) and
            same(num(node, "data-q-value"), a["q_value"]))


def check_alerts(root, d):
    """The alerts come first after the summary, in the JSON's order (most
    serious first), each with its sentence and the numbers of its own series
    and of also_in."""
    alerts = d["alerts"]
    sections = [n for n in root.find(tag="section") if n.attrs.get("id") != "summary"]
    if not sections or sections[0].attrs.get("id") != "alerts":
        problem("the first section after the summary is %s, not the alerts" % (
            sections[0].attrs if sections else None))
        return
    rows = root.find("alert-row")
    if len(rows) != len(alerts):
        problem("alerts: %d shown, JSON %d" % (len(rows), len(alerts)))
    for rank, (li, a) in enumerate(zip(rows, alerts), 1):
        key = (a["device_type"], a["setting"], a["complication"], a["week_start"])
        if (li.attrs.get("data-device"), li.attrs.get("data-setting"),
                li.attrs.get("data-complication"), li.attrs.get("data-week-start")) != key or \
                li.attrs.get("data-last-week-start") != a["last_week_start"] or \
                li.attrs.get("data-rank") != str(rank) or not evidence_matches(li, a):
            problem("alert %d %s: %s" % (rank, key, li.attrs))
            continue
        sentence = li.find("alert-sentence")
        if len(sentence) != 1 or sentence[0].all_text() != a["sentence"]:
            problem("alert %s: sentence %r, JSON %r" % (key, [x.all_text() for x in sentence],
                                                         a["sentence"]))
        own = li.find("alert-own", "tr")
        also = li.find("also-in", "tr")
        if len(own) != 1 or len(also) != len(a["also_in"]):
            problem("alert %s: %d own rows, %d also_in rows (JSON %d)" % (
                key, len(own), len(also), len(a["also_in"])))
            continue
        cells = [c.all_text() for c in own[0].find(tag="td")]
        if a["suppressed"] and cells[2:9] != ["suppressed"] * 7:
            problem("alert %s: suppressed in JSON, shown here %s" % (key, cells))
        for tr, m in zip(also, a["also_in"]):
            if (tr.attrs.get("data-device"), tr.attrs.get("data-setting"),
                    tr.attrs.get("data-complication")) != \
                    (m["device_type"], m["setting"], m["complication"]) or \
                    not evidence_matches(tr, m):
                problem("alert %s also_in %s: %s" % (key, m, tr.attrs))


def check_signals(root, d):
    for table_cls, rows, keys in (("by-device", d["signals"], ("device_type",)),
                                  ("by-model", d["signals_by_model"], ("manufacturer", "model"))):
        tables = root.find(table_cls, "table")
        if len(tables) != 1:
            problem("signals table %s: %d" % (table_cls, len(tables)))
            continue
        trs = tables[0].find("signal-row", "tr")
        if len(trs) != len(rows):
            problem("signals %s: %d rows, JSON %d" % (table_cls, len(trs), len(rows)))
        for tr, r in zip(trs, rows):
            attrs = ["data-device"] if table_cls == "by-device" else ["data-manufacturer",
                                                                      "data-model"]
            label = tuple(tr.attrs.get(a) for a in attrs) + (tr.attrs.get("data-complication"),)
            want = tuple(r[k] for k in keys) + (r["complication"],)
            if label != want:
                problem("signals %s: row %s, JSON %s" % (table_cls, label, want))
                continue
            cells = [td.all_text() for td in tr.find(tag="td")]
            for k in keys:  # the names, as text (escaping undone by the parser)
                if r[k] not in cells and table_cls == "by-model":
                    problem("signals %s: %r not shown as text in %r" % (table_cls, r[k], cells))
            highlighted = "signal" in tr.classes()
            if highlighted != bool(r["evans_signal"]):
                problem("signals %s %s: highlighted %s, evans_signal %s" % (
                    table_cls, want, highlighted, r["evans_signal"]))
            if r["suppressed"]:
                if tr.attrs.get("data-suppressed") != "true" or "data-a" in tr.attrs or \
                        "data-prr" in tr.attrs:
                    problem("signals %s %s: suppressed in JSON, not here" % (table_cls, want))
                continue
            if tr.attrs.get("data-a") != str(r["a"]) or not same(num(tr, "data-prr"), r["prr"]) \
                    or not same(num(tr, "data-prr-lo"), r["prr_ci_low"]) \
                    or not same(num(tr, "data-prr-hi"), r["prr_ci_high"]) \
                    or tr.attrs.get("data-evans") != ("true" if r["evans_signal"] else "false"):
                problem("signals %s %s: %s, JSON %s" % (table_cls, want, tr.attrs, r))
            if "{:,}".format(r["a"]) not in cells:
                problem("signals %s %s: reports %d not shown" % (table_cls, want, r["a"]))
    n = sum(1 for r in d["signals"] if r["evans_signal"])
    counts = root.find("signal-count")
    if not counts or counts[0].attrs.get("data-n") != str(n):
        problem("signal count %s, JSON %d" % (counts and counts[0].attrs, n))


ANCHORS = {"serious": "risks", "serious_change": "risks", "skin_trend": "skin-trends",
           "home_vs_clinic": "home-vs-clinic", "alert": "alerts", "signal": "signals"}


def check_summary(root, d):
    """The page opens with the JSON's summary lines, each linking to its
    section; the numbers of each line are those of the JSON's rows."""
    items = root.find("summary-item", "li")
    want = d["summary"]
    if [i.attrs.get("data-kind") for i in items] != [w["kind"] for w in want]:
        problem("summary kinds %s, JSON %s" % ([i.attrs.get("data-kind") for i in items],
                                              [w["kind"] for w in want]))
        return
    main = root.find(tag="main")
    if not main or not main[0].children or main[0].children[0].attrs.get("id") != "summary":
        problem("the summary does not open the page")
    ids = {n.attrs.get("id") for n in root.walk() if n.attrs.get("id")}
    rates = {(r["device_type"], r["setting"], r["skin_type"], r["complication"]): r
             for r in d["rates"]}
    adjusted = {(r["setting"], r["complication"]): r for r in d["skin_trend_adjusted"]}
    hvc = {r["complication"]: r for r in d["home_vs_clinic_adjusted"]}
    for item, w in zip(items, want):
        text = " ".join(item.all_text().split())
        links = item.find(tag="a")
        if not text.startswith(" ".join(w["text"].split())):
            problem("summary line %r, JSON %r" % (text, w["text"]))
        if len(links) != 1 or links[0].attrs.get("href") != "#" + ANCHORS[w["kind"]] or \
                ANCHORS[w["kind"]] not in ids:
            problem("summary line %r: no link to its section" % text)
        kind, dev = w["kind"], item.attrs.get("data-device")
        comp, st = item.attrs.get("data-complication"), item.attrs.get("data-setting")
        if kind == "serious" and dev is not None:
            r = rates[(dev, "all", "all", "any")]
            if r["serious_cases"] is not None and (
                    "{:,}".format(r["treatments"]) not in text or
                    "%s%% (%s\u2013%s)" % (percent(r["serious_rate"]), percent(r["serious_ci_low"]),
                                           percent(r["serious_ci_high"])) not in text):
                problem("summary %r: not the serious rate of %s" % (text, dev))
        elif kind == "skin_trend" and comp is not None:
            r = adjusted.get((st, comp))
            if r is None or r["suppressed"] or r["p_value"] is None or r["p_value"] >= 0.05 or \
                    ("rises" in text) != (r["z"] > 0):
                problem("summary %r: the adjusted trend of %s/%s is %s" % (text, st, comp, r))
        elif kind == "home_vs_clinic" and comp is not None:
            r = hvc[comp]
            label = "%s (%s\u2013%s)" % (readable(r["mh_rate_ratio"]), readable(r["ci_low"]),
                                         readable(r["ci_high"]))
            if r.get("suppressed") or label not in text or r["ci_low"] <= 1 <= r["ci_high"]:
                problem("summary %r: adjusted ratio of %s is %s" % (text, comp, label))
        elif kind == "alert" and "data-row" in item.attrs:
            a = d["alerts"][int(item.attrs["data-row"])]
            if (a["device_type"], a["setting"], a["complication"]) != (dev, st, comp) or \
                    a["week_start"] not in text or \
                    (a["observed"] is not None and "{:,} cases".format(a["observed"]) not in text):
                problem("summary %r: alert %s" % (text, a))
        elif kind == "signal" and "data-row" in item.attrs:
            r = d["signals"][int(item.attrs["data-row"])]
            if (r["device_type"], r["complication"]) != (dev, comp) or not r["signal"] or \
                    "{:,} reports".format(r["a"]) not in text:
                problem("summary %r: signal %s" % (text, r))
    # The alert lines name the most serious alerts, in their order.
    rows = [int(i.attrs["data-row"]) for i in items
            if i.attrs.get("data-kind") == "alert" and "data-row" in i.attrs]
    if rows != list(range(min(3, len(d["alerts"])))):
        problem("summary: alert lines for alerts %s, JSON has %d" % (rows, len(d["alerts"])))
    # Every clear adjusted home/clinic ratio and skin trend has its line (up
    # to five of each).
    clear = [c for c, r in hvc.items() if not r.get("suppressed") and r["ci_low"] is not None
             and (r["ci_low"] > 1 or r["ci_high"] < 1)]
    said = [i.attrs.get("data-complication") for i in items
            if i.attrs.get("data-kind") == "home_vs_clinic" and "data-complication" in i.attrs]
    if len(said) != min(5, len(clear)) or not set(said) <= set(clear):
        problem("summary: home vs clinic lines for %s, clear in the JSON: %s" % (said, clear))


def check_risks(root, d):
    rows, trs = {}, []
    for tr in root.find("risk-row", "tr"):
        key = (tr.attrs.get("data-device"), tr.attrs.get("data-setting"),
               tr.attrs.get("data-complication"), int(tr.attrs.get("data-horizon")))
        rows[key] = tr
        trs.append((key, tr))
    want = {}
    for r in d["risks"]:
        if r["skin_type"] != "all":
            continue
        key = (r["device_type"], r["setting"], r["complication"], r["horizon_days"])
        if (r["device_type"] == "all" and r["setting"] == "all") or r["complication"] == "any":
            want[key] = r
    if set(rows) != set(want):
        problem("risk rows: missing %s, extra %s" % (sorted(set(want) - set(rows))[:5],
                                                    sorted(set(rows) - set(want))[:5]))
    # Every row of the page (a row may be in two tables), against the JSON.
    for key, tr in trs:
        r = want.get(key)
        if r is None:
            continue
        if r.get("suppressed"):
            if tr.attrs.get("data-suppressed") != "true" or "data-cases" in tr.attrs:
                problem("risk %s: suppressed in JSON, not here" % (key,))
            continue
        if tr.attrs.get("data-treatments") != str(r["treatments"]) or \
                tr.attrs.get("data-cases") != str(r["cases"]) or \
                not same(num(tr, "data-rate"), r["rate"]) or \
                tr.attrs.get("data-serious-cases") != (None if r["serious_cases"] is None
                                                       else str(r["serious_cases"])) or \
                tr.attrs.get("data-missing-onset-cases") != (
                    None if r["missing_onset_cases"] is None else str(r["missing_onset_cases"])):
            problem("risk %s: %s, JSON %s" % (key, tr.attrs, r))
            continue
        cells = [td.all_text() for td in tr.find(tag="td")]
        label = "%s%% (%s\u2013%s)" % (percent(r["rate"]), percent(r["ci_low"]), percent(r["ci_high"]))
        if label not in cells or "{:,}".format(r["treatments"]) not in cells:
            problem("risk %s: cells %s lack %r" % (key, cells, label))


def check_skin_trends(root, d):
    pooled = {(r["setting"], r["complication"]): r for r in d["skin_trend"]
              if r["device_type"] == "all"}
    adjusted = {(r["setting"], r["complication"]): r for r in d["skin_trend_adjusted"]}
    rows = root.find("skin-trend-row", "tr")
    if len(rows) != len(adjusted):
        problem("skin trend rows: %d, JSON %d" % (len(rows), len(adjusted)))
    for tr in rows:
        key = (tr.attrs.get("data-setting"), tr.attrs.get("data-complication"))
        p, a = pooled.get(key), adjusted.get(key)
        if p is None or a is None:
            problem("skin trend %s: not in the JSON" % (key,))
            continue
        if not same(num(tr, "data-p"), None if p["suppressed"] else p["p_value"]) or \
                not same(num(tr, "data-adjusted-p"), None if a["suppressed"] else a["p_value"]):
            problem("skin trend %s: %s, JSON %s %s" % (key, tr.attrs, p["p_value"], a["p_value"]))
        cells = [td.all_text() for td in tr.find(tag="td")]
        for r, cell in ((p, cells[2]), (a, cells[3])):
            if not cell.startswith(r["direction"]):
                problem("skin trend %s: %r, JSON %r" % (key, cell, r["direction"]))
    per_device = {(r["device_type"], r["setting"], r["complication"]): r for r in d["skin_trend"]
                  if r["device_type"] != "all"}
    rows = root.find("skin-trend-device", "tr")
    if len(rows) != len(per_device):
        problem("skin trend rows by device: %d, JSON %d" % (len(rows), len(per_device)))
    for tr in rows:
        key = (tr.attrs.get("data-device"), tr.attrs.get("data-setting"),
               tr.attrs.get("data-complication"))
        r = per_device.get(key)
        if r is None or not same(num(tr, "data-p"), None if r["suppressed"] else r["p_value"]):
            problem("skin trend %s: %s, JSON %s" % (key, tr.attrs, r))


def check_quality(root, d):
    q = d["data_quality"]
    rows = {tr.attrs.get("data-key"): tr for tr in root.find("quality-row", "tr")}
    for key in ("unknown_skin_type", "missing_manufacturer_or_model", "missing_onset_days"):
        tr, want = rows.get(key), q[key]
        if tr is None:
            problem("data quality %s: no row" % key)
        elif want["count"] is None:
            if tr.attrs.get("data-suppressed") != "true" or "data-count" in tr.attrs:
                problem("data quality %s: suppressed in JSON, not here" % key)
        elif tr.attrs.get("data-count") != str(want["count"]) or \
                (want["share"] is not None and
                 "(%s%%)" % percent(want["share"]) not in tr.all_text()):
            problem("data quality %s: %r, JSON %s" % (key, tr.all_text(), want))
    latest = root.find("latest", "tr")
    if not latest or latest[0].attrs.get("data-treatment") != (q["latest_report"]["treatment"] or "") \
            or latest[0].attrs.get("data-complication") != (q["latest_report"]["complication"] or ""):
        problem("data quality: latest report %s, JSON %s" % (latest and latest[0].attrs,
                                                            q["latest_report"]))
    lags = root.find("lag-row", "tr")
    want = list(zip(q["reporting_lag"]["treatments"], q["reporting_lag"]["complication_reports"]))
    if len(lags) != len(want):
        problem("lag rows: %d, JSON %d" % (len(lags), len(want)))
    for tr, (t, r) in zip(lags, want):
        if tr.attrs.get("data-lag") != t["lag"] or \
                tr.attrs.get("data-treatments") != (None if t["count"] is None else str(t["count"])) \
                or tr.attrs.get("data-reports") != (None if r["count"] is None else str(r["count"])):
            problem("lag row %s, JSON %s %s" % (tr.attrs, t, r))
    reasons = root.find("reason-row", "tr")
    want = q["quarantine_reasons"]
    if [tr.attrs.get("data-reason") for tr in reasons] != [r["reason"] for r in want] or any(
            tr.attrs.get("data-count") != (None if r["count"] is None else str(r["count"]))
            for tr, r in zip(reasons, want)):
        problem("quarantine reasons %s, JSON %s" % ([tr.attrs for tr in reasons], want))


COUNT_ATTRS = ("data-cases", "data-treatments", "data-observed", "data-a", "data-home-cases",
               "data-home-treatments", "data-clinic-cases", "data-clinic-treatments",
               "data-serious-cases", "data-missing-onset-cases", "data-count", "data-reports")
NUMBER_ATTRS = COUNT_ATTRS + ("data-rr", "data-lo", "data-hi", "data-rate", "data-prr",
                              "data-prr-lo", "data-prr-hi", "data-chi2", "data-expected",
                              "data-upperbound", "data-p", "data-evans", "data-serious-rate",
                              "data-adjusted-p", "data-p-value", "data-q-value")


def check_suppressed(root, d):
    k = d["suppression"]["suppress_below"]
    if not k:
        problem("the JSON of the suppressed report has no suppress_below")
        return
    note = root.find("suppression")
    if not note or note[0].attrs.get("data-suppress-below") != str(k):
        problem("no suppression note")
    hidden = 0
    for n in root.walk():
        for a in COUNT_ATTRS:
            if a in n.attrs and 0 < int(n.attrs[a]) < k:
                problem("<%s %s=%s>: a count below %d" % (n.tag, a, n.attrs[a], k))
        if n.attrs.get("data-suppressed") == "true":
            hidden += 1
            shown = [a for a in NUMBER_ATTRS if a in n.attrs]
            if shown:
                problem("suppressed <%s %s> still has %s" % (n.tag, n.attrs.get("class"), shown))
        if "count" in n.classes() and n.tag == "td":
            t = n.all_text().strip().replace(",", "")
            if t.isdigit() and 0 < int(t) < k:
                problem("table cell shows %s" % t)
    if hidden == 0:
        problem("nothing is suppressed although the JSON hides values")
    json_hidden = sum(1 for r in d["rates"] if r.get("suppressed"))
    if json_hidden == 0:
        problem("the JSON hides no rate: the test population is too big for --suppress-below")


def check_dom(args):
    d = json.load(open(args[0]))
    dom = Dom()
    dom.feed(open(args[1], encoding="utf-8").read())
    raw = open(args[2], encoding="utf-8").read()
    root = dom.root
    check_safe(root, raw)
    check_head(root, d)
    if d["totals"]["treatments"] > 0:
        check_summary(root, d)
        check_forest(root, d)
        check_skin(root, d)
        check_risks(root, d)
        check_skin_trends(root, d)
        check_weekly(root, d)
        check_alerts(root, d)
        check_signals(root, d)
        check_quality(root, d)
    if "--suppressed" in args:
        check_suppressed(root, d)
    elif d["suppression"]["suppress_below"]:
        problem("--suppressed not given for a suppressed report")


def png_pixels(path):
    """(width, height, rows of RGB tuples) of an 8-bit RGB or RGBA PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, ihdr = 8, [], None
    while pos < len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if ctype == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif ctype == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = ihdr
    if depth != 8 or colour not in (2, 6) or interlace:
        raise ValueError("unsupported PNG: depth %d colour type %d" % (depth, colour))
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif f == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 255
        elif f == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


def check_png(args):
    width, height, bpp, rows = png_pixels(args[0])
    colours, non_white, total = set(), 0, 0
    for row in rows[::2]:
        for x in range(0, width * bpp, bpp * 2):
            px = (row[x], row[x + 1], row[x + 2])
            colours.add(px)
            total += 1
            non_white += px != (255, 255, 255)
    frac = non_white / total
    if len(colours) < 50:
        problem("screenshot has %d colours: blank?" % len(colours))
    if frac < 0.02:
        problem("screenshot is %.1f%% non-white: blank?" % (100 * frac))
    for name, rgb in (("home", HOME_RGB), ("clinic", CLINIC_RGB)):
        if rgb not in colours:
            problem("the %s colour #%02X%02X%02X is nowhere in the screenshot" % ((name,) + rgb))
    sys.stderr.write("screenshot %dx%d: %d colours, %.1f%% non-white\n" % (
        width, height, len(colours), 100 * frac))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "dom":
        check_dom(sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "png":
        check_png(sys.argv[2:])
    else:
        sys.exit(__doc__)
    print("ok" if not problems else "; ".join(problems[:30]) +
          (" ... (%d problems)" % len(problems) if len(problems) > 30 else ""))


if __name__ == "__main__":
    main()

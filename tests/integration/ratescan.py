"""ratescan.py - needlewatch's alerts recomputed in Python, for the test
oracles (burst_oracle.py, sv_check.py): from treatments and complication
reports to the alerts the analyzer must report, written from the method's
description (docs/surveillance.md, bench/ALERTS.md, analyze/model/alerts.h)
and nothing of its code. Pure Python (math only): its own digamma,
trigamma, Gauss-Hermite nodes, Poisson and negative binomial tails, IRLS
and Benjamini-Hochberg.

The steps:
  counting   a treatment is a case of C (and of "any") when the first report
             of C about it was known (reported_at, else ingested_at; the UTC
             day) at most D days after treated_on; D by default the whole
             weeks within which 75% of the delays seen were (14..56 days),
             delays seen on treatments 112+ days old and reports known by
             as_of; weeks are judged when complete (inside the window; when
             it opens with the data, from its second week) and as_of >=
             Sunday + D;
  the scan   per cell series (device, home or clinic, complication) and week
             t: baseline weeks max(0, t-3-103) .. t-3 that are judgeable and
             have treatments (8 at least); fewer than 10 cases: a constant
             rate with a gamma(cases + 1/2) posterior; else a quasi-Poisson
             GLM with log(treatments) as offset: intercept, a trend
             ((w - t)/52) from a 26-week span and 20 cases, two harmonics of
             the year (52.1775 weeks) from 56 weeks and 60 cases; R's IRLS
             (start y + 0.1, deviance criterion 1e-8, 25 iterations; the
             dispersion and the hat values from the last step's weights); the
             fit's Anscombe residuals above 2.58 down-weighted (Farrington's
             weights) and the model refitted; phi = max(1, Pearson); a model
             that does not fit falls back to the simpler one. Windows of 1
             and 2 weeks ending at t: E_k from the fitted means, the sd of
             log E_k by the delta method (phi x g' Cov g); a margin (all
             devices, both settings) sums its cells' lognormal moments. p =
             P(Y >= O) for Y negative binomial (variance phi E) around a
             lognormal mean (20-point Gauss-Hermite), the series-week's p = 2
             x the smallest of the windows; Benjamini-Hochberg across the
             week's series; alarm: q <= 0.05, 3+ cases in the window, 1+ in t;
  alerts     consecutive alarming judged weeks of a series are one event; an
             event is carried unless an overlapping event of a strictly more
             specific series exists; also_in: the margins in its group.
"""
import math
from datetime import date, timedelta
from statistics import NormalDist

TYPES = ["infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
         "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other"]
ALL = ["any"] + TYPES
DEVICES = ["derma_roller", "derma_stamp", "microneedling_pen", "rf_microneedling", "other"]
SETTINGS = ["home", "clinic", "all"]

WINDOWS, GUARD, HISTORY_MAX, HISTORY_MIN = 2, 1, 104, 8
TREND_WEEKS, SEASON_WEEKS = 26, 56
GLM_CASES, TREND_CASES, SEASON_CASES = 10.0, 20.0, 60.0
HARMONICS, REWEIGHT, Q_LEVEL, MIN_CASES = 2, 2.58, 0.05, 3
YEAR = 52.1775


# ---- Special functions ------------------------------------------------------
def digamma(x):
    r = 0.0
    while x < 6.0:
        r -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    return r + math.log(x) - 0.5 / x - f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f / 132))))


def trigamma(x):
    r = 0.0
    while x < 6.0:
        r += 1.0 / (x * x)
        x += 1.0
    f = 1.0 / (x * x)
    return r + 1.0 / x + f / 2 + f / x * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30 - f * 5 / 66))))


def hermite_nodes(n=20):
    """Gauss-Hermite for E[f(Z)], Z ~ N(0, 1): (node, weight) pairs, by
    Newton's method on the physicists' Hermite polynomials."""
    out = []
    z = 0.0
    for i in range(n // 2):
        if i == 0:
            z = math.sqrt(2 * n + 1) - 1.85575 * (2 * n + 1) ** (-0.16667)
        elif i == 1:
            z -= 1.14 * n ** 0.426 / z
        elif i == 2:
            z = 1.86 * z - 0.86 * out[0][0]
        elif i == 3:
            z = 1.91 * z - 0.91 * out[1][0]
        else:
            z = 2.0 * z - out[i - 2][0]
        for _ in range(100):
            p1, p2 = math.pi ** -0.25, 0.0
            for j in range(1, n + 1):
                p3, p2 = p2, p1
                p1 = z * math.sqrt(2.0 / j) * p2 - math.sqrt((j - 1) / j) * p3
            pp = math.sqrt(2.0 * n) * p2
            z1, z = z, z - p1 / pp
            if abs(z - z1) < 1e-15:
                break
        out.append((z, 2.0 / (pp * pp)))
        if i >= 1:
            z = out[i][0]
    # Physicists' (weight exp(-x^2)) to E over N(0, 1).
    return [(x * math.sqrt(2.0), w / math.sqrt(math.pi)) for x, w in out]


GH = hermite_nodes()


def _upper_sum(y, logpmf, mean):
    """P(Y >= y) for a count with the given log pmf and mean."""
    if y <= 0:
        return 1.0
    if y <= mean:
        low = sum(math.exp(logpmf(k)) for k in range(int(y)))
        return max(0.0, 1.0 - low)
    total, k = 0.0, int(y)
    while True:
        t = math.exp(logpmf(k))
        total += t
        if t < 1e-18 * total or (t == 0.0 and k > y + 10):
            return total
        k += 1


def count_upper(y, m, phi):
    if m <= 0.0:
        return 1.0 if y <= 0 else 0.0
    if phi > 1.0:
        r, p = m / (phi - 1.0), 1.0 / phi
        lr = math.lgamma(r)
        return _upper_sum(y, lambda k: math.lgamma(k + r) - lr - math.lgamma(k + 1) + r * math.log(p)
                          + k * math.log1p(-p), m)
    return _upper_sum(y, lambda k: k * math.log(m) - m - math.lgamma(k + 1), m)


def predictive_upper(y, eta, sigma, phi):
    if sigma == 0.0:
        return count_upper(y, math.exp(eta), phi)
    s = sum(w * (count_upper(y, math.exp(eta + sigma * x), phi) + count_upper(y, math.exp(eta - sigma * x), phi))
            for x, w in GH)
    return min(1.0, s)


# ---- The GLM ----------------------------------------------------------------
def solve_spd(a, b):
    """Solves a x = b (a symmetric positive definite) by Gauss-Jordan; also
    returns a's inverse."""
    n = len(a)
    m = [row[:] + [1.0 if i == j else 0.0 for j in range(n)] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        if abs(m[p][c]) < 1e-300:
            raise ValueError("singular")
        m[c], m[p] = m[p], m[c]
        piv = m[c][c]
        m[c] = [v / piv for v in m[c]]
        for r in range(n):
            if r != c and m[r][c] != 0.0:
                f = m[r][c]
                m[r] = [v - f * u for v, u in zip(m[r], m[c])]
    return [m[i][-1] for i in range(n)], [m[i][n:2 * n] for i in range(n)]


def glm(x, y, off, prior=None):
    """Quasi-Poisson IRLS as R's glm.fit. Returns (coef, cov unscaled,
    dispersion, mu, hat, converged) or None when it cannot fit."""
    n, p = len(y), len(x[0])
    prior = prior or [1.0] * n
    if n < p:
        return None
    eta = [math.log(v + 0.1) for v in y]
    mu = [math.exp(e) for e in eta]

    def dev(mu):
        return sum(2 * (w * (v * math.log(v / m) - (v - m)) if v > 0 else m * w) for v, m, w in zip(y, mu, prior))

    devold, converged, beta, inv = dev(mu), False, None, None
    for _ in range(25):
        w = [pr * m for pr, m in zip(prior, mu)]
        z = [e - o + (v - m) / m for e, o, v, m in zip(eta, off, y, mu)]
        xtwx = [[sum(w[i] * x[i][a] * x[i][b] for i in range(n)) for b in range(p)] for a in range(p)]
        xtwz = [sum(w[i] * x[i][a] * z[i] for i in range(n)) for a in range(p)]
        try:
            beta, inv = solve_spd(xtwx, xtwz)
        except ValueError:
            return None
        eta = [o + sum(xi[a] * beta[a] for a in range(p)) for xi, o in zip(x, off)]
        mu = [math.exp(e) for e in eta]
        d = dev(mu)
        if not math.isfinite(d):
            return None
        if abs(d - devold) / (abs(d) + 0.1) < 1e-8:
            converged = True
            break
        devold = d
    # As R: the working weights of the last step (those its solve used),
    # the residuals of the final fit.
    pearson = sum(wi * ((v - m) / m) ** 2 for wi, v, m in zip(w, y, mu))
    disp = pearson / (n - p) if n > p else float("nan")
    hat = [w[i] * sum(x[i][a] * inv[a][b] * x[i][b] for a in range(p) for b in range(p)) for i in range(n)]
    return beta, inv, disp, mu, hat, converged


def design(model, w, t):
    row = [1.0]
    if model in ("trend", "season"):
        row.append((w - t) / 52.0)
    if model == "season":
        for h in range(1, HARMONICS + 1):
            a = 2.0 * math.pi * h * w / YEAR
            row += [math.sin(a), math.cos(a)]
    return row


# ---- Predictions and verdicts ----------------------------------------------
def predict(y, n, judge, t):
    """The prediction of a cell series for week t: dict with model, eta[k],
    sigma[k] (k = 0..WINDOWS-1), phi, base (first, last), cases, treatments;
    None when it has too little history."""
    gap = WINDOWS + GUARD
    if t >= len(y) or t < gap:
        return None
    last = t - gap
    first = max(0, last + 1 - HISTORY_MAX)
    weeks = [w for w in range(first, last + 1) if judge[w] and n[w] > 0]
    if len(weeks) < HISTORY_MIN:
        return None
    ysum, nsum = sum(y[w] for w in weeks), sum(n[w] for w in weeks)
    out = {"base": (first, last), "cases": ysum, "treatments": nsum}

    def gamma():
        a = ysum + 0.5
        lr, var = digamma(a) - math.log(nsum), trigamma(a)
        eta, tot = [], 0
        for k in range(1, WINDOWS + 1):
            w = t + 1 - k
            tot += n[w] if w < len(n) else 0
            eta.append(lr + math.log(tot) if tot > 0 else -math.inf)
        out.update(model="gamma", phi=1.0, eta=eta, sigma=[math.sqrt(var)] * WINDOWS)
        return out

    if ysum < GLM_CASES:
        return gamma()
    span = last - first + 1
    model = "level"
    if span >= TREND_WEEKS and ysum >= TREND_CASES:
        model = "trend"
    if HARMONICS > 0 and span >= SEASON_WEEKS and ysum >= SEASON_CASES:
        model = "season"
    yy = [float(y[w]) for w in weeks]
    off = [math.log(n[w]) for w in weeks]
    while True:
        x = [design(model, w, t) for w in weeks]
        fit = glm(x, yy, off)
        if fit is not None and fit[5]:
            beta, inv, disp, mu, hat, _ = fit
            phi = max(disp, 1.0)
            s = [1.5 * (v ** (2 / 3) * m ** (-1 / 6) - math.sqrt(m)) / math.sqrt(phi * (1 - h))
                 for v, m, h in zip(yy, mu, hat)]
            tot = sum(1 / (v * v) if v > REWEIGHT else 1.0 for v in s)
            g = len(s) / tot
            omega = [g / (v * v) if v > REWEIGHT else g for v in s]
            fit = glm(x, yy, off, omega)
        if fit is None or not fit[5] or not math.isfinite(fit[2]):
            if model == "level":
                return gamma()
            model = "trend" if model == "season" else "level"
            continue
        break
    beta, inv, disp, _, _, _ = fit
    phi = max(disp, 1.0)
    p = len(beta)
    esum, g, eta, sigma = 0.0, [0.0] * p, [], []
    for k in range(1, WINDOWS + 1):
        w = t + 1 - k
        xw = design(model, w, t)
        e = (math.log(n[w]) if n[w] > 0 else -math.inf) + sum(a * b for a, b in zip(xw, beta))
        m = math.exp(e)
        esum += m
        g = [gi + m * xi for gi, xi in zip(g, xw)]
        if esum > 0:
            gn = [gi / esum for gi in g]
            eta.append(math.log(esum))
            sigma.append(math.sqrt(phi * sum(gn[a] * inv[a][b] * gn[b] for a in range(p) for b in range(p))))
        else:
            eta.append(-math.inf)
            sigma.append(0.0)
    out.update(model=model, phi=phi, eta=eta, sigma=sigma)
    return out


def margin(preds, has):
    """The sum of cell predictions (None for a cell without one)."""
    mean, var = [0.0] * WINDOWS, [0.0] * WINDOWS
    phimean = mean1 = 0.0
    parts = []
    for pr, h in zip(preds, has):
        if pr is None:
            if h:
                return None
            continue
        parts.append(pr)
        for k in range(WINDOWS):
            if not math.isfinite(pr["eta"][k]):
                continue
            s2 = pr["sigma"][k] ** 2
            mk = math.exp(pr["eta"][k] + s2 / 2)
            mean[k] += mk
            var[k] += mk * mk * math.expm1(s2)
            if k == 0:
                phimean += pr["phi"] * mk
                mean1 += mk
    if not parts:
        return None
    eta, sigma = [], []
    for k in range(WINDOWS):
        if mean[k] > 0:
            s2 = math.log1p(var[k] / mean[k] ** 2)
            eta.append(math.log(mean[k]) - s2 / 2)
            sigma.append(math.sqrt(s2))
        else:
            eta.append(-math.inf)
            sigma.append(0.0)
    return {"model": "margin", "phi": phimean / mean1 if mean1 > 0 else 1.0, "eta": eta, "sigma": sigma,
            "base": (min(p["base"][0] for p in parts), max(p["base"][1] for p in parts)),
            "cases": sum(p["cases"] for p in parts), "treatments": sum(p["treatments"] for p in parts)}


def judge_one(pred, y, n, judge, t):
    if pred is None or not judge[t]:
        return None
    best, v = 2.0, None
    osum = nsum = 0
    for k in range(1, WINDOWS + 1):
        if k > t + 1:
            break
        w = t + 1 - k
        if not judge[w]:
            break
        osum += y[w]
        nsum += n[w]
        eta, sg = pred["eta"][k - 1], pred["sigma"][k - 1]
        p = predictive_upper(osum, eta, sg, pred["phi"]) if math.isfinite(eta) else (0.0 if osum > 0 else 1.0)
        if p < best:
            best = p
            v = {"window": k, "observed": osum, "treatments": nsum,
                 "expected": math.exp(eta + sg * sg / 2) if math.isfinite(eta) else 0.0}
    v.update(p=min(1.0, best * WINDOWS), week=t, week_cases=y[t], model=pred["model"], phi=pred["phi"],
             base=pred["base"])
    return v


def bh(ps):
    """Benjamini-Hochberg q-values of a list (None left out)."""
    idx = sorted((p, i) for i, p in enumerate(ps) if p is not None)
    m, q, run = len(idx), [None] * len(ps), 1.0
    for j in range(m - 1, -1, -1):
        run = min(run, m / (j + 1) * idx[j][0])
        q[idx[j][1]] = run
    return q


# ---- The panel ----------------------------------------------------------------
class Panel:
    """cells[(device, setting)] = {"treatments": [...], "cases": {comp: [...]}}
    for the base cells (setting home or clinic); devices in report order."""

    def __init__(self, devices, cells, n_weeks, judge):
        self.devices, self.cells, self.nw, self.judge = devices, cells, n_weeks, judge
        self.series = [(d, s, c) for d in devices + ["all"] for s in SETTINGS for c in ALL]

    def counts(self, dev, st, comp):
        y, n = [0] * self.nw, [0] * self.nw
        for d in self.devices:
            for s in ("home", "clinic"):
                if dev not in ("all", d) or st not in ("all", s):
                    continue
                cell = self.cells.get((d, s))
                if cell is None:
                    continue
                for w in range(self.nw):
                    n[w] += cell["treatments"][w]
                    y[w] += cell["cases"][comp][w]
        return y, n

    def week(self, t):
        """The verdicts of every series for week t: {series: verdict}."""
        cell_pred, has = {}, {}
        for d in self.devices:
            for s in ("home", "clinic"):
                _, n = self.counts(d, s, "any")
                has[(d, s)] = any(t - k >= 0 and n[t - k] > 0 for k in range(WINDOWS))
                for c in ALL:
                    y, n = self.counts(d, s, c)
                    cell_pred[(d, s, c)] = predict(y, n, self.judge, t)
        out = {}
        for (d, s, c) in self.series:
            if d != "all" and s != "all":
                pred = cell_pred[(d, s, c)]
            else:
                keys = [(dd, ss) for dd in self.devices for ss in ("home", "clinic")
                        if d in ("all", dd) and s in ("all", ss)]
                pred = margin([cell_pred[k + (c,)] for k in keys], [has[k] for k in keys])
            y, n = self.counts(d, s, c)
            out[(d, s, c)] = judge_one(pred, y, n, self.judge, t)
        keys = list(out)
        qs = bh([out[k]["p"] if out[k] else None for k in keys])
        for k, q in zip(keys, qs):
            v = out[k]
            if v is not None:
                v["q"] = q
                v["alarm"] = q <= Q_LEVEL and v["observed"] >= MIN_CASES and v["week_cases"] >= 1
        return out


def covers(a, b):
    return all(x == y or x in ("all", "any") for x, y in zip(a, b))


def rate_verdicts(panel, weeks=None):
    """The rate scan's verdicts of every judged week (or those given):
    {(series, week): verdict}."""
    verdicts = {}
    for t in (weeks if weeks is not None else range(panel.nw)):
        if not panel.judge[t]:
            continue
        for k, v in panel.week(t).items():
            if v is not None:
                verdicts[(k, t)] = v
    return verdicts


def ears_verdicts(panel, baseline=7, alpha=0.001, min_sigma=0.0, min_cases=MIN_CASES):
    """EARS C2 on the counted cases, as R's earsC(method = "C2"): week t
    against the mean and sd (n - 1) of weeks t-2-baseline .. t-3, all of
    them judged; alarm when above mean + qnorm(1 - alpha) sd, with
    min_cases cases."""
    thr = NormalDist().inv_cdf(1 - alpha)
    verdicts = {}
    for s in panel.series:
        y, n = panel.counts(*s)
        for t in range(baseline + 2, panel.nw):
            if not all(panel.judge[w] for w in range(t - 2 - baseline, t - 2)) or not panel.judge[t]:
                continue
            ref = y[t - 2 - baseline:t - 2]
            mean = sum(ref) / baseline
            sd = math.sqrt(sum((v - mean) ** 2 for v in ref) / (baseline - 1))
            sigma = max(sd, min_sigma)
            ub = mean + thr * sigma
            verdicts[(s, t)] = {"week": t, "window": 1, "observed": y[t], "treatments": n[t],
                                "expected": mean, "p": None, "q": None,
                                "statistic": (y[t] - mean) / sigma if sigma > 0 else None,
                                "base": (t - 2 - baseline, t - 3),
                                "alarm": y[t] > ub and y[t] >= min_cases}
    return verdicts


def rate_strength(v):
    """Smaller is stronger: q, then p, then the later week."""
    return (v["q"], v["p"], -v["week"])


def ears_strength(v):
    return (-(math.inf if v["statistic"] is None else v["statistic"]), -v["week"])


def alerts(panel, weeks=None):
    """The rate scan's alerts (see consolidate) and the series-weeks judged."""
    verdicts = rate_verdicts(panel, weeks)
    return consolidate(panel, verdicts, rate_strength), len(verdicts)


def consolidate(panel, verdicts, strength):
    """The alerts: dicts with series, first, last, alarm_weeks, evidence,
    also_in [(series, first, last, evidence)]."""
    alarm = {key for key, v in verdicts.items() if v["alarm"]}
    judged_weeks = [w for w in range(panel.nw) if panel.judge[w]]
    runs = []
    for s in panel.series:
        cur = None
        for w in judged_weeks:
            if (s, w) in alarm:
                if cur is None:
                    cur = [s, w, w]
                    runs.append(cur)
                else:
                    cur[2] = w
            else:
                cur = None
    parent = list(range(len(runs)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    carried = [True] * len(runs)
    for i, a in enumerate(runs):
        for j, b in enumerate(runs):
            if i == j or a[2] < b[1] or b[2] < a[1]:
                continue
            if a[0] != b[0] and covers(a[0], b[0]):
                carried[i] = False
            if covers(a[0], b[0]) or covers(b[0], a[0]):
                ra, rb = root(i), root(j)
                if ra != rb:
                    parent[ra] = rb

    def strongest(s, lo, hi):
        best = None
        for w in range(lo, hi + 1):
            v = verdicts.get((s, w))
            if (s, w) not in alarm:
                continue
            if best is None or strength(v) < strength(best):
                best = v
        return best

    def run_of(s, w):
        lo = hi = w
        i = judged_weeks.index(w)
        for k in reversed(judged_weeks[:i]):
            if (s, k) not in alarm:
                break
            lo = k
        for k in judged_weeks[i + 1:]:
            if (s, k) not in alarm:
                break
            hi = k
        return lo, hi

    out = []
    for i, r in enumerate(runs):
        if not carried[i]:
            continue
        s, first, last = r
        also = []
        for j, m in enumerate(runs):
            if carried[j] or root(j) != root(i) or not covers(m[0], s) or m[0] in [a[0] for a in also]:
                continue
            ws = [w for w in range(first, last + 1) if (m[0], w) in alarm]
            if ws:
                spans = [run_of(m[0], w) for w in ws]
                lo, hi = min(x[0] for x in spans), max(x[1] for x in spans)
            else:
                near = min((w for w in judged_weeks if (m[0], w) in alarm),
                           key=lambda w: first - w if w < first else w - last)
                lo, hi = run_of(m[0], near)
            also.append((m[0], lo, hi, strongest(m[0], lo, hi)))
        also.sort(key=lambda a: panel.series.index(a[0]))
        out.append({"series": s, "first": first, "last": last,
                    "alarm_weeks": sum((s, w) in alarm for w in range(first, last + 1)),
                    "evidence": strongest(s, first, last), "also_in": also})
    return out


def baseline_counts(panel, series, ev):
    """The published baseline of an evidence (kept within judged weeks) and
    its counted cases and treatments."""
    lo, hi = ev["base"]
    while lo < hi and not panel.judge[lo]:
        lo += 1
    while hi > lo and not panel.judge[hi]:
        hi -= 1
    y, n = panel.counts(*series)
    return lo, hi, sum(y[lo:hi + 1]), sum(n[lo:hi + 1])


# ---- Counting ----------------------------------------------------------------
def monday(d):
    return d - timedelta(days=d.weekday())


def report_days(delays):
    """The default D from a list of delays (days)."""
    if not delays:
        return 56
    delays = sorted(min(max(x, 0), 112) for x in delays)
    need = 0.75 * len(delays)
    acc, d = 0, 0
    hist = {}
    for x in delays:
        hist[x] = hist.get(x, 0) + 1
    for d in range(113):
        acc += hist.get(d, 0)
        if acc >= need:
            break
    days = (d + 6) // 7 * 7
    return min(max(days, 14), 56)


def build(treatments, complications, as_of, window=(None, None), days=None):
    """treatments: {report_id: (treated_on date, device, setting)} (current);
    complications: [(treatment_id, type, known date)] (current reports).
    Returns (panel, D, first_monday)."""
    lo, hi = window
    sel = {r: t for r, t in treatments.items()
           if (lo is None or t[0] >= lo) and (hi is None or t[0] <= hi)}
    known = {}
    for tid, typ, k in complications:
        key = (tid, typ)
        if key not in known or k < known[key]:
            known[key] = k
    if days is None:
        delays = [(k - treatments[tid][0]).days for (tid, typ), k in known.items()
                  if tid in treatments and treatments[tid][0] <= as_of - timedelta(days=112) and k <= as_of]
        days = report_days(delays)
    if not sel:
        return None, days, None
    first = monday(lo) if lo else min(monday(t[0]) for t in sel.values())
    last = monday(hi) if hi else max(monday(t[0]) for t in sel.values())
    nw = (last - first).days // 7 + 1
    devices = DEVICES + sorted({t[1] for t in sel.values()} - set(DEVICES))
    cells = {(d, s): {"treatments": [0] * nw, "cases": {c: [0] * nw for c in ALL}}
             for d in devices for s in ("home", "clinic")}
    counted = {}
    for (tid, typ), k in known.items():
        if tid in sel and (k - sel[tid][0]).days <= days:
            counted.setdefault(tid, set()).add(typ)
    for rid, (d, dev, st) in sel.items():
        w = (monday(d) - first).days // 7
        cell = cells[(dev, st)]
        cell["treatments"][w] += 1
        types = counted.get(rid, set())
        if types:
            cell["cases"]["any"][w] += 1
        for c in types:
            if c in cell["cases"]:
                cell["cases"][c][w] += 1
    wfirst = lo if lo else first + timedelta(days=7)   # an open start: the first week may be partial
    wlast = hi if hi else as_of
    judge = []
    for w in range(nw):
        mon = first + timedelta(weeks=w)
        sun = mon + timedelta(days=6)
        judge.append(mon >= wfirst and sun <= wlast and as_of >= sun + timedelta(days=days))
    return Panel(devices, cells, nw, judge), days, first

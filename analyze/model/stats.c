/*
 * stats.c - the statistics of needlewatch (see stats.h for each formula).
 *
 * Counts are converted to double once and all arithmetic is in double: a
 * product of two counts is exact while it stays below 2^53, far above any
 * count of adverse-event reports. Undefined results are built by one helper
 * per result type so that every "not defined" path returns NaN fields.
 */
#include "model/stats.h"

#include <math.h>

#define SQRT1_2 0.70710678118654752440 /* 1/sqrt(2) */

static nw_proportion_t proportion_undefined(void)
{
    return (nw_proportion_t){NAN, NAN, NAN, false};
}

static nw_ratio_t ratio_undefined(void)
{
    return (nw_ratio_t){NAN, NAN, NAN, false};
}

static nw_chi2_t chi2_undefined(void)
{
    return (nw_chi2_t){NAN, NAN, false};
}

static bool z_ok(double z)
{
    return isfinite(z) && z > 0.0;
}

/* A ratio from its point estimate and the variance of its logarithm. */
static nw_ratio_t ratio_from_log(double est, double var_log, double z)
{
    if (!(est > 0.0) || !isfinite(est) || !(var_log >= 0.0) || !isfinite(var_log))
        return ratio_undefined();
    double half = z * sqrt(var_log);
    double log_est = log(est);
    return (nw_ratio_t){est, exp(log_est - half), exp(log_est + half), true};
}

static bool table_ok(nw_table2x2_t t)
{
    return t.a >= 0 && t.b >= 0 && t.c >= 0 && t.d >= 0;
}

double stats_norm_cdf(double x)
{
    return 0.5 * erfc(-x * SQRT1_2);
}

/* Wichura, Algorithm AS 241, Appl. Statist. 37 (1988) 477-484: PPND16.
 * Coefficients as published; each rational function is evaluated by Horner's
 * rule from the highest power down. */
static double poly8(const double c[8], double r)
{
    double v = c[7];
    for (int i = 6; i >= 0; i--)
        v = v * r + c[i];
    return v;
}

double stats_norm_quantile(double p)
{
    static const double a[8] = {
        3.3871328727963666080e+00, 1.3314166789178437745e+02,
        1.9715909503065514427e+03, 1.3731693765509461125e+04,
        4.5921953931549871457e+04, 6.7265770927008700853e+04,
        3.3430575583588128105e+04, 2.5090809287301226727e+03};
    static const double b[8] = {
        1.0,                       4.2313330701600911252e+01,
        6.8718700749205790830e+02, 5.3941960214247511077e+03,
        2.1213794301586595867e+04, 3.9307895800092710610e+04,
        2.8729085735721942674e+04, 5.2264952788528545610e+03};
    static const double c[8] = {
        1.42343711074968357734e+00, 4.63033784615654529590e+00,
        5.76949722146069140550e+00, 3.64784832476320460504e+00,
        1.27045825245236838258e+00, 2.41780725177450611770e-01,
        2.27238449892691845833e-02, 7.74545014278341407640e-04};
    static const double d[8] = {
        1.0,                        2.05319162663775882187e+00,
        1.67638483018380384940e+00, 6.89767334985100004550e-01,
        1.48103976427480074590e-01, 1.51986665636164571966e-02,
        5.47593808499534494600e-04, 1.05075007164441684324e-09};
    static const double e[8] = {
        6.65790464350110377720e+00, 5.46378491116411436990e+00,
        1.78482653991729133580e+00, 2.96560571828504891230e-01,
        2.65321895265761230930e-02, 1.24266094738807843860e-03,
        2.71155556874348757815e-05, 2.01033439929228813265e-07};
    static const double f[8] = {
        1.0,                        5.99832206555887937690e-01,
        1.36929880922735805310e-01, 1.48753612908506148525e-02,
        7.86869131145613259100e-04, 1.84631831751005468180e-05,
        1.42151175831644588870e-07, 2.04426310338993978564e-15};

    if (isnan(p) || p < 0.0 || p > 1.0)
        return NAN;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;

    double q = p - 0.5;
    if (fabs(q) <= 0.425) {
        double r = 0.180625 - q * q;
        return q * poly8(a, r) / poly8(b, r);
    }
    double r = sqrt(-log(q < 0.0 ? p : 1.0 - p));
    double val;
    if (r <= 5.0) {
        r -= 1.6;
        val = poly8(c, r) / poly8(d, r);
    } else {
        r -= 5.0;
        val = poly8(e, r) / poly8(f, r);
    }
    return q < 0.0 ? -val : val;
}

nw_proportion_t stats_wilson(long x, long n, double z)
{
    if (n <= 0 || x < 0 || x > n || !z_ok(z))
        return proportion_undefined();

    double dn = (double)n, p = (double)x / dn, z2 = z * z;
    double denom = 1.0 + z2 / dn;
    double centre = (p + z2 / (2.0 * dn)) / denom;
    double half = z / denom * sqrt(p * (1.0 - p) / dn + z2 / (4.0 * dn * dn));
    double lo = x == 0 ? 0.0 : fmax(0.0, centre - half);
    double hi = x == n ? 1.0 : fmin(1.0, centre + half);
    return (nw_proportion_t){p, lo, hi, true};
}

nw_ratio_t stats_risk_ratio(long a, long n1, long c, long n2, double z)
{
    if (a <= 0 || c <= 0 || a > n1 || c > n2 || !z_ok(z))
        return ratio_undefined();

    double da = (double)a, dn1 = (double)n1, dc = (double)c, dn2 = (double)n2;
    double rr = (da / dn1) / (dc / dn2);
    double var = 1.0 / da - 1.0 / dn1 + 1.0 / dc - 1.0 / dn2;
    return ratio_from_log(rr, var, z);
}

nw_mh_ratio_t stats_mh_risk_ratio(const nw_stratum_t *strata, size_t k, double z)
{
    nw_mh_ratio_t out = {ratio_undefined(), 0};
    if ((strata == NULL && k > 0) || !z_ok(z))
        return out;

    double r_sum = 0.0, s_sum = 0.0, v_sum = 0.0;
    size_t used = 0;
    for (size_t i = 0; i < k; i++) {
        const nw_stratum_t *s = &strata[i];
        if (s->a < 0 || s->c < 0 || s->a > s->n1 || s->c > s->n2)
            return out; /* impossible counts: undefined, strata_used 0 */
        if (s->n1 == 0 || s->n2 == 0)
            continue;
        used++;
        double a = (double)s->a, n1 = (double)s->n1;
        double c = (double)s->c, n2 = (double)s->n2;
        double n = n1 + n2;
        r_sum += a * n2 / n;
        s_sum += c * n1 / n;
        v_sum += (n1 * n2 * (a + c) - a * c * n) / (n * n);
    }
    out.strata_used = used;
    if (r_sum == 0.0 || s_sum == 0.0)
        return out;
    out.rr = ratio_from_log(r_sum / s_sum, v_sum / (r_sum * s_sum), z);
    return out;
}

nw_ratio_t stats_prr(nw_table2x2_t t, double z)
{
    if (!table_ok(t) || t.a == 0 || t.c == 0 || !z_ok(z))
        return ratio_undefined();

    double a = (double)t.a, b = (double)t.b, c = (double)t.c, d = (double)t.d;
    double prr = (a / (a + b)) / (c / (c + d));
    double var = 1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d);
    return ratio_from_log(prr, var, z);
}

nw_ratio_t stats_ror(nw_table2x2_t t, double z)
{
    if (!table_ok(t) || t.a == 0 || t.b == 0 || t.c == 0 || t.d == 0 || !z_ok(z))
        return ratio_undefined();

    double a = (double)t.a, b = (double)t.b, c = (double)t.c, d = (double)t.d;
    double ror = (a * d) / (b * c);
    double var = 1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d;
    return ratio_from_log(ror, var, z);
}

nw_chi2_t stats_chi2_yates(nw_table2x2_t t)
{
    if (!table_ok(t))
        return chi2_undefined();

    double a = (double)t.a, b = (double)t.b, c = (double)t.c, d = (double)t.d;
    double r1 = a + b, r2 = c + d, c1 = a + c, c2 = b + d;
    if (r1 == 0.0 || r2 == 0.0 || c1 == 0.0 || c2 == 0.0)
        return chi2_undefined();

    double n = r1 + r2;
    double dev = fmax(0.0, fabs(a * d - b * c) - n / 2.0);
    double stat = n * dev * dev / (r1 * r2 * c1 * c2);
    return (nw_chi2_t){stat, erfc(sqrt(stat / 2.0)), true};
}

nw_evans_t stats_evans_signal(nw_table2x2_t t, double z)
{
    nw_evans_t out = {stats_prr(t, z), stats_chi2_yates(t), false};
    if (!out.prr.defined || !out.chi2.defined || t.a < 3)
        return out;
    double a = (double)t.a, b = (double)t.b, c = (double)t.c, d = (double)t.d;
    bool prr_ge_2 = a * (c + d) >= 2.0 * c * (a + b);
    out.signal = prr_ge_2 && out.chi2.stat >= 4.0;
    return out;
}

nw_trend_t stats_cochran_armitage(const nw_trend_group_t *groups, size_t k)
{
    nw_trend_t undefined = {NAN, NAN, NAN, false};
    if (groups == NULL && k > 0)
        return undefined;

    /* First pass: totals, the pooled proportion and the mean score. */
    double n_sum = 0.0, x_sum = 0.0, ns_sum = 0.0;
    for (size_t i = 0; i < k; i++) {
        const nw_trend_group_t *g = &groups[i];
        if (g->cases < 0 || g->cases > g->n || !isfinite(g->score))
            return undefined;
        n_sum += (double)g->n;
        x_sum += (double)g->cases;
        ns_sum += (double)g->n * g->score;
    }
    if (n_sum == 0.0 || x_sum == 0.0 || x_sum == n_sum)
        return undefined;
    double pbar = x_sum / n_sum, sbar = ns_sum / n_sum;

    /* Second pass: the centred sums, so that large scores lose no digits. */
    double t_sum = 0.0, ss = 0.0;
    for (size_t i = 0; i < k; i++) {
        double dev = groups[i].score - sbar;
        t_sum += (double)groups[i].cases * dev;
        ss += (double)groups[i].n * dev * dev;
    }
    if (!(ss > 0.0))
        return undefined;

    double zstat = t_sum / sqrt(pbar * (1.0 - pbar) * ss);
    return (nw_trend_t){zstat, zstat * zstat, erfc(fabs(zstat) * SQRT1_2), true};
}

nw_mantel_trend_t stats_mantel_trend(const nw_trend_group_t *groups, size_t n_strata, size_t k)
{
    nw_mantel_trend_t out = {{NAN, NAN, NAN, false}, 0};
    double diff = 0.0, var = 0.0;

    if (groups == NULL && n_strata * k > 0)
        return out;
    for (size_t h = 0; h < n_strata; h++) {
        const nw_trend_group_t *g = &groups[h * k];
        double n_sum = 0.0, x_sum = 0.0, ns_sum = 0.0, t_sum = 0.0, ss = 0.0;
        for (size_t i = 0; i < k; i++) {
            if (g[i].cases < 0 || g[i].cases > g[i].n || !isfinite(g[i].score))
                return (nw_mantel_trend_t){{NAN, NAN, NAN, false}, 0};
            n_sum += (double)g[i].n;
            x_sum += (double)g[i].cases;
            ns_sum += (double)g[i].n * g[i].score;
        }
        if (n_sum < 2.0 || x_sum == 0.0 || x_sum == n_sum)
            continue;
        double sbar = ns_sum / n_sum;
        for (size_t i = 0; i < k; i++) {
            double dev = g[i].score - sbar;
            t_sum += (double)g[i].cases * dev;
            ss += (double)g[i].n * dev * dev;
        }
        if (!(ss > 0.0))
            continue;
        diff += t_sum;
        var += x_sum * (n_sum - x_sum) / (n_sum * (n_sum - 1.0)) * ss;
        out.strata_used++;
    }
    if (!(var > 0.0)) {
        out.strata_used = 0;
        return out;
    }
    double zstat = diff / sqrt(var);
    out.trend = (nw_trend_t){zstat, zstat * zstat, erfc(fabs(zstat) * SQRT1_2), true};
    return out;
}

nw_ears_t stats_ears_c2(const long *series, size_t len, size_t t,
                        nw_ears_params_t params)
{
    nw_ears_t out = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, false, false};
    size_t base = params.baseline;
    if (series == NULL || t >= len || base < 3 || t < base + 2 ||
        !(params.alpha > 0.0 && params.alpha < 1.0) || !(params.min_sigma >= 0.0) ||
        !isfinite(params.min_sigma))
        return out;

    /* Reference periods t-base-2 .. t-3 (both ends included). */
    const long *ref = series + (t - base - 2);
    double sum = 0.0;
    for (size_t i = 0; i < base; i++) {
        if (ref[i] < 0)
            return out;
        sum += (double)ref[i];
    }
    if (series[t] < 0)
        return out;
    double mean = sum / (double)base;
    double ss = 0.0;
    for (size_t i = 0; i < base; i++) {
        double dev = (double)ref[i] - mean;
        ss += dev * dev;
    }

    out.observed = (double)series[t];
    out.mean = mean;
    out.sd = sqrt(ss / (double)(base - 1));
    out.sigma = fmax(out.sd, params.min_sigma);
    out.threshold = stats_norm_quantile(1.0 - params.alpha);
    out.upperbound = mean + out.threshold * out.sigma;
    out.statistic = out.sigma > 0.0 ? (out.observed - mean) / out.sigma : NAN;
    out.alarm = out.observed > out.upperbound;
    out.defined = true;
    return out;
}

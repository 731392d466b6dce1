/*
 * detect_dist.c - distributions for alert detection (see detect_dist.h).
 *
 * Incomplete gamma: the power series below x < a + 1, the continued
 * fraction of Q above (both evaluated to a relative 1e-15). Incomplete beta:
 * the continued fraction (modified Lentz), on the side of the symmetry
 * x <-> 1 - x where it converges fast; the switch happens only when the
 * result is large, so small tails keep their relative precision.
 */
#include "model/detect_dist.h"

#include <float.h>
#include <math.h>

#include "model/stats.h"

#define EPS 1e-15
#define TINY 1e-300
#define MAX_ITER 100000

static double gamma_front(double a, double x)
{
    return exp(a * log(x) - x - lgamma(a));
}

/* P(a, x) by the series, for x < a + 1. */
static double gamma_series(double a, double x)
{
    double term = 1.0 / a, sum = term;
    for (int n = 1; n < MAX_ITER; n++) {
        term *= x / (a + n);
        sum += term;
        if (fabs(term) < fabs(sum) * EPS)
            break;
    }
    return sum * gamma_front(a, x);
}

/* Q(a, x) by the continued fraction, for x >= a + 1. */
static double gamma_cf(double a, double x)
{
    double b = x + 1.0 - a, c = 1.0 / TINY, d = 1.0 / b, h = d;
    for (int i = 1; i < MAX_ITER; i++) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < TINY)
            d = TINY;
        c = b + an / c;
        if (fabs(c) < TINY)
            c = TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < EPS)
            break;
    }
    return gamma_front(a, x) * h;
}

double detect_gamma_p(double a, double x)
{
    if (!(a > 0.0) || !(x >= 0.0) || isinf(a))
        return NAN;
    if (x == 0.0)
        return 0.0;
    if (isinf(x))
        return 1.0;
    return x < a + 1.0 ? gamma_series(a, x) : 1.0 - gamma_cf(a, x);
}

double detect_gamma_q(double a, double x)
{
    if (!(a > 0.0) || !(x >= 0.0) || isinf(a))
        return NAN;
    if (x == 0.0)
        return 1.0;
    if (isinf(x))
        return 0.0;
    return x < a + 1.0 ? 1.0 - gamma_series(a, x) : gamma_cf(a, x);
}

/* The continued fraction of I_x(a, b) without its front factor. */
static double beta_cf(double x, double a, double b)
{
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < TINY)
        d = TINY;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m < MAX_ITER; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < TINY)
            d = TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < TINY)
            c = TINY;
        d = 1.0 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 + aa * d;
        if (fabs(d) < TINY)
            d = TINY;
        c = 1.0 + aa / c;
        if (fabs(c) < TINY)
            c = TINY;
        d = 1.0 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1.0) < EPS)
            break;
    }
    return h;
}

static double beta_front(double x, double a, double b)
{
    return exp(a * log(x) + b * log1p(-x) + lgamma(a + b) - lgamma(a) - lgamma(b));
}

double detect_beta_i(double x, double a, double b)
{
    if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0))
        return NAN;
    if (x == 0.0)
        return 0.0;
    if (x == 1.0)
        return 1.0;
    if (x < (a + 1.0) / (a + b + 2.0))
        return beta_front(x, a, b) * beta_cf(x, a, b) / a;
    return 1.0 - beta_front(1.0 - x, b, a) * beta_cf(1.0 - x, b, a) / b;
}

double detect_ppois(double k, double mu)
{
    k = floor(k + 1e-7);
    if (!(mu >= 0.0))
        return NAN;
    if (k < 0.0)
        return 0.0;
    if (mu == 0.0)
        return 1.0;
    return detect_gamma_q(k + 1.0, mu);
}

double detect_ppois_upper(double k, double mu)
{
    k = ceil(k - 1e-7);
    if (!(mu >= 0.0))
        return NAN;
    if (k <= 0.0)
        return 1.0;
    if (mu == 0.0)
        return 0.0;
    return detect_gamma_p(k, mu);
}

double detect_pnbinom(double k, double size, double prob)
{
    k = floor(k + 1e-7);
    if (!(size > 0.0) || !(prob > 0.0 && prob <= 1.0))
        return NAN;
    if (k < 0.0)
        return 0.0;
    if (prob == 1.0)
        return 1.0;
    return detect_beta_i(prob, size, k + 1.0);
}

double detect_pnbinom_upper(double k, double size, double prob)
{
    k = ceil(k - 1e-7);
    if (!(size > 0.0) || !(prob > 0.0 && prob <= 1.0))
        return NAN;
    if (k <= 0.0)
        return 1.0;
    if (prob == 1.0)
        return 0.0;
    return detect_beta_i(1.0 - prob, k, size);
}

/* The smallest y >= 0 with cdf(y) >= p, from a guess. */
static double quantile_search(double p, double guess, double (*cdf)(double, double, double),
                              double a1, double a2)
{
    double y = guess < 0.0 || !isfinite(guess) ? 0.0 : floor(guess);
    p *= 1.0 - 64.0 * DBL_EPSILON;
    if (cdf(y, a1, a2) >= p) {
        while (y > 0.0 && cdf(y - 1.0, a1, a2) >= p)
            y -= 1.0;
        return y;
    }
    do
        y += 1.0;
    while (cdf(y, a1, a2) < p);
    return y;
}

static double ppois2(double k, double mu, double unused)
{
    (void)unused;
    return detect_ppois(k, mu);
}

double detect_qpois(double p, double mu)
{
    if (!(mu >= 0.0) || !(p >= 0.0 && p <= 1.0))
        return NAN;
    if (p == 1.0)
        return INFINITY;
    if (mu == 0.0 || p == 0.0)
        return 0.0;
    double sigma = sqrt(mu), gamma = 1.0 / sigma;
    /* Cornish-Fisher start, as R's qpois. */
    double zq = stats_norm_quantile(p);
    double guess = floor(mu + sigma * (zq + gamma * (zq * zq - 1.0) / 6.0) + 0.5);
    return quantile_search(p, guess, ppois2, mu, 0.0);
}

double detect_qnbinom(double p, double size, double prob)
{
    if (!(size > 0.0) || !(prob > 0.0 && prob <= 1.0) || !(p >= 0.0 && p <= 1.0))
        return NAN;
    if (p == 1.0)
        return INFINITY;
    if (prob == 1.0 || p == 0.0)
        return 0.0;
    double q = 1.0 / prob, pp = size * q;
    double sigma = sqrt(pp * q), gamma = (q + 1.0 - prob) / sqrt(size * (1.0 - prob));
    double x = stats_norm_quantile(p);
    double guess = floor(size * (1.0 - prob) / prob + sigma * (x + gamma * (x * x - 1.0) / 6.0) +
                         0.5);
    return quantile_search(p, guess, detect_pnbinom, size, prob);
}

double detect_pt(double t, double df)
{
    if (!(df > 0.0) || isnan(t))
        return NAN;
    if (isinf(t))
        return t < 0.0 ? 0.0 : 1.0;
    double tail = 0.5 * detect_beta_i(df / (df + t * t), df / 2.0, 0.5);
    return t < 0.0 ? tail : 1.0 - tail;
}

double detect_digamma(double x)
{
    double r = 0.0;
    if (!(x > 0.0))
        return NAN;
    while (x < 10.0) {
        r -= 1.0 / x;
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    return r + log(x) - 0.5 / x -
           f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

double detect_trigamma(double x)
{
    double r = 0.0;
    if (!(x > 0.0))
        return NAN;
    while (x < 10.0) {
        r += 1.0 / (x * x);
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    return r + 1.0 / x + f / 2.0 +
           f / x * (1.0 / 6 - f * (1.0 / 30 - f * (1.0 / 42 - f * (1.0 / 30 - f * 5.0 / 66))));
}

double detect_count_upper(double y, double m, double phi)
{
    if (!(m >= 0.0) || isnan(phi))
        return NAN;
    if (phi > 1.0 && m > 0.0)
        return detect_pnbinom_upper(y, m / (phi - 1.0), 1.0 / phi);
    return detect_ppois_upper(y, m);
}

/* Gauss-Hermite, 20 points, for E[f(Z)], Z ~ N(0, 1): the positive nodes
 * and their weights (normalised to sum 1 over both signs); from
 * numpy.polynomial.hermite_e.hermegauss(20), weights / sqrt(2 pi). */
static const double gh[10][2] = {
    {0.34696415708135592, 0.26079306344955477},
    {1.0429453488027509, 0.16173933398400003},
    {1.7452473208141268, 0.061506372063976959},
    {2.4586636111723679, 0.013997837447100996},
    {3.1890148165533896, 0.0018301031310804924},
    {3.9439673506573163, 0.00012882627996192942},
    {4.7345813340460552, 4.4021210902308646e-06},
    {5.5787388058932015, 6.127490259982928e-08},
    {6.5105901570136542, 2.4820623623151797e-10},
    {7.6190485416797582, 1.2578006724379264e-13},
};

double detect_predictive_upper(double y, double eta, double sigma, double phi)
{
    if (!(sigma >= 0.0) || !isfinite(eta))
        return NAN;
    if (sigma == 0.0)
        return detect_count_upper(y, exp(eta), phi);
    double sum = 0.0;
    for (int i = 0; i < 10; i++) {
        sum += gh[i][1] * (detect_count_upper(y, exp(eta + sigma * gh[i][0]), phi) +
                           detect_count_upper(y, exp(eta - sigma * gh[i][0]), phi));
    }
    return sum > 1.0 ? 1.0 : sum;
}

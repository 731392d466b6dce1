/*
 * detect_farrington.c - one time point of surveillance::farringtonFlexible
 * (see detect_farrington.h). The steps and their order are R's:
 * algo.farrington.data.glm and blocks() choose the reference weeks,
 * algo.farrington.fitGLM.flexible fits (falling back to no trend when the
 * fit with trend does not converge) and reweights, algo.farrington.glm
 * decides the trend and predicts, the threshold functions give the bound.
 * Indices inside are R's (1-based) so the code reads as R's does.
 */
#include "model/detect_farrington.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/detect_dist.h"
#include "model/detect_glm.h"
#include "model/stats.h"

#define FREQ 52

typedef struct {
    size_t n, p;
    double *x, *y, *offset, *prior, *mu, *hat, *s;
    double max_response;
    double phi;              /* max(dispersion, 1), as fitGLM.flexible returns it */
    double later_dispersion; /* what summary() of R's returned model says */
    int levels[16];          /* factor levels present, ascending */
    int n_levels;
} design_t;

static void design_free(design_t *d)
{
    free(d->x);
    free(d->y);
    free(d->offset);
    free(d->prior);
    free(d->mu);
    free(d->hat);
    free(d->s);
    memset(d, 0, sizeof(*d));
}

/* The columns for a row: intercept, [wtime], [a dummy per level but the first]. */
static size_t row_of(const design_t *d, bool trend, bool factors, double wtime, int level,
                     double *x)
{
    size_t j = 0;
    x[j++] = 1.0;
    if (trend)
        x[j++] = wtime;
    if (factors) {
        for (int l = 1; l < d->n_levels; l++)
            x[j++] = level == d->levels[l] ? 1.0 : 0.0;
    }
    return j;
}

/* algo.farrington.fitGLM.flexible: returns the fit (with *trend possibly
 * cleared by the fallback) or -1 when no model converges. */
static int fit_flexible(design_t *d, const int *rowlevel, const double *wtime, bool *trend,
                        bool factors, const detect_farrington_params_t *pr, detect_glm_fit_t *fit)
{
    detect_glm_data_t data;
    for (int attempt = 0; attempt < 2; attempt++) {
        size_t p = 0;
        for (size_t i = 0; i < d->n; i++)
            p = row_of(d, *trend, factors, wtime[i], rowlevel[i], &d->x[i * DETECT_GLM_MAX_P]);
        /* compact rows to p columns */
        for (size_t i = 0; i < d->n; i++)
            memmove(&d->x[i * p], &d->x[i * DETECT_GLM_MAX_P], p * sizeof(double));
        d->p = p;
        data = (detect_glm_data_t){d->n, p, d->x, d->y,
                                   pr->population_offset ? d->offset : NULL, NULL};
        int rc = detect_glm_quasipoisson(&data, fit, d->mu, d->hat);
        if (rc == -2)
            return -2;
        if (rc == 0 && fit->converged)
            break;
        if (!*trend || attempt == 1)
            return -1;
        *trend = false;
    }
    if (pr->reweight) {
        double phi = fmax(fit->dispersion, 1.0);
        detect_glm_anscombe(d->n, d->y, d->mu, d->hat, phi, d->s);
        detect_glm_reweight(d->n, d->s, pr->weights_threshold, d->prior);
        data.prior = d->prior;
        int rc = detect_glm_quasipoisson(&data, fit, d->mu, d->hat);
        if (rc != 0)
            return rc;
    }
    d->phi = fmax(fit->dispersion, 1.0);
    /* R's fitGLM.flexible then overwrites model$weights (the working
     * weights) with the prior weights omega, so every later summary() of
     * the model -- the trend's p-value, predict()'s standard error --
     * estimates the dispersion as sum(omega r^2) / df with r the working
     * residual (y - mu) / mu. Copied, since the thresholds depend on it. */
    d->later_dispersion = fit->dispersion;
    if (pr->reweight) {
        double s = 0.0;
        for (size_t i = 0; i < d->n; i++) {
            double r = (d->y[i] - d->mu[i]) / d->mu[i];
            s += d->prior[i] * r * r;
        }
        d->later_dispersion = s / fit->df_residual;
    }
    return 0;
}

size_t detect_farrington_first(detect_farrington_params_t params)
{
    return (size_t)(FREQ * params.b + params.w);
}

detect_farrington_t detect_farrington(const int64_t *cases, const int64_t *treatments, size_t n,
                                      size_t k, detect_farrington_params_t pr)
{
    detect_farrington_t out = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, false, false, false,
                               false};
    design_t d = {0};
    int *factor = NULL, *rowlevel = NULL;
    double *wtime = NULL;
    long K = (long)k + 1, period, w = pr.w;
    int p = pr.no_periods;

    if (cases == NULL || k >= n || pr.b < 1 || pr.w < 0 || p < 1 || p > 16 ||
        (pr.population_offset && treatments == NULL) || K - (long)FREQ * pr.b - w < 1 ||
        !(pr.alpha > 0.0 && pr.alpha < 1.0) || pr.limit54_period < 1 ||
        pr.past_weeks_not_included < 0)
        return out;
    out.observed = (double)cases[k];
    factor = calloc(n + 1, sizeof(*factor));
    rowlevel = calloc(n + 1, sizeof(*rowlevel));
    wtime = calloc(n + 1, sizeof(*wtime));
    if (factor == NULL || rowlevel == NULL || wtime == NULL)
        goto out;

    /* blocks(): the current window and each year's window are level p;
     * with p > 1 the weeks between two years' windows are cut into p - 1
     * blocks, the first blocks one week longer when it does not divide. */
    for (long i = K - w; i <= K; i++)
        factor[i] = p;
    for (int j = 1; j <= pr.b; j++) {
        long ref = K - (long)FREQ * j;
        for (long i = ref - w; i <= ref + w; i++)
            factor[i] = p;
        if (p != 1) {
            period = FREQ - 2 * w - 1;
            if (period < p - (2 * w + 1))
                goto out;
            long len = period / (p - 1), rest = period % (p - 1), start = ref + w + 1;
            for (int l = 1; l <= p - 1; l++) {
                long blen = len + (l <= rest ? 1 : 0);
                for (long i = start; i < start + blen; i++)
                    factor[i] = l;
                start += blen;
            }
        }
    }
    for (long i = K - pr.past_weeks_not_included; i <= K; i++) {
        if (i >= 1)
            factor[i] = 0;
    }
    /* The rows, ascending. */
    size_t m = 0;
    for (long i = 1; i <= (long)n; i++)
        m += factor[i] != 0;
    d.n = m;
    d.x = malloc(m * DETECT_GLM_MAX_P * sizeof(double));
    d.y = malloc(m * sizeof(double));
    d.offset = malloc(m * sizeof(double));
    d.prior = malloc(m * sizeof(double));
    d.mu = malloc(m * sizeof(double));
    d.hat = malloc(m * sizeof(double));
    d.s = malloc(m * sizeof(double));
    if (m == 0 || !d.x || !d.y || !d.offset || !d.prior || !d.mu || !d.hat || !d.s)
        goto out;
    bool seen[17] = {false};
    size_t r = 0;
    d.max_response = 0.0;
    for (long i = 1; i <= (long)n; i++) {
        if (factor[i] == 0)
            continue;
        if (cases[i - 1] < 0 || (treatments && pr.population_offset && treatments[i - 1] <= 0))
            goto out;
        d.y[r] = (double)cases[i - 1];
        d.offset[r] = pr.population_offset ? log((double)treatments[i - 1]) : 0.0;
        wtime[r] = (double)i;
        rowlevel[r] = factor[i];
        seen[factor[i]] = true;
        d.max_response = fmax(d.max_response, d.y[r]);
        r++;
    }
    for (int l = 1; l <= 16; l++) {
        if (seen[l])
            d.levels[d.n_levels++] = l;
    }
    bool factors = p != 1, trend = pr.trend;
    double pop_now = pr.population_offset ? (double)treatments[k] : 1.0;
    if (pr.population_offset && !(pop_now > 0.0))
        goto out;
    detect_glm_fit_t fit;
    if (fit_flexible(&d, rowlevel, wtime, &trend, factors, &pr, &fit) != 0)
        goto out;

    double xnow[DETECT_GLM_MAX_P];
    if (trend) {
        /* algo.farrington.glm: keep the trend only if b >= 3, significant
         * and not extrapolating above the largest reference count. */
        row_of(&d, true, factors, (double)K, p, xnow);
        double eta = log(pop_now) * pr.population_offset;
        for (size_t j = 0; j < d.p; j++)
            eta += xnow[j] * fit.coef[j];
        double se = sqrt(d.later_dispersion * fit.cov[1 * d.p + 1]);
        double tval = fit.coef[1] / se;
        double pval = 2.0 * detect_pt(-fabs(tval), fit.df_residual);
        bool keep = pr.b >= 3 && pval < pr.p_threshold_trend && exp(eta) <= d.max_response;
        if (!keep) {
            trend = false;
            if (fit_flexible(&d, rowlevel, wtime, &trend, factors, &pr, &fit) != 0)
                goto out;
        }
    }
    row_of(&d, trend, factors, (double)K, p, xnow);
    double eta = pr.population_offset ? log(pop_now) : 0.0;
    for (size_t j = 0; j < d.p; j++)
        eta += xnow[j] * fit.coef[j];
    double se_link = sqrt(d.later_dispersion * detect_glm_quad(&fit, d.p, xnow));
    double phi = d.phi, y = out.observed;
    double upper, prob, pred;
    if (pr.threshold == DETECT_THRESHOLD_DELTA) {
        double mu0 = exp(eta), se_fit = se_link * mu0, e = pr.powertrans;
        double tau = phi + se_fit * se_fit / mu0;
        double se = e == 1.0 ? sqrt(mu0 * tau) : e == 0.5 ? sqrt(0.25 * tau)
                                                           : sqrt(4.0 / 9.0 * pow(mu0, 1.0 / 3.0) * tau);
        double z = stats_norm_quantile(1.0 - pr.alpha);
        double lo = pow(pow(mu0, e) - z * se, 1.0 / e), hi = pow(pow(mu0, e) + z * se, 1.0 / e);
        upper = isnan(lo) ? hi : fmax(lo, hi);
        prob = 0.5 * erfc((pow(y, e) - pow(mu0, e)) / se / sqrt(2.0));
        pred = mu0;
        out.pred_se = se_fit;
    } else {
        double mu0q = pr.threshold == DETECT_THRESHOLD_NBPLUGIN
                          ? exp(eta)
                          : exp(eta + se_link * stats_norm_quantile(1.0 - pr.alpha));
        if (isinf(mu0q)) {
            upper = NAN;
            prob = NAN;
        } else if (phi > 1.0) {
            upper = detect_qnbinom(1.0 - pr.alpha, mu0q / (phi - 1.0), 1.0 / phi);
            prob = detect_pnbinom_upper(y, mu0q / (phi - 1.0), 1.0 / phi);
        } else {
            upper = detect_qpois(1.0 - pr.alpha, mu0q);
            prob = detect_ppois_upper(y, mu0q);
        }
        pred = eta;
        out.pred_se = se_link;
    }
    out.pred = pred;
    out.phi = phi;
    out.p_value = prob;
    out.score = (y - pred) / (upper - pred);
    out.trend = trend;
    double recent = 0.0;
    for (long i = K - pr.limit54_period + 1; i <= K; i++)
        recent += i >= 1 ? (double)cases[i - 1] : 0.0;
    out.enough_cases = recent >= pr.limit54_cases;
    if (out.enough_cases) {
        out.upperbound = upper;
        if (!isnan(upper))
            out.expected = pr.threshold == DETECT_THRESHOLD_DELTA ? pred : exp(pred);
    }
    out.alarm = out.enough_cases && !isnan(out.score) && out.score > 1.0 && y != 0.0;
    out.defined = true;
out:
    design_free(&d);
    free(factor);
    free(rowlevel);
    free(wtime);
    return out;
}

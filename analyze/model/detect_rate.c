/*
 * detect_rate.c - the rate scan (see detect_rate.h).
 */
#include "model/detect_rate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/detect_dist.h"
#include "model/detect_glm.h"

#define YEAR_WEEKS 52.1775

static detect_pred_t pred_none(void)
{
    detect_pred_t p;
    memset(&p, 0, sizeof(p));
    p.model = DETECT_MODEL_NONE;
    for (int k = 0; k < DETECT_WINDOW_MAX; k++)
        p.eta[k] = p.sigma[k] = NAN;
    p.phi = NAN;
    return p;
}

/* The design row of week w for judged week t. */
static size_t design_row(detect_model_t model, int harmonics, size_t w, size_t t, double *x)
{
    size_t j = 0;
    x[j++] = 1.0;
    if (model == DETECT_MODEL_TREND || model == DETECT_MODEL_SEASON)
        x[j++] = ((double)w - (double)t) / 52.0;
    if (model == DETECT_MODEL_SEASON) {
        for (int h = 1; h <= harmonics; h++) {
            double a = 2.0 * M_PI * h * (double)w / YEAR_WEEKS;
            x[j++] = sin(a);
            x[j++] = cos(a);
        }
    }
    return j;
}

static detect_pred_t predict_gamma(const detect_pred_t *base, const int64_t *treatments,
                                   size_t n, size_t t, const detect_rate_params_t *pr)
{
    detect_pred_t out = *base;
    double a = base->base_cases + 0.5;
    double log_rate = detect_digamma(a) - log(base->base_treatments), var = detect_trigamma(a);
    double nsum = 0.0;
    out.model = DETECT_MODEL_GAMMA;
    out.phi = 1.0;
    for (int k = 1; k <= pr->window_max; k++) {
        size_t w = t + 1 - (size_t)k;
        nsum += w < n ? (double)treatments[w] : 0.0;
        out.eta[k - 1] = nsum > 0.0 ? log_rate + log(nsum) : -INFINITY;
        out.sigma[k - 1] = sqrt(var);
    }
    return out;
}

detect_pred_t detect_rate_predict(const int64_t *cases, const int64_t *treatments,
                                  const bool *judgeable, size_t n, size_t t,
                                  const detect_rate_params_t *pr)
{
    detect_pred_t out = pred_none();
    size_t gap = (size_t)(pr->window_max + pr->guard);
    double *x = NULL, *y = NULL, *off = NULL, *mu = NULL, *hat = NULL, *s = NULL, *omega = NULL;
    size_t *weeks = NULL;

    if (t >= n || t < gap || pr->window_max < 1 || pr->window_max > DETECT_WINDOW_MAX)
        return out;
    size_t last = t - gap, first = last + 1 > (size_t)pr->history_max
                                       ? last + 1 - (size_t)pr->history_max
                                       : 0;
    size_t m = 0;
    double ysum = 0.0, nsum = 0.0;
    for (size_t w = first; w <= last; w++) {
        if ((judgeable && !judgeable[w]) || treatments[w] <= 0 || cases[w] < 0)
            continue;
        m++;
        ysum += (double)cases[w];
        nsum += (double)treatments[w];
    }
    if (m < (size_t)pr->history_min)
        return out;
    out.base_first = first;
    out.base_last = last;
    out.base_cases = ysum;
    out.base_treatments = nsum;
    if (ysum < pr->glm_min_cases)
        return predict_gamma(&out, treatments, n, t, pr);

    /* The span of the baseline decides trend and season. */
    size_t span = last - first + 1;
    detect_model_t model = DETECT_MODEL_LEVEL;
    if (span >= (size_t)pr->trend_min_weeks && ysum >= pr->trend_min_cases)
        model = DETECT_MODEL_TREND;
    if (pr->harmonics > 0 && span >= (size_t)pr->season_min_weeks && ysum >= pr->season_min_cases)
        model = DETECT_MODEL_SEASON;

    x = malloc(m * DETECT_GLM_MAX_P * sizeof(*x));
    y = malloc(m * sizeof(*y));
    off = malloc(m * sizeof(*off));
    mu = malloc(m * sizeof(*mu));
    hat = malloc(m * sizeof(*hat));
    s = malloc(m * sizeof(*s));
    omega = malloc(m * sizeof(*omega));
    weeks = malloc(m * sizeof(*weeks));
    if (!x || !y || !off || !mu || !hat || !s || !omega || !weeks)
        goto out;
    for (;;) {
        size_t p = 0, i = 0;
        for (size_t w = first; w <= last; w++) {
            if ((judgeable && !judgeable[w]) || treatments[w] <= 0)
                continue;
            weeks[i] = w;
            y[i] = (double)cases[w];
            off[i] = log((double)treatments[w]);
            p = design_row(model, pr->harmonics, w, t, &x[i * DETECT_GLM_MAX_P]);
            i++;
        }
        for (i = 0; i < m; i++)
            memmove(&x[i * p], &x[i * DETECT_GLM_MAX_P], p * sizeof(*x));
        detect_glm_data_t data = {m, p, x, y, off, NULL};
        detect_glm_fit_t fit;
        int rc = detect_glm_quasipoisson(&data, &fit, mu, hat);
        if (rc == 0 && fit.converged) {
            double phi = fmax(fit.dispersion, 1.0);
            detect_glm_anscombe(m, y, mu, hat, phi, s);
            detect_glm_reweight(m, s, pr->reweight_threshold, omega);
            data.prior = omega;
            rc = detect_glm_quasipoisson(&data, &fit, mu, hat);
        }
        if (rc == -2)
            goto out;
        if (rc != 0 || !fit.converged || !isfinite(fit.dispersion)) {
            /* Fall back to a simpler model, and at last to the gamma. */
            if (model == DETECT_MODEL_LEVEL) {
                out = predict_gamma(&out, treatments, n, t, pr);
                goto out;
            }
            model = model == DETECT_MODEL_SEASON ? DETECT_MODEL_TREND : DETECT_MODEL_LEVEL;
            continue;
        }
        /* Windows: E_k = sum of mu_w, var log E_k = phi g' Cov g with
         * g = sum mu_w x_w / E_k (delta method). */
        double phi = fmax(fit.dispersion, 1.0);
        double esum = 0.0, g[DETECT_GLM_MAX_P] = {0};
        out.model = model;
        out.phi = phi;
        for (int k = 1; k <= pr->window_max; k++) {
            size_t w = t + 1 - (size_t)k;
            double xw[DETECT_GLM_MAX_P];
            design_row(model, pr->harmonics, w, t, xw);
            double eta = treatments[w] > 0 ? log((double)treatments[w]) : -INFINITY;
            for (size_t j = 0; j < p; j++)
                eta += xw[j] * fit.coef[j];
            double muw = exp(eta);
            esum += muw;
            for (size_t j = 0; j < p; j++)
                g[j] += muw * xw[j];
            if (esum > 0.0) {
                double gn[DETECT_GLM_MAX_P];
                for (size_t j = 0; j < p; j++)
                    gn[j] = g[j] / esum;
                out.eta[k - 1] = log(esum);
                out.sigma[k - 1] = sqrt(phi * detect_glm_quad(&fit, p, gn));
            } else {
                out.eta[k - 1] = -INFINITY;
                out.sigma[k - 1] = 0.0;
            }
        }
        break;
    }
out:
    free(x);
    free(y);
    free(off);
    free(mu);
    free(hat);
    free(s);
    free(omega);
    free(weeks);
    return out;
}

detect_pred_t detect_rate_sum(const detect_pred_t *cells, const bool *has_treatments, size_t n,
                              const detect_rate_params_t *pr)
{
    detect_pred_t out = pred_none();
    double mean[DETECT_WINDOW_MAX] = {0}, var[DETECT_WINDOW_MAX] = {0};
    double phimean = 0.0, mean1 = 0.0;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        const detect_pred_t *c = &cells[i];
        if (c->model == DETECT_MODEL_NONE) {
            if (has_treatments[i])
                return out;
            continue;
        }
        if (!any) {
            out.base_first = c->base_first;
            out.base_last = c->base_last;
        }
        any = true;
        out.base_first = c->base_first < out.base_first ? c->base_first : out.base_first;
        out.base_last = c->base_last > out.base_last ? c->base_last : out.base_last;
        out.base_cases += c->base_cases;
        out.base_treatments += c->base_treatments;
        for (int k = 0; k < pr->window_max; k++) {
            if (!isfinite(c->eta[k]))
                continue;
            double s2 = c->sigma[k] * c->sigma[k];
            double mk = exp(c->eta[k] + s2 / 2.0);
            mean[k] += mk;
            var[k] += mk * mk * expm1(s2);
            if (k == 0) {
                phimean += c->phi * mk;
                mean1 += mk;
            }
        }
    }
    if (!any)
        return out;
    out.model = DETECT_MODEL_MARGIN;
    out.phi = mean1 > 0.0 ? phimean / mean1 : 1.0;
    for (int k = 0; k < pr->window_max; k++) {
        if (!(mean[k] > 0.0)) {
            out.eta[k] = -INFINITY;
            out.sigma[k] = 0.0;
            continue;
        }
        double s2 = log1p(var[k] / (mean[k] * mean[k]));
        out.eta[k] = log(mean[k]) - s2 / 2.0;
        out.sigma[k] = sqrt(s2);
    }
    return out;
}

detect_verdict_t detect_rate_judge(const detect_pred_t *pred, const int64_t *cases,
                                   const int64_t *treatments, const bool *judgeable, size_t n,
                                   size_t t,
                                   const detect_rate_params_t *pr)
{
    detect_verdict_t v;
    memset(&v, 0, sizeof(v));
    v.model = pred->model;
    v.p_value = v.q_value = v.expected = NAN;
    v.phi = pred->phi;
    v.base_first = pred->base_first;
    v.base_last = pred->base_last;
    v.base_cases = pred->base_cases;
    v.base_treatments = pred->base_treatments;
    if (pred->model == DETECT_MODEL_NONE || t >= n || (judgeable && !judgeable[t]))
        return v;
    v.week_cases = cases[t];
    double best = 2.0;
    int64_t osum = 0, nsum = 0;
    for (int k = 1; k <= pr->window_max && (size_t)k <= t + 1; k++) {
        size_t w = t + 1 - (size_t)k;
        if (judgeable && !judgeable[w])
            break;
        osum += cases[w];
        nsum += treatments[w];
        double p;
        if (!isfinite(pred->eta[k - 1]))
            p = osum > 0 ? 0.0 : 1.0;
        else
            p = detect_predictive_upper((double)osum, pred->eta[k - 1], pred->sigma[k - 1],
                                        pred->phi);
        if (p < best) {
            best = p;
            v.window = k;
            v.observed = osum;
            v.treatments = nsum;
            double s2 = pred->sigma[k - 1] * pred->sigma[k - 1];
            v.expected = isfinite(pred->eta[k - 1]) ? exp(pred->eta[k - 1] + s2 / 2.0) : 0.0;
        }
    }
    v.p_value = fmin(1.0, best * pr->window_max);
    v.q_value = NAN;
    v.defined = true;
    return v;
}

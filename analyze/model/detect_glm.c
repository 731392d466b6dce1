/*
 * detect_glm.c - quasi-Poisson IRLS as R's glm.fit (see detect_glm.h).
 */
#include "model/detect_glm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXIT 25
#define EPSILON 1e-8
#define QR_TOL 1e-11 /* min(1e-7, epsilon / 1000), as glm.fit passes to Cdqrls */

/* Poisson deviance with prior weights (R's poisson()$dev.resids, summed). */
static double deviance(size_t n, const double *y, const double *mu, const double *prior)
{
    double dev = 0.0;
    for (size_t i = 0; i < n; i++) {
        double wt = prior ? prior[i] : 1.0;
        double r = y[i] > 0.0 ? wt * (y[i] * log(y[i] / mu[i]) - (y[i] - mu[i])) : mu[i] * wt;
        dev += 2.0 * r;
    }
    return dev;
}

/* Householder QR of a (m x p, column-major, m rows used) in place, applied
 * to rhs too. r (p x p, row-major upper) receives R. Returns -1 when a
 * column's remaining norm is below QR_TOL times its original norm. */
static int householder(size_t m, size_t p, double *a, double *rhs, double *r)
{
    double norms[DETECT_GLM_MAX_P];
    for (size_t j = 0; j < p; j++) {
        double s = 0.0;
        for (size_t i = 0; i < m; i++)
            s += a[j * m + i] * a[j * m + i];
        norms[j] = sqrt(s);
    }
    for (size_t j = 0; j < p; j++) {
        double *col = &a[j * m];
        double s = 0.0;
        for (size_t i = j; i < m; i++)
            s += col[i] * col[i];
        double nrm = sqrt(s);
        if (!(nrm > QR_TOL * norms[j]) || nrm == 0.0)
            return -1;
        double alpha = col[j] > 0.0 ? -nrm : nrm;
        double v0 = col[j] - alpha;
        /* v = (v0, col[j+1..]); H = I - 2 v v' / (v'v) */
        double vtv = v0 * v0 + (s - col[j] * col[j]);
        for (size_t k = j + 1; k < p; k++) {
            double *ck = &a[k * m];
            double dot = v0 * ck[j];
            for (size_t i = j + 1; i < m; i++)
                dot += col[i] * ck[i];
            double f = 2.0 * dot / vtv;
            ck[j] -= f * v0;
            for (size_t i = j + 1; i < m; i++)
                ck[i] -= f * col[i];
        }
        double dot = v0 * rhs[j];
        for (size_t i = j + 1; i < m; i++)
            dot += col[i] * rhs[i];
        double f = 2.0 * dot / vtv;
        rhs[j] -= f * v0;
        for (size_t i = j + 1; i < m; i++)
            rhs[i] -= f * col[i];
        col[j] = alpha;
    }
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++)
            r[i * p + j] = j >= i ? a[j * m + i] : 0.0;
    }
    return 0;
}

/* Inverse of the upper-triangular r (p x p, row-major) into rinv. */
static void upper_inverse(size_t p, const double *r, double *rinv)
{
    memset(rinv, 0, p * p * sizeof(*rinv));
    for (size_t j = p; j-- > 0;) {
        rinv[j * p + j] = 1.0 / r[j * p + j];
        for (size_t i = j; i-- > 0;) {
            double s = 0.0;
            for (size_t k = i + 1; k <= j; k++)
                s += r[i * p + k] * rinv[k * p + j];
            rinv[i * p + j] = -s / r[i * p + i];
        }
    }
}

int detect_glm_quasipoisson(const detect_glm_data_t *d, detect_glm_fit_t *fit, double *mu_out,
                            double *hat_out)
{
    size_t n = d->n, p = d->p, m = 0;
    double *buf = NULL, *a, *xw, *z, *eta, *mu, *w;
    double r[DETECT_GLM_MAX_P * DETECT_GLM_MAX_P], rinv[DETECT_GLM_MAX_P * DETECT_GLM_MAX_P];
    double beta[DETECT_GLM_MAX_P];
    size_t *rows = NULL;
    int rc = -1;

    memset(fit, 0, sizeof(*fit));
    if (p == 0 || p > DETECT_GLM_MAX_P || n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!(d->y[i] >= 0.0) || (d->prior && !(d->prior[i] >= 0.0)) ||
            (d->offset && !isfinite(d->offset[i])))
            return -1;
        m += !d->prior || d->prior[i] > 0.0;
    }
    if (m < p)
        return -1;
    buf = malloc((2 * n * p + 4 * n) * sizeof(*buf));
    rows = malloc(n * sizeof(*rows));
    if (buf == NULL || rows == NULL) {
        rc = -2;
        goto out;
    }
    a = buf;
    xw = a + n * p;
    z = xw + n * p;
    eta = z + n;
    mu = eta + n;
    w = mu + n;

    for (size_t i = 0; i < n; i++) {
        eta[i] = log(d->y[i] + 0.1);
        mu[i] = exp(eta[i]);
    }
    double devold = deviance(n, d->y, mu, d->prior), dev = devold;
    fit->converged = false;
    for (int iter = 1; iter <= MAXIT; iter++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            double wt = d->prior ? d->prior[i] : 1.0;
            if (!(wt > 0.0))
                continue;
            rows[k] = i;
            double off = d->offset ? d->offset[i] : 0.0;
            w[k] = sqrt(wt * mu[i]);
            z[k] = (eta[i] - off + (d->y[i] - mu[i]) / mu[i]) * w[k];
            k++;
        }
        for (size_t j = 0; j < p; j++) {
            for (size_t i = 0; i < m; i++) {
                a[j * m + i] = d->x[rows[i] * p + j] * w[i];
                xw[j * m + i] = a[j * m + i];
            }
        }
        if (householder(m, p, a, z, r) != 0)
            goto out;
        upper_inverse(p, r, rinv);
        for (size_t i = 0; i < p; i++) {
            double s = 0.0;
            for (size_t j = i; j < p; j++)
                s += rinv[i * p + j] * z[j];
            beta[i] = s;
        }
        for (size_t i = 0; i < n; i++) {
            double s = d->offset ? d->offset[i] : 0.0;
            for (size_t j = 0; j < p; j++)
                s += d->x[i * p + j] * beta[j];
            eta[i] = s;
            mu[i] = exp(s);
        }
        dev = deviance(n, d->y, mu, d->prior);
        fit->iterations = iter;
        if (!isfinite(dev))
            goto out;
        if (fabs(dev - devold) / (fabs(dev) + 0.1) < EPSILON) {
            fit->converged = true;
            break;
        }
        devold = dev;
    }
    /* What R keeps from the last step: the coefficients, (R'R)^-1, the
     * working weights w^2 (of the mu that step started from) and the hat
     * values of its QR; the residuals are of the final mu. */
    memcpy(fit->coef, beta, p * sizeof(*beta));
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++) {
            double s = 0.0;
            for (size_t k = (i > j ? i : j); k < p; k++)
                s += rinv[i * p + k] * rinv[j * p + k];
            fit->cov[i * p + j] = s;
        }
    }
    fit->deviance = dev;
    fit->df_residual = (double)(m - p);
    double pearson = 0.0;
    for (size_t k = 0; k < m; k++) {
        size_t i = rows[k];
        double res = (d->y[i] - mu[i]) / mu[i];
        pearson += w[k] * w[k] * res * res;
    }
    fit->dispersion = m > p ? pearson / (double)(m - p) : NAN;
    if (mu_out)
        memcpy(mu_out, mu, n * sizeof(*mu));
    if (hat_out) {
        memset(hat_out, 0, n * sizeof(*hat_out));
        for (size_t k = 0; k < m; k++) {
            double h = 0.0;
            for (size_t j = 0; j < p; j++) {
                double q = 0.0;
                for (size_t l = 0; l <= j; l++)
                    q += xw[l * m + k] * rinv[l * p + j];
                h += q * q;
            }
            hat_out[rows[k]] = h;
        }
    }
    rc = 0;
out:
    free(buf);
    free(rows);
    return rc;
}

double detect_glm_quad(const detect_glm_fit_t *fit, size_t p, const double *x)
{
    double s = 0.0;
    for (size_t i = 0; i < p; i++) {
        for (size_t j = 0; j < p; j++)
            s += x[i] * fit->cov[i * p + j] * x[j];
    }
    return s;
}

void detect_glm_anscombe(size_t n, const double *y, const double *mu, const double *hat,
                         double phi, double *out)
{
    for (size_t i = 0; i < n; i++) {
        double a = 1.5 * (pow(y[i], 2.0 / 3.0) * pow(mu[i], -1.0 / 6.0) - sqrt(mu[i]));
        out[i] = a / sqrt(phi * (1.0 - hat[i]));
    }
}

void detect_glm_reweight(size_t n, const double *s, double threshold, double *omega)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += s[i] > threshold ? 1.0 / (s[i] * s[i]) : 1.0;
    double gamma = (double)n / sum;
    for (size_t i = 0; i < n; i++)
        omega[i] = s[i] > threshold ? gamma / (s[i] * s[i]) : gamma;
}

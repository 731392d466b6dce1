/*
 * detect_glm.h - a quasi-Poisson log-linear model with offset and prior
 * weights, fitted as R's glm(family = quasipoisson) fits it.
 *
 * The same iteratively reweighted least squares as R's glm.fit: start from
 * mu = y + 0.1, at most 25 iterations, stop when the deviance changes by
 * less than 1e-8 relative (|dev - devold| / (|dev| + 0.1)); each step a
 * Householder QR of the weighted design. The returned quantities are those
 * R derives from that last step: the unscaled covariance (R'R)^-1 and the
 * hat values of its QR, and summary.glm's dispersion, the sum of working
 * weights x working residuals^2 over the residual degrees of freedom (the
 * weights from the last step, the residuals from the final fit). Copying
 * the iteration, not only the estimator, is what makes a Farrington
 * threshold agree with R's to 1e-9 rather than to R's own tolerance.
 * Pure: allocates its scratch, no I/O.
 */
#ifndef NW_DETECT_GLM_H
#define NW_DETECT_GLM_H

#include <stdbool.h>
#include <stddef.h>

#define DETECT_GLM_MAX_P 16

typedef struct {
    size_t n, p;            /* observations and columns, p <= DETECT_GLM_MAX_P */
    const double *x;        /* n rows of p columns, row-major */
    const double *y;        /* counts >= 0 */
    const double *offset;   /* NULL: none */
    const double *prior;    /* prior weights >= 0, NULL: all 1 */
} detect_glm_data_t;

typedef struct {
    double coef[DETECT_GLM_MAX_P];
    double cov[DETECT_GLM_MAX_P * DETECT_GLM_MAX_P]; /* unscaled, p x p row-major */
    double dispersion;      /* Pearson, as summary.glm (not floored at 1) */
    double deviance;
    double df_residual;     /* observations with prior weight > 0, minus p */
    int iterations;
    bool converged;
} detect_glm_fit_t;

/* Fits the model. mu and hat (n each, may be NULL) receive the fitted
 * means and the hat values (0 where the prior weight is 0). Returns 0, -1
 * when the design is rank deficient, has too few observations or a bad
 * value, -2 when out of memory. */
int detect_glm_quasipoisson(const detect_glm_data_t *d, detect_glm_fit_t *fit, double *mu,
                            double *hat) __attribute__((warn_unused_result));

/* x' cov x for a row x of p values: the unscaled variance of x' coef. */
double detect_glm_quad(const detect_glm_fit_t *fit, size_t p, const double *x)
    __attribute__((warn_unused_result));

/* The Anscombe residuals of a fit as surveillance's anscombe.residuals:
 * 3/2 (y^(2/3) mu^(-1/6) - mu^(1/2)) / sqrt(phi (1 - hat)). */
void detect_glm_anscombe(size_t n, const double *y, const double *mu, const double *hat,
                         double phi, double *out);

/* Farrington's weights from Anscombe residuals s (surveillance's
 * algo.farrington.assign.weights): gamma s^-2 where s > threshold, gamma
 * elsewhere, gamma making the weights sum to n. */
void detect_glm_reweight(size_t n, const double *s, double threshold, double *omega);

#endif

/*
 * analysis.c - rates, intervals and home-versus-clinic comparisons built
 * from a filled cube (see analysis.h).
 *
 * Rows come out in report order: device types in cube order then "all";
 * settings home, clinic, all; skin types I..VI, unknown, all; complications
 * any then the ten types.
 */
#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

static int build_rates(analysis_t *analysis, char *errbuf, size_t errlen)
{
    const cube_t *cube = analysis->cube;
    size_t cap = (cube->n_devices + 1) * CUBE_SETTINGS * CUBE_SKINS * CUBE_COMPLICATIONS;

    analysis->rates = calloc(cap, sizeof(*analysis->rates));
    if (analysis->rates == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t d = cube_device_slot(cube, i);
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int k = 0; k < CUBE_SKINS; k++) {
                const cube_cell_t *cell = cube_cell_const(cube, d, s, k);
                if (cell->treatments == 0)
                    continue;
                for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
                    analysis_rate_t *r = &analysis->rates[analysis->n_rates++];
                    nw_proportion_t p =
                        stats_wilson((long)cell->cases[c], (long)cell->treatments, analysis->z);
                    if (!p.defined) {
                        snprintf(errbuf, errlen, "no Wilson interval for %lld cases of %lld",
                                 (long long)cell->cases[c], (long long)cell->treatments);
                        return -1;
                    }
                    r->device = d;
                    r->setting = s;
                    r->skin = k;
                    r->complication = c;
                    r->treatments = cell->treatments;
                    r->cases = cell->cases[c];
                    r->rate = (double)cell->cases[c] / (double)cell->treatments;
                    r->ci_low = p.lo;
                    r->ci_high = p.hi;
                }
            }
        }
    }
    return 0;
}

static analysis_side_t side_of(const cube_cell_t *cell, int c)
{
    analysis_side_t side = {cell->treatments, cell->cases[c],
                            (double)cell->cases[c] / (double)cell->treatments};
    return side;
}

static int build_comparisons(analysis_t *analysis, char *errbuf, size_t errlen)
{
    const cube_t *cube = analysis->cube;
    size_t cap = (cube->n_devices + 1) * CUBE_SKINS * CUBE_COMPLICATIONS;

    analysis->comparisons = calloc(cap, sizeof(*analysis->comparisons));
    if (analysis->comparisons == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t d = cube_device_slot(cube, i);
        for (int k = 0; k < CUBE_SKINS; k++) {
            const cube_cell_t *home = cube_cell_const(cube, d, CUBE_SETTING_HOME, k);
            const cube_cell_t *clinic = cube_cell_const(cube, d, CUBE_SETTING_CLINIC, k);
            if (home->treatments == 0 || clinic->treatments == 0)
                continue;
            for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
                analysis_comparison_t *cmp = &analysis->comparisons[analysis->n_comparisons++];
                nw_ratio_t rr = stats_risk_ratio((long)home->cases[c], (long)home->treatments,
                                                 (long)clinic->cases[c], (long)clinic->treatments,
                                                 analysis->z);
                cmp->device = d;
                cmp->skin = k;
                cmp->complication = c;
                cmp->home = side_of(home, c);
                cmp->clinic = side_of(clinic, c);
                cmp->defined = rr.defined;
                cmp->rate_ratio = rr.defined ? rr.est : NAN;
                cmp->ci_low = rr.defined ? rr.lo : NAN;
                cmp->ci_high = rr.defined ? rr.hi : NAN;
                /* The statistics must agree with the definition of the
                 * output: defined exactly when both sides have a case. */
                if (rr.defined != (home->cases[c] > 0 && clinic->cases[c] > 0)) {
                    snprintf(errbuf, errlen, "rate ratio unexpectedly %s for %lld/%lld vs %lld/%lld",
                             rr.defined ? "defined" : "undefined", (long long)home->cases[c],
                             (long long)home->treatments, (long long)clinic->cases[c],
                             (long long)clinic->treatments);
                    return -1;
                }
            }
        }
    }
    return 0;
}

static void build_adjusted(analysis_t *analysis)
{
    const cube_t *cube = analysis->cube;
    nw_stratum_t strata[CUBE_MAX_DEVICES * CUBE_SKIN_ALL];

    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        analysis_adjusted_t *adj = &analysis->adjusted[c];
        size_t n = 0;
        nw_mh_ratio_t mh;

        for (size_t d = 0; d < cube->n_devices; d++) {
            for (int k = 0; k < CUBE_SKIN_ALL; k++) {
                const cube_cell_t *home = cube_cell_const(cube, d, CUBE_SETTING_HOME, k);
                const cube_cell_t *clinic = cube_cell_const(cube, d, CUBE_SETTING_CLINIC, k);
                strata[n].a = (long)home->cases[c];
                strata[n].n1 = (long)home->treatments;
                strata[n].c = (long)clinic->cases[c];
                strata[n].n2 = (long)clinic->treatments;
                n++;
            }
        }
        mh = stats_mh_risk_ratio(strata, n, analysis->z);
        adj->complication = c;
        adj->defined = mh.rr.defined;
        adj->mh_rate_ratio = mh.rr.defined ? mh.rr.est : NAN;
        adj->ci_low = mh.rr.defined ? mh.rr.lo : NAN;
        adj->ci_high = mh.rr.defined ? mh.rr.hi : NAN;
        adj->strata_used = mh.strata_used;
    }
}

int analysis_build(const cube_t *cube, analysis_t *analysis, char *errbuf, size_t errlen)
{
    memset(analysis, 0, sizeof(*analysis));
    analysis->cube = cube;
    analysis->z = NW_Z95;
    if (build_rates(analysis, errbuf, errlen) != 0 ||
        build_comparisons(analysis, errbuf, errlen) != 0) {
        analysis_free(analysis);
        return -1;
    }
    build_adjusted(analysis);
    return 0;
}

void analysis_free(analysis_t *analysis)
{
    free(analysis->rates);
    free(analysis->comparisons);
    analysis->rates = NULL;
    analysis->comparisons = NULL;
    analysis->n_rates = analysis->n_comparisons = 0;
}

const analysis_comparison_t *analysis_find_comparison(const analysis_t *analysis, size_t device,
                                                      int skin, int complication)
{
    for (size_t i = 0; i < analysis->n_comparisons; i++) {
        const analysis_comparison_t *cmp = &analysis->comparisons[i];
        if (cmp->device == device && cmp->skin == skin && cmp->complication == complication)
            return cmp;
    }
    return NULL;
}

const analysis_rate_t *analysis_find_rate(const analysis_t *analysis, size_t device, int setting,
                                          int skin, int complication)
{
    for (size_t i = 0; i < analysis->n_rates; i++) {
        const analysis_rate_t *r = &analysis->rates[i];
        if (r->device == device && r->setting == setting && r->skin == skin &&
            r->complication == complication)
            return r;
    }
    return NULL;
}

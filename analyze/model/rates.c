/*
 * rates.c - rates, intervals and home-versus-clinic comparisons built from
 * a filled cube (see rates.h).
 *
 * Rows come out in report order: device types in cube order then "all";
 * settings home, clinic, all; skin types I..VI, unknown, all; complications
 * any then the ten types.
 */
#include "model/rates.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/stats.h"

static int build_rates(rates_t *rates, char *errbuf, size_t errlen)
{
    const cube_t *cube = rates->cube;
    size_t cap = (cube->n_devices + 1) * CUBE_SETTINGS * CUBE_SKINS * CUBE_COMPLICATIONS;

    rates->rates = calloc(cap, sizeof(*rates->rates));
    if (rates->rates == NULL) {
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
                    rate_t *r = &rates->rates[rates->n_rates++];
                    nw_proportion_t p =
                        stats_wilson((long)cell->cases[c], (long)cell->treatments, rates->z);
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
                    p = stats_wilson((long)cell->serious[c], (long)cell->treatments, rates->z);
                    if (!p.defined) {
                        snprintf(errbuf, errlen,
                                 "no Wilson interval for %lld serious cases of %lld",
                                 (long long)cell->serious[c], (long long)cell->treatments);
                        return -1;
                    }
                    r->serious_cases = cell->serious[c];
                    r->serious_rate = p.est;
                    r->serious_ci_low = p.lo;
                    r->serious_ci_high = p.hi;
                }
            }
        }
    }
    return 0;
}

static rate_side_t side_of(const cube_cell_t *cell, int c)
{
    rate_side_t side = {cell->treatments, cell->cases[c],
                            (double)cell->cases[c] / (double)cell->treatments};
    return side;
}

static int build_comparisons(rates_t *rates, char *errbuf, size_t errlen)
{
    const cube_t *cube = rates->cube;
    size_t cap = (cube->n_devices + 1) * CUBE_SKINS * CUBE_COMPLICATIONS;

    rates->comparisons = calloc(cap, sizeof(*rates->comparisons));
    if (rates->comparisons == NULL) {
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
                rate_comparison_t *cmp = &rates->comparisons[rates->n_comparisons++];
                nw_ratio_t rr = stats_risk_ratio((long)home->cases[c], (long)home->treatments,
                                                 (long)clinic->cases[c], (long)clinic->treatments,
                                                 rates->z);
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

static void build_adjusted(rates_t *rates)
{
    const cube_t *cube = rates->cube;
    nw_stratum_t strata[CUBE_MAX_DEVICES * CUBE_SKIN_ALL];

    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        rate_adjusted_t *adj = &rates->adjusted[c];
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
        mh = stats_mh_risk_ratio(strata, n, rates->z);
        adj->complication = c;
        adj->defined = mh.rr.defined;
        adj->mh_rate_ratio = mh.rr.defined ? mh.rr.est : NAN;
        adj->ci_low = mh.rr.defined ? mh.rr.lo : NAN;
        adj->ci_high = mh.rr.defined ? mh.rr.hi : NAN;
        adj->strata_used = mh.strata_used;
    }
}

int rates_build(const cube_t *cube, rates_t *rates, char *errbuf, size_t errlen)
{
    memset(rates, 0, sizeof(*rates));
    rates->cube = cube;
    rates->z = NW_Z95;
    if (build_rates(rates, errbuf, errlen) != 0 ||
        build_comparisons(rates, errbuf, errlen) != 0) {
        rates_free(rates);
        return -1;
    }
    build_adjusted(rates);
    return 0;
}

void rates_free(rates_t *rates)
{
    free(rates->rates);
    free(rates->comparisons);
    rates->rates = NULL;
    rates->comparisons = NULL;
    rates->n_rates = rates->n_comparisons = 0;
}

const rate_comparison_t *rates_find_comparison(const rates_t *rates, size_t device,
                                                      int skin, int complication)
{
    for (size_t i = 0; i < rates->n_comparisons; i++) {
        const rate_comparison_t *cmp = &rates->comparisons[i];
        if (cmp->device == device && cmp->skin == skin && cmp->complication == complication)
            return cmp;
    }
    return NULL;
}

const rate_t *rates_find(const rates_t *rates, size_t device, int setting,
                                          int skin, int complication)
{
    for (size_t i = 0; i < rates->n_rates; i++) {
        const rate_t *r = &rates->rates[i];
        if (r->device == device && r->setting == setting && r->skin == skin &&
            r->complication == complication)
            return r;
    }
    return NULL;
}

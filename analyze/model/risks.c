/*
 * risks.c - risks over a fixed follow-up, from the grids the load step
 * filled (see risks.h).
 *
 * Rows come out per horizon, then in the rates' order: device types in cube
 * order then "all"; settings home, clinic, all; skin types I..VI, unknown,
 * all; complications any then each type.
 */
#include "model/risks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"

bool risks_init(risks_t *risks, const char *as_of, const int *horizons, size_t n)
{
    memset(risks, 0, sizeof(*risks));
    snprintf(risks->as_of, sizeof(risks->as_of), "%s", as_of);
    risks->grids = calloc(RISKS_MAX_HORIZONS, sizeof(*risks->grids));
    if (risks->grids == NULL)
        return false;
    for (size_t i = 0; i < n && i < RISKS_MAX_HORIZONS; i++) {
        risks->horizons[i] = horizons[i];
        risks->grids[i].horizon = horizons[i];
        risks->n_horizons++;
    }
    return true;
}

/* [a, b] within [from, to] (NULL/"" open), as dates; "" when empty. */
static void clip(int32_t a, int32_t b, const char *from, const char *to, char lo[11],
                 char hi[11])
{
    int32_t f, t;

    if (from != NULL && from[0] && civil_parse(from, &f) == CIVIL_OK && f > a)
        a = f;
    if (to != NULL && to[0] && civil_parse(to, &t) == CIVIL_OK && t < b)
        b = t;
    if (a > b) {
        lo[0] = hi[0] = '\0';
        return;
    }
    civil_format(a, lo);
    civil_format(b, hi);
}

void risks_periods(const char *as_of, int horizon, const char *from, const char *to,
                   char recent_from[11], char recent_to[11], char previous_from[11],
                   char previous_to[11])
{
    int32_t day;

    if (civil_parse(as_of, &day) != CIVIL_OK) {
        recent_from[0] = recent_to[0] = previous_from[0] = previous_to[0] = '\0';
        return;
    }
    day -= horizon;
    clip(day - (RISKS_PERIOD_DAYS - 1), day, from, to, recent_from, recent_to);
    clip(day - (2 * RISKS_PERIOD_DAYS - 1), day - RISKS_PERIOD_DAYS, from, to, previous_from,
         previous_to);
}

static int period_stats(risk_period_t *p, double z, char *errbuf, size_t errlen)
{
    nw_proportion_t w;

    if (p->treatments == 0) {
        p->rate = p->ci_low = p->ci_high = NAN;
        return 0;
    }
    w = stats_wilson((long)p->serious, (long)p->treatments, z);
    if (!w.defined) {
        snprintf(errbuf, errlen, "no Wilson interval for %lld serious cases of %lld",
                 (long long)p->serious, (long long)p->treatments);
        return -1;
    }
    p->rate = w.est;
    p->ci_low = w.lo;
    p->ci_high = w.hi;
    return 0;
}

static int add_row(risks_t *risks, const risk_grid_t *grid, size_t d, int s, int k, int c,
                   char *errbuf, size_t errlen)
{
    const cube_cell_t *cell = &grid->cells[d][s][k];
    risk_row_t *r = &risks->rows[risks->n_rows++];
    nw_proportion_t p = stats_wilson((long)cell->cases[c], (long)cell->treatments, NW_Z95);
    nw_proportion_t q = stats_wilson((long)cell->serious[c], (long)cell->treatments, NW_Z95);

    if (!p.defined || !q.defined || cell->missing[c] < 0 || cell->missing[c] > cell->cases[c]) {
        snprintf(errbuf, errlen,
                 "inconsistent risk counts: %lld cases, %lld serious, %lld on a missing onset "
                 "of %lld treatments",
                 (long long)cell->cases[c], (long long)cell->serious[c],
                 (long long)cell->missing[c], (long long)cell->treatments);
        return -1;
    }
    *r = (risk_row_t){.device = d,
                      .setting = s,
                      .skin = k,
                      .complication = c,
                      .horizon = grid->horizon,
                      .treatments = cell->treatments,
                      .cases = cell->cases[c],
                      .serious = cell->serious[c],
                      .missing = cell->missing[c],
                      .rate = p.est,
                      .ci_low = p.lo,
                      .ci_high = p.hi,
                      .serious_rate = q.est,
                      .serious_ci_low = q.lo,
                      .serious_ci_high = q.hi};
    return 0;
}

int risks_build(const cube_t *cube, risks_t *risks, char *errbuf, size_t errlen)
{
    size_t cap = risks->n_horizons * (cube->n_devices + 1) * CUBE_SETTINGS * CUBE_SKINS *
                 CUBE_COMPLICATIONS;
    risk_change_t *ch = &risks->change;

    risks->cube = cube;
    risks->rows = calloc(cap ? cap : 1, sizeof(*risks->rows));
    risks->n_rows = 0;
    if (risks->rows == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    for (size_t h = 0; h < risks->n_horizons; h++) {
        const risk_grid_t *grid = &risks->grids[h];
        for (size_t i = 0; i <= cube->n_devices; i++) {
            size_t d = cube_device_slot(cube, i);
            for (int s = 0; s < CUBE_SETTINGS; s++) {
                for (int k = 0; k < CUBE_SKINS; k++) {
                    if (grid->cells[d][s][k].treatments == 0)
                        continue;
                    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
                        if (add_row(risks, grid, d, s, k, c, errbuf, errlen) != 0)
                            return -1;
                    }
                }
            }
        }
    }
    if (period_stats(&ch->recent, NW_Z95, errbuf, errlen) != 0 ||
        period_stats(&ch->previous, NW_Z95, errbuf, errlen) != 0)
        return -1;
    ch->ratio = stats_risk_ratio((long)ch->recent.serious, (long)ch->recent.treatments,
                                 (long)ch->previous.serious, (long)ch->previous.treatments,
                                 NW_Z95);
    return 0;
}

void risks_free(risks_t *risks)
{
    free(risks->rows);
    free(risks->grids);
    risks->rows = NULL;
    risks->grids = NULL;
    risks->n_rows = 0;
    risks->n_horizons = 0;
}

const risk_row_t *risks_find(const risks_t *risks, int horizon, size_t device, int setting,
                             int skin, int complication)
{
    for (size_t i = 0; i < risks->n_rows; i++) {
        const risk_row_t *r = &risks->rows[i];
        if (r->horizon == horizon && r->device == device && r->setting == setting &&
            r->skin == skin && r->complication == complication)
            return r;
    }
    return NULL;
}

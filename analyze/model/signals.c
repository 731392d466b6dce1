/*
 * signals.c - disproportionality on report counts and rate ratios on
 * treatments (see signals.h). Rows come out in report order: device types
 * in cube order, pairs in the tally's (sorted) order, complications 1..10.
 */
#include "model/signals.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void signals_compute(signal_row_t *row, int c, const int64_t *reports, const int64_t *other,
                     double z)
{
    nw_evans_t evans;

    row->complication = c;
    row->table.a = (long)reports[c];
    row->table.b = (long)(reports[0] - reports[c]);
    row->table.c = (long)other[c];
    row->table.d = (long)(other[0] - other[c]);
    row->prr = stats_prr(row->table, z);
    row->ror = stats_ror(row->table, z);
    row->chi2 = stats_chi2_yates(row->table);
    evans = stats_evans_signal(row->table, z);
    row->evans_signal = evans.signal;
    row->signal = evans.signal;
}

void signals_rate(signal_rate_t *row, int64_t t, int64_t a, int64_t ot, int64_t oc, double z)
{
    row->treatments = t;
    row->cases = a;
    row->other_treatments = ot;
    row->other_cases = oc;
    row->rate = t > 0 ? (double)a / (double)t : NAN;
    row->other_rate = ot > 0 ? (double)oc / (double)ot : NAN;
    row->rate_ratio = stats_risk_ratio((long)a, (long)t, (long)oc, (long)ot, z);
}

int signals_build(const cube_t *cube, const tally_t *tally, double z, signals_t *signals)
{
    const int64_t *all = tally->devices[CUBE_DEVICE_ALL];

    memset(signals, 0, sizeof(*signals));
    signals->devices = calloc(cube->n_devices * CUBE_COMPLICATIONS + 1, sizeof(*signals->devices));
    signals->models = calloc(tally->n_models * CUBE_COMPLICATIONS + 1, sizeof(*signals->models));
    signals->rates = calloc(cube->n_devices * 2 * CUBE_COMPLICATIONS + 1, sizeof(*signals->rates));
    if (signals->devices == NULL || signals->models == NULL || signals->rates == NULL)
        return -1;
    for (size_t d = 0; d < cube->n_devices; d++) {
        int64_t other[CUBE_COMPLICATIONS];
        if (cube_cell_const(cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        for (int c = 0; c < CUBE_COMPLICATIONS; c++)
            other[c] = all[c] - tally->devices[d][c];
        for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
            signal_row_t *row = &signals->devices[signals->n_devices++];
            row->device = d;
            signals_compute(row, c, tally->devices[d], other, z);
        }
    }
    for (size_t m = 0; m < tally->n_models; m++) {
        const tally_model_t *mo = &tally->models[m];
        int64_t other[CUBE_COMPLICATIONS];
        for (int c = 0; c < CUBE_COMPLICATIONS; c++)
            other[c] = all[c] - mo->reports[c];
        for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
            signal_row_t *row = &signals->models[signals->n_models++];
            row->device = CUBE_DEVICE_ALL;
            row->manufacturer = mo->manufacturer;
            row->model = mo->model;
            signals_compute(row, c, mo->reports, other, z);
        }
    }
    /* Rate comparison: each device type against all other device types,
     * home and clinic separately. */
    for (size_t d = 0; d < cube->n_devices; d++) {
        if (cube_cell_const(cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments == 0)
            continue;
        for (int st = CUBE_SETTING_HOME; st <= CUBE_SETTING_CLINIC; st++) {
            const cube_cell_t *cell = cube_cell_const(cube, d, st, CUBE_SKIN_ALL);
            const cube_cell_t *tot = cube_cell_const(cube, CUBE_DEVICE_ALL, st, CUBE_SKIN_ALL);
            for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
                signal_rate_t *row = &signals->rates[signals->n_rates++];
                row->device = d;
                row->setting = st;
                row->complication = c;
                signals_rate(row, cell->treatments, cell->cases[c],
                             tot->treatments - cell->treatments, tot->cases[c] - cell->cases[c],
                             z);
            }
        }
    }
    return 0;
}

void signals_free(signals_t *signals)
{
    free(signals->devices);
    free(signals->models);
    free(signals->rates);
    memset(signals, 0, sizeof(*signals));
}

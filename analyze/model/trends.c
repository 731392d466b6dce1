/*
 * trends.c - Cochran-Armitage over skin types, pooled and per device type,
 * and Mantel's extension test stratified by device type (see trends.h).
 */
#include "model/trends.h"

#include <string.h>

void trends_skin(const cube_t *cube, size_t device, int setting, int complication,
                 skin_trend_row_t *row)
{
    nw_trend_group_t groups[6];

    memset(row, 0, sizeof(*row));
    row->device = device;
    row->setting = setting;
    row->complication = complication;
    for (int k = 0; k < 6; k++) {
        const cube_cell_t *cell = cube_cell_const(cube, device, setting, k);
        row->treatments[k] = cell->treatments;
        row->cases[k] = cell->cases[complication];
        groups[k].cases = (long)cell->cases[complication];
        groups[k].n = (long)cell->treatments;
        groups[k].score = (double)(k + 1);
    }
    row->trend = stats_cochran_armitage(groups, 6);
}

void trends_adjusted(const cube_t *cube, int setting, int complication,
                     skin_trend_adjusted_t *adj)
{
    nw_trend_group_t groups[CUBE_MAX_DEVICES * 2 * 6];
    size_t strata = 0;

    memset(adj, 0, sizeof(*adj));
    adj->setting = setting;
    adj->complication = complication;
    for (size_t d = 0; d < cube->n_devices; d++) {
        for (int s = 0; s < CUBE_SETTING_ALL; s++) {
            if (setting != CUBE_SETTING_ALL && s != setting)
                continue;
            for (int k = 0; k < 6; k++) {
                const cube_cell_t *cell = cube_cell_const(cube, d, s, k);
                groups[strata * 6 + (size_t)k] = (nw_trend_group_t){
                    (long)cell->cases[complication], (long)cell->treatments, (double)(k + 1)};
            }
            strata++;
        }
    }
    adj->strata = strata;
    adj->mantel = stats_mantel_trend(groups, strata, 6);
}

void trends_build(const cube_t *cube, trends_t *trends)
{
    trends->n_devices = cube->n_devices;
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            trends_skin(cube, CUBE_DEVICE_ALL, s, c, &trends->skin[s][c]);
            for (size_t d = 0; d < cube->n_devices; d++)
                trends_skin(cube, d, s, c, &trends->device[d][s][c]);
            trends_adjusted(cube, s, c, &trends->adjusted[s][c]);
        }
    }
}

const skin_trend_row_t *trends_row(const trends_t *trends, size_t device, int setting,
                                   int complication)
{
    return device == CUBE_DEVICE_ALL ? &trends->skin[setting][complication]
                                     : &trends->device[device][setting][complication];
}

const char *trends_direction(const nw_trend_t *trend)
{
    if (!trend->defined)
        return "not computable";
    if (trend->p >= 0.05)
        return "no clear trend";
    return trend->z > 0 ? "rising with skin type" : "falling with skin type";
}

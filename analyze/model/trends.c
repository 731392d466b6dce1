/*
 * trends.c - Cochran-Armitage over skin types (see trends.h).
 */
#include "model/trends.h"

#include <string.h>

void trends_skin(const cube_t *cube, int setting, int complication, skin_trend_row_t *row)
{
    nw_trend_group_t groups[6];

    memset(row, 0, sizeof(*row));
    row->setting = setting;
    row->complication = complication;
    for (int k = 0; k < 6; k++) {
        const cube_cell_t *cell = cube_cell_const(cube, CUBE_DEVICE_ALL, setting, k);
        row->treatments[k] = cell->treatments;
        row->cases[k] = cell->cases[complication];
        groups[k].cases = (long)cell->cases[complication];
        groups[k].n = (long)cell->treatments;
        groups[k].score = (double)(k + 1);
    }
    row->trend = stats_cochran_armitage(groups, 6);
}

void trends_build(const cube_t *cube, trends_t *trends)
{
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++)
            trends_skin(cube, s, c, &trends->skin[s][c]);
    }
}

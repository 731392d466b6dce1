/*
 * trends.c - EARS C2 alerts on weekly counts, Cochran-Armitage over skin
 * types (see trends.h).
 */
#include "trends.h"

#include <stdlib.h>
#include <string.h>

int trends_alerts(const cube_t *cube, const sv_data_t *data, alert_params_t params,
                  alert_row_t **rows, size_t *n)
{
    long *series = NULL;
    size_t cap = *n;
    int rc = -1;

    if (data->n_weeks == 0)
        return 0;
    series = calloc(data->n_weeks, sizeof(*series));
    if (series == NULL)
        return -1;
    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t slot = cube_device_slot(cube, i);
        for (int st = 0; st < CUBE_SETTINGS; st++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            for (size_t w = 0; w < data->n_weeks; w++)
                series[w] = (long)sv_week_cases(data, slot, st, w, c);
            for (size_t w = 0; w < data->n_weeks; w++) {
                nw_ears_t e = stats_ears_c2(series, data->n_weeks, w, params.ears);
                if (!e.defined || !e.alarm || series[w] < params.min_cases)
                    continue;
                if (*n == cap) {
                    size_t ncap = cap ? cap * 2 : 32;
                    alert_row_t *r = realloc(*rows, ncap * sizeof(*r));
                    if (r == NULL)
                        goto out;
                    *rows = r;
                    cap = ncap;
                }
                alert_row_t *a = &(*rows)[(*n)++];
                memset(a, 0, sizeof(*a));
                a->device = slot;
                a->setting = st;
                a->complication = c;
                a->week = w;
                a->ears = e;
            }
        }
        }
    }
    rc = 0;
out:
    free(series);
    return rc;
}

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

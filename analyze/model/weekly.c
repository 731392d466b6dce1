/*
 * weekly.c - the weekly series behind the alerts (see weekly.h).
 */
#include "model/weekly.h"

#include <stdlib.h>
#include <string.h>

bool weekly_init(weekly_t *weekly, int32_t first_week, size_t n_weeks)
{
    memset(weekly, 0, sizeof(*weekly));
    if (n_weeks > WEEKLY_MAX_WEEKS)
        return false;
    weekly->first_week = first_week;
    if (n_weeks == 0)
        return true;
    weekly->counts = calloc(weekly_size(n_weeks), sizeof(*weekly->counts));
    if (weekly->counts == NULL)
        return false;
    weekly->n_weeks = n_weeks;
    return true;
}

void weekly_free(weekly_t *weekly)
{
    free(weekly->counts);
    memset(weekly, 0, sizeof(*weekly));
}

void weekly_add(weekly_t *weekly, size_t device, int setting, int count, size_t week,
                int64_t n)
{
    const size_t slots[2] = {device, CUBE_DEVICE_ALL};
    const int settings[2] = {setting, CUBE_SETTING_ALL};

    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 2; j++)
            weekly->counts[weekly_at(weekly->n_weeks, slots[i], settings[j], count, week)] += n;
    }
}

int64_t weekly_get(const weekly_t *weekly, size_t slot, int setting, int count, size_t week)
{
    return weekly->counts[weekly_at(weekly->n_weeks, slot, setting, count, week)];
}

int32_t weekly_monday(const weekly_t *weekly, size_t week)
{
    return weekly->first_week + (int32_t)(7 * week);
}

size_t weekly_series_count(const cube_t *cube)
{
    return (cube->n_devices + 1) * CUBE_SETTINGS * CUBE_COMPLICATIONS;
}

void weekly_list(const weekly_t *weekly, const cube_t *cube, weekly_series_t *out)
{
    size_t n = 0, nw = weekly->n_weeks;

    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t slot = cube_device_slot(cube, i);
        for (int st = 0; st < CUBE_SETTINGS; st++) {
            const int64_t *treatments =
                nw ? &weekly->counts[weekly_at(nw, slot, st, WEEKLY_TREATMENTS, 0)] : NULL;
            for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
                weekly_series_t *s = &out[n++];
                s->device = slot;
                s->setting = st;
                s->complication = c;
                s->treatments = treatments;
                s->cases = nw ? &weekly->counts[weekly_at(nw, slot, st, c, 0)] : NULL;
            }
        }
    }
}

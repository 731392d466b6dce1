/*
 * weekly.h - the weekly series behind the alerts: treatments and cases per
 * ISO week (Monday to Sunday, by treated_on), device type and setting,
 * with the margins (all device types, home and clinic together) as series
 * of their own. The load step (load/surveillance.c) fills it; the alerts
 * (model/alerts.c), the disclosure tables and the renderers read it.
 *
 * A series is one (device slot, setting, count) triple, where count is
 * WEEKLY_TREATMENTS or a complication of the cube (CUBE_ANY or a type);
 * its n_weeks values are contiguous, week 0 first. weekly_at() is the
 * index of one value in any array laid out so (the counts here, and the
 * disclosure's hidden flags). Pure: no I/O.
 */
#ifndef NW_WEEKLY_H
#define NW_WEEKLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cube.h"

/* Weeks are bounded so a typo in --from cannot allocate gigabytes. */
#define WEEKLY_MAX_WEEKS 5300 /* about a century */

/* The count "treatments" of a series, beside the complications. */
#define WEEKLY_TREATMENTS (-1)

/* Counts per series: the treatments, then CUBE_COMPLICATIONS kinds of case. */
#define WEEKLY_COUNTS (1 + CUBE_COMPLICATIONS)

typedef struct {
    int32_t first_week; /* Monday of week 0, days since 1970-01-01 */
    size_t n_weeks;     /* 0 when there is no treatment in the window */
    int64_t *counts;    /* owned; weekly_size(n_weeks) values, see weekly_at() */
} weekly_t;

/* One series as the alerts read it: its labels and its weeks. */
typedef struct {
    size_t device;             /* cube slot, CUBE_DEVICE_ALL for all */
    int setting;               /* CUBE_SETTING_HOME, _CLINIC or _ALL */
    int complication;          /* CUBE_ANY or a type */
    const int64_t *cases;      /* n_weeks values */
    const int64_t *treatments; /* n_weeks values: the series' denominators */
} weekly_series_t;

/* The number of values of a weekly array of n_weeks weeks. */
static inline size_t weekly_size(size_t n_weeks)
{
    return (size_t)(CUBE_MAX_DEVICES + 1) * CUBE_SETTINGS * WEEKLY_COUNTS * n_weeks;
}

/* The index of week `week` of the series (slot, setting, count) in an
 * array of n_weeks weeks; slot may be CUBE_DEVICE_ALL, setting
 * CUBE_SETTING_ALL, count WEEKLY_TREATMENTS. */
static inline size_t weekly_at(size_t n_weeks, size_t slot, int setting, int count, size_t week)
{
    size_t series = (slot * CUBE_SETTINGS + (size_t)setting) * WEEKLY_COUNTS +
                    (size_t)(count - WEEKLY_TREATMENTS);
    return series * n_weeks + week;
}

/* Allocates zeroed counts for the weeks first_week .. first_week + 7 *
 * (n_weeks - 1) (none when n_weeks is 0). Returns false when out of memory
 * or n_weeks exceeds WEEKLY_MAX_WEEKS. Free with weekly_free(). */
bool weekly_init(weekly_t *weekly, int32_t first_week, size_t n_weeks)
    __attribute__((warn_unused_result));
void weekly_free(weekly_t *weekly);

/* Adds n to the count (WEEKLY_TREATMENTS or a complication) of base series
 * (device, setting) in week, and to the margins above it: all device
 * types, both settings. device < CUBE_MAX_DEVICES, setting home or clinic. */
void weekly_add(weekly_t *weekly, size_t device, int setting, int count, size_t week,
                int64_t n);

/* One value (slot, setting and count as for weekly_at()). */
int64_t weekly_get(const weekly_t *weekly, size_t slot, int setting, int count, size_t week);

/* The week's Monday, days since 1970-01-01. */
int32_t weekly_monday(const weekly_t *weekly, size_t week);

/* The number of series weekly_list() gives for cube. */
size_t weekly_series_count(const cube_t *cube);

/* Fills out (weekly_series_count(cube) entries) with every series of cases
 * in report order: device slots in cube order then all, settings home,
 * clinic, all, complications any then each type. */
void weekly_list(const weekly_t *weekly, const cube_t *cube, weekly_series_t *out);

#endif

/*
 * trends.h - part of the compute step: change across skin types.
 *
 * Skin trend: Cochran-Armitage test for a trend in the rate of each
 * complication over Fitzpatrick I..VI (scores 1..6; "unknown" left out),
 * for home, clinic and both, for each device type and for all device types
 * pooled. Pooling can fake a trend: a device type used mostly on dark skin
 * with a higher risk makes the pooled rate rise with skin type although no
 * device's does. So each setting and complication also has an adjusted
 * trend, Mantel's extension test stratified by device type (for home and
 * clinic together, by device type x setting), which compares skin types
 * within each stratum only. The rows carry a "suppressed" flag that the
 * disclose step sets. Pure.
 */
#ifndef NW_TRENDS_H
#define NW_TRENDS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/cube.h"
#include "model/stats.h"

typedef struct {
    size_t device; /* cube slot; CUBE_DEVICE_ALL: all device types pooled */
    int setting, complication;
    int64_t treatments[6], cases[6]; /* I..VI */
    nw_trend_t trend;
    bool suppressed;
} skin_trend_row_t;

/* The trend across skin types within strata (Mantel extension test). */
typedef struct {
    int setting, complication;
    nw_mantel_trend_t mantel;
    size_t strata;      /* strata offered: device types (x settings for "all") */
    bool suppressed;
} skin_trend_adjusted_t;

typedef struct {
    skin_trend_row_t skin[CUBE_SETTINGS][CUBE_COMPLICATIONS];  /* all device types */
    skin_trend_row_t device[CUBE_MAX_DEVICES][CUBE_SETTINGS][CUBE_COMPLICATIONS];
    size_t n_devices;   /* device slots filled in device[] (the cube's) */
    skin_trend_adjusted_t adjusted[CUBE_SETTINGS][CUBE_COMPLICATIONS];
} trends_t;

/* The skin trend row of (device slot or CUBE_DEVICE_ALL, setting,
 * complication) from the cube. */
void trends_skin(const cube_t *cube, size_t device, int setting, int complication,
                 skin_trend_row_t *row);

/* The adjusted trend of (setting, complication): strata are the cube's
 * device types, and for CUBE_SETTING_ALL device type x home/clinic. */
void trends_adjusted(const cube_t *cube, int setting, int complication,
                     skin_trend_adjusted_t *adj);

/* Every skin trend row of the cube, pooled, per device and adjusted. */
void trends_build(const cube_t *cube, trends_t *trends);

/* The row of (slot, setting, complication): trends->skin for
 * CUBE_DEVICE_ALL, else trends->device. */
const skin_trend_row_t *trends_row(const trends_t *trends, size_t device, int setting,
                                   int complication);

/* Words for a trend: "rising with skin type", "falling with skin type",
 * "no clear trend" (p >= 0.05) or "not computable". */
const char *trends_direction(const nw_trend_t *trend);

#endif

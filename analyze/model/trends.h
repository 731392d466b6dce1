/*
 * trends.h - part of the compute step: change across skin types.
 *
 * Skin trend: Cochran-Armitage test for a trend in the rate of each
 * complication over Fitzpatrick I..VI (scores 1..6; "unknown" left out),
 * for home, clinic and both, all device types. The rows carry a
 * "suppressed" flag that the disclose step sets. Pure.
 */
#ifndef NW_TRENDS_H
#define NW_TRENDS_H

#include <stdbool.h>
#include <stdint.h>

#include "model/cube.h"
#include "model/stats.h"

typedef struct {
    int setting, complication;
    int64_t treatments[6], cases[6]; /* I..VI */
    nw_trend_t trend;
    bool suppressed;
} skin_trend_row_t;

typedef struct {
    skin_trend_row_t skin[CUBE_SETTINGS][CUBE_COMPLICATIONS];
} trends_t;

/* The skin trend row of (setting, complication) from the cube. */
void trends_skin(const cube_t *cube, int setting, int complication, skin_trend_row_t *row);

/* Every skin trend row of the cube. */
void trends_build(const cube_t *cube, trends_t *trends);

#endif

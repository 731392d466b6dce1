/*
 * tally.h - complication reports counted per device type and per
 * (manufacturer, model) pair, by type: the counts behind the
 * disproportionality signals (model/signals.c). The load step
 * (load/surveillance.c) fills it; the disclosure tables read it too.
 * Pure: no I/O.
 */
#ifndef NW_TALLY_H
#define NW_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cube.h"

/* Reports of one (manufacturer, model) pair; [CUBE_ANY] = all types. */
typedef struct {
    char *manufacturer; /* owned */
    char *model;        /* owned */
    int64_t reports[CUBE_COMPLICATIONS];
} tally_model_t;

typedef struct {
    /* Per device slot (incl. CUBE_DEVICE_ALL) and type; [slot][CUBE_ANY] =
     * all types. */
    int64_t devices[CUBE_MAX_DEVICES + 1][CUBE_COMPLICATIONS];
    tally_model_t *models; /* owned, sorted by manufacturer then model */
    size_t n_models, cap_models;
    /* Reports whose treatment names no manufacturer or no model: not a row
     * of signals_by_model, but among every pair's "other" reports. */
    int64_t no_model[CUBE_COMPLICATIONS];
} tally_t;

/* Adds n reports of type (1..CUBE_COMPLICATIONS-1) on treatments of device
 * (a cube slot below CUBE_MAX_DEVICES) and of the pair (manufacturer,
 * model), either NULL when the treatment names none: to the device, to all
 * devices, to the pair or to "no model", each for the type and for all
 * types. Returns false when out of memory. */
bool tally_add(tally_t *tally, size_t device, const char *manufacturer, const char *model,
               int type, int64_t n) __attribute__((warn_unused_result));

/* Sorts the pairs by manufacturer, then model (once every report is in). */
void tally_sort(tally_t *tally);

void tally_free(tally_t *tally);

#endif

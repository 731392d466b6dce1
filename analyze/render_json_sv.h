/*
 * render_json_sv.h - the surveillance members of the JSON report (signals,
 * signals_by_model, alerts, alert_method, weekly, skin_trend, suppression),
 * also used for the messages of --publish-signals.
 */
#ifndef NW_RENDER_JSON_SV_H
#define NW_RENDER_JSON_SV_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "analysis.h"
#include "surveil.h"

/* Adds the members to root. Returns false when out of memory. */
bool sv_json_add(cJSON *root, const analysis_t *analysis);

/* One signal row as an object (NULL when out of memory); the caller owns it. */
cJSON *sv_json_signal(const cube_t *cube, const signal_row_t *row);

/* One alert row as an object (NULL when out of memory). */
cJSON *sv_json_alert(const cube_t *cube, const sv_results_t *sv, const alert_row_t *a);

/* Shared number writers: a double at full precision (null when not finite
 * or when hide), a count (null when hide). */
bool sv_json_double(cJSON *obj, const char *name, double v, bool hide);
bool sv_json_count(cJSON *obj, const char *name, int64_t n, bool hide);

#endif

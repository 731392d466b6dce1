/*
 * surveillance.h - the counts behind signal detection that the rate cube
 * does not hold: treatments and cases per ISO week (Monday to Sunday, by
 * treated_on) and device type, and per device model.
 *
 * Read from PostgreSQL in one statement (surveillance_load), using the same
 * definitions as query.c: a case of C is a current treatment with at least
 * one current complication report of type C; "any" is counted per treatment.
 * Weeks run from the Monday of --from (or of the first treatment) to the
 * Monday of --to (or of the last treatment), with empty weeks present as
 * zeros, so a series has no holes for EARS.
 */
#ifndef NW_SURVEILLANCE_H
#define NW_SURVEILLANCE_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "cube.h"

/* Weeks are bounded so a typo in --from cannot allocate gigabytes. */
#define SV_MAX_WEEKS 5300 /* about a century */

/* Reports of one (manufacturer, model) pair; [0] = all types, [c] = type c. */
typedef struct {
    char *manufacturer;       /* owned */
    char *model;              /* owned */
    int64_t reports[CUBE_COMPLICATIONS];
} sv_model_t;

typedef struct {
    int32_t first_week;       /* Monday of week 0, days since 1970-01-01 */
    size_t n_weeks;           /* 0 when there is no treatment in the window */
    /* [(slot * CUBE_SETTINGS + s) * n_weeks + w], slot incl. CUBE_DEVICE_ALL,
     * s incl. CUBE_SETTING_ALL */
    int64_t *treatments;      /* owned */
    /* [((slot * CUBE_SETTINGS + s) * n_weeks + w) * CUBE_COMPLICATIONS + c] */
    int64_t *cases;           /* owned */
    /* Complication reports per device slot (incl. CUBE_DEVICE_ALL) and type;
     * [slot][0] = all types. */
    int64_t reports[CUBE_MAX_DEVICES + 1][CUBE_COMPLICATIONS];
    sv_model_t *models;       /* owned, sorted by manufacturer then model */
    size_t n_models;
    /* Reports whose treatment names no manufacturer or no model: not a row
     * of signals_by_model, but among every pair's "other" reports. */
    int64_t no_model_reports[CUBE_COMPLICATIONS];
} sv_data_t;

/* Reads the weekly and per-model counts of the treatments dated from..to
 * ("YYYY-MM-DD" or NULL/"" for open) into data (zeroed by the call),
 * registering in cube any device type it has not seen. Call it in the same
 * snapshot as query_load_cube (main.c opens a REPEATABLE READ transaction)
 * so both agree. Returns 0, or -1 with the reason in errbuf; free with
 * surveillance_free() either way. */
int surveillance_load(PGconn *conn, const char *from, const char *to, cube_t *cube,
                      sv_data_t *data, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

void surveillance_free(sv_data_t *data);

/* Accessors; slot may be CUBE_DEVICE_ALL, setting CUBE_SETTING_ALL. */
int64_t sv_week_treatments(const sv_data_t *data, size_t slot, int setting, size_t week);
int64_t sv_week_cases(const sv_data_t *data, size_t slot, int setting, size_t week,
                      int complication);

/* "YYYY-MM-DD" of days since 1970-01-01, and back (-1 on a bad date). */
void sv_date_string(int32_t days, char out[11]);
int sv_parse_date(const char *s, int32_t *days);

/* ISO 8601 week "YYYY-Www" of day z (the ISO year is the year of its
 * Thursday). */
void sv_iso_week(int32_t days, char out[9]);

#endif

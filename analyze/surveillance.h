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

typedef struct {
    size_t device;            /* cube device slot (never CUBE_DEVICE_ALL) */
    char *model;              /* owned */
    int64_t treatments;
    int64_t cases[CUBE_COMPLICATIONS];
} sv_model_t;

typedef struct {
    int32_t first_week;       /* Monday of week 0, days since 1970-01-01 */
    size_t n_weeks;           /* 0 when there is no treatment in the window */
    /* [slot * n_weeks + w], slot = cube device slot incl. CUBE_DEVICE_ALL */
    int64_t *treatments;      /* owned, (CUBE_MAX_DEVICES + 1) * n_weeks */
    /* [(slot * n_weeks + w) * CUBE_COMPLICATIONS + c] */
    int64_t *cases;           /* owned */
    sv_model_t *models;       /* owned, sorted by device slot then model name */
    size_t n_models;
    /* Treatments of each device type that name no model (not a row of
     * signals_by_model, but part of each model's comparison group). */
    int64_t no_model_treatments[CUBE_MAX_DEVICES];
    int64_t no_model_cases[CUBE_MAX_DEVICES][CUBE_COMPLICATIONS];
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

/* Accessors; slot may be CUBE_DEVICE_ALL. */
int64_t sv_week_treatments(const sv_data_t *data, size_t slot, size_t week);
int64_t sv_week_cases(const sv_data_t *data, size_t slot, size_t week, int complication);

/* "YYYY-MM-DD" of days since 1970-01-01, and back (-1 on a bad date). */
void sv_date_string(int32_t days, char out[11]);
int sv_parse_date(const char *s, int32_t *days);

#endif

/*
 * surveillance.h - the load step's second read: the counts behind signal
 * detection that the rate cube does not hold, treatments and cases per ISO
 * week (Monday to Sunday, by treated_on), device type and setting
 * (model/weekly.h), and complication reports per device type and per
 * device model (model/tally.h).
 *
 * One statement, with the same definitions as counts.c: a case of C is a
 * current treatment with at least one current complication report of type
 * C; "any" is counted per treatment. Weeks run from the Monday of --from
 * (or of the first treatment) to the Monday of --to (or of the last
 * treatment), with empty weeks present as zeros, so a series has no holes
 * for the alerts.
 */
#ifndef NW_LOAD_SURVEILLANCE_H
#define NW_LOAD_SURVEILLANCE_H

#include <libpq-fe.h>
#include <stddef.h>

#include "model/cube.h"
#include "model/tally.h"
#include "model/weekly.h"

/* Reads the weekly and per-model counts of the treatments dated from..to
 * ("YYYY-MM-DD" or NULL/"" for open) into weekly and tally (zeroed by the
 * call), registering in cube any device type it has not seen. Call it in
 * the same snapshot as load_cube() (main.c opens a REPEATABLE READ
 * transaction) so both agree. Returns 0, or -1 with the reason in errbuf;
 * free both with weekly_free() and tally_free() either way. */
int load_surveillance(PGconn *conn, const char *from, const char *to, cube_t *cube,
                      weekly_t *weekly, tally_t *tally, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

#endif

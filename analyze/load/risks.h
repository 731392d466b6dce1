/*
 * risks.h - the load step's reads for the risks over a fixed follow-up
 * (model/risks.h): the eligible treatments and their cases within each
 * horizon per cell, from needlewatch.kept_risks() (sql/repeatable/
 * 30_kept.sql), which reads the kept counts and scans no report; and the
 * serious cases of the two periods of the serious change.
 */
#ifndef NW_LOAD_RISKS_H
#define NW_LOAD_RISKS_H

#include <libpq-fe.h>
#include <stddef.h>

#include "model/cube.h"
#include "model/risks.h"

/* Fills risks' grids (risks_init() first) with the treatments dated
 * from..to ("YYYY-MM-DD" or NULL/"" for open) and the change's periods,
 * registering in cube any device type it has not seen; fills the margins.
 * Call it in the load step's snapshot. Returns 0, or -1 with the reason in
 * errbuf (the database has no kept_risks(): sql/ is not applied). */
int load_risks(PGconn *conn, const char *from, const char *to, cube_t *cube, risks_t *risks,
               char *errbuf, size_t errlen) __attribute__((warn_unused_result));

#endif

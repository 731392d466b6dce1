/*
 * counts.h - the load step's first read: the counts of the cube from
 * PostgreSQL (and --verify's recount of the kept counts).
 *
 * One statement, so one round trip and one snapshot. Complications are
 * folded per treatment into a bit mask of their types, and the current
 * treatments are grouped by window, device type, setting, Fitzpatrick value
 * and mask; counts.c turns those rows into treatments and cases per base cell
 * of the cube, and the totals (complication reports, orphans, quarantined
 * messages). Aggregation happens in PostgreSQL: a few hundred rows come back
 * whatever the size of the tables. The definitions are those of
 * sql/repeatable/40_analysis.sql, and a test checks that both agree. When
 * the database keeps the counts (sql/repeatable/30_kept.sql), they are read
 * from there instead of recounted; load_verify_kept() checks them.
 */
#ifndef NW_LOAD_COUNTS_H
#define NW_LOAD_COUNTS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model/cube.h"

/* Fills the base cells and totals of cube (which must be fresh from
 * cube_new()) with the treatments dated from..to (each "YYYY-MM-DD", or
 * NULL/"" for an open bound), then its margins. Returns 0, or -1 with the
 * reason in errbuf. */
int load_cube(PGconn *conn, const char *from, const char *to, cube_t *cube, char *errbuf,
              size_t errlen) __attribute__((warn_unused_result));

/* Recounts the kept counts from the stored reports, in one snapshot
 * (needlewatch.kept_cells_check()), and writes each difference to out as a
 * line "kind key: kept K, actual A". Sets *cells (the kept cells) and
 * *differences. Returns 0 (whatever the differences), or -1 with the reason
 * in errbuf: the database keeps no counts, a query failed, out failed. */
int load_verify_kept(PGconn *conn, FILE *out, int64_t *cells, int64_t *differences,
                     char *errbuf, size_t errlen) __attribute__((warn_unused_result));

#endif

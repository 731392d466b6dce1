/*
 * quality.h - the load step's read of the data-quality counts
 * (model/quality.h): needlewatch.kept_quality() for the window,
 * needlewatch.kept_latest_reports() and needlewatch.quarantine_reasons()
 * (sql/repeatable/30_kept.sql), which read the kept counts and the
 * quarantine's reasons, never its messages.
 */
#ifndef NW_LOAD_QUALITY_H
#define NW_LOAD_QUALITY_H

#include <libpq-fe.h>
#include <stddef.h>

#include "model/quality.h"

/* Fills quality (zeroed by the call) for the treatments dated from..to
 * ("YYYY-MM-DD" or NULL/"" for open), in the caller's snapshot. Returns 0,
 * or -1 with the reason in errbuf. */
int load_quality(PGconn *conn, const char *from, const char *to, quality_t *quality,
                 char *errbuf, size_t errlen) __attribute__((warn_unused_result));

#endif

/*
 * persist.h - the export step's --persist: stores a run of the analyzer,
 * its signals and its alerts in the tables of sql/006_surveillance.sql, in
 * one transaction.
 */
#ifndef NW_PERSIST_H
#define NW_PERSIST_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "findings.h"

/* Inserts the run; on success *run_id is its needlewatch.analysis_runs id.
 * Returns 0, or -1 with the reason in errbuf (nothing is stored then). */
int persist_run(PGconn *conn, const findings_t *findings, int64_t *run_id, char *errbuf,
                size_t errlen) __attribute__((warn_unused_result));

#endif

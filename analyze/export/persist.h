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

/* Work done inside the run's transaction, once the run is inserted and
 * before COMMIT (--publish-signals records what it published there). A
 * non-zero return, with the reason in errbuf, rolls the whole run back. */
typedef int (*persist_hook_fn)(PGconn *conn, int64_t run_id, void *arg, char *errbuf,
                               size_t errlen);

/* Inserts the run, then runs hook (when not NULL) in the same transaction;
 * on success *run_id is its needlewatch.analysis_runs id. Returns 0, or -1
 * with the reason in errbuf (nothing is stored then). */
int persist_run(PGconn *conn, const findings_t *findings, persist_hook_fn hook, void *arg,
                int64_t *run_id, char *errbuf, size_t errlen) __attribute__((warn_unused_result));

#endif

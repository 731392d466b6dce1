/*
 * replay.h - needlewatch-ingest --replay-quarantine: the quarantined
 * messages decoded again with the current decoder and configuration, those
 * now valid stored exactly as if they had just arrived.
 *
 * Per chunk of at most ingest.batch.max_messages rows, in (topic, partition,
 * offset) order:
 *   select  the next quarantine rows that match the filters and have no
 *           final outcome (never replayed, or still invalid);
 *   decode  report_decode(), with the configured limits and today's date;
 *   write   pg_sink_replay(): in ONE transaction the valid reports through
 *           the worker's own write path (duplicates and versions handled,
 *           the kept counts' triggers fired, values PostgreSQL rejects
 *           bisected out), then every row of the chunk marked (replayed_at,
 *           replay_outcome stored / duplicate / invalid, and the current
 *           reason of one still invalid); COMMIT, or ROLLBACK for a dry run.
 * One replay runs at a time (an advisory lock). A row stored or found a
 * duplicate is never selected again, so a second run stores nothing twice.
 * It needs a role that reads and updates the quarantine and inserts
 * reports: the schema owner (sql/009_operations.sql).
 */
#ifndef NW_REPLAY_H
#define NW_REPLAY_H

#include <stdbool.h>

#include "config.h"

typedef struct replay_opts {
    const char *topic;      /* one of the two configured topics; NULL: both */
    const char *since;      /* only rows received at or after (timestamptz text); NULL: all */
    const char *error_like; /* only rows whose error is LIKE this; NULL: all */
    bool dry_run;           /* decide everything, write nothing */
    bool migrate;           /* apply the migrations first (else only check them) */
} replay_opts_t;

/* Runs the replay; one line per replayed row and a summary on stdout.
 * Returns the exit status: 0 done (rows still invalid included), 1 a
 * runtime failure, 2 a bad option value. cfg and opts are borrowed. */
int replay_run(const nw_config_t *cfg, const replay_opts_t *opts);

#endif

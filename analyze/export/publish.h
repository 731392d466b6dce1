/*
 * publish.h - the export step's --publish-signals: the signals and alerts
 * of this run that appeared, changed or cleared since the last publication
 * to the topic (topic.signals, "signals" by default), one JSON message
 * each, produced to Kafka with an idempotent librdkafka producer that waits
 * for every delivery report.
 *
 * What was last published is kept in needlewatch.published_signals
 * (sql/009_operations.sql), written in the transaction that records the run
 * (persist_run's hook), after Kafka acknowledged every message: a run that
 * changes nothing publishes nothing, and a run whose transaction fails is
 * published again by the next one (at least once, never lost).
 *
 * Message key (the contract is what publish.c writes), stable per subject
 * so that a compacted topic keeps the current state of each:
 *   signal/DEVICE_TYPE/COMPLICATION                  a device-type signal
 *   signal/model/MANUFACTURER/MODEL/COMPLICATION     a model signal
 *   alert/DEVICE_TYPE/SETTING/COMPLICATION/WEEK_START
 * (DEVICE_TYPE and SETTING may be "all"; WEEK_START is the Monday,
 * YYYY-MM-DD). Value: {"kind", "state": "active" or "cleared",
 * "generated_at", "window", and under the kind the row as in the JSON
 * report (for a cleared one, as it was last published)}. A signal is active
 * while it is flagged; an alert while it is in the run's window.
 * Suppression applies: a suppressed signal is not published and its last
 * published state stays (its flag is not public); a suppressed alert goes
 * without its numbers.
 */
#ifndef NW_PUBLISH_H
#define NW_PUBLISH_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "findings.h"

/* Where to publish. */
typedef struct {
    const char *topic;        /* topic.signals */
    const nw_kv_t *kafka;     /* the configuration's kafka.* properties, in order */
    size_t kafka_count;
} publish_opts_t;

/* What the hook needs, and what it tells back. */
typedef struct publish_ctx {
    const publish_opts_t *opts;
    const findings_t *findings;
    long appeared, changed, cleared; /* out: messages delivered, by what they say */
} publish_ctx_t;

/* persist_hook_fn: publishes the difference and records it, inside the
 * run's transaction (arg is a publish_ctx_t). Returns 0, or -1 with the
 * reason in errbuf (a configuration error, a message not delivered in
 * time, a database error): the run is then rolled back. */
int publish_signals_in_run(PGconn *conn, int64_t run_id, void *arg, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

#endif

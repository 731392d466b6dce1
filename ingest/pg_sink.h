/*
 * pg_sink.h - writes batches of reports, quarantined messages and Kafka
 * offsets to PostgreSQL, in one transaction per batch.
 *
 * The order inside each transaction:
 *   1. BEGIN
 *   2. advance the offsets of the batch's partitions, but only where the
 *      partition's epoch is still the one this worker claimed (fencing: a
 *      worker that lost a partition in a rebalance cannot write for it),
 *      and record the batch's gaps (offsets Kafka deleted unread, which
 *      those offsets move past: see gaps.h) in needlewatch.kafka_gaps;
 *   3. COPY the valid reports straight into the *_versions tables (the fast
 *      path). If that hits a duplicate (primary key (report_id, version)), roll
 *      the step back and take the careful path instead: COPY into
 *      session-local staging tables, then move the rows with ON CONFLICT DO
 *      NOTHING, so a redelivered report is counted as a duplicate and never
 *      stored twice. Duplicates are rare (redeliveries after a crash or a
 *      rebalance), so almost every batch takes the fast path;
 *   4. COPY the invalid messages into the quarantine;
 *   5. COMMIT.
 * Step 3 runs under a savepoint. If PostgreSQL rejects a value that the
 * decoder let through, the savepoint is rolled back and the batch bisected,
 * so only the offending messages go to the quarantine and the rest are
 * stored, still in the same transaction.
 *
 * Any other failure (connection lost, server shutting down...) rolls back
 * and returns PG_RETRY: nothing was written and no offset moved, and the
 * caller retries the same batch after reconnecting. A retry after a COMMIT
 * whose outcome was lost is harmless for the same reason redelivery is.
 */
#ifndef NW_PG_SINK_H
#define NW_PG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "batch.h"

typedef struct pg_sink pg_sink_t;

typedef enum {
    PG_OK = 0,
    PG_RETRY,   /* transient: reconnect and try again */
    PG_FENCED,  /* some partitions are no longer ours: see the fenced flags */
    PG_FATAL,   /* connected, but the schema is missing or cannot be migrated */
} pg_status_t;

/* A partition this worker owns, with the epoch it claimed it under. */
typedef struct pg_partition {
    const char *topic;     /* not owned */
    report_kind_t kind;
    int32_t partition;
    int64_t next_offset;   /* claim: out (-1 = none stored yet); write: in */
    int64_t epoch;         /* claim: out; write: in */
    bool fenced;           /* write: out */
} pg_partition_t;

/* Per report kind (indexed by report_kind_t). */
typedef struct pg_write_stats {
    uint64_t stored[2];      /* new report versions */
    uint64_t duplicates[2];  /* report versions already stored */
    uint64_t superseded[2];  /* stored versions above a lower version of the same report */
    uint64_t quarantined[2]; /* messages put in quarantine (incl. db_rejected) */
    uint64_t db_rejected[2]; /* valid messages PostgreSQL refused */
} pg_write_stats_t;

/* Copies every string argument. topics[REPORT_TREATMENT] and
 * topics[REPORT_COMPLICATION] name the two topics. */
pg_sink_t *pg_sink_new(const char *conninfo, const char *group_id, const char *owner,
                       const char *const topics[2]);
void pg_sink_destroy(pg_sink_t *sink);

/* One connection attempt; on PG_OK the session is ready to write. On the
 * first successful connection the migrations are applied when migrate is
 * true, otherwise checked; a failure there is PG_FATAL. */
pg_status_t pg_sink_connect(pg_sink_t *sink, bool migrate, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));
bool pg_sink_connected(const pg_sink_t *sink);
void pg_sink_disconnect(pg_sink_t *sink);

/* Claims partitions for this worker: bumps each one's epoch and returns the
 * stored next offset. */
pg_status_t pg_sink_claim(pg_sink_t *sink, pg_partition_t *parts, size_t n, char *errbuf,
                          size_t errsize) __attribute__((warn_unused_result));

/* Writes the batch and advances parts[] (the batch's partitions, with their
 * next offsets and epochs) in one transaction. On PG_OK the batch's rows and
 * offsets are committed; entries PostgreSQL rejected were turned into
 * quarantine entries. On PG_FENCED nothing was written and the lost
 * partitions have fenced = true. */
pg_status_t pg_sink_write(pg_sink_t *sink, batch_t *batch, pg_partition_t *parts, size_t n,
                          pg_write_stats_t *stats, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* A statement run inside pg_sink_replay()'s transaction once the reports are
 * written (conn is the sink's; entries PostgreSQL rejected are invalid by
 * then, with its reason). Returns false, with errbuf, to roll back. */
typedef bool (*pg_sink_step_fn)(PGconn *conn, const batch_t *batch, void *arg, char *errbuf,
                                size_t errsize);

/* Stores the valid entries of batch exactly as pg_sink_write() does (the
 * same fast and careful paths, duplicates counted, values PostgreSQL rejects
 * turned into rejected entries), then runs step, in one transaction that it
 * commits, or rolls back when commit is false (a dry run). Unlike
 * pg_sink_write() it moves no offset and quarantines nothing: for messages
 * that come from the quarantine (ingest/replay.c). */
pg_status_t pg_sink_replay(pg_sink_t *sink, batch_t *batch, pg_sink_step_fn step, void *arg,
                           bool commit, pg_write_stats_t *stats, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* The connection, for statements of the caller's own between writes (NULL
 * when not connected); the sink keeps it. */
PGconn *pg_sink_conn(pg_sink_t *sink);

#endif

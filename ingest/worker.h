/*
 * worker.h - the ingest worker: Kafka in, PostgreSQL out, exactly once.
 *
 * The worker's states, in order, for every message:
 *   poll     rd_kafka_consumer_poll() hands over a message (or an event:
 *            partition EOF, a broker error, a rebalance);
 *   decode   report_decode() turns it into a report or an error;
 *   batch    the message joins the open batch (the batch owns it now);
 *   write    when the batch is full or old enough, it is handed to the
 *            writer thread, and pg_sink_write() stores the reports, the
 *            quarantined messages and the next offsets of the batch's
 *            partitions in ONE PostgreSQL transaction, while the main thread
 *            consumes and decodes the next batch (at most one batch is
 *            written at a time, in order; a full batch waits for it);
 *   commit   only after that transaction commits are the messages destroyed
 *            (and the offsets also committed to Kafka, for lag monitoring
 *            only: PostgreSQL's copy is the one the worker trusts).
 * On partition assignment the worker claims the partitions in PostgreSQL
 * (bumping their epoch) and starts from the offsets stored there. On
 * revocation it first writes its open batch. If PostgreSQL is unreachable it
 * retries the same batch with backoff; nothing moves until it commits.
 * worker.c runs the poll, decode and batch steps, writer.c the write and
 * commit steps on the writer thread, rebalance.c the assignments; state.h
 * holds what they share.
 */
#ifndef NW_WORKER_H
#define NW_WORKER_H

#include <stdbool.h>

#include "config.h"

typedef struct worker_opts {
    bool exit_on_eof;  /* exit 0 once every assigned partition is consumed and committed */
    bool migrate;      /* apply sql/ migrations at start (else only check them) */
} worker_opts_t;

/* Runs until SIGTERM/SIGINT (or end of input with exit_on_eof). cfg is
 * borrowed. Returns the process exit code. */
int worker_run(const nw_config_t *cfg, const worker_opts_t *opts);

#endif

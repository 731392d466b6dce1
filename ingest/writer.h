/*
 * writer.h - the ingest worker's writer thread: the write and commit steps
 * of worker.h, overlapped with the main thread's poll and decode.
 *
 * At most two batches exist: the open one (the main thread's) and the job
 * (the writer's while it is queued). All functions but the thread itself
 * run on the main thread.
 */
#ifndef NW_WRITER_H
#define NW_WRITER_H

#include <stdbool.h>

#include "state.h"

/* Starts the writer thread; false when it cannot be created. */
bool writer_start(worker_t *w) __attribute__((warn_unused_result));

/* Waits for the job in flight, then ends the thread (safe when not started). */
void writer_stop(worker_t *w);

/* Collects a finished job without waiting. Returns true when the writer is
 * idle (the sink and the job are the main thread's again). */
bool writer_idle(worker_t *w);

/* Waits until the writer is idle, publishing the metrics meanwhile (a write
 * may retry for as long as PostgreSQL is away). */
void writer_wait(worker_t *w);

/* Writer idle: hands the open batch to the writer thread. */
void writer_hand_off(worker_t *w);

/* Writes the open batch now, on the main thread, after the writer finished
 * its job (a rebalance or shutdown needs every batch settled); gives up
 * after give_up_ms, dropping the batch for redelivery. Returns true when
 * everything was committed. */
bool writer_flush(worker_t *w, int give_up_ms);

#endif

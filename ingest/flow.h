/*
 * flow.h - keeps the worker's memory bounded without stalling its fetches.
 *
 * librdkafka 2.0.2 (Debian 12) stops fetching once its consumer queue (all
 * partitions together) holds queued.min.messages or queued.max.messages.kbytes,
 * and its broker thread only decides to fetch again when something wakes it
 * or after a fixed second (rd_kafka_max_block_ms; fetch.queue.backoff.ms came
 * in 2.2): a worker that drains the queue faster than that sits idle for the
 * rest of the second. What the queue holds is not bounded by the worker
 * either: messages of compressed batches pin whole decompressed buffers.
 *
 * So the worker never stops polling, and bounds its memory itself:
 *   - its own queue is the open batch: while the writer thread stores the
 *     previous one, the open batch keeps filling, past
 *     ingest.batch.max_messages if need be, up to ingest.batch.max_bytes of
 *     messages; there it pauses every partition it is assigned
 *     (rd_kafka_pause_partitions: librdkafka stops fetching them and drops
 *     what it prefetched for them, buffers included) and resumes them as
 *     soon as the writer takes the batch;
 *   - when a poll finds the queue empty for FLOW_KICK_MS while some
 *     partition still has messages to give (flow_behind()) and nothing is
 *     paused, librdkafka has stopped at its threshold and would wait out its
 *     second: the worker kicks it (a seek of each partition to its own
 *     position: its broker thread decides again at once).
 * In both, librdkafka restarts each partition at the position of the last
 * message it gave the worker (rktp_app_offset), so nothing is skipped or read
 * twice; what it drops was never given to the worker. Two traps of 2.0.2
 * decide the details (flow.c): a partition that has given nothing yet is
 * never paused (it would stay stuck at its logical start offset), and
 * resume is only ever called on paused partitions (a resume of a running
 * one restarts its fetching from its start offset).
 *
 * The main thread owns this state; the rebalance callbacks run on it too.
 */
#ifndef NW_FLOW_H
#define NW_FLOW_H

#include <librdkafka/rdkafka.h>

#include "state.h"

/* An empty poll this long, with a partition not at its end and nothing
 * paused, means librdkafka has stopped fetching: kick it. Long enough for a
 * fetch round trip to a remote broker (a kick drops a response in flight),
 * short against the second it would wait. */
#define FLOW_KICK_MS 250

/* Pauses every assigned partition (a no-op when already paused). */
void flow_pause(worker_t *w);

/* Resumes them (a no-op when not paused). */
void flow_resume(worker_t *w);

/* Whether some assigned partition has messages it has not given yet: its
 * position is below the end librdkafka last saw (its cached high
 * watermark). A partition at its end is not behind: there an empty poll is
 * the fetcher's long poll (fetch.wait.max.ms), not a stall. */
bool flow_behind(worker_t *w);

/* Restarts librdkafka's fetching of every assigned partition (not paused). */
void flow_kick(worker_t *w);

/* A message arrived: when the worker is paused and its partition is not
 * (it had given nothing before the pause), pauses that partition too. */
void flow_on_message(worker_t *w, const rd_kafka_message_t *rkm);

#endif

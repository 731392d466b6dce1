/*
 * gaps.h - finding offsets that Kafka deleted before the worker read them.
 *
 * The worker knows, for each partition it consumes, the offset it expects
 * next: the one stored in PostgreSQL when the partition was assigned, then
 * the last message's plus one. gaps_check() compares that with what the
 * consumer delivers (a message's offset, or the end offset of a partition
 * EOF event) and with the partition's log start offset, and says whether
 * the offsets skipped in between were merely ones the consumer never
 * delivers (transaction markers, aborted messages), or deleted: a gap. Why
 * this is the check, and not a look at the log start on assignment, is
 * argued in gaps.c. The worker (worker.c) logs a gap, counts it, and records
 * it with the next batch of its partition (batch_add_gap); or stops, with
 * ingest.on_gap=stop.
 *
 * The worker must consume with auto.offset.reset=earliest (make_consumer in
 * worker.c sets it): only then does an offset that is gone lead the
 * consumer to the log start, where the gap ends.
 */
#ifndef NW_GAPS_H
#define NW_GAPS_H

#include <stdint.h>

#include <librdkafka/rdkafka.h>

typedef enum {
    GAPS_NONE,     /* the expected offset, or nothing expected yet */
    GAPS_SKIPPED,  /* offsets skipped that are still in Kafka's log (markers, aborted) */
    GAPS_LOST,     /* offsets skipped that Kafka deleted: [expected, *gap_end) */
    GAPS_REWOUND,  /* an offset below the expected one: the log was truncated or
                      the topic recreated, and the consumer reads it again */
} gaps_verdict_t;

/* Pure. expected: the next offset the worker expects (< 0: none yet);
 * got: the offset delivered (a message's, or the end offset at EOF);
 * log_start: the partition's log start offset (< 0: unknown, then a jump
 * forward counts as GAPS_SKIPPED). On GAPS_LOST, *gap_end is the first
 * offset after the gap: min(log_start, got). */
gaps_verdict_t gaps_classify(int64_t expected, int64_t got, int64_t log_start, int64_t *gap_end);

/* gaps_classify with the partition's log start: the one librdkafka cached
 * from its last Fetch response, else (only when the offsets jumped forward
 * and none is cached) asked from the partition's leader, waiting at most
 * timeout_ms. */
gaps_verdict_t gaps_check(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t expected,
                          int64_t got, int timeout_ms, int64_t *gap_end);

#endif

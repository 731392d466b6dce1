/*
 * batch.h - the messages the worker has consumed but not yet committed.
 *
 * Each entry holds its own copy of the Kafka message's key and payload, so
 * the librdkafka message is destroyed as soon as it is decoded: holding
 * rd_kafka_message_t's would pin whole (decompressed) fetch buffers, one per
 * partition, and the worker's memory would grow with the partition count.
 * The copies live until batch_clear(), after the transaction holding the
 * rows and offsets commits or when the batch is dropped for redelivery. Each
 * entry carries the decoder's verdict: a report to store, or the error to
 * quarantine it with. A batch may also carry gaps (ranges of offsets Kafka
 * deleted before they were read, see gaps.h), written in the same
 * transaction as the offsets that move past them; a batch that holds only
 * a gap and its partition's new offset, and no message, is not empty.
 */
#ifndef NW_BATCH_H
#define NW_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

#include "report.h"

/* Where a message came from, and its bytes. */
typedef struct batch_msg {
    const char *topic;       /* not owned: the configured topic name */
    int32_t partition;
    int64_t offset;
    char *data;              /* owned: one block holding payload then key */
    const char *payload;     /* into data; NULL: a null message (tombstone) */
    size_t len;
    const char *key;         /* into data; NULL: no key */
    size_t key_len;
} batch_msg_t;

typedef struct batch_entry {
    batch_msg_t msg;         /* owned by the batch */
    report_kind_t kind;
    bool valid;
    report_t report;         /* when valid; owned */
    char *error;             /* when !valid, or rejected by PostgreSQL; owned */
} batch_entry_t;

/* The next offset to consume, per partition present in the batch. */
typedef struct batch_offset {
    report_kind_t kind;
    int32_t partition;
    int64_t next_offset;
} batch_offset_t;

/* A range of offsets of one partition that Kafka deleted unread. */
typedef struct batch_gap {
    report_kind_t kind;
    int32_t partition;
    int64_t first_missing;   /* the first offset never read */
    int64_t log_start;       /* the partition's log start: the range ends before it */
    int64_t detected_ms;     /* wall clock, ms since the epoch */
} batch_gap_t;

typedef struct batch {
    batch_entry_t *entries;
    size_t count, cap;       /* cap grows as needed (batch_add) */
    size_t bytes;            /* of the messages' payloads and keys */
    int64_t first_ms;        /* monotonic ms when the first entry (or gap) came */
    batch_offset_t *offsets;
    size_t offsets_count, offsets_cap;
    batch_gap_t *gaps;
    size_t gaps_count, gaps_cap;
} batch_t;

/* cap: the entries allocated at first (they grow when needed). */
bool batch_init(batch_t *batch, size_t cap) __attribute__((warn_unused_result));
void batch_free(batch_t *batch);

/* Fills entry->msg with copies of rkm's key and payload (rkm stays the
 * caller's). Returns false when out of memory. */
bool batch_msg_copy(batch_msg_t *msg, const char *topic, const rd_kafka_message_t *rkm)
    __attribute__((warn_unused_result));

/* Takes ownership of entry's message copy and of the decoded report or
 * error (also on failure, when they are freed); *entry is cleared. Returns
 * false only when out of memory. */
bool batch_add(batch_t *batch, batch_entry_t *entry, int64_t now_ms)
    __attribute__((warn_unused_result));

/* Adds a gap, and moves its partition's next offset to at least
 * next_offset (the log start, or further when nothing follows the gap).
 * Returns false when out of memory. */
bool batch_add_gap(batch_t *batch, const batch_gap_t *gap, int64_t next_offset, int64_t now_ms)
    __attribute__((warn_unused_result));

/* True when the batch has nothing to write: no message and no offset to
 * move (a batch with only a gap is not empty). */
bool batch_is_empty(const batch_t *batch);

/* Marks entry i as rejected with a copy of error. */
void batch_reject(batch_t *batch, size_t i, const char *error);

/* Destroys every message and report and empties the batch. */
void batch_clear(batch_t *batch);

/* Drops the entries (and gaps) of one partition (lost in a rebalance);
 * they will be redelivered to, or found again by, its new owner. Returns
 * how many entries were dropped. */
size_t batch_drop_partition(batch_t *batch, report_kind_t kind, int32_t partition);

#endif

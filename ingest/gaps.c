/*
 * gaps.c - finding offsets that Kafka deleted before the worker read them
 * (see gaps.h).
 *
 * Why a continuity check, and why it is enough. Kafka deletes a partition's
 * oldest records by retention, or when asked (DeleteRecords); the offset
 * below which nothing is left is the log start offset. Records this group
 * has not stored can be deleted in two situations:
 *   (a) while no worker consumes the partition (all stopped, or the group
 *       gone for longer than the retention), so the offset stored in
 *       PostgreSQL falls below the log start; the next worker to be
 *       assigned the partition starts there;
 *   (b) while a worker consumes it but lags behind: its fetch position
 *       falls below the log start mid-stream.
 * Either way the broker answers the next Fetch with OFFSET_OUT_OF_RANGE, and
 * librdkafka applies auto.offset.reset: with "earliest" it moves to the log
 * start and goes on, with "latest" to the end, and only a warning in its own
 * log says so; the worker would have stored the next batch with its offsets
 * past the hole, without a word. With "error", librdkafka 2.0.2 hands the
 * application an error event but leaves the partition's fetcher stopped in a
 * state rd_kafka_seek() cannot restart (the seek needs a started fetcher);
 * only a new assignment would.
 *
 * Looking up the log start when a partition is assigned
 * (rd_kafka_query_watermark_offsets) sees (a) only, and races retention: the
 * log start can move between the lookup and the first fetch. So instead the
 * worker consumes with auto.offset.reset=earliest, whatever the user set (the
 * user's setting still chooses where a partition new to PostgreSQL starts:
 * the worker picks that offset itself on assignment), and checks continuity.
 * It knows the offset it expects next from each partition; every message,
 * and every partition EOF event (whose offset is the end offset), is compared
 * with it. A jump forward is benign when the skipped offsets are still in
 * the log: under isolation.level=read_committed the consumer never delivers
 * transaction markers or aborted messages, yet they take offsets. It is a
 * loss when the log start is now above the expected offset: whatever was in
 * [expected, log start) is gone, in case (a) or (b) alike, because after
 * OFFSET_OUT_OF_RANGE the consumer can only have come back at the log start.
 * librdkafka caches the log start from every Fetch response (Fetch v5,
 * Kafka 1.0 and later), so the check costs a comparison per message; the
 * leader is asked only when nothing is cached.
 *
 * What the record means. A gap ends at min(log start, got): the cached log
 * start may come from a later Fetch than the message at hand, and offsets
 * up to that message were delivered. A deleted range may have held only
 * markers or aborted messages; once deleted nobody can tell, so it is
 * recorded anyway: the worker may over-report a gap, never miss one.
 *
 * A jump backwards (got < expected) means the expected offset was past the
 * log end: the topic was deleted and created again, or the log truncated
 * (an unclean leader election). The consumer went back to the log start;
 * the worker reads from there, and reports already stored are counted as
 * duplicates, not stored twice.
 */
#include "gaps.h"

gaps_verdict_t gaps_classify(int64_t expected, int64_t got, int64_t log_start, int64_t *gap_end)
{
    if (expected < 0 || got == expected)
        return GAPS_NONE;
    if (got < expected)
        return GAPS_REWOUND;
    if (log_start <= expected)
        return GAPS_SKIPPED; /* also when the log start is unknown (< 0) */
    *gap_end = log_start < got ? log_start : got;
    return GAPS_LOST;
}

gaps_verdict_t gaps_check(rd_kafka_t *rk, const char *topic, int32_t partition, int64_t expected,
                          int64_t got, int timeout_ms, int64_t *gap_end)
{
    int64_t low = -1, high = -1;

    if (expected < 0 || got <= expected)
        return gaps_classify(expected, got, -1, gap_end);
    if (rd_kafka_get_watermark_offsets(rk, topic, partition, &low, &high) !=
            RD_KAFKA_RESP_ERR_NO_ERROR ||
        low < 0) {
        if (rd_kafka_query_watermark_offsets(rk, topic, partition, &low, &high, timeout_ms) !=
            RD_KAFKA_RESP_ERR_NO_ERROR)
            low = -1;
    }
    return gaps_classify(expected, got, low, gap_end);
}

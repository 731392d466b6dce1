-- 010_kafka_gaps.sql: ranges of Kafka offsets that were gone before the
-- worker could store them.
--
-- Kafka deletes old log segments by retention (retention.ms,
-- retention.bytes) or on request (DeleteRecords, scripts/kafka.sh
-- delete-records). When a partition's log start offset moves past the
-- offset this consumer group would read next (kafka_offsets.next_offset),
-- the messages in between are lost to needlewatch. The worker never skips
-- them silently (ingest/gaps.c): it logs an ERROR naming topic, partition
-- and range, counts the gap in its metrics, and records it here in the
-- transaction that also moves next_offset past it (the next batch of that
-- partition), then goes on from the log start; or, with ingest.on_gap=stop,
-- it stops (exit 1) and records nothing, leaving next_offset where it was.
--
-- One row per range: offsets first_missing .. log_start - 1 of the
-- partition were never read by this group. They held messages, or perhaps
-- only transaction markers and aborted messages (which carry offsets too,
-- and that the worker would have skipped anyway): once deleted, nobody can
-- tell. detected_at is the worker's clock when it saw the range,
-- detected_by the worker (host:pid, as kafka_offsets.owner).
BEGIN;

CREATE TABLE IF NOT EXISTS needlewatch.kafka_gaps (
    group_id       text NOT NULL,
    topic          text NOT NULL,
    partition      integer NOT NULL,
    first_missing  bigint NOT NULL,
    log_start      bigint NOT NULL,
    detected_at    timestamptz NOT NULL,
    detected_by    text,
    PRIMARY KEY (group_id, topic, partition, first_missing),
    CHECK (first_missing >= 0 AND log_start > first_missing)
);

-- The worker inserts (never reads, updates or deletes: the key makes a
-- repeated insert a no-op through ON CONFLICT DO NOTHING, which needs no
-- SELECT); the authority reads, like every table (004).
-- Privileges: sql/repeatable/90_privileges.sql.

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (10, '010_kafka_gaps') ON CONFLICT (version) DO NOTHING;

COMMIT;

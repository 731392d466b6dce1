-- 001_schema.sql: the needlewatch schema, its versioned report tables, the
-- quarantine and the Kafka offsets.
--
-- Every version of every report is kept, with the original message verbatim.
-- The views in 002_views.sql pick the current version of each report.
-- This file can be applied by hand with psql, in order with the others; the
-- ingest worker applies it too (under an advisory lock) and each file records
-- itself in needlewatch.schema_migrations at its end.
BEGIN;

CREATE SCHEMA IF NOT EXISTS needlewatch;

CREATE TABLE IF NOT EXISTS needlewatch.schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per (report_id, version) of a treatment report. A redelivered
-- message conflicts on the primary key and is dropped: that is what makes
-- storage exactly-once even if an offset were ever replayed.
CREATE TABLE IF NOT EXISTS needlewatch.treatment_versions (
    report_id        text NOT NULL CHECK (report_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    version          integer NOT NULL CHECK (version >= 1),
    nullified        boolean NOT NULL DEFAULT false,
    treated_on       date NOT NULL,
    setting          text NOT NULL CHECK (setting IN ('home', 'clinic')),
    device_type      text NOT NULL CHECK (device_type IN
                       ('derma_roller', 'derma_stamp', 'microneedling_pen', 'rf_microneedling', 'other')),
    manufacturer     text,
    model            text,
    needle_depth_mm  double precision CHECK (needle_depth_mm > 0 AND needle_depth_mm <= 5),
    operator         text CHECK (operator IN ('self', 'physician', 'nurse', 'aesthetician', 'other')),
    fitzpatrick      smallint CHECK (fitzpatrick BETWEEN 1 AND 6),
    sterile_tip      boolean,
    active_acne      boolean,
    serum            text,
    region           text,
    reported_at      timestamptz,
    ingested_at      timestamptz NOT NULL DEFAULT now(),
    source_topic     text NOT NULL,
    source_partition integer NOT NULL,
    source_offset    bigint NOT NULL,
    message          text NOT NULL,   -- the original message, verbatim
    PRIMARY KEY (report_id, version)
);

CREATE TABLE IF NOT EXISTS needlewatch.complication_versions (
    report_id          text NOT NULL CHECK (report_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    version            integer NOT NULL CHECK (version >= 1),
    nullified          boolean NOT NULL DEFAULT false,
    treatment_id       text NOT NULL CHECK (treatment_id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    type               text NOT NULL CHECK (type IN
                         ('infection', 'scarring', 'hyperpigmentation', 'burn', 'nerve_damage',
                          'fat_loss', 'granuloma', 'dryness_peeling', 'acne_flare', 'other')),
    severity           text CHECK (severity IN ('mild', 'moderate', 'severe')),
    onset_days         smallint CHECK (onset_days BETWEEN 0 AND 365),
    outcome            text CHECK (outcome IN ('resolved', 'ongoing', 'permanent', 'unknown')),
    medical_attention  boolean,
    reported_at        timestamptz,
    ingested_at        timestamptz NOT NULL DEFAULT now(),
    source_topic       text NOT NULL,
    source_partition   integer NOT NULL,
    source_offset      bigint NOT NULL,
    message            text NOT NULL,
    PRIMARY KEY (report_id, version)
);

-- The analyzer joins complications to treatments by treatment_id.
CREATE INDEX IF NOT EXISTS complication_versions_treatment_id
    ON needlewatch.complication_versions (treatment_id);

-- Messages that failed validation (or that PostgreSQL itself rejected), with
-- where they came from, their raw bytes and why. One row per Kafka message:
-- a redelivered bad message is not quarantined twice.
CREATE TABLE IF NOT EXISTS needlewatch.quarantine (
    topic         text NOT NULL,
    partition     integer NOT NULL,
    kafka_offset  bigint NOT NULL,
    key           bytea,
    payload       bytea,
    error         text NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition, kafka_offset)
);

-- The Kafka offsets of each consumer group, written in the same transaction
-- as the rows they produced. next_offset is the offset of the next message
-- to consume. epoch is a fencing token: a worker claims a partition by
-- bumping it on assignment, and its commits only succeed while the epoch is
-- still the one it claimed, so a worker that lost a partition cannot write
-- for it.
CREATE TABLE IF NOT EXISTS needlewatch.kafka_offsets (
    group_id     text NOT NULL,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint NOT NULL,
    epoch        bigint NOT NULL DEFAULT 0,
    owner        text,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (1, '001_schema') ON CONFLICT (version) DO NOTHING;

COMMIT;

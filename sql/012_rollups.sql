-- 012_rollups.sql: the kept counts leave the ingest transaction.
--
-- Up to 011 the analysis counts were kept by statement triggers inside each
-- ingest transaction (005, 008): exact, but half of the ingest's database
-- time. From here the ingest transaction stores reports, quarantine rows and
-- offsets, nothing else, and a rollup step folds what has committed into the
-- kept counts afterwards (sql/repeatable/30_kept.sql holds the functions and
-- the argument for their exactness). This migration only changes tables:
--   * every report version records the transaction that wrote it (xid, a
--     64-bit transaction id, pg_current_xact_id(), set by default so every
--     way of inserting gets it), with a BRIN index: rows arrive in roughly
--     increasing xid order, so "written since the last rollup" reads the
--     tail of the table for next to nothing at insert time;
--   * the kept counts move to new tables without shards (one rollup runs
--     at a time) and with the per-type counts in arrays indexed by the
--     type's ordinal (needlewatch.complication_catalogue);
--   * the trigger machinery of 005 and 008 is dropped, with its tables.
-- Rows stored before this migration have xid NULL, which the rollup reads
-- as "before every watermark". The watermark starts NULL, meaning "recount
-- everything": the first rollup after the upgrade rebuilds the counts from
-- the report tables.
BEGIN;

SET LOCAL client_min_messages = warning;

-- The writing transaction of every version.
ALTER TABLE needlewatch.treatment_versions ADD COLUMN IF NOT EXISTS xid bigint;
ALTER TABLE needlewatch.complication_versions ADD COLUMN IF NOT EXISTS xid bigint;
ALTER TABLE needlewatch.treatment_versions
    ALTER COLUMN xid SET DEFAULT (pg_catalog.pg_current_xact_id()::text::bigint);
ALTER TABLE needlewatch.complication_versions
    ALTER COLUMN xid SET DEFAULT (pg_catalog.pg_current_xact_id()::text::bigint);
CREATE INDEX IF NOT EXISTS treatment_versions_xid ON needlewatch.treatment_versions
    USING brin (xid) WITH (pages_per_range = 16, autosummarize = on);
CREATE INDEX IF NOT EXISTS complication_versions_xid ON needlewatch.complication_versions
    USING brin (xid) WITH (pages_per_range = 16, autosummarize = on);

-- The trigger-kept counts of 005 and 008, and everything that served them.
DROP TRIGGER IF EXISTS kept_insert ON needlewatch.treatment_versions;
DROP TRIGGER IF EXISTS kept_update ON needlewatch.treatment_versions;
DROP TRIGGER IF EXISTS kept_delete ON needlewatch.treatment_versions;
DROP TRIGGER IF EXISTS kept_truncate ON needlewatch.treatment_versions;
DROP TRIGGER IF EXISTS kept_insert ON needlewatch.complication_versions;
DROP TRIGGER IF EXISTS kept_update ON needlewatch.complication_versions;
DROP TRIGGER IF EXISTS kept_delete ON needlewatch.complication_versions;
DROP TRIGGER IF EXISTS kept_truncate ON needlewatch.complication_versions;
DROP TRIGGER IF EXISTS kept_insert ON needlewatch.quarantine;
DROP TRIGGER IF EXISTS kept_delete ON needlewatch.quarantine;
DROP TRIGGER IF EXISTS kept_truncate ON needlewatch.quarantine;
DROP FUNCTION IF EXISTS needlewatch.kept_cube(date, date);
DROP FUNCTION IF EXISTS needlewatch.kept_surveillance(date, date, text[]);
DROP FUNCTION IF EXISTS needlewatch.kept_cells_check();
DROP VIEW IF EXISTS needlewatch.kept_cells;
DROP VIEW IF EXISTS needlewatch.kept_totals;
DROP SCHEMA IF EXISTS needlewatch_kept CASCADE;
DROP TABLE IF EXISTS needlewatch.kept_cell_shards, needlewatch.kept_total_shards,
                     needlewatch.kept_model_shards, needlewatch.kept_model_month_shards,
                     needlewatch.kept_model_total_shards,
                     needlewatch.treatment_state, needlewatch.complication_state;

-- Private to the owner: the rollup's tables and functions. Readers go
-- through the SECURITY DEFINER functions and views of 30_kept.sql.
CREATE SCHEMA needlewatch_kept;
REVOKE ALL ON SCHEMA needlewatch_kept FROM PUBLIC;

-- One row: the rollup's watermark. Every report version written by a
-- transaction whose id is below `horizon` is in the kept counts, and no
-- other. NULL: nothing is counted yet, the next rollup recounts everything.
CREATE TABLE needlewatch_kept.rollup_state (
    one        boolean PRIMARY KEY DEFAULT true CHECK (one),
    horizon    bigint,
    rolled_at  timestamptz,
    rollups    bigint NOT NULL DEFAULT 0
);
INSERT INTO needlewatch_kept.rollup_state (one) VALUES (true);

-- Per treated_on x device_type x setting x fitzpatrick (0: not reported):
-- the current treatments, those with a current complication report of any
-- type (cases_any), their current complication reports, and per type
-- (cases[i]: the type of ordinal i) those with a report of that type, and
-- those with a report of a type the catalogue does not list (unknown: only
-- when its constraint was dropped by hand; the analyzer then refuses to
-- count rather than count wrong).
-- A row may fall to all zeros (a cell whose treatments were withdrawn);
-- readers skip such rows.
CREATE TABLE needlewatch_kept.cells (
    treated_on   date NOT NULL,
    device_type  text COLLATE "C" NOT NULL,
    setting      text COLLATE "C" NOT NULL,
    fitzpatrick  smallint NOT NULL,
    treatments   integer NOT NULL,
    cases_any    integer NOT NULL,
    reports      integer NOT NULL,
    cases        integer[] NOT NULL,
    unknown      integer NOT NULL DEFAULT 0,   -- cases of a type the catalogue lacks
    PRIMARY KEY (treated_on, device_type, setting, fitzpatrick)
) WITH (fillfactor = 70);

-- Per treated_on x device_type x manufacturer x model (NULL: not named):
-- the current complication reports of current treatments, per type
-- (reports[i]); and the same per calendar month and in total, so that a
-- report reads its whole months per month and only its partial first and
-- last months per day, and a report without a window reads the totals.
CREATE TABLE needlewatch_kept.model_days (
    treated_on    date NOT NULL,
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",
    model         text COLLATE "C",
    reports       integer[] NOT NULL,
    CONSTRAINT model_days_key UNIQUE NULLS NOT DISTINCT
        (treated_on, device_type, manufacturer, model)
) WITH (fillfactor = 70);

CREATE TABLE needlewatch_kept.model_months (
    month         date NOT NULL,       -- its first day
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",
    model         text COLLATE "C",
    reports       integer[] NOT NULL,
    CONSTRAINT model_months_key UNIQUE NULLS NOT DISTINCT
        (month, device_type, manufacturer, model)
) WITH (fillfactor = 70);

CREATE TABLE needlewatch_kept.model_totals (
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",
    model         text COLLATE "C",
    reports       integer[] NOT NULL,
    CONSTRAINT model_totals_key UNIQUE NULLS NOT DISTINCT (device_type, manufacturer, model)
) WITH (fillfactor = 70);

-- One row: the current complication reports, orphans included.
CREATE TABLE needlewatch_kept.totals (
    one                   boolean PRIMARY KEY DEFAULT true CHECK (one),
    complication_reports  bigint NOT NULL DEFAULT 0
);
INSERT INTO needlewatch_kept.totals (one) VALUES (true);

-- The repeatable files of sql/repeatable/ (functions and views) applied,
-- with the checksum of the text applied: a file whose text changed is
-- applied again (ingest/migrate.c).
CREATE TABLE IF NOT EXISTS needlewatch.schema_repeatables (
    name        text PRIMARY KEY,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
-- Privileges: sql/repeatable/90_privileges.sql.

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (12, '012_rollups') ON CONFLICT (version) DO NOTHING;

COMMIT;

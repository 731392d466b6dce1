-- 014_risks.sql: kept counts for risks over a fixed follow-up, serious
-- cases and the data-quality section of the report (issue 15).
--
-- Tables only; the rollup that fills them and the readers are in
-- sql/repeatable/30_kept.sql, the analyst's functions in 45_risks.sql.
--   cells          gains, per day and cell: serious cases (of any type and
--                  per type: a case with a current report that is severe or
--                  whose outcome is permanent), the treatments naming no
--                  manufacturer or no model, the current complication
--                  reports without onset_days, and the reporting lag
--                  (reported_at - treated_on) of the treatments and of the
--                  complication reports, counted per lag bucket
--                  (needlewatch.reporting_lag_buckets());
--   risk_months    per month of treated_on x cell x complication (0: any),
--                  the cases, serious cases and cases resting on a missing
--                  onset within h days, for every h = 0..365, as cumulative
--                  arrays: element h+1 holds the count for horizon h, and
--                  an array stops where its values stop changing (its last
--                  element holds for every longer horizon; '{}' is 0);
--   risk_days      the same counts per day, as changes: n_* is what a case
--                  adds to every horizon from h on. Read only for the one
--                  or two months that a report's window or a horizon's
--                  eligibility cuts inside (30_kept.sql says why);
--   reported_days  current reports per reported_at date (UTC) and kind
--                  ('treatment', 'complication'): the date of the latest
--                  report.
-- The watermark is reset, so the next rollup recounts everything with the
-- new columns and tables.
BEGIN;

SET LOCAL client_min_messages = warning;

ALTER TABLE needlewatch_kept.cells
    ADD COLUMN IF NOT EXISTS serious_any integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS serious integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS no_model integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS reports_no_onset integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS lag_treatments integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN IF NOT EXISTS lag_reports integer[] NOT NULL DEFAULT '{}';

CREATE TABLE IF NOT EXISTS needlewatch_kept.risk_months (
    month        date NOT NULL,            -- its first day
    device_type  text COLLATE "C" NOT NULL,
    setting      text COLLATE "C" NOT NULL,
    fitzpatrick  smallint NOT NULL,        -- 0: not reported
    ordinal      integer NOT NULL,         -- 0: any complication
    cases        integer[] NOT NULL,
    serious      integer[] NOT NULL,
    missing      integer[] NOT NULL,
    PRIMARY KEY (month, device_type, setting, fitzpatrick, ordinal)
) WITH (fillfactor = 70);

CREATE TABLE IF NOT EXISTS needlewatch_kept.risk_days (
    treated_on   date NOT NULL,
    device_type  text COLLATE "C" NOT NULL,
    setting      text COLLATE "C" NOT NULL,
    fitzpatrick  smallint NOT NULL,
    ordinal      integer NOT NULL,
    h            smallint NOT NULL,        -- 0..365
    n_cases      integer NOT NULL,
    n_serious    integer NOT NULL,
    n_missing    integer NOT NULL,
    PRIMARY KEY (treated_on, device_type, setting, fitzpatrick, ordinal, h)
) WITH (fillfactor = 70);

CREATE TABLE IF NOT EXISTS needlewatch_kept.reported_days (
    kind         text COLLATE "C" NOT NULL,
    reported_on  date NOT NULL,
    n            integer NOT NULL,
    PRIMARY KEY (kind, reported_on)
) WITH (fillfactor = 70);

-- Recount everything at the next rollup.
UPDATE needlewatch_kept.rollup_state SET horizon = NULL;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (14, '014_risks') ON CONFLICT (version) DO NOTHING;

COMMIT;

-- 015_case_lags.sql: the kept counts the alerts read (issue 14).
--
-- The alerts count a case only when its first report was known within D
-- days of its treatment (docs/surveillance.md#alerts), and take D's default
-- from the observed delays. Both used to be read from the reports at every
-- run (seconds at a million treatments); these tables keep them, maintained
-- by the rollup like the other kept counts (sql/repeatable/30_kept.sql holds
-- the code and the argument). "Known" is the UTC day of the report's
-- reported_at, or of its ingested_at when it gave none; a case's lag is the
-- days from treated_on to the first known report of it (0 when that report
-- is dated before the treatment). Lags are kept exact (not capped), so any D
-- is a sum and the delays can be cut at any as-of day.
--   case_lags      per treated_on x device_type x setting x ordinal x lag:
--                  the current treatments that are cases of the type of
--                  that ordinal in needlewatch.complication_catalogue (0:
--                  of any type, a type the catalogue lacks included) whose
--                  first report of it came lag days after the treatment.
--   report_delays  per treated_on x lag: the (treatment, type) cases, every
--                  type (those the catalogue lacks included), by lag: what
--                  D's default is read from.
-- Tables only. The rollup must count them from every version: the
-- watermark is reset (NULL), so the next rollup recounts everything.
BEGIN;

CREATE TABLE IF NOT EXISTS needlewatch_kept.case_lags (
    treated_on   date NOT NULL,
    device_type  text COLLATE "C" NOT NULL,
    setting      text COLLATE "C" NOT NULL,
    ordinal      integer NOT NULL,
    lag          integer NOT NULL,
    cases        integer NOT NULL,
    PRIMARY KEY (treated_on, device_type, setting, ordinal, lag)
) WITH (fillfactor = 70);

-- The alerts read the cases reported later than D (the fewest), not every
-- row: an index-only scan of the lags above D.
CREATE INDEX IF NOT EXISTS case_lags_lag ON needlewatch_kept.case_lags (lag)
    INCLUDE (treated_on, device_type, setting, ordinal, cases);

CREATE TABLE IF NOT EXISTS needlewatch_kept.report_delays (
    treated_on   date NOT NULL,
    lag          integer NOT NULL,
    cases        integer NOT NULL,
    PRIMARY KEY (treated_on, lag)
) WITH (fillfactor = 70);

UPDATE needlewatch_kept.rollup_state SET horizon = NULL;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (15, '015_case_lags') ON CONFLICT (version) DO NOTHING;

COMMIT;

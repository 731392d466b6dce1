-- 011_alerts.sql: what --persist stores of the alerts of issue 14 (the rate
-- scan by default, EARS C2, Farrington or a GLR CUSUM by option): one row
-- per alert (an event: consecutive alarming weeks of its series), with its
-- evidence and its explanation, and per run the method, its parameters and
-- what the alerts counted. Tables only; the views over them are in
-- sql/repeatable/60_surveillance.sql, the grants (per table, so they cover
-- the new columns) in sql/repeatable/90_privileges.sql.
--
-- alert_results keeps its columns: device_type, setting, complication, week
-- and week_start (the event's FIRST week), observed, expected, statistic,
-- threshold (sd and upperbound are EARS C2's: NULL for the other methods).
-- New, per alert:
--   method            "rate scan", "EARS C2", "Farrington flexible", "GLR CUSUM"
--   rank              1 = the most serious (smallest q, then largest rate ratio)
--   last_week_start   the Monday of its last alarming week; weeks: from the
--                     first to the last, alarm_weeks: those that alarmed
--   treatments, rate, expected_rate, rate_ratio, p_value, q_value: of its
--                     strongest week, over window_start .. window_end
--                     (window_weeks weeks); observed and expected too
--   baseline_start, baseline_end, baseline_cases, baseline_treatments: the
--                     weeks its expectation comes from, and their counts
--   model, dispersion the rate scan's baseline model and its phi
--   statistic_name    what statistic holds: q_value, C2, p_value or GLR
--   sentence          the alert in plain words
--   also_in           the margins that alarmed with it, as in the JSON report
-- Numbers are stored as computed; "suppressed" says whether the run's
-- published outputs hid them (--suppress-below).
BEGIN;

ALTER TABLE needlewatch.analysis_runs
    ADD COLUMN IF NOT EXISTS alert_method         text,
    ADD COLUMN IF NOT EXISTS alert_parameters     jsonb,
    ADD COLUMN IF NOT EXISTS as_of                date,
    ADD COLUMN IF NOT EXISTS report_days          integer,
    ADD COLUMN IF NOT EXISTS series_weeks_judged  bigint;

ALTER TABLE needlewatch.alert_results
    ALTER COLUMN expected DROP NOT NULL,
    ALTER COLUMN sd DROP NOT NULL,
    ALTER COLUMN upperbound DROP NOT NULL,
    ALTER COLUMN threshold DROP NOT NULL,
    ADD COLUMN IF NOT EXISTS method               text,
    ADD COLUMN IF NOT EXISTS rank                 integer,
    ADD COLUMN IF NOT EXISTS last_week_start      date,
    ADD COLUMN IF NOT EXISTS weeks                integer,
    ADD COLUMN IF NOT EXISTS alarm_weeks          integer,
    ADD COLUMN IF NOT EXISTS treatments           bigint,
    ADD COLUMN IF NOT EXISTS rate                 double precision,
    ADD COLUMN IF NOT EXISTS expected_rate        double precision,
    ADD COLUMN IF NOT EXISTS rate_ratio           double precision,
    ADD COLUMN IF NOT EXISTS p_value              double precision,
    ADD COLUMN IF NOT EXISTS q_value              double precision,
    ADD COLUMN IF NOT EXISTS window_start         date,
    ADD COLUMN IF NOT EXISTS window_end           date,
    ADD COLUMN IF NOT EXISTS window_weeks         integer,
    ADD COLUMN IF NOT EXISTS baseline_start       date,
    ADD COLUMN IF NOT EXISTS baseline_end         date,
    ADD COLUMN IF NOT EXISTS baseline_cases       bigint,
    ADD COLUMN IF NOT EXISTS baseline_treatments  bigint,
    ADD COLUMN IF NOT EXISTS model                text,
    ADD COLUMN IF NOT EXISTS dispersion           double precision,
    ADD COLUMN IF NOT EXISTS statistic_name       text,
    ADD COLUMN IF NOT EXISTS sentence             text,
    ADD COLUMN IF NOT EXISTS also_in              jsonb;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (11, '011_alerts') ON CONFLICT (version) DO NOTHING;

COMMIT;

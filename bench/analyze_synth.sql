-- analyze_synth.sql - a synthetic population for timing needlewatch-analyze
-- alone (bench/ANALYZE.md), written straight into the report tables.
--
--   psql -v n=5000000 -f bench/analyze_synth.sql
--
-- Run as the owner of the needlewatch schema, on a database with every
-- migration applied and no reports yet. It stores n treatments (treated_on
-- uniform over the 365 days from 2025-01-01; five device types; home or
-- clinic; skin types I..VI or unknown; a message of the usual size), 3% of
-- them with a follow-up version 2 that moves them to the other setting, 1%
-- withdrawn by a version 2; complications for about 6% of the treatments (one
-- to three, of random types; a few orphans) with severities, outcomes and
-- onsets (0..365 days, most of them early; 5% without), and reported_at. The kept counts then come from
-- one cold rollup over everything (needlewatch.kept_rollup(), timed: the
-- "cold catch-up" of bench/RESULTS.md). needlewatch.kept_cells_check() must
-- find nothing afterwards.
\set ON_ERROR_STOP 1
SELECT setseed(0.42) \gset

INSERT INTO needlewatch.treatment_versions
    (report_id, version, nullified, treated_on, setting, device_type, manufacturer, model,
     needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum, region,
     source_topic, source_partition, source_offset, message, reported_at)
SELECT 's-' || g, 1, false, t.day,
       CASE WHEN random() < 0.55 THEN 'home' ELSE 'clinic' END,
       (ARRAY['derma_roller', 'derma_stamp', 'microneedling_pen', 'rf_microneedling',
              'other'])[1 + floor(random() * 5)::int],
       'Maker ' || (g % 7), 'Model ' || (g % 13), 0.25 + (g % 8) * 0.25, 'self',
       CASE WHEN random() < 0.1 THEN NULL ELSE 1 + floor(random() * 6)::int END,
       random() < 0.5, random() < 0.2, 'none', 'face',
       'treatments', g % 64, g / 64,
       '{"schema_version":1,"report_id":"s-' || g || '","treated_on":"2025-01-01",'
       || '"setting":"home","device":{"type":"derma_roller","manufacturer":"Maker",'
       || '"model":"Model","needle_depth_mm":1.5},"operator":"self","skin":{"fitzpatrick":3},'
       || '"sterile_tip":false,"active_acne":false,"serum":"none","region":"face",'
       || '"reported_at":"2025-01-02T10:00:00Z"}',
       (t.day + floor(random() * random() * 30)::int) + time '10:00' AT TIME ZONE 'UTC'
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (SELECT date '2025-01-01' + floor(random() * 365 + g * 0)::int AS day) t;

-- Follow-ups (another setting) and withdrawals.
INSERT INTO needlewatch.treatment_versions
    (report_id, version, nullified, treated_on, setting, device_type, fitzpatrick,
     source_topic, source_partition, source_offset, message)
SELECT report_id, 2, g_null, treated_on,
       CASE WHEN setting = 'home' THEN 'clinic' ELSE 'home' END, device_type, fitzpatrick,
       'treatments', source_partition, source_offset + 1000000000, message
FROM (SELECT t.*, random() AS r, random() < 0.25 AS g_null
      FROM needlewatch.treatment_versions t) t
WHERE r < 0.04;

-- Complications: 1 to 3 for about 6% of the treatments, a few on unknown ones,
-- each reported 0 to 40 days after its treatment (what the alerts count).
INSERT INTO needlewatch.complication_versions
    (report_id, version, nullified, treatment_id, type, severity, onset_days, outcome,
     reported_at, source_topic, source_partition, source_offset, message)
SELECT 'sc-' || g || '-' || k, 1, false,
       CASE WHEN random() < 0.01 THEN 'u-' || g ELSE 's-' || g END,
       types.names[1 + floor(random() * cardinality(types.names))::int],
       (ARRAY['mild', 'mild', 'mild', 'moderate', 'moderate', 'severe'])[1 + floor(random() * 6)::int],
       CASE WHEN random() < 0.05 THEN NULL ELSE floor(random() * random() * 366)::int END,
       (ARRAY['resolved', 'resolved', 'resolved', 'ongoing', 'permanent', 'unknown'])[1 + floor(random() * 6)::int],
       (t.treated_on + floor(random() * 41)::int)::timestamp AT TIME ZONE 'UTC',
       'complications', g % 64, g,
       '{"schema_version":1,"report_id":"sc","treatment_id":"s","type":"burn"}'
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL (SELECT v.treated_on FROM needlewatch.treatment_versions v
                    WHERE v.report_id = 's-' || g AND v.version = 1) AS t
CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 3)::int) AS k
CROSS JOIN (SELECT array_agg(complication ORDER BY ordinal) AS names
            FROM needlewatch.complication_catalogue) AS types
WHERE g % 100 < 6;

VACUUM ANALYZE needlewatch.treatment_versions, needlewatch.complication_versions;
\timing on
SELECT needlewatch.kept_rollup() AS kept_rows_written;
\timing off
VACUUM ANALYZE needlewatch_kept.cells, needlewatch_kept.model_days, needlewatch_kept.model_months,
    needlewatch_kept.model_totals, needlewatch_kept.risk_months, needlewatch_kept.risk_days,
    needlewatch_kept.reported_days, needlewatch_kept.case_lags, needlewatch_kept.report_delays;
SELECT (SELECT count(*) FROM needlewatch.treatment_versions) AS treatment_versions,
       (SELECT count(*) FROM needlewatch.complication_versions) AS complication_versions,
       (SELECT count(*) FROM needlewatch_kept.cells) AS kept_rows,
       (SELECT count(*) FROM needlewatch_kept.case_lags) AS case_lag_rows,
       (SELECT count(*) FROM needlewatch.kept_cells) AS kept_cells;

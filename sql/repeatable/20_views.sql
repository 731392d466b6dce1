-- 20_views.sql: the current version of every report, for analysts and the
-- analyzer.
--
-- needlewatch.treatments and needlewatch.complications hold one row per
-- current report: the highest version that has been stored, and no row at all
-- when that highest version withdraws the report (nullified). Older versions
-- stay in the *_versions tables.
BEGIN;

CREATE OR REPLACE VIEW needlewatch.treatments AS
SELECT report_id, version, treated_on, setting, device_type, manufacturer, model,
       needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum,
       region, reported_at, ingested_at
FROM (
    SELECT DISTINCT ON (report_id) *
    FROM needlewatch.treatment_versions
    ORDER BY report_id, version DESC
) current
WHERE NOT nullified;

CREATE OR REPLACE VIEW needlewatch.complications AS
SELECT report_id, version, treatment_id, type, severity, onset_days, outcome,
       medical_attention, reported_at, ingested_at
FROM (
    SELECT DISTINCT ON (report_id) *
    FROM needlewatch.complication_versions
    ORDER BY report_id, version DESC
) current
WHERE NOT nullified;

COMMENT ON VIEW needlewatch.treatments IS
    'One row per current treatment report: its highest stored version, unless that version '
    'withdraws it (nullified).';
COMMENT ON VIEW needlewatch.complications IS
    'One row per current complication report: its highest stored version, unless that version '
    'withdraws it (nullified).';

COMMIT;

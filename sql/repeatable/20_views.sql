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

-- What each report column of these views means; the other views that show
-- report columns (40_analysis, 50_makers) comment theirs from the same list
-- through needlewatch_kept.comment_report_columns().
CREATE OR REPLACE FUNCTION needlewatch_kept.report_column_comment(col text)
RETURNS text LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE col
        WHEN 'report_id' THEN 'The report''s id (the message''s report_id), unique per kind of report.'
        WHEN 'version' THEN 'The current version of the report: the highest stored one.'
        WHEN 'treated_on' THEN 'The day of the treatment (treated_on of the report).'
        WHEN 'setting' THEN 'Where the treatment was done: home or clinic.'
        WHEN 'device_type' THEN 'The type of device (device.type of the report).'
        WHEN 'manufacturer' THEN 'The device''s manufacturer as reported (NULL: not named).'
        WHEN 'model' THEN 'The device''s model as reported (NULL: not named).'
        WHEN 'needle_depth_mm' THEN 'The needle depth in millimetres, 0 < x <= 5 (NULL: not reported).'
        WHEN 'operator' THEN 'Who treated: self, physician, nurse, aesthetician or other (NULL: not reported).'
        WHEN 'fitzpatrick' THEN 'The Fitzpatrick skin type, 1 to 6 (NULL: not reported).'
        WHEN 'sterile_tip' THEN 'Whether the needle tip was sterile (NULL: not reported).'
        WHEN 'active_acne' THEN 'Whether the treated skin had active acne (NULL: not reported).'
        WHEN 'serum' THEN 'The serum applied, as reported (NULL: none reported).'
        WHEN 'region' THEN 'The region treated, as reported (NULL: not reported).'
        WHEN 'reported_at' THEN 'When the report says it was made (NULL: not given).'
        WHEN 'ingested_at' THEN 'When needlewatch-ingest stored this version.'
        WHEN 'treatment_id' THEN 'The report_id of the treatment the complication follows.'
        WHEN 'type' THEN 'The complication type (complication_catalogue.complication).'
        WHEN 'severity' THEN 'mild, moderate or severe (NULL: not reported).'
        WHEN 'onset_days' THEN 'Days from the treatment to the onset, 0 to 365 (NULL: not reported).'
        WHEN 'outcome' THEN 'resolved, ongoing, permanent or unknown (NULL: not reported).'
        WHEN 'medical_attention' THEN 'Whether medical attention was sought (NULL: not reported).'
    END
$$;

-- Comments every column of view v that report_column_comment() knows.
CREATE OR REPLACE FUNCTION needlewatch_kept.comment_report_columns(v regclass)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT a.attname, needlewatch_kept.report_column_comment(a.attname) AS t
             FROM pg_attribute a
             WHERE a.attrelid = v AND a.attnum > 0 AND NOT a.attisdropped LOOP
        IF r.t IS NOT NULL THEN
            EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v, r.attname, r.t);
        END IF;
    END LOOP;
END
$$;

DO $$
BEGIN
    PERFORM needlewatch_kept.comment_report_columns('needlewatch.treatments');
    PERFORM needlewatch_kept.comment_report_columns('needlewatch.complications');
END
$$;

COMMIT;

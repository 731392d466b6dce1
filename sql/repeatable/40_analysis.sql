-- 40_analysis.sql: the analysis views, for analysts in psql.
--
-- They give the same counts as needlewatch-analyze (a test compares every
-- row), so a number in the analyzer's report can be traced back to the
-- treatments and complications behind it. The definitions:
--
--   treatment   a row of needlewatch.treatments (current version, not
--               withdrawn), dated by treated_on;
--   case of C   a treatment with at least one current complication report of
--               type C attached to it (several reports of C count once);
--               a case of 'any' has at least one report of any type;
--   orphan      a current complication report whose treatment does not exist
--               or is withdrawn: counted apart, never a case;
--   skin type   'I'..'VI' from fitzpatrick 1..6, 'unknown' when not reported.
--
-- The rate cube has the margin 'all' on each of device_type, setting and
-- skin_type. Views cannot take parameters, so each view is a function of a
-- treated_on window called with open bounds:
--   needlewatch.rate_cells          = needlewatch.rate_cells_between(NULL, NULL)
--   needlewatch.home_vs_clinic      = needlewatch.home_vs_clinic_between(NULL, NULL)
--   needlewatch.analysis_totals     = needlewatch.analysis_totals_between(NULL, NULL)
-- Confidence intervals and the adjusted comparison are computed by the
-- analyzer, not here.
BEGIN;


-- One row per treatment and complication it is a case of ('any' included),
-- with the number of current reports behind it (2 means two reports, one
-- case) and the treatment's own columns, so a drill-down needs no join back
-- to needlewatch.treatments.
-- The whole join is computed once (MATERIALIZED) and filtered afterwards:
-- the planner cannot estimate a filter on skin_type, and with an inlined
-- join it picked nested loops that rescanned every complication for each
-- matching treatment (minutes instead of seconds at a million treatments).
CREATE OR REPLACE VIEW needlewatch.treatment_cases AS
WITH k AS (
    SELECT treatment_id,
           CASE WHEN GROUPING(type) = 1 THEN 'any' ELSE type END AS complication,
           count(*) AS reports
    FROM needlewatch.complications
    GROUP BY GROUPING SETS ((treatment_id, type), (treatment_id))
), joined AS MATERIALIZED (
    SELECT t.report_id AS treatment_id, t.treated_on, t.device_type, t.setting,
           needlewatch.skin_type(t.fitzpatrick) AS skin_type,
           k.complication, k.reports,
           t.version, t.manufacturer, t.model, t.needle_depth_mm, t.operator, t.fitzpatrick,
           t.sterile_tip, t.active_acne, t.serum, t.region, t.reported_at
    FROM needlewatch.treatments t
    JOIN k ON k.treatment_id = t.report_id
)
SELECT * FROM joined;

-- Current complication reports that are not cases: their treatment was never
-- received, or its current version withdraws it.
CREATE OR REPLACE VIEW needlewatch.orphan_complications AS
SELECT c.*,
       CASE WHEN EXISTS (SELECT 1 FROM needlewatch.treatment_versions v
                         WHERE v.report_id = c.treatment_id)
            THEN 'treatment withdrawn' ELSE 'treatment unknown' END AS reason
FROM needlewatch.complications c
WHERE NOT EXISTS (SELECT 1 FROM needlewatch.treatments t
                  WHERE t.report_id = c.treatment_id);

-- The rate cube for treatments with treated_on in [from_date, to_date]
-- (NULL: open). One row per cell with at least one treatment and per
-- complication in needlewatch.complication_types, zero cases included.
CREATE OR REPLACE FUNCTION needlewatch.rate_cells_between(from_date date, to_date date)
RETURNS TABLE (device_type text, setting text, skin_type text, complication text,
               treatments bigint, cases bigint, rate double precision)
LANGUAGE sql STABLE AS $$
    WITH t AS (
        SELECT tr.device_type, tr.setting, needlewatch.skin_type(tr.fitzpatrick) AS skin_type
        FROM needlewatch.treatments tr
        WHERE tr.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                                AND coalesce(to_date, 'infinity'::date)
    ),
    cells AS (
        SELECT CASE WHEN GROUPING(t.device_type) = 1 THEN 'all' ELSE t.device_type END AS device_type,
               CASE WHEN GROUPING(t.setting) = 1 THEN 'all' ELSE t.setting END AS setting,
               CASE WHEN GROUPING(t.skin_type) = 1 THEN 'all' ELSE t.skin_type END AS skin_type,
               count(*) AS treatments
        FROM t
        GROUP BY CUBE (t.device_type, t.setting, t.skin_type)
        HAVING count(*) > 0   -- the grand total row exists even without rows
    ),
    cases AS (
        SELECT CASE WHEN GROUPING(k.device_type) = 1 THEN 'all' ELSE k.device_type END AS device_type,
               CASE WHEN GROUPING(k.setting) = 1 THEN 'all' ELSE k.setting END AS setting,
               CASE WHEN GROUPING(k.skin_type) = 1 THEN 'all' ELSE k.skin_type END AS skin_type,
               k.complication,
               count(*) AS cases
        FROM needlewatch.treatment_cases k
        WHERE k.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                               AND coalesce(to_date, 'infinity'::date)
        GROUP BY k.complication, CUBE (k.device_type, k.setting, k.skin_type)
    )
    SELECT c.device_type, c.setting, c.skin_type, ty.complication, c.treatments,
           coalesce(k.cases, 0) AS cases,
           coalesce(k.cases, 0)::double precision / c.treatments AS rate
    FROM cells c
    CROSS JOIN needlewatch.complication_types ty
    LEFT JOIN cases k ON k.device_type = c.device_type AND k.setting = c.setting
                     AND k.skin_type = c.skin_type AND k.complication = ty.complication
    ORDER BY c.device_type = 'all',
             (SELECT d.ordinal FROM needlewatch.device_catalogue d
              WHERE d.device_type = c.device_type) NULLS LAST,
             c.device_type,
             array_position(ARRAY['home', 'clinic', 'all'], c.setting),
             array_position(ARRAY['I', 'II', 'III', 'IV', 'V', 'VI', 'unknown', 'all'], c.skin_type),
             ty.ordinal
$$;

CREATE OR REPLACE VIEW needlewatch.rate_cells AS
SELECT * FROM needlewatch.rate_cells_between(NULL, NULL);

-- Home next to clinic, for every device_type x skin_type x complication
-- (margins 'all' included) where both settings have at least one treatment.
-- rate_ratio = home rate / clinic rate, NULL when either side has no case.
CREATE OR REPLACE FUNCTION needlewatch.home_vs_clinic_between(from_date date, to_date date)
RETURNS TABLE (device_type text, skin_type text, complication text,
               home_treatments bigint, home_cases bigint, home_rate double precision,
               clinic_treatments bigint, clinic_cases bigint, clinic_rate double precision,
               rate_ratio double precision)
LANGUAGE sql STABLE AS $$
    WITH r AS (
        SELECT * FROM needlewatch.rate_cells_between(from_date, to_date)
    ), ty AS (
        SELECT * FROM needlewatch.complication_types
    )
    SELECT h.device_type, h.skin_type, h.complication,
           h.treatments, h.cases, h.rate,
           c.treatments, c.cases, c.rate,
           CASE WHEN h.cases > 0 AND c.cases > 0 THEN h.rate / c.rate END
    FROM r h
    JOIN r c ON c.device_type = h.device_type AND c.skin_type = h.skin_type
            AND c.complication = h.complication
    JOIN ty ON ty.complication = h.complication
    WHERE h.setting = 'home' AND c.setting = 'clinic'
    ORDER BY h.device_type = 'all',
             (SELECT d.ordinal FROM needlewatch.device_catalogue d
              WHERE d.device_type = h.device_type) NULLS LAST,
             h.device_type,
             array_position(ARRAY['I', 'II', 'III', 'IV', 'V', 'VI', 'unknown', 'all'], h.skin_type),
             ty.ordinal
$$;

CREATE OR REPLACE VIEW needlewatch.home_vs_clinic AS
SELECT * FROM needlewatch.home_vs_clinic_between(NULL, NULL);

-- The totals at the head of the analyzer's report. complication_reports
-- counts the current reports attached to a treatment in the window (two
-- reports on one treatment count twice here); orphans and quarantined
-- messages have no treatment date and are counted whatever the window.
CREATE OR REPLACE FUNCTION needlewatch.analysis_totals_between(from_date date, to_date date)
RETURNS TABLE (treatments bigint, complication_reports bigint,
               orphan_complications bigint, quarantined bigint)
LANGUAGE sql STABLE AS $$
    WITH t AS (
        SELECT tr.report_id
        FROM needlewatch.treatments tr
        WHERE tr.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                                AND coalesce(to_date, 'infinity'::date)
    )
    SELECT (SELECT count(*) FROM t),
           (SELECT count(*) FROM needlewatch.complications c
            WHERE c.treatment_id IN (SELECT t.report_id FROM t)),
           (SELECT count(*) FROM needlewatch.orphan_complications),
           (SELECT count(*) FROM needlewatch.quarantine)
$$;

CREATE OR REPLACE VIEW needlewatch.analysis_totals AS
SELECT * FROM needlewatch.analysis_totals_between(NULL, NULL);

COMMENT ON VIEW needlewatch.treatment_cases IS
    'One row per current treatment and complication it is a case of (any included), with the '
    'number of current reports behind it and the treatment''s own columns.';
COMMENT ON VIEW needlewatch.orphan_complications IS
    'Current complication reports whose treatment was never received or is withdrawn (reason).';
COMMENT ON FUNCTION needlewatch.rate_cells_between(date, date) IS
    'The rate cube (device_type x setting x skin_type, margins all, x complication) of the '
    'treatments dated in [from_date, to_date] (NULL: open): treatments, cases, rate.';
COMMENT ON VIEW needlewatch.rate_cells IS 'rate_cells_between(NULL, NULL): the whole history.';
COMMENT ON FUNCTION needlewatch.home_vs_clinic_between(date, date) IS
    'Home next to clinic for every device_type x skin_type x complication with treatments in '
    'both settings, and the rate ratio home / clinic.';
COMMENT ON VIEW needlewatch.home_vs_clinic IS 'home_vs_clinic_between(NULL, NULL).';
COMMENT ON FUNCTION needlewatch.analysis_totals_between(date, date) IS
    'The totals of the report''s head: treatments in the window, their complication reports, '
    'orphans and quarantined messages (whatever the window).';
COMMENT ON VIEW needlewatch.analysis_totals IS 'analysis_totals_between(NULL, NULL).';

-- The columns of the views above. Those of the reports: 20_views.sql.
DO $$
BEGIN
    PERFORM needlewatch_kept.comment_report_columns('needlewatch.treatment_cases');
    PERFORM needlewatch_kept.comment_report_columns('needlewatch.orphan_complications');
END
$$;
COMMENT ON COLUMN needlewatch.treatment_cases.treatment_id IS
    'The treatment (its report_id).';
COMMENT ON COLUMN needlewatch.treatment_cases.skin_type IS
    'The Fitzpatrick skin type as a roman numeral, I to VI, or unknown.';
COMMENT ON COLUMN needlewatch.treatment_cases.complication IS
    'The complication it is a case of: any, or a type of complication_catalogue.';
COMMENT ON COLUMN needlewatch.treatment_cases.reports IS
    'How many of its current complication reports are of that complication.';
COMMENT ON COLUMN needlewatch.treatment_cases.version IS
    'The current version of the treatment report.';
COMMENT ON COLUMN needlewatch.orphan_complications.reason IS
    'treatment unknown (never received) or treatment withdrawn.';
COMMENT ON COLUMN needlewatch.rate_cells.device_type IS
    'The device type, or all.';
COMMENT ON COLUMN needlewatch.rate_cells.setting IS
    'home, clinic, or all.';
COMMENT ON COLUMN needlewatch.rate_cells.skin_type IS
    'I to VI, unknown, or all.';
COMMENT ON COLUMN needlewatch.rate_cells.complication IS
    'any, or a type of complication_catalogue.';
COMMENT ON COLUMN needlewatch.rate_cells.treatments IS
    'Current treatments of the cell.';
COMMENT ON COLUMN needlewatch.rate_cells.cases IS
    'Those with at least one current report of the complication.';
COMMENT ON COLUMN needlewatch.rate_cells.rate IS
    'cases / treatments (NULL without treatments).';
COMMENT ON COLUMN needlewatch.home_vs_clinic.device_type IS
    'The device type, or all.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.skin_type IS
    'I to VI, unknown, or all.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.complication IS
    'any, or a type of complication_catalogue.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.home_treatments IS
    'Current treatments at home.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.home_cases IS
    'Those of them that are cases of the complication.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.home_rate IS
    'home_cases / home_treatments.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.clinic_treatments IS
    'Current treatments in a clinic.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.clinic_cases IS
    'Those of them that are cases of the complication.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.clinic_rate IS
    'clinic_cases / clinic_treatments.';
COMMENT ON COLUMN needlewatch.home_vs_clinic.rate_ratio IS
    'home_rate / clinic_rate (NULL when either side has no case).';
COMMENT ON COLUMN needlewatch.analysis_totals.treatments IS
    'Current treatments.';
COMMENT ON COLUMN needlewatch.analysis_totals.complication_reports IS
    'Their current complication reports.';
COMMENT ON COLUMN needlewatch.analysis_totals.orphan_complications IS
    'Current complication reports whose treatment is unknown or withdrawn.';
COMMENT ON COLUMN needlewatch.analysis_totals.quarantined IS
    'Messages in quarantine (failed validation), whatever the window.';

COMMIT;

-- 50_makers.sql: what a device maker sees, and nothing more.
--
-- A maker login sees the current treatments whose current version names one
-- of its manufacturers (needlewatch.maker_access, 004), and their current
-- complications, through three views over SECURITY DEFINER functions; it
-- has no other privilege in the schema (90_privileges.sql). Why functions
-- and not row-level security is in docs/security.md and 004's header: in
-- short, EXPLAIN shows nothing of a function's plan, "current version
-- decides" needs the table the policy would guard, and COPY refuses tables
-- with row-level security.
BEGIN;

-- The maker_access rows of the roles the session's login is a member of.
-- pg_roles is joined (not pg_has_role(name, name)) so that a row naming a
-- dropped role is skipped rather than raising an error.
CREATE OR REPLACE FUNCTION needlewatch.maker_manufacturers_rows()
RETURNS TABLE (role_name name, manufacturer text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT m.role_name, m.manufacturer
    FROM needlewatch.maker_access m
    JOIN pg_catalog.pg_roles r ON r.rolname = m.role_name
    WHERE pg_catalog.pg_has_role(session_user, r.oid, 'MEMBER')
$$;

-- Current treatments whose current version names a manufacturer of the
-- session's login. The columns are listed, so a column added to the
-- treatments view later does not reach makers unless added here.
CREATE OR REPLACE FUNCTION needlewatch.maker_treatments_rows()
RETURNS TABLE (report_id text, version integer, treated_on date, setting text,
               device_type text, manufacturer text, model text, needle_depth_mm double precision,
               operator text, fitzpatrick smallint, sterile_tip boolean, active_acne boolean,
               serum text, region text, reported_at timestamptz, ingested_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT t.report_id, t.version, t.treated_on, t.setting, t.device_type, t.manufacturer,
           t.model, t.needle_depth_mm, t.operator, t.fitzpatrick, t.sterile_tip, t.active_acne,
           t.serum, t.region, t.reported_at, t.ingested_at
    FROM needlewatch.treatments t
    WHERE t.manufacturer IN (SELECT m.manufacturer FROM needlewatch.maker_manufacturers_rows() m)
$$;

-- Current complications of those treatments.
CREATE OR REPLACE FUNCTION needlewatch.maker_complications_rows()
RETURNS TABLE (report_id text, version integer, treatment_id text, type text, severity text,
               onset_days smallint, outcome text, medical_attention boolean,
               reported_at timestamptz, ingested_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.report_id, c.version, c.treatment_id, c.type, c.severity, c.onset_days,
           c.outcome, c.medical_attention, c.reported_at, c.ingested_at
    FROM needlewatch.complications c
    WHERE c.treatment_id IN (SELECT t.report_id FROM needlewatch.maker_treatments_rows() t)
$$;

CREATE OR REPLACE VIEW needlewatch.maker_manufacturers AS
SELECT * FROM needlewatch.maker_manufacturers_rows();
CREATE OR REPLACE VIEW needlewatch.maker_treatments AS
SELECT * FROM needlewatch.maker_treatments_rows();
CREATE OR REPLACE VIEW needlewatch.maker_complications AS
SELECT * FROM needlewatch.maker_complications_rows();

COMMENT ON VIEW needlewatch.maker_manufacturers IS
    'A maker''s own maker_access rows (the roles its login is a member of).';
COMMENT ON VIEW needlewatch.maker_treatments IS
    'A maker''s current treatments: those whose current version names one of its manufacturers.';
COMMENT ON VIEW needlewatch.maker_complications IS
    'The current complications of a maker''s current treatments.';

-- The columns of the views above. Those of the reports: 20_views.sql.
DO $$
BEGIN
    PERFORM needlewatch_kept.comment_report_columns('needlewatch.maker_treatments');
    PERFORM needlewatch_kept.comment_report_columns('needlewatch.maker_complications');
END
$$;
COMMENT ON COLUMN needlewatch.maker_manufacturers.role_name IS
    'A role the current login is a member of.';
COMMENT ON COLUMN needlewatch.maker_manufacturers.manufacturer IS
    'A manufacturer that role may read.';

COMMIT;

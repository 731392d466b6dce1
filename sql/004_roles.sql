-- 004_roles.sql: who may read and write what, for four kinds of user.
--
-- Four NOLOGIN group roles; a deployment creates login roles and grants
-- them one of these (CREATE ROLE x LOGIN IN ROLE needlewatch_analyst):
--
--   needlewatch_ingest     the worker: writes reports, quarantine, offsets;
--                          of the reports it reads only (report_id,
--                          version), of the quarantine only where a message
--                          came from; no view, no message, no DDL.
--   needlewatch_analyst    reads the views (treatments, complications and
--                          the analysis views of 003), and counts the
--                          quarantine; no report table, no raw message, no
--                          offsets; writes nothing.
--   needlewatch_authority  reads everything in the schema; writes nothing.
--   needlewatch_maker      a device maker: its own manufacturers' current
--                          treatments and their complications, nothing else.
--
-- Everything is table and column privileges; PUBLIC gets nothing (not even
-- CONNECT or TEMPORARY on the database, nor EXECUTE on the functions).
--
-- Device makers. needlewatch.maker_access maps a role to the manufacturers
-- (device.manufacturer, compared exactly) it may see. A login sees the rows
-- mapped to any role it is a member of: pg_has_role(session_user, role,
-- 'MEMBER'). Makers read three views, each over a SECURITY DEFINER function:
--   needlewatch.maker_manufacturers   its own maker_access rows
--   needlewatch.maker_treatments      current treatments whose CURRENT
--                                     version names one of its manufacturers
--   needlewatch.maker_complications   current complications whose treatment
--                                     is in maker_treatments (a complication
--                                     of an unknown, withdrawn or other
--                                     maker's treatment is invisible)
-- and have no other privilege in the schema: no base table, no other view,
-- no other function, no aggregate view (counts would reveal other makers'
-- volumes), no temporary objects. Why not row-level security on the base
-- tables (with security_invoker views), nor security_barrier views that
-- filter in their WHERE clause:
--   * EXPLAIN ANALYZE prints "Rows Removed by Filter: N" for an RLS policy
--     and for a barrier view alike: a maker could count the rows it may not
--     see. A SECURITY DEFINER function is never inlined: EXPLAIN shows a
--     Function Scan returning the visible rows and nothing of the plan
--     inside, and leaky clauses in the maker's own WHERE (1/0 on another
--     maker's value, a failing cast) only ever see the function's output.
--   * Which maker a report belongs to is decided by its current version
--     (a follow-up may correct the manufacturer), which a per-row policy on
--     treatment_versions cannot see without reading the table it guards.
--   * The worker COPYs straight into the report tables, and PostgreSQL
--     refuses COPY FROM into a table with row-level security enabled (the
--     worker then falls back to its slower staging path).
-- Inside a SECURITY DEFINER function current_user is the owner, hence
-- session_user: a non-superuser cannot change it (SET ROLE does not), so a
-- maker cannot pose as another. The price: a pool that logs in as one role
-- and SET ROLEs per client does not work for makers; makers log in as
-- themselves (PgBouncer with per-user logins is fine).
-- What a maker can still learn, outside this schema: the statistics every
-- role may read (pg_class.reltuples, pg_stat_user_tables.n_live_tup, the
-- time a query takes) give the TOTAL size of the report tables, all makers
-- together. docs/security.md describes it.
--
-- The ingest role's privileges are what ingest/pg_sink.c and migrate.c
-- execute, column by column (see the GRANTs below). Its staging tables are
-- declared column by column in pg_sink.c: `CREATE TEMP TABLE (LIKE t)`
-- would need table-level SELECT on t, i.e. every message.
--
-- Roles are cluster-wide, and sql/roles.sql is the one list of them: a
-- superuser runs it once per cluster, before this file. This file creates
-- no role; it stops, before anything else, when one it grants to is
-- missing.
-- Every later migration that adds a relation or function grants it
-- explicitly: nothing here grants by default.
BEGIN;

-- The group roles of sql/roles.sql that this file grants to.
DO $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg(r, ', ') INTO missing
    FROM unnest(ARRAY['needlewatch_ingest', 'needlewatch_analyst', 'needlewatch_authority',
                      'needlewatch_maker']) AS r
    WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'group role(s) % do not exist', missing
            USING HINT = 'Roles belong to the cluster: a superuser creates them once with '
                         'sql/roles.sql (psql -v ON_ERROR_STOP=1 -f sql/roles.sql).';
    END IF;
END $$;

-- Which role may see which manufacturer's reports. role_name may be a login
-- role or a group role granted to several logins; never one of the four
-- needlewatch_* roles (everyone in it would see the manufacturer).
CREATE TABLE IF NOT EXISTS needlewatch.maker_access (
    role_name     name NOT NULL CHECK (role_name NOT IN ('needlewatch_ingest', 'needlewatch_analyst',
                                                         'needlewatch_authority', 'needlewatch_maker',
                                                         'public')),
    manufacturer  text NOT NULL,
    PRIMARY KEY (role_name, manufacturer)
);

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

-- The functions run as their owner: make that the owner of the reports
-- (it already is when the schema owner applies this file; not when a
-- superuser does, and a superuser-owned SECURITY DEFINER function is more
-- power than these need).
DO $$
DECLARE
    owner regrole := (SELECT relowner::regrole FROM pg_class
                      WHERE oid = 'needlewatch.treatment_versions'::regclass);
BEGIN
    IF owner::text <> quote_ident(current_user) THEN
        EXECUTE format('ALTER TABLE needlewatch.maker_access OWNER TO %s', owner);
        EXECUTE format('ALTER FUNCTION needlewatch.maker_manufacturers_rows() OWNER TO %s', owner);
        EXECUTE format('ALTER FUNCTION needlewatch.maker_treatments_rows() OWNER TO %s', owner);
        EXECUTE format('ALTER FUNCTION needlewatch.maker_complications_rows() OWNER TO %s', owner);
        EXECUTE format('ALTER VIEW needlewatch.maker_manufacturers OWNER TO %s', owner);
        EXECUTE format('ALTER VIEW needlewatch.maker_treatments OWNER TO %s', owner);
        EXECUTE format('ALTER VIEW needlewatch.maker_complications OWNER TO %s', owner);
    END IF;
END $$;

-- Privileges. Start from nothing for PUBLIC: relations in a new schema have
-- no PUBLIC grants, but functions do (EXECUTE), and so does the database
-- (CONNECT, TEMPORARY; a temporary schema is where a maker could create
-- functions of its own).
REVOKE ALL ON ALL TABLES IN SCHEMA needlewatch FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA needlewatch FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO needlewatch_ingest, needlewatch_analyst, '
                   'needlewatch_authority, needlewatch_maker', current_database());
    -- The worker stages batches in temporary tables; analysts may want them too.
    EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO needlewatch_ingest, needlewatch_analyst, '
                   'needlewatch_authority', current_database());
END $$;

GRANT USAGE ON SCHEMA needlewatch
    TO needlewatch_ingest, needlewatch_analyst, needlewatch_authority, needlewatch_maker;

-- Ingest: exactly what ingest/pg_sink.c and ingest/migrate.c execute.
--   treatment_versions, complication_versions:
--     INSERT: COPY ... FROM STDIN straight into the table (the fast path),
--       and INSERT ... SELECT from the staging table (when a batch holds a
--       duplicate);
--     SELECT (report_id, version): that INSERT's ON CONFLICT (report_id,
--       version) target and RETURNING report_id, version, and the counts of
--       superseded versions (EXISTS ... WHERE report_id = ... AND version <
--       ...). Nothing else of a report: not its message, nor its fields.
--   quarantine: INSERT; SELECT (topic, partition, kafka_offset) for
--     ON CONFLICT (topic, partition, kafka_offset) and RETURNING topic.
--   kafka_offsets: the claim (INSERT ... ON CONFLICT (group_id, topic,
--     partition) DO UPDATE SET epoch = o.epoch + 1, owner = EXCLUDED.owner,
--     updated_at = now() RETURNING topic, partition, next_offset, epoch:
--     SELECT on the conflict target, on what DO UPDATE reads, owner
--     included, and on what it returns) and the fence (UPDATE SET
--     next_offset, updated_at WHERE group_id, topic, partition, epoch
--     RETURNING topic, partition). Only updated_at is never read.
--   schema_migrations: SELECT (version), the check of --no-migrate (and of
--     a start without it once everything is applied: the advisory lock and
--     to_regclass need no privilege).
--   TEMPORARY on the database (above), for the staging tables.
GRANT INSERT, SELECT (report_id, version)
    ON needlewatch.treatment_versions, needlewatch.complication_versions TO needlewatch_ingest;
GRANT INSERT, SELECT (topic, partition, kafka_offset) ON needlewatch.quarantine
    TO needlewatch_ingest;
GRANT SELECT (group_id, topic, partition, next_offset, epoch, owner),
      INSERT (group_id, topic, partition, next_offset, epoch, owner),
      UPDATE (next_offset, epoch, owner, updated_at)
    ON needlewatch.kafka_offsets TO needlewatch_ingest;
GRANT SELECT (version) ON needlewatch.schema_migrations TO needlewatch_ingest;

-- Analyst: every view but the makers', and the functions behind the
-- analysis views (they run as the caller). The quarantine is counted by
-- needlewatch.analysis_totals and needlewatch-analyze, so the analyst may
-- read its metadata columns, never key, payload or error (which quotes
-- values from the message).
-- Authority: everything, read only.
-- Makers: their three views and the functions behind them.
DO $$
DECLARE
    rel regclass;
    fn regprocedure;
    fname name;
BEGIN
    FOR rel IN SELECT c.oid FROM pg_class c
               WHERE c.relnamespace = 'needlewatch'::regnamespace AND c.relkind IN ('v', 'm')
                 AND c.relname NOT LIKE 'maker\_%' LOOP
        EXECUTE format('GRANT SELECT ON %s TO needlewatch_analyst', rel);
    END LOOP;
    FOR fn, fname IN SELECT p.oid, p.proname FROM pg_proc p
                    WHERE p.pronamespace = 'needlewatch'::regnamespace LOOP
        IF fname LIKE 'maker\_%' THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO needlewatch_maker', fn);
        ELSE
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO needlewatch_analyst', fn);
        END IF;
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO needlewatch_authority', fn);
    END LOOP;
END $$;
GRANT SELECT (topic, partition, kafka_offset, received_at) ON needlewatch.quarantine
    TO needlewatch_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA needlewatch TO needlewatch_authority;
GRANT SELECT ON needlewatch.maker_manufacturers, needlewatch.maker_treatments,
                needlewatch.maker_complications
    TO needlewatch_maker;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (4, '004_roles') ON CONFLICT (version) DO NOTHING;

COMMIT;

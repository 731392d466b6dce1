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
-- execute, column by column (sql/repeatable/90_privileges.sql). Its staging tables are
-- declared column by column in pg_sink.c: `CREATE TEMP TABLE (LIKE t)`
-- would need table-level SELECT on t, i.e. every message.
--
-- Roles are cluster-wide, and sql/roles.sql is the one list of them: a
-- superuser runs it once per cluster, before this file. This file creates
-- no role; it stops, before anything else, when one it grants to is
-- missing.
-- Privileges are granted in one place, sql/repeatable/90_privileges.sql,
-- applied after every migration and again whenever the repeatable files
-- change: a relation or function added later is granted there, explicitly.
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

-- The functions and views makers read are in sql/repeatable/50_makers.sql,
-- and every privilege this file used to grant is in
-- sql/repeatable/90_privileges.sql (applied after every migration).

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (4, '004_roles') ON CONFLICT (version) DO NOTHING;

COMMIT;

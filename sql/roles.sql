-- roles.sql: the NOLOGIN group roles of needlewatch. This is the one list of
-- them: scripts/pg.sh and docker/postgres-init.sh run this file, the
-- migrations check that the roles they grant to exist, and a test
-- (tests/repo/roles.py) checks that every group role named anywhere in the
-- repository is one of these.
--
-- Roles belong to the cluster, not to a database, and creating them needs
-- CREATEROLE, which the schema owner (the role that applies the migrations)
-- should not have. So a superuser runs this file once per cluster, before
-- the first migration, in any database:
--
--   psql -X -v ON_ERROR_STOP=1 -U postgres -d postgres -f sql/roles.sql
--
-- It creates the roles that are missing and leaves the others as they are
-- (running it again changes nothing but the comments); it warns when one of
-- them can log in. A deployment then creates its logins and grants each one
-- of these (docs/operations.md, "Creating the database and the logins").
--
--   needlewatch_ingest     the ingest workers: insert reports, quarantine
--                          rows and offsets; of what they store they read
--                          only the keys (sql/004_roles.sql)
--   needlewatch_analyst    reads the views; needlewatch-analyze
--   needlewatch_analyzer   adds analyzer runs (needlewatch-analyze --persist,
--                          sql/006_surveillance.sql); a --persist login is
--                          in needlewatch_analyst too
--   needlewatch_authority  reads everything in the schema, writes nothing
--   needlewatch_maker      a device maker: its own manufacturers' reports
--                          through three views, nothing else
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('needlewatch_ingest', 'ingest workers: insert reports, quarantine and offsets'),
        ('needlewatch_analyst', 'analysts and needlewatch-analyze: read the views'),
        ('needlewatch_analyzer', 'needlewatch-analyze --persist: add analyzer runs'),
        ('needlewatch_authority', 'health authority: read everything, write nothing'),
        ('needlewatch_maker', 'device makers: their own reports through three views')
    ) AS v(name, purpose) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r.name);
        ELSIF (SELECT rolcanlogin FROM pg_roles WHERE rolname = r.name) THEN
            RAISE WARNING 'role % can log in; it is meant as a NOLOGIN group role', r.name;
        END IF;
        EXECUTE format('COMMENT ON ROLE %I IS %L', r.name, 'needlewatch group role: ' || r.purpose);
    END LOOP;
END $$;

-- 90_privileges.sql: who may read and write what, in one place.
--
-- Applied after every migration and every other repeatable file, and again
-- whenever any of them changes, so every relation and function is here
-- when its grants are made. The roles are sql/roles.sql's (the one list);
-- what each may do is sql/004_roles.sql's header and docs/security.md:
--   needlewatch_ingest     inserts reports, quarantine rows and offsets; of
--                          what it stores it reads only the keys; runs the
--                          kept counts' rollup (needlewatch.kept_rollup())
--   needlewatch_analyst    reads the views and the analysis functions, counts
--                          the quarantine; writes nothing
--   needlewatch_analyzer   adds analyzer runs (--persist) and what
--                          --publish-signals published
--   needlewatch_authority  reads everything, writes nothing
--   needlewatch_maker      its three views, nothing else
-- needlewatch_kept, the kept counts' private schema, is the owner's alone:
-- readers reach it only through SECURITY DEFINER functions of needlewatch.
BEGIN;

SET LOCAL client_min_messages = warning;

-- Ownership. SECURITY DEFINER functions run as their owner, which must be
-- the owner of the reports, not a superuser that happened to apply the
-- files (a superuser-owned SECURITY DEFINER function is more power than
-- these need).
DO $$
DECLARE
    owner regrole := (SELECT relowner::regrole FROM pg_class
                      WHERE oid = 'needlewatch.treatment_versions'::regclass);
    obj record;
BEGIN
    IF owner::text = quote_ident(current_user) THEN
        RETURN;
    END IF;
    EXECUTE format('ALTER SCHEMA needlewatch_kept OWNER TO %s', owner);
    FOR obj IN SELECT p.oid::regprocedure AS f FROM pg_proc p
               WHERE p.pronamespace IN ('needlewatch'::regnamespace,
                                        'needlewatch_kept'::regnamespace)
                 AND p.proowner <> owner LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO %s', obj.f, owner);
    END LOOP;
    FOR obj IN SELECT c.oid::regclass AS r FROM pg_class c
               WHERE c.relnamespace IN ('needlewatch'::regnamespace,
                                        'needlewatch_kept'::regnamespace)
                 AND c.relkind IN ('r', 'v', 'm', 'p') AND c.relowner <> owner LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO %s', obj.r, owner);
    END LOOP;
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
GRANT SELECT (name, checksum) ON needlewatch.schema_repeatables TO needlewatch_ingest;
-- kafka_gaps (010): the ingest records the gaps it finds, in the transaction
-- of the partition's next batch; it reads nothing back.
GRANT INSERT (group_id, topic, partition, first_missing, log_start, detected_at, detected_by)
    ON needlewatch.kafka_gaps TO needlewatch_ingest;

-- The kept counts: private to the owner; the ingest may run the rollup
-- (the analyst and the authority may too, through the loop above).
REVOKE ALL ON SCHEMA needlewatch_kept FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA needlewatch_kept FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA needlewatch_kept FROM PUBLIC;
GRANT EXECUTE ON FUNCTION needlewatch.kept_rollup() TO needlewatch_ingest;

-- The analyzer group (--persist) adds runs; analysts and the authority
-- read them. Nobody but the owner updates or deletes a run.
-- A --persist login is a member of needlewatch_analyst (to read the views)
-- and of needlewatch_analyzer (to store the run).
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO needlewatch_analyzer', current_database());
END $$;
GRANT USAGE ON SCHEMA needlewatch TO needlewatch_analyzer;
GRANT INSERT, SELECT ON needlewatch.analysis_runs TO needlewatch_analyzer;
GRANT INSERT ON needlewatch.signal_results, needlewatch.rate_results,
                needlewatch.alert_results TO needlewatch_analyzer;
GRANT USAGE ON SEQUENCE needlewatch.analysis_runs_run_id_seq TO needlewatch_analyzer;
GRANT SELECT ON needlewatch.complication_catalogue, needlewatch.device_catalogue,
                needlewatch.analysis_runs, needlewatch.signal_results,
                needlewatch.rate_results, needlewatch.alert_results
    TO needlewatch_analyst;

-- What --publish-signals last published (009): the analyzer keeps it (the
-- publishing run locks it first: two runs publishing at once take turns);
-- analysts read it.
GRANT SELECT, INSERT, UPDATE ON needlewatch.published_signals TO needlewatch_analyzer;
GRANT SELECT ON needlewatch.published_signals TO needlewatch_analyst;

-- Analysts count the quarantine; they may also see what became of a
-- replayed row (009), never its reasons (error and first_error quote values
-- from the message).
GRANT SELECT (replayed_at, replay_outcome) ON needlewatch.quarantine TO needlewatch_analyst;

COMMIT;

-- 002_views.sql: a record; its code moved to sql/repeatable/20_views.sql.
--
-- This migration used to create the current-version views treatments and complications.
-- Functions and views now live in repeatable files, applied after the
-- migrations and again whenever they change (sql/README.md), so that a
-- change to one is an edit of one file. A database that applied the old
-- text keeps its record; the repeatable files replace what it created.
BEGIN;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (2, '002_views') ON CONFLICT (version) DO NOTHING;

COMMIT;

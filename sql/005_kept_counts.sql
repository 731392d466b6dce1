-- 005_kept_counts.sql: superseded by 012_rollups.sql.
--
-- Up to 011 this migration kept analysis counts by triggers inside each
-- ingest transaction; 012 replaced that design with an asynchronous rollup
-- (sql/repeatable/30_kept.sql) and dropped what this file used to create.
-- A database that applied the old text keeps its record and gets 012's
-- upgrade; a new database records this number and creates nothing here.
-- The old text is in the repository's history (git show 3ff2c51:sql/005_kept_counts.sql);
-- tests/integration/t_kept_upgrade.sh upgrades a database built with it.
BEGIN;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (5, '005_kept_counts') ON CONFLICT (version) DO NOTHING;

COMMIT;

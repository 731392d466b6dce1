-- 003_analysis.sql: a record; its code moved to sql/repeatable/10_catalogue.sql and 40_analysis.sql.
--
-- This migration used to create the analysis views and functions (rate_cells, home_vs_clinic, analysis_totals, treatment_cases, orphan_complications, complication_types, skin_type).
-- Functions and views now live in repeatable files, applied after the
-- migrations and again whenever they change (sql/README.md), so that a
-- change to one is an edit of one file. A database that applied the old
-- text keeps its record; the repeatable files replace what it created.
BEGIN;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (3, '003_analysis') ON CONFLICT (version) DO NOTHING;

COMMIT;

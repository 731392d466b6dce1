-- 013_catalogues.sql: the enumerations become data.
--
-- The complication types and the device types were written out in 001's
-- CHECK constraints, in 003's views and in the kept counts' columns. From
-- here each has one definition, a catalogue table whose rows are kept by
-- sql/repeatable/10_catalogue.sql: the report tables' constraints, the
-- views' orders and the kept counts' arrays are all derived from it. Adding
-- a type is one row in that file.
--   complication_catalogue  (006) gains nothing here; its rows move to the
--                           repeatable file
--   device_catalogue        new: device_type, ordinal (report order), title
-- The CHECK constraints of 001 that listed the names are dropped; the
-- repeatable file creates their replacements from the catalogues.
BEGIN;

CREATE TABLE IF NOT EXISTS needlewatch.device_catalogue (
    device_type  text PRIMARY KEY,
    ordinal      integer NOT NULL UNIQUE,
    title        text NOT NULL
);

ALTER TABLE needlewatch.treatment_versions
    DROP CONSTRAINT IF EXISTS treatment_versions_device_type_check;
ALTER TABLE needlewatch.complication_versions
    DROP CONSTRAINT IF EXISTS complication_versions_type_check;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (13, '013_catalogues') ON CONFLICT (version) DO NOTHING;

COMMIT;

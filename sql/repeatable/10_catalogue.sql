-- 10_catalogue.sql: the complication types and the device types, once.
--
-- The rows below are the one definition of each enumeration in SQL (the C
-- side has its own single table, common/). Everything else derives from
-- them: the CHECK constraints that keep unknown names out of the report
-- tables (generated below), the report order of the analysis views, the
-- kept counts' arrays (cases[i] is the type of ordinal i; see 30_kept.sql),
-- and complication_types, the list with "any" that the analyzer and the
-- analysis views read.
--
-- To add a type: add its row here (a new ordinal after the last) and its
-- name to the C table; applying the repeatable files again (every worker
-- does at start) extends the constraint and regenerates the code that sums
-- per type. Never reuse or renumber an ordinal: kept arrays are indexed by
-- it. IMDRF Annex E (health effects: clinical signs, symptoms and
-- conditions) codes and terms are arrays (dryness_peeling maps to two
-- terms); a type with no specific term has empty arrays and a note.
BEGIN;

SET LOCAL client_min_messages = warning;

INSERT INTO needlewatch.complication_catalogue
    (complication, ordinal, title, imdrf_annex_e_codes, imdrf_annex_e_terms, imdrf_note) VALUES
    ('infection', 1, 'Infection', '{E1719}', '{Skin Infection}', NULL),
    ('scarring', 2, 'Scarring', '{E1715}', '{Scar Tissue}', NULL),
    ('hyperpigmentation', 3, 'Hyperpigmentation', '{E171602}', '{Hyperpigmentation}', NULL),
    ('burn', 4, 'Burn', '{E1704}', '{Burn(s)}', NULL),
    ('nerve_damage', 5, 'Nerve damage', '{E0123}', '{Nerve Damage}', NULL),
    ('fat_loss', 6, 'Fat loss', '{}', '{}', 'no specific IMDRF Annex E term'),
    ('granuloma', 7, 'Granuloma', '{E2317}', '{Granuloma}', NULL),
    ('dryness_peeling', 8, 'Dryness / peeling', '{E1724,E1711}', '{Dry Skin,Peeling}', NULL),
    ('acne_flare', 9, 'Acne flare', '{}', '{}', 'no specific IMDRF Annex E term'),
    ('other', 10, 'Other', '{}', '{}', 'no specific IMDRF Annex E term')
ON CONFLICT (complication) DO UPDATE
    SET ordinal = EXCLUDED.ordinal, title = EXCLUDED.title,
        imdrf_annex_e_codes = EXCLUDED.imdrf_annex_e_codes,
        imdrf_annex_e_terms = EXCLUDED.imdrf_annex_e_terms,
        imdrf_note = EXCLUDED.imdrf_note;

INSERT INTO needlewatch.device_catalogue (device_type, ordinal, title) VALUES
    ('derma_roller', 1, 'Derma roller'),
    ('derma_stamp', 2, 'Derma stamp'),
    ('microneedling_pen', 3, 'Microneedling pen'),
    ('rf_microneedling', 4, 'RF microneedling'),
    ('other', 5, 'Other')
ON CONFLICT (device_type) DO UPDATE SET ordinal = EXCLUDED.ordinal, title = EXCLUDED.title;

-- The report tables accept the catalogued names only. The constraint is
-- replaced only when the list changed (checking it reads the whole table),
-- and validated without blocking the ingest (SHARE UPDATE EXCLUSIVE).
CREATE OR REPLACE FUNCTION needlewatch_kept.constrain_to_catalogue(tab regclass, col name,
                                                                    names text[])
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    con name := format('%s_%s_check', (SELECT c.relname FROM pg_class c WHERE c.oid = tab), col);
    list text := 'catalogued: ' || array_to_string(names, ',');
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint c
               WHERE c.conrelid = tab AND c.conname = con AND c.convalidated
                 AND obj_description(c.oid, 'pg_constraint') = list) THEN
        RETURN;
    END IF;
    EXECUTE format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', tab, con);
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%I = ANY (%L::text[])) NOT VALID',
                   tab, con, col, names);
    EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', tab, con);
    EXECUTE format('COMMENT ON CONSTRAINT %I ON %s IS %L', con, tab, list);
END
$$;
SELECT needlewatch_kept.constrain_to_catalogue(
    'needlewatch.complication_versions', 'type',
    (SELECT array_agg(complication ORDER BY ordinal) FROM needlewatch.complication_catalogue));
SELECT needlewatch_kept.constrain_to_catalogue(
    'needlewatch.treatment_versions', 'device_type',
    (SELECT array_agg(device_type ORDER BY ordinal) FROM needlewatch.device_catalogue));

-- The complications the analysis reports on, in report order: 'any' and
-- the catalogued types.
CREATE OR REPLACE VIEW needlewatch.complication_types AS
SELECT 'any'::text AS complication, 0 AS ordinal
UNION ALL
SELECT c.complication, c.ordinal FROM needlewatch.complication_catalogue c;
COMMENT ON VIEW needlewatch.complication_types IS
    'The complications the analysis reports on, in report order: any (ordinal 0), then each '
    'type of complication_catalogue by its ordinal.';

-- The skin type label of a Fitzpatrick number.
CREATE OR REPLACE FUNCTION needlewatch.skin_type(fitzpatrick integer)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE fitzpatrick
        WHEN 1 THEN 'I' WHEN 2 THEN 'II' WHEN 3 THEN 'III'
        WHEN 4 THEN 'IV' WHEN 5 THEN 'V' WHEN 6 THEN 'VI'
        ELSE 'unknown' END
$$;
COMMENT ON FUNCTION needlewatch.skin_type(integer) IS
    'The skin type label (I..VI) of a Fitzpatrick number, unknown when it is NULL.';

COMMENT ON TABLE needlewatch.complication_catalogue IS
    'The complication types: the one definition (sql/repeatable/10_catalogue.sql), with their '
    'report order (ordinal: kept per-type arrays are indexed by it), title and IMDRF Annex E codes.';
COMMENT ON TABLE needlewatch.device_catalogue IS
    'The device types: the one definition (sql/repeatable/10_catalogue.sql), with their report '
    'order and title.';

COMMENT ON COLUMN needlewatch.complication_types.complication IS
    'The complication: ''any'' (ordinal 0), or a type of complication_catalogue.';
COMMENT ON COLUMN needlewatch.complication_types.ordinal IS
    'Its place in the report: 0 for any, then the catalogue''s ordinal.';

COMMIT;

-- analyze_synth.sql - a synthetic population for timing needlewatch-analyze
-- alone (bench/ANALYZE.md), written straight into the report tables.
--
--   psql -v n=5000000 -v shards=4 -f bench/analyze_synth.sql
--
-- Run as the owner of the needlewatch schema, on a database with every
-- migration applied and no reports yet. It stores n treatments (treated_on
-- uniform over the 365 days from 2025-01-01; five device types; home or
-- clinic; skin types I..VI or unknown; a message of the usual size), 3% of
-- them with a follow-up version 2 that moves them to the other setting, 1%
-- withdrawn by a version 2; complications for about 6% of the treatments (one
-- to three, of random types; a few orphans). Loading millions of rows through
-- the triggers one statement at a time is what the ingest does; here the
-- triggers are disabled for the load and the kept counts recounted afterwards
-- (needlewatch_kept.rebuild(), the documented path after a load without
-- triggers), then spread over `shards` shards the way concurrent workers
-- leave them. needlewatch.kept_cells_check() must find nothing afterwards.
\set ON_ERROR_STOP 1
\if :{?shards}
\else
\set shards 4
\endif
SELECT setseed(0.42) \gset

ALTER TABLE needlewatch.treatment_versions DISABLE TRIGGER USER;
ALTER TABLE needlewatch.complication_versions DISABLE TRIGGER USER;

INSERT INTO needlewatch.treatment_versions
    (report_id, version, nullified, treated_on, setting, device_type, manufacturer, model,
     needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum, region,
     source_topic, source_partition, source_offset, message)
SELECT 's-' || g, 1, false,
       date '2025-01-01' + floor(random() * 365)::int,
       CASE WHEN random() < 0.55 THEN 'home' ELSE 'clinic' END,
       (ARRAY['derma_roller', 'derma_stamp', 'microneedling_pen', 'rf_microneedling',
              'other'])[1 + floor(random() * 5)::int],
       'Maker ' || (g % 7), 'Model ' || (g % 13), 0.25 + (g % 8) * 0.25, 'self',
       CASE WHEN random() < 0.1 THEN NULL ELSE 1 + floor(random() * 6)::int END,
       random() < 0.5, random() < 0.2, 'none', 'face',
       'treatments', g % 64, g / 64,
       '{"schema_version":1,"report_id":"s-' || g || '","treated_on":"2025-01-01",'
       || '"setting":"home","device":{"type":"derma_roller","manufacturer":"Maker",'
       || '"model":"Model","needle_depth_mm":1.5},"operator":"self","skin":{"fitzpatrick":3},'
       || '"sterile_tip":false,"active_acne":false,"serum":"none","region":"face",'
       || '"reported_at":"2025-01-02T10:00:00Z"}'
FROM generate_series(1, :n) AS g;

-- Follow-ups (another setting) and withdrawals.
INSERT INTO needlewatch.treatment_versions
    (report_id, version, nullified, treated_on, setting, device_type, fitzpatrick,
     source_topic, source_partition, source_offset, message)
SELECT report_id, 2, g_null, treated_on,
       CASE WHEN setting = 'home' THEN 'clinic' ELSE 'home' END, device_type, fitzpatrick,
       'treatments', source_partition, source_offset + 1000000000, message
FROM (SELECT t.*, random() AS r, random() < 0.25 AS g_null
      FROM needlewatch.treatment_versions t) t
WHERE r < 0.04;

-- Complications: 1 to 3 for about 6% of the treatments, a few on unknown ones.
INSERT INTO needlewatch.complication_versions
    (report_id, version, nullified, treatment_id, type, severity, onset_days, outcome,
     source_topic, source_partition, source_offset, message)
SELECT 'sc-' || g || '-' || k, 1, false,
       CASE WHEN random() < 0.01 THEN 'u-' || g ELSE 's-' || g END,
       (ARRAY['infection', 'scarring', 'hyperpigmentation', 'burn', 'nerve_damage', 'fat_loss',
              'granuloma', 'dryness_peeling', 'acne_flare',
              'other'])[1 + floor(random() * 10)::int],
       'mild', 3, 'resolved', 'complications', g % 64, g,
       '{"schema_version":1,"report_id":"sc","treatment_id":"s","type":"burn"}'
FROM generate_series(1, :n) AS g
CROSS JOIN LATERAL generate_series(1, 1 + floor(random() * 3)::int) AS k
WHERE g % 100 < 6;

ALTER TABLE needlewatch.treatment_versions ENABLE TRIGGER USER;
ALTER TABLE needlewatch.complication_versions ENABLE TRIGGER USER;

DO $$ BEGIN PERFORM needlewatch_kept.rebuild(); END $$;

-- Spread the counts over the shards: each of shards 1.. gets 1/shards of
-- every count of the cells of shard 0 (rounded down); the sums are unchanged.
INSERT INTO needlewatch.kept_cell_shards
    (shard, treated_on, device_type, setting, fitzpatrick, treatments, cases_any, reports,
     infection, scarring, hyperpigmentation, burn, nerve_damage,
     fat_loss, granuloma, dryness_peeling, acne_flare, other, unknown_type)
SELECT s, k.treated_on, k.device_type, k.setting, k.fitzpatrick,
       k.treatments / :shards, k.cases_any / :shards, k.reports / :shards,
       k.infection / :shards, k.scarring / :shards, k.hyperpigmentation / :shards,
       k.burn / :shards, k.nerve_damage / :shards, k.fat_loss / :shards,
       k.granuloma / :shards, k.dryness_peeling / :shards, k.acne_flare / :shards,
       k.other / :shards, k.unknown_type / :shards
FROM needlewatch.kept_cell_shards k
CROSS JOIN generate_series(1, :shards - 1) AS s
WHERE k.shard = 0 AND k.treatments >= :shards;
UPDATE needlewatch.kept_cell_shards k
SET treatments = k.treatments - (:shards - 1) * (k.treatments / :shards),
    cases_any = k.cases_any - (:shards - 1) * (k.cases_any / :shards),
    reports = k.reports - (:shards - 1) * (k.reports / :shards),
    infection = k.infection - (:shards - 1) * (k.infection / :shards),
    scarring = k.scarring - (:shards - 1) * (k.scarring / :shards),
    hyperpigmentation = k.hyperpigmentation - (:shards - 1) * (k.hyperpigmentation / :shards),
    burn = k.burn - (:shards - 1) * (k.burn / :shards),
    nerve_damage = k.nerve_damage - (:shards - 1) * (k.nerve_damage / :shards),
    fat_loss = k.fat_loss - (:shards - 1) * (k.fat_loss / :shards),
    granuloma = k.granuloma - (:shards - 1) * (k.granuloma / :shards),
    dryness_peeling = k.dryness_peeling - (:shards - 1) * (k.dryness_peeling / :shards),
    acne_flare = k.acne_flare - (:shards - 1) * (k.acne_flare / :shards),
    other = k.other - (:shards - 1) * (k.other / :shards),
    unknown_type = k.unknown_type - (:shards - 1) * (k.unknown_type / :shards)
WHERE k.shard = 0 AND k.treatments >= :shards;

VACUUM ANALYZE needlewatch.treatment_versions, needlewatch.complication_versions,
    needlewatch.treatment_state, needlewatch.complication_state, needlewatch.kept_cell_shards,
    needlewatch.kept_total_shards, needlewatch.quarantine;
-- The per-model counts of 008, when the schema has them.
SELECT to_regclass('needlewatch.kept_model_month_shards') IS NOT NULL AS has_models \gset
\if :has_models
VACUUM ANALYZE needlewatch.kept_model_shards, needlewatch.kept_model_month_shards,
    needlewatch.kept_model_total_shards;
\endif
SELECT (SELECT count(*) FROM needlewatch.treatment_versions) AS treatment_versions,
       (SELECT count(*) FROM needlewatch.complication_versions) AS complication_versions,
       (SELECT count(*) FROM needlewatch.kept_cell_shards) AS kept_rows,
       (SELECT count(*) FROM needlewatch.kept_cells) AS kept_cells;

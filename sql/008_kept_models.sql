-- 008_kept_models.sql: the per-model complication report counts, kept by the
-- ingest like the cells of 005, so that no part of the default report grows
-- with the number of reports.
--
-- The signals tables (analyze/signals.c) count current complication reports
-- per device type x manufacturer x model x type, over the treatments dated
-- in the window. 007 found them by two index probes per complication report
-- on every run: 0.7 s at 1M generated treatments, 7 s at 5M synthesized
-- ones. Here they are kept:
--   complication_model_state  per complication report that counts (current,
--                             not withdrawn, naming a treatment whose current
--                             version is not withdrawn): the key it is
--                             counted under, the treatment's treated_on,
--                             device_type, manufacturer and model (NULL when
--                             not named) and the report's type;
--   kept_model_shards         per shard x that key: the number of reports,
--                             summed over the shards by kept_surveillance();
--   kept_model_total_shards   the same without treated_on: what a report
--                             without --from/--to reads, a few thousand rows
--                             however long the history (the per-day table
--                             grows with days x models x types until every
--                             day of every model has a report of each type).
-- A complication's key changes when its own state changes (a follow-up, a
-- withdrawal, a move to another treatment) and when its treatment's current
-- version changes (cell, manufacturer, model, or withdrawal). Statement
-- triggers named kept_zz_* fire after 005's kept_* triggers on the same
-- statement (PostgreSQL fires triggers of one event in name order), when
-- 005 has brought complication_state and treatment_state up to date and
-- holds their row locks, and recount exactly the complications concerned:
-- those of the statement (on complication_versions) or those whose state
-- names a treatment of the statement (on treatment_versions, found through
-- complication_state's treatment_id index). Each recount reads what it was
-- counted as and what it should count as in ONE statement, so in one
-- snapshot, and applies the difference to this session's shard (005's
-- needlewatch_kept.shard()).
--
-- Why no update is lost, in 005's terms: a complication's key is written
-- only by a transaction that holds the lock of its treatment's state row
-- (005 locks the old and the new treatment of every complication whose
-- state changes, and every treatment of a treatment statement) or, when
-- neither its state nor its treatment changed, not at all (the recount
-- finds no difference: both reads are in one snapshot, which sees either
-- both or neither of a concurrent transaction's changes). So writers of one
-- complication's key are serialized by a row lock, and each statement runs
-- after its locks were granted and therefore sees the previous writer's
-- commit. t_kept_counts.sh checks the result with kept_cells_check().
--
-- needlewatch_kept.rebuild() and needlewatch.kept_cells_check() of 005 are
-- kept under other names (needlewatch_kept.rebuild_cells(),
-- needlewatch_kept.cells_check()) and wrapped, so that a rebuild or a check
-- covers these counts too. Applying this file recounts them (the backfill at
-- its end).
BEGIN;

SET LOCAL client_min_messages = warning;

CREATE TABLE IF NOT EXISTS needlewatch.complication_model_state (
    report_id     text COLLATE "C" PRIMARY KEY,
    treated_on    date NOT NULL,
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",      -- NULL: the treatment names none
    model         text COLLATE "C",
    type          text COLLATE "C" NOT NULL
);

CREATE TABLE IF NOT EXISTS needlewatch.kept_model_shards (
    shard         integer NOT NULL,
    treated_on    date NOT NULL,
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",
    model         text COLLATE "C",
    type          text COLLATE "C" NOT NULL,
    reports       integer NOT NULL,      -- a delta per shard, as in 005
    CONSTRAINT kept_model_shards_key
        UNIQUE NULLS NOT DISTINCT (shard, treated_on, device_type, manufacturer, model, type)
) WITH (fillfactor = 50);

CREATE TABLE IF NOT EXISTS needlewatch.kept_model_total_shards (
    shard         integer NOT NULL,
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",
    model         text COLLATE "C",
    type          text COLLATE "C" NOT NULL,
    reports       integer NOT NULL,
    CONSTRAINT kept_model_total_shards_key
        UNIQUE NULLS NOT DISTINCT (shard, device_type, manufacturer, model, type)
) WITH (fillfactor = 50);

-- Recounts the complication reports ids (any that do not exist count as
-- nothing): what each is counted as against what it should count as, in one
-- statement, then the differences added to this session's shard.
CREATE OR REPLACE FUNCTION needlewatch_kept.models_recount(ids text[])
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    my_shard integer;
    zero tid[];
    zero_total tid[];
BEGIN
    IF ids IS NULL THEN
        RETURN;
    END IF;
    my_shard := needlewatch_kept.shard();
    WITH c AS (
        SELECT DISTINCT u.id COLLATE "C" AS report_id FROM unnest(ids) AS u (id)
    ), cur AS (
        SELECT c.report_id, ts.treated_on, ts.device_type, v.manufacturer COLLATE "C" AS manufacturer,
               v.model COLLATE "C" AS model, cs.type
        FROM c
        JOIN needlewatch.complication_state cs
             ON cs.report_id = c.report_id AND cs.type IS NOT NULL
        JOIN needlewatch.treatment_state ts
             ON ts.report_id = cs.treatment_id AND ts.treated_on IS NOT NULL
        CROSS JOIN LATERAL (
            SELECT tv.manufacturer, tv.model
            FROM needlewatch.treatment_versions tv
            WHERE tv.report_id = (ts.report_id COLLATE "default")
            ORDER BY tv.version DESC
            LIMIT 1
        ) v
    ), old AS (
        SELECT m.* FROM c JOIN needlewatch.complication_model_state m ON m.report_id = c.report_id
    ), chg AS (
        SELECT coalesce(o.report_id, n.report_id) AS report_id,
               o.treated_on AS o_on, o.device_type AS o_dev, o.manufacturer AS o_mf,
               o.model AS o_mo, o.type AS o_ty,
               n.treated_on, n.device_type, n.manufacturer, n.model, n.type
        FROM old o
        FULL JOIN cur n ON n.report_id = o.report_id
        WHERE (o.treated_on, o.device_type, o.manufacturer, o.model, o.type)
              IS DISTINCT FROM (n.treated_on, n.device_type, n.manufacturer, n.model, n.type)
    ), gone AS (
        DELETE FROM needlewatch.complication_model_state m
        USING chg
        WHERE m.report_id = chg.report_id AND chg.treated_on IS NULL
    ), moved AS (
        INSERT INTO needlewatch.complication_model_state AS m
            (report_id, treated_on, device_type, manufacturer, model, type)
        SELECT chg.report_id, chg.treated_on, chg.device_type, chg.manufacturer, chg.model,
               chg.type
        FROM chg
        WHERE chg.treated_on IS NOT NULL
        ORDER BY chg.report_id
        ON CONFLICT (report_id) DO UPDATE
        SET treated_on = EXCLUDED.treated_on, device_type = EXCLUDED.device_type,
            manufacturer = EXCLUDED.manufacturer, model = EXCLUDED.model, type = EXCLUDED.type
    ), d AS (
        SELECT x.treated_on, x.device_type, x.manufacturer, x.model, x.type, sum(x.n) AS n
        FROM (SELECT o_on, o_dev, o_mf, o_mo, o_ty, -1 FROM chg WHERE o_on IS NOT NULL
              UNION ALL
              SELECT treated_on, device_type, manufacturer, model, type, 1
              FROM chg WHERE treated_on IS NOT NULL)
             AS x (treated_on, device_type, manufacturer, model, type, n)
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(x.n) <> 0
    ), kept AS (
        INSERT INTO needlewatch.kept_model_shards AS k
            (shard, treated_on, device_type, manufacturer, model, type, reports)
        SELECT my_shard, d.treated_on, d.device_type, d.manufacturer, d.model, d.type, d.n
        FROM d
        ORDER BY 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT kept_model_shards_key
        DO UPDATE SET reports = k.reports + EXCLUDED.reports
        RETURNING k.ctid, k.reports = 0 AS empty
    ), t AS (
        SELECT d.device_type, d.manufacturer, d.model, d.type, sum(d.n) AS n
        FROM d
        GROUP BY 1, 2, 3, 4
        HAVING sum(d.n) <> 0
    ), total AS (
        INSERT INTO needlewatch.kept_model_total_shards AS k
            (shard, device_type, manufacturer, model, type, reports)
        SELECT my_shard, t.device_type, t.manufacturer, t.model, t.type, t.n
        FROM t
        ORDER BY 2, 3, 4, 5
        ON CONFLICT ON CONSTRAINT kept_model_total_shards_key
        DO UPDATE SET reports = k.reports + EXCLUDED.reports
        RETURNING k.ctid, k.reports = 0 AS empty
    )
    SELECT (SELECT array_agg(kept.ctid) FROM kept WHERE kept.empty),
           (SELECT array_agg(total.ctid) FROM total WHERE total.empty)
    INTO zero, zero_total;
    IF zero IS NOT NULL THEN
        DELETE FROM needlewatch.kept_model_shards k WHERE k.ctid = ANY (zero) AND k.reports = 0;
    END IF;
    IF zero_total IS NOT NULL THEN
        DELETE FROM needlewatch.kept_model_total_shards k
        WHERE k.ctid = ANY (zero_total) AND k.reports = 0;
    END IF;
END
$$;

-- Statement trigger on complication_versions: its complications.
CREATE OR REPLACE FUNCTION needlewatch_kept.models_complications_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ids text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT r.report_id) INTO ids FROM new_rows r;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT r.report_id) INTO ids FROM old_rows r;
    ELSE
        SELECT array_agg(DISTINCT u.report_id) INTO ids
        FROM (SELECT report_id FROM old_rows UNION SELECT report_id FROM new_rows) u;
    END IF;
    PERFORM needlewatch_kept.models_recount(ids);
    RETURN NULL;
END
$$;

-- Statement trigger on treatment_versions: the complications naming its
-- treatments (an index scan of complication_state per statement; almost
-- always empty for new treatments).
CREATE OR REPLACE FUNCTION needlewatch_kept.models_treatments_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    ts text[];
    ids text[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT r.report_id) INTO ts FROM new_rows r;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT r.report_id) INTO ts FROM old_rows r;
    ELSE
        SELECT array_agg(DISTINCT u.report_id) INTO ts
        FROM (SELECT report_id FROM old_rows UNION SELECT report_id FROM new_rows) u;
    END IF;
    IF ts IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT array_agg(cs.report_id) INTO ids
    FROM needlewatch.complication_state cs
    WHERE cs.treatment_id = ANY (ts::text[] COLLATE "C");
    PERFORM needlewatch_kept.models_recount(ids);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER kept_zz_models_insert AFTER INSERT ON needlewatch.treatment_versions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.models_treatments_changed();
CREATE OR REPLACE TRIGGER kept_zz_models_update AFTER UPDATE ON needlewatch.treatment_versions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.models_treatments_changed();
CREATE OR REPLACE TRIGGER kept_zz_models_delete AFTER DELETE ON needlewatch.treatment_versions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.models_treatments_changed();

CREATE OR REPLACE TRIGGER kept_zz_models_insert AFTER INSERT ON needlewatch.complication_versions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.models_complications_changed();
CREATE OR REPLACE TRIGGER kept_zz_models_update AFTER UPDATE ON needlewatch.complication_versions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.models_complications_changed();
CREATE OR REPLACE TRIGGER kept_zz_models_delete AFTER DELETE ON needlewatch.complication_versions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.models_complications_changed();

-- Recounts these tables from complication_state and treatment_state (which
-- rebuild_cells() has just recounted) into shard 0.
CREATE OR REPLACE FUNCTION needlewatch_kept.rebuild_models()
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    TRUNCATE needlewatch.complication_model_state, needlewatch.kept_model_shards,
             needlewatch.kept_model_total_shards;
    INSERT INTO needlewatch.complication_model_state
        (report_id, treated_on, device_type, manufacturer, model, type)
    SELECT cs.report_id, ts.treated_on, ts.device_type, v.manufacturer, v.model, cs.type
    FROM needlewatch.complication_state cs
    JOIN needlewatch.treatment_state ts
         ON ts.report_id = cs.treatment_id AND ts.treated_on IS NOT NULL
    JOIN (SELECT DISTINCT ON (report_id) report_id COLLATE "C" AS report_id,
                 manufacturer COLLATE "C" AS manufacturer, model COLLATE "C" AS model
          FROM needlewatch.treatment_versions
          ORDER BY report_id, version DESC) v ON v.report_id = ts.report_id
    WHERE cs.type IS NOT NULL;
    INSERT INTO needlewatch.kept_model_shards
        (shard, treated_on, device_type, manufacturer, model, type, reports)
    SELECT 0, treated_on, device_type, manufacturer, model, type, count(*)
    FROM needlewatch.complication_model_state
    GROUP BY treated_on, device_type, manufacturer, model, type;
    INSERT INTO needlewatch.kept_model_total_shards
        (shard, device_type, manufacturer, model, type, reports)
    SELECT 0, device_type, manufacturer, model, type, count(*)
    FROM needlewatch.complication_model_state
    GROUP BY device_type, manufacturer, model, type;
END
$$;

-- 005's rebuild() and kept_cells_check() under their new names, once.
DO $$
BEGIN
    IF to_regprocedure('needlewatch_kept.rebuild_cells()') IS NULL THEN
        ALTER FUNCTION needlewatch_kept.rebuild() RENAME TO rebuild_cells;
    END IF;
    IF to_regprocedure('needlewatch_kept.cells_check()') IS NULL THEN
        ALTER FUNCTION needlewatch.kept_cells_check() SET SCHEMA needlewatch_kept;
        ALTER FUNCTION needlewatch_kept.kept_cells_check() RENAME TO cells_check;
    END IF;
END $$;

-- Recounts everything (005's header: after a TRUNCATE, which calls it, or a
-- load with triggers disabled).
CREATE OR REPLACE FUNCTION needlewatch_kept.rebuild()
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM needlewatch_kept.rebuild_cells();
    PERFORM needlewatch_kept.rebuild_models();
END
$$;

-- 005's check, plus these counts recounted from the report tables:
--   kind 'model'                    key "treated_on device_type manufacturer
--                                   model type" ("-" for none), values the
--                                   reports kept and recounted
--   kind 'model_total'              the same without treated_on
--   kind 'complication_model_state' key report_id, values the key it is
--                                   counted under and the one it should be
CREATE OR REPLACE FUNCTION needlewatch.kept_cells_check()
RETURNS TABLE (kind text, key text, kept text, actual text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH tv AS (
        SELECT DISTINCT ON (report_id) report_id COLLATE "C" AS report_id, nullified, treated_on,
               device_type COLLATE "C" AS device_type, manufacturer COLLATE "C" AS manufacturer,
               model COLLATE "C" AS model
        FROM needlewatch.treatment_versions
        ORDER BY report_id, version DESC
    ), cv AS (
        SELECT DISTINCT ON (report_id) report_id COLLATE "C" AS report_id, nullified,
               treatment_id COLLATE "C" AS treatment_id, type COLLATE "C" AS type
        FROM needlewatch.complication_versions
        ORDER BY report_id, version DESC
    ), should AS (
        SELECT cv.report_id, tv.treated_on, tv.device_type, tv.manufacturer, tv.model, cv.type
        FROM cv JOIN tv ON tv.report_id = cv.treatment_id
        WHERE NOT cv.nullified AND NOT tv.nullified
    ), a AS (
        SELECT treated_on, device_type, manufacturer, model, type, count(*) AS n
        FROM should GROUP BY 1, 2, 3, 4, 5
    ), k AS (
        SELECT treated_on, device_type, manufacturer, model, type, sum(reports) AS n
        FROM needlewatch.kept_model_shards
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(reports) <> 0
    ), at AS (
        SELECT device_type, manufacturer, model, type, count(*) AS n
        FROM should GROUP BY 1, 2, 3, 4
    ), kt AS (
        SELECT device_type, manufacturer, model, type, sum(reports) AS n
        FROM needlewatch.kept_model_total_shards
        GROUP BY 1, 2, 3, 4
        HAVING sum(reports) <> 0
    )
    SELECT * FROM needlewatch_kept.cells_check()
    UNION ALL
    SELECT 'model',
           format('%s %s %s %s %s', coalesce(k.treated_on, a.treated_on),
                  coalesce(k.device_type, a.device_type),
                  coalesce(coalesce(k.manufacturer, a.manufacturer), '-'),
                  coalesce(coalesce(k.model, a.model), '-'), coalesce(k.type, a.type)),
           coalesce(k.n, 0)::text, coalesce(a.n, 0)::text
    FROM k
    FULL JOIN a
           ON a.treated_on = k.treated_on AND a.device_type = k.device_type
          AND a.manufacturer IS NOT DISTINCT FROM k.manufacturer
          AND a.model IS NOT DISTINCT FROM k.model AND a.type = k.type
    WHERE k.n IS DISTINCT FROM a.n
    UNION ALL
    SELECT 'model_total',
           format('%s %s %s %s', coalesce(k.device_type, a.device_type),
                  coalesce(coalesce(k.manufacturer, a.manufacturer), '-'),
                  coalesce(coalesce(k.model, a.model), '-'), coalesce(k.type, a.type)),
           coalesce(k.n, 0)::text, coalesce(a.n, 0)::text
    FROM kt k
    FULL JOIN at a
           ON a.device_type = k.device_type
          AND a.manufacturer IS NOT DISTINCT FROM k.manufacturer
          AND a.model IS NOT DISTINCT FROM k.model AND a.type = k.type
    WHERE k.n IS DISTINCT FROM a.n
    UNION ALL
    SELECT 'complication_model_state', coalesce(m.report_id, s.report_id),
           CASE WHEN m.report_id IS NOT NULL THEN
               format('%s %s %s %s %s', m.treated_on, m.device_type, m.manufacturer, m.model,
                      m.type) END,
           CASE WHEN s.report_id IS NOT NULL THEN
               format('%s %s %s %s %s', s.treated_on, s.device_type, s.manufacturer, s.model,
                      s.type) END
    FROM needlewatch.complication_model_state m
    FULL JOIN should s ON s.report_id = m.report_id
    WHERE m.report_id IS NULL OR s.report_id IS NULL
       OR (m.treated_on, m.device_type, m.manufacturer, m.model, m.type)
          IS DISTINCT FROM (s.treated_on, s.device_type, s.manufacturer, s.model, s.type)
    ORDER BY 1, 2
$$;

-- What the analyzer reads (007's function, now with the report counts kept).
CREATE OR REPLACE FUNCTION needlewatch.kept_surveillance(from_date date, to_date date,
                                                         types text[])
RETURNS TABLE (kind text, monday integer, device_type text, setting text, manufacturer text,
               model text, ordinal integer, n bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    WITH w AS (
        SELECT (k.treated_on - date '1970-01-01')
                   - (extract(isodow FROM k.treated_on)::integer - 1) AS monday,
               k.device_type::text AS device_type, k.setting::text AS setting,
               sum(k.treatments) AS treatments,
               ARRAY[sum(k.cases_any), sum(k.infection), sum(k.scarring),
                     sum(k.hyperpigmentation), sum(k.burn), sum(k.nerve_damage),
                     sum(k.fat_loss), sum(k.granuloma), sum(k.dryness_peeling),
                     sum(k.acne_flare), sum(k.other)] AS cases
        FROM needlewatch.kept_cell_shards k
        WHERE k.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                               AND coalesce(to_date, 'infinity'::date)
        GROUP BY 1, 2, 3
    )
    SELECT 'weekt', w.monday, w.device_type, w.setting, NULL::text, NULL::text, 0,
           w.treatments::bigint
    FROM w
    WHERE w.treatments <> 0
    UNION ALL
    SELECT 'weekc', w.monday, w.device_type, w.setting, NULL, NULL,
           CASE WHEN c.i = 1 THEN 0
                ELSE coalesce(array_position(types, (ARRAY['infection', 'scarring',
                    'hyperpigmentation', 'burn', 'nerve_damage', 'fat_loss', 'granuloma',
                    'dryness_peeling', 'acne_flare', 'other'])[c.i - 1]), 0) END,
           c.n::bigint
    FROM w, unnest(w.cases) WITH ORDINALITY AS c (n, i)
    WHERE c.n <> 0
    UNION ALL
    -- A window reads the per-day counts; no window, their totals.
    SELECT 'report', NULL, m.device_type::text, NULL, m.manufacturer::text, m.model::text,
           coalesce(array_position(types, m.type::text), 0), sum(m.reports)::bigint
    FROM needlewatch.kept_model_shards m
    WHERE (from_date IS NOT NULL OR to_date IS NOT NULL)
      AND m.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                           AND coalesce(to_date, 'infinity'::date)
    GROUP BY 3, 5, 6, 7
    HAVING sum(m.reports) <> 0
    UNION ALL
    SELECT 'report', NULL, m.device_type::text, NULL, m.manufacturer::text, m.model::text,
           coalesce(array_position(types, m.type::text), 0), sum(m.reports)::bigint
    FROM needlewatch.kept_model_total_shards m
    WHERE from_date IS NULL AND to_date IS NULL
    GROUP BY 3, 5, 6, 7
    HAVING sum(m.reports) <> 0
$$;

-- Ownership, privileges and row-level security, as 005 does.
DO $$
DECLARE
    owner regrole := (SELECT relowner::regrole FROM pg_class
                      WHERE oid = 'needlewatch.treatment_versions'::regclass);
    rel text;
BEGIN
    IF owner::text <> quote_ident(current_user) THEN
        EXECUTE format('ALTER TABLE needlewatch.complication_model_state OWNER TO %s', owner);
        EXECUTE format('ALTER TABLE needlewatch.kept_model_shards OWNER TO %s', owner);
        EXECUTE format('ALTER TABLE needlewatch.kept_model_total_shards OWNER TO %s', owner);
        FOREACH rel IN ARRAY ARRAY['needlewatch_kept.models_recount(text[])',
                                   'needlewatch_kept.models_complications_changed()',
                                   'needlewatch_kept.models_treatments_changed()',
                                   'needlewatch_kept.rebuild_models()',
                                   'needlewatch_kept.rebuild()',
                                   'needlewatch.kept_cells_check()',
                                   'needlewatch.kept_surveillance(date, date, text[])']
        LOOP
            EXECUTE format('ALTER FUNCTION %s OWNER TO %s', rel, owner);
        END LOOP;
    END IF;
END $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA needlewatch_kept FROM PUBLIC;
REVOKE ALL ON FUNCTION needlewatch.kept_cells_check() FROM PUBLIC;
REVOKE ALL ON FUNCTION needlewatch.kept_surveillance(date, date, text[]) FROM PUBLIC;
REVOKE ALL ON needlewatch.complication_model_state, needlewatch.kept_model_shards,
              needlewatch.kept_model_total_shards FROM PUBLIC;
ALTER TABLE needlewatch.complication_model_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE needlewatch.kept_model_shards ENABLE ROW LEVEL SECURITY;
ALTER TABLE needlewatch.kept_model_total_shards ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    rel text;
    r text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch_authority') THEN
        FOREACH rel IN ARRAY ARRAY['needlewatch.complication_model_state',
                                   'needlewatch.kept_model_shards',
                                   'needlewatch.kept_model_total_shards']
        LOOP
            EXECUTE format('DROP POLICY IF EXISTS authority_read ON %s', rel);
            EXECUTE format('CREATE POLICY authority_read ON %s FOR SELECT TO needlewatch_authority '
                           'USING (true)', rel);
            EXECUTE format('GRANT SELECT ON %s TO needlewatch_authority', rel);
        END LOOP;
    END IF;
    FOREACH r IN ARRAY ARRAY['needlewatch_analyst', 'needlewatch_authority'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION needlewatch.kept_cells_check(), '
                           'needlewatch.kept_surveillance(date, date, text[]) TO %I', r);
        END IF;
    END LOOP;
END $$;

-- The backfill: what is already stored. CREATE TRIGGER took SHARE ROW
-- EXCLUSIVE on the report tables, so nothing is stored meanwhile.
SELECT needlewatch_kept.rebuild_models();

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (8, '008_kept_models') ON CONFLICT (version) DO NOTHING;

COMMIT;

-- 008_kept_models.sql: the per-model complication report counts, kept by
-- 005's triggers in the transaction that stores the reports, so that no part
-- of the default report grows with the number of reports.
--
-- The signals tables (analyze/signals.c) count the current complication
-- reports per device type x manufacturer x model x type, over the current
-- treatments dated in the window. 007 found them by two index probes per
-- complication report on every run (treatment_state, then the treatment's
-- current version for its manufacturer and model): 1.1 s over 1M
-- synthesized treatments, 7.3 s over 5M. Here they are kept:
--   treatment_state     gains manufacturer and model: those of the
--                       treatment's current version (NULL when it names none,
--                       or has no current version), written by the same
--                       statements that write its cell;
--   kept_model_shards   per shard x treated_on x device_type x manufacturer
--                       x model x complication type: the current complication
--                       reports of that type whose treatment's current
--                       version is dated that day, of that device type,
--                       manufacturer and model. Bounded by days x models x
--                       types, like kept_cell_shards by days x cells, but
--                       that bound is large: the table grows with the volume
--                       until every day of every model has a report of each
--                       type (at 5M synthesized treatments over 91 models it
--                       holds about as many rows as there are complication
--                       reports);
--   kept_model_month_shards  the same per calendar month (month = its first
--                       day): a window reads its whole months here and only
--                       the days of its partial first and last months per
--                       day;
--   kept_model_total_shards  the same without treated_on: what a report
--                       without --from/--to reads, a few thousand rows
--                       however long the history.
--
-- How they are kept. A complication report counts under its treatment's
-- state (cell, manufacturer, model), and 005's triggers already hold the
-- lock of every treatment state whose cell or complications change; the
-- per-model deltas come from the same rows, with no extra lookup on the
-- common paths:
--   * a new treatment (its state created by the statement) has no
--     complication yet: nothing to count;
--   * a treatment whose state existed (a follow-up, a withdrawal, or its
--     complications arrived first) and whose cell, manufacturer or model
--     changes moves its complications: when the locked state says it has
--     any (reports > 0), its complication_state rows are read through their
--     treatment_id index, in the statement that recomputes its cell (one
--     snapshot, after the lock), and each counts -1 under the old key and
--     +1 under the new one;
--   * new complications (005's fast path) count +1 under the key their
--     treatment's state row has when 005's upsert has locked it (RETURNING);
--   * changed complications (005's slow path: a follow-up, a withdrawal, a
--     move to another treatment) count -1 under their old treatment's key
--     and +1 under their new one's, read after 005 has locked both.
-- Why no update is lost is 005's argument: whoever changes a treatment's
-- key holds its state's lock and counts the complications committed before
-- it; whoever changes a complication locks its treatments afterwards, so it
-- reads the key left by every transaction that could not see its change.
-- needlewatch.kept_cells_check() checks the result (kinds 'model',
-- 'model_month', 'model_total' and 'treatment_model' below);
-- tests/integration/t_kept_counts.sh attacks it.
--
-- 005's rebuild() and kept_cells_check() are kept under other names
-- (needlewatch_kept.rebuild_cells(), needlewatch_kept.cells_check()) and
-- wrapped, so that a rebuild or a check covers these counts too; the two
-- trigger functions of 005 are replaced below (same steps, plus the
-- manufacturer, the model and the per-model deltas). Applying this file
-- recounts everything (the backfill at its end).
BEGIN;

SET LOCAL client_min_messages = warning;

ALTER TABLE needlewatch.treatment_state
    ADD COLUMN IF NOT EXISTS manufacturer text COLLATE "C",   -- NULL: not named
    ADD COLUMN IF NOT EXISTS model        text COLLATE "C";

CREATE TABLE IF NOT EXISTS needlewatch.kept_model_shards (
    shard         integer NOT NULL,
    treated_on    date NOT NULL,
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",      -- NULL: the treatment names none
    model         text COLLATE "C",
    type          text COLLATE "C" NOT NULL,
    reports       integer NOT NULL,      -- a delta per shard, as in 005
    CONSTRAINT kept_model_shards_key
        UNIQUE NULLS NOT DISTINCT (shard, treated_on, device_type, manufacturer, model, type)
) WITH (fillfactor = 50);
-- A window's partial months are read by day range.
CREATE INDEX IF NOT EXISTS kept_model_shards_treated_on
    ON needlewatch.kept_model_shards (treated_on);

CREATE TABLE IF NOT EXISTS needlewatch.kept_model_month_shards (
    shard         integer NOT NULL,
    month         date NOT NULL,         -- the first day of the month
    device_type   text COLLATE "C" NOT NULL,
    manufacturer  text COLLATE "C",
    model         text COLLATE "C",
    type          text COLLATE "C" NOT NULL,
    reports       integer NOT NULL,
    CONSTRAINT kept_model_month_shards_key
        UNIQUE NULLS NOT DISTINCT (shard, month, device_type, manufacturer, model, type)
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

-- Adds deltas to this session's shard of the per-model counts, per day, per
-- month and in total: each array position is n reports of type d_type under
-- (treated_on, device_type, manufacturer, model). Summed per key, applied in
-- key order; rows left at 0 are deleted.
CREATE OR REPLACE FUNCTION needlewatch_kept.add_models(
    d_treated_on date[], d_device_type text[], d_manufacturer text[], d_model text[],
    d_type text[], d_n bigint[])
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    my_shard integer;
    zero tid[];
    zero_month tid[];
    zero_total tid[];
BEGIN
    IF d_treated_on IS NULL THEN
        RETURN;
    END IF;
    my_shard := needlewatch_kept.shard();
    WITH d AS (
        SELECT u.treated_on, u.device_type COLLATE "C" AS device_type,
               u.manufacturer COLLATE "C" AS manufacturer, u.model COLLATE "C" AS model,
               u.type COLLATE "C" AS type, sum(u.n) AS n
        FROM unnest(d_treated_on, d_device_type, d_manufacturer, d_model, d_type, d_n)
             AS u (treated_on, device_type, manufacturer, model, type, n)
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(u.n) <> 0
    ), kept AS (
        INSERT INTO needlewatch.kept_model_shards AS k
            (shard, treated_on, device_type, manufacturer, model, type, reports)
        SELECT my_shard, d.treated_on, d.device_type, d.manufacturer, d.model, d.type, d.n
        FROM d
        ORDER BY 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT kept_model_shards_key
        DO UPDATE SET reports = k.reports + EXCLUDED.reports
        RETURNING k.ctid, k.reports = 0 AS empty
    ), m AS (
        SELECT date_trunc('month', d.treated_on)::date AS month, d.device_type, d.manufacturer,
               d.model, d.type, sum(d.n) AS n
        FROM d
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(d.n) <> 0
    ), per_month AS (
        INSERT INTO needlewatch.kept_model_month_shards AS k
            (shard, month, device_type, manufacturer, model, type, reports)
        SELECT my_shard, m.month, m.device_type, m.manufacturer, m.model, m.type, m.n
        FROM m
        ORDER BY 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT kept_model_month_shards_key
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
           (SELECT array_agg(per_month.ctid) FROM per_month WHERE per_month.empty),
           (SELECT array_agg(total.ctid) FROM total WHERE total.empty)
    INTO zero, zero_month, zero_total;
    IF zero IS NOT NULL THEN
        DELETE FROM needlewatch.kept_model_shards k WHERE k.ctid = ANY (zero) AND k.reports = 0;
    END IF;
    IF zero_month IS NOT NULL THEN
        DELETE FROM needlewatch.kept_model_month_shards k
        WHERE k.ctid = ANY (zero_month) AND k.reports = 0;
    END IF;
    IF zero_total IS NOT NULL THEN
        DELETE FROM needlewatch.kept_model_total_shards k
        WHERE k.ctid = ANY (zero_total) AND k.reports = 0;
    END IF;
END
$$;

-- 005's treatment trigger, plus manufacturer, model and the per-model
-- deltas of the treatments whose key changes (see the header), and a
-- cheaper emptiness test on its fast path.
CREATE OR REPLACE FUNCTION needlewatch_kept.treatment_versions_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    my_shard integer;
    stale text[];   -- reports whose state is recomputed from the versions
    zero tid[];
    -- Cell deltas of the recomputed reports.
    b_on date[]; b_dev text[]; b_set text[]; b_fitz smallint[]; b_mask bigint[];
    b_n bigint[]; b_rep bigint[];
    -- Per-model deltas of their complications.
    m_on date[]; m_dev text[]; m_mf text[]; m_mo text[]; m_type text[]; m_n bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        my_shard := needlewatch_kept.shard();
        -- Step 1: lock or create the states; the created ones are final and
        -- have no complication (a complication creates its treatment's state).
        WITH created AS (
            INSERT INTO needlewatch.treatment_state AS s
                (report_id, treated_on, device_type, setting, fitzpatrick, manufacturer, model)
            SELECT DISTINCT ON (r.report_id COLLATE "C") r.report_id,
                   CASE WHEN NOT r.nullified THEN r.treated_on END,
                   CASE WHEN NOT r.nullified THEN r.device_type END,
                   CASE WHEN NOT r.nullified THEN r.setting END,
                   CASE WHEN NOT r.nullified THEN r.fitzpatrick END,
                   CASE WHEN NOT r.nullified THEN r.manufacturer END,
                   CASE WHEN NOT r.nullified THEN r.model END
            FROM new_rows r
            ORDER BY r.report_id COLLATE "C", r.version DESC
            ON CONFLICT (report_id) DO UPDATE SET mask = s.mask WHERE false
            RETURNING s.report_id, s.treated_on, s.device_type, s.setting, s.fitzpatrick
        ), added AS (
            INSERT INTO needlewatch.kept_cell_shards AS k
                (shard, treated_on, device_type, setting, fitzpatrick, treatments, cases_any,
                 reports, infection, scarring, hyperpigmentation, burn, nerve_damage, fat_loss,
                 granuloma, dryness_peeling, acne_flare, other, unknown_type)
            SELECT my_shard, c.treated_on, c.device_type, c.setting,
                   coalesce(c.fitzpatrick, 0), count(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            FROM created c
            WHERE c.treated_on IS NOT NULL
            GROUP BY c.treated_on, c.device_type, c.setting, coalesce(c.fitzpatrick, 0)
            ORDER BY 2, 3, 4, 5
            ON CONFLICT (shard, treated_on, device_type, setting, fitzpatrick)
            DO UPDATE SET treatments = k.treatments + EXCLUDED.treatments
            -- A cell is empty only with treatments = 0: testing that first
            -- spares building the whole row for cell_is_empty() on every
            -- updated cell (10% of a treatment batch's time).
            RETURNING k.ctid, k.treatments = 0 AND needlewatch_kept.cell_is_empty(k) AS empty
        )
        SELECT (SELECT array_agg(DISTINCT r.report_id) FROM new_rows r
                WHERE NOT EXISTS (SELECT 1 FROM created c
                                  WHERE c.report_id = r.report_id COLLATE "C")),
               (SELECT array_agg(a.ctid) FROM added a WHERE a.empty)
        INTO stale, zero;
        IF zero IS NOT NULL THEN
            DELETE FROM needlewatch.kept_cell_shards k
            WHERE k.ctid = ANY (zero) AND needlewatch_kept.cell_is_empty(k);
        END IF;
    ELSE
        IF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT r.report_id) INTO stale FROM old_rows r;
        ELSE
            SELECT array_agg(DISTINCT u.report_id) INTO stale
            FROM (SELECT report_id FROM old_rows UNION SELECT report_id FROM new_rows) u;
        END IF;
        IF stale IS NULL THEN
            RETURN NULL;
        END IF;
        INSERT INTO needlewatch.treatment_state AS s (report_id)
        SELECT u.id FROM unnest(stale) AS u (id) ORDER BY u.id COLLATE "C"
        ON CONFLICT (report_id) DO UPDATE SET mask = s.mask WHERE false;
    END IF;

    IF stale IS NOT NULL THEN
        -- Step 2 (a new snapshot): the current version of each locked report.
        WITH cur AS (
            SELECT u.id COLLATE "C" AS report_id, c.treated_on,
                   c.device_type COLLATE "C" AS device_type, c.setting COLLATE "C" AS setting,
                   c.fitzpatrick, c.manufacturer COLLATE "C" AS manufacturer,
                   c.model COLLATE "C" AS model
            FROM unnest(stale) AS u (id)
            LEFT JOIN LATERAL (
                SELECT v.nullified, v.treated_on, v.device_type, v.setting, v.fitzpatrick,
                       v.manufacturer, v.model
                FROM needlewatch.treatment_versions v
                WHERE v.report_id = u.id
                ORDER BY v.version DESC
                LIMIT 1
            ) c ON NOT c.nullified
        ), chg AS (
            SELECT s.report_id, s.mask, s.reports,
                   s.treated_on AS old_treated_on, s.device_type AS old_device_type,
                   s.setting AS old_setting, s.fitzpatrick AS old_fitzpatrick,
                   s.manufacturer AS old_manufacturer, s.model AS old_model,
                   c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.manufacturer, c.model
            FROM cur c
            JOIN needlewatch.treatment_state s ON s.report_id = c.report_id
            WHERE (s.treated_on, s.device_type, s.setting, s.fitzpatrick, s.manufacturer, s.model)
                  IS DISTINCT FROM
                  (c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.manufacturer, c.model)
        ), upd AS (
            UPDATE needlewatch.treatment_state s
            SET treated_on = chg.treated_on, device_type = chg.device_type,
                setting = chg.setting, fitzpatrick = chg.fitzpatrick,
                manufacturer = chg.manufacturer, model = chg.model
            FROM chg
            WHERE s.report_id = chg.report_id
        ), cells AS (
            SELECT old_treated_on, old_device_type, old_setting, old_fitzpatrick, mask,
                   -1::bigint, -reports::bigint
            FROM chg WHERE old_treated_on IS NOT NULL
            UNION ALL
            SELECT treated_on, device_type, setting, fitzpatrick, mask, 1, reports
            FROM chg WHERE treated_on IS NOT NULL
        ), models AS (
            -- The complications of the moved treatments that have any
            -- (complication_state's treatment_id index, same snapshot).
            SELECT x.*
            FROM (SELECT chg.report_id, chg.old_treated_on, chg.old_device_type,
                         chg.old_manufacturer, chg.old_model, chg.treated_on, chg.device_type,
                         chg.manufacturer, chg.model
                  FROM chg WHERE chg.reports > 0) m
            JOIN needlewatch.complication_state cs
                 ON cs.treatment_id = m.report_id AND cs.type IS NOT NULL
            CROSS JOIN LATERAL (
                SELECT m.old_treated_on, m.old_device_type, m.old_manufacturer, m.old_model,
                       cs.type, -1::bigint
                WHERE m.old_treated_on IS NOT NULL
                UNION ALL
                SELECT m.treated_on, m.device_type, m.manufacturer, m.model, cs.type, 1
                WHERE m.treated_on IS NOT NULL
            ) AS x (treated_on, device_type, manufacturer, model, type, n)
        )
        SELECT c.*, m.*
        INTO b_on, b_dev, b_set, b_fitz, b_mask, b_n, b_rep,
             m_on, m_dev, m_mf, m_mo, m_type, m_n
        FROM (SELECT array_agg(x.treated_on), array_agg(x.device_type), array_agg(x.setting),
                     array_agg(x.fitzpatrick), array_agg(x.mask), array_agg(x.n),
                     array_agg(x.reports)
              FROM cells AS x (treated_on, device_type, setting, fitzpatrick, mask, n, reports)) c,
             (SELECT array_agg(y.treated_on), array_agg(y.device_type),
                     array_agg(y.manufacturer), array_agg(y.model), array_agg(y.type),
                     array_agg(y.n)
              FROM models y) m;
    END IF;

    PERFORM needlewatch_kept.add_cells(b_on, b_dev, b_set, b_fitz, b_mask, b_n, b_rep);
    PERFORM needlewatch_kept.add_models(m_on, m_dev, m_mf, m_mo, m_type, m_n);
    RETURN NULL;
END
$$;

-- 005's complication trigger, plus the per-model deltas of the
-- complications that are new or change (see the header).
CREATE OR REPLACE FUNCTION needlewatch_kept.complication_versions_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    stale text[];           -- complications whose state is recomputed from the versions
    touched text[];         -- treatments whose mask and report count change
    touched_bits bigint[];  -- with only new complications: the bits and the
    touched_reports integer[];  -- reports they add to each of those treatments
    reports_delta bigint := 0;
    more_touched text[];
    more_delta bigint;
    d_on date[]; d_dev text[]; d_set text[]; d_fitz smallint[]; d_mask bigint[];
    d_n bigint[]; d_rep bigint[];
    -- Per-model: (treatment, type, +1 or -1) of each complication counted
    -- or uncounted, then the deltas under the treatments' keys.
    p_tid text[]; p_type text[]; p_n bigint[];
    more_tid text[]; more_type text[]; more_n bigint[];
    m_on date[]; m_dev text[]; m_mf text[]; m_mo text[]; m_type text[]; m_n bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH created AS (
            INSERT INTO needlewatch.complication_state AS s (report_id, treatment_id, type)
            SELECT DISTINCT ON (r.report_id COLLATE "C") r.report_id,
                   CASE WHEN NOT r.nullified THEN r.treatment_id END,
                   CASE WHEN NOT r.nullified THEN r.type END
            FROM new_rows r
            ORDER BY r.report_id COLLATE "C", r.version DESC
            ON CONFLICT (report_id) DO UPDATE SET type = s.type WHERE false
            RETURNING s.report_id, s.treatment_id, s.type
        ), added AS (
            SELECT c.treatment_id, bit_or(needlewatch_kept.type_bit(c.type)) AS bits,
                   count(*)::integer AS reports
            FROM created c
            WHERE c.type IS NOT NULL
            GROUP BY c.treatment_id
        )
        SELECT o.stale, a.ids, a.bits, a.reports, coalesce(a.total, 0), p.tid, p.type, p.n
        INTO stale, touched, touched_bits, touched_reports, reports_delta, p_tid, p_type, p_n
        FROM (SELECT array_agg(DISTINCT r.report_id) AS stale FROM new_rows r
              WHERE NOT EXISTS (SELECT 1 FROM created c
                                WHERE c.report_id = r.report_id COLLATE "C")) o,
             (SELECT array_agg(a.treatment_id) AS ids, array_agg(a.bits) AS bits,
                     array_agg(a.reports) AS reports, sum(a.reports) AS total
              FROM added a) a,
             (SELECT array_agg(c.treatment_id) AS tid, array_agg(c.type) AS type,
                     array_agg(1::bigint) AS n
              FROM created c WHERE c.type IS NOT NULL) p;
    ELSE
        IF TG_OP = 'DELETE' THEN
            SELECT array_agg(DISTINCT r.report_id) INTO stale FROM old_rows r;
        ELSE
            SELECT array_agg(DISTINCT u.report_id) INTO stale
            FROM (SELECT report_id FROM old_rows UNION SELECT report_id FROM new_rows) u;
        END IF;
        IF stale IS NULL THEN
            RETURN NULL;
        END IF;
        INSERT INTO needlewatch.complication_state AS s (report_id)
        SELECT u.id FROM unnest(stale) AS u (id) ORDER BY u.id COLLATE "C"
        ON CONFLICT (report_id) DO UPDATE SET type = s.type WHERE false;
    END IF;

    IF stale IS NULL THEN
        -- Only new complications: add their bits and reports to their
        -- treatments (005's header), and count each under the key of its
        -- treatment's state row as the upsert locked it.
        IF touched IS NOT NULL THEN
            WITH d AS (
                SELECT u.id COLLATE "C" AS report_id, u.bits, u.reports
                FROM unnest(touched, touched_bits, touched_reports) AS u (id, bits, reports)
            ), up AS (
                INSERT INTO needlewatch.treatment_state AS s (report_id, mask, reports)
                SELECT d.report_id, d.bits, d.reports FROM d ORDER BY d.report_id
                ON CONFLICT (report_id) DO UPDATE
                SET mask = s.mask | EXCLUDED.mask, reports = s.reports + EXCLUDED.reports,
                    prev_mask = s.mask
                RETURNING s.report_id, s.treated_on, s.device_type, s.setting, s.fitzpatrick,
                          s.mask, s.reports, s.prev_mask, s.manufacturer, s.model
            ), cells AS (
                SELECT up.treated_on, up.device_type, up.setting, up.fitzpatrick,
                       up.prev_mask, -1::bigint, -(up.reports - d.reports)::bigint
                FROM up JOIN d ON d.report_id = up.report_id
                WHERE up.treated_on IS NOT NULL
                UNION ALL
                SELECT up.treated_on, up.device_type, up.setting, up.fitzpatrick,
                       up.mask, 1, up.reports
                FROM up WHERE up.treated_on IS NOT NULL
            )
            SELECT c.*, m.*
            INTO d_on, d_dev, d_set, d_fitz, d_mask, d_n, d_rep,
                 m_on, m_dev, m_mf, m_mo, m_type, m_n
            FROM (SELECT array_agg(x.treated_on), array_agg(x.device_type),
                         array_agg(x.setting), array_agg(x.fitzpatrick), array_agg(x.mask),
                         array_agg(x.n), array_agg(x.reports)
                  FROM cells AS x (treated_on, device_type, setting, fitzpatrick, mask, n,
                                   reports)) c,
                 (SELECT array_agg(up.treated_on), array_agg(up.device_type),
                         array_agg(up.manufacturer), array_agg(up.model), array_agg(p.type),
                         array_agg(p.n)
                  FROM unnest(p_tid, p_type, p_n) AS p (tid, type, n)
                  JOIN up ON up.report_id = p.tid COLLATE "C"
                  WHERE up.treated_on IS NOT NULL) m;
        END IF;
    ELSE
        -- Step 2 (a new snapshot): the current version of each locked
        -- complication, against its state.
        WITH cur AS (
            SELECT u.id COLLATE "C" AS report_id, c.treatment_id COLLATE "C" AS treatment_id,
                   c.type COLLATE "C" AS type
            FROM unnest(stale) AS u (id)
            LEFT JOIN LATERAL (
                SELECT v.nullified, v.treatment_id, v.type
                FROM needlewatch.complication_versions v
                WHERE v.report_id = u.id
                ORDER BY v.version DESC
                LIMIT 1
            ) c ON NOT c.nullified
        ), chg AS (
            SELECT s.report_id, s.treatment_id AS old_treatment_id, s.type AS old_type,
                   c.treatment_id, c.type
            FROM cur c
            JOIN needlewatch.complication_state s ON s.report_id = c.report_id
            WHERE (s.treatment_id, s.type) IS DISTINCT FROM (c.treatment_id, c.type)
        ), upd AS (
            UPDATE needlewatch.complication_state s
            SET treatment_id = chg.treatment_id, type = chg.type
            FROM chg
            WHERE s.report_id = chg.report_id
        ), pairs AS (
            SELECT old_treatment_id, old_type, -1::bigint FROM chg WHERE old_type IS NOT NULL
            UNION ALL
            SELECT treatment_id, type, 1 FROM chg WHERE type IS NOT NULL
        )
        SELECT (SELECT array_agg(x.id)
                FROM (SELECT old_treatment_id FROM chg WHERE old_type IS NOT NULL
                      UNION SELECT treatment_id FROM chg WHERE type IS NOT NULL) AS x (id)),
               (SELECT count(*) FILTER (WHERE type IS NOT NULL)
                       - count(*) FILTER (WHERE old_type IS NOT NULL) FROM chg),
               p.tid, p.type, p.n
        INTO more_touched, more_delta, more_tid, more_type, more_n
        FROM (SELECT array_agg(y.tid) AS tid, array_agg(y.type) AS type, array_agg(y.n) AS n
              FROM pairs AS y (tid, type, n)) p;
        touched := touched || more_touched;
        reports_delta := reports_delta + more_delta;
        p_tid := p_tid || more_tid;
        p_type := p_type || more_type;
        p_n := p_n || more_n;

        IF touched IS NOT NULL THEN
            -- Lock or create the treatments' states, then (a new snapshot)
            -- recount their complications from complication_state.
            INSERT INTO needlewatch.treatment_state AS s (report_id)
            SELECT d.id FROM (SELECT DISTINCT id FROM unnest(touched) AS u (id)) d
            ORDER BY d.id COLLATE "C"
            ON CONFLICT (report_id) DO UPDATE SET mask = s.mask WHERE false;

            WITH m AS (
                SELECT d.id COLLATE "C" AS report_id, coalesce(a.mask, 0) AS mask,
                       coalesce(a.reports, 0)::integer AS reports
                FROM (SELECT DISTINCT id FROM unnest(touched) AS u (id)) d
                CROSS JOIN LATERAL (
                    SELECT bit_or(needlewatch_kept.type_bit(c.type)) AS mask, count(*) AS reports
                    FROM needlewatch.complication_state c
                    WHERE c.treatment_id = d.id COLLATE "C" AND c.type IS NOT NULL
                ) a
            ), chg AS (
                SELECT s.report_id, s.treated_on, s.device_type, s.setting, s.fitzpatrick,
                       s.mask AS old_mask, s.reports AS old_reports, m.mask, m.reports
                FROM m
                JOIN needlewatch.treatment_state s ON s.report_id = m.report_id
                WHERE (s.mask, s.reports) IS DISTINCT FROM (m.mask, m.reports)
            ), upd AS (
                UPDATE needlewatch.treatment_state s
                SET mask = chg.mask, reports = chg.reports
                FROM chg
                WHERE s.report_id = chg.report_id
            ), cells AS (
                SELECT treated_on, device_type, setting, fitzpatrick, old_mask, -1::bigint,
                       -old_reports::bigint
                FROM chg WHERE treated_on IS NOT NULL
                UNION ALL
                SELECT treated_on, device_type, setting, fitzpatrick, mask, 1, reports
                FROM chg WHERE treated_on IS NOT NULL
            )
            -- The per-model pairs under the keys of the treatments just
            -- locked (their keys, unlike their masks, are not written here).
            SELECT c.*, m.*
            INTO d_on, d_dev, d_set, d_fitz, d_mask, d_n, d_rep,
                 m_on, m_dev, m_mf, m_mo, m_type, m_n
            FROM (SELECT array_agg(x.treated_on), array_agg(x.device_type),
                         array_agg(x.setting), array_agg(x.fitzpatrick), array_agg(x.mask),
                         array_agg(x.n), array_agg(x.reports)
                  FROM cells AS x (treated_on, device_type, setting, fitzpatrick, mask, n,
                                   reports)) c,
                 (SELECT array_agg(s.treated_on), array_agg(s.device_type),
                         array_agg(s.manufacturer), array_agg(s.model), array_agg(p.type),
                         array_agg(p.n)
                  FROM unnest(p_tid, p_type, p_n) AS p (tid, type, n)
                  JOIN needlewatch.treatment_state s ON s.report_id = p.tid COLLATE "C"
                  WHERE s.treated_on IS NOT NULL) m;
        END IF;
    END IF;

    PERFORM needlewatch_kept.add_cells(d_on, d_dev, d_set, d_fitz, d_mask, d_n, d_rep);
    PERFORM needlewatch_kept.add_models(m_on, m_dev, m_mf, m_mo, m_type, m_n);
    IF reports_delta <> 0 THEN
        PERFORM needlewatch_kept.add_totals(reports_delta, 0);
    END IF;
    RETURN NULL;
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

-- Recounts the manufacturer and model of every treatment state and the
-- per-model counts into shard 0, from the states rebuild_cells() has just
-- recounted.
CREATE OR REPLACE FUNCTION needlewatch_kept.rebuild_models()
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    TRUNCATE needlewatch.kept_model_shards, needlewatch.kept_model_month_shards,
             needlewatch.kept_model_total_shards;
    UPDATE needlewatch.treatment_state s
    SET manufacturer = v.manufacturer, model = v.model
    FROM (SELECT DISTINCT ON (report_id) report_id COLLATE "C" AS report_id, nullified,
                 manufacturer COLLATE "C" AS manufacturer, model COLLATE "C" AS model
          FROM needlewatch.treatment_versions
          ORDER BY report_id, version DESC) v
    WHERE v.report_id = s.report_id AND NOT v.nullified
      AND (v.manufacturer IS NOT NULL OR v.model IS NOT NULL);
    INSERT INTO needlewatch.kept_model_shards
        (shard, treated_on, device_type, manufacturer, model, type, reports)
    SELECT 0, ts.treated_on, ts.device_type, ts.manufacturer, ts.model, cs.type, count(*)
    FROM needlewatch.complication_state cs
    JOIN needlewatch.treatment_state ts
         ON ts.report_id = cs.treatment_id AND ts.treated_on IS NOT NULL
    WHERE cs.type IS NOT NULL
    GROUP BY 2, 3, 4, 5, 6;
    INSERT INTO needlewatch.kept_model_month_shards
        (shard, month, device_type, manufacturer, model, type, reports)
    SELECT 0, date_trunc('month', treated_on)::date, device_type, manufacturer, model, type,
           sum(reports)
    FROM needlewatch.kept_model_shards
    GROUP BY 2, 3, 4, 5, 6;
    INSERT INTO needlewatch.kept_model_total_shards
        (shard, device_type, manufacturer, model, type, reports)
    SELECT 0, device_type, manufacturer, model, type, sum(reports)
    FROM needlewatch.kept_model_shards
    GROUP BY 2, 3, 4, 5;
END
$$;

-- Recounts everything (005's header: the backfill, a TRUNCATE, which calls
-- it, or a load with triggers disabled).
CREATE OR REPLACE FUNCTION needlewatch_kept.rebuild()
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM needlewatch_kept.rebuild_cells();
    PERFORM needlewatch_kept.rebuild_models();
END
$$;

-- 005's check, plus, recounted from the report tables in the same snapshot:
--   kind 'model'            key "treated_on device_type manufacturer model
--                           type" ("-" for none), values the reports kept
--                           and recounted
--   kind 'model_month'      the same per month (key: its first day)
--   kind 'model_total'      the same without treated_on
--   kind 'treatment_model'  key report_id, values "manufacturer model" of its
--                           state and of its current version
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
    ), a AS (
        SELECT tv.treated_on, tv.device_type, tv.manufacturer, tv.model, cv.type, count(*) AS n
        FROM cv JOIN tv ON tv.report_id = cv.treatment_id
        WHERE NOT cv.nullified AND NOT tv.nullified
        GROUP BY 1, 2, 3, 4, 5
    ), k AS (
        SELECT treated_on, device_type, manufacturer, model, type, sum(reports) AS n
        FROM needlewatch.kept_model_shards
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(reports) <> 0
    ), am AS (
        SELECT date_trunc('month', treated_on)::date AS month, device_type, manufacturer, model,
               type, sum(n) AS n
        FROM a GROUP BY 1, 2, 3, 4, 5
    ), km AS (
        SELECT month, device_type, manufacturer, model, type, sum(reports) AS n
        FROM needlewatch.kept_model_month_shards
        GROUP BY 1, 2, 3, 4, 5
        HAVING sum(reports) <> 0
    ), at AS (
        SELECT device_type, manufacturer, model, type, sum(n) AS n FROM a GROUP BY 1, 2, 3, 4
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
                  coalesce(k.manufacturer, a.manufacturer, '-'),
                  coalesce(k.model, a.model, '-'), coalesce(k.type, a.type)),
           coalesce(k.n, 0)::text, coalesce(a.n, 0)::text
    FROM k
    FULL JOIN a
           ON a.treated_on = k.treated_on AND a.device_type = k.device_type
          AND a.manufacturer IS NOT DISTINCT FROM k.manufacturer
          AND a.model IS NOT DISTINCT FROM k.model AND a.type = k.type
    WHERE k.n IS DISTINCT FROM a.n
    UNION ALL
    SELECT 'model_month',
           format('%s %s %s %s %s', coalesce(k.month, a.month),
                  coalesce(k.device_type, a.device_type),
                  coalesce(k.manufacturer, a.manufacturer, '-'),
                  coalesce(k.model, a.model, '-'), coalesce(k.type, a.type)),
           coalesce(k.n, 0)::text, coalesce(a.n, 0)::text
    FROM km k
    FULL JOIN am a
           ON a.month = k.month AND a.device_type = k.device_type
          AND a.manufacturer IS NOT DISTINCT FROM k.manufacturer
          AND a.model IS NOT DISTINCT FROM k.model AND a.type = k.type
    WHERE k.n IS DISTINCT FROM a.n
    UNION ALL
    SELECT 'model_total',
           format('%s %s %s %s', coalesce(k.device_type, a.device_type),
                  coalesce(k.manufacturer, a.manufacturer, '-'),
                  coalesce(k.model, a.model, '-'), coalesce(k.type, a.type)),
           coalesce(k.n, 0)::text, coalesce(a.n, 0)::text
    FROM kt k
    FULL JOIN at a
           ON a.device_type = k.device_type
          AND a.manufacturer IS NOT DISTINCT FROM k.manufacturer
          AND a.model IS NOT DISTINCT FROM k.model AND a.type = k.type
    WHERE k.n IS DISTINCT FROM a.n
    UNION ALL
    SELECT 'treatment_model', s.report_id,
           format('%s %s', s.manufacturer, s.model),
           format('%s %s', tv.manufacturer, tv.model)
    FROM needlewatch.treatment_state s
    LEFT JOIN tv ON tv.report_id = s.report_id AND NOT tv.nullified
    WHERE (s.manufacturer, s.model) IS DISTINCT FROM (tv.manufacturer, tv.model)
    ORDER BY 1, 2
$$;

-- What the analyzer reads (007's function), the report counts now kept.
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
    ), b AS (
        -- The window [f, t], its first whole month's first day and its last
        -- whole month's last day (open ends are whole).
        SELECT x.f, x.t, x.first_month, x.last_month_end,
               x.first_month <= x.last_month_end AS whole_months
        FROM (SELECT coalesce(from_date, '-infinity'::date) AS f,
                     coalesce(to_date, 'infinity'::date) AS t,
                     CASE WHEN from_date IS NULL THEN '-infinity'::date
                          WHEN extract(day FROM from_date) = 1 THEN from_date
                          ELSE (date_trunc('month', from_date) + interval '1 month')::date
                     END AS first_month,
                     CASE WHEN to_date IS NULL THEN 'infinity'::date
                          WHEN extract(day FROM to_date + 1) = 1 THEN to_date
                          ELSE (date_trunc('month', to_date) - interval '1 day')::date
                     END AS last_month_end) x
    )
    SELECT 'weekt', w.monday, w.device_type, w.setting, NULL::text, NULL::text, 0,
           w.treatments::bigint
    FROM w
    WHERE w.treatments <> 0
    UNION ALL
    -- The per-type columns above are in the order of
    -- needlewatch.complication_types; mapped onto the caller's list by name.
    SELECT 'weekc', w.monday, w.device_type, w.setting, NULL, NULL,
           CASE WHEN c.i = 1 THEN 0
                ELSE coalesce(array_position(types, (ARRAY['infection', 'scarring',
                    'hyperpigmentation', 'burn', 'nerve_damage', 'fat_loss', 'granuloma',
                    'dryness_peeling', 'acne_flare', 'other'])[c.i - 1]), 0) END,
           c.n::bigint
    FROM w, unnest(w.cases) WITH ORDINALITY AS c (n, i)
    WHERE c.n <> 0
    UNION ALL
    -- A window: its whole months from the per-month counts, the days of its
    -- partial first and last months from the per-day counts (two day
    -- ranges, or the whole window when it holds no whole month).
    SELECT 'report', NULL, r.device_type::text, NULL, r.manufacturer::text, r.model::text,
           coalesce(array_position(types, r.type::text), 0), sum(r.reports)::bigint
    FROM (
        SELECT m.device_type, m.manufacturer, m.model, m.type, m.reports
        FROM b, needlewatch.kept_model_month_shards m
        WHERE b.whole_months AND m.month BETWEEN b.first_month AND b.last_month_end
        UNION ALL
        SELECT m.device_type, m.manufacturer, m.model, m.type, m.reports
        FROM b, needlewatch.kept_model_shards m
        WHERE m.treated_on >= b.f AND m.treated_on <= b.t
          AND m.treated_on < CASE WHEN b.whole_months THEN b.first_month
                                  ELSE 'infinity'::date END
        UNION ALL
        SELECT m.device_type, m.manufacturer, m.model, m.type, m.reports
        FROM b, needlewatch.kept_model_shards m
        WHERE b.whole_months AND m.treated_on > b.last_month_end AND m.treated_on <= b.t
    ) r
    WHERE from_date IS NOT NULL OR to_date IS NOT NULL
    GROUP BY 3, 5, 6, 7
    HAVING sum(r.reports) <> 0
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
        EXECUTE format('ALTER TABLE needlewatch.kept_model_shards OWNER TO %s', owner);
        EXECUTE format('ALTER TABLE needlewatch.kept_model_month_shards OWNER TO %s', owner);
        EXECUTE format('ALTER TABLE needlewatch.kept_model_total_shards OWNER TO %s', owner);
        FOREACH rel IN ARRAY ARRAY['needlewatch_kept.add_models(date[], text[], text[], text[], '
                                   'text[], bigint[])',
                                   'needlewatch_kept.treatment_versions_changed()',
                                   'needlewatch_kept.complication_versions_changed()',
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
REVOKE ALL ON needlewatch.kept_model_shards, needlewatch.kept_model_month_shards,
              needlewatch.kept_model_total_shards FROM PUBLIC;
ALTER TABLE needlewatch.kept_model_shards ENABLE ROW LEVEL SECURITY;
ALTER TABLE needlewatch.kept_model_month_shards ENABLE ROW LEVEL SECURITY;
ALTER TABLE needlewatch.kept_model_total_shards ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    rel text;
    r text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch_authority') THEN
        FOREACH rel IN ARRAY ARRAY['needlewatch.kept_model_shards',
                                   'needlewatch.kept_model_month_shards',
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

-- The backfill: everything recounted, with the report tables locked against
-- writers until commit.
SELECT needlewatch_kept.rebuild();

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (8, '008_kept_models') ON CONFLICT (version) DO NOTHING;

COMMIT;

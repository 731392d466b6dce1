-- 30_kept.sql: the kept analysis counts, and the rollup that keeps them.
--
-- The analyzer must not scan every report: it reads counts kept per day and
-- cell (needlewatch_kept.cells) and per day, month and total per device
-- model (needlewatch_kept.model_*), tables that grow with days x cells, not
-- with reports. sql/012_rollups.sql made the tables; this file holds the
-- code, and is applied again whenever it changes (see sql/README.md).
--
-- The ingest transaction stores reports and nothing else. A rollup folds
-- what has committed since its last run into the counts, in one transaction
-- that writes the counts and its watermark together, one rollup at a time.
--
-- Exactness. Every report version carries xid, the 64-bit id of the
-- transaction that wrote it (a column default: every way of inserting sets
-- it). The rollup keeps one number, the watermark w, with this invariant:
--
--   the kept counts are exactly the counts of the report versions whose
--   xid < w (rows stored before 012 have xid NULL and count as below every
--   watermark).
--
-- A rollup, holding an advisory lock so that rollups run one at a time,
-- reads h = pg_snapshot_xmin(pg_current_snapshot()): every transaction with
-- an id below h has ended, committed or aborted, so the set of versions with
-- xid < h is final, and every later snapshot sees all of it. The rollup adds
-- to the counts the difference between the counts of "xid < h" and those of
-- "xid < w" (transitions() below), then sets the watermark to h, in the same
-- transaction: the invariant holds for h. Nothing depends on which snapshot
-- each statement of the rollup takes, because both sets are final; a rollup
-- that fails rolls back its counts and its watermark together; the lock makes
-- the read-modify-write of the counts safe.
-- Transactions still running at the rollup (ids >= h) are left for a later
-- rollup; so are those that committed with an id above one that still runs.
-- A reader that must be exact as of its own snapshot (the analyzer, the
-- check) adds the same difference between "every version it sees" and
-- "xid < w" to what it reads (the "fold-in" of kept_cube() and the others):
-- the rollup's lag never shows in a report.
--
-- The difference for a set of new versions. A treatment counts in the cell
-- of its current version (highest version; a nullified one withdraws it)
-- with the types of the current complication reports that name it. New
-- versions change
--   * the cell of the treatments they are versions of, and
--   * the complications of the treatments that a new complication version's
--     report named before (its old current version) and names after (new).
-- transitions(w, h) finds those treatments ("touched"), computes each one's
-- cell and complications at both cuts, and returns -1 for the old and +1 for
-- the new; untouched treatments are the same at both cuts. changes(w, h)
-- sums them per cell and per model.
--
-- Hand-made UPDATE, DELETE or TRUNCATE of a report table breaks the
-- assumption that versions are only ever added: a statement trigger (not on
-- INSERT: the ingest's path) then resets the watermark, and the next rollup
-- recounts everything. A rollup that starts from a NULL watermark recounts
-- everything too (the upgrade from 011, a rebuild by hand).
--
-- Per-type counts are arrays indexed by the type's ordinal in
-- needlewatch.complication_catalogue. Summing arrays element by element over
-- many rows is slow in SQL (unnest), so the functions that do it are
-- generated from the catalogue when this file is applied: a template's %1$s
-- receives one expression per type (needlewatch_kept.per_type()). A new type
-- is a new catalogue row; applying the repeatable files again regenerates
-- these functions.
BEGIN;

SET LOCAL client_min_messages = warning;

-- Every expression of fmt, once per complication type in ordinal order
-- (%1$s: the ordinal), joined by sep.
CREATE OR REPLACE FUNCTION needlewatch_kept.per_type(fmt text, sep text DEFAULT ', ')
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT string_agg(format(fmt, i), sep ORDER BY i)
    FROM generate_series(1, (SELECT max(ordinal) FROM needlewatch.complication_catalogue)) AS i
$$;

-- a + b element by element, one element per catalogued type (a missing
-- element is 0); generated, like the readers below, so that it is a plain
-- expression the planner inlines.
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch_kept.add(a integer[], b integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[%s]::integer[]
$$
$fn$, needlewatch_kept.per_type('coalesce(a[%1$s], 0) + coalesce(b[%1$s], 0)'));
END
$gen$;

-- The watermark, as every reader sees it in its snapshot; NULL when a
-- recount is due, and the kept rows then count for nothing. A watermark
-- above the next id this cluster will give out comes from another cluster
-- (a logical restore): a recount is due then too (rollup() says more).
CREATE OR REPLACE FUNCTION needlewatch_kept.watermark()
RETURNS bigint LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN s.horizon <= pg_snapshot_xmax(pg_current_snapshot())::text::bigint
                THEN s.horizon END
    FROM needlewatch_kept.rollup_state s
$$;

-- How the counts change from the versions with xid < w to those with
-- xid < h (h NULL: every version the caller's snapshot sees). One row per
-- touched treatment and side (sign -1: before, +1: after) that has a cell
-- at that side, with ordinal 0 and its number of complication reports; one
-- more row per type of its reports (ordinal, reports of that type; -2 for a
-- type the catalogue does not list); and rows with ordinal -1 whose reports
-- add up, per side, to the complication reports that side counts in the
-- total (orphans included).
-- Each row of ordinal >= 0 or -2 also says when its cases were first known
-- (known: the earliest UTC day of coalesce(reported_at, ingested_at) of
-- those reports; of all of the treatment's reports for ordinal 0), for the
-- alerts' counts (015: case_lags, report_delays).
-- w <= 0 (a recount) reads every version once (counts_at()); otherwise only
-- the reports with a version in [w, h) are touched (between()). Both read
-- narrow columns and sort report ids byte-wise (COLLATE "C"): a recount of
-- a million reports sorts in memory (work_mem).
-- The row types below changed with 015 (known, ordinal, lag): CREATE OR
-- REPLACE cannot change a result type, so they are created anew (nothing
-- depends on them but the functions of this file, which are re-created below).
DROP FUNCTION IF EXISTS needlewatch_kept.changes(bigint, bigint);
DROP FUNCTION IF EXISTS needlewatch_kept.transitions(bigint, bigint);
DROP FUNCTION IF EXISTS needlewatch_kept.between(bigint, bigint);
DROP FUNCTION IF EXISTS needlewatch_kept.counts_at(bigint);

CREATE OR REPLACE FUNCTION needlewatch_kept.counts_at(h bigint)
RETURNS TABLE (sign integer, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, ordinal integer,
               reports bigint, known date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp SET work_mem = '256MB'
SET jit = off AS $$
    WITH t AS MATERIALIZED (           -- every treatment's current version at h
        SELECT DISTINCT ON (v.report_id COLLATE "C") v.report_id, v.nullified, v.treated_on,
               v.device_type, v.setting, v.fitzpatrick, v.manufacturer, v.model
        FROM needlewatch.treatment_versions v
        WHERE h IS NULL OR coalesce(v.xid, 0) < h
        ORDER BY v.report_id COLLATE "C", v.version DESC
    ), c AS MATERIALIZED (             -- every complication's current version at h
        SELECT DISTINCT ON (v.report_id COLLATE "C") v.treatment_id, v.type, v.nullified,
               (coalesce(v.reported_at, v.ingested_at) AT TIME ZONE 'UTC')::date AS known
        FROM needlewatch.complication_versions v
        WHERE h IS NULL OR coalesce(v.xid, 0) < h
        ORDER BY v.report_id COLLATE "C", v.version DESC
    ), per_type AS (
        SELECT c.treatment_id, coalesce(o.ordinal, -2) AS ordinal, count(*) AS reports,
               min(c.known) AS known
        FROM c
        LEFT JOIN needlewatch.complication_catalogue o ON o.complication = c.type
        WHERE NOT c.nullified
        GROUP BY 1, 2
    ), per_treatment AS (
        SELECT p.treatment_id, sum(p.reports) AS reports, min(p.known) AS known
        FROM per_type p GROUP BY 1
    )
    SELECT 1, t.treated_on, t.device_type, t.setting, t.fitzpatrick, t.manufacturer, t.model,
           0, coalesce(r.reports, 0), r.known
    FROM t
    LEFT JOIN per_treatment r ON r.treatment_id = t.report_id
    WHERE NOT t.nullified
    UNION ALL
    SELECT 1, t.treated_on, t.device_type, t.setting, t.fitzpatrick, t.manufacturer, t.model,
           p.ordinal, p.reports, p.known
    FROM t
    JOIN per_type p ON p.treatment_id = t.report_id
    WHERE NOT t.nullified
    UNION ALL
    SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, -1, count(*), NULL
    FROM c WHERE NOT c.nullified
$$;

-- The reports it touches are a few batches' worth, found through the BRIN
-- on xid, and every lookup in a report table is an index probe per report
-- (LATERAL, with OFFSET 0 so that it is not flattened into a join): the
-- planner, misled by the estimates of the CTEs, would otherwise read whole
-- tables to join a few thousand rows. (A backlog too
-- large for that is recounted instead: rollup().)
CREATE OR REPLACE FUNCTION needlewatch_kept.between(w bigint, h bigint)
RETURNS TABLE (sign integer, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, ordinal integer,
               reports bigint, known date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp SET work_mem = '256MB'
SET jit = off AS $$
    WITH new_c AS MATERIALIZED (       -- complication reports with a new version
        SELECT DISTINCT v.report_id
        FROM needlewatch.complication_versions v
        WHERE v.xid >= w AND (h IS NULL OR v.xid < h)
    ), cv AS MATERIALIZED (            -- all their versions
        SELECT n.report_id, v.version, v.treatment_id, v.nullified, v.xid
        FROM new_c n
        CROSS JOIN LATERAL (
            SELECT x.version, x.treatment_id, x.nullified, coalesce(x.xid, 0) AS xid
            FROM needlewatch.complication_versions x WHERE x.report_id = n.report_id
            OFFSET 0) v
    ), c_cuts AS MATERIALIZED (        -- the treatment each names before and after
        SELECT b.treatment_id AS b_treatment, a.treatment_id AS a_treatment   -- (NULL: none)
        FROM (SELECT DISTINCT ON (cv.report_id COLLATE "C") cv.report_id,
                     CASE WHEN NOT cv.nullified THEN cv.treatment_id END AS treatment_id
              FROM cv WHERE cv.xid < w
              ORDER BY cv.report_id COLLATE "C", cv.version DESC) b
        FULL JOIN
             (SELECT DISTINCT ON (cv.report_id COLLATE "C") cv.report_id,
                     CASE WHEN NOT cv.nullified THEN cv.treatment_id END AS treatment_id
              FROM cv WHERE h IS NULL OR cv.xid < h
              ORDER BY cv.report_id COLLATE "C", cv.version DESC) a
          ON a.report_id = b.report_id
    ), touched AS MATERIALIZED (       -- treatments whose count may change
        SELECT v.report_id
        FROM needlewatch.treatment_versions v
        WHERE v.xid >= w AND (h IS NULL OR v.xid < h)
        UNION
        SELECT c.b_treatment FROM c_cuts c WHERE c.b_treatment IS NOT NULL
        UNION
        SELECT c.a_treatment FROM c_cuts c WHERE c.a_treatment IS NOT NULL
    ), tv AS MATERIALIZED (            -- all their versions
        SELECT t.report_id, v.version, v.nullified, v.treated_on, v.device_type, v.setting,
               v.fitzpatrick, v.manufacturer, v.model, v.xid
        FROM touched t
        CROSS JOIN LATERAL (
            SELECT x.version, x.nullified, x.treated_on, x.device_type, x.setting,
                   x.fitzpatrick, x.manufacturer, x.model, coalesce(x.xid, 0) AS xid
            FROM needlewatch.treatment_versions x WHERE x.report_id = t.report_id
            OFFSET 0) v
    ), t_sides AS MATERIALIZED (       -- their current versions at each cut
        SELECT -1 AS sign, b.*
        FROM (SELECT DISTINCT ON (tv.report_id COLLATE "C") tv.*
              FROM tv WHERE tv.xid < w
              ORDER BY tv.report_id COLLATE "C", tv.version DESC) b
        WHERE NOT b.nullified
        UNION ALL
        SELECT 1, a.*
        FROM (SELECT DISTINCT ON (tv.report_id COLLATE "C") tv.*
              FROM tv WHERE h IS NULL OR tv.xid < h
              ORDER BY tv.report_id COLLATE "C", tv.version DESC) a
        WHERE NOT a.nullified
    ), k_names AS MATERIALIZED (       -- every complication that ever named a touched one
        SELECT DISTINCT k.report_id
        FROM touched t
        CROSS JOIN LATERAL (
            SELECT x.report_id FROM needlewatch.complication_versions x
            WHERE x.treatment_id = t.report_id
            OFFSET 0) k
    ), kv AS MATERIALIZED (            -- all their versions
        SELECT n.report_id, v.version, v.treatment_id, v.type, v.nullified, v.xid, v.known
        FROM k_names n
        CROSS JOIN LATERAL (
            SELECT x.version, x.treatment_id, x.type, x.nullified, coalesce(x.xid, 0) AS xid,
                   (coalesce(x.reported_at, x.ingested_at) AT TIME ZONE 'UTC')::date AS known
            FROM needlewatch.complication_versions x WHERE x.report_id = n.report_id
            OFFSET 0) v
    ), k_sides AS (                    -- which treatment each names, at each cut
        SELECT -1 AS sign, b.treatment_id, b.type, b.known
        FROM (SELECT DISTINCT ON (kv.report_id COLLATE "C") kv.*
              FROM kv WHERE kv.xid < w
              ORDER BY kv.report_id COLLATE "C", kv.version DESC) b
        WHERE NOT b.nullified
        UNION ALL
        SELECT 1, a.treatment_id, a.type, a.known
        FROM (SELECT DISTINCT ON (kv.report_id COLLATE "C") kv.*
              FROM kv WHERE h IS NULL OR kv.xid < h
              ORDER BY kv.report_id COLLATE "C", kv.version DESC) a
        WHERE NOT a.nullified
    ), per_type AS (                   -- ordinal -2: a type the catalogue lacks
        SELECT k.sign, k.treatment_id, coalesce(o.ordinal, -2) AS ordinal, count(*) AS reports,
               min(k.known) AS known
        FROM k_sides k                 -- (rows of untouched treatments join no side below)
        LEFT JOIN needlewatch.complication_catalogue o ON o.complication = k.type
        GROUP BY 1, 2, 3
    )
    SELECT s.sign, s.treated_on, s.device_type, s.setting, s.fitzpatrick, s.manufacturer,
           s.model, 0, coalesce(r.reports, 0), r.known
    FROM t_sides s
    LEFT JOIN (SELECT p.sign, p.treatment_id, sum(p.reports) AS reports, min(p.known) AS known
               FROM per_type p GROUP BY 1, 2) r
           ON r.sign = s.sign AND r.treatment_id = s.report_id
    UNION ALL
    SELECT s.sign, s.treated_on, s.device_type, s.setting, s.fitzpatrick, s.manufacturer,
           s.model, p.ordinal, p.reports, p.known
    FROM t_sides s
    JOIN per_type p ON p.sign = s.sign AND p.treatment_id = s.report_id
    UNION ALL
    SELECT -1, NULL, NULL, NULL, NULL, NULL, NULL, -1, count(*), NULL::date
    FROM c_cuts WHERE b_treatment IS NOT NULL
    UNION ALL
    SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, -1, count(*), NULL::date
    FROM c_cuts WHERE a_treatment IS NOT NULL
$$;

CREATE OR REPLACE FUNCTION needlewatch_kept.transitions(w bigint, h bigint)
RETURNS TABLE (sign integer, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, ordinal integer,
               reports bigint, known date)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF w <= 0 THEN
        RETURN QUERY SELECT * FROM needlewatch_kept.counts_at(h);
    ELSE
        RETURN QUERY SELECT * FROM needlewatch_kept.between(w, h);
    END IF;
END
$$;

-- transitions(w, h) summed into the shapes of the kept tables:
--   kind 'cell'         treated_on, device_type, setting, fitzpatrick (0: not
--                       reported): treatments, cases_any, reports, and
--                       counts[i], the cases of the type of ordinal i
--   kind 'model_day'    treated_on, device_type, manufacturer, model:
--                       counts[i], the reports of the type of ordinal i
--   kind 'model_month'  the same, treated_on the first day of its month
--   kind 'model_total'  the same, without treated_on
--   kind 'total'        reports: the change of the complication reports
--   kind 'lag'          treated_on, device_type, setting, ordinal (0: any
--                       type), lag (days from treated_on to the cases' first
--                       known report, 0 at least): reports, the change of
--                       the cases (needlewatch_kept.case_lags, 015)
--   kind 'delay'        treated_on, lag: reports, the change of the
--                       (treatment, type) cases, every type
--                       (needlewatch_kept.report_delays, 015)
-- Rows whose changes are all 0 are left out.
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch_kept.changes(w bigint, h bigint)
RETURNS TABLE (kind text, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, treatments bigint,
               cases_any bigint, reports bigint, counts integer[], unknown bigint,
               ordinal integer, lag integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH t AS MATERIALIZED (
        SELECT * FROM needlewatch_kept.transitions(w, h)
    ), cell AS (
        SELECT t.treated_on, t.device_type, t.setting, coalesce(t.fitzpatrick, 0)::smallint AS fz,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = 0), 0) AS treatments,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = 0 AND t.reports > 0), 0) AS cases_any,
               coalesce(sum(t.sign * t.reports) FILTER (WHERE t.ordinal = 0), 0) AS reports,
               ARRAY[%1$s]::integer[] AS counts,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = -2), 0) AS unknown
        FROM t WHERE t.ordinal >= 0 OR t.ordinal = -2
        GROUP BY 1, 2, 3, 4
    ), model AS (
        SELECT t.treated_on, t.device_type, t.manufacturer, t.model,
               ARRAY[%2$s]::integer[] AS counts
        FROM t WHERE t.ordinal > 0
        GROUP BY 1, 2, 3, 4
    ), month AS (
        SELECT date_trunc('month', t.treated_on)::date AS month, t.device_type, t.manufacturer,
               t.model, ARRAY[%2$s]::integer[] AS counts
        FROM t WHERE t.ordinal > 0
        GROUP BY 1, 2, 3, 4
    ), total AS (
        SELECT t.device_type, t.manufacturer, t.model, ARRAY[%2$s]::integer[] AS counts
        FROM t WHERE t.ordinal > 0
        GROUP BY 1, 2, 3
    ), lag AS (
        SELECT t.treated_on, t.device_type, t.setting, t.ordinal,
               greatest(t.known - t.treated_on, 0) AS lag, sum(t.sign) AS n
        FROM t WHERE t.ordinal > 0 OR (t.ordinal = 0 AND t.reports > 0)
        GROUP BY 1, 2, 3, 4, 5
    ), delay AS (
        SELECT t.treated_on, greatest(t.known - t.treated_on, 0) AS lag, sum(t.sign) AS n
        FROM t WHERE t.ordinal > 0 OR t.ordinal = -2
        GROUP BY 1, 2
    )
    SELECT 'cell', c.treated_on, c.device_type, c.setting, c.fz, NULL, NULL,
           c.treatments, c.cases_any, c.reports, c.counts, c.unknown, NULL::integer,
           NULL::integer
    FROM cell c
    WHERE c.treatments <> 0 OR c.cases_any <> 0 OR c.reports <> 0 OR c.unknown <> 0
       OR c.counts <> array_fill(0, ARRAY[cardinality(c.counts)])
    UNION ALL
    SELECT 'model_day', m.treated_on, m.device_type, NULL, NULL, m.manufacturer, m.model,
           NULL, NULL, NULL, m.counts, NULL, NULL, NULL
    FROM model m WHERE m.counts <> array_fill(0, ARRAY[cardinality(m.counts)])
    UNION ALL
    SELECT 'model_month', m.month, m.device_type, NULL, NULL, m.manufacturer, m.model,
           NULL, NULL, NULL, m.counts, NULL, NULL, NULL
    FROM month m WHERE m.counts <> array_fill(0, ARRAY[cardinality(m.counts)])
    UNION ALL
    SELECT 'model_total', NULL, m.device_type, NULL, NULL, m.manufacturer, m.model,
           NULL, NULL, NULL, m.counts, NULL, NULL, NULL
    FROM total m WHERE m.counts <> array_fill(0, ARRAY[cardinality(m.counts)])
    UNION ALL
    SELECT 'total', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, sum(t.sign * t.reports),
           NULL, NULL, NULL, NULL
    FROM t WHERE t.ordinal = -1
    HAVING sum(t.sign * t.reports) <> 0
    UNION ALL
    SELECT 'lag', l.treated_on, l.device_type, l.setting, NULL, NULL, NULL, NULL, NULL, l.n,
           NULL, NULL, l.ordinal, l.lag
    FROM lag l WHERE l.n <> 0
    UNION ALL
    SELECT 'delay', d.treated_on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, d.n, NULL, NULL,
           NULL, d.lag
    FROM delay d WHERE d.n <> 0
$$
$fn$, needlewatch_kept.per_type('coalesce(sum(t.sign) FILTER (WHERE t.ordinal = %1$s), 0)'),
      needlewatch_kept.per_type('coalesce(sum(t.sign * t.reports) FILTER (WHERE t.ordinal = %1$s), 0)'));
END
$gen$;

-- The rollup step (see the header). Returns how many kept rows it changed.
-- Owner only: the ingest calls it through needlewatch.kept_rollup().
CREATE OR REPLACE FUNCTION needlewatch_kept.rollup()
RETURNS bigint LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    w bigint;
    h bigint;
    now_xid bigint;
    changed bigint;
BEGIN
    -- "nwro": one rollup at a time, waiting its turn. The lock comes first,
    -- so that everything below reads the counts the previous rollup left.
    PERFORM pg_advisory_xact_lock(1853321839);
    h := pg_snapshot_xmin(pg_current_snapshot())::text::bigint;
    now_xid := pg_current_xact_id()::text::bigint;
    SELECT horizon INTO w FROM needlewatch_kept.rollup_state;
    -- A watermark above every id this cluster has given out comes from
    -- another cluster (a logical restore): so may the versions' ids.
    IF w > now_xid THEN
        w := NULL;
    END IF;
    -- A backlog of more than a quarter of the stored versions (a backfill
    -- ingested with ingest.rollup.interval_ms=0) is cheaper recounted in one
    -- pass than probed report by report.
    IF w IS NOT NULL AND
       (SELECT count(*) FROM needlewatch.treatment_versions v WHERE v.xid >= w)
       + (SELECT count(*) FROM needlewatch.complication_versions v WHERE v.xid >= w)
       > 0.25 * (SELECT sum(greatest(c.reltuples, 0)) FROM pg_class c
                 WHERE c.oid IN ('needlewatch.treatment_versions'::regclass,
                                 'needlewatch.complication_versions'::regclass)) + 100000 THEN
        w := NULL;
    END IF;
    IF w IS NULL THEN
        -- Recount everything: empty counts are the counts of "xid < 0".
        -- Versions whose id is not of this cluster's past (restored from
        -- another) count as old ones (NULL), like those stored before 012.
        UPDATE needlewatch.treatment_versions SET xid = NULL WHERE xid >= now_xid;
        UPDATE needlewatch.complication_versions SET xid = NULL WHERE xid >= now_xid;
        TRUNCATE needlewatch_kept.cells, needlewatch_kept.model_days,
                 needlewatch_kept.model_months, needlewatch_kept.model_totals,
                 needlewatch_kept.case_lags, needlewatch_kept.report_delays;
        UPDATE needlewatch_kept.totals SET complication_reports = 0;
        w := 0;
    END IF;
    IF h <= w THEN
        RETURN 0;
    END IF;
    WITH c AS MATERIALIZED (
        SELECT * FROM needlewatch_kept.changes(w, h)
    ), cells AS (
        INSERT INTO needlewatch_kept.cells AS k
            (treated_on, device_type, setting, fitzpatrick, treatments, cases_any, reports, cases,
             unknown)
        SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.treatments, c.cases_any,
               c.reports, c.counts, c.unknown
        FROM c WHERE c.kind = 'cell'
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (treated_on, device_type, setting, fitzpatrick) DO UPDATE
        SET treatments = k.treatments + EXCLUDED.treatments,
            cases_any = k.cases_any + EXCLUDED.cases_any,
            reports = k.reports + EXCLUDED.reports,
            cases = needlewatch_kept.add(k.cases, EXCLUDED.cases),
            unknown = k.unknown + EXCLUDED.unknown
        RETURNING 1
    ), days AS (
        INSERT INTO needlewatch_kept.model_days AS k
            (treated_on, device_type, manufacturer, model, reports)
        SELECT c.treated_on, c.device_type, c.manufacturer, c.model, c.counts
        FROM c WHERE c.kind = 'model_day'
        ORDER BY 1, 2, 3, 4
        ON CONFLICT ON CONSTRAINT model_days_key DO UPDATE
        SET reports = needlewatch_kept.add(k.reports, EXCLUDED.reports)
        RETURNING 1
    ), months AS (
        INSERT INTO needlewatch_kept.model_months AS k
            (month, device_type, manufacturer, model, reports)
        SELECT c.treated_on, c.device_type, c.manufacturer, c.model, c.counts
        FROM c WHERE c.kind = 'model_month'
        ORDER BY 1, 2, 3, 4
        ON CONFLICT ON CONSTRAINT model_months_key DO UPDATE
        SET reports = needlewatch_kept.add(k.reports, EXCLUDED.reports)
        RETURNING 1
    ), totals AS (
        INSERT INTO needlewatch_kept.model_totals AS k (device_type, manufacturer, model, reports)
        SELECT c.device_type, c.manufacturer, c.model, c.counts
        FROM c WHERE c.kind = 'model_total'
        ORDER BY 1, 2, 3
        ON CONFLICT ON CONSTRAINT model_totals_key DO UPDATE
        SET reports = needlewatch_kept.add(k.reports, EXCLUDED.reports)
        RETURNING 1
    ), reports AS (
        UPDATE needlewatch_kept.totals k
        SET complication_reports = k.complication_reports + c.reports
        FROM c WHERE c.kind = 'total'
        RETURNING 1
    ), lags AS (
        INSERT INTO needlewatch_kept.case_lags AS k
            (treated_on, device_type, setting, ordinal, lag, cases)
        SELECT c.treated_on, c.device_type, c.setting, c.ordinal, c.lag, c.reports
        FROM c WHERE c.kind = 'lag'
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (treated_on, device_type, setting, ordinal, lag) DO UPDATE
        SET cases = k.cases + EXCLUDED.cases
        RETURNING 1
    ), delays AS (
        INSERT INTO needlewatch_kept.report_delays AS k (treated_on, lag, cases)
        SELECT c.treated_on, c.lag, c.reports
        FROM c WHERE c.kind = 'delay'
        ORDER BY 1, 2
        ON CONFLICT (treated_on, lag) DO UPDATE
        SET cases = k.cases + EXCLUDED.cases
        RETURNING 1
    )
    SELECT (SELECT count(*) FROM cells) + (SELECT count(*) FROM days)
           + (SELECT count(*) FROM months) + (SELECT count(*) FROM totals)
           + (SELECT count(*) FROM reports) + (SELECT count(*) FROM lags)
           + (SELECT count(*) FROM delays)
    INTO changed;
    UPDATE needlewatch_kept.rollup_state
    SET horizon = h, rolled_at = now(), rollups = rollups + 1;
    RETURN changed;
END
$$;

-- What a hand-made UPDATE, DELETE or TRUNCATE of a report table leaves:
-- counts that must be recounted. (INSERT, the ingest's path, has no trigger.)
CREATE OR REPLACE FUNCTION needlewatch_kept.reports_rewritten()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE needlewatch_kept.rollup_state SET horizon = NULL;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER kept_rewritten AFTER UPDATE OR DELETE OR TRUNCATE
    ON needlewatch.treatment_versions
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.reports_rewritten();
CREATE OR REPLACE TRIGGER kept_rewritten AFTER UPDATE OR DELETE OR TRUNCATE
    ON needlewatch.complication_versions
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.reports_rewritten();

-- For the ingest role and the analyzer, which may not touch the tables:
-- runs one rollup step, and can do nothing else.
CREATE OR REPLACE FUNCTION needlewatch.kept_rollup()
RETURNS bigint LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT needlewatch_kept.rollup()
$$;

-- Forces a recount at the next rollup (by hand, as the owner).
CREATE OR REPLACE FUNCTION needlewatch_kept.rebuild()
RETURNS bigint LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE needlewatch_kept.rollup_state SET horizon = NULL;
    RETURN needlewatch_kept.rollup();
END
$$;

-- The readers. Each reads the kept rows and folds in what the rollup has
-- not counted yet (changes() from the watermark to every version the
-- caller's snapshot sees), so it is exact as of that snapshot.

-- The kept day-cells and the changes not rolled up yet, as rows to be
-- summed by the caller.
CREATE OR REPLACE FUNCTION needlewatch_kept.cell_rows()
RETURNS TABLE (treated_on date, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, reports bigint, cases integer[],
               unknown bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick, k.treatments, k.cases_any,
           k.reports, k.cases, k.unknown
    FROM needlewatch_kept.cells k
    WHERE needlewatch_kept.watermark() IS NOT NULL
    UNION ALL
    SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.treatments, c.cases_any,
           c.reports, c.counts, c.unknown
    FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
    WHERE c.kind = 'cell'
$$;

-- The same for the per-model counts at one level: 'day' (key_date:
-- treated_on), 'month' (its first day) or 'total' (NULL).
CREATE OR REPLACE FUNCTION needlewatch_kept.model_rows(level text)
RETURNS TABLE (key_date date, device_type text, manufacturer text, model text,
               reports integer[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.treated_on, k.device_type, k.manufacturer, k.model, k.reports
    FROM needlewatch_kept.model_days k
    WHERE level = 'day' AND needlewatch_kept.watermark() IS NOT NULL
    UNION ALL
    SELECT k.month, k.device_type, k.manufacturer, k.model, k.reports
    FROM needlewatch_kept.model_months k
    WHERE level = 'month' AND needlewatch_kept.watermark() IS NOT NULL
    UNION ALL
    SELECT NULL, k.device_type, k.manufacturer, k.model, k.reports
    FROM needlewatch_kept.model_totals k
    WHERE level = 'total' AND needlewatch_kept.watermark() IS NOT NULL
    UNION ALL
    SELECT c.treated_on, c.device_type, c.manufacturer, c.model, c.counts
    FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
    WHERE c.kind = 'model_' || level
$$;

-- The same for the (treatment, type) cases by lag (015) of the treatments
-- dated last_day or earlier (NULL: every one).
CREATE OR REPLACE FUNCTION needlewatch_kept.delay_rows(last_day date)
RETURNS TABLE (treated_on date, lag integer, cases bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.treated_on, k.lag, k.cases
    FROM needlewatch_kept.report_delays k
    WHERE needlewatch_kept.watermark() IS NOT NULL
      AND k.treated_on <= coalesce(last_day, 'infinity'::date)
    UNION ALL
    SELECT c.treated_on, c.lag, c.reports
    FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
    WHERE c.kind = 'delay' AND c.treated_on <= coalesce(last_day, 'infinity'::date)
$$;

-- What the alerts read (analyze/load/alertcounts.c; issue 14): the cases of
-- the treatments dated in [from_date, to_date] (NULL: open) whose first
-- report was known MORE than report_days days after the treatment, per ISO
-- week (monday: days since 1970-01-01), device_type, setting and ordinal
-- (0: any type; i: the type types[i], mapped as kept_surveillance() maps
-- them). The alerts count the cases known within report_days: the weekly
-- cases of kept_surveillance() less these (usually the few late ones, read
-- through the index on lag). Rows of 0 left out.
-- PL/pgSQL so that the statement is planned with report_days known (the
-- index-only scan of the lags above it): a SQL function's body is planned
-- for any value.
CREATE OR REPLACE FUNCTION needlewatch.kept_late_cases(from_date date, to_date date,
                                                       report_days integer, types text[])
RETURNS TABLE (monday integer, device_type text, setting text, ordinal integer, n bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
DECLARE
    w bigint := needlewatch_kept.watermark();
    f date := coalesce(from_date, '-infinity'::date);
    t date := coalesce(to_date, 'infinity'::date);
BEGIN
    RETURN QUERY
    SELECT ((k.treated_on - date '1970-01-01')
                - (extract(isodow FROM k.treated_on)::integer - 1))::integer,
           k.device_type::text, k.setting::text,
           CASE WHEN k.ordinal = 0 THEN 0
                ELSE coalesce(array_position(types, o.complication), 0) END,
           sum(k.cases)::bigint
    FROM (SELECT l.treated_on, l.device_type, l.setting, l.ordinal, l.cases::bigint AS cases
          FROM needlewatch_kept.case_lags l
          WHERE w IS NOT NULL AND l.lag > report_days AND l.treated_on BETWEEN f AND t
          UNION ALL
          SELECT c.treated_on, c.device_type, c.setting, c.ordinal, c.reports
          FROM needlewatch_kept.changes(coalesce(w, 0), NULL) c
          WHERE c.kind = 'lag' AND c.lag > report_days AND c.treated_on BETWEEN f AND t) k
    LEFT JOIN needlewatch.complication_catalogue o ON o.ordinal = k.ordinal
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.cases) <> 0;
END
$$;

-- What D's default is read from (analyze/load/alertcounts.c): as of the day
-- as_of, over the treatments dated as_of - horizon or earlier, the
-- (treatment, type) cases whose first report was known by as_of, by delay
-- in days (horizon: that many or more). Rows of 0 left out.
CREATE OR REPLACE FUNCTION needlewatch.kept_report_delays(as_of date, horizon integer)
RETURNS TABLE (delay integer, n bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT least(k.lag, horizon), sum(k.cases)::bigint
    FROM needlewatch_kept.delay_rows(as_of - horizon) k
    WHERE k.treated_on + k.lag <= as_of
    GROUP BY 1
    HAVING sum(k.cases) <> 0
$$;

-- The readers that sum arrays, generated from the catalogue (see the header):
-- %1$s is one sum per type of the cells' cases, %2$s the same of the models'
-- reports, %3$s the number of types.
DO $gen$
DECLARE
    cases_sums text := needlewatch_kept.per_type('sum(k.cases[%1$s])');
    report_sums text := needlewatch_kept.per_type('sum(k.reports[%1$s])');
    n integer := (SELECT max(ordinal) FROM needlewatch.complication_catalogue);
BEGIN
    EXECUTE format($fn$
-- The current counts per day and cell (rows of zeros left out).
CREATE OR REPLACE FUNCTION needlewatch.kept_current_cells()
RETURNS TABLE (treated_on date, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, reports bigint, cases bigint[],
               unknown bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick, sum(k.treatments)::bigint,
           sum(k.cases_any)::bigint, sum(k.reports)::bigint, ARRAY[%1$s]::bigint[],
           sum(k.unknown)::bigint
    FROM needlewatch_kept.cell_rows() k
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.treatments) <> 0 OR sum(k.cases_any) <> 0 OR sum(k.reports) <> 0
        OR sum(k.unknown) <> 0 OR ARRAY[%1$s]::bigint[] <> array_fill(0::bigint, ARRAY[%3$s])
$$;

-- The current per-model counts at one level (rows of zeros left out).
CREATE OR REPLACE FUNCTION needlewatch.kept_current_models(level text)
RETURNS TABLE (key_date date, device_type text, manufacturer text, model text, reports bigint[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT k.key_date, k.device_type, k.manufacturer, k.model, ARRAY[%2$s]::bigint[]
    FROM needlewatch_kept.model_rows(level) k
    GROUP BY 1, 2, 3, 4
    HAVING ARRAY[%2$s]::bigint[] <> array_fill(0::bigint, ARRAY[%3$s])
$$;

-- What needlewatch-analyze reads for its rates: the counts summed per
-- (treated_on in [from_date, to_date] (NULL: open), device_type, setting,
-- fitzpatrick); cases[i] is the type of ordinal i in the catalogue, and
-- unknown_type the cases of a type it does not list (0 unless its
-- constraint was dropped by hand). SECURITY DEFINER: the analyst reads no
-- table.
CREATE OR REPLACE FUNCTION needlewatch.kept_cube(from_date date, to_date date)
RETURNS TABLE (in_window boolean, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, reports bigint, cases bigint[],
               unknown_type bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT k.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                            AND coalesce(to_date, 'infinity'::date),
           k.device_type, k.setting, nullif(k.fitzpatrick, 0)::smallint,
           sum(k.treatments)::bigint, sum(k.cases_any)::bigint, sum(k.reports)::bigint,
           ARRAY[%1$s]::bigint[], sum(k.unknown)::bigint
    FROM needlewatch_kept.cell_rows() k
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.treatments) <> 0 OR sum(k.cases_any) <> 0 OR sum(k.reports) <> 0
        OR sum(k.unknown) <> 0 OR ARRAY[%1$s]::bigint[] <> array_fill(0::bigint, ARRAY[%3$s])
$$;

-- What the surveillance part of the report reads (analyze's loader), for
-- treatments dated in [from_date, to_date] (NULL: open):
--   kind 'weekt'   monday (days since 1970-01-01), device_type, setting;
--                  ordinal 0; n = current treatments of that ISO week
--   kind 'weekc'   the same key; ordinal 0 = cases of any type, i = cases
--                  of the type types[i]; rows with n = 0 left out
--   kind 'report'  device_type, manufacturer, model (NULL when not named);
--                  ordinal of the complication's type in types (0: not
--                  listed); n = current complication reports
-- A window reads its whole months from the per-month counts and only the
-- days of its partial first and last months from the per-day counts; no
-- window reads the totals.
CREATE OR REPLACE FUNCTION needlewatch.kept_surveillance(from_date date, to_date date,
                                                         types text[])
RETURNS TABLE (kind text, monday integer, device_type text, setting text, manufacturer text,
               model text, ordinal integer, n bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    WITH w AS (
        SELECT (k.treated_on - date '1970-01-01')
                   - (extract(isodow FROM k.treated_on)::integer - 1) AS monday,
               k.device_type, k.setting, sum(k.treatments) AS treatments,
               sum(k.cases_any) AS cases_any, ARRAY[%1$s]::bigint[] AS cases
        FROM needlewatch_kept.cell_rows() k
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
    ), r AS (
        SELECT k.device_type, k.manufacturer, k.model, ARRAY[%2$s]::bigint[] AS reports
        FROM (SELECT m.device_type, m.manufacturer, m.model, m.reports
              FROM b, needlewatch_kept.model_rows('month') m
              WHERE b.whole_months AND m.key_date BETWEEN b.first_month AND b.last_month_end
              UNION ALL
              SELECT m.device_type, m.manufacturer, m.model, m.reports
              FROM b, needlewatch_kept.model_rows('day') m
              WHERE m.key_date >= b.f AND m.key_date <= b.t
                AND (NOT b.whole_months OR m.key_date < b.first_month
                     OR m.key_date > b.last_month_end)) k
        WHERE from_date IS NOT NULL OR to_date IS NOT NULL
        GROUP BY 1, 2, 3
        UNION ALL
        SELECT k.device_type, k.manufacturer, k.model, ARRAY[%2$s]::bigint[]
        FROM needlewatch_kept.model_rows('total') k
        WHERE from_date IS NULL AND to_date IS NULL
        GROUP BY 1, 2, 3
    )
    SELECT 'weekt', w.monday, w.device_type, w.setting, NULL::text, NULL::text, 0,
           w.treatments::bigint
    FROM w
    WHERE w.treatments <> 0
    UNION ALL
    SELECT 'weekc', w.monday, w.device_type, w.setting, NULL, NULL, 0, w.cases_any::bigint
    FROM w
    WHERE w.cases_any <> 0
    UNION ALL
    SELECT 'weekc', w.monday, w.device_type, w.setting, NULL, NULL,
           coalesce(array_position(types, o.complication), 0), w.cases[o.ordinal]
    FROM w
    JOIN needlewatch.complication_catalogue o ON w.cases[o.ordinal] <> 0
    UNION ALL
    SELECT 'report', NULL, r.device_type, NULL, r.manufacturer, r.model,
           coalesce(array_position(types, o.complication), 0), sum(r.reports[o.ordinal])
    FROM r
    JOIN needlewatch.complication_catalogue o ON r.reports[o.ordinal] <> 0
    GROUP BY 3, 5, 6, 7
$$;
$fn$, cases_sums, report_sums, n);
END
$gen$;

-- For psql: the current counts per day and cell, and the totals.
CREATE OR REPLACE VIEW needlewatch.kept_cells AS
SELECT treated_on, device_type, setting, nullif(fitzpatrick, 0)::smallint AS fitzpatrick,
       treatments, cases_any, reports, cases
FROM needlewatch.kept_current_cells();
COMMENT ON VIEW needlewatch.kept_cells IS
    'The kept analysis counts per treated_on x device_type x setting x fitzpatrick (NULL: not '
    'reported), exact as of the reader''s snapshot: the current treatments, those with a '
    'current complication report (cases_any), their current complication reports, and '
    'cases[i], those with a report of the type of ordinal i in complication_catalogue.';

CREATE OR REPLACE VIEW needlewatch.kept_models AS
SELECT key_date AS treated_on, device_type, manufacturer, model, reports
FROM needlewatch.kept_current_models('day');
COMMENT ON VIEW needlewatch.kept_models IS
    'The kept current complication reports per treated_on x device_type x manufacturer x '
    'model (NULL: not named), reports[i] of the type of ordinal i in complication_catalogue.';

-- The current complication reports (orphans included) and quarantined
-- messages; and the rollup's progress.
CREATE OR REPLACE FUNCTION needlewatch.kept_current_totals()
RETURNS TABLE (complication_reports bigint, quarantined bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT k.complication_reports FROM needlewatch_kept.totals k
                     WHERE needlewatch_kept.watermark() IS NOT NULL), 0)
           + coalesce((SELECT sum(c.reports)
                       FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0),
                                                     NULL) c
                       WHERE c.kind = 'total'), 0)::bigint,
           (SELECT count(*) FROM needlewatch.quarantine)
$$;

CREATE OR REPLACE VIEW needlewatch.kept_totals AS
SELECT * FROM needlewatch.kept_current_totals();
COMMENT ON VIEW needlewatch.kept_totals IS
    'The current complication reports, orphans included, and the quarantined messages.';

CREATE OR REPLACE FUNCTION needlewatch.kept_current_rollup()
RETURNS TABLE (horizon bigint, rolled_at timestamptz, rollups bigint, versions_pending bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT s.horizon, s.rolled_at, s.rollups,
           (SELECT count(*) FROM needlewatch.treatment_versions v
            WHERE v.xid >= coalesce(s.horizon, 0))
           + (SELECT count(*) FROM needlewatch.complication_versions v
              WHERE v.xid >= coalesce(s.horizon, 0))
    FROM needlewatch_kept.rollup_state s
$$;

CREATE OR REPLACE VIEW needlewatch.kept_rollup_status AS
SELECT * FROM needlewatch.kept_current_rollup();
COMMENT ON VIEW needlewatch.kept_rollup_status IS
    'The rollup''s watermark (report versions written by transactions with lower ids are '
    'counted; NULL: everything is recounted at the next rollup), when it last ran, how many '
    'times, and how many stored versions it has yet to count.';

-- Recounts everything from the current-version views (002), in the caller's
-- snapshot and by a path of its own (no transitions(), no watermark), and
-- returns one row per difference with what the readers above give:
--   kind 'cell'         key "treated_on device_type setting skin_type"
--   kind 'model_day'    key "treated_on device_type manufacturer model"
--                       ('-' for not named)
--   kind 'model_month'  the same with the month's first day
--   kind 'model_total'  key "device_type manufacturer model"
--   kind 'total'        key 'complication_reports'
--   kind 'case_lag'     key "treated_on device_type setting ordinal lag"
--   kind 'report_delay' key "treated_on lag"
-- kept and actual are the counts as text. No row: the counts are exact.
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch.kept_cells_check()
RETURNS TABLE (kind text, key text, kept text, actual text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    WITH t AS (
        SELECT r.report_id, r.treated_on, r.device_type, r.setting,
               coalesce(r.fitzpatrick, 0) AS fz, r.manufacturer, r.model
        FROM needlewatch.treatments r
    ), c AS (      -- per treatment and type: its current reports (-2: not catalogued)
        SELECT x.treatment_id, coalesce(o.ordinal, -2) AS ordinal, count(*) AS n
        FROM needlewatch.complications x
        LEFT JOIN needlewatch.complication_catalogue o ON o.complication = x.type
        GROUP BY 1, 2
    ), per_t AS (
        SELECT c.treatment_id, sum(c.n) AS n FROM c GROUP BY 1
    ), cell_base AS (
        SELECT t.treated_on, t.device_type, t.setting, t.fz, count(*) AS treatments,
               count(p.treatment_id) AS cases_any, coalesce(sum(p.n), 0) AS reports
        FROM t LEFT JOIN per_t p ON p.treatment_id = t.report_id
        GROUP BY 1, 2, 3, 4
    ), cell_types AS (
        SELECT t.treated_on, t.device_type, t.setting, t.fz, ARRAY[%1$s]::bigint[] AS cases,
               count(*) FILTER (WHERE c.ordinal = -2) AS unknown
        FROM t JOIN c ON c.treatment_id = t.report_id
        GROUP BY 1, 2, 3, 4
    ), actual_cells AS (
        SELECT b.treated_on, b.device_type, b.setting, b.fz,
               format('treatments=%%s any=%%s reports=%%s by type %%s%%s', b.treatments,
                      b.cases_any, b.reports,
                      coalesce(y.cases, array_fill(0::bigint, ARRAY[%3$s])),
                      CASE WHEN y.unknown > 0 THEN ' unknown=' || y.unknown END) AS v
        FROM cell_base b
        LEFT JOIN cell_types y USING (treated_on, device_type, setting, fz)
    ), kept_cells AS (
        SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick AS fz,
               format('treatments=%%s any=%%s reports=%%s by type %%s%%s', k.treatments,
                      k.cases_any, k.reports, k.cases,
                      CASE WHEN k.unknown > 0 THEN ' unknown=' || k.unknown END) AS v
        FROM needlewatch.kept_current_cells() k
    ), models AS (
        SELECT t.treated_on, t.device_type, t.manufacturer, t.model, c.ordinal, c.n
        FROM t JOIN c ON c.treatment_id = t.report_id
        WHERE c.ordinal > 0
    ), actual_models AS (
        SELECT 'model_day' AS kind, m.treated_on AS key_date, m.device_type, m.manufacturer,
               m.model, ARRAY[%2$s]::bigint[]::text AS v
        FROM models m GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT 'model_month', date_trunc('month', m.treated_on)::date, m.device_type,
               m.manufacturer, m.model, ARRAY[%2$s]::bigint[]::text
        FROM models m GROUP BY 1, 2, 3, 4, 5
        UNION ALL
        SELECT 'model_total', NULL::date, m.device_type, m.manufacturer, m.model,
               ARRAY[%2$s]::bigint[]::text
        FROM models m GROUP BY 1, 2, 3, 4, 5
    ), kept_models AS (
        SELECT 'model_' || l.level AS kind, k.key_date, k.device_type, k.manufacturer,
               k.model, k.reports::text AS v
        FROM unnest(ARRAY['day', 'month', 'total']) AS l (level),
             needlewatch.kept_current_models(l.level) k
    ), known AS (  -- per treatment and type: the lag of its first known report
        SELECT t.report_id, t.treated_on, t.device_type, t.setting, k.ordinal,
               greatest(k.known - t.treated_on, 0) AS lag
        FROM t
        JOIN (SELECT x.treatment_id, coalesce(o.ordinal, -2) AS ordinal,
                     min((coalesce(x.reported_at, x.ingested_at) AT TIME ZONE 'UTC')::date)
                         AS known
              FROM needlewatch.complications x
              LEFT JOIN needlewatch.complication_catalogue o ON o.complication = x.type
              GROUP BY 1, 2) k ON k.treatment_id = t.report_id
    ), actual_lags AS (
        SELECT 'case_lag' AS kind,
               format('%%s %%s %%s %%s %%s', n.treated_on, n.device_type, n.setting, n.ordinal,
                      n.lag) AS key,
               count(*)::text AS v
        FROM (SELECT k.treated_on, k.device_type, k.setting, k.ordinal, k.lag
              FROM known k WHERE k.ordinal > 0
              UNION ALL
              SELECT k.treated_on, k.device_type, k.setting, 0, min(k.lag)
              FROM known k GROUP BY k.report_id, 1, 2, 3) n
        GROUP BY 1, 2
        UNION ALL
        SELECT 'report_delay', format('%%s %%s', k.treated_on, k.lag), count(*)::text
        FROM known k WHERE k.ordinal > 0 OR k.ordinal = -2
        GROUP BY 1, 2
    ), kept_lags AS (
        SELECT 'case_lag' AS kind,
               format('%%s %%s %%s %%s %%s', k.treated_on, k.device_type, k.setting, k.ordinal,
                      k.lag) AS key,
               sum(k.cases)::text AS v
        FROM (SELECT l.treated_on, l.device_type, l.setting, l.ordinal, l.lag, l.cases::bigint
                     AS cases
              FROM needlewatch_kept.case_lags l WHERE needlewatch_kept.watermark() IS NOT NULL
              UNION ALL
              SELECT c.treated_on, c.device_type, c.setting, c.ordinal, c.lag, c.reports
              FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
              WHERE c.kind = 'lag') k
        GROUP BY 1, 2 HAVING sum(k.cases) <> 0
        UNION ALL
        SELECT 'report_delay', format('%%s %%s', k.treated_on, k.lag), sum(k.cases)::text
        FROM needlewatch_kept.delay_rows(NULL) k
        GROUP BY 1, 2 HAVING sum(k.cases) <> 0
    )
    SELECT 'cell',
           format('%%s %%s %%s %%s', coalesce(k.treated_on, a.treated_on),
                  coalesce(k.device_type, a.device_type), coalesce(k.setting, a.setting),
                  CASE coalesce(k.fz, a.fz) WHEN 0 THEN 'unknown' WHEN 1 THEN 'I'
                       WHEN 2 THEN 'II' WHEN 3 THEN 'III' WHEN 4 THEN 'IV' WHEN 5 THEN 'V'
                       ELSE 'VI' END),
           k.v, a.v
    FROM kept_cells k
    FULL JOIN actual_cells a
           ON a.treated_on = k.treated_on AND a.device_type = k.device_type
          AND a.setting = k.setting AND a.fz = k.fz
    WHERE k.v IS DISTINCT FROM a.v
    UNION ALL
    SELECT coalesce(k.kind, a.kind),
           concat_ws(' ', coalesce(k.key_date, a.key_date),
                     coalesce(k.device_type, a.device_type),
                     coalesce(k.manufacturer, a.manufacturer, '-'),
                     coalesce(k.model, a.model, '-')),
           k.v, a.v
    FROM kept_models k
    FULL JOIN actual_models a
           ON a.kind = k.kind AND a.key_date IS NOT DISTINCT FROM k.key_date
          AND a.device_type = k.device_type
          AND a.manufacturer IS NOT DISTINCT FROM k.manufacturer
          AND a.model IS NOT DISTINCT FROM k.model
    WHERE k.v IS DISTINCT FROM a.v
    UNION ALL
    SELECT 'total', 'complication_reports', k.complication_reports::text, a.n::text
    FROM needlewatch.kept_totals k,
         (SELECT count(*) AS n FROM needlewatch.complications) a
    WHERE k.complication_reports <> a.n
    UNION ALL
    SELECT coalesce(k.kind, a.kind), coalesce(k.key, a.key), k.v, a.v
    FROM kept_lags k
    FULL JOIN actual_lags a ON a.kind = k.kind AND a.key = k.key
    WHERE k.v IS DISTINCT FROM a.v
    ORDER BY 1, 2
$$;
$fn$, needlewatch_kept.per_type('count(*) FILTER (WHERE c.ordinal = %1$s)'),
      needlewatch_kept.per_type('coalesce(sum(m.n) FILTER (WHERE m.ordinal = %1$s), 0)'),
      (SELECT max(ordinal) FROM needlewatch.complication_catalogue));
END
$gen$;

-- Ownership and privileges: 90_privileges.sql.

COMMIT;

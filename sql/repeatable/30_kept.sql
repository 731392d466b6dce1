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

-- Cumulative arrays (needlewatch_kept.risk_months): element h+1 is the
-- count for horizon h = 0..365 days, the last element holds for every
-- longer horizon, and '{}' is 0 throughout. cum_at() reads horizon h;
-- cum_add() adds two, and cuts the sum where its values stop changing, so
-- an array is only as long as the onsets it has seen. (cum_at has no SET
-- clause so that the planner can inline it.)
CREATE OR REPLACE FUNCTION needlewatch_kept.cum_at(a integer[], h integer)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(a[least(h + 1, cardinality(a))], 0)
$$;

CREATE OR REPLACE FUNCTION needlewatch_kept.cum_add(a integer[], b integer[])
RETURNS integer[] LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
-- A loop, not a query: the rollup calls it for every risk month it touches
-- and the recount for every risk month there is (a query over
-- generate_series took 4 times as long on arrays of 250 elements).
DECLARE
    na integer := coalesce(cardinality(a), 0);
    nb integer := coalesce(cardinality(b), 0);
    n integer := greatest(na, nb);
    r integer[] := '{}';
    tail integer;
    keep integer;
BEGIN
    FOR i IN 1 .. n LOOP
        r[i] := coalesce(a[least(i, na)], 0) + coalesce(b[least(i, nb)], 0);
    END LOOP;
    IF n = 0 THEN
        RETURN '{}';
    END IF;
    -- up to the last element unlike the final value, and one more
    tail := r[n];
    keep := n;
    WHILE keep > 0 AND r[keep] = tail LOOP
        keep := keep - 1;
    END LOOP;
    IF keep = 0 THEN
        RETURN CASE WHEN tail = 0 THEN '{}'::integer[] ELSE ARRAY[tail] END;
    END IF;
    RETURN r[1 : keep + 1];
END
$$;

-- The reporting lag: the UTC date of reported_at minus treated_on, in
-- days, in buckets (kept per bucket ordinal in cells.lag_treatments and
-- cells.lag_reports). Bucket 1 is a report without reported_at. The list is
-- this VALUES; lag_bucket() below is generated from it.
CREATE OR REPLACE FUNCTION needlewatch.reporting_lag_buckets()
RETURNS TABLE (ordinal integer, label text, min_days integer, max_days integer)
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    VALUES (1, 'not reported', NULL::integer, NULL::integer),
           (2, 'before the treatment date', NULL, -1),
           (3, 'same day', 0, 0),
           (4, 'next day', 1, 1),
           (5, '2-7 days', 2, 7),
           (6, '8-14 days', 8, 14),
           (7, '15-30 days', 15, 30),
           (8, '31-60 days', 31, 60),
           (9, '61-90 days', 61, 90),
           (10, '91-180 days', 91, 180),
           (11, '181-365 days', 181, 365),
           (12, 'more than 365 days', 366, NULL)
$$;
COMMENT ON FUNCTION needlewatch.reporting_lag_buckets() IS
    'The buckets of the reporting lag (the UTC date of reported_at minus treated_on, in days) '
    'that the kept counts and the report''s data-quality section use: ordinal, label, and the '
    'lag range [min_days, max_days] (NULL: open); bucket 1 is a report without reported_at.';

-- Every expression of fmt, once per lag bucket in ordinal order (%1$s: the
-- ordinal), joined by sep.
CREATE OR REPLACE FUNCTION needlewatch_kept.per_bucket(fmt text, sep text DEFAULT ', ')
RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT string_agg(format(fmt, b.ordinal), sep ORDER BY b.ordinal)
    FROM needlewatch.reporting_lag_buckets() b
$$;

DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch_kept.lag_bucket(reported_at timestamptz, treated_on date)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN reported_at IS NULL THEN 1 %s END
$$
$fn$, (SELECT string_agg(format('WHEN %s THEN %s',
                                concat_ws(' AND ',
                                          'true',
                                          CASE WHEN b.min_days IS NOT NULL THEN
                                              format('(reported_at AT TIME ZONE ''UTC'')::date - treated_on >= %s',
                                                     b.min_days) END,
                                          CASE WHEN b.max_days IS NOT NULL THEN
                                              format('(reported_at AT TIME ZONE ''UTC'')::date - treated_on <= %s',
                                                     b.max_days) END),
                                b.ordinal), ' ' ORDER BY b.ordinal)
           FROM needlewatch.reporting_lag_buckets() b WHERE b.ordinal > 1));
END
$gen$;

-- a + b element by element for the arrays per lag bucket (cells.lag_*),
-- generated like add().
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch_kept.add_lag(a integer[], b integer[])
RETURNS integer[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[%s]::integer[]
$$
$fn$, needlewatch_kept.per_bucket('coalesce(a[%1$s], 0) + coalesce(b[%1$s], 0)'));
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

-- Whether the caller's snapshot sees a report version the kept counts do
-- not hold yet (one with xid >= the watermark; or no watermark): only then
-- is there anything to fold in. The readers test it before they call
-- changes(), so that when the rollup has caught up (the usual case) they do
-- not even plan that big function: changes(w, NULL) would return nothing,
-- because it only looks at the versions with xid >= w that the same
-- snapshot sees.
CREATE OR REPLACE FUNCTION needlewatch_kept.pending()
RETURNS boolean LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT w IS NULL OR w <= 0
           OR EXISTS (SELECT 1 FROM needlewatch.treatment_versions v WHERE v.xid >= w)
           OR EXISTS (SELECT 1 FROM needlewatch.complication_versions v WHERE v.xid >= w)
    FROM (SELECT needlewatch_kept.watermark() AS w) x
$$;

-- How the counts change from the versions with xid < w to those with
-- xid < h (h NULL: every version the caller's snapshot sees). Rows, each
-- with its sign (-1: before, +1: after):
--   ordinal 0    one per touched treatment and side that has a cell at that
--                side: reports = its complication reports, and its facts
--                for "any complication" (below); no_model: it names no
--                manufacturer or no model; lag: the lag bucket of its own
--                reported_at; reported_on: that date (UTC)
--   ordinal i    one more per type of its reports: reports of that type and
--                the facts for that type
--   ordinal -2   the same for a type the catalogue does not list (only when
--                its constraint was dropped by hand: the analyzer then
--                refuses to count rather than count wrong)
--   ordinal -3   per lag bucket of its complication reports (lag; reports =
--                how many)
--   ordinal -1   rows whose reports add up, per side and reported_at date
--                (reported_on, UTC), to the complication reports that side
--                counts in the totals, orphans included.
-- The facts of a treatment for a type C (or any type), from its current
-- reports of C:
--   e    the effective onset: the least onset_days, a missing one counting
--        as 0 (it cannot be ruled out): a case within H days when e <= H
--   ek   the least onset_days that is known (NULL: none): a case within H
--        rests on a missing onset when it has one (miss) and ek > H
--   miss whether a report has no onset_days
--   es   the effective onset of its serious reports (severity severe or
--        outcome permanent; NULL: none is serious)
--   no_onset  how many of its reports have no onset_days
--   known     when its cases were first known: the earliest UTC day of
--             coalesce(reported_at, ingested_at) of those reports, for the
--             alerts' counts (015: case_lags, report_delays)
-- w <= 0 (a recount) reads every version once (counts_at()); otherwise only
-- the reports with a version in [w, h) are touched (between()). Both read
-- narrow columns and sort report ids byte-wise (COLLATE "C"): a recount of
-- a million reports sorts in memory (work_mem).
-- Dropped first: their columns change with the kept counts.
DROP FUNCTION IF EXISTS needlewatch_kept.changes(bigint, bigint);
DROP FUNCTION IF EXISTS needlewatch_kept.transitions(bigint, bigint);
DROP FUNCTION IF EXISTS needlewatch_kept.counts_at(bigint);
DROP FUNCTION IF EXISTS needlewatch_kept.between(bigint, bigint);
CREATE FUNCTION needlewatch_kept.counts_at(h bigint)
RETURNS TABLE (sign integer, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, ordinal integer,
               reports bigint, e integer, ek integer, miss boolean, es integer,
               no_onset bigint, no_model boolean, lag integer, reported_on date,
               known date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp SET work_mem = '256MB'
SET jit = off AS $$
    WITH t AS MATERIALIZED (           -- every treatment's current version at h
        SELECT DISTINCT ON (v.report_id COLLATE "C") v.report_id, v.nullified, v.treated_on,
               v.device_type, v.setting, v.fitzpatrick, v.manufacturer, v.model, v.reported_at
        FROM needlewatch.treatment_versions v
        WHERE h IS NULL OR coalesce(v.xid, 0) < h
        ORDER BY v.report_id COLLATE "C", v.version DESC
    ), c AS MATERIALIZED (             -- every complication's current version at h
        SELECT DISTINCT ON (v.report_id COLLATE "C") v.treatment_id, v.type, v.nullified,
               v.severity, v.onset_days, v.outcome, v.reported_at,
               (coalesce(v.reported_at, v.ingested_at) AT TIME ZONE 'UTC')::date AS known
        FROM needlewatch.complication_versions v
        WHERE h IS NULL OR coalesce(v.xid, 0) < h
        ORDER BY v.report_id COLLATE "C", v.version DESC
    ), per_type AS MATERIALIZED (
        SELECT c.treatment_id, coalesce(o.ordinal, -2) AS ordinal, count(*) AS reports,
               min(coalesce(c.onset_days, 0)) AS e, min(c.onset_days) AS ek,
               bool_or(c.onset_days IS NULL) AS miss,
               min(coalesce(c.onset_days, 0))
                   FILTER (WHERE c.severity = 'severe' OR c.outcome = 'permanent') AS es,
               count(*) FILTER (WHERE c.onset_days IS NULL) AS no_onset, min(c.known) AS known
        FROM c
        LEFT JOIN needlewatch.complication_catalogue o ON o.complication = c.type
        WHERE NOT c.nullified
        GROUP BY 1, 2
    ), per_any AS (
        SELECT p.treatment_id, sum(p.reports) AS reports, min(p.e) AS e, min(p.ek) AS ek,
               bool_or(p.miss) AS miss, min(p.es) AS es, sum(p.no_onset) AS no_onset,
               min(p.known) AS known
        FROM per_type p GROUP BY 1
    ), lags AS (
        SELECT c.treatment_id, needlewatch_kept.lag_bucket(c.reported_at, t.treated_on) AS lag,
               count(*) AS reports
        FROM c JOIN t ON t.report_id = c.treatment_id
        WHERE NOT c.nullified AND NOT t.nullified
        GROUP BY 1, 2
    )
    SELECT 1, t.treated_on, t.device_type, t.setting, t.fitzpatrick, t.manufacturer, t.model,
           0, coalesce(r.reports, 0), r.e, r.ek, r.miss, r.es, coalesce(r.no_onset, 0),
           t.manufacturer IS NULL OR t.model IS NULL,
           needlewatch_kept.lag_bucket(t.reported_at, t.treated_on),
           (t.reported_at AT TIME ZONE 'UTC')::date, r.known
    FROM t
    LEFT JOIN per_any r ON r.treatment_id = t.report_id
    WHERE NOT t.nullified
    UNION ALL
    SELECT 1, t.treated_on, t.device_type, t.setting, t.fitzpatrick, t.manufacturer, t.model,
           p.ordinal, p.reports, p.e, p.ek, p.miss, p.es, p.no_onset, NULL, NULL, NULL, p.known
    FROM t
    JOIN per_type p ON p.treatment_id = t.report_id
    WHERE NOT t.nullified
    UNION ALL
    SELECT 1, t.treated_on, t.device_type, t.setting, t.fitzpatrick, NULL, NULL, -3,
           l.reports, NULL, NULL, NULL, NULL, NULL, NULL, l.lag, NULL, NULL
    FROM t
    JOIN lags l ON l.treatment_id = t.report_id
    UNION ALL
    SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, -1, count(*), NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, (c.reported_at AT TIME ZONE 'UTC')::date, NULL
    FROM c WHERE NOT c.nullified
    GROUP BY (c.reported_at AT TIME ZONE 'UTC')::date
$$;

-- The reports it touches are a few batches' worth, found through the BRIN
-- on xid, and every lookup in a report table is an index probe per report
-- (LATERAL, with OFFSET 0 so that it is not flattened into a join): the
-- planner, misled by the estimates of the CTEs, would otherwise read whole
-- tables to join a few thousand rows. (A backlog too
-- large for that is recounted instead: rollup().)
CREATE FUNCTION needlewatch_kept.between(w bigint, h bigint)
RETURNS TABLE (sign integer, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, ordinal integer,
               reports bigint, e integer, ek integer, miss boolean, es integer,
               no_onset bigint, no_model boolean, lag integer, reported_on date,
               known date)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp SET work_mem = '256MB'
SET jit = off AS $$
    WITH new_c AS MATERIALIZED (       -- complication reports with a new version
        SELECT DISTINCT v.report_id
        FROM needlewatch.complication_versions v
        WHERE v.xid >= w AND (h IS NULL OR v.xid < h)
    ), cv AS MATERIALIZED (            -- all their versions
        SELECT n.report_id, v.version, v.treatment_id, v.nullified, v.reported_at, v.xid
        FROM new_c n
        CROSS JOIN LATERAL (
            SELECT x.version, x.treatment_id, x.nullified, x.reported_at,
                   coalesce(x.xid, 0) AS xid
            FROM needlewatch.complication_versions x WHERE x.report_id = n.report_id
            OFFSET 0) v
    ), c_cuts AS MATERIALIZED (        -- the treatment each names before and after
        SELECT b.treatment_id AS b_treatment, a.treatment_id AS a_treatment,  -- (NULL: none)
               b.reported_on AS b_reported_on, a.reported_on AS a_reported_on
        FROM (SELECT DISTINCT ON (cv.report_id COLLATE "C") cv.report_id,
                     CASE WHEN NOT cv.nullified THEN cv.treatment_id END AS treatment_id,
                     (cv.reported_at AT TIME ZONE 'UTC')::date AS reported_on
              FROM cv WHERE cv.xid < w
              ORDER BY cv.report_id COLLATE "C", cv.version DESC) b
        FULL JOIN
             (SELECT DISTINCT ON (cv.report_id COLLATE "C") cv.report_id,
                     CASE WHEN NOT cv.nullified THEN cv.treatment_id END AS treatment_id,
                     (cv.reported_at AT TIME ZONE 'UTC')::date AS reported_on
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
               v.fitzpatrick, v.manufacturer, v.model, v.reported_at, v.xid
        FROM touched t
        CROSS JOIN LATERAL (
            SELECT x.version, x.nullified, x.treated_on, x.device_type, x.setting,
                   x.fitzpatrick, x.manufacturer, x.model, x.reported_at,
                   coalesce(x.xid, 0) AS xid
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
        SELECT n.report_id, v.version, v.treatment_id, v.type, v.nullified, v.severity,
               v.onset_days, v.outcome, v.reported_at, v.xid, v.known
        FROM k_names n
        CROSS JOIN LATERAL (
            SELECT x.version, x.treatment_id, x.type, x.nullified, x.severity, x.onset_days,
                   x.outcome, x.reported_at, coalesce(x.xid, 0) AS xid,
                   (coalesce(x.reported_at, x.ingested_at) AT TIME ZONE 'UTC')::date AS known
            FROM needlewatch.complication_versions x WHERE x.report_id = n.report_id
            OFFSET 0) v
    ), k_sides AS MATERIALIZED (       -- which treatment each names, at each cut
        SELECT -1 AS sign, b.treatment_id, b.type, b.severity, b.onset_days, b.outcome,
               b.reported_at, b.known
        FROM (SELECT DISTINCT ON (kv.report_id COLLATE "C") kv.*
              FROM kv WHERE kv.xid < w
              ORDER BY kv.report_id COLLATE "C", kv.version DESC) b
        WHERE NOT b.nullified
        UNION ALL
        SELECT 1, a.treatment_id, a.type, a.severity, a.onset_days, a.outcome, a.reported_at,
               a.known
        FROM (SELECT DISTINCT ON (kv.report_id COLLATE "C") kv.*
              FROM kv WHERE h IS NULL OR kv.xid < h
              ORDER BY kv.report_id COLLATE "C", kv.version DESC) a
        WHERE NOT a.nullified
    ), per_type AS MATERIALIZED (      -- ordinal -2: a type the catalogue lacks
        SELECT k.sign, k.treatment_id, coalesce(o.ordinal, -2) AS ordinal, count(*) AS reports,
               min(coalesce(k.onset_days, 0)) AS e, min(k.onset_days) AS ek,
               bool_or(k.onset_days IS NULL) AS miss,
               min(coalesce(k.onset_days, 0))
                   FILTER (WHERE k.severity = 'severe' OR k.outcome = 'permanent') AS es,
               count(*) FILTER (WHERE k.onset_days IS NULL) AS no_onset, min(k.known) AS known
        FROM k_sides k                 -- (rows of untouched treatments join no side below)
        LEFT JOIN needlewatch.complication_catalogue o ON o.complication = k.type
        GROUP BY 1, 2, 3
    ), per_any AS (
        SELECT p.sign, p.treatment_id, sum(p.reports) AS reports, min(p.e) AS e,
               min(p.ek) AS ek, bool_or(p.miss) AS miss, min(p.es) AS es,
               sum(p.no_onset) AS no_onset, min(p.known) AS known
        FROM per_type p GROUP BY 1, 2
    ), lags AS (
        SELECT k.sign, k.treatment_id,
               needlewatch_kept.lag_bucket(k.reported_at, s.treated_on) AS lag,
               count(*) AS reports
        FROM k_sides k
        JOIN t_sides s ON s.sign = k.sign AND s.report_id = k.treatment_id
        GROUP BY 1, 2, 3
    )
    SELECT s.sign, s.treated_on, s.device_type, s.setting, s.fitzpatrick, s.manufacturer,
           s.model, 0, coalesce(r.reports, 0), r.e, r.ek, r.miss, r.es, coalesce(r.no_onset, 0),
           s.manufacturer IS NULL OR s.model IS NULL,
           needlewatch_kept.lag_bucket(s.reported_at, s.treated_on),
           (s.reported_at AT TIME ZONE 'UTC')::date, r.known
    FROM t_sides s
    LEFT JOIN per_any r ON r.sign = s.sign AND r.treatment_id = s.report_id
    UNION ALL
    SELECT s.sign, s.treated_on, s.device_type, s.setting, s.fitzpatrick, s.manufacturer,
           s.model, p.ordinal, p.reports, p.e, p.ek, p.miss, p.es, p.no_onset, NULL, NULL, NULL,
           p.known
    FROM t_sides s
    JOIN per_type p ON p.sign = s.sign AND p.treatment_id = s.report_id
    UNION ALL
    SELECT s.sign, s.treated_on, s.device_type, s.setting, s.fitzpatrick, NULL, NULL, -3,
           l.reports, NULL, NULL, NULL, NULL, NULL, NULL, l.lag, NULL, NULL
    FROM t_sides s
    JOIN lags l ON l.sign = s.sign AND l.treatment_id = s.report_id
    UNION ALL
    SELECT -1, NULL, NULL, NULL, NULL, NULL, NULL, -1, count(*), NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, c.b_reported_on, NULL
    FROM c_cuts c WHERE c.b_treatment IS NOT NULL
    GROUP BY c.b_reported_on
    UNION ALL
    SELECT 1, NULL, NULL, NULL, NULL, NULL, NULL, -1, count(*), NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, c.a_reported_on, NULL
    FROM c_cuts c WHERE c.a_treatment IS NOT NULL
    GROUP BY c.a_reported_on
$$;

CREATE FUNCTION needlewatch_kept.transitions(w bigint, h bigint)
RETURNS TABLE (sign integer, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, ordinal integer,
               reports bigint, e integer, ek integer, miss boolean, es integer,
               no_onset bigint, no_model boolean, lag integer, reported_on date,
               known date)
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
--                       counts[i], the cases of the type of ordinal i;
--                       unknown, those of a type the catalogue lacks;
--                       serious_any and serious[i], the serious cases;
--                       no_model, reports_no_onset, and lag_treatments[b],
--                       lag_reports[b] per lag bucket b
--   kind 'model_day'    treated_on, device_type, manufacturer, model:
--                       counts[i], the reports of the type of ordinal i
--   kind 'model_month'  the same, treated_on the first day of its month
--   kind 'model_total'  the same, without treated_on
--   kind 'total'        reports: the change of the complication reports
--   kind 'risk_day'     treated_on, device_type, setting, fitzpatrick,
--                       ordinal (0: any), h_from: n_cases, n_serious, n_missing,
--                       what the cases add to every horizon from h_from on
--   kind 'risk_month'   the same per month (treated_on its first day), as
--                       cumulative arrays cum_cases, cum_serious, cum_missing
--                       (element h+1: horizon h; the last holds beyond)
--   kind 'reported_day' treated_on: a reported_at date; setting: the kind of
--                       report ('treatment', 'complication'); treatments: the
--                       change of the current reports of that kind and date
--   kind 'lag'          treated_on, device_type, setting, ordinal (0: any
--                       type), lag (days from treated_on to the cases' first
--                       known report, 0 at least): reports, the change of
--                       the cases (needlewatch_kept.case_lags, 015)
--   kind 'delay'        treated_on, lag: reports, the change of the
--                       (treatment, type) cases, every type
--                       (needlewatch_kept.report_delays, 015)
-- Rows whose changes are all 0 are left out. The generated parts: %1$s the
-- cases per type, %2$s the reports per type, %3$s the serious cases per
-- type, %4$s and %5$s the treatments and the complication reports per lag
-- bucket.
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE FUNCTION needlewatch_kept.changes(w bigint, h bigint)
RETURNS TABLE (kind text, treated_on date, device_type text, setting text,
               fitzpatrick smallint, manufacturer text, model text, treatments bigint,
               cases_any bigint, reports bigint, counts integer[], serious_any bigint,
               serious integer[], no_model bigint, reports_no_onset bigint,
               lag_treatments integer[], lag_reports integer[], ordinal integer, h_from integer,
               n_cases bigint, n_serious bigint, n_missing bigint, cum_cases integer[],
               cum_serious integer[], cum_missing integer[], unknown bigint, lag integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH t AS MATERIALIZED (
        SELECT * FROM needlewatch_kept.transitions(w, h)
    ), cell AS (
        SELECT t.treated_on, t.device_type, t.setting, coalesce(t.fitzpatrick, 0)::smallint AS fz,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = 0), 0) AS treatments,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = 0 AND t.reports > 0), 0) AS cases_any,
               coalesce(sum(t.sign * t.reports) FILTER (WHERE t.ordinal = 0), 0) AS reports,
               ARRAY[%1$s]::integer[] AS counts,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = 0 AND t.es IS NOT NULL), 0)
                   AS serious_any,
               ARRAY[%3$s]::integer[] AS serious,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = 0 AND t.no_model), 0) AS no_model,
               coalesce(sum(t.sign * t.no_onset) FILTER (WHERE t.ordinal = 0), 0)
                   AS reports_no_onset,
               ARRAY[%4$s]::integer[] AS lag_treatments,
               ARRAY[%5$s]::integer[] AS lag_reports,
               coalesce(sum(t.sign) FILTER (WHERE t.ordinal = -2), 0) AS unknown
        FROM t WHERE t.ordinal <> -1
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
    ), rd AS MATERIALIZED (           -- what each case adds from horizon h on
        SELECT t.treated_on, t.device_type, t.setting, coalesce(t.fitzpatrick, 0)::smallint AS fz,
               t.ordinal, d.h, sum(t.sign * d.c) AS n_cases, sum(t.sign * d.s) AS n_serious,
               sum(t.sign * d.m) AS n_missing
        FROM t
        CROSS JOIN LATERAL (VALUES (t.e, 1, 0, 0), (t.es, 0, 1, 0),
                                   (CASE WHEN t.miss THEN 0 END, 0, 0, 1),
                                   (CASE WHEN t.miss THEN t.ek END, 0, 0, -1)) AS d (h, c, s, m)
        WHERE t.ordinal >= 0 AND t.e IS NOT NULL AND d.h IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
    ), rm AS (
        SELECT date_trunc('month', r.treated_on)::date AS month, r.device_type, r.setting, r.fz,
               r.ordinal, r.h, sum(r.n_cases) AS c, sum(r.n_serious) AS s,
               sum(r.n_missing) AS m
        FROM rd r
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(r.n_cases) <> 0 OR sum(r.n_serious) <> 0 OR sum(r.n_missing) <> 0
    ), rm_cum AS (                    -- running sums over h = 0 .. the last change:
        -- each change's running sum fills the horizons up to the next change
        -- (the first change's also those before it, with 0), so no horizon
        -- has to be looked up
        SELECT g.month, g.device_type, g.setting, g.fz, g.ordinal,
               array_agg(CASE WHEN x.h < g.h THEN 0 ELSE g.c END ORDER BY x.h)::integer[] AS c,
               array_agg(CASE WHEN x.h < g.h THEN 0 ELSE g.s END ORDER BY x.h)::integer[] AS s,
               array_agg(CASE WHEN x.h < g.h THEN 0 ELSE g.m END ORDER BY x.h)::integer[] AS m
        FROM (SELECT r.month, r.device_type, r.setting, r.fz, r.ordinal, r.h,
                     sum(r.c) OVER w AS c, sum(r.s) OVER w AS s, sum(r.m) OVER w AS m,
                     lead(r.h) OVER w AS next_h, row_number() OVER w AS i
              FROM rm r
              WINDOW w AS (PARTITION BY r.month, r.device_type, r.setting, r.fz, r.ordinal
                           ORDER BY r.h)) g
        CROSS JOIN LATERAL generate_series(CASE WHEN g.i = 1 THEN 0 ELSE g.h END,
                                           coalesce(g.next_h - 1, g.h)) AS x (h)
        GROUP BY 1, 2, 3, 4, 5
    ), case_lag AS (
        SELECT t.treated_on, t.device_type, t.setting, t.ordinal,
               greatest(t.known - t.treated_on, 0) AS lag, sum(t.sign) AS n
        FROM t WHERE t.ordinal > 0 OR (t.ordinal = 0 AND t.reports > 0)
        GROUP BY 1, 2, 3, 4, 5
    ), delay AS (
        SELECT t.treated_on, greatest(t.known - t.treated_on, 0) AS lag, sum(t.sign) AS n
        FROM t WHERE t.ordinal > 0 OR t.ordinal = -2
        GROUP BY 1, 2
    ), reported AS (
        SELECT t.reported_on, CASE WHEN t.ordinal = 0 THEN 'treatment' ELSE 'complication' END
                   AS kind, sum(t.sign * CASE WHEN t.ordinal = 0 THEN 1 ELSE t.reports END) AS n
        FROM t WHERE t.ordinal IN (0, -1) AND t.reported_on IS NOT NULL
        GROUP BY 1, 2
        HAVING sum(t.sign * CASE WHEN t.ordinal = 0 THEN 1 ELSE t.reports END) <> 0
    )
    SELECT 'cell', c.treated_on, c.device_type, c.setting, c.fz, NULL, NULL,
           c.treatments, c.cases_any, c.reports, c.counts, c.serious_any, c.serious,
           c.no_model, c.reports_no_onset, c.lag_treatments, c.lag_reports,
           NULL::integer, NULL::integer, NULL::bigint, NULL::bigint, NULL::bigint,
           NULL::integer[], NULL::integer[], NULL::integer[], c.unknown, NULL::integer
    FROM cell c
    WHERE c.treatments <> 0 OR c.cases_any <> 0 OR c.reports <> 0 OR c.unknown <> 0
       OR c.counts <> array_fill(0, ARRAY[cardinality(c.counts)])
       OR c.serious_any <> 0 OR c.serious <> array_fill(0, ARRAY[cardinality(c.serious)])
       OR c.no_model <> 0 OR c.reports_no_onset <> 0
       OR c.lag_treatments <> array_fill(0, ARRAY[cardinality(c.lag_treatments)])
       OR c.lag_reports <> array_fill(0, ARRAY[cardinality(c.lag_reports)])
    UNION ALL
    SELECT 'model_day', m.treated_on, m.device_type, NULL, NULL, m.manufacturer, m.model,
           NULL, NULL, NULL, m.counts, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM model m WHERE m.counts <> array_fill(0, ARRAY[cardinality(m.counts)])
    UNION ALL
    SELECT 'model_month', m.month, m.device_type, NULL, NULL, m.manufacturer, m.model,
           NULL, NULL, NULL, m.counts, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM month m WHERE m.counts <> array_fill(0, ARRAY[cardinality(m.counts)])
    UNION ALL
    SELECT 'model_total', NULL, m.device_type, NULL, NULL, m.manufacturer, m.model,
           NULL, NULL, NULL, m.counts, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    FROM total m WHERE m.counts <> array_fill(0, ARRAY[cardinality(m.counts)])
    UNION ALL
    SELECT 'total', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, sum(t.sign * t.reports),
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL
    FROM t WHERE t.ordinal = -1
    HAVING sum(t.sign * t.reports) <> 0
    UNION ALL
    SELECT 'risk_day', r.treated_on, r.device_type, r.setting, r.fz, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.ordinal, r.h, r.n_cases,
           r.n_serious, r.n_missing, NULL, NULL, NULL, NULL, NULL
    FROM rd r WHERE r.n_cases <> 0 OR r.n_serious <> 0 OR r.n_missing <> 0
    UNION ALL
    SELECT 'risk_month', r.month, r.device_type, r.setting, r.fz, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, r.ordinal, NULL, NULL, NULL, NULL,
           r.c, r.s, r.m, NULL, NULL
    FROM rm_cum r
    UNION ALL
    SELECT 'reported_day', r.reported_on, NULL, r.kind, NULL, NULL, NULL, r.n, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL
    FROM reported r
    UNION ALL
    SELECT 'lag', l.treated_on, l.device_type, l.setting, NULL, NULL, NULL, NULL, NULL, l.n,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, l.ordinal, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, l.lag
    FROM case_lag l WHERE l.n <> 0
    UNION ALL
    SELECT 'delay', d.treated_on, NULL, NULL, NULL, NULL, NULL, NULL, NULL, d.n, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           d.lag
    FROM delay d WHERE d.n <> 0
$$
$fn$, needlewatch_kept.per_type('coalesce(sum(t.sign) FILTER (WHERE t.ordinal = %1$s), 0)'),
      needlewatch_kept.per_type('coalesce(sum(t.sign * t.reports) FILTER (WHERE t.ordinal = %1$s), 0)'),
      needlewatch_kept.per_type('coalesce(sum(t.sign) FILTER (WHERE t.ordinal = %1$s AND t.es IS NOT NULL), 0)'),
      needlewatch_kept.per_bucket('coalesce(sum(t.sign) FILTER (WHERE t.ordinal = 0 AND t.lag = %1$s), 0)'),
      needlewatch_kept.per_bucket('coalesce(sum(t.sign * t.reports) FILTER (WHERE t.ordinal = -3 AND t.lag = %1$s), 0)'));
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
                 needlewatch_kept.risk_months, needlewatch_kept.risk_days,
                 needlewatch_kept.reported_days, needlewatch_kept.case_lags,
                 needlewatch_kept.report_delays;
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
             serious_any, serious, no_model, reports_no_onset, lag_treatments, lag_reports,
             unknown)
        SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.treatments, c.cases_any,
               c.reports, c.counts, c.serious_any, c.serious, c.no_model, c.reports_no_onset,
               c.lag_treatments, c.lag_reports, c.unknown
        FROM c WHERE c.kind = 'cell'
        ORDER BY 1, 2, 3, 4
        ON CONFLICT (treated_on, device_type, setting, fitzpatrick) DO UPDATE
        SET treatments = k.treatments + EXCLUDED.treatments,
            cases_any = k.cases_any + EXCLUDED.cases_any,
            reports = k.reports + EXCLUDED.reports,
            cases = needlewatch_kept.add(k.cases, EXCLUDED.cases),
            serious_any = k.serious_any + EXCLUDED.serious_any,
            serious = needlewatch_kept.add(k.serious, EXCLUDED.serious),
            no_model = k.no_model + EXCLUDED.no_model,
            reports_no_onset = k.reports_no_onset + EXCLUDED.reports_no_onset,
            lag_treatments = needlewatch_kept.add_lag(k.lag_treatments, EXCLUDED.lag_treatments),
            lag_reports = needlewatch_kept.add_lag(k.lag_reports, EXCLUDED.lag_reports),
            unknown = k.unknown + EXCLUDED.unknown
        RETURNING 1
    ), risk_days AS (
        INSERT INTO needlewatch_kept.risk_days AS k
            (treated_on, device_type, setting, fitzpatrick, ordinal, h, n_cases, n_serious,
             n_missing)
        SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.ordinal, c.h_from,
               c.n_cases, c.n_serious, c.n_missing
        FROM c WHERE c.kind = 'risk_day'
        ORDER BY 1, 2, 3, 4, 5, 6
        ON CONFLICT ON CONSTRAINT risk_days_pkey DO UPDATE
        SET n_cases = k.n_cases + EXCLUDED.n_cases,
            n_serious = k.n_serious + EXCLUDED.n_serious,
            n_missing = k.n_missing + EXCLUDED.n_missing
        RETURNING 1
    ), risk_months AS (
        INSERT INTO needlewatch_kept.risk_months AS k
            (month, device_type, setting, fitzpatrick, ordinal, cases, serious, missing)
        SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.ordinal,
               needlewatch_kept.cum_add(c.cum_cases, '{}'),
               needlewatch_kept.cum_add(c.cum_serious, '{}'),
               needlewatch_kept.cum_add(c.cum_missing, '{}')
        FROM c WHERE c.kind = 'risk_month'
        ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (month, device_type, setting, fitzpatrick, ordinal) DO UPDATE
        SET cases = needlewatch_kept.cum_add(k.cases, EXCLUDED.cases),
            serious = needlewatch_kept.cum_add(k.serious, EXCLUDED.serious),
            missing = needlewatch_kept.cum_add(k.missing, EXCLUDED.missing)
        RETURNING 1
    ), reported_days AS (
        INSERT INTO needlewatch_kept.reported_days AS k (kind, reported_on, n)
        SELECT c.setting, c.treated_on, c.treatments
        FROM c WHERE c.kind = 'reported_day'
        ORDER BY 1, 2
        ON CONFLICT (kind, reported_on) DO UPDATE SET n = k.n + EXCLUDED.n
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
    )
    SELECT (SELECT count(*) FROM cells) + (SELECT count(*) FROM days)
           + (SELECT count(*) FROM months) + (SELECT count(*) FROM totals)
           + (SELECT count(*) FROM reports) + (SELECT count(*) FROM risk_days)
           + (SELECT count(*) FROM risk_months) + (SELECT count(*) FROM reported_days)
           + (SELECT count(*) FROM lags) + (SELECT count(*) FROM delays)
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
-- summed by the caller. Dropped first when its columns change (014), with
-- the readers whose columns changed with it.
DROP VIEW IF EXISTS needlewatch.kept_cells;
DROP FUNCTION IF EXISTS needlewatch.kept_current_cells();
DROP FUNCTION IF EXISTS needlewatch.kept_cube(date, date);
DROP FUNCTION IF EXISTS needlewatch_kept.cell_rows();
CREATE FUNCTION needlewatch_kept.cell_rows()
RETURNS TABLE (treated_on date, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, reports bigint, cases integer[],
               serious_any bigint, serious integer[], no_model bigint, reports_no_onset bigint,
               lag_treatments integer[], lag_reports integer[], unknown bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick, k.treatments, k.cases_any,
           k.reports, k.cases, k.serious_any, k.serious, k.no_model, k.reports_no_onset,
           k.lag_treatments, k.lag_reports, k.unknown
    FROM needlewatch_kept.cells k
    WHERE needlewatch_kept.watermark() IS NOT NULL
    UNION ALL
    SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.treatments, c.cases_any,
           c.reports, c.counts, c.serious_any, c.serious, c.no_model, c.reports_no_onset,
           c.lag_treatments, c.lag_reports, c.unknown
    FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
    WHERE needlewatch_kept.pending() AND c.kind = 'cell'
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
    WHERE needlewatch_kept.pending() AND c.kind = 'model_' || level
$$;

-- The same for the risk counts, for kept_cells_check(): per day (the
-- changes of risk_days) and per month (the cumulative arrays of
-- risk_months, to be added with cum_add()). The report reads the tables
-- itself (kept_risks()), only the days it needs.
CREATE OR REPLACE FUNCTION needlewatch_kept.risk_day_rows()
RETURNS TABLE (treated_on date, device_type text, setting text, fitzpatrick smallint,
               ordinal integer, h integer, n_cases bigint, n_serious bigint, n_missing bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick, k.ordinal, k.h, k.n_cases,
           k.n_serious, k.n_missing
    FROM needlewatch_kept.risk_days k
    WHERE needlewatch_kept.watermark() IS NOT NULL
    UNION ALL
    SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.ordinal, c.h_from, c.n_cases,
           c.n_serious, c.n_missing
    FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
    WHERE needlewatch_kept.pending() AND c.kind = 'risk_day'
$$;

CREATE OR REPLACE FUNCTION needlewatch_kept.risk_month_rows()
RETURNS TABLE (month date, device_type text, setting text, fitzpatrick smallint,
               ordinal integer, cases integer[], serious integer[], missing integer[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.month, k.device_type, k.setting, k.fitzpatrick, k.ordinal, k.cases, k.serious,
           k.missing
    FROM needlewatch_kept.risk_months k
    WHERE needlewatch_kept.watermark() IS NOT NULL
    UNION ALL
    SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.ordinal, c.cum_cases,
           c.cum_serious, c.cum_missing
    FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
    WHERE needlewatch_kept.pending() AND c.kind = 'risk_month'
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
    WHERE needlewatch_kept.pending() AND c.kind = 'delay'
      AND c.treated_on <= coalesce(last_day, 'infinity'::date)
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
          WHERE needlewatch_kept.pending() AND c.kind = 'lag' AND c.lag > report_days
            AND c.treated_on BETWEEN f AND t) k
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

-- The sum of cumulative arrays (an aggregate of cum_add()).
CREATE OR REPLACE AGGREGATE needlewatch_kept.cum_sum(integer[]) (
    SFUNC = needlewatch_kept.cum_add, STYPE = integer[], INITCOND = '{}'
);

-- The readers that sum arrays, generated from the catalogue (see the header):
-- %1$s is one sum per type of the cells' cases, %2$s the same of the models'
-- reports, %3$s the number of types, %4$s the sums of the serious cases per
-- type, %5$s and %6$s those of the lag buckets, %7$s the number of buckets.
DO $gen$
DECLARE
    cases_sums text := needlewatch_kept.per_type('sum(k.cases[%1$s])');
    report_sums text := needlewatch_kept.per_type('sum(k.reports[%1$s])');
    n integer := (SELECT max(ordinal) FROM needlewatch.complication_catalogue);
    serious_sums text := needlewatch_kept.per_type('coalesce(sum(k.serious[%1$s]), 0)');
    lag_t_sums text := needlewatch_kept.per_bucket('coalesce(sum(k.lag_treatments[%1$s]), 0)');
    lag_r_sums text := needlewatch_kept.per_bucket('coalesce(sum(k.lag_reports[%1$s]), 0)');
    buckets integer := (SELECT max(ordinal) FROM needlewatch.reporting_lag_buckets());
BEGIN
    EXECUTE format($fn$
-- The current counts per day and cell (rows of zeros left out).
CREATE FUNCTION needlewatch.kept_current_cells()
RETURNS TABLE (treated_on date, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, reports bigint, cases bigint[],
               serious_any bigint, serious bigint[], no_model bigint, reports_no_onset bigint,
               lag_treatments bigint[], lag_reports bigint[], unknown bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick, sum(k.treatments)::bigint,
           sum(k.cases_any)::bigint, sum(k.reports)::bigint, ARRAY[%1$s]::bigint[],
           sum(k.serious_any)::bigint, ARRAY[%4$s]::bigint[],
           sum(k.no_model)::bigint, sum(k.reports_no_onset)::bigint, ARRAY[%5$s]::bigint[],
           ARRAY[%6$s]::bigint[], sum(k.unknown)::bigint
    FROM needlewatch_kept.cell_rows() k
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.treatments) <> 0 OR sum(k.cases_any) <> 0 OR sum(k.reports) <> 0
        OR sum(k.unknown) <> 0
        OR ARRAY[%1$s]::bigint[] <> array_fill(0::bigint, ARRAY[%3$s])
        OR sum(k.serious_any) <> 0 OR sum(k.no_model) <> 0 OR sum(k.reports_no_onset) <> 0
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
-- fitzpatrick); cases[i] and serious[i] are the type of ordinal i in the
-- catalogue, and unknown_type the cases of a type it does not list (0
-- unless its constraint was dropped by hand). SECURITY DEFINER: the analyst
-- reads no table. The hot readers (this, kept_surveillance(), kept_quality())
-- read the table and changes() themselves, only the columns they need:
-- through cell_rows() every row of every column would be copied first.
CREATE FUNCTION needlewatch.kept_cube(from_date date, to_date date)
RETURNS TABLE (in_window boolean, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, reports bigint, cases bigint[],
               unknown_type bigint, serious_any bigint, serious bigint[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT k.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                            AND coalesce(to_date, 'infinity'::date),
           k.device_type, k.setting, nullif(k.fitzpatrick, 0)::smallint,
           sum(k.treatments)::bigint, sum(k.cases_any)::bigint, sum(k.reports)::bigint,
           ARRAY[%1$s]::bigint[], sum(k.unknown)::bigint, sum(k.serious_any)::bigint,
           ARRAY[%4$s]::bigint[]
    FROM (SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick, k.treatments,
                 k.cases_any, k.reports, k.cases, k.serious_any, k.serious, k.unknown
          FROM needlewatch_kept.cells k
          WHERE needlewatch_kept.watermark() IS NOT NULL
          UNION ALL
          SELECT c.treated_on, c.device_type, c.setting, c.fitzpatrick, c.treatments::integer,
                 c.cases_any::integer, c.reports::integer, c.counts, c.serious_any::integer,
                 c.serious, c.unknown::integer
          FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
          WHERE needlewatch_kept.pending() AND c.kind = 'cell') k
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.treatments) <> 0 OR sum(k.cases_any) <> 0 OR sum(k.reports) <> 0
        OR ARRAY[%1$s]::bigint[] <> array_fill(0::bigint, ARRAY[%3$s])
        OR sum(k.serious_any) <> 0 OR sum(k.unknown) <> 0
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
        FROM (SELECT k.treated_on, k.device_type, k.setting, k.treatments, k.cases_any, k.cases
              FROM needlewatch_kept.cells k
              WHERE needlewatch_kept.watermark() IS NOT NULL
              UNION ALL
              SELECT c.treated_on, c.device_type, c.setting, c.treatments::integer,
                     c.cases_any::integer, c.counts
              FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
              WHERE needlewatch_kept.pending() AND c.kind = 'cell') k
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
$fn$, cases_sums, report_sums, n, serious_sums, lag_t_sums, lag_r_sums, buckets);
END
$gen$;

-- For psql: the current counts per day and cell, and the totals.
CREATE VIEW needlewatch.kept_cells AS
SELECT treated_on, device_type, setting, nullif(fitzpatrick, 0)::smallint AS fitzpatrick,
       treatments, cases_any, reports, cases, serious_any, serious, no_model, reports_no_onset,
       lag_treatments, lag_reports
FROM needlewatch.kept_current_cells();
COMMENT ON VIEW needlewatch.kept_cells IS
    'The kept analysis counts per treated_on x device_type x setting x fitzpatrick, exact as '
    'of the reader''s snapshot (what needlewatch-analyze reads for its rates and its '
    'data-quality section).';
COMMENT ON COLUMN needlewatch.kept_cells.treated_on IS 'The treatment date.';
COMMENT ON COLUMN needlewatch.kept_cells.device_type IS 'The device type (device_catalogue).';
COMMENT ON COLUMN needlewatch.kept_cells.setting IS 'home or clinic.';
COMMENT ON COLUMN needlewatch.kept_cells.fitzpatrick IS
    'The Fitzpatrick skin type 1..6; NULL: not reported.';
COMMENT ON COLUMN needlewatch.kept_cells.treatments IS
    'Current treatments (current version, not withdrawn).';
COMMENT ON COLUMN needlewatch.kept_cells.cases_any IS
    'Treatments with at least one current complication report of any type.';
COMMENT ON COLUMN needlewatch.kept_cells.reports IS
    'Current complication reports on these treatments.';
COMMENT ON COLUMN needlewatch.kept_cells.cases IS
    'cases[i]: treatments with a current report of the type of ordinal i in '
    'complication_catalogue.';
COMMENT ON COLUMN needlewatch.kept_cells.serious_any IS
    'Serious cases of any type: treatments with a current complication report whose severity '
    'is severe or whose outcome is permanent.';
COMMENT ON COLUMN needlewatch.kept_cells.serious IS
    'serious[i]: serious cases of the type of ordinal i (a severe or permanent report of that '
    'type).';
COMMENT ON COLUMN needlewatch.kept_cells.no_model IS
    'Treatments whose report names no manufacturer or no model.';
COMMENT ON COLUMN needlewatch.kept_cells.reports_no_onset IS
    'Current complication reports on these treatments without onset_days.';
COMMENT ON COLUMN needlewatch.kept_cells.lag_treatments IS
    'lag_treatments[b]: treatments whose reporting lag (reported_at - treated_on) falls in the '
    'bucket of ordinal b of reporting_lag_buckets().';
COMMENT ON COLUMN needlewatch.kept_cells.lag_reports IS
    'lag_reports[b]: their current complication reports whose lag (the report''s reported_at '
    '- treated_on) falls in bucket b.';

CREATE OR REPLACE VIEW needlewatch.kept_models AS
SELECT key_date AS treated_on, device_type, manufacturer, model, reports
FROM needlewatch.kept_current_models('day');
COMMENT ON VIEW needlewatch.kept_models IS
    'The kept current complication reports per treated_on x device_type x manufacturer x '
    'model (NULL: not named), reports[i] of the type of ordinal i in complication_catalogue.';

-- What needlewatch-analyze reads for its risks over a fixed follow-up
-- (docs/analysis.md): for each horizon H in horizons (days, 0..365) and each
-- cell (device_type, setting, fitzpatrick, NULL: not reported), the
-- treatments dated in [from_date, to_date] (NULL: open) and on or before
-- as_of - H, the ones followed up for H days (eligible); among them the
-- cases within H days of any type (cases_any) and of each type (cases[i],
-- the type of ordinal i), the serious ones (serious_any, serious[i]), and
-- those that are cases only through a report without onset_days
-- (missing_any, missing[i]). Cells without an eligible treatment are left
-- out.
-- How it reads, for each horizon: the treatments from the day-cells; the
-- cases of the whole months of the eligible days from risk_months, one
-- subscript per row (cum_at(array, H)); and the cases of the partial months
-- at either end (at most two) from risk_days, the changes with h <= H of
-- those days only. So a report reads its months' arrays, and per horizon
-- at most two months of days, however many reports there are. What the
-- rollup has not counted yet is folded in, as in kept_cube().
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch.kept_risks(from_date date, to_date date, as_of date,
                                       horizons integer[])
RETURNS TABLE (horizon integer, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, cases bigint[], serious_any bigint,
               serious bigint[], missing_any bigint, missing bigint[])
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    WITH wm AS MATERIALIZED (
        SELECT needlewatch_kept.watermark() AS w
    ), c AS MATERIALIZED (            -- not rolled up yet
        SELECT c.*
        FROM needlewatch_kept.changes(coalesce((SELECT wm.w FROM wm), 0), NULL) c
        WHERE needlewatch_kept.pending() AND c.kind IN ('cell', 'risk_day', 'risk_month')
    ), b AS MATERIALIZED (            -- per horizon: the eligible days [f, t], whole months
        SELECT x.horizon, x.f, x.t,
               CASE WHEN x.f = '-infinity'::date THEN '-infinity'::date
                    WHEN extract(day FROM x.f) = 1 THEN x.f
                    ELSE (date_trunc('month', x.f) + interval '1 month')::date
               END AS first_month,
               CASE WHEN x.t = 'infinity'::date THEN 'infinity'::date
                    WHEN extract(day FROM x.t + 1) = 1 THEN x.t
                    ELSE (date_trunc('month', x.t) - interval '1 day')::date
               END AS last_month_end
        FROM (SELECT DISTINCT hz AS horizon, coalesce(from_date, '-infinity'::date) AS f,
                     least(coalesce(to_date, 'infinity'::date), as_of - hz) AS t
              FROM unnest(horizons) AS hz
              WHERE hz BETWEEN 0 AND 365) x
        WHERE x.f <= x.t
    ), parts AS MATERIALIZED (        -- per horizon: the days read one by one
        SELECT b.horizon, b.f AS lo, b.t AS hi FROM b WHERE b.first_month > b.last_month_end
        UNION ALL
        SELECT b.horizon, b.f, b.first_month - 1 FROM b
        WHERE b.first_month <= b.last_month_end AND b.f < b.first_month
        UNION ALL
        SELECT b.horizon, b.last_month_end + 1, b.t FROM b
        WHERE b.first_month <= b.last_month_end AND b.last_month_end < b.t
    ), tr AS (                        -- eligible treatments per cell
        SELECT x.horizon, x.device_type, x.setting, x.fitzpatrick, sum(x.n) AS n
        FROM (SELECT b.horizon, k.device_type, k.setting, k.fitzpatrick, k.treatments AS n
              FROM b JOIN needlewatch_kept.cells k ON k.treated_on BETWEEN b.f AND b.t
              WHERE (SELECT wm.w FROM wm) IS NOT NULL
              UNION ALL
              SELECT b.horizon, k.device_type, k.setting, k.fitzpatrick, k.treatments::integer
              FROM b JOIN c k ON k.kind = 'cell' AND k.treated_on BETWEEN b.f AND b.t) x
        GROUP BY 1, 2, 3, 4
        HAVING sum(x.n) <> 0
    ), k AS (                         -- cases per cell and type (0: any)
        SELECT x.horizon, x.device_type, x.setting, x.fitzpatrick, x.ordinal, sum(x.c) AS c,
               sum(x.s) AS s, sum(x.m) AS m
        FROM (SELECT b.horizon, m.device_type, m.setting, m.fitzpatrick, m.ordinal,
                     needlewatch_kept.cum_at(m.cases, b.horizon) AS c,
                     needlewatch_kept.cum_at(m.serious, b.horizon) AS s,
                     needlewatch_kept.cum_at(m.missing, b.horizon) AS m
              FROM b JOIN needlewatch_kept.risk_months m
                ON m.month BETWEEN b.first_month AND b.last_month_end
              WHERE (SELECT wm.w FROM wm) IS NOT NULL
              UNION ALL
              SELECT b.horizon, m.device_type, m.setting, m.fitzpatrick, m.ordinal,
                     needlewatch_kept.cum_at(m.cum_cases, b.horizon),
                     needlewatch_kept.cum_at(m.cum_serious, b.horizon),
                     needlewatch_kept.cum_at(m.cum_missing, b.horizon)
              FROM b JOIN c m ON m.kind = 'risk_month'
                             AND m.treated_on BETWEEN b.first_month AND b.last_month_end
              UNION ALL
              SELECT p.horizon, d.device_type, d.setting, d.fitzpatrick, d.ordinal, d.n_cases,
                     d.n_serious, d.n_missing
              FROM parts p JOIN needlewatch_kept.risk_days d
                ON d.treated_on BETWEEN p.lo AND p.hi AND d.h <= p.horizon
              WHERE (SELECT wm.w FROM wm) IS NOT NULL
              UNION ALL
              SELECT p.horizon, d.device_type, d.setting, d.fitzpatrick, d.ordinal,
                     d.n_cases::integer, d.n_serious::integer, d.n_missing::integer
              FROM parts p JOIN c d ON d.kind = 'risk_day'
                                   AND d.treated_on BETWEEN p.lo AND p.hi
                                   AND d.h_from <= p.horizon) x
        GROUP BY 1, 2, 3, 4, 5
    )
    SELECT t.horizon, t.device_type, t.setting, nullif(t.fitzpatrick, 0)::smallint,
           t.n::bigint,
           coalesce(sum(k.c) FILTER (WHERE k.ordinal = 0), 0)::bigint, ARRAY[%1$s]::bigint[],
           coalesce(sum(k.s) FILTER (WHERE k.ordinal = 0), 0)::bigint, ARRAY[%2$s]::bigint[],
           coalesce(sum(k.m) FILTER (WHERE k.ordinal = 0), 0)::bigint, ARRAY[%3$s]::bigint[]
    FROM tr t
    LEFT JOIN k ON k.horizon = t.horizon AND k.device_type = t.device_type
               AND k.setting = t.setting AND k.fitzpatrick = t.fitzpatrick
    GROUP BY t.horizon, t.device_type, t.setting, t.fitzpatrick, t.n
$$;
$fn$, needlewatch_kept.per_type('coalesce(sum(k.c) FILTER (WHERE k.ordinal = %1$s), 0)'),
      needlewatch_kept.per_type('coalesce(sum(k.s) FILTER (WHERE k.ordinal = %1$s), 0)'),
      needlewatch_kept.per_type('coalesce(sum(k.m) FILTER (WHERE k.ordinal = %1$s), 0)'));
END
$gen$;

-- The date of the latest current report of each kind ('treatment',
-- 'complication', orphans included), by its reported_at (UTC); a kind
-- without a dated report has no row.
CREATE OR REPLACE FUNCTION needlewatch.kept_latest_reports()
RETURNS TABLE (kind text, latest date)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT r.kind, max(r.reported_on)
    FROM (SELECT x.kind, x.reported_on
          FROM (SELECT k.kind, k.reported_on, k.n
                FROM needlewatch_kept.reported_days k
                WHERE needlewatch_kept.watermark() IS NOT NULL
                UNION ALL
                SELECT c.setting, c.treated_on, c.treatments
                FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
                WHERE needlewatch_kept.pending() AND c.kind = 'reported_day') x
          GROUP BY 1, 2
          HAVING sum(x.n) <> 0) r
    GROUP BY 1
$$;

-- What the data-quality section of needlewatch-analyze's report reads, for
-- the treatments dated in [from_date, to_date] (NULL: open), one row per
-- count:
--   kind 'treatments', 'unknown_skin' (no Fitzpatrick type), 'no_model'
--        (no manufacturer or no model), 'reports' (their current
--        complication reports), 'reports_no_onset' (without onset_days):
--        n; ordinal and label NULL
--   kind 'lag_treatments', 'lag_reports': per reporting lag bucket
--        (reporting_lag_buckets(): ordinal, label), the treatments and the
--        complication reports with that lag
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch.kept_quality(from_date date, to_date date)
RETURNS TABLE (kind text, ordinal integer, label text, n bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    WITH s AS MATERIALIZED (
        SELECT coalesce(sum(k.treatments), 0)::bigint AS treatments,
               coalesce(sum(k.treatments) FILTER (WHERE k.fitzpatrick = 0), 0)::bigint
                   AS unknown_skin,
               coalesce(sum(k.no_model), 0)::bigint AS no_model,
               coalesce(sum(k.reports), 0)::bigint AS reports,
               coalesce(sum(k.reports_no_onset), 0)::bigint AS reports_no_onset,
               ARRAY[%1$s]::bigint[] AS lag_t, ARRAY[%2$s]::bigint[] AS lag_r
        FROM (SELECT k.treated_on, k.fitzpatrick, k.treatments, k.reports, k.no_model,
                     k.reports_no_onset, k.lag_treatments, k.lag_reports
              FROM needlewatch_kept.cells k
              WHERE needlewatch_kept.watermark() IS NOT NULL
              UNION ALL
              SELECT c.treated_on, c.fitzpatrick, c.treatments::integer, c.reports::integer,
                     c.no_model::integer, c.reports_no_onset::integer, c.lag_treatments,
                     c.lag_reports
              FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
              WHERE needlewatch_kept.pending() AND c.kind = 'cell') k
        WHERE k.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                               AND coalesce(to_date, 'infinity'::date)
    )
    SELECT x.kind, NULL::integer, NULL::text, x.n
    FROM s, LATERAL (VALUES ('treatments', s.treatments), ('unknown_skin', s.unknown_skin),
                            ('no_model', s.no_model), ('reports', s.reports),
                            ('reports_no_onset', s.reports_no_onset)) AS x (kind, n)
    UNION ALL
    SELECT 'lag_treatments', b.ordinal, b.label, s.lag_t[b.ordinal]
    FROM s, needlewatch.reporting_lag_buckets() b
    UNION ALL
    SELECT 'lag_reports', b.ordinal, b.label, s.lag_r[b.ordinal]
    FROM s, needlewatch.reporting_lag_buckets() b
    ORDER BY 1, 2
$$;
$fn$, needlewatch_kept.per_bucket('coalesce(sum(k.lag_treatments[%1$s]), 0)'),
      needlewatch_kept.per_bucket('coalesce(sum(k.lag_reports[%1$s]), 0)'));
END
$gen$;

-- The quarantined messages per reason, for the data-quality section and
-- for analysts, who may not read quarantine.error (it quotes values from
-- the message): the reason is only the name of the field a message failed
-- on, the text before the first ": " of its error when that is a field
-- name ('message' for a message that is not a report at all), 'database'
-- when PostgreSQL refused the row, 'other' otherwise. Never a value.
CREATE OR REPLACE FUNCTION needlewatch.quarantine_reasons()
RETURNS TABLE (reason text, n bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN q.error LIKE 'database rejected%' THEN 'database'
                ELSE coalesce(substring(q.error FROM '^([a-z][a-z0-9_]{0,39}(\.[a-z][a-z0-9_]{0,39}){0,3}): '),
                              'other')
           END AS reason,
           count(*)
    FROM needlewatch.quarantine q
    GROUP BY 1
    ORDER BY 2 DESC, 1
$$;
COMMENT ON FUNCTION needlewatch.quarantine_reasons() IS
    'Quarantined messages per reason: the name of the field a message failed on (message: '
    'not a report at all; database: refused by PostgreSQL; other), never a value from it.';

-- The current complication reports (orphans included) and quarantined
-- messages; and the rollup's progress.
CREATE OR REPLACE FUNCTION needlewatch.kept_current_totals()
RETURNS TABLE (complication_reports bigint, quarantined bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off AS $$
    SELECT coalesce((SELECT k.complication_reports FROM needlewatch_kept.totals k
                     WHERE needlewatch_kept.watermark() IS NOT NULL), 0)
           + coalesce((SELECT sum(c.reports)
                       FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0),
                                                     NULL) c
                       WHERE needlewatch_kept.pending() AND c.kind = 'total'), 0)::bigint,
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

COMMENT ON COLUMN needlewatch.kept_models.treated_on IS
    'The day of the treatments.';
COMMENT ON COLUMN needlewatch.kept_models.device_type IS
    'Their device type.';
COMMENT ON COLUMN needlewatch.kept_models.manufacturer IS
    'The manufacturer named (NULL: none).';
COMMENT ON COLUMN needlewatch.kept_models.model IS
    'The model named (NULL: none).';
COMMENT ON COLUMN needlewatch.kept_models.reports IS
    'reports[i]: current complication reports of the type of ordinal i.';
COMMENT ON COLUMN needlewatch.kept_totals.complication_reports IS
    'Current complication reports, orphans included.';
COMMENT ON COLUMN needlewatch.kept_totals.quarantined IS
    'Messages in quarantine.';
COMMENT ON COLUMN needlewatch.kept_rollup_status.horizon IS
    'The watermark: versions written by transactions with lower ids are counted (NULL: recount due).';
COMMENT ON COLUMN needlewatch.kept_rollup_status.rolled_at IS
    'When the rollup last ran.';
COMMENT ON COLUMN needlewatch.kept_rollup_status.rollups IS
    'How many times it has run.';
COMMENT ON COLUMN needlewatch.kept_rollup_status.versions_pending IS
    'Stored versions it has yet to count.';

-- Recounts everything from the current-version views (002), in the caller's
-- snapshot and by a path of its own (no transitions(), no watermark), and
-- returns one row per difference with what the readers above give:
--   kind 'cell'         key "treated_on device_type setting skin_type": the
--                       counts of kept_cells, every column
--   kind 'model_day'    key "treated_on device_type manufacturer model"
--                       ('-' for not named)
--   kind 'model_month'  the same with the month's first day
--   kind 'model_total'  key "device_type manufacturer model"
--   kind 'total'        key 'complication_reports'
--   kind 'risk_day'     key "treated_on device_type setting skin_type ordinal
--                       h": the changes n_cases, n_serious, n_missing
--   kind 'risk_month'   key "month device_type setting skin_type ordinal":
--                       the cumulative arrays of cases, serious cases and
--                       missing-onset cases (rebuilt here from the per-day
--                       changes by a running sum)
--   kind 'reported_day' key "kind reported_on": the current reports
--   kind 'case_lag'     key "treated_on device_type setting ordinal lag"
--   kind 'report_delay' key "treated_on lag"
-- kept and actual are the counts as text. No row: the counts are exact.
-- Merge joins are off inside it: the planner, which cannot estimate these
-- CTEs, merged the risk months' horizons on five of their six keys and
-- filtered 40 million pairs on the sixth (10 s of its 42 s on a million
-- treatments); every join here compares whole tables, which hash joins do
-- in one pass.
DO $gen$
BEGIN
    EXECUTE format($fn$
CREATE OR REPLACE FUNCTION needlewatch.kept_cells_check()
RETURNS TABLE (kind text, key text, kept text, actual text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET jit = off
SET enable_mergejoin = off AS $$
    WITH t AS (
        SELECT r.report_id, r.treated_on, r.device_type, r.setting,
               coalesce(r.fitzpatrick, 0) AS fz, r.manufacturer, r.model,
               r.manufacturer IS NULL OR r.model IS NULL AS no_model,
               needlewatch_kept.lag_bucket(r.reported_at, r.treated_on) AS lag
        FROM needlewatch.treatments r
    ), c AS (      -- per treatment and type: its current reports (-2: not catalogued)
        SELECT x.treatment_id, coalesce(o.ordinal, -2) AS ordinal, count(*) AS n,
               bool_or(x.severity = 'severe' OR x.outcome = 'permanent') AS serious,
               count(*) FILTER (WHERE x.onset_days IS NULL) AS no_onset
        FROM needlewatch.complications x
        LEFT JOIN needlewatch.complication_catalogue o ON o.complication = x.type
        GROUP BY 1, 2
    ), per_t AS (
        SELECT c.treatment_id, sum(c.n) AS n, bool_or(c.serious) AS serious,
               sum(c.no_onset) AS no_onset
        FROM c GROUP BY 1
    ), lag_c AS (  -- per treatment and lag bucket: its current reports
        SELECT x.treatment_id, needlewatch_kept.lag_bucket(x.reported_at, t.treated_on) AS lag,
               count(*) AS n
        FROM needlewatch.complications x
        JOIN t ON t.report_id = x.treatment_id
        GROUP BY 1, 2
    ), cell_base AS (
        SELECT t.treated_on, t.device_type, t.setting, t.fz, count(*) AS treatments,
               count(p.treatment_id) AS cases_any, coalesce(sum(p.n), 0) AS reports,
               count(*) FILTER (WHERE p.serious) AS serious_any,
               count(*) FILTER (WHERE t.no_model) AS no_model,
               coalesce(sum(p.no_onset), 0) AS no_onset,
               ARRAY[%4$s]::bigint[] AS lag_t
        FROM t LEFT JOIN per_t p ON p.treatment_id = t.report_id
        GROUP BY 1, 2, 3, 4
    ), cell_types AS (
        SELECT t.treated_on, t.device_type, t.setting, t.fz, ARRAY[%1$s]::bigint[] AS cases,
               ARRAY[%5$s]::bigint[] AS serious,
               count(*) FILTER (WHERE c.ordinal = -2) AS unknown
        FROM t JOIN c ON c.treatment_id = t.report_id
        GROUP BY 1, 2, 3, 4
    ), cell_lags AS (
        SELECT t.treated_on, t.device_type, t.setting, t.fz, ARRAY[%6$s]::bigint[] AS lag_r
        FROM t JOIN lag_c l ON l.treatment_id = t.report_id
        GROUP BY 1, 2, 3, 4
    ), actual_cells AS (
        SELECT b.treated_on, b.device_type, b.setting, b.fz,
               format('treatments=%%s any=%%s reports=%%s by type %%s serious=%%s by type %%s '
                      'no_model=%%s no_onset=%%s lags %%s report lags %%s%%s', b.treatments,
                      b.cases_any, b.reports,
                      coalesce(y.cases, array_fill(0::bigint, ARRAY[%3$s])), b.serious_any,
                      coalesce(y.serious, array_fill(0::bigint, ARRAY[%3$s])), b.no_model,
                      b.no_onset, b.lag_t,
                      coalesce(l.lag_r, array_fill(0::bigint, ARRAY[%7$s])),
                      CASE WHEN y.unknown > 0 THEN ' unknown=' || y.unknown END) AS v
        FROM cell_base b
        LEFT JOIN cell_types y USING (treated_on, device_type, setting, fz)
        LEFT JOIN cell_lags l USING (treated_on, device_type, setting, fz)
    ), kept_cells AS (
        SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick AS fz,
               format('treatments=%%s any=%%s reports=%%s by type %%s serious=%%s by type %%s '
                      'no_model=%%s no_onset=%%s lags %%s report lags %%s%%s', k.treatments,
                      k.cases_any, k.reports, k.cases, k.serious_any, k.serious, k.no_model,
                      k.reports_no_onset, k.lag_treatments, k.lag_reports,
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
    ), rf AS (     -- per treatment and type (0: any): the onsets of its reports
        SELECT x.treatment_id, o.ordinal, min(coalesce(x.onset_days, 0)) AS e,
               min(x.onset_days) AS ek, bool_or(x.onset_days IS NULL) AS miss,
               min(coalesce(x.onset_days, 0))
                   FILTER (WHERE x.severity = 'severe' OR x.outcome = 'permanent') AS es
        FROM needlewatch.complications x
        JOIN needlewatch.complication_catalogue o ON o.complication = x.type
        GROUP BY 1, 2
        UNION ALL
        SELECT x.treatment_id, 0, min(coalesce(x.onset_days, 0)), min(x.onset_days),
               bool_or(x.onset_days IS NULL),
               min(coalesce(x.onset_days, 0))
                   FILTER (WHERE x.severity = 'severe' OR x.outcome = 'permanent')
        FROM needlewatch.complications x
        GROUP BY 1
    ), actual_rd AS MATERIALIZED (
        SELECT t.treated_on, t.device_type, t.setting, t.fz, r.ordinal, d.h,
               sum(d.c) AS c, sum(d.s) AS s, sum(d.m) AS m
        FROM t
        JOIN rf r ON r.treatment_id = t.report_id
        CROSS JOIN LATERAL (VALUES (r.e, 1, 0, 0), (r.es, 0, 1, 0),
                                   (CASE WHEN r.miss THEN 0 END, 0, 0, 1),
                                   (CASE WHEN r.miss THEN r.ek END, 0, 0, -1)) AS d (h, c, s, m)
        WHERE d.h IS NOT NULL
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(d.c) <> 0 OR sum(d.s) <> 0 OR sum(d.m) <> 0
    ), kept_rd AS (
        SELECT k.treated_on, k.device_type, k.setting, k.fitzpatrick AS fz, k.ordinal, k.h,
               sum(k.n_cases) AS c, sum(k.n_serious) AS s, sum(k.n_missing) AS m
        FROM needlewatch_kept.risk_day_rows() k
        GROUP BY 1, 2, 3, 4, 5, 6
        HAVING sum(k.n_cases) <> 0 OR sum(k.n_serious) <> 0 OR sum(k.n_missing) <> 0
    ), actual_rm AS (
        SELECT g.month, g.device_type, g.setting, g.fz, g.ordinal,
               format('cases %%s serious %%s missing %%s',
                      needlewatch_kept.cum_add(array_agg(g.c ORDER BY g.h)::integer[], '{}'),
                      needlewatch_kept.cum_add(array_agg(g.s ORDER BY g.h)::integer[], '{}'),
                      needlewatch_kept.cum_add(array_agg(g.m ORDER BY g.h)::integer[], '{}'))
                   AS v
        FROM (SELECT k.month, k.device_type, k.setting, k.fz, k.ordinal, x.h,
                     sum(coalesce(r.c, 0)) OVER w AS c, sum(coalesce(r.s, 0)) OVER w AS s,
                     sum(coalesce(r.m, 0)) OVER w AS m
              FROM (SELECT date_trunc('month', a.treated_on)::date AS month, a.device_type,
                           a.setting, a.fz, a.ordinal, max(a.h) AS last
                    FROM actual_rd a GROUP BY 1, 2, 3, 4, 5) k
              CROSS JOIN LATERAL generate_series(0, k.last) AS x (h)
              LEFT JOIN (SELECT date_trunc('month', a.treated_on)::date AS month, a.device_type,
                                a.setting, a.fz, a.ordinal, a.h, sum(a.c) AS c, sum(a.s) AS s,
                                sum(a.m) AS m
                         FROM actual_rd a GROUP BY 1, 2, 3, 4, 5, 6) r
                     ON r.month = k.month AND r.device_type = k.device_type
                    AND r.setting = k.setting AND r.fz = k.fz AND r.ordinal = k.ordinal
                    AND r.h = x.h
              WINDOW w AS (PARTITION BY k.month, k.device_type, k.setting, k.fz, k.ordinal
                           ORDER BY x.h)) g
        GROUP BY 1, 2, 3, 4, 5
    ), kept_rm AS (
        SELECT k.month, k.device_type, k.setting, k.fitzpatrick AS fz, k.ordinal,
               format('cases %%s serious %%s missing %%s', needlewatch_kept.cum_sum(k.cases),
                      needlewatch_kept.cum_sum(k.serious), needlewatch_kept.cum_sum(k.missing))
                   AS v
        FROM needlewatch_kept.risk_month_rows() k
        GROUP BY 1, 2, 3, 4, 5
    ), actual_reported AS (
        SELECT x.kind, x.reported_on, count(*) AS n
        FROM (SELECT 'treatment' AS kind, (r.reported_at AT TIME ZONE 'UTC')::date AS reported_on
              FROM needlewatch.treatments r
              UNION ALL
              SELECT 'complication', (r.reported_at AT TIME ZONE 'UTC')::date
              FROM needlewatch.complications r) x
        WHERE x.reported_on IS NOT NULL
        GROUP BY 1, 2
    ), kept_reported AS (
        SELECT x.kind, x.reported_on, sum(x.n) AS n
        FROM (SELECT k.kind, k.reported_on, k.n
              FROM needlewatch_kept.reported_days k
              WHERE needlewatch_kept.watermark() IS NOT NULL
              UNION ALL
              SELECT c.setting, c.treated_on, c.treatments
              FROM needlewatch_kept.changes(coalesce(needlewatch_kept.watermark(), 0), NULL) c
              WHERE needlewatch_kept.pending() AND c.kind = 'reported_day') x
        GROUP BY 1, 2
        HAVING sum(x.n) <> 0
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
                  needlewatch.skin_type(nullif(coalesce(k.fz, a.fz), 0))),
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
    FULL JOIN actual_models a      -- IS NOT DISTINCT FROM as equalities a hash join can use
           ON a.kind = k.kind AND a.device_type = k.device_type
          AND (a.key_date IS NULL) = (k.key_date IS NULL)
          AND coalesce(a.key_date, '-infinity') = coalesce(k.key_date, '-infinity')
          AND (a.manufacturer IS NULL) = (k.manufacturer IS NULL)
          AND coalesce(a.manufacturer, '') = coalesce(k.manufacturer, '')
          AND (a.model IS NULL) = (k.model IS NULL)
          AND coalesce(a.model, '') = coalesce(k.model, '')
    WHERE k.v IS DISTINCT FROM a.v
    UNION ALL
    SELECT 'total', 'complication_reports', k.complication_reports::text, a.n::text
    FROM needlewatch.kept_totals k,
         (SELECT count(*) AS n FROM needlewatch.complications) a
    WHERE k.complication_reports <> a.n
    UNION ALL
    SELECT 'risk_day',
           format('%%s %%s %%s %%s %%s %%s', coalesce(k.treated_on, a.treated_on),
                  coalesce(k.device_type, a.device_type), coalesce(k.setting, a.setting),
                  needlewatch.skin_type(nullif(coalesce(k.fz, a.fz), 0)),
                  coalesce(k.ordinal, a.ordinal), coalesce(k.h, a.h)),
           format('%%s %%s %%s', k.c, k.s, k.m), format('%%s %%s %%s', a.c, a.s, a.m)
    FROM kept_rd k
    FULL JOIN actual_rd a
           ON a.treated_on = k.treated_on AND a.device_type = k.device_type
          AND a.setting = k.setting AND a.fz = k.fz AND a.ordinal = k.ordinal AND a.h = k.h
    WHERE (k.c, k.s, k.m) IS DISTINCT FROM (a.c, a.s, a.m)
    UNION ALL
    SELECT 'risk_month',
           format('%%s %%s %%s %%s %%s', coalesce(k.month, a.month),
                  coalesce(k.device_type, a.device_type), coalesce(k.setting, a.setting),
                  needlewatch.skin_type(nullif(coalesce(k.fz, a.fz), 0)),
                  coalesce(k.ordinal, a.ordinal)),
           k.v, a.v
    FROM (SELECT * FROM kept_rm x WHERE x.v <> 'cases {} serious {} missing {}') k
    FULL JOIN actual_rm a
           ON a.month = k.month AND a.device_type = k.device_type
          AND a.setting = k.setting AND a.fz = k.fz AND a.ordinal = k.ordinal
    WHERE k.v IS DISTINCT FROM a.v
    UNION ALL
    SELECT 'reported_day', concat_ws(' ', coalesce(k.kind, a.kind),
                                     coalesce(k.reported_on, a.reported_on)),
           k.n::text, a.n::text
    FROM kept_reported k
    FULL JOIN actual_reported a ON a.kind = k.kind AND a.reported_on = k.reported_on
    WHERE k.n IS DISTINCT FROM a.n
    UNION ALL
    SELECT coalesce(k.kind, a.kind), coalesce(k.key, a.key), k.v, a.v
    FROM kept_lags k
    FULL JOIN actual_lags a ON a.kind = k.kind AND a.key = k.key
    WHERE k.v IS DISTINCT FROM a.v
    ORDER BY 1, 2
$$;
$fn$, needlewatch_kept.per_type('count(*) FILTER (WHERE c.ordinal = %1$s)'),
      needlewatch_kept.per_type('coalesce(sum(m.n) FILTER (WHERE m.ordinal = %1$s), 0)'),
      (SELECT max(ordinal) FROM needlewatch.complication_catalogue),
      needlewatch_kept.per_bucket('count(*) FILTER (WHERE t.lag = %1$s)'),
      needlewatch_kept.per_type('count(*) FILTER (WHERE c.ordinal = %1$s AND c.serious)'),
      needlewatch_kept.per_bucket('coalesce(sum(l.n) FILTER (WHERE l.lag = %1$s), 0)'),
      (SELECT max(ordinal) FROM needlewatch.reporting_lag_buckets()));
END
$gen$;

-- Ownership and privileges: 90_privileges.sql.

COMMIT;

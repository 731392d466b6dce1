-- 005_kept_counts.sql: the analysis counts, kept up to date by the ingest.
--
-- needlewatch-analyze used to fold every current complication into its
-- treatment and group every current treatment: seconds at a million
-- treatments, and growing with them. Here the same counts are kept, in the
-- transaction that stores the reports, by statement-level triggers on the
-- report tables, so the analyzer reads a table that grows with the number of
-- days x device types x settings x skin types, not with the number of
-- reports.
--
-- What is kept (schema needlewatch):
--   treatment_state     per treatment report_id ever named (by a version or
--                       by a complication): the cell of its current version
--                       (treated_on, device_type, setting, fitzpatrick; all
--                       NULL when it has none: never received, or
--                       withdrawn), and the mask and number of the current
--                       complication reports that name it, received or not.
--                       mask has bit i set for the type of ordinal i in
--                       needlewatch.complication_types (infection = bit 1 ...
--                       other = bit 10; bit 0 for a type that list does not
--                       know): the order of analyze/cube.c.
--   complication_state  per complication report_id: the treatment_id and type
--                       of its current version, both NULL when withdrawn.
--   kept_cell_shards    per shard x treated_on x device_type x setting x
--                       fitzpatrick (0: unknown): the current treatments, how
--                       many of them are cases of any complication (have a
--                       current complication report), their current
--                       complication reports, and per type how many are cases
--                       of it (unknown_type: of a type complication_types
--                       does not list). These are the analyzer's numerators
--                       and denominators; keeping them per type rather than
--                       per set of types (mask) keeps the table's size to
--                       days x cells, whatever the volume. Rows whose counts
--                       all reach 0 are deleted.
--   kept_total_shards   per shard: the current complication reports, all of
--                       them (orphans included), and the quarantined messages.
--   views kept_cells, kept_totals   the shards summed, for psql;
--   needlewatch.kept_cube(from, to) what the analyzer reads: the cells summed
--                       per (in window, device type, setting, skin type).
--   needlewatch.kept_cells_check()  recounts everything from the report
--                       tables and returns what differs (no row: exact);
--                       needlewatch-analyze --verify runs it.
-- The trigger functions live in needlewatch_kept, a schema no role but its
-- owner may use: nobody calls them, and needlewatch keeps only what roles may
-- be granted. needlewatch_kept.rebuild() recounts everything (the backfill
-- below; a TRUNCATE; a load with triggers disabled).
--
-- Shards. Each session writes only its own shard of the two shard tables: a
-- number it holds a session-level advisory lock on (classid 1853319027,
-- "nwks"), claimed the first time it writes. Concurrent workers therefore
-- never wait for each other on a kept count, and cannot deadlock on one,
-- although every batch touches thousands of the same cells. A shard's counts
-- are deltas: a treatment counted by one worker and moved by another leaves
-- -1 in the second's shard, so a shard row may be negative; only the sum over
-- the shards means anything, and that is what the views give. Correctness
-- does not depend on a shard being exclusive (sessions sharing one would only
-- wait for each other), only on every delta landing in some shard.
--
-- Concurrency: why no update is lost. Workers write in READ COMMITTED, one
-- transaction per batch, and two of them may store versions of the same
-- report, or complications of the same treatment, at the same time. Each
-- trigger call
--   1. locks the state rows of the reports its statement touched, creating
--      the missing ones, in report_id order (COLLATE "C"), in one statement:
--      INSERT ... ON CONFLICT (report_id) DO UPDATE ... WHERE false, which
--      locks each existing row without writing a new version of it (the
--      INSERT documentation: "all rows will be locked when the ON CONFLICT
--      DO UPDATE action is taken"), and waits for a concurrent transaction's
--      uncommitted insert of the same report_id to end;
--   2. then, in a later statement, recomputes the current version of those
--      reports from the report tables, compares it with the locked state and
--      applies the difference to the state and to its shard of the counts.
-- A PL/pgSQL trigger function is VOLATILE, and in READ COMMITTED each SQL
-- statement of a VOLATILE function takes a new snapshot. The statement of
-- step 2 starts after step 1 was granted its locks, that is after every
-- transaction that held one of them committed or rolled back, so it sees
-- everything those transactions stored. A transaction that stores a version
-- of the same report later takes the same lock afterwards (its trigger runs
-- after its rows are inserted), so it waits for us and then recomputes with
-- our rows visible. Whatever the interleaving, the last transaction to lock
-- a report's state recomputes it from every committed version plus its own,
-- and each transaction's delta is taken against the state the previous one
-- committed: the deltas add up to the recount. (t_kept_counts.sh checks it:
-- the second of two such transactions waits, and the counts stay exact.)
-- Two shortcuts keep the common case cheap, each with its own argument:
--   * Step 1 returns the state rows it created. A report without a state row
--     has no committed version (every committed version passed through
--     here, and the backfill made rows for the older ones), so its current
--     version is its highest in the statement, and it needs no step 2: a
--     new report costs one statement.
--   * A complication changes the mask and report count of the treatment it
--     left and of the one it joined. When the statement holds only new
--     complications (no state row yet, so counted nowhere), their bits and
--     counts are added to their treatments' states with one INSERT ... ON
--     CONFLICT DO UPDATE SET mask = mask | bits, reports = reports + n: that
--     waits for the row's lock and computes from its latest version, and
--     additions commute, so no snapshot is involved. Otherwise (a follow-up,
--     a withdrawal, a move) the treatments' states are locked as in step 1
--     and their masks recounted from complication_state in a later
--     statement, whose snapshot sees every committed complication state:
--     whoever changed one holds its row lock until commit and locks the
--     treatment afterwards.
-- The counts are then plain additions to the session's own shard rows: a
-- treatment leaving a cell with complication mask m and r reports takes 1
-- from the cell's treatments, from cases_any when m is not 0 and from each
-- type whose bit m has, and r from its reports; joining a cell adds them.
-- Deadlocks: one trigger call takes its state locks in one sorted pass, so
-- two calls cannot deadlock with each other. A batch is two statements
-- (treatments, then complications), so two batches can still deadlock when
-- each holds a treatment the other's complications (or versions) need: it
-- takes two workers storing reports of the same treatments at the same
-- moment, which partitioning by key makes rare. PostgreSQL then aborts one
-- transaction and the worker retries its batch (deadlock_detected is not a
-- data error, so nothing is quarantined). The triggers raise no error of
-- class 22 or 23, which the worker would take for a rejected report.
--
-- Every change goes through the triggers: INSERT (the worker), UPDATE and
-- DELETE by hand, TRUNCATE (which recounts everything). Loading the report
-- tables with triggers disabled (session_replication_role = replica,
-- pg_restore --disable-triggers) bypasses them: run
-- SELECT needlewatch_kept.rebuild() afterwards, as the owner.
--
-- sql/008_kept_models.sql replaces the two trigger functions of this file
-- (the same steps, plus manufacturer, model and per-model report counts)
-- and wraps its rebuild() and kept_cells_check(); read the bodies there.
--
-- Applying this file recounts everything from the report tables (the
-- backfill at its end), so applying it to a populated database, or again,
-- leaves exact counts. The recount locks the report tables against writes
-- for its duration.
BEGIN;

-- No NOTICE for the IF NOT EXISTS and DROP ... IF EXISTS of a re-application.
SET LOCAL client_min_messages = warning;

CREATE SCHEMA IF NOT EXISTS needlewatch_kept;
REVOKE ALL ON SCHEMA needlewatch_kept FROM PUBLIC;

-- Text in COLLATE "C": the trigger sorts and looks up thousands of ids per
-- batch, and byte order is all they need.
CREATE TABLE IF NOT EXISTS needlewatch.treatment_state (
    report_id    text COLLATE "C" PRIMARY KEY,
    treated_on   date,              -- NULL: no current version (unknown or withdrawn)
    device_type  text COLLATE "C",
    setting      text COLLATE "C",
    fitzpatrick  smallint,          -- NULL: not reported (or no current version)
    mask         bigint NOT NULL DEFAULT 0,
    reports      integer NOT NULL DEFAULT 0,
    prev_mask    bigint             -- the mask before the last addition (for the trigger)
);

CREATE TABLE IF NOT EXISTS needlewatch.complication_state (
    report_id     text COLLATE "C" PRIMARY KEY,
    treatment_id  text COLLATE "C",    -- both NULL when the current version withdraws it
    type          text COLLATE "C"
);
CREATE INDEX IF NOT EXISTS complication_state_treatment_id
    ON needlewatch.complication_state (treatment_id);

-- Counts are integers: a shard row is a delta (possibly negative), and no
-- day of one cell will hold 2^31 treatments.
CREATE TABLE IF NOT EXISTS needlewatch.kept_cell_shards (
    shard              integer NOT NULL,
    treated_on         date NOT NULL,
    device_type        text COLLATE "C" NOT NULL,
    setting            text COLLATE "C" NOT NULL,
    fitzpatrick        smallint NOT NULL,    -- 0: not reported
    treatments         integer NOT NULL,     -- current treatments
    cases_any          integer NOT NULL,     -- ... with a current complication report
    reports            integer NOT NULL,     -- their current complication reports
    infection          integer NOT NULL,     -- ... with a report of this type
    scarring           integer NOT NULL,
    hyperpigmentation  integer NOT NULL,
    burn               integer NOT NULL,
    nerve_damage       integer NOT NULL,
    fat_loss           integer NOT NULL,
    granuloma          integer NOT NULL,
    dryness_peeling    integer NOT NULL,
    acne_flare         integer NOT NULL,
    other              integer NOT NULL,
    unknown_type       integer NOT NULL,     -- ... of a type complication_types lacks
    PRIMARY KEY (shard, treated_on, device_type, setting, fitzpatrick)
) WITH (fillfactor = 50);   -- every row is updated over and over: room for HOT

CREATE TABLE IF NOT EXISTS needlewatch.kept_total_shards (
    shard                 integer PRIMARY KEY,
    complication_reports  bigint NOT NULL DEFAULT 0,
    quarantined           bigint NOT NULL DEFAULT 0
) WITH (fillfactor = 50);

-- The shards summed, per cell: for psql, and what kept_cells_check() checks.
CREATE OR REPLACE VIEW needlewatch.kept_cells AS
SELECT treated_on, device_type, setting, nullif(fitzpatrick, 0)::smallint AS fitzpatrick,
       sum(treatments) AS treatments,
       sum(cases_any) AS cases_any,
       sum(reports) AS reports,
       sum(infection) AS infection,
       sum(scarring) AS scarring,
       sum(hyperpigmentation) AS hyperpigmentation,
       sum(burn) AS burn,
       sum(nerve_damage) AS nerve_damage,
       sum(fat_loss) AS fat_loss,
       sum(granuloma) AS granuloma,
       sum(dryness_peeling) AS dryness_peeling,
       sum(acne_flare) AS acne_flare,
       sum(other) AS other,
       sum(unknown_type) AS unknown_type
FROM needlewatch.kept_cell_shards
GROUP BY treated_on, device_type, setting, fitzpatrick
HAVING sum(treatments) <> 0
    OR sum(cases_any) <> 0
    OR sum(reports) <> 0
    OR sum(infection) <> 0
    OR sum(scarring) <> 0
    OR sum(hyperpigmentation) <> 0
    OR sum(burn) <> 0
    OR sum(nerve_damage) <> 0
    OR sum(fat_loss) <> 0
    OR sum(granuloma) <> 0
    OR sum(dryness_peeling) <> 0
    OR sum(acne_flare) <> 0
    OR sum(other) <> 0
    OR sum(unknown_type) <> 0;

CREATE OR REPLACE VIEW needlewatch.kept_totals AS
SELECT coalesce(sum(complication_reports), 0)::bigint AS complication_reports,
       coalesce(sum(quarantined), 0)::bigint AS quarantined
FROM needlewatch.kept_total_shards;

-- What needlewatch-analyze reads: the kept counts of the treatments dated
-- from_date..to_date (NULL: open) and of the others, summed over days and
-- shards per (in window, device_type, setting, fitzpatrick), in one pass
-- over the shard rows. cases[i] is the cases of the type of ordinal i in
-- needlewatch.complication_types. SECURITY DEFINER: the analyst reads no
-- table.
CREATE OR REPLACE FUNCTION needlewatch.kept_cube(from_date date, to_date date)
RETURNS TABLE (in_window boolean, device_type text, setting text, fitzpatrick smallint,
               treatments bigint, cases_any bigint, reports bigint, cases bigint[],
               unknown_type bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT k.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                            AND coalesce(to_date, 'infinity'::date),
           k.device_type, k.setting, nullif(k.fitzpatrick, 0)::smallint,
           sum(k.treatments), sum(k.cases_any), sum(k.reports),
           ARRAY[sum(k.infection), sum(k.scarring), sum(k.hyperpigmentation), sum(k.burn),
                 sum(k.nerve_damage), sum(k.fat_loss), sum(k.granuloma), sum(k.dryness_peeling),
                 sum(k.acne_flare), sum(k.other)],
           sum(k.unknown_type)
    FROM needlewatch.kept_cell_shards k
    GROUP BY 1, 2, 3, 4
    HAVING sum(k.treatments) <> 0
        OR sum(k.cases_any) <> 0
        OR sum(k.reports) <> 0
        OR sum(k.infection) <> 0
        OR sum(k.scarring) <> 0
        OR sum(k.hyperpigmentation) <> 0
        OR sum(k.burn) <> 0
        OR sum(k.nerve_damage) <> 0
        OR sum(k.fat_loss) <> 0
        OR sum(k.granuloma) <> 0
        OR sum(k.dryness_peeling) <> 0
        OR sum(k.acne_flare) <> 0
        OR sum(k.other) <> 0
        OR sum(k.unknown_type) <> 0
$$;

-- Whether a shard row has nothing left to count.
CREATE OR REPLACE FUNCTION needlewatch_kept.cell_is_empty(k needlewatch.kept_cell_shards)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT (k.treatments, k.cases_any, k.reports, k.infection, k.scarring, k.hyperpigmentation,
            k.burn, k.nerve_damage, k.fat_loss, k.granuloma, k.dryness_peeling, k.acne_flare,
            k.other, k.unknown_type) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
$$;

-- The mask bit of a complication type: its ordinal in
-- needlewatch.complication_types, written out so that it inlines (the
-- triggers call it for every complication); bit 0 for a type the list does
-- not know. kept_cells_check() computes masks from complication_types
-- itself, so the two cannot drift apart unnoticed.
CREATE OR REPLACE FUNCTION needlewatch_kept.type_bit(type text)
RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE type
        WHEN 'infection' THEN 2::bigint WHEN 'scarring' THEN 4::bigint
        WHEN 'hyperpigmentation' THEN 8::bigint WHEN 'burn' THEN 16::bigint
        WHEN 'nerve_damage' THEN 32::bigint WHEN 'fat_loss' THEN 64::bigint
        WHEN 'granuloma' THEN 128::bigint WHEN 'dryness_peeling' THEN 256::bigint
        WHEN 'acne_flare' THEN 512::bigint WHEN 'other' THEN 1024::bigint
        ELSE 1::bigint END
$$;

-- This session's shard (see the header). The number is remembered in the
-- setting needlewatch.kept_shard; a rollback undoes that setting but not the
-- session lock, so without the setting the lock is looked up first. Past 256
-- concurrent writers, sessions share shards 256..511 by process id.
CREATE OR REPLACE FUNCTION needlewatch_kept.shard()
RETURNS integer LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    s integer := nullif(current_setting('needlewatch.kept_shard', true), '')::integer;
BEGIN
    IF s IS NOT NULL THEN
        RETURN s;
    END IF;
    SELECT min(l.objid::bigint)::integer INTO s
    FROM pg_catalog.pg_locks l
    WHERE l.locktype = 'advisory' AND l.pid = pg_catalog.pg_backend_pid() AND l.granted
      AND l.classid = 1853319027 AND l.objsubid = 2
      AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                        WHERE d.datname = pg_catalog.current_database());
    IF s IS NULL THEN
        FOR i IN 0..255 LOOP
            IF pg_catalog.pg_try_advisory_lock(1853319027, i) THEN
                s := i;
                EXIT;
            END IF;
        END LOOP;
    END IF;
    IF s IS NULL THEN
        s := 256 + pg_catalog.pg_backend_pid() % 256;
    END IF;
    PERFORM pg_catalog.set_config('needlewatch.kept_shard', s::text, false);
    RETURN s;
END
$$;

-- Adds deltas to this session's shard of the cell counts. Each array
-- position is one: n treatments (+1 or -1) in cell (treated_on,
-- device_type, setting, fitzpatrick; NULL: unknown) with complication mask
-- `mask` and `reports` reports. They are summed per cell into the counts (a
-- treatment is a case of any when its mask is not 0, a case of the type of
-- ordinal i when bit i is set), applied in key order; rows left with every
-- count 0 are deleted.
CREATE OR REPLACE FUNCTION needlewatch_kept.add_cells(
    d_treated_on date[], d_device_type text[], d_setting text[], d_fitzpatrick smallint[],
    d_mask bigint[], d_n bigint[], d_reports bigint[])
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    my_shard integer;
    zero tid[];
BEGIN
    IF d_treated_on IS NULL THEN
        RETURN;
    END IF;
    my_shard := needlewatch_kept.shard();
    WITH u AS (
        SELECT u.treated_on, u.device_type COLLATE "C" AS device_type,
               u.setting COLLATE "C" AS setting,
               coalesce(u.fitzpatrick, 0)::smallint AS fitzpatrick, u.mask, u.n, u.reports
        FROM unnest(d_treated_on, d_device_type, d_setting, d_fitzpatrick, d_mask, d_n, d_reports)
             AS u (treated_on, device_type, setting, fitzpatrick, mask, n, reports)
    ), x AS (
        SELECT u.treated_on, u.device_type, u.setting, u.fitzpatrick,
               sum(u.n) AS treatments,
               coalesce(sum(u.n) FILTER (WHERE u.mask <> 0), 0) AS cases_any,
               sum(u.reports) AS reports,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 2 <> 0), 0) AS infection,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 4 <> 0), 0) AS scarring,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 8 <> 0), 0) AS hyperpigmentation,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 16 <> 0), 0) AS burn,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 32 <> 0), 0) AS nerve_damage,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 64 <> 0), 0) AS fat_loss,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 128 <> 0), 0) AS granuloma,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 256 <> 0), 0) AS dryness_peeling,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 512 <> 0), 0) AS acne_flare,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 1024 <> 0), 0) AS other,
               coalesce(sum(u.n) FILTER (WHERE u.mask & 1 <> 0), 0) AS unknown_type
        FROM u
        GROUP BY u.treated_on, u.device_type, u.setting, u.fitzpatrick
    ), kept AS (
        INSERT INTO needlewatch.kept_cell_shards AS k
            (shard, treated_on, device_type, setting, fitzpatrick, treatments, cases_any, reports,
             infection, scarring, hyperpigmentation, burn, nerve_damage, fat_loss, granuloma,
             dryness_peeling, acne_flare, other, unknown_type)
        SELECT my_shard, x.treated_on, x.device_type, x.setting, x.fitzpatrick, x.treatments,
               x.cases_any, x.reports, x.infection, x.scarring, x.hyperpigmentation, x.burn,
               x.nerve_damage, x.fat_loss, x.granuloma, x.dryness_peeling, x.acne_flare, x.other,
               x.unknown_type
        FROM x
        WHERE (x.treatments, x.cases_any, x.reports, x.infection, x.scarring,
               x.hyperpigmentation, x.burn, x.nerve_damage, x.fat_loss, x.granuloma,
               x.dryness_peeling, x.acne_flare, x.other, x.unknown_type)
              <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        ORDER BY x.treated_on, x.device_type, x.setting, x.fitzpatrick
        ON CONFLICT (shard, treated_on, device_type, setting, fitzpatrick)
        DO UPDATE SET treatments = k.treatments + EXCLUDED.treatments,
                      cases_any = k.cases_any + EXCLUDED.cases_any,
                      reports = k.reports + EXCLUDED.reports,
                      infection = k.infection + EXCLUDED.infection,
                      scarring = k.scarring + EXCLUDED.scarring,
                      hyperpigmentation = k.hyperpigmentation + EXCLUDED.hyperpigmentation,
                      burn = k.burn + EXCLUDED.burn,
                      nerve_damage = k.nerve_damage + EXCLUDED.nerve_damage,
                      fat_loss = k.fat_loss + EXCLUDED.fat_loss,
                      granuloma = k.granuloma + EXCLUDED.granuloma,
                      dryness_peeling = k.dryness_peeling + EXCLUDED.dryness_peeling,
                      acne_flare = k.acne_flare + EXCLUDED.acne_flare,
                      other = k.other + EXCLUDED.other,
                      unknown_type = k.unknown_type + EXCLUDED.unknown_type
        RETURNING k.ctid, needlewatch_kept.cell_is_empty(k) AS empty
    )
    SELECT array_agg(kept.ctid) INTO zero FROM kept WHERE kept.empty;
    IF zero IS NOT NULL THEN
        DELETE FROM needlewatch.kept_cell_shards k
        WHERE k.ctid = ANY (zero) AND needlewatch_kept.cell_is_empty(k);
    END IF;
END
$$;

-- Adds to this session's shard of the totals.
CREATE OR REPLACE FUNCTION needlewatch_kept.add_totals(d_reports bigint, d_quarantined bigint)
RETURNS void LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    INSERT INTO needlewatch.kept_total_shards AS k (shard, complication_reports, quarantined)
    VALUES (needlewatch_kept.shard(), d_reports, d_quarantined)
    ON CONFLICT (shard) DO UPDATE
    SET complication_reports = k.complication_reports + EXCLUDED.complication_reports,
        quarantined = k.quarantined + EXCLUDED.quarantined
$$;

-- Recounts everything from the report tables into shard 0 (the migration's
-- backfill; a TRUNCATE of a report table; by hand after loading with
-- triggers disabled). Blocks writers of the report tables until commit.
CREATE OR REPLACE FUNCTION needlewatch_kept.rebuild()
RETURNS void LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    LOCK TABLE needlewatch.treatment_versions, needlewatch.complication_versions,
               needlewatch.quarantine IN SHARE ROW EXCLUSIVE MODE;
    TRUNCATE needlewatch.treatment_state, needlewatch.complication_state,
             needlewatch.kept_cell_shards, needlewatch.kept_total_shards;

    INSERT INTO needlewatch.complication_state (report_id, treatment_id, type)
    SELECT v.report_id,
           CASE WHEN NOT v.nullified THEN v.treatment_id END,
           CASE WHEN NOT v.nullified THEN v.type END
    FROM (SELECT DISTINCT ON (report_id) report_id, nullified, treatment_id, type
          FROM needlewatch.complication_versions
          ORDER BY report_id, version DESC) v;

    INSERT INTO needlewatch.treatment_state
        (report_id, treated_on, device_type, setting, fitzpatrick, mask, reports)
    SELECT coalesce(t.report_id, c.treatment_id), t.treated_on, t.device_type, t.setting,
           t.fitzpatrick, coalesce(c.mask, 0), coalesce(c.reports, 0)
    FROM (SELECT v.report_id COLLATE "C" AS report_id,
                 CASE WHEN NOT v.nullified THEN v.treated_on END AS treated_on,
                 CASE WHEN NOT v.nullified THEN v.device_type END AS device_type,
                 CASE WHEN NOT v.nullified THEN v.setting END AS setting,
                 CASE WHEN NOT v.nullified THEN v.fitzpatrick END AS fitzpatrick
          FROM (SELECT DISTINCT ON (report_id) report_id, nullified, treated_on, device_type,
                       setting, fitzpatrick
                FROM needlewatch.treatment_versions
                ORDER BY report_id, version DESC) v) t
    FULL JOIN (SELECT treatment_id, bit_or(needlewatch_kept.type_bit(type)) AS mask,
                      count(*)::integer AS reports
               FROM needlewatch.complication_state
               WHERE type IS NOT NULL
               GROUP BY treatment_id) c ON c.treatment_id = t.report_id;

    INSERT INTO needlewatch.kept_cell_shards
        (shard, treated_on, device_type, setting, fitzpatrick, treatments, cases_any, reports,
         infection, scarring, hyperpigmentation, burn, nerve_damage, fat_loss, granuloma,
         dryness_peeling, acne_flare, other, unknown_type)
    SELECT 0, treated_on, device_type, setting, coalesce(fitzpatrick, 0), count(*),
           count(*) FILTER (WHERE mask <> 0), sum(reports),
           count(*) FILTER (WHERE mask & 2 <> 0), count(*) FILTER (WHERE mask & 4 <> 0),
           count(*) FILTER (WHERE mask & 8 <> 0), count(*) FILTER (WHERE mask & 16 <> 0),
           count(*) FILTER (WHERE mask & 32 <> 0), count(*) FILTER (WHERE mask & 64 <> 0),
           count(*) FILTER (WHERE mask & 128 <> 0), count(*) FILTER (WHERE mask & 256 <> 0),
           count(*) FILTER (WHERE mask & 512 <> 0), count(*) FILTER (WHERE mask & 1024 <> 0),
           count(*) FILTER (WHERE mask & 1 <> 0)
    FROM needlewatch.treatment_state
    WHERE treated_on IS NOT NULL
    GROUP BY treated_on, device_type, setting, coalesce(fitzpatrick, 0);

    INSERT INTO needlewatch.kept_total_shards (shard, complication_reports, quarantined)
    VALUES (0, (SELECT count(*) FROM needlewatch.complication_state WHERE type IS NOT NULL),
               (SELECT count(*) FROM needlewatch.quarantine));
END
$$;

-- Statement trigger on treatment_versions: INSERT (new_rows), UPDATE
-- (old_rows and new_rows), DELETE (old_rows). See the header for the steps.
CREATE OR REPLACE FUNCTION needlewatch_kept.treatment_versions_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    my_shard integer;
    stale text[];   -- reports whose state is recomputed from the versions
    zero tid[];
    -- Cell deltas of the recomputed reports.
    b_on date[]; b_dev text[]; b_set text[]; b_fitz smallint[]; b_mask bigint[];
    b_n bigint[]; b_rep bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        my_shard := needlewatch_kept.shard();
        -- Step 1: lock or create the states; the created ones are final.
        WITH created AS (
            INSERT INTO needlewatch.treatment_state AS s
                (report_id, treated_on, device_type, setting, fitzpatrick)
            SELECT DISTINCT ON (r.report_id COLLATE "C") r.report_id,
                   CASE WHEN NOT r.nullified THEN r.treated_on END,
                   CASE WHEN NOT r.nullified THEN r.device_type END,
                   CASE WHEN NOT r.nullified THEN r.setting END,
                   CASE WHEN NOT r.nullified THEN r.fitzpatrick END
            FROM new_rows r
            ORDER BY r.report_id COLLATE "C", r.version DESC
            ON CONFLICT (report_id) DO UPDATE SET mask = s.mask WHERE false
            RETURNING s.report_id, s.treated_on, s.device_type, s.setting, s.fitzpatrick
        ), added AS (
            -- Each created one counts in its cell, with no complication yet
            -- (add_cells() inlined: this is the path of almost every report).
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
            RETURNING k.ctid, needlewatch_kept.cell_is_empty(k) AS empty
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
                   c.fitzpatrick
            FROM unnest(stale) AS u (id)
            LEFT JOIN LATERAL (
                SELECT v.nullified, v.treated_on, v.device_type, v.setting, v.fitzpatrick
                FROM needlewatch.treatment_versions v
                WHERE v.report_id = u.id
                ORDER BY v.version DESC
                LIMIT 1
            ) c ON NOT c.nullified
        ), chg AS (
            SELECT s.report_id, s.mask, s.reports,
                   s.treated_on AS old_treated_on, s.device_type AS old_device_type,
                   s.setting AS old_setting, s.fitzpatrick AS old_fitzpatrick,
                   c.treated_on, c.device_type, c.setting, c.fitzpatrick
            FROM cur c
            JOIN needlewatch.treatment_state s ON s.report_id = c.report_id
            WHERE (s.treated_on, s.device_type, s.setting, s.fitzpatrick)
                  IS DISTINCT FROM (c.treated_on, c.device_type, c.setting, c.fitzpatrick)
        ), upd AS (
            UPDATE needlewatch.treatment_state s
            SET treated_on = chg.treated_on, device_type = chg.device_type,
                setting = chg.setting, fitzpatrick = chg.fitzpatrick
            FROM chg
            WHERE s.report_id = chg.report_id
        )
        SELECT array_agg(x.treated_on), array_agg(x.device_type), array_agg(x.setting),
               array_agg(x.fitzpatrick), array_agg(x.mask), array_agg(x.n), array_agg(x.reports)
        INTO b_on, b_dev, b_set, b_fitz, b_mask, b_n, b_rep
        FROM (SELECT old_treated_on, old_device_type, old_setting, old_fitzpatrick, mask,
                     -1::bigint, -reports::bigint
              FROM chg WHERE old_treated_on IS NOT NULL
              UNION ALL
              SELECT treated_on, device_type, setting, fitzpatrick, mask, 1, reports
              FROM chg WHERE treated_on IS NOT NULL)
             AS x (treated_on, device_type, setting, fitzpatrick, mask, n, reports);
    END IF;

    PERFORM needlewatch_kept.add_cells(b_on, b_dev, b_set, b_fitz, b_mask, b_n, b_rep);
    RETURN NULL;
END
$$;

-- Statement trigger on complication_versions: the complications' own state,
-- then the state of every treatment one of them left or joined.
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
        SELECT o.stale, a.ids, a.bits, a.reports, coalesce(a.total, 0)
        INTO stale, touched, touched_bits, touched_reports, reports_delta
        FROM (SELECT array_agg(DISTINCT r.report_id) AS stale FROM new_rows r
              WHERE NOT EXISTS (SELECT 1 FROM created c
                                WHERE c.report_id = r.report_id COLLATE "C")) o,
             (SELECT array_agg(a.treatment_id) AS ids, array_agg(a.bits) AS bits,
                     array_agg(a.reports) AS reports, sum(a.reports) AS total
              FROM added a) a;
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
        -- treatments (see the header). prev_mask keeps the mask before, for
        -- the count delta; a state row created here has no cell, so it
        -- changes no count.
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
                          s.mask, s.reports, s.prev_mask
            )
            SELECT array_agg(x.treated_on), array_agg(x.device_type), array_agg(x.setting),
                   array_agg(x.fitzpatrick), array_agg(x.mask), array_agg(x.n),
                   array_agg(x.reports)
            INTO d_on, d_dev, d_set, d_fitz, d_mask, d_n, d_rep
            FROM (SELECT up.treated_on, up.device_type, up.setting, up.fitzpatrick,
                         up.prev_mask, -1::bigint, -(up.reports - d.reports)::bigint
                  FROM up JOIN d ON d.report_id = up.report_id
                  WHERE up.treated_on IS NOT NULL
                  UNION ALL
                  SELECT up.treated_on, up.device_type, up.setting, up.fitzpatrick,
                         up.mask, 1, up.reports
                  FROM up WHERE up.treated_on IS NOT NULL)
                 AS x (treated_on, device_type, setting, fitzpatrick, mask, n, reports);
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
        )
        SELECT (SELECT array_agg(x.id)
                FROM (SELECT old_treatment_id FROM chg WHERE old_type IS NOT NULL
                      UNION SELECT treatment_id FROM chg WHERE type IS NOT NULL) AS x (id)),
               (SELECT count(*) FILTER (WHERE type IS NOT NULL)
                       - count(*) FILTER (WHERE old_type IS NOT NULL) FROM chg)
        INTO more_touched, more_delta;
        touched := touched || more_touched;
        reports_delta := reports_delta + more_delta;

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
            )
            SELECT array_agg(x.treated_on), array_agg(x.device_type), array_agg(x.setting),
                   array_agg(x.fitzpatrick), array_agg(x.mask), array_agg(x.n),
                   array_agg(x.reports)
            INTO d_on, d_dev, d_set, d_fitz, d_mask, d_n, d_rep
            FROM (SELECT treated_on, device_type, setting, fitzpatrick, old_mask, -1::bigint,
                         -old_reports::bigint
                  FROM chg WHERE treated_on IS NOT NULL
                  UNION ALL
                  SELECT treated_on, device_type, setting, fitzpatrick, mask, 1, reports
                  FROM chg WHERE treated_on IS NOT NULL)
                 AS x (treated_on, device_type, setting, fitzpatrick, mask, n, reports);
        END IF;
    END IF;

    PERFORM needlewatch_kept.add_cells(d_on, d_dev, d_set, d_fitz, d_mask, d_n, d_rep);
    IF reports_delta <> 0 THEN
        PERFORM needlewatch_kept.add_totals(reports_delta, 0);
    END IF;
    RETURN NULL;
END
$$;

-- Statement trigger on quarantine: its row count.
CREATE OR REPLACE FUNCTION needlewatch_kept.quarantine_changed()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        UPDATE needlewatch.kept_total_shards SET quarantined = 0 WHERE quarantined <> 0;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO d FROM new_rows;
    ELSE
        SELECT -count(*) INTO d FROM old_rows;
    END IF;
    IF d <> 0 THEN
        PERFORM needlewatch_kept.add_totals(0, d);
    END IF;
    RETURN NULL;
END
$$;

-- TRUNCATE of a report table: recount everything.
CREATE OR REPLACE FUNCTION needlewatch_kept.reports_truncated()
RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM needlewatch_kept.rebuild();
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER kept_insert AFTER INSERT ON needlewatch.treatment_versions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.treatment_versions_changed();
CREATE OR REPLACE TRIGGER kept_update AFTER UPDATE ON needlewatch.treatment_versions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.treatment_versions_changed();
CREATE OR REPLACE TRIGGER kept_delete AFTER DELETE ON needlewatch.treatment_versions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.treatment_versions_changed();
CREATE OR REPLACE TRIGGER kept_truncate AFTER TRUNCATE ON needlewatch.treatment_versions
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.reports_truncated();

CREATE OR REPLACE TRIGGER kept_insert AFTER INSERT ON needlewatch.complication_versions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.complication_versions_changed();
CREATE OR REPLACE TRIGGER kept_update AFTER UPDATE ON needlewatch.complication_versions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.complication_versions_changed();
CREATE OR REPLACE TRIGGER kept_delete AFTER DELETE ON needlewatch.complication_versions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.complication_versions_changed();
CREATE OR REPLACE TRIGGER kept_truncate AFTER TRUNCATE ON needlewatch.complication_versions
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.reports_truncated();

CREATE OR REPLACE TRIGGER kept_insert AFTER INSERT ON needlewatch.quarantine
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.quarantine_changed();
CREATE OR REPLACE TRIGGER kept_delete AFTER DELETE ON needlewatch.quarantine
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.quarantine_changed();
CREATE OR REPLACE TRIGGER kept_truncate AFTER TRUNCATE ON needlewatch.quarantine
    FOR EACH STATEMENT EXECUTE FUNCTION needlewatch_kept.quarantine_changed();

-- A cell's counts for kept_cells_check(): treatments, any, reports, then per
-- type (infection .. other, unknown); NULL (no such cell) as zeros.
CREATE OR REPLACE FUNCTION needlewatch_kept.format_counts(counts bigint[])
RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('treatments=%s any=%s reports=%s by type %s',
                  coalesce(counts[1], 0), coalesce(counts[2], 0), coalesce(counts[3], 0),
                  coalesce(counts[4:14], array_fill(0::bigint, ARRAY[11])))
$$;

-- Recounts everything from the report tables, in one snapshot, and returns
-- one row per difference with what is kept (kept) and what the recount gives
-- (actual); no row means the kept counts are exact:
--   kind 'cell'                  key "treated_on device_type setting skin_type", values
--                                "treatments=T any=A reports=R by type {infection,...,
--                                other,unknown}" (a missing cell: treatments=0 ...)
--   kind 'total'                 key complication_reports or quarantined
--   kind 'treatment_state'       key report_id, values "cell mask=M reports=R"
--   kind 'complication_state'    key report_id, values "treatment_id type"
-- Masks are recomputed from needlewatch.complication_types, independently of
-- the triggers. SECURITY DEFINER so that roles that may not read the report
-- tables (the analyst) can run it; it returns counts and the states of
-- current reports, which the views show anyway.
CREATE OR REPLACE FUNCTION needlewatch.kept_cells_check()
RETURNS TABLE (kind text, key text, kept text, actual text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH tv AS (   -- text in COLLATE "C", like the kept tables, so that they compare
        SELECT DISTINCT ON (report_id) report_id COLLATE "C" AS report_id, nullified, treated_on,
               device_type COLLATE "C" AS device_type, setting COLLATE "C" AS setting, fitzpatrick
        FROM needlewatch.treatment_versions
        ORDER BY report_id, version DESC
    ), cv AS (
        SELECT DISTINCT ON (report_id) report_id COLLATE "C" AS report_id, nullified,
               treatment_id COLLATE "C" AS treatment_id, type COLLATE "C" AS type
        FROM needlewatch.complication_versions
        ORDER BY report_id, version DESC
    ), cc AS (
        SELECT cv.report_id, cv.treatment_id, cv.type,
               1::bigint << coalesce(ty.ordinal, 0) AS bit
        FROM cv
        LEFT JOIN needlewatch.complication_types ty
               ON ty.complication COLLATE "C" = cv.type AND ty.ordinal > 0
        WHERE NOT cv.nullified
    ), per_treatment AS (
        SELECT treatment_id, bit_or(bit) AS mask, count(*) AS reports
        FROM cc GROUP BY treatment_id
    ), ts AS (   -- the treatment states there should be (empty ones left out)
        SELECT coalesce(t.report_id, p.treatment_id) AS report_id,
               t.treated_on, t.device_type, t.setting, t.fitzpatrick,
               coalesce(p.mask, 0) AS mask, coalesce(p.reports, 0) AS reports
        FROM (SELECT * FROM tv WHERE NOT nullified) t
        FULL JOIN per_treatment p ON p.treatment_id = t.report_id
    ), kts AS (
        SELECT * FROM needlewatch.treatment_state
        WHERE treated_on IS NOT NULL OR mask <> 0 OR reports <> 0
    ), cells AS (   -- counts: treatments, any, reports, then per type (bit 1..10, then 0)
        SELECT treated_on, device_type, setting, coalesce(fitzpatrick, 0) AS fitzpatrick,
               ARRAY[count(*), count(*) FILTER (WHERE mask <> 0), sum(reports),
                     count(*) FILTER (WHERE mask & 2 <> 0), count(*) FILTER (WHERE mask & 4 <> 0),
                     count(*) FILTER (WHERE mask & 8 <> 0), count(*) FILTER (WHERE mask & 16 <> 0),
                     count(*) FILTER (WHERE mask & 32 <> 0), count(*) FILTER (WHERE mask & 64 <> 0),
                     count(*) FILTER (WHERE mask & 128 <> 0),
                     count(*) FILTER (WHERE mask & 256 <> 0),
                     count(*) FILTER (WHERE mask & 512 <> 0),
                     count(*) FILTER (WHERE mask & 1024 <> 0),
                     count(*) FILTER (WHERE mask & 1 <> 0)]::bigint[] AS counts
        FROM ts WHERE treated_on IS NOT NULL
        GROUP BY 1, 2, 3, 4
    ), kc AS (
        SELECT treated_on, device_type, setting, coalesce(fitzpatrick, 0) AS fitzpatrick,
               ARRAY[treatments, cases_any, reports, infection, scarring, hyperpigmentation, burn,
                     nerve_damage, fat_loss, granuloma, dryness_peeling, acne_flare, other,
                     unknown_type]::bigint[] AS counts
        FROM needlewatch.kept_cells
    ), kt AS (
        SELECT * FROM needlewatch.kept_totals
    )
    SELECT 'cell',
           format('%s %s %s %s', coalesce(k.treated_on, a.treated_on),
                  coalesce(k.device_type, a.device_type), coalesce(k.setting, a.setting),
                  needlewatch.skin_type(nullif(coalesce(k.fitzpatrick, a.fitzpatrick), 0))),
           needlewatch_kept.format_counts(k.counts),
           needlewatch_kept.format_counts(a.counts)
    FROM kc k
    FULL JOIN cells a
           ON a.treated_on = k.treated_on AND a.device_type = k.device_type
          AND a.setting = k.setting AND a.fitzpatrick = k.fitzpatrick
    WHERE k.counts IS DISTINCT FROM a.counts
    UNION ALL
    SELECT 'total', 'complication_reports', kt.complication_reports::text,
           (SELECT count(*) FROM cc)::text
    FROM kt WHERE kt.complication_reports <> (SELECT count(*) FROM cc)
    UNION ALL
    SELECT 'total', 'quarantined', kt.quarantined::text,
           (SELECT count(*) FROM needlewatch.quarantine)::text
    FROM kt WHERE kt.quarantined <> (SELECT count(*) FROM needlewatch.quarantine)
    UNION ALL
    SELECT 'treatment_state', coalesce(k.report_id, a.report_id),
           CASE WHEN k.report_id IS NOT NULL THEN
               format('%s %s %s %s mask=%s reports=%s', k.treated_on, k.device_type, k.setting,
                      k.fitzpatrick, k.mask, k.reports) END,
           CASE WHEN a.report_id IS NOT NULL THEN
               format('%s %s %s %s mask=%s reports=%s', a.treated_on, a.device_type, a.setting,
                      a.fitzpatrick, a.mask, a.reports) END
    FROM kts k
    FULL JOIN ts a ON a.report_id = k.report_id
    WHERE k.report_id IS NULL OR a.report_id IS NULL
       OR (k.treated_on, k.device_type, k.setting, k.fitzpatrick, k.mask, k.reports)
          IS DISTINCT FROM
          (a.treated_on, a.device_type, a.setting, a.fitzpatrick, a.mask, a.reports)
    UNION ALL
    SELECT 'complication_state', coalesce(k.report_id, a.report_id),
           CASE WHEN k.report_id IS NOT NULL THEN format('%s %s', k.treatment_id, k.type) END,
           CASE WHEN a.report_id IS NOT NULL THEN format('%s %s', a.treatment_id, a.type) END
    FROM (SELECT * FROM needlewatch.complication_state WHERE type IS NOT NULL) k
    FULL JOIN cc a ON a.report_id = k.report_id
    WHERE k.report_id IS NULL OR a.report_id IS NULL
       OR (k.treatment_id, k.type) IS DISTINCT FROM (a.treatment_id, a.type)
    ORDER BY 1, 2
$$;

-- Ownership, privileges and row-level security, as sql/004_roles.sql does
-- for its objects (when the roles exist; 004 creates them).
DO $$
DECLARE
    owner regrole := (SELECT relowner::regrole FROM pg_class
                      WHERE oid = 'needlewatch.treatment_versions'::regclass);
    rel text;
BEGIN
    -- The SECURITY DEFINER functions run as the owner of the reports.
    IF owner::text <> quote_ident(current_user) THEN
        EXECUTE format('ALTER SCHEMA needlewatch_kept OWNER TO %s', owner);
        FOREACH rel IN ARRAY ARRAY['needlewatch.treatment_state', 'needlewatch.complication_state',
                                   'needlewatch.kept_cell_shards', 'needlewatch.kept_total_shards']
        LOOP
            EXECUTE format('ALTER TABLE %s OWNER TO %s', rel, owner);
        END LOOP;
        EXECUTE format('ALTER VIEW needlewatch.kept_cells OWNER TO %s', owner);
        EXECUTE format('ALTER VIEW needlewatch.kept_totals OWNER TO %s', owner);
        FOREACH rel IN ARRAY ARRAY['needlewatch_kept.type_bit(text)', 'needlewatch_kept.shard()',
                                   'needlewatch_kept.add_cells(date[], text[], text[], smallint[], '
                                   'bigint[], bigint[], bigint[])',
                                   'needlewatch_kept.add_totals(bigint, bigint)',
                                   'needlewatch_kept.cell_is_empty(needlewatch.kept_cell_shards)',
                                   'needlewatch_kept.format_counts(bigint[])',
                                   'needlewatch_kept.rebuild()',
                                   'needlewatch_kept.treatment_versions_changed()',
                                   'needlewatch_kept.complication_versions_changed()',
                                   'needlewatch_kept.quarantine_changed()',
                                   'needlewatch_kept.reports_truncated()',
                                   'needlewatch.kept_cells_check()',
                                   'needlewatch.kept_cube(date, date)']
        LOOP
            EXECUTE format('ALTER FUNCTION %s OWNER TO %s', rel, owner);
        END LOOP;
    END IF;
END $$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA needlewatch_kept FROM PUBLIC;
REVOKE ALL ON FUNCTION needlewatch.kept_cells_check() FROM PUBLIC;
REVOKE ALL ON FUNCTION needlewatch.kept_cube(date, date) FROM PUBLIC;
REVOKE ALL ON needlewatch.treatment_state, needlewatch.complication_state,
              needlewatch.kept_cell_shards, needlewatch.kept_total_shards,
              needlewatch.kept_cells, needlewatch.kept_totals FROM PUBLIC;

-- Default deny, like the report tables: the owner (the triggers, the views)
-- bypasses it; the authority reads everything.
ALTER TABLE needlewatch.treatment_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE needlewatch.complication_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE needlewatch.kept_cell_shards ENABLE ROW LEVEL SECURITY;
ALTER TABLE needlewatch.kept_total_shards ENABLE ROW LEVEL SECURITY;

DO $$
DECLARE
    rel text;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch_authority') THEN
        FOREACH rel IN ARRAY ARRAY['needlewatch.treatment_state', 'needlewatch.complication_state',
                                   'needlewatch.kept_cell_shards', 'needlewatch.kept_total_shards']
        LOOP
            EXECUTE format('DROP POLICY IF EXISTS authority_read ON %s', rel);
            EXECUTE format('CREATE POLICY authority_read ON %s FOR SELECT TO needlewatch_authority '
                           'USING (true)', rel);
            EXECUTE format('GRANT SELECT ON %s TO needlewatch_authority', rel);
        END LOOP;
        GRANT SELECT ON needlewatch.kept_cells, needlewatch.kept_totals TO needlewatch_authority;
        GRANT EXECUTE ON FUNCTION needlewatch.kept_cells_check(), needlewatch.kept_cube(date, date)
            TO needlewatch_authority;
    END IF;
    -- The analyst reads the counts through the views and kept_cube() (no
    -- table) and may check them (needlewatch-analyze --verify).
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch_analyst') THEN
        GRANT SELECT ON needlewatch.kept_cells, needlewatch.kept_totals TO needlewatch_analyst;
        GRANT EXECUTE ON FUNCTION needlewatch.kept_cells_check(), needlewatch.kept_cube(date, date)
            TO needlewatch_analyst;
    END IF;
    -- needlewatch_ingest needs nothing here: the trigger functions are
    -- SECURITY DEFINER. Makers get nothing.
END $$;

-- The backfill: recount what is already stored. CREATE TRIGGER above took
-- SHARE ROW EXCLUSIVE on the report tables, so no worker has stored
-- anything since that the triggers did not see, and none will until commit.
DO $$ BEGIN PERFORM needlewatch_kept.rebuild(); END $$;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (5, '005_kept_counts') ON CONFLICT (version) DO NOTHING;

COMMIT;

-- 007_kept_surveillance.sql: the surveillance counts from what the ingest
-- keeps, so that the default report does not scan every report.
--
-- needlewatch-analyze's surveillance part (analyze/surveillance.c) needs
--   * per ISO week (by treated_on) x device type x setting: the current
--     treatments and their cases, of any type and of each type: exactly the
--     day-cells of kept_cell_shards (005) summed per Monday, over the
--     Fitzpatrick values and the writing sessions' shards;
--   * per device type x manufacturer x model x type: the current complication
--     reports whose treatment is current and dated in the window. Those come
--     from complication_state (the current, non-withdrawn complications; 005
--     keeps it exact and kept_cells_check() checks it) and treatment_state
--     (the cell of the current treatment version), with the manufacturer and
--     model read from that treatment's current version through the primary
--     key: one index probe per complication report, never a scan of the
--     treatments.
-- The first part reads a table bounded by days x cells; the second reads
-- in proportion to the complication reports (a few percent of the
-- treatments), not to the treatments.
--
-- needlewatch.kept_surveillance(from, to, types) returns the rows of the
-- statement it replaces, in the same columns:
--   kind 'weekt'   monday (days since 1970-01-01), device_type, setting;
--                  ordinal 0; n = current treatments of that week and cell
--   kind 'weekc'   the same key; ordinal 0 = cases of any type, i = cases of
--                  the type of ordinal i in types; rows with n = 0 left out
--   kind 'report'  device_type, manufacturer, model (NULL when the
--                  treatment names none); ordinal of the complication's
--                  type in types (0: not listed); n = reports
-- SECURITY DEFINER, like kept_cube(): the analyst reads no table.
BEGIN;

SET LOCAL client_min_messages = warning;

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
    -- The per-type columns above are in the order of
    -- needlewatch.complication_types (005's kept_cube() relies on it too);
    -- here they are mapped onto the caller's list by name.
    SELECT 'weekc', w.monday, w.device_type, w.setting, NULL, NULL,
           CASE WHEN c.i = 1 THEN 0
                ELSE coalesce(array_position(types, (ARRAY['infection', 'scarring',
                    'hyperpigmentation', 'burn', 'nerve_damage', 'fat_loss', 'granuloma',
                    'dryness_peeling', 'acne_flare', 'other'])[c.i - 1]), 0) END,
           c.n::bigint
    FROM w, unnest(w.cases) WITH ORDINALITY AS c (n, i)
    WHERE c.n <> 0
    UNION ALL
    SELECT 'report', NULL, ts.device_type::text, NULL, t.manufacturer, t.model,
           coalesce(array_position(types, cs.type::text), 0), count(*)
    -- Both lookups are index probes per complication (LIMIT 1 keeps the
    -- planner from turning the first into a join that scans every
    -- treatment's state); the state tables compare in COLLATE "C", the
    -- report tables' keys in the default collation.
    -- Probing in key order keeps the index pages each probe reads warm.
    FROM (SELECT c.treatment_id, c.type FROM needlewatch.complication_state c
          WHERE c.treatment_id IS NOT NULL
          ORDER BY c.treatment_id COLLATE "default") cs
    CROSS JOIN LATERAL (
        SELECT s.device_type, s.treated_on
        FROM needlewatch.treatment_state s
        WHERE s.report_id = cs.treatment_id
        LIMIT 1
    ) ts
    CROSS JOIN LATERAL (
        SELECT v.manufacturer, v.model
        FROM needlewatch.treatment_versions v
        WHERE v.report_id = (cs.treatment_id COLLATE "default")
        ORDER BY v.version DESC
        LIMIT 1
    ) t
    WHERE ts.treated_on BETWEEN coalesce(from_date, '-infinity'::date)
                            AND coalesce(to_date, 'infinity'::date)
    GROUP BY 3, 5, 6, 7
$$;

-- Owned by the owner of the reports (it runs as them), executable by those
-- who run the analyzer.
DO $$
DECLARE
    owner regrole := (SELECT relowner::regrole FROM pg_class
                      WHERE oid = 'needlewatch.treatment_versions'::regclass);
    r text;
BEGIN
    IF owner::text <> quote_ident(current_user) THEN
        EXECUTE format('ALTER FUNCTION needlewatch.kept_surveillance(date, date, text[]) '
                       'OWNER TO %s', owner);
    END IF;
    REVOKE ALL ON FUNCTION needlewatch.kept_surveillance(date, date, text[]) FROM PUBLIC;
    FOREACH r IN ARRAY ARRAY['needlewatch_analyst', 'needlewatch_authority'] LOOP
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('GRANT EXECUTE ON FUNCTION '
                           'needlewatch.kept_surveillance(date, date, text[]) TO %I', r);
        END IF;
    END LOOP;
END $$;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (7, '007_kept_surveillance') ON CONFLICT (version) DO NOTHING;

COMMIT;

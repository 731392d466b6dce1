-- 45_risks.sql: the analyst's risks over a fixed follow-up, weekly series
-- and Wilson interval, from the kept counts.
--
-- The same numbers as needlewatch-analyze's JSON report (a test compares
-- every row: tests/integration/t_analyze_risks.sh), and like the report
-- they read the kept counts (sql/repeatable/30_kept.sql: kept_risks(),
-- kept_surveillance()), never every report version, so they stay fast
-- however many reports there are. The definitions are docs/analysis.md's:
--   eligible for H  a treatment of the window dated on or before as_of - H;
--   case within H   an eligible treatment with a current report of the
--                   complication whose onset_days is at most H, or absent
--                   (it cannot be ruled out, so it counts);
--   serious         a case with such a report that is severe or has a
--                   permanent outcome;
--   missing onset   a case within H only through reports without onset_days.
-- Intervals: Wilson 95%, computed by needlewatch.wilson() exactly as the
-- analyzer does (analyze/model/stats.c), in double precision.
BEGIN;

SET LOCAL client_min_messages = warning;

-- The Wilson score interval of cases out of treatments at the normal
-- quantile z (default 95%): rate = cases / treatments, the interval's
-- bounds, 0 exactly when there is no case and 1 when every treatment is a
-- case. NULL when treatments is 0 or cases is outside 0..treatments.
CREATE OR REPLACE FUNCTION needlewatch.wilson(cases bigint, treatments bigint,
                                              z double precision DEFAULT 1.959963984540054,
                                              OUT rate double precision,
                                              OUT ci_low double precision,
                                              OUT ci_high double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT x.p,
           CASE WHEN cases = 0 THEN 0 ELSE greatest(0, x.centre - x.half) END,
           CASE WHEN cases = treatments THEN 1 ELSE least(1, x.centre + x.half) END
    FROM (SELECT y.p,
                 (y.p + y.z2 / (2 * y.n)) / y.denom AS centre,
                 z / y.denom * sqrt(y.p * (1 - y.p) / y.n + y.z2 / (4 * y.n * y.n)) AS half
          FROM (SELECT cases::double precision / treatments AS p,
                       treatments::double precision AS n, z * z AS z2,
                       1 + z * z / treatments AS denom
                WHERE treatments > 0 AND cases BETWEEN 0 AND treatments) y) x
$$;
COMMENT ON FUNCTION needlewatch.wilson(bigint, bigint, double precision) IS
    'The Wilson score interval of cases out of treatments at normal quantile z (default '
    '1.959963984540054, 95%): rate, ci_low, ci_high, as needlewatch-analyze computes them; NULL '
    'without treatments.';

-- Risks within horizon days of treatment, as of as_of, of the treatments
-- dated in [from_date, to_date] (NULL: open): one row per device_type x
-- setting x skin_type (each with the margin 'all') x complication ('any' and
-- each type of complication_catalogue) with at least one eligible treatment,
-- as the report's "risks" member. Reads needlewatch.kept_risks().
CREATE OR REPLACE FUNCTION needlewatch.risks_between(from_date date, to_date date, as_of date,
                                                     horizon integer)
RETURNS TABLE (device_type text, setting text, skin_type text, complication text,
               horizon_days integer, as_of date, treatments bigint, cases bigint,
               rate double precision, ci_low double precision, ci_high double precision,
               serious_cases bigint, serious_rate double precision,
               serious_ci_low double precision, serious_ci_high double precision,
               missing_onset_cases bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH k AS MATERIALIZED (
        SELECT * FROM needlewatch.kept_risks(from_date, to_date, as_of, ARRAY[horizon])
    ), e AS (     -- one row per cell and complication (ordinal 0: any)
        SELECT k.device_type, k.setting, k.fitzpatrick, k.treatments, 0 AS ordinal,
               k.cases_any AS x, k.serious_any AS sx, k.missing_any AS mx
        FROM k
        UNION ALL
        SELECT k.device_type, k.setting, k.fitzpatrick, k.treatments, o.ordinal,
               k.cases[o.ordinal], k.serious[o.ordinal], k.missing[o.ordinal]
        FROM k CROSS JOIN needlewatch.complication_catalogue o
    ), rows AS (
        SELECT CASE WHEN GROUPING(e.device_type) = 1 THEN 'all' ELSE e.device_type END AS d,
               CASE WHEN GROUPING(e.setting) = 1 THEN 'all' ELSE e.setting END AS s,
               CASE WHEN GROUPING(e.fitzpatrick) = 1 THEN 'all'
                    ELSE needlewatch.skin_type(e.fitzpatrick) END AS sk,
               e.ordinal,
               coalesce((SELECT o.complication FROM needlewatch.complication_catalogue o
                         WHERE o.ordinal = e.ordinal), 'any') AS complication,
               sum(e.treatments)::bigint AS n, sum(e.x)::bigint AS x,
               sum(e.sx)::bigint AS sx, sum(e.mx)::bigint AS mx
        FROM e
        GROUP BY e.ordinal, CUBE (e.device_type, e.setting, e.fitzpatrick)
        HAVING sum(e.treatments) > 0
    )
    SELECT r.d, r.s, r.sk, r.complication, horizon, as_of, r.n, r.x, w.rate, w.ci_low,
           w.ci_high, r.sx, sw.rate, sw.ci_low, sw.ci_high, r.mx
    FROM rows r
    CROSS JOIN LATERAL needlewatch.wilson(r.x, r.n) w
    CROSS JOIN LATERAL needlewatch.wilson(r.sx, r.n) sw
    ORDER BY r.d = 'all',
             (SELECT dc.ordinal FROM needlewatch.device_catalogue dc WHERE dc.device_type = r.d)
                 NULLS LAST,
             r.d,
             array_position(ARRAY['home', 'clinic', 'all'], r.s),
             array_position(ARRAY['I', 'II', 'III', 'IV', 'V', 'VI', 'unknown', 'all'], r.sk),
             r.ordinal
$$;
COMMENT ON FUNCTION needlewatch.risks_between(date, date, date, integer) IS
    'Risks within horizon days of treatment as of as_of, for the treatments dated in '
    '[from_date, to_date] (NULL: open): per device_type x setting x skin_type (margins all) x '
    'complication (any and each type), the eligible treatments (dated on or before as_of - '
    'horizon), the cases within the horizon (a report with onset_days <= horizon, or without '
    'onset_days), the serious ones (severe or permanent), Wilson 95% intervals, and the cases '
    'that rest on a missing onset. The same rows as the report''s "risks".';

CREATE OR REPLACE FUNCTION needlewatch.risks(as_of date, horizon integer)
RETURNS TABLE (device_type text, setting text, skin_type text, complication text,
               horizon_days integer, as_of date, treatments bigint, cases bigint,
               rate double precision, ci_low double precision, ci_high double precision,
               serious_cases bigint, serious_rate double precision,
               serious_ci_low double precision, serious_ci_high double precision,
               missing_onset_cases bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM needlewatch.risks_between(NULL, NULL, as_of, horizon)
$$;
COMMENT ON FUNCTION needlewatch.risks(date, integer) IS
    'risks_between(NULL, NULL, as_of, horizon): risks within horizon days of treatment as of '
    'as_of, over every treatment.';

-- Treatments and cases per ISO week of treated_on (Monday to Sunday) and
-- series: device_type x setting (each with the margin 'all') x complication
-- ('any' and each type), for the treatments dated in [from_date, to_date]
-- (NULL: open); one row per week of a series with at least one treatment.
-- The counts of the report's "weekly" member, with the rate and its Wilson
-- interval. Reads needlewatch.kept_surveillance().
CREATE OR REPLACE FUNCTION needlewatch.weekly_series_between(from_date date, to_date date)
RETURNS TABLE (week_start date, iso_week text, device_type text, setting text,
               complication text, treatments bigint, cases bigint, rate double precision,
               ci_low double precision, ci_high double precision)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH types AS MATERIALIZED (
        SELECT array_agg(o.complication ORDER BY o.ordinal) AS names
        FROM needlewatch.complication_catalogue o
    ), k AS MATERIALIZED (
        SELECT s.*
        FROM types, needlewatch.kept_surveillance(from_date, to_date, types.names) s
        WHERE s.kind IN ('weekt', 'weekc')
    ), t AS (
        SELECT k.monday,
               CASE WHEN GROUPING(k.device_type) = 1 THEN 'all' ELSE k.device_type END AS d,
               CASE WHEN GROUPING(k.setting) = 1 THEN 'all' ELSE k.setting END AS s,
               sum(k.n)::bigint AS n
        FROM k WHERE k.kind = 'weekt'
        GROUP BY k.monday, CUBE (k.device_type, k.setting)
    ), c AS (
        SELECT k.monday, k.ordinal,
               CASE WHEN GROUPING(k.device_type) = 1 THEN 'all' ELSE k.device_type END AS d,
               CASE WHEN GROUPING(k.setting) = 1 THEN 'all' ELSE k.setting END AS s,
               sum(k.n)::bigint AS n
        FROM k WHERE k.kind = 'weekc'
        GROUP BY k.monday, k.ordinal, CUBE (k.device_type, k.setting)
    ), grid AS (
        SELECT t.monday, t.d, t.s, t.n, x.ordinal, x.complication
        FROM t
        CROSS JOIN (SELECT 0 AS ordinal, 'any' AS complication
                    UNION ALL
                    SELECT o.ordinal, o.complication
                    FROM needlewatch.complication_catalogue o) x
        WHERE t.n > 0
    )
    SELECT date '1970-01-01' + g.monday, to_char(date '1970-01-01' + g.monday, 'IYYY-"W"IW'),
           g.d, g.s, g.complication, g.n, coalesce(c.n, 0), w.rate, w.ci_low, w.ci_high
    FROM grid g
    LEFT JOIN c ON c.monday = g.monday AND c.d = g.d AND c.s = g.s AND c.ordinal = g.ordinal
    CROSS JOIN LATERAL needlewatch.wilson(coalesce(c.n, 0), g.n) w
    ORDER BY 1, g.d = 'all',
             (SELECT dc.ordinal FROM needlewatch.device_catalogue dc WHERE dc.device_type = g.d)
                 NULLS LAST,
             g.d, array_position(ARRAY['home', 'clinic', 'all'], g.s), g.ordinal
$$;
COMMENT ON FUNCTION needlewatch.weekly_series_between(date, date) IS
    'Treatments and cases per ISO week of treated_on and series device_type x setting (margins '
    'all) x complication (any and each type), for the treatments dated in [from_date, to_date] '
    '(NULL: open), with the rate and its Wilson 95% interval: the report''s weekly series.';

CREATE OR REPLACE VIEW needlewatch.weekly_series AS
SELECT * FROM needlewatch.weekly_series_between(NULL, NULL);
COMMENT ON VIEW needlewatch.weekly_series IS
    'weekly_series_between(NULL, NULL): treatments and cases per ISO week of treatment and '
    'series (device_type x setting x complication, margins all), from the kept counts, one row '
    'per week of a series with at least one treatment.';
COMMENT ON COLUMN needlewatch.weekly_series.week_start IS
    'The Monday of the ISO week (treated_on from this day to the Sunday after).';
COMMENT ON COLUMN needlewatch.weekly_series.iso_week IS 'The ISO week, as 2024-W16.';
COMMENT ON COLUMN needlewatch.weekly_series.device_type IS
    'The device type (device_catalogue), or all.';
COMMENT ON COLUMN needlewatch.weekly_series.setting IS 'home, clinic, or all.';
COMMENT ON COLUMN needlewatch.weekly_series.complication IS
    'any, or a type of complication_catalogue.';
COMMENT ON COLUMN needlewatch.weekly_series.treatments IS
    'Current treatments of the series dated in that week.';
COMMENT ON COLUMN needlewatch.weekly_series.cases IS
    'Those with at least one current report of the complication (of any, for any).';
COMMENT ON COLUMN needlewatch.weekly_series.rate IS 'cases / treatments.';
COMMENT ON COLUMN needlewatch.weekly_series.ci_low IS
    'Lower bound of the Wilson 95% interval of the rate.';
COMMENT ON COLUMN needlewatch.weekly_series.ci_high IS
    'Upper bound of the Wilson 95% interval of the rate.';

COMMIT;

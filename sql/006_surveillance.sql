-- 006_surveillance.sql: the complication catalogue, and what
-- needlewatch-analyze --persist stores of each run (its parameters, its
-- signals and its alerts), so signals can be followed from run to run.
--
--   complication_catalogue  one row per complication type of
--                           complication_versions.type: its title for people
--                           and its IMDRF Annex E (health effects: clinical
--                           signs, symptoms and conditions) code and term.
--                           The codes are left NULL until the regulatory
--                           team fills them from the IMDRF AET release it
--                           reports with (imdrf_release); none is guessed
--                           here. A check keeps codes in Annex E's shape.
--   analysis_runs           one row per --persist run: when, which window,
--                           the EARS and suppression parameters, totals.
--   signal_results          per run: device type (model '') or model x
--                           complication: counts, rate ratio, PRR, ROR,
--                           chi-square, the three signal flags.
--   alert_results           per run: the EARS C2 alerts.
--   latest_signals          the signals (signal = true) of the latest run.
-- Numbers are stored as computed; "suppressed" says whether the run's
-- published outputs hid them (--suppress-below).
BEGIN;

CREATE TABLE IF NOT EXISTS needlewatch.complication_catalogue (
    complication      text PRIMARY KEY,
    ordinal           integer NOT NULL UNIQUE,
    title             text NOT NULL,
    imdrf_annex_e_code text CHECK (imdrf_annex_e_code ~ '^E[0-9]{2}([0-9]{2}){0,2}$'),
    imdrf_annex_e_term text,
    imdrf_release     text,
    CHECK ((imdrf_annex_e_code IS NULL) = (imdrf_annex_e_term IS NULL))
);

INSERT INTO needlewatch.complication_catalogue (complication, ordinal, title) VALUES
    ('infection', 1, 'Infection'),
    ('scarring', 2, 'Scarring'),
    ('hyperpigmentation', 3, 'Hyperpigmentation'),
    ('burn', 4, 'Burn'),
    ('nerve_damage', 5, 'Nerve damage'),
    ('fat_loss', 6, 'Fat loss'),
    ('granuloma', 7, 'Granuloma'),
    ('dryness_peeling', 8, 'Dryness / peeling'),
    ('acne_flare', 9, 'Acne flare'),
    ('other', 10, 'Other')
ON CONFLICT (complication) DO NOTHING;

CREATE TABLE IF NOT EXISTS needlewatch.analysis_runs (
    run_id            bigserial PRIMARY KEY,
    generated_at      timestamptz NOT NULL,
    analyzer_version  text NOT NULL,
    window_from       date,
    window_to         date,
    first_week        date,
    weeks             integer NOT NULL,
    treatments        bigint NOT NULL,
    suppress_below    integer,
    ears_baseline     integer NOT NULL,
    ears_alpha        double precision NOT NULL,
    ears_min_sigma    double precision NOT NULL,
    alert_min_cases   integer NOT NULL,
    signals           integer NOT NULL,
    alerts            integer NOT NULL
);

CREATE TABLE IF NOT EXISTS needlewatch.signal_results (
    run_id            bigint NOT NULL REFERENCES needlewatch.analysis_runs ON DELETE CASCADE,
    scope             text NOT NULL CHECK (scope IN ('device_type', 'model')),
    device_type       text NOT NULL,
    model             text NOT NULL DEFAULT '',
    complication      text NOT NULL,
    treatments        bigint NOT NULL,
    cases             bigint NOT NULL,
    other_treatments  bigint NOT NULL,
    other_cases       bigint NOT NULL,
    rate_ratio        double precision,
    rate_ratio_ci_low double precision,
    rate_ratio_ci_high double precision,
    prr               double precision,
    prr_ci_low        double precision,
    prr_ci_high       double precision,
    ror               double precision,
    ror_ci_low        double precision,
    ror_ci_high       double precision,
    chi2_yates        double precision,
    chi2_p            double precision,
    rate_signal       boolean NOT NULL,
    evans_signal      boolean NOT NULL,
    signal            boolean NOT NULL,
    suppressed        boolean NOT NULL,
    PRIMARY KEY (run_id, scope, device_type, model, complication)
);

CREATE TABLE IF NOT EXISTS needlewatch.alert_results (
    run_id            bigint NOT NULL REFERENCES needlewatch.analysis_runs ON DELETE CASCADE,
    device_type       text NOT NULL,
    complication      text NOT NULL,
    week_start        date NOT NULL,
    observed          bigint NOT NULL,
    expected          double precision NOT NULL,
    sd                double precision NOT NULL,
    upperbound        double precision NOT NULL,
    statistic         double precision,
    threshold         double precision NOT NULL,
    suppressed        boolean NOT NULL,
    PRIMARY KEY (run_id, device_type, complication, week_start)
);

CREATE OR REPLACE VIEW needlewatch.latest_signals AS
SELECT s.*, r.generated_at
FROM needlewatch.signal_results s
JOIN needlewatch.analysis_runs r USING (run_id)
WHERE s.run_id = (SELECT max(run_id) FROM needlewatch.analysis_runs) AND s.signal;

-- Roles (004): analysts read all of it, and needlewatch-analyze --persist,
-- which runs as an analyst, may add runs (never change or delete them).
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch_analyst') THEN
        GRANT SELECT ON needlewatch.complication_catalogue, needlewatch.analysis_runs,
                        needlewatch.signal_results, needlewatch.alert_results,
                        needlewatch.latest_signals TO needlewatch_analyst;
        GRANT INSERT ON needlewatch.analysis_runs, needlewatch.signal_results,
                        needlewatch.alert_results TO needlewatch_analyst;
        GRANT USAGE ON SEQUENCE needlewatch.analysis_runs_run_id_seq TO needlewatch_analyst;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch_authority') THEN
        GRANT SELECT ON needlewatch.complication_catalogue, needlewatch.analysis_runs,
                        needlewatch.signal_results, needlewatch.alert_results,
                        needlewatch.latest_signals TO needlewatch_authority;
    END IF;
END $$;

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (6, '006_surveillance') ON CONFLICT (version) DO NOTHING;

COMMIT;

-- 006_surveillance.sql: the complication catalogue, and what
-- needlewatch-analyze --persist stores of each run (its parameters, its
-- signals and its alerts), so signals can be followed from run to run.
--
--   complication_catalogue  one row per complication type of
--                           complication_versions.type: its title for people
--                           and its IMDRF Annex E (health effects: clinical
--                           signs, symptoms and conditions) codes and terms,
--                           as arrays (dryness_peeling maps to two terms:
--                           E1724 Dry Skin and E1711 Peeling). fat_loss,
--                           acne_flare and other have no specific Annex E
--                           term: empty arrays and a note saying so.
--   analysis_runs           one row per --persist run: when, which window,
--                           the EARS and suppression parameters, totals.
--   signal_results          per run: device type (manufacturer, model '') or
--                           manufacturer x model (device_type '') x
--                           complication: the report counts a, b, c, d,
--                           PRR, ROR, Yates chi-square, the Evans signal.
--   rate_results            per run: device type x setting x complication:
--                           treatments, cases, the rate ratio against all
--                           other device types (Katz interval).
--   alert_results           per run: the EARS C2 alerts (device type x
--                           setting x complication x ISO week).
--   latest_signals          the signals (signal = true) of the latest run.
-- Numbers are stored as computed; "suppressed" says whether the run's
-- published outputs hid them (--suppress-below).
--
-- Roles: needlewatch_analyzer, a NOLOGIN group role of sql/roles.sql (a
-- superuser creates the roles once; this file checks it exists), is what
-- --persist runs as: it may add runs (INSERT, never UPDATE or DELETE;
-- sql/repeatable/90_privileges.sql). needlewatch_analyst and
-- needlewatch_authority only read.
BEGIN;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'needlewatch_analyzer') THEN
        RAISE EXCEPTION 'group role needlewatch_analyzer does not exist'
            USING HINT = 'Roles belong to the cluster: a superuser creates them once with '
                         'sql/roles.sql (psql -v ON_ERROR_STOP=1 -f sql/roles.sql).';
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS needlewatch.complication_catalogue (
    complication        text PRIMARY KEY,
    ordinal             integer NOT NULL UNIQUE,
    title               text NOT NULL,
    imdrf_annex_e_codes text[] NOT NULL DEFAULT '{}'
                        CHECK (array_to_string(imdrf_annex_e_codes, ',') ~ '^(E[0-9]{2}([0-9]{2}){0,2}(,|$))*$'),
    imdrf_annex_e_terms text[] NOT NULL DEFAULT '{}',
    imdrf_note          text,
    CHECK (cardinality(imdrf_annex_e_codes) = cardinality(imdrf_annex_e_terms)),
    CHECK ((cardinality(imdrf_annex_e_codes) = 0) = (imdrf_note IS NOT NULL))
);

-- The catalogue's rows are kept by sql/repeatable/10_catalogue.sql (013).

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
    device_type       text NOT NULL DEFAULT '',
    manufacturer      text NOT NULL DEFAULT '',
    model             text NOT NULL DEFAULT '',
    complication      text NOT NULL,
    a                 bigint NOT NULL,
    b                 bigint NOT NULL,
    c                 bigint NOT NULL,
    d                 bigint NOT NULL,
    prr               double precision,
    prr_ci_low        double precision,
    prr_ci_high       double precision,
    ror               double precision,
    ror_ci_low        double precision,
    ror_ci_high       double precision,
    chi2              double precision,
    chi2_p            double precision,
    evans_signal      boolean NOT NULL,
    signal            boolean NOT NULL,
    suppressed        boolean NOT NULL,
    PRIMARY KEY (run_id, scope, device_type, manufacturer, model, complication)
);

CREATE TABLE IF NOT EXISTS needlewatch.rate_results (
    run_id            bigint NOT NULL REFERENCES needlewatch.analysis_runs ON DELETE CASCADE,
    device_type       text NOT NULL,
    setting           text NOT NULL CHECK (setting IN ('home', 'clinic')),
    complication      text NOT NULL,
    treatments        bigint NOT NULL,
    cases             bigint NOT NULL,
    other_treatments  bigint NOT NULL,
    other_cases       bigint NOT NULL,
    rate_ratio        double precision,
    ci_low            double precision,
    ci_high           double precision,
    suppressed        boolean NOT NULL,
    PRIMARY KEY (run_id, device_type, setting, complication)
);

CREATE TABLE IF NOT EXISTS needlewatch.alert_results (
    run_id            bigint NOT NULL REFERENCES needlewatch.analysis_runs ON DELETE CASCADE,
    device_type       text NOT NULL,
    setting           text NOT NULL CHECK (setting IN ('home', 'clinic', 'all')),
    complication      text NOT NULL,
    week              text NOT NULL,
    week_start        date NOT NULL,
    observed          bigint NOT NULL,
    expected          double precision NOT NULL,
    sd                double precision NOT NULL,
    upperbound        double precision NOT NULL,
    statistic         double precision,
    threshold         double precision NOT NULL,
    suppressed        boolean NOT NULL,
    PRIMARY KEY (run_id, device_type, setting, complication, week_start)
);

-- The view latest_signals is in sql/repeatable/60_surveillance.sql and the
-- privileges in sql/repeatable/90_privileges.sql.

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (6, '006_surveillance') ON CONFLICT (version) DO NOTHING;

COMMIT;

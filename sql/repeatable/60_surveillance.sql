-- 60_surveillance.sql: views over what needlewatch-analyze --persist stores
-- (sql/006_surveillance.sql's tables).
BEGIN;

CREATE OR REPLACE VIEW needlewatch.latest_signals AS
SELECT s.*, r.generated_at
FROM needlewatch.signal_results s
JOIN needlewatch.analysis_runs r USING (run_id)
WHERE s.run_id = (SELECT max(run_id) FROM needlewatch.analysis_runs) AND s.signal;
COMMENT ON VIEW needlewatch.latest_signals IS
    'The signals (signal = true) of the latest persisted run, with when it was generated.';

COMMENT ON COLUMN needlewatch.latest_signals.run_id IS
    'The persisted run (analysis_runs).';
COMMENT ON COLUMN needlewatch.latest_signals.scope IS
    'device_type (one row per device type) or model (per manufacturer and model).';
COMMENT ON COLUMN needlewatch.latest_signals.device_type IS
    'The device type of the row ('''' when none).';
COMMENT ON COLUMN needlewatch.latest_signals.manufacturer IS
    'The manufacturer (model scope; '''' in the device type scope).';
COMMENT ON COLUMN needlewatch.latest_signals.model IS
    'The model (model scope; '''' in the device type scope).';
COMMENT ON COLUMN needlewatch.latest_signals.complication IS
    'The complication type.';
COMMENT ON COLUMN needlewatch.latest_signals.a IS
    'Complication reports of this type for this device type or model.';
COMMENT ON COLUMN needlewatch.latest_signals.b IS
    'Its reports of the other types.';
COMMENT ON COLUMN needlewatch.latest_signals.c IS
    'Reports of this type for the others.';
COMMENT ON COLUMN needlewatch.latest_signals.d IS
    'Reports of the other types for the others.';
COMMENT ON COLUMN needlewatch.latest_signals.prr IS
    'Proportional reporting ratio (a/(a+b)) / (c/(c+d)).';
COMMENT ON COLUMN needlewatch.latest_signals.prr_ci_low IS
    'Lower bound of its 95% interval.';
COMMENT ON COLUMN needlewatch.latest_signals.prr_ci_high IS
    'Upper bound of its 95% interval.';
COMMENT ON COLUMN needlewatch.latest_signals.ror IS
    'Reporting odds ratio (a d) / (b c).';
COMMENT ON COLUMN needlewatch.latest_signals.ror_ci_low IS
    'Lower bound of its 95% interval.';
COMMENT ON COLUMN needlewatch.latest_signals.ror_ci_high IS
    'Upper bound of its 95% interval.';
COMMENT ON COLUMN needlewatch.latest_signals.chi2 IS
    'Yates-corrected chi-square of the 2x2 table.';
COMMENT ON COLUMN needlewatch.latest_signals.chi2_p IS
    'Its p-value.';
COMMENT ON COLUMN needlewatch.latest_signals.evans_signal IS
    'The Evans rule: a >= 3, PRR >= 2 and chi-square >= 4.';
COMMENT ON COLUMN needlewatch.latest_signals.signal IS
    'Whether the run flagged the row as a signal.';
COMMENT ON COLUMN needlewatch.latest_signals.suppressed IS
    'Whether --suppress-below hid the row''s numbers.';
COMMENT ON COLUMN needlewatch.latest_signals.generated_at IS
    'When the run was generated.';

COMMIT;

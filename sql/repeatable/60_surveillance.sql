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

COMMIT;

-- 009_operations.sql: what operating needlewatch needs beyond the ingest.
--
-- Replaying the quarantine (needlewatch-ingest --replay-quarantine,
-- ingest/replay.c). After a producer bug is fixed, a limit is raised or the
-- contract grows, the quarantined messages are decoded again; those now
-- valid are stored as if they had just arrived, and each replayed row is
-- marked in the same transaction:
--   replayed_at     when it was last replayed (NULL: never)
--   replay_outcome  stored     its report version is now stored, from this
--                              message (source_topic/partition/offset)
--                   duplicate  valid, but that (report_id, version) was
--                              already stored from another message
--                   invalid    still invalid: error is the current reason,
--                              first_error the one it arrived with
-- A row stays in the quarantine whatever its outcome: the table is the
-- record of what arrived invalid, and its counts (analysis_totals, the kept
-- totals) count every row, replayed or not. A replay selects only rows
-- never replayed or still invalid, so replaying twice stores nothing twice.
--
-- Publishing signals once (needlewatch-analyze --publish-signals): what was
-- last published to each topic, per message key, so that a run publishes
-- only what appeared, changed or cleared since. Written in the transaction
-- that records the run (analysis_runs), after Kafka acknowledged every
-- message; if that transaction fails, the next run publishes the same
-- difference again (at least once, never lost).
--   published_signals  topic, key (signal/DEVICE/COMPLICATION,
--                      signal/model/MANUFACTURER/MODEL/COMPLICATION or
--                      alert/DEVICE/SETTING/COMPLICATION/WEEK_START), kind,
--                      the row as last published (content), state active
--                      or cleared, and the run that published it.
--
-- maker_access: no role named needlewatch_* may be mapped to a
-- manufacturer. 004 listed four group roles by name and missed
-- needlewatch_analyzer; every group role of sql/roles.sql (the one list)
-- is named needlewatch_*, and so is no maker.
BEGIN;

ALTER TABLE needlewatch.quarantine
    ADD COLUMN IF NOT EXISTS replayed_at timestamptz,
    ADD COLUMN IF NOT EXISTS replay_outcome text
        CHECK (replay_outcome IN ('stored', 'duplicate', 'invalid')),
    ADD COLUMN IF NOT EXISTS first_error text,
    ADD CONSTRAINT quarantine_replay_marked
        CHECK ((replayed_at IS NULL) = (replay_outcome IS NULL));

ALTER TABLE needlewatch.maker_access
    DROP CONSTRAINT IF EXISTS maker_access_role_name_check,
    ADD CONSTRAINT maker_access_role_name_check
        CHECK (role_name !~ '^needlewatch_' AND role_name <> 'public');

CREATE TABLE IF NOT EXISTS needlewatch.published_signals (
    topic         text NOT NULL,
    key           text NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('signal', 'alert')),
    content       jsonb NOT NULL,
    state         text NOT NULL CHECK (state IN ('active', 'cleared')),
    run_id        bigint NOT NULL REFERENCES needlewatch.analysis_runs (run_id),
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, key)
);
-- Privileges: sql/repeatable/90_privileges.sql.

INSERT INTO needlewatch.schema_migrations (version, name)
VALUES (9, '009_operations') ON CONFLICT (version) DO NOTHING;

COMMIT;

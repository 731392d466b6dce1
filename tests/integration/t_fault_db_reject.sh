#!/usr/bin/env bash
# A batch whose COPY fails inside PostgreSQL: a value the decoder accepts but
# the database rejects (here, a CHECK constraint the test adds) must not lose
# the batch. The worker bisects the batch under savepoints in the same
# transaction: the offending messages go to the quarantine with the
# database's reason, every other message of the batch is stored, and the
# offsets move past all of them.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties" "ingest.batch.max_messages=1000"
nw_apply_sql
nw_sql "ALTER TABLE needlewatch.treatment_versions ADD CONSTRAINT test_db_rejects CHECK (region IS DISTINCT FROM 'db-rejects-this')" >/dev/null

for i in $(seq 1 60); do
  region=face
  case $i in 7|31|59) region=db-rejects-this ;; esac
  echo "{\"schema_version\":1,\"report_id\":\"t-$i\",\"treated_on\":\"2026-06-01\",\"setting\":\"home\",\"device\":{\"type\":\"derma_roller\"},\"region\":\"$region\"}"
done | nw_produce treatments -p 0
echo '{"schema_version":1,"report_id":"c-1","treatment_id":"t-7","type":"infection"}' | nw_produce complications -p 0

nw_ingest worker --config "$WORK/w.properties"
nw_check "worker exits 0" 0 $?
nw_check "the good messages of the batch are stored" 57 "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")"
nw_check "the complication in the same batch is stored" 1 "$(nw_sql "SELECT count(*) FROM needlewatch.complication_versions")"
nw_check "the rejected ones are quarantined at their offsets" "6,30,58" \
  "$(nw_sql "SELECT string_agg(kafka_offset::text, ',' ORDER BY kafka_offset) FROM needlewatch.quarantine")"
nw_check "with the database's reason" 3 \
  "$(nw_sql "SELECT count(*) FROM needlewatch.quarantine WHERE error LIKE 'database rejected the report: %test_db_rejects% (SQLSTATE 23514)'")"
nw_check "offsets moved past the whole batch" 60 \
  "$(nw_sql "SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = 'treatments' AND partition = 0")"
nw_check "stats: 61 consumed, 58 stored, 3 rejected by the database" 1 "$(grep -c 'final consumed=61 stored=58 duplicates=0 quarantined=3 db_rejected=3 batches=' "$WORK/worker.log")"
nw_done

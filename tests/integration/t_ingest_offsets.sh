#!/usr/bin/env bash
# Offsets live in PostgreSQL, in the same transaction as the rows: a restarted
# worker resumes exactly where the stored offsets say, and not from Kafka's
# own committed offsets.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties"

gen() { # gen FROM TO
    for i in $(seq "$1" "$2"); do
        echo "{\"schema_version\":1,\"report_id\":\"t-$i\",\"treated_on\":\"2026-05-01\",\"setting\":\"home\",\"device\":{\"type\":\"derma_stamp\"}}"
    done
}
gen 1 300 | nw_produce treatments
nw_ingest run1 --config "$WORK/w.properties"
nw_check "first run stores everything" 300 "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "offsets stored in PostgreSQL add up to the messages" 300 \
  "$(nw_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE topic = 'treatments' AND next_offset > 0")"

gen 301 400 | nw_produce treatments
nw_ingest run2 --config "$WORK/w.properties"
nw_check "restart resumes: only the 100 new messages are consumed" 1 \
  "$(grep -c 'final consumed=100 stored=100 duplicates=0' "$WORK/run2.log")"

# Rewind one partition in PostgreSQL only: the worker must follow PostgreSQL.
part=$(nw_sql "SELECT partition FROM needlewatch.kafka_offsets WHERE topic = 'treatments' ORDER BY next_offset DESC LIMIT 1")
p0=$(nw_sql "SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = 'treatments' AND partition = $part")
nw_sql "UPDATE needlewatch.kafka_offsets SET next_offset = 0 WHERE topic = 'treatments' AND partition = $part" >/dev/null
nw_ingest run3 --config "$WORK/w.properties"
nw_check "rewound offsets in PostgreSQL are honoured (redelivery, no duplicates)" 1 \
  "$(grep -c "final consumed=$p0 stored=0 duplicates=$p0" "$WORK/run3.log")"
nw_check "still 400 reports" 400 "$(nw_sql "SELECT count(*) FROM needlewatch.treatments")"
nw_check "offsets back where they were" "$p0" \
  "$(nw_sql "SELECT next_offset FROM needlewatch.kafka_offsets WHERE topic = 'treatments' AND partition = $part")"
nw_done

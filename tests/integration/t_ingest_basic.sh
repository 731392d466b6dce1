#!/usr/bin/env bash
# Valid reports of both kinds are stored with every field; in one batch, bad
# messages go to the quarantine (topic, partition, offset, key, raw bytes, a
# reason naming field and rule) while the good ones around them are stored;
# complications that arrive before their treatment, or for a treatment never
# sent, are stored and join once the treatment exists. Messages are produced
# with kcat, a Kafka client needlewatch did not write.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties"

# Partition 0 of treatments, one batch: good, bad, good, not JSON, good.
nw_produce treatments -p 0 -K '|' <<'EOF2'
t-full|{"schema_version":1,"report_id":"t-full","version":1,"treated_on":"2026-03-14","setting":"clinic","device":{"type":"rf_microneedling","manufacturer":"Acme Derm","model":"RF-200","needle_depth_mm":1.5},"operator":"physician","skin":{"fitzpatrick":5},"sterile_tip":true,"active_acne":false,"serum":"hyaluronic_acid","region":"face","reported_at":"2026-03-15T10:00:00Z","extra":{"kept":"verbatim"}}
t-bad|{"schema_version":1,"report_id":"t-bad","treated_on":"2026-03-14","setting":"home","device":{"type":"derma_roller"},"skin":{"fitzpatrick":7}}
t-min|{"schema_version":1,"report_id":"t-min","treated_on":"2026-03-01","setting":"home","device":{"type":"derma_roller"}}
t-junk|this is not json
t-late|{"schema_version":1,"report_id":"t-late","treated_on":"2026-02-28","setting":"home","device":{"type":"derma_stamp"},"skin":{"fitzpatrick":2}}
EOF2
nw_produce complications -p 0 <<'EOF2'
{"schema_version":1,"report_id":"c-full","treatment_id":"t-full","type":"burn","severity":"severe","onset_days":2,"outcome":"ongoing","medical_attention":true,"reported_at":"2026-03-16T08:30:00+01:00"}
{"schema_version":1,"report_id":"c-min","treatment_id":"t-min","type":"infection"}
{"schema_version":1,"report_id":"c-orphan","treatment_id":"t-never-sent","type":"scarring"}
{"schema_version":1,"report_id":"c-badtype","treatment_id":"t-min","type":"sunburn"}
EOF2

nw_ingest worker1 --config "$WORK/w.properties"
nw_check "worker exits 0 at end of input" 0 $?

nw_check "treatments stored" "t-full t-late t-min" \
  "$(nw_sql "SELECT string_agg(report_id, ' ' ORDER BY report_id) FROM needlewatch.treatments")"
nw_check "every treatment field" \
  "t-full|1|2026-03-14|clinic|rf_microneedling|Acme Derm|RF-200|1.5|physician|5|t|f|hyaluronic_acid|face|2026-03-15 10:00:00+00" \
  "$(nw_sql "SET TIME ZONE 'UTC'; SELECT report_id, version, treated_on, setting, device_type, manufacturer, model, needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum, region, reported_at FROM needlewatch.treatments WHERE report_id = 't-full'")"
nw_check "absent optional fields are NULL" "t-min|||||||||" \
  "$(nw_sql "SELECT report_id, manufacturer, model, needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum, region FROM needlewatch.treatments WHERE report_id = 't-min'")"
nw_check "original message kept verbatim" '{"kept":"verbatim"}' \
  "$(nw_sql "SELECT (message::jsonb -> 'extra')::text FROM needlewatch.treatment_versions WHERE report_id = 't-full'" | tr -d ' ')"
nw_check "every complication field" \
  "c-full|1|t-full|burn|severe|2|ongoing|t|2026-03-16 07:30:00+00" \
  "$(nw_sql "SET TIME ZONE 'UTC'; SELECT report_id, version, treatment_id, type, severity, onset_days, outcome, medical_attention, reported_at FROM needlewatch.complications WHERE report_id = 'c-full'")"
nw_check "orphan complication stored" 1 \
  "$(nw_sql "SELECT count(*) FROM needlewatch.complications WHERE treatment_id = 't-never-sent'")"

nw_check "quarantine holds the three bad messages" \
  "$(nw_topic complications)|0|3||sunburn
$(nw_topic treatments)|0|1|t-bad|skin.fitzpatrick: must be an integer 1..6, got 7
$(nw_topic treatments)|0|3|t-junk|message: not valid JSON" \
  "$(nw_sql "SELECT topic, partition, kafka_offset, convert_from(coalesce(key, ''), 'UTF8'),
                    CASE WHEN error LIKE 'type:%' THEN 'sunburn' WHEN error LIKE 'message: not valid JSON%' THEN 'message: not valid JSON' ELSE error END
             FROM needlewatch.quarantine ORDER BY topic, kafka_offset")"
nw_check "quarantined payload is the raw bytes" "this is not json" \
  "$(nw_sql "SELECT convert_from(payload, 'UTF8') FROM needlewatch.quarantine WHERE kafka_offset = 3 AND topic = '$(nw_topic treatments)'")"
nw_check "complication type error names field and rule" 1 \
  "$(nw_sql "SELECT count(*) FROM needlewatch.quarantine WHERE error LIKE 'type: must be one of %got \"sunburn\"'")"

# A complication for a treatment that arrives later joins it then.
nw_produce complications -p 1 <<'EOF2'
{"schema_version":1,"report_id":"c-early","treatment_id":"t-later","type":"hyperpigmentation"}
EOF2
nw_ingest worker2 --config "$WORK/w.properties"
nw_check "complication before its treatment: stored, not joined yet" "1|0" \
  "$(nw_sql "SELECT count(c.*), count(t.*) FROM needlewatch.complications c LEFT JOIN needlewatch.treatments t ON t.report_id = c.treatment_id WHERE c.report_id = 'c-early'")"
nw_produce treatments -p 1 <<'EOF2'
{"schema_version":1,"report_id":"t-later","treated_on":"2026-03-02","setting":"clinic","device":{"type":"microneedling_pen"}}
EOF2
nw_ingest worker3 --config "$WORK/w.properties"
nw_check "...and joins once the treatment is stored" "1|1" \
  "$(nw_sql "SELECT count(c.*), count(t.*) FROM needlewatch.complications c LEFT JOIN needlewatch.treatments t ON t.report_id = c.treatment_id WHERE c.report_id = 'c-early'")"
nw_check "writes are batched (COPY per batch, not per row)" 1 \
  "$(grep -c 'final consumed=9 stored=6 duplicates=0 quarantined=3' "$WORK/worker1.log")"
nw_done

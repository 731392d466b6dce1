#!/usr/bin/env bash
# The hostile-input corpus (tests/corpus, with expected.tsv) goes through kcat,
# the development broker and the real worker into PostgreSQL: every message
# is stored verbatim or quarantined with the expected error, and none of them
# crashes the worker or holds up the good ones in its batch.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties"

cp -r "$NW_SRC/tests/corpus" "$WORK/corpus"
sh "$WORK/corpus/make_big.sh" "$WORK/corpus"
: >"$WORK/order.tsv"
for topic in treatments complications; do
  files=()
  while IFS=$'\t' read -r file _; do
    case "$file" in "$topic"/*) files+=("$WORK/corpus/$file") ;; esac
  done < <(tail -n +2 "$WORK/corpus/expected.tsv")
  # kcat sends each file as one message, in order, to partition 0. It skips
  # empty files, so an empty message goes as "key|" with an empty value.
  group=()
  send_group() {
    [ ${#group[@]} -eq 0 ] || kcat -b "$BOOT" -P -t "$(nw_topic "$topic")" -p 0 -X message.max.bytes=2000000 "${group[@]}"
    group=()
  }
  i=0
  for f in "${files[@]}"; do
    if [ -s "$f" ]; then
      group+=("$f")
    else
      send_group
      printf 'corpus-empty|\n' | kcat -b "$BOOT" -P -t "$(nw_topic "$topic")" -p 0 -K '|'
    fi
    printf '%s\t%d\t%s\n' "$(nw_topic "$topic")" "$i" "${f#"$WORK/corpus/"}" >>"$WORK/order.tsv"
    i=$((i + 1))
  done
  send_group
done
# A null message (a Kafka tombstone) is quarantined as empty too.
printf 'corpus-null|\n' | kcat -b "$BOOT" -P -t "$(nw_topic treatments)" -p 1 -K '|' -Z

nw_ingest worker --config "$WORK/w.properties"
nw_check "worker survives the corpus and exits 0" 0 $?
psql -X -At -F $'\t' -c "
  SELECT 'stored', source_topic, source_offset, encode(convert_to(message, 'UTF8'), 'hex') FROM needlewatch.treatment_versions WHERE source_partition = 0
  UNION ALL
  SELECT 'stored', source_topic, source_offset, encode(convert_to(message, 'UTF8'), 'hex') FROM needlewatch.complication_versions WHERE source_partition = 0
  UNION ALL
  SELECT 'quarantined', topic, kafka_offset, error FROM needlewatch.quarantine WHERE partition = 0" >"$WORK/db.tsv"
python3 "$NW_SRC/tests/integration/corpus_check.py" "$WORK/corpus" "$WORK/order.tsv" "$WORK/db.tsv" \
  >"$WORK/corpus-check.txt"
rc=$?
cat "$WORK/corpus-check.txt" >&2
nw_check "every corpus message has its expected outcome" 0 "$rc"
nw_check "a null message is quarantined as empty" "message: empty" \
  "$(nw_sql "SELECT error FROM needlewatch.quarantine WHERE topic = '$(nw_topic treatments)' AND partition = 1")"
nw_check "SQL metacharacters stored literally" 1 \
  "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE message LIKE '%DROP TABLE%'" | awk '{print ($1 >= 1)}')"
nw_check "schema intact" 1 "$(nw_sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'needlewatch' AND tablename = 'treatment_versions'")"
nw_done

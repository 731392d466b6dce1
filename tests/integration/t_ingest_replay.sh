#!/usr/bin/env bash
# Replaying the quarantine (needlewatch-ingest --replay-quarantine). A worker
# with small limits (ingest.max_message_bytes=2048, ingest.max_depth=8)
# quarantines messages that are otherwise valid: too large, too deep. Once
# the limits are raised (a change of configuration), a replay stores them as
# if they had just arrived: a new report, a follow-up version that becomes
# current, a complication that joins its treatment, a duplicate of a stored
# version (counted, not stored again); a message that is also invalid for
# another reason stays, with that reason. Each row is marked in the same
# transaction; the kept counts stay exact (--verify); a dry run writes
# nothing; the filters choose rows; a second run stores nothing twice; the
# ingest login may not replay.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
nw_config "$WORK/w.properties" "ingest.max_message_bytes=2048" "ingest.max_depth=8"
PAD=$(head -c 3000 /dev/zero | tr '\0' x)
DEEP='[[[[[[[[[[[["deep"]]]]]]]]]]]]'

# treatment ID VERSION SETTING [extra members]: one treatment report.
treatment() {
    printf '{"schema_version":1,"report_id":"%s","version":%s,"treated_on":"2026-03-%02d",' "$1" "$2" "$2"
    printf '"setting":"%s","device":{"type":"derma_roller"}%s}\n' "$3" "${4:-}"
}
# Offsets 0..6 of treatments/0, in this order.
{
    treatment t-1 1 home                          # 0 stored at once
    treatment t-big 1 clinic ",\"pad\":\"$PAD\""  # 1 too large, valid: stored by the replay
    treatment t-deep 1 home ",\"x\":$DEEP"        # 2 too deep, valid: stored by the replay
    treatment t-bad 1 garage                      # 3 invalid whatever the limits
    treatment t-1 1 home ",\"pad\":\"$PAD\""      # 4 too large, same version as offset 0: a duplicate
    treatment t-1 2 clinic ",\"pad\":\"$PAD\""    # 5 too large, a follow-up of t-1: stored, current
    treatment t-both 1 garage ",\"pad\":\"$PAD\"" # 6 too large, and then invalid: a new reason
} | nw_produce treatments -p 0
printf '{"schema_version":1,"report_id":"c-big","treatment_id":"t-big","type":"burn","pad":"%s"}\n' \
    "$PAD" | nw_produce complications -p 0

nw_ingest worker --config "$WORK/w.properties"
nw_check "worker exits 0" 0 $?
q() { nw_sql "SELECT string_agg(topic || '/' || kafka_offset || ' ' || coalesce(replay_outcome, '-'), ', '
                                ORDER BY topic, kafka_offset) FROM needlewatch.quarantine"; }
nw_check "quarantined with the small limits" \
    "complications/0 -, treatments/1 -, treatments/2 -, treatments/3 -, treatments/4 -, treatments/5 -, treatments/6 -" "$(q)"
nw_check "one treatment stored" "t-1 1" \
    "$(nw_sql "SELECT string_agg(report_id || ' ' || version, ',') FROM needlewatch.treatments")"

AN="$NW_BIN/needlewatch-analyze"
LIMITS=(-X ingest.max_message_bytes=1048576 -X ingest.max_depth=16)
replay() { # NAME [args...]: a replay with the worker's config; its exit status
    local name=$1 rc=0
    shift
    "$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" --replay-quarantine "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.log" || rc=$?
    echo "$rc"
}
summary() { tail -n 1 "$WORK/$1.out"; }

# --- A dry run decides everything and writes nothing.
before=$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")
nw_check "dry run: exit 0" 0 "$(replay dry "${LIMITS[@]}" --dry-run)"
nw_check "dry run: what it would do" \
    "replayed 7 quarantined message(s): 4 stored, 1 duplicate(s), 2 still invalid (dry run: nothing was written)" \
    "$(summary dry)"
nw_check "dry run: nothing stored, no row marked" "$before|0" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")|$(nw_sql "SELECT count(*) FROM needlewatch.quarantine WHERE replayed_at IS NOT NULL")"

# --- Filters: one topic and one reason; a date after every row.
nw_check "--since tomorrow: nothing" "0|replayed 0 quarantined message(s): 0 stored, 0 duplicate(s), 0 still invalid" \
    "$(replay since "${LIMITS[@]}" --since "$(date -u -d tomorrow +%F)")|$(summary since)"
nw_check "--topic complications --error-like 'message: too large%': the complication alone" \
    "0|complications/0@0 stored" \
    "$(replay onlyc "${LIMITS[@]}" --topic complications --error-like 'message: too large%')|$(head -n 1 "$WORK/onlyc.out")"
nw_check "...stored as an orphan so far" "orphan" \
    "$(nw_sql "SELECT CASE WHEN EXISTS (SELECT 1 FROM needlewatch.orphan_complications WHERE report_id = 'c-big') THEN 'orphan' ELSE 'case' END")"

# --- The ingest login may not replay (it may not read a message).
nw_sql "CREATE ROLE ingest_login LOGIN IN ROLE needlewatch_ingest" >/dev/null 2>&1 ||
    psql -X -q -U "$(id -un)" -c "CREATE ROLE ingest_login LOGIN IN ROLE needlewatch_ingest" >/dev/null
rc=$(PGUSER=ingest_login replay denied "${LIMITS[@]}" --no-migrate)
nw_check "as the ingest login: exit 1, permission denied" "1|1" \
    "$rc|$(grep -c 'permission denied' "$WORK/denied.log")"

# --- The replay, with the raised limits.
nw_check "replay: exit 0" 0 "$(replay all "${LIMITS[@]}")"
nw_check "replay: one line per row" \
    "treatments/0@1 stored
treatments/0@2 stored
treatments/0@3 invalid: setting: must be one of home, clinic, got \"garage\"
treatments/0@4 duplicate
treatments/0@5 stored
treatments/0@6 invalid: setting: must be one of home, clinic, got \"garage\"
replayed 6 quarantined message(s): 3 stored, 1 duplicate(s), 2 still invalid" "$(cat "$WORK/all.out")"
nw_check "every row marked, in the same transaction as its report" \
    "complications/0 stored, treatments/1 stored, treatments/2 stored, treatments/3 invalid, treatments/4 duplicate, treatments/5 stored, treatments/6 invalid" "$(q)"
nw_check "stored as if just arrived: source = the quarantined message, message verbatim" "4|4" \
    "$(nw_sql "SELECT count(*) FROM (SELECT source_topic, source_partition, source_offset, message
                                     FROM needlewatch.treatment_versions UNION ALL
                                     SELECT source_topic, source_partition, source_offset, message
                                     FROM needlewatch.complication_versions) t
               JOIN needlewatch.quarantine q ON q.topic = t.source_topic
                AND q.partition = t.source_partition AND q.kafka_offset = t.source_offset
               WHERE q.replay_outcome = 'stored' AND convert_to(t.message, 'UTF8') = q.payload")|$(nw_sql "SELECT count(*) FROM needlewatch.quarantine WHERE replay_outcome = 'stored'")"
nw_check "the follow-up is current, the duplicate not stored twice" "t-1 2 clinic|2" \
    "$(nw_sql "SELECT report_id || ' ' || version || ' ' || setting FROM needlewatch.treatments WHERE report_id = 't-1'")|$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE report_id = 't-1'")"
nw_check "the complication joined its treatment" "t-big burn" \
    "$(nw_sql "SELECT treatment_id || ' ' || complication FROM needlewatch.treatment_cases WHERE complication <> 'any'")"
nw_check "still invalid: the reason is the current one, the first one kept" \
    "treatments/3 setting: must be one of home, clinic, got \"garage\"|
treatments/6 setting: must be one of home, clinic, got \"garage\"|message: too large (3140 bytes, limit 2048)" \
    "$(nw_sql "SELECT topic || '/' || kafka_offset || ' ' || error || '|' || coalesce(first_error, '') FROM needlewatch.quarantine
               WHERE replay_outcome = 'invalid' ORDER BY kafka_offset")"
rc=0
"$AN" --verify >"$WORK/verify.out" 2>>"$WORK/analyze.log" || rc=$?
nw_check "kept counts exact after the replay (--verify)" "0|1" "$rc|$(grep -c '^kept counts exact' "$WORK/verify.out")"
nw_check "the analyzer counts the stored reports" "3|1" \
    "$(nw_sql "SELECT treatments FROM needlewatch.analysis_totals")|$(nw_sql "SELECT complication_reports FROM needlewatch.analysis_totals")"

# --- Again: only the rows still invalid are looked at; nothing is stored twice.
versions=$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")
nw_check "again: exit 0" 0 "$(replay again "${LIMITS[@]}")"
nw_check "again: the two still invalid, nothing stored" \
    "replayed 2 quarantined message(s): 0 stored, 0 duplicate(s), 2 still invalid|$versions" \
    "$(summary again)|$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions")"
nw_check "--topic must be a configured topic: exit 2" 2 "$(replay badtopic --topic other)"
nw_check "--since must be a time: exit 2" 2 "$(replay badsince --since yesterday-ish)"
nw_check "--dry-run without --replay-quarantine: usage error" 2 \
    "$(rc=0; "$NW_BIN/needlewatch-ingest" --config "$WORK/w.properties" --dry-run 2>/dev/null || rc=$?; echo $rc)"
nw_done

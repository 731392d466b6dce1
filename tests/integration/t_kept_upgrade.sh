#!/usr/bin/env bash
# Upgrading a database populated under the trigger-kept schema (migrations
# 001-008 as they were before 012, taken from the repository's history) to
# the rollup of sql/012_rollups.sql and sql/repeatable/30_kept.sql keeps
# every count exact: the counts read after the upgrade equal those the old
# triggers kept, kept_cells_check() finds nothing before and after, and
# reports that arrive after the upgrade (follow-ups and complications of
# treatments stored before it, new populations) are counted exactly too.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start --topic treatments:4 --topic complications:3
nw_config "$WORK/w.properties"
OLD=3ff2c51   # the last commit with the trigger-kept schema

if ! git -C "$NW_SRC" cat-file -e "$OLD^{commit}" 2>/dev/null; then
    nw_log "this test needs the repository's history (commit $OLD): clone without --depth"
    exit 1
fi

# --- 1. The old schema, populated through its triggers: a generated
# population COPYed in two statements, then a hand-made follow-up.
for f in $(git -C "$NW_SRC" ls-tree --name-only "$OLD" sql/ | grep -E '^sql/[0-9]+_.*\.sql$' | sort); do
    git -C "$NW_SRC" show "$OLD:$f" | psql -X -q -v ON_ERROR_STOP=1 >/dev/null
done
nw_check "1: the old schema is at migration 8" 8 \
    "$(nw_sql "SELECT max(version) FROM needlewatch.schema_migrations")"
nw_loadgen -n 4000 --seed 81 --dup-rate 0.05 --followup-rate 0.3 --nullify-rate 0.05 \
    --orphan-rate 0.05 --start-date 2024-01-01 --days 400
mkdir -p "$WORK/csv"
python3 "$NW_SRC/bench/dump2csv.py" "$WORK/dump.jsonl" 4 "$WORK/csv" >/dev/null
split -n l/2 -d "$WORK/csv/treatment_versions.csv" "$WORK/tv."
for part in "$WORK"/tv.*; do
    psql -X -q -v ON_ERROR_STOP=1 -c "\\copy needlewatch.treatment_versions (report_id, version, nullified, treated_on, setting, device_type, manufacturer, model, needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum, region, reported_at, source_topic, source_partition, source_offset, message) FROM '$part' CSV"
done
psql -X -q -v ON_ERROR_STOP=1 -c "\\copy needlewatch.complication_versions (report_id, version, nullified, treatment_id, type, severity, onset_days, outcome, medical_attention, reported_at, source_topic, source_partition, source_offset, message) FROM '$WORK/csv/complication_versions.csv' CSV"
nw_check "1: the old triggers' counts are exact" "" \
    "$(nw_sql "SELECT kind || ' ' || key FROM needlewatch.kept_cells_check()")"
# What the old schema kept, in a shape both schemas can print.
nw_sql "SELECT concat_ws('|', treated_on, device_type, setting, coalesce(fitzpatrick::text, ''),
                         treatments, cases_any, reports,
                         concat_ws(',', infection, scarring, hyperpigmentation, burn, nerve_damage,
                                   fat_loss, granuloma, dryness_peeling, acne_flare, other))
        FROM needlewatch.kept_cells" | LC_ALL=C sort >"$WORK/old-cells"
nw_sql "SELECT concat_ws('|', treated_on, device_type, coalesce(manufacturer, ''),
                         coalesce(model, ''), type, sum(reports))
        FROM needlewatch.kept_model_shards GROUP BY treated_on, device_type, manufacturer, model, type
        HAVING sum(reports) <> 0" | LC_ALL=C sort >"$WORK/old-models"
old_total=$(nw_sql "SELECT complication_reports FROM needlewatch.kept_totals")
nw_check "1: the old schema kept counts" yes \
    "$([ "$(wc -l <"$WORK/old-cells")" -gt 1000 ] && [ "$(wc -l <"$WORK/old-models")" -gt 100 ] && echo yes)"

# --- 2. The upgrade, by hand as an operator would (docker/migrate.sh).
nw_apply_sql
nw_check "2: migrated past 012, with the repeatable files" "t|t" \
    "$(nw_sql "SELECT max(version) >= 12 FROM needlewatch.schema_migrations")|$(nw_sql "SELECT count(*) > 0 FROM needlewatch.schema_repeatables")"
nw_check "2: the trigger machinery is gone" "0|0" \
    "$(nw_sql "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'kept_insert%'")|$(nw_sql "SELECT count(*) FROM pg_class WHERE relname LIKE 'kept_%shards'")"
new_cells() {
    nw_sql "SELECT concat_ws('|', treated_on, device_type, setting, coalesce(fitzpatrick::text, ''),
                             treatments, cases_any, reports, array_to_string(cases, ','))
            FROM needlewatch.kept_cells" | LC_ALL=C sort
}
new_models() {
    nw_sql "SELECT concat_ws('|', k.treated_on, k.device_type, coalesce(k.manufacturer, ''),
                             coalesce(k.model, ''), o.complication, k.reports[o.ordinal])
            FROM needlewatch.kept_models k
            JOIN needlewatch.complication_catalogue o ON k.reports[o.ordinal] <> 0" | LC_ALL=C sort
}
same_as_old() { # LABEL
    nw_check "$1: the cells equal the old schema's" "" "$(new_cells | diff - "$WORK/old-cells" | head -n 3)"
    nw_check "$1: the per-model counts equal the old schema's" "" \
        "$(new_models | diff - "$WORK/old-models" | head -n 3)"
    nw_check "$1: the report total equals the old schema's" "$old_total" \
        "$(nw_sql "SELECT complication_reports FROM needlewatch.kept_totals")"
    nw_check "$1: kept_cells_check() finds no difference" "" \
        "$(nw_sql "SELECT kind || ' ' || key FROM needlewatch.kept_cells_check()")"
}
same_as_old "2 (before any rollup)"
nw_sql "SELECT needlewatch.kept_rollup()" >/dev/null
nw_check "2: the first rollup counted everything" "0" \
    "$(nw_sql "SELECT versions_pending FROM needlewatch.kept_rollup_status")"
same_as_old "2 (rolled up)"

# --- 3. After the upgrade, the new worker stores follow-ups and
# complications of treatments stored before it, and a new population.
old_t=$(nw_sql "SELECT report_id FROM needlewatch.treatments WHERE version = 1 AND fitzpatrick = 2
                ORDER BY report_id LIMIT 1")
old_c=$(nw_sql "SELECT report_id FROM needlewatch.complications WHERE version = 1 ORDER BY report_id LIMIT 1")
old_c_t=$(nw_sql "SELECT treatment_id FROM needlewatch.complications WHERE report_id = '$old_c'")
{
    printf '{"schema_version":1,"report_id":"%s","version":7,"treated_on":"2024-03-01","setting":"clinic","device":{"type":"rf_microneedling"},"skin":{"fitzpatrick":6}}\n' "$old_t"
} | nw_produce treatments
{
    printf '{"schema_version":1,"report_id":"up-c1","treatment_id":"%s","type":"burn"}\n' "$old_t"
    printf '{"schema_version":1,"report_id":"%s","version":9,"treatment_id":"%s","type":"granuloma"}\n' "$old_c" "$old_t"
} | nw_produce complications
nw_ingest w1 --config "$WORK/w.properties"
nw_check "3: the worker exits 0" 0 $?
nw_check "3: the old treatment moved to rf_microneedling clinic VI with burn and granuloma" \
    "2024-03-01|burn,granuloma" \
    "$(nw_sql "SELECT t.treated_on || '|' || string_agg(c.type, ',' ORDER BY c.type)
               FROM needlewatch.treatments t JOIN needlewatch.complications c ON c.treatment_id = t.report_id
               WHERE t.report_id = '$old_t' AND t.device_type = 'rf_microneedling' GROUP BY t.treated_on")"
nw_check "3: kept_cells_check() finds no difference" "" \
    "$(nw_sql "SELECT kind || ' ' || key FROM needlewatch.kept_cells_check()")"
nw_check "3: the old complication left $old_c_t" "0" \
    "$(nw_sql "SELECT count(*) FROM needlewatch.complications WHERE report_id = '$old_c' AND treatment_id = '$old_c_t'")"
nw_loadgen -n 3000 --seed 82 --complications-first --followup-rate 0.2 --nullify-rate 0.05
nw_ingest w2 --config "$WORK/w.properties"
nw_check "3: the worker exits 0 on a new population" 0 $?
nw_check "3: kept_cells_check() finds no difference after the new population" "" \
    "$(nw_sql "SELECT kind || ' ' || key FROM needlewatch.kept_cells_check()")"
rc=0
"$NW_BIN/needlewatch-analyze" --verify >"$WORK/verify.out" 2>>"$WORK/analyze.log" || rc=$?
nw_check "3: needlewatch-analyze --verify exits 0" 0 "$rc"
nw_done

#!/usr/bin/env bash
# The kept analysis counts (sql/012_rollups.sql, sql/repeatable/30_kept.sql:
# folded in by a rollup after the ingest commits) stay exact whatever the
# stream does: duplicates, follow-ups that move a treatment to another cell
# (some arriving before version 1), withdrawals, complications before their
# treatment, orphans, workers killed with SIGKILL and PostgreSQL crashing,
# rollups cancelled or killed half-way, two workers writing at once while
# more rollups race theirs (the topics have different partition counts, so
# a treatment and its complications usually go to different workers),
# complications whose follow-up changes their type or their treatment,
# transactions that commit out of the order of their ids around a rollup,
# and hand-made UPDATE / DELETE / TRUNCATE. After each step three things
# must agree: the kept counts, needlewatch.kept_cells_check() (a recount
# from the current-version views: no row) and kept_expect.py (a recount
# from what the generator produced); needlewatch-analyze --verify exits 0.
# A deliberately corrupted count makes --verify exit 1 and name the cell.
# Finally the analyzer's report from the kept counts equals its report from
# a full scan of the views.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start --topic treatments:8 --topic complications:5
nw_config "$WORK/w.properties" "ingest.batch.max_messages=200" "ingest.batch.max_ms=50"
ING="$NW_BIN/needlewatch-ingest"
AN="$NW_BIN/needlewatch-analyze"

# The database's kept counts in kept_expect.py's format.
kept_lines() {
    nw_sql "SELECT concat_ws('|', treated_on, device_type, setting, coalesce(fitzpatrick::text, ''),
                             treatments, cases_any, reports, array_to_string(cases, '|'), 0)
            FROM needlewatch.kept_cells" | LC_ALL=C sort
    nw_sql "SELECT concat_ws('|', 'model', k.treated_on, k.device_type, coalesce(k.manufacturer, ''),
                             coalesce(k.model, ''), o.complication, k.reports[o.ordinal])
            FROM needlewatch.kept_models k
            JOIN needlewatch.complication_catalogue o ON k.reports[o.ordinal] <> 0" | LC_ALL=C sort
    echo "total|complication_reports|$(nw_sql "SELECT complication_reports FROM needlewatch.kept_totals")"
}

# kept_exact LABEL [dump]: the three recounts agree with the kept counts.
kept_exact() {
    local label=$1 rc=0
    nw_check "$label: kept_cells_check() finds no difference" "" \
        "$(nw_sql "SELECT kind || ' ' || key || ': kept ' || coalesce(kept, '-') || ', actual '
                          || coalesce(actual, '-') FROM needlewatch.kept_cells_check()")"
    if [ "${2:-}" = dump ]; then
        python3 "$NW_SRC/tests/integration/kept_expect.py" "$WORK/dump.jsonl" >"$WORK/kept.expected"
        kept_lines >"$WORK/kept.actual"
        nw_check "$label: kept cells and total equal the generator's ($(wc -l <"$WORK/kept.expected") lines)" \
            "" "$(diff "$WORK/kept.expected" "$WORK/kept.actual" | head -n 5)"
    fi
    "$AN" --verify >"$WORK/verify.out" 2>>"$WORK/analyze.log" || rc=$?
    nw_check "$label: needlewatch-analyze --verify exits 0" "0 1" \
        "$rc $(grep -c '^kept counts exact: [0-9]* cells checked' "$WORK/verify.out")"
}

# --- 1. Duplicates, follow-ups into another cell (30% of them before
# version 1), withdrawals; one worker.
nw_loadgen -n 4000 --seed 51 --dup-rate 0.1 --followup-rate 0.3 --nullify-rate 0.1
nw_ingest w1 --config "$WORK/w.properties"
nw_check "1: worker exits 0" 0 $?
nw_check "1: follow-ups were stored" yes \
    "$([ "$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE version > 1")" -gt 500 ] && echo yes)"
nw_check "1: some follow-ups moved a treatment to another cell" yes \
    "$([ "$(nw_sql "SELECT count(DISTINCT a.report_id) FROM needlewatch.treatment_versions a
                    JOIN needlewatch.treatment_versions b ON b.report_id = a.report_id
                    AND b.version = 2 AND a.version = 1 AND (a.setting, coalesce(a.fitzpatrick, 0))
                    <> (b.setting, coalesce(b.fitzpatrick, 0))")" -gt 100 ] && echo yes)"
nw_check_exact
kept_exact "1" dump

# --- 2. Every complication before any treatment, orphans.
nw_loadgen -n 4000 --seed 52 --complications-first --orphan-rate 0.2 --followup-rate 0.1 \
    --nullify-rate 0.05 --dup-rate 0.02
nw_ingest w2 --config "$WORK/w.properties"
nw_check "2: worker exits 0" 0 $?
nw_check "2: orphans are counted in the total, in no cell" yes \
    "$([ "$(nw_sql "SELECT count(*) FROM needlewatch.orphan_complications")" -gt 10 ] && echo yes)"
nw_check_exact
kept_exact "2" dump

# --- 3. Workers killed with SIGKILL a few commits into each wave, and
# PostgreSQL crashing under one of them; then a worker finishes the job.
nw_config "$WORK/k.properties" "ingest.batch.max_messages=100" "ingest.batch.max_ms=20" \
    "pg.retry.max_ms=500"
versions() { nw_sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions) + (SELECT count(*) FROM needlewatch.complication_versions)" 2>/dev/null || echo 0; }
for i in 1 2 3; do
    nw_loadgen -n 4000 --seed $((60 + i)) --dup-rate 0.03 --followup-rate 0.1 --nullify-rate 0.03 \
        --orphan-rate 0.03
    before=$(versions)
    "$ING" --config "$WORK/k.properties" 2>>"$WORK/kill$i.log" & pid=$!
    nw_wait_sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions) + (SELECT count(*) FROM needlewatch.complication_versions) > $before + $((i * 300))" t 60 || true
    if [ "$i" = 2 ]; then
        "$NW_SRC/scripts/pg.sh" --immediate stop "$WORK/pg" >/dev/null 2>&1
        nw_log "PostgreSQL crashed (immediate stop) under the worker"
        sleep 1
        "$NW_SRC/scripts/pg.sh" start "$WORK/pg" >/dev/null 2>&1
        nw_wait_sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions) + (SELECT count(*) FROM needlewatch.complication_versions) > $(versions) + 100" t 60 || true
    fi
    kill -KILL $pid
    wait $pid 2>/dev/null || true
    nw_log "kill $i: $(versions) of $((EXP_treatment_versions + EXP_complication_versions)) report versions stored"
    kept_exact "3.$i: after SIGKILL"
done
nw_ingest w3 --config "$WORK/k.properties"
nw_check "3: restarted worker exits 0" 0 $?
nw_check_exact
kept_exact "3" dump

# --- 3b. Rollups interrupted half-way. A worker that runs none leaves a
# backlog; a rollup is held inside its writes (a lock on the kept cells),
# then cancelled, then its backend killed (PostgreSQL restarts): each time
# nothing of it remains, the readers stay exact, and a later rollup counts
# everything.
nw_loadgen -n 3000 --seed 65 --dup-rate 0.03 --followup-rate 0.2 --nullify-rate 0.05
nw_ingest w3b --config "$WORK/w.properties" -X ingest.rollup.interval_ms=0
nw_check "3b: a worker with ingest.rollup.interval_ms=0 leaves its versions to others" yes \
    "$([ "$(nw_sql "SELECT versions_pending FROM needlewatch.kept_rollup_status")" -gt 3000 ] && echo yes)"
horizon() { nw_sql "SELECT horizon FROM needlewatch.kept_rollup_status"; }
h0=$(horizon)
# held_rollup: starts a rollup that blocks on the kept cells; prints its pid.
held_rollup() {
    psql -X -q -c "BEGIN; LOCK needlewatch_kept.cells IN EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT;" \
        >/dev/null 2>>"$WORK/held.log" &
    HOLDER=$!
    nw_wait_sql "SELECT count(*) FROM pg_locks WHERE relation = 'needlewatch_kept.cells'::regclass AND mode = 'ExclusiveLock' AND granted" 1 10
    psql -X -q -c "SELECT needlewatch.kept_rollup()" >/dev/null 2>>"$WORK/held.log" &
    ROLLER=$!
    nw_wait_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT needlewatch.kept_rollup()%' AND wait_event_type = 'Lock'" 1 20
}
held_rollup
nw_check "3b: a rollup waits half-way (its changes computed, its writes blocked)" 1 \
    "$(nw_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT needlewatch.kept_rollup()%' AND wait_event_type = 'Lock'")"
nw_sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT needlewatch.kept_rollup()%'" >/dev/null
wait $ROLLER 2>/dev/null || true
nw_sql "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait $HOLDER 2>/dev/null || true
nw_check "3b: the cancelled rollup left the watermark where it was" "$h0" "$(horizon)"
kept_exact "3b: after a cancelled rollup"
held_rollup
victim=$(nw_sql "SELECT pid FROM pg_stat_activity WHERE query LIKE 'SELECT needlewatch.kept_rollup()%' AND wait_event_type = 'Lock'")
kill -KILL "$victim"
nw_log "3b: SIGKILLed the backend of a rollup ($victim): PostgreSQL restarts"
wait $ROLLER 2>/dev/null || true
wait $HOLDER 2>/dev/null || true
nw_wait_sql "SELECT 1" 1 60 || nw_log "PostgreSQL did not come back"
nw_check "3b: the killed rollup left the watermark where it was" "$h0" "$(horizon)"
kept_exact "3b: after a rollup killed with its backend"
nw_sql "SELECT needlewatch.kept_rollup()" >/dev/null
nw_check "3b: the next rollup counts the backlog" 0 \
    "$(nw_sql "SELECT versions_pending FROM needlewatch.kept_rollup_status")"
nw_check_exact
kept_exact "3b" dump

# --- 4. Two workers in one group, complications first, follow-ups: the
# treatments and complications of one report race between the workers.
# The workers roll up at most once a second, so that the racer (every 50
# ms) finds work too, even on a loaded machine (CI once saw the workers'
# rollups take every version and the racer's none).
"$ING" --config "$WORK/w.properties" -X ingest.rollup.interval_ms=1000 2>"$WORK/g1.log" & p1=$!
"$ING" --config "$WORK/w.properties" -X ingest.rollup.interval_ms=1000 2>"$WORK/g2.log" & p2=$!
nw_wait_log "$WORK/g1.log" "assigned [1-9]"
nw_wait_log "$WORK/g2.log" "assigned [1-9]"
nw_wait_sql "SELECT count(DISTINCT owner) FROM needlewatch.kafka_offsets" 2 30 || true
# More rollups race the workers' own, from another session.
( while [ ! -e "$WORK/stop-racer" ]; do
      psql -X -q -At -c "SELECT needlewatch.kept_rollup()" >>"$WORK/racer.out" 2>>"$WORK/racer.log"
      sleep 0.05
  done ) & racer=$!
nw_loadgen -n 8000 --seed 70 --complications-first --dup-rate 0.05 --followup-rate 0.2 \
    --nullify-rate 0.05 --orphan-rate 0.05
nw_wait_sql "SELECT sum(next_offset) FROM needlewatch.kafka_offsets WHERE next_offset > 0" \
    "$EXP_messages" 180 || nw_log "timed out waiting for the workers"
touch "$WORK/stop-racer"; wait $racer || true
nw_check "4: the racing session's rollups ran and changed counts" yes \
    "$(awk '$1 > 0 {n++} END {print (n > 0 ? "yes" : "no")}' "$WORK/racer.out")"
kill -TERM $p1 $p2
set +e; wait $p1; r1=$?; wait $p2; r2=$?; set -e
nw_check "4: both workers exit 0" "0|0" "$r1|$r2"
s1=$(grep -o 'final consumed=[0-9]* stored=[0-9]*' "$WORK/g1.log" | grep -o '[0-9]*$' || echo 0)
s2=$(grep -o 'final consumed=[0-9]* stored=[0-9]*' "$WORK/g2.log" | grep -o '[0-9]*$' || echo 0)
nw_check "4: both workers stored reports" yes "$([ "${s1:-0}" -gt 0 ] && [ "${s2:-0}" -gt 0 ] && echo yes)"
nw_log "4: deadlocks retried: $(cat "$WORK/g1.log" "$WORK/g2.log" | grep -c 'deadlock' || true)"
nw_check "4: both workers ran rollups" yes \
    "$(grep -q 'rollup: [1-9][0-9]* runs' "$WORK/g1.log" && grep -q 'rollup: [1-9][0-9]* runs' "$WORK/g2.log" && echo yes)"
nw_check_exact
kept_exact "4" dump

# --- 5. By hand, through the worker: complication follow-ups that change
# the type, move to another treatment, are withdrawn and restored, arrive
# before their version 1, and several versions of one report in one batch.
t() { # ID VERSION SETTING FITZPATRICK [nullified]; the model is $T_MODEL (default A)
    printf '{"schema_version":1,"report_id":"%s","version":%s,"treated_on":"2024-06-01","setting":"%s","device":{"type":"derma_roller","manufacturer":"Maker","model":"%s"},"skin":{"fitzpatrick":%s}%s}\n' \
        "$1" "$2" "$3" "${T_MODEL:-A}" "$4" "${5:+,\"nullified\":true}"
}
c() { # ID VERSION TREATMENT TYPE [nullified]
    printf '{"schema_version":1,"report_id":"%s","version":%s,"treatment_id":"%s","type":"%s"%s}\n' \
        "$1" "$2" "$3" "$4" "${5:+,\"nullified\":true}"
}
# cell DATE DEVICE SETTING FITZPATRICK -> "treatments cases_any reports type=cases,..."
# (the types with cases) of that kept cell, or "none".
cell() {
    nw_sql "SELECT coalesce((SELECT concat_ws(' ', treatments, cases_any, reports,
                (SELECT string_agg(o.complication || '=' || k.cases[o.ordinal], ','
                                   ORDER BY o.complication)
                 FROM needlewatch.complication_catalogue o WHERE k.cases[o.ordinal] <> 0))
            FROM needlewatch.kept_cells k
            WHERE treated_on = '$1' AND device_type = '$2' AND setting = '$3'
              AND fitzpatrick = $4), 'none')"
}
hcell() { cell 2024-06-01 derma_roller "$@"; }
# mcount MODEL -> "type=reports,..." kept for Maker's MODEL on 2024-06-01, or "none".
mcount() {
    nw_sql "SELECT coalesce(string_agg(o.complication || '=' || k.reports[o.ordinal], ','
                               ORDER BY o.complication), 'none')
            FROM needlewatch.kept_models k
            JOIN needlewatch.complication_catalogue o ON k.reports[o.ordinal] <> 0
            WHERE k.treated_on = '2024-06-01' AND k.device_type = 'derma_roller'
              AND k.manufacturer = 'Maker' AND k.model = '$1'"
}
{ t H1 1 home 2; t H2 1 clinic 3; } | nw_produce treatments
{ c HC1 1 H1 burn; c HC2 1 H1 infection; c HC3 1 H2 infection; } | nw_produce complications
nw_ingest h1 --config "$WORK/w.properties"
nw_check "5a: H1 has burn + infection" "1 1 2 burn=1,infection=1" "$(hcell home 2)"
nw_check "5a: model A has their three reports" "burn=1,infection=2" "$(mcount A)"
c HC1 2 H1 scarring | nw_produce complications                       # type changes
c HC2 2 H2 infection | nw_produce complications                      # moves to H2
nw_ingest h2 --config "$WORK/w.properties"
nw_check "5b: H1 now scarring only" "1 1 1 scarring=1" "$(hcell home 2)"
nw_check "5b: H2 has two infection reports, one case" "1 1 2 infection=1" "$(hcell clinic 3)"
kept_exact "5b"
{ c HC3 3 H1 other; c HC3 2 H2 infection yes; c HC1 4 H2 fat_loss; } | nw_produce complications
T_MODEL=B t H1 2 clinic 3 | nw_produce treatments                    # H1 joins H2's cell, model B
nw_ingest h3 --config "$WORK/w.properties"
nw_check "5c: H1 joined H2's cell with other, H2 has infection and fat_loss" \
    "2 2 3 fat_loss=1,infection=1,other=1" "$(hcell clinic 3)"
nw_check "5c: H1's old cell is gone" "none" "$(hcell home 2)"
nw_check "5c: H1's report moved with it to model B" "other=1|fat_loss=1,infection=1" \
    "$(mcount B)|$(mcount A)"
kept_exact "5c"
{ c HC4 2 H9 burn; c HC4 1 H1 burn; c HC5 1 H1 burn; c HC5 2 H1 burn yes; c HC5 3 H2 burn; } |
    nw_produce complications                                         # v2 first; three versions at once
{ t H2 2 clinic 3 yes; t H2 3 home 5; T_MODEL=C t H1 3 clinic 3; } | nw_produce treatments
nw_ingest h4 --config "$WORK/w.properties"
nw_check "5d: HC4's version 2 wins: H9 is unknown, an orphan" "HC4" \
    "$(nw_sql "SELECT report_id FROM needlewatch.orphan_complications WHERE treatment_id = 'H9'")"
nw_check "5d: H2 withdrawn then restored in one batch, in home V" "1 1 3 burn=1,fat_loss=1,infection=1" \
    "$(hcell home 5)"
nw_check "5d: H1 alone in clinic III" "1 1 1 other=1" "$(hcell clinic 3)"
nw_check "5d: models: H1 now C (same cell), H2 restored as A with HC5" \
    "none|other=1|burn=1,fat_loss=1,infection=1" "$(mcount B)|$(mcount C)|$(mcount A)"
kept_exact "5d"

# --- 6. Transactions that commit out of the order of their ids, around a
# rollup: FIRST takes its transaction id and stays open; SECOND, with a
# higher id, commits; a rollup runs (its horizon must stop at FIRST, leaving
# SECOND's rows for later) and the readers must be exact, folding SECOND in;
# then FIRST commits, and again after the next rollup.
tv() { # ID VERSION SETTING
    echo "INSERT INTO needlewatch.treatment_versions (report_id, version, treated_on, setting,
          device_type, fitzpatrick, source_topic, source_partition, source_offset, message)
          VALUES ('$1', $2, '2024-07-01', '$3', 'derma_stamp', 1, 'treatments', 0, 0, '{}');"
}
cv() { # ID VERSION TREATMENT TYPE
    echo "INSERT INTO needlewatch.complication_versions (report_id, version, treatment_id, type,
          source_topic, source_partition, source_offset, message)
          VALUES ('$1', $2, '$3', '$4', 'complications', 0, 0, '{}');"
}
# race NAME FIRST SECOND
# FIRST stays open until the test releases it (a row in race_release, which
# its loop reads with a new snapshot each time), however slow the machine:
# with a fixed sleep, a loaded CI run once saw it commit too early.
nw_sql "CREATE TABLE IF NOT EXISTS public.race_release (name text)" >/dev/null
race() {
    local xid
    psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN; $2 DO \$\$ BEGIN
            WHILE NOT EXISTS (SELECT 1 FROM public.race_release WHERE name = '$1') LOOP
                PERFORM pg_sleep(0.05); END LOOP; END \$\$; COMMIT;" >/dev/null 2>>"$WORK/race.log" &
    local first=$!
    nw_wait_sql "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%race_release WHERE name = ''$1''%' AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()" 1 120
    xid=$(nw_sql "SELECT backend_xid FROM pg_stat_activity WHERE query LIKE '%race_release WHERE name = ''$1''%' AND pid <> pg_backend_pid()")
    psql -X -q -v ON_ERROR_STOP=1 -c "$3" >/dev/null 2>>"$WORK/race.log"
    nw_sql "SELECT needlewatch.kept_rollup()" >/dev/null
    nw_check "6 $1: the rollup stopped at the open transaction" yes \
        "$([ "$(nw_sql "SELECT horizon <= '${xid:-0}'::text::bigint FROM needlewatch.kept_rollup_status")" = t ] && echo yes)"
    kept_exact "6 $1: SECOND committed, FIRST open"
    nw_sql "INSERT INTO public.race_release VALUES ('$1')" >/dev/null
    wait $first
    kept_exact "6 $1: both committed"
    nw_sql "SELECT needlewatch.kept_rollup()" >/dev/null
    kept_exact "6 $1: rolled up"
}
race "v1 then v2" "$(tv R1 1 home)" "$(tv R1 2 clinic)"
race "v2 then v1" "$(tv R2 2 clinic)" "$(tv R2 1 home)"
race "complication then follow-up" "$(cv RC1 1 R1 burn)" "$(tv R1 3 home)"
race "follow-up then complication" "$(tv R1 4 clinic)" "$(cv RC2 1 R1 scarring)"
race "two complications of an unknown treatment" "$(cv RC3 1 R3 burn)" "$(cv RC4 1 R3 infection)"
race "treatment then its complication" "$(tv R3 1 home)" "$(cv RC5 1 R3 other)"
race "two versions of a complication" "$(cv RC4 2 R1 infection)" "$(cv RC4 3 R2 granuloma)"
nw_check "6: R1 (burn, scarring) and R2 (granuloma: RC4 moved on) in clinic I" \
    "2 2 3 burn=1,granuloma=1,scarring=1" "$(cell 2024-07-01 derma_stamp clinic 1)"

# --- 7. Hand-made UPDATE, DELETE and TRUNCATE reset the watermark: the
# readers then recount, and so does the next rollup.
nw_sql "UPDATE needlewatch.treatment_versions SET setting = 'home' WHERE report_id LIKE 'H%'" >/dev/null
nw_sql "DELETE FROM needlewatch.complication_versions WHERE report_id IN (SELECT report_id FROM needlewatch.complication_versions ORDER BY report_id LIMIT 50)" >/dev/null
nw_sql "DELETE FROM needlewatch.quarantine" >/dev/null
nw_check "7: the watermark was reset" "" "$(nw_sql "SELECT horizon FROM needlewatch.kept_rollup_status")"
kept_exact "7: UPDATE, DELETE"
nw_sql "SELECT needlewatch.kept_rollup()" >/dev/null
kept_exact "7: UPDATE, DELETE, recounted"

# --- 8. A corrupted count is found; a rebuild repairs it.
nw_sql "UPDATE needlewatch_kept.cells SET treatments = treatments + 1
        WHERE ctid = (SELECT ctid FROM needlewatch_kept.cells WHERE setting = 'home' AND treatments > 0 LIMIT 1)" >/dev/null
nw_check "8: kept_cells_check() reports the corrupted cell" "cell" \
    "$(nw_sql "SELECT string_agg(kind, ',') FROM needlewatch.kept_cells_check()")"
rc=0
"$AN" --verify >"$WORK/verify-bad.out" 2>"$WORK/verify-bad.err" || rc=$?
nw_check "8: --verify exits 1" 1 "$rc"
nw_check "8: --verify names the cell, kept and actual" 1 \
    "$(grep -c '^cell [0-9-]* [a-z_]* home [IVunknow]*: kept treatments=[0-9]* any=[0-9]* reports=[0-9]* by type {[-0-9,]*} serious=[0-9]* by type {[-0-9,]*} no_model=[0-9]* no_onset=[0-9]* lags {[-0-9,]*} report lags {[-0-9,]*}, actual treatments=[0-9]* ' "$WORK/verify-bad.out" || true)"
nw_sql "UPDATE needlewatch_kept.model_days SET reports[1] = reports[1] - 1
        WHERE ctid = (SELECT ctid FROM needlewatch_kept.model_days LIMIT 1)" >/dev/null
nw_sql "UPDATE needlewatch_kept.model_totals SET reports[2] = reports[2] + 2
        WHERE ctid = (SELECT ctid FROM needlewatch_kept.model_totals LIMIT 1)" >/dev/null
nw_sql "UPDATE needlewatch_kept.model_months SET reports[3] = reports[3] + 3
        WHERE ctid = (SELECT ctid FROM needlewatch_kept.model_months LIMIT 1)" >/dev/null
nw_sql "UPDATE needlewatch_kept.totals SET complication_reports = complication_reports + 1" >/dev/null
# The alerts' counts (015): a case moved to a longer delay, a delay dropped.
nw_sql "UPDATE needlewatch_kept.case_lags SET lag = lag + 1000
        WHERE ctid = (SELECT ctid FROM needlewatch_kept.case_lags WHERE cases > 0 LIMIT 1)" >/dev/null
nw_sql "UPDATE needlewatch_kept.report_delays SET cases = cases - 1
        WHERE ctid = (SELECT ctid FROM needlewatch_kept.report_delays WHERE cases > 0 LIMIT 1)" >/dev/null
nw_check "8: kept_cells_check() reports the corrupted model counts, total and alert counts" \
    "case_lag,cell,model_day,model_month,model_total,report_delay,total" \
    "$(nw_sql "SELECT string_agg(DISTINCT kind, ',' ORDER BY kind) FROM needlewatch.kept_cells_check()")"
nw_sql "SELECT needlewatch_kept.rebuild()" >/dev/null
kept_exact "8: after needlewatch_kept.rebuild()"

# --- 8b. A logical restore into another cluster: the watermark and some
# versions carry transaction ids this cluster has not given out yet.
far=$(nw_sql "SELECT pg_current_xact_id()::text::bigint + 1000000")
nw_sql "ALTER TABLE needlewatch.treatment_versions DISABLE TRIGGER kept_rewritten;
        UPDATE needlewatch.treatment_versions SET xid = $far + 5
        WHERE report_id IN (SELECT report_id FROM needlewatch.treatment_versions ORDER BY report_id LIMIT 500);
        ALTER TABLE needlewatch.treatment_versions ENABLE TRIGGER kept_rewritten;
        UPDATE needlewatch_kept.rollup_state SET horizon = $far" >/dev/null
nw_loadgen -n 500 --seed 66
nw_ingest w8b --config "$WORK/w.properties" -X ingest.rollup.interval_ms=0
kept_exact "8b: a watermark from another cluster, new reports stored, no rollup yet"
nw_sql "SELECT needlewatch.kept_rollup()" >/dev/null
nw_check "8b: the rollup recounted and took a watermark of this cluster" "t|0" \
    "$(nw_sql "SELECT horizon < $far FROM needlewatch.kept_rollup_status")|$(nw_sql "SELECT count(*) FROM needlewatch.treatment_versions WHERE xid >= $far")"
kept_exact "8b"

# --- 9. The report from the kept counts is the report from a full scan
# (the analyzer scans when needlewatch.kept_cube() and kept_surveillance()
# do not exist), with and without a window: rates and every surveillance
# table, signals by model included. The windows start and end inside a
# month, hold whole months or none, or are open at one end (the per-model
# counts are then read per month and per day).
first=$(nw_sql "SELECT min(treated_on) FROM needlewatch.treatments
                WHERE report_id NOT LIKE 'H%' AND report_id NOT LIKE 'R%'")
wd() { nw_sql "SELECT ('$first'::date + $1)::text"; }
mstart() { nw_sql "SELECT date_trunc('month', '$first'::date + $1)::date::text"; }
mend() { nw_sql "SELECT (date_trunc('month', '$first'::date + $1) - interval '1 day')::date::text"; }
for w in "" "--from $(wd 90) --to $(wd 200)" "--from $(mstart 60) --to $(mend 200)" \
         "--from $(wd 100) --to $(wd 115)" "--from $(wd 150)" "--to $(wd 120)"; do
    # shellcheck disable=SC2086
    "$AN" --format json $w >"$WORK/kept.json"
    nw_sql "ALTER FUNCTION needlewatch.kept_cube(date, date) RENAME TO kept_cube_away;
            ALTER FUNCTION needlewatch.kept_surveillance(date, date, text[])
                RENAME TO kept_surveillance_away" >/dev/null
    # shellcheck disable=SC2086
    "$AN" --format json $w >"$WORK/scan.json"
    nw_sql "ALTER FUNCTION needlewatch.kept_cube_away(date, date) RENAME TO kept_cube;
            ALTER FUNCTION needlewatch.kept_surveillance_away(date, date, text[])
                RENAME TO kept_surveillance" >/dev/null
    nw_check "9: kept and scanned reports are identical (${w:-no window})" "same" \
        "$(python3 -c 'import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for d in (a, b):
    d.pop("generated_at", None)
print("same" if a == b and a["totals"]["treatments"] > 0 else "differ")' "$WORK/kept.json" "$WORK/scan.json")"
done
nw_sql "TRUNCATE needlewatch.complication_versions" >/dev/null
kept_exact "9: after TRUNCATE of complication_versions"
nw_done

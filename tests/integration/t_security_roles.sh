#!/usr/bin/env bash
# Roles and row visibility (sql/004_roles.sql). The schema owner's worker
# applies the migrations; a worker logged in as a needlewatch_ingest member
# then stores the rest with --no-migrate. Each role then logs in and the test
# proves what it can and cannot do: ingest writes, and of what it stored
# reads only the keys; analyst reads the views (and the analyzer works for
# it) but no table, raw message or offset; authority reads everything and
# writes nothing; a maker sees only its manufacturers' current reports
# through every relation and function of the schema, and cannot count the
# others' (EXPLAIN ANALYZE, leaky WHERE clauses); a role in none of the
# groups cannot even connect.
. "$(dirname "$0")/lib.sh"
nw_setup
nw_broker_start
SU=$(id -un) # pg.sh gives the invoking OS user a superuser role

# q ROLE SQL: runs SQL as ROLE over the socket (trust). Prints the rows;
# "denied" for a permission error; "ERROR: message" for any other error.
q() {
    local out
    if out=$(psql -X -q -At -v ON_ERROR_STOP=1 -U "$1" -c "$2" 2>&1); then
        printf '%s' "$out"
    elif grep -q "permission denied" <<<"$out"; then
        printf 'denied'
    else
        printf 'ERROR: %s' "$(grep -m1 'ERROR' <<<"$out" | sed 's/^.*ERROR: *//')"
    fi
}

# treatment ID MANUFACTURER [VERSION [SETTING [extra JSON members]]]: one
# treatment report (no manufacturer when MANUFACTURER is empty).
treatment() {
    local maker=""
    [ -n "$2" ] && maker=",\"manufacturer\":\"$2\""
    printf '{"schema_version":1,"report_id":"%s","version":%s,"treated_on":"2026-04-01",' "$1" "${3:-1}"
    printf '"setting":"%s","device":{"type":"derma_roller"%s,"model":"M-%s"}%s}\n' \
        "${4:-home}" "$maker" "$1" "${5:-}"
}
complication() { # ID TREATMENT_ID
    printf '{"schema_version":1,"report_id":"%s","treatment_id":"%s","type":"infection"}\n' "$1" "$2"
}

# --- The schema owner migrates and stores the first reports. Acme's are
# a-*, Borealis's b-*; mv-ab moves from Acme to Borealis in its version 2,
# mv-ba the other way; a-wd is withdrawn; c-1 (Cobalt), n-1 (no
# manufacturer) and u-1 ("ACME": names compare exactly) belong to no maker.
{
    for id in a-1 a-2 a-3 mv-ab a-wd; do treatment "$id" Acme; done
    treatment mv-ba Borealis
    for id in b-1 b-2 b-3 b-4 b-5; do treatment "$id" Borealis; done
    treatment c-1 Cobalt
    treatment n-1 ""
    treatment u-1 ACME
} | nw_produce treatments
nw_config "$WORK/owner.properties"
rc=0
nw_ingest owner --config "$WORK/owner.properties" || rc=$?
nw_check "owner's worker applies every migration, 004 included" 0 "$rc"
nw_check "004 recorded" 1 "$(nw_sql "SELECT count(*) FROM needlewatch.schema_migrations WHERE name = '004_roles'")"

# --- A deployment's login roles.
psql -X -q -v ON_ERROR_STOP=1 -U "$SU" <<'EOF'
CREATE ROLE ingest_login LOGIN IN ROLE needlewatch_ingest;
CREATE ROLE analyst_login LOGIN IN ROLE needlewatch_analyst;
CREATE ROLE authority_login LOGIN IN ROLE needlewatch_authority;
CREATE ROLE maker_a LOGIN IN ROLE needlewatch_maker;
CREATE ROLE borealis_team NOLOGIN;
CREATE ROLE maker_b LOGIN IN ROLE needlewatch_maker, borealis_team;
CREATE ROLE stranger_login LOGIN;
EOF
nw_sql "INSERT INTO needlewatch.maker_access VALUES ('maker_a', 'Acme'), ('borealis_team', 'Borealis'),
        ('ghost_role_never_created', 'Borealis')" >/dev/null
nw_check "maker_access refuses a needlewatch group role" "ERROR: new row for relation \"maker_access\" violates check constraint \"maker_access_role_name_check\"" \
    "$(q "$SU" "INSERT INTO needlewatch.maker_access VALUES ('needlewatch_maker', 'Acme')")"

# --- The rest arrives through a worker logged in as ingest_login, which
# may not run DDL (--no-migrate): follow-ups, a withdrawal, a redelivered
# version, complications (of Acme's, Borealis's, a withdrawn, an unknown and
# an unmapped treatment) and one malformed message.
{
    treatment a-2 Acme 2 clinic
    treatment mv-ab Borealis 2
    treatment mv-ba Acme 2
    treatment a-wd Acme 2 home ',"nullified":true'
    treatment a-1 Acme
    treatment b-6 Borealis
    echo 'not json at all'
} | nw_produce treatments
{
    complication ca-1 a-1; complication ca-2 a-2; complication cm-2 mv-ba
    complication cm-1 mv-ab; complication cb-1 b-1; complication cb-2 b-2; complication cb-3 b-3
    complication cw-1 a-wd; complication co-1 nope; complication cc-1 c-1
} | nw_produce complications
nw_config "$WORK/ingest.properties" "pg.conninfo=user=ingest_login"
rc=0
nw_ingest ingest --config "$WORK/ingest.properties" --no-migrate || rc=$?
nw_check "worker as ingest_login (--no-migrate) exits 0" 0 "$rc"
nw_check "...stores the new versions, skips the redelivered one, quarantines the bad one" 1 \
    "$(grep -c 'final consumed=17 stored=15 duplicates=1 quarantined=1' "$WORK/ingest.log")"
nw_check "owner sees every version" "19|10|1" \
    "$(nw_sql "SELECT (SELECT count(*) FROM needlewatch.treatment_versions),
                      (SELECT count(*) FROM needlewatch.complication_versions),
                      (SELECT count(*) FROM needlewatch.quarantine)")"
# Without --no-migrate too, once everything is applied (no DDL to run).
rc=0
nw_ingest ingest2 --config "$WORK/ingest.properties" || rc=$?
nw_check "worker as ingest_login without --no-migrate, schema up to date" 0 "$rc"

# What the owner sees, per relation, is the reference for the roles that
# may read everything.
# (Qualified by hand: for the role needlewatch, "$user" puts the schema on
# the search path, and regclass would print bare names.)
RELS=$(nw_sql "SELECT format('needlewatch.%I', c.relname) FROM pg_class c
               WHERE c.relnamespace = 'needlewatch'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
               ORDER BY c.relname")
declare -A OWNER_COUNT
for rel in $RELS; do OWNER_COUNT[$rel]=$(nw_sql "SELECT count(*) FROM $rel"); done
nw_log "relations checked: ${RELS//$'\n'/ }"

# readable ROLE TABLE: the columns of TABLE that ROLE may SELECT.
readable() {
    nw_sql "SELECT coalesce(string_agg(attname, ',' ORDER BY attnum), '-') FROM pg_attribute
            WHERE attrelid = '$2'::regclass AND attnum > 0 AND NOT attisdropped
              AND has_column_privilege('$1', attrelid, attnum, 'SELECT')"
}

# --- Ingest: writes; of what it wrote it reads only keys; no view.
for rel in $RELS; do
    case "$rel" in
    needlewatch.treatment_versions | needlewatch.complication_versions | needlewatch.quarantine | \
    needlewatch.kafka_offsets | needlewatch.schema_migrations | needlewatch.schema_repeatables)
        want=${OWNER_COUNT[$rel]} ;;    # through the key columns it may read
    *) want=denied ;;
    esac
    nw_check "ingest: count(*) from $rel -> $want" "$want" "$(q ingest_login "SELECT count(*) FROM $rel")"
done
nw_check "ingest: readable columns of treatment_versions" "report_id,version" \
    "$(readable ingest_login needlewatch.treatment_versions)"
nw_check "ingest: readable columns of complication_versions" "report_id,version" \
    "$(readable ingest_login needlewatch.complication_versions)"
nw_check "ingest: readable columns of quarantine" "topic,partition,kafka_offset" \
    "$(readable ingest_login needlewatch.quarantine)"
nw_check "ingest: readable columns of kafka_offsets" "group_id,topic,partition,next_offset,epoch,owner" \
    "$(readable ingest_login needlewatch.kafka_offsets)"
nw_check "ingest: no message, field or payload" "denied|denied|denied|denied|denied" \
    "$(q ingest_login "SELECT message FROM needlewatch.treatment_versions")|$(q ingest_login "SELECT manufacturer FROM needlewatch.treatment_versions")|$(q ingest_login "SELECT * FROM needlewatch.complication_versions")|$(q ingest_login "SELECT payload FROM needlewatch.quarantine")|$(q ingest_login "SELECT error FROM needlewatch.quarantine")"
nw_check "ingest: cannot update a report" denied \
    "$(q ingest_login "UPDATE needlewatch.treatment_versions SET nullified = true")"
nw_check "ingest: cannot delete a report" denied \
    "$(q ingest_login "DELETE FROM needlewatch.complication_versions")"
nw_check "ingest: cannot empty the quarantine" denied \
    "$(q ingest_login "TRUNCATE needlewatch.quarantine")"
nw_check "ingest: cannot delete offsets" denied \
    "$(q ingest_login "DELETE FROM needlewatch.kafka_offsets")"
nw_check "ingest: cannot grant itself a manufacturer" denied \
    "$(q ingest_login "INSERT INTO needlewatch.maker_access VALUES ('ingest_login', 'Acme')")"
nw_check "ingest: no DDL" denied "$(q ingest_login "CREATE TABLE needlewatch.x (i int)")"

# --- Analyst: every view but the makers', and of the tables only those
# listed here (the quarantine: its metadata columns, to count it). A table
# that a later migration lets analysts read belongs in this list: adding it
# is the decision, and this test the record of it.
ANALYST_TABLES=" needlewatch.quarantine needlewatch.complication_catalogue needlewatch.device_catalogue needlewatch.analysis_runs needlewatch.signal_results needlewatch.rate_results needlewatch.alert_results needlewatch.published_signals "
for rel in $RELS; do
    case "$rel" in
    needlewatch.maker_*) want=denied ;;
    *) if [ "$(nw_sql "SELECT relkind FROM pg_class WHERE oid = '$rel'::regclass")" = v ] ||
          [[ "$ANALYST_TABLES" == *" $rel "* ]]; then
           want=${OWNER_COUNT[$rel]}
       else
           want=denied
       fi ;;
    esac
    nw_check "analyst: count(*) from $rel -> $want" "$want" "$(q analyst_login "SELECT count(*) FROM $rel")"
done
nw_check "analyst: readable columns of quarantine" "topic,partition,kafka_offset,received_at,replayed_at,replay_outcome" \
    "$(readable analyst_login needlewatch.quarantine)"
nw_check "analyst: no payload, key or error" "denied|denied|denied|denied|denied" \
    "$(q analyst_login "SELECT payload FROM needlewatch.quarantine")|$(q analyst_login "SELECT key FROM needlewatch.quarantine")|$(q analyst_login "SELECT error FROM needlewatch.quarantine")|$(q analyst_login "SELECT first_error FROM needlewatch.quarantine")|$(q analyst_login "SELECT * FROM needlewatch.quarantine")"
nw_check "analyst: the analysis functions" "$(nw_sql "SELECT count(*) FROM needlewatch.rate_cells_between('2026-01-01', NULL)")" \
    "$(q analyst_login "SELECT count(*) FROM needlewatch.rate_cells_between('2026-01-01', NULL)")"
nw_check "analyst: cannot write" "denied|denied|denied" \
    "$(q analyst_login "INSERT INTO needlewatch.quarantine (topic, partition, kafka_offset, error) VALUES ('t', 0, 0, 'e')")|$(q analyst_login "DELETE FROM needlewatch.treatment_versions")|$(q analyst_login "UPDATE needlewatch.kafka_offsets SET epoch = 0")"
"$NW_BIN/needlewatch-analyze" --format json >"$WORK/owner.json" 2>>"$WORK/analyze.log" || true
"$NW_BIN/needlewatch-analyze" --pg "user=analyst_login" --format json >"$WORK/analyst.json" \
    2>>"$WORK/analyze.log" || true
# The two runs may fall in different seconds (slowly, under ASan): the run's
# timestamp is the one member allowed to differ.
unstamp() { sed -E 's/"generated_at":[[:space:]]*"[^"]*"/"generated_at":"T"/' "$1"; }
nw_check "analyst: needlewatch-analyze runs, same report as the owner's" "ok" \
    "$(cmp -s <(unstamp "$WORK/owner.json") <(unstamp "$WORK/analyst.json") && [ -s "$WORK/analyst.json" ] && echo ok)"

# --- Authority: everything, read only.
for rel in $RELS; do
    nw_check "authority: count(*) from $rel -> ${OWNER_COUNT[$rel]}" "${OWNER_COUNT[$rel]}" "$(q authority_login "SELECT count(*) FROM $rel")"
done
for rel in $(nw_sql "SELECT format('needlewatch.%I', c.relname) FROM pg_class c
                     WHERE c.relnamespace = 'needlewatch'::regnamespace AND c.relkind = 'r'"); do
    nw_check "authority: cannot insert into, delete from or truncate $rel" "denied|denied|denied" \
        "$(q authority_login "INSERT INTO $rel DEFAULT VALUES")|$(q authority_login "DELETE FROM $rel")|$(q authority_login "TRUNCATE $rel")"
done

# --- Makers. What maker_a may see, and what would betray Borealis's reports.
A_TREATMENTS="a-1|1|Acme
a-2|2|Acme
a-3|1|Acme
mv-ba|2|Acme"
A_COMPLICATIONS="ca-1|a-1
ca-2|a-2
cm-2|mv-ba"
B_MARKERS='Borealis|ACME|Cobalt|(^|[(,])b-[0-9]|mv-ab|cb-[0-9]|cm-1|cw-1|co-1|cc-1|a-wd|n-1|u-1|M-b-|ghost|borealis_team|maker_b'
nw_check "maker_a: its treatments (current version's manufacturer decides)" "$A_TREATMENTS" \
    "$(q maker_a "SELECT report_id, version, manufacturer FROM needlewatch.maker_treatments ORDER BY 1")"
nw_check "maker_a: their complications only" "$A_COMPLICATIONS" \
    "$(q maker_a "SELECT report_id, treatment_id FROM needlewatch.maker_complications ORDER BY 1")"
nw_check "maker_a: its own mapping only" "maker_a|Acme" \
    "$(q maker_a "SELECT * FROM needlewatch.maker_manufacturers")"
nw_check "maker_b (through a group role): Borealis's, mv-ab included" "b-1 b-2 b-3 b-4 b-5 b-6 mv-ab|cb-1 cb-2 cb-3 cm-1" \
    "$(q maker_b "SELECT string_agg(report_id, ' ' ORDER BY report_id) FROM needlewatch.maker_treatments")|$(q maker_b "SELECT string_agg(report_id, ' ' ORDER BY report_id) FROM needlewatch.maker_complications")"

# Every relation of the schema, as maker_a: either refused, or exactly
# Acme's rows (the total, or Acme's plus Borealis's, would be a leak); and no
# value of another maker's report anywhere in what it can read.
: >"$WORK/maker_a.seen"
for rel in $RELS; do
    case "$rel" in
    needlewatch.maker_treatments) want=4 ;;
    needlewatch.maker_complications) want=3 ;;
    needlewatch.maker_manufacturers) want=1 ;;
    *) want=denied ;;
    esac
    nw_check "maker_a: count(*) from $rel -> $want" "$want" "$(q maker_a "SELECT count(*) FROM $rel")"
    q maker_a "SELECT x::text FROM $rel x" >>"$WORK/maker_a.seen"
    echo >>"$WORK/maker_a.seen"
done
# ...and every function, called with NULL arguments.
while IFS= read -r call; do
    case "$call" in
    needlewatch.maker_treatments_rows*) want=4 ;;
    needlewatch.maker_complications_rows*) want=3 ;;
    needlewatch.maker_manufacturers_rows*) want=1 ;;
    *) want=denied ;;
    esac
    nw_check "maker_a: $call -> $want" "$want" "$(q maker_a "SELECT count(*) FROM $call")"
    q maker_a "SELECT x::text FROM $call x" >>"$WORK/maker_a.seen"
    echo >>"$WORK/maker_a.seen"
done < <(nw_sql "SELECT format('needlewatch.%I(%s)', p.proname,
                        (SELECT coalesce(string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY i), '')
                         FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u (t, i)))
                 FROM pg_proc p WHERE p.pronamespace = 'needlewatch'::regnamespace ORDER BY 1")
nw_check "maker_a: read Acme's rows" yes "$(grep -q '^(a-1,1,2026-04-01,home' "$WORK/maker_a.seen" && echo yes)"
nw_check "maker_a: nothing of any other report, maker or mapping in all it could read" "" \
    "$(grep -E "$B_MARKERS" "$WORK/maker_a.seen" || true)"

# Counting what it may not see, through the plan or through errors.
nw_check "maker_a: EXPLAIN ANALYZE shows only the function's output" \
    "Function Scan on maker_treatments_rows (actual rows=4 loops=1)" \
    "$(q maker_a "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM needlewatch.maker_treatments" | sed 's/^ *//')"
nw_check "maker_a: EXPLAIN ANALYZE of complications, likewise" \
    "Function Scan on maker_complications_rows (actual rows=3 loops=1)" \
    "$(q maker_a "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM needlewatch.maker_complications" | sed 's/^ *//')"
nw_check "maker_a: a WHERE clause that fails on Borealis's rows never sees them" 4 \
    "$(q maker_a "SELECT count(*) FROM needlewatch.maker_treatments WHERE 1 / (CASE WHEN manufacturer <> 'Acme' THEN 0 ELSE 1 END) = 1")"
nw_check "maker_a: an error quotes only its own values" "ERROR: invalid input syntax for type integer: \"Acme\"" \
    "$(q maker_a "SELECT count(*) FROM needlewatch.maker_treatments WHERE manufacturer::int = 0")"
nw_check "maker_a: no column statistics" 0 \
    "$(q maker_a "SELECT count(*) FROM pg_stats WHERE schemaname = 'needlewatch'")"

# Posing as someone else, or writing.
nw_check "maker_a: cannot become maker_b" denied "$(q maker_a "SET ROLE maker_b")"
nw_check "maker_a: SET ROLE to its group changes nothing (session_user decides)" 4 \
    "$(q maker_a "SET ROLE needlewatch_maker; SELECT count(*) FROM needlewatch.maker_treatments")"
nw_check "maker_a: cannot map itself to Borealis" denied \
    "$(q maker_a "INSERT INTO needlewatch.maker_access VALUES ('maker_a', 'Borealis')")"
nw_check "maker_a: cannot insert a report" denied \
    "$(q maker_a "INSERT INTO needlewatch.treatment_versions (report_id) VALUES ('x')")"
nw_check "maker_a: cannot insert through its view" "denied" \
    "$(q maker_a "INSERT INTO needlewatch.maker_treatments (report_id) VALUES ('x')" | sed 's/^ERROR: cannot insert into view.*/denied/')"
nw_check "maker_a: no temporary objects (no functions of its own)" denied \
    "$(q maker_a "CREATE TEMP TABLE t (i int)")"
nw_check "maker_a: no DDL in the schema" denied \
    "$(q maker_a "CREATE FUNCTION needlewatch.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")"

# The total size of the tables is public in any PostgreSQL cluster (see
# docs/security.md); logged for the record, not a check.
nw_log "note: maker_a reads pg_stat_user_tables.n_live_tup of treatment_versions:" \
    "$(q maker_a "SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'treatment_versions'")"

# --- A role in none of the groups.
nw_check "a role outside the groups cannot connect" "denied" \
    "$(q stranger_login "SELECT 1")"

nw_done

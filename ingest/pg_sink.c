/*
 * pg_sink.c - one transaction per batch: offsets, reports, quarantine
 * (see pg_sink.h for the order of steps and the failure model).
 */
#include "pg_sink.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copybuf.h"
#include "log.h"
#include "migrate.h"

struct pg_sink {
    char *conninfo;
    char *group_id;
    char *owner;
    char *topics[2];
    PGconn *conn;
    bool migrated;
    bool no_direct;   /* the role cannot COPY into the tables (row-level security) */
    copybuf_t cb;
};

#define COPY_CHUNK (256 * 1024)

#define TREATMENT_COLUMNS                                                                     \
    "report_id, version, nullified, treated_on, setting, device_type, manufacturer, model,"   \
    " needle_depth_mm, operator, fitzpatrick, sterile_tip, active_acne, serum, region,"       \
    " reported_at, ingested_at, source_topic, source_partition, source_offset, message"
#define COMPLICATION_COLUMNS                                                                  \
    "report_id, version, nullified, treatment_id, type, severity, onset_days, outcome,"       \
    " medical_attention, reported_at, ingested_at, source_topic, source_partition,"           \
    " source_offset, message"

/* Staging tables, spelled out rather than LIKE the real ones so the worker's
 * role needs no SELECT on them. No constraints: the real tables check. */
static const char stage_sql[] =
    "SET client_min_messages = warning;"
    "CREATE TEMP TABLE IF NOT EXISTS nw_stage_treatments ("
    " report_id text, version integer, nullified boolean, treated_on date, setting text,"
    " device_type text, manufacturer text, model text, needle_depth_mm double precision,"
    " operator text, fitzpatrick smallint, sterile_tip boolean, active_acne boolean,"
    " serum text, region text, reported_at timestamptz, ingested_at timestamptz DEFAULT now(),"
    " source_topic text, source_partition integer, source_offset bigint, message text)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS nw_stage_complications ("
    " report_id text, version integer, nullified boolean, treatment_id text, type text,"
    " severity text, onset_days smallint, outcome text, medical_attention boolean,"
    " reported_at timestamptz, ingested_at timestamptz DEFAULT now(), source_topic text,"
    " source_partition integer, source_offset bigint, message text)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS nw_stage_quarantine ("
    " topic text, partition integer, kafka_offset bigint, key bytea, payload bytea,"
    " error text, received_at timestamptz DEFAULT now())"
    " ON COMMIT DELETE ROWS;"
    "RESET client_min_messages;";

/* The fast path: straight into the tables, for batches without duplicates. */
static const char *const copy_direct_sql[2] = {
    "COPY needlewatch.treatment_versions (report_id, version, nullified, treated_on, setting,"
    " device_type, manufacturer, model, needle_depth_mm, operator, fitzpatrick, sterile_tip,"
    " active_acne, serum, region, reported_at, source_topic, source_partition, source_offset,"
    " message) FROM STDIN",
    "COPY needlewatch.complication_versions (report_id, version, nullified, treatment_id, type,"
    " severity, onset_days, outcome, medical_attention, reported_at, source_topic,"
    " source_partition, source_offset, message) FROM STDIN",
};

/* How many of the given (report_id, version) pairs have a lower version
 * stored (run after the direct COPY, so the batch's own rows count). */
static const char *const superseded_sql[2] = {
    "SELECT count(*) FROM unnest($1::text[], $2::int[]) AS u(id, v) WHERE EXISTS"
    " (SELECT 1 FROM needlewatch.treatment_versions t WHERE t.report_id = u.id"
    "  AND t.version < u.v)",
    "SELECT count(*) FROM unnest($1::text[], $2::int[]) AS u(id, v) WHERE EXISTS"
    " (SELECT 1 FROM needlewatch.complication_versions t WHERE t.report_id = u.id"
    "  AND t.version < u.v)",
};

/* The careful path: through a staging table, deduplicated on the way in. */
static const char *const copy_sql[2] = {
    "COPY pg_temp.nw_stage_treatments (report_id, version, nullified, treated_on, setting,"
    " device_type, manufacturer, model, needle_depth_mm, operator, fitzpatrick, sterile_tip,"
    " active_acne, serum, region, reported_at, source_topic, source_partition, source_offset,"
    " message) FROM STDIN",
    "COPY pg_temp.nw_stage_complications (report_id, version, nullified, treatment_id, type,"
    " severity, onset_days, outcome, medical_attention, reported_at, source_topic,"
    " source_partition, source_offset, message) FROM STDIN",
};

/* Moves the staged rows into the table. Returns how many were new, and how
 * many of those supersede a lower version of the same report: one stored
 * earlier, or one new in this same statement (a data-modifying CTE's rows
 * are invisible to the rest of its statement, hence the window). */
static const char *const move_sql[2] = {
    "WITH moved AS (DELETE FROM pg_temp.nw_stage_treatments RETURNING *),"
    " ins AS (INSERT INTO needlewatch.treatment_versions (" TREATMENT_COLUMNS ")"
    "         SELECT " TREATMENT_COLUMNS " FROM moved"
    "         ON CONFLICT (report_id, version) DO NOTHING RETURNING report_id, version)"
    " SELECT count(*), count(*) FILTER (WHERE version > first_in_batch OR EXISTS (SELECT 1"
    "   FROM needlewatch.treatment_versions v WHERE v.report_id = r.report_id"
    "   AND v.version < r.version))"
    " FROM (SELECT report_id, version, min(version) OVER (PARTITION BY report_id)"
    "       AS first_in_batch FROM ins) r",
    "WITH moved AS (DELETE FROM pg_temp.nw_stage_complications RETURNING *),"
    " ins AS (INSERT INTO needlewatch.complication_versions (" COMPLICATION_COLUMNS ")"
    "         SELECT " COMPLICATION_COLUMNS " FROM moved"
    "         ON CONFLICT (report_id, version) DO NOTHING RETURNING report_id, version)"
    " SELECT count(*), count(*) FILTER (WHERE version > first_in_batch OR EXISTS (SELECT 1"
    "   FROM needlewatch.complication_versions v WHERE v.report_id = r.report_id"
    "   AND v.version < r.version))"
    " FROM (SELECT report_id, version, min(version) OVER (PARTITION BY report_id)"
    "       AS first_in_batch FROM ins) r",
};

static const char copy_quarantine_sql[] =
    "COPY pg_temp.nw_stage_quarantine (topic, partition, kafka_offset, key, payload, error)"
    " FROM STDIN";
static const char move_quarantine_sql[] =
    "WITH moved AS (DELETE FROM pg_temp.nw_stage_quarantine RETURNING *),"
    " ins AS (INSERT INTO needlewatch.quarantine (topic, partition, kafka_offset, key, payload,"
    "         error, received_at)"
    "         SELECT topic, partition, kafka_offset, key, payload, error, received_at FROM moved"
    "         ON CONFLICT (topic, partition, kafka_offset) DO NOTHING RETURNING topic)"
    " SELECT topic, count(*) FROM ins GROUP BY topic";

static const char claim_sql[] =
    "INSERT INTO needlewatch.kafka_offsets AS o (group_id, topic, partition, next_offset,"
    " epoch, owner)"
    " SELECT $1, u.t, u.p, -1, 1, $4 FROM unnest($2::text[], $3::int[]) AS u(t, p)"
    " ORDER BY u.t, u.p"
    " ON CONFLICT (group_id, topic, partition) DO UPDATE"
    " SET epoch = o.epoch + 1, owner = EXCLUDED.owner, updated_at = now()"
    " RETURNING o.topic, o.partition, o.next_offset, o.epoch";

/* Locks the rows in (topic, partition) order, as the claim does, so a claim
 * and a commit never deadlock on each other. */
static const char fence_sql[] =
    "UPDATE needlewatch.kafka_offsets AS o SET next_offset = v.n, updated_at = now()"
    " FROM (SELECT * FROM unnest($2::text[], $3::int[], $4::bigint[], $5::bigint[])"
    "       AS u(t, p, n, e) ORDER BY t, p) AS v"
    " WHERE o.group_id = $1 AND o.topic = v.t AND o.partition = v.p AND o.epoch = v.e"
    " RETURNING o.topic, o.partition";

/* A gap is recorded once: the offset that moves past it commits with it. */
static const char gap_sql[] =
    "INSERT INTO needlewatch.kafka_gaps (group_id, topic, partition, first_missing, log_start,"
    " detected_at, detected_by)"
    " VALUES ($1, $2, $3::int, $4::bigint, $5::bigint, to_timestamp($6::bigint / 1000.0), $7)"
    " ON CONFLICT DO NOTHING";

pg_sink_t *pg_sink_new(const char *conninfo, const char *group_id, const char *owner,
                       const char *const topics[2])
{
    pg_sink_t *sink = calloc(1, sizeof(*sink));
    if (!sink)
        return NULL;
    sink->conninfo = strdup(conninfo);
    sink->group_id = strdup(group_id);
    sink->owner = strdup(owner);
    sink->topics[0] = strdup(topics[0]);
    sink->topics[1] = strdup(topics[1]);
    copybuf_init(&sink->cb);
    if (!sink->conninfo || !sink->group_id || !sink->owner || !sink->topics[0] ||
        !sink->topics[1]) {
        pg_sink_destroy(sink);
        return NULL;
    }
    return sink;
}

void pg_sink_disconnect(pg_sink_t *sink)
{
    if (sink->conn)
        PQfinish(sink->conn);
    sink->conn = NULL;
}

void pg_sink_destroy(pg_sink_t *sink)
{
    if (!sink)
        return;
    pg_sink_disconnect(sink);
    copybuf_free(&sink->cb);
    free(sink->conninfo);
    free(sink->group_id);
    free(sink->owner);
    free(sink->topics[0]);
    free(sink->topics[1]);
    free(sink);
}

bool pg_sink_connected(const pg_sink_t *sink)
{
    return sink->conn && PQstatus(sink->conn) == CONNECTION_OK;
}

/* Copies the server's error into errbuf on one line: without a trailing
 * newline, and libpq's inner line breaks ("...failed: Connection
 * refused\n\tIs the server running...") as "; ". */
static void set_pg_error(pg_sink_t *sink, const char *what, char *errbuf, size_t errsize)
{
    const char *msg = sink->conn ? PQerrorMessage(sink->conn) : "not connected";
    int head = snprintf(errbuf, errsize, "%s: ", what);
    size_t len = head < 0 ? 0 : (size_t)head, end = strlen(msg);

    if (len >= errsize)
        return;
    while (end && (msg[end - 1] == '\n' || msg[end - 1] == ' '))
        end--;
    for (size_t i = 0; i < end && len + 2 < errsize; i++) {
        if (msg[i] == '\n') {
            while (i + 1 < end && (msg[i + 1] == '\t' || msg[i + 1] == ' '))
                i++;
            errbuf[len++] = ';';
            errbuf[len++] = ' ';
        } else {
            errbuf[len++] = msg[i];
        }
    }
    errbuf[len] = '\0';
}

static bool exec_cmd(pg_sink_t *sink, const char *sql, char *errbuf, size_t errsize)
{
    PGresult *res = PQexec(sink->conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok)
        set_pg_error(sink, sql, errbuf, errsize);
    PQclear(res);
    return ok;
}

pg_status_t pg_sink_connect(pg_sink_t *sink, bool migrate, char *errbuf, size_t errsize)
{
    pg_status_t status = PG_RETRY;
    static const char *const keys[] = {"dbname", "fallback_application_name",
                                       "client_encoding", NULL};
    const char *vals[] = {sink->conninfo, "needlewatch-ingest", "UTF8", NULL};

    pg_sink_disconnect(sink);
    /* expand_dbname: the first dbname may be a whole conninfo or URI. */
    sink->conn = PQconnectdbParams(keys, vals, 1);
    if (!sink->conn || PQstatus(sink->conn) != CONNECTION_OK) {
        set_pg_error(sink, "connect", errbuf, errsize);
        goto fail;
    }
    if (!sink->migrated) {
        if (migrate) {
            int n = migrate_apply(sink->conn, errbuf, errsize);
            if (n < 0)
                goto fail_schema;
            if (n > 0)
                log_info("pg", "applied %d migration(s)", n);
        } else if (!migrate_check(sink->conn, errbuf, errsize)) {
            goto fail_schema;
        }
        sink->migrated = true;
    }
    if (!exec_cmd(sink, stage_sql, errbuf, errsize))
        goto fail;
    return PG_OK;
fail_schema:
    /* A lost connection is worth retrying; a broken schema is not. */
    if (PQstatus(sink->conn) == CONNECTION_OK)
        status = PG_FATAL;
fail:
    pg_sink_disconnect(sink);
    return status;
}

/* Builds "{a,b,c}" array literals for the claim and fence statements. Topic
 * names are [A-Za-z0-9._-] in Kafka, so they need no quoting. */
typedef struct arrays {
    char *topics, *parts, *offsets, *epochs;
} arrays_t;

static void arrays_free(arrays_t *a)
{
    free(a->topics);
    free(a->parts);
    free(a->offsets);
    free(a->epochs);
}

static bool arrays_build(const pg_partition_t *parts, size_t n, arrays_t *a)
{
    size_t tcap = 3, ncap = 3 + n * 24;
    size_t tl = 0, pl = 0, ol = 0, el = 0;

    memset(a, 0, sizeof(*a));
    for (size_t i = 0; i < n; i++)
        tcap += strlen(parts[i].topic) + 1;
    a->topics = malloc(tcap);
    a->parts = malloc(ncap);
    a->offsets = malloc(ncap);
    a->epochs = malloc(ncap);
    if (!a->topics || !a->parts || !a->offsets || !a->epochs) {
        arrays_free(a);
        return false;
    }
    a->topics[tl++] = a->parts[pl++] = a->offsets[ol++] = a->epochs[el++] = '{';
    for (size_t i = 0; i < n; i++) {
        const char *sep = i ? "," : "";
        tl += (size_t)snprintf(a->topics + tl, tcap - tl, "%s%s", sep, parts[i].topic);
        pl += (size_t)snprintf(a->parts + pl, ncap - pl, "%s%" PRId32, sep, parts[i].partition);
        ol += (size_t)snprintf(a->offsets + ol, ncap - ol, "%s%" PRId64, sep,
                               parts[i].next_offset);
        el += (size_t)snprintf(a->epochs + el, ncap - el, "%s%" PRId64, sep, parts[i].epoch);
    }
    snprintf(a->topics + tl, tcap - tl, "}");
    snprintf(a->parts + pl, ncap - pl, "}");
    snprintf(a->offsets + ol, ncap - ol, "}");
    snprintf(a->epochs + el, ncap - el, "}");
    return true;
}

static pg_partition_t *find_part(pg_partition_t *parts, size_t n, const char *topic,
                                 int32_t partition)
{
    for (size_t i = 0; i < n; i++)
        if (parts[i].partition == partition && strcmp(parts[i].topic, topic) == 0)
            return &parts[i];
    return NULL;
}

pg_status_t pg_sink_claim(pg_sink_t *sink, pg_partition_t *parts, size_t n, char *errbuf,
                          size_t errsize)
{
    pg_status_t status = PG_RETRY;
    arrays_t a;
    PGresult *res = NULL;
    const char *params[4];

    if (!pg_sink_connected(sink)) {
        snprintf(errbuf, errsize, "not connected");
        return PG_RETRY;
    }
    if (!arrays_build(parts, n, &a)) {
        snprintf(errbuf, errsize, "out of memory");
        return PG_RETRY;
    }
    params[0] = sink->group_id;
    params[1] = a.topics;
    params[2] = a.parts;
    params[3] = sink->owner;
    res = PQexecParams(sink->conn, claim_sql, 4, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        set_pg_error(sink, "claiming partitions", errbuf, errsize);
        goto out;
    }
    for (int r = 0; r < PQntuples(res); r++) {
        pg_partition_t *p = find_part(parts, n, PQgetvalue(res, r, 0),
                                      (int32_t)atol(PQgetvalue(res, r, 1)));
        if (p) {
            p->next_offset = strtoll(PQgetvalue(res, r, 2), NULL, 10);
            p->epoch = strtoll(PQgetvalue(res, r, 3), NULL, 10);
        }
    }
    status = PG_OK;
out:
    PQclear(res);
    arrays_free(&a);
    return status;
}

/* The result of one statement inside the transaction. */
typedef enum {
    STEP_OK,
    STEP_CONFLICT,   /* unique violation: a duplicate on the direct COPY path */
    STEP_DATA_ERROR, /* PostgreSQL rejected a value */
    STEP_FAILED,     /* anything else: connection, server state... */
} step_t;

static step_t classify(pg_sink_t *sink, PGresult *res, const char *what, char *errbuf,
                       size_t errsize)
{
    const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state && strcmp(state, "23505") == 0) {
        snprintf(errbuf, errsize, "duplicate report version in the batch");
        return STEP_CONFLICT;
    }
    if (state && strcmp(state, "0A000") == 0 && !sink->no_direct) {
        /* "COPY FROM not supported with row-level security": this role must
         * write through INSERT, so through the staging tables from now on. */
        log_info("pg", "direct COPY not allowed for this role (%s); using the staging tables",
                 PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        sink->no_direct = true;
        snprintf(errbuf, errsize, "direct COPY not supported");
        return STEP_CONFLICT;
    }
    if (state && (strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0)) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        snprintf(errbuf, errsize, "database rejected the report: %s (SQLSTATE %s)",
                 primary ? primary : "error", state);
        return STEP_DATA_ERROR;
    }
    set_pg_error(sink, what, errbuf, errsize);
    return STEP_FAILED;
}

/* Which entries a COPY takes, and how it writes one as a row. */
typedef bool (*row_pick_t)(const batch_entry_t *e, report_kind_t kind);
typedef void (*row_add_t)(copybuf_t *cb, const batch_entry_t *e);

/* Streams the rows of [lo, hi) that pick selects into COPY sql, sending
 * COPY_CHUNK bytes at a time so the buffer stays small whatever the batch
 * size. */
static step_t copy_rows(pg_sink_t *sink, const char *sql, const batch_t *batch, size_t lo,
                        size_t hi, report_kind_t kind, row_pick_t pick, row_add_t add,
                        char *errbuf, size_t errsize)
{
    step_t step = STEP_FAILED;
    copybuf_t *cb = &sink->cb;
    const char *abort_msg = NULL;
    PGresult *res = PQexec(sink->conn, sql);

    if (PQresultStatus(res) != PGRES_COPY_IN) {
        step = classify(sink, res, "COPY", errbuf, errsize);
        PQclear(res);
        return step;
    }
    PQclear(res);
    copybuf_reset(cb);
    for (size_t i = lo; i <= hi && !abort_msg; i++) {
        if (i < hi && pick(&batch->entries[i], kind))
            add(cb, &batch->entries[i]);
        if (cb->oom) {
            abort_msg = "needlewatch-ingest: out of memory building COPY data";
        } else if (cb->len >= COPY_CHUNK || (i == hi && cb->len)) {
            if (PQputCopyData(sink->conn, cb->data, (int)cb->len) != 1)
                abort_msg = "needlewatch-ingest: sending COPY data failed";
            copybuf_reset(cb);
        }
    }
    if (PQputCopyEnd(sink->conn, abort_msg) != 1) {
        set_pg_error(sink, "COPY", errbuf, errsize);
        return STEP_FAILED;
    }
    res = PQgetResult(sink->conn);
    if (PQresultStatus(res) == PGRES_COMMAND_OK)
        step = STEP_OK;
    else if (abort_msg) {
        snprintf(errbuf, errsize, "%s", abort_msg);
        step = STEP_FAILED;
    } else
        step = classify(sink, res, "COPY", errbuf, errsize);
    PQclear(res);
    while ((res = PQgetResult(sink->conn)) != NULL)
        PQclear(res);
    return step;
}

/* Runs a query; *res gets its result (caller PQclear()s it) on STEP_OK. */
static step_t query_step(pg_sink_t *sink, const char *sql, PGresult **out, char *errbuf,
                         size_t errsize)
{
    PGresult *res = PQexec(sink->conn, sql);
    step_t step;
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        *out = res;
        return STEP_OK;
    }
    step = classify(sink, res, sql, errbuf, errsize);
    PQclear(res);
    return step;
}

/* Runs a statement; *tuples gets its affected row count. */
static step_t exec_step(pg_sink_t *sink, const char *sql, uint64_t *tuples, char *errbuf,
                        size_t errsize)
{
    step_t step = STEP_OK;
    PGresult *res = PQexec(sink->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        step = classify(sink, res, sql, errbuf, errsize);
    else if (tuples)
        *tuples = strtoull(PQcmdTuples(res), NULL, 10);
    PQclear(res);
    return step;
}

static void add_treatment_row(copybuf_t *cb, const batch_entry_t *e)
{
    const report_t *r = &e->report;
    const batch_msg_t *m = &e->msg;

    copybuf_text(cb, r->report_id);
    copybuf_int(cb, r->version);
    copybuf_bool(cb, r->nullified);
    copybuf_text(cb, r->treated_on);
    copybuf_text(cb, r->setting);
    copybuf_text(cb, r->device_type);
    copybuf_text(cb, r->manufacturer);
    copybuf_text(cb, r->model);
    if (r->has_needle_depth)
        copybuf_double(cb, r->needle_depth_mm);
    else
        copybuf_null(cb);
    copybuf_text(cb, r->operator_role);
    if (r->fitzpatrick)
        copybuf_int(cb, r->fitzpatrick);
    else
        copybuf_null(cb);
    copybuf_bool(cb, r->sterile_tip);
    copybuf_bool(cb, r->active_acne);
    copybuf_text(cb, r->serum);
    copybuf_text(cb, r->region);
    copybuf_text(cb, r->reported_at);
    copybuf_text(cb, m->topic);
    copybuf_int(cb, m->partition);
    copybuf_int(cb, m->offset);
    copybuf_textn(cb, m->payload ? m->payload : "", m->len);
    copybuf_end_row(cb);
}

static void add_complication_row(copybuf_t *cb, const batch_entry_t *e)
{
    const report_t *r = &e->report;
    const batch_msg_t *m = &e->msg;

    copybuf_text(cb, r->report_id);
    copybuf_int(cb, r->version);
    copybuf_bool(cb, r->nullified);
    copybuf_text(cb, r->treatment_id);
    copybuf_text(cb, r->type);
    copybuf_text(cb, r->severity);
    if (r->onset_days >= 0)
        copybuf_int(cb, r->onset_days);
    else
        copybuf_null(cb);
    copybuf_text(cb, r->outcome);
    copybuf_bool(cb, r->medical_attention);
    copybuf_text(cb, r->reported_at);
    copybuf_text(cb, m->topic);
    copybuf_int(cb, m->partition);
    copybuf_int(cb, m->offset);
    copybuf_textn(cb, m->payload ? m->payload : "", m->len);
    copybuf_end_row(cb);
}

static void add_quarantine_row(copybuf_t *cb, const batch_entry_t *e)
{
    copybuf_text(cb, e->msg.topic);
    copybuf_int(cb, e->msg.partition);
    copybuf_int(cb, e->msg.offset);
    copybuf_bytea(cb, e->msg.key, e->msg.key_len);
    copybuf_bytea(cb, e->msg.payload, e->msg.len);
    copybuf_text(cb, e->error ? e->error : "rejected");
    copybuf_end_row(cb);
}

static bool pick_report(const batch_entry_t *e, report_kind_t kind)
{
    return e->valid && e->kind == kind;
}

static bool pick_invalid(const batch_entry_t *e, report_kind_t kind)
{
    (void)kind;
    return !e->valid;
}

/* Counts, after a direct COPY, the rows of [lo, hi) of one kind that
 * supersede a lower version. Only versions above 1 can, so this is usually
 * no query at all. */
static step_t count_superseded(pg_sink_t *sink, const batch_t *batch, size_t lo, size_t hi,
                               report_kind_t kind, uint64_t *out, char *errbuf, size_t errsize)
{
    size_t n = 0, cap_ids = 3, cap_versions = 3, li = 0, lv = 0;
    char *ids, *versions;
    const char *params[2];
    PGresult *res;
    step_t step = STEP_FAILED;

    *out = 0;
    for (size_t i = lo; i < hi; i++) {
        const batch_entry_t *e = &batch->entries[i];
        if (e->valid && e->kind == kind && e->report.version > 1) {
            n++;
            cap_ids += strlen(e->report.report_id) + 1;
            cap_versions += 12;
        }
    }
    if (n == 0)
        return STEP_OK;
    ids = malloc(cap_ids);
    versions = malloc(cap_versions);
    if (!ids || !versions) {
        snprintf(errbuf, errsize, "out of memory");
        goto out;
    }
    /* report_id is [A-Za-z0-9._:-]{1,64}: safe in an array literal unquoted. */
    ids[li++] = versions[lv++] = '{';
    for (size_t i = lo; i < hi; i++) {
        const batch_entry_t *e = &batch->entries[i];
        if (!e->valid || e->kind != kind || e->report.version <= 1)
            continue;
        li += (size_t)snprintf(ids + li, cap_ids - li, "%s%s", li > 1 ? "," : "",
                               e->report.report_id);
        lv += (size_t)snprintf(versions + lv, cap_versions - lv, "%s%d", lv > 1 ? "," : "",
                               e->report.version);
    }
    snprintf(ids + li, cap_ids - li, "}");
    snprintf(versions + lv, cap_versions - lv, "}");
    params[0] = ids;
    params[1] = versions;
    res = PQexecParams(sink->conn, superseded_sql[kind], 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK) {
        *out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        step = STEP_OK;
    } else {
        step = classify(sink, res, "counting superseded versions", errbuf, errsize);
    }
    PQclear(res);
out:
    free(ids);
    free(versions);
    return step;
}

/* Writes the valid entries of [lo, hi) of one kind: with direct, by COPY
 * straight into the table (a duplicate then fails it with STEP_CONFLICT);
 * otherwise through the staging table, counting duplicates. */
static step_t write_kind(pg_sink_t *sink, batch_t *batch, size_t lo, size_t hi,
                         report_kind_t kind, bool direct, pg_write_stats_t *st, char *errbuf,
                         size_t errsize)
{
    uint64_t staged = 0, inserted = 0, superseded = 0;
    row_add_t add = kind == REPORT_TREATMENT ? add_treatment_row : add_complication_row;
    PGresult *res = NULL;
    step_t step;

    for (size_t i = lo; i < hi; i++)
        staged += pick_report(&batch->entries[i], kind);
    if (staged == 0)
        return STEP_OK;
    if (direct) {
        step = copy_rows(sink, copy_direct_sql[kind], batch, lo, hi, kind, pick_report, add,
                         errbuf, errsize);
        if (step == STEP_OK)
            step = count_superseded(sink, batch, lo, hi, kind, &superseded, errbuf, errsize);
        if (step != STEP_OK)
            return step;
        st->stored[kind] += staged;
        st->superseded[kind] += superseded;
        return STEP_OK;
    }
    step = copy_rows(sink, copy_sql[kind], batch, lo, hi, kind, pick_report, add, errbuf,
                     errsize);
    if (step != STEP_OK)
        return step == STEP_CONFLICT ? STEP_DATA_ERROR : step;
    step = query_step(sink, move_sql[kind], &res, errbuf, errsize);
    if (step != STEP_OK)
        return step == STEP_CONFLICT ? STEP_DATA_ERROR : step;
    inserted = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
    st->stored[kind] += inserted;
    st->duplicates[kind] += staged - inserted;
    st->superseded[kind] += strtoull(PQgetvalue(res, 0, 1), NULL, 10);
    PQclear(res);
    return STEP_OK;
}

static size_t count_valid(const batch_t *batch, size_t lo, size_t hi)
{
    size_t n = 0;
    for (size_t i = lo; i < hi; i++)
        n += batch->entries[i].valid;
    return n;
}

/* Writes the valid entries of [lo, hi) under a savepoint. When PostgreSQL
 * rejects a value, rolls back to the savepoint and bisects until each
 * offending entry is alone, then turns it into a quarantine entry. */
static step_t write_range(pg_sink_t *sink, batch_t *batch, size_t lo, size_t hi,
                          pg_write_stats_t *st, char *errbuf, size_t errsize)
{
    pg_write_stats_t local = {0};
    size_t valid = count_valid(batch, lo, hi);
    step_t step;

    if (valid == 0)
        return STEP_OK;
    step = exec_step(sink, "SAVEPOINT nw_rows", NULL, errbuf, errsize);
    if (step != STEP_OK)
        return STEP_FAILED;
    /* Fast path first; a duplicate anywhere sends the range the careful way. */
    step = STEP_CONFLICT;
    if (!sink->no_direct) {
        step = write_kind(sink, batch, lo, hi, REPORT_TREATMENT, true, &local, errbuf, errsize);
        if (step == STEP_OK)
            step = write_kind(sink, batch, lo, hi, REPORT_COMPLICATION, true, &local, errbuf,
                              errsize);
        if (step == STEP_CONFLICT &&
            exec_step(sink, "ROLLBACK TO SAVEPOINT nw_rows", NULL, errbuf, errsize) != STEP_OK)
            return STEP_FAILED;
    }
    if (step == STEP_CONFLICT) {
        memset(&local, 0, sizeof(local));
        log_debug("pg", "duplicates in the batch: writing it through the staging tables");
        step = write_kind(sink, batch, lo, hi, REPORT_TREATMENT, false, &local, errbuf, errsize);
        if (step == STEP_OK)
            step = write_kind(sink, batch, lo, hi, REPORT_COMPLICATION, false, &local, errbuf,
                              errsize);
    }
    if (step == STEP_OK) {
        if (exec_step(sink, "RELEASE SAVEPOINT nw_rows", NULL, errbuf, errsize) != STEP_OK)
            return STEP_FAILED;
        for (int k = 0; k < 2; k++) {
            st->stored[k] += local.stored[k];
            st->duplicates[k] += local.duplicates[k];
            st->superseded[k] += local.superseded[k];
        }
        return STEP_OK;
    }
    if (step == STEP_FAILED)
        return STEP_FAILED;

    /* A data error: undo this range and narrow it down. */
    {
        char why[512];
        snprintf(why, sizeof(why), "%s", errbuf);
        if (exec_step(sink, "ROLLBACK TO SAVEPOINT nw_rows", NULL, errbuf, errsize) != STEP_OK)
            return STEP_FAILED;
        if (valid == 1) {
            for (size_t i = lo; i < hi; i++) {
                if (batch->entries[i].valid) {
                    log_warn("pg", "[%s/%" PRId32 "@%" PRId64 "] %s",
                             batch->entries[i].msg.topic, batch->entries[i].msg.partition,
                             batch->entries[i].msg.offset,
                             why);
                    st->db_rejected[batch->entries[i].kind]++;
                    batch_reject(batch, i, why);
                }
            }
            return STEP_OK;
        }
    }
    {
        size_t mid = lo + (hi - lo) / 2;
        step = write_range(sink, batch, lo, mid, st, errbuf, errsize);
        if (step == STEP_OK)
            step = write_range(sink, batch, mid, hi, st, errbuf, errsize);
        return step;
    }
}

static step_t write_quarantine(pg_sink_t *sink, batch_t *batch, pg_write_stats_t *st,
                               char *errbuf, size_t errsize)
{
    uint64_t staged = 0;
    PGresult *res = NULL;
    step_t step;

    for (size_t i = 0; i < batch->count; i++)
        staged += pick_invalid(&batch->entries[i], REPORT_TREATMENT);
    if (staged == 0)
        return STEP_OK;
    step = copy_rows(sink, copy_quarantine_sql, batch, 0, batch->count, REPORT_TREATMENT,
                     pick_invalid, add_quarantine_row, errbuf, errsize);
    if (step == STEP_OK)
        step = query_step(sink, move_quarantine_sql, &res, errbuf, errsize);
    if (step != STEP_OK)
        return step;
    for (int r = 0; r < PQntuples(res); r++) {
        int kind = strcmp(PQgetvalue(res, r, 0), sink->topics[0]) == 0 ? 0 : 1;
        st->quarantined[kind] += strtoull(PQgetvalue(res, r, 1), NULL, 10);
    }
    PQclear(res);
    return STEP_OK;
}

/* Advances the offsets where the epoch still matches; marks the others. */
static step_t fence(pg_sink_t *sink, pg_partition_t *parts, size_t n, bool *all_ours,
                    char *errbuf, size_t errsize)
{
    step_t step = STEP_FAILED;
    arrays_t a;
    PGresult *res;
    const char *params[5];

    *all_ours = true;
    if (n == 0)
        return STEP_OK;
    if (!arrays_build(parts, n, &a)) {
        snprintf(errbuf, errsize, "out of memory");
        return STEP_FAILED;
    }
    params[0] = sink->group_id;
    params[1] = a.topics;
    params[2] = a.parts;
    params[3] = a.offsets;
    params[4] = a.epochs;
    res = PQexecParams(sink->conn, fence_sql, 5, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        step = classify(sink, res, "advancing offsets", errbuf, errsize);
        if (step == STEP_DATA_ERROR)
            step = STEP_FAILED;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        parts[i].fenced = true;
    for (int r = 0; r < PQntuples(res); r++) {
        pg_partition_t *p = find_part(parts, n, PQgetvalue(res, r, 0),
                                      (int32_t)atol(PQgetvalue(res, r, 1)));
        if (p)
            p->fenced = false;
    }
    for (size_t i = 0; i < n; i++)
        if (parts[i].fenced)
            *all_ours = false;
    step = STEP_OK;
out:
    PQclear(res);
    arrays_free(&a);
    return step;
}

static void add_stats(pg_write_stats_t *to, const pg_write_stats_t *from)
{
    for (int k = 0; k < 2; k++) {
        to->stored[k] += from->stored[k];
        to->duplicates[k] += from->duplicates[k];
        to->superseded[k] += from->superseded[k];
        to->quarantined[k] += from->quarantined[k];
        to->db_rejected[k] += from->db_rejected[k];
    }
}

/* After a failed step: nothing of the transaction stays. */
static pg_status_t abandon(pg_sink_t *sink)
{
    if (pg_sink_connected(sink)) {
        char ignore[256];
        PGresult *res;
        /* Leave no COPY or transaction half-open on a live connection. */
        while ((res = PQgetResult(sink->conn)) != NULL)
            PQclear(res);
        if (exec_step(sink, "ROLLBACK", NULL, ignore, sizeof(ignore)) != STEP_OK)
            pg_sink_disconnect(sink);
    } else {
        pg_sink_disconnect(sink);
    }
    return PG_RETRY;
}

PGconn *pg_sink_conn(pg_sink_t *sink)
{
    return pg_sink_connected(sink) ? sink->conn : NULL;
}

pg_status_t pg_sink_replay(pg_sink_t *sink, batch_t *batch, pg_sink_step_fn step, void *arg,
                           bool commit, pg_write_stats_t *stats, char *errbuf, size_t errsize)
{
    pg_write_stats_t st = {0};

    if (!pg_sink_connected(sink)) {
        snprintf(errbuf, errsize, "not connected");
        return PG_RETRY;
    }
    if (exec_step(sink, "BEGIN", NULL, errbuf, errsize) != STEP_OK ||
        write_range(sink, batch, 0, batch->count, &st, errbuf, errsize) != STEP_OK ||
        !step(sink->conn, batch, arg, errbuf, errsize) ||
        exec_step(sink, commit ? "COMMIT" : "ROLLBACK", NULL, errbuf, errsize) != STEP_OK)
        return abandon(sink);
    add_stats(stats, &st);
    return PG_OK;
}

/* Records the batch's gaps (see pg_sink.h, step 2). */
static step_t write_gaps(pg_sink_t *sink, const batch_t *batch, char *errbuf, size_t errsize)
{
    for (size_t i = 0; i < batch->gaps_count; i++) {
        const batch_gap_t *g = &batch->gaps[i];
        char part[16], first[24], start[24], when[24];
        const char *params[7];
        PGresult *res;

        snprintf(part, sizeof(part), "%" PRId32, g->partition);
        snprintf(first, sizeof(first), "%" PRId64, g->first_missing);
        snprintf(start, sizeof(start), "%" PRId64, g->log_start);
        snprintf(when, sizeof(when), "%" PRId64, g->detected_ms);
        params[0] = sink->group_id;
        params[1] = sink->topics[g->kind];
        params[2] = part;
        params[3] = first;
        params[4] = start;
        params[5] = when;
        params[6] = sink->owner;
        res = PQexecParams(sink->conn, gap_sql, 7, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            set_pg_error(sink, "recording a gap", errbuf, errsize);
            PQclear(res);
            return STEP_FAILED;
        }
        PQclear(res);
    }
    return STEP_OK;
}

pg_status_t pg_sink_write(pg_sink_t *sink, batch_t *batch, pg_partition_t *parts, size_t n,
                          pg_write_stats_t *stats, char *errbuf, size_t errsize)
{
    pg_write_stats_t st = {0};
    bool all_ours;
    step_t step;

    if (!pg_sink_connected(sink)) {
        snprintf(errbuf, errsize, "not connected");
        return PG_RETRY;
    }
    if (exec_step(sink, "BEGIN", NULL, errbuf, errsize) != STEP_OK)
        goto retry;
    if (fence(sink, parts, n, &all_ours, errbuf, errsize) != STEP_OK)
        goto retry;
    if (!all_ours) {
        exec_step(sink, "ROLLBACK", NULL, errbuf, errsize);
        snprintf(errbuf, errsize, "partitions were claimed by another worker");
        return PG_FENCED;
    }
    if (write_gaps(sink, batch, errbuf, errsize) != STEP_OK)
        goto retry;
    step = write_range(sink, batch, 0, batch->count, &st, errbuf, errsize);
    if (step != STEP_OK)
        goto retry;
    if (write_quarantine(sink, batch, &st, errbuf, errsize) != STEP_OK)
        goto retry;
    if (exec_step(sink, "COMMIT", NULL, errbuf, errsize) != STEP_OK)
        goto retry;
    add_stats(stats, &st);
    return PG_OK;

retry:
    return abandon(sink);
}

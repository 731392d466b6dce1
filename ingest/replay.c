/*
 * replay.c - replaying the quarantine (see replay.h for the order of steps).
 *
 * Nothing here decodes or stores a report itself: report_decode() decides,
 * as for a message from Kafka, and pg_sink_replay() stores through the
 * worker's write path. What is this file's own: choosing the rows, and
 * marking them in the transaction that stores their reports.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#include "batch.h"
#include "log.h"
#include "pg_sink.h"
#include "report.h"

/* pg_try_advisory_lock key: "nwrq" in ASCII, recognisable in pg_locks. */
#define REPLAY_LOCK_KEY "1853321841"

/* The next rows to replay, after ($6, $7, $8) in key order. Rows of other
 * topics than the two configured ones are left alone: which kind of report
 * they hold is not known. */
static const char select_sql[] =
    "SELECT topic, partition, kafka_offset, key, payload FROM needlewatch.quarantine"
    " WHERE topic IN ($1, $2) AND ($3::text IS NULL OR topic = $3)"
    "   AND ($4::timestamptz IS NULL OR received_at >= $4::timestamptz)"
    "   AND ($5::text IS NULL OR error LIKE $5)"
    "   AND (replay_outcome IS NULL OR replay_outcome = 'invalid')"
    "   AND (topic, partition, kafka_offset) > ($6, $7::integer, $8::bigint)"
    " ORDER BY topic, partition, kafka_offset LIMIT $9";

/* Marks the rows of a chunk, once its reports are written in the same
 * transaction: stored when the report version now stored came from this
 * very message (its source columns), a duplicate when it came from another
 * one, invalid (with the current reason) when the decoder or PostgreSQL
 * refused it. A row that got a final outcome meanwhile is not touched. */
static const char mark_sql[] =
    "WITH r AS (SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::integer[],"
    "                                $5::text[], $6::integer[], $7::text[])"
    "           AS r(topic, partition, kafka_offset, kind, report_id, version, error)),"
    " u AS (UPDATE needlewatch.quarantine q SET replayed_at = now(),"
    "   replay_outcome = CASE"
    "     WHEN r.error IS NOT NULL THEN 'invalid'"
    "     WHEN r.kind = 0 AND EXISTS (SELECT 1 FROM needlewatch.treatment_versions t"
    "          WHERE t.report_id = r.report_id AND t.version = r.version"
    "            AND t.source_topic = q.topic AND t.source_partition = q.partition"
    "            AND t.source_offset = q.kafka_offset) THEN 'stored'"
    "     WHEN r.kind = 1 AND EXISTS (SELECT 1 FROM needlewatch.complication_versions c"
    "          WHERE c.report_id = r.report_id AND c.version = r.version"
    "            AND c.source_topic = q.topic AND c.source_partition = q.partition"
    "            AND c.source_offset = q.kafka_offset) THEN 'stored'"
    "     ELSE 'duplicate' END,"
    "   first_error = CASE WHEN r.error IS NOT NULL AND r.error <> q.error"
    "                      THEN coalesce(q.first_error, q.error) ELSE q.first_error END,"
    "   error = coalesce(r.error, q.error)"
    "   FROM r WHERE q.topic = r.topic AND q.partition = r.partition"
    "     AND q.kafka_offset = r.kafka_offset"
    "     AND (q.replay_outcome IS NULL OR q.replay_outcome = 'invalid')"
    "   RETURNING q.topic, q.partition, q.kafka_offset, q.replay_outcome, q.error)"
    " SELECT * FROM u ORDER BY topic, partition, kafka_offset";

/* A growing PostgreSQL array literal: {"a","b",NULL}. */
typedef struct arraybuf {
    char *data;
    size_t len, cap;
    bool oom;
} arraybuf_t;

static void ab_put(arraybuf_t *ab, const char *s, size_t n)
{
    if (ab->oom)
        return;
    if (ab->len + n + 2 > ab->cap) {
        size_t cap = (ab->len + n + 2) * 2;
        char *grown = realloc(ab->data, cap);
        if (!grown) {
            ab->oom = true;
            return;
        }
        ab->data = grown;
        ab->cap = cap;
    }
    memcpy(ab->data + ab->len, s, n);
    ab->len += n;
    ab->data[ab->len] = '\0';
}

/* Appends one element: NULL, or s quoted with " and \ escaped. */
static void ab_add(arraybuf_t *ab, const char *s)
{
    ab_put(ab, ab->len ? "," : "{", 1);
    if (!s) {
        ab_put(ab, "NULL", 4);
        return;
    }
    ab_put(ab, "\"", 1);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            ab_put(ab, "\\", 1);
        ab_put(ab, s, 1);
    }
    ab_put(ab, "\"", 1);
}

static void ab_add_int(arraybuf_t *ab, int64_t v)
{
    char num[24];
    snprintf(num, sizeof(num), "%" PRId64, v);
    ab_add(ab, num);
}

/* The array's final text ("{}" when empty); NULL when out of memory. */
static const char *ab_end(arraybuf_t *ab)
{
    if (ab->len == 0)
        ab_put(ab, "{", 1);
    ab_put(ab, "}", 1);
    return ab->oom ? NULL : ab->data;
}

/* What the mark step leaves for the caller: its rows, to print once the
 * transaction is over. */
typedef struct mark_ctx {
    PGresult *marked;
} mark_ctx_t;

/* pg_sink_step_fn: marks every row of the batch (see mark_sql). */
static bool mark_rows(PGconn *conn, const batch_t *batch, void *arg, char *errbuf,
                      size_t errsize)
{
    mark_ctx_t *ctx = arg;
    arraybuf_t ab[7] = {{0}};
    const char *params[7];
    bool ok = false;

    for (size_t i = 0; i < batch->count; i++) {
        const batch_entry_t *e = &batch->entries[i];
        ab_add(&ab[0], e->msg.topic);
        ab_add_int(&ab[1], e->msg.partition);
        ab_add_int(&ab[2], e->msg.offset);
        ab_add_int(&ab[3], e->kind);
        ab_add(&ab[4], e->valid ? e->report.report_id : NULL);
        if (e->valid)
            ab_add_int(&ab[5], e->report.version);
        else
            ab_add(&ab[5], NULL);
        ab_add(&ab[6], e->valid ? NULL : (e->error ? e->error : "rejected"));
    }
    for (int i = 0; i < 7; i++) {
        if (!(params[i] = ab_end(&ab[i]))) {
            snprintf(errbuf, errsize, "out of memory");
            goto out;
        }
    }
    ctx->marked = PQexecParams(conn, mark_sql, 7, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(ctx->marked) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errsize, "marking the replayed rows: %s", PQerrorMessage(conn));
        PQclear(ctx->marked);
        ctx->marked = NULL;
        goto out;
    }
    ok = true;
out:
    for (int i = 0; i < 7; i++)
        free(ab[i].data);
    return ok;
}

typedef struct replay {
    const nw_config_t *cfg;
    const replay_opts_t *opts;
    pg_sink_t *sink;
    batch_t batch;
    report_limits_t limits;
    char today[11];
    char *last_topic;       /* the key of the last row selected */
    char last_partition[16], last_offset[24];
    uint64_t rows, stored, duplicates, invalid;
    pg_write_stats_t st;
} replay_t;

/* Runs a one-row query with text parameters; returns its single value
 * (malloc'd) or NULL with errbuf set. */
static char *query_value(PGconn *conn, const char *sql, int n, const char *const *params,
                         char *errbuf, size_t errsize)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    char *value = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        value = strdup(PQgetisnull(res, 0, 0) ? "" : PQgetvalue(res, 0, 0));
    else
        snprintf(errbuf, errsize, "%s", PQerrorMessage(conn));
    PQclear(res);
    return value;
}

/* Turns one selected row into a batch entry, decoded. */
static bool add_row(replay_t *rp, PGresult *res, int r)
{
    const char *topic = PQgetvalue(res, r, 0);
    batch_entry_t entry = {0};
    rd_kafka_message_t m = {0};
    unsigned char *key = NULL, *payload = NULL;
    size_t key_len = 0, len = 0;
    char errbuf[512];
    bool ok = false;

    entry.kind = strcmp(topic, rp->cfg->topic_treatments) == 0 ? REPORT_TREATMENT
                                                                : REPORT_COMPLICATION;
    if (!PQgetisnull(res, r, 3) && !(key = PQunescapeBytea(
                                         (const unsigned char *)PQgetvalue(res, r, 3), &key_len)))
        goto out;
    if (!PQgetisnull(res, r, 4) &&
        !(payload = PQunescapeBytea((const unsigned char *)PQgetvalue(res, r, 4), &len)))
        goto out;
    /* As the worker copies a Kafka message: the same function, so the
     * stored row carries the same bytes and source. */
    m.partition = (int32_t)atol(PQgetvalue(res, r, 1));
    m.offset = strtoll(PQgetvalue(res, r, 2), NULL, 10);
    m.key = key;
    m.key_len = key_len;
    m.payload = payload;
    m.len = len;
    if (!batch_msg_copy(&entry.msg, entry.kind == REPORT_TREATMENT ? rp->cfg->topic_treatments
                                                                   : rp->cfg->topic_complications,
                        &m))
        goto out;
    entry.valid = report_decode(entry.kind, payload, payload ? len : 0, &rp->limits, rp->today,
                                &entry.report, errbuf, sizeof(errbuf));
    if (!entry.valid && !(entry.error = strdup(errbuf))) {
        free(entry.msg.data);
        goto out;
    }
    ok = batch_add(&rp->batch, &entry, 0);
out:
    PQfreemem(key);
    PQfreemem(payload);
    return ok;
}

/* Selects and decodes the next chunk. Returns how many rows, -1 on error. */
static int next_chunk(replay_t *rp, char *errbuf, size_t errsize)
{
    char limit[16];
    const char *params[9];
    PGresult *res;
    int n;

    snprintf(limit, sizeof(limit), "%d", rp->cfg->batch_max_messages);
    params[0] = rp->cfg->topic_treatments;
    params[1] = rp->cfg->topic_complications;
    params[2] = rp->opts->topic;
    params[3] = rp->opts->since;
    params[4] = rp->opts->error_like;
    params[5] = rp->last_topic ? rp->last_topic : "";
    params[6] = rp->last_partition;
    params[7] = rp->last_offset;
    params[8] = limit;
    res = PQexecParams(pg_sink_conn(rp->sink), select_sql, 9, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        snprintf(errbuf, errsize, "reading the quarantine: %s",
                 PQerrorMessage(pg_sink_conn(rp->sink)));
        PQclear(res);
        return -1;
    }
    n = PQntuples(res);
    for (int r = 0; r < n; r++) {
        if (!add_row(rp, res, r)) {
            snprintf(errbuf, errsize, "out of memory");
            PQclear(res);
            return -1;
        }
    }
    if (n > 0) {
        free(rp->last_topic);
        rp->last_topic = strdup(PQgetvalue(res, n - 1, 0));
        snprintf(rp->last_partition, sizeof(rp->last_partition), "%s", PQgetvalue(res, n - 1, 1));
        snprintf(rp->last_offset, sizeof(rp->last_offset), "%s", PQgetvalue(res, n - 1, 2));
        if (!rp->last_topic) {
            snprintf(errbuf, errsize, "out of memory");
            n = -1;
        }
    }
    PQclear(res);
    return n;
}

/* Prints what became of each row of a written chunk and counts it. */
static void report_marked(replay_t *rp, PGresult *marked)
{
    for (int r = 0; r < PQntuples(marked); r++) {
        const char *outcome = PQgetvalue(marked, r, 3);
        rp->rows++;
        if (strcmp(outcome, "stored") == 0)
            rp->stored++;
        else if (strcmp(outcome, "duplicate") == 0)
            rp->duplicates++;
        else
            rp->invalid++;
        printf("%s/%s@%s %s%s%s\n", PQgetvalue(marked, r, 0), PQgetvalue(marked, r, 1),
               PQgetvalue(marked, r, 2), outcome, strcmp(outcome, "invalid") == 0 ? ": " : "",
               strcmp(outcome, "invalid") == 0 ? PQgetvalue(marked, r, 4) : "");
    }
    fflush(stdout);
}

/* Checks the options against the configuration and the server; 2 when one
 * is wrong, 1 on another failure, 0 when all is well. */
static int check_options(replay_t *rp, char *errbuf, size_t errsize)
{
    PGconn *conn = pg_sink_conn(rp->sink);
    const char *params[2] = {rp->cfg->topic_treatments, rp->cfg->topic_complications};
    char *value;

    if (rp->opts->topic && strcmp(rp->opts->topic, params[0]) != 0 &&
        strcmp(rp->opts->topic, params[1]) != 0) {
        snprintf(errbuf, errsize, "--topic %s: not one of the configured topics (%s, %s)",
                 rp->opts->topic, params[0], params[1]);
        return 2;
    }
    if (rp->opts->since) {
        char detail[512];
        if (!(value = query_value(conn, "SELECT $1::timestamptz", 1, &rp->opts->since, detail,
                                  sizeof(detail)))) {
            snprintf(errbuf, errsize, "--since %.100s: %s", rp->opts->since, detail);
            return 2;
        }
        log_info("replay", "rows received since %s", value);
        free(value);
    }
    if (!(value = query_value(conn,
                              "SELECT count(*) FROM needlewatch.quarantine"
                              " WHERE topic NOT IN ($1, $2)",
                              2, params, errbuf, errsize)))
        return 1;
    if (strcmp(value, "0") != 0)
        log_warn("replay",
                 "%s quarantined row(s) come from other topics than %s and %s; they are left "
                 "alone (set topic.treatments / topic.complications to replay them)",
                 value, params[0], params[1]);
    free(value);
    if (!(value = query_value(conn, "SELECT pg_try_advisory_lock(" REPLAY_LOCK_KEY ")", 0, NULL,
                              errbuf, errsize)))
        return 1;
    if (strcmp(value, "t") != 0) {
        snprintf(errbuf, errsize, "another --replay-quarantine is running on this database");
        free(value);
        return 1;
    }
    free(value);
    return 0;
}

int replay_run(const nw_config_t *cfg, const replay_opts_t *opts)
{
    replay_t rp = {0};
    const char *const topics[2] = {cfg->topic_treatments, cfg->topic_complications};
    char errbuf[1024];
    time_t now = time(NULL);
    struct tm tm;
    int rc = 1, n;

    rp.cfg = cfg;
    rp.opts = opts;
    rp.limits.max_bytes = (size_t)cfg->max_message_bytes;
    rp.limits.max_depth = cfg->max_depth;
    gmtime_r(&now, &tm);
    strftime(rp.today, sizeof(rp.today), "%Y-%m-%d", &tm);
    snprintf(rp.last_partition, sizeof(rp.last_partition), "-1");
    snprintf(rp.last_offset, sizeof(rp.last_offset), "-1");
    if (!batch_init(&rp.batch, (size_t)cfg->batch_max_messages) ||
        !(rp.sink = pg_sink_new(cfg->pg_conninfo, "replay-quarantine", "replay-quarantine",
                                topics))) {
        log_error("replay", "out of memory");
        goto out;
    }
    if (pg_sink_connect(rp.sink, opts->migrate, errbuf, sizeof(errbuf)) != PG_OK) {
        log_error("pg", "%s", errbuf);
        goto out;
    }
    if ((rc = check_options(&rp, errbuf, sizeof(errbuf))) != 0) {
        log_error("replay", "%s", errbuf);
        goto out;
    }
    rc = 1;
    while ((n = next_chunk(&rp, errbuf, sizeof(errbuf))) > 0) {
        mark_ctx_t ctx = {NULL};
        pg_status_t status = pg_sink_replay(rp.sink, &rp.batch, mark_rows, &ctx, !opts->dry_run,
                                            &rp.st, errbuf, sizeof(errbuf));
        if (status != PG_OK) {
            PQclear(ctx.marked);
            log_error("replay", "%s", errbuf);
            goto out;
        }
        report_marked(&rp, ctx.marked);
        PQclear(ctx.marked);
        batch_clear(&rp.batch);
    }
    if (n < 0) {
        log_error("replay", "%s", errbuf);
        goto out;
    }
    printf("replayed %" PRIu64 " quarantined message(s): %" PRIu64 " stored, %" PRIu64
           " duplicate(s), %" PRIu64 " still invalid%s\n",
           rp.rows, rp.stored, rp.duplicates, rp.invalid,
           opts->dry_run ? " (dry run: nothing was written)" : "");
    log_info("replay", "superseding %" PRIu64 " lower version(s); %" PRIu64
             " rejected by PostgreSQL",
             rp.st.superseded[0] + rp.st.superseded[1], rp.st.db_rejected[0] + rp.st.db_rejected[1]);
    rc = 0;
out:
    batch_free(&rp.batch);
    pg_sink_destroy(rp.sink);
    free(rp.last_topic);
    return rc;
}

/*
 * rowsink.c - a per-row INSERT sink, the benchmark's model of the Kafka
 * Connect JDBC sink. BENCHMARK BASELINE ONLY: it validates nothing beyond
 * what the table's constraints check, keeps no offsets, and exits on the
 * first error.
 *
 * What it reproduces is the JDBC sink's statement pattern against PostgreSQL:
 *   - a group consumer (subscribe, like a Connect sink task), so it pays the
 *     same initial rebalance delay as needlewatch-ingest;
 *   - each record's JSON value decoded client-side (Connect's JsonConverter)
 *     and bound to ONE prepared
 *       INSERT INTO <table> (...) VALUES ($1..$n) ON CONFLICT DO NOTHING
 *     executed once per record (BufferedRecords: addBatch per record, then
 *     executeBatch);
 *   - one transaction per put(): the records of one consumer poll, at most
 *     max.poll.records (Kafka's default 500), committed together
 *     (JdbcDbWriter.write ends with connection.commit()). Connect's own
 *     batch.size default (3000) never binds because a put() holds <= 500.
 *
 * Two ways to send the per-row statements (--mode):
 *   roundtrip  PQexecPrepared per record: one network round trip per row,
 *              what a hand-written libpq sink usually does;
 *   pipeline   libpq pipeline mode: every Bind/Execute of the batch sent
 *              back to back and one Sync, which is what pgJDBC's
 *              executeBatch() does on the wire (reWriteBatchedInserts off).
 *
 * The order of states: poll until BATCH records are buffered (or the
 * assigned partitions are all at their end), then BEGIN, one INSERT per
 * record, COMMIT; repeat; exit 0 when every assigned partition has reached
 * its end and the last batch committed. stdout gets one summary line.
 *
 * PostgreSQL connection: libpq's PG* environment variables (or --conninfo).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#define T_PARAMS 20
#define C_PARAMS 14
#define MAX_PARAMS 20
#define MAX_PARTITIONS 4096

static const char t_insert[] =
    "INSERT INTO needlewatch.treatment_versions (report_id, version, nullified, treated_on,"
    " setting, device_type, manufacturer, model, needle_depth_mm, operator, fitzpatrick,"
    " sterile_tip, active_acne, serum, region, reported_at, source_topic, source_partition,"
    " source_offset, message) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
    " $14, $15, $16, $17, $18, $19, $20) ON CONFLICT (report_id, version) DO NOTHING";
static const char c_insert[] =
    "INSERT INTO needlewatch.complication_versions (report_id, version, nullified,"
    " treatment_id, type, severity, onset_days, outcome, medical_attention, reported_at,"
    " source_topic, source_partition, source_offset, message) VALUES ($1, $2, $3, $4, $5,"
    " $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (report_id, version) DO NOTHING";

static volatile sig_atomic_t run = 1;

static void stop_signal(int sig)
{
    (void)sig;
    run = 0;
}

typedef struct opts {
    const char *bootstrap;
    const char *topic[2];
    const char *group;
    const char *conninfo;
    int batch;
    bool pipeline;
} opts_t;

/* One record's statement parameters, as text. The strings live in buf. */
typedef struct row {
    int kind; /* 0 treatment, 1 complication */
    int n;
    const char *values[MAX_PARAMS];
    char buf[2048];
    size_t used;
    char *message; /* the payload, NUL-terminated; owned */
} row_t;

typedef struct sink {
    opts_t opts;
    rd_kafka_t *rk;
    PGconn *conn;
    row_t *rows;
    int nrows;
    /* EOF bookkeeping for the assigned partitions, per topic. */
    bool assigned[2][MAX_PARTITIONS];
    bool at_eof[2][MAX_PARTITIONS];
    int assigned_count, eof_count;
    uint64_t consumed, inserted, batches;
    double started, assigned_at; /* monotonic seconds; assigned_at 0 until assigned */
} sink_t;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: rowsink -b BOOTSTRAP [options]\n"
            "Per-row prepared INSERT ... ON CONFLICT DO NOTHING sink (the Kafka Connect\n"
            "JDBC sink's statement pattern), a benchmark baseline. PostgreSQL from PG*.\n"
            "  -b, --bootstrap HOSTS       Kafka bootstrap servers (required)\n"
            "      --topic-treatments T    (default treatments)\n"
            "      --topic-complications T (default complications)\n"
            "      --group G               consumer group (default rowsink)\n"
            "      --conninfo S            libpq conninfo (default: PG* variables)\n"
            "      --batch N               records per transaction (default 500,\n"
            "                              Kafka's max.poll.records default)\n"
            "      --mode roundtrip|pipeline  (default roundtrip)\n"
            "  -h, --help\n");
}

static int parse_opts(int argc, char **argv, opts_t *o)
{
    static const struct option longopts[] = {
        {"bootstrap", required_argument, NULL, 'b'},
        {"topic-treatments", required_argument, NULL, 't'},
        {"topic-complications", required_argument, NULL, 'c'},
        {"group", required_argument, NULL, 'g'},
        {"conninfo", required_argument, NULL, 'd'},
        {"batch", required_argument, NULL, 'n'},
        {"mode", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    memset(o, 0, sizeof(*o));
    o->topic[0] = "treatments";
    o->topic[1] = "complications";
    o->group = "rowsink";
    o->conninfo = "";
    o->batch = 500;
    while ((ch = getopt_long(argc, argv, "b:h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'b': o->bootstrap = optarg; break;
        case 't': o->topic[0] = optarg; break;
        case 'c': o->topic[1] = optarg; break;
        case 'g': o->group = optarg; break;
        case 'd': o->conninfo = optarg; break;
        case 'n': o->batch = atoi(optarg); break;
        case 'm':
            if (strcmp(optarg, "pipeline") == 0)
                o->pipeline = true;
            else if (strcmp(optarg, "roundtrip") != 0)
                return 2;
            break;
        case 'h': usage(stdout); exit(0);
        default: return 2;
        }
    }
    if (!o->bootstrap || o->batch < 1 || optind != argc)
        return 2;
    return 0;
}

/* ---- decoding a record into statement parameters ---------------------- */

/* Appends a copy of s to the row's buffer and makes it the next parameter
 * (NULL stays NULL). Returns false when the buffer is full. */
static bool put(row_t *row, const char *s)
{
    size_t n;
    if (!s) {
        row->values[row->n++] = NULL;
        return true;
    }
    n = strlen(s) + 1;
    if (row->used + n > sizeof(row->buf))
        return false;
    memcpy(row->buf + row->used, s, n);
    row->values[row->n++] = row->buf + row->used;
    row->used += n;
    return true;
}

static const char *str_of(const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static bool put_int(row_t *row, const cJSON *obj, const char *name, long dflt, bool has_dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    char num[32];
    if (cJSON_IsNumber(it))
        snprintf(num, sizeof(num), "%ld", (long)it->valuedouble);
    else if (has_dflt)
        snprintf(num, sizeof(num), "%ld", dflt);
    else
        return put(row, NULL);
    return put(row, num);
}

static bool put_bool(row_t *row, const cJSON *obj, const char *name, int dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsBool(it))
        return put(row, cJSON_IsTrue(it) ? "t" : "f");
    if (dflt >= 0)
        return put(row, dflt ? "t" : "f");
    return put(row, NULL);
}

static bool put_double(row_t *row, const cJSON *obj, const char *name)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
    char num[40];
    if (!cJSON_IsNumber(it))
        return put(row, NULL);
    snprintf(num, sizeof(num), "%.17g", it->valuedouble);
    return put(row, num);
}

/* Fills row from one Kafka message. Returns false for a message it cannot
 * turn into a row (not JSON, or too large for the row buffer). */
static bool decode(const sink_t *s, const rd_kafka_message_t *rkm, row_t *row)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    cJSON *v = NULL;
    const cJSON *dev, *skin;
    char num[32];
    bool ok = false;

    row->n = 0;
    row->used = 0;
    row->kind = strcmp(topic, s->opts.topic[0]) == 0 ? 0 : 1;
    row->message = malloc(rkm->len + 1);
    if (!row->message)
        goto out;
    memcpy(row->message, rkm->payload, rkm->len);
    row->message[rkm->len] = '\0';
    v = cJSON_ParseWithLength(rkm->payload, rkm->len);
    if (!cJSON_IsObject(v))
        goto out;
    ok = put(row, str_of(v, "report_id")) && put_int(row, v, "version", 1, true) &&
         put_bool(row, v, "nullified", 0);
    if (row->kind == 0) {
        dev = cJSON_GetObjectItemCaseSensitive(v, "device");
        skin = cJSON_GetObjectItemCaseSensitive(v, "skin");
        ok = ok && put(row, str_of(v, "treated_on")) && put(row, str_of(v, "setting")) &&
             put(row, str_of(dev, "type")) && put(row, str_of(dev, "manufacturer")) &&
             put(row, str_of(dev, "model")) && put_double(row, dev, "needle_depth_mm") &&
             put(row, str_of(v, "operator")) && put_int(row, skin, "fitzpatrick", 0, false) &&
             put_bool(row, v, "sterile_tip", -1) && put_bool(row, v, "active_acne", -1) &&
             put(row, str_of(v, "serum")) && put(row, str_of(v, "region")) &&
             put(row, str_of(v, "reported_at"));
    } else {
        ok = ok && put(row, str_of(v, "treatment_id")) && put(row, str_of(v, "type")) &&
             put(row, str_of(v, "severity")) && put_int(row, v, "onset_days", 0, false) &&
             put(row, str_of(v, "outcome")) && put_bool(row, v, "medical_attention", -1) &&
             put(row, str_of(v, "reported_at"));
    }
    ok = ok && put(row, topic);
    snprintf(num, sizeof(num), "%" PRId32, rkm->partition);
    ok = ok && put(row, num);
    snprintf(num, sizeof(num), "%" PRId64, rkm->offset);
    ok = ok && put(row, num);
    if (ok)
        row->values[row->n++] = row->message;
out:
    cJSON_Delete(v);
    return ok;
}

/* ---- PostgreSQL ----------------------------------------------------------- */

static bool pg_ok(PGconn *conn, PGresult *res, const char *what)
{
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return true;
    fprintf(stderr, "rowsink: %s: %s", what,
            res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    return false;
}

static bool exec_simple(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    bool ok = pg_ok(conn, res, sql);
    PQclear(res);
    return ok;
}

static bool prepare(PGconn *conn)
{
    PGresult *res = PQprepare(conn, "t", t_insert, T_PARAMS, NULL);
    bool ok = pg_ok(conn, res, "prepare t");
    PQclear(res);
    if (!ok)
        return false;
    res = PQprepare(conn, "c", c_insert, C_PARAMS, NULL);
    ok = pg_ok(conn, res, "prepare c");
    PQclear(res);
    return ok;
}

/* One round trip per record: BEGIN, n x EXECUTE, COMMIT. */
static bool write_roundtrip(sink_t *s)
{
    if (!exec_simple(s->conn, "BEGIN"))
        return false;
    for (int i = 0; i < s->nrows; i++) {
        const row_t *row = &s->rows[i];
        PGresult *res = PQexecPrepared(s->conn, row->kind ? "c" : "t", row->n, row->values,
                                       NULL, NULL, 0);
        bool ok = pg_ok(s->conn, res, "insert");
        if (ok)
            s->inserted += strtoull(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        if (!ok)
            return false;
    }
    return exec_simple(s->conn, "COMMIT");
}

/* All statements of the batch sent back to back, one Sync, then the results. */
static bool write_pipeline(sink_t *s)
{
    PGresult *res;
    bool ok = true;
    int expected = s->nrows + 2, seen = 0;

    if (PQsendQueryParams(s->conn, "BEGIN", 0, NULL, NULL, NULL, NULL, 0) != 1)
        goto send_failed;
    for (int i = 0; i < s->nrows; i++) {
        const row_t *row = &s->rows[i];
        if (PQsendQueryPrepared(s->conn, row->kind ? "c" : "t", row->n, row->values, NULL,
                                NULL, 0) != 1)
            goto send_failed;
    }
    if (PQsendQueryParams(s->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
        PQpipelineSync(s->conn) != 1)
        goto send_failed;
    /* Each statement yields its result then NULL; the Sync yields
     * PGRES_PIPELINE_SYNC. After an error the rest are PGRES_PIPELINE_ABORTED. */
    for (;;) {
        res = PQgetResult(s->conn);
        if (!res) {
            if (PQstatus(s->conn) != CONNECTION_OK) {
                fprintf(stderr, "rowsink: %s", PQerrorMessage(s->conn));
                return false;
            }
            continue;
        }
        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            break;
        }
        if (!pg_ok(s->conn, res, "pipelined statement"))
            ok = false;
        else if (seen > 0 && seen <= s->nrows)
            s->inserted += strtoull(PQcmdTuples(res), NULL, 10);
        seen++;
        PQclear(res);
    }
    return ok && seen == expected;
send_failed:
    fprintf(stderr, "rowsink: sending: %s", PQerrorMessage(s->conn));
    return false;
}

static void rows_clear(sink_t *s)
{
    for (int i = 0; i < s->nrows; i++) {
        free(s->rows[i].message);
        s->rows[i].message = NULL;
    }
    s->nrows = 0;
}

static bool flush_rows(sink_t *s)
{
    bool ok;
    if (s->nrows == 0)
        return true;
    ok = s->opts.pipeline ? write_pipeline(s) : write_roundtrip(s);
    s->batches++;
    rows_clear(s);
    return ok;
}

/* ---- Kafka ------------------------------------------------------------------ */

static int topic_index(const sink_t *s, const char *topic)
{
    if (strcmp(topic, s->opts.topic[0]) == 0)
        return 0;
    if (strcmp(topic, s->opts.topic[1]) == 0)
        return 1;
    return -1;
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque)
{
    sink_t *s = opaque;
    bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;

    for (int i = 0; i < list->cnt; i++) {
        int t = topic_index(s, list->elems[i].topic);
        int32_t p = list->elems[i].partition;
        if (t < 0 || p < 0 || p >= MAX_PARTITIONS)
            continue;
        if (assign && !s->assigned[t][p]) {
            s->assigned[t][p] = true;
            s->assigned_count++;
        } else if (!assign && s->assigned[t][p]) {
            s->assigned[t][p] = false;
            s->assigned_count--;
            if (s->at_eof[t][p]) {
                s->at_eof[t][p] = false;
                s->eof_count--;
            }
        }
    }
    if (assign && s->assigned_at == 0)
        s->assigned_at = now_s();
    if (assign)
        rd_kafka_assign(rk, list);
    else
        rd_kafka_assign(rk, NULL);
}

static bool set_conf(rd_kafka_conf_t *conf, const char *key, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rowsink: %s: %s\n", key, errstr);
        return false;
    }
    return true;
}

static rd_kafka_t *consumer_new(sink_t *s)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    char errstr[512];

    if (!set_conf(conf, "bootstrap.servers", s->opts.bootstrap) ||
        !set_conf(conf, "group.id", s->opts.group) ||
        !set_conf(conf, "auto.offset.reset", "earliest") ||
        !set_conf(conf, "enable.auto.commit", "false") ||
        !set_conf(conf, "enable.partition.eof", "true") ||
        !set_conf(conf, "log_level", "3")) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, s);
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    if (!rk) {
        fprintf(stderr, "rowsink: %s\n", errstr);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* rd_kafka_new() takes ownership of conf */
    conf = NULL;
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

static bool subscribe(sink_t *s)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(2);
    rd_kafka_resp_err_t err;
    rd_kafka_topic_partition_list_add(topics, s->opts.topic[0], RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, s->opts.topic[1], RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(s->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err) {
        fprintf(stderr, "rowsink: subscribe: %s\n", rd_kafka_err2str(err));
        return false;
    }
    return true;
}

/* Handles one polled message: an EOF, an error, or a record to buffer. */
static bool on_message(sink_t *s, rd_kafka_message_t *rkm)
{
    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        int t = topic_index(s, rd_kafka_topic_name(rkm->rkt));
        int32_t p = rkm->partition;
        if (t >= 0 && p >= 0 && p < MAX_PARTITIONS && s->assigned[t][p] && !s->at_eof[t][p]) {
            s->at_eof[t][p] = true;
            s->eof_count++;
        }
        return true;
    }
    if (rkm->err) {
        fprintf(stderr, "rowsink: consumer: %s\n", rd_kafka_message_errstr(rkm));
        return rkm->err != RD_KAFKA_RESP_ERR__FATAL;
    }
    {
        int t = topic_index(s, rd_kafka_topic_name(rkm->rkt));
        if (t >= 0 && rkm->partition < MAX_PARTITIONS && s->at_eof[t][rkm->partition]) {
            s->at_eof[t][rkm->partition] = false; /* more arrived after EOF */
            s->eof_count--;
        }
    }
    s->consumed++;
    if (!decode(s, rkm, &s->rows[s->nrows])) {
        fprintf(stderr, "rowsink: %s/%" PRId32 "@%" PRId64 ": cannot decode the record\n",
                rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset);
        free(s->rows[s->nrows].message);
        s->rows[s->nrows].message = NULL;
        return false;
    }
    s->nrows++;
    return true;
}

int main(int argc, char **argv)
{
    sink_t *s = calloc(1, sizeof(*s));
    int status = 1;
    double elapsed;

    if (!s)
        return 1;
    s->started = now_s();
    if (parse_opts(argc, argv, &s->opts) != 0) {
        usage(stderr);
        free(s);
        return 2;
    }
    signal(SIGINT, stop_signal);
    signal(SIGTERM, stop_signal);
    s->rows = calloc((size_t)s->opts.batch, sizeof(*s->rows));
    if (!s->rows)
        goto out;
    s->conn = PQconnectdb(s->opts.conninfo);
    if (PQstatus(s->conn) != CONNECTION_OK) {
        fprintf(stderr, "rowsink: connect: %s", PQerrorMessage(s->conn));
        goto out;
    }
    if (!prepare(s->conn))
        goto out;
    if (s->opts.pipeline && PQenterPipelineMode(s->conn) != 1) {
        fprintf(stderr, "rowsink: pipeline mode: %s", PQerrorMessage(s->conn));
        goto out;
    }
    s->rk = consumer_new(s);
    if (!s->rk || !subscribe(s))
        goto out;

    while (run) {
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(s->rk, 100);
        bool ok = true;
        if (rkm) {
            ok = on_message(s, rkm);
            rd_kafka_message_destroy(rkm);
        }
        if (!ok)
            goto out;
        if (s->nrows == s->opts.batch ||
            (s->nrows > 0 && s->assigned_count > 0 && s->eof_count == s->assigned_count)) {
            if (!flush_rows(s))
                goto out;
        }
        if (s->nrows == 0 && s->assigned_count > 0 && s->eof_count == s->assigned_count)
            break;
    }
    if (!run)
        goto out;
    elapsed = now_s() - s->started;
    printf("rowsink mode=%s batch=%d consumed=%" PRIu64 " inserted=%" PRIu64
           " transactions=%" PRIu64 " seconds=%.3f assigned_after=%.3f rate=%.0f/s\n",
           s->opts.pipeline ? "pipeline" : "roundtrip", s->opts.batch, s->consumed, s->inserted,
           s->batches, elapsed, s->assigned_at - s->started,
           elapsed > 0 ? (double)s->consumed / elapsed : 0.0);
    status = 0;
out:
    if (s->rk) {
        rd_kafka_consumer_close(s->rk);
        rd_kafka_destroy(s->rk);
    }
    if (s->conn)
        PQfinish(s->conn);
    if (s->rows) {
        rows_clear(s);
        free(s->rows);
    }
    free(s);
    return status;
}

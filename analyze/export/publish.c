/*
 * publish.c - produces what changed among the run's signals and alerts to
 * Kafka, and records it (see publish.h). The producer follows librdkafka's
 * examples/producer.c: every rd_kafka_conf_set checked, rd_kafka_new()
 * takes the conf, delivery reports counted in the callback,
 * rd_kafka_flush() before destroy. The kafka.* keys come from the
 * configuration the worker reads too, so they may hold consumer properties
 * (group.id, ...): librdkafka ignores those in a producer, and its warning
 * that it does is logged at debug level.
 *
 * Inside the run's transaction, in order: lock published_signals (one
 * publishing run at a time); compare each current signal and alert with
 * what was last published under its key (appeared, changed, unchanged) and
 * find the keys last published as active that the run no longer has
 * (cleared); produce those messages and wait until Kafka acknowledged every
 * one; then write the new state. The caller commits it with the run.
 */
#include "export/publish.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "civil.h"
#include "log.h"
#include "render/render.h"

#define FLUSH_MS 30000

typedef struct {
    long delivered, failed;
    char first_error[256];
} dr_state_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    dr_state_t *st = opaque;
    (void)rk;
    if (msg->err) {
        if (st->failed++ == 0)
            snprintf(st->first_error, sizeof(st->first_error), "%s", rd_kafka_err2str(msg->err));
    } else {
        st->delivered++;
    }
}

/* librdkafka's log lines through needlewatch's log. */
static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (strcmp(fac, "CONFWARN") == 0 || level > 4)
        log_debug("kafka", "%s: %s", fac, buf);
    else if (level == 4)
        log_warn("kafka", "%s: %s", fac, buf);
    else
        log_error("kafka", "%s: %s", fac, buf);
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *value, char *errbuf,
               size_t errlen)
{
    char err[256];
    if (rd_kafka_conf_set(conf, key, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
        snprintf(errbuf, errlen, "--publish-signals: %s=%s: %s", key, value, err);
        return -1;
    }
    return 0;
}

/* Wraps row (taking it) in the message envelope and produces it. */
static int produce(rd_kafka_t *rk, const char *topic, const char *key, const char *kind,
                   const char *state, cJSON *row, const findings_t *meta, char *errbuf,
                   size_t errlen)
{
    cJSON *msg = cJSON_CreateObject(), *win;
    char stamp[32], *text = NULL;
    struct tm tm;
    rd_kafka_resp_err_t err;
    int rc = -1;

    gmtime_r(&meta->generated_at, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (msg == NULL || row == NULL || !cJSON_AddStringToObject(msg, "kind", kind) ||
        !cJSON_AddStringToObject(msg, "state", state) ||
        !cJSON_AddStringToObject(msg, "generated_at", stamp) ||
        (win = cJSON_AddObjectToObject(msg, "window")) == NULL ||
        !(meta->from && meta->from[0] ? cJSON_AddStringToObject(win, "from", meta->from)
                                      : cJSON_AddNullToObject(win, "from")) ||
        !(meta->to && meta->to[0] ? cJSON_AddStringToObject(win, "to", meta->to)
                                  : cJSON_AddNullToObject(win, "to"))) {
        cJSON_Delete(row);
        snprintf(errbuf, errlen, "out of memory");
        goto out;
    }
    cJSON_AddItemToObject(msg, kind, row); /* msg owns row */
    text = cJSON_PrintUnformatted(msg);
    if (text == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        goto out;
    }
    for (;;) {
        err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(key, strlen(key)),
                                RD_KAFKA_V_VALUE(text, strlen(text)), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            break;
        rd_kafka_poll(rk, 100);
    }
    if (err) {
        snprintf(errbuf, errlen, "--publish-signals: produce to %s: %s", topic,
                 rd_kafka_err2str(err));
        goto out;
    }
    rd_kafka_poll(rk, 0);
    rc = 0;
out:
    free(text);
    cJSON_Delete(msg);
    return rc;
}

static rd_kafka_t *make_producer(const publish_opts_t *opts, dr_state_t *st, char *errbuf,
                                 size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk;
    char err[512];

    if (conf == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_opaque(conf, st);
    if (set(conf, "enable.idempotence", "true", errbuf, errlen) != 0 ||
        set(conf, "client.id", "needlewatch-analyze", errbuf, errlen) != 0)
        goto fail;
    for (size_t i = 0; i < opts->kafka_count; i++) {
        if (set(conf, opts->kafka[i].key, opts->kafka[i].value, errbuf, errlen) != 0)
            goto fail;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (rk == NULL) {
        snprintf(errbuf, errlen, "--publish-signals: %s", err);
        goto fail;
    }
    /* rd_kafka_new() took ownership of conf. */
    return rk;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* One subject of this run: a flagged signal, an alert, or (row NULL) a
 * suppressed signal, whose state is not public and so is left as it was. */
typedef enum { ITEM_UNCHANGED, ITEM_APPEARED, ITEM_CHANGED } item_change_t;

typedef struct item {
    char key[512];
    const char *kind;
    cJSON *row;          /* owned until produced */
    char *content;       /* row as text, for the state table */
    item_change_t change;
} item_t;

typedef struct items {
    item_t *v;
    size_t n;
} items_t;

static void items_free(items_t *it)
{
    for (size_t i = 0; i < it->n; i++) {
        cJSON_Delete(it->v[i].row);
        cJSON_free(it->v[i].content);
    }
    free(it->v);
}

static const item_t *items_find(const items_t *it, const char *key)
{
    for (size_t i = 0; i < it->n; i++)
        if (strcmp(it->v[i].key, key) == 0)
            return &it->v[i];
    return NULL;
}

static void signal_key(const cube_t *cube, const signal_row_t *r, char *key, size_t size)
{
    if (r->manufacturer != NULL)
        snprintf(key, size, "signal/model/%s/%s/%s", r->manufacturer, r->model,
                 cube_complication_name(r->complication));
    else
        snprintf(key, size, "signal/%s/%s", cube_device_name(cube, r->device),
                 cube_complication_name(r->complication));
}

/* The run's subjects: flagged, visible signals and every alert (with their
 * rows), and the suppressed signals (keys only). */
static int collect(const findings_t *findings, items_t *it, char *errbuf, size_t errlen)
{
    const signals_t *signals = findings->signals;
    const alerts_t *alerts = findings->alerts;
    const cube_t *cube = findings->cube;
    size_t cap = signals->n_devices + signals->n_models + alerts->n + 1;

    it->n = 0;
    if ((it->v = calloc(cap, sizeof(*it->v))) == NULL)
        goto oom;
    for (int pass = 0; pass < 2; pass++) {
        const signal_row_t *rows = pass ? signals->models : signals->devices;
        size_t n = pass ? signals->n_models : signals->n_devices;
        for (size_t i = 0; i < n; i++) {
            const signal_row_t *r = &rows[i];
            item_t *item;
            if (!r->signal && !r->suppressed)
                continue;
            item = &it->v[it->n++];
            signal_key(cube, r, item->key, sizeof(item->key));
            item->kind = "signal";
            if (!r->suppressed && (item->row = render_json_signal(cube, r)) == NULL)
                goto oom;
        }
    }
    for (size_t i = 0; i < alerts->n; i++) {
        const alert_row_t *a = &alerts->rows[i];
        item_t *item = &it->v[it->n++];
        char week[11];
        civil_format(weekly_monday(findings->weekly, a->first_week), week);
        snprintf(item->key, sizeof(item->key), "alert/%s/%s/%s/%s",
                 cube_device_name(cube, a->device), cube_setting_name(a->setting),
                 cube_complication_name(a->complication), week);
        item->kind = "alert";
        if ((item->row = render_json_alert(findings, a)) == NULL)
            goto oom;
    }
    return 0;
oom:
    snprintf(errbuf, errlen, "out of memory");
    return -1;
}

static PGresult *query(PGconn *conn, const char *sql, int n, const char *const *params,
                       char *errbuf, size_t errlen)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(errbuf, errlen, "--publish-signals: %s", PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    return res;
}

/* Sets each visible item's change against what was last published. */
static int compare(PGconn *conn, const char *topic, items_t *it, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < it->n; i++) {
        item_t *item = &it->v[i];
        const char *params[3];
        PGresult *res;
        if (item->row == NULL)
            continue;
        if ((item->content = cJSON_PrintUnformatted(item->row)) == NULL) {
            snprintf(errbuf, errlen, "out of memory");
            return -1;
        }
        params[0] = topic;
        params[1] = item->key;
        params[2] = item->content;
        res = query(conn,
                    "SELECT state = 'active', content = $3::jsonb FROM needlewatch.published_signals"
                    " WHERE topic = $1 AND key = $2",
                    3, params, errbuf, errlen);
        if (res == NULL)
            return -1;
        if (PQntuples(res) == 0 || strcmp(PQgetvalue(res, 0, 0), "t") != 0)
            item->change = ITEM_APPEARED;
        else if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
            item->change = ITEM_CHANGED;
        else
            item->change = ITEM_UNCHANGED;
        PQclear(res);
    }
    return 0;
}

int publish_signals_in_run(PGconn *conn, int64_t run_id, void *arg, char *errbuf, size_t errlen)
{
    publish_ctx_t *ctx = arg;
    const char *topic = ctx->opts->topic;
    items_t it = {NULL, 0};
    dr_state_t st = {0, 0, ""};
    rd_kafka_t *rk = NULL;
    PGresult *active = NULL, *res;
    char run[24];
    const char *params[5];
    long produced = 0;
    int rc = -1;

    snprintf(run, sizeof(run), "%" PRId64, run_id);
    ctx->appeared = ctx->changed = ctx->cleared = 0;
    if ((rk = make_producer(ctx->opts, &st, errbuf, errlen)) == NULL)
        goto out;
    if ((res = query(conn, "LOCK TABLE needlewatch.published_signals IN SHARE ROW EXCLUSIVE MODE",
                     0, NULL, errbuf, errlen)) == NULL)
        goto out;
    PQclear(res);
    if (collect(ctx->findings, &it, errbuf, errlen) != 0 ||
        compare(conn, topic, &it, errbuf, errlen) != 0)
        goto out;
    params[0] = topic;
    if ((active = query(conn,
                        "SELECT key, kind, content::text FROM needlewatch.published_signals"
                        " WHERE topic = $1 AND state = 'active' ORDER BY key",
                        1, params, errbuf, errlen)) == NULL)
        goto out;

    /* Produce: what appeared or changed, then what cleared. */
    for (size_t i = 0; i < it.n; i++) {
        item_t *item = &it.v[i];
        if (item->row == NULL || item->change == ITEM_UNCHANGED)
            continue;
        if (produce(rk, topic, item->key, item->kind, "active", item->row, ctx->findings, errbuf,
                    errlen) != 0) {
            item->row = NULL; /* produce() took it */
            goto out;
        }
        item->row = NULL;
        produced++;
    }
    for (int r = 0; r < PQntuples(active); r++) {
        const char *key = PQgetvalue(active, r, 0);
        if (items_find(&it, key))
            continue;
        if (produce(rk, topic, key, PQgetvalue(active, r, 1), "cleared",
                    cJSON_Parse(PQgetvalue(active, r, 2)), ctx->findings, errbuf, errlen) != 0)
            goto out;
        produced++;
    }
    rd_kafka_flush(rk, FLUSH_MS);
    if (rd_kafka_outq_len(rk) > 0 || st.failed > 0 || st.delivered != produced) {
        snprintf(errbuf, errlen,
                 "--publish-signals: %ld of %ld messages delivered to %s (%s)", st.delivered,
                 produced, topic, st.failed ? st.first_error : "timed out waiting for the broker");
        goto out;
    }

    /* Every message is acknowledged: record the new state. */
    params[4] = run;
    for (size_t i = 0; i < it.n; i++) {
        const item_t *item = &it.v[i];
        if (item->content == NULL || item->change == ITEM_UNCHANGED)
            continue;
        params[1] = item->key;
        params[2] = item->kind;
        params[3] = item->content;
        if ((res = query(conn,
                         "INSERT INTO needlewatch.published_signals AS p (topic, key, kind, content,"
                         " state, run_id) VALUES ($1, $2, $3, $4::jsonb, 'active', $5)"
                         " ON CONFLICT (topic, key) DO UPDATE SET kind = EXCLUDED.kind,"
                         " content = EXCLUDED.content, state = 'active', run_id = EXCLUDED.run_id,"
                         " published_at = now()",
                         5, params, errbuf, errlen)) == NULL)
            goto out;
        PQclear(res);
        if (item->change == ITEM_APPEARED)
            ctx->appeared++;
        else
            ctx->changed++;
    }
    for (int r = 0; r < PQntuples(active); r++) {
        const char *p2[3] = {topic, PQgetvalue(active, r, 0), run};
        if (items_find(&it, p2[1]))
            continue;
        if ((res = query(conn,
                         "UPDATE needlewatch.published_signals SET state = 'cleared',"
                         " run_id = $3, published_at = now() WHERE topic = $1 AND key = $2",
                         3, p2, errbuf, errlen)) == NULL)
            goto out;
        PQclear(res);
        ctx->cleared++;
    }
    rc = 0;
out:
    PQclear(active);
    items_free(&it);
    if (rk != NULL)
        rd_kafka_destroy(rk);
    return rc;
}

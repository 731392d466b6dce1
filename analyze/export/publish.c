/*
 * publish.c - produces the run's signals and alerts to Kafka (see
 * publish.h). Follows librdkafka's examples/producer.c: every
 * rd_kafka_conf_set checked, rd_kafka_new() takes the conf, delivery
 * reports counted in the callback, rd_kafka_flush() before destroy. The
 * kafka.* keys come from the configuration the worker reads too, so they
 * may hold consumer properties (group.id, ...): librdkafka ignores those in
 * a producer, and its warning that it does is logged at debug level.
 */
#include "export/publish.h"

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
                   cJSON *row, const findings_t *meta, char *errbuf, size_t errlen)
{
    cJSON *msg = cJSON_CreateObject(), *win;
    char stamp[32], *text = NULL;
    struct tm tm;
    rd_kafka_resp_err_t err;
    int rc = -1;

    gmtime_r(&meta->generated_at, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (msg == NULL || row == NULL || !cJSON_AddStringToObject(msg, "kind", kind) ||
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

long publish_signals(const publish_opts_t *opts, const findings_t *findings, char *errbuf,
                     size_t errlen)
{
    const signals_t *signals = findings->signals;
    const alerts_t *alerts = findings->alerts;
    const cube_t *cube = findings->cube;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    dr_state_t st = {0, 0, ""};
    char err[512], key[512];
    long produced = 0, rc = -1;

    if (conf == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_opaque(conf, &st);
    if (set(conf, "enable.idempotence", "true", errbuf, errlen) != 0 ||
        set(conf, "client.id", "needlewatch-analyze", errbuf, errlen) != 0)
        goto out;
    for (size_t i = 0; i < opts->kafka_count; i++) {
        if (set(conf, opts->kafka[i].key, opts->kafka[i].value, errbuf, errlen) != 0)
            goto out;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (rk == NULL) {
        snprintf(errbuf, errlen, "--publish-signals: %s", err);
        goto out;
    }
    conf = NULL; /* rd_kafka_new() took ownership of conf */

    for (int pass = 0; pass < 2; pass++) {
        const signal_row_t *rows = pass ? signals->models : signals->devices;
        size_t n = pass ? signals->n_models : signals->n_devices;
        for (size_t i = 0; i < n; i++) {
            const signal_row_t *r = &rows[i];
            if (!r->signal || r->suppressed)
                continue;
            if (r->manufacturer != NULL)
                snprintf(key, sizeof(key), "signal/model/%s/%s/%s", r->manufacturer, r->model,
                         cube_complication_name(r->complication));
            else
                snprintf(key, sizeof(key), "signal/%s/%s", cube_device_name(cube, r->device),
                         cube_complication_name(r->complication));
            if (produce(rk, opts->topic, key, "signal", render_json_signal(cube, r), findings,
                        errbuf, errlen) != 0)
                goto out;
            produced++;
        }
    }
    for (size_t i = 0; i < alerts->n; i++) {
        const alert_row_t *a = &alerts->rows[i];
        char week[11];
        civil_format(weekly_monday(findings->weekly, a->week), week);
        snprintf(key, sizeof(key), "alert/%s/%s/%s/%s", cube_device_name(cube, a->device),
                 cube_setting_name(a->setting), cube_complication_name(a->complication), week);
        if (produce(rk, opts->topic, key, "alert", render_json_alert(findings, a), findings,
                    errbuf, errlen) != 0)
            goto out;
        produced++;
    }
    rd_kafka_flush(rk, FLUSH_MS);
    if (rd_kafka_outq_len(rk) > 0 || st.failed > 0 || st.delivered != produced) {
        snprintf(errbuf, errlen,
                 "--publish-signals: %ld of %ld messages delivered to %s (%s)", st.delivered,
                 produced, opts->topic,
                 st.failed ? st.first_error : "timed out waiting for the broker");
        goto out;
    }
    rc = st.delivered;
out:
    if (conf != NULL)
        rd_kafka_conf_destroy(conf);
    if (rk != NULL)
        rd_kafka_destroy(rk);
    return rc;
}

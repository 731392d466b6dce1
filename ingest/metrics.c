/*
 * metrics.c - the /metrics, /healthz and /readyz endpoints (see metrics.h).
 *
 * libmicrohttpd rather than a hand-written server: it is in Debian, well
 * kept, and handles the HTTP details (keep-alive, slow clients, limits) we
 * would otherwise get wrong. It runs one internal polling thread.
 */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "log.h"

/* A loop turn older than this means the worker is stuck: not live. */
#define LIVENESS_MS 60000

static const double batch_bounds[METRICS_BATCH_BUCKETS] = {1, 10, 50, 100, 500, 1000,
                                                           2000, 5000, 10000};
static const double latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};

struct metrics {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    metrics_snapshot_t snap;
    int port;
};

static void observe(metrics_histogram_t *h, const double *bounds, size_t n, double v)
{
    size_t i = 0;
    while (i < n && v > bounds[i])
        i++;
    h->buckets[i]++;
    h->count++;
    h->sum += v;
}

void metrics_observe_batch(metrics_histogram_t *h, double messages)
{
    observe(h, batch_bounds, METRICS_BATCH_BUCKETS, messages);
}

void metrics_observe_latency(metrics_histogram_t *h, double seconds)
{
    observe(h, latency_bounds, METRICS_LATENCY_BUCKETS, seconds);
}

typedef struct out {
    char *buf;
    size_t size, len;
} out_t;

__attribute__((format(printf, 2, 3))) static void put(out_t *o, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
                  o->len < o->size ? o->size - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void put_histogram(out_t *o, const char *name, const char *help,
                          const metrics_histogram_t *h, const double *bounds, size_t n)
{
    uint64_t cum = 0;
    put(o, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    for (size_t i = 0; i < n; i++) {
        cum += h->buckets[i];
        put(o, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cum);
    }
    cum += h->buckets[n];
    put(o, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
    put(o, "%s_sum %.6f\n%s_count %llu\n", name, h->sum, name, (unsigned long long)h->count);
}

static void put_counter(out_t *o, const char *name, const char *help, uint64_t v)
{
    put(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
        (unsigned long long)v);
}

size_t metrics_render(const metrics_snapshot_t *s, char *buf, size_t size)
{
    static const struct {
        const char *name, *help;
        size_t offset;
    } per_topic[] = {
        {"needlewatch_messages_consumed_total", "Messages consumed from Kafka.",
         offsetof(metrics_topic_t, consumed)},
        {"needlewatch_reports_stored_total", "Report versions stored (new).",
         offsetof(metrics_topic_t, stored)},
        {"needlewatch_reports_duplicate_total",
         "Report versions already stored (redeliveries), not stored again.",
         offsetof(metrics_topic_t, duplicates)},
        {"needlewatch_reports_superseded_total",
         "Stored versions that supersede a lower version of the same report.",
         offsetof(metrics_topic_t, superseded)},
        {"needlewatch_messages_quarantined_total",
         "Messages put in the quarantine (invalid, or rejected by PostgreSQL).",
         offsetof(metrics_topic_t, quarantined)},
        {"needlewatch_messages_db_rejected_total",
         "Valid messages PostgreSQL rejected (a subset of quarantined).",
         offsetof(metrics_topic_t, db_rejected)},
        {"needlewatch_offset_gaps_total",
         "Ranges of offsets found deleted from Kafka (retention, delete-records) before "
         "they were stored; see needlewatch.kafka_gaps.",
         offsetof(metrics_topic_t, gaps)},
        {"needlewatch_offset_gap_offsets_total",
         "Offsets in those ranges: messages lost to the database (or transaction markers).",
         offsetof(metrics_topic_t, gap_offsets)},
    };
    out_t o = {buf, size, 0};

    for (size_t m = 0; m < sizeof(per_topic) / sizeof(per_topic[0]); m++) {
        put(&o, "# HELP %s %s\n# TYPE %s counter\n", per_topic[m].name, per_topic[m].help,
            per_topic[m].name);
        for (int k = 0; k < 2; k++) {
            const uint64_t *v =
                (const uint64_t *)((const char *)&s->topic[k] + per_topic[m].offset);
            put(&o, "%s{topic=\"%s\"} %llu\n", per_topic[m].name,
                s->topic_name[k] ? s->topic_name[k] : (k ? "complications" : "treatments"),
                (unsigned long long)*v);
        }
    }
    put_histogram(&o, "needlewatch_batch_messages", "Messages per committed batch.",
                  &s->batch_size, batch_bounds, METRICS_BATCH_BUCKETS);
    put_histogram(&o, "needlewatch_commit_seconds",
                  "Time to write and commit one batch (reports, quarantine, offsets).",
                  &s->commit_seconds, latency_bounds, METRICS_LATENCY_BUCKETS);
    put(&o, "# HELP needlewatch_consumer_lag_messages Messages in the partition not yet "
            "committed by this worker (from librdkafka statistics).\n"
            "# TYPE needlewatch_consumer_lag_messages gauge\n");
    for (size_t i = 0; i < s->lag_count; i++)
        put(&o, "needlewatch_consumer_lag_messages{topic=\"%s\",partition=\"%d\"} %lld\n",
            s->lag[i].topic, (int)s->lag[i].partition, (long long)s->lag[i].lag);
    put_counter(&o, "needlewatch_pg_errors_total",
                "Failed PostgreSQL operations (connects, batch writes, claims).", s->pg_errors);
    put_counter(&o, "needlewatch_pg_retries_total", "Batch writes retried after a failure.",
                s->pg_retries);
    put_counter(&o, "needlewatch_pg_reconnects_total", "Successful PostgreSQL (re)connections.",
                s->pg_reconnects);
    put_counter(&o, "needlewatch_rebalances_total", "Consumer group rebalances seen.",
                s->rebalances);
    put_counter(&o, "needlewatch_batches_total", "Batches committed.", s->batches);
    put(&o,
        "# HELP needlewatch_assigned_partitions Partitions assigned to this worker.\n"
        "# TYPE needlewatch_assigned_partitions gauge\nneedlewatch_assigned_partitions %zu\n"
        "# HELP needlewatch_up Whether a dependency is reachable (1) or not (0).\n"
        "# TYPE needlewatch_up gauge\n"
        "needlewatch_up{dependency=\"postgresql\"} %d\nneedlewatch_up{dependency=\"kafka\"} %d\n",
        s->assigned_partitions, s->pg_up ? 1 : 0, s->kafka_up ? 1 : 0);
    return o.len;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
                             const char *type, char *body, size_t len)
{
    /* MUST_FREE: libmicrohttpd frees body with free() once sent. */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret;
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    metrics_t *m = cls;
    metrics_snapshot_t *snap;
    char *body;
    size_t len;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;

    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", strdup("GET only\n"), 9);
    snap = malloc(sizeof(*snap));
    if (!snap)
        return MHD_NO;
    pthread_mutex_lock(&m->lock);
    *snap = m->snap;
    pthread_mutex_unlock(&m->lock);

    if (strcmp(url, "/metrics") == 0) {
        len = metrics_render(snap, NULL, 0);
        body = malloc(len + 1);
        if (body)
            metrics_render(snap, body, len + 1);
        free(snap);
        if (!body)
            return MHD_NO;
        return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len);
    }
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0) {
        bool live = now_ms() - snap->loop_ms < LIVENESS_MS;
        bool ready = live && snap->pg_up && snap->kafka_up && !snap->stopping;
        bool ok = url[1] == 'h' ? live : ready;
        char text[160];
        int n = snprintf(text, sizeof(text), "%s\npostgresql: %s\nkafka: %s\n",
                         ok ? "ok" : (url[1] == 'h' ? "stuck" : "not ready"),
                         snap->pg_up ? "up" : "down", snap->kafka_up ? "up" : "down");
        free(snap);
        return reply(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                     strdup(text), (size_t)n);
    }
    free(snap);
    {
        static const char nf[] = "not found: try /metrics, /healthz or /readyz\n";
        return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", strdup(nf), sizeof(nf) - 1);
    }
}

metrics_t *metrics_start(const char *listen, char *errbuf, size_t errsize)
{
    metrics_t *m = NULL;
    struct sockaddr_in addr = {0};
    char host[64];
    const char *colon = strrchr(listen, ':');
    long port;
    char *end;
    const union MHD_DaemonInfo *info;

    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        snprintf(errbuf, errsize, "metrics.listen: expected HOST:PORT, got \"%.60s\"", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    port = strtol(colon + 1, &end, 10);
    addr.sin_family = AF_INET;
    if (*end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                  &addr.sin_addr) != 1) {
        snprintf(errbuf, errsize, "metrics.listen: expected IPv4:PORT, got \"%.60s\"", listen);
        return NULL;
    }
    addr.sin_port = htons((uint16_t)port);

    m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(errbuf, errsize, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->snap.loop_ms = now_ms();
    m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                 NULL, handle, m, MHD_OPTION_SOCK_ADDR, &addr,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10, MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(errbuf, errsize, "metrics.listen: cannot listen on %s", listen);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : (int)port;
    log_info("metrics", "serving /metrics, /healthz and /readyz on %s:%d", host, m->port);
    return m;
}

int metrics_port(const metrics_t *m)
{
    return m ? m->port : 0;
}

void metrics_stop(metrics_t *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->daemon);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void metrics_publish(metrics_t *m, const metrics_snapshot_t *snap)
{
    if (!m)
        return;
    pthread_mutex_lock(&m->lock);
    m->snap = *snap;
    pthread_mutex_unlock(&m->lock);
}

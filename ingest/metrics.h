/*
 * metrics.h - Prometheus metrics and health endpoints of the ingest worker.
 *
 * With metrics.listen=HOST:PORT the worker serves, over HTTP (Debian's
 * libmicrohttpd, on its own thread):
 *   /metrics   Prometheus text exposition format 0.0.4
 *   /healthz   liveness: 200 while the worker's loop keeps turning
 *   /readyz    readiness: 200 only while PostgreSQL and Kafka are reachable
 * The worker owns a metrics_snapshot_t that only its own thread writes, and
 * publishes a copy with metrics_publish(); the HTTP thread renders the last
 * published copy under a mutex. So the hot path takes no lock per message.
 */
#ifndef NW_METRICS_H
#define NW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_BATCH_BUCKETS 9
#define METRICS_LATENCY_BUCKETS 12
#define METRICS_MAX_LAG 512

typedef struct metrics_topic {
    uint64_t consumed, stored, duplicates, superseded, quarantined, db_rejected;
    uint64_t gaps, gap_offsets; /* offsets Kafka deleted unread (gaps.h) */
} metrics_topic_t;

typedef struct metrics_histogram {
    uint64_t buckets[METRICS_LATENCY_BUCKETS + 1]; /* cumulative is computed on render */
    uint64_t count;
    double sum;
} metrics_histogram_t;

typedef struct metrics_lag {
    char topic[128];
    int32_t partition;
    int64_t lag;
} metrics_lag_t;

typedef struct metrics_snapshot {
    metrics_topic_t topic[2];       /* indexed by report_kind_t */
    const char *topic_name[2];      /* not owned */
    metrics_histogram_t batch_size; /* messages per committed batch */
    metrics_histogram_t commit_seconds;
    uint64_t pg_errors, pg_retries, pg_reconnects, rebalances, batches;
    metrics_lag_t lag[METRICS_MAX_LAG];
    size_t lag_count;
    size_t assigned_partitions;
    bool pg_up, kafka_up, stopping;
    int64_t loop_ms;                /* monotonic ms of the last loop turn */
} metrics_snapshot_t;

typedef struct metrics metrics_t;

/* Starts the HTTP server on listen ("host:port"; port 0 picks a free one,
 * logged). Returns NULL with errbuf set on failure. */
metrics_t *metrics_start(const char *listen, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));
/* Stops the server; NULL is fine. */
void metrics_stop(metrics_t *m);
/* The port actually bound. */
int metrics_port(const metrics_t *m);

/* Copies *snap for the HTTP thread. NULL m is a no-op. */
void metrics_publish(metrics_t *m, const metrics_snapshot_t *snap);

/* Histogram helpers (pure). */
void metrics_observe_batch(metrics_histogram_t *h, double messages);
void metrics_observe_latency(metrics_histogram_t *h, double seconds);

/* Renders snap in the Prometheus text format into buf (pure; for tests).
 * Returns the length written, or the length needed when it does not fit. */
size_t metrics_render(const metrics_snapshot_t *snap, char *buf, size_t size);

#endif

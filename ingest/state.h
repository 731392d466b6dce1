/*
 * state.h - what the ingest worker's parts share: the worker's state (the
 * consumer, the sink, the open batch and the job in the writer's hands,
 * the partitions it owns, the counters), the flag that stops it, and the
 * small helpers every part uses. worker.c runs the loop, writer.c the
 * writer thread, rebalance.c the partition assignments; the comment on
 * worker_t says which thread owns what.
 */
#ifndef NW_STATE_H
#define NW_STATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "batch.h"
#include "config.h"
#include "metrics.h"
#include "pg_sink.h"
#include "report.h"
#include "rollup.h"
#include "worker.h"

typedef struct assigned {
    pg_partition_t part;
    bool eof;
    int64_t expect;        /* the next offset expected from Kafka (-1: any), see gaps.h */
} assigned_t;

typedef struct counters {
    uint64_t consumed, stored, duplicates, quarantined, db_rejected, batches, rebalances;
} counters_t;

/* A batch handed to the writer thread, with the partitions it writes. */
typedef struct job {
    batch_t batch;
    pg_partition_t *parts;    /* the batch's partitions, with their epochs */
    size_t nparts;
    pg_partition_t *fenced;   /* out: partitions found claimed by another worker */
    size_t nfenced;
    size_t cap;               /* of parts and of fenced */
    bool committed;           /* out: false when given up (only when stopping) */
} job_t;

typedef enum { WR_IDLE, WR_QUEUED, WR_DONE } writer_state_t;

/*
 * Threads and ownership. The main thread polls Kafka, decodes, fills
 * `batch` and handles rebalances; the writer thread writes `job`. While
 * wr_state is WR_QUEUED the job, the sink (the PostgreSQL connection) and
 * the counters marked (W) belong to the writer; the main thread touches the
 * sink only after writer_wait() or writer_idle() said the writer is idle.
 * (W) counters are written under stats_lock and published by the main
 * thread under it. At most two batches exist: the open one and the job.
 */
typedef struct worker {
    const nw_config_t *cfg;
    const worker_opts_t *opts;
    rd_kafka_t *rk;
    pg_sink_t *sink;
    rollup_t *rollup;         /* NULL when ingest.rollup.interval_ms is 0 */
    batch_t batch;
    assigned_t *assigned;
    size_t assigned_count, assigned_cap;
    report_limits_t limits;
    char today[11];
    time_t today_day;
    bool start_at_end;     /* auto.offset.reset=latest for partitions new to PostgreSQL */
    atomic_bool fatal;
    counters_t n;          /* stored, duplicates, quarantined, db_rejected, batches: (W) */
    uint64_t last_stats_consumed;
    int64_t last_stats_ms;
    int64_t started_ms;
    metrics_t *metrics;       /* NULL when metrics.listen is empty */
    metrics_snapshot_t snap;  /* batches, batch_size, commit_seconds, topic[].stored ..
                                 db_rejected, pg_*: (W); the rest the main thread's */
    int64_t last_publish_ms;
    pthread_mutex_t stats_lock;
    job_t job;
    pthread_t writer;
    bool wr_started;
    pthread_mutex_t wr_lock;
    pthread_cond_t wr_cond;
    writer_state_t wr_state;  /* under wr_lock */
    bool wr_quit;             /* under wr_lock */
    /* Where the time goes, in microseconds (the final stats line). */
    int64_t poll_us, decode_us, wait_us;  /* main thread */
    bool paused;              /* flow.c: the assignment is paused (main thread) */
    rd_kafka_topic_partition_list_t *paused_parts;  /* flow.c: what it paused; owned */
    int64_t paused_since_us, paused_us;
    uint64_t pauses, kicks;
    int64_t writer_busy_us;               /* writer thread; read after it ended */
} worker_t;

/* Cleared by a signal, or by either thread to stop the worker. */
extern atomic_int state_run;

/* Monotonic clocks. */
int64_t state_now_us(void);
int64_t state_now_ms(void);

/* Sleeps up to ms, waking early when asked to stop. */
void state_nap(int ms);

/* The configured topic of a kind, and the kind of a topic (false: not
 * one of ours). */
const char *state_kind_topic(const worker_t *w, report_kind_t kind);
bool state_topic_kind(const worker_t *w, const char *topic, report_kind_t *kind);

/* The partitions the worker owns: one by kind and number (NULL when not
 * owned), forgetting one, room for extra more. */
assigned_t *state_find_assigned(worker_t *w, report_kind_t kind, int32_t partition);
void state_forget_assigned(worker_t *w, report_kind_t kind, int32_t partition);
bool state_grow_assigned(worker_t *w, size_t extra) __attribute__((warn_unused_result));

/* Connects to PostgreSQL once; logs why not. A schema that is missing or
 * cannot be migrated stops the worker. The caller owns the sink (see
 * worker_t). */
bool state_ensure_pg(worker_t *w);

/* Publishes the metrics snapshot (when metrics are on). */
void state_publish(worker_t *w);

#endif

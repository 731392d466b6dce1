/*
 * worker.c - the ingest worker's loop and rebalance handling (see worker.h
 * for the order of states).
 */
#include "worker.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "batch.h"
#include "gaps.h"
#include "log.h"
#include "metrics.h"
#include "pg_sink.h"
#include "report.h"

/* Cleared by a signal, or by either thread to stop the worker. */
static atomic_int run = 1;

static void on_signal(int sig)
{
    (void)sig;
    run = 0;
}

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
    int64_t writer_busy_us;               /* writer thread; read after it ended */
} worker_t;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wall-clock milliseconds since the epoch (for the database). */
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sleeps up to ms, waking early when asked to stop. */
static void nap(int ms)
{
    while (ms > 0 && run) {
        int slice = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
}

static void update_today(worker_t *w)
{
    time_t t = time(NULL);
    struct tm tm;
    if (t / 86400 == w->today_day && w->today[0])
        return;
    w->today_day = t / 86400;
    gmtime_r(&t, &tm);
    strftime(w->today, sizeof(w->today), "%Y-%m-%d", &tm);
}

static const char *kind_topic(const worker_t *w, report_kind_t kind)
{
    return kind == REPORT_TREATMENT ? w->cfg->topic_treatments : w->cfg->topic_complications;
}

static bool topic_kind(const worker_t *w, const char *topic, report_kind_t *kind)
{
    if (strcmp(topic, w->cfg->topic_treatments) == 0)
        *kind = REPORT_TREATMENT;
    else if (strcmp(topic, w->cfg->topic_complications) == 0)
        *kind = REPORT_COMPLICATION;
    else
        return false;
    return true;
}

static assigned_t *find_assigned(worker_t *w, report_kind_t kind, int32_t partition)
{
    for (size_t i = 0; i < w->assigned_count; i++)
        if (w->assigned[i].part.kind == kind && w->assigned[i].part.partition == partition)
            return &w->assigned[i];
    return NULL;
}

static void forget_assigned(worker_t *w, report_kind_t kind, int32_t partition)
{
    for (size_t i = 0; i < w->assigned_count; i++) {
        if (w->assigned[i].part.kind == kind && w->assigned[i].part.partition == partition) {
            w->assigned[i] = w->assigned[--w->assigned_count];
            return;
        }
    }
}

/* Connects to PostgreSQL once; logs why not. A schema that is missing or
 * cannot be migrated stops the worker. */
static bool ensure_pg(worker_t *w)
{
    char errbuf[1024];
    pg_status_t status;

    if (pg_sink_connected(w->sink))
        return true;
    status = pg_sink_connect(w->sink, w->opts->migrate, errbuf, sizeof(errbuf));
    pthread_mutex_lock(&w->stats_lock);
    w->snap.pg_up = status == PG_OK;
    if (status != PG_OK)
        w->snap.pg_errors++;
    else
        w->snap.pg_reconnects++;
    pthread_mutex_unlock(&w->stats_lock);
    if (status == PG_FATAL) {
        log_error("pg", "%s", errbuf);
        w->fatal = true;
        run = 0;
        return false;
    }
    if (status != PG_OK) {
        log_warn("pg", "%s", errbuf);
        return false;
    }
    log_info("pg", "connected");
    return true;
}

/* After a commit, tells Kafka too, so standard lag tools see progress.
 * Failures here are harmless: offsets in PostgreSQL are the truth. */
static void commit_to_kafka(worker_t *w, const pg_partition_t *parts, size_t n)
{
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(list, parts[i].topic, parts[i].partition)->offset =
            parts[i].next_offset;
    rd_kafka_commit(w->rk, list, 1);
    rd_kafka_topic_partition_list_destroy(list);
}

/* Adds what one committed write stored to the counters. */
static void count_write(worker_t *w, const batch_t *batch, const pg_write_stats_t *st,
                        int64_t t0)
{
    pthread_mutex_lock(&w->stats_lock);
    w->n.batches++;
    w->snap.batches++;
    metrics_observe_batch(&w->snap.batch_size, (double)batch->count);
    metrics_observe_latency(&w->snap.commit_seconds, (double)(now_ms() - t0) / 1000.0);
    for (int k = 0; k < 2; k++) {
        metrics_topic_t *mt = &w->snap.topic[k];
        w->n.stored += st->stored[k];
        w->n.duplicates += st->duplicates[k];
        w->n.quarantined += st->quarantined[k];
        w->n.db_rejected += st->db_rejected[k];
        mt->stored += st->stored[k];
        mt->duplicates += st->duplicates[k];
        mt->superseded += st->superseded[k];
        mt->quarantined += st->quarantined[k];
        mt->db_rejected += st->db_rejected[k];
    }
    pthread_mutex_unlock(&w->stats_lock);
}

/* Removes partition i from the job: its messages are dropped (its new owner
 * will consume them again) and it is remembered as fenced. */
static void job_fence(job_t *job, size_t i)
{
    pg_partition_t *p = &job->parts[i];
    log_warn("worker",
             "[%s/%" PRId32 "] claimed by another worker (epoch %" PRId64
             " is stale); dropping %zu uncommitted messages",
             p->topic, p->partition, p->epoch,
             batch_drop_partition(&job->batch, p->kind, p->partition));
    job->fenced[job->nfenced++] = *p;
    job->parts[i] = job->parts[--job->nparts];
}

/* Writes job->batch, retrying until it commits. Gives up, dropping the batch
 * for redelivery, when asked to stop or after give_up_ms (0 = never). Runs
 * on whichever thread owns the sink at the time: the writer thread for
 * jobs handed off, the main thread (with the writer idle) otherwise. It
 * reads nothing the main thread changes: the job carries its partitions
 * and their epochs. Sets job->committed. */
static void write_job(worker_t *w, job_t *job, int give_up_ms)
{
    int backoff = 100;
    int64_t started = now_ms();
    char errbuf[1024];

    job->committed = false;
    for (;;) {
        pg_write_stats_t st = {0};
        pg_status_t status;

        if (batch_is_empty(&job->batch)) {
            job->committed = true;
            return;
        }
        if (ensure_pg(w)) {
            int64_t t0 = now_ms();
            status = pg_sink_write(w->sink, &job->batch, job->parts, job->nparts, &st, errbuf,
                                   sizeof(errbuf));
            if (status == PG_OK) {
                count_write(w, &job->batch, &st, t0);
                log_debug("worker", "committed batch of %zu in %" PRId64 " ms", job->batch.count,
                          now_ms() - t0);
                commit_to_kafka(w, job->parts, job->nparts);
                batch_clear(&job->batch);
                job->committed = true;
                return;
            }
            if (status == PG_FENCED) {
                for (size_t i = job->nparts; i-- > 0;)
                    if (job->parts[i].fenced)
                        job_fence(job, i);
                continue;
            }
            log_warn("pg", "batch of %zu not written, will retry: %s", job->batch.count, errbuf);
            pthread_mutex_lock(&w->stats_lock);
            w->snap.pg_errors++;
            w->snap.pg_up = pg_sink_connected(w->sink);
            pthread_mutex_unlock(&w->stats_lock);
        }
        pthread_mutex_lock(&w->stats_lock);
        w->snap.pg_retries++;
        pthread_mutex_unlock(&w->stats_lock);
        if (!run || (give_up_ms && now_ms() - started > give_up_ms)) {
            log_warn("worker",
                     "dropping the uncommitted batch of %zu messages; their offsets did not "
                     "move, so they will be consumed again",
                     job->batch.count);
            batch_clear(&job->batch);
            return;
        }
        nap(backoff);
        backoff = backoff * 2 > w->cfg->pg_retry_max_ms ? w->cfg->pg_retry_max_ms : backoff * 2;
    }
}

/* Main thread, writer idle: moves the open batch into job with the epochs
 * its partitions were claimed under. Messages of partitions no longer
 * assigned are dropped. Returns false when nothing is left to write. */
static bool job_prepare(worker_t *w, job_t *job)
{
    batch_t *batch = &w->batch;
    batch_t empty;

    for (size_t i = 0; i < batch->offsets_count; i++) {
        const batch_offset_t *o = &batch->offsets[i];
        if (!find_assigned(w, o->kind, o->partition)) {
            log_warn("worker", "[%s/%" PRId32 "] no longer assigned; dropping its messages",
                     kind_topic(w, o->kind), o->partition);
            batch_drop_partition(batch, o->kind, o->partition);
            i = (size_t)-1; /* offsets were compacted: start over */
        }
    }
    if (batch_is_empty(batch))
        return false;
    if (batch->offsets_count > job->cap) {
        size_t cap = batch->offsets_count * 2;
        pg_partition_t *parts = realloc(job->parts, cap * sizeof(*parts));
        pg_partition_t *fenced;
        if (!parts)
            return false;
        job->parts = parts;
        if (!(fenced = realloc(job->fenced, cap * sizeof(*fenced))))
            return false;
        job->fenced = fenced;
        job->cap = cap;
    }
    job->nparts = 0;
    job->nfenced = 0;
    for (size_t i = 0; i < batch->offsets_count; i++) {
        const batch_offset_t *o = &batch->offsets[i];
        pg_partition_t *p = &job->parts[job->nparts++];
        *p = find_assigned(w, o->kind, o->partition)->part;
        p->next_offset = o->next_offset;
        p->fenced = false;
    }
    /* Swap: the job takes the batch, the worker keeps the job's empty one
     * (and its allocations) to fill next. */
    empty = job->batch;
    job->batch = *batch;
    *batch = empty;
    return true;
}

/* Main thread, after a job ended: stop consuming the partitions it found
 * fenced, and drop their messages from the open batch. A job given up
 * (only when stopping) takes the open batch with it: committing that one
 * would move offsets past the messages that were not stored. */
static void job_finish(worker_t *w, job_t *job)
{
    for (size_t i = 0; i < job->nfenced; i++) {
        batch_drop_partition(&w->batch, job->fenced[i].kind, job->fenced[i].partition);
        forget_assigned(w, job->fenced[i].kind, job->fenced[i].partition);
    }
    job->nfenced = 0;
    if (!job->committed && !batch_is_empty(&w->batch)) {
        log_warn("worker", "dropping the next %zu messages too; they will be consumed again",
                 w->batch.count);
        batch_clear(&w->batch);
        if (run) {
            /* Not reached (jobs handed off never give up), but the
             * consumer's position is past messages that were not stored:
             * only a restart from PostgreSQL's offsets is right. */
            log_error("worker", "a batch was not stored; stopping");
            w->fatal = true;
            run = 0;
        }
    }
}

/* The writer thread: writes each job handed to it while the main thread
 * consumes and decodes the next batch, so the decoding overlaps
 * PostgreSQL's work. */
static void *writer_main(void *arg)
{
    worker_t *w = arg;

    pthread_mutex_lock(&w->wr_lock);
    for (;;) {
        while (w->wr_state != WR_QUEUED && !w->wr_quit)
            pthread_cond_wait(&w->wr_cond, &w->wr_lock);
        if (w->wr_state != WR_QUEUED)
            break;
        pthread_mutex_unlock(&w->wr_lock);
        {
            int64_t t0 = now_us();
            write_job(w, &w->job, 0);
            w->writer_busy_us += now_us() - t0;
        }
        pthread_mutex_lock(&w->wr_lock);
        w->wr_state = WR_DONE;
        pthread_cond_broadcast(&w->wr_cond);
    }
    pthread_mutex_unlock(&w->wr_lock);
    return NULL;
}

/* Main thread: collects a finished job without waiting. Returns true when
 * the writer is idle (the sink and the job are the main thread's again). */
static bool writer_idle(worker_t *w)
{
    bool done, idle;

    if (!w->wr_started)
        return true;
    pthread_mutex_lock(&w->wr_lock);
    done = w->wr_state == WR_DONE;
    if (done)
        w->wr_state = WR_IDLE;
    idle = w->wr_state == WR_IDLE;
    pthread_mutex_unlock(&w->wr_lock);
    if (done)
        job_finish(w, &w->job);
    return idle;
}

static void publish(worker_t *w)
{
    if (!w->metrics)
        return;
    pthread_mutex_lock(&w->stats_lock);
    metrics_publish(w->metrics, &w->snap);
    pthread_mutex_unlock(&w->stats_lock);
    w->last_publish_ms = now_ms();
}

/* Main thread: waits until the writer is idle, publishing the metrics
 * meanwhile (a write may retry for as long as PostgreSQL is away). */
static void writer_wait(worker_t *w)
{
    while (!writer_idle(w)) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 200 * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&w->wr_lock);
        if (w->wr_state == WR_QUEUED)
            pthread_cond_timedwait(&w->wr_cond, &w->wr_lock, &until);
        pthread_mutex_unlock(&w->wr_lock);
        w->snap.loop_ms = now_ms();
        publish(w);
    }
}

/* Main thread, writer idle: hands the open batch to the writer thread. */
static void hand_off(worker_t *w)
{
    if (!job_prepare(w, &w->job))
        return;
    pthread_mutex_lock(&w->wr_lock);
    w->wr_state = WR_QUEUED;
    pthread_cond_signal(&w->wr_cond);
    pthread_mutex_unlock(&w->wr_lock);
}

/* Main thread: writes the open batch now, on this thread, after the writer
 * finished its job (a rebalance or shutdown needs every batch settled).
 * Returns true when everything was committed. */
static bool flush(worker_t *w, int give_up_ms)
{
    writer_wait(w);
    if (!job_prepare(w, &w->job))
        return batch_is_empty(&w->batch);
    write_job(w, &w->job, give_up_ms);
    job_finish(w, &w->job);
    return w->job.committed;
}

static bool grow_assigned(worker_t *w, size_t extra)
{
    size_t need = w->assigned_count + extra;
    if (need > w->assigned_cap) {
        size_t cap = need * 2;
        assigned_t *grown = realloc(w->assigned, cap * sizeof(*grown));
        if (!grown)
            return false;
        w->assigned = grown;
        w->assigned_cap = cap;
    }
    return true;
}

/* The group's rebalance protocol, as the log says it: eager or cooperative. */
static const char *protocol_name(rd_kafka_t *rk)
{
    const char *p = rd_kafka_rebalance_protocol(rk);
    if (p && strcmp(p, "COOPERATIVE") == 0)
        return "cooperative";
    if (p && strcmp(p, "EAGER") == 0)
        return "eager";
    return "no protocol";
}

/* Claims the partitions in PostgreSQL and points each at its stored offset. */
static void on_assign(worker_t *w, rd_kafka_topic_partition_list_t *list)
{
    pg_partition_t *parts = calloc((size_t)list->cnt + 1, sizeof(*parts));
    int backoff = 100;
    char errbuf[1024];
    size_t n = 0;

    if (!parts || !grow_assigned(w, (size_t)list->cnt)) {
        log_error("worker", "out of memory in rebalance");
        w->fatal = true;
        run = 0;
        goto out;
    }
    for (int i = 0; i < list->cnt; i++) {
        report_kind_t kind;
        if (!topic_kind(w, list->elems[i].topic, &kind))
            continue;
        parts[n].topic = kind_topic(w, kind);
        parts[n].kind = kind;
        parts[n].partition = list->elems[i].partition;
        n++;
    }
    for (;;) {
        if (ensure_pg(w)) {
            if (pg_sink_claim(w->sink, parts, n, errbuf, sizeof(errbuf)) == PG_OK)
                break;
            log_warn("pg", "%s", errbuf);
        }
        if (!run) {
            /* Shutting down: consume nothing rather than guess offsets. */
            for (int i = 0; i < list->cnt; i++)
                list->elems[i].offset = RD_KAFKA_OFFSET_END;
            n = 0;
            break;
        }
        nap(backoff);
        backoff = backoff * 2 > w->cfg->pg_retry_max_ms ? w->cfg->pg_retry_max_ms : backoff * 2;
    }
    for (size_t i = 0; i < n; i++) {
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(list, parts[i].topic, parts[i].partition);
        int64_t start = parts[i].next_offset >= 0
                            ? parts[i].next_offset
                            : (w->start_at_end ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING);
        if (tp)
            tp->offset = start;
        forget_assigned(w, parts[i].kind, parts[i].partition);
        w->assigned[w->assigned_count].part = parts[i];
        w->assigned[w->assigned_count].eof = false;
        w->assigned[w->assigned_count].expect = parts[i].next_offset >= 0 ? parts[i].next_offset : -1;
        w->assigned_count++;
        log_debug("worker", "[%s/%" PRId32 "] assigned, epoch %" PRId64 ", next offset %" PRId64,
                  parts[i].topic, parts[i].partition, parts[i].epoch, parts[i].next_offset);
    }
    log_info("worker", "assigned %zu partition(s) (%s); now consuming %zu", n,
             protocol_name(w->rk), w->assigned_count);
out:
    free(parts);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *list, void *opaque)
{
    worker_t *w = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

    w->n.rebalances++;
    w->snap.rebalances++;
    /* Claims and the revocation's final write use the sink, and the
     * writer's job must not outlive the assignment it was claimed under. */
    writer_wait(w);
    switch (err) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        on_assign(w, list);
        if (cooperative)
            error = rd_kafka_incremental_assign(rk, list);
        else
            aerr = rd_kafka_assign(rk, list);
        break;
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        /* Still ours until we return: write what we hold for them, but do
         * not hold up the group for long if PostgreSQL is away. */
        flush(w, 10000);
        for (int i = 0; i < list->cnt; i++) {
            report_kind_t kind;
            if (!topic_kind(w, list->elems[i].topic, &kind))
                continue;
            batch_drop_partition(&w->batch, kind, list->elems[i].partition);
            forget_assigned(w, kind, list->elems[i].partition);
            log_debug("worker", "[%s/%" PRId32 "] revoked", list->elems[i].topic,
                      list->elems[i].partition);
        }
        log_info("worker", "%d partition(s) revoked; now consuming %zu", list->cnt,
                 w->assigned_count);
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, list);
        else
            aerr = rd_kafka_assign(rk, NULL);
        break;
    default:
        log_error("kafka", "rebalance failed: %s", rd_kafka_err2str(err));
        batch_clear(&w->batch);
        w->assigned_count = 0;
        if (cooperative) {
            /* assign() is refused under the cooperative protocol: give up
             * the whole current assignment incrementally. */
            rd_kafka_topic_partition_list_t *current = NULL;
            if (!(aerr = rd_kafka_assignment(rk, &current)))
                error = rd_kafka_incremental_unassign(rk, current);
            if (current)
                rd_kafka_topic_partition_list_destroy(current);
        } else {
            aerr = rd_kafka_assign(rk, NULL);
        }
        break;
    }
    w->snap.assigned_partitions = w->assigned_count;
    w->snap.kafka_up = true;
    if (error) {
        log_error("kafka", "incremental (un)assign failed: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (aerr) {
        log_error("kafka", "assign failed: %s", rd_kafka_err2str(aerr));
    }
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    /* The Kafka-side offset commit is informational (PostgreSQL holds the
     * offsets the worker trusts), and broker connection failures are
     * expected during outages and retried by librdkafka: keep them quiet. */
    if (strcmp(fac, "COMMITFAIL") == 0)
        level = 7;
    else if (strcmp(fac, "FAIL") == 0 && level < 4)
        level = 4;
    if (level <= 3)
        log_error("rdkafka", "%s: %s", fac, buf);
    else if (level <= 4)
        log_warn("rdkafka", "%s: %s", fac, buf);
    else if (level <= 6)
        log_info("rdkafka", "%s: %s", fac, buf);
    else
        log_debug("rdkafka", "%s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    worker_t *w = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char fatal[512];
        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        log_error("kafka", "fatal: %s", fatal);
        w->fatal = true;
        run = 0;
        return;
    }
    /* Brokers going away is expected: librdkafka reconnects by itself. */
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
        w->snap.kafka_up = false;
    log_warn("kafka", "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* librdkafka's statistics (statistics.interval.ms, on when metrics are):
 * whether any broker is up, and the consumer lag of our partitions. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque)
{
    worker_t *w = opaque;
    cJSON *root = cJSON_ParseWithLength(json, json_len);
    const cJSON *brokers, *topics, *b, *t, *p;
    bool up = false;
    (void)rk;

    if (!root)
        return 0;
    brokers = cJSON_GetObjectItemCaseSensitive(root, "brokers");
    cJSON_ArrayForEach(b, brokers)
    {
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(b, "state");
        const cJSON *nodeid = cJSON_GetObjectItemCaseSensitive(b, "nodeid");
        if (cJSON_IsString(state) && strcmp(state->valuestring, "UP") == 0 &&
            cJSON_IsNumber(nodeid) && nodeid->valuedouble >= 0)
            up = true;
    }
    w->snap.kafka_up = up;
    w->snap.lag_count = 0;
    topics = cJSON_GetObjectItemCaseSensitive(root, "topics");
    cJSON_ArrayForEach(t, topics)
    {
        report_kind_t kind;
        if (!topic_kind(w, t->string, &kind))
            continue;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(t, "partitions"))
        {
            const cJSON *lag = cJSON_GetObjectItemCaseSensitive(p, "consumer_lag");
            int32_t partition = (int32_t)atol(p->string);
            metrics_lag_t *l;
            if (partition < 0 || !find_assigned(w, kind, partition) || !cJSON_IsNumber(lag) ||
                lag->valuedouble < 0 || w->snap.lag_count == METRICS_MAX_LAG)
                continue;
            l = &w->snap.lag[w->snap.lag_count++];
            snprintf(l->topic, sizeof(l->topic), "%s", t->string);
            l->partition = partition;
            l->lag = (int64_t)lag->valuedouble;
        }
    }
    cJSON_Delete(root);
    return 0; /* librdkafka frees json */
}

/* Compares the offset Kafka delivered for a partition (a message's, or the
 * end offset at EOF) with the one expected (gaps.h). A gap is logged,
 * counted, and added to the open batch, to be recorded in the transaction
 * that moves the partition's offset past it; with ingest.on_gap=stop it
 * stops the worker instead, and nothing moves. Returns false when what was
 * delivered must not be used. */
static bool check_offsets(worker_t *w, assigned_t *a, int64_t got, bool at_eof)
{
    const pg_partition_t *p = &a->part;
    int64_t end = 0;
    batch_gap_t gap;

    switch (gaps_check(w->rk, p->topic, p->partition, a->expect, got, 2000, &end)) {
    case GAPS_NONE:
    case GAPS_SKIPPED:
        return true;
    case GAPS_REWOUND:
        log_warn("worker",
                 "[%s/%" PRId32 "] offset %" PRId64 " is below %" PRId64
                 ", the one expected: the topic was recreated or its log truncated; reading "
                 "again from there (stored report versions are not stored twice)",
                 p->topic, p->partition, got, a->expect);
        return true;
    case GAPS_LOST:
        break;
    }
    w->snap.topic[p->kind].gaps++;
    w->snap.topic[p->kind].gap_offsets += (uint64_t)(end - a->expect);
    if (w->cfg->on_gap == ON_GAP_STOP) {
        log_error("worker",
                  "[%s/%" PRId32 "] offsets %" PRId64 "..%" PRId64 " (%" PRId64
                  ") were deleted from Kafka (retention or delete-records) before they were "
                  "stored; stopping (ingest.on_gap=stop), the stored offset stays %" PRId64,
                  p->topic, p->partition, a->expect, end - 1, end - a->expect, a->expect);
        w->fatal = true;
        run = 0;
        return false;
    }
    log_error("worker",
              "[%s/%" PRId32 "] offsets %" PRId64 "..%" PRId64 " (%" PRId64
              ") were deleted from Kafka (retention or delete-records) before they were "
              "stored; recording the gap in needlewatch.kafka_gaps and going on from %" PRId64,
              p->topic, p->partition, a->expect, end - 1, end - a->expect, end);
    gap = (batch_gap_t){p->kind, p->partition, a->expect, end, wall_ms()};
    if (!batch_add_gap(&w->batch, &gap, at_eof ? got : end, now_ms())) {
        log_error("worker", "out of memory; stopping");
        w->fatal = true;
        run = 0;
        return false;
    }
    return true;
}

static void handle_message(worker_t *w, rd_kafka_message_t *rkm)
{
    batch_entry_t entry = {0};
    assigned_t *a;
    bool copied;
    char errbuf[512];

    if (!topic_kind(w, rd_kafka_topic_name(rkm->rkt), &entry.kind) ||
        !(a = find_assigned(w, entry.kind, rkm->partition)) ||
        !check_offsets(w, a, rkm->offset, false)) {
        rd_kafka_message_destroy(rkm);
        return;
    }
    a->expect = rkm->offset + 1;
    a->eof = false;
    w->n.consumed++;
    w->snap.topic[entry.kind].consumed++;
    entry.valid = report_decode(entry.kind, rkm->payload, rkm->payload ? rkm->len : 0,
                                &w->limits, w->today, &entry.report, errbuf, sizeof(errbuf));
    if (!entry.valid) {
        log_debug("worker", "[%s/%" PRId32 "@%" PRId64 "] quarantined: %s",
                  rd_kafka_topic_name(rkm->rkt), rkm->partition, rkm->offset, errbuf);
        entry.error = strdup(errbuf);
    }
    /* The batch keeps a copy; the message (and its fetch buffer) goes now. */
    copied = batch_msg_copy(&entry.msg, kind_topic(w, entry.kind), rkm);
    rd_kafka_message_destroy(rkm);
    if (!copied) {
        log_error("worker", "out of memory; stopping");
        report_clear(&entry.report);
        free(entry.error);
        w->fatal = true;
        run = 0;
        return;
    }
    if (!batch_add(&w->batch, &entry, now_ms())) {
        /* Cannot happen while the loop flushes full batches; be safe anyway:
         * the message was not stored, so do not let its offset move. */
        log_error("worker", "batch full or out of memory; stopping");
        w->fatal = true;
        run = 0;
    }
}

static void handle_event(worker_t *w, rd_kafka_message_t *rkm)
{
    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        report_kind_t kind;
        assigned_t *a;
        if (topic_kind(w, rd_kafka_topic_name(rkm->rkt), &kind) &&
            (a = find_assigned(w, kind, rkm->partition)) && check_offsets(w, a, rkm->offset, true)) {
            a->expect = rkm->offset;
            a->eof = true;
        }
    } else if (rkm->rkt) {
        log_warn("kafka", "[%s/%" PRId32 "] %s", rd_kafka_topic_name(rkm->rkt), rkm->partition,
                 rd_kafka_message_errstr(rkm));
    } else {
        log_warn("kafka", "%s", rd_kafka_message_errstr(rkm));
    }
    rd_kafka_message_destroy(rkm);
}

static bool all_eof(const worker_t *w)
{
    if (w->assigned_count == 0)
        return false;
    for (size_t i = 0; i < w->assigned_count; i++)
        if (!w->assigned[i].eof)
            return false;
    return true;
}

static void log_stats(worker_t *w, bool final)
{
    int64_t t = now_ms();
    double secs = (double)(t - w->last_stats_ms) / 1000.0;
    double rate = secs > 0 ? (double)(w->n.consumed - w->last_stats_consumed) / secs : 0;

    pthread_mutex_lock(&w->stats_lock);
    log_info("stats",
             "%sconsumed=%" PRIu64 " stored=%" PRIu64 " duplicates=%" PRIu64
             " quarantined=%" PRIu64 " db_rejected=%" PRIu64 " batches=%" PRIu64
             " rebalances=%" PRIu64 " partitions=%zu rate=%.0f/s",
             final ? "final " : "", w->n.consumed, w->n.stored, w->n.duplicates,
             w->n.quarantined, w->n.db_rejected, w->n.batches, w->n.rebalances,
             w->assigned_count, rate);
    pthread_mutex_unlock(&w->stats_lock);
    w->last_stats_ms = t;
    w->last_stats_consumed = w->n.consumed;
}

static rd_kafka_t *make_consumer(worker_t *w)
{
    char errbuf[512];
    rd_kafka_t *rk;
    rd_kafka_conf_t *conf = rd_kafka_conf_dup(w->cfg->kconf);
    char value[64];
    size_t size = sizeof(value);

    if (rd_kafka_conf_get(conf, "auto.offset.reset", value, &size) == RD_KAFKA_CONF_OK)
        w->start_at_end = strcasecmp(value, "latest") == 0 || strcasecmp(value, "largest") == 0 ||
                          strcasecmp(value, "end") == 0;
    /* The user's auto.offset.reset chose where new partitions start (above);
     * the consumer itself goes to the log start when an offset is gone, so
     * that check_offsets sees the gap (gaps.c says why). */
    if (rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errbuf, sizeof(errbuf)) !=
        RD_KAFKA_CONF_OK) {
        log_error("kafka", "auto.offset.reset: %s", errbuf);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_opaque(conf, w);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    if (w->metrics) {
        size = sizeof(value);
        if (rd_kafka_conf_get(conf, "statistics.interval.ms", value, &size) == RD_KAFKA_CONF_OK &&
            strcmp(value, "0") == 0)
            rd_kafka_conf_set(conf, "statistics.interval.ms", "5000", errbuf, sizeof(errbuf));
        rd_kafka_conf_set_stats_cb(conf, stats_cb);
    }

    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, sizeof(errbuf));
    if (!rk) {
        log_error("kafka", "cannot create consumer: %s", errbuf);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* rd_kafka_new() took ownership of conf. */
    conf = NULL;
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

int worker_run(const nw_config_t *cfg, const worker_opts_t *opts)
{
    worker_t w = {0};
    rd_kafka_topic_partition_list_t *topics = NULL;
    rd_kafka_resp_err_t err;
    struct sigaction sa = {0};
    char owner[300], host[256] = "unknown";
    char value[256];
    size_t size = sizeof(value);
    int rc = 1;

    w.cfg = cfg;
    w.opts = opts;
    w.limits.max_bytes = (size_t)cfg->max_message_bytes;
    w.limits.max_depth = cfg->max_depth;
    w.last_stats_ms = now_ms();
    pthread_mutex_init(&w.stats_lock, NULL);
    pthread_mutex_init(&w.wr_lock, NULL);
    pthread_cond_init(&w.wr_cond, NULL);

    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    gethostname(host, sizeof(host) - 1);
    snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());
    if (rd_kafka_conf_get(cfg->kconf, "group.id", value, &size) != RD_KAFKA_CONF_OK)
        snprintf(value, sizeof(value), "needlewatch-ingest");

    w.snap.topic_name[REPORT_TREATMENT] = cfg->topic_treatments;
    w.snap.topic_name[REPORT_COMPLICATION] = cfg->topic_complications;
    w.snap.loop_ms = now_ms();
    if (*cfg->metrics_listen) {
        char errbuf[256];
        if (!(w.metrics = metrics_start(cfg->metrics_listen, errbuf, sizeof(errbuf)))) {
            log_error("metrics", "%s", errbuf);
            goto out;
        }
        publish(&w);
    }
    if (!batch_init(&w.batch, (size_t)cfg->batch_max_messages) ||
        !batch_init(&w.job.batch, (size_t)cfg->batch_max_messages)) {
        log_error("worker", "out of memory");
        goto out;
    }
    {
        const char *const names[2] = {cfg->topic_treatments, cfg->topic_complications};
        w.sink = pg_sink_new(cfg->pg_conninfo, value, owner, names);
    }
    if (!w.sink) {
        log_error("worker", "out of memory");
        goto out;
    }
    /* Connect (and migrate) before joining the group, so a misconfigured
     * database is reported at once; keep trying if it is merely down. */
    while (run && !ensure_pg(&w))
        nap(1000);
    if (!run)
        goto out_ok;

    if (pthread_create(&w.writer, NULL, writer_main, &w) != 0) {
        log_error("worker", "cannot start the writer thread");
        goto out;
    }
    w.wr_started = true;
    if (!(w.rk = make_consumer(&w)))
        goto out;
    topics = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(topics, cfg->topic_treatments, RD_KAFKA_PARTITION_UA);
    rd_kafka_topic_partition_list_add(topics, cfg->topic_complications, RD_KAFKA_PARTITION_UA);
    if ((err = rd_kafka_subscribe(w.rk, topics))) {
        log_error("kafka", "subscribe failed: %s", rd_kafka_err2str(err));
        goto out;
    }
    log_info("worker", "consuming %s and %s as %s in group %s", cfg->topic_treatments,
             cfg->topic_complications, owner, value);

    while (run) {
        int64_t t = now_ms();
        int timeout = 500;
        int64_t t_us;
        rd_kafka_message_t *rkm;

        if (!batch_is_empty(&w.batch)) {
            int64_t left = w.batch.first_ms + cfg->batch_max_ms - t;
            timeout = left <= 0 ? 0 : (left < timeout ? (int)left : timeout);
            /* Due but the writer is busy: look again soon. */
            if (timeout == 0 && !writer_idle(&w))
                timeout = 5;
        }
        update_today(&w);
        t_us = now_us();
        rkm = rd_kafka_consumer_poll(w.rk, timeout);
        w.poll_us += now_us() - t_us;
        if (rkm) {
            t_us = now_us();
            if (rkm->err)
                handle_event(&w, rkm);
            else
                handle_message(&w, rkm);
            w.decode_us += now_us() - t_us;
        }
        t = now_ms();
        /* A full batch waits for the writer; one that is only old enough
         * (or, with --exit-on-eof, at the end of input) keeps filling
         * until the writer is free. */
        if (w.batch.count >= (size_t)cfg->batch_max_messages) {
            t_us = now_us();
            writer_wait(&w);
            w.wait_us += now_us() - t_us;
        }
        if (!batch_is_empty(&w.batch) &&
            (w.batch.count >= (size_t)cfg->batch_max_messages ||
             t - w.batch.first_ms >= cfg->batch_max_ms || (opts->exit_on_eof && all_eof(&w))) &&
            writer_idle(&w))
            hand_off(&w);
        if (cfg->stats_interval_ms && t - w.last_stats_ms >= cfg->stats_interval_ms)
            log_stats(&w, false);
        w.snap.loop_ms = t;
        if (w.metrics && t - w.last_publish_ms >= 200)
            publish(&w);
        if (opts->exit_on_eof && writer_idle(&w) && batch_is_empty(&w.batch) && all_eof(&w)) {
            log_info("worker", "every assigned partition consumed and committed; exiting");
            break;
        }
    }
    /* Finish the open batch if PostgreSQL lets us, else leave it for
     * redelivery; then leave the group (which revokes our partitions). */
    w.snap.stopping = true;
    publish(&w);
    flush(&w, 5000);
out_ok:
    rc = w.fatal ? 1 : 0;
out:
    if (w.wr_started) {
        /* Lets a job in flight finish (or give up: run is 0 on every path
         * here but --exit-on-eof's, where the writer is idle). */
        writer_wait(&w);
        pthread_mutex_lock(&w.wr_lock);
        w.wr_quit = true;
        pthread_cond_signal(&w.wr_cond);
        pthread_mutex_unlock(&w.wr_lock);
        pthread_join(w.writer, NULL);
    }
    if (w.rk) {
        log_info("worker", "leaving the consumer group");
        rd_kafka_consumer_close(w.rk);
        rd_kafka_destroy(w.rk);
    }
    if (topics)
        rd_kafka_topic_partition_list_destroy(topics);
    log_stats(&w, true);
    /* Where the time went, for tuning (bench/RESULTS.md reads this line). */
    log_info("stats",
             "time: main thread polling %.1f s, decoding %.1f s, waiting for the writer "
             "%.1f s; writer thread writing %.1f s",
             (double)w.poll_us / 1e6, (double)w.decode_us / 1e6, (double)w.wait_us / 1e6,
             (double)w.writer_busy_us / 1e6);
    metrics_stop(w.metrics);
    batch_free(&w.batch);
    batch_free(&w.job.batch);
    free(w.job.parts);
    free(w.job.fenced);
    pg_sink_destroy(w.sink);
    pthread_cond_destroy(&w.wr_cond);
    pthread_mutex_destroy(&w.wr_lock);
    pthread_mutex_destroy(&w.stats_lock);
    free(w.assigned);
    return rc;
}

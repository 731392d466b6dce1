/*
 * writer.c - the ingest worker's writer thread (see writer.h): it writes
 * each batch handed to it (reports, quarantined messages and next offsets
 * in one PostgreSQL transaction, retried until it commits) while the main
 * thread consumes and decodes the next one, and it handles the partitions
 * a write finds claimed by another worker (fenced).
 */
#include "writer.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

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
    metrics_observe_latency(&w->snap.commit_seconds, (double)(state_now_ms() - t0) / 1000.0);
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
    int64_t started = state_now_ms();
    char errbuf[1024];

    job->committed = false;
    for (;;) {
        pg_write_stats_t st = {0};
        pg_status_t status;

        if (batch_is_empty(&job->batch)) {
            job->committed = true;
            return;
        }
        if (state_ensure_pg(w)) {
            int64_t t0 = state_now_ms();
            status = pg_sink_write(w->sink, &job->batch, job->parts, job->nparts, &st, errbuf,
                                   sizeof(errbuf));
            if (status == PG_OK) {
                count_write(w, &job->batch, &st, t0);
                log_debug("worker", "committed batch of %zu in %" PRId64 " ms", job->batch.count,
                          state_now_ms() - t0);
                commit_to_kafka(w, job->parts, job->nparts);
                rollup_poke(w->rollup);
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
        if (!state_run || (give_up_ms && state_now_ms() - started > give_up_ms)) {
            log_warn("worker",
                     "dropping the uncommitted batch of %zu messages; their offsets did not "
                     "move, so they will be consumed again",
                     job->batch.count);
            batch_clear(&job->batch);
            return;
        }
        state_nap(backoff);
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
        if (!state_find_assigned(w, o->kind, o->partition)) {
            log_warn("worker", "[%s/%" PRId32 "] no longer assigned; dropping its messages",
                     state_kind_topic(w, o->kind), o->partition);
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
        *p = state_find_assigned(w, o->kind, o->partition)->part;
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
        state_forget_assigned(w, job->fenced[i].kind, job->fenced[i].partition);
    }
    job->nfenced = 0;
    if (!job->committed && !batch_is_empty(&w->batch)) {
        log_warn("worker", "dropping the next %zu messages too; they will be consumed again",
                 w->batch.count);
        batch_clear(&w->batch);
        if (state_run) {
            /* Not reached (jobs handed off never give up), but the
             * consumer's position is past messages that were not stored:
             * only a restart from PostgreSQL's offsets is right. */
            log_error("worker", "a batch was not stored; stopping");
            w->fatal = true;
            state_run = 0;
        }
    }
}

/* The writer thread: writes each job handed to it while the main thread
 * consumes and decodes the next batch, so the decoding overlaps
 * PostgreSQL's work. */
static void *writer_thread(void *arg)
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
            int64_t t0 = state_now_us();
            write_job(w, &w->job, 0);
            w->writer_busy_us += state_now_us() - t0;
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
bool writer_idle(worker_t *w)
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

/* Main thread: waits until the writer is idle, publishing the metrics
 * meanwhile (a write may retry for as long as PostgreSQL is away). */
void writer_wait(worker_t *w)
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
        w->snap.loop_ms = state_now_ms();
        state_publish(w);
    }
}

/* Main thread, writer idle: hands the open batch to the writer thread. */
void writer_hand_off(worker_t *w)
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
bool writer_flush(worker_t *w, int give_up_ms)
{
    writer_wait(w);
    if (!job_prepare(w, &w->job))
        return batch_is_empty(&w->batch);
    write_job(w, &w->job, give_up_ms);
    job_finish(w, &w->job);
    return w->job.committed;
}

bool writer_start(worker_t *w)
{
    if (pthread_create(&w->writer, NULL, writer_thread, w) != 0)
        return false;
    w->wr_started = true;
    return true;
}

void writer_stop(worker_t *w)
{
    if (!w->wr_started)
        return;
    /* Lets a job in flight finish (or give up: state_run is 0 on every
     * path here but --exit-on-eof's, where the writer is idle). */
    writer_wait(w);
    pthread_mutex_lock(&w->wr_lock);
    w->wr_quit = true;
    pthread_cond_signal(&w->wr_cond);
    pthread_mutex_unlock(&w->wr_lock);
    pthread_join(w->writer, NULL);
    w->wr_started = false;
}

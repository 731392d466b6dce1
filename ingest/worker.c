/*
 * worker.c - the ingest worker's loop (see worker.h for the order of
 * states): poll, decode, batch, and hand full or old batches to the writer
 * thread (writer.c); librdkafka's callbacks (rebalance.c for assignments);
 * the stats line. state.h holds what the parts share.
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

#include "log.h"
#include "flow.h"
#include "gaps.h"
#include "rebalance.h"
#include "state.h"
#include "writer.h"

static void on_signal(int sig)
{
    (void)sig;
    state_run = 0;
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
        state_run = 0;
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
        if (!state_topic_kind(w, t->string, &kind))
            continue;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(t, "partitions"))
        {
            const cJSON *lag = cJSON_GetObjectItemCaseSensitive(p, "consumer_lag");
            int32_t partition = (int32_t)atol(p->string);
            metrics_lag_t *l;
            if (partition < 0 || !state_find_assigned(w, kind, partition) || !cJSON_IsNumber(lag) ||
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

/* Wall-clock milliseconds since the epoch (for the database). */
static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
        state_run = 0;
        return false;
    }
    log_error("worker",
              "[%s/%" PRId32 "] offsets %" PRId64 "..%" PRId64 " (%" PRId64
              ") were deleted from Kafka (retention or delete-records) before they were "
              "stored; recording the gap in needlewatch.kafka_gaps and going on from %" PRId64,
              p->topic, p->partition, a->expect, end - 1, end - a->expect, end);
    gap = (batch_gap_t){p->kind, p->partition, a->expect, end, wall_ms()};
    if (!batch_add_gap(&w->batch, &gap, at_eof ? got : end, state_now_ms())) {
        log_error("worker", "out of memory; stopping");
        w->fatal = true;
        state_run = 0;
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

    if (!state_topic_kind(w, rd_kafka_topic_name(rkm->rkt), &entry.kind) ||
        !(a = state_find_assigned(w, entry.kind, rkm->partition)) ||
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
    copied = batch_msg_copy(&entry.msg, state_kind_topic(w, entry.kind), rkm);
    rd_kafka_message_destroy(rkm);
    if (!copied) {
        log_error("worker", "out of memory; stopping");
        report_clear(&entry.report);
        free(entry.error);
        w->fatal = true;
        state_run = 0;
        return;
    }
    if (!batch_add(&w->batch, &entry, state_now_ms())) {
        /* Cannot happen while the loop flushes full batches; be safe anyway:
         * the message was not stored, so do not let its offset move. */
        log_error("worker", "batch full or out of memory; stopping");
        w->fatal = true;
        state_run = 0;
    }
}

static void handle_event(worker_t *w, rd_kafka_message_t *rkm)
{
    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        report_kind_t kind;
        assigned_t *a;
        if (state_topic_kind(w, rd_kafka_topic_name(rkm->rkt), &kind) &&
            (a = state_find_assigned(w, kind, rkm->partition)) &&
            check_offsets(w, a, rkm->offset, true)) {
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

/* The periodic line gives the rate since the line before; the final one the
 * rate over the worker's life (none when it consumed nothing). */
static void log_stats(worker_t *w, bool final)
{
    int64_t t = state_now_ms();
    int64_t since = final ? w->started_ms : w->last_stats_ms;
    uint64_t counted = final ? w->n.consumed : w->n.consumed - w->last_stats_consumed;
    double secs = (double)(t - since) / 1000.0;
    char rate[64] = "";

    if (secs > 0 && (!final || counted > 0))
        snprintf(rate, sizeof(rate), " rate=%.0f/s%s", (double)counted / secs,
                 final ? " over the worker's life" : "");
    pthread_mutex_lock(&w->stats_lock);
    log_info("stats",
             "%sconsumed=%" PRIu64 " stored=%" PRIu64 " duplicates=%" PRIu64
             " quarantined=%" PRIu64 " db_rejected=%" PRIu64 " batches=%" PRIu64
             " rebalances=%" PRIu64 " partitions=%zu%s",
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
            strcmp(value, "0") == 0 &&
            rd_kafka_conf_set(conf, "statistics.interval.ms", "5000", errbuf, sizeof(errbuf)) !=
                RD_KAFKA_CONF_OK) {
            log_error("kafka", "statistics.interval.ms: %s", errbuf);
            rd_kafka_conf_destroy(conf);
            return NULL;
        }
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

/* Connects before anything else, retrying with a doubling wait (up to
 * pg.retry.max_ms) while PostgreSQL is unreachable. With --exit-on-eof it
 * gives up after pg.give_up_ms: a backfill should fail, not wait for ever.
 * Returns false when the worker must exit 1. */
static bool connect_at_start(worker_t *w)
{
    int backoff = 250;
    int64_t started = state_now_ms();

    while (state_run && !state_ensure_pg(w)) {
        if (w->fatal)
            return false;
        if (w->opts->exit_on_eof && w->cfg->pg_give_up_ms &&
            state_now_ms() - started + backoff > w->cfg->pg_give_up_ms) {
            log_error("pg", "unreachable for %.1f s since the start; giving up (pg.give_up_ms=%d)",
                      (double)(state_now_ms() - started) / 1000.0, w->cfg->pg_give_up_ms);
            return false;
        }
        log_info("pg", "next attempt in %g s", backoff / 1000.0);
        state_nap(backoff);
        backoff = backoff * 2 > w->cfg->pg_retry_max_ms ? w->cfg->pg_retry_max_ms : backoff * 2;
    }
    return true;
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
    w.last_stats_ms = w.started_ms = state_now_ms();
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
    w.snap.loop_ms = state_now_ms();
    if (*cfg->metrics_listen) {
        char errbuf[256];
        if (!(w.metrics = metrics_start(cfg->metrics_listen, errbuf, sizeof(errbuf)))) {
            log_error("metrics", "%s", errbuf);
            goto out;
        }
        state_publish(&w);
    }
    if (!(w.paused_parts = rd_kafka_topic_partition_list_new(16)) ||
        !batch_init(&w.batch, (size_t)cfg->batch_max_messages) ||
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
    if (!connect_at_start(&w))
        goto out;
    if (!state_run)
        goto out_ok;
    /* The kept counts follow the commits on a thread of their own; the
     * first rollup also counts what earlier runs left. */
    if (cfg->rollup_interval_ms > 0) {
        if (!(w.rollup = rollup_start(cfg->pg_conninfo, cfg->rollup_interval_ms))) {
            log_error("worker", "cannot start the rollup thread");
            goto out;
        }
        rollup_poke(w.rollup);
    }

    if (!writer_start(&w)) {
        log_error("worker", "cannot start the writer thread");
        goto out;
    }
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

    while (state_run) {
        int64_t t = state_now_ms();
        int timeout = 500;
        int64_t t_us, waited_us;
        rd_kafka_message_t *rkm;
        bool due, over;

        if (!batch_is_empty(&w.batch)) {
            int64_t left = w.batch.first_ms + cfg->batch_max_ms - t;
            timeout = left <= 0 ? 0 : (left < timeout ? (int)left : timeout);
            /* Due but the writer is busy: look again soon. */
            if ((timeout == 0 || w.paused) && !writer_idle(&w))
                timeout = 5;
        }
        /* Messages are due from a partition not at its end: notice soon
         * when librdkafka stops giving them (flow.h). */
        if (!w.paused && w.assigned_count && !all_eof(&w) && timeout > FLOW_KICK_MS)
            timeout = FLOW_KICK_MS;
        update_today(&w);
        t_us = state_now_us();
        rkm = rd_kafka_consumer_poll(w.rk, timeout);
        waited_us = state_now_us() - t_us;
        w.poll_us += waited_us;
        if (!rkm && !w.paused && waited_us >= (int64_t)FLOW_KICK_MS * 1000 && flow_behind(&w))
            flow_kick(&w);
        if (rkm) {
            t_us = state_now_us();
            if (rkm->err) {
                handle_event(&w, rkm);
            } else {
                flow_on_message(&w, rkm);
                handle_message(&w, rkm);
            }
            w.decode_us += state_now_us() - t_us;
        }
        t = state_now_ms();
        /* A batch that is full, old enough or (with --exit-on-eof) at the
         * end of input goes to the writer when it is free; until then the
         * open batch keeps filling, up to ingest.batch.max_bytes, where the
         * partitions pause (flow.h). The main thread never waits. */
        over = w.batch.bytes >= (size_t)cfg->batch_max_bytes;
        due = w.batch.count >= (size_t)cfg->batch_max_messages || over ||
              t - w.batch.first_ms >= cfg->batch_max_ms || (opts->exit_on_eof && all_eof(&w));
        if (!batch_is_empty(&w.batch) && due && writer_idle(&w)) {
            writer_hand_off(&w);
            flow_resume(&w);
        } else if (over) {
            flow_pause(&w);
        }
        if (cfg->stats_interval_ms && t - w.last_stats_ms >= cfg->stats_interval_ms)
            log_stats(&w, false);
        w.snap.loop_ms = t;
        if (w.metrics && t - w.last_publish_ms >= 200)
            state_publish(&w);
        if (opts->exit_on_eof && writer_idle(&w) && batch_is_empty(&w.batch) && all_eof(&w)) {
            log_info("worker", "every assigned partition consumed and committed; exiting");
            break;
        }
    }
    /* Finish the open batch if PostgreSQL lets us, else leave it for
     * redelivery; then leave the group (which revokes our partitions). */
    w.snap.stopping = true;
    state_publish(&w);
    writer_flush(&w, 5000);
out_ok:
    rc = w.fatal ? 1 : 0;
out:
    writer_stop(&w);
    if (w.rk) {
        log_info("worker", "leaving the consumer group");
        rd_kafka_consumer_close(w.rk);
        rd_kafka_destroy(w.rk);
    }
    if (topics)
        rd_kafka_topic_partition_list_destroy(topics);
    {
        /* The last commits' rollup, so that a backfill ends with the
         * counts up to date (when PostgreSQL is reachable). */
        rollup_stats_t rs;
        rollup_stop(w.rollup, rc == 0 && !w.fatal, &rs);
        w.rollup = NULL;
        if (rs.runs || rs.failures)
            log_info("stats", "rollup: %" PRIu64 " runs, %" PRIu64 " failed, %" PRIu64
                     " kept rows changed, %.1f s busy", rs.runs, rs.failures, rs.rows,
                     (double)rs.busy_us / 1e6);
    }
    log_stats(&w, true);
    /* Where the time went, for tuning (bench/RESULTS.md reads this line). */
    if (w.paused)      /* the last pause's time (the consumer is gone) */
        w.paused_us += state_now_us() - w.paused_since_us;
    log_info("stats",
             "time: main thread polling %.1f s, decoding %.1f s, paused for the writer "
             "%.1f s; writer thread writing %.1f s; %" PRIu64 " pauses, %" PRIu64 " kicks",
             (double)w.poll_us / 1e6, (double)w.decode_us / 1e6, (double)w.paused_us / 1e6,
             (double)w.writer_busy_us / 1e6, w.pauses, w.kicks);
    metrics_stop(w.metrics);
    batch_free(&w.batch);
    batch_free(&w.job.batch);
    if (w.paused_parts)
        rd_kafka_topic_partition_list_destroy(w.paused_parts);
    free(w.job.parts);
    free(w.job.fenced);
    pg_sink_destroy(w.sink);
    pthread_cond_destroy(&w.wr_cond);
    pthread_mutex_destroy(&w.wr_lock);
    pthread_mutex_destroy(&w.stats_lock);
    free(w.assigned);
    return rc;
}

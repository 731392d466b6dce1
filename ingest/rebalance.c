/*
 * rebalance.c - the ingest worker's partition assignments (see
 * rebalance.h): on assignment it claims the partitions in PostgreSQL
 * (bumping their epoch, so a zombie that still holds them is fenced) and
 * starts each from the offset stored there; on revocation it first writes
 * the open batch, then drops what it holds for the partitions it loses.
 * Eager and cooperative protocols alike.
 */
#include "rebalance.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "log.h"
#include "writer.h"

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

    if (!parts || !state_grow_assigned(w, (size_t)list->cnt)) {
        log_error("worker", "out of memory in rebalance");
        w->fatal = true;
        state_run = 0;
        goto out;
    }
    for (int i = 0; i < list->cnt; i++) {
        report_kind_t kind;
        if (!state_topic_kind(w, list->elems[i].topic, &kind))
            continue;
        parts[n].topic = state_kind_topic(w, kind);
        parts[n].kind = kind;
        parts[n].partition = list->elems[i].partition;
        n++;
    }
    for (;;) {
        if (state_ensure_pg(w)) {
            if (pg_sink_claim(w->sink, parts, n, errbuf, sizeof(errbuf)) == PG_OK)
                break;
            log_warn("pg", "%s", errbuf);
        }
        if (!state_run) {
            /* Shutting down: consume nothing rather than guess offsets. */
            for (int i = 0; i < list->cnt; i++)
                list->elems[i].offset = RD_KAFKA_OFFSET_END;
            n = 0;
            break;
        }
        state_nap(backoff);
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
        state_forget_assigned(w, parts[i].kind, parts[i].partition);
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

void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
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
        writer_flush(w, 10000);
        for (int i = 0; i < list->cnt; i++) {
            report_kind_t kind;
            if (!state_topic_kind(w, list->elems[i].topic, &kind))
                continue;
            batch_drop_partition(&w->batch, kind, list->elems[i].partition);
            state_forget_assigned(w, kind, list->elems[i].partition);
            log_debug("worker", "[%s/%" PRId32 "] revoked", list->elems[i].topic,
                      list->elems[i].partition);
        }
        log_info("worker", "%d partition(s) revoked; now consuming %zu", list->cnt,
                 w->assigned_count);
        /* The open batch went with the flush: nothing to hold back, and no
         * partition may stay paused in librdkafka behind our back. */
        flow_resume(w);
        if (cooperative)
            error = rd_kafka_incremental_unassign(rk, list);
        else
            aerr = rd_kafka_assign(rk, NULL);
        break;
    default:
        log_error("kafka", "rebalance failed: %s", rd_kafka_err2str(err));
        batch_clear(&w->batch);
        w->assigned_count = 0;
        flow_resume(w);
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


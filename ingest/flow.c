/*
 * flow.c - pausing, resuming and kicking the assigned partitions (see
 * flow.h).
 */
#include "flow.h"

#include "log.h"

/* Pauses or resumes parts, or everything assigned when parts is NULL. */
static void apply(worker_t *w, rd_kafka_topic_partition_list_t *parts, bool pause)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    rd_kafka_resp_err_t err;

    if (!w->rk)
        return;
    if (!parts) {
        if ((err = rd_kafka_assignment(w->rk, &assigned))) {
            log_warn("kafka", "cannot read the assignment to %s it: %s",
                     pause ? "pause" : "resume", rd_kafka_err2str(err));
            return;
        }
        parts = assigned;
    }
    if (parts->cnt > 0) {
        err = pause ? rd_kafka_pause_partitions(w->rk, parts)
                    : rd_kafka_resume_partitions(w->rk, parts);
        if (err)
            log_warn("kafka", "%s failed: %s", pause ? "pause" : "resume", rd_kafka_err2str(err));
    }
    if (assigned)
        rd_kafka_topic_partition_list_destroy(assigned);
}

void flow_pause(worker_t *w)
{
    if (w->paused)
        return;
    apply(w, NULL, true);
    w->paused = true;
    w->paused_since_us = state_now_us();
    w->pauses++;
    log_debug("worker", "open batch at %zu messages, %zu bytes while the writer works: "
              "partitions paused", w->batch.count, w->batch.bytes);
}

void flow_resume(worker_t *w)
{
    if (!w->paused)
        return;
    apply(w, NULL, false);
    w->paused = false;
    w->paused_us += state_now_us() - w->paused_since_us;
}

void flow_kick(worker_t *w)
{
    if (w->paused)
        return;
    apply(w, NULL, true);
    apply(w, NULL, false);
    w->kicks++;
}

void flow_on_assign(worker_t *w, rd_kafka_topic_partition_list_t *parts)
{
    if (w->paused)
        apply(w, parts, true);
}

/*
 * flow.c - pausing, resuming and kicking the assigned partitions (see
 * flow.h).
 *
 * Only partitions the worker has consumed from are ever paused: librdkafka
 * 2.0.2 resumes a paused partition at the position of the last message it
 * gave the application, and one it gave nothing yet (its start offset still
 * logical, "beginning") would stay stuck after a pause. Those few keep
 * fetching; the first message one of them delivers while the worker is
 * paused pauses it too (flow_on_message()). And only what was paused is
 * resumed: a resume of a running partition restarts its fetching from its
 * start offset. So the paused set is kept here. And a resume does not wake
 * librdkafka's broker thread, which may then sleep up to its second before
 * fetching again: every resume and every kick ends with a seek of each
 * partition to its own position (asynchronous; its version barrier keeps
 * anything fetched before from reaching the worker), and a seek wakes it.
 */
#include "flow.h"

#include "log.h"

/* The partitions of list that have a position (something was consumed). */
static rd_kafka_topic_partition_list_t *consumed_from(worker_t *w,
                                                      rd_kafka_topic_partition_list_t *list)
{
    rd_kafka_topic_partition_list_t *out = rd_kafka_topic_partition_list_new(list->cnt + 1);

    if (rd_kafka_position(w->rk, list) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return out;
    for (int i = 0; i < list->cnt; i++)
        if (list->elems[i].offset >= 0)
            rd_kafka_topic_partition_list_add(out, list->elems[i].topic,
                                              list->elems[i].partition);
    return out;
}

/* Pauses the consumed-from partitions of list (or of the assignment) and
 * adds them to the paused set. */
static void pause_some(worker_t *w, rd_kafka_topic_partition_list_t *list)
{
    rd_kafka_topic_partition_list_t *assigned = NULL, *some;
    rd_kafka_resp_err_t err;

    if (!list) {
        if ((err = rd_kafka_assignment(w->rk, &assigned))) {
            log_warn("kafka", "cannot read the assignment to pause it: %s",
                     rd_kafka_err2str(err));
            return;
        }
        list = assigned;
    }
    some = consumed_from(w, list);
    if (some->cnt > 0) {
        if ((err = rd_kafka_pause_partitions(w->rk, some)))
            log_warn("kafka", "pause failed: %s", rd_kafka_err2str(err));
        for (int i = 0; i < some->cnt; i++)
            if (!rd_kafka_topic_partition_list_find(w->paused_parts, some->elems[i].topic,
                                                    some->elems[i].partition))
                rd_kafka_topic_partition_list_add(w->paused_parts, some->elems[i].topic,
                                                  some->elems[i].partition);
    }
    rd_kafka_topic_partition_list_destroy(some);
    if (assigned)
        rd_kafka_topic_partition_list_destroy(assigned);
}

/* Seeks each partition of list that has a position to that position: the
 * fetcher restarts there at once. */
static void seek_to_positions(worker_t *w, rd_kafka_topic_partition_list_t *list)
{
    rd_kafka_topic_partition_list_t *some = consumed_from(w, list);
    rd_kafka_error_t *error;

    if (some->cnt > 0 && rd_kafka_position(w->rk, some) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        (error = rd_kafka_seek_partitions(w->rk, some, 0))) {
        log_warn("kafka", "seek failed: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(some);
}

/* Resumes the paused set, wakes the fetcher, and empties the set. */
static void resume_all(worker_t *w)
{
    rd_kafka_resp_err_t err;

    if (w->paused_parts->cnt > 0) {
        if ((err = rd_kafka_resume_partitions(w->rk, w->paused_parts)))
            log_warn("kafka", "resume failed: %s", rd_kafka_err2str(err));
        seek_to_positions(w, w->paused_parts);
    }
    rd_kafka_topic_partition_list_destroy(w->paused_parts);
    w->paused_parts = rd_kafka_topic_partition_list_new(16);
}

void flow_pause(worker_t *w)
{
    if (w->paused || !w->rk)
        return;
    pause_some(w, NULL);
    w->paused = true;
    w->paused_since_us = state_now_us();
    w->pauses++;
    log_debug("worker", "open batch at %zu messages, %zu bytes while the writer works: "
              "%d partition(s) paused", w->batch.count, w->batch.bytes, w->paused_parts->cnt);
}

void flow_resume(worker_t *w)
{
    if (!w->paused || !w->rk)
        return;
    resume_all(w);
    w->paused = false;
    w->paused_us += state_now_us() - w->paused_since_us;
}

bool flow_behind(worker_t *w)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;
    bool behind = false;

    if (!w->rk || rd_kafka_assignment(w->rk, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return false;
    if (rd_kafka_position(w->rk, assigned) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < assigned->cnt && !behind; i++) {
            int64_t lo, hi;
            const rd_kafka_topic_partition_t *p = &assigned->elems[i];
            if (p->offset < 0 ||
                rd_kafka_get_watermark_offsets(w->rk, p->topic, p->partition, &lo, &hi) !=
                    RD_KAFKA_RESP_ERR_NO_ERROR)
                continue;
            behind = hi > p->offset;
        }
    }
    rd_kafka_topic_partition_list_destroy(assigned);
    return behind;
}

void flow_kick(worker_t *w)
{
    rd_kafka_topic_partition_list_t *assigned = NULL;

    if (w->paused || !w->rk || rd_kafka_assignment(w->rk, &assigned))
        return;
    seek_to_positions(w, assigned);
    rd_kafka_topic_partition_list_destroy(assigned);
    w->kicks++;
}

void flow_on_message(worker_t *w, const rd_kafka_message_t *rkm)
{
    rd_kafka_topic_partition_list_t *one;

    if (!w->paused ||
        rd_kafka_topic_partition_list_find(w->paused_parts, rd_kafka_topic_name(rkm->rkt),
                                           rkm->partition))
        return;
    one = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(one, rd_kafka_topic_name(rkm->rkt), rkm->partition);
    pause_some(w, one);
    rd_kafka_topic_partition_list_destroy(one);
}

/*
 * state.c - the helpers the parts of the ingest worker share (see state.h).
 */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

atomic_int state_run = 1;

int64_t state_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t state_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void state_nap(int ms)
{
    while (ms > 0 && state_run) {
        int slice = ms < 100 ? ms : 100;
        struct timespec ts = {0, (long)slice * 1000000L};
        nanosleep(&ts, NULL);
        ms -= slice;
    }
}

const char *state_kind_topic(const worker_t *w, report_kind_t kind)
{
    return kind == REPORT_TREATMENT ? w->cfg->topic_treatments : w->cfg->topic_complications;
}

bool state_topic_kind(const worker_t *w, const char *topic, report_kind_t *kind)
{
    if (strcmp(topic, w->cfg->topic_treatments) == 0)
        *kind = REPORT_TREATMENT;
    else if (strcmp(topic, w->cfg->topic_complications) == 0)
        *kind = REPORT_COMPLICATION;
    else
        return false;
    return true;
}

assigned_t *state_find_assigned(worker_t *w, report_kind_t kind, int32_t partition)
{
    for (size_t i = 0; i < w->assigned_count; i++)
        if (w->assigned[i].part.kind == kind && w->assigned[i].part.partition == partition)
            return &w->assigned[i];
    return NULL;
}

void state_forget_assigned(worker_t *w, report_kind_t kind, int32_t partition)
{
    for (size_t i = 0; i < w->assigned_count; i++) {
        if (w->assigned[i].part.kind == kind && w->assigned[i].part.partition == partition) {
            w->assigned[i] = w->assigned[--w->assigned_count];
            return;
        }
    }
}

bool state_grow_assigned(worker_t *w, size_t extra)
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

bool state_ensure_pg(worker_t *w)
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
        state_run = 0;
        return false;
    }
    if (status != PG_OK) {
        log_warn("pg", "%s", errbuf);
        return false;
    }
    log_info("pg", "connected");
    return true;
}

void state_publish(worker_t *w)
{
    if (!w->metrics)
        return;
    pthread_mutex_lock(&w->stats_lock);
    metrics_publish(w->metrics, &w->snap);
    pthread_mutex_unlock(&w->stats_lock);
    w->last_publish_ms = state_now_ms();
}

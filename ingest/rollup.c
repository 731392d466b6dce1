/*
 * rollup.c - the worker's rollup thread (see rollup.h).
 *
 * States, under lock: idle (no poke pending) -> pending (poked) -> running
 * (the thread took the pending poke and runs one rollup, unlocked) -> idle
 * or pending again (poked meanwhile). stop sets quit; with final, a pending
 * poke is served before the thread ends.
 */
#include "rollup.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "log.h"

struct rollup {
    char *conninfo;
    int min_interval_ms;
    PGconn *conn;            /* the thread's */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool pending, quit, final;   /* under lock */
    rollup_stats_t stats;        /* under lock */
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Connects when needed. Returns false, logging why, when it cannot. */
static bool ensure_conn(rollup_t *ru)
{
    const char *const keywords[] = {"fallback_application_name", "dbname", NULL};
    const char *const values[] = {"needlewatch-ingest rollup", ru->conninfo, NULL};

    if (ru->conn && PQstatus(ru->conn) == CONNECTION_OK)
        return true;
    PQfinish(ru->conn);
    ru->conn = PQconnectdbParams(keywords, values, 1);
    if (PQstatus(ru->conn) == CONNECTION_OK)
        return true;
    log_warn("rollup", "cannot connect: %s", PQerrorMessage(ru->conn));
    PQfinish(ru->conn);
    ru->conn = NULL;
    return false;
}

/* One rollup. Returns the kept rows changed, or -1. */
static long long run_once(rollup_t *ru)
{
    PGresult *res;
    long long rows = -1;

    if (!ensure_conn(ru))
        return -1;
    res = PQexec(ru->conn, "SELECT needlewatch.kept_rollup()");
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        rows = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    else
        log_warn("rollup", "failed, will retry: %s", PQerrorMessage(ru->conn));
    PQclear(res);
    return rows;
}

static void *rollup_main(void *arg)
{
    rollup_t *ru = arg;
    int64_t last_start_us = 0;

    pthread_mutex_lock(&ru->lock);
    for (;;) {
        while (!ru->pending && !ru->quit)
            pthread_cond_wait(&ru->cond, &ru->lock);
        if (ru->quit && !(ru->final && ru->pending))
            break;
        /* Honour the least interval, unless stopping. */
        if (!ru->quit && ru->min_interval_ms > 0) {
            int64_t wait_us = last_start_us + (int64_t)ru->min_interval_ms * 1000 - mono_us();
            if (wait_us > 0) {
                struct timespec until;
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += (time_t)(wait_us / 1000000);
                until.tv_nsec += (long)(wait_us % 1000000) * 1000;
                if (until.tv_nsec >= 1000000000L) {
                    until.tv_sec++;
                    until.tv_nsec -= 1000000000L;
                }
                pthread_cond_timedwait(&ru->cond, &ru->lock, &until);
                continue;
            }
        }
        ru->pending = false;
        pthread_mutex_unlock(&ru->lock);

        last_start_us = mono_us();
        long long rows = run_once(ru);
        int64_t took = mono_us() - last_start_us;

        pthread_mutex_lock(&ru->lock);
        ru->stats.busy_us += took;
        if (rows >= 0) {
            ru->stats.runs++;
            ru->stats.rows += (uint64_t)rows;
            ru->stats.last_ok_ms = (last_start_us + took) / 1000;
            log_debug("rollup", "changed %lld kept rows in %lld ms", rows,
                      (long long)(took / 1000));
        } else {
            ru->stats.failures++;
            if (ru->quit)
                break;   /* stopping: do not retry against a database that is down */
        }
    }
    pthread_mutex_unlock(&ru->lock);
    PQfinish(ru->conn);
    ru->conn = NULL;
    return NULL;
}

rollup_t *rollup_start(const char *conninfo, int min_interval_ms)
{
    rollup_t *ru = calloc(1, sizeof(*ru));

    if (!ru)
        return NULL;
    ru->min_interval_ms = min_interval_ms;
    if (!(ru->conninfo = strdup(conninfo ? conninfo : "")))
        goto fail_conninfo;
    if (pthread_mutex_init(&ru->lock, NULL) != 0)
        goto fail_lock;
    if (pthread_cond_init(&ru->cond, NULL) != 0)
        goto fail_cond;
    if (pthread_create(&ru->thread, NULL, rollup_main, ru) != 0)
        goto fail_thread;
    return ru;
fail_thread:
    pthread_cond_destroy(&ru->cond);
fail_cond:
    pthread_mutex_destroy(&ru->lock);
fail_lock:
    free(ru->conninfo);
fail_conninfo:
    free(ru);
    return NULL;
}

void rollup_poke(rollup_t *ru)
{
    if (!ru)
        return;
    pthread_mutex_lock(&ru->lock);
    ru->pending = true;
    pthread_cond_signal(&ru->cond);
    pthread_mutex_unlock(&ru->lock);
}

void rollup_stop(rollup_t *ru, bool final, rollup_stats_t *last)
{
    if (last)
        memset(last, 0, sizeof(*last));
    if (!ru)
        return;
    pthread_mutex_lock(&ru->lock);
    ru->quit = true;
    ru->final = final;
    pthread_cond_signal(&ru->cond);
    pthread_mutex_unlock(&ru->lock);
    pthread_join(ru->thread, NULL);
    if (last)
        *last = ru->stats;
    pthread_cond_destroy(&ru->cond);
    pthread_mutex_destroy(&ru->lock);
    free(ru->conninfo);
    free(ru);
}

void rollup_get_stats(rollup_t *ru, rollup_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!ru)
        return;
    pthread_mutex_lock(&ru->lock);
    *out = ru->stats;
    pthread_mutex_unlock(&ru->lock);
}

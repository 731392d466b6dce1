/*
 * rollup.h - folds what the worker committed into the kept counts, off the
 * ingest's path.
 *
 * The ingest transaction stores reports, quarantine rows and offsets, and
 * nothing else. After each commit the worker pokes this module, whose own
 * thread and PostgreSQL connection then run needlewatch.kept_rollup()
 * (sql/repeatable/30_kept.sql: one rollup at a time across all workers,
 * exact whatever the interleaving). Pokes that arrive while a rollup runs
 * are folded into the next one, so under a backlog the rollups grow to
 * cover several batches each, and the counts lag the reports by about one
 * rollup. A rollup that fails (PostgreSQL down) is retried at the next poke;
 * nothing is lost meanwhile, the versions stay in the report tables.
 *
 * Ownership: the rollup_t owns its thread and connection; rollup_stop()
 * joins the thread, closes the connection and frees it.
 */
#ifndef NW_ROLLUP_H
#define NW_ROLLUP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rollup rollup_t;

typedef struct rollup_stats {
    uint64_t runs;        /* rollups that committed */
    uint64_t failures;    /* rollups that failed (retried at the next poke) */
    uint64_t rows;        /* kept rows they changed */
    int64_t busy_us;      /* time spent in them */
    int64_t last_ok_ms;   /* CLOCK_MONOTONIC ms of the last success, 0 = none */
} rollup_stats_t;

/* Starts the thread. conninfo is copied. min_interval_ms: the least time
 * between the starts of two rollups of this worker. Returns NULL when the
 * thread cannot start or memory runs out. */
rollup_t *rollup_start(const char *conninfo, int min_interval_ms);

/* Asks for a rollup (after a commit). Never blocks on PostgreSQL. */
void rollup_poke(rollup_t *ru);

/* Stops the thread and frees ru (NULL is fine: *last is then zeros). When
 * final, first runs one more rollup if any poke is pending, waiting for it.
 * last (may be NULL) receives the final counters. */
void rollup_stop(rollup_t *ru, bool final, rollup_stats_t *last);

/* A consistent copy of the counters. */
void rollup_get_stats(rollup_t *ru, rollup_stats_t *out);

#endif

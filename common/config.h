/*
 * config.h - the configuration of needlewatch's programs: one .properties
 * file serves the ingest worker and the analyzer alike.
 *
 * Every key lives in one table in config.c, with its type, default,
 * bounds, whether it is a secret, and which program reads it (the other
 * accepts it and ignores it, so both can read the same file). Keys come, in
 * this order, from the --config file, from NEEDLEWATCH_* environment
 * variables, and from -X arguments; a later source overrides an earlier
 * one. kafka.* keys go to librdkafka as they are (validated by librdkafka
 * when set) and pg.conninfo goes to libpq. Errors in a file read
 * "file:line: what is wrong"; --dump-config prints the keys of one program
 * with every secret masked.
 */
#ifndef NW_CONFIG_H
#define NW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "log.h"

typedef struct nw_kv {
    char *key;   /* without the "kafka." prefix */
    char *value;
} nw_kv_t;

/* Which program reads a key (a bit mask in the table). */
typedef enum {
    CONFIG_INGEST = 1,  /* needlewatch-ingest */
    CONFIG_ANALYZE = 2, /* needlewatch-analyze */
} config_program_t;

/* ingest.on_gap: what the worker does when offsets it has not stored were
 * deleted from Kafka (see ingest/gaps.h). */
typedef enum { ON_GAP_CONTINUE = 0, ON_GAP_STOP } nw_on_gap_t;

typedef struct nw_config {
    config_program_t program;   /* whose defaults, dump and checks */
    char *pg_conninfo;          /* "" = libpq's PG* environment and .pgpass */
    char *topic_treatments;
    char *topic_complications;
    int batch_max_messages;
    int batch_max_ms;
    int batch_max_bytes;        /* open batch bound while the writer works (flow.h) */
    int max_message_bytes;
    int max_depth;
    int stats_interval_ms;
    int pg_retry_max_ms;        /* ceiling of the reconnect backoff */
    int pg_give_up_ms;          /* --exit-on-eof: PostgreSQL unreachable at start this long: exit 1 */
    int rollup_interval_ms;     /* least time between two rollups; 0 = none by this worker */
    nw_log_level_t log_level;
    char *metrics_listen;       /* "" = no metrics endpoint */
    int on_gap;                 /* nw_on_gap_t */

    /* The analyzer's keys: where --publish-signals goes, and the defaults
     * of its options (each option on the command line wins). */
    char *topic_signals;
    int suppress_below;         /* 0 = off */
    int ears_baseline;
    double ears_alpha;
    double ears_min_sigma;
    int alert_min_cases;
    char *horizons;             /* "30,90": the risks' follow-up horizons, days */
    char *alert_method;         /* rate-scan, ears-c2, farrington, glr (checked by the analyzer) */
    double alert_q_level;
    int alert_windows;
    int alert_history_weeks;
    int alert_report_days;      /* 0 = from the observed delays */
    double farrington_alpha;
    int farrington_years;
    double glr_threshold;
    int glr_baseline;

    /* kafka.* pairs in the order given (later ones win in librdkafka too). */
    rd_kafka_conf_t *kconf;     /* owned; holds every kafka.* key already applied */
    nw_kv_t *kafka;
    size_t kafka_count;
} nw_config_t;

/* Fills cfg with the defaults of program (the worker's also set the
 * librdkafka consumer properties it needs). Returns false only when out of
 * memory. */
bool config_init(nw_config_t *cfg, config_program_t program) __attribute__((warn_unused_result));
void config_free(nw_config_t *cfg);

/* Sets one key. On error errbuf says what is wrong with the key or value. */
bool config_set(nw_config_t *cfg, const char *key, const char *value, char *errbuf,
                size_t errsize) __attribute__((warn_unused_result));

/* Loads a .properties file; errors read "file:line: ...". Warns when the file
 * holds a secret and is readable by group or others. */
bool config_load_file(nw_config_t *cfg, const char *path, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* Applies NEEDLEWATCH_* variables from envp: NEEDLEWATCH_PG_CONNINFO sets
 * pg.conninfo, NEEDLEWATCH_KAFKA_BOOTSTRAP_SERVERS sets
 * kafka.bootstrap.servers ('_' becomes '.'), and so on. */
bool config_load_env(nw_config_t *cfg, char **envp, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* Applies one -X argument "key=value"; on error errbuf reads
 * "-X key=value: ...". */
bool config_load_arg(nw_config_t *cfg, const char *arg, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* Checks cross-key rules of cfg's program once everything is loaded. */
bool config_validate(const nw_config_t *cfg, char *errbuf, size_t errsize)
    __attribute__((warn_unused_result));

/* True for keys whose values must never be printed. */
bool config_key_is_secret(const char *key);

/* Returns conninfo with any password replaced by "****" (malloc'd, caller
 * frees), or NULL when out of memory. Unparseable input is masked whole. */
char *config_mask_conninfo(const char *conninfo);

/* Writes every key of cfg's program with its effective value, secrets
 * masked. */
void config_dump(const nw_config_t *cfg, FILE *out);

/* Prints the keys of program with defaults and descriptions (for --help). */
void config_print_keys(FILE *out, config_program_t program);

#endif

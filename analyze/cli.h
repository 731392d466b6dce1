/*
 * cli.h - the parse step: needlewatch-analyze's command line and its
 * configuration.
 *
 *   needlewatch-analyze [--config FILE] [-X KEY=VALUE]... [--pg CONNINFO]
 *                       [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 *                       [--as-of YYYY-MM-DD] [--horizons LIST]
 *                       [--format text|json|csv|html] [--output FILE]
 *                       [signal, alert and suppression options]
 *                       [--persist] [--publish-signals ...]
 *   needlewatch-analyze --verify [--pg CONNINFO]
 *   needlewatch-analyze --dump-config | --help | --version
 *
 * Every option is in one table (cli.c). The configuration is the worker's
 * (common/config.h): the --config file, then NEEDLEWATCH_* variables, then
 * -X, then the options of the command line that set a key (--pg sets
 * pg.conninfo, --kafka-bootstrap kafka.bootstrap.servers, --signals-topic
 * topic.signals, --suppress-below, --horizons and the alert options the
 * analyze.* keys), so an option always wins over the file. Parsing is pure (no
 * I/O besides getopt's state), so the unit tests can drive it; main() turns an
 * error of cli_parse() or cli_configure() into exit code 2.
 */
#ifndef NW_CLI_H
#define NW_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

#define CLI_MAX_OVERRIDES 64
#define CLI_MAX_HORIZONS 8

typedef enum {
    FORMAT_AUTO = 0, /* text on a terminal, json otherwise */
    FORMAT_TEXT,
    FORMAT_JSON,
    FORMAT_CSV,
    FORMAT_HTML, /* one self-contained page with charts */
} format_t;

/* A command-line option that sets a configuration key. */
typedef struct {
    const char *key;   /* "pg.conninfo", ... */
    const char *value; /* borrowed from argv */
} cli_setting_t;

typedef struct {
    const char *config_path; /* --config, borrowed from argv; NULL: none */
    char from[11];           /* "YYYY-MM-DD", or "" when open */
    char to[11];
    char as_of[11];          /* --as-of "YYYY-MM-DD", or "" for today (UTC) */
    format_t format;
    const char *output;      /* borrowed from argv; NULL = stdout */
    bool verify;             /* recount and compare the kept counts instead of reporting */
    bool persist;            /* store the run's signals and alerts in PostgreSQL */
    bool publish;            /* produce the signals and alerts to Kafka */
    bool kafka_bootstrap;    /* --kafka-bootstrap was given */
    bool dump_config;
    bool help;
    bool version;
    /* -X arguments, then the options that set keys, in the order given. */
    const char *overrides[CLI_MAX_OVERRIDES];
    size_t n_overrides;
    cli_setting_t settings[CLI_MAX_OVERRIDES];
    size_t n_settings;
} cli_t;

/* Parses argv into cli. Returns 0, or -1 with the reason in errbuf (a
 * usage error: unknown option, missing or bad value, stray argument, --from
 * after --to, --verify with an option of the report). Resets getopt, so it
 * can be called more than once. */
int cli_parse(int argc, char **argv, cli_t *cli, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* Loads cfg (fresh from config_init(cfg, CONFIG_ANALYZE)) from the --config
 * file, envp's NEEDLEWATCH_* variables, the -X arguments and the options
 * that set keys, in that order, and checks what needs all of them
 * (--publish-signals needs a bootstrap server). Returns 0, or -1 with the
 * reason in errbuf ("file:line: ..." for an error in the file). */
int cli_configure(const cli_t *cli, nw_config_t *cfg, char **envp, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* Parses a list of follow-up horizons ("30,90": days, each 1..365, at most
 * CLI_MAX_HORIZONS, none twice) into horizons[0..*n-1], ascending. Returns
 * 0, or -1 with the reason in errbuf, naming what (the option or key). */
int cli_parse_horizons(const char *what, const char *list, int *horizons, size_t *n,
                       char *errbuf, size_t errlen) __attribute__((warn_unused_result));

/* The bootstrap servers cfg gives librdkafka, or NULL. */
const char *cli_bootstrap(const nw_config_t *cfg);

/* The --help text. */
void cli_usage(FILE *out, const char *progname);

#endif

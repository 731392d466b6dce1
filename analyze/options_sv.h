/*
 * options_sv.h - the surveillance options of needlewatch-analyze: signals,
 * alerts, suppression, persistence and publication. options.c owns the
 * command line and hands these options (long-option codes OPT_SV_*) here.
 * Pure.
 */
#ifndef NW_OPTIONS_SV_H
#define NW_OPTIONS_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPT_SV_MAX_KAFKA_PROPS 32

enum {
    OPT_SV_SUPPRESS_BELOW = 1000,
    OPT_SV_EARS_BASELINE,
    OPT_SV_EARS_ALPHA,
    OPT_SV_EARS_MIN_SIGMA,
    OPT_SV_ALERT_MIN_CASES,
    OPT_SV_PERSIST,
    OPT_SV_PUBLISH,
    OPT_SV_KAFKA_BOOTSTRAP,
    OPT_SV_SIGNALS_TOPIC,
    OPT_SV_KAFKA_PROP, /* -X */
};

typedef struct {
    int64_t suppress_below;  /* 0: off; else hide counts 1..N-1 */
    size_t ears_baseline;    /* default 7 */
    double ears_alpha;       /* default 0.001 */
    double ears_min_sigma;   /* default 0 */
    int64_t alert_min_cases; /* default 3 */
    bool persist;            /* store the run's signals and alerts in PostgreSQL */
    bool publish;            /* produce the signals to Kafka */
    const char *kafka_bootstrap;   /* borrowed from argv */
    const char *signals_topic;     /* default "signals" */
    const char *kafka_props[OPT_SV_MAX_KAFKA_PROPS]; /* "key=value", kafka. prefix allowed */
    size_t n_kafka_props;
} options_sv_t;

#define OPT_SV_LONG_OPTIONS                                                        \
    {"suppress-below", required_argument, NULL, OPT_SV_SUPPRESS_BELOW},           \
    {"ears-baseline", required_argument, NULL, OPT_SV_EARS_BASELINE},             \
    {"ears-alpha", required_argument, NULL, OPT_SV_EARS_ALPHA},                   \
    {"ears-min-sigma", required_argument, NULL, OPT_SV_EARS_MIN_SIGMA},           \
    {"alert-min-cases", required_argument, NULL, OPT_SV_ALERT_MIN_CASES},         \
    {"persist", no_argument, NULL, OPT_SV_PERSIST},                                \
    {"publish-signals", no_argument, NULL, OPT_SV_PUBLISH},                        \
    {"kafka-bootstrap", required_argument, NULL, OPT_SV_KAFKA_BOOTSTRAP},         \
    {"signals-topic", required_argument, NULL, OPT_SV_SIGNALS_TOPIC}

void options_sv_defaults(options_sv_t *sv);

/* Handles one option (code ch, value arg). Returns 0, or -1 with the reason
 * in errbuf. */
int options_sv_parse(options_sv_t *sv, int ch, const char *arg, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* Checks combinations once every option is read. */
int options_sv_check(const options_sv_t *sv, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

void options_sv_usage(FILE *out);

#endif

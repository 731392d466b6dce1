/*
 * publish.h - the export step's --publish-signals: one JSON message per
 * signal and per alert of this run, produced to Kafka (topic.signals,
 * "signals" by default) with an idempotent librdkafka producer; it waits
 * for every delivery report.
 *
 * Message key (the contract is what publish.c writes):
 *   signal/DEVICE_TYPE/COMPLICATION                  a device-type signal
 *   signal/model/MANUFACTURER/MODEL/COMPLICATION     a model signal
 *   alert/DEVICE_TYPE/SETTING/COMPLICATION/WEEK_START
 * so one subject stays on one partition (DEVICE_TYPE and SETTING may be
 * "all"; WEEK_START is the Monday, YYYY-MM-DD). Value: {"kind",
 * "generated_at", "window", and under the kind the row as in the JSON
 * report}. Suppression applies: a suppressed signal is not published (its
 * flag is not public), a suppressed alert goes without its numbers.
 */
#ifndef NW_PUBLISH_H
#define NW_PUBLISH_H

#include <stddef.h>

#include "config.h"
#include "findings.h"

/* Where to publish. */
typedef struct {
    const char *topic;        /* topic.signals */
    const nw_kv_t *kafka;     /* the configuration's kafka.* properties, in order */
    size_t kafka_count;
} publish_opts_t;

/* Returns the number of messages delivered (>= 0), or -1 with the reason
 * in errbuf (a configuration error, or a message not delivered in time). */
long publish_signals(const publish_opts_t *opts, const findings_t *findings, char *errbuf,
                     size_t errlen) __attribute__((warn_unused_result));

#endif

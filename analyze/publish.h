/*
 * publish.h - --publish-signals: one JSON message per signal and per alert
 * of this run, produced to Kafka (topic "signals" by default) with an
 * idempotent librdkafka producer; it waits for every delivery report.
 *
 * Message key: "signal/DEVICE_TYPE[/MODEL]/COMPLICATION" or
 * "alert/DEVICE_TYPE/COMPLICATION/WEEK_START", so one subject stays on one
 * partition. Value: {"kind", "generated_at", "window", the row as in the
 * JSON report}. Suppression applies: a suppressed signal is not published
 * (its flag is not public), a suppressed alert goes without its numbers.
 */
#ifndef NW_PUBLISH_H
#define NW_PUBLISH_H

#include <stddef.h>

#include "analysis.h"
#include "options_sv.h"
#include "render.h"

/* Returns the number of messages delivered (>= 0), or -1 with the reason
 * in errbuf (a configuration error, or a message not delivered in time). */
long publish_signals(const options_sv_t *opts, const analysis_t *analysis,
                     const render_meta_t *meta, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

#endif

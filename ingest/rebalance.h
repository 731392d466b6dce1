/*
 * rebalance.h - the ingest worker's partition assignments: librdkafka's
 * rebalance callback (set with rd_kafka_conf_set_rebalance_cb, opaque the
 * worker_t). It runs on the main thread, inside rd_kafka_consumer_poll(),
 * and waits for the writer first: claims and the revocation's final write
 * use the sink, and a job must not outlive the assignment it was claimed
 * under.
 */
#ifndef NW_REBALANCE_H
#define NW_REBALANCE_H

#include <librdkafka/rdkafka.h>

#include "state.h"

void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                  rd_kafka_topic_partition_list_t *list, void *opaque);

#endif

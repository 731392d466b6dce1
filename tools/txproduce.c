/*
 * txproduce.c - a transactional Kafka producer for the tests.
 *
 * DEVELOPMENT AND TESTS ONLY. It reads one message per line from stdin and
 * produces them all to one topic in ONE Kafka transaction, then commits it,
 * or aborts it (--abort). Before it ends the transaction it flushes, so every
 * message is in the partition's log: an aborted message is really there, with
 * an offset, and only the transaction's abort marker says it must not be
 * read. That is what the real-Kafka tests need to show the worker never
 * stores such messages (isolation.level=read_committed). kcat can produce in
 * a transaction too, but aborts only on a signal, which makes a test depend
 * on timing.
 *
 *   needlewatch-txproduce -b BOOTSTRAP -t TOPIC --transactional-id ID
 *                         [-p PARTITION] [-K DELIM] [--abort] [-X PROP=VALUE]...
 *
 * The order of calls is librdkafka's (INTRODUCTION.md, "Transactional
 * Producer"): init_transactions, begin_transaction, produce, flush,
 * commit_transaction or abort_transaction. Any error ends the program with
 * exit code 1; usage errors with 2.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <librdkafka/rdkafka.h>

#include "log.h"

#define TX_TIMEOUT_MS 30000
#define TX_MAX_X 32

typedef struct tx_opts {
    const char *bootstrap, *topic, *txid;
    int32_t partition;
    int key_delim;           /* -1: no key */
    bool abort;
    const char *xprops[TX_MAX_X];
    int nx;
} tx_opts_t;

/* Delivery failures are counted here (dr_msg_cb); the transaction fails
 * anyway when one happens, this only says why. */
static long failed;

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: needlewatch-txproduce -b BOOTSTRAP -t TOPIC --transactional-id ID\n"
            "                             [-p PARTITION] [-K DELIM] [--abort] [-X PROP=VALUE]...\n"
            "\n"
            "Produces each line of stdin as one message to TOPIC, all in one\n"
            "transaction, flushes them into the log, then commits the transaction\n"
            "(or aborts it with --abort). -K splits each line at the first DELIM\n"
            "into key and value. Tests only.\n");
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (rkm->err) {
        if (failed++ == 0)
            log_error("kafka", "delivery failed: %s", rd_kafka_err2str(rkm->err));
    }
}

/* Returns -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, tx_opts_t *o)
{
    enum { O_TXID = 256, O_ABORT };
    static const struct option longopts[] = {
        {"transactional-id", required_argument, NULL, O_TXID},
        {"abort", no_argument, NULL, O_ABORT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    memset(o, 0, sizeof(*o));
    o->partition = RD_KAFKA_PARTITION_UA;
    o->key_delim = -1;
    while ((c = getopt_long(argc, argv, "b:t:p:K:X:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b': o->bootstrap = optarg; break;
        case 't': o->topic = optarg; break;
        case 'p': o->partition = (int32_t)atoi(optarg); break;
        case 'K':
            if (strlen(optarg) != 1) {
                fprintf(stderr, "-K: expected one character\n");
                return 2;
            }
            o->key_delim = (unsigned char)optarg[0];
            break;
        case 'X':
            if (o->nx == TX_MAX_X || !strchr(optarg, '=')) {
                fprintf(stderr, "-X: expected PROP=VALUE (at most %d)\n", TX_MAX_X);
                return 2;
            }
            o->xprops[o->nx++] = optarg;
            break;
        case O_TXID: o->txid = optarg; break;
        case O_ABORT: o->abort = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || !o->bootstrap || !o->topic || !o->txid) {
        usage(stderr);
        return 2;
    }
    return -1;
}

static bool conf_set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        log_error("config", "%s: %s", name, errstr);
        return false;
    }
    return true;
}

/* Logs a transactional API error and frees it. Returns true when there was
 * none. */
static bool tx_ok(const char *what, rd_kafka_error_t *error)
{
    if (!error)
        return true;
    log_error("kafka", "%s: %s", what, rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
    return false;
}

int main(int argc, char **argv)
{
    tx_opts_t o;
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    char errstr[512];
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long produced = 0;
    int rc;

    nw_log_init("needlewatch-txproduce");
    if ((rc = parse_args(argc, argv, &o)) >= 0)
        return rc;
    rc = 1;

    conf = rd_kafka_conf_new();
    if (!conf_set(conf, "bootstrap.servers", o.bootstrap) ||
        !conf_set(conf, "transactional.id", o.txid) ||
        !conf_set(conf, "client.id", "needlewatch-txproduce"))
        goto out;
    for (int i = 0; i < o.nx; i++) {
        char buf[1024];
        char *eq;
        snprintf(buf, sizeof(buf), "%s", o.xprops[i]);
        eq = strchr(buf, '=');
        *eq = '\0';
        if (!conf_set(conf, buf, eq + 1))
            goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        log_error("kafka", "cannot create the producer: %s", errstr);
        goto out;
    }
    /* rd_kafka_new() took ownership of conf. */
    conf = NULL;

    if (!tx_ok("init_transactions", rd_kafka_init_transactions(rk, TX_TIMEOUT_MS)) ||
        !tx_ok("begin_transaction", rd_kafka_begin_transaction(rk)))
        goto out;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        char *key = NULL, *value = line;
        size_t key_len = 0;
        rd_kafka_resp_err_t err;

        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (o.key_delim >= 0) {
            char *d = strchr(line, o.key_delim);
            if (d) {
                key = line;
                key_len = (size_t)(d - line);
                value = d + 1;
            }
        }
        err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o.topic), RD_KAFKA_V_PARTITION(o.partition),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_KEY(key, key_len),
                                RD_KAFKA_V_VALUE(value, strlen(value)), RD_KAFKA_V_END);
        if (err) {
            log_error("kafka", "produce: %s", rd_kafka_err2str(err));
            goto out;
        }
        produced++;
        rd_kafka_poll(rk, 0);
    }
    /* Every message in the log before the transaction ends, so an aborted
     * one has an offset the consumer must skip. */
    if (rd_kafka_flush(rk, TX_TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR || failed) {
        log_error("kafka", "%ld of %ld messages not delivered", failed, produced);
        goto out;
    }
    if (o.abort) {
        if (!tx_ok("abort_transaction", rd_kafka_abort_transaction(rk, TX_TIMEOUT_MS)))
            goto out;
    } else if (!tx_ok("commit_transaction", rd_kafka_commit_transaction(rk, TX_TIMEOUT_MS))) {
        goto out;
    }
    log_info("kafka", "%ld messages to %s, transaction %s", produced, o.topic,
             o.abort ? "aborted" : "committed");
    rc = 0;
out:
    free(line);
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (rk)
        rd_kafka_destroy(rk);
    return rc;
}

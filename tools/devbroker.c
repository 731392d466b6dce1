/*
 * devbroker.c - a development Kafka broker for needlewatch.
 *
 * DEVELOPMENT AND TESTS ONLY. This program runs librdkafka's built-in mock
 * cluster (rd_kafka_mock_cluster_new) on 127.0.0.1 so the demo and the
 * integration tests have a real Kafka protocol endpoint without a JVM. It
 * keeps everything in memory, loses it on exit, and keeps only a bounded
 * log per partition. In production, set kafka.bootstrap.servers to your real
 * Kafka cluster and do not run this.
 *
 * What it does, in order:
 *   1. creates an idle producer handle (the mock cluster needs an rd_kafka_t
 *      for its book keeping) and the mock cluster with --brokers brokers;
 *   2. creates the --topic topics (default treatments:8, complications:8);
 *   3. checks with a second, real client that the metadata shows every topic
 *      (the cluster is then "ready");
 *   4. prints the bootstrap string as the first line on stdout and writes it
 *      to --bootstrap-file (a temporary file renamed into place, so a reader
 *      never sees half a line);
 *   5. serves until SIGINT/SIGTERM, reading fault-injection commands from the
 *      --control FIFO if one was given, then exits 0.
 *
 * Retention: a mock partition keeps at most 5 MiB of record batches and at
 * most 100000 batches; older batches are dropped silently. librdkafka 2.0.2
 * has no setting to raise that (the limits are fixed in rdkafka_mock.c), so
 * for large loads use more partitions (--partitions 64 holds ~320 MiB per
 * topic) or consume while producing.
 *
 * Consumer groups work (JoinGroup, SyncGroup, Heartbeat, OffsetCommit and
 * OffsetFetch are mocked), with one quirk: once the last member of a group
 * leaves, the next member waits the departed member's session.timeout.ms
 * minus 1 s before it is admitted. Tests that restart consumers often should
 * set session.timeout.ms=6000.
 *
 * Control channel: one command per line, see usage() below. The FIFO is
 * opened O_RDWR|O_NONBLOCK (so it never reports end-of-file when a writer
 * goes away) and polled with a short timeout, so it never delays shutdown.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "log.h"

#define DEVBROKER_MAX_TOPICS 64
#define DEVBROKER_LINE_MAX 1024

typedef struct {
    char name[250];
    int partitions; /* -1: use --partitions */
} devbroker_topic_t;

typedef struct {
    int brokers;
    int default_partitions;
    devbroker_topic_t topics[DEVBROKER_MAX_TOPICS];
    int topic_cnt;
    const char *bootstrap_file;
    const char *control_path;
} devbroker_opts_t;

/* The control FIFO: its descriptor, whether we created it (and so remove it
 * on exit), and the bytes of a line not yet terminated. */
typedef struct {
    int fd;
    bool created;
    bool discarding; /* inside an over-long line: drop until newline */
    size_t len;
    char buf[DEVBROKER_LINE_MAX];
} devbroker_control_t;

static volatile sig_atomic_t run = 1;

static void stop_signal(int sig)
{
    (void)sig;
    run = 0;
}

static void usage(FILE *fp)
{
    fprintf(fp,
        "Usage: needlewatch-devbroker [options]\n"
        "\n"
        "A DEVELOPMENT Kafka broker: librdkafka's in-memory mock cluster on\n"
        "127.0.0.1, for the demo and the tests. It is not a Kafka server: data\n"
        "lives in memory only and each partition keeps only its newest ~5 MiB\n"
        "(and 100000 batches); librdkafka 2.0.2 offers no way to raise that, so\n"
        "use more partitions for big loads. In production, point\n"
        "kafka.bootstrap.servers at your real Kafka cluster instead.\n"
        "\n"
        "Options:\n"
        "  --brokers N                number of brokers (default 3)\n"
        "  --topic NAME[:PARTITIONS]  create a topic (repeatable; default\n"
        "                             treatments:8 and complications:8)\n"
        "  --partitions N             partitions for --topic without a count\n"
        "                             (default 8)\n"
        "  --bootstrap-file FILE      write the bootstrap string to FILE (atomically)\n"
        "                             once the cluster is ready\n"
        "  --control FIFO             create FIFO (mkfifo) and read fault-injection\n"
        "                             commands from it, one per line\n"
        "  --log-level LEVEL          error, warn, info (default) or debug\n"
        "  --help, --version\n"
        "\n"
        "The bootstrap string (host:port,...) is the first line on stdout.\n"
        "The broker runs until SIGINT or SIGTERM and then exits 0.\n"
        "Topics that clients auto-create get the mock's default of 4 partitions.\n"
        "Consumer groups work, with one quirk of the mock: once the last member\n"
        "of a group leaves, the next member to join waits session.timeout.ms\n"
        "minus 1 s (of the member that left) before it is admitted; consumers\n"
        "that restart often should use session.timeout.ms=6000 here.\n"
        "\n"
        "Control commands (each applied command is logged to stderr):\n"
        "  down ID|all                 broker refuses connections (no leader change)\n"
        "  up ID|all                   broker accepts connections again\n"
        "  errors API COUNT ERR        the next COUNT requests of API fail with ERR\n"
        "                              API: number or Produce(0) Fetch(1)\n"
        "                              ListOffsets(2) Metadata(3) OffsetCommit(8)\n"
        "                              OffsetFetch(9) FindCoordinator(10)\n"
        "                              JoinGroup(11) Heartbeat(12) LeaveGroup(13)\n"
        "                              SyncGroup(14) InitProducerId(22)\n"
        "                              ERR: number or name, e.g. NOT_COORDINATOR,\n"
        "                              REQUEST_TIMED_OUT, _TRANSPORT (disconnect)\n"
        "  clear API                   drop the queued errors of API\n"
        "  rtt ID|all MS               add MS milliseconds to every response\n"
        "  create TOPIC PARTITIONS     create a topic\n"
        "  leader TOPIC PARTITION ID   move a partition's leader (-1: none)\n"
        "Example: echo 'errors OffsetCommit 3 REQUEST_TIMED_OUT' > FIFO\n");
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
    (void)rk;
    /* The host handle has no bootstrap servers on purpose: it only owns the
     * mock cluster. Its warning about that would only confuse. */
    if (!strcmp(fac, "CONFWARN") && strstr(buf, "bootstrap.servers"))
        return;
    if (level <= 3)
        log_error("rdkafka", "%s: %s", fac, buf);
    else if (level == 4)
        log_warn("rdkafka", "%s: %s", fac, buf);
    else if (level <= 6)
        log_info("rdkafka", "%s: %s", fac, buf);
    else
        log_debug("rdkafka", "%s: %s", fac, buf);
}

/* Parses a whole decimal int in [min, max]; returns false otherwise. */
static bool parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    long v;

    if (!s || !*s)
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = (int)v;
    return true;
}

static bool valid_topic_name(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 249 || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* "NAME" or "NAME:PARTITIONS" into *t. */
static bool parse_topic_arg(const char *arg, devbroker_topic_t *t)
{
    const char *colon = strrchr(arg, ':');
    size_t n = colon ? (size_t)(colon - arg) : strlen(arg);

    if (n >= sizeof(t->name))
        return false;
    memcpy(t->name, arg, n);
    t->name[n] = '\0';
    if (!valid_topic_name(t->name))
        return false;
    t->partitions = -1;
    if (colon && !parse_int(colon + 1, 1, 100000, &t->partitions))
        return false;
    return true;
}

static const struct {
    const char *name;
    int16_t key;
} api_names[] = {
    {"Produce", 0},         {"Fetch", 1},         {"ListOffsets", 2},
    {"Metadata", 3},        {"OffsetCommit", 8},  {"OffsetFetch", 9},
    {"FindCoordinator", 10}, {"JoinGroup", 11},   {"Heartbeat", 12},
    {"LeaveGroup", 13},     {"SyncGroup", 14},    {"DescribeGroups", 15},
    {"ListGroups", 16},     {"ApiVersions", 18},  {"InitProducerId", 22},
    {"OffsetForLeaderEpoch", 23}, {"AddPartitionsToTxn", 24},
    {"AddOffsetsToTxn", 25}, {"EndTxn", 26},     {"TxnOffsetCommit", 28},
};

static bool parse_api_key(const char *s, int16_t *out)
{
    int v;

    if (parse_int(s, 0, 1000, &v)) {
        *out = (int16_t)v;
        return true;
    }
    for (size_t i = 0; i < sizeof(api_names) / sizeof(api_names[0]); i++) {
        if (!strcasecmp(s, api_names[i].name)) {
            *out = api_names[i].key;
            return true;
        }
    }
    return false;
}

/* An error code as a number or as librdkafka names it, with or without the
 * RD_KAFKA_RESP_ERR_ prefix: "REQUEST_TIMED_OUT", "_TRANSPORT", "7". */
static bool parse_err_code(const char *s, rd_kafka_resp_err_t *out)
{
    const struct rd_kafka_err_desc *descs;
    size_t cnt;
    int v;

    if (parse_int(s, -200, 1000, &v)) {
        *out = (rd_kafka_resp_err_t)v;
        return true;
    }
    if (!strncasecmp(s, "RD_KAFKA_RESP_ERR_", 18))
        s += 18;
    rd_kafka_get_err_descs(&descs, &cnt);
    for (size_t i = 0; i < cnt; i++) {
        if (descs[i].name && !strcasecmp(s, descs[i].name)) {
            *out = descs[i].code;
            return true;
        }
    }
    return false;
}

/* "all" is -1, as the mock API expects; otherwise a broker id. */
static bool parse_broker_id(const char *s, int32_t *out)
{
    int v;

    if (!strcasecmp(s, "all")) {
        *out = -1;
        return true;
    }
    if (!parse_int(s, 0, INT32_MAX, &v))
        return false;
    *out = v;
    return true;
}

/* Applies one control command line (already without its newline). Every
 * outcome is logged; a bad command changes nothing. */
static void control_apply(rd_kafka_mock_cluster_t *mcluster, int replication,
                          char *line)
{
    char *save = NULL;
    char *argv[6];
    int argc = 0;
    char *tok;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;

    for (tok = strtok_r(line, " \t\r", &save); tok && argc < 6;
         tok = strtok_r(NULL, " \t\r", &save))
        argv[argc++] = tok;
    if (argc == 0 || argv[0][0] == '#')
        return;

    if ((!strcmp(argv[0], "down") || !strcmp(argv[0], "up")) && argc == 2) {
        int32_t id;
        if (!parse_broker_id(argv[1], &id))
            goto bad;
        err = argv[0][0] == 'd' ? rd_kafka_mock_broker_set_down(mcluster, id)
                                : rd_kafka_mock_broker_set_up(mcluster, id);
        if (err)
            goto failed;
        log_info("control", "broker %s is %s", argv[1], argv[0]);

    } else if (!strcmp(argv[0], "errors") && argc == 4) {
        int16_t api;
        int count;
        rd_kafka_resp_err_t code;
        rd_kafka_resp_err_t *errs;
        if (!parse_api_key(argv[1], &api) || !parse_int(argv[2], 1, 100000, &count) ||
            !parse_err_code(argv[3], &code))
            goto bad;
        errs = malloc(sizeof(*errs) * (size_t)count);
        if (!errs) {
            log_error("control", "out of memory for %d errors", count);
            return;
        }
        for (int i = 0; i < count; i++)
            errs[i] = code;
        rd_kafka_mock_push_request_errors_array(mcluster, api, (size_t)count, errs);
        free(errs);
        log_info("control", "next %d requests of ApiKey %d fail with %s (%d)",
                 count, (int)api, rd_kafka_err2name(code), (int)code);

    } else if (!strcmp(argv[0], "clear") && argc == 2) {
        int16_t api;
        if (!parse_api_key(argv[1], &api))
            goto bad;
        rd_kafka_mock_clear_request_errors(mcluster, api);
        log_info("control", "cleared queued errors of ApiKey %d", (int)api);

    } else if (!strcmp(argv[0], "rtt") && argc == 3) {
        int32_t id;
        int ms;
        if (!parse_broker_id(argv[1], &id) || !parse_int(argv[2], 0, 3600000, &ms))
            goto bad;
        if ((err = rd_kafka_mock_broker_set_rtt(mcluster, id, ms)))
            goto failed;
        log_info("control", "broker %s rtt is %d ms", argv[1], ms);

    } else if (!strcmp(argv[0], "create") && argc == 3) {
        int parts;
        if (!valid_topic_name(argv[1]) || !parse_int(argv[2], 1, 100000, &parts))
            goto bad;
        if ((err = rd_kafka_mock_topic_create(mcluster, argv[1], parts, replication)))
            goto failed;
        log_info("control", "created topic %s with %d partitions", argv[1], parts);

    } else if (!strcmp(argv[0], "leader") && argc == 4) {
        int part;
        int id;
        if (!valid_topic_name(argv[1]) || !parse_int(argv[2], 0, 100000, &part) ||
            !parse_int(argv[3], -1, INT32_MAX, &id))
            goto bad;
        if ((err = rd_kafka_mock_partition_set_leader(mcluster, argv[1], part, id)))
            goto failed;
        log_info("control", "%s [%d] leader is now %d", argv[1], part, id);

    } else {
        goto bad;
    }
    return;

bad:
    log_warn("control", "ignored bad command \"%s\" (%d words); see --help",
             argv[0], argc);
    return;
failed:
    log_warn("control", "command \"%s\" failed: %s", argv[0], rd_kafka_err2str(err));
}

/* Creates (or reuses) the FIFO at path and opens it without blocking. */
static bool control_open(devbroker_control_t *ctl, const char *path)
{
    struct stat st;

    ctl->fd = -1;
    ctl->created = false;
    ctl->len = 0;
    ctl->discarding = false;

    if (mkfifo(path, 0600) == 0) {
        ctl->created = true;
    } else if (errno != EEXIST) {
        log_error("control", "mkfifo %s: %s", path, strerror(errno));
        return false;
    } else if (stat(path, &st) != 0 || !S_ISFIFO(st.st_mode)) {
        log_error("control", "%s exists and is not a FIFO", path);
        return false;
    }
    /* O_RDWR keeps a writer open ourselves, so poll() never reports a
     * hang-up between two writers and open() never waits for one. */
    ctl->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (ctl->fd < 0) {
        log_error("control", "open %s: %s", path, strerror(errno));
        if (ctl->created)
            unlink(path);
        ctl->created = false;
        return false;
    }
    log_info("control", "reading commands from FIFO %s", path);
    return true;
}

/* Reads what is available and applies each complete line. */
static void control_read(devbroker_control_t *ctl, rd_kafka_mock_cluster_t *mcluster,
                         int replication)
{
    char chunk[512];
    ssize_t r;

    while ((r = read(ctl->fd, chunk, sizeof(chunk))) > 0) {
        for (ssize_t i = 0; i < r; i++) {
            char c = chunk[i];
            if (c == '\n') {
                if (!ctl->discarding) {
                    ctl->buf[ctl->len] = '\0';
                    control_apply(mcluster, replication, ctl->buf);
                } else {
                    log_warn("control", "ignored a command longer than %d bytes",
                             DEVBROKER_LINE_MAX - 1);
                }
                ctl->len = 0;
                ctl->discarding = false;
            } else if (ctl->discarding) {
                continue;
            } else if (ctl->len + 1 >= sizeof(ctl->buf)) {
                ctl->discarding = true;
            } else {
                ctl->buf[ctl->len++] = c;
            }
        }
    }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        log_warn("control", "read: %s", strerror(errno));
}

static void control_close(devbroker_control_t *ctl, const char *path)
{
    if (ctl->fd >= 0)
        close(ctl->fd);
    ctl->fd = -1;
    if (ctl->created)
        unlink(path);
    ctl->created = false;
}

/* Writes "bootstraps\n" to path through path.tmp.PID and rename(), so a
 * reader sees either no file or the whole line. */
static bool write_bootstrap_file(const char *path, const char *bootstraps)
{
    char tmp[PATH_MAX];
    FILE *fp = NULL;
    bool ok = false;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
        log_error("main", "bootstrap file path too long: %s", path);
        return false;
    }
    fp = fopen(tmp, "w");
    if (!fp) {
        log_error("main", "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fprintf(fp, "%s\n", bootstraps) < 0 || fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
        log_error("main", "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(fp) != 0) {
        fp = NULL;
        log_error("main", "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    fp = NULL;
    if (rename(tmp, path) != 0) {
        log_error("main", "rename %s -> %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    ok = true;
out:
    if (fp)
        fclose(fp);
    if (!ok)
        unlink(tmp);
    return ok;
}

/* Ready means: a separate client, bootstrapped like any user would be, sees
 * every created topic with its partitions in the cluster metadata. */
static bool wait_ready(const char *bootstraps, const devbroker_opts_t *opts)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    const struct rd_kafka_metadata *md = NULL;
    bool ok = false;

    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "needlewatch-devbroker-probe", errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        log_error("probe", "%s", errstr);
        goto out;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        log_error("probe", "cannot create probe client: %s", errstr);
        goto out;
    }
    /* rd_kafka_new() takes ownership of conf */
    conf = NULL;

    for (int attempt = 0; attempt < 50 && run && !ok; attempt++) {
        int found = 0;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, &md, 2000);
        if (err) {
            log_debug("probe", "metadata: %s", rd_kafka_err2str(err));
            continue;
        }
        for (int t = 0; t < opts->topic_cnt; t++) {
            int want = opts->topics[t].partitions;
            for (int i = 0; i < md->topic_cnt; i++) {
                if (!strcmp(md->topics[i].topic, opts->topics[t].name) &&
                    md->topics[i].err == 0 && md->topics[i].partition_cnt == want) {
                    found++;
                    break;
                }
            }
        }
        ok = found == opts->topic_cnt && md->broker_cnt == opts->brokers;
        rd_kafka_metadata_destroy(md);
        md = NULL;
        if (!ok)
            usleep(100 * 1000);
    }
    if (!ok)
        log_error("probe", "the mock cluster did not show all topics in time");
out:
    if (rk)
        rd_kafka_destroy(rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    return ok;
}

static int parse_args(int argc, char **argv, devbroker_opts_t *opts)
{
    enum { OPT_BROKERS = 256, OPT_TOPIC, OPT_PARTITIONS, OPT_BOOTFILE, OPT_CONTROL,
           OPT_LOGLEVEL, OPT_HELP, OPT_VERSION };
    static const struct option longopts[] = {
        {"brokers", required_argument, NULL, OPT_BROKERS},
        {"topic", required_argument, NULL, OPT_TOPIC},
        {"partitions", required_argument, NULL, OPT_PARTITIONS},
        {"bootstrap-file", required_argument, NULL, OPT_BOOTFILE},
        {"control", required_argument, NULL, OPT_CONTROL},
        {"log-level", required_argument, NULL, OPT_LOGLEVEL},
        {"help", no_argument, NULL, OPT_HELP},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    int c;

    opts->brokers = 3;
    opts->default_partitions = 8;
    opts->topic_cnt = 0;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BROKERS:
            if (!parse_int(optarg, 1, 100, &opts->brokers)) {
                fprintf(stderr, "--brokers: expected 1..100, got \"%s\"\n", optarg);
                return 2;
            }
            break;
        case OPT_TOPIC:
            if (opts->topic_cnt == DEVBROKER_MAX_TOPICS) {
                fprintf(stderr, "--topic: at most %d topics\n", DEVBROKER_MAX_TOPICS);
                return 2;
            }
            if (!parse_topic_arg(optarg, &opts->topics[opts->topic_cnt])) {
                fprintf(stderr, "--topic: expected NAME[:PARTITIONS] with a valid "
                                "Kafka topic name, got \"%s\"\n", optarg);
                return 2;
            }
            opts->topic_cnt++;
            break;
        case OPT_PARTITIONS:
            if (!parse_int(optarg, 1, 100000, &opts->default_partitions)) {
                fprintf(stderr, "--partitions: expected a positive count, got \"%s\"\n",
                        optarg);
                return 2;
            }
            break;
        case OPT_BOOTFILE:
            opts->bootstrap_file = optarg;
            break;
        case OPT_CONTROL:
            opts->control_path = optarg;
            break;
        case OPT_LOGLEVEL:
            if (!nw_log_parse_level(optarg, &nw_log_level)) {
                fprintf(stderr, "--log-level: expected error, warn, info or debug\n");
                return 2;
            }
            break;
        case 'h':
        case OPT_HELP:
            usage(stdout);
            return 0;
        case OPT_VERSION:
            printf("needlewatch-devbroker %s (librdkafka %s)\n", NEEDLEWATCH_VERSION,
                   rd_kafka_version_str());
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (opts->topic_cnt == 0) {
        snprintf(opts->topics[0].name, sizeof(opts->topics[0].name), "treatments");
        snprintf(opts->topics[1].name, sizeof(opts->topics[1].name), "complications");
        opts->topics[0].partitions = opts->topics[1].partitions = -1;
        opts->topic_cnt = 2;
    }
    for (int i = 0; i < opts->topic_cnt; i++)
        if (opts->topics[i].partitions < 0)
            opts->topics[i].partitions = opts->default_partitions;
    return -1; /* go on */
}

int main(int argc, char **argv)
{
    devbroker_opts_t opts = {0};
    devbroker_control_t ctl = {.fd = -1};
    char errstr[512];
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mcluster = NULL;
    const char *bootstraps;
    int replication;
    int rc = 1;
    int prc;
    struct sigaction sa;

    nw_log_init("needlewatch-devbroker");
    if ((prc = parse_args(argc, argv, &opts)) >= 0)
        return prc;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The handle that owns the mock cluster. It has no bootstrap servers of
     * its own and never produces; it only hosts the cluster. */
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "client.id", "needlewatch-devbroker", errstr,
                          sizeof(errstr)) != RD_KAFKA_CONF_OK) {
        log_error("main", "%s", errstr);
        goto out;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        log_error("main", "cannot create the host handle: %s", errstr);
        goto out;
    }
    /* rd_kafka_new() takes ownership of conf */
    conf = NULL;

    mcluster = rd_kafka_mock_cluster_new(rk, opts.brokers);
    if (!mcluster) {
        log_error("main", "cannot create a mock cluster with %d brokers", opts.brokers);
        goto out;
    }
    replication = opts.brokers < 3 ? opts.brokers : 3;
    for (int i = 0; i < opts.topic_cnt; i++) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
            mcluster, opts.topics[i].name, opts.topics[i].partitions, replication);
        if (err) {
            log_error("main", "cannot create topic %s: %s", opts.topics[i].name,
                      rd_kafka_err2str(err));
            goto out;
        }
        log_info("main", "topic %s: %d partitions, replication factor %d",
                 opts.topics[i].name, opts.topics[i].partitions, replication);
    }

    bootstraps = rd_kafka_mock_cluster_bootstraps(mcluster);
    if (!wait_ready(bootstraps, &opts))
        goto out;

    if (opts.control_path && !control_open(&ctl, opts.control_path))
        goto out;

    /* Results on stdout: the bootstrap string, first line, flushed. */
    printf("%s\n", bootstraps);
    fflush(stdout);
    if (opts.bootstrap_file && !write_bootstrap_file(opts.bootstrap_file, bootstraps))
        goto out;
    log_info("main", "development broker ready: %d brokers at %s (not for production)",
             opts.brokers, bootstraps);

    while (run) {
        struct pollfd pfd = {.fd = ctl.fd, .events = POLLIN};
        int n = poll(&pfd, ctl.fd >= 0 ? 1 : 0, 200);
        if (n < 0 && errno != EINTR) {
            log_error("main", "poll: %s", strerror(errno));
            goto out;
        }
        if (n > 0 && (pfd.revents & POLLIN))
            control_read(&ctl, mcluster, replication);
        rd_kafka_poll(rk, 0);
    }
    log_info("main", "signal received, shutting down");
    rc = 0;

out:
    control_close(&ctl, opts.control_path);
    if (mcluster)
        rd_kafka_mock_cluster_destroy(mcluster);
    if (rk)
        rd_kafka_destroy(rk);
    if (conf)
        rd_kafka_conf_destroy(conf);
    return rc;
}

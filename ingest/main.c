/*
 * main.c - needlewatch-ingest's command line.
 *
 * Parses the arguments, loads the configuration (file, then NEEDLEWATCH_*
 * environment, then -X), and hands over to the worker.
 */
#include <getopt.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "config.h"
#include "log.h"
#include "replay.h"
#include "worker.h"

extern char **environ;

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: needlewatch-ingest --config FILE [-X key=value]... [--exit-on-eof]\n"
            "                          [--no-migrate] [--dump-config] [--help] [--version]\n"
            "       needlewatch-ingest --config FILE [-X key=value]... --replay-quarantine\n"
            "                          [--topic T] [--since TIMESTAMP] [--error-like PATTERN]\n"
            "                          [--dry-run] [--no-migrate]\n"
            "\n"
            "Consumes treatment and complication reports from Kafka, validates each one and\n"
            "stores it in PostgreSQL exactly once; invalid messages go to the quarantine table.\n"
            "Kafka offsets are kept in PostgreSQL, in the same transaction as the reports.\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE   .properties file (key=value lines, # comments)\n"
            "  -X key=value        set or override one key (may be repeated)\n"
            "  -e, --exit-on-eof   exit 0 once every assigned partition is consumed to its end\n"
            "                      and committed (backfills, tests)\n"
            "      --no-migrate    do not apply sql/ migrations; only check they are applied\n"
            "      --dump-config   print the effective configuration (secrets masked) and exit\n"
            "\n"
            "      --replay-quarantine  decode the quarantined messages again with this decoder\n"
            "                      and configuration; store those now valid as if they had just\n"
            "                      arrived, and mark each row replayed (stored, duplicate, or\n"
            "                      still invalid with its current reason), in one transaction\n"
            "                      per batch; needs the schema owner's login. Only rows never\n"
            "                      replayed or still invalid are looked at, and only these:\n"
            "      --topic T       rows of topic T (one of the two configured topics)\n"
            "      --since TIMESTAMP  rows received at or after TIMESTAMP (e.g. 2026-05-01, or\n"
            "                      '2026-05-01 08:00+02')\n"
            "      --error-like PATTERN  rows whose reason matches the SQL LIKE PATTERN\n"
            "                      (e.g. 'message: too large%%')\n"
            "      --dry-run       decide and print everything, write nothing\n"
            "\n"
            "  -h, --help          this help\n"
            "  -V, --version       print the version\n"
            "\n"
            "Keys are read from FILE, then from NEEDLEWATCH_<KEY> environment variables\n"
            "(dots as underscores, e.g. NEEDLEWATCH_PG_CONNINFO), then from -X. Keys:\n");
    config_print_keys(out, CONFIG_INGEST);
    fprintf(out,
            "\n"
            "Signals: SIGTERM or SIGINT finishes (or rolls back) the open batch, leaves the\n"
            "consumer group and exits 0. Exit status: 0 ok, 1 runtime failure, 2 usage error.\n"
            "--replay-quarantine prints one line per replayed row and a summary on stdout.\n");
}

/* One malloc arena for the whole process. glibc gives each thread that
 * allocates its own arena (up to 8 per core); librdkafka's broker threads
 * allocate the fetch buffers that the main thread frees, the main thread
 * the batch that the writer thread frees, and every arena keeps its own
 * free memory: measured on bench/run.sh's 160-partition backlog, peak RSS
 * 69 MiB with the default, 55 MiB with two arenas and 43 MiB with one, at
 * the same throughput. MALLOC_ARENA_MAX in the environment still wins. */
static void limit_malloc_arenas(void)
{
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 1);
#endif
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"exit-on-eof", no_argument, NULL, 'e'},
        {"no-migrate", no_argument, NULL, 'M'},
        {"dump-config", no_argument, NULL, 'D'},
        {"replay-quarantine", no_argument, NULL, 'R'},
        {"topic", required_argument, NULL, 'T'},
        {"since", required_argument, NULL, 'S'},
        {"error-like", required_argument, NULL, 'L'},
        {"dry-run", no_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    nw_config_t cfg;
    worker_opts_t opts = {.exit_on_eof = false, .migrate = true};
    replay_opts_t ropts = {.migrate = true};
    bool replay = false, replay_only = false;
    const char *config_path = NULL;
    char **overrides = NULL;
    int noverrides = 0, opt, rc = 2;
    bool dump = false;
    char errbuf[1024];

    limit_malloc_arenas();

    nw_log_init("needlewatch-ingest");
    if (!config_init(&cfg, CONFIG_INGEST)) {
        fprintf(stderr, "needlewatch-ingest: out of memory\n");
        return 1;
    }
    overrides = calloc((size_t)argc, sizeof(*overrides));
    if (!overrides) {
        fprintf(stderr, "needlewatch-ingest: out of memory\n");
        goto out;
    }
    while ((opt = getopt_long(argc, argv, "c:X:ehV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': config_path = optarg; break;
        case 'X': overrides[noverrides++] = optarg; break;
        case 'e': opts.exit_on_eof = true; break;
        case 'M': opts.migrate = ropts.migrate = false; break;
        case 'D': dump = true; break;
        case 'R': replay = true; break;
        case 'T': ropts.topic = optarg; replay_only = true; break;
        case 'S': ropts.since = optarg; replay_only = true; break;
        case 'L': ropts.error_like = optarg; replay_only = true; break;
        case 'N': ropts.dry_run = true; replay_only = true; break;
        case 'h': usage(stdout); rc = 0; goto out;
        case 'V':
            printf("needlewatch-ingest %s (librdkafka %s)\n", NEEDLEWATCH_VERSION,
                   rd_kafka_version_str());
            rc = 0;
            goto out;
        default:
            fprintf(stderr, "Try 'needlewatch-ingest --help'.\n");
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "needlewatch-ingest: unexpected argument \"%s\"\n", argv[optind]);
        fprintf(stderr, "Try 'needlewatch-ingest --help'.\n");
        goto out;
    }
    if (replay_only && !replay) {
        fprintf(stderr, "needlewatch-ingest: --topic, --since, --error-like and --dry-run go with "
                        "--replay-quarantine\n");
        goto out;
    }
    if (replay && opts.exit_on_eof) {
        fprintf(stderr, "needlewatch-ingest: --replay-quarantine reads no topic: --exit-on-eof "
                        "does not apply\n");
        goto out;
    }
    if (!config_path) {
        fprintf(stderr, "needlewatch-ingest: --config FILE is required "
                        "(see config/needlewatch.properties for a sample)\n");
        goto out;
    }
    if (!config_load_file(&cfg, config_path, errbuf, sizeof(errbuf)) ||
        !config_load_env(&cfg, environ, errbuf, sizeof(errbuf))) {
        fprintf(stderr, "needlewatch-ingest: %s\n", errbuf);
        goto out;
    }
    for (int i = 0; i < noverrides; i++) {
        if (!config_load_arg(&cfg, overrides[i], errbuf, sizeof(errbuf))) {
            fprintf(stderr, "needlewatch-ingest: %s\n", errbuf);
            goto out;
        }
    }
    if (!config_validate(&cfg, errbuf, sizeof(errbuf))) {
        fprintf(stderr, "needlewatch-ingest: %s\n", errbuf);
        goto out;
    }
    nw_log_level = cfg.log_level;
    if (dump) {
        config_dump(&cfg, stdout);
        rc = 0;
        goto out;
    }
    rc = replay ? replay_run(&cfg, &ropts) : worker_run(&cfg, &opts);
out:
    free(overrides);
    config_free(&cfg);
    return rc;
}

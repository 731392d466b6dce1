/*
 * test_cli.c - table-driven tests of analyze/cli.c: dates, formats, every
 * usage error main() turns into exit code 2, and the configuration: the
 * worker's file read by the analyzer, options winning over the file, and
 * errors with file:line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))
#define MAX_ARGS 20

static int parse(const char *const *args, cli_t *cli, char *err, size_t errlen)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"needlewatch-analyze";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return cli_parse(argc, argv, cli, err, errlen);
}

static void test_dates(void **state)
{
    static const struct {
        const char *s;
        const char *error; /* NULL: accepted */
    } cases[] = {
        {"2024-01-01", NULL},
        {"2024-02-29", NULL},
        {"2000-02-29", NULL},
        {"9999-12-31", NULL},
        {"1900-02-29", "is not a real calendar date"},
        {"2026-02-30", "is not a real calendar date"},
        {"2023-02-29", "is not a real calendar date"},
        {"2024-04-31", "is not a real calendar date"},
        {"2024-13-01", "is not a real calendar date"},
        {"2024-00-10", "is not a real calendar date"},
        {"2024-01-00", "is not a real calendar date"},
        {"0000-01-01", "is not a real calendar date"},
        {"2024-1-01", "is not a date written YYYY-MM-DD"},
        {"2024/01/01", "is not a date written YYYY-MM-DD"},
        {"20240101", "is not a date written YYYY-MM-DD"},
        {"2024-01-01T00", "is not a date written YYYY-MM-DD"},
        {"", "is not a date written YYYY-MM-DD"},
        {"yesterday", "is not a date written YYYY-MM-DD"},
        {"2024-0a-01", "is not a date written YYYY-MM-DD"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        cli_t cli;
        char err[256] = "", want[256];
        int rc = parse((const char *[]){"--from", cases[i].s, NULL}, &cli, err, sizeof(err));
        if (cases[i].error == NULL) {
            if (rc != 0)
                fail_msg("%s: rejected: %s", cases[i].s, err);
            assert_string_equal(cli.from, cases[i].s);
            continue;
        }
        snprintf(want, sizeof(want), "--from: \"%s\" %s", cases[i].s, cases[i].error);
        assert_int_equal(rc, -1);
        assert_string_equal(err, want);
    }
}

static void test_good(void **state)
{
    cli_t cli;
    char err[256];

    (void)state;
    assert_int_equal(parse((const char *[]){NULL}, &cli, err, sizeof(err)), 0);
    assert_int_equal(cli.format, FORMAT_AUTO);
    assert_null(cli.config_path);
    assert_string_equal(cli.from, "");
    assert_null(cli.output);
    assert_int_equal(cli.n_settings, 0);

    assert_int_equal(parse((const char *[]){"--pg", "dbname=x", "--from", "2024-01-01", "--to",
                                            "2024-01-01", "--format", "csv", "--output", "r.csv",
                                            NULL},
                           &cli, err, sizeof(err)), 0);
    assert_int_equal(cli.n_settings, 1);
    assert_string_equal(cli.settings[0].key, "pg.conninfo");
    assert_string_equal(cli.settings[0].value, "dbname=x");
    assert_string_equal(cli.from, "2024-01-01");
    assert_string_equal(cli.to, "2024-01-01");
    assert_int_equal(cli.format, FORMAT_CSV);
    assert_string_equal(cli.output, "r.csv");

    assert_int_equal(parse((const char *[]){"--format=text", "--pg=", "--help", NULL}, &cli, err,
                           sizeof(err)), 0);
    assert_int_equal(cli.format, FORMAT_TEXT);
    assert_string_equal(cli.settings[0].value, "");
    assert_true(cli.help);
    assert_int_equal(parse((const char *[]){"--version", NULL}, &cli, err, sizeof(err)), 0);
    assert_true(cli.version);
    assert_false(cli.help);
    assert_false(cli.verify);

    assert_int_equal(parse((const char *[]){"--verify", "--pg", "dbname=x", NULL}, &cli, err,
                           sizeof(err)), 0);
    assert_true(cli.verify);

    /* The alert options set their analyze.* keys, in order; --as-of is the run's. */
    assert_int_equal(parse((const char *[]){"--alert-method", "ears-c2", "--alert-q", "0.1",
                                            "--alert-windows", "3", "--report-days", "21",
                                            "--as-of", "2024-06-30", "--glr-threshold", "7",
                                            NULL},
                           &cli, err, sizeof(err)), 0);
    assert_int_equal(cli.n_settings, 5);
    assert_string_equal(cli.settings[0].key, "analyze.alert.method");
    assert_string_equal(cli.settings[0].value, "ears-c2");
    assert_string_equal(cli.settings[1].key, "analyze.alert.q_level");
    assert_string_equal(cli.settings[2].key, "analyze.alert.windows");
    assert_string_equal(cli.settings[3].key, "analyze.alert.report_days");
    assert_string_equal(cli.settings[4].key, "analyze.glr.threshold");
    assert_string_equal(cli.as_of, "2024-06-30");

    assert_int_equal(parse((const char *[]){"-c", "w.properties", "-X", "log.level=debug",
                                            "--suppress-below", "5", "--ears-alpha", "0.01",
                                            "--publish-signals", "--kafka-bootstrap", "b:9",
                                            "--dump-config", NULL},
                           &cli, err, sizeof(err)), 0);
    assert_string_equal(cli.config_path, "w.properties");
    assert_int_equal(cli.n_overrides, 1);
    assert_string_equal(cli.overrides[0], "log.level=debug");
    assert_int_equal(cli.n_settings, 3);
    assert_string_equal(cli.settings[0].key, "analyze.suppress_below");
    assert_string_equal(cli.settings[1].key, "analyze.ears.alpha");
    assert_string_equal(cli.settings[2].key, "kafka.bootstrap.servers");
    assert_true(cli.publish && cli.kafka_bootstrap && cli.dump_config);

    /* --as-of and --horizons (which sets analyze.horizons). */
    assert_int_equal(parse((const char *[]){"--as-of", "2024-03-01", "--horizons", "90,7,365",
                                            NULL},
                           &cli, err, sizeof(err)), 0);
    assert_string_equal(cli.as_of, "2024-03-01");
    assert_int_equal(cli.n_settings, 1);
    assert_string_equal(cli.settings[0].key, "analyze.horizons");
    assert_string_equal(cli.settings[0].value, "90,7,365");
}

static void test_horizons(void **state)
{
    int h[CLI_MAX_HORIZONS];
    size_t n;
    char err[256];

    (void)state;
    assert_int_equal(cli_parse_horizons("x", "90,7,365,30", h, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 4);
    assert_int_equal(h[0], 7);
    assert_int_equal(h[1], 30);
    assert_int_equal(h[2], 90);
    assert_int_equal(h[3], 365);
    assert_int_equal(cli_parse_horizons("x", "1", h, &n, err, sizeof(err)), 0);
    assert_int_equal(n, 1);
    assert_int_equal(h[0], 1);
    assert_int_equal(cli_parse_horizons("x", "", h, &n, err, sizeof(err)), -1);
    assert_int_equal(cli_parse_horizons("x", "-5", h, &n, err, sizeof(err)), -1);
    assert_int_equal(cli_parse_horizons("x", "+5", h, &n, err, sizeof(err)), -1);
    assert_int_equal(cli_parse_horizons("x", "5,,6", h, &n, err, sizeof(err)), -1);
}

static void test_usage_errors(void **state)
{
    static const struct {
        const char *args[MAX_ARGS];
        const char *message;
    } cases[] = {
        {{"--format", "xml"}, "--format: \"xml\" is not one of text, json, csv, html"},
        {{"--to", "soon"}, "--to: \"soon\" is not a date written YYYY-MM-DD"},
        {{"--to", "2024-02-30"}, "--to: \"2024-02-30\" is not a real calendar date"},
        {{"--from", "2024-05-02", "--to", "2024-05-01"}, "--from 2024-05-02 is after --to 2024-05-01"},
        {{"--bogus"}, "unknown option --bogus"},
        {{"-x"}, "unknown option -x"},
        {{"--from"}, "--from needs a value"},
        {{"--config"}, "--config needs a value"},
        {{"--output", ""}, "--output: empty file name"},
        {{"report.json"}, "unexpected argument \"report.json\""},
        {{"--verify", "--from", "2024-01-01"}, "--verify takes no --from, --to, --as-of, --format or --output"},
        {{"--to", "2024-01-01", "--verify"}, "--verify takes no --from, --to, --as-of, --format or --output"},
        {{"--verify", "--format", "json"}, "--verify takes no --from, --to, --as-of, --format or --output"},
        {{"--output", "r.json", "--verify"}, "--verify takes no --from, --to, --as-of, --format or --output"},
        {{"--suppress-below", "0"}, "--suppress-below: \"0\" is not a whole number from 1 to 1000000"},
        {{"--ears-baseline", "2"}, "--ears-baseline: \"2\" is not a whole number from 3 to 520"},
        {{"--ears-baseline", "7x"}, "--ears-baseline: \"7x\" is not a whole number from 3 to 520"},
        {{"--ears-alpha", "1"}, "--ears-alpha: 1 is not between 0 and 1"},
        {{"--ears-alpha", "nan"}, "--ears-alpha: \"nan\" is not a number"},
        {{"--ears-min-sigma", "-0.5"}, "--ears-min-sigma: -0.5 is negative"},
        {{"--alert-min-cases", "0"}, "--alert-min-cases: \"0\" is not a whole number from 1 to 1000000"},
        {{"--kafka-bootstrap", ""}, "--kafka-bootstrap: empty"},
        {{"--signals-topic", ""}, "--signals-topic: empty"},
        {{"--kafka-bootstrap", "b:9"}, "--kafka-bootstrap only applies with --publish-signals"},
        {{"--as-of", "2024-02-30"}, "--as-of: \"2024-02-30\" is not a real calendar date"},
        {{"--verify", "--as-of", "2024-01-01"},
         "--verify takes no --from, --to, --as-of, --format or --output"},
        {{"--horizons", "0"},
         "--horizons: \"0\" is not a list of days from 1 to 365, separated by commas"},
        {{"--horizons", "30,366"},
         "--horizons: \"30,366\" is not a list of days from 1 to 365, separated by commas"},
        {{"--horizons", "30,"},
         "--horizons: \"30,\" is not a list of days from 1 to 365, separated by commas"},
        {{"--horizons", "30, 90"},
         "--horizons: \"30, 90\" is not a list of days from 1 to 365, separated by commas"},
        {{"--horizons", "90,30,90"}, "--horizons: 90 is listed twice"},
        {{"--horizons", "1,2,3,4,5,6,7,8,9"}, "--horizons: more than 8 horizons"},
        {{"--as-of", "2024-13-01"}, "--as-of: \"2024-13-01\" is not a real calendar date"},
        {{"--alert-method", "cusum"}, "--alert-method: \"cusum\" is not one of rate-scan, ears-c2, farrington, glr"},
        {{"--alert-q", "0"}, "--alert-q: 0 is not between 0 and 1"},
        {{"--alert-windows", "5"}, "--alert-windows: \"5\" is not a whole number from 1 to 4"},
        {{"--alert-history", "7"}, "--alert-history: \"7\" is not a whole number from 8 to 520"},
        {{"--report-days", "0"}, "--report-days: \"0\" is not a whole number from 1 to 365"},
        {{"--farrington-alpha", "1.5"}, "--farrington-alpha: 1.5 is not between 0 and 1"},
        {{"--farrington-years", "0"}, "--farrington-years: \"0\" is not a whole number from 1 to 10"},
        {{"--glr-threshold", "-1"}, "--glr-threshold: -1 is not positive"},
        {{"--glr-baseline", "3"}, "--glr-baseline: \"3\" is not a whole number from 4 to 520"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        cli_t cli;
        char err[256] = "";
        assert_int_equal(parse(cases[i].args, &cli, err, sizeof(err)), -1);
        assert_string_equal(err, cases[i].message);
    }
}

/* A worker's configuration file, as the integration tests write it. */
static const char worker_file[] =
    "kafka.bootstrap.servers=127.0.0.1:9\n"
    "kafka.group.id=needlewatch-test\n"
    "pg.conninfo=dbname=fromfile\n"
    "ingest.batch.max_messages=500\n"
    "topic.treatments=treatments\n"
    "metrics.listen=\n"
    "analyze.ears.baseline=9\n"
    "analyze.suppress_below=4\n";

static char *write_file(const char *text)
{
    static char path[] = "/tmp/test_cli_XXXXXX";
    int fd;
    FILE *fp;

    strcpy(path, "/tmp/test_cli_XXXXXX");
    fd = mkstemp(path);
    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

/* Parses args, then configures from their file; returns cli_configure's. */
static int configure(const char *const *args, nw_config_t *cfg, char *err, size_t errlen)
{
    cli_t cli;
    char *env[] = {NULL};

    assert_int_equal(parse(args, &cli, err, errlen), 0);
    assert_true(config_init(cfg, CONFIG_ANALYZE));
    return cli_configure(&cli, cfg, env, err, errlen);
}

static void test_config(void **state)
{
    nw_config_t cfg;
    char err[512];
    char *path = write_file(worker_file);

    (void)state;
    /* The worker's file: its keys are read, the worker's own ignored. */
    assert_int_equal(configure((const char *[]){"--config", path, NULL}, &cfg, err, sizeof(err)),
                     0);
    assert_string_equal(cfg.pg_conninfo, "dbname=fromfile");
    assert_int_equal(cfg.ears_baseline, 9);
    assert_int_equal(cfg.suppress_below, 4);
    assert_int_equal(cfg.alert_min_cases, 3);
    assert_string_equal(cfg.topic_signals, "signals");
    assert_string_equal(cfg.horizons, "30,90");
    assert_string_equal(cli_bootstrap(&cfg), "127.0.0.1:9");
    config_free(&cfg);

    /* Options win over the file, and -X over the file too. */
    assert_int_equal(configure((const char *[]){"--config", path, "--pg", "dbname=flag",
                                                "--ears-baseline", "12", "-X",
                                                "analyze.suppress_below=0", "--publish-signals",
                                                "--kafka-bootstrap", "h:1", "--signals-topic",
                                                "s2", NULL},
                               &cfg, err, sizeof(err)),
                     0);
    assert_string_equal(cfg.pg_conninfo, "dbname=flag");
    assert_int_equal(cfg.ears_baseline, 12);
    assert_int_equal(cfg.suppress_below, 0);
    assert_string_equal(cli_bootstrap(&cfg), "h:1");
    assert_string_equal(cfg.topic_signals, "s2");
    config_free(&cfg);

    /* --publish-signals needs a bootstrap server from somewhere. */
    assert_int_equal(configure((const char *[]){"--publish-signals", NULL}, &cfg, err,
                               sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "--publish-signals needs --kafka-bootstrap"));
    config_free(&cfg);
    unlink(path);
}

static void test_config_errors(void **state)
{
    static const struct {
        const char *file;
        const char *x;       /* a -X argument, or NULL */
        const char *message; /* %s: the file's path */
    } cases[] = {
        {"pg.conninfo=\nanalyze.ears.alpha=1\n", NULL,
         "%s:2: analyze.ears.alpha: must be a number between 0 and 1, got \"1\""},
        {"analyze.ears.baseline=2\n", NULL,
         "%s:1: analyze.ears.baseline: must be an integer 3..520, got \"2\""},
        {"bogus.key=1\n", NULL, "%s:1: unknown key \"bogus.key\" (see --help for the keys)"},
        {"kafka.no.such.property=1\n", NULL, "%s:1: kafka.no.such.property: "},
        {"", "analyze.alert.min_cases=0",
         "-X analyze.alert.min_cases: must be an integer 1..1000000, got \"0\""},
        {"", "nothing", "-X nothing: expected key=value"},
        {"topic.signals=\n", NULL, "topic.signals must not be empty"},
        {"analyze.horizons=7,x\n", NULL,
         "analyze.horizons: \"7,x\" is not a list of days from 1 to 365, separated by commas"},
        {"analyze.alert.method=cusum\n", NULL,
         "analyze.alert.method: \"cusum\" is not one of rate-scan, ears-c2, farrington, glr"},
        {"", "analyze.alert.report_days=400",
         "-X analyze.alert.report_days: must be an integer 0..365, got \"400\""},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        nw_config_t cfg;
        char err[512] = "", want[512];
        char *path = write_file(cases[i].file);
        const char *args[] = {"--config", path, cases[i].x ? "-X" : NULL, cases[i].x, NULL};
        assert_int_equal(configure(args, &cfg, err, sizeof(err)), -1);
        snprintf(want, sizeof(want), cases[i].message, path);
        if (strncmp(err, want, strlen(want)) != 0)
            fail_msg("case %zu: \"%s\", expected \"%s...\"", i, err, want);
        config_free(&cfg);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_horizons),
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

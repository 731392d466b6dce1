/*
 * cli.c - the parse step: needlewatch-analyze's options, in one table, and
 * its configuration (see cli.h).
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "model/alerts.h"

enum {
    OPT_PG = 1000,
    OPT_FROM,
    OPT_TO,
    OPT_FORMAT,
    OPT_OUTPUT,
    OPT_VERIFY,
    OPT_DUMP_CONFIG,
    OPT_SUPPRESS_BELOW,
    OPT_EARS_BASELINE,
    OPT_EARS_ALPHA,
    OPT_EARS_MIN_SIGMA,
    OPT_ALERT_MIN_CASES,
    OPT_ALERT_METHOD,
    OPT_ALERT_Q,
    OPT_ALERT_WINDOWS,
    OPT_ALERT_HISTORY,
    OPT_REPORT_DAYS,
    OPT_AS_OF,
    OPT_FARRINGTON_ALPHA,
    OPT_FARRINGTON_YEARS,
    OPT_GLR_THRESHOLD,
    OPT_GLR_BASELINE,
    OPT_PERSIST,
    OPT_PUBLISH,
    OPT_KAFKA_BOOTSTRAP,
    OPT_SIGNALS_TOPIC,
    OPT_HORIZONS,
};

/* Every option. Those that set a configuration key are in setting_keys. */
static const struct option long_options[] = {
    {"config", required_argument, NULL, 'c'},
    {"pg", required_argument, NULL, OPT_PG},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"verify", no_argument, NULL, OPT_VERIFY},
    {"dump-config", no_argument, NULL, OPT_DUMP_CONFIG},
    {"suppress-below", required_argument, NULL, OPT_SUPPRESS_BELOW},
    {"ears-baseline", required_argument, NULL, OPT_EARS_BASELINE},
    {"ears-alpha", required_argument, NULL, OPT_EARS_ALPHA},
    {"ears-min-sigma", required_argument, NULL, OPT_EARS_MIN_SIGMA},
    {"alert-min-cases", required_argument, NULL, OPT_ALERT_MIN_CASES},
    {"alert-method", required_argument, NULL, OPT_ALERT_METHOD},
    {"alert-q", required_argument, NULL, OPT_ALERT_Q},
    {"alert-windows", required_argument, NULL, OPT_ALERT_WINDOWS},
    {"alert-history", required_argument, NULL, OPT_ALERT_HISTORY},
    {"report-days", required_argument, NULL, OPT_REPORT_DAYS},
    {"as-of", required_argument, NULL, OPT_AS_OF},
    {"farrington-alpha", required_argument, NULL, OPT_FARRINGTON_ALPHA},
    {"farrington-years", required_argument, NULL, OPT_FARRINGTON_YEARS},
    {"glr-threshold", required_argument, NULL, OPT_GLR_THRESHOLD},
    {"glr-baseline", required_argument, NULL, OPT_GLR_BASELINE},
    {"persist", no_argument, NULL, OPT_PERSIST},
    {"publish-signals", no_argument, NULL, OPT_PUBLISH},
    {"kafka-bootstrap", required_argument, NULL, OPT_KAFKA_BOOTSTRAP},
    {"signals-topic", required_argument, NULL, OPT_SIGNALS_TOPIC},
    {"horizons", required_argument, NULL, OPT_HORIZONS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The configuration key an option sets. */
static const struct {
    int code;
    const char *key;
} setting_keys[] = {
    {OPT_PG, "pg.conninfo"},
    {OPT_SUPPRESS_BELOW, "analyze.suppress_below"},
    {OPT_EARS_BASELINE, "analyze.ears.baseline"},
    {OPT_EARS_ALPHA, "analyze.ears.alpha"},
    {OPT_EARS_MIN_SIGMA, "analyze.ears.min_sigma"},
    {OPT_ALERT_MIN_CASES, "analyze.alert.min_cases"},
    {OPT_ALERT_METHOD, "analyze.alert.method"},
    {OPT_ALERT_Q, "analyze.alert.q_level"},
    {OPT_ALERT_WINDOWS, "analyze.alert.windows"},
    {OPT_ALERT_HISTORY, "analyze.alert.history_weeks"},
    {OPT_REPORT_DAYS, "analyze.alert.report_days"},
    {OPT_FARRINGTON_ALPHA, "analyze.farrington.alpha"},
    {OPT_FARRINGTON_YEARS, "analyze.farrington.years"},
    {OPT_GLR_THRESHOLD, "analyze.glr.threshold"},
    {OPT_GLR_BASELINE, "analyze.glr.baseline"},
    {OPT_KAFKA_BOOTSTRAP, "kafka.bootstrap.servers"},
    {OPT_SIGNALS_TOPIC, "topic.signals"},
    {OPT_HORIZONS, "analyze.horizons"},
};

static int parse_date(const char *opt, const char *arg, char out[11], char *errbuf,
                      size_t errlen)
{
    int32_t days;

    switch (civil_parse(arg, &days)) {
    case CIVIL_OK:
        memcpy(out, arg, 11);
        return 0;
    case CIVIL_NOT_REAL:
        snprintf(errbuf, errlen, "%s: \"%s\" is not a real calendar date", opt, arg);
        return -1;
    default:
        snprintf(errbuf, errlen, "%s: \"%s\" is not a date written YYYY-MM-DD", opt, arg);
        return -1;
    }
}

static int parse_long(const char *opt, const char *arg, long min, long max, char *errbuf,
                      size_t errlen)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v < min || v > max) {
        snprintf(errbuf, errlen, "%s: \"%s\" is not a whole number from %ld to %ld", opt, arg,
                 min, max);
        return -1;
    }
    return 0;
}

static int parse_real(const char *opt, const char *arg, double *out, char *errbuf, size_t errlen)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (errno != 0 || end == arg || *end != '\0' || !isfinite(v)) {
        snprintf(errbuf, errlen, "%s: \"%s\" is not a number", opt, arg);
        return -1;
    }
    *out = v;
    return 0;
}

/* Checks the value of an option that sets a key, with the option's own
 * rules (the key's range may be wider: analyze.suppress_below takes 0). */
static int check_setting(int code, const char *arg, char *errbuf, size_t errlen)
{
    double v;

    switch (code) {
    case OPT_SUPPRESS_BELOW:
        return parse_long("--suppress-below", arg, 1, 1000000, errbuf, errlen);
    case OPT_EARS_BASELINE:
        return parse_long("--ears-baseline", arg, 3, 520, errbuf, errlen);
    case OPT_ALERT_MIN_CASES:
        return parse_long("--alert-min-cases", arg, 1, 1000000, errbuf, errlen);
    case OPT_EARS_ALPHA:
        if (parse_real("--ears-alpha", arg, &v, errbuf, errlen) != 0)
            return -1;
        if (!(v > 0.0 && v < 1.0)) {
            snprintf(errbuf, errlen, "--ears-alpha: %s is not between 0 and 1", arg);
            return -1;
        }
        return 0;
    case OPT_ALERT_METHOD:
        if (alert_method_parse(arg) < 0) {
            snprintf(errbuf, errlen,
                     "--alert-method: \"%s\" is not one of rate-scan, ears-c2, farrington, glr",
                     arg);
            return -1;
        }
        return 0;
    case OPT_ALERT_WINDOWS:
        return parse_long("--alert-windows", arg, 1, DETECT_WINDOW_MAX, errbuf, errlen);
    case OPT_ALERT_HISTORY:
        return parse_long("--alert-history", arg, 8, 520, errbuf, errlen);
    case OPT_REPORT_DAYS:
        return parse_long("--report-days", arg, 1, 365, errbuf, errlen);
    case OPT_FARRINGTON_YEARS:
        return parse_long("--farrington-years", arg, 1, 10, errbuf, errlen);
    case OPT_GLR_BASELINE:
        return parse_long("--glr-baseline", arg, 4, 520, errbuf, errlen);
    case OPT_ALERT_Q:
    case OPT_FARRINGTON_ALPHA:
        if (parse_real(code == OPT_ALERT_Q ? "--alert-q" : "--farrington-alpha", arg, &v, errbuf,
                       errlen) != 0)
            return -1;
        if (!(v > 0.0 && v < 1.0)) {
            snprintf(errbuf, errlen, "%s: %s is not between 0 and 1",
                     code == OPT_ALERT_Q ? "--alert-q" : "--farrington-alpha", arg);
            return -1;
        }
        return 0;
    case OPT_GLR_THRESHOLD:
        if (parse_real("--glr-threshold", arg, &v, errbuf, errlen) != 0)
            return -1;
        if (!(v > 0.0)) {
            snprintf(errbuf, errlen, "--glr-threshold: %s is not positive", arg);
            return -1;
        }
        return 0;
    case OPT_EARS_MIN_SIGMA:
        if (parse_real("--ears-min-sigma", arg, &v, errbuf, errlen) != 0)
            return -1;
        if (v < 0.0) {
            snprintf(errbuf, errlen, "--ears-min-sigma: %s is negative", arg);
            return -1;
        }
        return 0;
    case OPT_HORIZONS: {
        int horizons[CLI_MAX_HORIZONS];
        size_t n;
        return cli_parse_horizons("--horizons", arg, horizons, &n, errbuf, errlen);
    }
    case OPT_KAFKA_BOOTSTRAP:
    case OPT_SIGNALS_TOPIC:
        if (arg[0] == '\0') {
            snprintf(errbuf, errlen, "--%s: empty",
                     code == OPT_KAFKA_BOOTSTRAP ? "kafka-bootstrap" : "signals-topic");
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

/* Records an option that sets a key; 1 when code is not one of them. */
static int add_setting(cli_t *cli, int code, const char *arg, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < sizeof(setting_keys) / sizeof(setting_keys[0]); i++) {
        if (setting_keys[i].code != code)
            continue;
        if (check_setting(code, arg, errbuf, errlen) != 0)
            return -1;
        if (cli->n_settings == CLI_MAX_OVERRIDES) {
            snprintf(errbuf, errlen, "more than %d options", CLI_MAX_OVERRIDES);
            return -1;
        }
        cli->settings[cli->n_settings++] = (cli_setting_t){setting_keys[i].key, arg};
        if (code == OPT_KAFKA_BOOTSTRAP)
            cli->kafka_bootstrap = true;
        return 0;
    }
    return 1;
}

static int parse_format(const char *arg, format_t *format, char *errbuf, size_t errlen)
{
    static const char *const names[] = {"text", "json", "csv", "html"};
    static const format_t formats[] = {FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV, FORMAT_HTML};

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(arg, names[i]) == 0) {
            *format = formats[i];
            return 0;
        }
    }
    snprintf(errbuf, errlen, "--format: \"%s\" is not one of text, json, csv, html", arg);
    return -1;
}

/* One option of the report or a flag. Returns 0, -1 on an error. */
static int parse_option(cli_t *cli, int ch, char *errbuf, size_t errlen)
{
    switch (ch) {
    case 'c':
        cli->config_path = optarg;
        return 0;
    case OPT_FROM:
        return parse_date("--from", optarg, cli->from, errbuf, errlen);
    case OPT_TO:
        return parse_date("--to", optarg, cli->to, errbuf, errlen);
    case OPT_AS_OF:
        return parse_date("--as-of", optarg, cli->as_of, errbuf, errlen);
    case OPT_FORMAT:
        return parse_format(optarg, &cli->format, errbuf, errlen);
    case OPT_OUTPUT:
        if (optarg[0] == '\0') {
            snprintf(errbuf, errlen, "--output: empty file name");
            return -1;
        }
        cli->output = optarg;
        return 0;
    case 'X':
        if (cli->n_overrides == CLI_MAX_OVERRIDES) {
            snprintf(errbuf, errlen, "-X: more than %d properties", CLI_MAX_OVERRIDES);
            return -1;
        }
        cli->overrides[cli->n_overrides++] = optarg;
        return 0;
    case OPT_VERIFY:
        cli->verify = true;
        return 0;
    case OPT_DUMP_CONFIG:
        cli->dump_config = true;
        return 0;
    case OPT_PERSIST:
        cli->persist = true;
        return 0;
    case OPT_PUBLISH:
        cli->publish = true;
        return 0;
    case 'h':
        cli->help = true;
        return 0;
    case 'V':
        cli->version = true;
        return 0;
    default:
        snprintf(errbuf, errlen, "internal: option code %d", ch);
        return -1;
    }
}

/* The rules that involve several options. */
static int check_combinations(const cli_t *cli, char *errbuf, size_t errlen)
{
    if (cli->kafka_bootstrap && !cli->publish) {
        snprintf(errbuf, errlen, "--kafka-bootstrap only applies with --publish-signals");
        return -1;
    }
    /* --verify writes no report: the report's options would be ignored. */
    if (cli->verify && (cli->from[0] || cli->to[0] || cli->as_of[0] ||
                        cli->format != FORMAT_AUTO || cli->output)) {
        snprintf(errbuf, errlen, "--verify takes no --from, --to, --as-of, --format or --output");
        return -1;
    }
    /* Same-length ISO dates compare like the dates they write. */
    if (cli->from[0] && cli->to[0] && strcmp(cli->from, cli->to) > 0) {
        snprintf(errbuf, errlen, "--from %s is after --to %s", cli->from, cli->to);
        return -1;
    }
    return 0;
}

int cli_parse(int argc, char **argv, cli_t *cli, char *errbuf, size_t errlen)
{
    int ch, rc;

    memset(cli, 0, sizeof(*cli));
    optind = 0; /* glibc: full re-initialisation */
    opterr = 0; /* our own messages */
    while ((ch = getopt_long(argc, argv, ":c:hVX:", long_options, NULL)) != -1) {
        if (ch == ':') {
            snprintf(errbuf, errlen, "%s needs a value", argv[optind - 1]);
            return -1;
        }
        if (ch == '?') {
            if (optopt != 0 && optopt != '?')
                snprintf(errbuf, errlen, "unknown option -%c", optopt);
            else
                snprintf(errbuf, errlen, "unknown option %s", argv[optind - 1]);
            return -1;
        }
        rc = add_setting(cli, ch, optarg, errbuf, errlen);
        if (rc == 1)
            rc = parse_option(cli, ch, errbuf, errlen);
        if (rc != 0)
            return -1;
    }
    if (optind < argc) {
        snprintf(errbuf, errlen, "unexpected argument \"%s\"", argv[optind]);
        return -1;
    }
    return check_combinations(cli, errbuf, errlen);
}

int cli_parse_horizons(const char *what, const char *list, int *horizons, size_t *n,
                       char *errbuf, size_t errlen)
{
    const char *p = list;

    *n = 0;
    for (;;) {
        char *end;
        long v;
        errno = 0;
        v = strtol(p, &end, 10);
        if (end == p || errno != 0 || v < 1 || v > 365 || (*end != ',' && *end != '\0') ||
            p[0] == '+' || p[0] == '-' || p[0] == ' ') {
            snprintf(errbuf, errlen,
                     "%s: \"%s\" is not a list of days from 1 to 365, separated by commas",
                     what, list);
            return -1;
        }
        for (size_t i = 0; i < *n; i++) {
            if (horizons[i] == (int)v) {
                snprintf(errbuf, errlen, "%s: %ld is listed twice", what, v);
                return -1;
            }
        }
        if (*n == CLI_MAX_HORIZONS) {
            snprintf(errbuf, errlen, "%s: more than %d horizons", what, CLI_MAX_HORIZONS);
            return -1;
        }
        /* Insert in ascending order. */
        size_t at = *n;
        while (at > 0 && horizons[at - 1] > (int)v) {
            horizons[at] = horizons[at - 1];
            at--;
        }
        horizons[at] = (int)v;
        (*n)++;
        if (*end == '\0')
            return 0;
        p = end + 1;
    }
}

const char *cli_bootstrap(const nw_config_t *cfg)
{
    for (size_t i = 0; i < cfg->kafka_count; i++) {
        if (strcmp(cfg->kafka[i].key, "bootstrap.servers") == 0 && cfg->kafka[i].value[0])
            return cfg->kafka[i].value;
    }
    return NULL;
}

int cli_configure(const cli_t *cli, nw_config_t *cfg, char **envp, char *errbuf, size_t errlen)
{
    if (cli->config_path != NULL && !config_load_file(cfg, cli->config_path, errbuf, errlen))
        return -1;
    if (!config_load_env(cfg, envp, errbuf, errlen))
        return -1;
    for (size_t i = 0; i < cli->n_overrides; i++) {
        if (!config_load_arg(cfg, cli->overrides[i], errbuf, errlen))
            return -1;
    }
    for (size_t i = 0; i < cli->n_settings; i++) {
        char detail[512];
        if (!config_set(cfg, cli->settings[i].key, cli->settings[i].value, detail,
                        sizeof(detail))) {
            snprintf(errbuf, errlen, "%s", detail);
            return -1;
        }
    }
    if (!config_validate(cfg, errbuf, errlen))
        return -1;
    {
        int horizons[CLI_MAX_HORIZONS];
        size_t n;
        if (cli_parse_horizons("analyze.horizons", cfg->horizons, horizons, &n, errbuf,
                               errlen) != 0)
            return -1;
    }
    if (alert_method_parse(cfg->alert_method) < 0) {
        snprintf(errbuf, errlen,
                 "analyze.alert.method: \"%s\" is not one of rate-scan, ears-c2, farrington, glr",
                 cfg->alert_method);
        return -1;
    }
    if (cli->publish && cli_bootstrap(cfg) == NULL) {
        snprintf(errbuf, errlen,
                 "--publish-signals needs --kafka-bootstrap (or kafka.bootstrap.servers in the "
                 "configuration)");
        return -1;
    }
    return 0;
}

void cli_usage(FILE *out, const char *progname)
{
    fprintf(out,
        "Usage: %s [OPTION]...\n"
        "Complication rates after microneedling, from the needlewatch views in PostgreSQL:\n"
        "rates by device type, setting and Fitzpatrick skin type with 95%% Wilson intervals,\n"
        "home versus clinic rate ratios (crude, Katz interval) and adjusted for device type\n"
        "and skin type (Mantel-Haenszel, Greenland-Robins interval).\n"
        "\n"
        "  -c, --config FILE  the .properties file of needlewatch-ingest (pg.*, kafka.*,\n"
        "                     topic.signals and analyze.* keys; see below)\n"
        "  -X KEY=VALUE       set or override one key of the configuration (repeatable)\n"
        "  --dump-config      print the effective configuration (secrets masked) and exit\n"
        "  --pg CONNINFO      libpq connection string or URI (wins over pg.conninfo);\n"
        "                     empty or absent: the PG* environment variables (PGHOST,\n"
        "                     PGDATABASE, PGUSER, ...)\n"
        "  --from YYYY-MM-DD  only treatments with treated_on on or after this date\n"
        "  --to YYYY-MM-DD    only treatments with treated_on on or before this date\n"
        "  --format FORMAT    text: a report for people; json: every number at full\n"
        "                     precision; csv: the rate rows with a header line;\n"
        "                     html: one self-contained page with charts (no script).\n"
        "                     Default: text when writing to a terminal, json otherwise\n"
        "                     (a pipe, a redirection or --output).\n"
        "  --output FILE      write to FILE (replaced only once complete) instead of stdout\n"
        "  --as-of YYYY-MM-DD the day the report is made as of (default: today, UTC):\n"
        "                     a treatment counts in the risks for a horizon of H days\n"
        "                     when it is dated H days or more before it; the weeks not\n"
        "                     over by then are incomplete; the alerts judge the weeks\n"
        "                     mature by then and count the reports known by then\n"
        "  --horizons LIST    follow-up horizons of the risks, in days, each 1 to 365,\n"
        "                     separated by commas (default 30,90; key analyze.horizons)\n"
        "  --verify           instead of the report: recount every kept count (the\n"
        "                     per-cell and per-model counts the ingest keeps, which the\n"
        "                     report reads) from the stored reports; print each\n"
        "                     difference and exit 1 if there is one, else \"kept counts\n"
        "                     exact: N cells checked\"\n"
        "  --help             show this help and exit\n"
        "  --version          show the version and exit\n"
        "\n"
        "Signals and alerts (always computed; see docs/surveillance.md). Alerts count a\n"
        "case only when its first report came within D days of the treatment, and judge\n"
        "a week only once it is complete and every treatment in it had those D days:\n"
        "  --alert-method M   rate-scan (default): weekly cases against a model of the\n"
        "                     series' rate (treatments as offset, trend and season),\n"
        "                     windows of 1..N weeks, Benjamini-Hochberg q-values across\n"
        "                     the series of each week; ears-c2: EARS C2 on the counts;\n"
        "                     farrington: Noufaily's farringtonFlexible with the\n"
        "                     treatments as offset; glr: Poisson GLR CUSUM on the rate.\n"
        "                     Consecutive alarming weeks of a series are one alert, carried\n"
        "                     by the most specific series; the margins are in its also_in\n"
        "  --alert-q Q        rate scan: an alarm needs q <= Q (default 0.05)\n"
        "  --alert-windows N  rate scan: windows of 1..N weeks ending at the week (default 2)\n"
        "  --alert-history N  rate scan: baseline weeks at most (default 104)\n"
        "  --alert-min-cases N  an alarm needs N+ cases (in the window; default 3)\n"
        "  --report-days D    count a case only if reported within D days of the treatment\n"
        "                     (default: the whole weeks within which 75%% of the cases\n"
        "                     were reported, 14 to 56 days)\n"
        "  --ears-baseline N  EARS C2 reference weeks (default 7; weeks t-2-N..t-3)\n"
        "  --ears-alpha A     alarm when observed > mean + qnorm(1-A) sd (default 0.001)\n"
        "  --ears-min-sigma S floor on the reference sd (default 0)\n"
        "  --farrington-alpha A  Farrington: alarm level of the upper bound (default 0.001)\n"
        "  --farrington-years B  Farrington: years of reference weeks (default 1)\n"
        "  --glr-threshold C  GLR: alarm when the statistic reaches C (default 5)\n"
        "  --glr-baseline N   GLR: weeks of the in-control rate (default 26)\n"
        "  --suppress-below K hide every count from 1 to K-1, and enough other counts\n"
        "                     that none can be worked out from the totals\n"
        "  --persist          store this run, its signals and alerts in PostgreSQL\n"
        "                     (needlewatch.analysis_runs, signal_results, alert_results)\n"
        "  --publish-signals  produce one JSON message per signal and alert to Kafka\n"
        "  --kafka-bootstrap HOSTS  Kafka bootstrap servers for --publish-signals\n"
        "                     (wins over kafka.bootstrap.servers)\n"
        "  --signals-topic T  topic for --publish-signals (wins over topic.signals)\n"
        "\n"
        "Exit status: 0 success, 1 runtime error (e.g. database unreachable) or, with\n"
        "--verify, a kept count that differs, 2 usage or configuration error.\n"
        "The same counts are available in psql: needlewatch.rate_cells,\n"
        "needlewatch.rate_cells_between(from, to), needlewatch.home_vs_clinic.\n"
        "\n"
        "Configuration keys are read from FILE, then from NEEDLEWATCH_<KEY> environment\n"
        "variables (dots as underscores, e.g. NEEDLEWATCH_PG_CONNINFO), then from -X,\n"
        "then from the options above; the worker's own keys in FILE are ignored. Keys:\n",
        progname);
    config_print_keys(out, CONFIG_ANALYZE);
}

/*
 * options.c - the command line of needlewatch-analyze (see options.h).
 */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const struct option long_options[] = {
    {"pg", required_argument, NULL, 'p'},
    {"from", required_argument, NULL, 'f'},
    {"to", required_argument, NULL, 't'},
    {"format", required_argument, NULL, 'F'},
    {"output", required_argument, NULL, 'o'},
    {"verify", no_argument, NULL, 'v'},
    OPT_SV_LONG_OPTIONS,
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

bool options_valid_date(const char *s)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, mdays;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    m = (s[5] - '0') * 10 + (s[6] - '0');
    d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1 || m < 1 || m > 12 || d < 1)
        return false;
    mdays = days[m - 1];
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        mdays = 29;
    return d <= mdays;
}

static int parse_date(const char *opt, const char *arg, char out[11], char *errbuf,
                      size_t errlen)
{
    if (!options_valid_date(arg)) {
        snprintf(errbuf, errlen, "%s: \"%s\" is not a date written YYYY-MM-DD", opt, arg);
        return -1;
    }
    memcpy(out, arg, 11);
    return 0;
}

int options_parse(int argc, char **argv, options_t *opts, char *errbuf, size_t errlen)
{
    int ch;

    memset(opts, 0, sizeof(*opts));
    options_sv_defaults(&opts->sv);
    optind = 0; /* glibc: full re-initialisation */
    opterr = 0; /* our own messages */
    while ((ch = getopt_long(argc, argv, ":hVX:", long_options, NULL)) != -1) {
        switch (ch) {
        case 'p':
            opts->conninfo = optarg;
            break;
        case 'f':
            if (parse_date("--from", optarg, opts->from, errbuf, errlen) != 0)
                return -1;
            break;
        case 't':
            if (parse_date("--to", optarg, opts->to, errbuf, errlen) != 0)
                return -1;
            break;
        case 'F':
            if (strcmp(optarg, "text") == 0)
                opts->format = FORMAT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                opts->format = FORMAT_JSON;
            else if (strcmp(optarg, "csv") == 0)
                opts->format = FORMAT_CSV;
            else if (strcmp(optarg, "html") == 0)
                opts->format = FORMAT_HTML;
            else {
                snprintf(errbuf, errlen, "--format: \"%s\" is not one of text, json, csv, html",
                         optarg);
                return -1;
            }
            break;
        case 'o':
            if (optarg[0] == '\0') {
                snprintf(errbuf, errlen, "--output: empty file name");
                return -1;
            }
            opts->output = optarg;
            break;
        case 'v':
            opts->verify = true;
            break;
        case 'X':
            ch = OPT_SV_KAFKA_PROP;
            /* fall through */
        case OPT_SV_SUPPRESS_BELOW:
        case OPT_SV_EARS_BASELINE:
        case OPT_SV_EARS_ALPHA:
        case OPT_SV_EARS_MIN_SIGMA:
        case OPT_SV_ALERT_MIN_CASES:
        case OPT_SV_PERSIST:
        case OPT_SV_PUBLISH:
        case OPT_SV_KAFKA_BOOTSTRAP:
        case OPT_SV_SIGNALS_TOPIC:
            if (options_sv_parse(&opts->sv, ch, optarg, errbuf, errlen) != 0)
                return -1;
            break;
        case 'h':
            opts->help = true;
            break;
        case 'V':
            opts->version = true;
            break;
        case ':':
            snprintf(errbuf, errlen, "%s needs a value", argv[optind - 1]);
            return -1;
        default:
            if (optopt != 0 && optopt != '?')
                snprintf(errbuf, errlen, "unknown option -%c", optopt);
            else
                snprintf(errbuf, errlen, "unknown option %s", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        snprintf(errbuf, errlen, "unexpected argument \"%s\"", argv[optind]);
        return -1;
    }
    if (options_sv_check(&opts->sv, errbuf, errlen) != 0)
        return -1;
    /* --verify writes no report: the report's options would be ignored. */
    if (opts->verify && (opts->from[0] || opts->to[0] || opts->format != FORMAT_AUTO ||
                         opts->output)) {
        snprintf(errbuf, errlen, "--verify takes no --from, --to, --format or --output");
        return -1;
    }
    /* Same-length ISO dates compare like the dates they write. */
    if (opts->from[0] && opts->to[0] && strcmp(opts->from, opts->to) > 0) {
        snprintf(errbuf, errlen, "--from %s is after --to %s", opts->from, opts->to);
        return -1;
    }
    return 0;
}

void options_usage(FILE *out, const char *progname)
{
    fprintf(out,
        "Usage: %s [OPTION]...\n"
        "Complication rates after microneedling, from the needlewatch views in PostgreSQL:\n"
        "rates by device type, setting and Fitzpatrick skin type with 95%% Wilson intervals,\n"
        "home versus clinic rate ratios (crude, Katz interval) and adjusted for device type\n"
        "and skin type (Mantel-Haenszel, Greenland-Robins interval).\n"
        "\n"
        "  --pg CONNINFO      libpq connection string or URI; empty or absent: the PG*\n"
        "                     environment variables (PGHOST, PGDATABASE, PGUSER, ...)\n"
        "  --from YYYY-MM-DD  only treatments with treated_on on or after this date\n"
        "  --to YYYY-MM-DD    only treatments with treated_on on or before this date\n"
        "  --format FORMAT    text: a report for people; json: every number at full\n"
        "                     precision; csv: the rate rows with a header line;\n"
        "                     html: one self-contained page with charts (no script).\n"
        "                     Default: text when writing to a terminal, json otherwise\n"
        "                     (a pipe, a redirection or --output).\n"
        "  --output FILE      write to FILE (replaced only once complete) instead of stdout\n"
        "  --verify           instead of the report: recount every kept count (the\n"
        "                     per-cell and per-model counts the ingest keeps, which\n"
        "                     the report reads)\n"
        "                     from the stored reports; print each difference and exit 1\n"
        "                     if there is one, else \"kept counts exact: N cells checked\"\n"
        "  --help             show this help and exit\n"
        "  --version          show the version and exit\n"
        "\n"
        "Exit status: 0 success, 1 runtime error (e.g. database unreachable) or, with\n"
        "--verify, a kept count that differs, 2 usage error.\n"
        "The same counts are available in psql: needlewatch.rate_cells,\n"
        "needlewatch.rate_cells_between(from, to), needlewatch.home_vs_clinic.\n",
        progname);
    options_sv_usage(out);
}

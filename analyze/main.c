/*
 * main.c - needlewatch-analyze: complication rates, signals and alerts from
 * the needlewatch views, with intervals and home-versus-clinic comparisons.
 *
 * The pipeline, one folder per step:
 *   parse     the command line and the configuration (cli.c)
 *   load      the counts, in one snapshot: the cube (load/counts.c), the
 *             weekly series and the report counts per device and model
 *             (load/surveillance.c), the risks over fixed follow-ups
 *             (load/risks.c) and the data-quality counts (load/quality.c)
 *   compute   rates and comparisons, risks, signals, alerts, skin trends
 *             (model/)
 *   disclose  what --suppress-below hides, and the rows it marks (disclose/)
 *   render    JSON, text, CSV or HTML (render/) to stdout, or to a
 *             temporary file renamed over --output once complete, so a
 *             reader never sees half a report
 *   export    --persist into PostgreSQL; --publish-signals to Kafka, what it
 *             published recorded with the run (export/)
 * --verify instead recounts the counts the ingest keeps (load/counts.c) and
 * lists the differences.
 * Exit codes: 0 success, 1 runtime error (or, with --verify, a difference),
 * 2 usage or configuration error.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "disclose/disclose.h"
#include "export/persist.h"
#include "export/publish.h"
#include "findings.h"
#include "civil.h"
#include "load/alertcounts.h"
#include "load/counts.h"
#include "load/pg.h"
#include "load/quality.h"
#include "load/risks.h"
#include "load/surveillance.h"
#include "log.h"
#include "model/alerts.h"
#include "model/detect_delay.h"
#include "model/quality.h"
#include "model/rates.h"
#include "model/risks.h"
#include "model/signals.h"
#include "model/tally.h"
#include "model/trends.h"
#include "model/weekly.h"
#include "render/render.h"

#ifndef NEEDLEWATCH_VERSION
#define NEEDLEWATCH_VERSION "unknown"
#endif

#define PROGNAME "needlewatch-analyze"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

extern char **environ;

/* Everything one run holds; main() frees it once, whatever happened. */
typedef struct {
    cube_t *cube;
    weekly_t weekly;
    weekly_t counted;   /* cases counted within D days, for the alerts */
    load_delays_t delays;
    bool *judgeable;    /* the weeks the alerts may judge */
    alert_timing_t timing;
    tally_t tally;
    rates_t rates;
    risks_t risks;
    quality_t quality;
    signals_t signals;
    alerts_t alerts;
    trends_t trends;
    disclosure_t disclosure;
} run_t;

static void run_free(run_t *run)
{
    disclose_free(&run->disclosure);
    alerts_free(&run->alerts);
    signals_free(&run->signals);
    risks_free(&run->risks);
    rates_free(&run->rates);
    tally_free(&run->tally);
    free(run->judgeable);
    weekly_free(&run->counted);
    weekly_free(&run->weekly);
    cube_free(run->cube);
}

static render_fn renderer_for(format_t format)
{
    switch (format) {
    case FORMAT_TEXT:
        return render_text;
    case FORMAT_CSV:
        return render_csv;
    case FORMAT_HTML:
        return render_html;
    default:
        return render_json;
    }
}

/* Renders into a temporary file beside path and renames it over path. */
static int render_to_file(const char *path, render_fn render, const findings_t *findings,
                          char *errbuf, size_t errlen)
{
    char *tmp = NULL;
    FILE *out = NULL;
    int fd = -1, rc = -1;
    mode_t mask;

    size_t len = strlen(path) + sizeof(".XXXXXX");

    tmp = malloc(len);
    if (tmp == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        goto out;
    }
    snprintf(tmp, len, "%s.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot create %s (temporary file for %s): %s", tmp, path,
                 strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    /* mkstemp makes 0600; give the report the usual permissions. */
    mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        snprintf(errbuf, errlen, "cannot chmod %s: %s", tmp, strerror(errno));
        goto out;
    }
    out = fdopen(fd, "w");
    if (out == NULL) {
        snprintf(errbuf, errlen, "cannot open %s: %s", tmp, strerror(errno));
        goto out;
    }
    fd = -1; /* out owns the descriptor now */
    if (render(out, findings, errbuf, errlen) != 0)
        goto out;
    if (fflush(out) != 0 || fsync(fileno(out)) != 0) {
        snprintf(errbuf, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fclose(out) != 0) {
        out = NULL;
        snprintf(errbuf, errlen, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    out = NULL;
    if (rename(tmp, path) != 0) {
        snprintf(errbuf, errlen, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    rc = 0;
out:
    if (out != NULL)
        fclose(out);
    if (fd >= 0)
        close(fd);
    if (tmp != NULL) {
        unlink(tmp);
        free(tmp);
    }
    return rc;
}

static int render_to_stdout(render_fn render, const findings_t *findings, char *errbuf,
                            size_t errlen)
{
    if (render(stdout, findings, errbuf, errlen) != 0)
        return -1;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        snprintf(errbuf, errlen, "cannot write to stdout: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* --verify: the differences on stdout, then the verdict. */
static int verify(PGconn *conn)
{
    char errbuf[1024];
    int64_t cells, differences;

    if (load_verify_kept(conn, stdout, &cells, &differences, errbuf, sizeof(errbuf)) != 0) {
        log_error("pg", "%s", errbuf);
        return EXIT_RUNTIME;
    }
    if (differences != 0) {
        if (fflush(stdout) != 0)
            return EXIT_RUNTIME;
        log_error("verify", "kept counts differ from the reports: %lld difference(s), %lld "
                  "kept cells", (long long)differences, (long long)cells);
        return EXIT_RUNTIME;
    }
    printf("kept counts exact: %lld cells checked\n", (long long)cells);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/* Runs one statement of the load step's transaction. */
static int exec_command(PGconn *conn, const char *sql, char *errbuf, size_t errlen)
{
    PGresult *res = PQexec(conn, sql);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;

    if (rc != 0)
        load_error(errbuf, errlen, sql, PQerrorMessage(conn));
    PQclear(res);
    return rc;
}

/* The alerts' part of the load step: the day they are as of, D (the
 * configured one, or a quantile of the observed delays), the cases counted
 * within D, and the weeks complete and mature (detect_judgeable). */
static int load_alerts(PGconn *conn, const cli_t *cli, const nw_config_t *cfg, run_t *run,
                       char *errbuf, size_t errlen)
{
    alert_timing_t *timing = &run->timing;
    int32_t first, last, day;
    int64_t within = 0;
    size_t nw = run->weekly.n_weeks;

    if (cli->as_of[0] ? civil_parse(cli->as_of, &timing->as_of) != CIVIL_OK
                      : load_today(conn, &timing->as_of, errbuf, errlen) != 0) {
        if (cli->as_of[0])
            snprintf(errbuf, errlen, "--as-of: bad date \"%s\"", cli->as_of);
        return -1;
    }
    /* The delays are read only for D's default (a configured D saves the
     * statement: half of what the alerts read). */
    timing->report_days_observed = cfg->alert_report_days <= 0;
    if (timing->report_days_observed &&
        load_alert_delays(conn, timing->as_of, &run->delays, errbuf, errlen) != 0)
        return -1;
    timing->report_days = timing->report_days_observed
                              ? detect_report_days(run->delays.hist, LOAD_DELAY_BINS,
                                                   DETECT_REPORT_SHARE, DETECT_REPORT_DAYS_MIN,
                                                   DETECT_REPORT_DAYS_MAX)
                              : cfg->alert_report_days;
    timing->delays_observed = 0;
    for (size_t d = 0; d < LOAD_DELAY_BINS; d++) {
        timing->delays_observed += run->delays.hist[d];
        if (d + 1 < LOAD_DELAY_BINS && (int)d <= timing->report_days)
            within += run->delays.hist[d];
    }
    timing->reported_within = timing->delays_observed > 0
                                  ? (double)within / (double)timing->delays_observed
                                  : NAN;
    if (load_alert_counts(conn, cli->from, cli->to, timing->report_days, run->cube,
                          &run->weekly, &run->counted, errbuf, errlen) != 0)
        return -1;
    run->judgeable = calloc(nw ? nw : 1, sizeof(*run->judgeable));
    if (run->judgeable == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    /* An open --from: nothing says the first week is complete (the data may
     * start mid-week), so it is not judged; an open --to: up to as_of. */
    first = cli->from[0] && civil_parse(cli->from, &day) == CIVIL_OK
                ? day
                : run->weekly.first_week + 7;
    last = cli->to[0] && civil_parse(cli->to, &day) == CIVIL_OK ? day : timing->as_of;
    detect_judgeable(run->weekly.first_week, nw, first, last, timing->as_of,
                     timing->report_days, run->judgeable);
    return 0;
}

/* The load step: the cube, the weekly and per-model counts and the alerts'
 * counts, from one snapshot so that all agree. */
static int load(PGconn *conn, const cli_t *cli, const nw_config_t *cfg, run_t *run,
                char *errbuf, size_t errlen)
{
    run->cube = cube_new();
    if (run->cube == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    if (exec_command(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", errbuf,
                     errlen) != 0)
        return -1;
    if (load_cube(conn, cli->from, cli->to, run->cube, errbuf, errlen) != 0 ||
        load_surveillance(conn, cli->from, cli->to, run->cube, &run->weekly, &run->tally,
                          errbuf, errlen) != 0 ||
        load_risks(conn, cli->from, cli->to, run->cube, &run->risks, errbuf, errlen) != 0 ||
        load_quality(conn, cli->from, cli->to, &run->quality, errbuf, errlen) != 0 ||
        load_alerts(conn, cli, cfg, run, errbuf, errlen) != 0) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return -1;
    }
    return exec_command(conn, "COMMIT", errbuf, errlen);
}

/* The compute and disclose steps. */
static int compute(const nw_config_t *cfg, run_t *run, char *errbuf, size_t errlen)
{
    alert_params_t params = alert_params_default();
    alert_input_t input = {run->timing, run->cube, &run->counted, run->judgeable};
    int rc = -1;

    params.method = (alert_method_t)alert_method_parse(cfg->alert_method);
    params.scan.q_level = cfg->alert_q_level;
    params.scan.window_max = cfg->alert_windows;
    params.scan.history_max = cfg->alert_history_weeks;
    params.ears = (nw_ears_params_t){(size_t)cfg->ears_baseline, cfg->ears_alpha,
                                     cfg->ears_min_sigma};
    params.farrington = DETECT_NOUFAILY(cfg->farrington_years, cfg->farrington_alpha);
    params.farrington.trend = cfg->farrington_years >= 3; /* R keeps a trend from b = 3 */
    params.glr_c_arl = cfg->glr_threshold;
    params.glr_baseline = cfg->glr_baseline;
    params.min_cases = cfg->alert_min_cases;
    if (rates_build(run->cube, &run->rates, errbuf, errlen) != 0 ||
        risks_build(run->cube, &run->risks, errbuf, errlen) != 0)
        return -1;
    if (signals_build(run->cube, &run->tally, run->rates.z, &run->signals) != 0 ||
        alerts_detect(&input, params, &run->alerts) != 0)
        goto nomem;
    trends_build(run->cube, &run->trends);
    if (disclose_build(run->cube, &run->weekly, &run->tally, &run->risks, &run->quality,
                       cfg->suppress_below, &run->disclosure) != 0)
        goto nomem;
    disclose_mark_rates(&run->disclosure, &run->rates);
    disclose_mark_risks(&run->disclosure, &run->risks);
    disclose_mark_signals(&run->disclosure, &run->signals);
    if (disclose_alerts(&run->disclosure, run->cube, &run->weekly, &run->counted,
                        &run->alerts) != 0)
        goto nomem;
    disclose_mark_trends(&run->disclosure, &run->trends);
    rc = 0;
    goto out;
nomem:
    snprintf(errbuf, errlen, "out of memory computing the signals");
out:
    return rc;
}

/* The export step: --persist stores the run; --publish-signals publishes
 * what changed and records it with the run, in the same transaction. */
static int export_run(PGconn *conn, const cli_t *cli, const nw_config_t *cfg,
                      const findings_t *findings, char *errbuf, size_t errlen)
{
    publish_opts_t opts = {cfg->topic_signals, cfg->kafka, cfg->kafka_count};
    publish_ctx_t pub = {&opts, findings, 0, 0, 0};
    int64_t run_id;

    if (!cli->persist && !cli->publish)
        return 0;
    if (persist_run(conn, findings, cli->publish ? publish_signals_in_run : NULL, &pub, &run_id,
                    errbuf, errlen) != 0) {
        log_error(cli->publish ? "publish" : "pg", "%s", errbuf);
        return -1;
    }
    log_info("persist", "stored as run %lld", (long long)run_id);
    if (cli->publish)
        log_info("publish", "%ld appeared, %ld changed, %ld cleared: published to %s",
                 pub.appeared, pub.changed, pub.cleared, opts.topic);
    return 0;
}

int main(int argc, char **argv)
{
    cli_t cli;
    nw_config_t cfg;
    char errbuf[1024];
    PGconn *conn = NULL;
    run_t run;
    findings_t findings;
    render_fn render;
    int rc = EXIT_RUNTIME;

    memset(&run, 0, sizeof(run));
    nw_log_init(PROGNAME);
    if (!config_init(&cfg, CONFIG_ANALYZE)) {
        log_error("analyze", "out of memory");
        return EXIT_RUNTIME;
    }
    /* Parse. */
    if (cli_parse(argc, argv, &cli, errbuf, sizeof(errbuf)) != 0) {
        log_error("usage", "%s (see %s --help)", errbuf, PROGNAME);
        rc = EXIT_USAGE;
        goto out;
    }
    if (cli.help) {
        cli_usage(stdout, PROGNAME);
        rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
        goto out;
    }
    if (cli.version) {
        printf("%s %s\n", PROGNAME, NEEDLEWATCH_VERSION);
        rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
        goto out;
    }
    if (cli_configure(&cli, &cfg, environ, errbuf, sizeof(errbuf)) != 0) {
        log_error("config", "%s", errbuf);
        rc = EXIT_USAGE;
        goto out;
    }
    nw_log_level = cfg.log_level;
    if (cli.dump_config) {
        config_dump(&cfg, stdout);
        rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
        goto out;
    }
    if (cli.as_of[0] == '\0') {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(cli.as_of, sizeof(cli.as_of), "%Y-%m-%d", &tm);
    }
    {
        int horizons[CLI_MAX_HORIZONS];
        size_t n;
        if (cli_parse_horizons("analyze.horizons", cfg.horizons, horizons, &n, errbuf,
                               sizeof(errbuf)) != 0) {
            log_error("config", "%s", errbuf);
            rc = EXIT_USAGE;
            goto out;
        }
        if (!risks_init(&run.risks, cli.as_of, horizons, n)) {
            log_error("analyze", "out of memory");
            goto out;
        }
    }
    if (cli.format == FORMAT_AUTO)
        cli.format = cli.output == NULL && isatty(STDOUT_FILENO) ? FORMAT_TEXT : FORMAT_JSON;
    render = renderer_for(cli.format);

    /* Load. */
    conn = load_connect(cfg.pg_conninfo, errbuf, sizeof(errbuf));
    if (conn == NULL) {
        log_error("pg", "%s", errbuf);
        goto out;
    }
    if (cli.verify) {
        rc = verify(conn);
        goto out;
    }
    if (load(conn, &cli, &cfg, &run, errbuf, sizeof(errbuf)) != 0) {
        log_error("pg", "%s", errbuf);
        goto out;
    }
    if (!cli.persist && !cli.publish) {
        PQfinish(conn); /* everything needed is in memory */
        conn = NULL;
    }

    /* Compute and disclose. */
    if (compute(&cfg, &run, errbuf, sizeof(errbuf)) != 0) {
        log_error("analyze", "%s", errbuf);
        goto out;
    }
    findings = (findings_t){.from = cli.from,
                            .to = cli.to,
                            .as_of = cli.as_of,
                            .generated_at = time(NULL),
                            .version = NEEDLEWATCH_VERSION,
                            .cube = run.cube,
                            .rates = &run.rates,
                            .risks = &run.risks,
                            .quality = &run.quality,
                            .weekly = &run.weekly,
                            .counted = &run.counted,
                            .signals = &run.signals,
                            .alerts = &run.alerts,
                            .trends = &run.trends,
                            .disclosure = &run.disclosure};

    /* Render. */
    if ((cli.output ? render_to_file(cli.output, render, &findings, errbuf, sizeof(errbuf))
                    : render_to_stdout(render, &findings, errbuf, sizeof(errbuf))) != 0) {
        log_error("output", "%s", errbuf);
        goto out;
    }

    /* Export. */
    if (export_run(conn, &cli, &cfg, &findings, errbuf, sizeof(errbuf)) != 0)
        goto out;
    log_debug("analyze", "%lld treatments, %zu rate rows, %zu comparisons",
              (long long)run.cube->totals.treatments, run.rates.n_rates,
              run.rates.n_comparisons);
    rc = EXIT_OK;
out:
    run_free(&run);
    config_free(&cfg);
    if (conn != NULL)
        PQfinish(conn);
    return rc;
}

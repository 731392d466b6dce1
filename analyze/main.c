/*
 * main.c - needlewatch-analyze: complication rates from the needlewatch
 * views, with intervals and home-versus-clinic comparisons.
 *
 * The steps: parse the command line (options.c); connect and read the
 * counts in one statement (query.c) into a cube (cube.c); build the rates
 * and comparisons (analysis.c, with stats.c); render them (render_*.c) to
 * stdout, or to a temporary file renamed over --output once complete, so a
 * reader never sees half a report.
 * --verify instead recounts the counts the ingest keeps (query.c) and lists
 * the differences.
 * Exit codes: 0 success, 1 runtime error (or, with --verify, a difference),
 * 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analysis.h"
#include "cube.h"
#include "log.h"
#include "options.h"
#include "persist.h"
#include "publish.h"
#include "query.h"
#include "render.h"
#include "surveil.h"
#include "surveillance.h"

#ifndef NEEDLEWATCH_VERSION
#define NEEDLEWATCH_VERSION "unknown"
#endif

#define PROGNAME "needlewatch-analyze"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

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
static int render_to_file(const char *path, render_fn render, const analysis_t *analysis,
                          const render_meta_t *meta, char *errbuf, size_t errlen)
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
    if (render(out, analysis, meta, errbuf, errlen) != 0)
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

static int render_to_stdout(render_fn render, const analysis_t *analysis,
                            const render_meta_t *meta, char *errbuf, size_t errlen)
{
    if (render(stdout, analysis, meta, errbuf, errlen) != 0)
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

    if (query_verify_kept(conn, stdout, &cells, &differences, errbuf, sizeof(errbuf)) != 0) {
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

int main(int argc, char **argv)
{
    options_t opts;
    char errbuf[1024];
    PGconn *conn = NULL;
    cube_t *cube = NULL;
    analysis_t analysis = {0};
    sv_data_t sv_data = {0};
    sv_results_t sv = {0};
    alert_params_t alert_params;
    render_meta_t meta;
    render_fn render;
    int rc = EXIT_RUNTIME;

    nw_log_init(PROGNAME);
    if (options_parse(argc, argv, &opts, errbuf, sizeof(errbuf)) != 0) {
        log_error("usage", "%s (see %s --help)", errbuf, PROGNAME);
        return EXIT_USAGE;
    }
    if (opts.help) {
        options_usage(stdout, PROGNAME);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
    }
    if (opts.version) {
        printf("%s %s\n", PROGNAME, NEEDLEWATCH_VERSION);
        return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
    }
    if (opts.format == FORMAT_AUTO)
        opts.format = opts.output == NULL && isatty(STDOUT_FILENO) ? FORMAT_TEXT : FORMAT_JSON;
    render = renderer_for(opts.format);

    conn = query_connect(opts.conninfo, errbuf, sizeof(errbuf));
    if (conn == NULL) {
        log_error("pg", "%s", errbuf);
        goto out;
    }
    if (opts.verify) {
        rc = verify(conn);
        goto out;
    }
    cube = cube_new();
    if (cube == NULL) {
        log_error("analyze", "out of memory");
        goto out;
    }
    /* The cube and the weekly / per-model counts from one snapshot. */
    PQclear(PQexec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
    if (query_load_cube(conn, opts.from, opts.to, cube, errbuf, sizeof(errbuf)) != 0 ||
        surveillance_load(conn, opts.from, opts.to, cube, &sv_data, errbuf, sizeof(errbuf)) != 0) {
        log_error("pg", "%s", errbuf);
        goto out;
    }
    PQclear(PQexec(conn, "COMMIT"));
    if (!opts.sv.persist && !opts.sv.publish) {
        PQfinish(conn); /* everything needed is in the cube */
        conn = NULL;
    }

    if (analysis_build(cube, &analysis, errbuf, sizeof(errbuf)) != 0) {
        log_error("analyze", "%s", errbuf);
        goto out;
    }
    alert_params.ears = (nw_ears_params_t){opts.sv.ears_baseline, opts.sv.ears_alpha,
                                           opts.sv.ears_min_sigma};
    alert_params.min_cases = opts.sv.alert_min_cases;
    if (sv_build(cube, &sv_data, alert_params, opts.sv.suppress_below, analysis.z, &sv, errbuf,
                 sizeof(errbuf)) != 0) {
        log_error("analyze", "%s", errbuf);
        goto out;
    }
    sv_apply_suppression(&sv, &analysis);
    analysis.sv = &sv;
    meta.from = opts.from;
    meta.to = opts.to;
    meta.generated_at = time(NULL);
    meta.version = NEEDLEWATCH_VERSION;
    if ((opts.output ? render_to_file(opts.output, render, &analysis, &meta, errbuf, sizeof(errbuf))
                     : render_to_stdout(render, &analysis, &meta, errbuf, sizeof(errbuf))) != 0) {
        log_error("output", "%s", errbuf);
        goto out;
    }
    if (opts.sv.persist || opts.sv.publish) {
        /* --publish-signals records what it published with the run. */
        publish_ctx_t pub = {&opts.sv, &analysis, &meta, 0, 0, 0};
        int64_t run_id;
        if (persist_run(conn, &analysis, &meta, opts.sv.publish ? publish_signals_in_run : NULL,
                        &pub, &run_id, errbuf, sizeof(errbuf)) != 0) {
            log_error(opts.sv.publish ? "publish" : "pg", "%s", errbuf);
            goto out;
        }
        log_info("persist", "stored as run %lld", (long long)run_id);
        if (opts.sv.publish)
            log_info("publish", "%ld appeared, %ld changed, %ld cleared: published to %s",
                     pub.appeared, pub.changed, pub.cleared, opts.sv.signals_topic);
    }
    log_debug("analyze", "%lld treatments, %zu rate rows, %zu comparisons",
              (long long)cube->totals.treatments, analysis.n_rates, analysis.n_comparisons);
    rc = EXIT_OK;
out:
    sv_free(&sv);
    surveillance_free(&sv_data);
    analysis_free(&analysis);
    cube_free(cube);
    if (conn != NULL)
        PQfinish(conn);
    return rc;
}

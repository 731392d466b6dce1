/*
 * render.h - the render step: writes the findings of a run as JSON, CSV, a
 * text report or an HTML page.
 *
 * One writer per format, one .c each (json.c, csv.c, text.c, html.c with
 * its charts.c), all with the same signature so main() can pick one from a
 * table. They read only the findings (findings.h), and only write to the
 * FILE they are given; the caller decides where it goes and whether a
 * half-written file survives an error.
 */
#ifndef NW_RENDER_H
#define NW_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "findings.h"

typedef int (*render_fn)(FILE *out, const findings_t *findings, char *errbuf, size_t errlen);

/* Each returns 0, or -1 with the reason in errbuf (out of memory, a write
 * error). */
int render_json(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));
int render_csv(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));
int render_text(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));
/* One self-contained HTML page with inline SVG charts and no script. */
int render_html(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* The JSON report's object of one signal row, and of one alert row (of the
 * findings' weekly series), as --publish-signals sends them too; NULL when
 * out of memory. The caller owns the object. */
cJSON *render_json_signal(const cube_t *cube, const signal_row_t *row);
cJSON *render_json_alert(const findings_t *findings, const alert_row_t *alert);

/* Adds the member "alert_method" (the method, its parameters, what the
 * alerts counted) to root; false when out of memory. */
bool render_json_alert_method(cJSON *root, const findings_t *findings);

#endif

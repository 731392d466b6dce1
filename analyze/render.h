/*
 * render.h - writes an analysis as JSON, CSV, a text report or an HTML page.
 *
 * One renderer per format, one .c each (render_json.c, render_csv.c,
 * render_text.c, render_html.c), all with the same signature so main() can pick one from
 * a table. They only write to the FILE they are given; the caller decides
 * where it goes and whether a half-written file survives an error.
 */
#ifndef NW_RENDER_H
#define NW_RENDER_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "analysis.h"

/* What the report says about how it was made. */
typedef struct {
    const char *from; /* "YYYY-MM-DD", or NULL/"" for an open bound */
    const char *to;
    time_t generated_at;
    const char *version; /* the analyzer's version */
} render_meta_t;

typedef int (*render_fn)(FILE *out, const analysis_t *analysis, const render_meta_t *meta,
                         char *errbuf, size_t errlen);

/* Each returns 0, or -1 with the reason in errbuf (out of memory, a write
 * error). */
int render_json(FILE *out, const analysis_t *analysis, const render_meta_t *meta, char *errbuf,
                size_t errlen) __attribute__((warn_unused_result));
int render_csv(FILE *out, const analysis_t *analysis, const render_meta_t *meta, char *errbuf,
               size_t errlen) __attribute__((warn_unused_result));
int render_text(FILE *out, const analysis_t *analysis, const render_meta_t *meta, char *errbuf,
                size_t errlen) __attribute__((warn_unused_result));
/* One self-contained HTML page with inline SVG charts and no script. */
int render_html(FILE *out, const analysis_t *analysis, const render_meta_t *meta, char *errbuf,
                size_t errlen) __attribute__((warn_unused_result));

#endif

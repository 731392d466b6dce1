/*
 * options.h - the command line of needlewatch-analyze.
 *
 *   needlewatch-analyze [--pg CONNINFO] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
 *                       [--format text|json|csv|html] [--output FILE]
 *                       [--help] [--version]
 *   needlewatch-analyze --verify [--pg CONNINFO]
 *
 * Parsing is pure (no I/O besides getopt's state), so the unit tests can
 * drive it; main() turns a parse error into exit code 2.
 */
#ifndef NW_OPTIONS_H
#define NW_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options_sv.h"

typedef enum {
    FORMAT_AUTO = 0, /* text on a terminal, json otherwise */
    FORMAT_TEXT,
    FORMAT_JSON,
    FORMAT_CSV,
    FORMAT_HTML, /* one self-contained page with charts */
} format_t;

typedef struct {
    const char *conninfo; /* borrowed from argv; NULL or "" = PG* variables */
    char from[11];        /* "YYYY-MM-DD", or "" when open */
    char to[11];
    format_t format;
    const char *output; /* borrowed from argv; NULL = stdout */
    bool verify; /* recount and compare the kept counts instead of reporting */
    options_sv_t sv; /* signals, alerts, suppression, --persist, --publish-signals */
    bool help;
    bool version;
} options_t;

/* Parses argv into opts. Returns 0, or -1 with the reason in errbuf (a usage
 * error: unknown option, missing or bad value, stray argument, --from after
 * --to, --verify with an option of the report). Resets getopt, so it can be
 * called more than once. */
int options_parse(int argc, char **argv, options_t *opts, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* True when s is a real calendar date written YYYY-MM-DD (years 0001-9999). */
bool options_valid_date(const char *s);

/* The --help text. */
void options_usage(FILE *out, const char *progname);

#endif

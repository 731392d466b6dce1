/*
 * findings.h - everything one run of the analyzer found, as the render and
 * export steps read it: how the run was made, the counts, the rates and
 * comparisons, and the surveillance results after the disclose step has
 * marked what --suppress-below hides. main.c fills it from the results of
 * each step; it borrows them all. The renderers and exporters read nothing
 * else.
 */
#ifndef NW_FINDINGS_H
#define NW_FINDINGS_H

#include <time.h>

#include "disclose/disclose.h"
#include "model/alerts.h"
#include "model/cube.h"
#include "model/quality.h"
#include "model/rates.h"
#include "model/risks.h"
#include "model/signals.h"
#include "model/trends.h"
#include "model/weekly.h"

typedef struct {
    /* How the run was made. */
    const char *from;       /* "YYYY-MM-DD", or NULL/"" for an open bound */
    const char *to;
    const char *as_of;      /* "YYYY-MM-DD": the day the risks are computed at */
    time_t generated_at;
    const char *version;    /* the analyzer's version */
    /* What it found. */
    const cube_t *cube;     /* the counts and the totals */
    const rates_t *rates;   /* rates, home versus clinic, adjusted */
    const risks_t *risks;   /* risks over fixed follow-ups; NULL: none */
    const quality_t *quality; /* the data-quality counts; NULL: none */
    /* Surveillance: all NULL, or none (a report without them leaves those
     * sections out). */
    const weekly_t *weekly;
    const weekly_t *counted;        /* the alerts' cases: counted within D days */
    const signals_t *signals;
    const alerts_t *alerts;
    const trends_t *trends;
    const disclosure_t *disclosure;
} findings_t;

#endif

/*
 * alertfmt.h - what every format says about an alert: its dates (the
 * window, the baseline), the names of its model and statistic, and its
 * plain-words sentence (detect_explain for the rate scan, the same shape
 * for the other methods). A block the disclose step hides gets a sentence
 * without numbers. The JSON, text and HTML writers and --publish-signals
 * all use these, so an alert reads the same everywhere.
 */
#ifndef NW_ALERTFMT_H
#define NW_ALERTFMT_H

#include <stdbool.h>
#include <stddef.h>

#include "findings.h"

/* The days of an evidence, "YYYY-MM-DD" each: its window's first Monday
 * and last Sunday, its baseline's first Monday and last Sunday ("" when it
 * has none). */
typedef struct {
    char window_first[11], window_last[11];
    char base_first[11], base_last[11];
    char week_start[11];     /* Monday of the judged week */
} alertfmt_days_t;

void alertfmt_days(const weekly_t *weekly, const alert_evidence_t *e, alertfmt_days_t *days);

/* "season", "trend", "level", "constant rate", "sum of cells", ... ("" for
 * none). */
const char *alertfmt_model(const alert_evidence_t *e);

/* What the statistic is and how the threshold applies: for the rate scan
 * "q_value" (alarm at statistic <= threshold), EARS "C2" (>), GLR "GLR"
 * (>=), Farrington "p_value" (<=). */
const char *alertfmt_statistic_name(alert_method_t method);
const char *alertfmt_rule(alert_method_t method); /* "<=", ">" or ">=" */

/* The sentence of a block (an alert's own, or one of its margins':
 * device, setting and complication given), into buf (always terminated). */
void alertfmt_sentence(char *buf, size_t len, const findings_t *findings, size_t device,
                       int setting, int complication, const alert_evidence_t *e, bool hidden);

/* A short label of a series: "derma_roller/home/infection". */
void alertfmt_series(char *buf, size_t len, const cube_t *cube, size_t device, int setting,
                     int complication);

#endif

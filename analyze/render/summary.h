/*
 * summary.h - what a report opens with: the few lines that need attention,
 * each with its numbers and the section that has the detail. The text and
 * HTML reports print them first and the JSON report lists them
 * ("summary"); all three take them from here, so they say the same.
 *
 *   serious         the serious cases (severe, or a permanent outcome) of all
 *                   treatments, and within the first horizon of the
 *                   treatments followed up that long; the device type with
 *                   the highest serious rate
 *   serious_change  the serious risk of the latest period of treatments
 *                   against the period before (risks.h)
 *   skin_trend      each complication whose trend across skin types holds
 *                   within device types (the adjusted test, p < 0.05), and
 *                   those whose pooled trend does not
 *   home_vs_clinic  each complication whose adjusted home/clinic rate ratio
 *                   has its interval clear of 1 (the largest first)
 *   alert           the most serious alerts (the first SUMMARY_ALERTS of
 *                   model/alerts.h's order, numbered as in their section),
 *                   and how many there are
 *   signal          the flagged disproportionality signals by device type,
 *                   and how many by model
 * A line never shows a number that --suppress-below hides: it leaves the
 * row out or says it is not shown. Pure: it only reads the findings.
 */
#ifndef NW_SUMMARY_H
#define NW_SUMMARY_H

#include <stddef.h>

#include "findings.h"

#define SUMMARY_MAX_LINES 32
#define SUMMARY_MAX_ITEMS 5 /* lines of one kind before "and N more" */
#define SUMMARY_ALERTS 3    /* alerts named before "N alerts in all" */

typedef enum {
    SUMMARY_SERIOUS = 0,
    SUMMARY_SERIOUS_CHANGE,
    SUMMARY_SKIN_TREND,
    SUMMARY_HOME_CLINIC,
    SUMMARY_ALERT,
    SUMMARY_SIGNAL,
    SUMMARY_KINDS
} summary_kind_t;

typedef struct {
    summary_kind_t kind;
    char text[480];     /* one sentence, UTF-8, without the pointer to the detail */
    /* What the line rests on (for the HTML's data-* attributes): */
    size_t device;      /* cube slot, CUBE_DEVICE_ALL; SIZE_MAX: none */
    int setting;        /* -1: none */
    int complication;   /* -1: none */
    size_t row;         /* the alert's or signal's index; SIZE_MAX: none (a count line) */
} summary_line_t;

typedef struct {
    size_t n;
    summary_line_t lines[SUMMARY_MAX_LINES];
} summary_t;

/* The lines of findings (with their surveillance part, or without: then no
 * alert or signal line), in the kinds' order. */
void summary_build(const findings_t *findings, summary_t *summary);

/* "serious", "serious_change", ... */
const char *summary_kind_name(summary_kind_t kind);
/* The id of the HTML section with the detail, and the title of the text
 * report's section. */
const char *summary_anchor(summary_kind_t kind);
const char *summary_section(summary_kind_t kind);

#endif

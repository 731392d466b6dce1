/*
 * quality.h - the data-quality counts of a report: how much of what it
 * rests on is missing or late. The load step (load/quality.c) fills them
 * for the window's treatments and their current complication reports:
 *   unknown skin type      treatments without a Fitzpatrick type (the cube's)
 *   no manufacturer/model  treatments whose report names no manufacturer or
 *                          no model
 *   no onset               complication reports without onset_days
 *   reporting lag          reported_at (its UTC date) - treated_on, in the
 *                          buckets of needlewatch.reporting_lag_buckets(),
 *                          for the treatments and for their complication
 *                          reports
 *   latest report          the date of the latest reported_at among all
 *                          current treatment and complication reports
 *   quarantine reasons     quarantined messages per reason: the field a
 *                          message failed on ("skin.fitzpatrick", "message"
 *                          for one that is not a report at all, "database"
 *                          when PostgreSQL refused it), never its values
 * The disclose step decides which of these counts --suppress-below hides.
 * Pure: no I/O.
 */
#ifndef NW_QUALITY_H
#define NW_QUALITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QUALITY_MAX_BUCKETS 16
#define QUALITY_MAX_REASONS 64
#define QUALITY_TOP_REASONS 5

typedef struct {
    char label[40];
    int64_t treatments; /* treatments whose own report has this lag */
    int64_t reports;    /* complication reports with this lag */
} quality_bucket_t;

typedef struct {
    char reason[72];
    int64_t n;
} quality_reason_t;

typedef struct {
    int64_t treatments;       /* in the window */
    int64_t unknown_skin;
    int64_t no_model;
    int64_t reports;          /* current complication reports on them */
    int64_t reports_no_onset;
    size_t n_buckets;
    quality_bucket_t buckets[QUALITY_MAX_BUCKETS];
    char latest_treatment[11];    /* "YYYY-MM-DD", "" when none */
    char latest_complication[11];
    int64_t quarantined;          /* every quarantined message */
    size_t n_reasons;             /* sorted by count, descending */
    quality_reason_t reasons[QUALITY_MAX_REASONS];
} quality_t;

/* Sorts the reasons by count (descending), then name. */
void quality_sort_reasons(quality_t *quality);

#endif

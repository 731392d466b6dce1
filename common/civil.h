/*
 * civil.h - calendar dates as day numbers: the one place where needlewatch
 * does date arithmetic (the ingest's check of treated_on, the analyzer's
 * --from/--to and its ISO weeks, the generator's plans).
 *
 * A date is an int32_t count of days since 1970-01-01 in the proleptic
 * Gregorian calendar (Howard Hinnant's days_from_civil / civil_from_days);
 * text is ISO 8601, "YYYY-MM-DD", years 0001-9999. Weeks run Monday to
 * Sunday; the ISO week of a day is the week of its Thursday. Pure.
 */
#ifndef NW_CIVIL_H
#define NW_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/* What civil_parse() found. */
typedef enum {
    CIVIL_OK = 0,
    CIVIL_NOT_ISO,  /* not written YYYY-MM-DD */
    CIVIL_NOT_REAL, /* written so, but no such day (2026-02-30, 2024-13-01, year 0) */
} civil_status_t;

/* True when y-m-d is a real calendar date (m 1..12, d within its month). */
bool civil_valid(int y, int m, int d);

/* Days since 1970-01-01 of y-m-d (any y, m 1..12, d 1..31). */
int32_t civil_days(int y, int m, int d);

/* The y-m-d of a day number. */
void civil_ymd(int32_t days, int *y, int *m, int *d);

/* Parses exactly "YYYY-MM-DD" (ten characters, years 0001-9999) into
 * *days; *days is set only when CIVIL_OK. */
civil_status_t civil_parse(const char *s, int32_t *days);

/* "YYYY-MM-DD" of a day number (years 0000-9999). */
void civil_format(int32_t days, char out[11]);

/* 0 for Monday .. 6 for Sunday. */
int civil_weekday(int32_t days);

/* The Monday on or before days. */
int32_t civil_monday(int32_t days);

/* The ISO 8601 week "YYYY-Www" of a day (the year is its Thursday's). */
void civil_iso_week(int32_t days, char out[9]);

#endif

/*
 * numfmt.h - the render step's formatting helpers: how the analyzer writes
 * numbers, and the few characters its reports for people use.
 *
 * Machine formats (JSON, CSV) get every double at full precision: the
 * shortest decimal that reads back as the very same double (like Python's
 * repr), never a rounded one. Reports for people get percentages and ratios
 * with two decimals, and two significant digits below 0.1 so that a small
 * but non-zero rate never reads as 0.00. Counts get thousands separators.
 *
 * Pure: each function writes into the caller's buffer and returns it; a
 * buffer of NUMFMT_LEN bytes is always large enough.
 */
#ifndef NW_NUMFMT_H
#define NW_NUMFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/stats.h"

#define NUMFMT_LEN 40

/* The characters of the reports for people, in UTF-8. */
#define DASH "\xE2\x80\x93"  /* en dash, U+2013: ranges "2.17–2.85" */
#define TIMES "\xC3\x97"      /* multiplication sign, U+00D7 */
#define CHI "\xCF\x87"        /* Greek small letter chi, U+03C7 */

/* The shortest "%.Ng" (N = 15..17, trailing zeros dropped) that strtod()
 * reads back exactly: the shortest decimal of v. Returns
 * false and writes "null" when v is NaN or infinite. */
bool numfmt_double(char *buf, size_t len, double v);

/* 12345 -> "12,345". */
char *numfmt_count(char *buf, size_t len, int64_t n);

/* A fraction as a percentage without the sign: 0.04213 -> "4.21",
 * 0.0000312 -> "0.0031", 0 -> "0.00". */
char *numfmt_percent(char *buf, size_t len, double fraction);

/* A ratio: 1.2345 -> "1.23", 0.0123 -> "0.012". */
char *numfmt_ratio(char *buf, size_t len, double ratio);

/* A ratio with its interval, for people: "2.49 (2.17–2.85)" (en dash).
 * Needs up to 3 * NUMFMT_LEN + 8 bytes; NUMFMT_CI_LEN is enough. */
#define NUMFMT_CI_LEN (3 * NUMFMT_LEN + 8)
char *numfmt_ratio_ci(char *buf, size_t len, double est, double lo, double hi);

/* A ratio estimate with its interval as numfmt_ratio_ci() writes it, or
 * "n/a" when it is not defined. */
char *numfmt_ratio_or_na(char *buf, size_t len, nw_ratio_t r);

#endif

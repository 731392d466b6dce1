/*
 * numfmt.h - how the analyzer writes numbers.
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

#define NUMFMT_LEN 40

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

#endif

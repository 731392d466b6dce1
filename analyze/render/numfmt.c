/*
 * numfmt.c - how the analyzer writes numbers (see numfmt.h).
 *
 * cJSON prints doubles with "%1.15g" and falls back to "%1.17g" only when
 * the short form differs by more than a few ulps, so it can lose the last
 * bit. numfmt_double() is exact, and the JSON renderer inserts its text
 * with cJSON_CreateRaw().
 */
#include "render/numfmt.h"

#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool numfmt_double(char *buf, size_t len, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, len, "null");
        return false;
    }
    /* %g drops trailing zeros, and a normal double is closer than half a
     * unit of the 15th digit to its shortest decimal when that has <= 15
     * digits, so "%.15g" already is the shortest form then; 16 and 17 digits
     * cover the rest (17 always reads back). Subnormals have fewer bits:
     * search them from 1 digit. */
    int first = fabs(v) < DBL_MIN ? 1 : 15;

    for (int prec = first; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return true;
}

char *numfmt_count(char *buf, size_t len, int64_t n)
{
    char digits[32];
    char out[48];
    size_t o = 0;
    /* Work on the magnitude as unsigned so INT64_MIN is fine too. */
    uint64_t mag = n < 0 ? (uint64_t)0 - (uint64_t)n : (uint64_t)n;
    int nd = snprintf(digits, sizeof(digits), "%" PRIu64, mag);

    if (n < 0)
        out[o++] = '-';
    for (int i = 0; i < nd; i++) {
        if (i > 0 && (nd - i) % 3 == 0)
            out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    snprintf(buf, len, "%s", out);
    return buf;
}

/* Two decimals, or two significant digits for 0 < |v| < 0.1 (at most 8). */
static char *fixed_readable(char *buf, size_t len, double v)
{
    int decimals = 2;
    double a = fabs(v);

    if (!isfinite(v)) {
        snprintf(buf, len, "%s", isnan(v) ? "n/a" : (v > 0 ? "inf" : "-inf"));
        return buf;
    }
    if (a > 0 && a < 0.1) {
        decimals = 1 - (int)floor(log10(a));
        if (decimals > 8)
            decimals = 8;
    }
    snprintf(buf, len, "%.*f", decimals, v);
    return buf;
}

char *numfmt_percent(char *buf, size_t len, double fraction)
{
    return fixed_readable(buf, len, fraction * 100.0);
}

char *numfmt_ratio(char *buf, size_t len, double ratio)
{
    return fixed_readable(buf, len, ratio);
}

char *numfmt_ratio_ci(char *buf, size_t len, double est, double lo, double hi)
{
    char e[NUMFMT_LEN], l[NUMFMT_LEN], h[NUMFMT_LEN];
    snprintf(buf, len, "%s (%s" DASH "%s)", numfmt_ratio(e, sizeof(e), est),
             numfmt_ratio(l, sizeof(l), lo), numfmt_ratio(h, sizeof(h), hi));
    return buf;
}

char *numfmt_ratio_or_na(char *buf, size_t len, nw_ratio_t r)
{
    if (!r.defined) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    return numfmt_ratio_ci(buf, len, r.est, r.lo, r.hi);
}

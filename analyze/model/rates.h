/*
 * rates.h - the compute step's first part: rates, intervals and
 * home-versus-clinic comparisons built from a filled cube.
 *
 * This is where the definitions of the report live:
 *   rates        every cell of the cube with at least one treatment, for
 *                "any" and each type: cases / treatments, 95% Wilson interval;
 *                and the same for the serious cases (a current report of
 *                the type that is severe or has a permanent outcome);
 *   comparisons  every device type (and "all") x skin type (and "all") x
 *                complication where home and clinic both have a treatment:
 *                crude rate ratio home / clinic, 95% Katz interval, undefined
 *                when either side has no case;
 *   adjusted     per complication, the Mantel-Haenszel rate ratio of home
 *                versus clinic over the strata device type x skin type
 *                (unknown skin type is a stratum of its own), 95%
 *                Greenland-Robins interval.
 * The statistics themselves are stats.c's. Pure: no I/O.
 */
#ifndef NW_RATES_H
#define NW_RATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cube.h"

typedef struct {
    size_t device; /* cube device slot, CUBE_DEVICE_ALL for "all" */
    int setting, skin, complication;
    int64_t treatments, cases;
    double rate, ci_low, ci_high;
    /* Serious cases (a report severe or permanent), with their Wilson
     * interval. */
    int64_t serious_cases;
    double serious_rate, serious_ci_low, serious_ci_high;
    bool suppressed; /* --suppress-below: write the labels, null numbers */
    bool serious_suppressed; /* --suppress-below hides the serious count */
} rate_t;

typedef struct {
    int64_t treatments, cases;
    double rate;
} rate_side_t;

typedef struct {
    size_t device;
    int skin, complication;
    rate_side_t home, clinic;
    bool defined; /* false: a side has no case; the ratio fields are NaN */
    double rate_ratio, ci_low, ci_high;
    bool suppressed; /* --suppress-below hides a side's counts */
} rate_comparison_t;

typedef struct {
    int complication;
    bool defined; /* false: no home case or no clinic case in a usable stratum */
    double mh_rate_ratio, ci_low, ci_high;
    size_t strata_used; /* strata (device type x skin type) with both settings */
    bool suppressed;    /* --suppress-below hides a stratum's counts */
} rate_adjusted_t;

typedef struct {
    const cube_t *cube; /* borrowed: must outlive the rates */
    double z;           /* the normal quantile of the intervals */
    rate_t *rates; /* owned */
    size_t n_rates;
    rate_comparison_t *comparisons; /* owned */
    size_t n_comparisons;
    rate_adjusted_t adjusted[CUBE_COMPLICATIONS];
} rates_t;

/* Builds the rates of cube (margins filled) at 95%. The rates borrow
 * cube; free its arrays with rates_free(). Returns 0, or -1 with the
 * reason in errbuf (out of memory, or counts the statistics reject). */
int rates_build(const cube_t *cube, rates_t *rates, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* Frees what rates_build() allocated; safe on zeroed rates. */
void rates_free(rates_t *rates);

/* The comparison for (device, skin, complication), or NULL when there is
 * none (a setting without treatments). */
const rate_comparison_t *rates_find_comparison(const rates_t *rates, size_t device,
                                                      int skin, int complication);

/* The rate row for a cell, or NULL when the cell has no treatment. */
const rate_t *rates_find(const rates_t *rates, size_t device,
                                          int setting, int skin, int complication);

#endif

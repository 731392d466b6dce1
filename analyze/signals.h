/*
 * signals.h - screening for device types and models whose complication rate
 * stands out, by two methods side by side.
 *
 * Rate-based (needlewatch knows its denominators): the rate of complication
 * C among treatments with device type D, against the rate among all other
 * treatments, as a rate ratio with the Katz interval. A rate signal when
 * a >= 3 cases and the interval's lower end is above 1.
 *
 * Disproportionality (the usual method of spontaneous-report databases,
 * which have no denominators): cases are "reports", and the 2x2 table is
 *   a = cases of C with D          b = cases of other types with D
 *   c = cases of C with other D    d = cases of other types with other D
 * PRR with its interval, ROR with Woolf's, Yates' chi-square, and the
 * Evans et al. (2001) rule (a >= 3, PRR >= 2, chi2 >= 4). A disproportion
 * can come from D having few other complications, not many of C: read it
 * next to the rate ratio.
 *
 * signal = rate signal OR Evans signal (screening: either is worth a look).
 * By model: each model of a device type against the other treatments of
 * the SAME device type (other models and treatments naming none), so a
 * model is not flagged merely for being, say, a home roller.
 * Pure: stats.c does the statistics.
 */
#ifndef NW_SIGNALS_H
#define NW_SIGNALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cube.h"
#include "stats.h"

typedef struct {
    size_t device;       /* cube device slot */
    const char *model;   /* NULL for a device-type row; borrowed otherwise */
    int complication;    /* 1..10 */
    int64_t treatments, cases;              /* the device (model) */
    int64_t other_treatments, other_cases;  /* its comparison group */
    double rate, other_rate;
    nw_ratio_t rate_ratio;  /* Katz */
    bool rate_signal;
    nw_table2x2_t table;
    nw_ratio_t prr, ror;
    nw_chi2_t chi2;         /* Yates */
    bool evans_signal;
    bool signal;
    bool suppressed;        /* --suppress-below hides this row's numbers */
} signal_row_t;

/* Fills row from the counts of the group (t treatments, cases[] by
 * complication) and of its comparison group (ot, ocases[]), for
 * complication c (1..10), at normal quantile z. */
void signals_compute(signal_row_t *row, int c, int64_t t, const int64_t *cases, int64_t ot,
                     const int64_t *ocases, double z);

#endif

/*
 * signals.c - disproportionality on report counts and rate ratios on
 * treatments (see signals.h).
 */
#include "signals.h"

#include <math.h>

void signals_compute(signal_row_t *row, int c, const int64_t *reports, const int64_t *other,
                     double z)
{
    nw_evans_t evans;

    row->complication = c;
    row->table.a = (long)reports[c];
    row->table.b = (long)(reports[0] - reports[c]);
    row->table.c = (long)other[c];
    row->table.d = (long)(other[0] - other[c]);
    row->prr = stats_prr(row->table, z);
    row->ror = stats_ror(row->table, z);
    row->chi2 = stats_chi2_yates(row->table);
    evans = stats_evans_signal(row->table, z);
    row->evans_signal = evans.signal;
    row->signal = evans.signal;
}

void signals_rate(rate_row_t *row, int64_t t, int64_t a, int64_t ot, int64_t oc, double z)
{
    row->treatments = t;
    row->cases = a;
    row->other_treatments = ot;
    row->other_cases = oc;
    row->rate = t > 0 ? (double)a / (double)t : NAN;
    row->other_rate = ot > 0 ? (double)oc / (double)ot : NAN;
    row->rate_ratio = stats_risk_ratio((long)a, (long)t, (long)oc, (long)ot, z);
}

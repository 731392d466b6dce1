/*
 * signals.c - rate-based and disproportionality screening of one group
 * against its comparison group (see signals.h).
 */
#include "signals.h"

#include <math.h>

/* Cases of every type but c: the "other events" of the 2x2 table. */
static int64_t other_types(const int64_t *cases, int c)
{
    int64_t sum = 0;
    for (int k = 1; k < CUBE_COMPLICATIONS; k++) {
        if (k != c)
            sum += cases[k];
    }
    return sum;
}

void signals_compute(signal_row_t *row, int c, int64_t t, const int64_t *cases, int64_t ot,
                     const int64_t *ocases, double z)
{
    nw_evans_t evans;

    row->complication = c;
    row->treatments = t;
    row->cases = cases[c];
    row->other_treatments = ot;
    row->other_cases = ocases[c];
    row->rate = t > 0 ? (double)cases[c] / (double)t : NAN;
    row->other_rate = ot > 0 ? (double)ocases[c] / (double)ot : NAN;
    row->rate_ratio = stats_risk_ratio((long)cases[c], (long)t, (long)ocases[c], (long)ot, z);
    row->rate_signal = row->rate_ratio.defined && cases[c] >= 3 && row->rate_ratio.lo > 1.0;

    row->table.a = (long)cases[c];
    row->table.b = (long)other_types(cases, c);
    row->table.c = (long)ocases[c];
    row->table.d = (long)other_types(ocases, c);
    evans = stats_evans_signal(row->table, z);
    row->prr = evans.prr;
    row->chi2 = evans.chi2;
    row->evans_signal = evans.signal;
    row->ror = stats_ror(row->table, z);
    row->signal = row->rate_signal || row->evans_signal;
}

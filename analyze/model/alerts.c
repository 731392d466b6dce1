/*
 * alerts.c - EARS C2 alerts on the weekly series (see alerts.h).
 */
#include "model/alerts.h"

#include <stdlib.h>
#include <string.h>

/* Appends one row; false when out of memory. */
static bool append(alerts_t *alerts, size_t *cap, const alert_row_t *row)
{
    if (alerts->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        alert_row_t *grown = realloc(alerts->rows, ncap * sizeof(*grown));
        if (grown == NULL)
            return false;
        alerts->rows = grown;
        *cap = ncap;
    }
    alerts->rows[alerts->n++] = *row;
    return true;
}

int alerts_detect(const weekly_series_t *series, size_t n_series, size_t n_weeks,
                  alert_params_t params, alerts_t *alerts)
{
    long *cases = NULL;
    size_t cap = 0;
    int rc = -1;

    memset(alerts, 0, sizeof(*alerts));
    alerts->params = params;
    if (n_weeks == 0)
        return 0;
    cases = calloc(n_weeks, sizeof(*cases));
    if (cases == NULL)
        return -1;
    for (size_t i = 0; i < n_series; i++) {
        const weekly_series_t *s = &series[i];
        for (size_t w = 0; w < n_weeks; w++)
            cases[w] = (long)s->cases[w];
        for (size_t w = 0; w < n_weeks; w++) {
            nw_ears_t e = stats_ears_c2(cases, n_weeks, w, params.ears);
            alert_row_t row = {s->device, s->setting, s->complication, w, e, false};
            if (!e.defined || !e.alarm || cases[w] < params.min_cases)
                continue;
            if (!append(alerts, &cap, &row))
                goto out;
        }
    }
    rc = 0;
out:
    free(cases);
    return rc;
}

void alerts_free(alerts_t *alerts)
{
    free(alerts->rows);
    alerts->rows = NULL;
    alerts->n = 0;
}

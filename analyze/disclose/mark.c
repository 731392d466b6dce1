/*
 * mark.c - marks the rows of the compute step that publish a count the
 * disclosure tables hide, or a number computed from one (see disclose.h).
 * A marked row keeps its labels; the renderers write null (JSON), empty
 * fields (CSV), "suppressed" (HTML) or "not shown" (text) for its numbers.
 */
#include "disclose/disclose.h"

/* Does a cube cell hide its treatments or its cases of c? */
static bool side_hidden(const disclosure_t *d, size_t slot, int setting, int skin, int c)
{
    return disclose_cell(d, slot, setting, skin, DISCLOSE_TREATMENTS) ||
           disclose_cell(d, slot, setting, skin, c);
}

void disclose_mark_rates(const disclosure_t *d, rates_t *rates)
{
    const cube_t *cube = rates->cube;

    if (d->below <= 0)
        return;
    for (size_t i = 0; i < rates->n_rates; i++) {
        rate_t *r = &rates->rates[i];
        r->suppressed = side_hidden(d, r->device, r->setting, r->skin, r->complication);
        r->serious_suppressed =
            r->suppressed || disclose_serious(d, r->device, r->setting, r->skin, r->complication);
    }
    for (size_t i = 0; i < rates->n_comparisons; i++) {
        rate_comparison_t *cmp = &rates->comparisons[i];
        cmp->suppressed =
            side_hidden(d, cmp->device, CUBE_SETTING_HOME, cmp->skin, cmp->complication) ||
            side_hidden(d, cmp->device, CUBE_SETTING_CLINIC, cmp->skin, cmp->complication);
    }
    /* The adjusted ratio reads every stratum. */
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        bool hide = false;
        for (size_t dev = 0; dev < cube->n_devices; dev++) {
            for (int k = 0; k < CUBE_SKIN_ALL; k++)
                hide |= side_hidden(d, dev, CUBE_SETTING_HOME, k, c) ||
                        side_hidden(d, dev, CUBE_SETTING_CLINIC, k, c);
        }
        rates->adjusted[c].suppressed = hide;
    }
}

void disclose_mark_risks(const disclosure_t *d, risks_t *risks)
{
    risk_change_t *ch = &risks->change;

    if (d->below <= 0)
        return;
    for (size_t i = 0; i < risks->n_rows; i++) {
        risk_row_t *r = &risks->rows[i];
        size_t h = 0;
        while (h + 1 < risks->n_horizons && risks->horizons[h] != r->horizon)
            h++;
        r->suppressed =
            disclose_risk(d, h, r->device, r->setting, r->skin, DISCLOSE_CASES,
                          DISCLOSE_TREATMENTS) ||
            disclose_risk(d, h, r->device, r->setting, r->skin, DISCLOSE_CASES, r->complication);
        r->serious_suppressed = r->suppressed || disclose_risk(d, h, r->device, r->setting, r->skin,
                                                               DISCLOSE_SERIOUS, r->complication);
        r->missing_suppressed = r->suppressed || disclose_risk(d, h, r->device, r->setting, r->skin,
                                                               DISCLOSE_MISSING, r->complication);
    }
    ch->recent.suppressed = d->change_recent;
    ch->previous.suppressed = d->change_previous;
    ch->suppressed = d->change_recent || d->change_previous;
}

static bool table_small(const disclosure_t *d, nw_table2x2_t t)
{
    return disclose_small(d, t.a) || disclose_small(d, t.b) || disclose_small(d, t.c) ||
           disclose_small(d, t.d);
}

/* A disproportionality row publishes its cell (row, c) and the margins
 * (row, all types), (all, c) and (all, all types): cell and row_all say
 * whether the row's own counts of c and of all types are hidden. */
static bool margins_hidden(const disclosure_t *d, bool cell, bool row_all, int c)
{
    return d->below > 0 && (cell || row_all || disclose_report(d, CUBE_DEVICE_ALL, c) ||
                            disclose_report(d, CUBE_DEVICE_ALL, CUBE_ANY));
}

void disclose_mark_signals(const disclosure_t *d, signals_t *signals)
{
    for (size_t i = 0; i < signals->n_devices; i++) {
        signal_row_t *row = &signals->devices[i];
        int c = row->complication;
        row->suppressed = margins_hidden(d, disclose_report(d, row->device, c),
                                         disclose_report(d, row->device, CUBE_ANY), c) ||
                          table_small(d, row->table);
    }
    /* Model rows come in pairs' order, CUBE_COMPLICATIONS - 1 per pair. */
    for (size_t i = 0; i < signals->n_models; i++) {
        signal_row_t *row = &signals->models[i];
        size_t m = i / (CUBE_COMPLICATIONS - 1);
        int c = row->complication;
        row->suppressed = margins_hidden(d, disclose_model(d, m, c),
                                         disclose_model(d, m, CUBE_ANY), c) ||
                          table_small(d, row->table);
    }
    /* A rate row publishes the cell of its device and the margin of all
     * devices (and their differences). */
    for (size_t i = 0; i < signals->n_rates; i++) {
        signal_rate_t *row = &signals->rates[i];
        int st = row->setting, c = row->complication;
        row->suppressed = d->below > 0 &&
                          (side_hidden(d, row->device, st, CUBE_SKIN_ALL, c) ||
                           side_hidden(d, CUBE_DEVICE_ALL, st, CUBE_SKIN_ALL, c) ||
                           disclose_small(d, row->other_treatments) ||
                           disclose_small(d, row->other_cases));
    }
}

void disclose_mark_trends(const disclosure_t *d, trends_t *trends)
{
    if (d->below <= 0)
        return;
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
            skin_trend_adjusted_t *adj = &trends->adjusted[s][c];
            for (int k = 0; k < 6; k++) {
                trends->skin[s][c].suppressed |= side_hidden(d, CUBE_DEVICE_ALL, s, k, c);
                for (size_t dev = 0; dev < trends->n_devices; dev++) {
                    bool hidden = side_hidden(d, dev, s, k, c);
                    trends->device[dev][s][c].suppressed |= hidden;
                    /* The adjusted trend reads every device's cells (of
                     * both settings, for "all"). */
                    adj->suppressed |= hidden;
                    if (s == CUBE_SETTING_ALL)
                        adj->suppressed |= side_hidden(d, dev, CUBE_SETTING_HOME, k, c) ||
                                           side_hidden(d, dev, CUBE_SETTING_CLINIC, k, c);
                }
            }
        }
    }
}

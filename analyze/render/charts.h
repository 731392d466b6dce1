/*
 * charts.h - the charts of the HTML report (render/html.c), as inline SVG:
 *   forest   home-versus-clinic rate ratios with their 95% intervals, one row
 *            per device type and for all device types, the Mantel-Haenszel
 *            adjusted ratio as a diamond, on a log axis with a line at 1
 *            that every forest plot of the page shares, with the cases and
 *            treatments behind each ratio; an interval wider than a factor
 *            100 is drawn grey and dashed, marked uninformative;
 *   skin     rates per 1,000 treatments by Fitzpatrick type I..VI, home and
 *            clinic side by side, with Wilson interval bars;
 *   weekly   the rate (cases per 1,000 treatments) per ISO week of one device
 *            type and complication, home, clinic and both, with Wilson
 *            interval bars, the week that is not over yet (as of the
 *            report's as-of date, or cut by --to) drawn hollow and marked
 *            incomplete, and the alerts of that series marked (their weeks
 *            shaded, a marker at the first).
 *
 * Each chart is an <svg> with a <title>, axis labels with units and a
 * legend, in the Okabe-Ito colours (colour-blind safe). Its elements carry
 * data-* attributes with the numbers at full precision (the same doubles as
 * the JSON report), and the plot area its scale (data-x0, data-min, ...), so
 * a test can check what is drawn against the JSON. A value that
 * --suppress-below hides is drawn as data-suppressed="true" with no number.
 * Nothing here computes a statistic: the numbers come from the findings.
 */
#ifndef NW_CHARTS_H
#define NW_CHARTS_H

#include <stddef.h>
#include <stdio.h>

#include "findings.h"

/* Okabe & Ito (2008), "Color Universal Design". */
#define HTML_COLOUR_HOME "#D55E00"     /* vermillion */
#define HTML_COLOUR_CLINIC "#0072B2"   /* blue */
#define HTML_COLOUR_BOTH "#000000"     /* black */
#define HTML_COLOUR_ADJUSTED "#CC79A7" /* reddish purple */
#define HTML_COLOUR_SIGNAL "#F0E442"   /* yellow */
#define HTML_COLOUR_MUTED "#999999"    /* grey */

/* The axis every forest plot of a page shares: the ticks that hold every
 * interval of every complication, except the uninformative ones (wider
 * than a factor 100), which are drawn clipped and marked. */
void chart_forest_axis(const rates_t *rates, double *min, double *max);

/* The forest plot of complication c (CUBE_ANY or a type), on the axis
 * [min, max] (chart_forest_axis()), with the counts behind each ratio. */
void chart_forest(FILE *out, const rates_t *rates, int complication, double min, double max);

/* Rates by skin type of complication c, all device types. */
void chart_skin(FILE *out, const rates_t *rates, int complication);

/* The weekly series of device slot (CUBE_DEVICE_ALL for all) and
 * complication c; the findings must have their surveillance part. */
void chart_weekly(FILE *out, const findings_t *findings, size_t slot, int complication);

/* The first week of the weekly series that is not over at the report's
 * cut (its as-of date, or --to when earlier): n_weeks when every week is. */
size_t chart_incomplete_week(const findings_t *findings);

/* How many alerts concern (slot, c). */
size_t chart_alerts_in(const findings_t *findings, size_t slot, int complication);

#endif

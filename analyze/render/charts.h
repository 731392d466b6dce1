/*
 * charts.h - the charts of the HTML report (render/html.c), as inline SVG:
 *   forest   home-versus-clinic rate ratios with their 95% intervals, one row
 *            per device type and for all device types, the Mantel-Haenszel
 *            adjusted ratio as a diamond, on a log axis with a line at 1;
 *   skin     rates per 1,000 treatments by Fitzpatrick type I..VI, home and
 *            clinic side by side, with Wilson interval bars;
 *   weekly   cases per ISO week of one device type and complication, home,
 *            clinic and both, with the EARS C2 alerts of that series marked.
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

/* The forest plot of complication c (CUBE_ANY or a type). */
void chart_forest(FILE *out, const rates_t *rates, int complication);

/* Rates by skin type of complication c, all device types. */
void chart_skin(FILE *out, const rates_t *rates, int complication);

/* The weekly series of device slot (CUBE_DEVICE_ALL for all) and
 * complication c; the findings must have their surveillance part. */
void chart_weekly(FILE *out, const findings_t *findings, size_t slot, int complication);

/* How many alerts concern (slot, c). */
size_t chart_alerts_in(const findings_t *findings, size_t slot, int complication);

#endif

/*
 * charts.c - the SVG charts of the HTML report (see charts.h).
 *
 * Coordinates are in SVG user units (one CSS pixel at the viewBox's size),
 * written with one decimal. Every chart lays out the same way: a legend on
 * top, the plot area (a <g class="plot"> carrying its scale), the axes with
 * their labels below and left. Strings from the database go through
 * html_escape(); numbers that --suppress-below hides are never written.
 */
#include "render/charts.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "render/markup.h"
#include "render/numfmt.h"

#define DIVIDE "\xC3\xB7"    /* division sign */
#define LARROW "\xE2\x86\x90"
#define RARROW "\xE2\x86\x92"

static const char *setting_colour(int setting)
{
    return setting == CUBE_SETTING_HOME     ? HTML_COLOUR_HOME
           : setting == CUBE_SETTING_CLINIC ? HTML_COLOUR_CLINIC
                                            : HTML_COLOUR_BOTH;
}

static const char *setting_title(int setting)
{
    return setting == CUBE_SETTING_ALL ? "Home and clinic"
                                       : catalogue_settings.entries[setting].title;
}

/* The top of a value axis of five equal intervals that holds top: five
 * times the smallest step of 1, 2, 2.5 or 5 times a power of ten that is
 * large enough (for counts: a whole number). */
static double axis_top(double top, bool counts)
{
    static const double steps[] = {1, 2, 2.5, 5, 10};
    double want, p, step = 1;

    if (!(top > 0) || !isfinite(top))
        return counts ? 5 : 1;
    want = top / 5;
    p = pow(10, floor(log10(want)));
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        if (counts && steps[i] * p != floor(steps[i] * p))
            continue;
        if (steps[i] * p >= want * (1 - 1e-12)) {
            step = steps[i] * p;
            break;
        }
    }
    if (counts && step < 1)
        step = 1;
    return 5 * step;
}

/* A rate per 1,000 for a label: one decimal from 1 up ("57.7" for 0.0577),
 * two significant digits below ("0.62", "0.031"), "0" for none. */
static char *per_1000(char *buf, size_t len, double rate)
{
    double v = rate * 1000.0;
    if (v == 0)
        snprintf(buf, len, "0");
    else if (v >= 1)
        snprintf(buf, len, "%.1f", v);
    else
        numfmt_ratio(buf, len, v);
    return buf;
}


/* A legend entry: a swatch drawn by the caller's markup at (x, y), then
 * the label; returns the x of the next entry. */
static double legend_text(FILE *out, double x, double y, const char *label)
{
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"legend-label\">%s</text>\n", x, y + 4,
            label);
    return x + 16 + 6.2 * (double)strlen(label);
}

static double legend_square(FILE *out, double x, double y, const char *colour, const char *label)
{
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"10\" fill=\"%s\"/>\n", x,
            y - 5, colour);
    return legend_text(out, x + 16, y, label);
}

static double legend_line(FILE *out, double x, double y, const char *colour, bool dashed,
                          const char *label)
{
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\"%s/>\n",
            x, y, x + 18, y, colour, dashed ? " stroke-dasharray=\"5 3\"" : "");
    return legend_text(out, x + 22, y, label);
}

/* ---- Forest plot ---------------------------------------------------- */

#define F_WIDTH 920
#define F_LABEL_X 8
#define F_X0 190.0
#define F_X1 400.0
#define F_TEXT_X 412
#define F_COUNTS_X 660
#define F_TOP 46.0
#define F_ROW 22.0

/* An interval wider than this (hi / lo) tells nothing useful: it is drawn
 * as uninformative and left out of the axis range. */
#define F_UNINFORMATIVE 100.0

typedef struct {
    const char *label;  /* for people (may come from the database) */
    const char *device; /* data-device */
    bool adjusted;
    bool suppressed, defined;
    double rr, lo, hi;
    const rate_comparison_t *cmp; /* the crude rows */
    size_t strata;
} forest_row_t;

static bool uninformative(double lo, double hi)
{
    return hi > lo * F_UNINFORMATIVE;
}

static const double forest_ticks[] = {0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01,
                                      0.02,   0.05,   0.1,    0.2,   0.5,   1,     2,
                                      5,      10,     20,     50,    100,   200,   500,
                                      1000,   2000,   5000,   10000};
#define N_FOREST_TICKS (sizeof(forest_ticks) / sizeof(forest_ticks[0]))

static double forest_x(double v, double min, double max)
{
    if (v < min)
        v = min;
    if (v > max)
        v = max;
    return F_X0 + (F_X1 - F_X0) * (log(v) - log(min)) / (log(max) - log(min));
}

static const char *why_undefined(const forest_row_t *row)
{
    if (row->adjusted)
        return "n/a: no home or no clinic case";
    if (row->cmp->home.cases == 0 && row->cmp->clinic.cases == 0)
        return "n/a: no case";
    return row->cmp->home.cases == 0 ? "n/a: no case at home" : "n/a: no case in clinic";
}

static void forest_row(FILE *out, const forest_row_t *row, int c, double y, double min,
                       double max)
{
    char text[128], a[NUMFMT_LEN], b[NUMFMT_LEN], d[NUMFMT_LEN], e[NUMFMT_LEN];
    char f[NUMFMT_LEN], g[NUMFMT_LEN];

    fprintf(out, "<g class=\"forest-row%s\"", row->adjusted ? " forest-adjusted" : "");
    html_attr(out, "data-complication", cube_complication_name(c));
    html_attr(out, "data-device", row->device);
    html_attr(out, "data-kind", row->adjusted ? "adjusted" : "crude");
    if (row->suppressed) {
        fputs(" data-suppressed=\"true\"", out);
    } else if (row->defined) {
        html_attr_double(out, "data-rr", row->rr);
        html_attr_double(out, "data-lo", row->lo);
        html_attr_double(out, "data-hi", row->hi);
    } else {
        fputs(" data-defined=\"false\"", out);
    }
    if (!row->suppressed && !row->adjusted) {
        html_attr_count(out, "data-home-cases", row->cmp->home.cases);
        html_attr_count(out, "data-home-treatments", row->cmp->home.treatments);
        html_attr_count(out, "data-clinic-cases", row->cmp->clinic.cases);
        html_attr_count(out, "data-clinic-treatments", row->cmp->clinic.treatments);
    }
    if (!row->suppressed && row->defined && uninformative(row->lo, row->hi))
        fputs(" data-uninformative=\"true\"", out);
    fputs(">\n<title>", out);
    html_escape(out, row->label);
    if (row->suppressed) {
        fputs(": not shown (too few cases to publish)", out);
    } else if (row->adjusted) {
        fprintf(out, ": Mantel" DASH "Haenszel rate ratio over %zu device type " TIMES
                     " skin type groups",
                row->strata);
    } else {
        fprintf(out, ": home %s of %s treatments (%s per 1,000), clinic %s of %s (%s per 1,000)",
                numfmt_count(a, sizeof(a), row->cmp->home.cases),
                numfmt_count(b, sizeof(b), row->cmp->home.treatments),
                per_1000(d, sizeof(d), row->cmp->home.rate),
                numfmt_count(e, sizeof(e), row->cmp->clinic.cases),
                numfmt_count(f, sizeof(f), row->cmp->clinic.treatments),
                per_1000(g, sizeof(g), row->cmp->clinic.rate));
    }
    fputs("</title>\n", out);
    fprintf(out, "<text x=\"%d\" y=\"%.1f\" class=\"row-label%s\">", F_LABEL_X, y + 4,
            row->adjusted ? " strong" : "");
    html_escape(out, row->label);
    fputs("</text>\n", out);
    if (row->suppressed) {
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" class=\"row-value muted\">suppressed</text>\n",
                F_TEXT_X, y + 4);
    } else if (!row->defined) {
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" class=\"row-value muted\">%s</text>\n",
                F_TEXT_X, y + 4, why_undefined(row));
    } else {
        double xl = forest_x(row->lo, min, max), xh = forest_x(row->hi, min, max);
        double xp = forest_x(row->rr, min, max);
        bool vague = uninformative(row->lo, row->hi);
        const char *colour = vague               ? HTML_COLOUR_MUTED
                             : row->adjusted     ? HTML_COLOUR_ADJUSTED
                                                 : HTML_COLOUR_BOTH;
        fprintf(out,
                "<line class=\"ci%s\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"%s\" stroke-width=\"2\"%s/>\n",
                vague ? " uninformative" : "", xl, y, xh, y, colour,
                vague ? " stroke-dasharray=\"3 3\"" : "");
        if (row->lo < min)
            fprintf(out, "<path class=\"clipped\" d=\"M%.1f,%.1f l6,-4 v8 z\" fill=\"%s\"/>\n",
                    xl, y, colour);
        if (row->hi > max)
            fprintf(out, "<path class=\"clipped\" d=\"M%.1f,%.1f l-6,-4 v8 z\" fill=\"%s\"/>\n",
                    xh, y, colour);
        if (row->adjusted)
            fprintf(out,
                    "<path class=\"point\" data-cx=\"%.1f\" d=\"M%.1f,%.1f l7,7 l-7,7 l-7,-7 z\" "
                    "fill=\"%s\" stroke=\"#000\"/>\n",
                    xp, xp, y - 7, colour);
        else
            fprintf(out,
                    "<rect class=\"point\" data-cx=\"%.1f\" x=\"%.1f\" y=\"%.1f\" width=\"9\" "
                    "height=\"9\" fill=\"%s\"/>\n",
                    xp, xp - 4.5, y - 4.5, colour);
        fprintf(out, "<text x=\"%d\" y=\"%.1f\" class=\"row-value%s\">%s%s</text>\n", F_TEXT_X,
                y + 4, vague ? " muted" : "",
                numfmt_ratio_ci(text, sizeof(text), row->rr, row->lo, row->hi),
                vague ? ", uninformative" : "");
    }
    /* The counts behind the ratio. */
    if (!row->suppressed && !row->adjusted)
        fprintf(out,
                "<text x=\"%d\" y=\"%.1f\" class=\"row-counts\">%s/%s vs %s/%s</text>\n",
                F_COUNTS_X, y + 4, numfmt_count(a, sizeof(a), row->cmp->home.cases),
                numfmt_count(b, sizeof(b), row->cmp->home.treatments),
                numfmt_count(d, sizeof(d), row->cmp->clinic.cases),
                numfmt_count(e, sizeof(e), row->cmp->clinic.treatments));
    else if (!row->suppressed)
        fprintf(out,
                "<text x=\"%d\" y=\"%.1f\" class=\"row-counts\">over %zu group%s</text>\n",
                F_COUNTS_X, y + 4, row->strata, row->strata == 1 ? "" : "s");
    fputs("</g>\n", out);
}

/* The rows of complication c's forest plot: one per device type with
 * both settings, all device types crude, then adjusted. Returns how many;
 * *first_all is the index of the first "all" row. */
static size_t forest_rows(const rates_t *rates, int c, forest_row_t *rows, size_t *first_all)
{
    const cube_t *cube = rates->cube;
    const rate_adjusted_t *adj = &rates->adjusted[c];
    size_t n = 0;

    for (size_t i = 0; i <= cube->n_devices; i++) {
        size_t slot = cube_device_slot(cube, i);
        const rate_comparison_t *cmp = rates_find_comparison(rates, slot, CUBE_SKIN_ALL, c);
        if (cmp == NULL)
            continue;
        rows[n++] = (forest_row_t){
            .label = slot == CUBE_DEVICE_ALL ? "All device types (crude)"
                                             : cube_device_title(cube, slot),
            .device = cube_device_name(cube, slot),
            .suppressed = cmp->suppressed,
            .defined = cmp->defined,
            .rr = cmp->rate_ratio,
            .lo = cmp->ci_low,
            .hi = cmp->ci_high,
            .cmp = cmp,
        };
    }
    /* The rows of all device types follow a separator. */
    *first_all = n > 0 && rows[n - 1].cmp->device == CUBE_DEVICE_ALL ? n - 1 : n;
    rows[n++] = (forest_row_t){
        .label = "All, adjusted (Mantel" DASH "Haenszel)",
        .device = "all",
        .adjusted = true,
        .suppressed = adj->suppressed,
        .defined = adj->defined,
        .rr = adj->mh_rate_ratio,
        .lo = adj->ci_low,
        .hi = adj->ci_high,
        .strata = adj->strata_used,
    };
    return n;
}

void chart_forest_axis(const rates_t *rates, double *min, double *max)
{
    forest_row_t rows[CUBE_MAX_DEVICES + 2];
    double lo = 0.5, hi = 2;
    size_t first_all;

    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        size_t n = forest_rows(rates, c, rows, &first_all);
        for (size_t i = 0; i < n; i++) {
            if (rows[i].suppressed || !rows[i].defined || uninformative(rows[i].lo, rows[i].hi))
                continue;
            if (rows[i].lo < lo)
                lo = rows[i].lo;
            if (rows[i].hi > hi)
                hi = rows[i].hi;
        }
    }
    *min = forest_ticks[0];
    *max = forest_ticks[N_FOREST_TICKS - 1];
    for (size_t i = 0; i < N_FOREST_TICKS; i++) {
        if (forest_ticks[i] <= lo)
            *min = forest_ticks[i];
    }
    for (size_t i = N_FOREST_TICKS; i-- > 0;) {
        if (forest_ticks[i] >= hi)
            *max = forest_ticks[i];
    }
}

void chart_forest(FILE *out, const rates_t *rates, int c, double min, double max)
{
    forest_row_t rows[CUBE_MAX_DEVICES + 2];
    size_t first_all, n = forest_rows(rates, c, rows, &first_all);
    double y_bottom, height;

    y_bottom = F_TOP + (double)n * F_ROW + 6;
    height = y_bottom + 52;

    fprintf(out,
            "<svg class=\"chart forest-plot\" data-complication=\"%s\" viewBox=\"0 0 %d %.0f\" "
            "width=\"%d\" height=\"%.0f\" role=\"img\">\n",
            cube_complication_name(c), F_WIDTH, height, F_WIDTH, height);
    fprintf(out, "<title>Home versus clinic rate ratio with 95%% intervals: %s</title>\n",
            cube_complication_title(c));
    fputs("<g class=\"legend\">\n", out);
    {
        double x = F_LABEL_X;
        fprintf(out, "<rect x=\"%.1f\" y=\"9.5\" width=\"9\" height=\"9\" fill=\"%s\"/>\n", x,
                HTML_COLOUR_BOTH);
        x = legend_text(out, x + 14, 14, "crude ratio");
        fprintf(out,
                "<path d=\"M%.1f,7 l7,7 l-7,7 l-7,-7 z\" fill=\"%s\" stroke=\"#000\"/>\n",
                x + 7, HTML_COLOUR_ADJUSTED);
        x = legend_text(out, x + 18, 14, "adjusted ratio");
        x = legend_line(out, x, 14, HTML_COLOUR_BOTH, false, "95% interval");
        legend_line(out, x, 14, HTML_COLOUR_MUTED, true, "1 = no difference");
    }
    fputs("</g>\n", out);
    fprintf(out,
            "<text x=\"%d\" y=\"%.1f\" class=\"col-head\">Device type</text>\n"
            "<text x=\"%d\" y=\"%.1f\" class=\"col-head\">Rate ratio (95%% CI)</text>\n"
            "<text x=\"%d\" y=\"%.1f\" class=\"col-head\">Cases/treatments: home vs "
            "clinic</text>\n",
            F_LABEL_X, F_TOP - 8, F_TEXT_X, F_TOP - 8, F_COUNTS_X, F_TOP - 8);

    fprintf(out,
            "<g class=\"plot\" data-scale=\"log\" data-x0=\"%.1f\" data-x1=\"%.1f\" "
            "data-min=\"%g\" data-max=\"%g\">\n",
            F_X0, F_X1, min, max);
    for (size_t i = 0; i < N_FOREST_TICKS; i++) {
        double t = forest_ticks[i], x;
        if (t < min || t > max)
            continue;
        x = forest_x(t, min, max);
        fprintf(out, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
                x, F_TOP, x, y_bottom + 4);
        /* Labels: every tick over a short range, then only 1, 5 and 10 times
         * a power of ten, then only the powers of ten. */
        double m = t / pow(10, floor(log10(t) + 1e-9));
        if (max / min <= 25.5 || fabs(m - 1) < 1e-9 || (max / min <= 100.5 && fabs(m - 5) < 1e-9))
            fprintf(out,
                    "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%g</text>\n",
                    x, y_bottom + 16, t);
    }
    fprintf(out,
            "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
            F_X0, y_bottom, F_X1, y_bottom);
    fprintf(out,
            "<line class=\"ref-line\" data-value=\"1\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
            "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\"/>\n",
            forest_x(1, min, max), F_TOP - 2, forest_x(1, min, max), y_bottom, HTML_COLOUR_MUTED);
    if (first_all > 0)
        fprintf(out,
                "<line class=\"separator\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>\n",
                F_LABEL_X, F_TOP + (double)first_all * F_ROW, F_WIDTH - 8,
                F_TOP + (double)first_all * F_ROW);
    for (size_t i = 0; i < n; i++)
        forest_row(out, &rows[i], c, F_TOP + F_ROW / 2 + (double)i * F_ROW, min, max);
    fputs("</g>\n", out);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" class=\"axis-label\" text-anchor=\"middle\">Rate ratio, "
            "home " DIVIDE " clinic (log scale)</text>\n",
            (F_X0 + F_X1) / 2, y_bottom + 32);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%.1f\" class=\"hint\">" LARROW " fewer at home</text>\n"
            "<text x=\"%.1f\" y=\"%.1f\" class=\"hint\" text-anchor=\"end\">more at home "
            RARROW "</text>\n",
            F_X0, y_bottom + 46, F_X1, y_bottom + 46);
    fputs("</svg>\n", out);
}

/* ---- Rates by skin type --------------------------------------------- */

#define S_WIDTH 560
#define S_HEIGHT 310
#define S_X0 66.0
#define S_X1 548.0
#define S_Y0 44.0
#define S_Y1 250.0

static double skin_y(double per1000, double ymax)
{
    return S_Y1 - (S_Y1 - S_Y0) * per1000 / ymax;
}

static void skin_bar(FILE *out, const rates_t *rates, int c, int setting, int skin,
                     double x, double width, double ymax)
{
    const rate_t *r = rates_find(rates, CUBE_DEVICE_ALL, setting, skin, c);
    const char *colour = setting_colour(setting);
    char a[NUMFMT_LEN], b[NUMFMT_LEN], d[NUMFMT_LEN], e[NUMFMT_LEN], f[NUMFMT_LEN];
    double cx = x + width / 2;

    if (r == NULL) { /* no treatment in this group */
        fprintf(out,
                "<text class=\"bar-missing\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
                "none</text>\n",
                cx, S_Y1 - 4);
        return;
    }
    fputs("<rect class=\"skin-bar\"", out);
    html_attr(out, "data-complication", cube_complication_name(c));
    html_attr(out, "data-setting", cube_setting_name(setting));
    html_attr(out, "data-skin", cube_skin_name(skin));
    if (r->suppressed) {
        fprintf(out,
                " data-suppressed=\"true\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"0\" "
                "fill=\"%s\"><title>%s, skin type %s: not shown (too few cases to publish)"
                "</title></rect>\n",
                x, S_Y1, width, colour, setting_title(setting), cube_skin_name(skin));
        fprintf(out,
                "<text class=\"bar-value muted\" x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"middle\">" DASH "</text>\n",
                cx, S_Y1 - 4);
        return;
    }
    {
        double top = skin_y(r->rate * 1000.0, ymax);
        double ylo = skin_y(r->ci_low * 1000.0, ymax), yhi = skin_y(r->ci_high * 1000.0, ymax);
        html_attr_count(out, "data-treatments", r->treatments);
        html_attr_count(out, "data-cases", r->cases);
        html_attr_double(out, "data-rate", r->rate);
        html_attr_double(out, "data-lo", r->ci_low);
        html_attr_double(out, "data-hi", r->ci_high);
        fprintf(out, " x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">", x,
                top, width, S_Y1 - top, colour);
        fprintf(out, "<title>%s, skin type %s: %s per 1,000 (95%% CI %s" DASH "%s), %s cases "
                     "in %s treatments</title></rect>\n",
                setting_title(setting), cube_skin_name(skin), per_1000(a, sizeof(a), r->rate),
                per_1000(b, sizeof(b), r->ci_low), per_1000(d, sizeof(d), r->ci_high),
                numfmt_count(e, sizeof(e), r->cases), numfmt_count(f, sizeof(f), r->treatments));
        fprintf(out,
                "<path class=\"ci-bar\" d=\"M%.1f,%.1f V%.1f M%.1f,%.1f H%.1f M%.1f,%.1f H%.1f\" "
                "stroke=\"#000\" stroke-width=\"1.2\" fill=\"none\"/>\n",
                cx, ylo, yhi, cx - 4, ylo, cx + 4, cx - 4, yhi, cx + 4);
        fputs("<text class=\"bar-value\"", out);
        html_attr(out, "data-setting", cube_setting_name(setting));
        html_attr(out, "data-skin", cube_skin_name(skin));
        fprintf(out, " x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", cx, yhi - 4,
                per_1000(a, sizeof(a), r->rate));
    }
}

void chart_skin(FILE *out, const rates_t *rates, int c)
{
    static const int settings[2] = {CUBE_SETTING_HOME, CUBE_SETTING_CLINIC};
    double top = 0, ymax, group = (S_X1 - S_X0) / 6, width = group * 0.32;

    for (int s = 0; s < 2; s++) {
        for (int k = 0; k < 6; k++) {
            const rate_t *r =
                rates_find(rates, CUBE_DEVICE_ALL, settings[s], k, c);
            if (r != NULL && !r->suppressed && r->ci_high * 1000.0 > top)
                top = r->ci_high * 1000.0;
        }
    }
    ymax = axis_top(top * 1.12, false); /* room for the value labels */

    fprintf(out,
            "<svg class=\"chart skin-chart\" data-complication=\"%s\" viewBox=\"0 0 %d %d\" "
            "width=\"%d\" height=\"%d\" role=\"img\">\n",
            cube_complication_name(c), S_WIDTH, S_HEIGHT, S_WIDTH, S_HEIGHT);
    fprintf(out, "<title>%s: cases per 1,000 treatments by Fitzpatrick skin type, home and "
                 "clinic, all device types, with 95%% intervals</title>\n",
            cube_complication_title(c));
    fputs("<g class=\"legend\">\n", out);
    {
        double x = S_X0;
        x = legend_square(out, x, 16, HTML_COLOUR_HOME, "home");
        x = legend_square(out, x, 16, HTML_COLOUR_CLINIC, "clinic");
        fprintf(out,
                "<path d=\"M%.1f,10 V22 M%.1f,10 h8 M%.1f,22 h8\" stroke=\"#000\" "
                "fill=\"none\"/>\n",
                x + 4, x, x);
        x = legend_text(out, x + 14, 16, "95% interval");
        legend_text(out, x, 16, DASH " not shown (few cases)");
    }
    fputs("</g>\n", out);
    fprintf(out,
            "<g class=\"plot\" data-x0=\"%.1f\" data-x1=\"%.1f\" data-y0=\"%.1f\" "
            "data-y1=\"%.1f\" data-y-max=\"%g\" data-y-unit=\"per 1000\">\n",
            S_X0, S_X1, S_Y0, S_Y1, ymax);
    for (int i = 0; i <= 5; i++) {
        double v = ymax * i / 5, y = skin_y(v, ymax);
        fprintf(out,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%g</text>\n",
                S_X0, y, S_X1, y, S_X0 - 6, y + 4, v);
    }
    for (int k = 0; k < 6; k++) {
        double gx = S_X0 + group * k;
        for (int s = 0; s < 2; s++)
            skin_bar(out, rates, c, settings[s], k,
                     gx + group / 2 + (s == 0 ? -width - 1 : 1), width, ymax);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
                gx + group / 2, S_Y1 + 16, cube_skin_name(k));
    }
    fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", S_X0,
            S_Y1, S_X1, S_Y1);
    fputs("</g>\n", out);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%d\" class=\"axis-label\" text-anchor=\"middle\">Fitzpatrick "
            "skin type</text>\n",
            (S_X0 + S_X1) / 2, S_HEIGHT - 22);
    fprintf(out,
            "<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(16 %.1f) "
            "rotate(-90)\">Cases per 1,000 treatments</text>\n",
            (S_Y0 + S_Y1) / 2);
    fputs("</svg>\n", out);
}

/* ---- Weekly series ---------------------------------------------------- */

#define W_WIDTH 1160
#define W_HEIGHT 250
#define W_X0 64.0
#define W_X1 1140.0
#define W_Y0 44.0
#define W_Y1 190.0

typedef struct {
    const findings_t *findings;
    size_t slot;
    int c;
    double ymax;      /* per 1,000 treatments */
    size_t n_weeks;
    size_t incomplete; /* the first week not over at the report's cut; n_weeks: none */
} week_chart_t;

static double week_x(const week_chart_t *w, size_t week)
{
    return W_X0 + (W_X1 - W_X0) * ((double)week + 0.5) / (double)w->n_weeks;
}

static double week_y(const week_chart_t *w, double per1000)
{
    if (per1000 > w->ymax)
        per1000 = w->ymax;
    return W_Y1 - (W_Y1 - W_Y0) * per1000 / w->ymax;
}

/* A week's rate is hidden when its cases or its treatments are. */
static bool week_hidden(const week_chart_t *w, int setting, size_t week)
{
    return disclose_week(w->findings->disclosure, w->slot, setting, week, w->c) ||
           disclose_week(w->findings->disclosure, w->slot, setting, week, WEEKLY_TREATMENTS);
}

static int64_t week_cases(const week_chart_t *w, int setting, size_t week)
{
    return weekly_get(w->findings->weekly, w->slot, setting, w->c, week);
}

static int64_t week_treatments(const week_chart_t *w, int setting, size_t week)
{
    return weekly_get(w->findings->weekly, w->slot, setting, WEEKLY_TREATMENTS, week);
}

/* The week's rate and Wilson interval; false without treatments. */
static bool week_rate(const week_chart_t *w, int setting, size_t week, nw_proportion_t *p)
{
    int64_t n = week_treatments(w, setting, week);
    if (n <= 0)
        return false;
    *p = stats_wilson((long)week_cases(w, setting, week), (long)n, NW_Z95);
    return p->defined;
}

size_t chart_incomplete_week(const findings_t *findings)
{
    const weekly_t *weekly = findings->weekly;
    int32_t cut, day;

    if (weekly == NULL || weekly->n_weeks == 0)
        return 0;
    cut = INT32_MAX;
    if (findings->as_of != NULL && civil_parse(findings->as_of, &day) == CIVIL_OK)
        cut = day;
    if (findings->to != NULL && findings->to[0] && civil_parse(findings->to, &day) == CIVIL_OK &&
        day < cut)
        cut = day;
    for (size_t k = 0; k < weekly->n_weeks; k++) {
        if (weekly_monday(weekly, k) + 6 > cut)
            return k;
    }
    return weekly->n_weeks;
}

size_t chart_alerts_in(const findings_t *findings, size_t slot, int c)
{
    const alerts_t *alerts = findings->alerts;
    size_t n = 0;
    for (size_t i = 0; alerts != NULL && i < alerts->n; i++)
        n += alerts->rows[i].device == slot && alerts->rows[i].complication == c;
    return n;
}

static void weekly_series(FILE *out, const week_chart_t *w, const cube_t *cube, int setting)
{
    const char *colour = setting_colour(setting);
    bool pen_down = false;
    double r = w->n_weeks <= 104 ? 2.6 : 1.6;
    nw_proportion_t p = {0};

    fprintf(out, "<path class=\"series\" data-setting=\"%s\" fill=\"none\" stroke=\"%s\" "
                 "stroke-width=\"%s\"%s d=\"",
            cube_setting_name(setting), colour, setting == CUBE_SETTING_ALL ? "1.5" : "2",
            setting == CUBE_SETTING_ALL ? " stroke-dasharray=\"5 3\"" : "");
    for (size_t k = 0; k < w->n_weeks && k < w->incomplete; k++) {
        if (week_hidden(w, setting, k) || !week_rate(w, setting, k, &p)) {
            pen_down = false;
            continue;
        }
        fprintf(out, "%s%.1f,%.1f ", pen_down ? "L" : "M", week_x(w, k),
                week_y(w, p.est * 1000.0));
        pen_down = true;
    }
    fputs("\"/>\n", out);
    for (size_t k = 0; k < w->n_weeks; k++) {
        char date[11], iso[9], n[NUMFMT_LEN], t[NUMFMT_LEN], a[NUMFMT_LEN], b[NUMFMT_LEN],
            c[NUMFMT_LEN];
        int32_t monday = weekly_monday(w->findings->weekly, k);
        bool hidden = week_hidden(w, setting, k), incomplete = k >= w->incomplete;
        bool has = !hidden && week_rate(w, setting, k, &p);
        double x = week_x(w, k);

        civil_format(monday, date);
        civil_iso_week(monday, iso);
        if (has) {
            /* The interval, clipped at the top of the axis, home a little
             * to the left and clinic to the right so that both show. */
            double dx = setting == CUBE_SETTING_HOME ? -2.0 : setting == CUBE_SETTING_CLINIC ? 2.0 : 0;
            fprintf(out,
                    "<path class=\"week-ci%s\" d=\"M%.1f,%.1f V%.1f\" stroke=\"%s\" "
                    "stroke-width=\"1\"%s/>\n",
                    p.hi * 1000.0 > w->ymax ? " clipped" : "", x + dx, week_y(w, p.lo * 1000.0),
                    week_y(w, p.hi * 1000.0), colour,
                    incomplete ? " stroke-dasharray=\"2 2\"" : "");
        }
        fprintf(out, "<circle class=\"week-point%s%s\"", hidden ? " suppressed" : "",
                incomplete ? " incomplete" : "");
        html_attr(out, "data-device", cube_device_name(cube, w->slot));
        html_attr(out, "data-setting", cube_setting_name(setting));
        html_attr(out, "data-complication", cube_complication_name(w->c));
        fprintf(out, " data-week=\"%s\" data-week-start=\"%s\"", iso, date);
        if (incomplete)
            fputs(" data-incomplete=\"true\"", out);
        if (hidden) {
            fprintf(out,
                    " data-suppressed=\"true\" cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"none\" "
                    "stroke=\"%s\"><title>%s, week of %s: not shown (too few to publish)"
                    "</title></circle>\n",
                    x, W_Y1, r - 0.4, HTML_COLOUR_MUTED, setting_title(setting), date);
            continue;
        }
        html_attr_count(out, "data-cases", week_cases(w, setting, k));
        html_attr_count(out, "data-treatments", week_treatments(w, setting, k));
        if (!has) {
            fprintf(out,
                    " cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"none\" stroke=\"%s\"><title>%s, "
                    "week of %s (%s): no treatment</title></circle>\n",
                    x, W_Y1, r - 0.4, HTML_COLOUR_MUTED, setting_title(setting), date, iso);
            continue;
        }
        html_attr_double(out, "data-rate", p.est);
        html_attr_double(out, "data-lo", p.lo);
        html_attr_double(out, "data-hi", p.hi);
        fprintf(out,
                " cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"%s\"><title>%s, week "
                "of %s (%s)%s: %s cases in %s treatments, %s per 1,000 (95%% CI %s" DASH
                "%s)</title></circle>\n",
                x, week_y(w, p.est * 1000.0), r, incomplete ? "#fff" : colour, colour,
                setting_title(setting), date, iso,
                incomplete ? ", not over yet: incomplete" : "",
                numfmt_count(n, sizeof(n), week_cases(w, setting, k)),
                numfmt_count(t, sizeof(t), week_treatments(w, setting, k)),
                per_1000(a, sizeof(a), p.est), per_1000(b, sizeof(b), p.lo),
                per_1000(c, sizeof(c), p.hi));
    }
}

/* An alert: its weeks shaded, and a marker on the point of its first week
 * (on top when that point is not shown). */
static void weekly_alert(FILE *out, const week_chart_t *w, const cube_t *cube, const alert_row_t *a)
{
    const alert_method_t method = w->findings->alerts->params.method;
    char date[11], iso[9], last[11], n[NUMFMT_LEN];
    int32_t monday = weekly_monday(w->findings->weekly, a->first_week);
    double x = week_x(w, a->first_week), y, half = (W_X1 - W_X0) / (double)w->n_weeks / 2;
    nw_proportion_t p = {0};
    bool shown = !week_hidden(w, a->setting, a->first_week) &&
                 week_rate(w, a->setting, a->first_week, &p);

    civil_format(monday, date);
    civil_iso_week(monday, iso);
    civil_format(weekly_monday(w->findings->weekly, a->last_week), last);
    /* On the point of its first week, or on top when that point is not shown. */
    y = shown ? week_y(w, p.est * 1000.0) : W_Y0;
    fprintf(out,
            "<rect class=\"alert-span\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
            "fill=\"%s\" fill-opacity=\"0.12\"/>\n",
            x - half, W_Y0, week_x(w, a->last_week) - x + 2 * half, W_Y1 - W_Y0,
            setting_colour(a->setting));
    fputs("<path class=\"alert-marker\"", out);
    html_attr(out, "data-device", cube_device_name(cube, a->device));
    html_attr(out, "data-setting", cube_setting_name(a->setting));
    html_attr(out, "data-complication", cube_complication_name(a->complication));
    fprintf(out, " data-week=\"%s\" data-week-start=\"%s\" data-last-week-start=\"%s\" "
                 "data-cx=\"%.1f\"",
            iso, date, last, x);
    if (a->suppressed) {
        fputs(" data-suppressed=\"true\"", out);
    } else {
        html_attr_count(out, "data-observed", a->evidence.observed);
        html_attr_double(out, "data-expected", a->evidence.expected);
        html_attr_double(out, "data-q-value", a->evidence.q_value);
    }
    fprintf(out, " d=\"M%.1f,%.1f l-6,-10 h12 z\" fill=\"%s\" stroke=\"#000\" "
                 "stroke-width=\"1\"><title>Alert (%s), %s, weeks of %s to %s",
            x, y - 4, setting_colour(a->setting), alert_method_title(method),
            setting_title(a->setting), date, last);
    if (a->suppressed)
        fputs(": numbers not shown (too few to publish)", out);
    else
        fprintf(out, ": %s cases in %d week%s, expected %.1f",
                numfmt_count(n, sizeof(n), a->evidence.observed), a->evidence.window,
                a->evidence.window == 1 ? "" : "s", a->evidence.expected);
    fputs("</title></path>\n", out);
}

void chart_weekly(FILE *out, const findings_t *findings, size_t slot, int c)
{
    const alerts_t *alerts = findings->alerts;
    const cube_t *cube = findings->cube;
    week_chart_t w = {findings, slot, c, 1, findings->weekly->n_weeks,
                      chart_incomplete_week(findings)};
    double top = 0;
    size_t step;

    if (w.n_weeks == 0)
        return;
    /* The axis holds every rate; intervals above it are clipped. */
    for (int s = 0; s < CUBE_SETTINGS; s++) {
        for (size_t k = 0; k < w.n_weeks; k++) {
            nw_proportion_t p = {0};
            if (!week_hidden(&w, s, k) && week_rate(&w, s, k, &p) && p.est * 1000.0 > top)
                top = p.est * 1000.0;
        }
    }
    w.ymax = axis_top(top * 1.25, false);

    fputs("<svg class=\"chart weekly-chart\"", out);
    html_attr(out, "data-device", cube_device_name(cube, slot));
    html_attr(out, "data-complication", cube_complication_name(c));
    fprintf(out, " viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">\n", W_WIDTH,
            W_HEIGHT, W_WIDTH, W_HEIGHT);
    fputs("<title>", out);
    html_escape(out, cube_device_title(cube, slot));
    fprintf(out, ", %s: cases per 1,000 treatments per week, home, clinic and both, with 95%% "
                 "intervals and alerts</title>\n",
            cube_complication_title(c));
    fputs("<g class=\"legend\">\n", out);
    {
        double x = W_X0;
        x = legend_line(out, x, 16, HTML_COLOUR_HOME, false, "home");
        x = legend_line(out, x, 16, HTML_COLOUR_CLINIC, false, "clinic");
        x = legend_line(out, x, 16, HTML_COLOUR_BOTH, true, "home and clinic");
        fprintf(out, "<path d=\"M%.1f,10 V22\" stroke=\"#000\"/>\n", x + 4);
        x = legend_text(out, x + 10, 16, "95% interval");
        fprintf(out,
                "<circle cx=\"%.1f\" cy=\"16\" r=\"2.6\" fill=\"#fff\" stroke=\"#000\"/>\n",
                x + 4);
        x = legend_text(out, x + 12, 16, "week not over yet (incomplete)");
        fprintf(out, "<path d=\"M%.1f,22 l-6,-10 h12 z\" fill=\"#fff\" stroke=\"#000\"/>\n",
                x + 6);
        x = legend_text(out, x + 16, 16,
                        "alert, in the colour of its series, at its first week; shaded: its "
                        "weeks");
        if (findings->disclosure->below > 0) {
            fprintf(out,
                    "<circle cx=\"%.1f\" cy=\"16\" r=\"2.4\" fill=\"none\" stroke=\"%s\"/>\n",
                    x + 4, HTML_COLOUR_MUTED);
            legend_text(out, x + 12, 16, "not shown (few cases)");
        }
    }
    fputs("</g>\n", out);
    fprintf(out,
            "<g class=\"plot\" data-x0=\"%.1f\" data-x1=\"%.1f\" data-y0=\"%.1f\" "
            "data-y1=\"%.1f\" data-y-max=\"%g\" data-y-unit=\"per 1000\" data-weeks=\"%zu\">\n",
            W_X0, W_X1, W_Y0, W_Y1, w.ymax, w.n_weeks);
    for (int i = 0; i <= 5; i++) {
        double v = w.ymax * i / 5, y = week_y(&w, v);
        fprintf(out,
                "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%g</text>\n",
                W_X0, y, W_X1, y, W_X0 - 6, y + 4, v);
    }
    step = (w.n_weeks + 9) / 10;
    for (size_t k = 0; k < w.n_weeks; k += step) {
        char date[11];
        civil_format(weekly_monday(findings->weekly, k), date);
        fprintf(out,
                "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" class=\"tick\" text-anchor=\"middle\">%s</text>\n",
                week_x(&w, k), W_Y1, week_x(&w, k), W_Y1 + 4, week_x(&w, k), W_Y1 + 16, date);
    }
    fprintf(out, "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", W_X0,
            W_Y1, W_X1, W_Y1);
    if (w.incomplete < w.n_weeks)
        fprintf(out,
                "<rect class=\"incomplete-weeks\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\" fill=\"#000\" fill-opacity=\"0.06\"><title>Not over yet at the "
                "report's cut: incomplete</title></rect>\n",
                week_x(&w, w.incomplete) - (W_X1 - W_X0) / (double)w.n_weeks / 2, W_Y0,
                (W_X1 - W_X0) * (double)(w.n_weeks - w.incomplete) / (double)w.n_weeks,
                W_Y1 - W_Y0);
    weekly_series(out, &w, cube, CUBE_SETTING_ALL);
    weekly_series(out, &w, cube, CUBE_SETTING_CLINIC);
    weekly_series(out, &w, cube, CUBE_SETTING_HOME);
    for (size_t i = 0; i < alerts->n; i++) {
        if (alerts->rows[i].device == slot && alerts->rows[i].complication == c)
            weekly_alert(out, &w, cube, &alerts->rows[i]);
    }
    fputs("</g>\n", out);
    fprintf(out,
            "<text x=\"%.1f\" y=\"%d\" class=\"axis-label\" text-anchor=\"middle\">Week of "
            "treatment (starting Monday; ISO weeks)</text>\n",
            (W_X0 + W_X1) / 2, W_HEIGHT - 22);
    fprintf(out,
            "<text class=\"axis-label\" text-anchor=\"middle\" transform=\"translate(16 %.1f) "
            "rotate(-90)\">Cases per 1,000 treatments</text>\n",
            (W_Y0 + W_Y1) / 2);
    fputs("</svg>\n", out);
}

/*
 * render_text.c - the analysis as a report for people (see render.h).
 *
 * Order: title and window, how to read it, totals; then per device type the
 * home and clinic rates side by side with their rate ratio; then rates by
 * skin type for home, clinic and both; then the adjusted comparison; then
 * the methods. Every table goes through table.c, so columns stay aligned
 * whatever the numbers. The full detail (every interval of every cell) is
 * in the JSON and CSV formats; this report says so.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "numfmt.h"
#include "render.h"
#include "render_text_sv.h"
#include "surveil.h"
#include "table.h"

#define DASH "\xE2\x80\x93" /* en dash, U+2013 */

typedef struct {
    FILE *out;
    const analysis_t *analysis;
    const cube_t *cube;
    bool oom;
} report_t;

/* A count of the cube, or "–" when --suppress-below hides it (c = -1:
 * the treatments). */
static char *cell_count(char *buf, size_t len, const report_t *rep, size_t d, int s, int k, int c)
{
    const sv_results_t *sv = rep->analysis->sv;
    const cube_cell_t *cell = cube_cell_const(rep->cube, d, s, k);
    if (sv != NULL && sv->suppress_below > 0 &&
        (c < 0 ? sv->t_hidden[d][s][k] : sv->c_hidden[d][s][k][c])) {
        snprintf(buf, len, "%s", DASH);
        return buf;
    }
    return numfmt_count(buf, len, c < 0 ? cell->treatments : cell->cases[c]);
}

static void heading(report_t *rep, const char *title)
{
    size_t n = table_text_width(title);
    fprintf(rep->out, "\n%s\n", title);
    for (size_t i = 0; i < n; i++)
        fputc('=', rep->out);
    fputc('\n', rep->out);
}

static void print_table(report_t *rep, table_t *table)
{
    if (table == NULL) {
        rep->oom = true;
        return;
    }
    table_print(table, rep->out, "  ");
}

static void add_row(report_t *rep, table_t *table, const char *const *cells, bool header)
{
    if (table == NULL || !(header ? table_add_header(table, cells) : table_add_row(table, cells)))
        rep->oom = true;
}

/* "4.21% (3.80–4.66)" */
static char *rate_ci(char *buf, size_t len, double rate, double lo, double hi)
{
    char r[NUMFMT_LEN], l[NUMFMT_LEN], h[NUMFMT_LEN];
    snprintf(buf, len, "%s%% (%s" DASH "%s)", numfmt_percent(r, sizeof(r), rate),
             numfmt_percent(l, sizeof(l), lo), numfmt_percent(h, sizeof(h), hi));
    return buf;
}


/* What a ratio and its interval say, in words. */
static const char *verdict(bool defined, double lo, double hi)
{
    if (!defined)
        return "";
    if (lo > 1.0)
        return "home higher";
    if (hi < 1.0)
        return "home lower";
    return "no clear difference";
}

/* Why a home/clinic ratio is missing. */
static const char *why_no_ratio(int64_t home_n, int64_t home_cases, int64_t clinic_n,
                                int64_t clinic_cases)
{
    if (home_n == 0 && clinic_n == 0)
        return "n/a (no treatments)";
    if (home_n == 0)
        return "n/a (no home treatments)";
    if (clinic_n == 0)
        return "n/a (no clinic treatments)";
    if (home_cases == 0 && clinic_cases == 0)
        return "n/a (no cases)";
    if (home_cases == 0)
        return "n/a (no home case)";
    if (clinic_cases == 0)
        return "n/a (no clinic case)";
    return "n/a";
}

static void print_intro(report_t *rep, const render_meta_t *meta)
{
    const char *title = "needlewatch: complications after microneedling";
    char stamp[32];
    struct tm tm;
    bool from = meta->from && meta->from[0], to = meta->to && meta->to[0];

    gmtime_r(&meta->generated_at, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(rep->out, "%s\n", title);
    for (size_t i = 0; i < strlen(title); i++)
        fputc('=', rep->out);
    fputc('\n', rep->out);
    if (from && to)
        fprintf(rep->out, "Treatments dated %s to %s (inclusive)\n", meta->from, meta->to);
    else if (from)
        fprintf(rep->out, "Treatments dated %s or later\n", meta->from);
    else if (to)
        fprintf(rep->out, "Treatments dated up to %s (inclusive)\n", meta->to);
    else
        fprintf(rep->out, "All treatments, whatever their date\n");
    fprintf(rep->out, "Generated %s by needlewatch-analyze %s\n", stamp, meta->version);

    fprintf(rep->out,
        "\nHow to read this report\n"
        "  Rate        Share of treatments followed by at least one reported complication of\n"
        "              that kind. A treatment with several such reports counts once.\n"
        "  (a" DASH "b)       95%% confidence interval: the true rate is plausibly anywhere in it.\n"
        "              Small groups give wide intervals.\n"
        "  Rate ratio  Home rate divided by clinic rate. Above 1: home use riskier than\n"
        "              clinic use; below 1: safer. When its interval excludes 1 the\n"
        "              difference is statistically clear at 95%% (\"home higher\" or\n"
        "              \"home lower\"); otherwise \"no clear difference\".\n"
        "  n/a         Not computable, for the reason given (a side with no case or no\n"
        "              treatment).\n");
}

static void print_totals(report_t *rep, const render_meta_t *meta)
{
    const cube_totals_t *t = &rep->cube->totals;
    table_t *table = table_new(2);
    char a[NUMFMT_LEN], b[NUMFMT_LEN], c[NUMFMT_LEN], d[NUMFMT_LEN], e[NUMFMT_LEN];
    int64_t outside = t->complication_reports_all - t->complication_reports - t->orphan_complications;
    bool window = (meta->from && meta->from[0]) || (meta->to && meta->to[0]);

    heading(rep, "Totals");
    if (table != NULL)
        table_align(table, 1, TABLE_RIGHT);
    add_row(rep, table, (const char *[]){"Treatments analysed", numfmt_count(a, sizeof(a), t->treatments)}, false);
    add_row(rep, table, (const char *[]){"Complication reports on these treatments",
                                         numfmt_count(b, sizeof(b), t->complication_reports)}, false);
    if (window)
        add_row(rep, table, (const char *[]){"Complication reports on treatments outside the window",
                                             numfmt_count(c, sizeof(c), outside)}, false);
    add_row(rep, table, (const char *[]){"Orphan complication reports (treatment unknown or withdrawn; not counted)",
                                         numfmt_count(d, sizeof(d), t->orphan_complications)}, false);
    add_row(rep, table, (const char *[]){"Quarantined messages (failed validation; not counted)",
                                         numfmt_count(e, sizeof(e), t->quarantined)}, false);
    print_table(rep, table);
    table_free(table);
}

/* The rate of one side of a device block: "4.21% (3.80–4.66)" or "no treatments". */
static const char *side_rate(char *buf, size_t len, const analysis_t *analysis, size_t device,
                             int setting, int complication)
{
    const analysis_rate_t *r = analysis_find_rate(analysis, device, setting, CUBE_SKIN_ALL, complication);
    if (r == NULL)
        return "no treatments";
    if (r->suppressed)
        return "not shown (few cases)";
    return rate_ci(buf, len, r->rate, r->ci_low, r->ci_high);
}

/* A device used in one setting only: its rates, no comparison. */
static void print_device_one_side(report_t *rep, size_t d, int setting)
{
    table_t *table = table_new(3);

    fprintf(rep->out, "  No %s treatments: no comparison. %s use only:\n",
            setting == CUBE_SETTING_HOME ? "clinic" : "home",
            setting == CUBE_SETTING_HOME ? "Home" : "Clinic");
    if (table != NULL)
        table_align(table, 1, TABLE_RIGHT);
    add_row(rep, table, (const char *[]){"Complication", "Cases", "Rate (95% CI)"}, true);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        char cn[NUMFMT_LEN], rc[96];
        add_row(rep, table,
                (const char *[]){cube_complication_title(c), cell_count(cn, sizeof(cn), rep, d, setting, CUBE_SKIN_ALL, c),
                                 side_rate(rc, sizeof(rc), rep->analysis, d, setting, c)}, false);
    }
    print_table(rep, table);
    table_free(table);
}

static void print_device(report_t *rep, size_t d)
{
    const analysis_t *analysis = rep->analysis;
    const cube_cell_t *home = cube_cell_const(rep->cube, d, CUBE_SETTING_HOME, CUBE_SKIN_ALL);
    const cube_cell_t *clinic = cube_cell_const(rep->cube, d, CUBE_SETTING_CLINIC, CUBE_SKIN_ALL);
    char hn[NUMFMT_LEN], cn[NUMFMT_LEN];
    table_t *table;

    fprintf(rep->out, "\n%s: %s home treatment%s, %s clinic treatment%s\n",
            cube_device_title(rep->cube, d), cell_count(hn, sizeof(hn), rep, d, CUBE_SETTING_HOME, CUBE_SKIN_ALL, -1),
            home->treatments == 1 ? "" : "s", cell_count(cn, sizeof(cn), rep, d, CUBE_SETTING_CLINIC, CUBE_SKIN_ALL, -1),
            clinic->treatments == 1 ? "" : "s");
    if (home->treatments == 0 || clinic->treatments == 0) {
        print_device_one_side(rep, d, home->treatments ? CUBE_SETTING_HOME : CUBE_SETTING_CLINIC);
        return;
    }
    table = table_new(7);
    if (table != NULL) {
        table_align(table, 1, TABLE_RIGHT);
        table_align(table, 3, TABLE_RIGHT);
    }
    add_row(rep, table, (const char *[]){"Complication", "Home cases", "Home rate (95% CI)",
                                         "Clinic cases", "Clinic rate (95% CI)",
                                         "Rate ratio (95% CI)", "Home vs clinic"}, true);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        const analysis_comparison_t *cmp = analysis_find_comparison(analysis, d, CUBE_SKIN_ALL, c);
        char hc[NUMFMT_LEN], cc[NUMFMT_LEN], hr[96], cr[96], rr[96];
        const char *ratio, *word = "";

        if (cmp != NULL && cmp->suppressed) {
            ratio = "not shown (few cases)";
        } else if (cmp != NULL && cmp->defined) {
            ratio = numfmt_ratio_ci(rr, sizeof(rr), cmp->rate_ratio, cmp->ci_low, cmp->ci_high);
            word = verdict(true, cmp->ci_low, cmp->ci_high);
        } else {
            ratio = why_no_ratio(home->treatments, home->cases[c], clinic->treatments, clinic->cases[c]);
        }
        add_row(rep, table,
                (const char *[]){cube_complication_title(c), cell_count(hc, sizeof(hc), rep, d, CUBE_SETTING_HOME, CUBE_SKIN_ALL, c),
                                 side_rate(hr, sizeof(hr), analysis, d, CUBE_SETTING_HOME, c),
                                 cell_count(cc, sizeof(cc), rep, d, CUBE_SETTING_CLINIC, CUBE_SKIN_ALL, c),
                                 side_rate(cr, sizeof(cr), analysis, d, CUBE_SETTING_CLINIC, c),
                                 ratio, word}, false);
    }
    print_table(rep, table);
    table_free(table);
}

static void print_devices(report_t *rep)
{
    heading(rep, "1. Home versus clinic, by device type (all skin types)");
    for (size_t i = 0; i <= rep->cube->n_devices; i++) {
        size_t d = cube_device_slot(rep->cube, i);
        if (cube_cell_const(rep->cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments > 0)
            print_device(rep, d);
    }
}

static void print_skin_setting(report_t *rep, int s, const char *title)
{
    const analysis_t *analysis = rep->analysis;
    int skins[CUBE_SKINS];
    int n = 0;
    table_t *any = NULL, *matrix = NULL;
    const char *header[TABLE_MAX_COLS];
    char counts[CUBE_SKINS][NUMFMT_LEN];
    char cells[CUBE_SKINS][NUMFMT_LEN + 1];

    fprintf(rep->out, "\n%s\n", title);
    for (int k = 0; k < CUBE_SKINS; k++) {
        if (cube_cell_const(rep->cube, CUBE_DEVICE_ALL, s, k)->treatments > 0)
            skins[n++] = k;
    }
    if (n == 0) {
        fprintf(rep->out, "  No treatments.\n");
        return;
    }

    /* Any complication, with intervals, one row per skin type. */
    any = table_new(4);
    if (any != NULL) {
        table_align(any, 1, TABLE_RIGHT);
        table_align(any, 2, TABLE_RIGHT);
    }
    add_row(rep, any, (const char *[]){"Skin type", "Treatments", "Cases", "Any complication (95% CI)"}, true);
    for (int i = 0; i < n; i++) {
        const analysis_rate_t *r = analysis_find_rate(analysis, CUBE_DEVICE_ALL, s, skins[i], CUBE_ANY);
        char tn[NUMFMT_LEN], cn[NUMFMT_LEN], rc[96];
        add_row(rep, any,
                (const char *[]){skins[i] == CUBE_SKIN_ALL ? "All" : cube_skin_name(skins[i]),
                                 cell_count(tn, sizeof(tn), rep, CUBE_DEVICE_ALL, s, skins[i], -1),
                                 cell_count(cn, sizeof(cn), rep, CUBE_DEVICE_ALL, s, skins[i], CUBE_ANY),
                                 r->suppressed ? "not shown" : rate_ci(rc, sizeof(rc), r->rate, r->ci_low, r->ci_high)}, false);
    }
    print_table(rep, any);
    table_free(any);

    /* Each type, rates only: complications down, skin types across. */
    fprintf(rep->out, "\n  Rate in %% of treatments, by type of complication and skin type:\n");
    matrix = table_new((size_t)n + 1);
    header[0] = "Complication";
    for (int i = 0; i < n; i++) {
        header[i + 1] = skins[i] == CUBE_SKIN_ALL ? "All" : cube_skin_name(skins[i]);
        if (matrix != NULL)
            table_align(matrix, (size_t)i + 1, TABLE_RIGHT);
    }
    add_row(rep, matrix, header, true);
    header[0] = "Treatments";
    for (int i = 0; i < n; i++) {
        cell_count(counts[i], sizeof(counts[i]), rep, CUBE_DEVICE_ALL, s, skins[i], -1);
        header[i + 1] = counts[i];
    }
    add_row(rep, matrix, header, false);
    for (int c = 1; c < CUBE_COMPLICATIONS; c++) {
        header[0] = cube_complication_title(c);
        for (int i = 0; i < n; i++) {
            const analysis_rate_t *r = analysis_find_rate(analysis, CUBE_DEVICE_ALL, s, skins[i], c);
            if (r->suppressed)
                snprintf(cells[i], sizeof(cells[i]), "%s", DASH);
            else
                numfmt_percent(cells[i], sizeof(cells[i]), r->rate);
            header[i + 1] = cells[i];
        }
        add_row(rep, matrix, header, false);
    }
    print_table(rep, matrix);
    table_free(matrix);
}

static void print_skin_types(report_t *rep)
{
    heading(rep, "2. Complication rates by skin type (Fitzpatrick I" DASH "VI), all device types");
    fprintf(rep->out, "Skin type \"unknown\": the report gave none. Intervals for every cell are in\n"
                      "the csv and json formats (--format csv).\n");
    print_skin_setting(rep, CUBE_SETTING_HOME, "Home use");
    print_skin_setting(rep, CUBE_SETTING_CLINIC, "Clinic use");
    print_skin_setting(rep, CUBE_SETTING_ALL, "Home and clinic together");
}

/* Why the adjusted ratio of complication c is missing: the cases counted
 * are those of the groups that have both settings. */
static const char *why_no_adjusted(const cube_t *cube, int c)
{
    int64_t groups = 0, home_cases = 0, clinic_cases = 0;

    for (size_t d = 0; d < cube->n_devices; d++) {
        for (int k = 0; k < CUBE_SKIN_ALL; k++) {
            const cube_cell_t *h = cube_cell_const(cube, d, CUBE_SETTING_HOME, k);
            const cube_cell_t *l = cube_cell_const(cube, d, CUBE_SETTING_CLINIC, k);
            if (h->treatments == 0 || l->treatments == 0)
                continue;
            groups++;
            home_cases += h->cases[c];
            clinic_cases += l->cases[c];
        }
    }
    if (groups == 0)
        return "n/a (no group with both settings)";
    if (home_cases == 0 && clinic_cases == 0)
        return "n/a (no case in these groups)";
    if (home_cases == 0)
        return "n/a (no home case in these groups)";
    return "n/a (no clinic case in these groups)";
}

static void print_adjusted(report_t *rep)
{
    const analysis_t *analysis = rep->analysis;
    table_t *table = table_new(5);

    heading(rep, "3. Home versus clinic, adjusted for device type and skin type");
    fprintf(rep->out,
        "People treated at home may use other devices and have other skin types than\n"
        "clinic patients. The adjusted rate ratio (Mantel" DASH "Haenszel) compares home with\n"
        "clinic within each device type and skin type group, then pools the groups, so\n"
        "those differences do not distort the comparison. Groups used: those with both\n"
        "home and clinic treatments.\n\n");
    if (table != NULL)
        table_align(table, 3, TABLE_RIGHT);
    add_row(rep, table, (const char *[]){"Complication", "Adjusted rate ratio (95% CI)",
                                         "Crude rate ratio (95% CI)", "Groups used",
                                         "Home vs clinic (adjusted)"}, true);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        const analysis_adjusted_t *adj = &analysis->adjusted[c];
        const analysis_comparison_t *cmp =
            analysis_find_comparison(analysis, CUBE_DEVICE_ALL, CUBE_SKIN_ALL, c);
        char ar[96], cr[96], groups[NUMFMT_LEN];
        const char *adjusted, *crude;

        if (adj->suppressed)
            adjusted = "not shown (few cases)";
        else if (adj->defined)
            adjusted = numfmt_ratio_ci(ar, sizeof(ar), adj->mh_rate_ratio, adj->ci_low, adj->ci_high);
        else
            adjusted = why_no_adjusted(rep->cube, c);
        if (cmp != NULL && cmp->suppressed) {
            crude = "not shown (few cases)";
        } else if (cmp != NULL && cmp->defined) {
            crude = numfmt_ratio_ci(cr, sizeof(cr), cmp->rate_ratio, cmp->ci_low, cmp->ci_high);
        } else {
            const cube_cell_t *h = cube_cell_const(rep->cube, CUBE_DEVICE_ALL, CUBE_SETTING_HOME, CUBE_SKIN_ALL);
            const cube_cell_t *k = cube_cell_const(rep->cube, CUBE_DEVICE_ALL, CUBE_SETTING_CLINIC, CUBE_SKIN_ALL);
            crude = why_no_ratio(h->treatments, h->cases[c], k->treatments, k->cases[c]);
        }
        numfmt_count(groups, sizeof(groups), (int64_t)adj->strata_used);
        add_row(rep, table,
                (const char *[]){cube_complication_title(c), adjusted, crude, groups,
                                 verdict(adj->defined, adj->ci_low, adj->ci_high)}, false);
    }
    print_table(rep, table);
    table_free(table);
}

static void print_methods(report_t *rep)
{
    fprintf(rep->out,
        "\nMethods\n"
        "  Treatments: the current version of each treatment report, withdrawn ones\n"
        "  excluded. Complication reports whose treatment is unknown or withdrawn are\n"
        "  orphans and are not counted. Rates: Wilson score 95%% intervals. Crude rate\n"
        "  ratios: Katz log 95%% intervals. Adjusted: Mantel" DASH "Haenszel rate ratio over\n"
        "  device type x skin type groups, Greenland" DASH "Robins 95%% interval.\n"
        "  z = 1.959964.\n");
}

int render_text(FILE *out, const analysis_t *analysis, const render_meta_t *meta, char *errbuf,
                size_t errlen)
{
    report_t rep = {out, analysis, analysis->cube, false};

    print_intro(&rep, meta);
    print_totals(&rep, meta);
    if (rep.cube->totals.treatments == 0) {
        fprintf(out, "\nNo treatments in this window: there are no rates to report.\n");
    } else {
        print_devices(&rep);
        print_skin_types(&rep);
        print_adjusted(&rep);
        if (!render_text_sv(out, analysis))
            rep.oom = true;
        print_methods(&rep);
    }
    if (rep.oom) {
        snprintf(errbuf, errlen, "out of memory building the report");
        return -1;
    }
    if (ferror(out)) {
        snprintf(errbuf, errlen, "write error: %s", strerror(errno));
        return -1;
    }
    return 0;
}

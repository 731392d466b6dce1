/*
 * text.c - the findings as a report for people (see render.h).
 *
 * Order: title and window, how to read it, the alerts (most serious first,
 * each explained in a sentence), totals; then per device type the
 * home and clinic rates side by side with their rate ratio (1); rates by
 * skin type for home, clinic and both (2); the adjusted comparison (3);
 * then the surveillance sections, each opened by a few sentences saying
 * what it means and listing only what stands out: signals by device type
 * (4) and by model (5), how the alerts are made (6), trends across skin
 * types (7);
 * then the methods. Every table goes through table.c, so columns stay
 * aligned whatever the numbers. The full detail (every interval of every
 * cell, every row) is in the JSON and CSV formats; this report says so.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "render/alertfmt.h"
#include "render/numfmt.h"
#include "render/render.h"
#include "render/summary.h"
#include "render/table.h"

typedef struct {
    FILE *out;
    const findings_t *findings;
    const rates_t *rates;
    const cube_t *cube;
    bool oom;
} report_t;

/* A count of the cube, or "–" when --suppress-below hides it (c = -1:
 * the treatments). */
static char *cell_count(char *buf, size_t len, const report_t *rep, size_t d, int s, int k, int c)
{
    const disclosure_t *disclosure = rep->findings->disclosure;
    const cube_cell_t *cell = cube_cell_const(rep->cube, d, s, k);
    if (disclosure != NULL && disclose_cell(disclosure, d, s, k, c)) {
        snprintf(buf, len, "%s", DASH);
        return buf;
    }
    return numfmt_count(buf, len, c < 0 ? cell->treatments : cell->cases[c]);
}

/* A section title, underlined. */
static void heading(FILE *out, const char *title)
{
    size_t n = table_text_width(title);
    fprintf(out, "\n%s\n", title);
    for (size_t i = 0; i < n; i++)
        fputc('=', out);
    fputc('\n', out);
}

/* Writes text in lines of at most TABLE_WIDTH characters, breaking at
 * spaces: the first line starts with first, the others with rest (both
 * counted). A word longer than a line is written on a line of its own. */
static void wrapped(FILE *out, const char *first, const char *rest, const char *text)
{
    const char *p = text;
    const char *prefix = first;

    while (*p) {
        size_t room = TABLE_WIDTH - table_text_width(prefix), used = 0;
        const char *end = p, *brk = NULL;
        /* The longest run of words that fits. */
        while (*end) {
            const char *w = end;
            size_t n = 0;
            while (*w == ' ')
                w++;
            const char *we = w;
            while (*we && *we != ' ') {
                we++;
                while (((unsigned char)*we & 0xC0) == 0x80)
                    we++;
                n++;
            }
            if (w == we)
                break;
            if (used + (used ? 1 : 0) + n > room && used > 0)
                break;
            used += (used ? 1 : 0) + n;
            brk = we;
            end = we;
        }
        if (brk == NULL)
            break;
        fprintf(out, "%s%.*s\n", prefix, (int)(brk - p), p);
        p = brk;
        while (*p == ' ')
            p++;
        prefix = rest;
    }
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

/* What needs attention first: one line each, with the section that has
 * the detail. */
static void print_summary(report_t *rep, const findings_t *findings)
{
    summary_t summary;

    summary_build(findings, &summary);
    if (summary.n == 0)
        return;
    heading(rep->out, "Summary");
    for (size_t i = 0; i < summary.n; i++) {
        const summary_line_t *l = &summary.lines[i];
        char line[sizeof(l->text) + 96];
        snprintf(line, sizeof(line), "%s (see %s)", l->text, summary_section(l->kind));
        wrapped(rep->out, "- ", "  ", line);
    }
}

static void print_intro(report_t *rep, const findings_t *findings)
{
    const char *title = "needlewatch: complications after microneedling";
    char stamp[32];
    struct tm tm;
    bool from = findings->from && findings->from[0], to = findings->to && findings->to[0];

    gmtime_r(&findings->generated_at, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(rep->out, "%s\n", title);
    for (size_t i = 0; i < strlen(title); i++)
        fputc('=', rep->out);
    fputc('\n', rep->out);
    if (from && to)
        fprintf(rep->out, "Treatments dated %s to %s (inclusive)\n", findings->from, findings->to);
    else if (from)
        fprintf(rep->out, "Treatments dated %s or later\n", findings->from);
    else if (to)
        fprintf(rep->out, "Treatments dated up to %s (inclusive)\n", findings->to);
    else
        fprintf(rep->out, "All treatments, whatever their date\n");
    fprintf(rep->out, "Generated %s by needlewatch-analyze %s\n", stamp, findings->version);
    if (findings->as_of != NULL && findings->as_of[0])
        fprintf(rep->out, "Risks as of %s\n", findings->as_of);
    print_summary(rep, findings);

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

/* ---- Alerts, first ------------------------------------------------ */

/* Writes text wrapped at 78 columns, each line after indent. */
static void wrap(FILE *out, const char *indent, const char *text)
{
    size_t width = 78 - strlen(indent);
    while (*text) {
        size_t n = strlen(text), cut = n;
        if (n > width) {
            cut = width;
            while (cut > 0 && text[cut] != ' ')
                cut--;
            if (cut == 0)
                cut = width;
        }
        fprintf(out, "%s%.*s\n", indent, (int)cut, text);
        text += cut;
        while (*text == ' ')
            text++;
    }
}

/* The alerts, most serious first, each with its sentence and the margins
 * that alarmed with it. */
static void print_alerts(report_t *rep, const findings_t *findings)
{
    const alerts_t *alerts = findings->alerts;
    const cube_t *cube = rep->cube;
    FILE *out = rep->out;

    if (alerts == NULL)
        return;
    heading(out, "Alerts");
    fprintf(out,
        "Weekly complication rates that rose above what their own history predicts\n"
        "(%s; section 6 says how). Most serious first: the strongest evidence\n"
        "(smallest q-value) first, then the largest rise over the expected rate.\n\n",
        alert_method_title(alerts->params.method));
    if (alerts->n == 0) {
        fprintf(out, "  No alert.\n");
        return;
    }
    for (size_t i = 0; i < alerts->n; i++) {
        const alert_row_t *a = &alerts->rows[i];
        char first[11], last[11], sentence[1024], label[160];
        civil_format(weekly_monday(findings->weekly, a->first_week), first);
        civil_format(weekly_monday(findings->weekly, a->last_week) + 6, last);
        snprintf(label, sizeof(label), "%zu. %s, %s, %s: %s to %s", i + 1,
                 cube_device_title(cube, a->device),
                 a->setting == CUBE_SETTING_ALL ? "home and clinic" : cube_setting_name(a->setting),
                 cube_complication_title(a->complication), first, last);
        fprintf(out, "  %s (%zu week%s alarming)\n", label, a->alarm_weeks,
                a->alarm_weeks == 1 ? "" : "s");
        alertfmt_sentence(sentence, sizeof(sentence), findings, a->device, a->setting,
                          a->complication, &a->evidence, a->suppressed);
        wrap(out, "     ", sentence);
        if (a->n_also_in > 0)
            fprintf(out, "     Also alarming:\n");
        for (size_t k = 0; k < a->n_also_in; k++) {
            const alert_margin_t *m = &a->also_in[k];
            const alert_evidence_t *e = &m->evidence;
            char series[160], line[400], obs[NUMFMT_LEN], nt[NUMFMT_LEN];
            alertfmt_series(series, sizeof(series), cube, m->device, m->setting,
                            m->complication);
            if (m->suppressed)
                snprintf(line, sizeof(line), "%s: numbers not shown (too few cases to publish)",
                         series);
            else if (isnan(e->q_value))
                snprintf(line, sizeof(line), "%s: %s cases in %s treatments, %.3g expected",
                         series, numfmt_count(obs, sizeof(obs), e->observed),
                         numfmt_count(nt, sizeof(nt), e->treatments), e->expected);
            else
                snprintf(line, sizeof(line),
                         "%s: %s cases in %s treatments, %.3g expected, q = %.2g", series,
                         numfmt_count(obs, sizeof(obs), e->observed),
                         numfmt_count(nt, sizeof(nt), e->treatments), e->expected, e->q_value);
            wrap(out, "       ", line);
        }
    }
}

static void print_totals(report_t *rep, const findings_t *findings)
{
    const cube_totals_t *t = &rep->cube->totals;
    table_t *table = table_new(2);
    char a[NUMFMT_LEN], b[NUMFMT_LEN], c[NUMFMT_LEN], d[NUMFMT_LEN], e[NUMFMT_LEN];
    int64_t outside = t->complication_reports_all - t->complication_reports - t->orphan_complications;
    bool window = (findings->from && findings->from[0]) || (findings->to && findings->to[0]);

    heading(rep->out, "Totals");
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
static const char *side_rate(char *buf, size_t len, const rates_t *rates, size_t device,
                             int setting, int complication)
{
    const rate_t *r = rates_find(rates, device, setting, CUBE_SKIN_ALL, complication);
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
            cube_setting_name(CUBE_SETTING_CLINIC - setting),
            catalogue_settings.entries[setting].title);
    if (table != NULL)
        table_align(table, 1, TABLE_RIGHT);
    add_row(rep, table, (const char *[]){"Complication", "Cases", "Rate (95% CI)"}, true);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        char cn[NUMFMT_LEN], rc[96];
        add_row(rep, table,
                (const char *[]){cube_complication_title(c), cell_count(cn, sizeof(cn), rep, d, setting, CUBE_SKIN_ALL, c),
                                 side_rate(rc, sizeof(rc), rep->rates, d, setting, c)}, false);
    }
    print_table(rep, table);
    table_free(table);
}

static void print_device(report_t *rep, size_t d)
{
    const rates_t *rates = rep->rates;
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
        const rate_comparison_t *cmp = rates_find_comparison(rates, d, CUBE_SKIN_ALL, c);
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
                                 side_rate(hr, sizeof(hr), rates, d, CUBE_SETTING_HOME, c),
                                 cell_count(cc, sizeof(cc), rep, d, CUBE_SETTING_CLINIC, CUBE_SKIN_ALL, c),
                                 side_rate(cr, sizeof(cr), rates, d, CUBE_SETTING_CLINIC, c),
                                 ratio, word}, false);
    }
    print_table(rep, table);
    table_free(table);
}

static void print_devices(report_t *rep)
{
    heading(rep->out, "1. Home versus clinic, by device type (all skin types)");
    for (size_t i = 0; i <= rep->cube->n_devices; i++) {
        size_t d = cube_device_slot(rep->cube, i);
        if (cube_cell_const(rep->cube, d, CUBE_SETTING_ALL, CUBE_SKIN_ALL)->treatments > 0)
            print_device(rep, d);
    }
}

static void print_skin_setting(report_t *rep, int s, const char *title)
{
    const rates_t *rates = rep->rates;
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
        const rate_t *r = rates_find(rates, CUBE_DEVICE_ALL, s, skins[i], CUBE_ANY);
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
            const rate_t *r = rates_find(rates, CUBE_DEVICE_ALL, s, skins[i], c);
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
    heading(rep->out, "2. Complication rates by skin type (Fitzpatrick I" DASH "VI), all device types");
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
    const rates_t *rates = rep->rates;
    table_t *table = table_new(5);

    heading(rep->out, "3. Home versus clinic, adjusted for device type and skin type");
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
        const rate_adjusted_t *adj = &rates->adjusted[c];
        const rate_comparison_t *cmp =
            rates_find_comparison(rates, CUBE_DEVICE_ALL, CUBE_SKIN_ALL, c);
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

/* ---- Risks over a fixed follow-up ---------------------------------- */

/* "0.41% (0.35–0.48)", or "not shown" when hidden. */
static char *risk_cell(char *buf, size_t len, bool hidden, double rate, double lo, double hi)
{
    if (hidden) {
        snprintf(buf, len, "not shown");
        return buf;
    }
    return rate_ci(buf, len, rate, lo, hi);
}

static char *count_cell(char *buf, size_t len, bool hidden, int64_t n)
{
    if (hidden) {
        snprintf(buf, len, "%s", DASH);
        return buf;
    }
    return numfmt_count(buf, len, n);
}

static void print_risk_horizon(report_t *rep, const risks_t *risks, size_t h)
{
    int horizon = risks->horizons[h];
    const risk_row_t *all = risks_find(risks, horizon, CUBE_DEVICE_ALL, CUBE_SETTING_ALL,
                                       CUBE_SKIN_ALL, CUBE_ANY);
    char n[NUMFMT_LEN], last[11];
    int32_t day;
    table_t *table;

    if (civil_parse(risks->as_of, &day) == CIVIL_OK)
        civil_format(day - horizon, last);
    else
        snprintf(last, sizeof(last), "?");
    if (all == NULL) {
        fprintf(rep->out, "\nWithin %d days: no treatment of the window is dated %s or "
                          "earlier.\n", horizon, last);
        return;
    }
    fprintf(rep->out, "\nWithin %d days of treatment: %s treatments dated %s or earlier\n",
            horizon, count_cell(n, sizeof(n), all->suppressed, all->treatments), last);
    table = table_new(6);
    if (table != NULL) {
        table_align(table, 1, TABLE_RIGHT);
        table_align(table, 3, TABLE_RIGHT);
        table_align(table, 5, TABLE_RIGHT);
    }
    add_row(rep, table, (const char *[]){"Complication", "Cases", "Risk (95% CI)", "Serious",
                                         "Serious risk (95% CI)", "No onset"}, true);
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        const risk_row_t *r = risks_find(risks, horizon, CUBE_DEVICE_ALL, CUBE_SETTING_ALL,
                                         CUBE_SKIN_ALL, c);
        char cases[NUMFMT_LEN], serious[NUMFMT_LEN], missing[NUMFMT_LEN], risk[96], srisk[96];
        if (r == NULL)
            continue;
        add_row(rep, table,
                (const char *[]){cube_complication_title(c),
                                 count_cell(cases, sizeof(cases), r->suppressed, r->cases),
                                 risk_cell(risk, sizeof(risk), r->suppressed, r->rate, r->ci_low,
                                           r->ci_high),
                                 count_cell(serious, sizeof(serious), r->serious_suppressed,
                                            r->serious),
                                 risk_cell(srisk, sizeof(srisk), r->serious_suppressed,
                                           r->serious_rate, r->serious_ci_low, r->serious_ci_high),
                                 count_cell(missing, sizeof(missing), r->missing_suppressed,
                                            r->missing)},
                false);
    }
    print_table(rep, table);
    table_free(table);
    /* Any complication, by device type and setting. */
    table = table_new(5);
    if (table != NULL) {
        table_align(table, 2, TABLE_RIGHT);
    }
    fprintf(rep->out, "\n  Any complication within %d days, by device type:\n", horizon);
    add_row(rep, table, (const char *[]){"Device type", "Setting", "Treatments",
                                         "Risk (95% CI)", "Serious risk (95% CI)"}, true);
    for (size_t i = 0; i <= rep->cube->n_devices; i++) {
        size_t d = cube_device_slot(rep->cube, i);
        for (int st = 0; st < CUBE_SETTINGS; st++) {
            const risk_row_t *r = risks_find(risks, horizon, d, st, CUBE_SKIN_ALL, CUBE_ANY);
            char t[NUMFMT_LEN], risk[96], srisk[96];
            if (r == NULL)
                continue;
            add_row(rep, table,
                    (const char *[]){st == CUBE_SETTING_HOME ? cube_device_title(rep->cube, d) : "",
                                     st == CUBE_SETTING_ALL ? "both" : cube_setting_name(st),
                                     count_cell(t, sizeof(t), r->suppressed, r->treatments),
                                     risk_cell(risk, sizeof(risk), r->suppressed, r->rate,
                                               r->ci_low, r->ci_high),
                                     risk_cell(srisk, sizeof(srisk), r->serious_suppressed,
                                               r->serious_rate, r->serious_ci_low,
                                               r->serious_ci_high)},
                    false);
        }
    }
    print_table(rep, table);
    table_free(table);
}

static void print_risks(report_t *rep, const findings_t *findings)
{
    const risks_t *risks = findings->risks;

    if (risks == NULL || risks->n_horizons == 0)
        return;
    heading(rep->out, "Risks within a fixed follow-up");
    wrapped(rep->out, "", "",
            "A rate counts every treatment of the window, however recent, so its last weeks "
            "miss complications that have not started yet. The risk within H days counts only "
            "the treatments dated H days or more before the as-of date, and among them those "
            "with a report of the complication whose onset is within H days of treatment, or "
            "not given (such a case cannot be ruled out, so it counts: \"No onset\" says how "
            "many cases rest on a missing onset alone). Serious: a severe report or a "
            "permanent outcome.");
    for (size_t h = 0; h < risks->n_horizons; h++)
        print_risk_horizon(rep, risks, h);
}

/* ---- Data quality ---------------------------------------------------- */

static char *share_cell(char *buf, size_t len, bool hidden, int64_t n, int64_t of)
{
    char a[NUMFMT_LEN], b[NUMFMT_LEN];
    if (hidden)
        snprintf(buf, len, "not shown (few)");
    else if (of == 0)
        snprintf(buf, len, "%s", numfmt_count(a, sizeof(a), n));
    else
        snprintf(buf, len, "%s (%s%%)", numfmt_count(a, sizeof(a), n),
                 numfmt_percent(b, sizeof(b), (double)n / (double)of));
    return buf;
}

static void print_quality(report_t *rep, const findings_t *findings)
{
    const quality_t *q = findings->quality;
    const disclosure_t *d = findings->disclosure;
    bool below = d != NULL && d->below > 0;
    char a[96], b[96], c[96];
    table_t *table;

    if (q == NULL)
        return;
    heading(rep->out, "Data quality");
    table = table_new(2);
    add_row(rep, table, (const char *[]){"Treatments without a skin type",
                                         share_cell(a, sizeof(a),
                                                    below && disclose_cell(d, CUBE_DEVICE_ALL,
                                                                           CUBE_SETTING_ALL,
                                                                           CUBE_SKIN_UNKNOWN,
                                                                           DISCLOSE_TREATMENTS),
                                                    q->unknown_skin, q->treatments)},
            false);
    add_row(rep, table, (const char *[]){"Treatments naming no manufacturer or no model",
                                         share_cell(b, sizeof(b), below && d->no_model,
                                                    q->no_model, q->treatments)},
            false);
    add_row(rep, table, (const char *[]){"Complication reports without onset days",
                                         share_cell(c, sizeof(c), below && d->no_onset,
                                                    q->reports_no_onset, q->reports)},
            false);
    add_row(rep, table, (const char *[]){"Latest treatment report (reported_at)",
                                         q->latest_treatment[0] ? q->latest_treatment : "none"},
            false);
    add_row(rep, table, (const char *[]){"Latest complication report (reported_at)",
                                         q->latest_complication[0] ? q->latest_complication
                                                                   : "none"},
            false);
    print_table(rep, table);
    table_free(table);

    fprintf(rep->out, "\n  Reporting lag (reported_at minus treated_on, in days):\n");
    table = table_new(3);
    if (table != NULL) {
        table_align(table, 1, TABLE_RIGHT);
        table_align(table, 2, TABLE_RIGHT);
    }
    add_row(rep, table, (const char *[]){"Lag", "Treatments", "Complication reports"}, true);
    for (size_t i = 0; i < q->n_buckets; i++) {
        const quality_bucket_t *qb = &q->buckets[i];
        add_row(rep, table,
                (const char *[]){qb->label,
                                 share_cell(a, sizeof(a), below && d->lag_treatments[i],
                                            qb->treatments, q->treatments),
                                 share_cell(b, sizeof(b), below && d->lag_reports[i],
                                            qb->reports, q->reports)},
                false);
    }
    print_table(rep, table);
    table_free(table);

    fprintf(rep->out, "\n  Quarantined messages, by the field they failed on: %s in all\n",
            numfmt_count(a, sizeof(a), q->quarantined));
    if (q->n_reasons == 0) {
        fprintf(rep->out, "  None.\n");
        return;
    }
    table = table_new(2);
    if (table != NULL)
        table_align(table, 1, TABLE_RIGHT);
    add_row(rep, table, (const char *[]){"Reason", "Messages"}, true);
    for (size_t i = 0; i < q->n_reasons && i < QUALITY_TOP_REASONS; i++)
        add_row(rep, table, (const char *[]){q->reasons[i].reason,
                                             count_cell(a, sizeof(a), below && d->reasons[i],
                                                        q->reasons[i].n)},
                false);
    print_table(rep, table);
    table_free(table);
}

/* ---- Surveillance ---------------------------------------------- */

static bool print_signals(FILE *out, const cube_t *cube, const signal_row_t *rows, size_t n,
                          bool by_model)
{
    table_t *t = table_new(by_model ? 5 : 4);
    size_t shown = 0, hidden = 0;
    bool ok = t != NULL;

    if (t != NULL)
        table_align(t, by_model ? 3 : 2, TABLE_RIGHT);
    if (by_model)
        ok = ok && table_add_header(t, (const char *[]){"Manufacturer", "Model", "Complication",
                                                        "Reports", "PRR (95% CI)"});
    else
        ok = ok && table_add_header(t, (const char *[]){"Device type", "Complication", "Reports",
                                                        "PRR (95% CI)"});
    for (size_t i = 0; i < n && ok; i++) {
        const signal_row_t *r = &rows[i];
        char reports[NUMFMT_LEN], prr[96];
        if (r->suppressed) {
            hidden++;
            continue;
        }
        if (!r->signal)
            continue;
        shown++;
        numfmt_count(reports, sizeof(reports), r->table.a);
        numfmt_ratio_or_na(prr, sizeof(prr), r->prr);
        if (by_model)
            ok = table_add_row(t, (const char *[]){r->manufacturer, r->model,
                                                   cube_complication_title(r->complication),
                                                   reports, prr});
        else
            ok = table_add_row(t, (const char *[]){cube_device_title(cube, r->device),
                                                   cube_complication_title(r->complication),
                                                   reports, prr});
    }
    if (ok && shown > 0)
        ok = table_print(t, out, "  ");
    else if (ok)
        fprintf(out, "  Nothing stands out.\n");
    if (hidden > 0)
        fprintf(out, "  %zu row%s not shown: too few reports to publish (--suppress-below).\n",
                hidden, hidden == 1 ? "" : "s");
    table_free(t);
    return ok;
}

/* Rate comparison rows whose whole 95% interval is above 1 (3+ cases). */
static bool print_rates(FILE *out, const cube_t *cube, const signals_t *signals)
{
    table_t *t = table_new(5);
    size_t shown = 0, hidden = 0;
    bool ok = t != NULL;

    if (t != NULL)
        table_align(t, 3, TABLE_RIGHT);
    ok = ok && table_add_header(t, (const char *[]){"Device type", "Setting", "Complication",
                                                    "Cases", "Rate ratio (95% CI)"});
    for (size_t i = 0; i < signals->n_rates && ok; i++) {
        const signal_rate_t *r = &signals->rates[i];
        char cases[NUMFMT_LEN], rr[96];
        if (r->suppressed) {
            hidden++;
            continue;
        }
        if (!r->rate_ratio.defined || r->cases < 3 || r->rate_ratio.lo <= 1.0)
            continue;
        shown++;
        numfmt_count(cases, sizeof(cases), r->cases);
        numfmt_ratio_or_na(rr, sizeof(rr), r->rate_ratio);
        ok = table_add_row(t, (const char *[]){cube_device_title(cube, r->device),
                                               cube_setting_name(r->setting),
                                               cube_complication_title(r->complication), cases,
                                               rr});
    }
    if (ok && shown > 0)
        ok = table_print(t, out, "  ");
    else if (ok)
        fprintf(out, "  Nothing stands out.\n");
    if (hidden > 0)
        fprintf(out, "  %zu row%s not shown: too few cases to publish (--suppress-below).\n", hidden,
                hidden == 1 ? "" : "s");
    table_free(t);
    return ok;
}

/* "higher in darker skin, p < 0.001", "no clear trend (p = 0.41)". */
static void trend_words_p(char *buf, size_t len, bool hidden, const nw_trend_t *t)
{
    char p[32];
    if (hidden) {
        snprintf(buf, len, "not shown");
        return;
    }
    if (!t->defined) {
        snprintf(buf, len, "not computable");
        return;
    }
    if (t->p < 0.001)
        strcpy(p, "p < 0.001");
    else
        snprintf(p, sizeof(p), "p = %.3f", t->p);
    if (t->p >= 0.05)
        snprintf(buf, len, "no clear trend (%s)", p);
    else
        snprintf(buf, len, "higher in %s skin, %s", t->z > 0 ? "darker" : "lighter", p);
}

/* Section 6: the method, D, and the weeks judged. */
static void print_alert_method(FILE *out, const findings_t *findings)
{
    const alerts_t *alerts = findings->alerts;
    const alert_params_t *p = &alerts->params;
    const alert_timing_t *tm = &alerts->timing;
    char as_of[11], first[11], last[11], sw[NUMFMT_LEN], para[1600];
    size_t n = 0;

    civil_format(tm->as_of, as_of);
    n += (size_t)snprintf(para + n, sizeof(para) - n,
                          "A case counts for the alerts only when its first report came within "
                          "%d days of the treatment (%s), so that every week is counted alike; "
                          "a week is judged only once it is complete and all its treatments "
                          "had those %d days (as of %s).",
                          tm->report_days,
                          tm->report_days_observed
                              ? "the whole weeks within which 75% of the cases were reported"
                              : "as configured",
                          tm->report_days, as_of);
    if (!isnan(tm->reported_within) && n < sizeof(para))
        n += (size_t)snprintf(para + n, sizeof(para) - n,
                              " %.0f%% of the cases whose delay could be seen were reported "
                              "within them.",
                              100.0 * tm->reported_within);
    numfmt_count(sw, sizeof(sw), (int64_t)alerts->series_weeks);
    if (n < sizeof(para)) {
        if (alerts->has_judged) {
            civil_format(weekly_monday(findings->weekly, alerts->first_judged), first);
            civil_format(weekly_monday(findings->weekly, alerts->last_judged), last);
            snprintf(para + n, sizeof(para) - n, " Weeks judged: %s to %s (%s series-weeks).",
                     first, last, sw);
        } else {
            snprintf(para + n, sizeof(para) - n, " No week could be judged yet.");
        }
    }
    wrap(out, "", para);
    fputc('\n', out);
    switch (p->method) {
    case ALERT_RATE_SCAN:
        snprintf(para, sizeof(para),
                 "Rate scan: each series (device type x setting x complication, and their "
                 "totals) gets a model of its weekly rate from its own past (up to %d weeks, "
                 "ending before the last %d; a trend and the season when the history allows), "
                 "with the week's treatments as denominator. The cases of the last 1 to %d "
                 "weeks are compared with what that rate predicts; the p-values of all series "
                 "of a week are adjusted for their number (Benjamini" DASH "Hochberg q-values). "
                 "An alert needs q <= %g and at least %lld cases. Consecutive alarming weeks of "
                 "a series are one alert, listed under the most specific series that alarmed; "
                 "the totals that alarmed with it are named in it.",
                 p->scan.history_max, p->scan.window_max + p->scan.guard, p->scan.window_max,
                 p->scan.q_level, (long long)p->min_cases);
        break;
    case ALERT_EARS_C2:
        snprintf(para, sizeof(para),
                 "EARS C2: each week's cases against the mean and sd of the %zu weeks before "
                 "it, skipping the two most recent; an alert when the week is above the mean "
                 "by more than qnorm(1 - %g) sd, with at least %lld cases.",
                 p->ears.baseline, p->ears.alpha, (long long)p->min_cases);
        break;
    case ALERT_FARRINGTON:
        snprintf(para, sizeof(para),
                 "Farrington flexible (Noufaily et al.): each week against the same weeks of "
                 "the %d previous year%s, with the treatments as population; an alert above the "
                 "upper %g bound, with at least %lld cases.",
                 p->farrington.b, p->farrington.b == 1 ? "" : "s", p->farrington.alpha,
                 (long long)p->min_cases);
        break;
    default:
        snprintf(para, sizeof(para),
                 "GLR CUSUM: the rate of the first %d weeks judged predicts each later week's "
                 "cases from its treatments; an alert when the Poisson GLR statistic reaches "
                 "%g, with at least %lld cases.",
                 p->glr_baseline, p->glr_c_arl, (long long)p->min_cases);
        break;
    }
    wrap(out, "", para);
}

/* Sections 4-7; false when out of memory. */
static bool print_surveillance(FILE *out, const findings_t *findings)
{
    const signals_t *signals = findings->signals;
    const cube_t *cube = findings->cube;
    bool ok = true;
    table_t *t;

    heading(out, "4. Signals by device type");
    fprintf(out,
        "Does one device type have more of a complication than the others? Two tests:\n"
        "  PRR         among complication reports, the share of this one for this device\n"
        "              type divided by its share for the others (proportional reporting\n"
        "              ratio; flagged by the Evans rule: 3+ reports, PRR 2+, chi-square 4+).\n"
        "  Rate ratio  its complication rate divided by the rate of all other device\n"
        "              types, home and clinic separately; listed when at least 3 cases\n"
        "              and the whole 95%% interval is above 1.\n"
        "A flag asks for a closer look; it does not prove the device causes harm.\n\n");
    ok = ok && print_signals(out, cube, signals->devices, signals->n_devices, false);
    fprintf(out, "\n");
    ok = ok && print_rates(out, cube, signals);

    heading(out, "5. Signals by model");
    fprintf(out,
        "The PRR for each manufacturer and model, against the reports of all other\n"
        "models (reports naming no manufacturer or model have no row of their own).\n\n");
    ok = ok && print_signals(out, cube, signals->models, signals->n_models, true);

    heading(out, "6. How the alerts are made");
    print_alert_method(out, findings);

    heading(out, "7. Trends across skin types");
    fprintf(out,
        "Does the rate go up or down from Fitzpatrick type I to VI (skin type unknown left\n"
        "out)? Cochran" DASH "Armitage test per device type and with all device types pooled;\n"
        "pooling can fake a trend when device types are used on different skin types, so\n"
        "\"within device types\" is the Mantel extension test stratified by device type (by\n"
        "device type and setting for home and clinic together). Listed when either is clear\n"
        "at the 5%% level.\n\n");
    if ((t = table_new(4)) == NULL)
        return false;
    ok = ok && table_add_header(t, (const char *[]){"Setting", "Complication",
                                                    "Pooled over device types",
                                                    "Within device types"});
    size_t shown = 0;
    for (int s = 0; s < CUBE_SETTINGS && ok; s++) {
        for (int c = 0; c < CUBE_COMPLICATIONS && ok; c++) {
            const skin_trend_row_t *r = &findings->trends->skin[s][c];
            const skin_trend_adjusted_t *a = &findings->trends->adjusted[s][c];
            char pooled[64], within[64];
            bool rc = !r->suppressed && r->trend.defined && r->trend.p < 0.05;
            bool ac = !a->suppressed && a->mantel.trend.defined && a->mantel.trend.p < 0.05;
            if (!rc && !ac)
                continue;
            shown++;
            trend_words_p(pooled, sizeof(pooled), r->suppressed, &r->trend);
            trend_words_p(within, sizeof(within), a->suppressed, &a->mantel.trend);
            ok = table_add_row(t, (const char *[]){s == CUBE_SETTING_ALL ? "home and clinic"
                                                                      : cube_setting_name(s),
                                               cube_complication_title(c), pooled, within});
        }
    }
    if (ok && shown)
        ok = table_print(t, out, "  ");
    else if (ok)
        fprintf(out, "  No clear trend.\n");
    table_free(t);

    /* Each device type on its own. */
    fprintf(out, "\n  By device type (clear at the 5%% level):\n");
    if ((t = table_new(4)) == NULL)
        return false;
    ok = ok && table_add_header(t, (const char *[]){"Device type", "Setting", "Complication",
                                                    "Trend"});
    shown = 0;
    for (size_t d = 0; d < findings->trends->n_devices && ok; d++) {
        for (int s = 0; s < CUBE_SETTINGS && ok; s++) {
            for (int c = 0; c < CUBE_COMPLICATIONS && ok; c++) {
                const skin_trend_row_t *r = &findings->trends->device[d][s][c];
                char words[64];
                if (r->suppressed || !r->trend.defined || r->trend.p >= 0.05)
                    continue;
                shown++;
                trend_words_p(words, sizeof(words), false, &r->trend);
                ok = table_add_row(t, (const char *[]){cube_device_title(cube, d),
                                                   s == CUBE_SETTING_ALL ? "both"
                                                                         : cube_setting_name(s),
                                                   cube_complication_title(c), words});
            }
        }
    }
    if (ok && shown)
        ok = table_print(t, out, "  ");
    else if (ok)
        fprintf(out, "  No clear trend within a device type.\n");
    table_free(t);
    if (findings->disclosure->below > 0)
        fprintf(out, "\nCounts from 1 to %lld are not shown, nor other counts that would let them\n"
                     "be worked out from the totals.\n",
                (long long)findings->disclosure->below - 1);
    return ok;
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

int render_text(FILE *out, const findings_t *findings, char *errbuf, size_t errlen)
{
    report_t rep = {out, findings, findings->rates, findings->cube, false};

    print_intro(&rep, findings);
    if (rep.cube->totals.treatments > 0)
        print_alerts(&rep, findings);
    print_totals(&rep, findings);
    if (rep.cube->totals.treatments == 0) {
        fprintf(out, "\nNo treatments in this window: there are no rates to report.\n");
    } else {
        print_devices(&rep);
        print_skin_types(&rep);
        print_adjusted(&rep);
        print_risks(&rep, findings);
        if (findings->signals != NULL && !print_surveillance(out, findings))
            rep.oom = true;
        print_quality(&rep, findings);
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

/*
 * nwalerts.c - the alert benchmark's C side (bench/ALERTS.md).
 *
 *   nwalerts gen SCENARIO SEED DIR
 *       writes DIR/SCENARIO-SEED.csv (series, device, setting, complication,
 *       week, cases, treatments: the 198 series as the analyzer forms them)
 *       and DIR/SCENARIO-SEED.outbreaks.csv, for the R peers;
 *   nwalerts run SCENARIO FIRST_SEED LAST_SEED OUT_PREFIX
 *       generates the same populations in memory and runs needlewatch's
 *       default detection (analyze/model/detect_alerts.h, the analyzer's own
 *       code) on every judged week; writes OUT_PREFIX.alarms.tsv (every
 *       series-week with p <= 0.01, and every alarm), OUT_PREFIX.pvals.tsv
 *       (a histogram of all p-values, for calibration) and
 *       OUT_PREFIX.outbreaks.tsv;
 *   nwalerts peers SCENARIO FIRST_SEED LAST_SEED OUT.tsv
 *       the C mirrors of the R peers (each checked against R by a unit
 *       test, and by score.py against peers.R on the seeds R ran) on the
 *       same populations, in peers.R's output format with methods named
 *       "c:" + peers.R's name: enough seeds for a false-alert rate with a
 *       useful interval, which R's glm would need hours for;
 *   nwalerts rows SCENARIO SEED OUT.tsv
 *       the population's treatments for a database: per week, device,
 *       setting, Fitzpatrick type and set of complications (a bit mask,
 *       bit c for type c + 1), how many (tests/integration/bench_rows.py
 *       turns them into reports);
 *   nwalerts alerts SCENARIO SEED OUT.tsv
 *       the analyzer's alerts (analyze/model/alerts.h, its defaults, every
 *       week judged) on the population: series_weeks, then one line per
 *       alert, its block and its also_in margins' (it.surveillance_bench
 *       compares them with the analyzer's report of the same population
 *       loaded into PostgreSQL).
 * Series numbering: (device * 3 + setting) * 11 + complication with device
 * 5 = all, setting 2 = all, complication 0 = any.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "model/alerts.h"
#include "model/detect_alerts.h"
#include "model/detect_farrington.h"
#include "model/detect_glr.h"
#include "simpop.h"
#include "model/stats.h"

#define NS ((SP_DEVICES + 1) * DETECT_SETTINGS * DETECT_TYPES)

static const char *const setting_all[3] = {"home", "clinic", "all"};

static const char *device_name(size_t d)
{
    return d == SP_DEVICES ? "all" : sp_device_names[d];
}

/* The panel's cell arrays from a population. */
static void to_panel(const sp_pop_t *pop, int64_t *tr, int64_t *ca, detect_panel_t *panel)
{
    for (int d = 0; d < SP_DEVICES; d++) {
        for (int s = 0; s < 2; s++) {
            memcpy(&tr[(size_t)(d * 2 + s) * SP_WEEKS], pop->treatments[d][s],
                   SP_WEEKS * sizeof(int64_t));
            for (int c = 0; c < DETECT_TYPES; c++)
                memcpy(&ca[((size_t)(d * 2 + s) * DETECT_TYPES + (size_t)c) * SP_WEEKS],
                       pop->cases[d][s][c], SP_WEEKS * sizeof(int64_t));
        }
    }
    *panel = (detect_panel_t){SP_DEVICES, SP_WEEKS, tr, ca, NULL};
}

static int write_outbreaks(FILE *fp, const sp_pop_t *pop, bool header)
{
    if (header)
        fprintf(fp, "scenario\tseed\tdevice\tsetting\tcomplication\tonset\tduration\tsize\t"
                    "expected\tcategory\n");
    for (int i = 0; i < pop->n_outbreaks; i++) {
        const sp_outbreak_t *o = &pop->outbreaks[i];
        fprintf(fp, "%s\t%llu\t%d\t%d\t%d\t%d\t%d\t%g\t%.4f\t%d\n",
                sp_scenario_names[pop->scenario], (unsigned long long)pop->seed, o->device,
                o->setting, o->type, o->onset, o->duration, o->size, o->expected, o->category);
    }
    return ferror(fp) ? -1 : 0;
}

static int cmd_gen(int scenario, unsigned long long seed, const char *dir)
{
    sp_pop_t *pop = malloc(sizeof(*pop));
    int64_t *tr = malloc(SP_DEVICES * 2 * SP_WEEKS * sizeof(int64_t));
    int64_t *ca = malloc(SP_DEVICES * 2 * DETECT_TYPES * SP_WEEKS * sizeof(int64_t));
    int64_t y[SP_WEEKS], n[SP_WEEKS];
    char path[4096];
    FILE *fp = NULL;
    detect_panel_t panel;
    int rc = 1;

    if (!pop || !tr || !ca || !sp_generate(pop, scenario, seed))
        goto out;
    to_panel(pop, tr, ca, &panel);
    snprintf(path, sizeof(path), "%s/%s-%llu.csv", dir, sp_scenario_names[scenario], seed);
    fp = fopen(path, "w");
    if (fp == NULL)
        goto out;
    fprintf(fp, "series,device,setting,complication,week,cases,treatments\n");
    for (size_t d = 0; d <= SP_DEVICES; d++) {
        for (int s = 0; s < 3; s++) {
            for (int c = 0; c < DETECT_TYPES; c++) {
                detect_panel_series(&panel, d, s, c, y, n);
                for (int w = 0; w < SP_WEEKS; w++)
                    fprintf(fp, "%zu,%s,%s,%s,%d,%lld,%lld\n", detect_series_index(d, s, c),
                            device_name(d), setting_all[s], sp_type_names[c], w,
                            (long long)y[w], (long long)n[w]);
            }
        }
    }
    if (fclose(fp) != 0)
        goto out;
    snprintf(path, sizeof(path), "%s/%s-%llu.outbreaks.tsv", dir, sp_scenario_names[scenario],
             seed);
    fp = fopen(path, "w");
    if (fp == NULL || write_outbreaks(fp, pop, true) != 0 || fclose(fp) != 0)
        goto out;
    rc = 0;
out:
    free(pop);
    free(tr);
    free(ca);
    return rc;
}

/* p-value histogram bins (upper edges). */
static const double bins[] = {1e-5, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5,
                              0.6,  0.7,  0.8,  0.9,  1.0};
#define NBINS (sizeof(bins) / sizeof(bins[0]))

static int cmd_run(int scenario, unsigned long long first, unsigned long long last,
                   const char *prefix)
{
    sp_pop_t *pop = malloc(sizeof(*pop));
    int64_t *tr = malloc(SP_DEVICES * 2 * SP_WEEKS * sizeof(int64_t));
    int64_t *ca = malloc(SP_DEVICES * 2 * DETECT_TYPES * SP_WEEKS * sizeof(int64_t));
    detect_verdict_t *v = malloc(NS * sizeof(*v));
    detect_rate_params_t params = DETECT_RATE_DEFAULTS;
    /* histogram per model class: cells (0) and margins (1) */
    unsigned long long hist[2][NBINS] = {{0}};
    char path[4096];
    FILE *fa = NULL, *fo = NULL, *fh = NULL;
    detect_panel_t panel;
    int rc = 1;

    const char *env = getenv("NW_ALERTS_WINDOW");
    if (env)
        params.window_max = atoi(env);
    if ((env = getenv("NW_ALERTS_Q")))
        params.q_level = atof(env);
    if ((env = getenv("NW_ALERTS_HARMONICS")))
        params.harmonics = atoi(env);
    if ((env = getenv("NW_ALERTS_GUARD")))
        params.guard = atoi(env);
    if (!pop || !tr || !ca || !v)
        goto out;
    snprintf(path, sizeof(path), "%s.alarms.tsv", prefix);
    fa = fopen(path, "w");
    snprintf(path, sizeof(path), "%s.outbreaks.tsv", prefix);
    fo = fopen(path, "w");
    snprintf(path, sizeof(path), "%s.pvals.tsv", prefix);
    fh = fopen(path, "w");
    if (!fa || !fo || !fh)
        goto out;
    fprintf(fa, "scenario\tseed\tseries\tweek\tp\tq\talarm\tobserved\texpected\twindow\tmodel\n");
    for (unsigned long long seed = first; seed <= last; seed++) {
        if (!sp_generate(pop, scenario, seed))
            goto out;
        to_panel(pop, tr, ca, &panel);
        if (write_outbreaks(fo, pop, seed == first) != 0)
            goto out;
        for (size_t t = SP_FIRST_JUDGED; t < SP_WEEKS; t++) {
            if (detect_panel_week(&panel, t, &params, v) != 0)
                goto out;
            for (size_t i = 0; i < NS; i++) {
                if (!v[i].defined)
                    continue;
                int margin = v[i].model == DETECT_MODEL_MARGIN;
                size_t b = 0;
                while (b + 1 < NBINS && v[i].p_value > bins[b])
                    b++;
                hist[margin][b]++;
                if (v[i].p_value <= 0.01 || v[i].alarm)
                    fprintf(fa, "%s\t%llu\t%zu\t%zu\t%.6g\t%.6g\t%d\t%lld\t%.4f\t%d\t%d\n",
                            sp_scenario_names[scenario], seed, i, t, v[i].p_value,
                            v[i].q_value, v[i].alarm, (long long)v[i].observed, v[i].expected,
                            v[i].window, (int)v[i].model);
            }
        }
    }
    fprintf(fh, "scenario\tclass\tupper\tcount\n");
    for (int m = 0; m < 2; m++) {
        for (size_t b = 0; b < NBINS; b++)
            fprintf(fh, "%s\t%s\t%g\t%llu\n", sp_scenario_names[scenario], m ? "margin" : "cell",
                    bins[b], hist[m][b]);
    }
    rc = 0;
out:
    if (fa && fclose(fa) != 0)
        rc = 1;
    if (fo && fclose(fo) != 0)
        rc = 1;
    if (fh && fclose(fh) != 0)
        rc = 1;
    free(pop);
    free(tr);
    free(ca);
    free(v);
    return rc;
}

/* peers.R's methods, with the analyzer's C mirrors. */
static const double glr_grid[] = {4, 5, 6, 7, 8, 10, 12, 15, 20, 25, 30};
#define NGLR (sizeof(glr_grid) / sizeof(glr_grid[0]))

static void emit(FILE *fp, const char *method, int scenario, unsigned long long seed,
                 size_t series, long week, int alarm, double stat)
{
    fprintf(fp, "c:%s\t%s\t%llu\t%zu\t%ld\t", method, sp_scenario_names[scenario], seed,
            series, week);
    if (alarm < 0)
        fprintf(fp, "NA\t");
    else
        fprintf(fp, "%d\t", alarm);
    if (isnan(stat))
        fprintf(fp, "NA\n");
    else
        fprintf(fp, "%.10g\n", stat);
}

static int cmd_peers(int scenario, unsigned long long first, unsigned long long last,
                     const char *out)
{
    sp_pop_t *pop = malloc(sizeof(*pop));
    int64_t *tr = malloc(SP_DEVICES * 2 * SP_WEEKS * sizeof(int64_t));
    int64_t *ca = malloc(SP_DEVICES * 2 * DETECT_TYPES * SP_WEEKS * sizeof(int64_t));
    int64_t y[SP_WEEKS], n[SP_WEEKS];
    detect_farrington_params_t fp[2] = {DETECT_NOUFAILY(1, 0.001), DETECT_NOUFAILY(1, 0.001)};
    const char *fname[2] = {"farrington_counts", "farrington_offset"};
    detect_panel_t panel;
    FILE *fo = fopen(out, "w");
    int rc = 1;

    fp[0].population_offset = false;
    fp[0].trend = fp[1].trend = false;
    if (!pop || !tr || !ca || !fo)
        goto out;
    fprintf(fo, "method\tscenario\tseed\tseries\tweek\talarm\tstat\n");
    for (unsigned long long seed = first; seed <= last; seed++) {
        if (!sp_generate(pop, scenario, seed))
            goto out;
        to_panel(pop, tr, ca, &panel);
        for (size_t d = 0; d <= SP_DEVICES; d++) {
            for (int s = 0; s < 3; s++) {
                for (int c = 0; c < DETECT_TYPES; c++) {
                    size_t si = detect_series_index(d, s, c);
                    long ly[SP_WEEKS];
                    detect_panel_series(&panel, d, s, c, y, n);
                    for (int w = 0; w < SP_WEEKS; w++)
                        ly[w] = (long)y[w];
                    for (size_t t = SP_FIRST_JUDGED; t < SP_WEEKS; t++) {
                        nw_ears_t e = stats_ears_c2(ly, SP_WEEKS, t, NW_EARS_C2_DEFAULTS);
                        double z = e.sigma > 0.0 ? e.statistic
                                                 : (e.observed > e.mean ? INFINITY : -INFINITY);
                        bool al = e.alarm && y[t] >= 3;
                        if (al || (z > 2.0 && y[t] >= 3))
                            emit(fo, "ears_c2", scenario, seed, si, (long)t, al, z);
                    }
                    for (int f = 0; f < 2; f++) {
                        bool zero = false;
                        for (int w = 0; w < SP_WEEKS; w++)
                            zero |= n[w] <= 0;
                        if (zero && fp[f].population_offset) {
                            emit(fo, fname[f], scenario, seed, si, -1, -1, NAN);
                            continue;
                        }
                        for (size_t t = SP_FIRST_JUDGED; t < SP_WEEKS; t++) {
                            detect_farrington_t r = detect_farrington(y, n, SP_WEEKS, t, fp[f]);
                            if (r.alarm || (r.defined && r.p_value <= 0.01))
                                emit(fo, fname[f], scenario, seed, si, (long)t, r.alarm,
                                     r.p_value);
                        }
                    }
                    double ysum = 0.0, nsum = 0.0, mu0[SP_JUDGED];
                    bool alarm[SP_JUDGED], ok = true;
                    double value[SP_JUDGED];
                    for (int w = 0; w < SP_FIRST_JUDGED; w++) {
                        ysum += (double)y[w];
                        nsum += (double)n[w];
                    }
                    for (int w = 0; w < SP_JUDGED; w++) {
                        mu0[w] = nsum > 0.0 ? ysum / nsum * (double)n[SP_FIRST_JUDGED + w] : 0.0;
                        ok &= mu0[w] > 0.0;
                    }
                    for (size_t h = 0; h < NGLR; h++) {
                        char name[32];
                        snprintf(name, sizeof(name), "glrpois_%g", glr_grid[h]);
                        if (!ok) {
                            emit(fo, name, scenario, seed, si, -1, -1, NAN);
                            continue;
                        }
                        if (detect_glrpois(&y[SP_FIRST_JUDGED], mu0, SP_JUDGED, glr_grid[h],
                                           alarm, value) < 0)
                            goto out;
                        for (int w = 0; w < SP_JUDGED; w++) {
                            if (alarm[w])
                                emit(fo, name, scenario, seed, si, SP_FIRST_JUDGED + w, 1, NAN);
                        }
                    }
                }
            }
        }
    }
    rc = 0;
out:
    if (fo && fclose(fo) != 0)
        rc = 1;
    free(pop);
    free(tr);
    free(ca);
    return rc;
}

/* rows: the population's treatments as rows for a database, per cell
 * and week the number of treatments with each set of complications. */
typedef struct {
    FILE *fp;
    unsigned long long counts[1u << SP_TYPES];
    bool failed;
} rows_t;

static void emit_rows(void *arg, int week, int device, int setting, int skin,
                      const unsigned short *mark, size_t n)
{
    rows_t *r = arg;
    memset(r->counts, 0, sizeof(r->counts));
    for (size_t i = 0; i < n; i++)
        r->counts[mark[i] & ((1u << SP_TYPES) - 1)]++;
    for (unsigned m = 0; m < (1u << SP_TYPES); m++) {
        if (r->counts[m] > 0 &&
            fprintf(r->fp, "%d\t%s\t%s\t%d\t%u\t%llu\n", week, sp_device_names[device],
                    sp_setting_names[setting], skin + 1, m, r->counts[m]) < 0)
            r->failed = true;
    }
}

static int cmd_rows(int scenario, unsigned long long seed, const char *out)
{
    sp_pop_t *pop = malloc(sizeof(*pop));
    rows_t *r = calloc(1, sizeof(*r));
    int rc = 1;

    if (pop == NULL || r == NULL || (r->fp = fopen(out, "w")) == NULL)
        goto out;
    fprintf(r->fp, "week\tdevice\tsetting\tfitzpatrick\tmask\tcount\n");
    if (!sp_generate_each(pop, scenario, seed, emit_rows, r) || r->failed)
        goto out;
    rc = 0;
out:
    if (r != NULL && r->fp != NULL && fclose(r->fp) != 0)
        rc = 1;
    free(r);
    free(pop);
    return rc;
}

/* alerts: the analyzer's alerts (model/alerts.h, every week judged) on the
 * population, one line each, for it.surveillance_bench to compare with the
 * analyzer's own report of the same population loaded into PostgreSQL. */
static void write_block(FILE *fp, const cube_t *cube, size_t first_week, size_t last_week,
                        size_t device, int setting, int complication,
                        const alert_evidence_t *e)
{
    char a[11], b[11], c[11], d[11];
    civil_format(SP_FIRST_MONDAY + 7 * (int32_t)first_week, a);
    civil_format(SP_FIRST_MONDAY + 7 * (int32_t)last_week, b);
    civil_format(SP_FIRST_MONDAY + 7 * (int32_t)e->base_first, c);
    civil_format(SP_FIRST_MONDAY + 7 * (int32_t)e->base_last + 6, d);
    fprintf(fp, "%s/%s/%s/%s/%s/%lld/%lld/%.17g/%.17g/%.17g/%d/%s/%s/%lld/%lld",
            cube_device_name(cube, device), cube_setting_name(setting),
            cube_complication_name(complication), a, b, (long long)e->observed,
            (long long)e->treatments, e->expected, e->p_value, e->q_value, e->window, c, d,
            (long long)e->base_cases, (long long)e->base_treatments);
}

static int cmd_alerts(int scenario, unsigned long long seed, const char *out)
{
    sp_pop_t *pop = malloc(sizeof(*pop));
    cube_t *cube = cube_new();
    weekly_t weekly;
    alerts_t alerts;
    bool judgeable[SP_WEEKS];
    FILE *fp = NULL;
    int rc = 1;

    memset(&alerts, 0, sizeof(alerts));
    if (pop == NULL || cube == NULL || !sp_generate(pop, scenario, seed) ||
        !weekly_init(&weekly, SP_FIRST_MONDAY, SP_WEEKS))
        goto out;
    for (int d = 0; d < SP_DEVICES; d++) {
        for (int s = 0; s < SP_SETTINGS; s++) {
            for (int w = 0; w < SP_WEEKS; w++) {
                weekly_add(&weekly, (size_t)d, s, WEEKLY_TREATMENTS, (size_t)w,
                           pop->treatments[d][s][w]);
                for (int c = 0; c < DETECT_TYPES; c++)
                    weekly_add(&weekly, (size_t)d, s, c, (size_t)w, pop->cases[d][s][c][w]);
            }
        }
    }
    for (int w = 0; w < SP_WEEKS; w++)
        judgeable[w] = true;
    alert_input_t in = {{0, 14, true, 0, NAN}, cube, &weekly, judgeable};
    if (alerts_detect(&in, alert_params_default(), &alerts) != 0 || (fp = fopen(out, "w")) == NULL)
        goto out;
    fprintf(fp, "series_weeks\t%zu\n", alerts.series_weeks);
    for (size_t i = 0; i < alerts.n; i++) {
        const alert_row_t *a = &alerts.rows[i];
        fprintf(fp, "alert\t%zu\t", a->alarm_weeks);
        write_block(fp, cube, a->first_week, a->last_week, a->device, a->setting,
                    a->complication, &a->evidence);
        for (size_t k = 0; k < a->n_also_in; k++) {
            const alert_margin_t *m = &a->also_in[k];
            fputc('\t', fp);
            write_block(fp, cube, m->first_week, m->last_week, m->device, m->setting,
                        m->complication, &m->evidence);
        }
        fputc('\n', fp);
    }
    rc = ferror(fp) ? 1 : 0;
    weekly_free(&weekly);
out:
    if (fp != NULL && fclose(fp) != 0)
        rc = 1;
    alerts_free(&alerts);
    cube_free(cube);
    free(pop);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "gen") == 0 && sp_scenario_index(argv[2]) >= 0)
        return cmd_gen(sp_scenario_index(argv[2]), strtoull(argv[3], NULL, 10), argv[4]);
    if (argc == 6 && strcmp(argv[1], "run") == 0 && sp_scenario_index(argv[2]) >= 0)
        return cmd_run(sp_scenario_index(argv[2]), strtoull(argv[3], NULL, 10),
                       strtoull(argv[4], NULL, 10), argv[5]);
    if (argc == 6 && strcmp(argv[1], "peers") == 0 && sp_scenario_index(argv[2]) >= 0)
        return cmd_peers(sp_scenario_index(argv[2]), strtoull(argv[3], NULL, 10),
                         strtoull(argv[4], NULL, 10), argv[5]);
    if (argc == 5 && strcmp(argv[1], "rows") == 0 && sp_scenario_index(argv[2]) >= 0)
        return cmd_rows(sp_scenario_index(argv[2]), strtoull(argv[3], NULL, 10), argv[4]);
    if (argc == 5 && strcmp(argv[1], "alerts") == 0 && sp_scenario_index(argv[2]) >= 0)
        return cmd_alerts(sp_scenario_index(argv[2]), strtoull(argv[3], NULL, 10), argv[4]);
    fprintf(stderr, "usage: nwalerts gen SCENARIO SEED DIR\n"
                    "       nwalerts rows SCENARIO SEED OUT.tsv\n"
                    "       nwalerts alerts SCENARIO SEED OUT.tsv\n"
                    "       nwalerts peers SCENARIO FIRST_SEED LAST_SEED OUT.tsv\n"
                    "       nwalerts run SCENARIO FIRST_SEED LAST_SEED OUT_PREFIX\n"
                    "scenarios: const seasonal drift mixed power\n");
    return 2;
}

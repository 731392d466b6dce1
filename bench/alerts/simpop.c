/*
 * simpop.c - the simulated populations of the alert benchmark (see simpop.h).
 *
 * Per cell device x setting x skin type and week: treatments ~ Poisson(the
 * volume model's mean); then for each complication type c, the treatments
 * that have it are a Bernoulli(r_c) sample, drawn by geometric skips over
 * the cell's treatments (exact, and as cheap as the number of cases), and
 * marked in a bit set per treatment so that "any" counts each treatment once.
 * Random streams (tools/loadgen_model.h's xoshiro256**): one per (seed,
 * scenario) and purpose, so the drift factors do not depend on the counts.
 */
#include "simpop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "loadgen_model.h"

#define BASE_VOLUME 2500.0     /* treatments a week at week 0, both settings */
#define MAX_CELL 20000         /* treatments of one cell-week, far above the model's */

const char *const sp_scenario_names[SP_SCENARIOS] = {"const", "seasonal", "drift", "mixed",
                                                     "power"};
const char *const sp_device_names[SP_DEVICES] = {"derma_roller", "derma_stamp",
                                                 "microneedling_pen", "rf_microneedling", "other"};
const char *const sp_setting_names[SP_SETTINGS] = {"home", "clinic"};
const char *const sp_type_names[SP_TYPES + 1] = {
    "any",       "infection", "scarring", "hyperpigmentation", "burn",       "nerve_damage",
    "fat_loss",  "granuloma", "dryness_peeling", "acne_flare", "other"};

enum { STREAM_COUNTS = 1, STREAM_DRIFT, STREAM_NOISE, STREAM_OUTBREAK };

static const double growth[SP_SETTINGS] = {3.0, 2.2};          /* over the two years */
static const double setting_share[SP_SETTINGS] = {0.35, 0.65}; /* as the load generator */
static const double drift_factors[9] = {0.6, 0.7, 0.8, 1.0, 1.0, 1.0, 1.3, 1.4, 1.5};
static const double sizes[4] = {1.5, 2.0, 3.0, 4.0};
#define NOISE_SD 0.1

int sp_scenario_index(const char *name)
{
    for (int i = 0; i < SP_SCENARIOS; i++) {
        if (strcmp(name, sp_scenario_names[i]) == 0)
            return i;
    }
    return -1;
}

/* ---- calendar --------------------------------------------------------- */

/* Day of the year (0-based) and month (1..12) of the Thursday of week w. */
static void week_calendar(int w, int *doy, int *month, bool *holiday)
{
    int32_t monday = SP_FIRST_MONDAY + 7 * w, thursday = monday + 3;
    int y, m, d;
    civil_ymd(thursday, &y, &m, &d);
    *doy = (int)(thursday - civil_days(y, 1, 1));
    *month = m;
    /* The week holds 25 December or 1 January. */
    *holiday = false;
    for (int i = 0; i < 7; i++) {
        civil_ymd(monday + i, &y, &m, &d);
        if ((m == 12 && d == 25) || (m == 1 && d == 1))
            *holiday = true;
    }
}

/* Mean treatments of setting s in week w, all devices and skin types. */
static double volume(int s, int w)
{
    int doy, month;
    bool holiday;
    double v = BASE_VOLUME * setting_share[s] * pow(growth[s], (double)w / (SP_WEEKS - 1));
    week_calendar(w, &doy, &month, &holiday);
    if (holiday)
        v *= s == LG_HOME ? 0.85 : 0.4;
    else if (month == 8)
        v *= s == LG_HOME ? 1.0 : 0.8;
    else if (month <= 2)
        v *= 0.9;
    return v;
}

/* ---- sampling ---------------------------------------------------------- */

/* Poisson(lambda): inversion below 30, else Hormann's PTRS (1993). */
static int64_t poisson(lg_rng_t *rng, double lambda)
{
    if (lambda <= 0.0)
        return 0;
    if (lambda < 30.0) {
        double limit = exp(-lambda), prod = lg_rng_uniform(rng);
        int64_t k = 0;
        while (prod > limit) {
            prod *= lg_rng_uniform(rng);
            k++;
        }
        return k;
    }
    double slam = sqrt(lambda), loglam = log(lambda);
    double b = 0.931 + 2.53 * slam, a = -0.059 + 0.02483 * b;
    double invalpha = 1.1239 + 1.1328 / (b - 3.4), vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
        double u = lg_rng_uniform(rng) - 0.5, v = lg_rng_uniform(rng);
        double us = 0.5 - fabs(u);
        double k = floor((2.0 * a / us + b) * u + lambda + 0.43);
        if (us >= 0.07 && v <= vr)
            return (int64_t)k;
        if (k < 0.0 || (us < 0.013 && v > us))
            continue;
        if (log(v) + log(invalpha) - log(a / (us * us) + b) <=
            -lambda + k * loglam - lgamma(k + 1.0))
            return (int64_t)k;
    }
}

static double normal(lg_rng_t *rng)
{
    double u1 = 1.0 - lg_rng_uniform(rng), u2 = lg_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* ---- risks ------------------------------------------------------------- */

typedef struct {
    double base[SP_DEVICES][SP_SETTINGS][SP_SKINS][SP_TYPES]; /* lg_model_cell */
    double share[SP_DEVICES][SP_SETTINGS][SP_SKINS];          /* of the setting's volume */
    double drift[SP_DEVICES][SP_SETTINGS][SP_TYPES];          /* factor a year */
} model_t;

static void model_init(model_t *m, int scenario, uint64_t seed)
{
    double total[SP_SETTINGS] = {0, 0};
    lg_rng_t rng;
    for (int d = 0; d < SP_DEVICES; d++) {
        for (int s = 0; s < SP_SETTINGS; s++) {
            for (int k = 0; k < SP_SKINS; k++) {
                double out[LG_NCOMP + 1], prob;
                lg_model_cell(d, s, k + 1, NULL, out, &prob);
                for (int c = 0; c < SP_TYPES; c++)
                    m->base[d][s][k][c] = out[c];
                m->share[d][s][k] = prob;
                total[s] += prob;
            }
        }
    }
    lg_rng_seed(&rng, seed, (uint64_t)scenario, STREAM_DRIFT);
    for (int d = 0; d < SP_DEVICES; d++) {
        for (int s = 0; s < SP_SETTINGS; s++) {
            for (int k = 0; k < SP_SKINS; k++)
                m->share[d][s][k] /= total[s];
            for (int c = 0; c < SP_TYPES; c++) {
                int i = lg_rng_range(&rng, 0, 8);
                m->drift[d][s][c] =
                    scenario == SP_DRIFT || scenario == SP_MIXED || scenario == SP_POWER
                        ? drift_factors[i]
                        : 1.0;
            }
        }
    }
}

/* The seasonal multiplier of type c (0-based) for skin k in week w. */
static double seasonal(int c, int k, int w)
{
    int doy, month;
    bool holiday;
    week_calendar(w, &doy, &month, &holiday);
    double phase = 2.0 * M_PI / 365.25;
    switch (c) {
    case 0: /* infection: summer */
        return 1.0 + 0.15 * cos(phase * (doy - 200));
    case 2: { /* hyperpigmentation: a summer peak, stronger on dark skin */
        double z = (doy - 205) / 31.5;
        return 1.0 + (k < 3 ? 0.5 : 0.8) * exp(-0.5 * z * z);
    }
    case 7: /* dryness and peeling: winter */
        return 1.0 + 0.25 * cos(phase * (doy - 15));
    case 8: /* acne flare: autumn */
        return 1.0 + 0.10 * cos(phase * (doy - 280));
    default:
        return 1.0;
    }
}

/* The risk of type c for (d, s, k) in week w without noise or outbreak. */
static double risk(const model_t *m, int scenario, int d, int s, int k, int c, int w)
{
    double r = m->base[d][s][k][c] * pow(m->drift[d][s][c], w / 52.0);
    if (scenario == SP_SEASONAL || scenario == SP_MIXED || scenario == SP_POWER)
        r *= seasonal(c, k, w);
    return r;
}

/* Expected cases of type c in cell (d, s) in week w (no noise, no outbreak). */
static double expected_cases(const model_t *m, int scenario, int d, int s, int c, int w)
{
    double e = 0.0;
    for (int k = 0; k < SP_SKINS; k++)
        e += volume(s, w) * m->share[d][s][k] * risk(m, scenario, d, s, k, c, w);
    return e;
}

static void plant_outbreaks(sp_pop_t *pop, const model_t *m, uint64_t seed)
{
    lg_rng_t rng;
    lg_rng_seed(&rng, seed, SP_POWER, STREAM_OUTBREAK);
    for (int j = 0; j < SP_MAX_OUTBREAKS; j++) {
        sp_outbreak_t *ob = &pop->outbreaks[pop->n_outbreaks];
        int combo = (int)((seed * SP_MAX_OUTBREAKS + (uint64_t)j) % 16);
        int cat = j % 3, n_cand = 0;
        int cand[SP_DEVICES * SP_SETTINGS * SP_TYPES];
        ob->onset = SP_FIRST_JUDGED + 2 + 7 * j + lg_rng_range(&rng, 0, 1);
        ob->duration = 1 + combo / 4;
        ob->size = sizes[combo % 4];
        ob->category = SP_CAT_LARGE - cat;
        for (int d = 0; d < SP_DEVICES; d++) {
            for (int s = 0; s < SP_SETTINGS; s++) {
                for (int c = 0; c < SP_TYPES; c++) {
                    double e = expected_cases(m, SP_POWER, d, s, c, ob->onset);
                    int ecat = e >= 10.0 ? SP_CAT_LARGE : e >= 3.0 ? SP_CAT_MEDIUM
                                                          : e >= 1.0 ? SP_CAT_SMALL : -1;
                    bool used = false;
                    for (int i = 0; i < pop->n_outbreaks; i++) {
                        const sp_outbreak_t *o = &pop->outbreaks[i];
                        used |= o->device == d && o->setting == s && o->type == c + 1;
                    }
                    if (ecat == ob->category && !used)
                        cand[n_cand++] = (d * SP_SETTINGS + s) * SP_TYPES + c;
                }
            }
        }
        if (n_cand == 0)
            continue;
        int pick = cand[lg_rng_range(&rng, 0, n_cand - 1)];
        ob->device = pick / (SP_SETTINGS * SP_TYPES);
        ob->setting = pick / SP_TYPES % SP_SETTINGS;
        ob->type = pick % SP_TYPES + 1;
        ob->expected = expected_cases(m, SP_POWER, ob->device, ob->setting, ob->type - 1,
                                      ob->onset);
        pop->n_outbreaks++;
    }
}

static double outbreak_factor(const sp_pop_t *pop, int d, int s, int c, int w)
{
    double f = 1.0;
    for (int i = 0; i < pop->n_outbreaks; i++) {
        const sp_outbreak_t *o = &pop->outbreaks[i];
        if (o->device == d && o->setting == s && o->type == c + 1 && w >= o->onset &&
            w < o->onset + o->duration)
            f *= o->size;
    }
    return f;
}

bool sp_generate(sp_pop_t *pop, int scenario, uint64_t seed)
{
    return sp_generate_each(pop, scenario, seed, NULL, NULL);
}

bool sp_generate_each(sp_pop_t *pop, int scenario, uint64_t seed, sp_each_fn each, void *arg)
{
    unsigned short *mark;
    model_t *m;
    lg_rng_t rng, noise_rng;

    if (scenario < 0 || scenario >= SP_SCENARIOS)
        return false;
    m = malloc(sizeof(*m));
    mark = malloc(MAX_CELL * sizeof(*mark));
    if (m == NULL || mark == NULL) {
        free(m);
        free(mark);
        return false;
    }
    memset(pop, 0, sizeof(*pop));
    pop->scenario = scenario;
    pop->seed = seed;
    model_init(m, scenario, seed);
    if (scenario == SP_POWER)
        plant_outbreaks(pop, m, seed);
    lg_rng_seed(&rng, seed, (uint64_t)scenario, STREAM_COUNTS);
    lg_rng_seed(&noise_rng, seed, (uint64_t)scenario, STREAM_NOISE);
    for (int w = 0; w < SP_WEEKS; w++) {
        for (int d = 0; d < SP_DEVICES; d++) {
            for (int s = 0; s < SP_SETTINGS; s++) {
                double noise[SP_TYPES];
                for (int c = 0; c < SP_TYPES; c++) {
                    noise[c] = scenario == SP_MIXED || scenario == SP_POWER
                                   ? exp(NOISE_SD * normal(&noise_rng) - NOISE_SD * NOISE_SD / 2)
                                   : 1.0;
                    noise[c] *= outbreak_factor(pop, d, s, c, w);
                }
                for (int k = 0; k < SP_SKINS; k++) {
                    int64_t n = poisson(&rng, volume(s, w) * m->share[d][s][k]);
                    if (n > MAX_CELL)
                        n = MAX_CELL;
                    memset(mark, 0, (size_t)n * sizeof(mark[0]));
                    for (int c = 0; c < SP_TYPES; c++) {
                        double r = risk(m, scenario, d, s, k, c, w) * noise[c];
                        double lq = log1p(-(r < 0.5 ? r : 0.5));
                        int64_t at = -1;
                        if (!(r > 0.0))
                            continue;
                        for (;;) {
                            at += 1 + (int64_t)floor(log(1.0 - lg_rng_uniform(&rng)) / lq);
                            if (at >= n)
                                break;
                            mark[at] |= (unsigned short)(1u << c);
                            pop->cases[d][s][c + 1][w]++;
                        }
                    }
                    for (int64_t i = 0; i < n; i++)
                        pop->cases[d][s][0][w] += mark[i] != 0;
                    if (each != NULL)
                        each(arg, w, d, s, k, mark, (size_t)n);
                    pop->treatments[d][s][w] += n;
                }
            }
        }
    }
    free(m);
    free(mark);
    return true;
}

/*
 * loadgen_model.c - the synthetic risk model behind needlewatch-loadgen.
 *
 * Every covariate comes from a small discrete distribution, so the expected
 * complication probability of any cell can be computed exactly by summing
 * over all covariate combinations; lg_model_cell() does that and the
 * generator's --model-json writes it, so tests can compare what the pipeline
 * measures against the truth.
 *
 * The shape of the model follows the domain notes (shared/domain): home use
 * is riskier, above all for infections and scars; non-sterile tips drive
 * infections; deeper needles drive scars; post-inflammatory pigment
 * changes rise with the Fitzpatrick type; radiofrequency devices
 * add burns, nerve damage and fat loss; some serums cause granulomas;
 * rolling over active acne spreads it. The numbers are invented but keep the
 * any-complication rate near 3 % in clinics and near 8 % at home.
 */
#include "loadgen_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

const double lg_depth_mm[LG_NDEPTH] = {0.25, 0.5, 1.0, 1.5, 2.0, 2.5};
const char *const lg_serum_names[LG_NSERUM] = {
    "none", "hyaluronic_acid", "vitamin_c", "prp", "growth_factors", "exosomes", "peptides"};
const char *const lg_region_names[LG_NREGION] = {"face", "neck", "scalp", "body", "hands"};
/* Invented makers and models: no real product is meant. */
const char *const lg_maker_names[LG_NDEVICE][LG_NMAKER] = {
    {"Glowroll", "Dermaline", "Prickwell"},
    {"Stampix", "Dermaline", "Microdot"},
    {"Needlecraft", "Auralis", "Pennova"},
    {"Thermion", "Radiance Medical", "Fraxel-Like Labs"},
    {"Generic", "Unbranded", "Homebrew"},
};
const char *const lg_model_names[LG_NDEVICE][LG_NMAKER] = {
    {"GR-540", "DL Roller 0.5", "PW Home"},
    {"SX-36", "DL Stamp", "MD-12"},
    {"NC Pro 2", "A9", "PN-16"},
    {"TX-RF 49", "RM Pulse", "FLL Sublime"},
    {"unknown", "kit", "v1"},
};
/* ---- covariate distributions ---------------------------------------- */

static const double p_setting[LG_NSETTING] = {0.35, 0.65};

/* device | setting: home is mostly rollers and stamps, clinics pens and RF. */
static const double p_device[LG_NSETTING][LG_NDEVICE] = {
    {0.58, 0.25, 0.13, 0.01, 0.03},
    {0.03, 0.05, 0.57, 0.32, 0.03},
};

/* needle depth (0.25 .. 2.5 mm) | device */
static const double p_depth[LG_NDEVICE][LG_NDEPTH] = {
    {0.30, 0.35, 0.20, 0.10, 0.05, 0.00},
    {0.15, 0.35, 0.30, 0.15, 0.05, 0.00},
    {0.05, 0.20, 0.30, 0.25, 0.15, 0.05},
    {0.00, 0.10, 0.25, 0.30, 0.20, 0.15},
    {0.20, 0.30, 0.30, 0.10, 0.10, 0.00},
};

/* Fitzpatrick I..VI, whatever the setting. */
static const double p_fitz[LG_NFITZ] = {0.10, 0.25, 0.25, 0.18, 0.12, 0.10};
/* The report leaves the skin type out (reported as unknown). */
static const double p_skin_omitted[LG_NSETTING] = {0.15, 0.05};

static const double p_serum[LG_NSETTING][LG_NSERUM] = {
    {0.35, 0.35, 0.15, 0.00, 0.05, 0.05, 0.05},
    {0.40, 0.25, 0.05, 0.15, 0.07, 0.05, 0.03},
};
static const double p_sterile[LG_NSETTING] = {0.55, 0.97};
static const double p_acne[LG_NSETTING] = {0.12, 0.05};
static const double p_operator[LG_NSETTING][LG_NOPERATOR] = {
    {0.92, 0.00, 0.00, 0.03, 0.05},
    {0.00, 0.35, 0.30, 0.32, 0.03},
};
static const double p_region[LG_NREGION] = {0.70, 0.08, 0.07, 0.10, 0.05};
static const double p_maker[LG_NMAKER] = {0.5, 0.3, 0.2};

/* ---- risk: p = base x multipliers, capped ----------------------------
 * Columns in the order of catalogue_complication_types (common/catalogue.c).
 * The base is a clinic treatment with a microneedling pen at 1.0 mm on
 * Fitzpatrick III skin, sterile tip, no active acne, no serum. */
static const double base_p[LG_NCOMP] = {
    0.004, 0.002, 0.005, 0.0008, 0.0002, 0.0003, 0.0003, 0.008, 0.003, 0.002};

static const double mult_setting[LG_NSETTING][LG_NCOMP] = {
    {3.0, 2.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.5, 1.3, 1.5}, /* home */
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, /* clinic */
};
static const double mult_device[LG_NDEVICE][LG_NCOMP] = {
    {1.3, 1.5, 1.0, 0.3, 0.5, 0.3, 1.0, 1.0, 1.2, 1.0},    /* derma_roller */
    {1.1, 1.2, 1.0, 0.3, 0.5, 0.3, 1.0, 1.0, 1.0, 1.0},    /* derma_stamp */
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0},    /* microneedling_pen */
    {1.0, 1.3, 1.6, 15.0, 12.0, 20.0, 1.0, 1.3, 1.0, 1.2}, /* rf_microneedling */
    {1.5, 1.5, 1.2, 1.0, 1.0, 1.0, 1.2, 1.2, 1.2, 2.0},    /* other */
};
static const double mult_depth[LG_NDEPTH][LG_NCOMP] = {
    {0.70, 0.3, 0.8, 0.6, 0.3, 0.3, 0.6, 1.0, 1.0, 1.0}, /* 0.25 mm */
    {0.85, 0.6, 0.9, 0.8, 0.5, 0.5, 0.8, 1.0, 1.0, 1.0}, /* 0.5 */
    {1.00, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0}, /* 1.0 */
    {1.20, 2.0, 1.1, 1.3, 1.5, 1.5, 1.3, 1.0, 1.0, 1.0}, /* 1.5 */
    {1.40, 3.5, 1.3, 1.7, 2.5, 2.2, 1.6, 1.0, 1.0, 1.0}, /* 2.0 */
    {1.60, 5.0, 1.5, 2.2, 3.5, 3.0, 2.0, 1.0, 1.0, 1.0}, /* 2.5 */
};
/* Fitzpatrick I..VI: only the pigment changes (type LG_PIGMENT) depend on it. */
static const double mult_fitz_pigment[LG_NFITZ] = {0.4, 0.6, 1.0, 1.8, 2.8, 3.8};
static const double mult_serum[LG_NSERUM][LG_NCOMP] = {
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0},  /* none */
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 0.8, 1.0, 1.0},  /* hyaluronic_acid */
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 8.0, 1.6, 1.2, 1.2},  /* vitamin_c */
    {1.2, 1.0, 1.0, 1.0, 1.0, 1.0, 1.5, 1.0, 1.0, 1.0},  /* prp */
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 1.0, 1.2, 1.3},  /* growth_factors */
    {1.3, 1.0, 1.0, 1.0, 1.0, 1.0, 10.0, 1.0, 1.2, 1.5}, /* exosomes */
    {1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.2},  /* peptides */
};
static const double mult_nonsterile[LG_NCOMP] = {4.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2};
static const double mult_active_acne[LG_NCOMP] = {1.5, 1.0, 1.3, 1.0, 1.0, 1.0, 1.0, 1.0, 8.0, 1.0};

/* ---- complication details --------------------------------------------- */

static const double p_severity[LG_NCOMP][LG_NSEVERITY] = {
    {0.50, 0.35, 0.15}, {0.30, 0.45, 0.25}, {0.55, 0.35, 0.10}, {0.45, 0.40, 0.15},
    {0.35, 0.40, 0.25}, {0.30, 0.45, 0.25}, {0.35, 0.45, 0.20}, {0.85, 0.13, 0.02},
    {0.70, 0.25, 0.05}, {0.60, 0.30, 0.10},
};
static const int onset_range[LG_NCOMP][2] = {
    {1, 14}, {14, 180}, {7, 90}, {0, 3}, {0, 30}, {30, 180}, {14, 365}, {0, 7}, {1, 21}, {0, 60},
};
static const double p_outcome[LG_NCOMP][LG_NOUTCOME] = {
    {0.80, 0.10, 0.03, 0.07}, {0.10, 0.30, 0.50, 0.10}, {0.50, 0.35, 0.05, 0.10},
    {0.70, 0.15, 0.08, 0.07}, {0.45, 0.30, 0.15, 0.10}, {0.15, 0.30, 0.45, 0.10},
    {0.40, 0.40, 0.10, 0.10}, {0.90, 0.03, 0.00, 0.07}, {0.80, 0.10, 0.02, 0.08},
    {0.60, 0.20, 0.05, 0.15},
};
static const double p_medical_attention[LG_NSEVERITY] = {0.15, 0.55, 0.95};

/* ---- PRNG ------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void lg_rng_seed(lg_rng_t *rng, uint64_t seed, uint64_t index, uint64_t stream)
{
    uint64_t x = seed;
    uint64_t mixed;

    /* Hash the three numbers together so nearby (seed, index) pairs give
     * unrelated streams. */
    mixed = splitmix64(&x);
    x = mixed ^ (index * 0xD1B54A32D192ED03ULL);
    mixed = splitmix64(&x);
    x = mixed ^ (stream * 0xAEF17502108EF2D9ULL);
    for (int i = 0; i < 4; i++)
        rng->s[i] = splitmix64(&x);
}

uint64_t lg_rng_next(lg_rng_t *rng)
{
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double lg_rng_uniform(lg_rng_t *rng)
{
    return (double)(lg_rng_next(rng) >> 11) * 0x1.0p-53;
}

int lg_rng_range(lg_rng_t *rng, int lo, int hi)
{
    uint64_t span = (uint64_t)((int64_t)hi - lo + 1);
    return lo + (int)(lg_rng_next(rng) % span);
}

bool lg_rng_bernoulli(lg_rng_t *rng, double p)
{
    /* Always consume one number, so later draws do not depend on p. */
    return lg_rng_uniform(rng) < p;
}

int lg_rng_pick(lg_rng_t *rng, const double *weights, int n)
{
    double u = lg_rng_uniform(rng);
    double acc = 0.0;
    int last = 0;

    for (int i = 0; i < n; i++) {
        if (weights[i] <= 0.0)
            continue;
        acc += weights[i];
        last = i;
        if (u < acc)
            return i;
    }
    return last; /* rounding: the weights summed to a hair under 1 */
}

/* ---- sampling and probabilities ---------------------------------------- */

void lg_model_sample(lg_rng_t *rng, lg_cov_t *cov)
{
    cov->setting = lg_rng_pick(rng, p_setting, LG_NSETTING);
    cov->device = lg_rng_pick(rng, p_device[cov->setting], LG_NDEVICE);
    cov->depth = lg_rng_pick(rng, p_depth[cov->device], LG_NDEPTH);
    cov->fitzpatrick = 1 + lg_rng_pick(rng, p_fitz, LG_NFITZ);
    cov->skin_reported = !lg_rng_bernoulli(rng, p_skin_omitted[cov->setting]);
    cov->serum = lg_rng_pick(rng, p_serum[cov->setting], LG_NSERUM);
    cov->sterile_tip = lg_rng_bernoulli(rng, p_sterile[cov->setting]);
    cov->active_acne = lg_rng_bernoulli(rng, p_acne[cov->setting]);
    cov->operator_ = lg_rng_pick(rng, p_operator[cov->setting], LG_NOPERATOR);
    cov->region = lg_rng_pick(rng, p_region, LG_NREGION);
    cov->maker = lg_rng_pick(rng, p_maker, LG_NMAKER);
}

/* --skin-device-confounding: P(RF instead) by Fitzpatrick I..VI. */
static const double p_confound_rf[LG_NFITZ] = {0.0, 0.0, 0.05, 0.15, 0.35, 0.6};

void lg_model_confound(lg_rng_t *rng, lg_cov_t *cov)
{
    bool rf = lg_rng_bernoulli(rng, p_confound_rf[cov->fitzpatrick - 1]);
    int depth = lg_rng_pick(rng, p_depth[LG_RF_MICRONEEDLING], LG_NDEPTH);
    int maker = lg_rng_pick(rng, p_maker, LG_NMAKER);

    if (rf && cov->device != LG_RF_MICRONEEDLING) {
        cov->device = LG_RF_MICRONEEDLING;
        cov->depth = depth;
        cov->maker = maker;
    }
}

/* p for explicit covariate values (the enumeration calls this directly). */
static void probs_for(int setting, int device, int depth, int fitz, int serum,
                      bool sterile, bool acne, const double *extra, double p[LG_NCOMP])
{
    for (int c = 0; c < LG_NCOMP; c++) {
        double v = base_p[c] * mult_setting[setting][c] * mult_device[device][c] *
                   mult_depth[depth][c] * mult_serum[serum][c];
        if (c == LG_PIGMENT)
            v *= mult_fitz_pigment[fitz - 1];
        if (!sterile)
            v *= mult_nonsterile[c];
        if (acne)
            v *= mult_active_acne[c];
        if (extra)
            v *= extra[c];
        p[c] = v > LG_P_CAP ? LG_P_CAP : v;
    }
}

void lg_model_probs(const lg_cov_t *cov, const double *extra, double p[LG_NCOMP])
{
    probs_for(cov->setting, cov->device, cov->depth, cov->fitzpatrick, cov->serum,
              cov->sterile_tip, cov->active_acne, extra, p);
}

int lg_model_severity(lg_rng_t *rng, int comp)
{
    return lg_rng_pick(rng, p_severity[comp], LG_NSEVERITY);
}

int lg_model_onset_days(lg_rng_t *rng, int comp)
{
    return lg_rng_range(rng, onset_range[comp][0], onset_range[comp][1]);
}

int lg_model_outcome(lg_rng_t *rng, int comp)
{
    return lg_rng_pick(rng, p_outcome[comp], LG_NOUTCOME);
}

bool lg_model_medical_attention(lg_rng_t *rng, int severity)
{
    return lg_rng_bernoulli(rng, p_medical_attention[severity]);
}

/* ---- exact expectations -------------------------------------------------- */

void lg_model_cell(int device, int setting, int skin, const double *extra,
                   double out[LG_NCOMP + 1], double *cell_prob)
{
    double p[LG_NCOMP];
    double skin_w[LG_NFITZ];
    double skin_prob;

    /* The probability of the cell, and the distribution of the latent
     * Fitzpatrick type within it. */
    if (skin == 0) {
        skin_prob = p_skin_omitted[setting];
        for (int f = 0; f < LG_NFITZ; f++)
            skin_w[f] = p_fitz[f];
    } else {
        skin_prob = (1.0 - p_skin_omitted[setting]) * p_fitz[skin - 1];
        for (int f = 0; f < LG_NFITZ; f++)
            skin_w[f] = f == skin - 1 ? 1.0 : 0.0;
    }
    *cell_prob = p_setting[setting] * p_device[setting][device] * skin_prob;

    for (int c = 0; c <= LG_NCOMP; c++)
        out[c] = 0.0;
    for (int d = 0; d < LG_NDEPTH; d++) {
        double wd = p_depth[device][d];
        if (wd <= 0.0)
            continue;
        for (int f = 0; f < LG_NFITZ; f++) {
            if (skin_w[f] <= 0.0)
                continue;
            for (int s = 0; s < LG_NSERUM; s++) {
                double ws = p_serum[setting][s];
                if (ws <= 0.0)
                    continue;
                for (int st = 0; st < 2; st++) {
                    double wst = st ? p_sterile[setting] : 1.0 - p_sterile[setting];
                    for (int a = 0; a < 2; a++) {
                        double wa = a ? p_acne[setting] : 1.0 - p_acne[setting];
                        double w = wd * skin_w[f] * ws * wst * wa;
                        double none = 1.0;
                        if (w <= 0.0)
                            continue;
                        probs_for(setting, device, d, f + 1, s, st != 0, a != 0, extra, p);
                        for (int c = 0; c < LG_NCOMP; c++) {
                            out[c] += w * p[c];
                            none *= 1.0 - p[c];
                        }
                        out[LG_NCOMP] += w * (1.0 - none);
                    }
                }
            }
        }
    }
}

/* ---- the model as JSON ----------------------------------------------------- */

static const char *const skin_names[LG_NFITZ + 1] = {"unknown", "I", "II", "III",
                                                     "IV", "V", "VI"};

static cJSON *p_object(const double v[LG_NCOMP + 1])
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    for (int c = 0; c < LG_NCOMP; c++)
        cJSON_AddNumberToObject(obj, catalogue_name(&catalogue_complication_types, (size_t)(c)), v[c]);
    cJSON_AddNumberToObject(obj, "any", v[LG_NCOMP]);
    return obj;
}

static cJSON *table_object(const char *const *names, int n, const double *values)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    for (int i = 0; i < n; i++)
        cJSON_AddNumberToObject(obj, names[i], values[i]);
    return obj;
}

/* The same, named by an enumeration of the catalogue. */
static cJSON *list_object(const catalogue_list_t *list, const double *values)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    for (size_t i = 0; i < list->count; i++)
        cJSON_AddNumberToObject(obj, list->entries[i].name, values[i]);
    return obj;
}

static cJSON *comp_table(const char *const *rows, int nrows, const double (*m)[LG_NCOMP])
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    for (int r = 0; r < nrows; r++)
        cJSON_AddItemToObject(obj, rows[r], list_object(&catalogue_complication_types, m[r]));
    return obj;
}

/* The same, one row per value of an enumeration. */
static cJSON *list_comp_table(const catalogue_list_t *rows, const double (*m)[LG_NCOMP])
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    for (size_t r = 0; r < rows->count; r++)
        cJSON_AddItemToObject(obj, rows->entries[r].name,
                              list_object(&catalogue_complication_types, m[r]));
    return obj;
}

/* The model's own parameters, so the JSON is self-describing. */
static cJSON *parameters_object(void)
{
    static const char *const depth_names[LG_NDEPTH] = {"0.25", "0.5", "1.0", "1.5", "2.0", "2.5"};
    static const char *const fitz_names[LG_NFITZ] = {"I", "II", "III", "IV", "V", "VI"};
    static const char *const maker_ix[LG_NMAKER] = {"0", "1", "2"};
    char fitz_key[64];
    cJSON *par = cJSON_CreateObject();
    cJSON *dist = cJSON_CreateObject();
    cJSON *mult = cJSON_CreateObject();
    cJSON *t;

    cJSON_AddItemToObject(par, "cap", cJSON_CreateNumber(LG_P_CAP));
    cJSON_AddItemToObject(par, "base", list_object(&catalogue_complication_types, base_p));

    cJSON_AddItemToObject(dist, "setting", list_object(&catalogue_settings, p_setting));
    t = cJSON_CreateObject();
    for (int s = 0; s < LG_NSETTING; s++)
        cJSON_AddItemToObject(t, catalogue_name(&catalogue_settings, (size_t)(s)),
                              list_object(&catalogue_device_types, p_device[s]));
    cJSON_AddItemToObject(dist, "device_type|setting", t);
    t = cJSON_CreateObject();
    for (int d = 0; d < LG_NDEVICE; d++)
        cJSON_AddItemToObject(t, catalogue_name(&catalogue_device_types, (size_t)(d)),
                              table_object(depth_names, LG_NDEPTH, p_depth[d]));
    cJSON_AddItemToObject(dist, "needle_depth_mm|device_type", t);
    cJSON_AddItemToObject(dist, "fitzpatrick", table_object(fitz_names, LG_NFITZ, p_fitz));
    cJSON_AddItemToObject(dist, "skin_omitted|setting",
                          list_object(&catalogue_settings, p_skin_omitted));
    t = cJSON_CreateObject();
    for (int s = 0; s < LG_NSETTING; s++)
        cJSON_AddItemToObject(t, catalogue_name(&catalogue_settings, (size_t)(s)),
                              table_object(lg_serum_names, LG_NSERUM, p_serum[s]));
    cJSON_AddItemToObject(dist, "serum|setting", t);
    cJSON_AddItemToObject(dist, "sterile_tip|setting",
                          list_object(&catalogue_settings, p_sterile));
    cJSON_AddItemToObject(dist, "active_acne|setting",
                          list_object(&catalogue_settings, p_acne));
    t = cJSON_CreateObject();
    for (int s = 0; s < LG_NSETTING; s++)
        cJSON_AddItemToObject(t, catalogue_name(&catalogue_settings, (size_t)(s)),
                              list_object(&catalogue_operator_roles, p_operator[s]));
    cJSON_AddItemToObject(dist, "operator|setting", t);
    cJSON_AddItemToObject(dist, "region", table_object(lg_region_names, LG_NREGION, p_region));
    cJSON_AddItemToObject(dist, "maker_index", table_object(maker_ix, LG_NMAKER, p_maker));
    cJSON_AddItemToObject(par, "distributions", dist);

    cJSON_AddItemToObject(mult, "setting", list_comp_table(&catalogue_settings, mult_setting));
    cJSON_AddItemToObject(mult, "device_type", list_comp_table(&catalogue_device_types, mult_device));
    cJSON_AddItemToObject(mult, "needle_depth_mm", comp_table(depth_names, LG_NDEPTH, mult_depth));
    snprintf(fitz_key, sizeof(fitz_key), "fitzpatrick (%s only)",
             catalogue_name(&catalogue_complication_types, LG_PIGMENT));
    cJSON_AddItemToObject(mult, fitz_key, table_object(fitz_names, LG_NFITZ, mult_fitz_pigment));
    cJSON_AddItemToObject(mult, "serum", comp_table(lg_serum_names, LG_NSERUM, mult_serum));
    cJSON_AddItemToObject(mult, "sterile_tip=false",
                          list_object(&catalogue_complication_types, mult_nonsterile));
    cJSON_AddItemToObject(mult, "active_acne=true",
                          list_object(&catalogue_complication_types, mult_active_acne));
    cJSON_AddItemToObject(par, "multipliers", mult);
    return par;
}

/* Accumulates cell results into a weighted marginal. */
typedef struct {
    double prob;
    double p[LG_NCOMP + 1]; /* sum of prob x p; divided at the end */
} marginal_t;

static void marginal_add(marginal_t *m, double prob, const double p[LG_NCOMP + 1])
{
    m->prob += prob;
    for (int c = 0; c <= LG_NCOMP; c++)
        m->p[c] += prob * p[c];
}

static cJSON *marginal_object(const char *key, const char *value, const marginal_t *m)
{
    cJSON *obj = cJSON_CreateObject();
    double p[LG_NCOMP + 1];

    for (int c = 0; c <= LG_NCOMP; c++)
        p[c] = m->prob > 0.0 ? m->p[c] / m->prob : 0.0;
    if (key)
        cJSON_AddStringToObject(obj, key, value);
    cJSON_AddNumberToObject(obj, "probability", m->prob);
    cJSON_AddItemToObject(obj, "p", p_object(p));
    return obj;
}

bool lg_burst_parse(const char *s, lg_burst_t *b)
{
    const char *c1 = strchr(s, ':');
    const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    const char *c3 = c2 ? strchr(c2 + 1, ':') : NULL;
    const char *c4 = c3 ? strchr(c3 + 1, ':') : NULL;
    char date[16], mult[32];
    char *end;
    int32_t day;
    size_t len;

    if (c3 == NULL)
        return false;
    b->device = catalogue_find_n(&catalogue_device_types, s, (size_t)(c1 - s));
    b->comp = catalogue_find_n(&catalogue_complication_types, c1 + 1, (size_t)(c2 - c1 - 1));
    b->setting = c4 == NULL ? -1
                            : catalogue_find_n(&catalogue_settings, c4 + 1, strlen(c4 + 1));
    if (b->device < 0 || b->comp < 0 || (c4 != NULL && b->setting < 0) ||
        (size_t)(c3 - c2 - 1) >= sizeof(date))
        return false;
    memcpy(date, c2 + 1, (size_t)(c3 - c2 - 1));
    date[c3 - c2 - 1] = '\0';
    if (!lg_parse_date(date, &day))
        return false;
    b->week_start = civil_monday(day);
    len = c4 == NULL ? strlen(c3 + 1) : (size_t)(c4 - c3 - 1);
    if (len == 0 || len >= sizeof(mult))
        return false;
    memcpy(mult, c3 + 1, len);
    mult[len] = '\0';
    errno = 0;
    b->multiplier = strtod(mult, &end);
    return errno == 0 && *end == '\0' && b->multiplier >= 0.0 && b->multiplier <= 1e6;
}

bool lg_burst_applies(const lg_burst_t *b, int device, int setting, int32_t day)
{
    return b->device == device && (b->setting < 0 || b->setting == setting) &&
           day >= b->week_start && day < b->week_start + 7;
}

bool lg_model_write_json(FILE *fp, const lg_burst_t *bursts, int nbursts, char *errbuf,
                         size_t errlen)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *cells = cJSON_CreateArray();
    cJSON *comps = cJSON_CreateArray();
    cJSON *by_setting = cJSON_CreateArray();
    cJSON *by_device = cJSON_CreateArray();
    cJSON *bursts_json = cJSON_CreateArray();
    marginal_t m_setting[LG_NSETTING] = {0};
    marginal_t m_device[LG_NDEVICE] = {0};
    marginal_t m_all = {0};
    char *text = NULL;
    bool ok = false;

    if (!root || !cells || !comps || !by_setting || !by_device || !bursts_json) {
        snprintf(errbuf, errlen, "out of memory");
        cJSON_Delete(cells);
        cJSON_Delete(comps);
        cJSON_Delete(by_setting);
        cJSON_Delete(by_device);
        cJSON_Delete(bursts_json);
        goto out;
    }
    cJSON_AddNumberToObject(root, "schema_version", 1);
    cJSON_AddStringToObject(root, "description",
        "True expected complication probabilities of needlewatch-loadgen. "
        "cells: one per device_type x setting x reported skin_type (I..VI, or "
        "unknown when the report omits it); probability is the chance that a "
        "generated treatment falls in the cell; p[c] is the exact expectation of "
        "the per-treatment probability of complication c over the covariates "
        "within the cell, and p.any that of 1 - prod(1 - p[c]). Bursts are not "
        "included in cells; see bursts.");
    for (int c = 0; c < LG_NCOMP; c++)
        cJSON_AddItemToArray(comps, cJSON_CreateString(catalogue_name(&catalogue_complication_types, (size_t)(c))));
    cJSON_AddItemToObject(root, "complications", comps);

    for (int d = 0; d < LG_NDEVICE; d++) {
        for (int s = 0; s < LG_NSETTING; s++) {
            for (int k = 1; k <= LG_NFITZ + 1; k++) {
                int skin = k % (LG_NFITZ + 1); /* I..VI, then unknown */
                double p[LG_NCOMP + 1];
                double prob;
                cJSON *cell = cJSON_CreateObject();

                lg_model_cell(d, s, skin, NULL, p, &prob);
                cJSON_AddStringToObject(cell, "device_type", catalogue_name(&catalogue_device_types, (size_t)(d)));
                cJSON_AddStringToObject(cell, "setting", catalogue_name(&catalogue_settings, (size_t)(s)));
                cJSON_AddStringToObject(cell, "skin_type", skin_names[skin]);
                if (skin)
                    cJSON_AddNumberToObject(cell, "fitzpatrick", skin);
                else
                    cJSON_AddNullToObject(cell, "fitzpatrick");
                cJSON_AddNumberToObject(cell, "probability", prob);
                cJSON_AddItemToObject(cell, "p", p_object(p));
                cJSON_AddItemToArray(cells, cell);
                marginal_add(&m_setting[s], prob, p);
                marginal_add(&m_device[d], prob, p);
                marginal_add(&m_all, prob, p);
            }
        }
    }
    cJSON_AddItemToObject(root, "cells", cells);
    for (int s = 0; s < LG_NSETTING; s++)
        cJSON_AddItemToArray(by_setting,
                             marginal_object("setting", catalogue_name(&catalogue_settings, (size_t)(s)), &m_setting[s]));
    for (int d = 0; d < LG_NDEVICE; d++)
        cJSON_AddItemToArray(by_device,
                             marginal_object("device_type", catalogue_name(&catalogue_device_types, (size_t)(d)), &m_device[d]));
    cJSON_AddItemToObject(root, "by_setting", by_setting);
    cJSON_AddItemToObject(root, "by_device_type", by_device);
    cJSON_AddItemToObject(root, "overall", marginal_object(NULL, NULL, &m_all));

    for (int b = 0; b < nbursts; b++) {
        const lg_burst_t *bu = &bursts[b];
        double extra[LG_NCOMP];
        cJSON *bj = cJSON_CreateObject();
        cJSON *bcells = cJSON_CreateArray();
        char date[11];

        for (int c = 0; c < LG_NCOMP; c++)
            extra[c] = c == bu->comp ? bu->multiplier : 1.0;
        civil_format(bu->week_start, date);
        cJSON_AddStringToObject(bj, "device_type", catalogue_name(&catalogue_device_types, (size_t)(bu->device)));
        cJSON_AddStringToObject(bj, "complication", catalogue_name(&catalogue_complication_types, (size_t)(bu->comp)));
        cJSON_AddStringToObject(bj, "week_start", date);
        civil_format(bu->week_start + 6, date);
        cJSON_AddStringToObject(bj, "week_end", date);
        cJSON_AddNumberToObject(bj, "multiplier", bu->multiplier);
        if (bu->setting < 0)
            cJSON_AddNullToObject(bj, "setting");
        else
            cJSON_AddStringToObject(bj, "setting", catalogue_name(&catalogue_settings, (size_t)(bu->setting)));
        /* The same cells as above for the burst's device type, for
         * treatments inside the burst week. */
        for (int s = 0; s < LG_NSETTING; s++) {
            if (bu->setting >= 0 && s != bu->setting)
                continue;
            for (int k = 1; k <= LG_NFITZ + 1; k++) {
                int skin = k % (LG_NFITZ + 1);
                double p[LG_NCOMP + 1];
                double prob;
                cJSON *cell = cJSON_CreateObject();

                lg_model_cell(bu->device, s, skin, extra, p, &prob);
                cJSON_AddStringToObject(cell, "setting", catalogue_name(&catalogue_settings, (size_t)(s)));
                cJSON_AddStringToObject(cell, "skin_type", skin_names[skin]);
                cJSON_AddNumberToObject(cell, "probability", prob);
                cJSON_AddItemToObject(cell, "p", p_object(p));
                cJSON_AddItemToArray(bcells, cell);
            }
        }
        cJSON_AddItemToObject(bj, "cells_in_week", bcells);
        cJSON_AddItemToArray(bursts_json, bj);
    }
    cJSON_AddItemToObject(root, "bursts", bursts_json);
    cJSON_AddItemToObject(root, "parameters", parameters_object());

    text = cJSON_Print(root);
    if (!text) {
        snprintf(errbuf, errlen, "out of memory printing the model");
        goto out;
    }
    if (fputs(text, fp) == EOF || fputc('\n', fp) == EOF) {
        snprintf(errbuf, errlen, "write failed: %s", strerror(errno));
        goto out;
    }
    ok = true;
out:
    free(text);
    cJSON_Delete(root);
    return ok;
}

/* ---- dates ---------------------------------------------------------------- */

bool lg_parse_date(const char *s, int32_t *days)
{
    int32_t z;
    int y, m, d;

    if (civil_parse(s, &z) != CIVIL_OK)
        return false;
    civil_ymd(z, &y, &m, &d);
    if (y < 1900)
        return false;
    *days = z;
    return true;
}

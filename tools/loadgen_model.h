/*
 * loadgen_model.h - the synthetic risk model behind needlewatch-loadgen.
 *
 * Pure code: a seeded PRNG, the discrete distributions of every covariate of
 * a treatment, the per-complication probability p = base x multipliers, and
 * the exact expectation of p per (device_type, setting, reported skin type)
 * cell by enumeration. No Kafka, no I/O except writing the model as JSON.
 */
#ifndef NW_LOADGEN_MODEL_H
#define NW_LOADGEN_MODEL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "catalogue.h"
#include "civil.h"

#define LG_NSETTING CATALOGUE_SETTINGS
#define LG_NDEVICE CATALOGUE_DEVICE_TYPES
#define LG_NDEPTH 6
#define LG_NFITZ 6
#define LG_NSERUM 7
#define LG_NOPERATOR CATALOGUE_OPERATOR_ROLES
#define LG_NREGION 5
#define LG_NMAKER 3 /* manufacturers per device type */
#define LG_NCOMP CATALOGUE_COMPLICATION_TYPES
#define LG_NSEVERITY CATALOGUE_SEVERITIES
#define LG_NOUTCOME CATALOGUE_OUTCOMES
#define LG_P_CAP 0.5

enum { LG_HOME = 0, LG_CLINIC = 1 };
enum { LG_RF_MICRONEEDLING = 3 }; /* index in catalogue_device_types */
enum { LG_PIGMENT = 2 };          /* index in catalogue_complication_types */

extern const double lg_depth_mm[LG_NDEPTH];
extern const char *const lg_serum_names[LG_NSERUM];
extern const char *const lg_region_names[LG_NREGION];
extern const char *const lg_maker_names[LG_NDEVICE][LG_NMAKER];
extern const char *const lg_model_names[LG_NDEVICE][LG_NMAKER];

/* xoshiro256** seeded through splitmix64. One independent stream per
 * (seed, index, stream) triple, so treatment i draws the same values whatever
 * else is generated and in whatever order. */
typedef struct {
    uint64_t s[4];
} lg_rng_t;

void lg_rng_seed(lg_rng_t *rng, uint64_t seed, uint64_t index, uint64_t stream);
uint64_t lg_rng_next(lg_rng_t *rng);
/* Uniform in [0, 1) with 53 random bits. */
double lg_rng_uniform(lg_rng_t *rng);
/* Uniform integer in [lo, hi]. */
int lg_rng_range(lg_rng_t *rng, int lo, int hi);
/* True with probability p. */
bool lg_rng_bernoulli(lg_rng_t *rng, double p);
/* Index i with probability weights[i] (the weights sum to 1). */
int lg_rng_pick(lg_rng_t *rng, const double *weights, int n);

/* The true covariates of one treatment (indices into the tables above).
 * fitzpatrick is always set (1..6); skin_reported says whether the report
 * states it. */
typedef struct {
    int setting;
    int device;
    int depth;
    int fitzpatrick;
    bool skin_reported;
    int serum;
    bool sterile_tip;
    bool active_acne;
    int operator_;
    int region;
    int maker;
} lg_cov_t;

/* Draws the covariates of one treatment, always in the same order. */
void lg_model_sample(lg_rng_t *rng, lg_cov_t *cov);

/* --skin-device-confounding: with a probability that rises with the
 * Fitzpatrick type (0 for I-II up to 0.6 for VI), the treatment was done
 * with RF microneedling instead (its needle depth and maker drawn again for
 * that device), in either setting. RF carries most of the risk of burns,
 * nerve damage and fat loss, which do not depend on the skin type: pooled
 * over device types their rates rise with the skin type, within a device
 * type they do not. rng is a stream of its own, so the other draws stay
 * those of the population without the option. */
void lg_model_confound(lg_rng_t *rng, lg_cov_t *cov);

/* p[c] for each complication c: base x every multiplier x extra[c] (extra
 * may be NULL: all 1), capped at LG_P_CAP. */
void lg_model_probs(const lg_cov_t *cov, const double *extra, double p[LG_NCOMP]);

/* Complication details for one complication of type comp. */
int lg_model_severity(lg_rng_t *rng, int comp);
int lg_model_onset_days(lg_rng_t *rng, int comp);
int lg_model_outcome(lg_rng_t *rng, int comp);
bool lg_model_medical_attention(lg_rng_t *rng, int severity);

/* The exact expectation over the covariates within one cell.
 * skin is 1..6 for a reported Fitzpatrick type, 0 for "unknown" (not
 * reported: the latent type follows its population distribution).
 * extra[c] multiplies p[c] as in lg_model_probs (NULL: none).
 * out[0..LG_NCOMP-1] is E[p_c], out[LG_NCOMP] is E[1 - prod(1 - p_c)].
 * *cell_prob is the probability that a treatment falls in the cell. */
void lg_model_cell(int device, int setting, int skin, const double *extra,
                   double out[LG_NCOMP + 1], double *cell_prob);

/* A --burst: multiply p[complication] of treatments with device_type device
 * treated in the 7 days from week_start (a Monday, days since 1970-01-01),
 * in one setting (LG_HOME, LG_CLINIC) or both (-1). */
typedef struct {
    int device;
    int comp;
    int32_t week_start;
    double multiplier;
    int setting;
} lg_burst_t;

/* Parses DEVICE:COMPLICATION:YYYY-MM-DD:MULTIPLIER[:SETTING] (the date may
 * be any day of the week; SETTING home or clinic, both when absent).
 * Returns false on anything else. */
bool lg_burst_parse(const char *s, lg_burst_t *b) __attribute__((warn_unused_result));

/* Does the burst apply to a treatment of this device, setting and day? */
bool lg_burst_applies(const lg_burst_t *b, int device, int setting, int32_t day);

/* Writes the model as one JSON document (see loadgen's --help). Returns
 * false and fills errbuf when writing fails. */
bool lg_model_write_json(FILE *fp, const lg_burst_t *bursts, int nbursts,
                         char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* Parses YYYY-MM-DD, a real date from 1900 on, into days since 1970-01-01
 * (common/civil.h does the arithmetic); false otherwise. */
bool lg_parse_date(const char *s, int32_t *days);

#endif

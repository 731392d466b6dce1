/*
 * loadgen_plan.h - everything needlewatch-loadgen sends for one treatment.
 *
 * lg_plan_make() decides, from (seed, index) alone, a treatment's true
 * covariates, its complications and the noise around them (a corrected
 * version 2, a withdrawal, an orphaning, duplicates, malformed messages);
 * lg_plan_emit() turns that plan into Kafka messages through a callback.
 * Pure code: the callback does the producing.
 */
#ifndef NW_LOADGEN_PLAN_H
#define NW_LOADGEN_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loadgen_model.h"

typedef struct {
    uint64_t seed;
    int32_t start_day; /* first treated_on, days since 1970-01-01 */
    int days;          /* treated_on is uniform over start_day .. +days-1 */
    double dup_rate;
    double followup_rate;
    double nullify_rate;
    double orphan_rate;
    double invalid_rate;
    const lg_burst_t *bursts;
    int nbursts;
    double missing_onset_rate; /* a complication report leaves onset_days out */
    bool confound;             /* --skin-device-confounding (lg_model_confound) */
} lg_gen_opts_t;

typedef enum { LG_TOPIC_TREATMENTS = 0, LG_TOPIC_COMPLICATIONS = 1 } lg_topic_t;

typedef enum {
    LG_MSG_VALID = 0,     /* a report, first copy */
    LG_MSG_DUPLICATE = 1, /* the same key and bytes again (redelivery) */
    LG_MSG_INVALID = 2,   /* a malformed message */
} lg_msg_kind_t;

/* Called once per message in production order. Returns 0 to go on, or
 * non-zero to stop lg_plan_emit(), which then returns that value. */
typedef int (*lg_emit_fn)(void *opaque, lg_topic_t topic, const char *key,
                          const char *payload, size_t len, lg_msg_kind_t kind);

#define LG_TREATMENT_SLOTS 3 /* version 1, version 2 (follow-up), withdrawal */

typedef struct {
    int comp;
    int severity;
    int onset_days;
    int outcome;
    bool medical_attention;
    unsigned omit;       /* LG_OMIT_C_* bits */
    int64_t reported_at; /* seconds since the epoch */
    bool dup;
    bool invalid;
    int invalid_kind;
} lg_comp_plan_t;

typedef struct {
    uint64_t index;
    lg_cov_t truth;  /* what happened: drives the complications */
    lg_cov_t first;  /* what version 1 says (differs from truth on follow-up) */
    unsigned omit;   /* LG_OMIT_T_* bits of every version */
    unsigned first_omit;
    int32_t treated_on;
    int64_t reported_at[LG_TREATMENT_SLOTS];
    int ncomp;
    lg_comp_plan_t comps[LG_NCOMP];
    bool orphan;         /* no version of the treatment is sent */
    bool followup;       /* version 1 is corrected by a version 2 */
    int followup_kind;   /* what version 1 got wrong, see lg_followup_names */
    bool followup_first; /* version 2 is sent before version 1 */
    bool nullify;        /* withdrawn by a last version with nullified:true */
    bool dup[LG_TREATMENT_SLOTS];
    bool invalid[LG_TREATMENT_SLOTS];
    int invalid_kind[LG_TREATMENT_SLOTS];
} lg_plan_t;

#define LG_NFOLLOWUP_KINDS 5
extern const char *const lg_followup_names[LG_NFOLLOWUP_KINDS];

void lg_plan_make(lg_plan_t *plan, const lg_gen_opts_t *opts, uint64_t index);

/* Emits the treatment messages (when treatments) and the complication
 * messages (when complications) of plan, in that order. Returns 0, the
 * callback's non-zero value, or -1 when out of memory. */
int lg_plan_emit(const lg_plan_t *plan, const lg_gen_opts_t *opts, bool treatments,
                 bool complications, lg_emit_fn emit, void *opaque)
    __attribute__((warn_unused_result));

/* Number of treatment versions sent (0 for an orphan). */
int lg_plan_treatment_messages(const lg_plan_t *plan);

#endif

/*
 * loadgen_plan.c - everything needlewatch-loadgen sends for one treatment.
 *
 * Two PRNG streams per treatment: stream 0 draws the truth (covariates,
 * dates, complications and their details), stream 1 the noise (follow-ups,
 * withdrawals, orphans, duplicates, malformed messages). So the same seed
 * gives the same treatments and complications whatever noise rates are
 * asked for, and plan i is the same whichever order the plans are made in
 * (--complications-first makes every plan twice).
 *
 * Messages are built with cJSON (valid ones) or by mutating a valid message
 * (malformed ones: each breaks a rule that the decoder and the database's
 * CHECK constraints both enforce, so it must end in quarantine).
 */
#include "loadgen_plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* Optional treatment fields, left out of a report now and then. */
enum {
    LG_OMIT_T_MANUFACTURER = 1u << 0,
    LG_OMIT_T_MODEL = 1u << 1,
    LG_OMIT_T_DEPTH = 1u << 2,
    LG_OMIT_T_OPERATOR = 1u << 3,
    LG_OMIT_T_STERILE = 1u << 4,
    LG_OMIT_T_ACNE = 1u << 5,
    LG_OMIT_T_SERUM = 1u << 6,
    LG_OMIT_T_REGION = 1u << 7,
    LG_OMIT_T_REPORTED_AT = 1u << 8,
};
static const double p_omit_treatment[9] = {0.05, 0.08, 0.04, 0.03, 0.06,
                                           0.06, 0.05, 0.03, 0.02};

enum {
    LG_OMIT_C_SEVERITY = 1u << 0,
    LG_OMIT_C_ONSET = 1u << 1,
    LG_OMIT_C_OUTCOME = 1u << 2,
    LG_OMIT_C_ATTENTION = 1u << 3,
    LG_OMIT_C_REPORTED_AT = 1u << 4,
};
/* The share of onsets left out is --missing-onset-rate (default 0.04). */
static const double p_omit_complication[5] = {0.03, 0.04, 0.05, 0.04, 0.02};

/* Share of follow-ups whose version 2 is sent before version 1. */
#define LG_FOLLOWUP_FIRST_SHARE 0.3

const char *const lg_followup_names[LG_NFOLLOWUP_KINDS] = {
    "skin", "setting", "needle_depth", "serum", "sterile_tip"};

#define LG_INVALID_KINDS 12

static unsigned draw_omit(lg_rng_t *rng, const double *p, int n)
{
    unsigned mask = 0;
    for (int i = 0; i < n; i++)
        if (lg_rng_bernoulli(rng, p[i]))
            mask |= 1u << i;
    return mask;
}

/* A time of day for a report: 08:00 to 21:59:59. */
static int64_t report_time(lg_rng_t *rng, int32_t day, int lag_lo, int lag_hi)
{
    return ((int64_t)day + lg_rng_range(rng, lag_lo, lag_hi)) * 86400 +
           lg_rng_range(rng, 8 * 3600, 22 * 3600 - 1);
}

/* Version 1 of a follow-up says something the correction (version 2, the
 * truth) takes back. */
static void make_wrong_first(lg_plan_t *plan, lg_rng_t *noise)
{
    lg_cov_t *f = &plan->first;
    int step = lg_rng_range(noise, 1, 2);
    int r = lg_rng_range(noise, 0, 1000);

    *f = plan->truth;
    plan->first_omit = plan->omit;
    switch (plan->followup_kind) {
    case 0: /* skin type: wrong, or reported when it is not known */
        f->skin_reported = true;
        if (plan->truth.skin_reported)
            f->fitzpatrick = 1 + (plan->truth.fitzpatrick - 1 + step) % 6;
        break;
    case 1: /* setting */
        f->setting = 1 - plan->truth.setting;
        break;
    case 2: /* needle depth */
        f->depth = (plan->truth.depth + step) % LG_NDEPTH;
        plan->first_omit &= ~(unsigned)LG_OMIT_T_DEPTH;
        break;
    case 3: /* serum */
        f->serum = (plan->truth.serum + 1 + r % (LG_NSERUM - 1)) % LG_NSERUM;
        plan->first_omit &= ~(unsigned)LG_OMIT_T_SERUM;
        break;
    default: /* sterile tip */
        f->sterile_tip = !plan->truth.sterile_tip;
        plan->first_omit &= ~(unsigned)LG_OMIT_T_STERILE;
        break;
    }
}

void lg_plan_make(lg_plan_t *plan, const lg_gen_opts_t *opts, uint64_t index)
{
    lg_rng_t truth;
    lg_rng_t noise;
    double extra[LG_NCOMP];
    double p[LG_NCOMP];

    memset(plan, 0, sizeof(*plan));
    plan->index = index;

    /* The truth: stream 0. */
    lg_rng_seed(&truth, opts->seed, index, 0);
    lg_model_sample(&truth, &plan->truth);
    if (opts->confound) {
        lg_rng_t confound;
        lg_rng_seed(&confound, opts->seed, index, 2);
        lg_model_confound(&confound, &plan->truth);
    }
    plan->treated_on = opts->start_day + lg_rng_range(&truth, 0, opts->days - 1);
    plan->omit = draw_omit(&truth, p_omit_treatment, 9);
    plan->reported_at[0] = report_time(&truth, plan->treated_on, 0, 3);

    for (int c = 0; c < LG_NCOMP; c++)
        extra[c] = 1.0;
    for (int b = 0; b < opts->nbursts; b++) {
        const lg_burst_t *bu = &opts->bursts[b];
        if (lg_burst_applies(bu, plan->truth.device, plan->truth.setting, plan->treated_on))
            extra[bu->comp] *= bu->multiplier;
    }
    lg_model_probs(&plan->truth, extra, p);
    for (int c = 0; c < LG_NCOMP; c++) {
        if (lg_rng_bernoulli(&truth, p[c]))
            plan->comps[plan->ncomp++].comp = c;
    }
    double p_omit[5];
    memcpy(p_omit, p_omit_complication, sizeof(p_omit));
    p_omit[1] = opts->missing_onset_rate; /* LG_OMIT_C_ONSET */
    for (int k = 0; k < plan->ncomp; k++) {
        lg_comp_plan_t *cp = &plan->comps[k];
        cp->severity = lg_model_severity(&truth, cp->comp);
        cp->onset_days = lg_model_onset_days(&truth, cp->comp);
        cp->outcome = lg_model_outcome(&truth, cp->comp);
        cp->medical_attention = lg_model_medical_attention(&truth, cp->severity);
        cp->omit = draw_omit(&truth, p_omit, 5);
        cp->reported_at = report_time(&truth, plan->treated_on + cp->onset_days, 0, 30);
    }

    /* The noise: stream 1, a fixed number of draws in a fixed order. */
    lg_rng_seed(&noise, opts->seed, index, 1);
    plan->orphan = lg_rng_bernoulli(&noise, opts->orphan_rate) && plan->ncomp > 0;
    plan->followup = lg_rng_bernoulli(&noise, opts->followup_rate);
    plan->followup_kind = lg_rng_range(&noise, 0, LG_NFOLLOWUP_KINDS - 1);
    plan->followup_first = lg_rng_bernoulli(&noise, LG_FOLLOWUP_FIRST_SHARE);
    plan->nullify = lg_rng_bernoulli(&noise, opts->nullify_rate);
    plan->reported_at[1] = plan->reported_at[0] + lg_rng_range(&noise, 1, 30) * 86400;
    plan->reported_at[2] = plan->reported_at[1] + lg_rng_range(&noise, 1, 60) * 86400;
    if (plan->followup) {
        make_wrong_first(plan, &noise);
    } else {
        plan->first = plan->truth;
        plan->first_omit = plan->omit;
        (void)lg_rng_range(&noise, 0, 1); /* keep the draw count fixed */
        (void)lg_rng_range(&noise, 0, 1000);
    }
    for (int s = 0; s < LG_TREATMENT_SLOTS; s++) {
        plan->dup[s] = lg_rng_bernoulli(&noise, opts->dup_rate);
        plan->invalid[s] = lg_rng_bernoulli(&noise, opts->invalid_rate);
        plan->invalid_kind[s] = lg_rng_range(&noise, 0, LG_INVALID_KINDS - 1);
    }
    for (int k = 0; k < LG_NCOMP; k++) {
        lg_comp_plan_t *cp = &plan->comps[k];
        bool dup = lg_rng_bernoulli(&noise, opts->dup_rate);
        bool invalid = lg_rng_bernoulli(&noise, opts->invalid_rate);
        int kind = lg_rng_range(&noise, 0, LG_INVALID_KINDS - 1);
        if (k < plan->ncomp) {
            cp->dup = dup;
            cp->invalid = invalid;
            cp->invalid_kind = kind;
        }
    }
}

int lg_plan_treatment_messages(const lg_plan_t *plan)
{
    if (plan->orphan)
        return 0;
    return 1 + (plan->followup ? 1 : 0) + (plan->nullify ? 1 : 0);
}

static void format_date(char *buf, size_t len, int32_t days)
{
    char date[11];
    civil_format(days, date);
    snprintf(buf, len, "%s", date);
}

static void format_time(char *buf, size_t len, int64_t t)
{
    int32_t days = (int32_t)(t / 86400);
    int64_t sec = t % 86400;
    int y, m, d;

    if (sec < 0) {
        sec += 86400;
        days--;
    }
    civil_ymd(days, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
}

/* One treatment report. The caller owns the result (cJSON_Delete). */
static cJSON *treatment_json(const lg_plan_t *plan, const lg_cov_t *cov, unsigned omit,
                             const char *report_id, int version, bool nullified,
                             int64_t reported_at)
{
    char buf[40];
    cJSON *o = cJSON_CreateObject();
    cJSON *dev;

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "schema_version", 1);
    cJSON_AddStringToObject(o, "report_id", report_id);
    cJSON_AddNumberToObject(o, "version", version);
    if (nullified)
        cJSON_AddTrueToObject(o, "nullified");
    format_date(buf, sizeof(buf), plan->treated_on);
    cJSON_AddStringToObject(o, "treated_on", buf);
    cJSON_AddStringToObject(o, "setting", catalogue_name(&catalogue_settings, (size_t)cov->setting));
    dev = cJSON_AddObjectToObject(o, "device");
    if (dev) {
        cJSON_AddStringToObject(dev, "type", catalogue_name(&catalogue_device_types, (size_t)cov->device));
        if (!(omit & LG_OMIT_T_MANUFACTURER))
            cJSON_AddStringToObject(dev, "manufacturer", lg_maker_names[cov->device][cov->maker]);
        if (!(omit & LG_OMIT_T_MODEL))
            cJSON_AddStringToObject(dev, "model", lg_model_names[cov->device][cov->maker]);
        if (!(omit & LG_OMIT_T_DEPTH))
            cJSON_AddNumberToObject(dev, "needle_depth_mm", lg_depth_mm[cov->depth]);
    }
    if (!(omit & LG_OMIT_T_OPERATOR))
        cJSON_AddStringToObject(o, "operator", catalogue_name(&catalogue_operator_roles, (size_t)cov->operator_));
    if (cov->skin_reported) {
        cJSON *skin = cJSON_AddObjectToObject(o, "skin");
        if (skin)
            cJSON_AddNumberToObject(skin, "fitzpatrick", cov->fitzpatrick);
    }
    if (!(omit & LG_OMIT_T_STERILE))
        cJSON_AddBoolToObject(o, "sterile_tip", cov->sterile_tip);
    if (!(omit & LG_OMIT_T_ACNE))
        cJSON_AddBoolToObject(o, "active_acne", cov->active_acne);
    if (!(omit & LG_OMIT_T_SERUM))
        cJSON_AddStringToObject(o, "serum", lg_serum_names[cov->serum]);
    if (!(omit & LG_OMIT_T_REGION))
        cJSON_AddStringToObject(o, "region", lg_region_names[cov->region]);
    if (!(omit & LG_OMIT_T_REPORTED_AT)) {
        format_time(buf, sizeof(buf), reported_at);
        cJSON_AddStringToObject(o, "reported_at", buf);
    }
    return o;
}

static cJSON *complication_json(const lg_comp_plan_t *cp, const char *report_id,
                                const char *treatment_id)
{
    char buf[40];
    cJSON *o = cJSON_CreateObject();

    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "schema_version", 1);
    cJSON_AddStringToObject(o, "report_id", report_id);
    cJSON_AddNumberToObject(o, "version", 1);
    cJSON_AddStringToObject(o, "treatment_id", treatment_id);
    cJSON_AddStringToObject(o, "type", catalogue_name(&catalogue_complication_types, (size_t)cp->comp));
    if (!(cp->omit & LG_OMIT_C_SEVERITY))
        cJSON_AddStringToObject(o, "severity", catalogue_name(&catalogue_severities, (size_t)cp->severity));
    if (!(cp->omit & LG_OMIT_C_ONSET))
        cJSON_AddNumberToObject(o, "onset_days", cp->onset_days);
    if (!(cp->omit & LG_OMIT_C_OUTCOME))
        cJSON_AddStringToObject(o, "outcome", catalogue_name(&catalogue_outcomes, (size_t)cp->outcome));
    if (!(cp->omit & LG_OMIT_C_ATTENTION))
        cJSON_AddBoolToObject(o, "medical_attention", cp->medical_attention);
    if (!(cp->omit & LG_OMIT_C_REPORTED_AT)) {
        format_time(buf, sizeof(buf), cp->reported_at);
        cJSON_AddStringToObject(o, "reported_at", buf);
    }
    return o;
}

/* Sets o[name] (replacing it) to item; item is owned by o afterwards. */
static void set_item(cJSON *o, const char *name, cJSON *item)
{
    if (cJSON_GetObjectItemCaseSensitive(o, name))
        cJSON_ReplaceItemInObjectCaseSensitive(o, name, item);
    else
        cJSON_AddItemToObject(o, name, item);
}

/* A malformed variant of the valid message o (its text is valid_text).
 * Returns a malloc'd string. Kinds 0-2 are not a JSON object at all; the
 * others are objects that break one rule of the schema. */
static char *invalid_payload(lg_topic_t topic, int kind, const cJSON *o,
                             const char *valid_text)
{
    cJSON *bad = NULL;
    char *text = NULL;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "report_id");
    const char *report_id = cJSON_IsString(id) ? id->valuestring : "?";

    switch (kind) {
    case 0: { /* truncated: the first half of the message */
        size_t n = strlen(valid_text) / 2;
        text = malloc(n + 1);
        if (text) {
            memcpy(text, valid_text, n);
            text[n] = '\0';
        }
        return text;
    }
    case 1: { /* not JSON at all */
        size_t n = strlen(report_id) + 64;
        text = malloc(n);
        if (text)
            snprintf(text, n, "report %s: see attached PDF", report_id);
        return text;
    }
    case 2: { /* JSON, but an array */
        size_t n = strlen(report_id) + 16;
        text = malloc(n);
        if (text)
            snprintf(text, n, "[\"%s\",1]", report_id);
        return text;
    }
    default:
        break;
    }

    bad = cJSON_Duplicate(o, 1);
    if (!bad)
        return NULL;
    if (topic == LG_TOPIC_TREATMENTS) {
        cJSON *dev = cJSON_GetObjectItemCaseSensitive(bad, "device");
        cJSON *skin;
        switch (kind) {
        case 3: cJSON_DeleteItemFromObjectCaseSensitive(bad, "report_id"); break;
        case 4: cJSON_DeleteItemFromObjectCaseSensitive(bad, "treated_on"); break;
        case 5: set_item(bad, "setting", cJSON_CreateString("spa")); break;
        case 6: set_item(bad, "version", cJSON_CreateNumber(0)); break;
        case 7: set_item(bad, "version", cJSON_CreateString("one")); break;
        case 8:
            skin = cJSON_CreateObject();
            cJSON_AddNumberToObject(skin, "fitzpatrick", 7);
            set_item(bad, "skin", skin);
            break;
        case 9: set_item(bad, "treated_on", cJSON_CreateString("2023-02-30")); break;
        case 10:
            if (dev)
                set_item(dev, "needle_depth_mm", cJSON_CreateNumber(-1));
            break;
        default: set_item(bad, "report_id", cJSON_CreateString("t bad/id!")); break;
        }
    } else {
        char longid[80];
        memset(longid, 'c', 70);
        longid[70] = '\0';
        switch (kind) {
        case 3: cJSON_DeleteItemFromObjectCaseSensitive(bad, "report_id"); break;
        case 4: cJSON_DeleteItemFromObjectCaseSensitive(bad, "treatment_id"); break;
        case 5: set_item(bad, "type", cJSON_CreateString("sunburn")); break;
        case 6: set_item(bad, "version", cJSON_CreateNumber(0)); break;
        case 7: set_item(bad, "severity", cJSON_CreateString("deadly")); break;
        case 8: set_item(bad, "onset_days", cJSON_CreateNumber(400)); break;
        case 9: set_item(bad, "treatment_id", cJSON_CreateString("t/../x y")); break;
        case 10: set_item(bad, "report_id", cJSON_CreateString(longid)); break;
        default: set_item(bad, "onset_days", cJSON_CreateNumber(-3)); break;
        }
    }
    text = cJSON_PrintUnformatted(bad);
    cJSON_Delete(bad);
    return text;
}

/* Emits o (and its duplicate and malformed sibling as planned). */
static int emit_report(const lg_plan_t *plan, const lg_gen_opts_t *opts, lg_topic_t topic,
                       const char *key, cJSON *o, bool dup, bool invalid, int invalid_kind,
                       const char *slot, lg_emit_fn emit, void *opaque)
{
    char *text = NULL;
    char *bad = NULL;
    char bad_key[96];
    int rc = -1;

    if (!o)
        goto out;
    text = cJSON_PrintUnformatted(o);
    if (!text)
        goto out;
    if ((rc = emit(opaque, topic, key, text, strlen(text), LG_MSG_VALID)))
        goto out;
    if (dup && (rc = emit(opaque, topic, key, text, strlen(text), LG_MSG_DUPLICATE)))
        goto out;
    if (invalid) {
        rc = -1;
        bad = invalid_payload(topic, invalid_kind, o, text);
        if (!bad)
            goto out;
        snprintf(bad_key, sizeof(bad_key), "x-%" PRIu64 "-%" PRIu64 "-%s", opts->seed,
                 plan->index, slot);
        if ((rc = emit(opaque, topic, bad_key, bad, strlen(bad), LG_MSG_INVALID)))
            goto out;
    }
    rc = 0;
out:
    free(bad);
    free(text);
    cJSON_Delete(o);
    return rc;
}

int lg_plan_emit(const lg_plan_t *plan, const lg_gen_opts_t *opts, bool treatments,
                 bool complications, lg_emit_fn emit, void *opaque)
{
    char tid[64];
    int rc;

    snprintf(tid, sizeof(tid), "t-%" PRIu64 "-%" PRIu64, opts->seed, plan->index);

    if (treatments && !plan->orphan) {
        /* slot 0: version 1 (what was first reported), slot 1: version 2
         * (the truth, on follow-up), slot 2: the withdrawal. */
        int order[2] = {0, 1};
        int nver = plan->followup ? 2 : 1;
        if (plan->followup && plan->followup_first) {
            order[0] = 1;
            order[1] = 0;
        }
        for (int j = 0; j < nver; j++) {
            int s = order[j];
            const lg_cov_t *cov = s == 0 ? &plan->first : &plan->truth;
            unsigned omit = s == 0 ? plan->first_omit : plan->omit;
            char slot[16];
            snprintf(slot, sizeof(slot), "t%d", s + 1);
            rc = emit_report(plan, opts, LG_TOPIC_TREATMENTS, tid,
                             treatment_json(plan, cov, omit, tid, s + 1, false,
                                            plan->reported_at[s]),
                             plan->dup[s], plan->invalid[s], plan->invalid_kind[s], slot,
                             emit, opaque);
            if (rc)
                return rc;
        }
        if (plan->nullify) {
            rc = emit_report(plan, opts, LG_TOPIC_TREATMENTS, tid,
                             treatment_json(plan, &plan->truth, plan->omit, tid, nver + 1,
                                            true, plan->reported_at[2]),
                             plan->dup[2], plan->invalid[2], plan->invalid_kind[2], "t3",
                             emit, opaque);
            if (rc)
                return rc;
        }
    }

    if (complications) {
        for (int k = 0; k < plan->ncomp; k++) {
            const lg_comp_plan_t *cp = &plan->comps[k];
            char cid[80];
            char slot[16];
            snprintf(cid, sizeof(cid), "c-%" PRIu64 "-%" PRIu64 "-%d", opts->seed,
                     plan->index, k + 1);
            snprintf(slot, sizeof(slot), "c%d", k + 1);
            rc = emit_report(plan, opts, LG_TOPIC_COMPLICATIONS, tid,
                             complication_json(cp, cid, tid), cp->dup, cp->invalid,
                             cp->invalid_kind, slot, emit, opaque);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/*
 * test_loadgen_model.c - unit tests of the load generator's pure modules.
 *
 * The model JSON is only useful if its exact expectations match what the
 * sampler really draws, so the central test averages lg_model_probs() over
 * many sampled treatments per cell and compares with lg_model_cell(). The
 * others pin the date helpers, the --burst syntax and its reach (one
 * device type, one week, one setting or both), the plan's determinism (the
 * same truth whatever the noise rates) and the shape of the emitted
 * messages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "loadgen_model.h"
#include "loadgen_plan.h"

static void test_dates(void **state)
{
    int32_t d;
    int y, m, dd;
    (void)state;

    assert_int_equal(civil_days(1970, 1, 1), 0);
    assert_int_equal(civil_days(2000, 3, 1), 11017);
    for (int32_t z = -800000; z < 800000; z += 97) {
        civil_ymd(z, &y, &m, &dd);
        assert_int_equal(civil_days(y, m, dd), z);
    }
    assert_true(lg_parse_date("2024-02-29", &d));
    assert_false(lg_parse_date("2023-02-29", &d));
    assert_false(lg_parse_date("2023-02-30", &d));
    assert_false(lg_parse_date("2023-2-3", &d));
    assert_false(lg_parse_date("2023-02-03x", &d));
    assert_true(lg_parse_date("2025-06-04", &d));
    assert_int_equal(civil_weekday(d), 2); /* a Wednesday */
    assert_int_equal(civil_weekday(civil_days(2025, 6, 2)), 0);
}

static void test_cells_are_a_distribution(void **state)
{
    double total = 0.0;
    (void)state;

    for (int dev = 0; dev < LG_NDEVICE; dev++) {
        for (int s = 0; s < LG_NSETTING; s++) {
            for (int skin = 0; skin <= 6; skin++) {
                double p[LG_NCOMP + 1], prob, maxp = 0.0;
                lg_model_cell(dev, s, skin, NULL, p, &prob);
                total += prob;
                for (int c = 0; c < LG_NCOMP; c++) {
                    assert_true(p[c] >= 0.0 && p[c] <= LG_P_CAP);
                    if (p[c] > maxp)
                        maxp = p[c];
                }
                assert_true(p[LG_NCOMP] >= maxp - 1e-15 && p[LG_NCOMP] <= 1.0);
            }
        }
    }
    assert_true(fabs(total - 1.0) < 1e-12);
}

/* The enumeration matches the sampler: per cell, the mean of the sampled
 * p agrees with the exact expectation, and the cell frequencies with the
 * cell probabilities. */
static void test_enumeration_matches_sampler(void **state)
{
    enum { N = 400000, CELLS = LG_NDEVICE * LG_NSETTING * 7 };
    double (*sum)[LG_NCOMP + 1] = calloc(CELLS, sizeof(*sum));
    double (*sq)[LG_NCOMP + 1] = calloc(CELLS, sizeof(*sq));
    long *count = calloc(CELLS, sizeof(*count));
    lg_rng_t rng;
    (void)state;

    assert_non_null(sum);
    assert_non_null(sq);
    assert_non_null(count);
    lg_rng_seed(&rng, 42, 0, 0);
    for (int i = 0; i < N; i++) {
        lg_cov_t cov;
        double p[LG_NCOMP], none = 1.0;
        int skin, cell;
        lg_model_sample(&rng, &cov);
        lg_model_probs(&cov, NULL, p);
        skin = cov.skin_reported ? cov.fitzpatrick : 0;
        cell = (cov.device * LG_NSETTING + cov.setting) * 7 + skin;
        count[cell]++;
        for (int c = 0; c < LG_NCOMP; c++) {
            sum[cell][c] += p[c];
            sq[cell][c] += p[c] * p[c];
            none *= 1.0 - p[c];
        }
        sum[cell][LG_NCOMP] += 1.0 - none;
        sq[cell][LG_NCOMP] += (1.0 - none) * (1.0 - none);
    }
    for (int dev = 0; dev < LG_NDEVICE; dev++) {
        for (int s = 0; s < LG_NSETTING; s++) {
            for (int skin = 0; skin <= 6; skin++) {
                int cell = (dev * LG_NSETTING + s) * 7 + skin;
                double p[LG_NCOMP + 1], prob;
                double expect, sd;
                lg_model_cell(dev, s, skin, NULL, p, &prob);
                expect = prob * N;
                sd = sqrt(expect * (1.0 - prob)) + 1.0;
                assert_true(fabs(count[cell] - expect) < 5.0 * sd);
                if (count[cell] < 100)
                    continue;
                /* Within 6 standard errors of the sampled mean of p. */
                for (int c = 0; c <= LG_NCOMP; c++) {
                    double n = (double)count[cell];
                    double mean = sum[cell][c] / n;
                    double var = sq[cell][c] / n - mean * mean;
                    double se = sqrt((var > 0.0 ? var : 0.0) / n);
                    if (fabs(mean - p[c]) > 6.0 * se + 1e-12)
                        fail_msg("cell %d/%d/%d comp %d: sampled %g exact %g (se %g)", dev, s,
                                 skin, c, mean, p[c], se);
                }
            }
        }
    }
    free(sum);
    free(sq);
    free(count);
}

static void test_burst_multiplies(void **state)
{
    double base[LG_NCOMP + 1], burst[LG_NCOMP + 1], extra[LG_NCOMP], prob;
    (void)state;

    for (int c = 0; c < LG_NCOMP; c++)
        extra[c] = c == 3 ? 5.0 : 1.0;
    lg_model_cell(LG_RF_MICRONEEDLING, LG_CLINIC, 3, NULL, base, &prob);
    lg_model_cell(LG_RF_MICRONEEDLING, LG_CLINIC, 3, extra, burst, &prob);
    assert_true(burst[3] > 4.0 * base[3] && burst[3] <= 5.0 * base[3] + 1e-12);
    assert_true(fabs(burst[0] - base[0]) < 1e-15);
    assert_true(burst[LG_NCOMP] > base[LG_NCOMP]);
}

static void test_burst_parse(void **state)
{
    lg_burst_t b;
    int32_t monday;
    (void)state;

    assert_true(lg_parse_date("2024-04-15", &monday));
    assert_true(lg_burst_parse("derma_roller:infection:2024-04-17:6", &b));
    assert_int_equal(b.device, 0);
    assert_int_equal(b.comp, 0);
    assert_int_equal(b.week_start, monday);
    assert_true(b.multiplier == 6.0);
    assert_int_equal(b.setting, -1);
    assert_true(lg_burst_parse("rf_microneedling:burn:2024-04-21:2.5:home", &b));
    assert_int_equal(b.device, LG_RF_MICRONEEDLING);
    assert_int_equal(b.comp, 3);
    assert_int_equal(b.week_start, monday); /* a Sunday: the same ISO week */
    assert_true(b.multiplier == 2.5);
    assert_int_equal(b.setting, LG_HOME);
    assert_true(lg_burst_parse("other:other:2024-04-15:0:clinic", &b));
    assert_int_equal(b.setting, LG_CLINIC);

    static const char *const bad[] = {
        "derma_roller:infection:2024-04-17",        /* no multiplier */
        "derma_roller:infection:2024-04-17:",       /* empty multiplier */
        "derma_roller:infection:2024-04-17:6:",     /* empty setting */
        "derma_roller:infection:2024-04-17:6:spa",  /* unknown setting */
        "derma_roller:infection:2024-04-17:6:home:x",
        "derma_roller:infection:2024-04-17:6x",
        "derma_roller:infection:2024-04-17:-1",
        "derma_roller:infection:2024-02-30:6",
        "roller:infection:2024-04-17:6",
        "derma_roller:rash:2024-04-17:6",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_false(lg_burst_parse(bad[i], &b));
}

/* A burst limited to home changes home treatments of its device type in
 * its week only: every other plan is the same as without the burst, and
 * within the burst's reach the complication is clearly more frequent. */
static void test_burst_one_setting(void **state)
{
    lg_burst_t burst;
    lg_gen_opts_t plain = {.seed = 5, .start_day = 19723, .days = 14}; /* 2024-01-01 */
    lg_gen_opts_t with = plain;
    int reached = 0, with_comp = 0, plain_comp = 0;
    (void)state;

    assert_true(lg_burst_parse("derma_roller:infection:2024-01-03:8:home", &burst));
    with.bursts = &burst;
    with.nbursts = 1;
    for (uint64_t i = 1; i <= 20000; i++) {
        lg_plan_t a, b;
        lg_plan_make(&a, &plain, i);
        lg_plan_make(&b, &with, i);
        assert_memory_equal(&a.truth, &b.truth, sizeof(a.truth));
        if (!lg_burst_applies(&burst, b.truth.device, b.truth.setting, b.treated_on)) {
            assert_true(b.truth.device != 0 || b.truth.setting != LG_HOME ||
                        b.treated_on >= 19723 + 7);
            assert_memory_equal(&a, &b, sizeof(a));
            continue;
        }
        reached++;
        for (int k = 0; k < a.ncomp; k++)
            plain_comp += a.comps[k].comp == 0;
        for (int k = 0; k < b.ncomp; k++)
            with_comp += b.comps[k].comp == 0;
    }
    assert_true(reached > 100);
    assert_true(with_comp > 3 * plain_comp && with_comp > 20);
}

static void test_plan_truth_ignores_noise(void **state)
{
    lg_gen_opts_t quiet = {.seed = 9, .start_day = 20000, .days = 365};
    lg_gen_opts_t noisy = quiet;
    (void)state;

    noisy.dup_rate = 0.5;
    noisy.followup_rate = 0.5;
    noisy.nullify_rate = 0.5;
    noisy.invalid_rate = 0.5;
    noisy.orphan_rate = 0.5;
    for (uint64_t i = 1; i <= 5000; i++) {
        lg_plan_t a, b, c;
        lg_plan_make(&a, &quiet, i);
        lg_plan_make(&b, &noisy, i);
        lg_plan_make(&c, &noisy, i);
        assert_memory_equal(&b, &c, sizeof(b)); /* deterministic */
        assert_memory_equal(&a.truth, &b.truth, sizeof(a.truth));
        assert_int_equal(a.treated_on, b.treated_on);
        assert_int_equal(a.ncomp, b.ncomp);
        for (int k = 0; k < a.ncomp; k++)
            assert_int_equal(a.comps[k].comp, b.comps[k].comp);
        assert_false(a.followup || a.nullify || a.orphan);
        if (b.orphan)
            assert_true(b.ncomp > 0);
        assert_true(a.treated_on >= 20000 && a.treated_on < 20365);
    }
}

/* Collects emitted messages for inspection. */
typedef struct {
    int n;
    int versions[8];
    int kinds[64];
    lg_topic_t topics[64];
    int objects; /* valid messages that parse as JSON objects */
} sink_t;

static int sink_emit(void *opaque, lg_topic_t topic, const char *key, const char *payload,
                     size_t len, lg_msg_kind_t kind)
{
    sink_t *s = opaque;
    (void)key;
    assert_true(strlen(payload) == len);
    if (s->n < 64) {
        s->kinds[s->n] = kind;
        s->topics[s->n] = topic;
    }
    s->n++;
    if (kind != LG_MSG_INVALID) {
        cJSON *o = cJSON_Parse(payload);
        assert_non_null(o);
        assert_true(cJSON_IsObject(o));
        s->objects++;
        if (topic == LG_TOPIC_TREATMENTS && kind == LG_MSG_VALID) {
            cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "version");
            int nv = 0;
            while (nv < 8 && s->versions[nv])
                nv++;
            if (nv < 8)
                s->versions[nv] = (int)v->valuedouble;
        }
        cJSON_Delete(o);
    } else {
        cJSON *o = cJSON_Parse(payload);
        /* Malformed: either no JSON object, or an object that breaks a rule
         * (checked by the decoder's tests, not here). */
        cJSON_Delete(o);
    }
    return 0;
}

static void test_emit_followup_order_and_counts(void **state)
{
    lg_gen_opts_t g = {.seed = 3, .start_day = 20000, .days = 30, .followup_rate = 1.0,
                       .nullify_rate = 1.0, .dup_rate = 1.0, .invalid_rate = 1.0};
    int v2_first = 0, v1_first = 0;
    (void)state;

    for (uint64_t i = 1; i <= 300; i++) {
        lg_plan_t plan;
        sink_t s = {0};
        int nt, nmsg;
        lg_plan_make(&plan, &g, i);
        assert_int_equal(lg_plan_emit(&plan, &g, true, true, sink_emit, &s), 0);
        nt = lg_plan_treatment_messages(&plan);
        assert_int_equal(nt, 3);
        /* each valid message: itself, a duplicate, a malformed sibling */
        nmsg = 3 * (nt + plan.ncomp);
        assert_int_equal(s.n, nmsg);
        assert_int_equal(s.objects, 2 * (nt + plan.ncomp));
        assert_int_equal(s.versions[2], 3); /* the withdrawal comes last */
        if (s.versions[0] == 2)
            v2_first++;
        else
            v1_first++;
    }
    assert_true(v2_first > 40 && v1_first > 150);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_cells_are_a_distribution),
        cmocka_unit_test(test_enumeration_matches_sampler),
        cmocka_unit_test(test_burst_multiplies),
        cmocka_unit_test(test_burst_parse),
        cmocka_unit_test(test_burst_one_setting),
        cmocka_unit_test(test_plan_truth_ignores_noise),
        cmocka_unit_test(test_emit_followup_order_and_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

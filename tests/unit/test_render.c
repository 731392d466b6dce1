/*
 * test_render.c - tests of the writers of analyze/render/ on a small cube: the JSON
 * parses and every number in it is the analyzer's double, bit for bit;
 * undefined ratios are null; the CSV has one line per rate; the text report
 * has its parts.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "model/rates.h"
#include "render/render.h"

typedef struct {
    cube_t *cube;
    rates_t rates;
    findings_t findings; /* without surveillance */
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char err[128];
    cube_cell_t *cell;

    if (f == NULL || (f->cube = cube_new()) == NULL)
        return -1;
    /* 1 of 3 at home, 2 of 7 in clinic, derma_roller skin III. */
    cell = cube_cell(f->cube, 0, CUBE_SETTING_HOME, 2);
    cell->treatments = 3;
    cell->cases[CUBE_ANY] = cell->cases[1] = 1;
    cell = cube_cell(f->cube, 0, CUBE_SETTING_CLINIC, 2);
    cell->treatments = 7;
    cell->cases[CUBE_ANY] = cell->cases[1] = 2;
    cell->cases[2] = 1;
    cube_fill_margins(f->cube);
    f->cube->totals.treatments = 10;
    f->cube->totals.complication_reports = 4;
    f->cube->totals.complication_reports_all = 6;
    f->cube->totals.orphan_complications = 1;
    f->cube->totals.quarantined = 2;
    if (rates_build(f->cube, &f->rates, err, sizeof(err)) != 0)
        return -1;
    f->findings.from = "2024-01-01";
    f->findings.to = NULL;
    f->findings.generated_at = 1700000000;
    f->findings.version = "9.9.9";
    f->findings.cube = f->cube;
    f->findings.rates = &f->rates;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    rates_free(&f->rates);
    cube_free(f->cube);
    free(f);
    return 0;
}

static char *render(render_fn fn, const fixture_t *f)
{
    char *text = NULL, err[128];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(fn(out, &f->findings, err, sizeof(err)), 0);
    fclose(out);
    return text;
}

static double number(const cJSON *obj, const char *name)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    assert_non_null(item);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static void test_json(void **state)
{
    fixture_t *f = *state;
    char *text = render(render_json, f);
    cJSON *root = cJSON_Parse(text), *rates, *row, *hvc, *adj, *totals, *window;
    size_t i = 0;

    assert_non_null(root);
    totals = cJSON_GetObjectItemCaseSensitive(root, "totals");
    assert_true(number(totals, "treatments") == 10);
    assert_true(number(totals, "complication_reports") == 4);
    assert_true(number(totals, "orphan_complications") == 1);
    assert_true(number(totals, "quarantined") == 2);
    assert_true(number(totals, "complication_reports_outside_window") == 1);
    window = cJSON_GetObjectItemCaseSensitive(root, "window");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(window, "from")->valuestring, "2024-01-01");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(window, "to")));
    assert_true(number(root, "z") == 1.959963984540054);

    /* Every rate row, every double, bit for bit (cJSON parses with strtod). */
    rates = cJSON_GetObjectItemCaseSensitive(root, "rates");
    assert_int_equal(cJSON_GetArraySize(rates), (int)f->rates.n_rates);
    cJSON_ArrayForEach(row, rates) {
        const rate_t *r = &f->rates.rates[i++];
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "device_type")->valuestring,
                            cube_device_name(f->cube, r->device));
        assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "complication")->valuestring,
                            cube_complication_name(r->complication));
        assert_true(number(row, "treatments") == (double)r->treatments);
        assert_true(number(row, "cases") == (double)r->cases);
        assert_true(number(row, "rate") == r->rate);
        assert_true(number(row, "ci_low") == r->ci_low);
        assert_true(number(row, "ci_high") == r->ci_high);
    }

    /* Comparisons: a defined one exact, an undefined one null. */
    hvc = cJSON_GetObjectItemCaseSensitive(root, "home_vs_clinic");
    assert_int_equal(cJSON_GetArraySize(hvc), (int)f->rates.n_comparisons);
    row = cJSON_GetArrayItem(hvc, 0); /* derma_roller, III, any */
    assert_true(number(row, "rate_ratio") == f->rates.comparisons[0].rate_ratio);
    assert_true(number(cJSON_GetObjectItemCaseSensitive(row, "home"), "rate") == 1.0 / 3.0);
    row = cJSON_GetArrayItem(hvc, 2); /* scarring: no home case */
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "complication")->valuestring, "scarring");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "rate_ratio")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "ci_low")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(row, "ci_high")));

    adj = cJSON_GetObjectItemCaseSensitive(root, "home_vs_clinic_adjusted");
    assert_int_equal(cJSON_GetArraySize(adj), CUBE_COMPLICATIONS);
    row = cJSON_GetArrayItem(adj, 0);
    assert_true(number(row, "mh_rate_ratio") == f->rates.adjusted[0].mh_rate_ratio);
    assert_true(number(row, "strata_used") == 1);

    cJSON_Delete(root);
    free(text);
}

static void test_csv(void **state)
{
    fixture_t *f = *state;
    char *text = render(render_csv, f);
    size_t lines = 0;

    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, f->rates.n_rates + 1);
    assert_true(strncmp(text, "device_type,setting,skin_type,complication,treatments,cases,rate,"
                              "ci_low,ci_high\nderma_roller,home,III,any,3,1,0.3333333333333333,", 106) == 0);
    free(text);
}

static void test_text(void **state)
{
    fixture_t *f = *state;
    char *text = render(render_text, f);
    static const char *const parts[] = {
        "needlewatch: complications after microneedling\n",
        "Treatments dated 2024-01-01 or later\n",
        "Generated 2023-11-14 22:13 UTC by needlewatch-analyze 9.9.9\n",
        "How to read this report",
        "  Treatments analysed                                                        10\n",
        "  Complication reports on treatments outside the window                       1\n",
        "Derma roller: 3 home treatments, 7 clinic treatments\n",
        "  Scarring                     0  0.00% (0.00\xE2\x80\x93" "56.15)",
        "n/a (no home case)",
        "3. Home versus clinic, adjusted for device type and skin type",
    };
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (strstr(text, parts[i]) == NULL) {
            fputs(text, stderr);
            fail_msg("missing \"%s\" in the text above", parts[i]);
        }
    }
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_csv),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

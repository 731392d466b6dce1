/*
 * test_html.c - tests of analyze/render/markup.c and html.c on a small cube:
 * escaping of text and attributes, a device type named with HTML that comes
 * out as text, a page with no script and nothing fetched, and suppression:
 * what the disclosure marks hidden shows no count, rate or interval.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "disclose/disclose.h"
#include "model/rates.h"
#include "render/markup.h"
#include "render/render.h"

#define HOSTILE "<img src=x onerror=alert(1)>&\"'"

typedef struct {
    cube_t *cube;
    rates_t rates;
    weekly_t weekly;   /* no weeks */
    signals_t signals; /* no signals */
    alerts_t alerts;
    trends_t trends;
    disclosure_t disclosure;
    findings_t findings;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    char err[128];
    cube_cell_t *cell;
    int hostile;

    if (f == NULL || (f->cube = cube_new()) == NULL)
        return -1;
    hostile = cube_device_index(f->cube, HOSTILE, err, sizeof(err));
    if (hostile < 0)
        return -1;
    /* derma_roller skin III: 2 of 30 at home, 3 of 40 in clinic; the
     * hostile device type: 1 of 20 at home, 6 of 25 in clinic, skin V. */
    cell = cube_cell(f->cube, 0, CUBE_SETTING_HOME, 2);
    cell->treatments = 30;
    cell->cases[CUBE_ANY] = cell->cases[1] = 2;
    cell = cube_cell(f->cube, 0, CUBE_SETTING_CLINIC, 2);
    cell->treatments = 40;
    cell->cases[CUBE_ANY] = cell->cases[1] = 3;
    cell = cube_cell(f->cube, (size_t)hostile, CUBE_SETTING_HOME, 4);
    cell->treatments = 20;
    cell->cases[CUBE_ANY] = cell->cases[2] = 1;
    cell = cube_cell(f->cube, (size_t)hostile, CUBE_SETTING_CLINIC, 4);
    cell->treatments = 25;
    cell->cases[CUBE_ANY] = cell->cases[2] = 6;
    cube_fill_margins(f->cube);
    f->cube->totals.treatments = 115;
    f->cube->totals.complication_reports = 12;
    f->cube->totals.complication_reports_all = 12;
    if (rates_build(f->cube, &f->rates, err, sizeof(err)) != 0)
        return -1;
    f->alerts.params = alert_params_default();
    f->findings = (findings_t){.from = "2024-01-01",
                               .to = "2024-12-31",
                               .as_of = "2025-01-31",
                               .generated_at = 1700000000,
                               .version = "9.9.9",
                               .cube = f->cube,
                               .rates = &f->rates};
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

static char *render(const fixture_t *f)
{
    char *text = NULL, err[128];
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    assert_int_equal(render_html(out, &f->findings, err, sizeof(err)), 0);
    fclose(out);
    return text;
}

static void test_escape(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);

    (void)state;
    assert_non_null(out);
    html_escape(out, "<a href='x'>&\"\xC3\xA9");
    html_escape(out, NULL);
    html_attr(out, "data-x", "\"><script>");
    html_attr_double(out, "data-r", 0.1);
    html_attr_double(out, "data-nan", NAN);
    html_attr_count(out, "data-n", -12);
    fclose(out);
    assert_string_equal(text, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;\xC3\xA9"
                              " data-x=\"&quot;&gt;&lt;script&gt;\" data-r=\"0.1\""
                              " data-n=\"-12\"");
    free(text);
}

/* The findings with their (empty) surveillance part. */
static void with_surveillance(fixture_t *f)
{
    f->findings.weekly = &f->weekly;
    f->findings.counted = &f->weekly;
    f->findings.signals = &f->signals;
    f->findings.alerts = &f->alerts;
    f->findings.trends = &f->trends;
    f->findings.disclosure = &f->disclosure;
}

static void test_page(void **state)
{
    fixture_t *f = *state;
    char *text;

    with_surveillance(f);
    text = render(f);
    assert_non_null(strstr(text, "<!DOCTYPE html>"));
    assert_non_null(strstr(text, "default-src 'none'"));
    assert_null(strstr(text, "<script"));
    assert_null(strstr(text, "<img"));
    assert_null(strstr(text, "http:"));
    assert_null(strstr(text, "https:"));
    /* The hostile name, as text and in attributes. */
    assert_non_null(strstr(text, ">&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;<"));
    assert_non_null(strstr(text, "data-device=\"&lt;img src=x onerror=alert(1)&gt;&amp;&quot;&#39;\""));
    /* Every chart, and the numbers at full precision. */
    assert_non_null(strstr(text, "class=\"chart forest-plot\" data-complication=\"any\""));
    assert_non_null(strstr(text, "class=\"chart skin-chart\" data-complication=\"infection\""));
    assert_non_null(strstr(text, "class=\"ref-line\""));
    assert_non_null(strstr(text, "data-setting=\"home\" data-skin=\"III\" data-treatments=\"30\" "
                                 "data-cases=\"2\" data-rate=\"0.06666666666666667\""));
    assert_non_null(strstr(text, "data-from=\"2024-01-01\" data-to=\"2024-12-31\""));
    assert_null(strstr(text, "data-suppressed"));
    free(text);
}

static void test_suppressed(void **state)
{
    fixture_t *f = *state;
    disclosure_t *d = &f->disclosure;
    char *text, needle[64];
    static const char *const attrs[] = {"data-cases", "data-treatments", "data-home-cases",
                                        "data-clinic-cases", "data-observed", "data-a"};

    /* Hide every count 1..4 of the cube, as primary suppression would. */
    d->below = 5;
    for (size_t dev = 0; dev <= CUBE_MAX_DEVICES; dev++) {
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int k = 0; k < CUBE_SKINS; k++) {
                const cube_cell_t *cell = cube_cell_const(f->cube, dev, s, k);
                d->cube[dev][s][k][0] = cell->treatments > 0 && cell->treatments < 5;
                for (int c = 0; c < CUBE_COMPLICATIONS; c++)
                    d->cube[dev][s][k][c + 1] = cell->cases[c] > 0 && cell->cases[c] < 5;
            }
        }
    }
    disclose_mark_rates(d, &f->rates);
    with_surveillance(f);
    text = render(f);
    for (size_t i = 0; i < sizeof(attrs) / sizeof(attrs[0]); i++) {
        for (int n = 1; n < 5; n++) {
            snprintf(needle, sizeof(needle), "%s=\"%d\"", attrs[i], n);
            assert_null(strstr(text, needle));
        }
    }
    /* The roller's home bar (2 of 30) is suppressed, with no rate. */
    assert_non_null(strstr(text, "data-complication=\"any\" data-setting=\"home\" data-skin=\"III\" "
                                 "data-suppressed=\"true\""));
    assert_null(strstr(text, "data-rate=\"0.06666666666666667\""));
    assert_non_null(strstr(text, "data-suppress-below=\"5\""));
    /* The hostile device type's clinic cases (6) are not small: shown. */
    assert_non_null(strstr(text, "data-setting=\"clinic\" data-skin=\"V\" data-treatments=\"25\" "
                                 "data-cases=\"6\""));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test_setup_teardown(test_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_suppressed, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

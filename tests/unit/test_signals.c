/*
 * test_signals.c - analyze/model/signals.c and tally.c: the report counts
 * per device and model (margins, "no model", sorted pairs), the 2x2 table
 * of each disproportionality row (a, b, c, d from the device's and
 * everyone else's reports), which devices get rows, and the rate
 * comparison of a device with all the others, setting by setting.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "model/signals.h"

static void test_tally(void **state)
{
    tally_t tally = {0};
    (void)state;
    assert_true(tally_add(&tally, 0, "Zeta", "Z1", 1, 5));
    assert_true(tally_add(&tally, 0, "Acme", "A2", 1, 2));
    assert_true(tally_add(&tally, 3, "Acme", "A1", 4, 7));
    assert_true(tally_add(&tally, 3, "Acme", "A1", 1, 1));
    assert_true(tally_add(&tally, 3, NULL, "A1", 2, 3)); /* no manufacturer */
    tally_sort(&tally);
    assert_int_equal(tally.n_models, 3);
    assert_string_equal(tally.models[0].model, "A1");
    assert_string_equal(tally.models[1].model, "A2");
    assert_string_equal(tally.models[2].manufacturer, "Zeta");
    assert_int_equal(tally.models[0].reports[CUBE_ANY], 8);
    assert_int_equal(tally.models[0].reports[4], 7);
    assert_int_equal(tally.no_model[CUBE_ANY], 3);
    assert_int_equal(tally.no_model[2], 3);
    assert_int_equal(tally.devices[3][CUBE_ANY], 11);
    assert_int_equal(tally.devices[0][1], 7);
    assert_int_equal(tally.devices[CUBE_DEVICE_ALL][CUBE_ANY], 18);
    assert_int_equal(tally.devices[CUBE_DEVICE_ALL][1], 8);
    tally_free(&tally);
    assert_int_equal(tally.n_models, 0);
}

static void test_build(void **state)
{
    static const struct {
        size_t device;
        int complication;
        long a, b, c, d;
    } tables[] = {
        /* device 0: 10 reports, 6 of type 1; device 3: 20 reports, 2 of type 1 */
        {0, 1, 6, 4, 2, 18},
        {0, 4, 0, 10, 15, 5},
        {3, 1, 2, 18, 6, 4},
        {3, 4, 15, 5, 0, 10},
    };
    cube_t *cube = cube_new();
    tally_t tally = {0};
    signals_t signals;
    (void)state;
    assert_non_null(cube);
    /* Treatments for devices 0 and 3 only. */
    cube_cell(cube, 0, CUBE_SETTING_HOME, 2)->treatments = 40;
    cube_cell(cube, 0, CUBE_SETTING_HOME, 2)->cases[1] = 6;
    cube_cell(cube, 3, CUBE_SETTING_HOME, 2)->treatments = 60;
    cube_cell(cube, 3, CUBE_SETTING_HOME, 2)->cases[1] = 2;
    cube_cell(cube, 3, CUBE_SETTING_CLINIC, 2)->treatments = 10;
    cube_fill_margins(cube);
    assert_true(tally_add(&tally, 0, "M", "m0", 1, 6));
    assert_true(tally_add(&tally, 0, "M", "m0", 2, 4));
    assert_true(tally_add(&tally, 3, "N", "n3", 1, 2));
    assert_true(tally_add(&tally, 3, "N", "n3", 4, 15));
    assert_true(tally_add(&tally, 3, NULL, NULL, 2, 3));
    tally_sort(&tally);
    assert_int_equal(signals_build(cube, &tally, NW_Z95, &signals), 0);
    /* Two devices with treatments: 10 rows each; two pairs. */
    assert_int_equal(signals.n_devices, 2 * (CUBE_COMPLICATIONS - 1));
    assert_int_equal(signals.n_models, 2 * (CUBE_COMPLICATIONS - 1));
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        const signal_row_t *r = NULL;
        for (size_t k = 0; k < signals.n_devices; k++) {
            if (signals.devices[k].device == tables[i].device &&
                signals.devices[k].complication == tables[i].complication)
                r = &signals.devices[k];
        }
        assert_non_null(r);
        assert_null(r->manufacturer);
        assert_int_equal(r->table.a, tables[i].a);
        assert_int_equal(r->table.b, tables[i].b);
        assert_int_equal(r->table.c, tables[i].c);
        assert_int_equal(r->table.d, tables[i].d);
        assert_true(r->signal == r->evans_signal);
        assert_false(r->suppressed);
    }
    /* Pair m0 against every other report (the no-model ones included). */
    assert_string_equal(signals.models[0].model, "m0");
    assert_int_equal(signals.models[0].device, CUBE_DEVICE_ALL);
    assert_int_equal(signals.models[0].table.a, 6);
    assert_int_equal(signals.models[0].table.c, 2);
    assert_int_equal(signals.models[0].table.d, 18);
    /* Rate comparison: devices 0 and 3, home and clinic, 10 types each. */
    assert_int_equal(signals.n_rates, 2 * 2 * (CUBE_COMPLICATIONS - 1));
    {
        const signal_rate_t *r = &signals.rates[0]; /* device 0, home, type 1 */
        assert_int_equal(r->device, 0);
        assert_int_equal(r->setting, CUBE_SETTING_HOME);
        assert_int_equal(r->complication, 1);
        assert_int_equal(r->treatments, 40);
        assert_int_equal(r->cases, 6);
        assert_int_equal(r->other_treatments, 60);
        assert_int_equal(r->other_cases, 2);
        assert_true(r->rate_ratio.defined && r->rate_ratio.est == (6.0 / 40) / (2.0 / 60));
    }
    signals_free(&signals);
    tally_free(&tally);
    cube_free(cube);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tally),
        cmocka_unit_test(test_build),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_cube.c - table-driven tests of analyze/model/cube.c: labels and parsers,
 * device registration, and the margins, which must be exact sums of the
 * base cells on every dimension (any included: it is counted per cell,
 * never summed across types).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "model/cube.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

static void test_labels(void **state)
{
    (void)state;
    static const struct { int fitz; int skin; const char *name; } skins[] = {
        {1, 0, "I"}, {2, 1, "II"}, {3, 2, "III"}, {4, 3, "IV"}, {5, 4, "V"}, {6, 5, "VI"},
        {0, CUBE_SKIN_UNKNOWN, "unknown"}, {7, -1, NULL}, {-1, -1, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(skins); i++) {
        assert_int_equal(cube_skin_from_fitzpatrick(skins[i].fitz), skins[i].skin);
        if (skins[i].name)
            assert_string_equal(cube_skin_name(skins[i].skin), skins[i].name);
    }
    assert_string_equal(cube_skin_name(CUBE_SKIN_ALL), "all");
    assert_int_equal(cube_setting_index("home"), CUBE_SETTING_HOME);
    assert_int_equal(cube_setting_index("clinic"), CUBE_SETTING_CLINIC);
    assert_int_equal(cube_setting_index("all"), -1);
    assert_int_equal(cube_setting_index("Home"), -1);
    assert_string_equal(cube_setting_name(CUBE_SETTING_ALL), "all");

    /* The order of sql/003_analysis.sql's needlewatch.complication_types. */
    static const char *const types[CUBE_COMPLICATIONS] = {
        "any", "infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
        "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other",
    };
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        assert_int_equal(cube_complication_index(types[c]), c);
        assert_string_equal(cube_complication_name(c), types[c]);
    }
    assert_int_equal(cube_complication_index("rash"), -1);
    assert_int_equal(cube_complication_index(""), -1);
}

static void test_devices(void **state)
{
    (void)state;
    char err[128];
    cube_t *cube = cube_new();
    assert_non_null(cube);

    /* The schema's five come first, in schema order. */
    assert_int_equal(cube->n_devices, 5);
    assert_int_equal(cube_device_index(cube, "derma_roller", err, sizeof(err)), 0);
    assert_int_equal(cube_device_index(cube, "other", err, sizeof(err)), 4);
    assert_string_equal(cube_device_title(cube, 3), "RF microneedling");
    /* A new type is appended and keeps its index. */
    assert_int_equal(cube_device_index(cube, "laser_pen", err, sizeof(err)), 5);
    assert_int_equal(cube_device_index(cube, "laser_pen", err, sizeof(err)), 5);
    assert_string_equal(cube_device_title(cube, 5), "laser_pen");
    assert_string_equal(cube_device_name(cube, CUBE_DEVICE_ALL), "all");
    assert_int_equal(cube_device_slot(cube, 6), CUBE_DEVICE_ALL);
    assert_int_equal(cube_device_slot(cube, 2), 2);
    /* Refused: empty, the margin label, and beyond the capacity. */
    assert_int_equal(cube_device_index(cube, "", err, sizeof(err)), -1);
    assert_int_equal(cube_device_index(cube, "all", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "margin"));
    for (int i = 6; i < CUBE_MAX_DEVICES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "d%d", i);
        assert_int_equal(cube_device_index(cube, name, err, sizeof(err)), i);
    }
    assert_int_equal(cube_device_index(cube, "one_too_many", err, sizeof(err)), -1);
    cube_free(cube);
    cube_free(NULL);
}

/* Base cells: {device, setting, skin, treatments, any, infection, burn}. */
static const struct {
    size_t d;
    int s, k;
    int64_t n, any, infection, burn;
} base[] = {
    {0, CUBE_SETTING_HOME, 1, 10, 4, 3, 2},
    {0, CUBE_SETTING_CLINIC, 1, 20, 2, 1, 1},
    {0, CUBE_SETTING_CLINIC, CUBE_SKIN_UNKNOWN, 5, 0, 0, 0},
    {2, CUBE_SETTING_HOME, 4, 7, 7, 7, 7},
    {2, CUBE_SETTING_CLINIC, 0, 1, 1, 0, 1},
};

static const struct {
    size_t d;
    int s, k;
    int64_t n, any, infection, burn;
} margins[] = {
    {CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_ALL, 43, 14, 11, 11},
    {0, CUBE_SETTING_ALL, CUBE_SKIN_ALL, 35, 6, 4, 3},
    {0, CUBE_SETTING_CLINIC, CUBE_SKIN_ALL, 25, 2, 1, 1},
    {0, CUBE_SETTING_ALL, 1, 30, 6, 4, 3},
    {2, CUBE_SETTING_ALL, CUBE_SKIN_ALL, 8, 8, 7, 8},
    {CUBE_DEVICE_ALL, CUBE_SETTING_HOME, CUBE_SKIN_ALL, 17, 11, 10, 9},
    {CUBE_DEVICE_ALL, CUBE_SETTING_CLINIC, CUBE_SKIN_ALL, 26, 3, 1, 2},
    {CUBE_DEVICE_ALL, CUBE_SETTING_ALL, CUBE_SKIN_UNKNOWN, 5, 0, 0, 0},
    {CUBE_DEVICE_ALL, CUBE_SETTING_CLINIC, 0, 1, 1, 0, 1},
    {CUBE_DEVICE_ALL, CUBE_SETTING_ALL, 1, 30, 6, 4, 3},
    {1, CUBE_SETTING_ALL, CUBE_SKIN_ALL, 0, 0, 0, 0},
    {CUBE_DEVICE_ALL, CUBE_SETTING_HOME, 5, 0, 0, 0, 0},
};

static void test_margins(void **state)
{
    (void)state;
    cube_t *cube = cube_new();
    assert_non_null(cube);
    for (size_t i = 0; i < ARRAY_LEN(base); i++) {
        cube_cell_t *cell = cube_cell(cube, base[i].d, base[i].s, base[i].k);
        cell->treatments = base[i].n;
        cell->cases[CUBE_ANY] = base[i].any;
        cell->cases[cube_complication_index("infection")] = base[i].infection;
        cell->cases[cube_complication_index("burn")] = base[i].burn;
    }
    /* Twice: the margins are recomputed, not accumulated. */
    cube_fill_margins(cube);
    cube_fill_margins(cube);
    for (size_t i = 0; i < ARRAY_LEN(margins); i++) {
        const cube_cell_t *cell = cube_cell_const(cube, margins[i].d, margins[i].s, margins[i].k);
        assert_int_equal(cell->treatments, margins[i].n);
        assert_int_equal(cell->cases[CUBE_ANY], margins[i].any);
        assert_int_equal(cell->cases[cube_complication_index("infection")], margins[i].infection);
        assert_int_equal(cell->cases[cube_complication_index("burn")], margins[i].burn);
        assert_int_equal(cell->cases[cube_complication_index("scarring")], 0);
    }
    /* Base cells are untouched. */
    assert_int_equal(cube_cell_const(cube, 0, CUBE_SETTING_HOME, 1)->treatments, 10);
    cube_free(cube);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_devices),
        cmocka_unit_test(test_margins),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_catalogue.c - the enumerations of common/catalogue.c: their order
 * and ordinals (the SQL relies on both), the complication types' IMDRF
 * columns, and lookups by name.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "catalogue.h"

#define ARRAY_LEN(x) (sizeof(x) / sizeof((x)[0]))

static void test_lists(void **state)
{
    static const struct {
        const catalogue_list_t *list;
        size_t count;
        const char *first, *last;
    } cases[] = {
        {&catalogue_settings, CATALOGUE_SETTINGS, "home", "clinic"},
        {&catalogue_device_types, CATALOGUE_DEVICE_TYPES, "derma_roller", "other"},
        {&catalogue_operator_roles, CATALOGUE_OPERATOR_ROLES, "self", "other"},
        {&catalogue_complication_types, CATALOGUE_COMPLICATION_TYPES, "infection", "other"},
        {&catalogue_severities, CATALOGUE_SEVERITIES, "mild", "severe"},
        {&catalogue_outcomes, CATALOGUE_OUTCOMES, "resolved", "unknown"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const catalogue_list_t *l = cases[i].list;
        assert_int_equal(l->count, cases[i].count);
        assert_string_equal(l->entries[0].name, cases[i].first);
        assert_string_equal(l->entries[l->count - 1].name, cases[i].last);
        for (size_t k = 0; k < l->count; k++) {
            assert_int_equal(l->entries[k].ordinal, (int)k + 1);
            assert_int_equal(catalogue_find(l, l->entries[k].name), (int)k);
            assert_ptr_equal(catalogue_name(l, k), l->entries[k].name);
            for (size_t j = 0; j < k; j++) /* no value twice */
                assert_string_not_equal(l->entries[j].name, l->entries[k].name);
        }
        assert_int_equal(catalogue_find(l, "all"), -1);
        assert_string_equal(catalogue_name(l, l->count), "?");
    }
}

/* The rows of needlewatch.complication_catalogue (sql/006_surveillance.sql). */
static void test_complication_types(void **state)
{
    static const struct {
        const char *name, *title, *codes, *terms;
        bool note;
    } rows[] = {
        {"infection", "Infection", "E1719", "Skin Infection", false},
        {"scarring", "Scarring", "E1715", "Scar Tissue", false},
        {"hyperpigmentation", "Hyperpigmentation", "E171602", "Hyperpigmentation", false},
        {"burn", "Burn", "E1704", "Burn(s)", false},
        {"nerve_damage", "Nerve damage", "E0123", "Nerve Damage", false},
        {"fat_loss", "Fat loss", "", "", true},
        {"granuloma", "Granuloma", "E2317", "Granuloma", false},
        {"dryness_peeling", "Dryness / peeling", "E1724,E1711", "Dry Skin,Peeling", false},
        {"acne_flare", "Acne flare", "", "", true},
        {"other", "Other complication", "", "", true},
    };
    (void)state;
    assert_int_equal(ARRAY_LEN(rows), catalogue_complication_types.count);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        const catalogue_entry_t *e = &catalogue_complication_types.entries[i];
        char codes[64] = "", terms[64] = "";
        for (int k = 0; k < 2 && e->imdrf_codes[k] != NULL; k++) {
            assert_non_null(e->imdrf_terms[k]);
            strcat(codes, k ? "," : "");
            strcat(codes, e->imdrf_codes[k]);
            strcat(terms, k ? "," : "");
            strcat(terms, e->imdrf_terms[k]);
        }
        assert_string_equal(e->name, rows[i].name);
        assert_string_equal(e->title, rows[i].title);
        assert_string_equal(codes, rows[i].codes);
        assert_string_equal(terms, rows[i].terms);
        assert_int_equal(e->imdrf_note != NULL, rows[i].note);
    }
}

static void test_find_n(void **state)
{
    const char *s = "rf_microneedling:burn";
    (void)state;
    assert_int_equal(catalogue_find_n(&catalogue_device_types, s, 16), 3);
    assert_int_equal(catalogue_find_n(&catalogue_device_types, s, 15), -1);
    assert_int_equal(catalogue_find_n(&catalogue_complication_types, s + 17, 4), 3);
    assert_int_equal(catalogue_find(&catalogue_settings, "Home"), -1);
    assert_int_equal(catalogue_find(&catalogue_settings, ""), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_complication_types),
        cmocka_unit_test(test_find_n),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

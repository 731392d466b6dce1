/*
 * catalogue.c - the enumerations of the report contract (see catalogue.h).
 * The IMDRF Annex E terms are those of needlewatch.complication_catalogue
 * (sql/006_surveillance.sql).
 */
#include "catalogue.h"

#include <string.h>

static const catalogue_entry_t settings[CATALOGUE_SETTINGS] = {
    {"home", 1, "Home", {NULL, NULL}, {NULL, NULL}, NULL},
    {"clinic", 2, "Clinic", {NULL, NULL}, {NULL, NULL}, NULL},
};

static const catalogue_entry_t device_types[CATALOGUE_DEVICE_TYPES] = {
    {"derma_roller", 1, "Derma roller", {NULL, NULL}, {NULL, NULL}, NULL},
    {"derma_stamp", 2, "Derma stamp", {NULL, NULL}, {NULL, NULL}, NULL},
    {"microneedling_pen", 3, "Microneedling pen", {NULL, NULL}, {NULL, NULL}, NULL},
    {"rf_microneedling", 4, "RF microneedling", {NULL, NULL}, {NULL, NULL}, NULL},
    {"other", 5, "Other device", {NULL, NULL}, {NULL, NULL}, NULL},
};

static const catalogue_entry_t operator_roles[CATALOGUE_OPERATOR_ROLES] = {
    {"self", 1, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"physician", 2, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"nurse", 3, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"aesthetician", 4, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"other", 5, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
};

#define NO_IMDRF {NULL, NULL}, {NULL, NULL}, "no specific IMDRF Annex E term"

static const catalogue_entry_t complication_types[CATALOGUE_COMPLICATION_TYPES] = {
    {"infection", 1, "Infection", {"E1719", NULL}, {"Skin Infection", NULL}, NULL},
    {"scarring", 2, "Scarring", {"E1715", NULL}, {"Scar Tissue", NULL}, NULL},
    {"hyperpigmentation", 3, "Hyperpigmentation", {"E171602", NULL}, {"Hyperpigmentation", NULL},
     NULL},
    {"burn", 4, "Burn", {"E1704", NULL}, {"Burn(s)", NULL}, NULL},
    {"nerve_damage", 5, "Nerve damage", {"E0123", NULL}, {"Nerve Damage", NULL}, NULL},
    {"fat_loss", 6, "Fat loss", NO_IMDRF},
    {"granuloma", 7, "Granuloma", {"E2317", NULL}, {"Granuloma", NULL}, NULL},
    {"dryness_peeling", 8, "Dryness / peeling", {"E1724", "E1711"}, {"Dry Skin", "Peeling"}, NULL},
    {"acne_flare", 9, "Acne flare", NO_IMDRF},
    {"other", 10, "Other complication", NO_IMDRF},
};

static const catalogue_entry_t severities[CATALOGUE_SEVERITIES] = {
    {"mild", 1, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"moderate", 2, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"severe", 3, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
};

static const catalogue_entry_t outcomes[CATALOGUE_OUTCOMES] = {
    {"resolved", 1, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"ongoing", 2, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"permanent", 3, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
    {"unknown", 4, NULL, {NULL, NULL}, {NULL, NULL}, NULL},
};

const catalogue_list_t catalogue_settings = {"setting", CATALOGUE_SETTINGS, settings};
const catalogue_list_t catalogue_device_types = {"device type", CATALOGUE_DEVICE_TYPES,
                                                 device_types};
const catalogue_list_t catalogue_operator_roles = {"operator role", CATALOGUE_OPERATOR_ROLES,
                                                   operator_roles};
const catalogue_list_t catalogue_complication_types = {
    "complication type", CATALOGUE_COMPLICATION_TYPES, complication_types};
const catalogue_list_t catalogue_severities = {"severity", CATALOGUE_SEVERITIES, severities};
const catalogue_list_t catalogue_outcomes = {"outcome", CATALOGUE_OUTCOMES, outcomes};

int catalogue_find_n(const catalogue_list_t *list, const char *name, size_t len)
{
    for (size_t i = 0; i < list->count; i++) {
        const char *n = list->entries[i].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return (int)i;
    }
    return -1;
}

int catalogue_find(const catalogue_list_t *list, const char *name)
{
    return catalogue_find_n(list, name, strlen(name));
}

const char *catalogue_name(const catalogue_list_t *list, size_t i)
{
    return i < list->count ? list->entries[i].name : "?";
}

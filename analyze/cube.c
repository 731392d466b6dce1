/*
 * cube.c - the in-memory cube of treatments and cases (see cube.h).
 *
 * The labels here are the contract of the output formats and of the SQL
 * views in sql/003_analysis.sql: keep them in the same order as
 * needlewatch.complication_types.
 */
#include "cube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const known_devices[] = {
    "derma_roller", "derma_stamp", "microneedling_pen", "rf_microneedling", "other",
};
static const char *const known_device_titles[] = {
    "Derma roller", "Derma stamp", "Microneedling pen", "RF microneedling", "Other device",
};
#define N_KNOWN_DEVICES (sizeof(known_devices) / sizeof(known_devices[0]))

static const char *const setting_names[CUBE_SETTINGS] = {"home", "clinic", "all"};
static const char *const skin_names[CUBE_SKINS] = {"I", "II", "III", "IV", "V", "VI",
                                                   "unknown", "all"};
static const char *const complication_names[CUBE_COMPLICATIONS] = {
    "any", "infection", "scarring", "hyperpigmentation", "burn", "nerve_damage",
    "fat_loss", "granuloma", "dryness_peeling", "acne_flare", "other",
};
static const char *const complication_titles[CUBE_COMPLICATIONS] = {
    "Any complication", "Infection", "Scarring", "Hyperpigmentation", "Burn",
    "Nerve damage", "Fat loss", "Granuloma", "Dryness / peeling", "Acne flare",
    "Other complication",
};

cube_t *cube_new(void)
{
    cube_t *cube = calloc(1, sizeof(*cube));
    if (cube == NULL)
        return NULL;
    for (size_t i = 0; i < N_KNOWN_DEVICES; i++) {
        cube->devices[i] = strdup(known_devices[i]);
        if (cube->devices[i] == NULL) {
            cube_free(cube);
            return NULL;
        }
        cube->n_devices++;
    }
    return cube;
}

void cube_free(cube_t *cube)
{
    if (cube == NULL)
        return;
    for (size_t i = 0; i < cube->n_devices; i++)
        free(cube->devices[i]);
    free(cube);
}

int cube_device_index(cube_t *cube, const char *name, char *errbuf, size_t errlen)
{
    if (name == NULL || name[0] == '\0') {
        snprintf(errbuf, errlen, "empty device type");
        return -1;
    }
    if (strcmp(name, "all") == 0) {
        snprintf(errbuf, errlen, "device type \"all\" would collide with the margin label");
        return -1;
    }
    for (size_t i = 0; i < cube->n_devices; i++) {
        if (strcmp(cube->devices[i], name) == 0)
            return (int)i;
    }
    if (cube->n_devices == CUBE_MAX_DEVICES) {
        snprintf(errbuf, errlen, "more than %d device types", CUBE_MAX_DEVICES);
        return -1;
    }
    cube->devices[cube->n_devices] = strdup(name);
    if (cube->devices[cube->n_devices] == NULL) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
    }
    return (int)cube->n_devices++;
}

size_t cube_device_slot(const cube_t *cube, size_t i)
{
    return i < cube->n_devices ? i : CUBE_DEVICE_ALL;
}

const char *cube_device_name(const cube_t *cube, size_t device)
{
    return device < cube->n_devices ? cube->devices[device] : "all";
}

const char *cube_device_title(const cube_t *cube, size_t device)
{
    if (device >= cube->n_devices)
        return "All device types";
    for (size_t i = 0; i < N_KNOWN_DEVICES; i++) {
        if (strcmp(cube->devices[device], known_devices[i]) == 0)
            return known_device_titles[i];
    }
    return cube->devices[device];
}

const char *cube_setting_name(int setting)
{
    return setting >= 0 && setting < CUBE_SETTINGS ? setting_names[setting] : "?";
}

const char *cube_skin_name(int skin)
{
    return skin >= 0 && skin < CUBE_SKINS ? skin_names[skin] : "?";
}

const char *cube_complication_name(int complication)
{
    return complication >= 0 && complication < CUBE_COMPLICATIONS
               ? complication_names[complication] : "?";
}

const char *cube_complication_title(int complication)
{
    return complication >= 0 && complication < CUBE_COMPLICATIONS
               ? complication_titles[complication] : "?";
}

int cube_setting_index(const char *setting)
{
    for (int i = 0; i < CUBE_SETTING_ALL; i++) {
        if (strcmp(setting, setting_names[i]) == 0)
            return i;
    }
    return -1;
}

int cube_skin_from_fitzpatrick(int fitzpatrick)
{
    if (fitzpatrick == 0)
        return CUBE_SKIN_UNKNOWN;
    if (fitzpatrick >= 1 && fitzpatrick <= 6)
        return fitzpatrick - 1;
    return -1;
}

int cube_complication_index(const char *type)
{
    for (int i = 0; i < CUBE_COMPLICATIONS; i++) {
        if (strcmp(type, complication_names[i]) == 0)
            return i;
    }
    return -1;
}

cube_cell_t *cube_cell(cube_t *cube, size_t device, int setting, int skin)
{
    return &cube->cells[device][setting][skin];
}

const cube_cell_t *cube_cell_const(const cube_t *cube, size_t device, int setting, int skin)
{
    return &cube->cells[device][setting][skin];
}

static void cell_add(cube_cell_t *to, const cube_cell_t *from)
{
    to->treatments += from->treatments;
    for (int c = 0; c < CUBE_COMPLICATIONS; c++)
        to->cases[c] += from->cases[c];
}

void cube_fill_margins(cube_t *cube)
{
    static const cube_cell_t zero;

    /* Clear every margin cell: a cell is a margin when any index is "all". */
    for (size_t d = 0; d <= CUBE_MAX_DEVICES; d++) {
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int k = 0; k < CUBE_SKINS; k++) {
                if (d == CUBE_DEVICE_ALL || s == CUBE_SETTING_ALL || k == CUBE_SKIN_ALL)
                    cube->cells[d][s][k] = zero;
            }
        }
    }
    /* Each base cell adds into the 7 margins above it. */
    for (size_t d = 0; d < cube->n_devices; d++) {
        for (int s = 0; s < CUBE_SETTING_ALL; s++) {
            for (int k = 0; k < CUBE_SKIN_ALL; k++) {
                const cube_cell_t *base = &cube->cells[d][s][k];
                const size_t ds[2] = {d, CUBE_DEVICE_ALL};
                const int ss[2] = {s, CUBE_SETTING_ALL};
                const int ks[2] = {k, CUBE_SKIN_ALL};
                for (int m = 1; m < 8; m++)
                    cell_add(&cube->cells[ds[m & 1]][ss[(m >> 1) & 1]][ks[(m >> 2) & 1]], base);
            }
        }
    }
}

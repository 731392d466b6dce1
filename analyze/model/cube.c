/*
 * cube.c - the in-memory cube of treatments and cases (see cube.h).
 *
 * The labels are those of common/catalogue.h, plus "all" for the margins
 * and "any" for the cases of any complication: they are the contract of the
 * output formats and of the SQL views in sql/003_analysis.sql.
 */
#include "model/cube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Home and clinic are the catalogue's settings, in its order. */
_Static_assert(CUBE_SETTING_ALL == CATALOGUE_SETTINGS, "the cube's settings are the catalogue's");
_Static_assert(CATALOGUE_DEVICE_TYPES <= CUBE_MAX_DEVICES, "room for the catalogue's devices");

static const char *const skin_names[CUBE_SKINS] = {"I", "II", "III", "IV", "V", "VI",
                                                   "unknown", "all"};

cube_t *cube_new(void)
{
    cube_t *cube = calloc(1, sizeof(*cube));
    if (cube == NULL)
        return NULL;
    for (size_t i = 0; i < catalogue_device_types.count; i++) {
        cube->devices[i] = strdup(catalogue_device_types.entries[i].name);
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
    int known = catalogue_find(&catalogue_device_types, cube->devices[device]);
    return known >= 0 ? catalogue_device_types.entries[known].title : cube->devices[device];
}

const char *cube_setting_name(int setting)
{
    if (setting == CUBE_SETTING_ALL)
        return "all";
    return setting >= 0 && setting < CUBE_SETTING_ALL
               ? catalogue_settings.entries[setting].name : "?";
}

const char *cube_skin_name(int skin)
{
    return skin >= 0 && skin < CUBE_SKINS ? skin_names[skin] : "?";
}

const char *cube_complication_name(int complication)
{
    if (complication == CUBE_ANY)
        return "any";
    return complication > 0 && complication < CUBE_COMPLICATIONS
               ? catalogue_complication_types.entries[complication - 1].name : "?";
}

const char *cube_complication_title(int complication)
{
    if (complication == CUBE_ANY)
        return "Any complication";
    return complication > 0 && complication < CUBE_COMPLICATIONS
               ? catalogue_complication_types.entries[complication - 1].title : "?";
}

int cube_setting_index(const char *setting)
{
    /* The cube's settings are the catalogue's, in its order. */
    return catalogue_find(&catalogue_settings, setting);
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
    int i;
    if (strcmp(type, "any") == 0)
        return CUBE_ANY;
    i = catalogue_find(&catalogue_complication_types, type);
    return i < 0 ? -1 : i + 1;
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
    for (int c = 0; c < CUBE_COMPLICATIONS; c++) {
        to->cases[c] += from->cases[c];
        to->serious[c] += from->serious[c];
        to->missing[c] += from->missing[c];
    }
}

void cube_fill_margins(cube_t *cube)
{
    cube_cells_fill_margins(cube->cells, cube->n_devices);
}

void cube_cells_fill_margins(cube_cells_t *cells, size_t n_devices)
{
    static const cube_cell_t zero;

    /* Clear every margin cell: a cell is a margin when any index is "all". */
    for (size_t d = 0; d <= CUBE_MAX_DEVICES; d++) {
        for (int s = 0; s < CUBE_SETTINGS; s++) {
            for (int k = 0; k < CUBE_SKINS; k++) {
                if (d == CUBE_DEVICE_ALL || s == CUBE_SETTING_ALL || k == CUBE_SKIN_ALL)
                    cells[d][s][k] = zero;
            }
        }
    }
    /* Each base cell adds into the 7 margins above it. */
    for (size_t d = 0; d < n_devices; d++) {
        for (int s = 0; s < CUBE_SETTING_ALL; s++) {
            for (int k = 0; k < CUBE_SKIN_ALL; k++) {
                const cube_cell_t *base = &cells[d][s][k];
                const size_t ds[2] = {d, CUBE_DEVICE_ALL};
                const int ss[2] = {s, CUBE_SETTING_ALL};
                const int ks[2] = {k, CUBE_SKIN_ALL};
                for (int m = 1; m < 8; m++)
                    cell_add(&cells[ds[m & 1]][ss[(m >> 1) & 1]][ks[(m >> 2) & 1]], base);
            }
        }
    }
}

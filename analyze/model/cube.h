/*
 * cube.h - the in-memory cube of treatments and cases: what the load step
 * (load/counts.c) fills and every later step of the analyzer reads.
 *
 * The analyzer reads the finest counts from PostgreSQL (per device type x
 * setting x skin type: treatments, and cases of each complication) into the
 * base cells of this cube, then cube_fill_margins() adds the margins "all"
 * on each dimension by summation. Summing is exact because every treatment
 * lies in exactly one base cell and "any" is counted per base cell, never
 * derived from the per-type counts (one treatment can be a case of several
 * types).
 *
 * Dimensions and their indexes:
 *   device      0 .. n_devices-1, the device types of common/catalogue.h in
 *               their order, then any other type PostgreSQL returns;
 *               CUBE_DEVICE_ALL is the margin
 *   setting     CUBE_SETTING_HOME, CUBE_SETTING_CLINIC, CUBE_SETTING_ALL
 *   skin type   0..5 = I..VI, CUBE_SKIN_UNKNOWN, CUBE_SKIN_ALL
 *   complication CUBE_ANY, then 1..10 the complication types of
 *               common/catalogue.h (index = their ordinal)
 *
 * Pure: no I/O, no PostgreSQL.
 */
#ifndef NW_CUBE_H
#define NW_CUBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "catalogue.h"

#define CUBE_MAX_DEVICES 32
#define CUBE_DEVICE_ALL CUBE_MAX_DEVICES

enum { CUBE_SETTING_HOME = 0, CUBE_SETTING_CLINIC = 1, CUBE_SETTING_ALL = 2, CUBE_SETTINGS = 3 };
enum { CUBE_SKIN_UNKNOWN = 6, CUBE_SKIN_ALL = 7, CUBE_SKINS = 8 };
enum { CUBE_ANY = 0, CUBE_COMPLICATIONS = 1 + CATALOGUE_COMPLICATION_TYPES };

typedef struct {
    int64_t treatments;
    int64_t cases[CUBE_COMPLICATIONS]; /* treatments that are cases, by complication */
    /* Cases with a report whose severity is severe or outcome permanent. */
    int64_t serious[CUBE_COMPLICATIONS];
    /* Risk grids only (model/risks.h): cases that are cases only through a
     * report without onset_days. 0 in the rate cube. */
    int64_t missing[CUBE_COMPLICATIONS];
} cube_cell_t;

/* The cells of a cube or of a grid laid out like one: [slot][setting][skin]. */
typedef cube_cell_t cube_cells_t[CUBE_SETTINGS][CUBE_SKINS];

/* Whole-database counts shown next to the cube. */
typedef struct {
    int64_t treatments;           /* treatments in the window */
    int64_t complication_reports; /* current reports attached to them */
    int64_t complication_reports_all;  /* every current complication report */
    int64_t orphan_complications; /* reports whose treatment is unknown or withdrawn */
    int64_t quarantined;          /* rows of needlewatch.quarantine */
} cube_totals_t;

typedef struct {
    size_t n_devices;
    char *devices[CUBE_MAX_DEVICES]; /* owned */
    cube_cells_t cells[CUBE_MAX_DEVICES + 1];
    cube_totals_t totals;
} cube_t;

/* A zeroed cube with the catalogue's device types registered; NULL when out
 * of memory. The caller owns it and frees it with cube_free(). */
cube_t *cube_new(void) __attribute__((warn_unused_result));
void cube_free(cube_t *cube);

/* The index of device type name, registering it when new; -1 (errbuf says
 * why) when the name is empty or the cube is full. */
int cube_device_index(cube_t *cube, const char *name, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* The device slot of the i-th device in report order, 0 <= i <= n_devices:
 * i == n_devices is CUBE_DEVICE_ALL. */
size_t cube_device_slot(const cube_t *cube, size_t i);

/* Labels: "all" for the margins. The returned strings are static or owned
 * by the cube. */
const char *cube_device_name(const cube_t *cube, size_t device);
const char *cube_setting_name(int setting);
const char *cube_skin_name(int skin);
const char *cube_complication_name(int complication);
/* A label for people: "Any complication", "Dryness / peeling", ... */
const char *cube_complication_title(int complication);
/* "Derma roller", "All device types", ... (static, or the raw name). */
const char *cube_device_title(const cube_t *cube, size_t device);

/* Parsers for the values PostgreSQL returns; -1 when unknown.
 * cube_skin_from_fitzpatrick(0) is CUBE_SKIN_UNKNOWN (NULL in the table). */
int cube_setting_index(const char *setting);
int cube_skin_from_fitzpatrick(int fitzpatrick);
int cube_complication_index(const char *type);

/* The cell at (device, setting, skin); indexes must be in range. */
cube_cell_t *cube_cell(cube_t *cube, size_t device, int setting, int skin);
const cube_cell_t *cube_cell_const(const cube_t *cube, size_t device, int setting, int skin);

/* Recomputes every margin cell from the base cells (device < n_devices,
 * setting home/clinic, skin I..unknown); idempotent. */
void cube_fill_margins(cube_t *cube);

/* The same for cells laid out like a cube's (CUBE_MAX_DEVICES + 1 slots). */
void cube_cells_fill_margins(cube_cells_t *cells, size_t n_devices);

#endif

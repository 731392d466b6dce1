/*
 * catalogue.h - every enumeration of the report contract, defined once:
 * the settings, device types, operator roles, complication types (with
 * their IMDRF codes), severities and outcomes. The ingest's decoder checks
 * reports against these lists, the analyzer labels its rows with them and
 * the generator draws from them. The SQL side holds the same rows in the
 * same order (the CHECK constraints of sql/001_schema.sql, the view
 * needlewatch.complication_types of sql/003_analysis.sql and the table
 * needlewatch.complication_catalogue of sql/006_surveillance.sql), which
 * the integration tests check. Adding a value is an edit of one row
 * here (and of the SQL). Pure data.
 */
#ifndef NW_CATALOGUE_H
#define NW_CATALOGUE_H

#include <stddef.h>

/* How many values each list has (the arrays that are indexed by them need
 * the numbers at compile time). */
#define CATALOGUE_SETTINGS 2
#define CATALOGUE_DEVICE_TYPES 5
#define CATALOGUE_OPERATOR_ROLES 5
#define CATALOGUE_COMPLICATION_TYPES 10
#define CATALOGUE_SEVERITIES 3
#define CATALOGUE_OUTCOMES 4

/* One value. Entries are in contract order; entries[i].ordinal is i + 1 (for
 * the complication types, the ordinal of needlewatch.complication_types). */
typedef struct {
    const char *name;  /* as written in the reports and the database */
    int ordinal;
    const char *title; /* for people; NULL where no report shows one */
    /* Complication types only: IMDRF Annex E (health effects) codes and
     * terms, or a note saying why there is none. */
    const char *imdrf_codes[2];
    const char *imdrf_terms[2];
    const char *imdrf_note;
} catalogue_entry_t;

typedef struct {
    const char *what; /* "device type", for messages */
    size_t count;
    const catalogue_entry_t *entries;
} catalogue_list_t;

extern const catalogue_list_t catalogue_settings;          /* home, clinic */
extern const catalogue_list_t catalogue_device_types;
extern const catalogue_list_t catalogue_operator_roles;
extern const catalogue_list_t catalogue_complication_types;
extern const catalogue_list_t catalogue_severities;
extern const catalogue_list_t catalogue_outcomes;

/* The index in list of the value named by the len bytes at name, or -1. */
int catalogue_find_n(const catalogue_list_t *list, const char *name, size_t len);

/* The index in list of name (NUL-terminated), or -1. */
int catalogue_find(const catalogue_list_t *list, const char *name);

/* The name of list's i-th value ("?" when i is out of range). */
const char *catalogue_name(const catalogue_list_t *list, size_t i);

#endif

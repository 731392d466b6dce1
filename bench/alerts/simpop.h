/*
 * simpop.h - the simulated populations of the alert benchmark (bench/ALERTS.md).
 *
 * Two years (SP_WEEKS ISO weeks from Monday 2023-03-06) of weekly treatments
 * per cell device type x setting x Fitzpatrick type, and for each treatment
 * ten independent Bernoulli complications whose probabilities are those of
 * the load generator's model (tools/loadgen_model.c, lg_model_cell: the
 * expectation over depth, serum, sterility and acne within the cell), times
 * the scenario's movement of the risks. Volume grows (home 3.0x, clinic
 * 2.2x over the two years: about 2.5x in all) and dips at holidays, clinics
 * more than home (Christmas and New Year weeks: clinic x0.4, home x0.85;
 * August: clinic x0.8; January-February: x0.9 both).
 *
 * Scenarios (the null: nothing to find; SP_POWER adds planted outbreaks):
 *   SP_CONST     constant risks;
 *   SP_SEASONAL  a summer peak of hyperpigmentation every year (+50% for
 *                Fitzpatrick I-III, +80% for IV-VI at the top, late July),
 *                infection +15% in summer, dryness/peeling +25% in winter,
 *                acne flare +10% in autumn (cosines);
 *   SP_DRIFT     each device x setting x complication's risk moves by a
 *                factor per year drawn from 0.6, 0.7, 0.8, 1, 1, 1, 1.3,
 *                1.4, 1.5 (log-linear in time);
 *   SP_MIXED     seasonal x drift x a weekly lognormal noise (sd 0.1 on the
 *                log risk, mean one) per cell and complication;
 *   SP_POWER     SP_MIXED plus SP_MAX_OUTBREAKS planted outbreaks.
 * Outbreaks: the risk of one complication in one device x setting cell is
 * multiplied by size for duration weeks from onset (all skin types).
 *
 * Deterministic: (scenario, seed) gives the same population on every
 * machine. Pure: no I/O.
 */
#ifndef NW_SIMPOP_H
#define NW_SIMPOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_DEVICES 5
#define SP_SETTINGS 2
#define SP_SKINS 6
#define SP_TYPES 10            /* complication types; index 0 of cases is "any" */
#define SP_WEEKS 104
#define SP_JUDGED 44           /* the last SP_JUDGED weeks are judged */
#define SP_FIRST_JUDGED (SP_WEEKS - SP_JUDGED)
#define SP_MAX_OUTBREAKS 6
#define SP_FIRST_MONDAY 19422  /* 2023-03-06, days since 1970-01-01 */

enum { SP_CONST, SP_SEASONAL, SP_DRIFT, SP_MIXED, SP_POWER, SP_SCENARIOS };

/* Expected-cases category of an outbreak's cell at onset (per week). */
enum { SP_CAT_SMALL, SP_CAT_MEDIUM, SP_CAT_LARGE }; /* [1,3), [3,10), >= 10 */

typedef struct {
    int device, setting, type;  /* type 1..10 */
    int onset, duration;        /* weeks (index) */
    double size;                /* risk multiplier */
    double expected;            /* expected cases a week in the cell at onset, without it */
    int category;
} sp_outbreak_t;

typedef struct {
    int scenario;
    uint64_t seed;
    /* Per cell device x setting (skin types summed) and week. */
    int64_t treatments[SP_DEVICES][SP_SETTINGS][SP_WEEKS];
    int64_t cases[SP_DEVICES][SP_SETTINGS][SP_TYPES + 1][SP_WEEKS]; /* [0] = any */
    sp_outbreak_t outbreaks[SP_MAX_OUTBREAKS];
    int n_outbreaks;
} sp_pop_t;

extern const char *const sp_scenario_names[SP_SCENARIOS];
extern const char *const sp_device_names[SP_DEVICES];
extern const char *const sp_setting_names[SP_SETTINGS];
extern const char *const sp_type_names[SP_TYPES + 1]; /* [0] = "any" */

/* Fills pop (a large struct: allocate it) with scenario's population for
 * seed. Returns false on a bad scenario. */
bool sp_generate(sp_pop_t *pop, int scenario, uint64_t seed) __attribute__((warn_unused_result));

/* The same, calling each (when not NULL) for every cell device x setting x
 * skin type (0..5 = Fitzpatrick I..VI) and week with its treatments: n
 * bit masks, bit c set when the treatment has complication type c + 1. */
typedef void (*sp_each_fn)(void *arg, int week, int device, int setting, int skin,
                           const unsigned short *mark, size_t n);
bool sp_generate_each(sp_pop_t *pop, int scenario, uint64_t seed, sp_each_fn each, void *arg)
    __attribute__((warn_unused_result));

/* The scenario's index by name, or -1. */
int sp_scenario_index(const char *name);

#endif

/*
 * alertcounts.h - the load step's third read: what the alerts count.
 *
 * The alerts compare weeks that had the same time to be reported
 * (model/detect_delay.h): a treatment is a case of C for the alerts only
 * when the first report of C about it was known at most D days after
 * treated_on. "Known" is the report's reported_at, or, when the report
 * gave none, its ingested_at (the time needlewatch stored it: a report
 * cannot have been known later than that); the day is the UTC date of it,
 * and a report dated before its treatment counts as a delay of 0.
 *
 * Two statements, in the load step's snapshot, on the kept counts
 * (needlewatch.kept_report_delays(), needlewatch.kept_late_cases(): sql/015)
 * or, on an older schema, on the reports:
 *   load_alert_delays()  the days, as of the day as_of, from treatment to
 *                        the first report of each case, over every
 *                        treatment at least LOAD_DELAY_HORIZON days old
 *                        (so that delays up to the horizon could be seen),
 *                        reports known by as_of; the default D is a
 *                        quantile of them (detect_report_days);
 *   load_alert_counts()  the weekly cases of the window counted within D,
 *                        per ISO week, device type, setting and type (and
 *                        "any"), beside the weekly treatments of weekly.
 */
#ifndef NW_LOAD_ALERTCOUNTS_H
#define NW_LOAD_ALERTCOUNTS_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "model/cube.h"
#include "model/weekly.h"

/* Delays are seen on treatments this many days old (twice the longest
 * default D), and the histogram's last bin holds every longer delay. */
#define LOAD_DELAY_HORIZON 112
#define LOAD_DELAY_BINS (LOAD_DELAY_HORIZON + 1)

typedef struct {
    int64_t hist[LOAD_DELAY_BINS]; /* cases by delay in days; the last bin: longer */
} load_delays_t;

/* The UTC date of the database's now() (days since 1970-01-01). */
int load_today(PGconn *conn, int32_t *today, char *errbuf, size_t errlen)
    __attribute__((warn_unused_result));

/* Fills delays as of the day as_of (whatever the window: the delays are
 * the reporting's, not the window's). Returns 0, or -1 with the reason in
 * errbuf. */
int load_alert_delays(PGconn *conn, int32_t as_of, load_delays_t *delays, char *errbuf,
                      size_t errlen) __attribute__((warn_unused_result));

/* Fills counted (zeroed by the call, the shape of weekly, its treatments
 * copied) with the weekly cases counted within report_days days. Device
 * types are weekly's (the cube's). Returns 0, or -1 with the reason in
 * errbuf; free counted with weekly_free() either way. */
int load_alert_counts(PGconn *conn, const char *from, const char *to, int report_days,
                      cube_t *cube, const weekly_t *weekly, weekly_t *counted, char *errbuf,
                      size_t errlen) __attribute__((warn_unused_result));

#endif

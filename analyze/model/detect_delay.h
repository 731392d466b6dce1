/*
 * detect_delay.h - which weeks alert detection may judge, and on what counts.
 *
 * A week's cases are only comparable with another week's when both had the
 * same time to be reported. needlewatch therefore counts, for alerts, a
 * treatment as a case of type C only when a report of C arrived within
 * report_days days of the treatment (reported_at - treated_on <= D), for
 * the baseline weeks and the judged week alike, and judges week t only once
 * every treatment in it has had those D days: as_of >= Sunday(t) + D. A
 * week is also judged only when it is complete: the window covers its seven
 * days (so neither a first week that the window starts in the middle of,
 * nor the current week, is judged as if complete). Late reports then can
 * neither read as safety (an immature week is not judged at all) nor hide a
 * rise (the baseline is counted the same way).
 *
 * D by default comes from the delays observed in reports old enough to be
 * complete: the smallest D within which `share` of them arrived, rounded up
 * to whole weeks and clamped to [min_days, max_days].
 * Pure.
 */
#ifndef NW_DETECT_DELAY_H
#define NW_DETECT_DELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DETECT_REPORT_SHARE 0.75
#define DETECT_REPORT_DAYS_MIN 14
#define DETECT_REPORT_DAYS_MAX 56

/* judgeable[w] for the n_weeks weeks from first_monday (days since
 * 1970-01-01): complete within [window_first, window_last] (days; use
 * INT32_MIN / INT32_MAX for an open end) and mature as of as_of. */
void detect_judgeable(int32_t first_monday, size_t n_weeks, int32_t window_first,
                      int32_t window_last, int32_t as_of, int report_days, bool *judgeable);

/* The default D from hist[d] = reports whose delay is d days (d = 0 ..
 * n - 1; hist[n - 1] holds every longer delay). With no report: max_days. */
int detect_report_days(const int64_t *hist, size_t n, double share, int min_days, int max_days)
    __attribute__((warn_unused_result));

#endif

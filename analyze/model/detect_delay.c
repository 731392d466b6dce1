/*
 * detect_delay.c - complete and mature weeks, and the default reporting
 * delay (see detect_delay.h).
 */
#include "model/detect_delay.h"

void detect_judgeable(int32_t first_monday, size_t n_weeks, int32_t window_first,
                      int32_t window_last, int32_t as_of, int report_days, bool *judgeable)
{
    for (size_t w = 0; w < n_weeks; w++) {
        int64_t monday = (int64_t)first_monday + 7 * (int64_t)w, sunday = monday + 6;
        bool complete = monday >= window_first && sunday <= window_last;
        bool mature = (int64_t)as_of >= sunday + report_days;
        judgeable[w] = complete && mature;
    }
}

int detect_report_days(const int64_t *hist, size_t n, double share, int min_days, int max_days)
{
    int64_t total = 0, acc = 0;
    for (size_t d = 0; d < n; d++)
        total += hist[d] > 0 ? hist[d] : 0;
    if (total == 0)
        return max_days;
    size_t d = 0;
    for (; d < n; d++) {
        acc += hist[d] > 0 ? hist[d] : 0;
        if ((double)acc >= share * (double)total)
            break;
    }
    int days = (int)((d + 6) / 7 * 7);
    if (days < min_days)
        days = min_days;
    if (days > max_days)
        days = max_days;
    return days;
}

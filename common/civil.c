/*
 * civil.c - calendar dates as day numbers (see civil.h).
 *
 * days_from_civil and civil_from_days are Howard Hinnant's algorithms
 * ("chrono-Compatible Low-Level Date Algorithms"): a year is shifted to
 * start in March, so the leap day is the last day of its year, and eras of
 * 400 years (146097 days) make negative years work too.
 */
#include "civil.h"

#include <stdio.h>
#include <string.h>

bool civil_valid(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

int32_t civil_days(int y, int m, int d)
{
    int era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (int32_t)(era * 146097 + doe - 719468);
}

void civil_ymd(int32_t days, int *y, int *m, int *d)
{
    int32_t z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

civil_status_t civil_parse(const char *s, int32_t *days)
{
    int v[3] = {0, 0, 0};
    static const int at[3] = {0, 5, 8}, len[3] = {4, 2, 2};

    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return CIVIL_NOT_ISO;
    for (int f = 0; f < 3; f++) {
        for (int i = at[f]; i < at[f] + len[f]; i++) {
            if (s[i] < '0' || s[i] > '9')
                return CIVIL_NOT_ISO;
            v[f] = v[f] * 10 + (s[i] - '0');
        }
    }
    if (v[0] < 1 || !civil_valid(v[0], v[1], v[2]))
        return CIVIL_NOT_REAL;
    *days = civil_days(v[0], v[1], v[2]);
    return CIVIL_OK;
}

void civil_format(int32_t days, char out[11])
{
    char buf[48];
    int y, m, d;

    civil_ymd(days, &y, &m, &d);
    snprintf(buf, sizeof(buf), "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(out, buf, 10);
    out[10] = '\0';
}

int civil_weekday(int32_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    return (int)(((days % 7) + 7 + 3) % 7);
}

int32_t civil_monday(int32_t days)
{
    return days - civil_weekday(days);
}

void civil_iso_week(int32_t days, char out[9])
{
    int32_t thursday = civil_monday(days) + 3;
    char buf[32];
    int y, m, d;

    civil_ymd(thursday, &y, &m, &d);
    snprintf(buf, sizeof(buf), "%04d-W%02d", y % 10000,
             (int)((thursday - civil_days(y, 1, 1)) / 7 + 1));
    memcpy(out, buf, 8);
    out[8] = '\0';
}

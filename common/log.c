/*
 * log.c - leveled logging to stderr (see log.h).
 *
 * One fprintf per line, so lines from several threads (librdkafka's log
 * callback runs on its own threads) do not interleave mid-line.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

nw_log_level_t nw_log_level = NW_LOG_INFO;
static const char *nw_progname = "needlewatch";

static const char *const level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void nw_log_init(const char *progname)
{
    nw_progname = progname;
}

bool nw_log_parse_level(const char *s, nw_log_level_t *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (nw_log_level_t)i;
            return true;
        }
    }
    return false;
}

void nw_log_write(nw_log_level_t level, const char *ctx, const char *fmt, ...)
{
    char msg[2048];
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    fprintf(stderr, "%s.%03ldZ %s %-5s [%s] %s\n", stamp, ts.tv_nsec / 1000000L,
            nw_progname, level_names[level], ctx ? ctx : "-", msg);
}

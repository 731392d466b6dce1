/*
 * log.h - leveled logging to stderr.
 *
 * Every program of needlewatch logs to stderr and keeps stdout for results.
 * A line is "2026-11-25T15:17:31.123Z LEVEL [context] message". The macros
 * check the level before formatting, so a disabled debug line costs a branch.
 */
#ifndef NW_LOG_H
#define NW_LOG_H

#include <stdbool.h>

typedef enum {
    NW_LOG_ERROR = 0,
    NW_LOG_WARN = 1,
    NW_LOG_INFO = 2,
    NW_LOG_DEBUG = 3,
} nw_log_level_t;

extern nw_log_level_t nw_log_level;

/* Sets the program name printed on each line (a static string). */
void nw_log_init(const char *progname);

/* Parses "error", "warn", "info" or "debug"; returns false when unknown. */
bool nw_log_parse_level(const char *s, nw_log_level_t *out);

void nw_log_write(nw_log_level_t level, const char *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define NW_LOG(level, ctx, ...)                                                \
    do {                                                                       \
        if ((level) <= nw_log_level)                                           \
            nw_log_write((level), (ctx), __VA_ARGS__);                         \
    } while (0)

#define log_error(ctx, ...) NW_LOG(NW_LOG_ERROR, ctx, __VA_ARGS__)
#define log_warn(ctx, ...) NW_LOG(NW_LOG_WARN, ctx, __VA_ARGS__)
#define log_info(ctx, ...) NW_LOG(NW_LOG_INFO, ctx, __VA_ARGS__)
#define log_debug(ctx, ...) NW_LOG(NW_LOG_DEBUG, ctx, __VA_ARGS__)

#endif

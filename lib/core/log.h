/*
 * Error log: one line per event, with time, level and the worker id of the calling thread.
 * Thread: any. Lines are written with one write(2) each, so lines of different threads
 * never interleave.
 */
#ifndef SL_CORE_LOG_H
#define SL_CORE_LOG_H

#include <stdbool.h>

typedef enum {
    SL_LOG_ERROR = 0,
    SL_LOG_WARN = 1,
    SL_LOG_NOTICE = 2,
    SL_LOG_INFO = 3,
    SL_LOG_DEBUG = 4,
} sl_log_level_t;

extern sl_log_level_t sl_log_level;

/* Sets the level from a name (Kong's names: debug, info, notice, warn, error, crit, alert,
 * emerg). Returns 0, or -1 if <name> is unknown. */
int sl_log_set_level_name(const char *name);
/* Sends lines to <fd> (default 2). */
void sl_log_set_fd(int fd);
/* Names the calling thread in its log lines ("master", "worker 3"). */
void sl_log_set_thread_name(const char *name);

void sl_log_write(sl_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Checks the level before formatting, so debug lines on the hot path cost one compare. */
#define sl_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) <= sl_log_level)                                                               \
            sl_log_write((level), __VA_ARGS__);                                                    \
    } while (0)

#endif

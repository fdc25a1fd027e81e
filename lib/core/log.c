/*
 * Error log. Kept deliberately small: the access log is a separate, buffered concern.
 */
#include "core/log.h"
#include "core/xalloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

sl_log_level_t sl_log_level = SL_LOG_NOTICE;
static int log_fd = 2;
static _Thread_local char thread_name[32] = "main";

static const char *const level_names[] = {"error", "warn", "notice", "info", "debug"};

int sl_log_set_level_name(const char *name)
{
    static const struct {
        const char *name;
        sl_log_level_t level;
    } map[] = {
        {"debug", SL_LOG_DEBUG}, {"info", SL_LOG_INFO},   {"notice", SL_LOG_NOTICE},
        {"warn", SL_LOG_WARN},   {"error", SL_LOG_ERROR}, {"crit", SL_LOG_ERROR},
        {"alert", SL_LOG_ERROR}, {"emerg", SL_LOG_ERROR},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcasecmp(name, map[i].name) == 0) {
            sl_log_level = map[i].level;
            return 0;
        }
    }
    return -1;
}

void sl_log_set_fd(int fd)
{
    log_fd = fd;
}

void sl_log_set_thread_name(const char *name)
{
    snprintf(thread_name, sizeof(thread_name), "%s", name);
}

void sl_log_write(sl_log_level_t level, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "%04d/%02d/%02d %02d:%02d:%02d [%s] %s: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, level_names[level], thread_name);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(log_fd, line, len);
    (void)w;
}

void sl_fatal_oom(void)
{
    static const char msg[] = "sluice: out of memory\n";
    ssize_t w = write(2, msg, sizeof(msg) - 1);
    (void)w;
    abort();
}

/* Calendar windows for rate-limiting counters (see window.h). */
#include "window.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

const int64_t sl_rl_window_seconds[SL_RL_N_PERIODS] = {1, 60, 3600, 86400, 2592000, 31536000};

/* Days from 1970-01-01 to <y>-<m>-01 (proleptic Gregorian; m 1..12). */
static int64_t days_from_civil(int64_t y, int64_t m)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5; /* day 1 of the month */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t sl_rl_window_start(sl_rl_period_t period, int64_t now_ms)
{
    int64_t s = now_ms / 1000;
    switch (period) {
    case SL_RL_SECOND: return s * 1000;
    case SL_RL_MINUTE: return (s - s % 60) * 1000;
    case SL_RL_HOUR: return (s - s % 3600) * 1000;
    case SL_RL_DAY: return (s - s % 86400) * 1000;
    default: break;
    }
    time_t t = (time_t)s;
    struct tm tm;
    gmtime_r(&t, &tm);
    int64_t y = tm.tm_year + 1900;
    int64_t m = period == SL_RL_MONTH ? tm.tm_mon + 1 : 1;
    return days_from_civil(y, m) * 86400 * 1000;
}

int64_t sl_rl_window_reset(sl_rl_period_t period, int64_t start_ms, int64_t now_ms)
{
    int64_t left = sl_rl_window_seconds[period] - (now_ms - start_ms) / 1000;
    return left < 1 ? 1 : left;
}

char *sl_rl_window_key(sl_arena_t *arena, const char *route_id, const char *service_id,
                       sl_slice_t identifier, int64_t start_ms, sl_rl_period_t period,
                       size_t *len)
{
    /* ":<start_ms>:<period>", without printf: this runs for every window of every request */
    char tail[48], num[24], *d = num + sizeof(num);
    uint64_t u = start_ms < 0 ? (uint64_t)0 - (uint64_t)start_ms : (uint64_t)start_ms;
    do {
        *--d = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (start_ms < 0)
        *--d = '-';
    size_t nl = (size_t)(num + sizeof(num) - d), pl = strlen(sl_rl_period_names[period]);
    tail[0] = ':';
    memcpy(tail + 1, d, nl);
    tail[1 + nl] = ':';
    memcpy(tail + 2 + nl, sl_rl_period_names[period], pl);
    int tl = (int)(2 + nl + pl);
    size_t rl = strlen(route_id), sl = strlen(service_id);
    size_t n = 10 + rl + 1 + sl + 1 + identifier.len + (size_t)tl;
    char *k = sl_arena_alloc(arena, n + 1), *o = k;
    memcpy(o, "ratelimit:", 10);
    o += 10;
    memcpy(o, route_id, rl);
    o += rl;
    *o++ = ':';
    memcpy(o, service_id, sl);
    o += sl;
    *o++ = ':';
    if (identifier.len)
        memcpy(o, identifier.p, identifier.len);
    o += identifier.len;
    memcpy(o, tail, (size_t)tl);
    o += tl;
    *o = '\0';
    *len = n;
    return k;
}

int64_t sl_rl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Fixed calendar windows in UTC, as Kong's timestamp.get_timestamps cuts them: the second, the
 * minute, the hour, the day, the first of the month and the first of the year holding a given
 * instant; how long a counter of each lives (Kong's EXPIRATION) and how many seconds are left
 * for the RateLimit-Reset header.
 */
#ifndef SL_PLUGINS_RATE_LIMITING_WINDOW_H
#define SL_PLUGINS_RATE_LIMITING_WINDOW_H

#include <stdint.h>

#include "conf.h"
#include "core/arena.h"
#include "core/slice.h"

/* Kong's EXPIRATION table: a window's length in seconds (months 30 days, years 365). */
extern const int64_t sl_rl_window_seconds[SL_RL_N_PERIODS];

/* The start (ms since the epoch) of the window of <period> that holds <now_ms>. */
int64_t sl_rl_window_start(sl_rl_period_t period, int64_t now_ms);

/* RateLimit-Reset: seconds until the window resets, at least 1, counted with the flat
 * lengths of sl_rl_window_seconds as Kong does. */
int64_t sl_rl_window_reset(sl_rl_period_t period, int64_t start_ms, int64_t now_ms);

/* Kong's counter key, "ratelimit:<route_id>:<service_id>:<identifier>:<start_ms>:<period>",
 * in <arena>; its length in *<len> (the identifier may hold any byte). */
char *sl_rl_window_key(sl_arena_t *arena, const char *route_id, const char *service_id,
                       sl_slice_t identifier, int64_t start_ms, sl_rl_period_t period,
                       size_t *len);

/* Wall-clock milliseconds since the epoch. */
int64_t sl_rl_now_ms(void);

#endif

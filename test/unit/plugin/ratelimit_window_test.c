/* Unit tests for rate-limiting's calendar windows (plugins/rate-limiting/window.c): UTC window
 * starts for each period including month and year boundaries and leap years, Kong's reset
 * arithmetic with flat month/year lengths, and the counter key layout. */
#include "../../../plugins/rate-limiting/window.h"

#include "test.h"

/* 2024-02-29T13:45:30.250Z (a leap day) */
#define T_LEAP 1709214330250LL

int main(void)
{
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_SECOND, T_LEAP), 1709214330000LL);
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_MINUTE, T_LEAP), 1709214300000LL);
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_HOUR, T_LEAP), 1709211600000LL);
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_DAY, T_LEAP), 1709164800000LL);   /* 02-29 00:00 */
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_MONTH, T_LEAP), 1706745600000LL); /* 02-01 */
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_YEAR, T_LEAP), 1704067200000LL);  /* 01-01 */
    /* the last millisecond of a year and the first of the next */
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_YEAR, 1735689599999LL), 1704067200000LL);
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_YEAR, 1735689600000LL), 1735689600000LL);
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_MONTH, 1735689599999LL), 1733011200000LL); /* 12-01 */
    CHECK_EQ_INT(sl_rl_window_start(SL_RL_MONTH, 0), 0);

    /* RateLimit-Reset: window length minus whole seconds elapsed, at least 1 */
    CHECK_EQ_INT(sl_rl_window_reset(SL_RL_MINUTE, 1709214300000LL, T_LEAP), 30);
    CHECK_EQ_INT(sl_rl_window_reset(SL_RL_SECOND, 1709214330000LL, T_LEAP), 1);
    CHECK_EQ_INT(sl_rl_window_reset(SL_RL_SECOND, 1709214330000LL, 1709214330999LL), 1);
    /* months count 30 days flat: 28 days and a half into February, 1.5 days are left */
    CHECK_EQ_INT(sl_rl_window_reset(SL_RL_MONTH, 1706745600000LL, T_LEAP),
                 2592000 - (T_LEAP - 1706745600000LL) / 1000);
    /* and a 31st day still answers 1, not a negative number */
    CHECK_EQ_INT(sl_rl_window_reset(SL_RL_MONTH, 0, 31LL * 86400000), 1);

    sl_arena_t a;
    sl_arena_init(&a, 1024);
    size_t len;
    char *k = sl_rl_window_key(&a, "r", "s", sl_slice("1.2.3.4", 7), 60000, SL_RL_MINUTE, &len);
    CHECK_EQ_STR(k, "ratelimit:r:s:1.2.3.4:60000:minute");
    CHECK_EQ_INT(len, strlen(k));
    k = sl_rl_window_key(&a, "r", "s", sl_slice("a\0b", 3), 0, SL_RL_YEAR, &len);
    CHECK_EQ_INT(len, 24);
    CHECK(memcmp(k, "ratelimit:r:s:a\0b:0:year", 25) == 0);
    sl_arena_destroy(&a);
    TEST_MAIN_END();
}

/*
 * rate-limiting's Redis side, per worker: one hiredis async connection per distinct Redis
 * setting on the worker's own loop (hiredis' libuv adapter), with a deadline on every command
 * (hiredis 0.14 has none of its own), reconnection with a back-off, and the worker's local
 * counts for the batched mode.
 *
 * Two ways to count (Kong's policies/init.lua, redis):
 * - synchronous (sync_rate -1): each request increments its counters in Redis and waits for
 *   the counts they had (sl_rl_redis_incr), so the limit is exact across every node;
 * - batched (sync_rate > 0): requests count in the worker (sl_rl_redis_usage /
 *   sl_rl_redis_add) and never wait; every sync_rate the worker adds its new counts to Redis
 *   in one pipeline and learns the totals, so across nodes a limit can be passed only by what
 *   arrives within one sync interval.
 * While Redis cannot be reached the worker keeps its counts and sends them when it is back.
 *
 * Thread: the owning worker only.
 */
#ifndef SL_PLUGINS_RATE_LIMITING_REDIS_H
#define SL_PLUGINS_RATE_LIMITING_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "core/worker.h"
#include "counters.h"

typedef struct sl_rl_redis sl_rl_redis_t;
typedef struct sl_rl_redis_op sl_rl_redis_op_t;
typedef struct sl_rl_redis_set sl_rl_redis_set_t;

/* The worker's Redis connections (worker_init / worker_fini). */
sl_rl_redis_set_t *sl_rl_redis_set_new(sl_worker_t *w);
void sl_rl_redis_set_free(sl_rl_redis_set_t *set);

/* The connection for <rc> (created, not yet connected, on first use). */
sl_rl_redis_t *sl_rl_redis_get(sl_rl_redis_set_t *set, const sl_rl_redis_conf_t *rc);

/* False while a failure's back-off runs: callers answer from local counts at once instead of
 * waiting for a timeout. Starts connecting when needed. */
bool sl_rl_redis_available(sl_rl_redis_t *r);

/* Done: <ok> false on any error or timeout; else <before>[i] is the count key i had before
 * this increment. */
typedef void (*sl_rl_redis_incr_cb)(void *arg, bool ok, const int64_t *before, size_t n);

/* Synchronous mode: increments the <n> (at most 6) counters <keys> (their windows last
 * <ttl_s>) by one. <cb> runs later from the loop, exactly once, unless cancelled. */
sl_rl_redis_op_t *sl_rl_redis_incr(sl_rl_redis_t *r, const char *const *keys,
                                   const size_t *klens, const int64_t *ttl_s, size_t n,
                                   sl_rl_redis_incr_cb cb, void *arg);
/* <cb> will not run (the request went away). */
void sl_rl_redis_cancel(sl_rl_redis_op_t *op);

/* Batched mode: the worker's view of the <n> counters <cs> (the last total Redis gave plus
 * what this worker counted since) as usage; if every one is below its limit, one more for
 * each (sent at the next sync) and -1, else the index of the first at its limit. */
int sl_rl_redis_take(sl_rl_redis_t *r, sl_rl_counter_t *cs, const int64_t *ttl_s, size_t n,
                     int64_t now_s);
/* Counts kept while Redis is away (sent when it is back). <expire_s>: end of the counter's
 * window (seconds since the epoch). */
void sl_rl_redis_add(sl_rl_redis_t *r, const char *key, size_t klen, int64_t expire_s,
                     int64_t ttl_s, int64_t n);
/* False once a sync failed, until one succeeds (batched mode's view of Redis' health). */
bool sl_rl_redis_synced(const sl_rl_redis_t *r);

#endif

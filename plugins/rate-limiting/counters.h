/*
 * Node-wide rate-limit counters for `policy: local` (and the Redis policy's fallback while
 * Redis is unreachable). Kong keeps these in a shared dict that every nginx worker reads; here
 * every worker thread reads one table, split into 64 shards with a mutex each, so workers
 * counting different keys never meet and two requests for the same key wait only for a few
 * loads and stores. A check and its increment happen under the same locks, which makes the
 * limit exact per node whatever the worker count (Kong's check-then-increment may overshoot).
 *
 * Counters vanish when their window is over (swept lazily on lookups and inserts); the table
 * lives as long as the process, so counts survive config reloads, as Kong's do.
 *
 * Thread: any worker.
 */
#ifndef SL_PLUGINS_RATE_LIMITING_COUNTERS_H
#define SL_PLUGINS_RATE_LIMITING_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sl_rl_counter {
    const char *key;
    size_t klen;
    int64_t limit;
    int64_t expire_s;  /* when the window is over (seconds since the epoch) */
    int64_t usage;     /* out: the count before this request */
} sl_rl_counter_t;

/* For the <n> (at most 6) counters at once: reads each usage; if every usage is below its
 * limit, adds one to each and returns -1; otherwise changes nothing and returns the index of
 * the first counter at its limit. */
int sl_rl_counters_take(sl_rl_counter_t *cs, size_t n, int64_t now_s);

/* Token bucket <key>: a bucket of <capacity> tokens refilled at <per_ms> tokens per ms.
 * Takes a token and returns true, or returns false with *<retry_ms> until one is there.
 * *<left> is what remains after. */
bool sl_rl_counters_bucket(const char *key, size_t klen, double per_ms, double capacity,
                           int64_t now_ms, double *left, int64_t *retry_ms);

/* Number of live entries (tests, metrics). */
size_t sl_rl_counters_size(void);

#endif

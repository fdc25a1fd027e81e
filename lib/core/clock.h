/*
 * The monotonic clock the request path times itself with (latencies, log records).
 *
 * Thread: any.
 */
#ifndef SL_CORE_CLOCK_H
#define SL_CORE_CLOCK_H

#include <stdint.h>

/* The monotonic clock (CLOCK_MONOTONIC) in nanoseconds. */
uint64_t sl_now_ns(void);

#endif

/*
 * Deadlines: a timeout that is moved on every event without touching libuv's timer heap.
 * Setting a deadline only records when it falls due; the underlying uv timer is started when
 * none is running or when the new deadline is earlier than the running one, and on expiry
 * it re-arms itself for the remainder if the deadline moved. Per request this replaces a
 * handful of heap operations with stores.
 *
 * Thread: the loop's thread. The timer handle is closed like any handle (sl_deadline_close).
 */
#ifndef SL_CORE_DEADLINE_H
#define SL_CORE_DEADLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

typedef struct sl_deadline sl_deadline_t;
typedef void (*sl_deadline_cb)(sl_deadline_t *d);

struct sl_deadline {
    uv_timer_t timer;   /* timer.data is the owner's */
    uint64_t due;       /* loop time (ms) when it expires; 0 when cleared */
    uint64_t armed;     /* loop time the uv timer fires at; 0 when not running */
    sl_deadline_cb cb;
};

void sl_deadline_init(uv_loop_t *loop, sl_deadline_t *d, void *data);
/* Expires <ms> from the loop's current time and calls <cb>, unless moved or cleared first. */
void sl_deadline_set(sl_deadline_t *d, uint64_t ms, sl_deadline_cb cb);
void sl_deadline_clear(sl_deadline_t *d);
static inline bool sl_deadline_pending(const sl_deadline_t *d)
{
    return d->due != 0;
}
/* Closes the timer handle; <close_cb> as for uv_close. */
void sl_deadline_close(sl_deadline_t *d, uv_close_cb close_cb);

#endif

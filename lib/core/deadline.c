/* Lazy deadlines over one uv timer (see deadline.h). */
#include "core/deadline.h"

static void on_timer(uv_timer_t *t)
{
    sl_deadline_t *d = (sl_deadline_t *)t;
    d->armed = 0;
    if (d->due == 0)
        return; /* cleared meanwhile */
    uint64_t now = uv_now(t->loop);
    if (now < d->due) {
        d->armed = d->due;
        uv_timer_start(&d->timer, on_timer, d->due - now, 0);
        return;
    }
    d->due = 0;
    d->cb(d);
}

void sl_deadline_init(uv_loop_t *loop, sl_deadline_t *d, void *data)
{
    uv_timer_init(loop, &d->timer);
    d->timer.data = data;
    d->due = d->armed = 0;
    d->cb = NULL;
}

void sl_deadline_set(sl_deadline_t *d, uint64_t ms, sl_deadline_cb cb)
{
    uint64_t now = uv_now(d->timer.loop);
    d->due = now + (ms ? ms : 1);
    d->cb = cb;
    if (d->armed == 0 || d->armed > d->due) {
        d->armed = d->due;
        uv_timer_start(&d->timer, on_timer, d->due - now, 0);
    }
}

void sl_deadline_clear(sl_deadline_t *d)
{
    d->due = 0; /* the running timer, if any, finds nothing to do */
}

void sl_deadline_close(sl_deadline_t *d, uv_close_cb close_cb)
{
    d->due = 0;
    uv_close((uv_handle_t *)&d->timer, close_cb);
}

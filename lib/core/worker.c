/*
 * What a worker offers the code that runs on it: the snapshot a request starts on, deferred
 * write completions, random bits and request ids, the Date header. Starting, running and
 * stopping workers (and wiring the modules they run) is lib/runtime/workers.c.
 */
#include "core/worker.h"

#include <time.h>

#include "core/write.h"

sl_snap_slot_t *sl_worker_snap_acquire(sl_worker_t *w)
{
    w->current->inflight++;
    return w->current;
}

void sl_worker_snap_release(sl_worker_t *w, sl_snap_slot_t *slot)
{
    if (slot == NULL)
        return;
    slot->inflight--;
    if (!slot->retired || slot->inflight > 0)
        return;
    sl_snap_slot_t **pp = &w->retired;
    while (*pp && *pp != slot)
        pp = &(*pp)->next;
    if (*pp)
        *pp = slot->next;
    w->slot_done(slot); /* the last request on a retired snapshot ended */
}

static void on_check(uv_check_t *h)
{
    sl_write_run_deferred(h->data);
}

static void on_idle(uv_idle_t *h)
{
    sl_write_run_deferred(h->data);
}

void sl_worker_deferred_init(sl_worker_t *w)
{
    uv_check_init(w->loop, &w->check);
    w->check.data = w;
    uv_check_start(&w->check, on_check);
    uv_unref((uv_handle_t *)&w->check);
    uv_idle_init(w->loop, &w->idle);
    w->idle.data = w;
}

void sl_worker_wake_deferred(sl_worker_t *w)
{
    if (!uv_is_active((uv_handle_t *)&w->idle))
        uv_idle_start(&w->idle, on_idle);
}

static uint64_t xorshift128p(uint64_t s[2])
{
    uint64_t x = s[0];
    const uint64_t y = s[1];
    s[0] = y;
    x ^= x << 23;
    s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    return s[1] + y;
}

uint64_t sl_worker_random(sl_worker_t *w)
{
    return xorshift128p(w->rng);
}

void sl_worker_request_id(sl_worker_t *w, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = xorshift128p(w->rng), b = xorshift128p(w->rng);
    for (int i = 0; i < 16; i++) {
        out[i] = hex[(a >> (60 - 4 * i)) & 15];
        out[16 + i] = hex[(b >> (60 - 4 * i)) & 15];
    }
    out[32] = '\0';
}

const char *sl_worker_date(sl_worker_t *w)
{
    time_t now = time(NULL);
    if (now != w->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(w->date, sizeof(w->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        w->date_sec = now;
    }
    return w->date;
}


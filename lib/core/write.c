/* Direct writes with deferred completion (see write.h). */
#include "core/write.h"

#include <string.h>

#include "core/worker.h"
#include "core/xalloc.h"

static void defer(sl_worker_t *w, sl_write_t *wr, int status)
{
    wr->status = status;
    wr->next = NULL;
    if (w->deferred_tail)
        w->deferred_tail->next = wr;
    else
        w->deferred = wr;
    w->deferred_tail = wr;
    sl_worker_wake_deferred(w);
}

static void on_uv_write(uv_write_t *req, int status)
{
    sl_write_t *wr = req->data;
    wr->cb(wr, status);
}

int sl_write(sl_worker_t *w, uv_stream_t *s, const uv_buf_t *bufs, unsigned n, sl_write_t *wr,
             sl_write_cb cb)
{
    wr->cb = cb;
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += bufs[i].len;
    int r = uv_try_write(s, bufs, n);
    if (r >= 0 && (size_t)r == total) {
        defer(w, wr, 0);
        return 0;
    }
    if (r < 0 && r != UV_EAGAIN)
        return r;
    /* queue what is left: skip the bytes already written */
    size_t done = r > 0 ? (size_t)r : 0;
    unsigned first = 0;
    while (first < n && done >= bufs[first].len) {
        done -= bufs[first].len;
        first++;
    }
    uv_buf_t stack[64];
    uv_buf_t *rest = n - first <= 64 ? stack : sl_xmalloc((n - first) * sizeof(*rest));
    for (unsigned i = first; i < n; i++)
        rest[i - first] = bufs[i];
    rest[0].base += done;
    rest[0].len -= done;
    wr->req.data = wr;
    r = uv_write(&wr->req, s, rest, n - first, on_uv_write); /* libuv copies the array */
    if (rest != stack)
        free(rest);
    return r;
}

void sl_write_run_deferred(sl_worker_t *w)
{
    /* completions queued while these run are delivered in this same pass */
    while (w->deferred) {
        sl_write_t *wr = w->deferred;
        w->deferred = wr->next;
        if (w->deferred == NULL)
            w->deferred_tail = NULL;
        wr->cb(wr, wr->status);
    }
    uv_idle_stop(&w->idle);
}

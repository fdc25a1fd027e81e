/*
 * Writes that cost no epoll change when the socket takes them at once. uv_write always ends
 * by re-arming the handle's watcher (one epoll_ctl per write in libuv 1.44); sl_write first
 * tries a direct writev and only queues with uv_write what the kernel did not take.
 * Completions are always delivered from the worker's check phase, never from inside
 * sl_write, so callers see the same order of events either way.
 *
 * Thread: the worker owning the stream.
 */
#ifndef SL_CORE_WRITE_H
#define SL_CORE_WRITE_H

#include <uv.h>

typedef struct sl_worker sl_worker_t;
typedef struct sl_write sl_write_t;

typedef void (*sl_write_cb)(sl_write_t *wr, int status);

struct sl_write {
    uv_write_t req;      /* used when part of the data has to wait for the socket */
    sl_write_t *next;    /* the worker's list of completions to deliver */
    sl_write_cb cb;
    int status;
    void *data;          /* the caller's */
};

/* Writes <n> buffers to <s>; <cb>(<wr>, status) runs later on the worker's loop. <wr> and the
 * buffers' memory must stay valid until then. Returns 0, or a negative libuv error with no
 * callback. */
int sl_write(sl_worker_t *w, uv_stream_t *s, const uv_buf_t *bufs, unsigned n, sl_write_t *wr,
             sl_write_cb cb);

/* Delivers queued completions; run from the worker's check handle. */
void sl_write_run_deferred(sl_worker_t *w);

#endif

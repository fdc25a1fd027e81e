/*
 * Worker: one thread, one libuv loop, its own SO_REUSEPORT listening sockets, and everything
 * the request path touches: connections, buffers, upstream keep-alive pools, DNS cache,
 * balancer state, counters. Nothing here is shared with other workers except the snapshot
 * pointer the master publishes.
 *
 * Thread: sl_worker_start/publish/stop/join are called by the master; everything else runs on
 * the worker's own thread.
 */
#ifndef SL_CORE_WORKER_H
#define SL_CORE_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config/snapshot.h"
#include "core/bufpool.h"
#include "core/settings.h"

typedef struct sl_conn sl_conn_t;
typedef struct sl_write sl_write_t;
typedef struct sl_pool sl_pool_t;
typedef struct sl_dns sl_dns_t;

/* A snapshot as one worker uses it: the per-worker state that goes with it and the number of
 * this worker's requests running on it. */
typedef struct sl_snap_slot {
    sl_snapshot_t *snap;       /* one reference held by this slot */
    int32_t *rr_state;         /* round-robin state for the snapshot's balancers */
    uint32_t inflight;         /* requests of this worker that started on it */
    bool retired;              /* a newer snapshot is current */
    struct sl_snap_slot *next; /* retired slots still in use */
} sl_snap_slot_t;

typedef struct sl_worker_stats {
    uint64_t accepted, handled, active, requests;
    uint64_t reading, writing, waiting;
    uint64_t errors_by_kind[32];  /* gateway errors sent, by sl_err_kind_t */
} sl_worker_stats_t;

typedef struct sl_worker {
    int id;
    const sl_settings_t *settings;
    uv_thread_t thread;
    uv_loop_t loop;
    uv_async_t async;                 /* wakes the loop for a snapshot or a stop */
    uv_check_t check;                 /* delivers write completions (core/write.h) after I/O */
    uv_idle_t idle;                   /* ... and keeps the loop from sleeping while some wait */
    sl_write_t *deferred, *deferred_tail;
    _Atomic(sl_snapshot_t *) pending; /* snapshot published by the master, not yet adopted */
    atomic_int stop;                  /* 1: stop now */

    int listen_fds[SL_MAX_LISTENERS]; /* bound by the master, adopted by the worker */
    uint16_t listen_ports[SL_MAX_LISTENERS];
    uv_tcp_t listeners[SL_MAX_LISTENERS];
    size_t n_listeners;

    sl_snap_slot_t *current;          /* the snapshot new requests start on */
    sl_snap_slot_t *retired;

    sl_bufpool_t bufs;
    sl_pool_t *pool;                  /* upstream keep-alive connections */
    sl_dns_t *dns;
    sl_conn_t *conns;                 /* open client connections (intrusive list) */

    uint64_t rng[2];                  /* xorshift128+ for request ids */
    char date[40];                    /* "Fri, 27 Nov 2026 17:35:49 GMT" */
    int64_t date_sec;
    sl_worker_stats_t stats;
} sl_worker_t;

/* Binds the listening sockets for <w> (SO_REUSEPORT, so every worker binds its own).
 * Returns 0, or a negative errno with a message written to stderr. Master thread. */
int sl_worker_bind(sl_worker_t *w, const sl_settings_t *s, int id);
/* Starts the worker thread on <snap> (a reference is taken). Master thread. */
int sl_worker_start(sl_worker_t *w, sl_snapshot_t *snap);
/* Hands <snap> to the worker (a reference is taken); it adopts it between requests. */
void sl_worker_publish(sl_worker_t *w, sl_snapshot_t *snap);
/* Asks the worker to stop and waits for its thread. */
void sl_worker_stop_and_join(sl_worker_t *w);

/* Worker thread only. */
sl_snap_slot_t *sl_worker_snap_acquire(sl_worker_t *w);
void sl_worker_snap_release(sl_worker_t *w, sl_snap_slot_t *slot);
/* Makes sure deferred write completions run soon (see core/write.h). */
void sl_worker_wake_deferred(sl_worker_t *w);
/* Writes a new request id (32 lower-case hex and NUL) into <out>. */
void sl_worker_request_id(sl_worker_t *w, char out[33]);
/* The current Date header value (cached, refreshed once a second). */
const char *sl_worker_date(sl_worker_t *w);

#endif

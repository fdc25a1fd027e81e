/*
 * Worker: one thread, one libuv loop, its own SO_REUSEPORT listening sockets, and everything
 * the request path touches: connections, buffers, upstream keep-alive pools, DNS cache,
 * balancer state, counters. Nothing here is shared with other workers except the snapshot
 * pointer the master publishes.
 *
 * This header is what the code running on a worker sees; lib/runtime/workers.h starts, feeds
 * and stops workers.
 *
 * Thread: the worker's own, unless said otherwise.
 */
#ifndef SL_CORE_WORKER_H
#define SL_CORE_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "core/bufpool.h"
#include "core/settings.h"

typedef struct sl_conn sl_conn_t;
typedef struct sl_conn_rt sl_conn_rt_t;
typedef struct sl_handler sl_handler_t;
typedef struct sl_write sl_write_t;
typedef struct sl_pool sl_pool_t;
typedef struct sl_dns sl_dns_t;
typedef struct sl_metrics sl_metrics_t;
typedef struct sl_snapshot sl_snapshot_t;
typedef struct sl_alog sl_alog_t;

/* A snapshot as one worker uses it: the per-worker state that goes with it and the number of
 * this worker's requests running on it. */
typedef struct sl_snap_slot {
    sl_snapshot_t *snap;       /* one reference held by this slot */
    int32_t *rr_state;         /* round-robin state for the snapshot's balancers */
    uint32_t inflight;         /* requests of this worker that started on it */
    bool retired;              /* a newer snapshot is current */
    struct sl_snap_slot *next; /* retired slots still in use */
} sl_snap_slot_t;

/* Counters a worker writes and the master reads (GET /status). Only the owning worker writes,
 * so an increment is a relaxed load and store (a plain mov on x86), never a locked
 * read-modify-write; the master sums relaxed loads. */
typedef struct sl_worker_stats {
    _Atomic uint64_t accepted, handled, active, requests;
    _Atomic uint64_t inflight;    /* connections with a request being handled */
    _Atomic uint64_t idle;        /* connections waiting for a request (keep-alive) */
    _Atomic uint64_t errors_by_kind[32]; /* gateway errors sent, by sl_err_kind_t */
} sl_worker_stats_t;

#define SL_STAT_ADD(field, n)                                                                    \
    atomic_store_explicit(&(field), atomic_load_explicit(&(field), memory_order_relaxed) + (n),  \
                          memory_order_relaxed)
#define SL_STAT_INC(field) SL_STAT_ADD(field, 1)
#define SL_STAT_DEC(field) SL_STAT_ADD(field, (uint64_t)-1)
#define SL_STAT_GET(field) atomic_load_explicit(&(field), memory_order_relaxed)

typedef struct sl_worker {
    int id;                           /* 0..n-1 for proxy workers, -1 for the admin listener */
    const sl_settings_t *settings;
    const sl_handler_t *handler;      /* what this worker's connections hand requests to */
    void *handler_ctx;                /* the handler's own (the admin API's view of the node) */
    const sl_listen_t *listen;        /* the addresses it listens on */
    bool attached;                    /* runs on a loop it does not own (the master's) */
    uv_thread_t thread;
    uv_loop_t own_loop;
    uv_loop_t *loop;                  /* &own_loop, or the master's loop when attached */
    uv_async_t async;                 /* wakes the loop for a snapshot or a stop */
    uv_check_t check;                 /* delivers write completions (core/write.h) after I/O */
    uv_idle_t idle;                   /* ... and keeps the loop from sleeping while some wait */
    sl_write_t *deferred, *deferred_tail;
    _Atomic(sl_snapshot_t *) pending; /* snapshot published by the master, not yet adopted */
    atomic_int stop;                  /* 1: stop now; 2: drain (finish what is in flight) */
    bool draining;                    /* listeners closed, waiting for connections to end */
    uv_timer_t drain_timer;           /* checks the drain's progress and its deadline */
    uint64_t drain_deadline;          /* loop time (ms) after which the rest is closed */

    int listen_fds[SL_MAX_LISTENERS]; /* bound by the master, adopted by the worker */
    uint16_t listen_ports[SL_MAX_LISTENERS];
    uv_tcp_t listeners[SL_MAX_LISTENERS];
    size_t n_listeners;

    sl_snap_slot_t *current;          /* the snapshot new requests start on */
    sl_snap_slot_t *retired;
    void (*slot_done)(sl_snap_slot_t *slot); /* frees a retired slot no request uses */

    sl_bufpool_t bufs;
    sl_pool_t *pool;                  /* upstream keep-alive connections */
    sl_dns_t *dns;
    sl_conn_t *conns;                 /* open client connections (intrusive list) */
    sl_conn_rt_t *conn_rts;           /* pool of request-time connection state (http/conn.h) */
    size_t n_conn_rts;
    struct sl_req_arena *req_arenas;  /* pool of request arenas (http/request.h) */
    size_t n_req_arenas;
    uint32_t max_conns;               /* client connections held at most (worker_connections) */
    uint64_t conns_refused;           /* connections refused at the ceiling since the last
                                         log line about it */
    uint64_t conns_refused_log_ms;    /* loop time of that line */

    uint64_t rng[2];                  /* xorshift128+ for request ids */
    char date[40];                    /* "Fri, 27 Nov 2026 17:35:49 GMT" */
    int64_t date_sec;
    sl_worker_stats_t stats;
    int alog_fd;                      /* access log (shared, see log/access.h); -1: off */
    sl_alog_t *alog;                  /* this worker's buffer for it (log/access.h) */
    void **plugin_states;             /* per registered plugin (plugin/plugin.h); NULL on the
                                         admin listener, which runs no plugins */
    sl_metrics_t *metrics;            /* per-request metrics (metrics/store.h): written by this
                                         worker, read by the master at scrape; made before the
                                         thread starts, freed after it ends. NULL on the admin
                                         listener */
} sl_worker_t;

/* Worker thread only. */
sl_snap_slot_t *sl_worker_snap_acquire(sl_worker_t *w);
void sl_worker_snap_release(sl_worker_t *w, sl_snap_slot_t *slot);
/* Sets up the handles that deliver deferred write completions, on w->loop. */
void sl_worker_deferred_init(sl_worker_t *w);
/* Makes sure deferred write completions run soon (see core/write.h). */
void sl_worker_wake_deferred(sl_worker_t *w);
/* 64 random bits from the worker's generator (not for secrets). */
uint64_t sl_worker_random(sl_worker_t *w);
/* Writes a new request id (32 lower-case hex and NUL) into <out>. */
void sl_worker_request_id(sl_worker_t *w, char out[33]);
/* The current Date header value (cached, refreshed once a second). */
const char *sl_worker_date(sl_worker_t *w);

#endif

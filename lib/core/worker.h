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
#include "log/access.h"

typedef struct sl_conn sl_conn_t;
typedef struct sl_conn_rt sl_conn_rt_t;
typedef struct sl_handler sl_handler_t;
typedef struct sl_write sl_write_t;
typedef struct sl_pool sl_pool_t;
typedef struct sl_dns sl_dns_t;
typedef struct sl_metrics sl_metrics_t;

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
    sl_alog_t alog;                   /* this worker's buffer for it */
    void **plugin_states;             /* per registered plugin (plugin/plugin.h); NULL on the
                                         admin listener, which runs no plugins */
    sl_metrics_t *metrics;            /* per-request metrics (metrics/store.h): written by this
                                         worker, read by the master at scrape; made before the
                                         thread starts, freed after it ends. NULL on the admin
                                         listener */
} sl_worker_t;

/* Binds the <n> listening sockets <ls> for <w> (SO_REUSEPORT, so every worker binds its
 * own), whose connections go to <handler>. Returns 0, or a negative errno with a message
 * written to stderr. Master thread. */
int sl_worker_bind(sl_worker_t *w, const sl_settings_t *s, int id, const sl_listen_t *ls,
                   size_t n, const sl_handler_t *handler);
/* Starts the worker thread on <snap> (a reference is taken). Master thread. */
int sl_worker_start(sl_worker_t *w, sl_snapshot_t *snap);
/* Runs the worker on <loop> (the master's) instead of a thread of its own: the admin API
 * listener. sl_worker_detach stops it; the loop must then run until its handles closed, and
 * sl_worker_cleanup frees what is left. */
int sl_worker_attach(sl_worker_t *w, uv_loop_t *loop, sl_snapshot_t *snap);
void sl_worker_detach(sl_worker_t *w);
void sl_worker_cleanup(sl_worker_t *w);
/* Hands <snap> to the worker (a reference is taken); it adopts it between requests. */
void sl_worker_publish(sl_worker_t *w, sl_snapshot_t *snap);
/* Asks the worker to stop and waits for its thread. */
void sl_worker_stop_and_join(sl_worker_t *w);
/* Asks the worker to drain: stop accepting, close idle connections, let requests in flight
 * finish (their connections close after), and stop when none is left or after the
 * settings' drain_timeout_ms. sl_worker_join waits for it. Master thread. */
void sl_worker_drain(sl_worker_t *w);
void sl_worker_join(sl_worker_t *w);

/* Worker thread only. */
sl_snap_slot_t *sl_worker_snap_acquire(sl_worker_t *w);
void sl_worker_snap_release(sl_worker_t *w, sl_snap_slot_t *slot);
/* Makes sure deferred write completions run soon (see core/write.h). */
void sl_worker_wake_deferred(sl_worker_t *w);
/* 64 random bits from the worker's generator (not for secrets). */
uint64_t sl_worker_random(sl_worker_t *w);
/* Writes a new request id (32 lower-case hex and NUL) into <out>. */
void sl_worker_request_id(sl_worker_t *w, char out[33]);
/* The current Date header value (cached, refreshed once a second). */
const char *sl_worker_date(sl_worker_t *w);

#endif
